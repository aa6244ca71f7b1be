//! `medatlas tiles export`: writes a tile pyramid to one PMTiles v3 archive (or MBTiles), for
//! static hosting without the server.
//!
//! The tiles are the server's: [`TileSet::render`] then [`compress::gzip`], so an archive tile
//! is byte for byte what `GET /tiles/{layers}/{z}/{x}/{y}.mvt` answers with
//! `Accept-Encoding: gzip`. Only tiles that can hold a feature are rendered (see
//! [`coverage`]); those that still come out empty are counted, not stored.
//!
//! Tiles are rendered in parallel, a chunk at a time, and written in PMTiles tile-id order, so
//! memory holds one chunk of compressed tiles, never a whole zoom.
//!
//! MBTiles (SQLite) is behind the cargo feature `mbtiles`, which compiles SQLite from C.

pub mod coverage;
#[cfg(feature = "mbtiles")]
mod mbtiles_sink;
mod pmtiles_sink;

use super::grid::TileCoord;
use super::{LayerId, MAX_ZOOM, TileError, TileSet, compress, tilejson};
use crate::atlas::Atlas;
use coverage::Coverage;
use rayon::prelude::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Instant;

type Result<T, E = TileError> = std::result::Result<T, E>;

/// The archive format of `tiles export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Pmtiles,
    /// Needs the cargo feature `mbtiles`.
    Mbtiles,
}

impl ExportFormat {
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Pmtiles => "pmtiles",
            ExportFormat::Mbtiles => "mbtiles",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub minzoom: u8,
    pub maxzoom: u8,
    /// Layers in the order each tile holds them (the order of the server's URL).
    pub layers: Vec<LayerId>,
    pub format: ExportFormat,
}

/// Size statistics of the tiles of one zoom (gzip-compressed bytes, as stored).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ZoomStats {
    pub z: u8,
    /// Non-empty tiles, written to the archive.
    pub tiles: u64,
    /// Candidate tiles that rendered empty (no feature after clipping), not written.
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
    /// Non-empty tiles written.
    pub tiles: u64,
    /// Candidate tiles that rendered empty.
    pub empty: u64,
    /// Size of the file written.
    pub bytes: u64,
    /// Sum of the compressed tile sizes (before the archive stores identical tiles once).
    pub tile_bytes: u64,
    pub seconds: f64,
    pub format: String,
    pub layers: Vec<String>,
    pub minzoom: u8,
    pub maxzoom: u8,
    pub zooms: Vec<ZoomStats>,
}

/// Tiles rendered in parallel between two writes: enough to keep every core busy despite
/// uneven tile costs, few enough that their compressed bytes stay small (a few MB).
const CHUNK_TILES: usize = 256;

/// What an archive says about itself, whatever its format.
struct ArchiveInfo {
    minzoom: u8,
    maxzoom: u8,
    /// [west, south, east, north], degrees.
    bounds: [f64; 4],
    center: [f64; 2],
    center_zoom: u8,
    /// TileJSON-like metadata: name, attribution, `vector_layers`, ...
    metadata: Value,
}

/// Where tiles go, in tile-id order; `finish` completes the file.
trait TileSink {
    fn add(&mut self, tile: TileCoord, gzipped: &[u8]) -> Result<()>;
    fn finish(self: Box<Self>) -> Result<()>;
}

