//! How far an estimate is from routed times: per band of great-circle distance, the median
//! absolute and signed errors and the pairs put on the wrong side of a time limit (the error
//! that changes a catchment). Pure: the caller brings `(great-circle km, routed minutes)` pairs
//! (`tests/road_estimate_isere.rs` reads them from the Isère OSRM matrix).

use super::RoadEstimate;
use serde::Serialize;

/// Distance bands (km, lower bound included, upper excluded) the access indicators live in:
/// the APL's 30-minute catchment is ~10–20 km as the crow flies.
pub const BANDS_KM: [(f64, f64); 4] = [(0.0, 5.0), (5.0, 10.0), (10.0, 20.0), (20.0, 40.0)];

/// Time limits (minutes) whose wrong side matters: the APL decay steps (10, 20, 30 min) and the
/// 15-minute coverage of site suggestions.
pub const LIMITS_MIN: [f64; 4] = [10.0, 15.0, 20.0, 30.0];

/// Pairs on the wrong side of one time limit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WrongSide {
    /// The limit, minutes (a pair is within it when its time is ≤ the limit).
    pub limit_min: f64,
    /// Estimated within the limit, routed beyond it (the estimate counts access that is not there).
    pub wrongly_within: usize,
    /// Estimated beyond the limit, routed within it (the estimate misses access).
    pub wrongly_beyond: usize,
}

impl WrongSide {
    /// Both directions.
    pub fn total(&self) -> usize {
        self.wrongly_within + self.wrongly_beyond
    }
}

/// The errors of one estimate over a set of pairs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Errors {
    /// Pairs compared.
    pub pairs: usize,
    /// Median of |estimate − routed|, minutes.
    pub median_abs_error: f64,
    /// Median of estimate − routed, minutes (> 0: the estimate is slower than the road).
    pub median_signed_error: f64,
    /// One entry per limit asked for, in order.
    pub wrong_side: Vec<WrongSide>,
}

/// The median (mean of the two middle values for an even count); `None` when empty. NaN sorts
/// last (`total_cmp`), so it never hides among the middle values of finite data.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 })
}

/// The pairs with `lo_km ≤ km < hi_km`.
pub fn in_band(pairs: &[(f64, f64)], lo_km: f64, hi_km: f64) -> Vec<(f64, f64)> {
    pairs.iter().copied().filter(|&(km, _)| km >= lo_km && km < hi_km).collect()
}

/// Errors of `model` on `(great-circle km, routed minutes)` pairs; `None` when there are none.
pub fn errors(model: &RoadEstimate, pairs: &[(f64, f64)], limits: &[f64]) -> Option<Errors> {
    let estimated: Vec<f64> = pairs.iter().map(|&(km, _)| model.minutes(km * 1000.0)).collect();
    let mut signed: Vec<f64> = estimated.iter().zip(pairs).map(|(e, &(_, routed))| e - routed).collect();
    let mut abs: Vec<f64> = signed.iter().map(|e| e.abs()).collect();
    let wrong_side = limits
        .iter()
        .map(|&limit| {
            let mut w = WrongSide { limit_min: limit, wrongly_within: 0, wrongly_beyond: 0 };
            for (e, &(_, routed)) in estimated.iter().zip(pairs) {
                match (*e <= limit, routed <= limit) {
                    (true, false) => w.wrongly_within += 1,
                    (false, true) => w.wrongly_beyond += 1,
                    _ => {}
                }
            }
            w
        })
        .collect();
    Some(Errors {
        pairs: pairs.len(),
        median_abs_error: median(&mut abs)?,
        median_signed_error: median(&mut signed)?,
        wrong_side,
    })
}

