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
//! | spatial_availability | GPs (head count) | steps, default the DREES ones          | GPs available per 10,000 inhabitants (`V_i / P_i`) |
//! | bfca    | GPs (head count)          | steps, default the DREES ones            | GPs per 10,000 inhabitants (balanced level of service) |
//!
//! With the default steps, e2sfca × activity / 10,000 is APL exactly (a test checks it).
//! `spatial_availability` (Soukhov et al. 2023, `availability`) shares each commune's GPs out
//! among the communes reaching it: the GPs available to a commune's residents add up to the
//! GPs within reach; shown per 10,000 inhabitants, with `alpha` = 1 it equals e2sfca (the
//! paper's equivalence, a test checks it), and [`MethodResult::allocated`] says how many GPs
//! were shared out. `bfca` (Páez et al. 2019, `bfca`) balances the weights so that no resident
//! is counted twice in a practice's demand.
//! The gravity variant is the gravity-weighted 2SFCA (the scale cancels out of the ratio);
//! `min` stands for the time to reach a practice inside one's own commune.

use super::access::{self, AccessError, Catchment, Decay};
use super::{availability, bfca};
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
    /// Spatial availability (Soukhov et al. 2023): GPs shared out, adding up to the supply.
    #[serde(rename = "spatial_availability")]
    SpatialAvailability,
    /// Balanced floating catchment area (Páez et al. 2019).
    Bfca,
}

impl Method {
    /// Every method, in the order they are listed.
    pub const ALL: [Method; 6] = [Method::Apl, Method::TwoStep, Method::E2sfca, Method::Gravity, Method::SpatialAvailability, Method::Bfca];

    pub fn name(self) -> &'static str {
        match self {
            Method::Apl => "apl",
            Method::TwoStep => "2sfca",
            Method::E2sfca => "e2sfca",
            Method::Gravity => "gravity",
            Method::SpatialAvailability => "spatial_availability",
            Method::Bfca => "bfca",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name().eq_ignore_ascii_case(s.trim()))
    }

    pub fn unit(self) -> &'static str {
        match self {
            Method::Apl => "consultations per year per standardised inhabitant",
            Method::SpatialAvailability => {
                "GPs available per 10,000 inhabitants (spatial availability V_i / P_i; the V_i add up to the GPs within reach)"
            }
            Method::Bfca => "GPs per 10,000 inhabitants (balanced FCA level of service; each resident counted once in a practice's demand)",
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
    /// `spatial_availability` only: the population exponent α of Soukhov et al. (2023),
    /// default 1 (below 1 smaller communes get relatively more, above 1 larger ones).
    pub alpha: f64,
}

