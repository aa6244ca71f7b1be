//! Where would new sites help most: the maximal covering location problem (MCLP, Church &
//! ReVelle 1974) — choose `p` candidate sites so that the weight (population) of demand points
//! within the service radius of at least one chosen site is largest.
//!
//! Coverage follows PySAL `spopt`'s MCLP: a demand point is covered by a candidate when their
//! cost is `<= radius` (inclusive), and counts once however many chosen sites cover it.
//! Demand already covered (e.g. by existing MSP) can be given: it adds nothing.
//!
//! Solved by greedy selection (largest marginal gain first) followed by an interchange local
//! search (Teitz & Bart): swap a chosen site for an unchosen one while that strictly increases
//! the covered weight. Greedy alone is within 1 − 1/e of the optimum; the interchange closes
//! most of the rest — tests/siting_parity.rs compares with spopt's exact (CBC) optimum.

pub mod lscp;
pub mod median;
pub mod plan;

use super::access::CostTable;
use super::scenario::{APL_THRESHOLD, Baseline, Change, Place, Scenario, ScenarioError};
use super::travel;
use crate::atlas::Atlas;
use geo::Point;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Why a siting problem cannot be solved as asked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SitingError {
    /// No demand point or no candidate.
    #[error("empty instance: {demand} demand points, {candidates} candidate sites")]
    Empty { demand: usize, candidates: usize },
    /// `k` = 0.
    #[error("k must be at least 1")]
    NoSites,
    /// More sites asked for than there are candidates.
    #[error("k = {k} is more than the {candidates} candidate sites")]
    TooManySites { k: usize, candidates: usize },
    /// A service radius that is not a positive number of minutes.
    #[error("the service radius must be a positive number of minutes, got {0}")]
    Radius(f64),
    /// A negative or non-finite demand weight.
    #[error("demand point {demand}: weight {weight} is not a finite number >= 0")]
    Weight { demand: usize, weight: f64 },
    /// A negative or non-finite cost (`candidate` = `usize::MAX`: the cost to existing sites).
    #[error("demand point {demand}, candidate {candidate}: cost {cost} is not a finite number >= 0")]
    Cost { demand: usize, candidate: usize, cost: f64 },
    /// Inputs of different lengths.
    #[error("{what}: expected {expected} values, got {got}")]
    Length { what: &'static str, expected: usize, got: usize },
}

/// Checks a service radius (minutes): finite and above 0.
pub fn check_radius(minutes: f64) -> Result<f64, SitingError> {
    if minutes.is_finite() && minutes > 0.0 { Ok(minutes) } else { Err(SitingError::Radius(minutes)) }
}

/// Whether an answer is proven optimal, and otherwise how far it may be from the optimum.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Optimality {
    /// Proven optimal (p-median: to [`median::TOLERANCE`] relative, the bound's rounding).
    pub exact: bool,
    /// The objective of the answer (sites for set covering, weighted cost for p-median).
    pub objective: f64,
    /// A proven bound on the optimum: lower for a minimisation (set covering, p-median), upper
    /// for a maximisation (coverage); equal to `objective` when exact.
    pub bound: f64,
    /// `|objective - bound| / objective`, 0 when exact.
    pub gap: f64,
    /// How the answer was found and the bound proved.
    pub method: String,
}

impl Optimality {
    fn proven(objective: f64, method: impl Into<String>) -> Optimality {
        Optimality { exact: true, objective, bound: objective, gap: 0.0, method: method.into() }
    }

    fn bounded(objective: f64, bound: f64, method: impl Into<String>) -> Optimality {
        let gap = if objective > 0.0 { ((objective - bound).abs() / objective).max(0.0) } else { 0.0 };
        Optimality { exact: gap == 0.0, objective, bound, gap, method: method.into() }
    }
}

/// Which demand points each candidate covers, and the demand weights.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverInstance {
    weights: Vec<f64>,
    /// `covers[c]`: demand points within the radius of candidate `c`, ascending.
    covers: Vec<Vec<u32>>,
}

impl CoverInstance {
    /// From a dense matrix `cost[i][c]` (demand `i`, candidate `c`).
    pub fn from_dense(weights: Vec<f64>, cost: &[Vec<f64>], radius: f64) -> CoverInstance {
        let n_candidates = cost.first().map_or(0, Vec::len);
        let mut covers = vec![Vec::new(); n_candidates];
        for (i, row) in cost.iter().enumerate() {
            for (c, &t) in row.iter().enumerate() {
                if t <= radius {
                    covers[c].push(i as u32);
                }
            }
        }
        CoverInstance { weights, covers }
    }

