//! Compares two values of one indicator per commune — ours and the official one (DREES's APL) —
//! over the communes that have both. Pure: rows in, statistics out.
//!
//! What is measured, and by which weight (DREES's own rules, stated in the notes of its APL
//! workbook):
//!
//! - correlation: Pearson's r and Spearman's ρ (ranks with ties given their average rank, as
//!   `scipy.stats.spearmanr`), over communes, unweighted; `None` when fewer than two communes
//!   or when one side is constant (scipy gives NaN there);
//! - the mean of each side, **weighted by standardised population** (DREES's rule for a mean
//!   APL over an area); a row without a standardised population falls back to its raw
//!   population, and such rows are counted;
//! - the share of **raw** (non-standardised) population under a threshold (default 2.5
//!   consultations per year, DREES's usual « sous-dense » line) on each side, the population of
//!   the 2×2 table of classes (under / not under on each side) and the agreement: the share of
//!   population classed the same on both sides. "Under" is strict: `value < threshold`;
//! - the communes that differ most, by |ours − official|, ties by code.
//!
//! Rows count only with both values finite and a finite, non-negative population; the others
//! are counted by reason in [`LeftOut`]. `tests/compare_parity.rs` checks all of it against
//! scipy and numpy on the fixtures of `scripts/parity/compare_fixtures.py`.

use crate::atlas::Atlas;
use crate::model::TravelInfo;
use serde::Serialize;
use std::cmp::Ordering;

/// One commune's two values and its populations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareRow {
    /// INSEE code of the commune (ties of the largest differences are ordered by it).
    pub code: String,
    /// Our value; `None` where we have none.
    pub ours: Option<f64>,
    /// The official value; `None` where the source has none.
    pub official: Option<f64>,
    /// Raw population (inhabitants): the weight of shares under the threshold.
    pub population: f64,
    /// Standardised population: the weight of means; `None` (or not a finite number ≥ 0)
    /// falls back to `population`.
    pub population_standardised: Option<f64>,
}

/// Parameters of [`compare`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CompareOptions {
    /// A commune is "under" when its value is `< threshold`.
    pub threshold: f64,
    /// How many of the largest differences to list.
    pub top: usize,
}

impl Default for CompareOptions {
    /// Threshold 2.5 (consultations per year per standardised inhabitant), 10 differences.
    fn default() -> Self {
        Self { threshold: 2.5, top: 10 }
    }
}

/// Rows left out of the comparison, by reason; each row counts under exactly one reason, in
/// the order of the fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LeftOut {
    /// Neither value.
    pub neither: usize,
    /// Ours but no official value.
    pub no_official_value: usize,
    /// An official value but none of ours.
    pub no_value_of_ours: usize,
    /// Both given but one is NaN or infinite.
    pub not_finite: usize,
    /// Both values fine but the population is negative or not finite.
    pub invalid_population: usize,
}

impl LeftOut {
    /// All rows left out.
    pub fn total(&self) -> usize {
        self.neither + self.no_official_value + self.no_value_of_ours + self.not_finite + self.invalid_population
    }
}

/// Raw population in each cell of the 2×2 table of "under the threshold" classes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ClassTable {
    /// Under on both sides.
    pub both_under: f64,
    /// Under by ours, not by the official value.
    pub ours_under_official_over: f64,
    /// Under by the official value, not by ours.
    pub ours_over_official_under: f64,
    /// Under on neither side.
    pub both_over: f64,
}

/// One commune among those that differ most.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    pub code: String,
    pub ours: f64,
    pub official: f64,
    /// `ours - official`.
    pub difference: f64,
}

/// The comparison of two indicators over the communes that have both. See the
/// [module documentation](self) for the definitions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Communes compared.
    pub n: usize,
    /// Rows not compared, by reason.
    pub left_out: LeftOut,
    /// Pearson's r; `None` with fewer than 2 communes or a constant side.
    pub pearson: Option<f64>,
    /// Spearman's ρ (average ranks for ties); `None` as for `pearson`.
    pub spearman: Option<f64>,
    /// Mean of ours weighted by standardised population; `None` when the weights sum to 0.
    pub mean_ours: Option<f64>,
    /// Mean of the official values, same weights.
    pub mean_official: Option<f64>,
    /// Compared rows whose mean weight is their raw population (no standardised one).
    pub mean_weight_fallbacks: usize,
    /// The threshold of the classes.
    pub threshold: f64,
    /// Raw population of the compared communes.
    pub population: f64,
    /// Share of `population` where ours is under the threshold; `None` when `population` is 0.
    pub share_under_ours: Option<f64>,
    /// Share of `population` where the official value is under the threshold.
    pub share_under_official: Option<f64>,
    /// Share of `population` classed the same on both sides.
    pub agreement: Option<f64>,
    /// Population by pair of classes.
    pub classes: ClassTable,
    /// The `top` communes with the largest |ours − official|, largest first, ties by code.
    pub largest_differences: Vec<Difference>,
}

