//! Reader for the FINESS establishment extraction published on data.gouv.fr
//! (« FINESS Extraction du Fichier des établissements », `etalab-cs1100507-stock-*.csv`).
//!
//! Two layouts are read, told apart by the first line (format reference:
//! `shared/formats/finess_etalab_stock.md`):
//!
//! - **Layout A** (etalab stock): `;`-separated, no header. Line 1 is a manifest
//!   `finess;etalab;<n>;<date>`, then one `structureet` line per establishment (32 fields
//!   counting the tag, usually with a trailing `;`), then (cs1100507 only) one
//!   `geolocalisation;nofinesset;coordxet;coordyet;sourcecoordet;datemaj` line per
//!   establishment. In older files `sourcecoordet` is split over several `;` fields.
//!   The INSEE code is `departement` + the 3-digit `commune` number; overseas départements are
//!   written `9A` (971) … `9F` (976) and their `commune` number already carries the
//!   département's third digit (`9D` + `411` → 97411).
//! - **Layout B** ("t-finess" style): a header line starting `nofinesset;nofinessej;`, the
//!   5-digit INSEE code in `cog` and the coordinates inline in `coordx;coordy;sourcegeocod`.
//!
//! Establishments whose `categetab` is not selected (default: `603`, maisons de santé) are
//! skipped. Coordinates are projected (Lambert-93 in metropolitan France, a UTM zone overseas,
//! named in `sourcecoordet`) and converted to WGS84 with `proj4rs`. An establishment with no
//! usable coordinates is still returned, flagged [`FinessSite::needs_town_hall`], for the join
//! to place at its commune's town hall.

use super::Reader;
use crate::model::{LocationQuality, Site, SiteKind};
use crate::model::registry::CommuneRegistry;
use crate::error::{Error, Result};
use crate::model::report::{ImportReport, Imported, RejectReason};
use crate::ingest::text::{self, Encoding};
use csv::StringRecord;
use geo::Point;
use proj4rs::proj::Proj;
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// `categetab` of a maison de santé (L.6223-3).
pub const MSP_CATEGORY: &str = "603";

/// Number of fields of a `structureet` line, counting the tag (a trailing `;` adds an empty one).
pub const STRUCTUREET_FIELDS: usize = 32;

/// Names of the `structureet` fields, by index (index 0 is the tag).
const STRUCTUREET: [&str; STRUCTUREET_FIELDS] = [
    "structureet",
    "nofinesset",
    "nofinessej",
    "rs",
    "rslongue",
    "complrs",
    "compldistrib",
    "numvoie",
    "typvoie",
    "voie",
    "compvoie",
    "lieuditbp",
    "commune",
    "departement",
    "libdepartement",
    "ligneacheminement",
    "telephone",
    "telecopie",
    "categetab",
    "libcategetab",
    "categagretab",
    "libcategagretab",
    "siret",
    "codeape",
    "codemft",
    "libmft",
    "codesph",
    "libsph",
    "dateouv",
    "dateautor",
    "datemaj",
    "numuai",
];

const F_ID: usize = 1;
const F_RS: usize = 3;
const F_RSLONGUE: usize = 4;
const F_COMMUNE: usize = 12;
const F_DEPARTEMENT: usize = 13;
const F_CATEGETAB: usize = 18;

/// Bounding box of metropolitan France with Corsica (Ouessant to Menton/Corsica, Bonifacio to
/// Bray-Dunes), with a small margin: lon min, lon max, lat min, lat max.
pub const METROPOLE_BBOX: (f64, f64, f64, f64) = (-5.5, 10.0, 41.0, 51.5);

/// What to read from a FINESS file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinessOptions {
    /// `categetab` codes to keep; others are skipped. Default: `["603"]` (MSP).
    pub categories: Vec<String>,
    /// Count establishments in a former (merged) commune in its successor instead of
    /// rejecting them.
    pub remap_merged: bool,
}

impl Default for FinessOptions {
    fn default() -> Self {
        Self { categories: vec![MSP_CATEGORY.to_string()], remap_merged: false }
    }
}

/// An establishment read from FINESS.
#[derive(Debug, Clone)]
pub struct FinessSite {
    /// When `needs_town_hall` is true, `site.location` is a meaningless (0, 0) and
    /// `site.location_quality` is [`LocationQuality::TownHall`]: the join must place it.
    pub site: Site,
    /// The file gives no usable coordinates for this establishment (no geolocalisation line,
    /// empty or malformed coordinates, or a coordinate system this reader does not convert).
    pub needs_town_hall: bool,
    /// 1-based line of the establishment (its `structureet` line, or its row in layout B).
    pub line: u64,
}

