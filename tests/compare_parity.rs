//! The ours-vs-official comparison (`analysis::compare`) against scipy and numpy on every case
//! of the fixture written by scripts/parity/compare_fixtures.py
//! (tests/fixtures/compare/cases.json): Pearson (scipy.stats.pearsonr), Spearman with average
//! ranks for ties (scipy.stats.spearmanr), means weighted by standardised population
//! (numpy.average), population shares under the threshold, the 2×2 class table, the agreement,
//! the rows left out and the largest differences — every number to 1e-12.

use medatlas::analysis::compare::{CompareOptions, CompareRow, Comparison, compare};
use serde_json::Value;

const TOLERANCE: f64 = 1e-12;

fn opt_f64(v: &Value) -> Option<f64> {
    if v.is_null() { None } else { Some(v.as_f64().expect("a number")) }
}

fn close(name: &str, what: &str, got: Option<f64>, want: Option<f64>) {
    match (got, want) {
        (Some(g), Some(w)) => assert!((g - w).abs() <= TOLERANCE * w.abs().max(1.0), "{name}: {what} = {g}, scipy/numpy {w}"),
        (g, w) => assert_eq!(g, w, "{name}: {what}"),
    }
}

fn check(name: &str, got: &Comparison, want: &Value) {
    assert_eq!(got.n as u64, want["n"].as_u64().unwrap(), "{name}: n");
    let lo = &want["left_out"];
    assert_eq!(got.left_out.neither as u64, lo["neither"].as_u64().unwrap(), "{name}");
    assert_eq!(got.left_out.no_official_value as u64, lo["no_official_value"].as_u64().unwrap(), "{name}");
    assert_eq!(got.left_out.no_value_of_ours as u64, lo["no_value_of_ours"].as_u64().unwrap(), "{name}");
    assert_eq!((got.left_out.not_finite, got.left_out.invalid_population), (0, 0), "{name}");
    close(name, "pearson", got.pearson, opt_f64(&want["pearson"]));
    close(name, "spearman", got.spearman, opt_f64(&want["spearman"]));
    close(name, "mean_ours", got.mean_ours, opt_f64(&want["mean_ours"]));
    close(name, "mean_official", got.mean_official, opt_f64(&want["mean_official"]));
    assert_eq!(got.mean_weight_fallbacks as u64, want["mean_weight_fallbacks"].as_u64().unwrap(), "{name}");
    close(name, "population", Some(got.population), opt_f64(&want["population"]));
    close(name, "share_under_ours", got.share_under_ours, opt_f64(&want["share_under_ours"]));
    close(name, "share_under_official", got.share_under_official, opt_f64(&want["share_under_official"]));
    close(name, "agreement", got.agreement, opt_f64(&want["agreement"]));
    let c = &want["classes"];
    close(name, "both_under", Some(got.classes.both_under), opt_f64(&c["both_under"]));
    close(name, "ours_under_official_over", Some(got.classes.ours_under_official_over), opt_f64(&c["ours_under_official_over"]));
    close(name, "ours_over_official_under", Some(got.classes.ours_over_official_under), opt_f64(&c["ours_over_official_under"]));
    close(name, "both_over", Some(got.classes.both_over), opt_f64(&c["both_over"]));
    let want_diffs = want["largest_differences"].as_array().unwrap();
    assert_eq!(got.largest_differences.len(), want_diffs.len(), "{name}: largest differences");
    for (g, w) in got.largest_differences.iter().zip(want_diffs) {
        assert_eq!(g.code, w["code"].as_str().unwrap(), "{name}: order of the largest differences");
        close(name, "difference", Some(g.difference), opt_f64(&w["difference"]));
        assert_eq!((Some(g.ours), Some(g.official)), (opt_f64(&w["ours"]), opt_f64(&w["official"])), "{name}");
    }
}

#[test]
fn every_case_matches_scipy_and_numpy() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compare/cases.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 5, "expected the cases of scripts/parity/compare_fixtures.py");
    let (mut undefined, mut ties) = (0, 0);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let rows: Vec<CompareRow> = case["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| CompareRow {
                code: r["code"].as_str().unwrap().to_string(),
                ours: opt_f64(&r["ours"]),
                official: opt_f64(&r["official"]),
                population: r["population"].as_f64().unwrap(),
                population_standardised: opt_f64(&r["population_standardised"]),
            })
            .collect();
        let opts = CompareOptions { threshold: case["threshold"].as_f64().unwrap(), top: case["top"].as_u64().unwrap() as usize };
        let got = compare(&rows, &opts);
        check(name, &got, &case["expected"]);
        undefined += usize::from(got.pearson.is_none());
        // The fixtures are meant to exercise tied values: count the cases that have some.
        let mut values: Vec<f64> = rows.iter().filter_map(|r| r.official.filter(|_| r.ours.is_some())).collect();
        values.sort_by(f64::total_cmp);
        ties += usize::from(values.windows(2).any(|w| w[0] == w[1]));
    }
    assert!(undefined >= 1, "a case with a constant side (correlation undefined) is expected");
    assert!(ties >= 3, "cases with ties are expected");
}
