//! The p-median problem (Hakimi 1964; ReVelle & Swain 1970): open `k` candidate sites so that
//! the weighted total cost from every demand point to the nearest open site is least. Sites
//! that already exist (MSP) are open and cost nothing to keep: a demand point's cost is the
//! least of its cost to an existing site and its costs to the chosen ones.
//!
//! The objective matches spopt's `PMedian.from_cost_matrix(cost, weights, p_facilities)`:
//! Σ_i w_i c_i,a(i), every point assigned to one open site (the nearest: any optimum does so);
//! existing sites are spopt's predefined facilities (p counts them there, not here).
//!
//! Solution: greedy then fast interchange (Teitz & Bart moves, evaluated for every pair at once
//! with each point's nearest and second-nearest open site, Whitaker 1983), from several starts,
//! gives the incumbent. A Lagrangian relaxation of the assignment constraints (subgradient
//! ascent; Beasley 1993) gives a lower bound; when it does not meet the incumbent, a
//! depth-first branch and bound on "site j open / closed" with the same bound at every node
//! closes the gap, up to [`NODE_LIMIT`] nodes. The answer says whether it is proven optimal
//! (to [`TOLERANCE`] relative) and, if not, its bound and gap.

use super::{Optimality, SitingError};

/// Relative difference under which the bound proves the incumbent optimal: the Lagrangian
/// bound is a floating-point sum, exact only to rounding.
pub const TOLERANCE: f64 = 1e-9;
/// Branch-and-bound nodes at most (deterministic budget).
pub const NODE_LIMIT: usize = 2_000;
/// Greedy starts: plain greedy, then greedy forced to open first each of the best single sites.
pub const STARTS: usize = 8;

/// Demand weights, a dense cost matrix and each point's cost to the nearest existing site.
#[derive(Debug, Clone, PartialEq)]
pub struct MedianInstance {
    weights: Vec<f64>,
    /// Row-major `n × m`.
    cost: Vec<f64>,
    m: usize,
    /// Cost to the nearest existing site; `f64::INFINITY` where there is none.
    existing: Vec<f64>,
}

impl MedianInstance {
    /// From weights and `cost[i][j]` (demand `i`, candidate `j`): every cost finite and ≥ 0,
    /// every weight finite and ≥ 0, every row as long as the first.
    pub fn new(weights: Vec<f64>, cost: &[Vec<f64>]) -> Result<MedianInstance, SitingError> {
        let n = weights.len();
        if cost.len() != n {
            return Err(SitingError::Length { what: "cost rows", expected: n, got: cost.len() });
        }
        let m = cost.first().map_or(0, Vec::len);
        if n == 0 || m == 0 {
            return Err(SitingError::Empty { demand: n, candidates: m });
        }
        if let Some((i, &w)) = weights.iter().enumerate().find(|(_, w)| !(w.is_finite() && **w >= 0.0)) {
            return Err(SitingError::Weight { demand: i, weight: w });
        }
        let mut flat = Vec::with_capacity(n * m);
        for (i, row) in cost.iter().enumerate() {
            if row.len() != m {
                return Err(SitingError::Length { what: "a cost row", expected: m, got: row.len() });
            }
            if let Some((j, &c)) = row.iter().enumerate().find(|(_, c)| !(c.is_finite() && **c >= 0.0)) {
                return Err(SitingError::Cost { demand: i, candidate: j, cost: c });
            }
            flat.extend_from_slice(row);
        }
        Ok(MedianInstance { existing: vec![f64::INFINITY; n], weights, cost: flat, m })
    }

