//! Errors of tile rendering and of the tile archives (PMTiles, MBTiles, GeoJSON export).

use std::path::PathBuf;

/// Why a tile, an archive or an export could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TileError {
    /// The MVT encoder refused a geometry or a layer.
    #[error("encoding a vector tile: {0}")]
    Mvt(#[from] mvt::Error),
    /// A tile failed to render (which one, and why).
    #[error("rendering tile {z}/{x}/{y}: {source}")]
    Render { z: u8, x: u32, y: u32, source: Box<TileError> },
    /// Reading or writing a file.
    #[error("{action} {path}: {source}")]
    Io { action: &'static str, path: PathBuf, source: std::io::Error },
    /// Writing to a stream (a GeoJSON export to standard output).
    #[error("writing: {0}")]
    Write(#[from] std::io::Error),
    /// A feature that could not be serialised as JSON.
    #[error("writing a GeoJSON feature: {0}")]
    Json(#[from] serde_json::Error),
    /// The PMTiles writer failed.
    #[error("writing the PMTiles archive: {0}")]
    Pmtiles(#[from] pmtiles::PmtError),
    /// The MBTiles (SQLite) writer failed.
    #[cfg(feature = "mbtiles")]
    #[error("writing the MBTiles archive: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Export options that cannot work (zooms, layers, a format this build lacks).
    #[error("{0}")]
    Options(String),
    /// The rendering task was cancelled or panicked (server side).
    #[error("tile rendering stopped: {0}")]
    Stopped(String),
}

impl TileError {
    /// An I/O error with what was being done to which file.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TileError::Io { action, path: path.into(), source }
    }
}
