//! Fitting the travel-time estimate of [`crate::model::road_estimate`] on routed times, and
//! measuring an estimate against them ([`evaluation`]). The model itself lives in the model
//! layer, since the atlas holds the travel-time source every computation reads.

pub use crate::model::road_estimate::*;
use serde::Serialize;

/// The result of [`fit`]: the model and how it was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Fit {
    /// The fitted power law.
    pub model: Calibrated,
    /// Pairs within [`FIT_MIN_KM`]..=[`FIT_MAX_KM`] with a positive time, used by the fit.
    pub pairs_used: usize,
    /// Pairs given but left out (outside the distance range, or a time or distance not finite
    /// and > 0).
    pub pairs_left_out: usize,
    /// Root mean square of the residuals of `ln minutes` (0.2 ≈ ±20 % typical error).
    pub log_rmse: f64,
}

/// Fits `minutes = a × km^b` by least squares of `ln minutes` on `ln km`, over the pairs whose
/// great-circle distance is within [`FIT_MIN_KM`]..=[`FIT_MAX_KM`] (see the [module
/// documentation](self) for why). `pairs` are `(great-circle km, routed minutes)`.
///
/// Fails when fewer than two pairs qualify, when they are all at one distance, or when the
/// fitted exponent is not > 0 (minutes would not increase with distance).
pub fn fit(pairs: &[(f64, f64)]) -> Result<Fit, RoadEstimateError> {
    let usable = |&&(km, minutes): &&(f64, f64)| {
        km.is_finite() && minutes.is_finite() && minutes > 0.0 && (FIT_MIN_KM..=FIT_MAX_KM).contains(&km)
    };
    let logs: Vec<(f64, f64)> = pairs.iter().filter(usable).map(|&(km, t)| (km.ln(), t.ln())).collect();
    let n = logs.len();
    if n < 2 {
        return Err(RoadEstimateError::Fit(format!(
            "{n} pair(s) between {FIT_MIN_KM} and {FIT_MAX_KM} km with a positive time; at least 2 are needed"
        )));
    }
    let mean_x = logs.iter().map(|p| p.0).sum::<f64>() / n as f64;
    let mean_y = logs.iter().map(|p| p.1).sum::<f64>() / n as f64;
    let sxx: f64 = logs.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    let sxy: f64 = logs.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    // Relative to the spread of the distances themselves: all at one distance means no slope.
    if sxx <= 1e-12 * n as f64 {
        return Err(RoadEstimateError::Fit("all pairs are at the same distance".into()));
    }
    let exponent = sxy / sxx;
    let intercept = mean_y - exponent * mean_x;
    let model = Calibrated::new(intercept.exp(), exponent)
        .map_err(|e| RoadEstimateError::Fit(format!("fitted model not increasing with distance: {e}")))?;
    let sse: f64 = logs.iter().map(|&(x, y)| (y - intercept - exponent * x).powi(2)).sum();
    Ok(Fit { model, pairs_used: n, pairs_left_out: pairs.len() - n, log_rmse: (sse / n as f64).sqrt() })
}

