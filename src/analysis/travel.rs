//! Travel-time computations over the atlas's one travel-time source
//! ([`TravelTimes`](crate::model::TravelTimes), chosen at load: a routed matrix or an estimate;
//! see [`crate::model::travel`] for the rules): cost tables between communes and supply
//! locations, and times to places off a commune's representative point (a scenario's site at a
//! point, an MSP at its address) through the commune they lie in.
//!
//! Pairs are found with an R-tree over the supply locations on the unit sphere (estimate) or
//! from the matrix's rows (matrix), so a national run only looks at pairs within the catchment.

use super::access::CostTable;
use crate::index::{PointIndex, haversine_m};
use crate::ingest::time_matrix::TimeRow;
pub use crate::model::road_estimate::RoadEstimate;
pub use crate::model::travel::{TimeMatrix, TravelInfo, TravelTimes};
use geo::Point;
use rayon::prelude::*;

/// A matrix from the rows of [`crate::ingest::time_matrix`] in atlas positions (`position` maps a
/// code to its position; rows whose code has none are impossible after
/// [`TimeMatrixReader`](crate::ingest::time_matrix::TimeMatrixReader) with the atlas's own
/// registry).
pub fn matrix_from_rows(rows: &[TimeRow], source: &str, n_communes: usize, position: impl Fn(&str) -> Option<usize>) -> TimeMatrix {
    TimeMatrix::from_coded(n_communes, rows.iter().map(|r| (r.from.as_str(), r.to.as_str(), r.minutes)), source, position).0
}

/// Costs (minutes) from every demand commune to every supply location within `max_minutes`
/// (inclusive). `points[i]` is the representative point of commune `i`; `supply_communes[s]`
/// is the commune position of supply location `s`.
pub fn cost_table(travel: &TravelTimes, points: &[Point<f64>], supply_communes: &[usize], max_minutes: f64) -> CostTable {
    match travel {
        TravelTimes::Estimated(model) => estimated_costs(model, points, supply_communes, max_minutes),
        TravelTimes::Matrix(matrix) => matrix_costs(matrix, points.len(), supply_communes, max_minutes),
    }
}

/// A place to reach: its point and the commune it lies in (the commune's representative point
/// and the place coincide for a commune's own supply).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Destination {
    pub point: Point<f64>,
    pub commune: usize,
}

/// Minutes from commune `from` (its representative point) to `place`: with a matrix, the time
/// to the place's commune plus the estimated last stretch; else the estimate over the whole
/// distance. `None` when the matrix has no time to the place's commune.
pub fn minutes_to_place(travel: &TravelTimes, points: &[Point<f64>], from: usize, place: Destination) -> Option<f64> {
    match travel {
        TravelTimes::Estimated(model) => Some(model.minutes(haversine_m(points[from], place.point))),
        TravelTimes::Matrix(matrix) => {
            let stretch = travel.estimate().minutes(haversine_m(points[place.commune], place.point));
            matrix.minutes(from, place.commune).map(|t| t + stretch)
        }
    }
}

/// Minutes from a point of origin lying in commune `origin` to `place`: a first stretch to the
/// origin commune's representative point is added with a matrix; the same commune, or no
/// matrix, is the estimate over the direct distance.
pub fn minutes_from_point(travel: &TravelTimes, points: &[Point<f64>], from: Point<f64>, origin: usize, place: Destination) -> Option<f64> {
    match travel {
        TravelTimes::Matrix(_) if origin != place.commune => {
            let first = travel.estimate().minutes(haversine_m(from, points[origin]));
            minutes_to_place(travel, points, origin, place).map(|t| t + first)
        }
        _ => Some(travel.estimate().minutes(haversine_m(from, place.point))),
    }
}

