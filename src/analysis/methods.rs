//! The access methods applied to an atlas's communes: the choices of supply, demand, catchment
//! and unit that turn the generic measures of `access` into indicators a planner reads.
//!
//! Supply sits at each commune's representative point (its town hall), demand likewise.
//!
//! | method  | supply of a commune       | decay within `max_minutes` (default 20) | unit |
//! |---------|---------------------------|------------------------------------------|------|
//! | apl     | GPs × counted activity    | DREES steps 1 / 2/3 / 1/3                | consultations / year / standardised inhabitant |
//! | 2sfca   | GPs (head count)          | none (1 up to the limit)                 | GPs per 10,000 inhabitants |
//! | e2sfca  | GPs (head count)          | steps, default the DREES ones            | GPs per 10,000 inhabitants |
//! | gravity | GPs (head count)          | `(max(t, min)/scale)^alpha`, default α = −1, min 5 min | GPs per 10,000 inhabitants |
//!
//! With the default steps, e2sfca × activity / 10,000 is APL exactly (a test checks it).
//! The gravity variant is the gravity-weighted 2SFCA (the scale cancels out of the ratio);
//! `min` stands for the time to reach a practice inside one's own commune.

use super::access::{self, AccessError, Catchment, Decay};
use super::apl::{self, AplInputs, AplParams};
use super::travel::TravelTimes;
use crate::atlas::Atlas;
use geo::Point;
use serde::Serialize;

/// An access method, as named on the command line and in the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Apl,
    #[serde(rename = "2sfca")]
    TwoStep,
    E2sfca,
    Gravity,
}

impl Method {
    pub const ALL: [Method; 4] = [Method::Apl, Method::TwoStep, Method::E2sfca, Method::Gravity];

    pub fn name(self) -> &'static str {
        match self {
            Method::Apl => "apl",
            Method::TwoStep => "2sfca",
            Method::E2sfca => "e2sfca",
            Method::Gravity => "gravity",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name().eq_ignore_ascii_case(s.trim()))
    }

    pub fn unit(self) -> &'static str {
        match self {
            Method::Apl => "consultations per year per standardised inhabitant",
            _ => "GPs per 10,000 inhabitants (within reach)",
        }
    }
}

/// Parameters of [`run`]; `decay` overrides the method's default decay (not for APL's
/// activity rules, which `apl` holds).
#[derive(Debug, Clone, PartialEq)]
pub struct MethodParams {
    pub max_minutes: f64,
    pub decay: Option<Decay>,
    pub apl: AplParams,
    /// APL only: age pyramids and individual GPs (default empty: raw populations and head
    /// counts). The other methods ignore them.
    pub apl_inputs: AplInputs,
}

impl Default for MethodParams {
    fn default() -> Self {
        MethodParams { max_minutes: 20.0, decay: None, apl: AplParams::default(), apl_inputs: AplInputs::default() }
    }
}

impl MethodParams {
    /// The decay `method` uses with these parameters.
    pub fn decay_for(&self, method: Method) -> Decay {
        if let Some(d) = &self.decay {
            return d.clone();
        }
        match method {
            Method::TwoStep => Decay::Uniform,
            Method::Apl | Method::E2sfca => AplParams::default().decay,
            Method::Gravity => Decay::Gravity { scale: 1.0, alpha: -1.0, min_cost: 5.0 },
        }
    }
}

/// Values of one method for every commune of the atlas (atlas order).
#[derive(Debug, Clone)]
pub struct MethodResult {
    pub method: Method,
    pub values: Vec<Option<f64>>,
    /// Why a value is `None`.
    pub missing: Vec<Option<&'static str>>,
    /// Aggregation weight of each commune (standardised population for APL, population
    /// otherwise).
    pub weight: Vec<f64>,
    pub unit: &'static str,
    /// How travel times were obtained.
    pub travel: String,
    /// Which GPs make the supply, at which activity (APL), or "GP head counts".
    pub supply: String,
    pub travel_kind: &'static str,
    pub decay: Decay,
    pub max_minutes: f64,
    pub supply_locations: usize,
    pub pairs: usize,
}

