//! Class breaks for choropleth maps: which values share a colour of a sequential ramp.
//!
//! [`classify`] cuts a list of values (one per commune, say GPs per 10,000) into at most `k`
//! classes by one of two methods, with the conventions of PySAL `mapclassify` 2.10 so that a
//! map here and one drawn with geopandas/mapclassify agree (checked on the fixtures of
//! `scripts/parity/classify_fixtures.py`, `tests/classify_parity.rs`):
//!
//! - **Quantiles** ([`ClassMethod::Quantiles`]): about as many values in each class.
//!   mapclassify's `Quantiles` exactly: the upper bounds are the percentiles 100/k, 200/k,
//!   ..., 100 of the values, each by linear interpolation between order statistics
//!   (`scipy.stats.scoreatpercentile`, the same as numpy's default `percentile`), written as
//!   mapclassify's arithmetic does it (so the bounds agree to the last bit); repeated bounds
//!   are merged, so many tied values give fewer classes than asked ("pseudo quantiles"). An
//!   upper bound is generally not a data value: the median of 1, 2, 3, 4 is 2.5.
//! - **Jenks** ([`ClassMethod::Jenks`], "natural breaks", Fisher-Jenks): the partition into
//!   contiguous classes with the least within-class sum of squared deviations from the class
//!   means (SSE), found exactly, not by the iterative Jenks-Caspall heuristic. It is
//!   mapclassify's `FisherJenks` (not `FisherJenksSampled`); each upper bound is the largest
//!   value of its class.
//!
//! Classes are closed intervals `[lower[i], upper[i]]` with `lower[i]` the smallest value of
//! class i; a value goes to class i when `lower[i] <= v < lower[i + 1]`, which is what a
//! MapLibre `step` expression does with [`Classes::thresholds`] (`["step", value, colour0,
//! t1, colour1, t2, colour2, ...]`). For the values classified this is the same as
//! mapclassify's rule (class i is `(upper[i-1], upper[i]]`).
//!
//! Conventions where mapclassify has none or medatlas differs on purpose:
//! - Non-finite values (NaN, ±inf: communes without a value) are ignored and not counted in
//!   [`Classes::n`] (mapclassify does not filter them). `-0.0` counts as `0.0`.
//! - No class is ever empty and no two classes share a value. Fewer distinct values than `k`
//!   give one Jenks class per distinct value (mapclassify's `FisherJenks` raises). A quantile
//!   class that would be empty is dropped (mapclassify keeps it with count 0). That happens
//!   when a percentile falls strictly inside the gap that follows the previous one: few values,
//!   or many ties, as when the previous percentile is the last of many zeros and the next
//!   one interpolates between that zero and the first positive value.
//! - Ties between optimal Jenks partitions: among partitions whose SSE, as computed, is equal,
//!   the one whose last class starts earliest (holds the most values), then the same rule for
//!   the classes before it: mapclassify's own rule (the `>=` in `_fisher_jenks_means`). Ties
//!   need data like small integers, and even then rounding decides which partitions compare
//!   equal: mapclassify computes in float32, medatlas in float64, so tied optima may be
//!   returned differently, with the same SSE (fixture hand_tied_optima_12, k = 5). mapclassify's
//!   float32 could also miss a unique optimum by its rounding; no fixture has such a case.
//!
//! Jenks runs the Fisher dynamic programme over the sorted distinct values, weighted by their
//! multiplicities (equal values are never split: splitting a tie never lowers the SSE), with
//! the divide-and-conquer search of Ckmeans.1d.dp (Wang & Song 2011) that the monotone optimal
//! splits allow: O(k · d · log d) for d distinct values, where mapclassify's textbook
//! programme is O(k · n²) (too slow for all French communes). The sums are taken after
//! scaling by a power of two and shifting by the median, so huge or offset values neither
//! overflow nor lose the differences that decide.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Most classes a map may ask for (a sequential colour ramp past a dozen steps is unreadable,
/// and ColorBrewer's ramps stop at 9 to 12).
pub const MAX_CLASSES: usize = 12;

/// How class breaks are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassMethod {
    /// About as many values in each class (mapclassify `Quantiles`).
    Quantiles,
    /// Natural breaks: least within-class sum of squares (mapclassify `FisherJenks`).
    Jenks,
}