impl Default for MethodParams {
    fn default() -> Self {
        MethodParams { max_minutes: 20.0, decay: None, apl: AplParams::default(), apl_inputs: AplInputs::default(), alpha: 1.0 }
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
            Method::Apl | Method::E2sfca | Method::SpatialAvailability | Method::Bfca => AplParams::default().decay,
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
    /// `spatial_availability` only: the GPs shared out (`Σ_i V_i`, the GPs within reach of
    /// somebody) and those nobody reaches; `None` for the other methods.
    pub allocated: Option<(f64, f64)>,
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
            allocated: None,
        });
    }
    let points: Vec<Point<f64>> = atlas.communes().iter().map(|c| c.repr_point).collect();
    let (population, gps) = demand_supply(atlas, method, params)?;
    let supply_communes: Vec<usize> = (0..gps.len()).filter(|&i| gps[i] > 0.0).collect();
    let supply: Vec<f64> = supply_communes.iter().map(|&i| gps[i]).collect();
    let costs = super::travel::cost_table(travel, &points, &supply_communes, params.max_minutes);
    let catchment = Catchment { max_cost: Some(params.max_minutes), decay: decay.clone() };
    let mut allocated = None;
    let raw = match method {
        Method::SpatialAvailability => {
            let v = availability::spatial_availability(&population, &supply, &costs, &catchment, params.alpha)?;
            allocated = Some((v.allocated, v.unallocated));
            // Per resident, so that the value reads like the others (GPs per 10,000); a
            // commune without residents has none whatever it was given (nothing).
            v.values.into_iter().zip(&population).map(|(v, &p)| v.map(|v| if p > 0.0 { v / p } else { 0.0 })).collect()
        }
        Method::Bfca => bfca::bfca(&population, &supply, &costs, &catchment)?.access,
        _ => access::two_step_fca(&population, &supply, &costs, &catchment)?,
    };
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
        allocated,
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
        assert_eq!(Method::parse("spatial_availability"), Some(Method::SpatialAvailability));
        assert_eq!(Method::parse("BFCA"), Some(Method::Bfca));
        assert_eq!(Method::parse("sfca"), None);
        assert_eq!(serde_json::to_value(Method::SpatialAvailability).unwrap(), "spatial_availability");
        assert_eq!(serde_json::to_value(Method::Bfca).unwrap(), "bfca");
    }

    #[test]
    fn spatial_availability_shares_every_gp_out_and_per_resident_is_e2sfca() {
        let atlas = atlas();
        let travel = TravelTimes::default();
        let params = MethodParams::default();
        let sa = run(&atlas, Method::SpatialAvailability, &travel, &params).unwrap();
        let e2 = run(&atlas, Method::E2sfca, &travel, &params).unwrap();
        for (s, e) in sa.values.iter().zip(&e2.values) {
            match (s, e) {
                (Some(s), Some(e)) => assert!((s - e).abs() <= 1e-9 * e.max(1e-9), "{s} vs {e}"),
                (None, None) => {}
                other => panic!("{other:?}"),
            }
        }
        // The GPs available to each commune (value × population / 10,000) add up to the
        // atlas's GPs, all of them within reach of their own commune's residents here.
        let gps: f64 = atlas.communes().iter().map(|c| c.gp.as_ref().map_or(0.0, |g| f64::from(g.gp))).sum();
        let available: f64 = sa.values.iter().zip(&sa.weight).map(|(v, w)| v.unwrap_or(0.0) * w / 10_000.0).sum();
        assert!((available - gps).abs() < 1e-6 * gps, "{available} vs {gps}");
        let (allocated, unallocated) = sa.allocated.unwrap();
        assert!((allocated + unallocated - gps).abs() < 1e-6 * gps);
        assert!((allocated - available).abs() < 1e-6 * gps);
        // α = 2 favours the larger communes: Montluçon (the largest of its area) gets more.
        let big = atlas.commune_index("03185").unwrap();
        let sa2 = run(&atlas, Method::SpatialAvailability, &travel, &MethodParams { alpha: 2.0, ..MethodParams::default() }).unwrap();
        assert!(sa2.values[big].unwrap() > sa.values[big].unwrap());
        assert!(run(&atlas, Method::SpatialAvailability, &travel, &MethodParams { alpha: -1.0, ..MethodParams::default() }).is_err());
    }

    #[test]
    fn bfca_counts_every_resident_once_so_it_is_below_e2sfca_where_catchments_overlap() {
        let atlas = atlas();
        let travel = TravelTimes::default();
        let b = run(&atlas, Method::Bfca, &travel, &MethodParams::default()).unwrap();
        let e2 = run(&atlas, Method::E2sfca, &travel, &MethodParams::default()).unwrap();
        assert_eq!(b.values.iter().filter(|v| v.is_some()).count(), e2.values.iter().filter(|v| v.is_some()).count());
        assert!(b.values.iter().flatten().all(|v| v.is_finite() && *v >= 0.0));
        // Its population-weighted mean is lower: 2SFCA's levels of service are inflated by
        // residents counted in several practices' demand (and its per-resident values by
        // practices reached several times), BFCA's are not.
        let mean = |r: &MethodResult| {
            let (s, w) = r.values.iter().zip(&r.weight).fold((0.0, 0.0), |(s, w), (v, p)| v.map_or((s, w), |v| (s + v * p, w + p)));
            s / w
        };
        assert!(mean(&b) < mean(&e2), "{} vs {}", mean(&b), mean(&e2));
    }
}