    /// From sparse costs (rows: demand points, columns: candidates).
    pub fn from_costs(weights: Vec<f64>, costs: &CostTable, radius: f64) -> CoverInstance {
        let mut covers = vec![Vec::new(); costs.n_supply()];
        for (i, c, t) in costs.pairs() {
            if t <= radius {
                covers[c].push(i as u32);
            }
        }
        CoverInstance { weights, covers }
    }

    pub fn candidates(&self) -> usize {
        self.covers.len()
    }

    /// Demand points covered by candidate `c`.
    pub fn covered_by(&self, c: usize) -> &[u32] {
        &self.covers[c]
    }

    /// Weight newly covered by a set of candidates: points within reach of one of them and
    /// not in `already` (each point once).
    pub fn covered_weight(&self, selected: &[usize], already: &[bool]) -> f64 {
        let mut covered = already.to_vec();
        let mut total = 0.0;
        for &c in selected {
            for &i in &self.covers[c] {
                if !covered[i as usize] {
                    covered[i as usize] = true;
                    total += self.weights[i as usize];
                }
            }
        }
        total
    }
}

/// A chosen set of sites.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// Candidates in the order a planner would open them: each adds the most of what is left.
    pub selected: Vec<usize>,
    /// The weight each one adds, given those before it.
    pub marginal_gains: Vec<f64>,
    /// Weight newly covered by the whole selection.
    pub covered_weight: f64,
    /// Interchanges the local search made after the greedy pass.
    pub swaps: usize,
}

/// How many greedy starts [`max_cover`] tries: plain greedy, then greedy forced to open each
/// of the candidates that cover the most alone first.
pub const MULTI_STARTS: usize = 24;

/// Chooses `p` candidates maximising the newly covered weight; `already[i]` marks demand
/// covered before (it adds nothing). Fewer than `p` are returned only when there are fewer
/// candidates. Deterministic: ties go to the lower candidate index.
///
/// Several starts (plain greedy, and greedy forced to open one of the [`MULTI_STARTS`] best
/// single sites first), each improved by interchange; the best result wins. One start alone
/// stays in a local optimum on some instances (3.6 % below spopt's optimum on one fixture).
pub fn max_cover(instance: &CoverInstance, p: usize, already: Option<&[bool]>) -> Selection {
    let n = instance.weights.len();
    let p = p.min(instance.candidates());
    let initial: Vec<u32> = match already {
        Some(a) => a.iter().map(|&c| u32::from(c)).collect(),
        None => vec![0; n],
    };
    let mut solo: Vec<(usize, f64)> = (0..instance.candidates()).map(|c| (c, gain(instance, &initial, c))).collect();
    solo.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let starts = std::iter::once(None).chain(solo.iter().take(MULTI_STARTS).map(|&(c, _)| Some(c)));
    let mut best: Option<(Vec<usize>, f64, usize)> = None;
    for forced in starts {
        let mut count = initial.clone();
        let mut selected = greedy(instance, p, &mut count, forced);
        let swaps = interchange(instance, &mut selected, &mut count);
        let covered: f64 = count.iter().zip(&initial).zip(&instance.weights).filter(|((c, i), _)| **c > 0 && **i == 0).map(|(_, w)| w).sum();
        if best.as_ref().is_none_or(|(_, b, _)| covered > *b + 1e-9 * b.abs().max(1.0)) {
            best = Some((selected, covered, swaps));
        }
    }
    let (selected, _, swaps) = best.unwrap_or_default();
    opening_order(instance, selected, initial, swaps)
}

/// Greedy selection of `p` sites (the `forced` one first), updating the cover counts.
fn greedy(instance: &CoverInstance, p: usize, count: &mut [u32], forced: Option<usize>) -> Vec<usize> {
    let mut chosen = vec![false; instance.candidates()];
    let mut selected = Vec::with_capacity(p);
    if let Some(c) = forced.filter(|_| p > 0) {
        add(instance, count, c);
        chosen[c] = true;
        selected.push(c);
    }
    while selected.len() < p {
        let best = (0..instance.candidates()).filter(|&c| !chosen[c]).map(|c| (c, gain(instance, count, c))).fold(
            None,
            |best: Option<(usize, f64)>, (c, g)| match best {
                Some((_, bg)) if bg >= g => best,
                _ => Some((c, g)),
            },
        );
        let Some((c, _)) = best else { break };
        add(instance, count, c);
        chosen[c] = true;
        selected.push(c);
    }
    selected
}