/// Projected coordinate systems named in `sourcecoordet` that this reader converts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FinessCrs {
    /// EPSG:2154, RGF93 / Lambert-93 (metropolitan France).
    Lambert93,
    /// EPSG:5490, RGAF09 / UTM zone 20N (Guadeloupe, Martinique, Saint-Martin, Saint-Barthélemy).
    Rgaf09Utm20n,
    /// EPSG:2972, RGFG95 / UTM zone 22N (Guyane).
    Rgfg95Utm22n,
    /// EPSG:2975, RGR92 / UTM zone 40S (La Réunion).
    Rgr92Utm40s,
    /// EPSG:4471, RGM04 / UTM zone 38S (Mayotte).
    Rgm04Utm38s,
    /// EPSG:4467, RGSPM06 / UTM zone 21N (Saint-Pierre-et-Miquelon).
    Rgspm06Utm21n,
}

impl FinessCrs {
    pub const ALL: [FinessCrs; 6] = [
        FinessCrs::Lambert93,
        FinessCrs::Rgaf09Utm20n,
        FinessCrs::Rgfg95Utm22n,
        FinessCrs::Rgr92Utm40s,
        FinessCrs::Rgm04Utm38s,
        FinessCrs::Rgspm06Utm21n,
    ];

    pub fn epsg(self) -> u32 {
        match self {
            Self::Lambert93 => 2154,
            Self::Rgaf09Utm20n => 5490,
            Self::Rgfg95Utm22n => 2972,
            Self::Rgr92Utm40s => 2975,
            Self::Rgm04Utm38s => 4471,
            Self::Rgspm06Utm21n => 4467,
        }
    }

    pub fn from_epsg(code: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.epsg() == code)
    }

    /// PROJ string of the CRS. All of these datums are GRS80-based and equal to WGS84 at the
    /// metre level (PROJ's own transformations to WGS 84 are null ones).
    pub fn proj_string(self) -> &'static str {
        match self {
            Self::Lambert93 => {
                "+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 \
                 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs"
            }
            Self::Rgaf09Utm20n => "+proj=utm +zone=20 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
            Self::Rgfg95Utm22n => "+proj=utm +zone=22 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
            Self::Rgr92Utm40s => "+proj=utm +zone=40 +south +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
            Self::Rgm04Utm38s => "+proj=utm +zone=38 +south +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
            Self::Rgspm06Utm21n => "+proj=utm +zone=21 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
        }
    }

    /// Where a converted point may fall (lon min, lon max, lat min, lat max): the territory the
    /// CRS is used for, with a margin. A point outside is a wrong coordinate.
    pub fn plausible_bbox(self) -> (f64, f64, f64, f64) {
        match self {
            Self::Lambert93 => METROPOLE_BBOX,
            Self::Rgaf09Utm20n => (-63.5, -60.5, 14.0, 18.5),
            Self::Rgfg95Utm22n => (-55.0, -51.0, 1.5, 6.5),
            Self::Rgr92Utm40s => (54.5, 56.5, -22.0, -20.0),
            Self::Rgm04Utm38s => (44.5, 45.7, -13.3, -12.3),
            Self::Rgspm06Utm21n => (-57.0, -55.8, 46.5, 47.5),
        }
    }

    /// Finds the CRS named in a `sourcecoordet` / `sourcegeocod` value, in either form:
    /// `1,ATLASANTE,96,BAN,EPSG:2154 RGF93 / Lambert-93 (Métropole)` (2026) or the older
    /// `…;IGN;BD_ADRESSE;V2.1;LAMBERT_93` (fields joined by the caller). An EPSG code, when
    /// there is one, decides; an unknown EPSG code gives `None`.
    pub fn from_source(source: &str) -> Option<Self> {
        let upper = source.to_ascii_uppercase();
        let mut rest = upper.as_str();
        let mut named_epsg = false;
        while let Some(pos) = rest.find("EPSG") {
            rest = &rest[pos + 4..];
            let digits: String =
                rest.trim_start_matches([':', ' ', '_', '-']).chars().take_while(char::is_ascii_digit).collect();
            if let Ok(code) = digits.parse::<u32>() {
                named_epsg = true;
                if let Some(crs) = Self::from_epsg(code) {
                    return Some(crs);
                }
            }
        }
        if named_epsg {
            return None;
        }
        let squeezed: String = upper.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
        if squeezed.contains("LAMBERT93") {
            return Some(Self::Lambert93);
        }
        if squeezed.contains("UTM") {
            let by_datum = [
                ("RGAF09", Self::Rgaf09Utm20n),
                ("RGFG95", Self::Rgfg95Utm22n),
                ("RGR92", Self::Rgr92Utm40s),
                ("RGM04", Self::Rgm04Utm38s),
                ("RGSPM06", Self::Rgspm06Utm21n),
            ];
            return by_datum.into_iter().find(|(d, _)| squeezed.contains(d)).map(|(_, c)| c);
        }
        None
    }
}

