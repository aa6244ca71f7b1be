//! Writes tiles to an MBTiles 1.3 file: SQLite with `metadata(name, value)` and
//! `tiles(zoom_level, tile_column, tile_row, tile_data)`, rows in the TMS scheme (y up) and
//! vector tiles gzipped, as the specification asks.
//!
//! Behind the cargo feature `mbtiles`, because it compiles SQLite from C (about a minute).

use super::{ArchiveInfo, TileSink};
use crate::tiles::TileError;
use crate::tiles::grid::TileCoord;
use rusqlite::{Connection, params};
use std::path::Path;

pub struct MbtilesSink {
    conn: Connection,
}

impl MbtilesSink {
    /// Creates the file (which must not exist yet), its tables and metadata, and opens the
    /// transaction the tiles go into.
    pub fn create(path: &Path, info: &ArchiveInfo) -> Result<Self, TileError> {
        let conn = Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA journal_mode = OFF;
             PRAGMA synchronous = OFF;
             CREATE TABLE metadata (name TEXT, value TEXT);
             CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
             BEGIN;",
        )?;
        let [west, south, east, north] = info.bounds;
        let json = serde_json::json!({ "vector_layers": info.metadata["vector_layers"] });
        let text = |key: &str| info.metadata[key].as_str().unwrap_or_default().to_string();
        let rows = [
            ("name", text("name")),
            ("format", "pbf".to_string()),
            ("type", "overlay".to_string()),
            ("description", text("description")),
            ("attribution", text("attribution")),
            ("version", text("version")),
            ("minzoom", info.minzoom.to_string()),
            ("maxzoom", info.maxzoom.to_string()),
            ("bounds", format!("{west},{south},{east},{north}")),
            ("center", format!("{},{},{}", info.center[0], info.center[1], info.center_zoom)),
            ("json", json.to_string()),
        ];
        for (name, value) in rows {
            conn.execute("INSERT INTO metadata (name, value) VALUES (?1, ?2)", params![name, value])?;
        }
        Ok(MbtilesSink { conn })
    }
}

impl TileSink for MbtilesSink {
    fn add(&mut self, tile: TileCoord, gzipped: &[u8]) -> Result<(), TileError> {
        let tms_row = (1i64 << tile.z) - 1 - i64::from(tile.y);
        self.conn
            .prepare_cached("INSERT INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![tile.z, tile.x, tms_row, gzipped])?;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), TileError> {
        // The index is built once, after the inserts: faster than maintaining it row by row.
        self.conn.execute_batch(
            "COMMIT;
             CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);
             ANALYZE;",
        )?;
        self.conn.close().map_err(|(_, e)| e)?;
        Ok(())
    }
}