/// Interchange (Teitz & Bart): the best strictly improving swap each round, until none
/// improves. Returns the number of swaps made.
fn interchange(instance: &CoverInstance, selected: &mut [usize], count: &mut [u32]) -> usize {
    let mut chosen = vec![false; instance.candidates()];
    for &c in selected.iter() {
        chosen[c] = true;
    }
    let mut swaps = 0;
    for _ in 0..50 * selected.len().max(1) {
        let mut best: Option<(usize, usize, f64)> = None;
        for (slot, &out) in selected.iter().enumerate() {
            let loss = sole_cover_weight(instance, count, out);
            remove(instance, count, out);
            for c in (0..instance.candidates()).filter(|&c| !chosen[c]) {
                let delta = gain(instance, count, c) - loss;
                if delta > 1e-9 * loss.max(1.0) && best.is_none_or(|(_, _, d)| delta > d) {
                    best = Some((slot, c, delta));
                }
            }
            add(instance, count, out);
        }
        let Some((slot, c, _)) = best else { break };
        let out = selected[slot];
        remove(instance, count, out);
        add(instance, count, c);
        chosen[out] = false;
        chosen[c] = true;
        selected[slot] = c;
        swaps += 1;
    }
    swaps
}

/// The selection in the order a planner would open the sites, with marginal gains.
fn opening_order(instance: &CoverInstance, selected: Vec<usize>, mut count: Vec<u32>, swaps: usize) -> Selection {
    let mut left = selected;
    let (mut order, mut gains) = (Vec::with_capacity(left.len()), Vec::with_capacity(left.len()));
    while !left.is_empty() {
        let (k, g) = left.iter().enumerate().map(|(k, &c)| (k, gain(instance, &count, c))).fold((0, f64::MIN), |b, x| {
            if x.1 > b.1 { x } else { b }
        });
        let c = left.remove(k);
        add(instance, &mut count, c);
        order.push(c);
        gains.push(g);
    }
    let covered_weight = gains.iter().sum();
    Selection { selected: order, marginal_gains: gains, covered_weight, swaps }
}

/// Weight of the points candidate `c` would newly cover.
fn gain(instance: &CoverInstance, count: &[u32], c: usize) -> f64 {
    instance.covers[c].iter().filter(|&&i| count[i as usize] == 0).map(|&i| instance.weights[i as usize]).sum()
}

/// Weight of the points only `c` covers (lost if it goes).
fn sole_cover_weight(instance: &CoverInstance, count: &[u32], c: usize) -> f64 {
    instance.covers[c].iter().filter(|&&i| count[i as usize] == 1).map(|&i| instance.weights[i as usize]).sum()
}

fn add(instance: &CoverInstance, count: &mut [u32], c: usize) {
    for &i in &instance.covers[c] {
        count[i as usize] += 1;
    }
}

fn remove(instance: &CoverInstance, count: &mut [u32], c: usize) {
    for &i in &instance.covers[c] {
        count[i as usize] -= 1;
    }
}

/// What a suggestion maximises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Objective {
    /// Population of the area newly within `minutes` of an MSP (MCLP; existing MSP count as
    /// covering already).
    Coverage,
    /// Population of the area whose APL rises to the threshold (2.5) or above, with `gps` GPs
    /// at each new site (greedy; ties broken by the population-weighted APL gain).
    Apl,
}

impl Objective {
    pub fn parse(s: &str) -> Option<Objective> {
        match s.trim().to_ascii_lowercase().as_str() {
            "coverage" => Some(Objective::Coverage),
            "apl" => Some(Objective::Apl),
            _ => None,
        }
    }
}

/// One suggested site: a commune's town hall.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggested {
    pub code: String,
    pub name: String,
    /// [lon, lat] of the town hall (or interior point).
    pub point: [f64; 2],
    /// What this site adds given those before it (population).
    pub marginal_gain: f64,
    /// APL objective: the population-weighted APL gain that broke ties (Σ population × ΔAPL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apl_gain: Option<f64>,
}