/// Compares `ours` and `official` over the rows that have both. See the [module documentation](self).
pub fn compare(rows: &[CompareRow], opts: &CompareOptions) -> Comparison {
    let mut left_out = LeftOut::default();
    let mut kept: Vec<(&CompareRow, f64, f64)> = Vec::with_capacity(rows.len());
    for row in rows {
        match (row.ours, row.official) {
            (None, None) => left_out.neither += 1,
            (Some(_), None) => left_out.no_official_value += 1,
            (None, Some(_)) => left_out.no_value_of_ours += 1,
            (Some(a), Some(b)) if !a.is_finite() || !b.is_finite() => left_out.not_finite += 1,
            _ if !(row.population.is_finite() && row.population >= 0.0) => left_out.invalid_population += 1,
            (Some(a), Some(b)) => kept.push((row, a, b)),
        }
    }
    let ours: Vec<f64> = kept.iter().map(|k| k.1).collect();
    let official: Vec<f64> = kept.iter().map(|k| k.2).collect();

    let mut mean_weight_fallbacks = 0;
    let weights: Vec<f64> = kept
        .iter()
        .map(|(row, _, _)| match row.population_standardised {
            Some(w) if w.is_finite() && w >= 0.0 => w,
            _ => {
                mean_weight_fallbacks += 1;
                row.population
            }
        })
        .collect();

    let under = |v: f64| v < opts.threshold;
    let mut classes = ClassTable::default();
    let mut population = 0.0;
    for (row, a, b) in &kept {
        population += row.population;
        let cell = match (under(*a), under(*b)) {
            (true, true) => &mut classes.both_under,
            (true, false) => &mut classes.ours_under_official_over,
            (false, true) => &mut classes.ours_over_official_under,
            (false, false) => &mut classes.both_over,
        };
        *cell += row.population;
    }
    let share = |part: f64| (population > 0.0).then(|| part / population);

    let mut largest_differences: Vec<Difference> = kept
        .iter()
        .map(|(row, a, b)| Difference { code: row.code.clone(), ours: *a, official: *b, difference: a - b })
        .collect();
    largest_differences.sort_by(|x, y| {
        y.difference.abs().total_cmp(&x.difference.abs()).then_with(|| x.code.cmp(&y.code))
    });
    largest_differences.truncate(opts.top);

    Comparison {
        n: kept.len(),
        left_out,
        pearson: pearson(&ours, &official),
        spearman: spearman(&ours, &official),
        mean_ours: weighted_mean(&ours, &weights),
        mean_official: weighted_mean(&official, &weights),
        mean_weight_fallbacks,
        threshold: opts.threshold,
        population,
        share_under_ours: share(classes.both_under + classes.ours_under_official_over),
        share_under_official: share(classes.both_under + classes.ours_over_official_under),
        agreement: share(classes.both_under + classes.both_over),
        classes,
        largest_differences,
    }
}

/// Σ wᵢxᵢ / Σ wᵢ; `None` when the weights sum to 0 (or the slices are empty).
pub fn weighted_mean(values: &[f64], weights: &[f64]) -> Option<f64> {
    let (sum, total) = values.iter().zip(weights).fold((0.0, 0.0), |(s, t), (v, w)| (s + v * w, t + w));
    (total > 0.0).then(|| sum / total)
}

/// Pearson's correlation coefficient of two equally long samples; `None` with fewer than two
/// values, different lengths, or a constant sample (the coefficient is undefined there).
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    if n < 2 || y.len() != n || is_constant(x) || is_constant(y) {
        return None;
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / n as f64;
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    let denominator = (sxx * syy).sqrt();
    // Rounding can leave |r| a hair above 1: clamp as scipy does.
    (denominator > 0.0).then(|| (sxy / denominator).clamp(-1.0, 1.0))
}

