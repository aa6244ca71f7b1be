//! Where car travel times between communes come from: one source per atlas, chosen at load and
//! read by every computation (APL and the other access measures, scenarios, nearest MSP,
//! suggestions, tiles).
//!
//! - A **matrix** of routed times (from `medatlas travel-times`, OSRM, or a user's file): times
//!   are taken as given, in the direction given (resident's commune → practice's commune); a
//!   pair that is not listed is beyond the matrix's range (unreachable for the computation),
//!   except a commune to itself, which is 0 minutes unless listed.
//! - An **estimate** from the great-circle distance between representative points
//!   ([`RoadEstimate`], by default a power law fitted on routed times).
//!
//! A place that is not a commune's representative point (a site placed by a scenario at a
//! point, an MSP at its own address, a clicked point) is reached **through the commune it lies
//! in**: the matrix time to that commune plus the estimate for the last stretch between the
//! commune's representative point and the place (and likewise for a first stretch from a point
//! of origin). With an estimate, the whole trip is estimated from the distance.

use super::road_estimate::RoadEstimate;
use serde::Serialize;

/// Routed commune-to-commune times in atlas commune positions, indexed both ways.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimeMatrix {
    /// `(from, to, minutes)` sorted by `from` then `to`, one entry per ordered pair.
    pairs: Vec<(usize, usize, f64)>,
    /// `pairs[row_start[i]..row_start[i + 1]]` are the pairs from commune `i`.
    row_start: Vec<usize>,
    /// Positions in `pairs` sorted by `to` then `from`: the pairs arriving at a commune.
    by_to: Vec<u32>,
    /// `by_to[col_start[j]..col_start[j + 1]]` are the pairs arriving at commune `j`.
    col_start: Vec<usize>,
    /// Where the matrix came from (file name), for descriptions.
    pub source: String,
}

impl TimeMatrix {
    /// A matrix over `n_communes` atlas positions. A pair given twice keeps its fastest time;
    /// pairs naming a position ≥ `n_communes` are left out (impossible for rows resolved
    /// against the atlas's own registry).
    pub fn new(n_communes: usize, mut pairs: Vec<(usize, usize, f64)>, source: impl Into<String>) -> TimeMatrix {
        pairs.retain(|&(f, t, m)| f < n_communes && t < n_communes && m.is_finite() && m >= 0.0);
        pairs.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(a.2.total_cmp(&b.2)));
        pairs.dedup_by(|later, first| (later.0, later.1) == (first.0, first.1));
        let mut row_start = vec![0; n_communes + 1];
        let mut col_start = vec![0; n_communes + 1];
        for &(f, t, _) in &pairs {
            row_start[f + 1] += 1;
            col_start[t + 1] += 1;
        }
        for i in 0..n_communes {
            row_start[i + 1] += row_start[i];
            col_start[i + 1] += col_start[i];
        }
        let mut by_to: Vec<u32> = (0..pairs.len() as u32).collect();
        by_to.sort_by_key(|&k| (pairs[k as usize].1, pairs[k as usize].0));
        TimeMatrix { pairs, row_start, by_to, col_start, source: source.into() }
    }

    /// A matrix from rows naming communes by code; `position` maps a code to its atlas
    /// position. Returns the matrix and how many rows named a code without a position.
    pub fn from_coded<'a>(
        n_communes: usize,
        rows: impl IntoIterator<Item = (&'a str, &'a str, f64)>,
        source: impl Into<String>,
        position: impl Fn(&str) -> Option<usize>,
    ) -> (TimeMatrix, usize) {
        let mut unplaced = 0;
        let pairs = rows
            .into_iter()
            .filter_map(|(f, t, m)| {
                let placed = position(f).zip(position(t)).map(|(f, t)| (f, t, m));
                unplaced += usize::from(placed.is_none());
                placed
            })
            .collect();
        (TimeMatrix::new(n_communes, pairs, source), unplaced)
    }

    /// Every pair, sorted by origin then destination.
    pub fn pairs(&self) -> &[(usize, usize, f64)] {
        &self.pairs
    }

    /// Number of ordered pairs.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// True when the matrix has no pair.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Number of commune positions the matrix was built over.
    pub fn communes(&self) -> usize {
        self.row_start.len().saturating_sub(1)
    }

    /// The pairs leaving commune `from`: `(to, minutes)`, by destination.
    pub fn row(&self, from: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let range = match (self.row_start.get(from), self.row_start.get(from + 1)) {
            (Some(&a), Some(&b)) => a..b,
            _ => 0..0,
        };
        self.pairs[range].iter().map(|&(_, t, m)| (t, m))
    }

    /// The pairs arriving at commune `to`: `(from, minutes)`, by origin.
    pub fn column(&self, to: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let range = match (self.col_start.get(to), self.col_start.get(to + 1)) {
            (Some(&a), Some(&b)) => a..b,
            _ => 0..0,
        };
        self.by_to[range].iter().map(|&k| {
            let (f, _, m) = self.pairs[k as usize];
            (f, m)
        })
    }

    /// Minutes from `from` to `to`: the listed time, 0 for a commune to itself when not
    /// listed, `None` when the pair is beyond the matrix.
    pub fn minutes(&self, from: usize, to: usize) -> Option<f64> {
        let start = *self.row_start.get(from)?;
        let row = &self.pairs[start..*self.row_start.get(from + 1)?];
        match row.binary_search_by_key(&to, |&(_, t, _)| t) {
            Ok(k) => Some(row[k].2),
            Err(_) => (from == to).then_some(0.0),
        }
    }

    /// The longest listed time (the matrix's range: pairs beyond it were not computed).
    pub fn max_minutes(&self) -> f64 {
        self.pairs.iter().map(|p| p.2).fold(0.0, f64::max)
    }
}