fn wgs84_proj() -> Result<Proj> {
    Proj::from_proj_string("+proj=longlat +ellps=WGS84 +datum=WGS84 +no_defs")
        .map_err(|e| Error::Projection(format!("WGS84 definition rejected by proj4rs: {e}")))
}

fn crs_proj(crs: FinessCrs) -> Result<Proj> {
    Proj::from_proj_string(crs.proj_string())
        .map_err(|e| Error::Projection(format!("EPSG:{} definition rejected by proj4rs: {e}", crs.epsg())))
}

fn project(src: &Proj, dst: &Proj, crs: FinessCrs, x: f64, y: f64) -> Result<(f64, f64)> {
    if !x.is_finite() || !y.is_finite() {
        return Err(Error::Projection(format!("EPSG:{}: non-finite coordinates ({x}, {y})", crs.epsg())));
    }
    // proj4rs takes projected coordinates in metres and gives geographic ones in radians.
    let (lon, lat) = proj4rs::adaptors::transform_xy(src, dst, x, y)
        .map_err(|e| Error::Projection(format!("EPSG:{}: cannot convert ({x}, {y}): {e}", crs.epsg())))?;
    let (lon, lat) = (lon.to_degrees(), lat.to_degrees());
    if !lon.is_finite() || !lat.is_finite() {
        return Err(Error::Projection(format!("EPSG:{}: ({x}, {y}) has no geographic position", crs.epsg())));
    }
    Ok((lon, lat))
}

/// Converts projected coordinates of `crs` to WGS84 (lon, lat) in degrees.
pub fn to_wgs84(crs: FinessCrs, x: f64, y: f64) -> Result<(f64, f64)> {
    project(&crs_proj(crs)?, &wgs84_proj()?, crs, x, y)
}

/// Converts Lambert-93 (EPSG:2154) metres to WGS84 (lon, lat) in degrees.
pub fn lambert93_to_wgs84(x: f64, y: f64) -> Result<(f64, f64)> {
    to_wgs84(FinessCrs::Lambert93, x, y)
}

/// Builds the INSEE code from FINESS `departement` and `commune` (3-digit number inside the
/// département): `01` + `451` → `01451`, `2A` + `004` → `2A004`, and for overseas
/// départements `9A`…`9F` (971…976) `"97"` + `commune`, whose first digit must be the
/// département's (`9D` + `411` → `97411`).
pub fn finess_insee_code(departement: &str, commune: &str) -> Result<String, RejectReason> {
    let dep = departement.trim().to_ascii_uppercase();
    let com = commune.trim();
    if dep.is_empty() {
        return Err(RejectReason::MissingField { field: "departement".into() });
    }
    if com.is_empty() {
        return Err(RejectReason::MissingField { field: "commune".into() });
    }
    if com.len() > 3 || !com.bytes().all(|b| b.is_ascii_digit()) {
        return Err(RejectReason::InvalidValue {
            field: "commune".into(),
            value: com.into(),
            expected: "a 3-digit commune number".into(),
        });
    }
    let com = format!("{com:0>3}");
    let bad_dep = || RejectReason::InvalidValue {
        field: "departement".into(),
        value: dep.clone(),
        expected: "a département code (01-95, 2A, 2B, 9A-9F)".into(),
    };
    let overseas_digit = match dep.as_bytes() {
        [b'9', letter @ b'A'..=b'F'] => Some(char::from(b'1' + (letter - b'A'))),
        [b'9', b'7', d @ b'1'..=b'6'] => Some(char::from(*d)),
        _ => None,
    };
    if let Some(digit) = overseas_digit {
        if !com.starts_with(digit) {
            return Err(RejectReason::InvalidValue {
                field: "commune".into(),
                value: com,
                expected: format!("a commune number starting with {digit} in département {dep} (97{digit})"),
            });
        }
        return Ok(format!("97{com}"));
    }
    let metropolitan = match dep.as_bytes() {
        [b'2', b'A' | b'B'] => true,
        [a, b] => a.is_ascii_digit() && b.is_ascii_digit(),
        [a] => a.is_ascii_digit(),
        _ => false,
    };
    if !metropolitan {
        return Err(bad_dep());
    }
    Ok(format!("{dep:0>2}{com}"))
}