impl ClassMethod {
    /// Parses a method name as given in a URL or on the command line: `quantiles`, `jenks`,
    /// or the synonyms `natural_breaks` and `fisher_jenks` (ASCII case and surrounding blanks
    /// ignored; `-` may stand for `_`).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "quantiles" => Some(ClassMethod::Quantiles),
            "jenks" | "natural_breaks" | "fisher_jenks" => Some(ClassMethod::Jenks),
            _ => None,
        }
    }

    /// The canonical name, as serialised: `quantiles` or `jenks`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClassMethod::Quantiles => "quantiles",
            ClassMethod::Jenks => "jenks",
        }
    }
}

/// Why values cannot be classified.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ClassifyError {
    /// `k` is 0.
    #[error("the number of classes must be at least 1, got 0")]
    ZeroClasses,
    /// `k` is above [`MAX_CLASSES`].
    #[error("the number of classes must be at most {MAX_CLASSES}, got {0}")]
    TooManyClasses(usize),
    /// Nothing to classify: no value at all, or only NaN and infinities.
    #[error("no finite value to classify ({ignored} non-finite value(s) ignored)")]
    NoFiniteValue {
        /// How many values were given (all of them non-finite).
        ignored: usize,
    },
}

/// Class breaks of a set of values: class i holds the values in `[lower[i], upper[i]]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Classes {
    /// The method that chose the breaks.
    pub method: ClassMethod,
    /// The number of classes asked for; there may be fewer (`counts.len()`) when the values
    /// have too few distinct values or too many ties.
    pub requested: usize,
    /// Smallest value of each class, increasing.
    pub lower: Vec<f64>,
    /// Upper bound of each class, increasing: mapclassify's `bins`. For Jenks, the largest
    /// value of the class; for quantiles, the percentile, which may lie between the class's
    /// largest value and the next class's smallest. The last one is the largest value.
    pub upper: Vec<f64>,
    /// Number of values in each class (every one > 0).
    pub counts: Vec<usize>,
    /// Number of values classified: the finite ones (sum of `counts`).
    pub n: usize,
}

impl Classes {
    /// Number of classes made (at most [`Classes::requested`]).
    pub fn k(&self) -> usize {
        self.counts.len()
    }

    /// The values at which a new class starts: `lower[1..]`, increasing. A MapLibre `step`
    /// expression takes them as its stops: a value `>=` a threshold goes to the next class.
    pub fn thresholds(&self) -> &[f64] {
        self.lower.get(1..).unwrap_or(&[])
    }

    /// The class of `v`: the number of thresholds `<= v` (0 below the first threshold, the
    /// last class from the last one up). Any number gets a class, also one outside the range
    /// that was classified; NaN gets class 0, as it compares false (filter it out first).
    pub fn class_of(&self, v: f64) -> usize {
        self.thresholds().partition_point(|&t| t <= v)
    }

    /// Within-class sum of squared deviations from the class means of `values` classified by
    /// [`Classes::class_of`], non-finite values ignored: what Jenks minimises (mapclassify's
    /// `tss`). Two-pass (means first), so it is accurate to rounding of the squares.
    pub fn sse(&self, values: &[f64]) -> f64 {
        let k = self.k().max(1);
        let mut sum = vec![0.0; k];
        let mut count = vec![0usize; k];
        for &v in values.iter().filter(|v| v.is_finite()) {
            let c = self.class_of(v).min(k - 1);
            sum[c] += v;
            count[c] += 1;
        }
        let mean: Vec<f64> = sum.iter().zip(&count).map(|(s, &c)| if c > 0 { s / c as f64 } else { 0.0 }).collect();
        values
            .iter()
            .filter(|v| v.is_finite())
            .map(|&v| {
                let d = v - mean[self.class_of(v).min(k - 1)];
                d * d
            })
            .sum()
    }
}

