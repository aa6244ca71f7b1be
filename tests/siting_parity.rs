//! Site suggestion against PySAL `spopt`'s exact MCLP (CBC): on each fixture of
//! scripts/parity/mclp_fixtures.py, medatlas's selection covers at least 98 % of the weight of
//! spopt's optimal one (same inclusive `cost <= radius` rule, each point counted once).

use medatlas::analysis::siting::{CoverInstance, max_cover};
use serde_json::Value;

#[test]
fn coverage_is_at_least_98_percent_of_spopt_optimum_on_every_fixture() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mclp");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 6, "expected the fixtures of scripts/parity/mclp_fixtures.py");
    let mut worst = f64::INFINITY;
    for path in files {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let weights: Vec<f64> = v["demand"].as_array().unwrap().iter().map(|d| d["weight"].as_f64().unwrap()).collect();
        let cost: Vec<Vec<f64>> =
            v["cost"].as_array().unwrap().iter().map(|row| row.as_array().unwrap().iter().map(|c| c.as_f64().unwrap()).collect()).collect();
        let candidates: Vec<&str> = v["candidates"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        let p = v["p"].as_u64().unwrap() as usize;
        let instance = CoverInstance::from_dense(weights, &cost, v["service_radius"].as_f64().unwrap());
        let ours = max_cover(&instance, p, None);
        // Recount the weight of our selection independently of the solver's bookkeeping.
        let recount = instance.covered_weight(&ours.selected, &vec![false; cost.len()]);
        assert!((recount - ours.covered_weight).abs() <= 1e-9 * recount.max(1.0));
        let optimum = v["spopt"]["covered_weight"].as_f64().unwrap();
        // spopt's selection, recounted with our rule: the rules agree.
        let theirs: Vec<usize> = v["spopt"]["selected"].as_array().unwrap().iter().map(|s| candidates.iter().position(|c| c == &s.as_str().unwrap()).unwrap()).collect();
        let theirs_recount = instance.covered_weight(&theirs, &vec![false; cost.len()]);
        assert!((theirs_recount - optimum).abs() <= 1e-9 * optimum, "{}: spopt's selection covers {theirs_recount} by our rule, {optimum} by spopt's", path.display());
        let ratio = ours.covered_weight / optimum;
        eprintln!("{}: {:.4} of spopt's optimum ({} / {optimum})", path.file_name().unwrap().to_string_lossy(), ratio, ours.covered_weight);
        assert!(ratio >= 0.98, "{}: {ratio:.4} of the optimum", path.display());
        assert!(ratio <= 1.0 + 1e-9, "{}: above the optimum? {ratio}", path.display());
        worst = worst.min(ratio);
    }
    eprintln!("worst ratio {worst:.4}");
}

#[test]
fn the_cli_solves_a_covering_instance_given_as_csv() {
    // The hand-laid fixture, written as a user would give it: costs in long form, weights.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mclp/hand_8x5_p2.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut weights = String::from("id,weight\n");
    let mut costs = String::from("demand,candidate,cost\n");
    for (i, d) in v["demand"].as_array().unwrap().iter().enumerate() {
        weights.push_str(&format!("{},{}\n", d["id"].as_str().unwrap(), d["weight"]));
        for (j, c) in v["candidates"].as_array().unwrap().iter().enumerate() {
            costs.push_str(&format!("{},{},{}\n", d["id"].as_str().unwrap(), c.as_str().unwrap(), v["cost"][i][j]));
        }
    }
    std::fs::write(dir.path().join("w.csv"), weights).unwrap();
    std::fs::write(dir.path().join("c.csv"), costs).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_medatlas"))
        .args(["suggest", "--costs", "c.csv", "--weights", "w.csv", "--minutes"])
        .arg(v["service_radius"].to_string())
        .args(["-k", &v["p"].to_string()])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let optimum = v["spopt"]["covered_weight"].as_f64().unwrap();
    assert!(stdout.starts_with(&format!("covered weight {optimum}")), "{stdout}");
    let mut chosen: Vec<&str> = stdout.lines().skip(1).map(|l| l.split(' ').next().unwrap()).collect();
    chosen.sort();
    let mut expected: Vec<&str> = v["spopt"]["selected"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    expected.sort();
    assert_eq!(chosen, expected);
}
