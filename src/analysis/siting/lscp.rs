//! The location set-covering problem (LSCP, Toregas et al. 1971): the fewest candidate sites
//! such that every demand point within the service radius of some candidate is within the
//! radius of a chosen one. Demand already covered (by existing MSP) needs nothing; demand that
//! no candidate reaches is reported as uncoverable instead of making the problem infeasible.
//!
//! Coverage follows spopt's `LSCP.from_cost_matrix(cost, service_radius)`: `cost <= radius`,
//! inclusive (the [`CoverInstance`] rule). spopt declares an instance with an uncoverable point
//! infeasible; here such points are set aside and listed (scripts/parity/lscp_pmedian_fixtures.py).
//!
//! Solved exactly as a 0-1 program (min Σ x_j s.t. Σ_{j covers i} x_j ≥ 1 for every coverable
//! row) by `microlp`'s branch and bound, warm-started with greedy + redundancy removal. The
//! solver's answer is checked here (every row covered) before it is used; when it fails or
//! stops at its node budget, the best verified selection is returned with `exact: false` and
//! the best proven lower bound (the MIP's, else a packing of rows no two of which share a
//! candidate — each needs a site of its own).

use super::{CoverInstance, Optimality, SitingError};
use std::collections::HashSet;

/// Branch-and-bound nodes allowed to the MIP solver: deterministic (unlike a time limit) and far
/// above what a département's communes need (the LP relaxation is usually integral there).
pub const MIP_NODE_LIMIT: u64 = 20_000;

/// A set-covering answer.
#[derive(Debug, Clone, PartialEq)]
pub struct SetCover {
    /// Chosen candidates in the order a planner would open them: each covers the most weight
    /// left uncovered by those before it.
    pub selected: Vec<usize>,
    /// Weight each one newly covers, given those before it.
    pub marginal_weights: Vec<f64>,
    /// Weight newly covered by the whole selection (every coverable point not already covered).
    pub covered_weight: f64,
    /// Weight covered before any new site (`already`).
    pub already_weight: f64,
    /// Demand points neither already covered nor within the radius of any candidate, ascending.
    pub uncoverable: Vec<usize>,
    /// Their weight.
    pub uncoverable_weight: f64,
    /// Whether the count is proven minimal, and the bound.
    pub optimality: Optimality,
}

/// The fewest candidates covering every coverable demand point not `already` covered.
/// Errors: an instance without demand points or without candidates.
pub fn set_cover(instance: &CoverInstance, already: Option<&[bool]>) -> Result<SetCover, SitingError> {
    let n = instance.weights.len();
    let m = instance.candidates();
    if n == 0 || m == 0 {
        return Err(SitingError::Empty { demand: n, candidates: m });
    }
    if let Some(a) = already
        && a.len() != n
    {
        return Err(SitingError::Length { what: "already-covered flags", expected: n, got: a.len() });
    }
    let is_already = |i: usize| already.is_some_and(|a| a[i]);
    // Per demand point, the candidates covering it.
    let mut by_row: Vec<Vec<u32>> = vec![Vec::new(); n];
    for c in 0..m {
        for &i in instance.covered_by(c) {
            by_row[i as usize].push(c as u32);
        }
    }
    let uncoverable: Vec<usize> = (0..n).filter(|&i| !is_already(i) && by_row[i].is_empty()).collect();
    // Rows to cover, each distinct candidate set once (identical rows are one constraint).
    let mut seen = HashSet::new();
    let rows: Vec<&[u32]> =
        (0..n).filter(|&i| !is_already(i) && !by_row[i].is_empty()).map(|i| by_row[i].as_slice()).filter(|r| seen.insert(*r)).collect();
    let heuristic = greedy_cover(&rows, m);
    let packing = packing_bound(&rows, m);
    let (chosen, optimality) = if rows.is_empty() {
        (Vec::new(), Optimality::proven(0.0, "nothing to cover"))
    } else if packing == heuristic.len() {
        (heuristic, Optimality::proven(packing as f64, "greedy + redundancy removal, equal to a packing lower bound"))
    } else {
        match solve_mip(&rows, m, &heuristic) {
            Some((mip, bound, proven)) if covers_all(&rows, &mip, m) && mip.len() <= heuristic.len() => {
                let bound = bound.max(packing);
                let optimality = if proven || bound >= mip.len() {
                    Optimality::proven(mip.len() as f64, "0-1 program solved by branch and bound (microlp)")
                } else {
                    Optimality::bounded(
                        mip.len() as f64,
                        bound as f64,
                        format!("0-1 program stopped at its budget of {MIP_NODE_LIMIT} nodes (microlp); bound from the branch and bound"),
                    )
                };
                (mip, optimality)
            }
            _ => {
                let method = "greedy + redundancy removal (the MIP solver gave no verified answer); bound: rows no two of which share a candidate";
                (heuristic.clone(), Optimality::bounded(heuristic.len() as f64, packing as f64, method.to_string()))
            }
        }
    };
    // The opening order and the weights, recounted from the coverage lists.
    let initial: Vec<u32> = (0..n).map(|i| u32::from(is_already(i))).collect();
    let order = super::opening_order(instance, chosen, initial.clone(), 0);
    // Folded from +0.0: an empty f64 sum is -0.0, which would print as "-0 residents".
    let weight = |keep: &dyn Fn(usize) -> bool| -> f64 { (0..n).filter(|&i| keep(i)).fold(0.0, |s, i| s + instance.weights[i]) };
    Ok(SetCover {
        selected: order.selected,
        marginal_weights: order.marginal_gains,
        covered_weight: order.covered_weight,
        already_weight: weight(&is_already),
        uncoverable_weight: uncoverable.iter().fold(0.0, |s, &i| s + instance.weights[i]),
        uncoverable,
        optimality,
    })
}

