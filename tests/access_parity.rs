//! Parity with PySAL `access` 1.1.10: the fixtures under tests/fixtures/access/ hold random
//! inputs and the values PySAL computed on them (written by scripts/parity/access_fixtures.py,
//! which lists the conventions matched). Every value must agree to 1e-9 relative, and every
//! location PySAL leaves undefined (NaN, `null` in the fixture) must be undefined here too.

use medatlas::analysis::access::{self, Catchment, CostTable, Decay};
use serde_json::Value;
use std::collections::HashMap;

const TOLERANCE: f64 = 1e-9;

struct Fixture {
    name: String,
    demand_ids: Vec<String>,
    demand: Vec<f64>,
    supply: Vec<f64>,
    costs: CostTable,
    cases: Vec<Value>,
}

fn load(path: &std::path::Path) -> Fixture {
    let text = std::fs::read_to_string(path).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let column = |key: &str| -> (Vec<String>, Vec<f64>) {
        v[key].as_array().unwrap().iter().map(|r| (r["id"].as_str().unwrap().to_string(), r["value"].as_f64().unwrap())).unzip()
    };
    let (demand_ids, demand) = column("demand");
    let (supply_ids, supply) = column("supply");
    let position = |ids: &[String]| -> HashMap<String, usize> { ids.iter().enumerate().map(|(i, id)| (id.clone(), i)).collect() };
    let (d_pos, s_pos) = (position(&demand_ids), position(&supply_ids));
    let pairs = v["cost"].as_array().unwrap().iter().map(|row| {
        let row = row.as_array().unwrap();
        (d_pos[row[0].as_str().unwrap()], s_pos[row[1].as_str().unwrap()], row[2].as_f64().unwrap())
    });
    let costs = CostTable::from_pairs(demand.len(), supply.len(), pairs).unwrap();
    Fixture {
        name: path.file_name().unwrap().to_string_lossy().into_owned(),
        demand_ids,
        demand,
        supply,
        costs,
        cases: v["cases"].as_array().unwrap().clone(),
    }
}

fn decay(weight: &Value) -> Decay {
    if weight.is_null() {
        return Decay::Uniform;
    }
    match weight["kind"].as_str().unwrap() {
        "step" => Decay::steps(
            weight["steps"].as_array().unwrap().iter().map(|s| (s[0].as_f64().unwrap(), s[1].as_f64().unwrap())).collect(),
        )
        .unwrap(),
        "gravity" => Decay::gravity(
            weight["scale"].as_f64().unwrap(),
            weight["alpha"].as_f64().unwrap(),
            weight["min_dist"].as_f64().unwrap(),
        )
        .unwrap(),
        other => panic!("unknown weight kind {other}"),
    }
}

#[test]
fn every_pysal_value_is_reproduced_to_1e_9() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/access");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 4, "expected the fixtures of scripts/parity/access_fixtures.py in {}", dir.display());
    let (mut compared, mut nulls, mut worst) = (0usize, 0usize, 0.0f64);
    let mut methods_seen = std::collections::BTreeSet::new();
    for path in files {
        let f = load(&path);
        for case in &f.cases {
            let case_name = case["name"].as_str().unwrap();
            let method = case["method"].as_str().unwrap();
            methods_seen.insert(method.to_string());
            let catchment = Catchment { max_cost: case["max_cost"].as_f64(), decay: decay(&case["weight"]) };
            let ours = match method {
                "2sfca" | "e2sfca" => access::two_step_fca(&f.demand, &f.supply, &f.costs, &catchment).unwrap(),
                "catchment" => access::weighted_catchment(&f.supply, &f.costs, &catchment).unwrap(),
                other => panic!("unknown method {other}"),
            };
            let expected = case["result"].as_object().unwrap();
            assert_eq!(expected.len(), f.demand_ids.len(), "{}/{case_name}: one result per demand location", f.name);
            for (i, id) in f.demand_ids.iter().enumerate() {
                let theirs = expected[id].as_f64();
                match (theirs, ours[i]) {
                    (None, None) => nulls += 1,
                    (Some(t), Some(o)) => {
                        let rel = if t == 0.0 { o.abs() } else { ((o - t) / t).abs() };
                        assert!(rel <= TOLERANCE, "{}/{case_name}/{id}: PySAL {t}, medatlas {o} (relative {rel:e})", f.name);
                        worst = worst.max(rel);
                        compared += 1;
                    }
                    (t, o) => panic!("{}/{case_name}/{id}: PySAL {t:?}, medatlas {o:?}", f.name),
                }
            }
        }
    }
    assert_eq!(methods_seen.into_iter().collect::<Vec<_>>(), ["2sfca", "catchment", "e2sfca"]);
    assert!(compared > 10_000 && nulls > 0, "{compared} values and {nulls} nulls compared");
    eprintln!("{compared} values equal to PySAL's (worst relative difference {worst:e}), {nulls} undefined in both");
}
