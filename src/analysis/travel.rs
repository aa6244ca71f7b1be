//! Travel times between communes, from the town hall (or representative point) of the
//! resident's commune to that of the practice's commune.
//!
//! Two sources, and results say which one was used:
//! - a **matrix** the user gives (from, to, minutes; read by `ingest::time_matrix`): times are
//!   taken as given, in the direction given (resident's commune → practice's commune); a pair
//!   that is not listed is unreachable, except a commune to itself, which is 0 minutes unless
//!   listed;
//! - an **estimate** from the great-circle distance `d` between representative points:
//!   `minutes = d × detour_factor / speed × 60`. The defaults (detour 1.3, 60 km/h) are an
//!   approximation, not a road network: 1.3 is the usual ratio of road to straight-line
//!   distance between French communes (published estimates range 1.2–1.4), and 60 km/h an
//!   average speed on departmental roads outside towns. Within 20 minutes this reaches
//!   15.4 km as the crow flies. It overestimates access across rivers, mountains and estuaries
//!   and underestimates it along motorways; DREES uses Insee's « Metric » road distancier.
//!
//! Pairs are found with an R-tree over the supply locations on the unit sphere, so a national
//! run only looks at pairs within the catchment radius.

use super::access::CostTable;
use crate::index::PointIndex;
use crate::ingest::time_matrix::TimeRow;
use geo::Point;
use rayon::prelude::*;
use serde::Serialize;

/// Minutes from distance: a detour factor over the great-circle distance and one speed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RoadModel {
    /// Road distance over great-circle distance.
    pub detour_factor: f64,
    /// Average speed on the road distance (km/h).
    pub speed_kmh: f64,
}

impl Default for RoadModel {
    fn default() -> Self {
        RoadModel { detour_factor: 1.3, speed_kmh: 60.0 }
    }
}

impl RoadModel {
    /// Checks the parameters (both finite and > 0; detour ≥ 1).
    pub fn new(detour_factor: f64, speed_kmh: f64) -> Result<RoadModel, String> {
        if !(detour_factor.is_finite() && detour_factor >= 1.0) {
            return Err(format!("detour factor must be ≥ 1, got {detour_factor}"));
        }
        if !(speed_kmh.is_finite() && speed_kmh > 0.0) {
            return Err(format!("speed must be > 0 km/h, got {speed_kmh}"));
        }
        Ok(RoadModel { detour_factor, speed_kmh })
    }

    /// Estimated minutes for a great-circle distance in metres.
    pub fn minutes(&self, metres: f64) -> f64 {
        metres * self.detour_factor / (self.speed_kmh * 1000.0) * 60.0
    }

    /// The great-circle radius (m) reached in `minutes`.
    pub fn radius_m(&self, minutes: f64) -> f64 {
        minutes / 60.0 * self.speed_kmh * 1000.0 / self.detour_factor
    }

    pub fn describe(&self) -> String {
        format!(
            "estimated: great-circle distance between town halls × {} (detour) at {} km/h",
            self.detour_factor, self.speed_kmh
        )
    }
}

/// A commune-to-commune time matrix in atlas commune positions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimeMatrix {
    /// `(from, to, minutes)`, one entry per ordered pair.
    pub pairs: Vec<(usize, usize, f64)>,
    /// Where the matrix came from (file name), for the description.
    pub source: String,
}

impl TimeMatrix {
    /// The matrix in atlas positions; `position` maps a commune code to its position (rows whose
    /// code has none are impossible after [`parse_time_matrix`](crate::ingest::time_matrix::parse_time_matrix) with the atlas's own registry).
    pub fn from_rows(rows: &[TimeRow], source: &str, position: impl Fn(&str) -> Option<usize>) -> TimeMatrix {
        let pairs = rows.iter().filter_map(|r| Some((position(&r.from)?, position(&r.to)?, r.minutes))).collect();
        TimeMatrix { pairs, source: source.to_string() }
    }
}

/// Where travel times come from.
#[derive(Debug, Clone, PartialEq)]
pub enum TravelTimes {
    Estimated(RoadModel),
    Matrix(TimeMatrix),
}

impl Default for TravelTimes {
    fn default() -> Self {
        TravelTimes::Estimated(RoadModel::default())
    }
}

