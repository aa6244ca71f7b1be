//! How evenly an access value is shared among residents: the Gini index and the Palma ratio of
//! the value over the population (each commune's residents all get their commune's value), and
//! the population under a threshold.
//!
//! Both indices read the Lorenz curve of the value: communes sorted by value, the cumulative
//! share of residents `p` against the cumulative share of the value they hold
//! `L(p) = Σ_{k ≤ p} P_k v_k / Σ_k P_k v_k`, linear within a commune (its residents are equal).
//!
//! - **Gini** = 1 − 2 × the area under `L` (trapezoids between the communes' points), the
//!   population-weighted Gini of the R package `accessibility` (`gini_index`): 0 when every
//!   resident has the same value, towards 1 when a few hold it all.
//! - **Palma** = `(1 − L(0.9)) / L(0.4)`: the share held by the 10 % of residents with the most
//!   over the share held by the 40 % with the least (Palma's definition for income, Cobham &
//!   Sumner 2013), here ranked by the access value itself. A commune straddling the 10 % or
//!   40 % mark is split (linear interpolation of `L`). Equal values give 0.1 / 0.4 = 0.25.
//!   (The R package `accessibility`'s `palma_ratio` ranks residents by income instead and
//!   divides mean values, which is this ratio × 4 when the ranking is by access.)
//! - **Under a threshold**: residents whose value is `< threshold`, as `apl::weighted_summary`
//!   and `compare` count them.
//!
//! Communes without a value (no population) or without residents are left out. The indices
//! are `None` when no resident is left, when the value is negative or not finite somewhere
//! (they are defined for values ≥ 0), when the total is 0 (the Lorenz curve is undefined), and
//! the Palma ratio also when the bottom 40 % hold nothing (it would be infinite).

use serde::Serialize;

/// A distribution's equity figures (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Equity {
    /// Residents counted (those of communes with a value).
    pub population: f64,
    /// Population-weighted Gini index, 0 (equal) to 1.
    pub gini: Option<f64>,
    /// Share of the top 10 % of residents over the share of the bottom 40 %.
    pub palma: Option<f64>,
    /// The threshold of `population_under`.
    pub threshold: f64,
    /// Residents whose value is below `threshold`.
    pub population_under: f64,
    /// `population_under / population`; `None` without residents.
    pub share_under: Option<f64>,
}

/// `(value, residents)` of the communes that count, sorted by value; `None` if a value is
/// negative or not finite.
fn sorted(values: &[Option<f64>], population: &[f64]) -> Option<Vec<(f64, f64)>> {
    let mut points: Vec<(f64, f64)> = values.iter().zip(population).filter_map(|(v, &p)| v.filter(|_| p > 0.0).map(|v| (v, p))).collect();
    if points.iter().any(|&(v, _)| !v.is_finite() || v < 0.0) {
        return None;
    }
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    Some(points)
}

/// The Lorenz curve's points `(p, L)` from (0, 0) to (1, 1); `None` when there is no resident
/// or the total value is 0.
fn lorenz(points: &[(f64, f64)]) -> Option<Vec<(f64, f64)>> {
    let residents: f64 = points.iter().map(|&(_, p)| p).sum();
    let total: f64 = points.iter().map(|&(v, p)| v * p).sum();
    if !(residents > 0.0 && total > 0.0) {
        return None;
    }
    let mut curve = Vec::with_capacity(points.len() + 1);
    curve.push((0.0, 0.0));
    let (mut p, mut l) = (0.0, 0.0);
    for &(v, w) in points {
        p += w;
        l += v * w;
        curve.push((p / residents, l / total));
    }
    Some(curve)
}

/// `L(x)` by linear interpolation between the curve's points.
fn at(curve: &[(f64, f64)], x: f64) -> f64 {
    for pair in curve.windows(2) {
        let ((p0, l0), (p1, l1)) = (pair[0], pair[1]);
        if x <= p1 {
            return if p1 > p0 { l0 + (l1 - l0) * (x - p0) / (p1 - p0) } else { l1 };
        }
    }
    1.0
}

/// Population-weighted Gini index of `values` (one per commune, `None` left out) over
/// `population`.
pub fn gini(values: &[Option<f64>], population: &[f64]) -> Option<f64> {
    let curve = lorenz(&sorted(values, population)?)?;
    let area: f64 = curve.windows(2).map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0).sum();
    // Rounding can leave -1e-16 for equal values: the index is ≥ 0 by definition.
    Some((1.0 - 2.0 * area).max(0.0))
}

/// Palma ratio of `values` over `population`: the share of the top 10 % of residents over
/// that of the bottom 40 %.
pub fn palma(values: &[Option<f64>], population: &[f64]) -> Option<f64> {
    let curve = lorenz(&sorted(values, population)?)?;
    let bottom = at(&curve, 0.4);
    (bottom > 0.0).then(|| (1.0 - at(&curve, 0.9)) / bottom)
}

