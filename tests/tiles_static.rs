//! `medatlas tiles static`: the folder it writes for the embedded default — the page's files,
//! the archive, `site.json`, `meta.json` and the styles pointed at the archive — checked against
//! stub web assets (the real page is driven in Chromium by scripts/test-static.sh); `--archive`
//! reuses an export; a missing asset or a file that is no archive is refused before any work.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The files `tiles static` copies from the viewer's folder.
const ASSETS: &[&str] = &[
    "static/index.html",
    "static/static.js",
    "static/static.css",
    "common.js",
    "i18n.js",
    "i18n/fr.js",
    "i18n/en.js",
    "node_modules/maplibre-gl/dist/maplibre-gl.js",
    "node_modules/maplibre-gl/dist/maplibre-gl.css",
    "node_modules/pmtiles/dist/pmtiles.js",
];

/// A stand-in for web/ (node_modules is not in the repository): each file names itself, and
/// the scripts end with a source-map comment the command must drop.
fn stub_web(dir: &Path) -> PathBuf {
    let web = dir.join("web");
    for file in ASSETS {
        let path = web.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let map = if file.ends_with(".js") && file.starts_with("node_modules") { "\n//# sourceMappingURL=x.js.map\n" } else { "\n" };
        std::fs::write(&path, format!("stub {file}{map}")).unwrap();
    }
    web
}

fn medatlas(web: &Path, args: &[&str]) -> Output {
    let styles = Path::new(env!("CARGO_MANIFEST_DIR")).join("styles");
    Command::new(env!("CARGO_BIN_EXE_medatlas"))
        .args(args)
        .env("MEDATLAS_WEB_DIR", web)
        .env("MEDATLAS_STYLES_DIR", styles)
        .env("RUST_LOG", "error")
        .output()
        .expect("medatlas runs")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

#[test]
fn the_folder_holds_the_page_the_archive_and_styles_that_read_it() {
    let tmp = tempfile::tempdir().unwrap();
    let web = stub_web(tmp.path());
    let site = tmp.path().join("site");
    let out = medatlas(&web, &["tiles", "static", "--out", site.to_str().unwrap(), "--maxzoom", "6"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    for (copied, from) in [("index.html", "static/index.html"), ("static.js", "static/static.js"), ("i18n/fr.js", "i18n/fr.js"), ("common.js", "common.js")] {
        assert_eq!(std::fs::read_to_string(site.join(copied)).unwrap(), format!("stub {from}\n"));
    }
    let pmtiles = std::fs::read_to_string(site.join("pmtiles.js")).unwrap();
    assert_eq!(pmtiles, "stub node_modules/pmtiles/dist/pmtiles.js\n", "the source-map comment is dropped");
    assert!(site.join("maplibre-gl.js").is_file() && site.join("maplibre-gl.css").is_file());

    let archive = std::fs::read(site.join("atlas.pmtiles")).unwrap();
    assert_eq!(&archive[..7], b"PMTiles");
    assert_eq!((archive[100], archive[101]), (0, 6), "zooms");

    let s = read_json(&site.join("site.json"));
    assert_eq!(s["archive"], "atlas.pmtiles");
    assert_eq!(s["layers"], serde_json::json!(["communes", "departements", "msp", "epci"]));
    assert_eq!((s["minzoom"].as_u64(), s["maxzoom"].as_u64()), (Some(0), Some(6)));
    let b: Vec<f64> = s["bounds"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert!(b[0] < 2.6 && b[2] > 2.6 && b[1] < 46.34 && b[3] > 46.34, "Montluçon within {b:?}");
    let maps: Vec<&str> = s["maps"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    for name in ["gp_density", "gp_density_5y", "near_retirement", "zoning", "apl", "apl_official", "epci_density", "epci_apl"] {
        assert!(maps.contains(&name), "{name} in {maps:?}");
    }
    assert!(!maps.contains(&"apl_change") && !maps.contains(&"apl_projection"), "server-only maps: {maps:?}");
    assert_eq!(s["default_map"], maps[0]);

    let meta = read_json(&site.join("meta.json"));
    assert_eq!(meta["communes"], 1283);
    assert_eq!(meta["synthetic_gp"], false);
    assert!(meta["sources"].as_array().unwrap().iter().any(|s| s["name"].as_str().unwrap().contains("SanteScope")));

    for name in maps {
        let text = std::fs::read_to_string(site.join("styles").join(format!("{name}.json"))).unwrap();
        assert!(!text.contains("http") && !text.contains("{origin}") && !text.contains("{travel_times}"), "{name}: {text}");
        let style: Value = serde_json::from_str(&text).unwrap();
        for source in style["sources"].as_object().unwrap().values() {
            assert_eq!(source["url"], "pmtiles://atlas.pmtiles", "{name}");
        }
        assert!(style["metadata"]["medatlas:legend"]["source"].is_string(), "{name} has its legend");
    }
    // The classes computed from the atlas, as the server's style gives them.
    let gp = read_json(&site.join("styles/gp_density.json"));
    let breaks = gp["metadata"]["medatlas:legend"]["breaks"].as_array().unwrap();
    assert!(breaks.len() >= 3 && gp["metadata"]["medatlas:legend"]["counts"].is_array(), "{gp}");
}

#[test]
fn an_exported_archive_is_reused_and_bad_inputs_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let web = stub_web(tmp.path());
    let archive = tmp.path().join("low.pmtiles");
    let out = medatlas(&web, &["tiles", "export", "--out", archive.to_str().unwrap(), "--maxzoom", "3"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let site = tmp.path().join("site");
    let out = medatlas(&web, &["tiles", "static", "--out", site.to_str().unwrap(), "--archive", archive.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(site.join("atlas.pmtiles")).unwrap(), std::fs::read(&archive).unwrap());
    assert_eq!(read_json(&site.join("site.json"))["maxzoom"], 3);

    // An archive without the layers the maps draw: no map can be written.
    let msp = tmp.path().join("msp.pmtiles");
    assert!(medatlas(&web, &["tiles", "export", "--out", msp.to_str().unwrap(), "--maxzoom", "2", "--layers", "msp"]).status.success());
    let out = medatlas(&web, &["tiles", "static", "--out", tmp.path().join("m").to_str().unwrap(), "--archive", msp.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no map"), "{}", String::from_utf8_lossy(&out.stderr));

    // Not an archive.
    let bad = tmp.path().join("bad.pmtiles");
    std::fs::write(&bad, b"not an archive at all, but long enough to hold a header of one hundred and twenty-seven bytes: padding padding padding").unwrap();
    let out = medatlas(&web, &["tiles", "static", "--out", tmp.path().join("b").to_str().unwrap(), "--archive", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a PMTiles v3 archive"), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!tmp.path().join("b").exists(), "refused before writing");

    // The viewer's files missing: says how to install them, before any work.
    std::fs::remove_file(web.join("node_modules/pmtiles/dist/pmtiles.js")).unwrap();
    let out = medatlas(&web, &["tiles", "static", "--out", tmp.path().join("c").to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pmtiles.js") && err.contains("scripts/setup-web.sh"), "{err}");
    assert!(!tmp.path().join("c").exists());
}
