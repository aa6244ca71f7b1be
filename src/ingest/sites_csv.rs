//! Reader for sites listed in a CSV (`id,name,commune,kind,location_quality[,lon,lat]`), such
//! as the MSP of Allier in `geodata/msp_allier_2022.csv`. Sites without coordinates are
//! returned unplaced: the join puts them at their commune's town hall.

use crate::model::{LocationQuality, Site, SiteKind};
use crate::model::registry::CommuneRegistry;
use crate::error::{Error, Result};
use crate::ingest::SiteRecord;
use crate::model::report::{ImportReport, Imported, RejectReason};
use geo::Point;

pub fn parse_sites_csv(name: &str, text: &str, registry: &CommuneRegistry, remap_merged: bool) -> Result<Imported<SiteRecord>> {
    let mut report = ImportReport::new(name, "sites-csv");
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| Error::format(name, 1, "header", e.to_string()))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let col = |f: &str| header.iter().position(|h| h == f);
    let need = |f: &str| col(f).ok_or_else(|| Error::format(name, 1, f, "column missing"));
    let (id_c, name_c, commune_c) = (need("id")?, need("name")?, need("commune")?);
    let (kind_c, quality_c, lon_c, lat_c) = (col("kind"), col("location_quality"), col("lon"), col("lat"));
    let mut records = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| Error::format(name, e.position().map_or(0, |p| p.line()), "-", e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        report.rows_read += 1;
        let get = |c: Option<usize>| c.and_then(|c| record.get(c)).map(str::trim).filter(|v| !v.is_empty());
        let (Some(id), Some(site_name), Some(code)) = (get(Some(id_c)), get(Some(name_c)), get(Some(commune_c))) else {
            let field = ["id", "name", "commune"][[id_c, name_c, commune_c].iter().position(|&c| get(Some(c)).is_none()).unwrap_or(0)];
            report.reject(line, RejectReason::MissingField { field: field.into() });
            continue;
        };
        let commune = match registry.commune_for_code(code, remap_merged) {
            Ok(c) => c,
            Err(reason) => {
                report.reject(line, reason);
                continue;
            }
        };
        let position = match (get(lon_c), get(lat_c)) {
            (Some(lon), Some(lat)) => match (lon.parse::<f64>(), lat.parse::<f64>()) {
                (Ok(x), Ok(y)) if (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y) => Some(Point::new(x, y)),
                _ => {
                    report.reject(line, RejectReason::InvalidValue {
                        field: "lon/lat".into(),
                        value: format!("{lon},{lat}"),
                        expected: "WGS84 degrees".into(),
                    });
                    continue;
                }
            },
            _ => None,
        };
        let quality = match get(quality_c) {
            Some("exact") if position.is_some() => LocationQuality::Exact,
            _ => LocationQuality::TownHall,
        };
        report.rows_used += 1;
        records.push(SiteRecord {
            needs_town_hall: position.is_none(),
            line,
            site: Site {
                id: id.to_string(),
                name: site_name.to_string(),
                commune,
                location: position.unwrap_or(Point::new(0.0, 0.0)),
                location_quality: quality,
                kind: get(kind_c).map_or(SiteKind::Msp, SiteKind::parse),
                source: name.to_string(),
            },
        });
    }
    Ok(Imported { records, report })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_without_coordinates_wait_for_the_town_hall() {
        let reg = CommuneRegistry::builder().commune("03185", "Montluçon").build();
        let text = "id,name,commune,kind,location_quality,lon,lat\n\
                    a,MSP A,03185,msp,town_hall,,\n\
                    b,MSP B,03185,msp,exact,2.6,46.34\n\
                    c,MSP C,99999,msp,town_hall,,\n\
                    d,MSP D,03185,msp,exact,200,46\n";
        let got = parse_sites_csv("s.csv", text, &reg, false).expect("parses");
        assert_eq!(got.records.len(), 2);
        assert!(got.records[0].needs_town_hall);
        assert_eq!(got.records[1].site.location_quality, LocationQuality::Exact);
        let kinds: Vec<(u64, &str)> = got.report.rejected.iter().map(|r| (r.line, r.reason.kind())).collect();
        assert_eq!(kinds, vec![(4, "unknown_commune"), (5, "invalid_value")]);
    }
}