/// A suggestion for an area.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub objective: Objective,
    pub candidates: usize,
    /// Population of the area counted by the objective before any new site.
    pub before: f64,
    pub after: f64,
    pub population: f64,
    pub sites: Vec<Suggested>,
}

fn suggested(atlas: &Atlas, c: usize, marginal_gain: f64, apl_gain: Option<f64>) -> Suggested {
    let commune = &atlas.communes()[c];
    Suggested {
        code: commune.code.clone(),
        name: commune.name.clone(),
        point: [commune.repr_point.x(), commune.repr_point.y()],
        marginal_gain,
        apl_gain,
    }
}

/// Coverage objective over the communes `area` (candidates and demand alike): the `k` town
/// halls that bring the most residents of the area within `minutes` of an MSP, by the atlas's
/// travel times.
pub fn suggest_coverage(atlas: &Atlas, area: &[usize], k: usize, minutes: f64) -> Suggestion {
    suggest_coverage_among(atlas, area, area, k, minutes)
}

/// The same with the candidate town halls restricted to `candidates` (atlas positions).
pub fn suggest_coverage_among(atlas: &Atlas, area: &[usize], candidates: &[usize], k: usize, minutes: f64) -> Suggestion {
    let communes = atlas.communes();
    let travel = atlas.travel_times();
    let all_points: Vec<Point<f64>> = communes.iter().map(|c| c.repr_point).collect();
    let weights: Vec<f64> = area.iter().map(|&i| f64::from(communes[i].population)).collect();
    // Candidates are town halls (supply locations in `candidates` order); the demand rows are
    // the area's communes, taken from a table over atlas positions (a matrix is in them).
    let table = travel::cost_table(travel, &all_points, candidates, minutes);
    let rows = area.iter().map(|&i| table.row(i).map(|(s, t)| (s as u32, t)).collect()).collect();
    let costs = CostTable::from_rows(candidates.len(), rows);
    let instance = CoverInstance::from_costs(weights.clone(), &costs, minutes);
    let already = plan::msp_minutes(atlas, area).iter().map(|t| t.is_some_and(|t| t <= minutes)).collect::<Vec<bool>>();
    let before: f64 = already.iter().zip(&weights).filter(|(a, _)| **a).map(|(_, w)| w).sum();
    let selection = max_cover(&instance, k, Some(&already));
    Suggestion {
        objective: Objective::Coverage,
        candidates: candidates.len(),
        before,
        after: before + selection.covered_weight,
        population: weights.iter().sum(),
        sites: selection.selected.iter().zip(&selection.marginal_gains).map(|(&c, &g)| suggested(atlas, candidates[c], g, None)).collect(),
    }
}