/// Whether `chosen` covers every row.
fn covers_all(rows: &[&[u32]], chosen: &[usize], m: usize) -> bool {
    let mut open = vec![false; m];
    for &c in chosen {
        open[c] = true;
    }
    rows.iter().all(|r| r.iter().any(|&c| open[c as usize]))
}

/// Greedy (the candidate covering the most uncovered rows; ties to the lower index), then
/// redundancy removal: a chosen site whose rows are all covered by the others is dropped, the
/// last chosen tried first. Returns the selection ascending.
fn greedy_cover(rows: &[&[u32]], m: usize) -> Vec<usize> {
    let mut rows_of: Vec<Vec<usize>> = vec![Vec::new(); m];
    for (r, row) in rows.iter().enumerate() {
        for &c in row.iter() {
            rows_of[c as usize].push(r);
        }
    }
    let mut count = vec![0u32; rows.len()];
    let mut chosen = Vec::new();
    let mut left = rows.len();
    while left > 0 {
        let gain = |c: usize| rows_of[c].iter().filter(|&&r| count[r] == 0).count();
        let Some((c, g)) = (0..m).map(|c| (c, gain(c))).fold(None, |b: Option<(usize, usize)>, x| if b.is_none_or(|b| x.1 > b.1) { Some(x) } else { b })
        else {
            break;
        };
        if g == 0 {
            break; // impossible: every row has a candidate
        }
        for &r in &rows_of[c] {
            count[r] += 1;
        }
        left -= g;
        chosen.push(c);
    }
    for k in (0..chosen.len()).rev() {
        let c = chosen[k];
        if rows_of[c].iter().all(|&r| count[r] >= 2) {
            for &r in &rows_of[c] {
                count[r] -= 1;
            }
            chosen.remove(k);
        }
    }
    chosen.sort_unstable();
    chosen
}

/// A lower bound: rows taken fewest candidates first, each kept when it shares no candidate
/// with a row kept before; every kept row needs a site of its own.
fn packing_bound(rows: &[&[u32]], m: usize) -> usize {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&r| (rows[r].len(), r));
    let mut used = vec![false; m];
    let mut kept = 0;
    for r in order {
        if rows[r].iter().all(|&c| !used[c as usize]) {
            for &c in rows[r] {
                used[c as usize] = true;
            }
            kept += 1;
        }
    }
    kept
}

