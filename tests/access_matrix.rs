//! Access from a user's time matrix: a matrix holding exactly the estimated times must give
//! exactly the estimated APL, and the report must account for the rows it could not use.

use medatlas::analysis::methods::{self, Method, MethodParams};
use medatlas::analysis::travel::{RoadModel, TravelTimes};
use medatlas::atlas::Atlas;
use medatlas::ingest::time_matrix;

#[test]
fn a_matrix_of_the_estimated_times_gives_the_estimated_apl() {
    let atlas = Atlas::load_default().unwrap();
    let communes = atlas.communes();
    let model = RoadModel::default();
    // Every commune to every commune within 20 min, written as a user would (codes, minutes).
    let points: Vec<_> = communes.iter().map(|c| c.repr_point).collect();
    let all: Vec<usize> = (0..communes.len()).collect();
    let table = TravelTimes::Estimated(model).cost_table(&points, &all, 20.0);
    let mut csv = String::from("from;to;minutes\n");
    for (d, s, minutes) in table.pairs() {
        csv.push_str(&format!("{};{};{minutes}\n", communes[d].code, communes[s].code));
    }
    // Rows it must reject, each for its own reason.
    csv.push_str("99999;03185;4\n03185;03095;-1\n03185;03095;n/a\n");
    let imported = time_matrix::parse_time_matrix("estimated.csv", csv.as_bytes(), atlas.registry(), false).unwrap();
    let kinds: Vec<&str> = imported.report.rejected.iter().map(|r| r.reason.kind()).collect();
    assert_eq!(kinds, ["unknown_commune", "invalid_value", "malformed_number"]);
    assert_eq!(imported.records.len(), table.len());

    let matrix = TravelTimes::Matrix(medatlas::analysis::travel::TimeMatrix::from_rows(&imported.records, "estimated.csv", |c| atlas.commune_index(c)));
    let params = MethodParams::default();
    let from_matrix = methods::run(&atlas, Method::Apl, &matrix, &params).unwrap();
    let estimated = methods::run(&atlas, Method::Apl, &TravelTimes::Estimated(model), &params).unwrap();
    assert_eq!(from_matrix.travel_kind, "matrix");
    assert_eq!(estimated.travel_kind, "estimated");
    for (i, (m, e)) in from_matrix.values.iter().zip(&estimated.values).enumerate() {
        match (m, e) {
            (Some(m), Some(e)) => assert!((m - e).abs() <= 1e-12 * e.max(1.0), "{}: {m} vs {e}", communes[i].code),
            (None, None) => {}
            _ => panic!("{}: {m:?} vs {e:?}", communes[i].code),
        }
    }
}