/// Spearman's rank correlation: Pearson's r of the ranks, tied values sharing their average
/// rank (`scipy.stats.spearmanr`); `None` as for [`pearson`].
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() {
        return None;
    }
    pearson(&average_ranks(x), &average_ranks(y))
}

/// 1-based ranks, ties given the mean of the ranks they span (`scipy.stats.rankdata`,
/// method "average"). NaNs rank last (callers pass finite values).
pub fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].partial_cmp(&values[b]).unwrap_or_else(|| values[a].is_nan().cmp(&values[b].is_nan())));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]].partial_cmp(&values[order[start]]) == Some(Ordering::Equal) {
            end += 1;
        }
        // Ranks start + 1 ..= end share their mean.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

fn is_constant(v: &[f64]) -> bool {
    v.iter().all(|x| *x == v[0])
}

/// Our APL (in atlas commune order) paired with DREES's published one, commune by commune:
/// raw population = the sheet's « population totale » where the commune has an official row
/// (else the atlas's), standardised population = the sheet's.
pub fn official_rows(atlas: &Atlas, ours: &[Option<f64>]) -> Vec<CompareRow> {
    atlas
        .communes()
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let official = c.apl_official.as_ref();
            CompareRow {
                code: c.code.clone(),
                ours: ours.get(i).copied().flatten(),
                official: official.and_then(|o| o.apl),
                population: official.map_or(f64::from(c.population), |o| o.population_total),
                population_standardised: official.map(|o| o.population_standardised),
            }
        })
        .collect()
}

/// Our APL against the official one, with what each side is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfficialComparison {
    /// Vintage(s) of the official values compared (one normally).
    pub official_years: Vec<u16>,
    /// How our APL's travel times were obtained.
    pub travel_times: TravelInfo,
    /// The figures, over the communes that have both values.
    pub comparison: Comparison,
    /// The rows compared (every commune of the atlas), for an independent recomputation; left
    /// empty (and out of the JSON) where only the figures are wanted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<CompareRow>,
}

