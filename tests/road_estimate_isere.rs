//! The travel-time estimate against real routed times: the OSRM car matrix between the 512
//! communes of Isère (2021), in `../shared/data/osrm_isere_matrix_2021/` beside the checkout
//! (see its PROVENANCE.md). Read with `ingest::wide_matrix`, distances between the chef-lieu
//! points the router used (`isere.geojson`, properties `lon`/`lat`).
//!
//! What is checked (each could be false): the shipped constants are the fit on these pairs;
//! the calibrated estimate has a lower median absolute error than the former linear one in
//! every distance band and puts fewer pairs on the wrong side of 20 min, also on pairs it was
//! not fitted on (fit on the origins of even INSEE code, judged between odd ones).
//!
//! `report` prints the tables of BENCHMARKS.md ("Travel-time estimate vs routed times (Isère)"):
//! `scripts/bench_road_estimate.sh`.

use geo::Point;
use medatlas::analysis::road_estimate::evaluation::{BANDS_KM, LIMITS_MIN, errors, in_band, markdown_table};
use medatlas::analysis::road_estimate::{
    Calibrated, FIT_MAX_KM, FIT_MIN_KM, ISERE_2021_EXPONENT, ISERE_2021_PAIRS, ISERE_2021_SCALE_MIN, RoadEstimate, fit,
};
use medatlas::index::haversine_m;
use medatlas::ingest::wide_matrix::{TimeUnit, read_wide_matrix};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

/// One ordered pair of distinct communes: codes, great-circle km, routed minutes.
struct Pair {
    from: String,
    to: String,
    km: f64,
    minutes: f64,
}

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data/osrm_isere_matrix_2021")
}

/// The chef-lieu point of every commune of `isere.geojson`.
fn points() -> HashMap<String, Point<f64>> {
    let path = data_dir().join("isere.geojson");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (the shared data folder must be beside the checkout)", path.display()));
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let features = json["features"].as_array().expect("a FeatureCollection");
    features
        .iter()
        .map(|f| {
            let p = &f["properties"];
            let code = p["id"].as_str().expect("id").to_string();
            (code, Point::new(p["lon"].as_f64().expect("lon"), p["lat"].as_f64().expect("lat")))
        })
        .collect()
}

/// Every ordered pair of distinct communes of the matrix, read once for all tests.
fn pairs() -> &'static [Pair] {
    static PAIRS: OnceLock<Vec<Pair>> = OnceLock::new();
    PAIRS.get_or_init(|| {
        let points = points();
        assert_eq!(points.len(), 512);
        let imported = read_wide_matrix(&data_dir().join("TimeDistCarIsere.csv"), TimeUnit::Seconds, None, false).unwrap();
        assert!(imported.report.rejected.is_empty(), "{}", imported.report.summary());
        imported
            .records
            .into_iter()
            .filter(|r| r.from != r.to)
            .map(|r| {
                let km = haversine_m(points[&r.from], points[&r.to]) / 1000.0;
                Pair { from: r.from, to: r.to, km, minutes: r.minutes }
            })
            .collect()
    })
}

fn km_minutes<'a>(pairs: impl IntoIterator<Item = &'a Pair>) -> Vec<(f64, f64)> {
    pairs.into_iter().map(|p| (p.km, p.minutes)).collect()
}

/// The held-out split: communes whose INSEE code ends in an even digit fit, the others judge.
/// INSEE numbers communes alphabetically within the département, so parity is unrelated to
/// place: both halves cover the whole département.
fn even(code: &str) -> bool {
    matches!(code.bytes().last(), Some(b'0' | b'2' | b'4' | b'6' | b'8'))
}

fn fit_pairs() -> Vec<(f64, f64)> {
    km_minutes(pairs().iter().filter(|p| even(&p.from)))
}

fn held_out_pairs() -> Vec<(f64, f64)> {
    km_minutes(pairs().iter().filter(|p| !even(&p.from) && !even(&p.to)))
}

const LINEAR: RoadEstimate = RoadEstimate::LINEAR_1_3_AT_60;

/// Asserts the calibrated estimate beats the linear one on `pairs`: median absolute error in
/// every band, and pairs on the wrong side of 20 min over all of them.
fn assert_calibrated_beats_linear(calibrated: &RoadEstimate, pairs: &[(f64, f64)], what: &str) {
    for &(lo, hi) in &BANDS_KM {
        let band = in_band(pairs, lo, hi);
        assert!(band.len() > 500, "{what}: only {} pairs in {lo}–{hi} km", band.len());
        let lin = errors(&LINEAR, &band, &[]).unwrap();
        let cal = errors(calibrated, &band, &[]).unwrap();
        assert!(
            cal.median_abs_error < lin.median_abs_error,
            "{what}, {lo}–{hi} km: calibrated median abs. error {:.2} min, linear {:.2}",
            cal.median_abs_error,
            lin.median_abs_error
        );
    }
    let lin = errors(&LINEAR, pairs, &[20.0]).unwrap().wrong_side[0];
    let cal = errors(calibrated, pairs, &[20.0]).unwrap().wrong_side[0];
    assert!(cal.total() < lin.total(), "{what}: wrong side of 20 min: calibrated {cal:?}, linear {lin:?}");
}

