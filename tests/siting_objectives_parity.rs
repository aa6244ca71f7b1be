//! Set covering and p-median against PySAL `spopt`'s exact optima (CBC), on every fixture of
//! scripts/parity/lscp_pmedian_fixtures.py: the same number of sites for LSCP (predefined
//! facilities are our existing sites: the points they cover need nothing, and spopt counts
//! them), the same weighted cost for p-median to 1e-9 relative (k = p − predefined), and the
//! uncoverable points spopt cannot solve listed as such.

use medatlas::analysis::siting::lscp::set_cover;
use medatlas::analysis::siting::median::{MedianInstance, p_median};
use medatlas::analysis::siting::CoverInstance;
use serde_json::Value;
use std::path::{Path, PathBuf};

struct Fixture {
    name: String,
    v: Value,
    weights: Vec<f64>,
    cost: Vec<Vec<f64>>,
    candidates: Vec<String>,
    predefined: Vec<usize>,
}

fn fixtures(dir: &str) -> Vec<Fixture> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let weights = v["demand"].as_array().unwrap().iter().map(|d| d["weight"].as_f64().unwrap()).collect();
            let cost = v["cost"].as_array().unwrap().iter().map(|r| r.as_array().unwrap().iter().map(|c| c.as_f64().unwrap()).collect()).collect();
            let candidates: Vec<String> = v["candidates"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
            let predefined = v["predefined"].as_array().unwrap().iter().map(|p| candidates.iter().position(|c| c == p.as_str().unwrap()).unwrap()).collect();
            Fixture { name: path.file_name().unwrap().to_string_lossy().into_owned(), v, weights, cost, candidates, predefined }
        })
        .collect()
}

/// The columns of `cost` that are not predefined, and the indices they had.
fn split(f: &Fixture) -> (Vec<Vec<f64>>, Vec<usize>) {
    let free: Vec<usize> = (0..f.candidates.len()).filter(|j| !f.predefined.contains(j)).collect();
    (f.cost.iter().map(|row| free.iter().map(|&j| row[j]).collect()).collect(), free)
}

