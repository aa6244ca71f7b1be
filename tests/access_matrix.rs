//! Access from a user's time matrix, loaded as the atlas's travel-time source: a matrix holding
//! exactly the estimated times must give exactly what the estimate gives — the APL, a
//! scenario's impact, nearest-MSP minutes and a coverage suggestion — and the report must
//! account for the rows it could not use.

use medatlas::analysis::apl::AplParams;
use medatlas::analysis::methods::{self, Method, MethodParams};
use medatlas::analysis::nearest;
use medatlas::analysis::scenario::{Baseline, Change, Place, Scenario};
use medatlas::analysis::siting;
use medatlas::analysis::travel::{self, TravelTimes};
use medatlas::atlas::{Atlas, LoadConfig};
use std::sync::OnceLock;

/// The default atlas, and the same atlas whose travel-time source is a matrix file holding the
/// estimated times of every pair within 30 minutes (written as a user would: codes, minutes),
/// plus three rows it must reject.
fn atlases() -> &'static (Atlas, Atlas, tempfile::TempDir) {
    static A: OnceLock<(Atlas, Atlas, tempfile::TempDir)> = OnceLock::new();
    A.get_or_init(|| {
        let estimated = Atlas::load_default().unwrap();
        let communes = estimated.communes();
        let points: Vec<_> = communes.iter().map(|c| c.repr_point).collect();
        let all: Vec<usize> = (0..communes.len()).collect();
        let table = travel::cost_table(estimated.travel_times(), &points, &all, 30.0);
        let mut csv = String::from("from;to;minutes\n");
        for (d, s, minutes) in table.pairs() {
            csv.push_str(&format!("{};{};{minutes}\n", communes[d].code, communes[s].code));
        }
        csv.push_str("99999;03185;4\n03185;03095;-1\n03185;03095;n/a\n");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("estimated.csv");
        std::fs::write(&path, csv).unwrap();
        let config = LoadConfig { travel_times: Some(path), ..LoadConfig::default() };
        let routed = Atlas::load(&config, &|_, _| {}).unwrap();
        (estimated, routed, dir)
    })
}

fn assert_close(a: &[Option<f64>], b: &[Option<f64>], what: &str) {
    assert_eq!(a.len(), b.len());
    for (i, (m, e)) in a.iter().zip(b).enumerate() {
        match (m, e) {
            (Some(m), Some(e)) => assert!((m - e).abs() <= 1e-12 * e.abs().max(1.0), "{what} {i}: {m} vs {e}"),
            (None, None) => {}
            _ => panic!("{what} {i}: {m:?} vs {e:?}"),
        }
    }
}

#[test]
fn the_matrix_is_the_atlas_source_and_its_rejected_rows_are_reported() {
    let (estimated, routed, _) = atlases();
    assert_eq!(estimated.travel_times().kind(), "estimated");
    let TravelTimes::Matrix(m) = routed.travel_times() else { panic!("the matrix should be the source") };
    let points: Vec<_> = estimated.communes().iter().map(|c| c.repr_point).collect();
    let all: Vec<usize> = (0..points.len()).collect();
    assert_eq!(m.len(), travel::cost_table(estimated.travel_times(), &points, &all, 30.0).len());
    let report = routed.reports().iter().find(|r| r.format == "time-matrix").expect("the matrix's import report");
    let kinds: Vec<&str> = report.rejected.iter().map(|r| r.reason.kind()).collect();
    assert_eq!(kinds, ["unknown_commune", "invalid_value", "malformed_number"]);
    assert!(routed.meta.sources.iter().any(|s| s.provides.contains("travel times")));
}

