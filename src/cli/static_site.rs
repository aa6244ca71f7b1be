//! `medatlas tiles static --out DIR`: one folder that shows the atlas's maps with no medatlas
//! server, for a static host, an object store or a CDN (README, "Static hosting").
//!
//! The folder holds the page (`web/static/`), the viewer's dictionaries and legend code
//! (`web/i18n.js`, `web/i18n/`, `web/common.js`), MapLibre GL JS and the `pmtiles` protocol
//! (from `web/node_modules`, installed by scripts/setup-web.sh), the archive `atlas.pmtiles`
//! (every tile layer, written by the `tiles export` code or copied from `--archive`), and what
//! the server would have answered for this atlas: `meta.json` (`/api/meta`) and `styles/*.json`
//! (`/styles/{name}.json`, class breaks computed from the atlas), whose tile source is rewritten
//! to `pmtiles://atlas.pmtiles`. Those two are asked of the library's own router, in process,
//! so that the static maps are the served ones byte for byte but for the source URL; no socket
//! is opened. `site.json` says what the page may show: the archive, its layers and bounds, the
//! maps written.

use super::args::StaticArgs;
use anyhow::{Context, Result, bail};
use medatlas::atlas::Atlas;
use medatlas::server::{AppState, router};
use medatlas::tiles::{LayerId, TileSet, export};
use serde_json::{Value, json};
use std::io::Read;
use std::path::Path;

/// The archive's name in the folder; the styles name it relative to the page.
const ARCHIVE: &str = "atlas.pmtiles";

/// The maps of the static page, in the viewer's order (`web/viewer.js`): those that need only
/// the atlas. The what-if and projection maps need the server (a scenario, parameters); a map
/// whose style this medatlas does not have (e.g. EPCI maps of another version) is left out.
const MAPS: &[&str] = &["gp_density", "gp_density_5y", "near_retirement", "zoning", "apl", "apl_official", "epci_density", "epci_apl"];

/// Host given to the in-process router: its styles name their tiles `http://{HOST}/tiles/...`.
const HOST: &str = "medatlas-static.invalid";

/// Files copied from web/: (path under web/, path in the folder, strip a source map comment).
const ASSETS: &[(&str, &str, bool)] = &[
    ("static/index.html", "index.html", false),
    ("static/static.js", "static.js", false),
    ("static/static.css", "static.css", false),
    ("common.js", "common.js", false),
    ("i18n.js", "i18n.js", false),
    ("i18n/fr.js", "i18n/fr.js", false),
    ("i18n/en.js", "i18n/en.js", false),
    ("node_modules/maplibre-gl/dist/maplibre-gl.js", "maplibre-gl.js", true),
    ("node_modules/maplibre-gl/dist/maplibre-gl.css", "maplibre-gl.css", false),
    ("node_modules/pmtiles/dist/pmtiles.js", "pmtiles.js", true),
];

