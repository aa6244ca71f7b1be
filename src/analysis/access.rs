//! Floating-catchment access measures over sparse travel costs: 2SFCA, E2SFCA (step weights),
//! gravity-weighted 2SFCA, and the gravity potential (a weighted catchment sum).
//!
//! The conventions are those of PySAL `access` 1.1.10 (`access/fca.py`, `access/weights.py`),
//! so results can be checked value for value against it (tests/access_parity.rs):
//!
//! - a pair counts when `cost <= max_cost` (inclusive); with no `max_cost` every given pair
//!   counts, and the decay alone decides (a weight of 0 still counts as "reachable");
//! - step weights apply to `cost <= bound` (inclusive upper bounds, tried in increasing
//!   order), 0 beyond the last bound;
//! - gravity weight is `(max(cost, min_cost) / scale)^alpha`, with no normalisation;
//! - in 2SFCA the decay weighs both steps: `R_j = S_j / Σ_i w(c_ij) P_i`, then
//!   `A_i = Σ_j w(c_ij) R_j`;
//! - a demand location with no pair within `max_cost` has no value (PySAL: NaN); one whose
//!   pairs only reach supply locations with no supply gets 0;
//! - a supply location whose weighted catchment demand is 0 has no ratio and adds nothing
//!   (PySAL: 0/0 = NaN, skipped by pandas' sum; with a zero-population origin at positive
//!   weight PySAL would give infinity — we never produce it);
//! - values are raw, not normalised to a mean of 1 (`normalize=False`).

use rayon::prelude::*;
use thiserror::Error;