#[test]
fn set_cover_needs_as_many_sites_as_spopt_on_every_fixture() {
    let all = fixtures("lscp");
    assert!(all.len() >= 6, "expected the fixtures of scripts/parity/lscp_pmedian_fixtures.py");
    for f in &all {
        let radius = f.v["service_radius"].as_f64().unwrap();
        let (cost, free) = split(f);
        let already: Vec<bool> = f.cost.iter().map(|row| f.predefined.iter().any(|&j| row[j] <= radius)).collect();
        let instance = CoverInstance::from_dense(f.weights.clone(), &cost, radius);
        let ours = set_cover(&instance, Some(&already)).unwrap();
        let expected = f.v["spopt"]["new_sites"].as_u64().unwrap() as usize;
        assert_eq!(ours.selected.len(), expected, "{}: {} sites, spopt {expected} (+ predefined)", f.name, ours.selected.len());
        assert_eq!(ours.selected.len() + f.predefined.len(), f.v["spopt"]["sites"].as_u64().unwrap() as usize);
        assert!(ours.optimality.exact, "{}: {:?}", f.name, ours.optimality);
        // The uncoverable points are spopt's (the rows it could not solve), by id.
        let uncoverable: Vec<String> = ours.uncoverable.iter().map(|&i| format!("d{i}")).collect();
        let theirs: Vec<&str> = f.v["uncoverable"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
        assert_eq!(uncoverable, theirs, "{}", f.name);
        // Our selection really covers every other point: recounted from the matrix.
        for (i, row) in f.cost.iter().enumerate() {
            let covered = already[i] || ours.selected.iter().any(|&c| row[free[c]] <= radius);
            assert_eq!(covered, !ours.uncoverable.contains(&i), "{}: point d{i}", f.name);
        }
        eprintln!("{}: {} sites, {}", f.name, ours.selected.len(), ours.optimality.method);
    }
}

#[test]
fn p_median_reaches_spopt_cost_on_every_fixture() {
    let all = fixtures("pmedian");
    assert!(all.len() >= 6, "expected the fixtures of scripts/parity/lscp_pmedian_fixtures.py");
    for f in &all {
        let (cost, free) = split(f);
        let existing: Vec<f64> = f.cost.iter().map(|row| f.predefined.iter().map(|&j| row[j]).fold(f64::INFINITY, f64::min)).collect();
        let instance = MedianInstance::new(f.weights.clone(), &cost).unwrap().with_existing(existing).unwrap();
        let k = f.v["p"].as_u64().unwrap() as usize - f.predefined.len();
        let ours = p_median(&instance, k).unwrap();
        let optimum = f.v["spopt"]["total_cost"].as_f64().unwrap();
        // Our cost recounted from the matrix, in demand order, with the predefined sites open.
        let open: Vec<usize> = f.predefined.iter().copied().chain(ours.selected.iter().map(|&c| free[c])).collect();
        let recount: f64 = f.cost.iter().zip(&f.weights).map(|(row, w)| w * open.iter().map(|&j| row[j]).fold(f64::INFINITY, f64::min)).sum();
        assert!((recount - ours.total_cost).abs() <= 1e-9 * recount.max(1.0), "{}: {recount} vs {}", f.name, ours.total_cost);
        assert!((ours.total_cost - optimum).abs() <= 1e-9 * optimum.max(1.0), "{}: {} vs spopt {optimum}", f.name, ours.total_cost);
        assert!(ours.optimality.exact, "{}: {:?}", f.name, ours.optimality);
        assert_eq!(ours.selected.len(), k);
        eprintln!("{}: {} (spopt {optimum}), {} nodes", f.name, ours.total_cost, ours.nodes);
    }
}

/// Writes a fixture as the CSV a user would give (`demand,candidate,cost` for every pair and
/// `id,weight`), runs `medatlas suggest --costs --weights` with `args`, returns stdout.
fn run_cli(f: &Fixture, args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut weights = String::from("id,weight\n");
    let mut costs = String::from("demand,candidate,cost\n");
    for (i, d) in f.v["demand"].as_array().unwrap().iter().enumerate() {
        weights.push_str(&format!("{},{}\n", d["id"].as_str().unwrap(), d["weight"]));
        for (j, c) in f.candidates.iter().enumerate() {
            costs.push_str(&format!("{},{c},{}\n", d["id"].as_str().unwrap(), f.v["cost"][i][j]));
        }
    }
    std::fs::write(dir.path().join("w.csv"), weights).unwrap();
    std::fs::write(dir.path().join("c.csv"), costs).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_medatlas"))
        .args(["suggest", "--costs", "c.csv", "--weights", "w.csv"])
        .args(args)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_cli_solves_set_cover_and_median_instances_given_as_csv() {
    let lscp = fixtures("lscp").into_iter().find(|f| f.name == "odd_cycle_7.json").unwrap();
    let radius = lscp.v["service_radius"].to_string();
    let out = run_cli(&lscp, &["--objective", "set-cover", "--minutes", &radius]);
    assert!(out.starts_with(&format!("sites {}\nexact true", lscp.v["spopt"]["sites"])), "{out}");

    let median = fixtures("pmedian").into_iter().find(|f| f.name == "hand_line_6_p2.json").unwrap();
    let out = run_cli(&median, &["--objective", "median", "-k", &median.v["p"].to_string()]);
    let total: f64 = out.lines().next().unwrap().strip_prefix("total cost ").unwrap().parse().unwrap();
    assert_eq!(total, median.v["spopt"]["total_cost"].as_f64().unwrap(), "{out}");
    assert!(out.lines().nth(1).unwrap().starts_with("exact true"), "{out}");
}