/// The finess format behind the [`Reader`] trait.
pub struct FinessReader;

impl Reader for FinessReader {
    type Record = FinessSite;
    type Options = FinessOptions;
    const KIND: &'static str = "finess";

    /// Parses the bytes of a FINESS file named `name` (used in the report, the errors and as
    /// `Site::source`).
    fn parse(name: &str, bytes: &[u8], registry: &CommuneRegistry, opts: &FinessOptions) -> Result<Imported<FinessSite>> {
        let (text, encoding) = text::decode(bytes);
        let mut report = ImportReport::new(name, "finess");
        report.note(match encoding {
            Encoding::Utf8 => "encoding: UTF-8",
            Encoding::Windows1252 => "encoding: Windows-1252 (not valid UTF-8)",
        });
        let mut reader =
            csv::ReaderBuilder::new().delimiter(b';').has_headers(false).flexible(true).from_reader(text.as_bytes());
        let lines = LineIndex::new(&text);
        let mut records = reader.records();
        let first = match records.next() {
            Some(rec) => Some(rec.map_err(|e| csv_error(name, &lines, &e))?),
            None => None,
        };
        let first_line = first.as_ref().map_or(1, |r| lines.record_line(r));
        let field = |r: &StringRecord, i: usize| r.get(i).unwrap_or("").trim().to_string();
        let layout = match &first {
            Some(r) if first_line == 1 && field(r, 0) == "finess" && field(r, 1) == "etalab" => Layout::A,
            Some(r) if first_line == 1 && field(r, 0).eq_ignore_ascii_case("nofinesset") => Layout::B(r.clone()),
            _ => {
                let shown: String = text.lines().next().unwrap_or("").chars().take(60).collect();
                return Err(Error::format(
                    name,
                    1,
                    "manifest",
                    format!(
                        "no FINESS manifest line: expected 'finess;etalab;<n>;<date>' (or a header \
                         starting 'nofinesset;nofinessej;'), found {shown:?}"
                    ),
                ));
            }
        };
        let mut last_line = 1;
        let rows = records.map(|rec| {
            let rec = rec.map_err(|e| csv_error(name, &lines, &e))?;
            let line = lines.record_line(&rec);
            last_line = line;
            Ok((line, rec))
        });
        let mut ctx = Context::new(name, registry, opts, report)?;
        match layout {
            Layout::A => {
                let manifest = first.as_ref().map(|r| r.iter().collect::<Vec<_>>().join(";")).unwrap_or_default();
                ctx.report.note(format!("layout A (etalab stock), manifest {manifest:?}"));
                ctx.read_layout_a(rows)?;
            }
            Layout::B(header) => {
                ctx.report.note("layout B (header line, coordinates inline)");
                ctx.read_layout_b(&header, rows)?;
            }
        }
        if !text.is_empty() && !text.ends_with('\n') {
            ctx.report.note(format!("the file does not end with a line break: line {last_line} may be cut"));
        }
        Ok(ctx.finish())
    }

    /// The file name alone: it becomes every site's `Site::source`.
    fn source_name(path: &Path) -> String {
        path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
    }
}

fn csv_error(name: &str, lines: &LineIndex, e: &csv::Error) -> Error {
    let line = e.position().map_or(0, |p| lines.line_at(p.byte()));
    Error::format(name, line, "", format!("unreadable CSV: {e}"))
}

/// Line numbers from byte offsets. The `csv` crate skips blank lines but gives the record
/// that follows them the position of the first blank line; this finds the real line.
struct LineIndex<'t> {
    text: &'t [u8],
    /// Byte offsets of the `\n`s.
    newlines: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    fn new(text: &'t str) -> Self {
        let text = text.as_bytes();
        let newlines = text.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i).collect();
        Self { text, newlines }
    }

    /// 1-based line of the first character at or after `byte` that is not a line break.
    fn line_at(&self, byte: u64) -> u64 {
        let mut at = usize::try_from(byte).unwrap_or(usize::MAX).min(self.text.len());
        while at < self.text.len() && matches!(self.text[at], b'\n' | b'\r') {
            at += 1;
        }
        self.newlines.partition_point(|&n| n < at) as u64 + 1
    }

    fn record_line(&self, rec: &StringRecord) -> u64 {
        rec.position().map_or(0, |p| self.line_at(p.byte()))
    }
}