/// Every commune whose residents reach `place` within `max_minutes`, with the minutes, by
/// commune position. `communes` indexes the representative points `points` (used by the
/// estimate).
pub fn communes_reaching(
    travel: &TravelTimes,
    points: &[Point<f64>],
    communes: &PointIndex,
    place: Destination,
    max_minutes: f64,
) -> Vec<(u32, f64)> {
    let mut found: Vec<(u32, f64)> = match travel {
        TravelTimes::Estimated(model) => communes
            .within(place.point, model.radius_m(max_minutes))
            .map(|(i, d)| (i as u32, model.minutes(d)))
            .filter(|&(_, t)| t <= max_minutes)
            .collect(),
        TravelTimes::Matrix(matrix) => {
            let stretch = travel.estimate().minutes(haversine_m(points[place.commune], place.point));
            let mut v: Vec<(u32, f64)> = matrix.column(place.commune).map(|(i, t)| (i as u32, t + stretch)).collect();
            if matrix.minutes(place.commune, place.commune) == Some(0.0) && !v.iter().any(|&(i, _)| i as usize == place.commune) {
                v.push((place.commune as u32, stretch));
            }
            v.retain(|&(_, t)| t <= max_minutes);
            v
        }
    };
    found.sort_unstable_by_key(|&(i, _)| i);
    found
}

/// Places to reach (MSP, new sites) indexed for "which one is reached soonest from this
/// commune": by distance on the sphere (estimate) or through the matrix row of the commune.
#[derive(Debug, Clone)]
pub struct DestinationIndex {
    places: Vec<Destination>,
    index: PointIndex,
    by_commune: std::collections::HashMap<usize, Vec<usize>>,
}

impl DestinationIndex {
    /// Indexes the places (their positions are the slice's).
    pub fn new(places: Vec<Destination>) -> DestinationIndex {
        let mut by_commune: std::collections::HashMap<usize, Vec<usize>> = std::collections::HashMap::new();
        for (s, p) in places.iter().enumerate() {
            by_commune.entry(p.commune).or_default().push(s);
        }
        let index = PointIndex::build(places.iter().map(|p| Some(p.point)));
        DestinationIndex { places, index, by_commune }
    }

    /// The places, in the order given.
    pub fn places(&self) -> &[Destination] {
        &self.places
    }

    /// The place reached soonest from commune `from` (by travel time; ties by position), with
    /// its minutes, leaving out the places `skip` names; `None` when none is reachable (with
    /// a matrix: none within its range). With an estimate, the nearest place by distance.
    pub fn soonest(&self, travel: &TravelTimes, points: &[Point<f64>], from: usize, skip: impl Fn(usize) -> bool) -> Option<(usize, f64)> {
        match travel {
            TravelTimes::Estimated(model) => {
                self.index.nearest_iter(points[from]).find(|&(s, _)| !skip(s)).map(|(s, d)| (s, model.minutes(d)))
            }
            TravelTimes::Matrix(matrix) => {
                let mut best: Option<(usize, f64)> = None;
                for j in matrix.row(from).map(|(j, _)| j).chain(std::iter::once(from)) {
                    for &s in self.by_commune.get(&j).into_iter().flatten().filter(|&&s| !skip(s)) {
                        if let Some(t) = minutes_to_place(travel, points, from, self.places[s])
                            && best.is_none_or(|(bs, bt)| t < bt || (t == bt && s < bs))
                        {
                            best = Some((s, t));
                        }
                    }
                }
                best
            }
        }
    }
}