/// A markdown table comparing `models` (name, estimate) on `pairs` per band of `bands` plus a
/// last row over all the bands together: pairs, median routed minutes, then per column the
/// models' figures separated by " / " in the order given: median absolute error, median signed
/// error, and the share of pairs on the wrong side of each of `limits`.
pub fn markdown_table(pairs: &[(f64, f64)], models: &[(&str, RoadEstimate)], bands: &[(f64, f64)], limits: &[f64]) -> String {
    let names: Vec<&str> = models.iter().map(|m| m.0).collect();
    let names = names.join(" / ");
    let mut out = format!("| great-circle km | pairs | median routed min | median abs. error, min ({names}) | median signed error, min ({names}) |");
    for limit in limits {
        out.push_str(&format!(" wrong side of {limit} min ({names}) |"));
    }
    out.push_str("\n|---|---:|---:|---:|---:|");
    out.push_str(&"---:|".repeat(limits.len()));
    let lo_all = bands.iter().map(|b| b.0).fold(f64::INFINITY, f64::min);
    let hi_all = bands.iter().map(|b| b.1).fold(f64::NEG_INFINITY, f64::max);
    let rows = bands.iter().map(|&(lo, hi)| (format!("{lo}–{hi}"), lo, hi)).chain([(format!("all {lo_all}–{hi_all}"), lo_all, hi_all)]);
    for (label, lo, hi) in rows {
        let band = in_band(pairs, lo, hi);
        let mut routed: Vec<f64> = band.iter().map(|p| p.1).collect();
        let Some(median_routed) = median(&mut routed) else {
            out.push_str(&format!("\n| {label} | 0 | | | |{}", " |".repeat(limits.len())));
            continue;
        };
        let errs: Vec<Errors> = models.iter().filter_map(|(_, m)| errors(m, &band, limits)).collect();
        let join = |f: &dyn Fn(&Errors) -> String| errs.iter().map(f).collect::<Vec<_>>().join(" / ");
        out.push_str(&format!(
            "\n| {label} | {} | {median_routed:.1} | {} | {} |",
            band.len(),
            join(&|e| format!("{:.1}", e.median_abs_error)),
            join(&|e| format!("{:+.1}", e.median_signed_error)),
        ));
        for i in 0..limits.len() {
            let share = |e: &Errors| format!("{:.1} %", 100.0 * e.wrong_side[i].total() as f64 / e.pairs as f64);
            out.push_str(&format!(" {} |", join(&share)));
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn errors_by_hand() {
        // Linear 1.3 min/km: 5 km → 6.5 min, 10 km → 13 min, 20 km → 26 min.
        let model = RoadEstimate::LINEAR_1_3_AT_60;
        let pairs = [(5.0, 12.0), (10.0, 12.0), (20.0, 25.0)];
        let e = errors(&model, &pairs, &[10.0, 12.5]).unwrap();
        assert_eq!(e.pairs, 3);
        // Signed: -5.5, +1, +1 → median +1; absolute 5.5, 1, 1 → median 1.
        assert!((e.median_signed_error - 1.0).abs() < 1e-9, "{e:?}");
        assert!((e.median_abs_error - 1.0).abs() < 1e-9, "{e:?}");
        // 10 min: 6.5 ≤ 10 but 12 > 10 → wrongly within; the others agree (beyond).
        assert_eq!(e.wrong_side[0], WrongSide { limit_min: 10.0, wrongly_within: 1, wrongly_beyond: 0 });
        // 12.5 min: (5 km) 6.5 vs 12 both within; (10 km) 13 > 12.5 but 12 ≤ 12.5 → wrongly beyond.
        assert_eq!(e.wrong_side[1], WrongSide { limit_min: 12.5, wrongly_within: 0, wrongly_beyond: 1 });
        assert!(errors(&model, &[], &[10.0]).is_none());
    }

    #[test]
    fn bands_include_the_lower_bound_only() {
        let pairs = [(0.0, 1.0), (5.0, 2.0), (9.99, 3.0), (10.0, 4.0)];
        assert_eq!(in_band(&pairs, 5.0, 10.0), vec![(5.0, 2.0), (9.99, 3.0)]);
    }

    #[test]
    fn the_table_has_a_row_per_band_and_one_for_all() {
        let pairs = [(2.0, 5.0), (7.0, 14.0), (8.0, 15.0)];
        let models = [("linear", RoadEstimate::LINEAR_1_3_AT_60), ("calibrated", RoadEstimate::default())];
        let t = markdown_table(&pairs, &models, &[(0.0, 5.0), (5.0, 10.0), (10.0, 20.0)], &[10.0]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 2 + 4, "{t}");
        assert!(lines[0].contains("linear / calibrated"), "{t}");
        assert!(lines[2].starts_with("| 0–5 | 1 | 5.0 |"), "{t}");
        // 5–10 km: routed 14 and 15 → median 14.5; linear 9.1 and 10.4 min: one on the wrong
        // side of 10 (9.1 ≤ 10 < 14) of 2 = 50 %.
        assert!(lines[3].starts_with("| 5–10 | 2 | 14.5 |"), "{t}");
        assert!(lines[3].ends_with(" 50.0 % / 0.0 % |"), "{t}");
        assert!(lines[4].starts_with("| 10–20 | 0 |"), "{t}");
        assert!(lines[5].starts_with("| all 0–20 | 3 |"), "{t}");
    }
}