/// The travel-time source of an atlas.
#[derive(Debug, Clone, PartialEq)]
pub enum TravelTimes {
    /// Estimated from great-circle distances.
    Estimated(RoadEstimate),
    /// Routed times between communes; last stretches to places off the representative points
    /// are estimated with the default [`RoadEstimate`].
    Matrix(TimeMatrix),
}

impl Default for TravelTimes {
    /// The calibrated estimate.
    fn default() -> Self {
        TravelTimes::Estimated(RoadEstimate::default())
    }
}

/// What the outputs say about the travel times they rest on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TravelInfo {
    /// "estimated" or "matrix".
    pub kind: &'static str,
    /// For an estimate, "calibrated" or "linear"; for a matrix, "routed".
    pub method: &'static str,
    /// One sentence: how the times were obtained.
    pub description: String,
    /// The matrix file, when one is loaded.
    pub source: Option<String>,
    /// Ordered commune pairs of the matrix, when one is loaded.
    pub pairs: Option<usize>,
}

impl TravelTimes {
    /// "estimated" or "matrix", for APIs.
    pub fn kind(&self) -> &'static str {
        match self {
            TravelTimes::Estimated(_) => "estimated",
            TravelTimes::Matrix(_) => "matrix",
        }
    }

    /// The estimate used for whole trips (no matrix) or for the stretches between a place and
    /// its commune's representative point (with a matrix).
    pub fn estimate(&self) -> RoadEstimate {
        match self {
            TravelTimes::Estimated(e) => *e,
            TravelTimes::Matrix(_) => RoadEstimate::default(),
        }
    }

    /// One sentence saying how times were obtained.
    pub fn describe(&self) -> String {
        match self {
            TravelTimes::Estimated(m) => m.describe(),
            TravelTimes::Matrix(m) => format!(
                "matrix: {} routed commune pairs from {} (unlisted pairs beyond its range, same commune 0 min; \
                 places off a town hall reached through their commune, last stretch {})",
                m.len(),
                m.source,
                RoadEstimate::default().describe()
            ),
        }
    }

    /// The description for metadata.
    pub fn info(&self) -> TravelInfo {
        match self {
            TravelTimes::Estimated(e) => {
                TravelInfo { kind: "estimated", method: e.kind(), description: self.describe(), source: None, pairs: None }
            }
            TravelTimes::Matrix(m) => TravelInfo {
                kind: "matrix",
                method: "routed",
                description: self.describe(),
                source: Some(m.source.clone()),
                pairs: Some(m.len()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_lookups_agree_with_the_pairs_given() {
        let m = TimeMatrix::new(4, vec![(2, 1, 7.0), (0, 1, 12.0), (1, 0, 14.0), (0, 1, 11.0), (0, 3, 25.0), (9, 0, 1.0)], "m.csv");
        assert_eq!(m.len(), 4, "duplicate kept once, out-of-range position left out");
        assert_eq!(m.minutes(0, 1), Some(11.0), "fastest of a duplicated pair");
        assert_eq!(m.minutes(1, 0), Some(14.0), "directional");
        assert_eq!(m.minutes(3, 0), None, "not listed");
        assert_eq!(m.minutes(2, 2), Some(0.0), "a commune to itself");
        assert_eq!(m.minutes(7, 0), None, "outside the positions");
        assert_eq!(m.row(0).collect::<Vec<_>>(), vec![(1, 11.0), (3, 25.0)]);
        assert_eq!(m.column(1).collect::<Vec<_>>(), vec![(0, 11.0), (2, 7.0)]);
        assert_eq!(m.column(2).count(), 0);
        assert_eq!(m.max_minutes(), 25.0);
    }

    #[test]
    fn coded_rows_count_the_codes_without_a_position() {
        let position = |c: &str| ["a", "b"].iter().position(|x| *x == c);
        let (m, unplaced) = TimeMatrix::from_coded(2, [("a", "b", 3.0), ("b", "z", 4.0)], "x", position);
        assert_eq!((m.len(), unplaced), (1, 1));
        assert_eq!(m.minutes(0, 1), Some(3.0));
    }

    #[test]
    fn every_output_says_which_source() {
        let est = TravelTimes::default().info();
        assert_eq!((est.kind, est.method), ("estimated", "calibrated"));
        assert!(est.description.starts_with("estimated"));
        let m = TravelTimes::Matrix(TimeMatrix::new(1, vec![(0, 0, 1.0)], "osrm.csv")).info();
        assert_eq!((m.kind, m.method, m.pairs), ("matrix", "routed", Some(1)));
        assert!(m.description.contains("osrm.csv"));
    }
}
