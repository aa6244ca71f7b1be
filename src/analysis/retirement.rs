//! Projection of GP numbers after the departure of those near retirement.
//!
//! # Model
//! In this atlas "near retirement" means aged 55 and over (the share of physicians aged 55+ in
//! DREES RPPS; see `geodata/PROVENANCE.md`). The model is deliberately simple and every number
//! it rests on is a parameter:
//!
//! - the near-retirement GPs leave evenly over `departure_horizon_years` (default 10: from 55 to
//!   65), so after `years` a fraction `min(years / horizon, 1)` of them has left;
//! - a share `replacement_rate` (0–1) of the leavers is replaced by new GPs;
//! - GPs not near retirement stay, nobody else arrives, and the population is held constant.
//!
//! ```text
//! departed     = near × min(years / horizon, 1)
//! projected_gp = gp − departed × (1 − replacement_rate)
//! gp_per_10k_projected = Σ projected_gp / Σ population × 10,000
//! ```
//!
//! It ignores the GPs who turn 55 during the period, early or late retirement and
//! population change: it answers "what if the 55+ left and only this share were replaced",
//! not "how many GPs will there be".

use serde::Serialize;
use thiserror::Error;

/// One-line statement of the model, for API metadata and legends.
pub const MODEL: &str = "projected_gp = gp - near_retirement * min(years / departure_horizon_years, 1) * (1 - replacement_rate); \
near-retirement GPs (aged 55+) leave evenly over the horizon, a share replacement_rate of leavers is replaced, population held constant";

/// Parameters of the projection; build them with [`RetirementParams::new`] to have them checked.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RetirementParams {
    /// How far ahead to project, in years (≥ 0).
    pub years: f64,
    /// Years over which all near-retirement GPs leave (> 0); 10 covers ages 55 to 65.
    pub departure_horizon_years: f64,
    /// Share of the leavers who are replaced, in [0, 1].
    pub replacement_rate: f64,
}

impl Default for RetirementParams {
    fn default() -> Self {
        RetirementParams { years: 5.0, departure_horizon_years: 10.0, replacement_rate: 0.0 }
    }
}

/// A projection parameter out of its domain.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RetirementError {
    /// `years` is negative or not a finite number.
    #[error("years must be a finite number ≥ 0, got {0}")]
    Years(f64),
    /// The departure horizon is zero, negative or not finite.
    #[error("departure_horizon_years must be a finite number > 0, got {0}")]
    Horizon(f64),
    /// The replacement rate is outside [0, 1].
    #[error("replacement_rate must be within [0, 1], got {0}")]
    Replacement(f64),
}

impl RetirementParams {
    /// Checked parameters.
    pub fn new(years: f64, departure_horizon_years: f64, replacement_rate: f64) -> Result<Self, RetirementError> {
        let p = RetirementParams { years, departure_horizon_years, replacement_rate };
        p.validate()?;
        Ok(p)
    }

    /// Checks every parameter; the fields are public, so values built by hand go through here.
    pub fn validate(&self) -> Result<(), RetirementError> {
        if !(self.years.is_finite() && self.years >= 0.0) {
            return Err(RetirementError::Years(self.years));
        }
        if !(self.departure_horizon_years.is_finite() && self.departure_horizon_years > 0.0) {
            return Err(RetirementError::Horizon(self.departure_horizon_years));
        }
        if !(0.0..=1.0).contains(&self.replacement_rate) {
            return Err(RetirementError::Replacement(self.replacement_rate));
        }
        Ok(())
    }

    /// Fraction of the near-retirement GPs gone after `years`: `min(years / horizon, 1)`.
    pub fn departed_fraction(&self) -> f64 {
        // Unchecked parameters must not turn into NaN downstream: a non-positive horizon means
        // everyone has already left.
        if self.departure_horizon_years > 0.0 && self.years.is_finite() {
            (self.years.max(0.0) / self.departure_horizon_years).min(1.0)
        } else {
            1.0
        }
    }

    /// GPs left after `years`: `gp − near × departed_fraction × (1 − replacement_rate)`.
    /// `near` is a count or an estimated expected value (a fraction); above `gp` (inconsistent
    /// input) it is capped at `gp`, so the result is never negative.
    pub fn projected_gp(&self, gp: u64, near: f64) -> f64 {
        let near = near.clamp(0.0, gp as f64);
        let kept = 1.0 - self.replacement_rate.clamp(0.0, 1.0);
        gp as f64 - near * self.departed_fraction() * kept
    }

    /// Projected GPs per 10,000 inhabitants; `None` without population.
    pub fn gp_per_10k_projected(&self, gp: u64, near: f64, population: u64) -> Option<f64> {
        (population > 0).then(|| self.projected_gp(gp, near) * 10_000.0 / population as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn ten_gps_four_near_retirement() {
        let p = RetirementParams::default();
        // 5 of 10 years: half of the 4 leave, none replaced.
        assert!(close(p.projected_gp(10, 4.0), 8.0));
        let half = RetirementParams { replacement_rate: 0.5, ..p };
        assert!(close(half.projected_gp(10, 4.0), 9.0));
        // Beyond the horizon all 4 have left, no more.
        let twenty = RetirementParams { years: 20.0, ..p };
        assert!(close(twenty.projected_gp(10, 4.0), 6.0));
        let full = RetirementParams { replacement_rate: 1.0, ..twenty };
        assert!(close(full.projected_gp(10, 4.0), 10.0));
        let now = RetirementParams { years: 0.0, ..p };
        assert!(close(now.projected_gp(10, 4.0), 10.0));
    }

    #[test]
    fn density_uses_the_constant_population() {
        let p = RetirementParams::default();
        // 8 projected GPs for 20,000 inhabitants.
        assert!(close(p.gp_per_10k_projected(10, 4.0, 20_000).unwrap_or(f64::NAN), 4.0));
        assert_eq!(p.gp_per_10k_projected(10, 4.0, 0), None);
    }

    #[test]
    fn inconsistent_near_count_never_gives_negative_gps() {
        let p = RetirementParams { years: 10.0, ..RetirementParams::default() };
        assert!(close(p.projected_gp(3, 7.0), 0.0));
    }

    #[test]
    fn parameters_out_of_their_domain_are_refused() {
        assert!(RetirementParams::new(5.0, 10.0, 0.0).is_ok());
        assert_eq!(RetirementParams::new(-1.0, 10.0, 0.0), Err(RetirementError::Years(-1.0)));
        assert!(matches!(RetirementParams::new(f64::NAN, 10.0, 0.0), Err(RetirementError::Years(_))));
        assert_eq!(RetirementParams::new(5.0, 0.0, 0.0), Err(RetirementError::Horizon(0.0)));
        assert!(matches!(RetirementParams::new(5.0, f64::INFINITY, 0.0), Err(RetirementError::Horizon(_))));
        assert_eq!(RetirementParams::new(5.0, 10.0, 1.5), Err(RetirementError::Replacement(1.5)));
        assert!(matches!(RetirementParams::new(5.0, 10.0, f64::NAN), Err(RetirementError::Replacement(_))));
    }
}
