//! APL with age pyramids and individual GPs on the embedded default atlas, from the fixtures
//! of tests/fixtures/apl/ (see its README): the readers, the standardisation, the activity
//! caps and the under-65 variant end to end.

use medatlas::ingest::Reader;
use medatlas::analysis::apl::{self, AgeWeights, AplInputs, AplParams, GpScope};
use medatlas::analysis::travel::{TimeMatrix, TravelTimes};
use medatlas::atlas::Atlas;
use medatlas::ingest::{age_pyramid, gp_activity};
use std::path::Path;

const PYRAMIDS: &str = "tests/fixtures/apl/pyramids_montlucon.csv";
const GPS: &str = "tests/fixtures/apl/gps_montlucon.csv";

/// Standardised populations of the fixture (2023 weights), by hand, grouping bands of equal
/// count: Montluçon 1345.4 × (1.12 + 0.58 + 0.51 + 0.60) + 1681.7 × (0.75 + 0.79 + 0.82 +
/// 0.85 + 0.89 + 0.93) + 2018.1 × 1.03 + 2354.4 × 1.15 + 2690.8 × 1.18 + 3027.1 × (1.23 +
/// 1.46) + 2690.8 × 1.57 + 2018.1 × 1.63 + 1345.4 × 1.89 + 1009 × 2.26 = 3780.574 + 8458.951
/// + 2078.643 + 2707.56 + 3175.144 + 8142.899 + 4224.556 + 3289.503 + 2542.806 + 2280.34.
const P_MONTLUCON: f64 = 40_680.976;
/// Désertines likewise: 166.9 × 2.81 + 208.6 × 5.03 + 250.3 × 1.03 + 292 × 1.15 + 333.7 ×
/// 1.18 + 375.5 × 2.69 + 333.7 × 1.57 + 250.3 × 1.63 + 166.9 × 1.89 + 125.2 × 2.26.
const P_DESERTINES: f64 = 5_046.008;

fn atlas() -> Atlas {
    Atlas::load_default().expect("the embedded atlas loads")
}

/// The fixture pyramids in atlas positions, with the reader's report checked.
fn pyramids(atlas: &Atlas) -> Vec<(usize, [f64; 19])> {
    let imported = age_pyramid::AgePyramidReader::read(Path::new(PYRAMIDS), atlas.registry(), &false).unwrap();
    assert_eq!(imported.report.rows_read, 6);
    assert_eq!(imported.report.rows_used, 5);
    let rejected: Vec<(u64, &str)> = imported.report.rejected.iter().map(|r| (r.line, r.reason.kind())).collect();
    assert_eq!(rejected, vec![(7, "unknown_commune")]);
    let (placed, outside) = apl::pyramids_by_position(&imported.records, |c| atlas.commune_index(c));
    assert!(outside.is_empty());
    placed
}

/// The fixture GPs in atlas positions, with the reader's report checked.
fn gps(atlas: &Atlas) -> Vec<apl::Gp> {
    let imported = gp_activity::GpActivityReader::read(Path::new(GPS), atlas.registry(), &false).unwrap();
    assert_eq!(imported.report.rows_read, 14);
    assert_eq!(imported.report.rows_used, 12);
    let rejected: Vec<(u64, &str)> = imported.report.rejected.iter().map(|r| (r.line, r.reason.kind())).collect();
    assert_eq!(rejected, vec![(14, "invalid_value"), (15, "unknown_commune")]);
    let (gps, outside) = apl::gps_by_position(&imported.records, |c| atlas.commune_index(c));
    assert!(outside.is_empty());
    gps
}

fn position(atlas: &Atlas, code: &str) -> usize {
    atlas.commune_index(code).unwrap_or_else(|| panic!("{code} in the default atlas"))
}