/// Renders every non-empty tile from `minzoom` to `maxzoom` and writes the archive.
/// `progress(done, total)` is called as tiles complete (total: the candidate tiles).
///
/// The file is written beside `out` with the suffix `.partial` and renamed when complete, so a
/// failed or interrupted export never leaves a truncated archive under the name asked for.
pub fn export(atlas: &Atlas, tiles: &TileSet, options: &ExportOptions, out: &Path, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<ExportSummary> {
    let started = Instant::now();
    check(options)?;
    let info = archive_info(atlas, tiles, options);

    let coverage = Coverage::new(atlas, &options.layers);
    let mut candidates = Vec::new();
    for z in options.minzoom..=options.maxzoom {
        for t in coverage.tiles(z) {
            candidates.push((pmtiles_sink::tile_id(t)?, t));
        }
    }
    candidates.sort_unstable_by_key(|(id, _)| *id);
    let candidates: Vec<TileCoord> = candidates.into_iter().map(|(_, t)| t).collect();

    let partial = partial_path(out);
    let written = create_sink(options.format, &partial, &info).and_then(|mut sink| {
        let tally = render_into(tiles, &options.layers, &candidates, sink.as_mut(), progress)?;
        sink.finish()?;
        Ok(tally)
    });
    let tally = match written {
        Ok(t) => t,
        Err(e) => {
            // Best effort: the error that matters is the one being returned.
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, out).map_err(|e| TileError::io("renaming the finished archive to", out, e))?;

    let zooms: Vec<ZoomStats> = (options.minzoom..=options.maxzoom).map(|z| tally.stats(z)).collect();
    Ok(ExportSummary {
        tiles: zooms.iter().map(|z| z.tiles).sum(),
        empty: zooms.iter().map(|z| z.empty).sum(),
        bytes: std::fs::metadata(out).map_err(|e| TileError::io("reading", out, e))?.len(),
        tile_bytes: zooms.iter().map(|z| z.total_bytes).sum(),
        seconds: started.elapsed().as_secs_f64(),
        format: options.format.name().to_string(),
        layers: options.layers.iter().map(|l| l.name().to_string()).collect(),
        minzoom: options.minzoom,
        maxzoom: options.maxzoom,
        zooms,
    })
}

fn check(options: &ExportOptions) -> Result<()> {
    if options.minzoom > options.maxzoom || options.maxzoom > MAX_ZOOM {
        return Err(TileError::Options(format!("zooms must satisfy minzoom <= maxzoom <= {MAX_ZOOM} (got {} and {})", options.minzoom, options.maxzoom)));
    }
    if options.layers.is_empty() {
        return Err(TileError::Options("no layer to export".into()));
    }
    Ok(())
}

fn partial_path(out: &Path) -> PathBuf {
    let mut s = out.as_os_str().to_owned();
    s.push(".partial");
    PathBuf::from(s)
}

fn create_sink(format: ExportFormat, path: &Path, info: &ArchiveInfo) -> Result<Box<dyn TileSink>> {
    // A leftover from an interrupted run; SQLite would otherwise open it and add to it.
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(TileError::io("removing", path, e)),
        _ => {}
    }
    match format {
        ExportFormat::Pmtiles => Ok(Box::new(pmtiles_sink::PmtilesSink::create(path, info)?)),
        #[cfg(feature = "mbtiles")]
        ExportFormat::Mbtiles => Ok(Box::new(mbtiles_sink::MbtilesSink::create(path, info)?)),
        #[cfg(not(feature = "mbtiles"))]
        ExportFormat::Mbtiles => {
            Err(TileError::Options("this medatlas was built without MBTiles support (cargo feature `mbtiles`, which compiles SQLite); use --format pmtiles".into()))
        }
    }
}

/// The archive's header fields and metadata: the server's TileJSON for these layers, with the
/// archive's zoom range and no tile URL (the host that serves the file adds its own).
fn archive_info(atlas: &Atlas, tiles: &TileSet, options: &ExportOptions) -> ArchiveInfo {
    let bounds = tiles.bounds();
    let center = [(bounds[0] + bounds[2]) / 2.0, (bounds[1] + bounds[3]) / 2.0];
    let center_zoom = fit_zoom(bounds).clamp(options.minzoom, options.maxzoom);
    let mut metadata = tilejson::tilejson(atlas, &options.layers, "");
    if let Some(m) = metadata.as_object_mut() {
        m.remove("tiles");
        m.insert("format".into(), json!("pbf"));
        m.insert("type".into(), json!("overlay"));
        m.insert("generator".into(), json!(concat!("medatlas ", env!("CARGO_PKG_VERSION"))));
        m.insert("minzoom".into(), json!(options.minzoom));
        m.insert("maxzoom".into(), json!(options.maxzoom));
        m.insert("bounds".into(), json!(bounds));
        m.insert("center".into(), json!([center[0], center[1], center_zoom]));
        if let Some(Value::Array(layers)) = m.get_mut("vector_layers") {
            for l in layers.iter_mut().filter_map(Value::as_object_mut) {
                l.insert("minzoom".into(), json!(options.minzoom));
                l.insert("maxzoom".into(), json!(options.maxzoom));
            }
        }
    }
    ArchiveInfo { minzoom: options.minzoom, maxzoom: options.maxzoom, bounds, center, center_zoom, metadata }
}

/// The deepest zoom at which the bounds fit in two tiles each way (a window of ~1000 px).
fn fit_zoom(bounds: [f64; 4]) -> u8 {
    let a = super::grid::lonlat_to_world(bounds[0], bounds[3]);
    let b = super::grid::lonlat_to_world(bounds[2], bounds[1]);
    let span = (b[0] - a[0]).max(b[1] - a[1]).max(f64::MIN_POSITIVE);
    (2.0 / span).log2().floor().clamp(0.0, f64::from(MAX_ZOOM)) as u8
}

/// One tile as stored: gzip of the MVT, or empty when no layer has a feature there.
fn render_gzipped(tiles: &TileSet, tile: TileCoord, layers: &[LayerId]) -> Result<Vec<u8>> {
    let raw = tiles.render(tile, layers).map_err(|e| TileError::Render { z: tile.z, x: tile.x, y: tile.y, source: Box::new(e) })?;
    Ok(if raw.is_empty() { raw } else { compress::gzip(&raw) })
}

/// Renders `candidates` (in tile-id order) chunk by chunk in parallel and writes the
/// non-empty ones to `sink` in the same order.
fn render_into(tiles: &TileSet, layers: &[LayerId], candidates: &[TileCoord], sink: &mut dyn TileSink, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<Tally> {
    let total = candidates.len() as u64;
    let mut tally = Tally::default();
    let mut done = 0;
    progress(0, total);
    for chunk in candidates.chunks(CHUNK_TILES) {
        let rendered: Vec<Result<Vec<u8>>> = chunk.par_iter().map(|&t| render_gzipped(tiles, t, layers)).collect();
        for (&tile, gz) in chunk.iter().zip(rendered) {
            let gz = gz?;
            tally.record(tile, gz.len());
            if !gz.is_empty() {
                sink.add(tile, &gz)?;
            }
        }
        done += chunk.len() as u64;
        progress(done, total);
    }
    Ok(tally)
}

/// Compressed sizes seen so far, per zoom.
#[derive(Default)]
struct Tally {
    zooms: std::collections::BTreeMap<u8, ZoomTally>,
}

#[derive(Default)]
struct ZoomTally {
    sizes: Vec<u32>,
    empty: u64,
    largest: Option<(usize, TileCoord)>,
}

impl Tally {
    fn record(&mut self, tile: TileCoord, size: usize) {
        let z = self.zooms.entry(tile.z).or_default();
        if size == 0 {
            z.empty += 1;
            return;
        }
        z.sizes.push(u32::try_from(size).unwrap_or(u32::MAX));
        if z.largest.is_none_or(|(s, _)| size > s) {
            z.largest = Some((size, tile));
        }
    }

    fn stats(&self, z: u8) -> ZoomStats {
        let Some(t) = self.zooms.get(&z) else { return ZoomStats { z, ..ZoomStats::default() } };
        let mut sizes = t.sizes.clone();
        sizes.sort_unstable();
        ZoomStats {
            z,
            tiles: sizes.len() as u64,
            empty: t.empty,
            total_bytes: sizes.iter().map(|&s| u64::from(s)).sum(),
            p50_bytes: percentile(&sizes, 0.50),
            p90_bytes: percentile(&sizes, 0.90),
            p99_bytes: percentile(&sizes, 0.99),
            max_bytes: sizes.last().map_or(0, |&s| u64::from(s)),
            max_tile: t.largest.map(|(_, c)| format!("{}/{}/{}", c.z, c.x, c.y)).unwrap_or_default(),
        }
    }
}

/// Nearest-rank percentile of sorted values (0 when there are none).
fn percentile(sorted: &[u32], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    u64::from(sorted[rank.clamp(1, sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::io::Read;
    use std::sync::OnceLock;

    fn fixture() -> &'static (Atlas, TileSet) {
        static F: OnceLock<(Atlas, TileSet)> = OnceLock::new();
        F.get_or_init(|| {
            let atlas = Atlas::load_default().expect("the embedded default loads");
            let tiles = TileSet::build(&atlas);
            (atlas, tiles)
        })
    }

    fn options(minzoom: u8, maxzoom: u8, format: ExportFormat) -> ExportOptions {
        ExportOptions { minzoom, maxzoom, layers: LayerId::ALL.to_vec(), format }
    }

    fn gunzip(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(data).read_to_end(&mut out).expect("gzip");
        out
    }

    /// Just enough of a PMTiles v3 reader to check what the writer produced (the crate's reader
    /// is async and not enabled): the header fields, the metadata and every tile.
    struct Archive {
        bytes: Vec<u8>,
    }

    impl Archive {
        fn u64_at(&self, offset: usize) -> u64 {
            u64::from_le_bytes(self.bytes[offset..offset + 8].try_into().unwrap())
        }

        fn section(&self, offset_at: usize) -> &[u8] {
            let (offset, length) = (self.u64_at(offset_at) as usize, self.u64_at(offset_at + 8) as usize);
            &self.bytes[offset..offset + length]
        }

        fn metadata(&self) -> Value {
            serde_json::from_slice(&gunzip(self.section(24))).expect("metadata is JSON")
        }

        /// Every tile of the archive (runs expanded), by z/x/y; the tests' archives are small
        /// enough to need no leaf directory.
        fn tiles(&self) -> BTreeMap<(u8, u32, u32), Vec<u8>> {
            assert_eq!(self.u64_at(48), 0, "no leaf directories");
            let dir = gunzip(self.section(8));
            let mut pos = 0;
            let mut varint = || {
                let (mut v, mut shift) = (0u64, 0);
                loop {
                    let b = dir[pos];
                    pos += 1;
                    v |= u64::from(b & 0x7f) << shift;
                    if b < 0x80 {
                        return v;
                    }
                    shift += 7;
                }
            };
            let n = varint() as usize;
            let mut ids = Vec::with_capacity(n);
            let mut last = 0;
            for _ in 0..n {
                last += varint();
                ids.push(last);
            }
            let runs: Vec<u64> = (0..n).map(|_| varint()).collect();
            let lengths: Vec<u64> = (0..n).map(|_| varint()).collect();
            let mut offsets: Vec<u64> = Vec::with_capacity(n);
            for i in 0..n {
                let v = varint();
                offsets.push(if v == 0 && i > 0 { offsets[i - 1] + lengths[i - 1] } else { v.saturating_sub(1) });
            }
            let data_offset = self.u64_at(56) as usize;
            let mut out = BTreeMap::new();
            for i in 0..n {
                assert!(runs[i] > 0, "a tile entry, not a leaf pointer");
                let start = data_offset + offsets[i] as usize;
                let bytes = &self.bytes[start..start + lengths[i] as usize];
                for r in 0..runs[i] {
                    let c = pmtiles::TileCoord::from(pmtiles::TileId::new(ids[i] + r).unwrap());
                    out.insert((c.z(), c.x(), c.y()), bytes.to_vec());
                }
            }
            out
        }
    }

    /// Every non-empty tile of zooms `zooms`, found by rendering every tile over the bounds and
    /// one tile around them: what the export must contain, found without its coverage.
    fn brute_force(zooms: std::ops::RangeInclusive<u8>) -> BTreeMap<(u8, u32, u32), Vec<u8>> {
        let (_, tiles) = fixture();
        let b = tiles.bounds();
        let a = super::super::grid::lonlat_to_world(b[0], b[3]);
        let c = super::super::grid::lonlat_to_world(b[2], b[1]);
        let mut out = BTreeMap::new();
        for z in zooms {
            let n = 1u32 << z;
            let cell = |v: f64| ((v * f64::from(n)) as u32).min(n - 1);
            let xs = cell(a[0]).saturating_sub(1)..=(cell(c[0]) + 1).min(n - 1);
            let ys = cell(a[1]).saturating_sub(1)..=(cell(c[1]) + 1).min(n - 1);
            let all: Vec<TileCoord> = xs.flat_map(|x| ys.clone().map(move |y| TileCoord { z, x, y })).collect();
            let rendered: Vec<(TileCoord, Vec<u8>)> = all.par_iter().map(|&t| (t, render_gzipped(tiles, t, &LayerId::ALL).unwrap())).collect();
            out.extend(rendered.into_iter().filter(|(_, gz)| !gz.is_empty()).map(|(t, gz)| ((t.z, t.x, t.y), gz)));
        }
        out
    }

    #[test]
    fn archive_holds_every_non_empty_tile_with_the_server_bytes() {
        let (atlas, tiles) = fixture();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("default.pmtiles");
        let calls = std::sync::Mutex::new(Vec::new());
        let summary = export(atlas, tiles, &options(0, 9, ExportFormat::Pmtiles), &out, &|d, t| calls.lock().unwrap().push((d, t))).unwrap();

        let archive = Archive { bytes: std::fs::read(&out).unwrap() };
        assert!(!partial_path(&out).exists());
        assert_eq!(summary.bytes, archive.bytes.len() as u64);
        let expected = brute_force(0..=9);
        let stored = archive.tiles();
        let missing: Vec<_> = expected.keys().filter(|k| !stored.contains_key(k)).collect();
        assert!(missing.is_empty(), "non-empty tiles missing from the archive: {missing:?}");
        assert_eq!(stored.len(), expected.len(), "no tile beyond the non-empty ones");
        for (k, gz) in &expected {
            assert!(stored[k] == *gz, "tile {k:?} differs from the server's gzip bytes");
        }

        assert_eq!(summary.tiles, expected.len() as u64);
        assert_eq!(archive.u64_at(72), summary.tiles, "addressed tiles in the header");
        for z in &summary.zooms {
            assert_eq!(z.tiles, expected.keys().filter(|k| k.0 == z.z).count() as u64, "zoom {}", z.z);
            assert!(z.p50_bytes <= z.p90_bytes && z.p90_bytes <= z.p99_bytes && z.p99_bytes <= z.max_bytes);
            let max: Vec<u32> = z.max_tile.split('/').map(|v| v.parse().unwrap()).collect();
            assert_eq!(expected[&(max[0] as u8, max[1], max[2])].len() as u64, z.max_bytes);
        }
        assert_eq!(summary.zooms.iter().map(|z| z.z).collect::<Vec<_>>(), (0..=9).collect::<Vec<_>>());

        let calls = calls.into_inner().unwrap();
        let total = summary.tiles + summary.empty;
        assert_eq!(calls.first(), Some(&(0, total)));
        assert_eq!(calls.last(), Some(&(total, total)));
    }

    #[test]
    fn header_and_metadata_describe_the_archive() {
        let (atlas, tiles) = fixture();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("low.pmtiles");
        std::fs::write(&out, b"an older file is replaced").unwrap();
        let layers = vec![LayerId::Msp, LayerId::Communes];
        let opts = ExportOptions { layers: layers.clone(), ..options(2, 6, ExportFormat::Pmtiles) };
        export(atlas, tiles, &opts, &out, &|_, _| {}).unwrap();
        let a = Archive { bytes: std::fs::read(&out).unwrap() };

        assert_eq!(&a.bytes[..7], b"PMTiles");
        assert_eq!(a.bytes[7], 3, "version");
        assert_eq!(a.bytes[96], 1, "clustered: tiles in tile-id order");
        assert_eq!(a.bytes[97], 2, "internal compression gzip");
        assert_eq!(a.bytes[98], 2, "tile compression gzip");
        assert_eq!(a.bytes[99], 1, "tile type MVT");
        assert_eq!((a.bytes[100], a.bytes[101]), (2, 6), "zooms");
        let coord = |at: usize| f64::from(i32::from_le_bytes(a.bytes[at..at + 4].try_into().unwrap())) / 1e7;
        let b = tiles.bounds();
        for (i, at) in [102, 106, 110, 114].into_iter().enumerate() {
            assert!((coord(at) - b[i]).abs() < 1e-6, "bound {i}");
        }
        assert!((2..=6).contains(&a.bytes[118]), "center zoom");

        let m = a.metadata();
        let ids: Vec<&str> = m["vector_layers"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["msp", "communes"]);
        let communes = &m["vector_layers"][1];
        assert_eq!(communes["description"], LayerId::Communes.description());
        for (name, kind, _) in LayerId::Communes.fields() {
            assert_eq!(communes["fields"][name], kind, "field {name}");
        }
        assert_eq!((m["minzoom"].as_u64(), m["maxzoom"].as_u64()), (Some(2), Some(6)));
        assert!(m.get("tiles").is_none());
        let attribution = m["attribution"].as_str().unwrap();
        assert!(attribution.contains("SanteScope 2026") && attribution.contains("estimated"), "{attribution}");
        assert!(!attribution.to_lowercase().contains("synthetic"), "the embedded GP counts are real: {attribution}");

        // Each tile holds the layers in the order asked, like the server's URL.
        let t = a.tiles();
        assert!(!t.is_empty());
        for ((z, x, y), gz) in t {
            assert_eq!(gz, render_gzipped(tiles, TileCoord { z, x, y }, &layers).unwrap());
        }
    }

    #[test]
    fn bad_options_are_refused_before_writing() {
        let (atlas, tiles) = fixture();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("x.pmtiles");
        assert!(export(atlas, tiles, &options(5, 4, ExportFormat::Pmtiles), &out, &|_, _| {}).is_err());
        assert!(export(atlas, tiles, &options(0, MAX_ZOOM + 1, ExportFormat::Pmtiles), &out, &|_, _| {}).is_err());
        let none = ExportOptions { layers: vec![], ..options(0, 1, ExportFormat::Pmtiles) };
        assert!(export(atlas, tiles, &none, &out, &|_, _| {}).is_err());
        assert!(!out.exists() && !partial_path(&out).exists());
    }

    #[cfg(not(feature = "mbtiles"))]
    #[test]
    fn mbtiles_without_the_feature_is_a_clear_error() {
        let (atlas, tiles) = fixture();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("x.mbtiles");
        let e = export(atlas, tiles, &options(0, 1, ExportFormat::Mbtiles), &out, &|_, _| {}).unwrap_err();
        assert!(e.to_string().contains("--format pmtiles"), "{e}");
        assert!(!out.exists() && !partial_path(&out).exists());
    }

    #[cfg(feature = "mbtiles")]
    #[test]
    fn mbtiles_rows_are_tms_with_the_server_bytes() {
        let (atlas, tiles) = fixture();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("default.mbtiles");
        let summary = export(atlas, tiles, &options(0, 7, ExportFormat::Mbtiles), &out, &|_, _| {}).unwrap();
        let conn = rusqlite::Connection::open(&out).unwrap();
        let n: i64 = conn.query_row("SELECT count(*) FROM tiles", [], |r| r.get(0)).unwrap();
        assert_eq!(n as u64, summary.tiles);
        let meta = |k: &str| -> String { conn.query_row("SELECT value FROM metadata WHERE name = ?1", [k], |r| r.get(0)).unwrap() };
        assert_eq!(meta("format"), "pbf");
        assert_eq!((meta("minzoom").as_str(), meta("maxzoom").as_str()), ("0", "7"));
        let json: Value = serde_json::from_str(&meta("json")).unwrap();
        let ids: Vec<&str> = json["vector_layers"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["communes", "departements", "msp", "epci"]);
        // Montluçon's tile 7/64/45 (XYZ) is row 127 - 45 = 82 in TMS.
        let blob: Vec<u8> = conn
            .query_row("SELECT tile_data FROM tiles WHERE zoom_level = 7 AND tile_column = 64 AND tile_row = 82", [], |r| r.get(0))
            .unwrap();
        assert_eq!(blob, render_gzipped(tiles, TileCoord { z: 7, x: 64, y: 45 }, &LayerId::ALL).unwrap());
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!((percentile(&v, 0.5), percentile(&v, 0.9), percentile(&v, 0.99)), (50, 90, 99));
        assert_eq!(percentile(&[7], 0.5), 7);
        assert_eq!(percentile(&[], 0.5), 0);
    }
}