/// APL objective over the communes `area`: greedily, the town hall where `gps` more GPs lift
/// the most residents of the area to the APL threshold, given the sites chosen before.
pub fn suggest_apl(atlas: &Atlas, baseline: &Baseline, area: &[usize], k: usize, gps: f64) -> Result<Suggestion, ScenarioError> {
    let communes = atlas.communes();
    let in_area: BTreeSet<usize> = area.iter().copied().collect();
    let population = |i: usize| f64::from(communes[i].population);
    let above = |apl: &dyn Fn(usize) -> Option<f64>| -> f64 {
        area.iter().filter(|&&i| apl(i).is_some_and(|v| v >= APL_THRESHOLD)).map(|&i| population(i)).sum()
    };
    let before = above(&|i| baseline.apl()[i]);
    let mut chosen: Vec<Change> = Vec::new();
    let mut current: BTreeMap<usize, Option<f64>> = BTreeMap::new();
    let mut sites = Vec::new();
    let mut after = before;
    for _ in 0..k.min(area.len()) {
        // (candidate, population above the threshold, weighted APL gain, APL after)
        type Best = (usize, f64, f64, BTreeMap<usize, Option<f64>>);
        let mut best: Option<Best> = None;
        for &c in area {
            if sites.iter().any(|s: &Suggested| s.code == communes[c].code) {
                continue;
            }
            let mut changes = chosen.clone();
            changes.push(Change::AddSite { place: Place::Commune { commune: communes[c].code.clone() }, gps, name: None });
            let resolved = baseline.resolve(atlas, &Scenario { name: String::new(), changes })?;
            let apl: BTreeMap<usize, Option<f64>> = baseline.apl_after(&resolved).changed.into_iter().collect();
            let value = |i: usize| apl.get(&i).copied().unwrap_or(baseline.apl()[i]);
            let count = above(&value);
            let weighted: f64 = apl
                .iter()
                .filter(|(i, _)| in_area.contains(i))
                .map(|(&i, a)| population(i) * (a.unwrap_or(0.0) - current.get(&i).copied().unwrap_or(baseline.apl()[i]).unwrap_or(0.0)))
                .sum();
            let better = match &best {
                None => true,
                Some((_, bc, bw, _)) => count > *bc || (count == *bc && weighted > *bw),
            };
            if better {
                best = Some((c, count, weighted, apl));
            }
        }
        let Some((c, count, weighted, apl)) = best else { break };
        chosen.push(Change::AddSite { place: Place::Commune { commune: communes[c].code.clone() }, gps, name: None });
        sites.push(suggested(atlas, c, count - after, Some(weighted)));
        after = count;
        current = apl;
    }
    Ok(Suggestion {
        objective: Objective::Apl,
        candidates: area.len(),
        before,
        after,
        population: area.iter().map(|&i| population(i)).sum(),
        sites,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Candidate 0 covers the most alone (points 0–3), but 1 and 2 together cover 0–5.
    fn greedy_trap() -> CoverInstance {
        let inf = 99.0;
        let cost = vec![
            vec![1.0, 1.0, inf],
            vec![1.0, 1.0, inf],
            vec![1.0, inf, 1.0],
            vec![1.0, inf, 1.0],
            vec![inf, 1.0, inf],
            vec![inf, inf, 1.0],
        ];
        CoverInstance::from_dense(vec![10.0, 10.0, 10.0, 10.0, 9.0, 9.0], &cost, 5.0)
    }

    #[test]
    fn interchange_escapes_the_greedy_trap() {
        let inst = greedy_trap();
        let mut count = vec![0; 6];
        let mut selected = greedy(&inst, 2, &mut count, None);
        assert_eq!(selected, vec![0, 1], "plain greedy falls in the trap");
        assert_eq!(interchange(&inst, &mut selected, &mut count), 1);
        selected.sort();
        assert_eq!(selected, vec![1, 2]);
        let s = max_cover(&greedy_trap(), 2, None);
        let mut chosen = s.selected.clone();
        chosen.sort();
        assert_eq!(chosen, vec![1, 2]);
        assert_eq!(s.covered_weight, 58.0);
        assert_eq!(s.marginal_gains.iter().sum::<f64>(), 58.0);
    }

    #[test]
    fn already_covered_demand_adds_nothing() {
        let already = [true, true, true, true, false, false];
        let s = max_cover(&greedy_trap(), 1, Some(&already));
        assert_eq!(s.covered_weight, 9.0);
        assert_eq!(greedy_trap().covered_weight(&s.selected, &already), 9.0);
    }

    #[test]
    fn suggestions_on_the_embedded_default_improve_their_objective() {
        let atlas = Atlas::load_default().unwrap();
        let allier: Vec<usize> = (0..atlas.communes().len()).filter(|&i| atlas.communes()[i].dep == "03").collect();
        let cover = suggest_coverage(&atlas, &allier, 3, 15.0);
        assert_eq!(cover.sites.len(), 3);
        assert!(cover.after > cover.before && cover.after <= cover.population);
        assert!(cover.sites.windows(2).all(|w| w[0].marginal_gain >= w[1].marginal_gain));
        let baseline = Baseline::build(&atlas, &crate::analysis::apl::AplParams::default()).unwrap();
        let apl = suggest_apl(&atlas, &baseline, &allier, 2, 2.0).unwrap();
        assert_eq!(apl.sites.len(), 2);
        assert!(apl.after >= apl.before);
        assert!(apl.sites.iter().all(|s| s.apl_gain.is_some_and(|g| g > 0.0)));
    }

    #[test]
    fn radius_is_inclusive_and_p_is_capped() {
        let inst = CoverInstance::from_dense(vec![1.0, 2.0], &[vec![15.0], vec![15.5]], 15.0);
        assert_eq!(inst.covered_by(0), &[0]);
        let s = max_cover(&inst, 5, None);
        assert_eq!(s.selected, vec![0]);
    }
}