/// Compares our APL with the official one over the communes that have both; `None` when the
/// atlas holds no official value.
pub fn against_official(atlas: &Atlas, ours: &[Option<f64>], opts: &CompareOptions) -> Option<OfficialComparison> {
    let years = atlas.apl_official_years();
    if years.is_empty() {
        return None;
    }
    let rows = official_rows(atlas, ours);
    Some(OfficialComparison { official_years: years, travel_times: atlas.travel_times().info(), comparison: compare(&rows, opts), rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(code: &str, ours: Option<f64>, official: Option<f64>, population: f64, std: Option<f64>) -> CompareRow {
        CompareRow { code: code.into(), ours, official, population, population_standardised: std }
    }

    #[test]
    fn ties_share_their_average_rank() {
        assert_eq!(average_ranks(&[10.0, 20.0, 10.0, 30.0, 20.0, 20.0]), vec![1.5, 4.0, 1.5, 6.0, 4.0, 4.0]);
        assert_eq!(average_ranks(&[]), Vec::<f64>::new());
    }

    #[test]
    fn correlations_of_hand_checked_samples() {
        // y = 2x + 1: r = 1; reversed: r = -1.
        let x = [1.0, 2.0, 3.0, 4.0];
        assert!((pearson(&x, &[3.0, 5.0, 7.0, 9.0]).unwrap() - 1.0).abs() < 1e-15);
        assert!((pearson(&x, &[4.0, 3.0, 2.0, 1.0]).unwrap() + 1.0).abs() < 1e-15);
        // x = (1,2,3), y = (1,3,2): deviations (-1,0,1) and (-1,1,0): r = 1 / (√2·√2) = 0.5.
        assert!((pearson(&[1.0, 2.0, 3.0], &[1.0, 3.0, 2.0]).unwrap() - 0.5).abs() < 1e-15);
        // Monotone but not linear: Spearman 1, Pearson below 1.
        let y = [1.0, 8.0, 27.0, 64.0];
        assert!((spearman(&x, &y).unwrap() - 1.0).abs() < 1e-15);
        assert!(pearson(&x, &y).unwrap() < 0.99);
        // With a tie: ranks of y = (1, 2.5, 2.5, 4), deviations (-1.5, 0, 0, 1.5) against
        // x's (-1.5, -0.5, 0.5, 1.5): r = 4.5 / √(5 · 4.5) = 0.9486832980505138.
        let rho = spearman(&x, &[1.0, 5.0, 5.0, 9.0]).unwrap();
        assert!((rho - 4.5 / (5.0f64 * 4.5).sqrt()).abs() < 1e-15, "{rho}");
    }

    #[test]
    fn a_constant_side_or_too_few_values_has_no_correlation() {
        assert_eq!(pearson(&[1.0, 2.0, 3.0], &[2.0, 2.0, 2.0]), None);
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[2.0, 2.0, 2.0]), None);
        assert_eq!(pearson(&[1.0], &[2.0]), None);
        assert_eq!(pearson(&[], &[]), None);
        assert_eq!(pearson(&[1.0, 2.0], &[1.0]), None);
    }

    #[test]
    fn empty_input_gives_nothing_to_compare() {
        let c = compare(&[], &CompareOptions::default());
        assert_eq!(c.n, 0);
        assert_eq!((c.pearson, c.spearman, c.mean_ours, c.agreement, c.share_under_ours), (None, None, None, None, None));
        assert!(c.largest_differences.is_empty());
        assert_eq!(c.left_out.total(), 0);
    }

    #[test]
    fn left_out_rows_are_counted_by_reason() {
        let rows = vec![
            row("a", None, None, 1.0, None),
            row("b", Some(1.0), None, 1.0, None),
            row("c", None, Some(1.0), 1.0, None),
            row("d", Some(f64::NAN), Some(1.0), 1.0, None),
            row("e", Some(1.0), Some(1.0), -1.0, None),
            row("f", Some(1.0), Some(2.0), 10.0, Some(12.0)),
        ];
        let c = compare(&rows, &CompareOptions::default());
        assert_eq!(c.n, 1);
        assert_eq!(
            c.left_out,
            LeftOut { neither: 1, no_official_value: 1, no_value_of_ours: 1, not_finite: 1, invalid_population: 1 }
        );
        assert_eq!(c.left_out.total(), 5);
        assert_eq!(c.pearson, None);
    }

    #[test]
    fn means_shares_classes_and_largest_differences() {
        // population / standardised: 100/200, 300/None (falls back to 300), 600/400.
        let rows = vec![
            row("03001", Some(2.0), Some(3.0), 100.0, Some(200.0)),
            row("03002", Some(3.0), Some(2.0), 300.0, None),
            row("03003", Some(4.0), Some(5.0), 600.0, Some(400.0)),
        ];
        let c = compare(&rows, &CompareOptions { threshold: 2.5, top: 2 });
        assert_eq!(c.n, 3);
        assert_eq!(c.mean_weight_fallbacks, 1);
        // ours: (2·200 + 3·300 + 4·400) / 900 = 2900 / 900; official: (600 + 600 + 2000) / 900.
        assert!((c.mean_ours.unwrap() - 2900.0 / 900.0).abs() < 1e-12);
        assert!((c.mean_official.unwrap() - 3200.0 / 900.0).abs() < 1e-12);
        assert_eq!(c.population, 1000.0);
        // Under 2.5: ours 03001 (100), official 03002 (300).
        assert_eq!(
            c.classes,
            ClassTable { both_under: 0.0, ours_under_official_over: 100.0, ours_over_official_under: 300.0, both_over: 600.0 }
        );
        assert_eq!(c.share_under_ours, Some(0.1));
        assert_eq!(c.share_under_official, Some(0.3));
        assert_eq!(c.agreement, Some(0.6));
        // Every |difference| is 1: ties by code, only the first 2.
        let codes: Vec<&str> = c.largest_differences.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, vec!["03001", "03002"]);
        assert_eq!(c.largest_differences[0].difference, -1.0);
    }

    #[test]
    fn the_threshold_is_strict() {
        let rows = vec![row("x", Some(2.5), Some(2.4), 10.0, None)];
        let c = compare(&rows, &CompareOptions::default());
        assert_eq!(c.classes.ours_over_official_under, 10.0);
        assert_eq!(c.agreement, Some(0.0));
    }
}
