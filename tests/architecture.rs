//! The layers of ARCHITECTURE.md, checked by reading the source: which top-level module of the
//! library may name which (`crate::x` paths in code, comments left out), and a few negatives
//! ("the library has no clap", "tiles knows no HTTP", "analysis does no I/O").
//!
//! Order, bottom first: error, model and index know nothing of the project; ingest knows the
//! model; atlas joins what ingest reads; analysis and tiles read an atlas; server serves them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each layer and the layers it may name.
const ALLOWED: &[(&str, &[&str])] = &[
    ("error", &[]),
    ("model", &[]),
    ("index", &[]),
    ("ingest", &["error", "model", "index"]),
    ("routing", &["error", "model", "index"]),
    ("atlas", &["error", "model", "index", "ingest"]),
    ("analysis", &["error", "model", "index", "ingest", "atlas"]),
    ("tiles", &["error", "model", "index", "atlas", "analysis"]),
    ("server", &["error", "model", "index", "ingest", "atlas", "analysis", "tiles", "routing"]),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of src/ belongs to (`src/atlas/build.rs` → `atlas`,
/// `src/index.rs` → `index`); `None` for the crate root and the binary (`main.rs` and its
/// own modules under `src/cli/`).
fn layer_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main" | "cli")).then(|| name.to_string())
}

/// The code of a file without its comments (line and doc comments; strings are kept, which
/// errs on the side of reporting) and without its unit tests (from `#[cfg(test)]` on: a test
/// may write a fixture file or build an atlas).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim() != "#[cfg(test)]")
        .map(|(i, l)| (i + 1, l.split("//").next().unwrap_or("")))
        .filter(|(_, l)| !l.trim().is_empty())
}

/// The top-level modules a line names through `crate::`, including `use crate::{a, b::c}`.
fn named_layers(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in line.match_indices("crate::") {
        let rest = &line[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = group.split('}').next().unwrap_or("");
            out.extend(group.split(',').filter_map(|p| p.trim().split("::").next()).filter(|s| !s.is_empty()).map(String::from));
        } else {
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
    }
    out
}

fn sources() -> (PathBuf, Vec<PathBuf>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    (src, files)
}

#[test]
fn no_layer_names_a_layer_above_it() {
    let allowed: BTreeMap<&str, BTreeSet<&str>> = ALLOWED.iter().map(|(l, a)| (*l, a.iter().copied().collect())).collect();
    let (src, files) = sources();
    let mut violations = Vec::new();
    let mut seen_layers = BTreeSet::new();
    for file in &files {
        let Some(layer) = layer_of(&src, file) else { continue };
        seen_layers.insert(layer.clone());
        let Some(may) = allowed.get(layer.as_str()) else {
            violations.push(format!("{}: layer `{layer}` is not in ARCHITECTURE's list (tests/architecture.rs ALLOWED)", file.display()));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("source is UTF-8");
        for (n, line) in code_lines(&text) {
            for named in named_layers(line) {
                if named != layer && !may.contains(named.as_str()) {
                    violations.push(format!("{}:{n}: `{layer}` names `crate::{named}`: {}", file.display(), line.trim()));
                }
            }
        }
    }
    assert!(seen_layers.len() >= 8, "the scan found too few layers ({seen_layers:?}): is it reading src/?");
    assert!(violations.is_empty(), "imports running up the layers:\n{}", violations.join("\n"));
}

/// Files of src/ (outside the paths starting with one of `except`) whose code contains any of
/// `needles`.
fn files_containing(dirs: &[&str], needles: &[&str], except: &[&str]) -> Vec<String> {
    let (src, files) = sources();
    let mut found = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
        if !dirs.iter().any(|d| rel.starts_with(d)) || except.iter().any(|e| rel.starts_with(e)) {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("source is UTF-8");
        for (n, line) in code_lines(&text) {
            if needles.iter().any(|needle| line.contains(needle)) {
                found.push(format!("src/{rel}:{n}: {}", line.trim()));
            }
        }
    }
    found
}

#[test]
fn the_library_has_no_clap_and_no_anyhow() {
    let found = files_containing(&[""], &["clap::", "anyhow"], &["main.rs", "cli/"]);
    assert!(found.is_empty(), "clap and anyhow belong to the binary (main.rs, src/cli/) only:\n{}", found.join("\n"));
}

#[test]
fn tiles_and_analysis_know_no_http() {
    let found = files_containing(&["tiles", "analysis"], &["axum", "http::", "tower"], &[]);
    assert!(found.is_empty(), "tiles/ and analysis/ know no HTTP:\n{}", found.join("\n"));
}

#[test]
fn analysis_does_no_io() {
    let found = files_containing(&["analysis"], &["std::fs", "std::net", "File::", "std::process"], &[]);
    assert!(found.is_empty(), "analysis/ is pure:\n{}", found.join("\n"));
}

#[test]
fn the_binary_stays_a_dispatcher() {
    // main.rs parses (src/cli/args.rs), calls the library and prints (src/cli/report.rs).
    let main = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/main.rs")).expect("main.rs");
    let lines = main.lines().count();
    assert!(lines < 400, "src/main.rs has {lines} lines: move argument definitions or printing into src/cli/");
    for io in ["csv::", "serde_json::to_writer", "File::create", "std::fs::read("] {
        assert!(!main.contains(io), "src/main.rs reads or writes a data file itself ({io}): that belongs to the library");
    }
}

#[test]
fn the_scan_sees_a_planted_violation() {
    // The parser itself: a line naming a higher layer is found, comments are not.
    assert_eq!(named_layers("use crate::server::AppState;"), vec!["server"]);
    assert_eq!(named_layers("use crate::{atlas::Atlas, model::Site};"), vec!["atlas", "model"]);
    assert_eq!(named_layers("let x = crate::analysis::apl::apl(a);"), vec!["analysis"]);
    let lines: Vec<_> = code_lines("// use crate::server;\nuse crate::model; // crate::tiles\n#[cfg(test)]\nuse crate::server;\n").collect();
    assert_eq!(lines, vec![(2, "use crate::model; ")]);
}