/// Cuts `values` into at most `k` classes by `method` (see the module documentation for the
/// exact conventions). Non-finite values are ignored.
///
/// # Errors
/// `k` is 0 or above [`MAX_CLASSES`], or no value is finite.
pub fn classify(values: &[f64], k: usize, method: ClassMethod) -> Result<Classes, ClassifyError> {
    if k == 0 {
        return Err(ClassifyError::ZeroClasses);
    }
    if k > MAX_CLASSES {
        return Err(ClassifyError::TooManyClasses(k));
    }
    // `+ 0.0` turns -0.0 into 0.0, so that the two zeros are one value everywhere.
    let mut sorted: Vec<f64> = values.iter().filter(|v| v.is_finite()).map(|&v| v + 0.0).collect();
    if sorted.is_empty() {
        return Err(ClassifyError::NoFiniteValue { ignored: values.len() });
    }
    sorted.sort_unstable_by(f64::total_cmp);
    let (lower, upper, counts) = match method {
        ClassMethod::Quantiles => quantile_classes(&sorted, k),
        ClassMethod::Jenks => jenks_classes(&sorted, k),
    };
    debug_assert_eq!(counts.iter().sum::<usize>(), sorted.len());
    Ok(Classes { method, requested: k, lower, upper, counts, n: sorted.len() })
}

type ClassVecs = (Vec<f64>, Vec<f64>, Vec<usize>);

/// The percentiles mapclassify's `quantile()` asks for: `np.arange(w, 100 + w, w)` with
/// w = 100 / k, the last clamped to 100. numpy's arange fills element i with
/// `start + i * delta`, delta = (start + step) − start (= w exactly here, as w + w is exact);
/// for k ≤ 12 it has exactly k elements.
fn percentiles(k: usize) -> Vec<f64> {
    let w = 100.0 / k as f64;
    let delta = (w + w) - w;
    (0..k).map(|i| if i + 1 == k { (w + i as f64 * delta).min(100.0) } else { w + i as f64 * delta }).collect()
}

/// `scipy.stats.scoreatpercentile(sorted, per)` with its default linear ("fraction")
/// interpolation, operation for operation.
fn score_at_percentile(sorted: &[f64], per: f64) -> f64 {
    let idx = per / 100.0 * (sorted.len() - 1) as f64;
    let i = idx as usize; // idx >= 0: truncation is floor
    if i as f64 == idx || i + 1 >= sorted.len() {
        return sorted[i.min(sorted.len() - 1)];
    }
    let j = i + 1;
    let (wi, wj) = (j as f64 - idx, idx - i as f64);
    (sorted[i] * wi + sorted[j] * wj) / (wi + wj)
}

/// Quantile classes of sorted finite values: mapclassify's bins, then the values each holds
/// (`upper[i-1] < v <= upper[i]`); an empty class is dropped.
fn quantile_classes(sorted: &[f64], k: usize) -> ClassVecs {
    let mut bins: Vec<f64> = percentiles(k).into_iter().map(|p| score_at_percentile(sorted, p)).collect();
    bins.sort_unstable_by(f64::total_cmp);
    bins.dedup();
    let (mut lower, mut upper, mut counts) = (Vec::new(), Vec::new(), Vec::new());
    let mut start = 0;
    for (b, &bin) in bins.iter().enumerate() {
        // The last bin is the maximum; take everything left so that rounding can lose nothing.
        let end = if b + 1 == bins.len() { sorted.len() } else { start + sorted[start..].partition_point(|&v| v <= bin) };
        if end > start {
            lower.push(sorted[start]);
            upper.push(bin);
            counts.push(end - start);
            start = end;
        }
    }
    (lower, upper, counts)
}

/// Jenks classes of sorted finite values: the exact Fisher optimum over distinct values.
fn jenks_classes(sorted: &[f64], k: usize) -> ClassVecs {
    // Distinct values and their multiplicities.
    let mut xs: Vec<f64> = Vec::new();
    let mut ws: Vec<usize> = Vec::new();
    for &v in sorted {
        match xs.last() {
            Some(&last) if last == v => *ws.last_mut().expect("ws follows xs") += 1,
            _ => {
                xs.push(v);
                ws.push(1);
            }
        }
    }
    let ranges = fisher_ranges(&xs, &ws, k);
    let lower = ranges.iter().map(|&(a, _)| xs[a]).collect();
    let upper = ranges.iter().map(|&(_, b)| xs[b]).collect();
    let counts = ranges.iter().map(|&(a, b)| ws[a..=b].iter().sum()).collect();
    (lower, upper, counts)
}

/// Weighted prefix sums of the scaled, shifted distinct values: the SSE of any run of them in
/// O(1).
struct Prefix {
    w: Vec<f64>,
    s1: Vec<f64>,
    s2: Vec<f64>,
}