impl TravelTimes {
    /// "estimated" or "matrix", for APIs.
    pub fn kind(&self) -> &'static str {
        match self {
            TravelTimes::Estimated(_) => "estimated",
            TravelTimes::Matrix(_) => "matrix",
        }
    }

    /// One sentence saying how times were obtained.
    pub fn describe(&self) -> String {
        match self {
            TravelTimes::Estimated(m) => m.describe(),
            TravelTimes::Matrix(m) => {
                format!("matrix: {} commune pairs from {} (unlisted pairs unreachable, same commune 0 min)", m.pairs.len(), m.source)
            }
        }
    }

    /// Costs (minutes) from every demand commune to every supply location within
    /// `max_minutes` (inclusive). `points[i]` is the representative point of commune `i`;
    /// `supply_communes[s]` is the commune position of supply location `s`.
    pub fn cost_table(&self, points: &[Point<f64>], supply_communes: &[usize], max_minutes: f64) -> CostTable {
        match self {
            TravelTimes::Estimated(model) => estimated_costs(model, points, supply_communes, max_minutes),
            TravelTimes::Matrix(matrix) => matrix_costs(matrix, points.len(), supply_communes, max_minutes),
        }
    }
}

fn estimated_costs(model: &RoadModel, points: &[Point<f64>], supply_communes: &[usize], max_minutes: f64) -> CostTable {
    let index = PointIndex::build(supply_communes.iter().map(|&c| Some(points[c])));
    let radius = model.radius_m(max_minutes);
    let rows: Vec<Vec<(u32, f64)>> = points
        .par_iter()
        .with_min_len(64)
        .map(|&p| {
            let mut row: Vec<(u32, f64)> = index
                .within(p, radius)
                .map(|(s, d)| (s as u32, model.minutes(d)))
                .filter(|&(_, t)| t <= max_minutes)
                .collect();
            row.sort_unstable_by_key(|&(s, _)| s);
            row
        })
        .collect();
    CostTable::from_rows(supply_communes.len(), rows)
}

fn matrix_costs(matrix: &TimeMatrix, n_communes: usize, supply_communes: &[usize], max_minutes: f64) -> CostTable {
    let mut supply_of = vec![u32::MAX; n_communes];
    for (s, &c) in supply_communes.iter().enumerate() {
        supply_of[c] = s as u32;
    }
    let mut rows: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n_communes];
    for &(from, to, minutes) in &matrix.pairs {
        let s = supply_of[to];
        if s != u32::MAX && minutes <= max_minutes {
            rows[from].push((s, minutes));
        }
    }
    for (s, &c) in supply_communes.iter().enumerate() {
        if !rows[c].iter().any(|&(t, _)| t == s as u32) {
            rows[c].push((s as u32, 0.0));
        }
    }
    for row in &mut rows {
        row.sort_unstable_by_key(|&(s, _)| s);
    }
    CostTable::from_rows(supply_communes.len(), rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::haversine_m;

    #[test]
    fn road_model_minutes_and_radius_are_inverse() {
        let m = RoadModel::default();
        // 10 km as the crow flies = 13 km of road at 60 km/h = 13 minutes.
        assert!((m.minutes(10_000.0) - 13.0).abs() < 1e-12);
        assert!((m.radius_m(13.0) - 10_000.0).abs() < 1e-9);
        assert!(RoadModel::new(0.9, 60.0).is_err());
        assert!(RoadModel::new(1.3, 0.0).is_err());
    }

    #[test]
    fn estimated_pairs_are_exactly_those_within_the_time_limit() {
        // A grid of points 0.05° apart around Montluçon; supply at every third point.
        let points: Vec<Point<f64>> =
            (0..15).flat_map(|i| (0..15).map(move |j| Point::new(2.2 + 0.05 * i as f64, 46.0 + 0.05 * j as f64))).collect();
        let supply: Vec<usize> = (0..points.len()).step_by(3).collect();
        let model = RoadModel::default();
        let table = TravelTimes::Estimated(model).cost_table(&points, &supply, 20.0);
        let mut brute = 0;
        for (i, p) in points.iter().enumerate() {
            let found: Vec<(usize, f64)> = table.row(i).collect();
            for (s, &c) in supply.iter().enumerate() {
                let t = model.minutes(haversine_m(*p, points[c]));
                let listed = found.iter().find(|(fs, _)| *fs == s);
                if t <= 20.0 {
                    brute += 1;
                    assert!((listed.expect("pair within 20 min is missing").1 - t).abs() < 1e-9);
                } else {
                    assert!(listed.is_none());
                }
            }
        }
        assert_eq!(table.len(), brute);
        assert!(brute > 100, "the test grid should have many pairs, has {brute}");
    }

    #[test]
    fn matrix_pairs_are_directional_and_a_commune_reaches_itself() {
        let matrix = TimeMatrix { pairs: vec![(0, 1, 12.0), (1, 0, 14.0), (2, 1, 25.0)], source: "m.csv".into() };
        let points = vec![Point::new(0.0, 0.0); 3];
        let table = TravelTimes::Matrix(matrix).cost_table(&points, &[1], 20.0);
        assert_eq!(table.row(0).collect::<Vec<_>>(), vec![(0, 12.0)]);
        assert_eq!(table.row(1).collect::<Vec<_>>(), vec![(0, 0.0)]);
        assert_eq!(table.row(2).count(), 0, "25 min is beyond the catchment");
    }
}
