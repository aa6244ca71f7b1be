//! `medatlas tiles export`: writes a tile pyramid to one PMTiles v3 archive (or MBTiles).
//! (Being written: see the tiles issue.)

use super::{LayerId, TileSet};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Pmtiles,
    Mbtiles,
}

#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub minzoom: u8,
    pub maxzoom: u8,
    pub layers: Vec<LayerId>,
    pub format: ExportFormat,
}

/// Size statistics of the tiles of one zoom (gzip-compressed bytes, as stored).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ZoomStats {
    pub z: u8,
    pub tiles: u64,
    pub empty: u64,
    pub total_bytes: u64,
    pub p50_bytes: u64,
    pub p90_bytes: u64,
    pub p99_bytes: u64,
    pub max_bytes: u64,
    /// The largest tile, "z/x/y".
    pub max_tile: String,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ExportSummary {
    pub tiles: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub zooms: Vec<ZoomStats>,
}

/// Renders every non-empty tile from `minzoom` to `maxzoom` and writes the archive.
/// `progress(done, total)` is called as tiles complete.
pub fn export(_tiles: &TileSet, _options: &ExportOptions, _out: &Path, _progress: &(dyn Fn(u64, u64) + Sync)) -> anyhow::Result<ExportSummary> {
    anyhow::bail!("tile export is not written yet")
}