impl Prefix {
    fn new(xs: &[f64], ws: &[usize], median: f64) -> Prefix {
        // A power of two scales exactly and multiplies every SSE by the same factor, so the
        // argmins do not change; it keeps the squares of values near f64::MAX finite.
        let max_abs = xs.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let scale = if max_abs > 0.0 { 2f64.powi(-(max_abs.log2().floor() as i32).max(f64::MIN_EXP - 1)) } else { 1.0 };
        let shift = median * scale;
        let d = xs.len();
        let (mut w, mut s1, mut s2) = (Vec::with_capacity(d + 1), Vec::with_capacity(d + 1), Vec::with_capacity(d + 1));
        let (mut aw, mut a1, mut a2) = (0.0, 0.0, 0.0);
        w.push(0.0);
        s1.push(0.0);
        s2.push(0.0);
        for (&x, &m) in xs.iter().zip(ws) {
            let y = x * scale - shift;
            let m = m as f64;
            aw += m;
            a1 += m * y;
            a2 += m * y * y;
            w.push(aw);
            s1.push(a1);
            s2.push(a2);
        }
        Prefix { w, s1, s2 }
    }

    /// SSE of the distinct values j..=i (weighted), never negative.
    #[inline]
    fn cost(&self, j: usize, i: usize) -> f64 {
        let w = self.w[i + 1] - self.w[j];
        let s1 = self.s1[i + 1] - self.s1[j];
        let sse = (self.s2[i + 1] - self.s2[j]) - s1 * s1 / w;
        if sse > 0.0 { sse } else { 0.0 }
    }
}

/// The optimal partition of the distinct values `xs` (weights `ws`) into min(k, d) runs, as
/// inclusive index ranges; ties go to the earliest start of the last run (module docs).
fn fisher_ranges(xs: &[f64], ws: &[usize], k: usize) -> Vec<(usize, usize)> {
    let d = xs.len();
    let k = k.min(d);
    if k == 1 {
        return vec![(0, d - 1)];
    }
    if k == d {
        return (0..d).map(|i| (i, i)).collect();
    }
    // The weighted median, as the shift that keeps the sums small.
    let total: usize = ws.iter().sum();
    let mut seen = 0;
    let median = xs.iter().zip(ws).find(|&(_, &w)| {
        seen += w;
        2 * seen >= total
    });
    let prefix = Prefix::new(xs, ws, median.map_or(xs[0], |(&x, _)| x));

    // Row m holds, for the first i + 1 values, the least SSE with m + 1 classes (prev/cur),
    // and back[m][i] the start of the last of those classes. Row m only needs
    // m <= i <= d - k + m: the k - 1 - m classes still to come need one value each.
    let mut prev: Vec<f64> = (0..d).map(|i| prefix.cost(0, i)).collect();
    let mut cur = vec![f64::INFINITY; d];
    let mut back = vec![vec![0u32; d]; k];
    for (m, back_m) in back.iter_mut().enumerate().skip(1) {
        let (imin, imax) = (m, d - k + m);
        let mut search = Search { prefix: &prefix, prev: &prev, cur: &mut cur, back: back_m };
        search.fill(imin, imax, m, imax);
        std::mem::swap(&mut prev, &mut cur);
    }
    let mut ranges = Vec::with_capacity(k);
    let mut end = d - 1;
    for m in (1..k).rev() {
        let start = back[m][end] as usize;
        ranges.push((start, end));
        end = start - 1;
    }
    ranges.push((0, end));
    ranges.reverse();
    ranges
}

/// One row of the programme by divide and conquer: the smallest optimal start of the last
/// class is non-decreasing in i (SSE satisfies the quadrangle inequality), so solving the
/// middle i bounds the search of the two halves.
struct Search<'a> {
    prefix: &'a Prefix,
    prev: &'a [f64],
    cur: &'a mut [f64],
    back: &'a mut [u32],
}