    /// The same with existing sites: `minutes[i]` is point `i`'s cost to the nearest one
    /// (`f64::INFINITY` where none is reachable).
    pub fn with_existing(mut self, minutes: Vec<f64>) -> Result<MedianInstance, SitingError> {
        if minutes.len() != self.weights.len() {
            return Err(SitingError::Length { what: "existing-site costs", expected: self.weights.len(), got: minutes.len() });
        }
        if let Some((i, &c)) = minutes.iter().enumerate().find(|(_, c)| c.is_nan() || **c < 0.0) {
            return Err(SitingError::Cost { demand: i, candidate: usize::MAX, cost: c });
        }
        self.existing = minutes;
        Ok(self)
    }

    /// Number of demand points.
    pub fn demand(&self) -> usize {
        self.weights.len()
    }

    /// Number of candidate sites.
    pub fn candidates(&self) -> usize {
        self.m
    }

    /// Cost from demand `i` to candidate `j`.
    pub fn cost(&self, i: usize, j: usize) -> f64 {
        self.cost[i * self.m + j]
    }

    /// Each point's cost to the nearest open site (existing or `selected`), in demand order.
    pub fn nearest_costs(&self, selected: &[usize]) -> Vec<f64> {
        (0..self.demand()).map(|i| selected.iter().map(|&j| self.cost(i, j)).fold(self.existing[i], f64::min)).collect()
    }

    /// Σ w_i × cost to the nearest open site, added in demand order (`f64::INFINITY` when a
    /// point of positive weight reaches no open site: only possible with `selected` empty).
    pub fn objective(&self, selected: &[usize]) -> f64 {
        self.nearest_costs(selected).iter().zip(&self.weights).map(|(c, w)| if *w == 0.0 { 0.0 } else { w * c }).sum()
    }
}

/// A p-median answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Median {
    /// The chosen candidates, ascending.
    pub selected: Vec<usize>,
    /// Σ w_i × cost to the nearest open site (existing or chosen).
    pub total_cost: f64,
    /// Σ w_i.
    pub total_weight: f64,
    /// `total_cost / total_weight` (`None` when every weight is 0).
    pub mean_cost: Option<f64>,
    /// The same total with the existing sites only (`f64::INFINITY` when some point of positive
    /// weight reaches none).
    pub total_cost_before: f64,
    /// Whether `total_cost` is proven least, and the bound.
    pub optimality: Optimality,
    /// Branch-and-bound nodes explored (1: the root bound closed the gap).
    pub nodes: usize,
}

/// Opens `k` of the candidates minimising the weighted total cost. Errors: `k` = 0, `k` above
/// the number of candidates.
pub fn p_median(instance: &MedianInstance, k: usize) -> Result<Median, SitingError> {
    let m = instance.candidates();
    if k == 0 {
        return Err(SitingError::NoSites);
    }
    if k > m {
        return Err(SitingError::TooManySites { k, candidates: m });
    }
    let solver = Solver::new(instance);
    let (mut best, mut upper) = solver.heuristic(k);
    // Branch and bound (depth first) on candidate j open / closed, with the Lagrangian bound.
    let mut stack = vec![Node { open: Vec::new(), closed: vec![false; m], lambda: solver.initial_lambda(&best), depth_bound: f64::NEG_INFINITY }];
    let mut nodes = 0;
    let mut open_bounds: Vec<f64> = Vec::new();
    while let Some(node) = stack.pop() {
        if node.depth_bound >= upper * (1.0 - TOLERANCE) {
            continue;
        }
        if nodes == NODE_LIMIT {
            open_bounds.push(node.depth_bound);
            open_bounds.extend(stack.iter().map(|n| n.depth_bound));
            break;
        }
        nodes += 1;
        let iterations = if nodes == 1 { 3_000 } else { 300 };
        let outcome = solver.lagrangian(k, &node, upper, iterations);
        if outcome.primal_cost < upper {
            // The relaxation's sites, improved by interchange, as a new incumbent.
            let (sel, cost) = solver.interchange(outcome.primal.clone());
            if cost < upper {
                best = sel;
                upper = cost;
            }
        }
        if outcome.bound >= upper * (1.0 - TOLERANCE) {
            continue;
        }
        // Branch on the free site of the relaxation's choice with the most negative reduced
        // cost: closing it first (the child explored second) keeps the stack small.
        let Some(j) = outcome.branch else { continue };
        let mut closed = node.closed.clone();
        closed[j] = true;
        let free_left = (0..m).filter(|&c| !closed[c] && !node.open.contains(&c)).count();
        if node.open.len() + free_left >= k {
            stack.push(Node { open: node.open.clone(), closed, lambda: outcome.lambda.clone(), depth_bound: outcome.bound });
        }
        let mut open = node.open.clone();
        open.push(j);
        stack.push(Node { open, closed: node.closed.clone(), lambda: outcome.lambda, depth_bound: outcome.bound });
    }
    let bound = open_bounds.iter().copied().fold(upper, f64::min).min(upper);
    let total_weight: f64 = instance.weights.iter().sum();
    best.sort_unstable();
    let total_cost = instance.objective(&best);
    let method = "greedy + fast interchange (multi-start), Lagrangian bound, branch and bound on open/closed sites";
    let optimality = if open_bounds.is_empty() {
        Optimality::proven(total_cost, method)
    } else {
        Optimality::bounded(total_cost, bound, format!("{method}: stopped at its budget of {NODE_LIMIT} nodes"))
    };
    Ok(Median {
        selected: best,
        total_cost,
        total_weight,
        mean_cost: (total_weight > 0.0).then(|| total_cost / total_weight),
        total_cost_before: instance.objective(&[]),
        optimality,
        nodes,
    })
}