#[test]
fn the_whole_matrix_is_read() {
    // 512 × 512 cells, the diagonal left out: 512 × 511 ordered pairs, every time positive.
    assert_eq!(pairs().len(), 512 * 511);
    assert!(pairs().iter().all(|p| p.minutes > 0.0 && p.km > 0.0));
    // Not a transposed matrix: Grenoble (38185) → Saint-Martin-d'Hères (38421) is a short hop.
    let gr = pairs().iter().find(|p| p.from == "38185" && p.to == "38421").unwrap();
    assert!(gr.km < 5.0 && gr.minutes < 15.0, "{} km, {} min", gr.km, gr.minutes);
}

#[test]
fn the_shipped_constants_are_the_fit_on_all_isere_pairs() {
    let f = fit(&km_minutes(pairs())).unwrap();
    // The constants are written to 4 decimals.
    assert!((f.model.scale_min - ISERE_2021_SCALE_MIN).abs() <= 1e-4, "re-fitted {f:?}");
    assert!((f.model.exponent - ISERE_2021_EXPONENT).abs() <= 1e-4, "re-fitted {f:?}");
    assert_eq!(f.pairs_used, ISERE_2021_PAIRS);
    assert_eq!(RoadEstimate::default(), RoadEstimate::Calibrated(Calibrated::ISERE_2021));
}

#[test]
fn the_calibrated_estimate_beats_the_linear_one_on_all_pairs() {
    assert_calibrated_beats_linear(&RoadEstimate::default(), &km_minutes(pairs()), "all pairs");
}

#[test]
fn the_calibrated_estimate_beats_the_linear_one_on_pairs_it_was_not_fitted_on() {
    let fitted = fit(&fit_pairs()).unwrap();
    let held_out = held_out_pairs();
    assert!(held_out.len() > 50_000, "{}", held_out.len());
    assert_calibrated_beats_linear(&RoadEstimate::Calibrated(fitted.model), &held_out, "held out");
    // Out of sample, the half fit does about as well as the fit that saw these pairs: within
    // 5 % of its median absolute error in every band (a large gap would mean over-fitting).
    for &(lo, hi) in &BANDS_KM {
        let band = in_band(&held_out, lo, hi);
        let half = errors(&RoadEstimate::Calibrated(fitted.model), &band, &[]).unwrap().median_abs_error;
        let full = errors(&RoadEstimate::default(), &band, &[]).unwrap().median_abs_error;
        assert!(half <= 1.05 * full, "{lo}–{hi} km: held-out fit {half:.2} min, full fit {full:.2} min");
    }
}

/// Prints the tables of BENCHMARKS.md (run with `--nocapture`, see scripts/bench_road_estimate.sh).
#[test]
fn report() {
    let all = km_minutes(pairs());
    let full = fit(&all).unwrap();
    let half = fit(&fit_pairs()).unwrap();
    let held_out = held_out_pairs();
    let mut bands = BANDS_KM.to_vec();
    bands.push((40.0, 60.0));
    let models = [("linear", LINEAR), ("calibrated", RoadEstimate::default())];
    println!(
        "Fit on all pairs within {FIT_MIN_KM}–{FIT_MAX_KM} km: minutes = {:.4} × km^{:.4}, {} pairs ({} left out), RMS of ln residuals {:.3}\n",
        full.model.scale_min, full.model.exponent, full.pairs_used, full.pairs_left_out, full.log_rmse
    );
    let table = markdown_table(&all, &models, &bands, &LIMITS_MIN);
    println!("All {} ordered pairs of distinct communes (the last row: 0–60 km):\n\n{table}", all.len());
    for (name, model) in &models {
        let e = errors(model, &all, &LIMITS_MIN).unwrap();
        let sides: Vec<String> = e
            .wrong_side
            .iter()
            .map(|w| format!("{} min: {} ({} wrongly within, {} wrongly beyond)", w.limit_min, w.total(), w.wrongly_within, w.wrongly_beyond))
            .collect();
        println!("{name}, all {} pairs, wrong side of {}", all.len(), sides.join("; "));
    }
    println!();
    let held_models = [("linear", LINEAR), ("calibrated on the other half", RoadEstimate::Calibrated(half.model))];
    let held_table = markdown_table(&held_out, &held_models, &bands, &LIMITS_MIN);
    println!(
        "Held out: fitted on the {} pairs from communes of even code ({:.4} × km^{:.4}), judged on the {} pairs between communes of odd code:\n\n{held_table}",
        half.pairs_used, half.model.scale_min, half.model.exponent, held_out.len()
    );
    for t in [&table, &held_table] {
        assert_eq!(t.lines().count(), 2 + bands.len() + 1, "{t}");
    }
}