#[test]
fn a_matrix_of_the_estimated_times_gives_the_estimated_apl() {
    let (estimated, routed, _) = atlases();
    let params = MethodParams::default();
    let from_matrix = methods::run(routed, Method::Apl, routed.travel_times(), &params).unwrap();
    let from_estimate = methods::run(estimated, Method::Apl, estimated.travel_times(), &params).unwrap();
    assert_eq!(from_matrix.travel_kind, "matrix");
    assert_eq!(from_estimate.travel_kind, "estimated");
    assert_close(&from_matrix.values, &from_estimate.values, "APL");
    // The default access (what the API and tiles show) reads the atlas's source too.
    let shown = medatlas::analysis::apl::default_access(routed).unwrap();
    assert!(shown.travel.starts_with("matrix"), "{}", shown.travel);
    assert_close(&shown.apl, &from_estimate.values, "default APL");
}

#[test]
fn scenarios_nearest_msp_and_suggestions_read_the_same_source() {
    let (estimated, routed, _) = atlases();
    let params = AplParams::default();
    let (b_est, b_mat) = (Baseline::build(estimated, &params).unwrap(), Baseline::build(routed, &params).unwrap());
    // Sites at town halls (a commune, the default MSP): matrix time = estimated time exactly.
    let msp = estimated.sites().iter().find(|s| s.kind.is_msp()).unwrap();
    let scenario = Scenario {
        name: "t".into(),
        changes: vec![
            Change::AddSite { place: Place::Commune { commune: "03082".into() }, gps: 3.0, name: None },
            Change::RemoveSite { site: msp.id.clone(), gps: 1.0 },
        ],
    };
    let i_est = b_est.impact(estimated, &b_est.resolve(estimated, &scenario).unwrap());
    let i_mat = b_mat.impact(routed, &b_mat.resolve(routed, &scenario).unwrap());
    assert!(i_mat.model.contains("matrix"), "{}", i_mat.model);
    assert!(!i_est.apl.is_empty() && !i_est.nearest_msp.is_empty());
    assert_eq!(i_est.apl.len(), i_mat.apl.len());
    for (a, b) in i_est.apl.iter().zip(&i_mat.apl) {
        assert_eq!(a.code, b.code);
        assert_close(&[a.after], &[b.after], &a.code);
    }
    // Nearest-MSP minutes of the impact: within the matrix's 30 min, the same.
    let within = |c: &&medatlas::analysis::scenario::DistanceChange| c.after_minutes.is_some_and(|m| m <= 30.0);
    let est: Vec<_> = i_est.nearest_msp.iter().filter(within).map(|c| (&c.code, c.after_minutes)).collect();
    let mat: Vec<_> = i_mat.nearest_msp.iter().filter(within).map(|c| (&c.code, c.after_minutes)).collect();
    assert!(!est.is_empty());
    for ((ca, ma), (cb, mb)) in est.iter().zip(&mat) {
        assert_eq!(ca, cb);
        assert_close(&[*ma], &[*mb], ca);
    }
    // The nearest-MSP answer of a commune.
    let idx = estimated.commune_index("03185").unwrap();
    let a = nearest::nearest_msp_from_commune(estimated, idx, 3).unwrap();
    let b = nearest::nearest_msp_from_commune(routed, idx, 3).unwrap();
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.site.id, y.site.id);
        assert!(x.minutes.unwrap() <= 30.0);
        assert_close(&[x.minutes], &[y.minutes], &x.site.id);
    }
    // A coverage suggestion: same sites, same figures.
    let allier: Vec<usize> = (0..estimated.communes().len()).filter(|&i| estimated.communes()[i].dep == "03").collect();
    let (s_est, s_mat) = (siting::suggest_coverage(estimated, &allier, 3, 15.0), siting::suggest_coverage(routed, &allier, 3, 15.0));
    assert_eq!(s_est.sites.iter().map(|s| &s.code).collect::<Vec<_>>(), s_mat.sites.iter().map(|s| &s.code).collect::<Vec<_>>());
    assert!((s_est.before - s_mat.before).abs() < 1e-6 && (s_est.after - s_mat.after).abs() < 1e-6);
    assert!(s_est.after > s_est.before);
}