fn estimated_costs(model: &RoadEstimate, points: &[Point<f64>], supply_communes: &[usize], max_minutes: f64) -> CostTable {
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
    for &(from, to, minutes) in matrix.pairs() {
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

    #[test]
    fn estimated_pairs_are_exactly_those_within_the_time_limit() {
        // A grid of points 0.05° apart around Montluçon; supply at every third point.
        let points: Vec<Point<f64>> =
            (0..15).flat_map(|i| (0..15).map(move |j| Point::new(2.2 + 0.05 * i as f64, 46.0 + 0.05 * j as f64))).collect();
        let supply: Vec<usize> = (0..points.len()).step_by(3).collect();
        for model in [RoadEstimate::default(), RoadEstimate::LINEAR_1_3_AT_60] {
            let table = cost_table(&TravelTimes::Estimated(model), &points, &supply, 20.0);
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
            assert!(brute > 50, "the test grid should have many pairs, has {brute}");
        }
    }

    #[test]
    fn matrix_pairs_are_directional_and_a_commune_reaches_itself() {
        let matrix = TimeMatrix::new(3, vec![(0, 1, 12.0), (1, 0, 14.0), (2, 1, 25.0)], "m.csv");
        let points = vec![Point::new(0.0, 0.0); 3];
        let table = cost_table(&TravelTimes::Matrix(matrix), &points, &[1], 20.0);
        assert_eq!(table.row(0).collect::<Vec<_>>(), vec![(0, 12.0)]);
        assert_eq!(table.row(1).collect::<Vec<_>>(), vec![(0, 0.0)]);
        assert_eq!(table.row(2).count(), 0, "25 min is beyond the catchment");
    }

    /// Three communes on a line 10 km apart; the matrix is much slower than any estimate.
    fn line() -> (Vec<Point<f64>>, TravelTimes) {
        let points: Vec<Point<f64>> = (0..3).map(|i| Point::new(3.0 + 0.13 * f64::from(i), 46.0)).collect();
        let m = TimeMatrix::new(3, vec![(0, 1, 18.0), (1, 0, 19.0), (2, 1, 16.0), (0, 2, 29.0), (1, 2, 15.0)], "m.csv");
        (points, TravelTimes::Matrix(m))
    }

    #[test]
    fn a_place_is_reached_through_its_commune_plus_the_estimated_last_stretch() {
        let (points, travel) = line();
        let est = RoadEstimate::default();
        // 2 km east of commune 1's representative point, inside commune 1.
        let place = Destination { point: Point::new(points[1].x() + 0.026, 46.0), commune: 1 };
        let stretch = est.minutes(haversine_m(points[1], place.point));
        assert!(stretch > 1.0, "the test's last stretch is a few minutes: {stretch}");
        assert_eq!(minutes_to_place(&travel, &points, 0, place), Some(18.0 + stretch));
        assert_eq!(minutes_to_place(&travel, &points, 1, place), Some(stretch), "own commune: only the stretch");
        assert_eq!(minutes_to_place(&travel, &points, 2, place), Some(16.0 + stretch));
        // From a point in commune 0 (1 km west of its town hall): first stretch added.
        let from = Point::new(points[0].x() - 0.013, 46.0);
        let first = est.minutes(haversine_m(from, points[0]));
        assert_eq!(minutes_from_point(&travel, &points, from, 0, place), Some(first + 18.0 + stretch));
        // Without a matrix, the whole trip is estimated.
        let plain = TravelTimes::Estimated(est);
        assert_eq!(minutes_to_place(&plain, &points, 0, place), Some(est.minutes(haversine_m(points[0], place.point))));
        // The communes reaching it within 20 min: 0 (18 + stretch > 20?) decided by the numbers.
        let index = PointIndex::build(points.iter().map(|p| Some(*p)));
        let reach = communes_reaching(&travel, &points, &index, place, 20.0);
        let expected: Vec<(u32, f64)> = [(0u32, 18.0), (1, 0.0), (2, 16.0)]
            .into_iter()
            .map(|(i, t)| (i, t + stretch))
            .filter(|&(_, t)| t <= 20.0)
            .collect();
        assert_eq!(reach, expected);
    }

    #[test]
    fn soonest_destination_by_routed_time() {
        let (points, travel) = line();
        // Destination 0 at commune 2's town hall, place 1 at commune 1's: from commune 0, commune 1
        // is both nearer and faster; from commune 1, commune 2 is 15 min, commune 1 itself 0.
        let places = [Destination { point: points[2], commune: 2 }, Destination { point: points[1], commune: 1 }];
        let index = DestinationIndex::new(places.to_vec());
        let found: Vec<_> = (0..3).map(|i| index.soonest(&travel, &points, i, |_| false)).collect();
        assert_eq!(found, vec![Some((1, 18.0)), Some((1, 0.0)), Some((0, 0.0))]);
        // Without place 1: commune 0 reaches place 0 in 29 min by the matrix; commune 2 is there.
        let found: Vec<_> = (0..3).map(|i| index.soonest(&travel, &points, i, |s| s == 1)).collect();
        assert_eq!(found, vec![Some((0, 29.0)), Some((0, 15.0)), Some((0, 0.0))]);
        // A matrix without the pair: unreachable, not estimated.
        let sparse = TravelTimes::Matrix(TimeMatrix::new(3, vec![], "empty.csv"));
        assert_eq!(index.soonest(&sparse, &points, 0, |_| false), None);
        // The estimate: nearest by distance (commune 1 is nearer to 0 than commune 2).
        let est = TravelTimes::default();
        let (s, t) = index.soonest(&est, &points, 0, |_| false).expect("a place");
        assert_eq!(s, 1);
        assert!((t - RoadEstimate::default().minutes(haversine_m(points[0], points[1]))).abs() < 1e-9);
    }
}