pub(crate) fn run(args: StaticArgs) -> Result<()> {
    // Checked before loading and exporting, which take a while.
    let web = medatlas::server::web::web_dir();
    for (from, _, _) in ASSETS {
        let path = web.join(from);
        if !path.is_file() {
            bail!("{} is missing: run scripts/setup-web.sh (or set MEDATLAS_WEB_DIR to the viewer's folder)", path.display());
        }
    }
    if let Some(archive) = &args.archive {
        archive_info(archive)?;
    } else if args.minzoom > args.maxzoom || args.maxzoom > medatlas::tiles::MAX_ZOOM {
        bail!("zooms must satisfy minzoom <= maxzoom <= {}", medatlas::tiles::MAX_ZOOM);
    }
    let out = &args.out;
    std::fs::create_dir_all(out.join("styles")).with_context(|| format!("creating {}", out.display()))?;
    std::fs::create_dir_all(out.join("i18n")).with_context(|| format!("creating {}", out.display()))?;

    let atlas = args.load.load()?;
    let archive = out.join(ARCHIVE);
    match &args.archive {
        Some(from) => {
            std::fs::copy(from, &archive).with_context(|| format!("copying {} to {}", from.display(), archive.display()))?;
            eprintln!("archive {} copied", from.display());
        }
        None => write_archive(&atlas, args.minzoom, args.maxzoom, &archive)?,
    }
    let info = archive_info(&archive)?;

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let (meta, styles) = runtime.block_on(served(atlas, &info.layers))?;
    write(&out.join("meta.json"), &serde_json::to_vec_pretty(&meta)?)?;
    let mut maps = Vec::new();
    for (name, style) in &styles {
        write(&out.join("styles").join(format!("{name}.json")), &serde_json::to_vec_pretty(style)?)?;
        maps.push(name.as_str());
    }
    let Some(&first) = maps.first() else { bail!("no map of {MAPS:?} can be drawn from the archive's layers {:?}", info.layers) };
    for (from, to, strip) in ASSETS {
        copy_asset(&web.join(from), &out.join(to), *strip)?;
    }
    let site = json!({
        "generator": concat!("medatlas ", env!("CARGO_PKG_VERSION")),
        "archive": ARCHIVE,
        "layers": info.layers,
        "bounds": info.bounds,
        "minzoom": info.minzoom,
        "maxzoom": info.maxzoom,
        "maps": maps,
        "default_map": first,
    });
    write(&out.join("site.json"), &serde_json::to_vec_pretty(&site)?)?;
    eprintln!(
        "static site written to {}: index.html, {} maps ({}), {ARCHIVE} ({} bytes, z{}–{}, layers {})",
        out.display(),
        maps.len(),
        maps.join(", "),
        info.bytes,
        info.minzoom,
        info.maxzoom,
        info.layers.join(",")
    );
    eprintln!("serve it with any static server that answers HTTP Range requests (206), e.g. upload the folder to an object store");
    Ok(())
}

/// Every layer to `path`, as `tiles export` writes it.
fn write_archive(atlas: &Atlas, minzoom: u8, maxzoom: u8, path: &Path) -> Result<()> {
    let started = std::time::Instant::now();
    let tileset = TileSet::build(atlas);
    eprintln!("tile set prepared in {:.2} s", started.elapsed().as_secs_f64());
    let options = export::ExportOptions { minzoom, maxzoom, layers: LayerId::ALL.to_vec(), format: export::ExportFormat::Pmtiles };
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("tiles [{bar:40}] {pos}/{len} ({per_sec}, {elapsed}, eta {eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    let summary = export::export(atlas, &tileset, &options, path, &progress)?;
    bar.finish_and_clear();
    eprintln!("{} tiles, {} bytes written to {} in {:.1} s", summary.tiles, summary.bytes, path.display(), summary.seconds);
    Ok(())
}

/// `/api/meta` and the maps' styles as the server answers them for this atlas, asked of its
/// router in process; each style's tile source becomes the archive, relative to the page.
async fn served(atlas: Atlas, layers: &[String]) -> Result<(Value, Vec<(String, Value)>)> {
    let state = AppState::new(atlas);
    let (status, meta) = get(&state, "/api/meta").await?;
    if status != 200 {
        bail!("/api/meta answered {status}: {meta}");
    }
    let mut styles = Vec::new();
    for name in MAPS {
        let (status, mut style) = get(&state, &format!("/styles/{name}.json")).await?;
        match status {
            200 => {}
            404 => continue,
            _ => bail!("the style {name} could not be made ({status}): {style}"),
        }
        match to_archive(&mut style, layers) {
            Ok(()) => styles.push((name.to_string(), style)),
            Err(why) => eprintln!("map {name} left out: {why}"),
        }
    }
    Ok((meta, styles))
}

/// One GET through the router: status and JSON body.
async fn get(state: &AppState, uri: &str) -> Result<(u16, Value)> {
    use tower::Service;
    let request = axum::http::Request::builder().uri(uri).header(axum::http::header::HOST, HOST).body(axum::body::Body::empty())?;
    let response = router(state.clone()).call(request).await.map_err(|e| anyhow::anyhow!("{uri}: {e}"))?;
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), 64 << 20).await.with_context(|| format!("reading {uri}"))?;
    let json = serde_json::from_slice(&body).with_context(|| format!("{uri} is not JSON"))?;
    Ok((status, json))
}

