//! `medatlas tiles geojson`: one layer as a GeoJSON FeatureCollection (RFC 7946), with the same
//! properties as the tiles — for other tools, and to serve the same data through martin in the
//! benchmark (`scripts/bench_tiles.sh`).
//!
//! Geometry is the atlas geometry as is: WGS84 lon/lat, full precision, exterior rings
//! counter-clockwise and holes clockwise (RFC 7946 §3.1.6), rings closed. No generalisation:
//! that is the tiles' job. Properties come from the same tables as the tiles
//! ([`attributes::COMMUNE_FIELDS`], [`attributes::DEPARTMENT_FIELDS`], [`attributes::MSP_FIELDS`],
//! [`attributes::EPCI_FIELDS`]);
//! a property the tiles leave out (MVT has no null) is left out here too. Feature ids are the
//! tiles' ids (index in the layer + 1).
//!
//! Features are streamed to the writer one at a time: the national commune layer (34,871
//! features) never exists as one JSON value in memory.

use super::{LayerId, TileError};
use super::attributes::{self, AttrValue, CommuneRow, DepartmentRow, Field};
use crate::atlas::Atlas;
use super::properties::{self, FeatureId, GeometryRef, Prop, Properties};
use std::io::Write;

/// Writes every feature of `layer` as one GeoJSON FeatureCollection; returns the feature count.
/// The writer is not flushed.
pub fn write_layer(atlas: &Atlas, layer: LayerId, out: &mut dyn Write) -> Result<u64, TileError> {
    let mut fc = FeatureWriter::start(out)?;
    let access = match layer {
        LayerId::Communes | LayerId::Departements | LayerId::Epci => crate::analysis::apl::default_access(atlas),
        LayerId::Msp => None,
    };
    match layer {
        LayerId::Communes => {
            let names = field_names(attributes::COMMUNE_FIELDS);
            for (i, c) in atlas.communes().iter().enumerate() {
                let attrs = attributes::evaluate(attributes::COMMUNE_FIELDS, &CommuneRow::of(atlas, i, access.as_ref()));
                fc.feature(i as u64 + 1, GeometryRef::MultiPolygon(&c.geometry), &names, &attrs)?;
            }
        }
        LayerId::Departements => {
            let names = field_names(attributes::DEPARTMENT_FIELDS);
            let totals = attributes::department_totals(atlas, access.as_ref());
            for (i, d) in atlas.departments().iter().enumerate() {
                let row = DepartmentRow { department: d, totals: totals.get(d.code.as_str()).copied().unwrap_or_default() };
                let attrs = attributes::evaluate(attributes::DEPARTMENT_FIELDS, &row);
                fc.feature(i as u64 + 1, GeometryRef::MultiPolygon(&d.geometry), &names, &attrs)?;
            }
        }
        LayerId::Epci => {
            let names = field_names(attributes::EPCI_FIELDS);
            let rows = attributes::epci_attributes(atlas, access.as_ref());
            for (i, (e, attrs)) in atlas.epci_areas().iter().zip(&rows).enumerate() {
                fc.feature(i as u64 + 1, GeometryRef::MultiPolygon(&e.geometry), &names, attrs)?;
            }
        }
        LayerId::Msp => {
            let names = field_names(attributes::MSP_FIELDS);
            // Numbered as in the tiles: the n-th MSP among the atlas sites.
            for (n, s) in atlas.sites().iter().filter(|s| s.kind.is_msp()).enumerate() {
                let attrs = attributes::evaluate(attributes::MSP_FIELDS, s);
                fc.feature(n as u64 + 1, GeometryRef::Point(&s.location), &names, &attrs)?;
            }
        }
    }
    fc.finish()
}

/// [`write_layer`] to a new file at `path`, flushed; returns the feature count.
pub fn write_layer_file(atlas: &Atlas, layer: LayerId, path: &std::path::Path) -> Result<u64, TileError> {
    let file = std::fs::File::create(path).map_err(|e| TileError::io("creating", path, e))?;
    let mut w = std::io::BufWriter::new(file);
    let n = write_layer(atlas, layer, &mut w)?;
    w.flush().map_err(|e| TileError::io("writing", path, e))?;
    Ok(n)
}

fn field_names<F>(fields: &[Field<F>]) -> Vec<&'static str> {
    fields.iter().map(|f| f.name).collect()
}

/// Streams the features of a layer through the shared GeoJSON writer
/// ([`properties::FeatureWriter`]); a tile attribute becomes a [`Prop`], and a field the tiles
/// leave out stays out.
struct FeatureWriter<'w>(properties::FeatureWriter<'w>);

impl<'w> FeatureWriter<'w> {
    fn start(out: &'w mut dyn Write) -> Result<Self, TileError> {
        Ok(FeatureWriter(properties::FeatureWriter::start(out, &serde_json::Map::new())?))
    }

    fn feature(&mut self, id: u64, geometry: GeometryRef<'_>, names: &[&str], attrs: &[(u16, AttrValue)]) -> Result<(), TileError> {
        let mut values = vec![Prop::Absent; names.len()];
        for (i, v) in attrs {
            values[usize::from(*i)] = match v {
                AttrValue::Str(x) => Prop::Text(x),
                AttrValue::Uint(x) => Prop::Uint(*x),
                AttrValue::Double(x) => Prop::Number(*x),
                AttrValue::Bool(x) => Prop::Bool(*x),
            };
        }
        self.0.feature(Some(FeatureId::Number(id)), Some(geometry), &Properties { names, values: &values })?;
        Ok(())
    }

