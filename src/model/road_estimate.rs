//! Car minutes between two communes **estimated** from the great-circle distance between their
//! representative points, when no routed matrix is loaded.
//!
//! # The default: a power law fitted on routed times
//!
//! `minutes = a × km^b` with `a` = [`ISERE_2021_SCALE_MIN`] (minutes for 1 km as the crow flies)
//! and `b` = [`ISERE_2021_EXPONENT`] (< 1: the longer the trip, the faster the roads). Fitted by
//! [`fit`](crate::analysis::road_estimate::fit) on the routed car times of OSRM between the chefs-lieux of the 512 communes of Isère
//! (OpenStreetMap of mid-2021; `../shared/data/osrm_isere_matrix_2021/`, see its PROVENANCE.md):
//! least squares of `ln minutes` on `ln km` over the [`ISERE_2021_PAIRS`] ordered pairs between
//! [`FIT_MIN_KM`] and [`FIT_MAX_KM`], 2026-12-01; `tests/road_estimate_isere.rs` re-fits it and
//! fails if the shipped constants drift from that fit.
//!
//! Why this form: routed minutes per crow-fly km fall from ~2.4 (0–5 km) to ~1.5 (20–40 km): a
//! village-to-village trip starts on slow streets and winding roads, a long one uses fast roads.
//! A single speed (the old [`RoadEstimate::Linear`], 1.3 min/km) cannot follow that; an access
//! time plus one speed (`c + k·km`, least squares in minutes: c = 12 min) cuts the error beyond
//! 10 km by a third but overestimates short trips by ~8 min. The power law has two parameters,
//! a closed-form fit (a straight line in log–log), an exact inverse ([`RoadEstimate::radius_m`]),
//! 0 min at 0 km, and fitted best of the three; adding an access time to it (`c + a·km^b`) did not help: the best
//! non-negative `c` was 0. (Exploration on the same matrix, 2026-12-01, not kept as code.)
//!
//! Why in log space: the scatter of routed times grows with distance (a detour is a share of
//! the trip), so log residuals are of one size at every distance, and least squares on minutes
//! would be driven by the long pairs. The price: the fit follows the geometric mean, and routed
//! times have a long tail of big detours, so the estimate sits ~0.2–0.9 min above the median
//! routed time (BENCHMARKS.md, "Travel-time estimate vs routed times (Isère)").
//!
//! Why 0.5–60 km: below 0.5 km the two points are in one village and the log of a tiny distance
//! would weigh like a lever (Isère has no such pair); beyond 60 km trips run on motorways across
//! the département, matter to no catchment (the APL stops at 30 min) and are numerous (30 % of
//! the pairs): they would bend the curve toward long trips.
//!
//! # Limits, honestly
//! Isère is Alpine valleys and plains: not Auvergne, not Paris. The constants are one
//! département's roads, applied elsewhere as an estimate; they know no river, pass or motorway,
//! so one pair can be off by tens of minutes (median error 2–5 min below 40 km in Isère). The
//! curve is extrapolated beyond 60 km (at 500 km it says ~6.6 h). Routed times, when loaded,
//! replace all of this.

use serde::Serialize;

/// Minutes for 1 km as the crow flies (`a` of `a × km^b`), fitted on the Isère 2021 OSRM matrix
/// (see the [module documentation](self)).
pub const ISERE_2021_SCALE_MIN: f64 = 3.5002;
/// Exponent of distance (`b` of `a × km^b`), fitted on the Isère 2021 OSRM matrix.
pub const ISERE_2021_EXPONENT: f64 = 0.7603;
/// Ordered pairs of the Isère 2021 matrix within [`FIT_MIN_KM`]..=[`FIT_MAX_KM`] that the
/// shipped constants were fitted on (of 261,632 ordered pairs of distinct communes).
pub const ISERE_2021_PAIRS: usize = 183_672;
/// Shortest great-circle distance (km) a pair must have to enter the fit.
pub const FIT_MIN_KM: f64 = 0.5;
/// Longest great-circle distance (km) a pair may have to enter the fit.
pub const FIT_MAX_KM: f64 = 60.0;

/// Why a model cannot be built or fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RoadEstimateError {
    /// A parameter is not finite or out of its range.
    #[error("{name} must be {expected}, got {value}")]
    Parameter { name: &'static str, value: f64, expected: &'static str },
    /// Too few usable pairs, or all at one distance: no line through them.
    #[error("cannot fit: {0}")]
    Fit(String),
}

/// `minutes = scale_min × km^exponent`, km the great-circle distance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Calibrated {
    /// Minutes for 1 km as the crow flies (> 0).
    pub scale_min: f64,
    /// Exponent of the distance (> 0, so that minutes strictly increase with distance).
    pub exponent: f64,
}

impl Calibrated {
    /// The constants fitted on the Isère 2021 OSRM matrix: the default estimate.
    pub const ISERE_2021: Calibrated = Calibrated { scale_min: ISERE_2021_SCALE_MIN, exponent: ISERE_2021_EXPONENT };

