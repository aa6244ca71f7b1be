//! Class breaks against PySAL `mapclassify` 2.10.0 on every case of the fixtures written by
//! scripts/parity/classify_fixtures.py (tests/fixtures/classify/*.json; the script's header
//! states mapclassify's conventions).
//!
//! - Quantiles: our `upper` equals mapclassify's `bins` to 1e-9 relative (in practice bit for
//!   bit) and our `counts` its `counts`, after leaving out the classes mapclassify leaves empty
//!   (count 0), which medatlas drops.
//! - Fisher-Jenks, where mapclassify reached the optimum and the optimum is unique
//!   (`mapclassify_optimal` and `optimum_unique`, established by the script with exact
//!   arithmetic): the same bins (1e-9 relative) and counts.
//! - Fisher-Jenks where the optimum is tied (several partitions within 1e-9 × the data's total
//!   sum of squares of the best, `optimum_unique: false`) or mapclassify's float32 missed it:
//!   our within-class SSE equals the exact optimum `optimum_sse`, and is no more than
//!   mapclassify's `tss`, to 1e-9 × the total sum of squares (the scale of the problem: an
//!   optimum SSE can itself be ~1e-12). We say whether the bins happen to match too.
//! - Fisher-Jenks where mapclassify raises (fewer distinct values than k): one class per
//!   distinct value.

use medatlas::analysis::classify::{ClassMethod, Classes, classify};
use serde_json::Value;

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number")).collect()
}

fn usizes(v: &Value) -> Vec<usize> {
    v.as_array().expect("array").iter().map(|x| x.as_u64().expect("count") as usize).collect()
}

/// Largest relative difference between two lists of bounds of the same length.
fn rel_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
    a.iter().zip(b).map(|(x, y)| (x - y).abs() / x.abs().max(y.abs()).max(f64::MIN_POSITIVE)).fold(0.0, f64::max)
}

/// Sum of squared deviations from the mean of all values (one class).
fn total_ss(values: &[f64]) -> f64 {
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    values.iter().map(|v| (v - mean) * (v - mean)).sum()
}

#[test]
fn every_fixture_case_matches_mapclassify() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/classify");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 6, "expected the fixtures of scripts/parity/classify_fixtures.py in {}", dir.display());
    let (mut cases, mut exact, mut by_sse, mut raised) = (0, 0, 0, 0);
    let mut worst_bins = 0.0f64;
    let mut worst_sse = 0.0f64;
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(v["mapclassify_version"], "2.10.0", "{name}");
        let values = floats(&v["values"]);
        assert_eq!(values.len() as u64, v["n"].as_u64().unwrap());
        let tss = total_ss(&values);
        for case in v["cases"].as_array().unwrap() {
            cases += 1;
            let k = case["k"].as_u64().unwrap() as usize;
            let method = case["method"].as_str().unwrap();
            let label = format!("{name} {method} k={k}");
            let ours: Classes = classify(&values, k, ClassMethod::parse(method).expect("method")).unwrap();
            assert_eq!((ours.n, ours.requested), (values.len(), k), "{label}");
            if let Some(err) = case.get("error") {
                // mapclassify: "Fewer unique values (d) than specified classes (k)."
                let distinct = v["distinct"].as_u64().unwrap() as usize;
                assert!(distinct < k, "{label}: {err}");
                let mut d = values.clone();
                d.sort_by(f64::total_cmp);
                d.dedup();
                assert_eq!(ours.upper, d, "{label}: one class per distinct value");
                assert_eq!(ours.lower, d, "{label}");
                raised += 1;
                eprintln!("{label}: mapclassify raises ({err}); ours: {} classes, one per value", ours.k());
                continue;
            }
            let bins = floats(&case["bins"]);
            let counts = usizes(&case["counts"]);
            // mapclassify keeps empty quantile classes; medatlas drops them.
            let keep: Vec<usize> = (0..counts.len()).filter(|&i| counts[i] > 0).collect();
            let bins: Vec<f64> = keep.iter().map(|&i| bins[i]).collect();
            let counts: Vec<usize> = keep.iter().map(|&i| counts[i]).collect();
            let same_bins = ours.upper.len() == bins.len() && rel_diff(&ours.upper, &bins) <= 1e-9;
            let demand_exact = method == "quantiles"
                || (case["mapclassify_optimal"].as_bool().unwrap() && case["optimum_unique"].as_bool().unwrap());
            if demand_exact {
                let d = rel_diff(&ours.upper, &bins);
                assert!(d <= 1e-9, "{label}: bins {:?} vs mapclassify {bins:?}", ours.upper);
                assert_eq!(ours.counts, counts, "{label}");
                worst_bins = worst_bins.max(d);
                exact += 1;
            } else {
                // Tied (or missed by float32) optimum: compare the objective instead.
                let sse = ours.sse(&values);
                let optimum = case["optimum_sse"].as_f64().unwrap();
                let theirs = case["tss"].as_f64().unwrap();
                let diff = (sse - optimum).abs() / tss;
                assert!(diff <= 1e-9, "{label}: SSE {sse} vs exact optimum {optimum}");
                assert!(sse <= theirs + 1e-9 * tss, "{label}: SSE {sse} above mapclassify's {theirs}");
                worst_sse = worst_sse.max(diff);
                by_sse += 1;
                eprintln!(
                    "{label}: tied optimum, SSE {sse:e} vs optimum {optimum:e} (mapclassify {theirs:e}); same bins as mapclassify: {same_bins}"
                );
            }
        }
    }
    eprintln!(
        "{cases} cases: {exact} with mapclassify's bins and counts (worst bin difference {worst_bins:e} relative), \
         {by_sse} tied optima compared by SSE (worst {worst_sse:e} of the total sum of squares), {raised} where mapclassify raises"
    );
    assert!(exact >= 30, "too few exact comparisons: {exact}");
}