/// Demand and supply of every commune (atlas order) as `method` counts them: for APL the
/// (standardised) population and counted activity, otherwise the population and GP head count.
pub fn demand_supply(atlas: &Atlas, method: Method, params: &MethodParams) -> Result<(Vec<f64>, Vec<f64>), AccessError> {
    if method == Method::Apl {
        return apl::atlas_demand_supply(atlas, &params.apl, &params.apl_inputs);
    }
    let communes = atlas.communes();
    let population = communes.iter().map(|c| f64::from(c.population)).collect();
    Ok((population, communes.iter().map(|c| c.gp.as_ref().map_or(0.0, |g| f64::from(g.gp))).collect()))
}

/// Runs `method` over the atlas's communes.
pub fn run(atlas: &Atlas, method: Method, travel: &TravelTimes, params: &MethodParams) -> Result<MethodResult, AccessError> {
    let decay = params.decay_for(method);
    if method == Method::Apl {
        let apl_params = AplParams { max_minutes: params.max_minutes, decay: decay.clone(), ..params.apl.clone() };
        let r = apl::for_atlas_with(atlas, travel, &apl_params, &params.apl_inputs)?;
        return Ok(MethodResult {
            method,
            values: r.access.apl,
            missing: r.access.missing,
            weight: r.access.weight,
            unit: method.unit(),
            travel: r.access.travel,
            supply: r.access.supply,
            travel_kind: travel.kind(),
            decay,
            max_minutes: params.max_minutes,
            supply_locations: r.supply_communes,
            pairs: r.pairs,
        });
    }
    let points: Vec<Point<f64>> = atlas.communes().iter().map(|c| c.repr_point).collect();
    let (population, gps) = demand_supply(atlas, method, params)?;
    let supply_communes: Vec<usize> = (0..gps.len()).filter(|&i| gps[i] > 0.0).collect();
    let supply: Vec<f64> = supply_communes.iter().map(|&i| gps[i]).collect();
    let costs = super::travel::cost_table(travel, &points, &supply_communes, params.max_minutes);
    let catchment = Catchment { max_cost: Some(params.max_minutes), decay: decay.clone() };
    let raw = access::two_step_fca(&population, &supply, &costs, &catchment)?;
    let (values, missing) = apl::per_resident(raw, &population, 10_000.0);
    Ok(MethodResult {
        method,
        values,
        missing,
        weight: population,
        unit: method.unit(),
        travel: travel.describe(),
        supply: "GP head counts, all GPs whatever their mode of practice".into(),
        travel_kind: travel.kind(),
        decay,
        max_minutes: params.max_minutes,
        supply_locations: supply_communes.len(),
        pairs: costs.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn atlas() -> Atlas {
        Atlas::load_default().unwrap()
    }

    #[test]
    fn e2sfca_with_the_drees_steps_times_activity_is_apl() {
        let atlas = atlas();
        let travel = TravelTimes::default();
        let params = MethodParams::default();
        let apl = run(&atlas, Method::Apl, &travel, &params).unwrap();
        let e2 = run(&atlas, Method::E2sfca, &travel, &params).unwrap();
        let activity = params.apl.default_activity;
        let mut compared = 0;
        for (a, e) in apl.values.iter().zip(&e2.values) {
            match (a, e) {
                (Some(a), Some(e)) => {
                    assert!((a - e * activity / 10_000.0).abs() <= 1e-9 * a.max(1e-9));
                    compared += 1;
                }
                (None, None) => {}
                _ => panic!("APL and E2SFCA disagree on which communes have a value"),
            }
        }
        assert_eq!(compared, atlas.communes().len());
    }

    #[test]
    fn every_gp_is_shared_out_when_every_commune_is_within_reach_of_its_own_gps() {
        // Σ_i P_i · A_i = Σ_j S_j for 2SFCA when every supply's catchment demand is > 0:
        // the ratios redistribute the supply exactly.
        let atlas = atlas();
        let r = run(&atlas, Method::TwoStep, &TravelTimes::default(), &MethodParams::default()).unwrap();
        let served: f64 = r.values.iter().zip(&r.weight).map(|(v, w)| v.unwrap_or(0.0) / 10_000.0 * w).sum();
        let gps: f64 = atlas.communes().iter().map(|c| c.gp.as_ref().map_or(0.0, |g| f64::from(g.gp))).sum();
        assert!((served - gps).abs() < 1e-6 * gps, "served {served} vs {gps} GPs");
    }

    #[test]
    fn methods_parse_by_name() {
        assert_eq!(Method::parse("APL"), Some(Method::Apl));
        assert_eq!(Method::parse("2sfca"), Some(Method::TwoStep));
        assert_eq!(Method::parse("sfca"), None);
    }
}