/// All the figures of [`Equity`] for `values` over `population`, counting residents under
/// `threshold`.
pub fn equity(values: &[Option<f64>], population: &[f64], threshold: f64) -> Equity {
    let (mut residents, mut under) = (0.0, 0.0);
    for (v, &p) in values.iter().zip(population) {
        if let Some(v) = v
            && p > 0.0
        {
            residents += p;
            if *v < threshold {
                under += p;
            }
        }
    }
    Equity {
        population: residents,
        gini: gini(values, population),
        palma: palma(values, population),
        threshold,
        population_under: under,
        share_under: (residents > 0.0).then(|| under / residents),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn equal_values_give_gini_0_and_palma_a_quarter() {
        let v = [Some(3.0), Some(3.0), Some(3.0)];
        let p = [10.0, 250.0, 7.0];
        assert!(close(gini(&v, &p).unwrap(), 0.0));
        // Top 10 % hold 10 %, bottom 40 % hold 40 %.
        assert!(close(palma(&v, &p).unwrap(), 0.25));
    }

    #[test]
    fn two_communes_by_hand() {
        // 100 residents at 0 and 100 at 10. Lorenz: (0,0) → (0.5, 0) → (1, 1); area = 0.5 ·
        // (0 + 1) / 2 = 0.25, Gini = 1 − 0.5 = 0.5. The bottom 40 % hold 0: no Palma.
        let v = [Some(0.0), Some(10.0)];
        let p = [100.0, 100.0];
        assert!(close(gini(&v, &p).unwrap(), 0.5));
        assert_eq!(palma(&v, &p), None);
    }

    #[test]
    fn five_communes_by_hand() {
        // Values 1, 2, 3, 4, 10 for 20 residents each (order shuffled; one commune without a
        // value and one without residents are left out). Total held = 20 · 20 = 400.
        // Lorenz points at p = 0.2k: L = 20/400, 60/400, 120/400, 200/400, 400/400
        //   = 0.05, 0.15, 0.30, 0.50, 1.
        // Area = 0.2 · [(0 + .05) + (.05 + .15) + (.15 + .30) + (.30 + .50) + (.50 + 1)] / 2
        //      = 0.1 · 3.0 = 0.30, so Gini = 1 − 0.60 = 0.40.
        // L(0.4) = 0.15; L(0.9) = 0.5 + (1 − 0.5) · (0.9 − 0.8) / 0.2 = 0.75, top share 0.25:
        // Palma = 0.25 / 0.15 = 5/3.
        let v = [Some(4.0), Some(1.0), None, Some(10.0), Some(3.0), Some(2.0), Some(99.0)];
        let p = [20.0, 20.0, 50.0, 20.0, 20.0, 20.0, 0.0];
        assert!(close(gini(&v, &p).unwrap(), 0.40), "{:?}", gini(&v, &p));
        assert!(close(palma(&v, &p).unwrap(), 5.0 / 3.0), "{:?}", palma(&v, &p));
        let e = equity(&v, &p, 2.5);
        // Under 2.5: the communes at 1 and 2, 40 of 100 residents.
        assert_eq!((e.population, e.population_under), (100.0, 40.0));
        assert!(close(e.share_under.unwrap(), 0.4));
        // A threshold equal to a value does not count that value as under.
        assert_eq!(equity(&v, &p, 2.0).population_under, 20.0);
    }

    #[test]
    fn degenerate_inputs_have_no_index() {
        assert_eq!(gini(&[], &[]), None);
        assert_eq!(gini(&[Some(1.0), Some(2.0)], &[0.0, 0.0]), None, "no residents");
        assert_eq!(gini(&[None, None], &[5.0, 5.0]), None, "no values");
        assert_eq!(gini(&[Some(0.0), Some(0.0)], &[5.0, 5.0]), None, "nothing to share");
        assert_eq!(palma(&[Some(0.0)], &[5.0]), None);
        assert_eq!(gini(&[Some(-1.0), Some(2.0)], &[5.0, 5.0]), None, "negative values");
        assert_eq!(gini(&[Some(f64::NAN)], &[5.0]), None);
        let e = equity(&[], &[], 2.5);
        assert_eq!((e.population, e.population_under, e.share_under, e.gini, e.palma), (0.0, 0.0, None, None, None));
    }

    #[test]
    fn one_commune_is_perfect_equality() {
        assert!(close(gini(&[Some(7.0)], &[1_000.0]).unwrap(), 0.0));
        assert!(close(palma(&[Some(7.0)], &[1_000.0]).unwrap(), 0.25));
    }
}