/// A bad parameter or input of an access computation.
#[derive(Debug, Error, PartialEq)]
pub enum AccessError {
    #[error("{what} must be a finite number ≥ 0, got {value}")]
    Negative { what: &'static str, value: f64 },
    #[error("{what}: {detail}")]
    Invalid { what: &'static str, detail: String },
    #[error("{what} has {got} values for {expected} locations")]
    Length { what: &'static str, got: usize, expected: usize },
    #[error("pair {index} refers to {side} location {location}, but there are only {count}")]
    OutOfRange { index: usize, side: &'static str, location: usize, count: usize },
}

/// Why a text is not a list of step weights ([`Decay::parse_steps`]).
#[derive(Debug, Error, PartialEq)]
pub enum StepsError {
    /// A step without the `:` between its bound and its weight.
    #[error("step {0:?} is not bound:weight")]
    NotAPair(String),
    /// A bound or weight that is not a number.
    #[error("step {step:?}: {part} {value:?} is not a number")]
    NotANumber { step: String, part: &'static str, value: String },
    /// Numbers that make no decay (negative, not finite, no step at all).
    #[error(transparent)]
    Invalid(AccessError),
}

/// How much a unit of supply counts at a given travel cost.
#[derive(Debug, Clone, PartialEq)]
pub enum Decay {
    /// Weight 1 at every cost: classic 2SFCA, where only the catchment limit applies.
    Uniform,
    /// `(upper bound, weight)` pairs: the weight of the first bound with `cost <= bound`,
    /// 0 beyond the last (PySAL's `step_fn`). Kept sorted by bound.
    Steps(Vec<(f64, f64)>),
    /// `(max(cost, min_cost) / scale)^alpha` (PySAL's `gravity`); `alpha` is usually negative.
    Gravity { scale: f64, alpha: f64, min_cost: f64 },
    /// `exp(-beta · cost)`: the negative exponential of Soukhov et al. (2023) and of the R
    /// package `accessibility`'s `decay_exponential` (used by `availability` to reproduce
    /// their worked example).
    Exponential { beta: f64 },
}

impl Decay {
    /// Step weights, sorted by bound, checked (finite, weights ≥ 0).
    pub fn steps(mut steps: Vec<(f64, f64)>) -> Result<Decay, AccessError> {
        if steps.is_empty() {
            return Err(AccessError::Invalid { what: "step weights", detail: "no step given".into() });
        }
        for &(bound, weight) in &steps {
            if !bound.is_finite() || bound < 0.0 {
                return Err(AccessError::Negative { what: "a step bound", value: bound });
            }
            if !weight.is_finite() || weight < 0.0 {
                return Err(AccessError::Negative { what: "a step weight", value: weight });
            }
        }
        steps.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok(Decay::Steps(steps))
    }

    /// Step weights written as `bound:weight` pairs separated by commas, e.g.
    /// `10:1,20:0.68,30:0.22` (the command line's `--steps`), checked as [`Decay::steps`].
    pub fn parse_steps(text: &str) -> Result<Decay, StepsError> {
        let number = |step: &str, part: &'static str, raw: &str| {
            raw.trim().parse::<f64>().map_err(|_| StepsError::NotANumber { step: step.to_string(), part, value: raw.trim().to_string() })
        };
        let steps = text
            .split(',')
            .map(|step| {
                let (bound, weight) = step.split_once(':').ok_or_else(|| StepsError::NotAPair(step.to_string()))?;
                Ok((number(step, "bound", bound)?, number(step, "weight", weight)?))
            })
            .collect::<Result<Vec<_>, StepsError>>()?;
        Decay::steps(steps).map_err(StepsError::Invalid)
    }

    /// A gravity decay, checked: a negative `alpha` needs `min_cost > 0`, or a pair at cost 0
    /// would weigh infinitely.
    pub fn gravity(scale: f64, alpha: f64, min_cost: f64) -> Result<Decay, AccessError> {
        if !(scale.is_finite() && scale > 0.0) {
            return Err(AccessError::Invalid { what: "gravity scale", detail: format!("must be > 0, got {scale}") });
        }
        if !alpha.is_finite() {
            return Err(AccessError::Invalid { what: "gravity alpha", detail: format!("must be finite, got {alpha}") });
        }
        if !min_cost.is_finite() || min_cost < 0.0 || (alpha < 0.0 && min_cost == 0.0) {
            return Err(AccessError::Invalid {
                what: "gravity min_cost",
                detail: format!("must be > 0 when alpha < 0 (a pair at cost 0 would weigh infinitely), got {min_cost}"),
            });
        }
        Ok(Decay::Gravity { scale, alpha, min_cost })
    }

    /// A negative exponential decay `exp(-beta · cost)`, checked: `beta` finite and ≥ 0.
    pub fn exponential(beta: f64) -> Result<Decay, AccessError> {
        if !beta.is_finite() || beta < 0.0 {
            return Err(AccessError::Negative { what: "exponential decay beta", value: beta });
        }
        Ok(Decay::Exponential { beta })
    }

    /// The weight of one unit of supply or demand at `cost`.
    pub fn weight(&self, cost: f64) -> f64 {
        match self {
            Decay::Uniform => 1.0,
            Decay::Steps(steps) => steps.iter().find(|(bound, _)| cost <= *bound).map_or(0.0, |(_, w)| *w),
            Decay::Gravity { scale, alpha, min_cost } => (cost.max(*min_cost) / scale).powf(*alpha),
            Decay::Exponential { beta } => (-beta * cost).exp(),
        }
    }

    /// The largest cost with a non-zero weight, when there is one (steps only): pairs beyond
    /// it never matter, so a caller may skip computing them.
    pub fn reach(&self) -> Option<f64> {
        match self {
            Decay::Steps(steps) => steps.iter().rev().find(|(_, w)| *w > 0.0).map(|(b, _)| *b).or(Some(0.0)),
            Decay::Uniform | Decay::Gravity { .. } | Decay::Exponential { .. } => None,
        }
    }
}

/// The catchment: which pairs count (`max_cost`, inclusive) and how they weigh.
#[derive(Debug, Clone, PartialEq)]
pub struct Catchment {
    pub max_cost: Option<f64>,
    pub decay: Decay,
}

impl Catchment {
    /// Whether a pair at `cost` counts (`cost <= max_cost`, or any pair without a limit).
    pub fn admits(&self, cost: f64) -> bool {
        self.max_cost.is_none_or(|m| cost <= m)
    }
}

/// Travel costs between demand locations (rows) and supply locations (columns), stored
/// sparsely by demand location: only the pairs somebody listed (a matrix) or found within
/// reach (an R-tree query) exist; any other pair is unreachable.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CostTable {
    n_demand: usize,
    n_supply: usize,
    /// `offsets[i]..offsets[i + 1]` are the pairs of demand location `i`.
    offsets: Vec<usize>,
    supply: Vec<u32>,
    cost: Vec<f64>,
}

impl CostTable {
    /// Builds the table from `(demand, supply, cost)` triples in any order. Costs must be
    /// finite and ≥ 0; a pair given twice keeps its smallest cost.
    pub fn from_pairs(
        n_demand: usize,
        n_supply: usize,
        pairs: impl IntoIterator<Item = (usize, usize, f64)>,
    ) -> Result<CostTable, AccessError> {
        let mut pairs: Vec<(usize, usize, f64)> = pairs.into_iter().collect();
        for (index, &(d, s, c)) in pairs.iter().enumerate() {
            if d >= n_demand {
                return Err(AccessError::OutOfRange { index, side: "demand", location: d, count: n_demand });
            }
            if s >= n_supply {
                return Err(AccessError::OutOfRange { index, side: "supply", location: s, count: n_supply });
            }
            if !c.is_finite() || c < 0.0 {
                return Err(AccessError::Negative { what: "a travel cost", value: c });
            }
        }
        pairs.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(a.2.total_cmp(&b.2)));
        pairs.dedup_by(|later, first| (later.0, later.1) == (first.0, first.1));
        let rows = pairs.iter().map(|&(d, _, _)| d);
        Ok(CostTable::from_sorted(n_demand, n_supply, rows, &pairs))
    }

    /// Builds the table from rows already grouped by demand location: `rows[i]` lists the
    /// `(supply, cost)` pairs of demand location `i` (no checks beyond the debug ones; for
    /// callers that generated the pairs themselves).
    pub fn from_rows(n_supply: usize, rows: Vec<Vec<(u32, f64)>>) -> CostTable {
        let mut offsets = Vec::with_capacity(rows.len() + 1);
        offsets.push(0);
        let total = rows.iter().map(Vec::len).sum();
        let (mut supply, mut cost) = (Vec::with_capacity(total), Vec::with_capacity(total));
        for row in &rows {
            for &(s, c) in row {
                debug_assert!((s as usize) < n_supply && c.is_finite() && c >= 0.0);
                supply.push(s);
                cost.push(c);
            }
            offsets.push(supply.len());
        }
        CostTable { n_demand: rows.len(), n_supply, offsets, supply, cost }
    }

    fn from_sorted(
        n_demand: usize,
        n_supply: usize,
        rows: impl Iterator<Item = usize>,
        pairs: &[(usize, usize, f64)],
    ) -> CostTable {
        let mut offsets = vec![0usize; n_demand + 1];
        for d in rows {
            offsets[d + 1] += 1;
        }
        for i in 0..n_demand {
            offsets[i + 1] += offsets[i];
        }
        CostTable {
            n_demand,
            n_supply,
            offsets,
            supply: pairs.iter().map(|&(_, s, _)| s as u32).collect(),
            cost: pairs.iter().map(|&(_, _, c)| c).collect(),
        }
    }

    pub fn n_demand(&self) -> usize {
        self.n_demand
    }

    pub fn n_supply(&self) -> usize {
        self.n_supply
    }

    /// Number of stored pairs.
    pub fn len(&self) -> usize {
        self.cost.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cost.is_empty()
    }

    /// The `(supply, cost)` pairs of demand location `i`.
    pub fn row(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let range = self.offsets[i]..self.offsets[i + 1];
        self.supply[range.clone()].iter().map(|&s| s as usize).zip(self.cost[range].iter().copied())
    }

    /// All pairs, as `(demand, supply, cost)`.
    pub fn pairs(&self) -> impl Iterator<Item = (usize, usize, f64)> + '_ {
        (0..self.n_demand).flat_map(move |i| self.row(i).map(move |(s, c)| (i, s, c)))
    }
}

pub(crate) fn check_values(what: &'static str, values: &[f64], expected: usize) -> Result<(), AccessError> {
    if values.len() != expected {
        return Err(AccessError::Length { what, got: values.len(), expected });
    }
    match values.iter().find(|v| !v.is_finite() || **v < 0.0) {
        Some(&value) => Err(AccessError::Negative { what, value }),
        None => Ok(()),
    }
}

/// The first step of 2SFCA: each supply location's weighted catchment demand
/// `D_j = Σ_i w(c_ij) P_i` over the admitted pairs.
pub fn catchment_demand(demand: &[f64], costs: &CostTable, catchment: &Catchment) -> Vec<f64> {
    let mut total = vec![0.0; costs.n_supply];
    for (i, &p) in demand.iter().enumerate().take(costs.n_demand) {
        for (j, c) in costs.row(i) {
            if catchment.admits(c) {
                total[j] += catchment.decay.weight(c) * p;
            }
        }
    }
    total
}

/// Supply-to-demand ratios `R_j = S_j / D_j`; `None` where the catchment demand is 0.
pub fn supply_ratios(supply: &[f64], catchment_demand: &[f64]) -> Vec<Option<f64>> {
    supply.iter().zip(catchment_demand).map(|(&s, &d)| (d > 0.0).then(|| s / d)).collect()
}

/// The second step: `A_i = Σ_j w(c_ij) R_j` for every demand location; `None` for a location
/// with no admitted pair.
pub fn gather(ratios: &[Option<f64>], costs: &CostTable, catchment: &Catchment) -> Vec<Option<f64>> {
    (0..costs.n_demand).into_par_iter().with_min_len(256).map(|i| gather_one(i, ratios, costs, catchment)).collect()
}

/// [`gather`] for one demand location (scenarios recompute only the locations they touch).
pub fn gather_one(i: usize, ratios: &[Option<f64>], costs: &CostTable, catchment: &Catchment) -> Option<f64> {
    let mut reached = false;
    let mut sum = 0.0;
    for (j, c) in costs.row(i) {
        if catchment.admits(c) {
            reached = true;
            if let Some(r) = ratios[j] {
                sum += catchment.decay.weight(c) * r;
            }
        }
    }
    reached.then_some(sum)
}

/// Two-step floating catchment area (Luo & Wang 2003); with [`Decay::Steps`] it is the
/// enhanced 2SFCA (Luo & Qi 2009), with [`Decay::Gravity`] the gravity-weighted 2SFCA.
/// `demand` and `supply` are indexed like the cost table's rows and columns.
pub fn two_step_fca(
    demand: &[f64],
    supply: &[f64],
    costs: &CostTable,
    catchment: &Catchment,
) -> Result<Vec<Option<f64>>, AccessError> {
    check_values("demand", demand, costs.n_demand)?;
    check_values("supply", supply, costs.n_supply)?;
    let ratios = supply_ratios(supply, &catchment_demand(demand, costs, catchment));
    Ok(gather(&ratios, costs, catchment))
}

/// The weighted catchment sum `A_i = Σ_j w(c_ij) S_j` (PySAL's `weighted_catchment`); with a
/// gravity decay, the gravity (Hansen) potential. `None` for a location with no admitted pair.
pub fn weighted_catchment(supply: &[f64], costs: &CostTable, catchment: &Catchment) -> Result<Vec<Option<f64>>, AccessError> {
    check_values("supply", supply, costs.n_supply)?;
    let as_ratios: Vec<Option<f64>> = supply.iter().map(|&s| Some(s)).collect();
    Ok(gather(&as_ratios, costs, catchment))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(v: &[(f64, f64)]) -> Decay {
        Decay::steps(v.to_vec()).unwrap()
    }

    #[test]
    fn step_bounds_are_inclusive_and_zero_beyond() {
        let d = steps(&[(20.0, 0.68), (10.0, 1.0), (30.0, 0.22)]);
        assert_eq!(d.weight(0.0), 1.0);
        assert_eq!(d.weight(10.0), 1.0);
        assert_eq!(d.weight(10.000001), 0.68);
        assert_eq!(d.weight(30.0), 0.22);
        assert_eq!(d.weight(30.5), 0.0);
        assert_eq!(d.reach(), Some(30.0));
    }

    #[test]
    fn gravity_weight_floors_the_cost_at_min_cost() {
        let d = Decay::gravity(20.0, -2.0, 1.0).unwrap();
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b;
        assert!(close(d.weight(0.0), 400.0), "{}", d.weight(0.0));
        assert!(close(d.weight(0.5), 400.0));
        assert!(close(d.weight(2.0), 100.0));
        assert!(close(d.weight(40.0), 0.25));
        assert!(Decay::gravity(20.0, -1.0, 0.0).is_err());
        assert!(Decay::gravity(0.0, -1.0, 1.0).is_err());
    }

    #[test]
    fn two_step_fca_on_a_hand_checked_case() {
        // Two villages (100 and 300 inhabitants) and two practices (1 and 2 GPs).
        // Practice 0 reaches both villages, practice 1 only village 1.
        let costs = CostTable::from_pairs(2, 2, [(0, 0, 5.0), (1, 0, 8.0), (1, 1, 3.0), (0, 1, 40.0)]).unwrap();
        let c = Catchment { max_cost: Some(30.0), decay: Decay::Uniform };
        let a = two_step_fca(&[100.0, 300.0], &[1.0, 2.0], &costs, &c).unwrap();
        // R0 = 1/400, R1 = 2/300; A0 = R0; A1 = R0 + R1.
        assert!((a[0].unwrap() - 1.0 / 400.0).abs() < 1e-15);
        assert!((a[1].unwrap() - (1.0 / 400.0 + 2.0 / 300.0)).abs() < 1e-15);
        // Total supply is conserved when every location is reached: Σ P_i A_i = Σ S_j.
        let served: f64 = 100.0 * a[0].unwrap() + 300.0 * a[1].unwrap();
        assert!((served - 3.0).abs() < 1e-12);
    }

    #[test]
    fn unreachable_location_has_no_value_and_empty_supply_gives_zero() {
        let costs = CostTable::from_pairs(3, 2, [(0, 0, 5.0), (1, 1, 5.0), (2, 0, 50.0)]).unwrap();
        let c = Catchment { max_cost: Some(30.0), decay: Decay::Uniform };
        let a = two_step_fca(&[10.0, 10.0, 10.0], &[1.0, 0.0], &costs, &c).unwrap();
        assert_eq!(a, vec![Some(0.1), Some(0.0), None]);
    }

    #[test]
    fn zero_weight_pairs_still_count_as_reached_without_max_cost() {
        let costs = CostTable::from_pairs(1, 1, [(0, 0, 45.0)]).unwrap();
        let c = Catchment { max_cost: None, decay: steps(&[(30.0, 1.0)]) };
        assert_eq!(two_step_fca(&[10.0], &[1.0], &costs, &c).unwrap(), vec![Some(0.0)]);
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(CostTable::from_pairs(1, 1, [(0, 0, -1.0)]).is_err());
        assert!(CostTable::from_pairs(1, 1, [(0, 1, 1.0)]).is_err());
        assert!(CostTable::from_pairs(1, 1, [(0, 0, f64::NAN)]).is_err());
        let costs = CostTable::from_pairs(1, 1, [(0, 0, 1.0)]).unwrap();
        let c = Catchment { max_cost: None, decay: Decay::Uniform };
        assert!(two_step_fca(&[-1.0], &[1.0], &costs, &c).is_err());
        assert!(two_step_fca(&[1.0, 2.0], &[1.0], &costs, &c).is_err());
        assert!(Decay::steps(vec![(10.0, -0.5)]).is_err());
    }

    #[test]
    fn duplicate_pairs_keep_the_smallest_cost() {
        let costs = CostTable::from_pairs(1, 1, [(0, 0, 12.0), (0, 0, 7.0)]).unwrap();
        assert_eq!(costs.row(0).collect::<Vec<_>>(), vec![(0, 7.0)]);
    }

    #[test]
    fn weighted_catchment_is_the_gravity_potential() {
        let costs = CostTable::from_pairs(1, 2, [(0, 0, 10.0), (0, 1, 20.0)]).unwrap();
        let c = Catchment { max_cost: None, decay: Decay::gravity(10.0, -1.0, 1.0).unwrap() };
        let a = weighted_catchment(&[3.0, 4.0], &costs, &c).unwrap();
        assert!((a[0].unwrap() - (3.0 + 4.0 / 2.0)).abs() < 1e-15);
    }

    #[test]
    fn steps_are_parsed_from_bound_weight_pairs() {
        assert_eq!(Decay::parse_steps("20:0.68, 10:1,30:0.22"), Ok(Decay::Steps(vec![(10.0, 1.0), (20.0, 0.68), (30.0, 0.22)])));
        assert_eq!(Decay::parse_steps("15"), Err(StepsError::NotAPair("15".into())));
        assert_eq!(
            Decay::parse_steps("10:1,20:x"),
            Err(StepsError::NotANumber { step: "20:x".into(), part: "weight", value: "x".into() })
        );
        assert!(matches!(Decay::parse_steps("ten:1"), Err(StepsError::NotANumber { part: "bound", .. })));
        assert_eq!(Decay::parse_steps("10:-1"), Err(StepsError::Invalid(AccessError::Negative { what: "a step weight", value: -1.0 })));
        assert_eq!(Decay::parse_steps(""), Err(StepsError::NotAPair(String::new())));
    }
}