pub mod evaluation;

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic spread of distances over the fit range and beyond it.
    fn distances() -> Vec<f64> {
        (1..=400).map(|i| f64::from(i) / 5.0).collect() // 0.2 .. 80 km, 60 exactly
    }

    #[test]
    fn fit_recovers_the_parameters_of_exact_data() {
        let pairs: Vec<(f64, f64)> = distances().into_iter().map(|d| (d, 2.7 * d.powf(0.81))).collect();
        let f = fit(&pairs).unwrap();
        assert!((f.model.scale_min - 2.7).abs() < 1e-9, "{f:?}");
        assert!((f.model.exponent - 0.81).abs() < 1e-9, "{f:?}");
        assert!(f.log_rmse < 1e-9);
        // 0.5 ..= 60 km: 0.6, 0.8, ..., 60.0 (the 0.2 and 0.4 km pairs and those beyond 60 km out).
        assert_eq!(f.pairs_used, 298);
        assert_eq!(f.pairs_left_out, 102);
    }

    #[test]
    fn fit_recovers_the_parameters_under_symmetric_multiplicative_noise() {
        // Each distance twice, times × e^{+0.3} and × e^{-0.3}: the log residuals cancel, so the
        // least-squares line in log space is the true one.
        let pairs: Vec<(f64, f64)> = distances()
            .into_iter()
            .flat_map(|d| [(d, 3.1 * d.powf(0.7) * 0.3f64.exp()), (d, 3.1 * d.powf(0.7) * (-0.3f64).exp())])
            .collect();
        let f = fit(&pairs).unwrap();
        assert!((f.model.scale_min - 3.1).abs() < 1e-9, "{f:?}");
        assert!((f.model.exponent - 0.7).abs() < 1e-9, "{f:?}");
        assert!((f.log_rmse - 0.3).abs() < 1e-9, "{f:?}");
    }

    #[test]
    fn pairs_outside_the_range_do_not_move_the_fit() {
        let mut pairs: Vec<(f64, f64)> = distances().into_iter().map(|d| (d, 2.0 * d.powf(0.9))).collect();
        let clean = fit(&pairs).unwrap();
        // Absurd times outside the range and unusable values: all left out.
        pairs.extend([(0.3, 500.0), (70.0, 1.0), (10.0, 0.0), (10.0, f64::NAN), (f64::INFINITY, 3.0), (5.0, -2.0)]);
        let noisy = fit(&pairs).unwrap();
        assert_eq!(noisy.model, clean.model);
        assert_eq!(noisy.pairs_left_out, clean.pairs_left_out + 6);
    }

    #[test]
    fn fit_refuses_what_has_no_line() {
        assert!(matches!(fit(&[]), Err(RoadEstimateError::Fit(_))));
        assert!(matches!(fit(&[(5.0, 10.0)]), Err(RoadEstimateError::Fit(_))));
        assert!(matches!(fit(&[(5.0, 10.0), (5.0, 12.0), (5.0, 9.0)]), Err(RoadEstimateError::Fit(_))));
        // Times falling with distance: exponent < 0 is refused.
        assert!(matches!(fit(&[(2.0, 10.0), (20.0, 5.0)]), Err(RoadEstimateError::Fit(_))));
    }

    #[test]
    fn minutes_and_radius_are_inverse_and_increasing() {
        for model in [RoadEstimate::default(), RoadEstimate::LINEAR_1_3_AT_60] {
            let mut last = 0.0;
            for i in 1..=200 {
                let metres = 250.0 * i as f64;
                let t = model.minutes(metres);
                assert!(t > last, "{model:?} not increasing at {metres} m");
                last = t;
                assert!((model.radius_m(t) - metres).abs() < 1e-6 * metres, "{model:?} at {metres} m");
            }
            assert_eq!(model.minutes(0.0), 0.0);
            assert_eq!(model.radius_m(0.0), 0.0);
        }
    }

    #[test]
    fn the_linear_variant_is_the_former_formula() {
        // 10 km as the crow flies = 13 km of road at 60 km/h = 13 minutes.
        let m = RoadEstimate::LINEAR_1_3_AT_60;
        assert!((m.minutes(10_000.0) - 13.0).abs() < 1e-12);
        assert!((m.radius_m(13.0) - 10_000.0).abs() < 1e-9);
        assert_eq!(RoadEstimate::linear(1.3, 60.0), Ok(m));
        assert!(RoadEstimate::linear(0.9, 60.0).is_err());
        assert!(RoadEstimate::linear(1.3, 0.0).is_err());
        assert!(RoadEstimate::linear(f64::NAN, 60.0).is_err());
    }

    #[test]
    fn the_calibrated_formula_by_hand() {
        let c = Calibrated::new(3.0, 0.5).unwrap();
        // 16 km: 3 × √16 = 12 min; 12 min reaches 16 km.
        assert!((c.minutes(16_000.0) - 12.0).abs() < 1e-12);
        assert!((c.radius_m(12.0) - 16_000.0).abs() < 1e-9);
        assert!(Calibrated::new(0.0, 0.7).is_err());
        assert!(Calibrated::new(3.0, -0.1).is_err());
        assert!(Calibrated::new(3.0, f64::INFINITY).is_err());
    }

    #[test]
    fn the_default_is_the_isere_fit_and_says_it_is_an_estimate() {
        let d = RoadEstimate::default();
        assert_eq!(d.kind(), "calibrated");
        assert_eq!(RoadEstimate::LINEAR_1_3_AT_60.kind(), "linear");
        let text = d.describe();
        assert!(text.starts_with("estimated"), "{text}");
        assert!(text.contains("Isère") && text.contains("OSRM"), "{text}");
        assert!(RoadEstimate::LINEAR_1_3_AT_60.describe().contains("× 1.3"));
        let json = serde_json::to_value(d).unwrap();
        assert_eq!(json["kind"], "calibrated");
        assert_eq!(json["scale_min"], ISERE_2021_SCALE_MIN);
        let json = serde_json::to_value(RoadEstimate::LINEAR_1_3_AT_60).unwrap();
        assert_eq!(json, serde_json::json!({"kind": "linear", "detour_factor": 1.3, "speed_kmh": 60.0}));
    }

    #[test]
    fn short_trips_take_more_minutes_per_km_than_long_ones() {
        // What the calibration is for: 2 km costs more per km than 30 km.
        let d = RoadEstimate::default();
        assert!(d.minutes(2_000.0) / 2.0 > d.minutes(30_000.0) / 30.0);
    }
}