    fn finish(self) -> Result<u64, TileError> {
        Ok(self.0.finish()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::sync::OnceLock;

    fn atlas() -> &'static Atlas {
        static ATLAS: OnceLock<Atlas> = OnceLock::new();
        ATLAS.get_or_init(|| Atlas::load_default().expect("the embedded default loads"))
    }

    fn export(layer: LayerId) -> (u64, Value) {
        let mut buf = Vec::new();
        let n = write_layer(atlas(), layer, &mut buf).expect("export");
        (n, serde_json::from_slice(&buf).expect("valid JSON"))
    }

    /// Twice the signed area of a ring in lon/lat (positive: counter-clockwise).
    fn ring_area2(ring: &[Value]) -> f64 {
        let p: Vec<(f64, f64)> = ring.iter().map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())).collect();
        p.windows(2).map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1).sum()
    }

    #[test]
    fn communes_one_feature_each_with_the_tile_properties() {
        let (n, fc) = export(LayerId::Communes);
        assert_eq!(fc["type"], "FeatureCollection");
        let features = fc["features"].as_array().unwrap();
        assert_eq!(n as usize, atlas().communes().len());
        assert_eq!(features.len(), atlas().communes().len());
        let codes: std::collections::HashSet<&str> = features.iter().map(|f| f["properties"]["code"].as_str().unwrap()).collect();
        assert_eq!(codes.len(), features.len(), "one feature per commune");

        let i = atlas().commune_index("03185").expect("Montluçon in the default");
        let f = &features[i];
        assert_eq!(f["type"], "Feature");
        assert_eq!(f["id"], i as u64 + 1);
        let p = &f["properties"];
        assert_eq!(p["code"], "03185");
        assert_eq!(p["name"], "Montluçon");
        assert_eq!(p["dep"], "03");
        assert_eq!(p["zoning"], "ZAC");
        assert_eq!(p["synthetic"], false);
        assert_eq!(p["gp_near_retirement_estimated"], true);
        let c = atlas().commune("03185").unwrap();
        assert_eq!(p["population"], u64::from(c.population));
        assert_eq!(p["gp"], u64::from(c.gp.as_ref().unwrap().gp));
        assert_eq!(p["msp_count"], u64::from(atlas().msp_count(i)));
        // The same keys as the tile feature: every field the table evaluates, nothing else.
        let expected: Vec<&str> = attributes::evaluate(attributes::COMMUNE_FIELDS, &CommuneRow::of(atlas(), i, crate::analysis::apl::default_access(atlas()).as_ref()))
            .iter()
            .map(|(k, _)| attributes::COMMUNE_FIELDS[usize::from(*k)].name)
            .collect();
        let mut keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
        let mut want = expected.clone();
        keys.sort_unstable();
        want.sort_unstable();
        assert_eq!(keys, want);
        assert!(p["gp_per_10k"].is_number());

        let g = &f["geometry"];
        assert_eq!(g["type"], "MultiPolygon");
        let ring = g["coordinates"][0][0].as_array().unwrap();
        assert_eq!(ring.first(), ring.last(), "closed ring");
        assert!(ring_area2(ring) > 0.0, "exterior ring counter-clockwise");
        let (lon, lat) = (ring[0][0].as_f64().unwrap(), ring[0][1].as_f64().unwrap());
        assert!((2.4..2.7).contains(&lon) && (46.2..46.5).contains(&lat), "lon/lat order: {lon}, {lat}");
    }

    #[test]
    fn departements_carry_gp_totals() {
        let (n, fc) = export(LayerId::Departements);
        assert_eq!(n as usize, atlas().departments().len());
        let allier = fc["features"].as_array().unwrap().iter().find(|f| f["properties"]["code"] == "03").expect("Allier");
        let gp: u64 = atlas().communes().iter().filter(|c| c.dep == "03").filter_map(|c| c.gp.as_ref()).map(|g| u64::from(g.gp)).sum();
        assert_eq!(allier["properties"]["gp"], gp);
        assert_eq!(allier["properties"]["communes"], 317);
        assert_eq!(allier["geometry"]["type"], "MultiPolygon");
    }

    #[test]
    fn epcis_are_dissolved_polygons_with_their_totals() {
        let (n, fc) = export(LayerId::Epci);
        let codes: std::collections::BTreeSet<&str> = atlas().communes().iter().filter_map(|c| c.epci.as_deref()).collect();
        assert_eq!(n as usize, codes.len());
        let code = atlas().commune("03185").and_then(|c| c.epci.as_deref()).expect("Montluçon's EPCI");
        let f = fc["features"].as_array().unwrap().iter().find(|f| f["properties"]["code"] == code).expect("its feature");
        let members: Vec<&crate::model::Commune> = atlas().communes().iter().filter(|c| c.epci.as_deref() == Some(code)).collect();
        let pop: u64 = members.iter().map(|c| u64::from(c.population)).sum();
        assert_eq!(f["properties"]["population"], pop);
        assert_eq!(f["properties"]["communes"], members.len());
        assert_eq!(f["geometry"]["type"], "MultiPolygon");
        let ring = f["geometry"]["coordinates"][0][0].as_array().unwrap();
        assert_eq!(ring.first(), ring.last(), "closed ring");
        assert!(ring_area2(ring) > 0.0, "exterior ring counter-clockwise");
    }

    #[test]
    fn msp_are_points() {
        let (n, fc) = export(LayerId::Msp);
        let msp = atlas().sites().iter().filter(|s| s.kind.is_msp()).count();
        assert_eq!(n as usize, msp);
        assert!(msp > 0);
        let f = &fc["features"][0];
        assert_eq!(f["geometry"]["type"], "Point");
        assert_eq!(f["id"], 1);
        assert!(f["properties"]["id"].is_string());
    }
}