/// The 0-1 program by microlp: (selection ascending, proven lower bound, proven optimal), or
/// `None` when the solver returns no assignment.
fn solve_mip(rows: &[&[u32]], m: usize, warm: &[usize]) -> Option<(Vec<usize>, usize, bool)> {
    use microlp::{ComparisonOp, OptimizationDirection, Problem, SolveOptions, TerminationReason};
    let mut problem = Problem::new(OptimizationDirection::Minimize);
    let vars: Vec<microlp::Variable> = (0..m).map(|_| problem.add_binary_var(1.0)).collect();
    for row in rows {
        let terms: Vec<(microlp::Variable, f64)> = row.iter().map(|&c| (vars[c as usize], 1.0)).collect();
        problem.add_constraint(terms.as_slice(), ComparisonOp::Ge, 1.0);
    }
    let mut options = SolveOptions::default();
    options.node_limit = Some(MIP_NODE_LIMIT);
    let mut hint = vec![0.0; m];
    for &c in warm {
        hint[c] = 1.0;
    }
    options.warm_start = Some(vars.iter().copied().zip(hint).collect());
    let outcome = problem.solve_with(options).ok()?;
    let stats = outcome.stats();
    let proven = outcome.termination_reason() == TerminationReason::ProvenOptimal;
    let solution = outcome.solution()?;
    let chosen: Vec<usize> = (0..m).filter(|&c| solution.var_value(vars[c]) > 0.5).collect();
    // The bound of a minimisation with integer objective: the next integer above, less round-off.
    let bound = stats.best_bound.filter(|b| b.is_finite()).map_or(0, |b| (b - 1e-6).ceil().max(0.0) as usize);
    Some((chosen, bound, proven))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(cost: &[Vec<f64>], radius: f64) -> CoverInstance {
        CoverInstance::from_dense(vec![1.0; cost.len()], cost, radius)
    }

    #[test]
    fn greedy_trap_needs_two_not_three() {
        // c0 covers the most (d0..d3) but c1 + c2 cover everything; greedy takes c0, c1, c2 and
        // redundancy removal drops c0.
        let x = 99.0;
        let cost = vec![
            vec![1.0, 1.0, x],
            vec![1.0, 1.0, x],
            vec![1.0, x, 1.0],
            vec![1.0, x, 1.0],
            vec![x, 1.0, x],
            vec![x, x, 1.0],
        ];
        let s = set_cover(&instance(&cost, 5.0), None).unwrap();
        let mut chosen = s.selected.clone();
        chosen.sort();
        assert_eq!(chosen, vec![1, 2]);
        assert!(s.optimality.exact);
        assert_eq!(s.covered_weight, 6.0);
        assert!(s.uncoverable.is_empty());
        // +0, not -0 (an empty f64 sum): printed as "0 residents".
        assert!(s.uncoverable_weight == 0.0 && s.uncoverable_weight.is_sign_positive());
        assert!(s.already_weight == 0.0 && s.already_weight.is_sign_positive());
    }

    #[test]
    fn uncoverable_points_are_listed_and_already_covered_ones_need_nothing() {
        let x = 99.0;
        // d2 is reached by no candidate; d0 is already covered.
        let cost = vec![vec![1.0, x], vec![x, 2.0], vec![x, x], vec![x, 2.0]];
        let weights = vec![5.0, 7.0, 11.0, 13.0];
        let inst = CoverInstance::from_dense(weights, &cost, 2.0);
        let s = set_cover(&inst, Some(&[true, false, false, false])).unwrap();
        assert_eq!(s.selected, vec![1]);
        assert_eq!(s.uncoverable, vec![2]);
        assert_eq!(s.uncoverable_weight, 11.0);
        assert_eq!(s.already_weight, 5.0);
        assert_eq!(s.covered_weight, 20.0);
        assert!(s.optimality.exact && s.optimality.gap == 0.0);
    }

    #[test]
    fn an_odd_cycle_needs_the_mip() {
        // Five rows on a 5-cycle of candidates (row r covered by c_r and c_{r+1}): the LP gives
        // 2.5, the packing bound 2, the optimum is 3.
        let x = 99.0;
        let cost: Vec<Vec<f64>> = (0..5).map(|r| (0..5).map(|c| if c == r || c == (r + 1) % 5 { 1.0 } else { x }).collect()).collect();
        let s = set_cover(&instance(&cost, 1.0), None).unwrap();
        assert_eq!(s.selected.len(), 3);
        assert!(s.optimality.exact, "{:?}", s.optimality);
        assert_eq!(s.optimality.bound, 3.0);
    }

    #[test]
    fn empty_instances_are_errors() {
        assert!(matches!(set_cover(&instance(&[], 1.0), None), Err(SitingError::Empty { .. })));
        assert!(matches!(set_cover(&CoverInstance::from_dense(vec![1.0], &[vec![]], 1.0), None), Err(SitingError::Empty { .. })));
    }
}