#[test]
fn an_old_population_lowers_montlucons_apl() {
    let atlas = atlas();
    let travel = TravelTimes::default();
    let params = AplParams::default();
    let m = position(&atlas, "03185");
    let raw = apl::for_atlas(&atlas, &travel, &params).unwrap();
    let inputs = AplInputs { pyramids: pyramids(&atlas), ..AplInputs::default() };
    assert_eq!(inputs.standardised_communes(), 5);
    let aged = apl::for_atlas_with(&atlas, &travel, &params, &inputs).unwrap();
    assert!((aged.access.weight[m] - P_MONTLUCON).abs() < 1e-6, "{}", aged.access.weight[m]);
    // Each listed commune has the same head count as its population spread over an old age
    // structure, so its standardised population is larger: catchment demands only grow, and
    // every APL can only fall.
    for &(i, _) in &inputs.pyramids {
        assert!(aged.access.weight[i] > raw.access.weight[i], "{}", atlas.communes()[i].code);
    }
    let (before, after) = (raw.access.apl[m].unwrap(), aged.access.apl[m].unwrap());
    assert!(after < before, "APL of Montluçon {before} → {after}");
    // Communes not listed keep their raw population.
    let listed: Vec<usize> = inputs.pyramids.iter().map(|&(i, _)| i).collect();
    for (k, c) in atlas.communes().iter().enumerate().filter(|(k, _)| !listed.contains(k)) {
        assert_eq!(aged.access.weight[k], f64::from(c.population), "{}", c.code);
    }
    // The 2022 weights give a different (slightly larger) standardised population.
    let w22 = AplInputs { age_weights: AgeWeights::DREES_2022, ..inputs.clone() };
    let aged22 = apl::for_atlas_with(&atlas, &travel, &params, &w22).unwrap();
    assert!((aged22.access.weight[m] - 40_980.317).abs() < 1e-6, "{}", aged22.access.weight[m]);
}

/// Montluçon and Désertines 12 minutes apart (weight 2/3), no other pair: with the fixture's
/// GPs the APL of both follows from the module's formula by hand.
#[test]
fn an_isolated_pair_of_communes_matches_the_formula_by_hand() {
    let atlas = atlas();
    let (m, d) = (position(&atlas, "03185"), position(&atlas, "03098"));
    let matrix = TimeMatrix::new(atlas.communes().len(), vec![(m, d, 12.0), (d, m, 12.0)], "test");
    let travel = TravelTimes::Matrix(matrix);
    let params = AplParams::default();
    let all = AplInputs { pyramids: pyramids(&atlas), gps: Some(gps(&atlas)), ..AplInputs::default() };
    let young = AplInputs { scope: GpScope::Under65, ..all.clone() };

    // Supply by hand (counted activity, see the fixture): Montluçon 4,500 + 0 (200) + 6,000
    // (9,000, aged 66) + 5,400 (new) + 7,000 (health centre) + 3,600 (3,000, age unknown) +
    // 5,200 (aged 64) = 31,700; under 65: without the 66-year-old and the unknown age, 22,100.
    // Désertines 5,000 (aged 70) + 3,600 (2,500) = 8,600; under 65: 3,600.
    let expected = |s_m: f64, s_d: f64| {
        let w = 2.0 / 3.0;
        let demand_m = P_MONTLUCON + w * P_DESERTINES;
        let demand_d = P_DESERTINES + w * P_MONTLUCON;
        (s_m / demand_m + w * s_d / demand_d, w * s_m / demand_m + s_d / demand_d)
    };
    for (inputs, (s_m, s_d), literal) in [(&all, (31_700.0, 8_600.0), 0.897_957_161_067_761_7), (&young, (22_100.0, 3_600.0), 0.576_371_194_252_427_4)] {
        let r = apl::for_atlas_with(&atlas, &travel, &params, inputs).unwrap();
        let (a_m, a_d) = (r.access.apl[m].unwrap(), r.access.apl[d].unwrap());
        let (e_m, e_d) = expected(s_m, s_d);
        assert!((a_m - e_m).abs() < 1e-12, "Montluçon {a_m} vs {e_m}");
        assert!((a_d - e_d).abs() < 1e-12, "Désertines {a_d} vs {e_d}");
        assert!((a_m - literal).abs() < 1e-12, "Montluçon {a_m} vs {literal}");
    }
    assert_eq!(young.left_out_for_unknown_age(), 1);
    assert_eq!(all.left_out_for_unknown_age(), 0);

    // Domérat (03101) has no pair with the others and GPs aged 60 and 29 only: the under-65
    // variant leaves its APL as it is.
    let r_all = apl::for_atlas_with(&atlas, &travel, &params, &all).unwrap();
    let r_young = apl::for_atlas_with(&atlas, &travel, &params, &young).unwrap();
    let dom = position(&atlas, "03101");
    assert_eq!(r_all.access.apl[dom], r_young.access.apl[dom]);
    // Domérat alone: 6,000 + 5,400 over its standardised population.
    assert!((r_all.access.apl[dom].unwrap() - 11_400.0 / 10_018.481).abs() < 1e-9);
}