/// Points the style's tile sources at the archive (`pmtiles://atlas.pmtiles`); an error when
/// a source needs a layer the archive lacks or when anything else still names the server.
fn to_archive(style: &mut Value, layers: &[String]) -> Result<(), String> {
    let prefix = format!("http://{HOST}/tiles/");
    let sources = style.get_mut("sources").and_then(Value::as_object_mut).ok_or("no sources")?;
    for (id, source) in sources.iter_mut() {
        let Some(url) = source.get("url").and_then(Value::as_str) else { continue };
        let wanted = url.strip_prefix(&prefix).and_then(|u| u.strip_suffix(".json")).ok_or_else(|| format!("source {id} is {url}, not this server's tiles"))?;
        if let Some(missing) = wanted.split(',').find(|l| !layers.iter().any(|have| have == l)) {
            return Err(format!("source {id} needs the layer {missing:?}, not in the archive"));
        }
        source["url"] = json!(format!("pmtiles://{ARCHIVE}"));
    }
    let text = style.to_string();
    if text.contains(HOST) {
        return Err("the style names the server beyond its tile sources".into());
    }
    Ok(())
}

/// What `site.json` says of the archive, read from its PMTiles v3 header and metadata.
struct ArchiveInfo {
    bytes: u64,
    minzoom: u8,
    maxzoom: u8,
    bounds: [f64; 4],
    layers: Vec<String>,
}

/// Reads a PMTiles v3 archive's header (127 bytes) and metadata (`vector_layers`).
fn archive_info(path: &Path) -> Result<ArchiveInfo> {
    use std::io::{Seek, SeekFrom};
    let mut file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let bytes = file.metadata()?.len();
    let mut data = [0u8; 127];
    if bytes < 127 || file.read_exact(&mut data).is_err() || &data[..7] != b"PMTiles" || data[7] != 3 {
        bail!("{} is not a PMTiles v3 archive", path.display());
    }
    let u64_at = |at: usize| u64::from_le_bytes(data[at..at + 8].try_into().unwrap_or_default());
    let degrees = |at: usize| f64::from(i32::from_le_bytes(data[at..at + 4].try_into().unwrap_or_default())) / 1e7;
    let (offset, length) = (u64_at(24), u64_at(32));
    if offset.saturating_add(length) > bytes || length > 64 << 20 {
        bail!("{}: truncated metadata", path.display());
    }
    let mut raw = vec![0u8; length as usize];
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(&mut raw).with_context(|| format!("{}: reading the metadata", path.display()))?;
    let metadata: Value = match data[97] {
        1 => serde_json::from_slice(&raw)?,
        2 => {
            let mut text = Vec::new();
            flate2::read::GzDecoder::new(raw.as_slice()).read_to_end(&mut text).with_context(|| format!("{}: metadata", path.display()))?;
            serde_json::from_slice(&text)?
        }
        c => bail!("{}: metadata compression {c} is not read here (gzip or none)", path.display()),
    };
    if data[99] != 1 {
        bail!("{}: tiles are not vector tiles (MVT)", path.display());
    }
    let layers: Vec<String> = metadata["vector_layers"]
        .as_array()
        .map(|l| l.iter().filter_map(|l| l["id"].as_str().map(String::from)).collect())
        .unwrap_or_default();
    if layers.is_empty() {
        bail!("{}: the metadata lists no vector layer", path.display());
    }
    Ok(ArchiveInfo { bytes, minzoom: data[100], maxzoom: data[101], bounds: [degrees(102), degrees(106), degrees(110), degrees(114)], layers })
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// Copies a file of web/; scripts lose their `sourceMappingURL` comment (the maps are not
/// copied: a browser's developer tools would otherwise ask the host for them).
fn copy_asset(from: &Path, to: &Path, strip_source_map: bool) -> Result<()> {
    if !strip_source_map {
        std::fs::copy(from, to).with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
        return Ok(());
    }
    let text = std::fs::read_to_string(from).with_context(|| format!("reading {}", from.display()))?;
    let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with("//# sourceMappingURL=")).collect();
    write(to, (kept.join("\n") + "\n").as_bytes())
}
