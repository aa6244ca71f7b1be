//! One reader per source format. Each reader turns a file into records keyed by the INSEE code
//! of a current commune (resolved through [`CommuneRegistry`](crate::model::CommuneRegistry)),
//! plus an [`ImportReport`](report::ImportReport) that accounts for every row.
//!
//! Every per-commune reader implements [`Reader`]: its kind, its record type, how it parses
//! bytes; reading a file is written once there.
//!
//! Readers do not touch the atlas: the join (`crate::atlas::AtlasBuilder`) applies records.

pub mod age_pyramid;
pub mod ameli;
pub mod aids;
pub mod cover_instance;
pub mod datafrance;
pub mod drees_apl;
pub mod finess;
#[cfg(feature = "gdal")]
pub mod gdal;
pub mod generic_csv;
pub mod geojson_sites;
pub mod gp_activity;
pub mod reader;
pub mod rpps;
pub mod santescope;
pub mod sirene_naf86;
pub mod sites_csv;
pub mod synthetic;
pub mod text;
pub mod time_matrix;
pub mod wide_matrix;
pub mod zoning;

pub use reader::Reader;

use crate::model::{GpByMode, Site, Zoning};
use std::collections::BTreeMap;

/// Per-commune values read from a health source. Fields a source does not give stay `None`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommuneValues {
    /// INSEE code of the current commune the values count in.
    pub commune: String,
    /// Code as written in the source (an arrondissement or a former commune may differ from
    /// `commune`); two rows with the same source code are a conflict, two arrondissements of
    /// one city add up.
    pub source_code: String,
    /// 1-based line of the source row.
    pub line: u64,
    pub gp: Option<u32>,
    pub gp_near_retirement: Option<u32>,
    /// `gp` by mode of practice, when the source gives it (RPPS); must add up to `gp`.
    pub gp_by_mode: Option<GpByMode>,
    pub zoning: Option<Zoning>,
    /// The source says at least one MSP is in the commune (without a position).
    pub msp_present: Option<bool>,
    /// Any other numeric column, by its name in the source.
    pub extra: BTreeMap<String, f64>,
}

/// A site read from a source. When the source gives no usable position, `needs_town_hall` is
/// set and the join places the site at its commune's town hall (flagged `town_hall`).
#[derive(Debug, Clone)]
pub struct SiteRecord {
    pub site: Site,
    /// 1-based line (or feature index) in the source.
    pub line: u64,
    pub needs_town_hall: bool,
}