enum Layout {
    A,
    B(StringRecord),
}

/// Coordinates given for one establishment.
enum Geo {
    Given { line: u64, x: String, y: String, source: String },
    Malformed { line: u64 },
}

/// Why an establishment gets no exact position, for the note.
#[derive(Default)]
struct Unplaced {
    no_geolocation: u64,
    empty: Vec<u64>,
    unsupported_crs: Vec<(u64, String)>,
    malformed: Vec<u64>,
}

impl Unplaced {
    fn total(&self) -> u64 {
        self.no_geolocation + (self.empty.len() + self.unsupported_crs.len() + self.malformed.len()) as u64
    }
}

/// What the coordinates of one establishment give.
enum Placed {
    Exact(Point<f64>),
    TownHall,
    Reject(u64, RejectReason),
}

struct Context<'a> {
    name: &'a str,
    registry: &'a CommuneRegistry,
    opts: &'a FinessOptions,
    report: ImportReport,
    records: Vec<FinessSite>,
    seen: HashSet<String>,
    wgs84: Proj,
    projs: HashMap<FinessCrs, Proj>,
    unplaced: Unplaced,
}

impl<'a> Context<'a> {
    fn new(
        name: &'a str,
        registry: &'a CommuneRegistry,
        opts: &'a FinessOptions,
        report: ImportReport,
    ) -> Result<Self> {
        Ok(Self {
            name,
            registry,
            opts,
            report,
            records: Vec::new(),
            seen: HashSet::new(),
            wgs84: wgs84_proj()?,
            projs: HashMap::new(),
            unplaced: Unplaced::default(),
        })
    }

    fn selected(&self, category: &str) -> bool {
        self.opts.categories.iter().any(|c| c.trim() == category)
    }

    fn read_layout_a(&mut self, rows: impl Iterator<Item = Result<(u64, StringRecord)>>) -> Result<()> {
        let mut geo: HashMap<String, Geo> = HashMap::new();
        let (mut geo_lines, mut geo_duplicates) = (0u64, 0u64);
        let mut selected = Vec::new();
        for row in rows {
            let (line, rec) = row?;
            let tag = rec.get(0).unwrap_or("").trim();
            match tag {
                "structureet" => {
                    self.report.rows_read += 1;
                    let n = rec.len();
                    let trailing_empty =
                        n == STRUCTUREET_FIELDS + 1 && rec.get(n - 1).is_some_and(|f| f.trim().is_empty());
                    if n != STRUCTUREET_FIELDS && !trailing_empty {
                        let detail = match STRUCTUREET.get(n) {
                            Some(first_missing) => format!("; fields from {first_missing:?} on are missing"),
                            None => "; too many fields (an unquoted ';' in a value?)".to_string(),
                        };
                        self.report.reject(
                            line,
                            RejectReason::InvalidValue {
                                field: "structureet".into(),
                                value: format!("{n} fields"),
                                expected: format!("{STRUCTUREET_FIELDS} fields, tag included{detail}"),
                            },
                        );
                        continue;
                    }
                    if !self.selected(rec.get(F_CATEGETAB).unwrap_or("").trim()) {
                        self.report.skip("establishment category not selected");
                        continue;
                    }
                    selected.push((line, rec));
                }
                "geolocalisation" => {
                    geo_lines += 1;
                    let id = rec.get(1).unwrap_or("").trim().to_string();
                    let entry = if rec.len() < 6 {
                        Geo::Malformed { line }
                    } else {
                        let source = rec.iter().skip(4).take(rec.len() - 5).collect::<Vec<_>>().join(";");
                        Geo::Given {
                            line,
                            x: rec.get(2).unwrap_or("").trim().to_string(),
                            y: rec.get(3).unwrap_or("").trim().to_string(),
                            source,
                        }
                    };
                    match geo.entry(id) {
                        Entry::Occupied(_) => geo_duplicates += 1,
                        Entry::Vacant(v) => {
                            v.insert(entry);
                        }
                    }
                }
                _ => {
                    self.report.rows_read += 1;
                    self.report.skip("line neither structureet nor geolocalisation");
                }
            }
        }
        if geo_lines == 0 {
            self.report.note("no geolocalisation lines (a cs1100502 extract?): no establishment has coordinates");
        } else {
            self.report.note(format!("{geo_lines} geolocalisation lines"));
        }
        if geo_duplicates > 0 {
            self.report
                .note(format!("{geo_duplicates} repeated geolocalisation lines ignored (the first one is used)"));
        }
        for (line, rec) in selected {
            let get = |i: usize| rec.get(i).unwrap_or("").trim();
            let id = get(F_ID);
            let code = match finess_insee_code(get(F_DEPARTEMENT), get(F_COMMUNE)) {
                Ok(code) => code,
                Err(reason) => {
                    self.report.reject(line, reason);
                    continue;
                }
            };
            let geo = geo.get(id);
            self.add(line, id, get(F_RSLONGUE), get(F_RS), get(F_CATEGETAB), &code, geo);
        }
        Ok(())
    }