/// A branch-and-bound node: sites forced open, sites forced closed, the multipliers to start
/// from (the parent's) and the parent's bound.
struct Node {
    open: Vec<usize>,
    closed: Vec<bool>,
    lambda: Vec<f64>,
    depth_bound: f64,
}

/// What one Lagrangian ascent found.
struct Lagrangian {
    bound: f64,
    lambda: Vec<f64>,
    /// The sites of the best relaxed solution and their true cost.
    primal: Vec<usize>,
    primal_cost: f64,
    /// The free site to branch on.
    branch: Option<usize>,
}

struct Solver {
    n: usize,
    m: usize,
    /// Weighted costs `w_i c_ij`, row-major.
    wc: Vec<f64>,
    /// Per row, the candidates by increasing weighted cost (ties by index).
    sorted: Vec<Vec<(f64, u32)>>,
    /// `w_i × existing_i`, with an unreachable existing site replaced by a cost above every
    /// candidate's: with k ≥ 1 every point has an open candidate, so no solution's cost changes.
    we: Vec<f64>,
}

impl Solver {
    fn new(inst: &MedianInstance) -> Solver {
        let (n, m) = (inst.demand(), inst.candidates());
        let far = 2.0 * inst.cost.iter().copied().fold(0.0, f64::max) + 1.0;
        let existing: Vec<f64> = inst.existing.iter().map(|&e| e.min(far)).collect();
        let wc: Vec<f64> = (0..n * m).map(|x| inst.weights[x / m] * inst.cost[x]).collect();
        let sorted = (0..n)
            .map(|i| {
                let mut row: Vec<(f64, u32)> = (0..m).map(|j| (wc[i * m + j], j as u32)).collect();
                row.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                row
            })
            .collect();
        let we = (0..n).map(|i| inst.weights[i] * existing[i]).collect();
        Solver { n, m, wc, sorted, we }
    }

    /// Σ_i w_i min(existing, chosen) with the replaced existing costs (equal to the true
    /// objective whenever `sel` is not empty).
    fn cost_of(&self, sel: &[usize]) -> f64 {
        (0..self.n).map(|i| sel.iter().map(|&j| self.wc[i * self.m + j]).fold(self.we[i], f64::min)).sum()
    }

