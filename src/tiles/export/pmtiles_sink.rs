//! Writes tiles to a PMTiles v3 archive (one file, read with HTTP range requests).

use super::{ArchiveInfo, TileSink};
use crate::tiles::TileError;
use crate::tiles::grid::TileCoord;
use pmtiles::{Compression, PmTilesStreamWriter, PmTilesWriter, TileType};
use std::fs::File;
use std::path::Path;

/// An archive being written. Tiles must come in PMTiles tile-id order (zoom, then Hilbert
/// curve): the writer then marks the archive clustered, and readers fetch neighbouring
/// tiles with fewer range requests.
pub struct PmtilesSink {
    writer: PmTilesStreamWriter<File>,
}

impl PmtilesSink {
    pub fn create(path: &Path, info: &ArchiveInfo) -> Result<Self, TileError> {
        let file = File::create(path).map_err(|e| TileError::io("creating", path, e))?;
        let [west, south, east, north] = info.bounds;
        let writer = PmTilesWriter::new(TileType::Mvt)
            // Tiles arrive gzipped by `compress::gzip`, byte for byte what the server sends.
            .precompressed(Compression::Gzip)
            .internal_compression(Compression::Gzip)
            .min_zoom(info.minzoom)
            .max_zoom(info.maxzoom)
            .bounds(west, south, east, north)
            .center(info.center[0], info.center[1])
            .center_zoom(info.center_zoom)
            .metadata(info.metadata.to_string())
            .create(file)?;
        Ok(PmtilesSink { writer })
    }
}

impl TileSink for PmtilesSink {
    fn add(&mut self, tile: TileCoord, gzipped: &[u8]) -> Result<(), TileError> {
        let coord = pmtiles::TileCoord::new(tile.z, tile.x, tile.y)?;
        // Identical tiles (e.g. deep inside one commune) are stored once: the writer hashes them.
        self.writer.add_tile(coord, gzipped)?;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), TileError> {
        self.writer.finalize()?;
        Ok(())
    }
}

/// The PMTiles tile id of a tile: the order the archive wants its tiles in.
pub fn tile_id(tile: TileCoord) -> Result<u64, TileError> {
    Ok(pmtiles::TileId::from(pmtiles::TileCoord::new(tile.z, tile.x, tile.y)?).value())
}