    fn read_layout_b(
        &mut self,
        header: &StringRecord,
        rows: impl Iterator<Item = Result<(u64, StringRecord)>>,
    ) -> Result<()> {
        let col = |name: &str| header.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
        let required = |name: &str| {
            col(name).ok_or_else(|| Error::format(self.name, 1, name, format!("header has no column {name:?}")))
        };
        let (c_id, c_cat, c_cog) = (required("nofinesset")?, required("categetab")?, required("cog")?);
        let (c_rs, c_rsl) = (col("rs"), col("rslongue"));
        let (c_x, c_y, c_src) = (col("coordx"), col("coordy"), col("sourcegeocod"));
        if c_x.is_none() || c_y.is_none() {
            self.report.note("no coordx/coordy columns: no establishment has coordinates");
        }
        for row in rows {
            let (line, rec) = row?;
            self.report.rows_read += 1;
            if rec.len() != header.len() {
                self.report.reject(
                    line,
                    RejectReason::InvalidValue {
                        field: "row".into(),
                        value: format!("{} fields", rec.len()),
                        expected: format!("{} fields as in the header", header.len()),
                    },
                );
                continue;
            }
            let get = |i: Option<usize>| i.and_then(|i| rec.get(i)).unwrap_or("").trim();
            let category = get(Some(c_cat));
            if !self.selected(category) {
                self.report.skip("establishment category not selected");
                continue;
            }
            let geo = match (c_x, c_y) {
                (Some(_), Some(_)) => Some(Geo::Given {
                    line,
                    x: get(c_x).to_string(),
                    y: get(c_y).to_string(),
                    source: get(c_src).to_string(),
                }),
                _ => None,
            };
            let code = get(Some(c_cog)).to_string();
            self.add(line, get(Some(c_id)), get(c_rsl), get(c_rs), category, &code, geo.as_ref());
        }
        Ok(())
    }

    /// Builds the site of one selected establishment, or rejects it.
    #[allow(clippy::too_many_arguments)]
    fn add(&mut self, line: u64, id: &str, rslongue: &str, rs: &str, category: &str, code: &str, geo: Option<&Geo>) {
        if id.is_empty() {
            self.report.reject(line, RejectReason::MissingField { field: "nofinesset".into() });
            return;
        }
        if code.is_empty() {
            self.report.reject(line, RejectReason::MissingField { field: "commune".into() });
            return;
        }
        let name = if rslongue.is_empty() { rs } else { rslongue };
        if name.is_empty() {
            self.report.reject(line, RejectReason::MissingField { field: "rs".into() });
            return;
        }
        let commune = match self.registry.commune_for_code(code, self.opts.remap_merged) {
            Ok(c) => c,
            Err(reason) => {
                self.report.reject(line, reason);
                return;
            }
        };
        if self.seen.contains(id) {
            self.report.reject(
                line,
                RejectReason::Conflict { key: id.to_string(), detail: "nofinesset given by an earlier line".into() },
            );
            return;
        }
        let (location, quality, needs_town_hall) = match self.place(id, geo) {
            Placed::Exact(p) => (p, LocationQuality::Exact, false),
            Placed::TownHall => (Point::new(0.0, 0.0), LocationQuality::TownHall, true),
            Placed::Reject(at, reason) => {
                self.report.reject(at, reason);
                return;
            }
        };
        self.seen.insert(id.to_string());
        let kind = if category == MSP_CATEGORY { SiteKind::Msp } else { SiteKind::Other(category.to_string()) };
        self.records.push(FinessSite {
            site: Site {
                id: id.to_string(),
                name: name.to_string(),
                commune,
                location,
                location_quality: quality,
                kind,
                source: self.name.to_string(),
            },
            needs_town_hall,
            line,
        });
    }