impl Search<'_> {
    fn fill(&mut self, ilo: usize, ihi: usize, jlo: usize, jhi: usize) {
        if ilo > ihi {
            return;
        }
        let i = ilo + (ihi - ilo) / 2;
        let (mut best, mut best_j) = (f64::INFINITY, jlo);
        for j in jlo..=jhi.min(i) {
            let c = self.prev[j - 1] + self.prefix.cost(j, i);
            // Strictly less: the first (smallest) j of equal totals stays.
            if c < best {
                best = c;
                best_j = j;
            }
        }
        self.cur[i] = best;
        self.back[i] = best_j as u32;
        if i > ilo {
            self.fill(ilo, i - 1, jlo, best_j);
        }
        self.fill(i + 1, ihi, best_j, jhi);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn jenks(values: &[f64], k: usize) -> Classes {
        classify(values, k, ClassMethod::Jenks).unwrap()
    }

    fn quantiles(values: &[f64], k: usize) -> Classes {
        classify(values, k, ClassMethod::Quantiles).unwrap()
    }

    /// Every finite value lies in [lower, upper] of the class `class_of` gives it, the counts
    /// are those of `class_of`, bounds increase strictly, no class is empty.
    fn check_consistent(c: &Classes, values: &[f64]) {
        let k = c.k();
        assert!(k >= 1 && k <= c.requested);
        assert_eq!(c.lower.len(), k);
        assert_eq!(c.upper.len(), k);
        assert_eq!(c.thresholds().len(), k - 1);
        assert!(c.lower.windows(2).all(|w| w[0] < w[1]), "{c:?}");
        assert!(c.upper.windows(2).all(|w| w[0] < w[1]), "{c:?}");
        assert!(c.counts.iter().all(|&n| n > 0), "{c:?}");
        let mut counts = vec![0; k];
        for &v in values.iter().filter(|v| v.is_finite()) {
            let i = c.class_of(v);
            assert!(c.lower[i] <= v && v <= c.upper[i], "{v} in class {i} of {c:?}");
            counts[i] += 1;
        }
        assert_eq!(counts, c.counts);
        assert_eq!(c.n, counts.iter().sum::<usize>());
        // The smallest value of each class is in the data.
        for &l in &c.lower {
            assert!(values.contains(&l), "lower {l} is not a value");
        }
    }

    /// Least SSE over every partition of the sorted values (ties may be split) into exactly
    /// k contiguous non-empty groups.
    fn brute_force_sse(values: &[f64], k: usize) -> f64 {
        let mut s = values.to_vec();
        s.sort_by(f64::total_cmp);
        let n = s.len();
        let sse = |g: &[f64]| {
            let m = g.iter().sum::<f64>() / g.len() as f64;
            g.iter().map(|v| (v - m) * (v - m)).sum::<f64>()
        };
        let mut best = f64::INFINITY;
        // Each subset of the n - 1 gaps of size k - 1 is a partition.
        for mask in 0u32..(1 << (n - 1)) {
            if mask.count_ones() as usize != k - 1 {
                continue;
            }
            let (mut start, mut total) = (0, 0.0);
            for gap in 0..n - 1 {
                if mask & (1 << gap) != 0 {
                    total += sse(&s[start..=gap]);
                    start = gap + 1;
                }
            }
            total += sse(&s[start..]);
            best = best.min(total);
        }
        best
    }

    #[test]
    fn three_obvious_groups() {
        let v = [1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 30.0, 31.0];
        let c = jenks(&v, 3);
        assert_eq!(c.lower, [1.0, 10.0, 30.0]);
        assert_eq!(c.upper, [3.0, 12.0, 31.0]);
        assert_eq!(c.counts, [3, 3, 2]);
        assert_eq!(c.thresholds(), [10.0, 30.0]);
        assert_eq!((c.n, c.requested, c.method), (8, 3, ClassMethod::Jenks));
        // SSE: 2 + 2 + 0.5.
        assert!((c.sse(&v) - 4.5).abs() < 1e-12);
        check_consistent(&c, &v);
    }

    #[test]
    fn order_of_input_does_not_matter() {
        let v = [31.0, 2.0, 12.0, 1.0, 30.0, 11.0, 3.0, 10.0];
        assert_eq!(jenks(&v, 3).upper, [3.0, 12.0, 31.0]);
        assert_eq!(quantiles(&v, 3), quantiles(&[1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 30.0, 31.0], 3));
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        // 1..=10, k = 4: idx 2.25, 4.5, 6.75, 9 -> 3.25, 5.5, 7.75, 10.
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        let c = quantiles(&v, 4);
        assert_eq!(c.upper, [3.25, 5.5, 7.75, 10.0]);
        assert_eq!(c.lower, [1.0, 4.0, 6.0, 8.0]);
        assert_eq!(c.counts, [3, 2, 2, 3]);
        check_consistent(&c, &v);
        // mapclassify's docstring: quantile(np.arange(1000)) and k=3.
        let v: Vec<f64> = (0..1000).map(f64::from).collect();
        assert_eq!(quantiles(&v, 4).upper, [249.75, 499.5, 749.25, 999.0]);
        // (numpy prints [333., 666., 999.]; the interpolation gives these, as in Python)
        assert_eq!(quantiles(&v, 3).upper, [333.00000000000006, 666.0000000000001, 999.0]);
    }

    #[test]
    fn percentiles_are_numpy_arange() {
        // Printed by np.arange(w, 100 + w, w) (before the clamp of the last to 100).
        assert_eq!(percentiles(3), [33.333333333333336, 66.66666666666667, 100.0]);
        assert_eq!(percentiles(7)[..3], [14.285714285714286, 28.571428571428573, 42.85714285714286]);
        for k in 1..=MAX_CLASSES {
            let p = percentiles(k);
            assert_eq!(p.len(), k);
            assert_eq!(p[k - 1], 100.0);
            assert!(p.windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn tied_quantiles_collapse_and_empty_classes_are_dropped() {
        // Sorted [0 x6, 1, 2], k = 4: percentiles 0, 0, 0.25 (between 0 and 1), 2 ->
        // mapclassify bins [0, 0.25, 2] with counts [6, 0, 2]; the empty class is dropped.
        let v = [0.0, 1.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0];
        let c = quantiles(&v, 4);
        assert_eq!(c.upper, [0.0, 2.0]);
        assert_eq!(c.lower, [0.0, 1.0]);
        assert_eq!(c.counts, [6, 2]);
        check_consistent(&c, &v);
        // Three values, seven classes: percentile gaps narrower than the data's.
        let v = [0.0, 10.0, 20.0];
        let c = quantiles(&v, 7);
        assert_eq!(c.counts, [1, 1, 1]);
        assert_eq!(c.lower, [0.0, 10.0, 20.0]);
        check_consistent(&c, &v);
    }

    #[test]
    fn fewer_distinct_values_than_k() {
        let v = [5.0, 7.0, 5.0, 9.0, 7.0, 7.0];
        let c = jenks(&v, 5);
        assert_eq!(c.lower, [5.0, 7.0, 9.0]);
        assert_eq!(c.upper, [5.0, 7.0, 9.0]);
        assert_eq!(c.counts, [2, 3, 1]);
        assert_eq!(c.requested, 5);
        check_consistent(&c, &v);
        let c = quantiles(&v, 5);
        assert!(c.k() <= 3);
        check_consistent(&c, &v);
    }

    #[test]
    fn ties_are_never_split() {
        // Many copies at the natural break: a class boundary inside them would give two
        // classes the same value.
        let v = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 2.0, 9.0, 9.0, 10.0];
        for k in 1..=6 {
            let c = jenks(&v, k);
            check_consistent(&c, &v);
            let q = quantiles(&v, k);
            check_consistent(&q, &v);
        }
    }

    #[test]
    fn all_equal_values_make_one_class() {
        let v = [4.5; 10];
        for method in [ClassMethod::Quantiles, ClassMethod::Jenks] {
            let c = classify(&v, 5, method).unwrap();
            assert_eq!((c.lower.as_slice(), c.upper.as_slice(), c.counts.as_slice()), (&[4.5][..], &[4.5][..], &[10][..]));
            assert!(c.thresholds().is_empty());
            assert_eq!((c.class_of(-1e9), c.class_of(4.5), c.class_of(1e9)), (0, 0, 0));
        }
    }

    #[test]
    fn non_finite_values_are_ignored() {
        let clean = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
        let mut dirty = clean.to_vec();
        dirty.extend([f64::NAN, f64::INFINITY, f64::NEG_INFINITY]);
        dirty.rotate_left(4);
        for method in [ClassMethod::Quantiles, ClassMethod::Jenks] {
            let a = classify(&clean, 3, method).unwrap();
            let b = classify(&dirty, 3, method).unwrap();
            assert_eq!(a, b);
            assert_eq!(b.n, 8);
            check_consistent(&b, &dirty);
        }
    }

    #[test]
    fn negative_zero_is_zero() {
        let c = jenks(&[-0.0, 0.0, 0.0, 1.0, 1.0], 3);
        assert_eq!(c.counts, [3, 2]);
        assert!(c.lower[0] == 0.0 && c.lower[0].is_sign_positive());
    }

    #[test]
    fn one_class() {
        let v = [2.0, -1.0, 8.0, 3.0];
        for method in [ClassMethod::Quantiles, ClassMethod::Jenks] {
            let c = classify(&v, 1, method).unwrap();
            assert_eq!((c.lower, c.upper, c.counts), (vec![-1.0], vec![8.0], vec![4]));
        }
    }

    #[test]
    fn errors() {
        assert_eq!(classify(&[1.0], 0, ClassMethod::Jenks), Err(ClassifyError::ZeroClasses));
        assert_eq!(classify(&[1.0], 13, ClassMethod::Quantiles), Err(ClassifyError::TooManyClasses(13)));
        assert!(classify(&[1.0], MAX_CLASSES, ClassMethod::Quantiles).is_ok());
        assert_eq!(classify(&[], 3, ClassMethod::Jenks), Err(ClassifyError::NoFiniteValue { ignored: 0 }));
        let e = classify(&[f64::NAN, f64::INFINITY], 3, ClassMethod::Quantiles).unwrap_err();
        assert_eq!(e, ClassifyError::NoFiniteValue { ignored: 2 });
        assert_eq!(e.to_string(), "no finite value to classify (2 non-finite value(s) ignored)");
        assert_eq!(ClassifyError::TooManyClasses(20).to_string(), "the number of classes must be at most 12, got 20");
    }

    #[test]
    fn parse_and_serde() {
        assert_eq!(ClassMethod::parse("quantiles"), Some(ClassMethod::Quantiles));
        assert_eq!(ClassMethod::parse(" Jenks "), Some(ClassMethod::Jenks));
        assert_eq!(ClassMethod::parse("natural_breaks"), Some(ClassMethod::Jenks));
        assert_eq!(ClassMethod::parse("fisher-jenks"), Some(ClassMethod::Jenks));
        assert_eq!(ClassMethod::parse("quantile"), None);
        assert_eq!(ClassMethod::parse(""), None);
        assert_eq!(serde_json::to_string(&ClassMethod::Jenks).unwrap(), "\"jenks\"");
        assert_eq!(serde_json::from_str::<ClassMethod>("\"quantiles\"").unwrap(), ClassMethod::Quantiles);
        for m in [ClassMethod::Quantiles, ClassMethod::Jenks] {
            assert_eq!(ClassMethod::parse(m.as_str()), Some(m));
        }
        let c = jenks(&[1.0, 2.0, 10.0], 2);
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["method"], "jenks");
        assert_eq!(json["upper"], serde_json::json!([2.0, 10.0]));
    }

    #[test]
    fn class_of_follows_the_thresholds() {
        let c = jenks(&[1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 30.0, 31.0], 3);
        // Below, on and between the thresholds 10 and 30; outside the data too.
        let cases = [(-5.0, 0), (1.0, 0), (3.0, 0), (9.999, 0), (10.0, 1), (12.0, 1), (20.0, 1), (30.0, 2), (100.0, 2), (f64::NAN, 0)];
        for (v, want) in cases {
            assert_eq!(c.class_of(v), want, "{v}");
        }
    }

    #[test]
    fn equal_optima_go_to_the_largest_last_class() {
        // {1},{2,3} and {1,2},{3} both have SSE 0.5: mapclassify's rule takes the first.
        assert_eq!(jenks(&[1.0, 2.0, 3.0], 2).counts, [1, 2]);
        // Both ends tied: {1},{2,2,3} or {1,2,2},{3}... and {10} alone.
        assert_eq!(jenks(&[1.0, 2.0, 2.0, 3.0, 10.0], 3).counts, [1, 3, 1]);
    }

    #[test]
    fn huge_and_offset_values_stay_finite() {
        let v = [1e300, -1e300, 0.0, 1.0, 2.0, 1e300];
        let c = jenks(&v, 3);
        assert_eq!(c.counts, [1, 3, 2]);
        check_consistent(&c, &v);
        // A large offset does not blur small differences: +1e9 changes nothing.
        let base = [1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 30.0, 31.0];
        let shifted: Vec<f64> = base.iter().map(|v| v + 1e9).collect();
        assert_eq!(jenks(&shifted, 3).counts, jenks(&base, 3).counts);
    }

    #[test]
    fn jenks_is_optimal_against_brute_force() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for round in 0..400 {
            let n = rng.random_range(1..=10);
            // Half the arrays from a few integers (ties), half continuous.
            let v: Vec<f64> = if round % 2 == 0 {
                (0..n).map(|_| rng.random_range(0..5) as f64).collect()
            } else {
                (0..n).map(|_| rng.random::<f64>() * 100.0).collect()
            };
            for k in 1..=n {
                let c = jenks(&v, k);
                check_consistent(&c, &v);
                let best = brute_force_sse(&v, k);
                let ours = c.sse(&v);
                assert!((ours - best).abs() <= 1e-9 * best.max(1.0), "{v:?} k={k}: {ours} vs brute force {best}");
            }
        }
    }

    /// Least SSE with exactly k classes of the sorted values, by the plain O(k n²) Fisher
    /// programme over all values (no divide and conquer, no merging of ties), with the SSE of
    /// each run computed directly (two passes).
    fn full_scan_sse(values: &[f64], k: usize) -> f64 {
        let mut s = values.to_vec();
        s.sort_by(f64::total_cmp);
        let n = s.len();
        let run = |a: usize, b: usize| {
            let g = &s[a..=b];
            let m = g.iter().sum::<f64>() / g.len() as f64;
            g.iter().map(|v| (v - m) * (v - m)).sum::<f64>()
        };
        let cost: Vec<Vec<f64>> = (0..n).map(|a| (0..n).map(|b| if b >= a { run(a, b) } else { 0.0 }).collect()).collect();
        let mut prev: Vec<f64> = (0..n).map(|i| cost[0][i]).collect();
        for m in 1..k {
            prev = (0..n).map(|i| (m..=i).map(|j| prev[j - 1] + cost[j][i]).fold(f64::INFINITY, f64::min)).collect();
        }
        prev[n - 1]
    }

    #[test]
    fn divide_and_conquer_equals_the_full_programme() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for round in 0..6 {
            let n = rng.random_range(100..160);
            let v: Vec<f64> = match round % 3 {
                0 => (0..n).map(|_| (rng.random::<f64>() * 3.0).exp()).collect(),
                1 => (0..n).map(|_| rng.random_range(0..40) as f64 / 4.0).collect(),
                _ => (0..n).map(|_| if rng.random::<f64>() < 0.6 { 0.0 } else { rng.random::<f64>() * 30.0 }).collect(),
            };
            for k in [2, 3, 5, 8, 12] {
                let ours = jenks(&v, k);
                check_consistent(&ours, &v);
                assert_eq!(ours.k(), k);
                let best = full_scan_sse(&v, k);
                let sse = ours.sse(&v);
                assert!((sse - best).abs() <= 1e-9 * best.max(1e-300), "round {round} k={k}: {sse} vs full programme {best}");
            }
        }
    }

    #[test]
    fn jenks_beats_quantiles_on_random_data() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for _ in 0..30 {
            let n = rng.random_range(20..400);
            // Skewed: exp of a uniform, with 40 % zeros like GP densities.
            let v: Vec<f64> =
                (0..n).map(|_| if rng.random::<f64>() < 0.4 { 0.0 } else { (rng.random::<f64>() * 4.0).exp() }).collect();
            for k in [2, 3, 5, 7, 12] {
                let j = jenks(&v, k);
                let q = quantiles(&v, k);
                check_consistent(&j, &v);
                check_consistent(&q, &v);
                assert!(j.sse(&v) <= q.sse(&v) * (1.0 + 1e-12), "k={k}: {} > {}", j.sse(&v), q.sse(&v));
                if j.k() == k && q.k() < k {
                    // Fewer quantile classes: Jenks with as many would be no worse either.
                    assert!(jenks(&v, q.k()).sse(&v) <= q.sse(&v) * (1.0 + 1e-12));
                }
            }
        }
    }
}