    /// Best of the greedy + interchange starts.
    fn heuristic(&self, k: usize) -> (Vec<usize>, f64) {
        let base: Vec<f64> = self.we.clone();
        let mut solo: Vec<(usize, f64)> =
            (0..self.m).map(|j| (j, (0..self.n).map(|i| (self.wc[i * self.m + j] - base[i]).min(0.0)).sum::<f64>())).collect();
        solo.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        let starts = std::iter::once(None).chain(solo.iter().take(STARTS).map(|&(j, _)| Some(j)));
        let mut best: Option<(Vec<usize>, f64)> = None;
        for forced in starts {
            let (sel, cost) = self.interchange(self.greedy(k, forced));
            if best.as_ref().is_none_or(|(_, b)| cost < *b) {
                best = Some((sel, cost));
            }
        }
        best.unwrap_or_default()
    }

    fn greedy(&self, k: usize, forced: Option<usize>) -> Vec<usize> {
        let mut d1 = self.we.clone();
        let mut open = vec![false; self.m];
        let mut sel = Vec::with_capacity(k);
        let add = |j: usize, d1: &mut [f64], open: &mut [bool], sel: &mut Vec<usize>| {
            for (i, d) in d1.iter_mut().enumerate() {
                *d = d.min(self.wc[i * self.m + j]);
            }
            open[j] = true;
            sel.push(j);
        };
        if let Some(j) = forced {
            add(j, &mut d1, &mut open, &mut sel);
        }
        while sel.len() < k {
            let mut best: Option<(usize, f64)> = None;
            for j in (0..self.m).filter(|&j| !open[j]) {
                let delta: f64 = (0..self.n).map(|i| (self.wc[i * self.m + j] - d1[i]).min(0.0)).sum();
                if best.is_none_or(|(_, b)| delta < b) {
                    best = Some((j, delta));
                }
            }
            let Some((j, _)) = best else { break };
            add(j, &mut d1, &mut open, &mut sel);
        }
        sel
    }

    /// Fast interchange: every (in, out) swap evaluated per round through each point's nearest
    /// and second-nearest open site; the best strictly improving one applied, until none.
    fn interchange(&self, mut sel: Vec<usize>) -> (Vec<usize>, f64) {
        let (n, m) = (self.n, self.m);
        let mut cost = self.cost_of(&sel);
        let existing_slot = usize::MAX;
        for _ in 0..100 * sel.len().max(1) {
            let mut open = vec![false; m];
            for &j in &sel {
                open[j] = true;
            }
            // Nearest (slot in `sel`, or the existing site) and second-nearest weighted costs.
            let mut d1 = vec![0.0; n];
            let mut a1 = vec![existing_slot; n];
            let mut d2 = vec![f64::INFINITY; n];
            for i in 0..n {
                let (mut b1, mut s1, mut b2) = (self.we[i], existing_slot, f64::INFINITY);
                for (s, &j) in sel.iter().enumerate() {
                    let c = self.wc[i * m + j];
                    if c < b1 {
                        b2 = b1;
                        b1 = c;
                        s1 = s;
                    } else if c < b2 {
                        b2 = c;
                    }
                }
                (d1[i], a1[i], d2[i]) = (b1, s1, b2);
            }
            let mut best: Option<(usize, usize, f64)> = None;
            let mut extra = vec![0.0; sel.len()];
            for j in (0..m).filter(|&j| !open[j]) {
                extra.iter_mut().for_each(|e| *e = 0.0);
                let mut gain = 0.0;
                for i in 0..n {
                    let c = self.wc[i * m + j];
                    if c < d1[i] {
                        gain += c - d1[i];
                    }
                    if a1[i] != existing_slot {
                        // Removing the nearest site: the point falls back to min(c, d2).
                        extra[a1[i]] += c.min(d2[i]) - c.min(d1[i]);
                    }
                }
                for (s, e) in extra.iter().enumerate() {
                    let delta = gain + e;
                    if best.is_none_or(|(_, _, b)| delta < b) {
                        best = Some((j, s, delta));
                    }
                }
            }
            let Some((j, s, delta)) = best else { break };
            if delta >= -1e-12 * cost.abs().max(1.0) {
                break;
            }
            let mut next = sel.clone();
            next[s] = j;
            let next_cost = self.cost_of(&next);
            if next_cost >= cost {
                break; // rounding: the move does not really improve
            }
            sel = next;
            cost = next_cost;
        }
        (sel, cost)
    }