    fn place(&mut self, id: &str, geo: Option<&Geo>) -> Placed {
        let (line, x, y, source) = match geo {
            None => {
                self.unplaced.no_geolocation += 1;
                return Placed::TownHall;
            }
            Some(Geo::Malformed { line }) => {
                self.unplaced.malformed.push(*line);
                return Placed::TownHall;
            }
            Some(Geo::Given { line, x, y, source }) => (*line, x, y, source),
        };
        if x.is_empty() || y.is_empty() {
            self.unplaced.empty.push(line);
            return Placed::TownHall;
        }
        let number = |s: &str| s.replace(',', ".").parse::<f64>().ok().filter(|v| v.is_finite());
        let (Some(xv), Some(yv)) = (number(x), number(y)) else {
            self.unplaced.malformed.push(line);
            return Placed::TownHall;
        };
        let Some(crs) = FinessCrs::from_source(source) else {
            self.unplaced.unsupported_crs.push((line, source.clone()));
            return Placed::TownHall;
        };
        let (lon_min, lon_max, lat_min, lat_max) = crs.plausible_bbox();
        let territory = if crs == FinessCrs::Lambert93 { "metropolitan France" } else { "its territory" };
        let out_of_area = |detail: String| {
            Placed::Reject(
                line,
                RejectReason::InvalidValue {
                    field: "coordxet;coordyet".into(),
                    value: format!("{x};{y}"),
                    expected: format!("an EPSG:{} point in {territory} for {id} ({detail})", crs.epsg()),
                },
            )
        };
        let src = match self.projs.get(&crs) {
            Some(p) => p,
            None => match crs_proj(crs) {
                Ok(p) => self.projs.entry(crs).or_insert(p),
                Err(e) => {
                    self.unplaced.unsupported_crs.push((line, format!("{source} ({e})")));
                    return Placed::TownHall;
                }
            },
        };
        match project(src, &self.wgs84, crs, xv, yv) {
            Ok((lon, lat)) if (lon_min..=lon_max).contains(&lon) && (lat_min..=lat_max).contains(&lat) => {
                Placed::Exact(Point::new(lon, lat))
            }
            Ok((lon, lat)) => out_of_area(format!("converts to lon {lon:.5}, lat {lat:.5}")),
            Err(e) => out_of_area(e.to_string()),
        }
    }

    fn finish(mut self) -> Imported<FinessSite> {
        let u = &self.unplaced;
        let total = u.total();
        if total > 0 {
            let mut parts = Vec::new();
            if u.no_geolocation > 0 {
                parts.push(format!("no geolocalisation line: {}", u.no_geolocation));
            }
            if let Some(first) = u.empty.first() {
                parts.push(format!("empty coordinates: {} (e.g. line {first})", u.empty.len()));
            }
            if let Some((first, source)) = u.unsupported_crs.first() {
                parts.push(format!(
                    "coordinate system not converted: {} (e.g. line {first}: {source:?})",
                    u.unsupported_crs.len()
                ));
            }
            if let Some(first) = u.malformed.first() {
                parts.push(format!("malformed coordinates: {} (e.g. line {first})", u.malformed.len()));
            }
            self.report.note(format!(
                "{total} establishments without usable coordinates, to be placed at their town hall ({})",
                parts.join("; ")
            ));
        }
        self.report.rows_used = self.records.len() as u64;
        Imported { records: self.records, report: self.report }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: (f64, f64), b: (f64, f64), tol: f64) -> bool {
        (a.0 - b.0).abs() <= tol && (a.1 - b.1).abs() <= tol
    }

    #[test]
    fn lambert93_origin_is_3e_46_5n() {
        let (lon, lat) = lambert93_to_wgs84(700_000.0, 6_600_000.0).unwrap();
        assert!((lon - 3.0).abs() < 1e-9 && (lat - 46.5).abs() < 1e-9, "{lon} {lat}");
    }

    #[test]
    fn lambert93_matches_reference_points() {
        // The format doc's fixture point (expected lon 5.20918, lat 46.22229); pyproj 3.7.2 /
        // PROJ 9.5.1 (EPSG:2154 -> EPSG:4326 from the EPSG database) gives 5.20918113, 46.22228572.
        let p = lambert93_to_wgs84(870_262.2, 6_571_540.8).unwrap();
        assert!(close(p, (5.20918, 46.22229), 1e-4), "{p:?}");
        assert!(close(p, (5.20918113, 46.22228572), 1e-7), "{p:?}");
        // Notre-Dame de Paris (lon 2.3499, lat 48.8530): projected to Lambert-93 with pyproj
        // 3.7.2 / PROJ 9.5.1 -> (652296.97, 6861636.36); rounded to 0.1 m and converted back by
        // pyproj: lon 2.34990036, lat 48.85300038.
        let p = lambert93_to_wgs84(652_297.0, 6_861_636.4).unwrap();
        assert!(close(p, (2.34990036, 48.85300038), 1e-7), "{p:?}");
        // The older doc line (2016 form, Ain): pyproj gives lon 5.35728531, lat 45.96116224.
        let p = lambert93_to_wgs84(882_538.9, 6_542_885.8).unwrap();
        assert!(close(p, (5.35728531, 45.96116224), 1e-7), "{p:?}");
    }

