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

use super::access::CostTable;

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

/// Chooses `p` candidates maximising the newly covered weight; `already[i]` marks demand
/// covered before (it adds nothing). Fewer than `p` are returned only when there are fewer
/// candidates. Deterministic: ties go to the lower candidate index.
pub fn max_cover(instance: &CoverInstance, p: usize, already: Option<&[bool]>) -> Selection {
    let n = instance.weights.len();
    let p = p.min(instance.candidates());
    // count[i]: how many chosen sites (or "already", counted as one) cover point i.
    let mut count: Vec<u32> = match already {
        Some(a) => a.iter().map(|&c| u32::from(c)).collect(),
        None => vec![0; n],
    };
    let mut chosen = vec![false; instance.candidates()];
    let mut selected = Vec::with_capacity(p);
    for _ in 0..p {
        let best = (0..instance.candidates()).filter(|&c| !chosen[c]).map(|c| (c, gain(instance, &count, c))).fold(
            None,
            |best: Option<(usize, f64)>, (c, g)| match best {
                Some((_, bg)) if bg >= g => best,
                _ => Some((c, g)),
            },
        );
        let Some((c, _)) = best else { break };
        add(instance, &mut count, c);
        chosen[c] = true;
        selected.push(c);
    }

    // Interchange: the best strictly improving swap each round, until none improves.
    let mut swaps = 0;
    let max_rounds = 50 * p.max(1);
    for _ in 0..max_rounds {
        let mut best: Option<(usize, usize, f64)> = None;
        for (slot, &out) in selected.iter().enumerate() {
            let loss = sole_cover_weight(instance, &count, out);
            remove(instance, &mut count, out);
            for c in (0..instance.candidates()).filter(|&c| !chosen[c]) {
                let delta = gain(instance, &count, c) - loss;
                if delta > 1e-9 * loss.max(1.0) && best.is_none_or(|(_, _, d)| delta > d) {
                    best = Some((slot, c, delta));
                }
            }
            add(instance, &mut count, out);
        }
        let Some((slot, c, _)) = best else { break };
        let out = selected[slot];
        remove(instance, &mut count, out);
        add(instance, &mut count, c);
        chosen[out] = false;
        chosen[c] = true;
        selected[slot] = c;
        swaps += 1;
    }

    // Report in opening order with marginal gains.
    let mut count: Vec<u32> = match already {
        Some(a) => a.iter().map(|&c| u32::from(c)).collect(),
        None => vec![0; n],
    };
    let mut left = selected;
    let (mut order, mut gains) = (Vec::with_capacity(p), Vec::with_capacity(p));
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
        let s = max_cover(&greedy_trap(), 2, None);
        let mut chosen = s.selected.clone();
        chosen.sort();
        assert_eq!(chosen, vec![1, 2]);
        assert_eq!(s.covered_weight, 58.0);
        assert_eq!(s.swaps, 1);
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
    fn radius_is_inclusive_and_p_is_capped() {
        let inst = CoverInstance::from_dense(vec![1.0, 2.0], &[vec![15.0], vec![15.5]], 15.0);
        assert_eq!(inst.covered_by(0), &[0]);
        let s = max_cover(&inst, 5, None);
        assert_eq!(s.selected, vec![0]);
    }
}