    /// λ_i = the point's weighted cost in the incumbent: a multiplier near the optimum's duals.
    fn initial_lambda(&self, sel: &[usize]) -> Vec<f64> {
        (0..self.n).map(|i| sel.iter().map(|&j| self.wc[i * self.m + j]).fold(self.we[i], f64::min)).collect()
    }

    /// Subgradient ascent on L(λ) = Σ λ_i + Σ_i min(0, w_i e_i − λ_i) + Σ_{j ∈ S} ρ_j, with
    /// ρ_j = Σ_i min(0, w_i c_ij − λ_i) and S the forced-open sites plus the free ones of least
    /// ρ up to k (the forced-closed never): a lower bound of every solution of the node.
    fn lagrangian(&self, k: usize, node: &Node, upper: f64, iterations: usize) -> Lagrangian {
        let (n, m) = (self.n, self.m);
        let mut lambda = node.lambda.clone();
        let mut best = Lagrangian { bound: node.depth_bound, lambda: lambda.clone(), primal: Vec::new(), primal_cost: f64::INFINITY, branch: None };
        let mut theta = 2.0;
        let mut since_better = 0;
        let mut rho = vec![0.0; m];
        let mut g = vec![0.0; n];
        let mut free: Vec<usize> = Vec::with_capacity(m);
        for _ in 0..iterations {
            rho.iter_mut().for_each(|r| *r = 0.0);
            let mut value = 0.0;
            for ((&l, &we), row) in lambda.iter().zip(&self.we).zip(&self.sorted) {
                value += l + (we - l).min(0.0);
                // Rows are sorted: only the candidates cheaper than λ_i contribute.
                for &(c, j) in row.iter().take_while(|&&(c, _)| c < l) {
                    rho[j as usize] += c - l;
                }
            }
            free.clear();
            free.extend((0..m).filter(|&j| !node.closed[j] && !node.open.contains(&j)));
            free.sort_by(|&a, &b| rho[a].total_cmp(&rho[b]).then(a.cmp(&b)));
            let need = k.saturating_sub(node.open.len());
            if free.len() < need {
                best.bound = f64::INFINITY; // no solution in this node
                return best;
            }
            let chosen: Vec<usize> = node.open.iter().copied().chain(free[..need].iter().copied()).collect();
            value += chosen.iter().map(|&j| rho[j]).sum::<f64>();
            if value > best.bound {
                best.bound = value;
                best.lambda = lambda.clone();
                best.branch = free[..need].first().copied();
                since_better = 0;
            } else {
                since_better += 1;
                if since_better >= 20 {
                    theta /= 2.0;
                    since_better = 0;
                }
            }
            let primal_cost = self.cost_of(&chosen);
            if primal_cost < best.primal_cost {
                best.primal_cost = primal_cost;
                best.primal = chosen.clone();
            }
            let target = upper.min(best.primal_cost);
            if best.bound >= target * (1.0 - TOLERANCE) || theta < 1e-6 {
                break;
            }
            // Subgradient: 1 − (assignments of i in the relaxed solution).
            let mut norm = 0.0;
            for i in 0..n {
                let mut assigned = f64::from(u8::from(self.we[i] < lambda[i]));
                for &j in &chosen {
                    if self.wc[i * m + j] < lambda[i] {
                        assigned += 1.0;
                    }
                }
                g[i] = 1.0 - assigned;
                norm += g[i] * g[i];
            }
            if norm == 0.0 {
                break; // the relaxed solution is feasible, so optimal for the node
            }
            let step = theta * (target - value).max(1e-12 * target.abs().max(1.0)) / norm;
            for i in 0..n {
                lambda[i] += step * g[i];
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four points on a line at 0, 1, 10, 11 (weights 1, 1, 1, 5), candidates at the points.
    fn line() -> MedianInstance {
        let x = [0.0f64, 1.0, 10.0, 11.0];
        let cost: Vec<Vec<f64>> = x.iter().map(|a| x.iter().map(|b| (a - b).abs()).collect()).collect();
        MedianInstance::new(vec![1.0, 1.0, 1.0, 5.0], &cost).unwrap()
    }

    #[test]
    fn two_medians_on_a_line() {
        let s = p_median(&line(), 2).unwrap();
        // {0 or 1, 11}: 1 (the other of 0/1) + 1 (10 to 11) = 2.
        assert_eq!(s.total_cost, 2.0);
        assert!(s.selected.contains(&3));
        assert!(s.optimality.exact);
        assert_eq!(s.mean_cost, Some(0.25));
        let one = p_median(&line(), 1).unwrap();
        // 1 median: at 11 costs 11 + 10 + 1 = 22; at 10: 10 + 9 + 5 = 24.
        assert_eq!((one.selected.clone(), one.total_cost), (vec![3], 22.0));
    }

    #[test]
    fn existing_sites_are_open_and_cost_nothing() {
        // An existing site next to the heavy point (cost 0 to it, 1 to the point at 10): one
        // new site then goes to the left pair.
        let inst = line().with_existing(vec![f64::INFINITY, f64::INFINITY, 1.0, 0.0]).unwrap();
        let s = p_median(&inst, 1).unwrap();
        assert_eq!(s.total_cost, 2.0);
        assert!(s.selected == vec![0] || s.selected == vec![1]);
        assert_eq!(s.total_cost_before, f64::INFINITY);
    }

    #[test]
    fn bad_requests_are_typed_errors() {
        assert_eq!(p_median(&line(), 0), Err(SitingError::NoSites));
        assert_eq!(p_median(&line(), 5), Err(SitingError::TooManySites { k: 5, candidates: 4 }));
        assert!(matches!(MedianInstance::new(vec![], &[]), Err(SitingError::Empty { .. })));
        assert!(matches!(MedianInstance::new(vec![1.0], &[vec![f64::NAN]]), Err(SitingError::Cost { .. })));
        assert!(matches!(MedianInstance::new(vec![-1.0], &[vec![1.0]]), Err(SitingError::Weight { .. })));
    }

    #[test]
    fn a_seeded_instance_matches_enumeration() {
        // 30 points, 12 candidates, k = 3: all 220 selections enumerated.
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let pts: Vec<(f64, f64)> = (0..30).map(|_| (rng.random_range(0.0..10.0), rng.random_range(0.0..10.0))).collect();
        let cand: Vec<(f64, f64)> = (0..12).map(|_| (rng.random_range(0.0..10.0), rng.random_range(0.0..10.0))).collect();
        let cost: Vec<Vec<f64>> = pts.iter().map(|p| cand.iter().map(|c| ((p.0 - c.0).powi(2) + (p.1 - c.1).powi(2)).sqrt()).collect()).collect();
        let weights: Vec<f64> = (0..30).map(|_| f64::from(rng.random_range(1u32..100))).collect();
        let inst = MedianInstance::new(weights, &cost).unwrap();
        let mut best = f64::INFINITY;
        for a in 0..12 {
            for b in a + 1..12 {
                for c in b + 1..12 {
                    best = best.min(inst.objective(&[a, b, c]));
                }
            }
        }
        let s = p_median(&inst, 3).unwrap();
        assert!((s.total_cost - best).abs() <= 1e-9 * best, "{} vs {best}", s.total_cost);
        assert!(s.optimality.exact);
    }
}