    #[test]
    fn overseas_utm_zones_match_pyproj() {
        // References: pyproj 3.7.2 / PROJ 9.5.1, EPSG:<code> -> EPSG:4326.
        let cases = [
            (FinessCrs::Rgaf09Utm20n, (657_242.9, 1_795_384.4), (-61.52873706, 16.23400433)),
            (FinessCrs::Rgfg95Utm22n, (353_000.0, 543_000.0), (-52.32577010, 4.91125323)),
            (FinessCrs::Rgr92Utm40s, (338_000.0, 7_690_000.0), (55.44259383, -20.88314469)),
            (FinessCrs::Rgm04Utm38s, (514_000.0, 8_587_000.0), (45.12899013, -12.78171415)),
            (FinessCrs::Rgspm06Utm21n, (561_000.0, 5_180_000.0), (-56.20104763, 46.77076084)),
        ];
        for (crs, (x, y), expected) in cases {
            let p = to_wgs84(crs, x, y).unwrap();
            assert!(close(p, expected, 1e-7), "{crs:?}: {p:?} vs {expected:?}");
            let (a, b, c, d) = crs.plausible_bbox();
            assert!((a..=b).contains(&p.0) && (c..=d).contains(&p.1), "{crs:?} bbox");
        }
    }

    #[test]
    fn crs_is_read_from_both_source_forms() {
        let recent = "1,ATLASANTE,96,BAN,EPSG:2154 RGF93 / Lambert-93 (Métropole)";
        assert_eq!(FinessCrs::from_source(recent), Some(FinessCrs::Lambert93));
        assert_eq!(
            FinessCrs::from_source("1;ATLASANTE;100;IGN;BD_ADRESSE;V2.1;LAMBERT_93"),
            Some(FinessCrs::Lambert93)
        );
        assert_eq!(
            FinessCrs::from_source("1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93"),
            Some(FinessCrs::Lambert93)
        );
        let antilles = "2,ATLASANTE,96,BAN,EPSG:5490 RGAF09/UTM Zone 20N (Antilles)";
        assert_eq!(FinessCrs::from_source(antilles), Some(FinessCrs::Rgaf09Utm20n));
        assert_eq!(FinessCrs::from_source("1,X,EPSG:27572 NTF (Paris) / Lambert zone II"), None);
        // An unknown EPSG code wins over a name.
        assert_eq!(FinessCrs::from_source("EPSG:21540 Lambert-93?"), None);
        assert_eq!(
            FinessCrs::from_source("1;ATLASANTE;100;IGN;BD_ADRESSE;V2.1;RGR92_UTM_40S"),
            Some(FinessCrs::Rgr92Utm40s)
        );
        assert_eq!(FinessCrs::from_source(""), None);
        assert_eq!(FinessCrs::from_source("LAMBERT_II_ETENDU"), None);
    }

    #[test]
    fn insee_codes_are_rebuilt_from_departement_and_commune() {
        assert_eq!(finess_insee_code("01", "451"), Ok("01451".into()));
        assert_eq!(finess_insee_code("03", "185"), Ok("03185".into()));
        assert_eq!(finess_insee_code("2A", "004"), Ok("2A004".into()));
        assert_eq!(finess_insee_code("9A", "123"), Ok("97123".into()));
        assert_eq!(finess_insee_code("9C", "302"), Ok("97302".into()));
        assert_eq!(finess_insee_code("9D", "411"), Ok("97411".into()));
        assert_eq!(finess_insee_code("9F", "606"), Ok("97606".into()));
        // Zero padding lost by a spreadsheet round trip.
        assert_eq!(finess_insee_code("3", "5"), Ok("03005".into()));
        // The commune number of an overseas département starts with its digit.
        assert!(matches!(finess_insee_code("9D", "123"), Err(RejectReason::InvalidValue { .. })));
        assert!(matches!(finess_insee_code("9J", "101"), Err(RejectReason::InvalidValue { .. })));
        assert!(matches!(finess_insee_code("03", "18A"), Err(RejectReason::InvalidValue { .. })));
        assert!(matches!(finess_insee_code("03", ""), Err(RejectReason::MissingField { .. })));
    }
}