    /// Checks the parameters: both finite and > 0.
    pub fn new(scale_min: f64, exponent: f64) -> Result<Calibrated, RoadEstimateError> {
        if !(scale_min.is_finite() && scale_min > 0.0) {
            return Err(RoadEstimateError::Parameter { name: "scale (minutes at 1 km)", value: scale_min, expected: "> 0" });
        }
        if !(exponent.is_finite() && exponent > 0.0) {
            return Err(RoadEstimateError::Parameter { name: "exponent", value: exponent, expected: "> 0" });
        }
        Ok(Calibrated { scale_min, exponent })
    }

    /// Estimated minutes for a great-circle distance in metres (0 for 0 or less).
    pub fn minutes(&self, metres: f64) -> f64 {
        if metres <= 0.0 { 0.0 } else { self.scale_min * (metres / 1000.0).powf(self.exponent) }
    }

    /// The great-circle radius (m) reached in `minutes`: the inverse of [`Calibrated::minutes`].
    pub fn radius_m(&self, minutes: f64) -> f64 {
        if minutes <= 0.0 { 0.0 } else { 1000.0 * (minutes / self.scale_min).powf(1.0 / self.exponent) }
    }
}

/// How car minutes are estimated from the great-circle distance between two communes'
/// representative points. Results that use it must say they are estimates ([`describe`]).
///
/// [`describe`]: RoadEstimate::describe
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RoadEstimate {
    /// The former default: `minutes = km × detour_factor / speed_kmh × 60` (1.3 and 60 km/h:
    /// 1.3 min per crow-fly km at every distance). Kept for comparison and for users who ask.
    Linear {
        /// Road distance over great-circle distance (≥ 1).
        detour_factor: f64,
        /// Average speed on the road distance (km/h, > 0).
        speed_kmh: f64,
    },
    /// A power law of the great-circle distance fitted on routed times
    /// ([`fit`](crate::analysis::road_estimate::fit)).
    Calibrated(Calibrated),
}

impl Default for RoadEstimate {
    /// The power law fitted on the Isère 2021 OSRM matrix.
    fn default() -> Self {
        RoadEstimate::Calibrated(Calibrated::ISERE_2021)
    }
}

impl RoadEstimate {
    /// The former default: great-circle × 1.3 at 60 km/h.
    pub const LINEAR_1_3_AT_60: RoadEstimate = RoadEstimate::Linear { detour_factor: 1.3, speed_kmh: 60.0 };

    /// A linear model, parameters checked (both finite; detour ≥ 1; speed > 0).
    pub fn linear(detour_factor: f64, speed_kmh: f64) -> Result<RoadEstimate, RoadEstimateError> {
        if !(detour_factor.is_finite() && detour_factor >= 1.0) {
            return Err(RoadEstimateError::Parameter { name: "detour factor", value: detour_factor, expected: "≥ 1" });
        }
        if !(speed_kmh.is_finite() && speed_kmh > 0.0) {
            return Err(RoadEstimateError::Parameter { name: "speed (km/h)", value: speed_kmh, expected: "> 0" });
        }
        Ok(RoadEstimate::Linear { detour_factor, speed_kmh })
    }

    /// Estimated minutes for a great-circle distance in metres (never negative).
    pub fn minutes(&self, metres: f64) -> f64 {
        match self {
            RoadEstimate::Linear { detour_factor, speed_kmh } => {
                metres.max(0.0) * detour_factor / (speed_kmh * 1000.0) * 60.0
            }
            RoadEstimate::Calibrated(c) => c.minutes(metres),
        }
    }

    /// The great-circle radius (m) reached in `minutes`, the exact inverse of
    /// [`RoadEstimate::minutes`]: candidate pairs for a time limit are those within it.
    pub fn radius_m(&self, minutes: f64) -> f64 {
        match self {
            RoadEstimate::Linear { detour_factor, speed_kmh } => {
                minutes.max(0.0) / 60.0 * speed_kmh * 1000.0 / detour_factor
            }
            RoadEstimate::Calibrated(c) => c.radius_m(minutes),
        }
    }

    /// "linear" or "calibrated", for APIs and metadata.
    pub fn kind(&self) -> &'static str {
        match self {
            RoadEstimate::Linear { .. } => "linear",
            RoadEstimate::Calibrated(_) => "calibrated",
        }
    }

    /// One sentence saying the times are an estimate and how it was made.
    pub fn describe(&self) -> String {
        match self {
            RoadEstimate::Linear { detour_factor, speed_kmh } => format!(
                "estimated: great-circle distance between town halls × {detour_factor} (detour) at {speed_kmh} km/h"
            ),
            RoadEstimate::Calibrated(c) if *c == Calibrated::ISERE_2021 => format!(
                "estimated: {} × (great-circle km between town halls)^{} minutes, fitted on routed car times \
                 (OSRM, OpenStreetMap 2021) between the communes of Isère, {} pairs of {}–{} km",
                c.scale_min, c.exponent, ISERE_2021_PAIRS, FIT_MIN_KM, FIT_MAX_KM
            ),
            RoadEstimate::Calibrated(c) => format!(
                "estimated: {} × (great-circle km between town halls)^{} minutes, fitted on routed car times",
                c.scale_min, c.exponent
            ),
        }
    }
}
