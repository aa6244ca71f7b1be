//! Access in N years: the APL recomputed after the departures of the retirement projection.
//!
//! # Model
//! The retirement model of [`retirement`] says how many of a commune's GPs are left after
//! `years`: `projected_gp = gp − near × min(years / horizon, 1) × (1 − replacement)`. The APL's
//! supply of each commune (its counted activity, [`apl::atlas_supply`]) is reduced in the same
//! proportion, and the APL is recomputed from the reduced supply with the same parameters, the
//! same population and the atlas's own travel times:
//!
//! ```text
//! S'_j = S_j × projected_gp_j / gp_j        (S_j unchanged where gp_j = 0 or near_j is unknown)
//! A'_i = Σ_j w(t_ij) · S'_j / D_j            D_j = Σ_i w(t_ij) · P_i, unchanged
//! ```
//!
//! The proportion, not the count, is taken off the supply because the supply may count only part
//! of a commune's GPs (the DREES field: liberal and centre-de-santé GPs) or their individual
//! activity, while near-retirement values are about all of them: the leavers are taken to be
//! spread over the modes of practice and over the activity like the commune's GPs. When every GP
//! counts at the default activity (the embedded default) the two are the same.
//!
//! A commune *crosses* the threshold when its APL is at least [`APL_THRESHOLD`] (2.5) now and
//! under it in N years: under 2.5 is the ZIP criterion of the zoning method, so a commune
//! zoned ZAC today that crosses would meet it.
//!
//! What the model ignores is in [`IGNORES`]; every output carries it with the parameters
//! ([`Assumptions`]).

use super::access::{self, AccessError, Catchment};
use super::apl::{self, AplInputs, AplParams, GpField};
use super::retirement::{self, RetirementError, RetirementParams};
use super::scenario::{APL_THRESHOLD, Baseline};
use super::travel;
use crate::atlas::Atlas;
use crate::model::{NEAR_RETIREMENT_ESTIMATE_METHOD, Zoning};
use geo::Point;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use thiserror::Error;

/// Longest projection asked of the API and the CLI, in years: beyond, a model that holds the
/// population constant and lets nobody turn 55 says nothing useful.
pub const MAX_YEARS: f64 = 30.0;

/// How the supply is reduced, for outputs.
pub const SUPPLY_RULE: &str = "each commune's APL supply is multiplied by projected_gp / gp (the share of its GPs left after the departures; \
the leavers are taken to be spread over the modes of practice and the activity like the commune's GPs); \
a commune whose near-retirement value is unknown keeps its supply; the APL is then recomputed with the same parameters, population and travel times";

/// What the projection leaves out, for outputs and legends.
pub const IGNORES: &str = "GPs who turn 55 during the period, early or late retirement, arrivals other than the replacement share \
(replacements settle in the leaver's commune), population change and ageing, changes of activity per GP, new practices";

/// What crossing the threshold means, for outputs and legends.
pub const ZIP_CRITERION: &str = "APL under 2.5 consultations per year per inhabitant: the threshold of the ZIP criterion of the zoning \
method; a commune now at 2.5 or more and under it in N years crosses it, and a commune zoned ZAC today that crosses would meet the \
criterion (the ARS draws the zoning itself)";

/// The projection's parameters as the API and a stored scenario write them:
/// `{"years": 5, "horizon": 10, "replacement": 0.3}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProjectionSpec {
    /// Years ahead, 0 to [`MAX_YEARS`].
    pub years: f64,
    /// Years over which every near-retirement GP leaves (> 0); default 10.
    #[serde(default = "default_horizon")]
    pub horizon: f64,
    /// Share of the leavers replaced, 0 to 1; default 0.
    #[serde(default)]
    pub replacement: f64,
}

fn default_horizon() -> f64 {
    RetirementParams::default().departure_horizon_years
}

impl Default for ProjectionSpec {
    fn default() -> Self {
        let d = RetirementParams::default();
        ProjectionSpec { years: d.years, horizon: d.departure_horizon_years, replacement: d.replacement_rate }
    }
}

/// A projection that cannot be computed as asked.
#[derive(Debug, PartialEq, Error)]
pub enum ProjectionError {
    /// `years` beyond [`MAX_YEARS`] (below 0 is [`RetirementError::Years`]).
    #[error("years must be at most {MAX_YEARS}, got {0}")]
    TooManyYears(f64),
    /// A parameter out of the retirement model's domain.
    #[error(transparent)]
    Retirement(#[from] RetirementError),
    /// `years,horizon,replacement` that does not read as numbers.
    #[error("projection {0:?}: expected years[,horizon[,replacement]], e.g. 5,10,0.3")]
    Malformed(String),
    /// The APL could not be computed (values the computation refuses).
    #[error(transparent)]
    Access(#[from] AccessError),
}

impl ProjectionError {
    /// The parameter at fault, for messages (`None` for an APL error).
    pub fn parameter(&self) -> Option<&'static str> {
        match self {
            ProjectionError::TooManyYears(_) | ProjectionError::Retirement(RetirementError::Years(_)) => Some("years"),
            ProjectionError::Retirement(RetirementError::Horizon(_)) => Some("horizon"),
            ProjectionError::Retirement(RetirementError::Replacement(_)) => Some("replacement"),
            ProjectionError::Malformed(_) => Some("projection"),
            ProjectionError::Access(_) => None,
        }
    }
}

impl ProjectionSpec {
    /// The retirement model's parameters, checked: years in [0, [`MAX_YEARS`]], horizon > 0,
    /// replacement in [0, 1].
    pub fn params(&self) -> Result<RetirementParams, ProjectionError> {
        let p = RetirementParams::new(self.years, self.horizon, self.replacement)?;
        if p.years > MAX_YEARS {
            return Err(ProjectionError::TooManyYears(p.years));
        }
        Ok(p)
    }

    /// Reads `years[,horizon[,replacement]]` (a tile URL's `?projection=5,10,0.3`); missing
    /// values take their defaults (horizon 10, replacement 0). Not checked: see [`Self::params`].
    pub fn parse(text: &str) -> Result<ProjectionSpec, ProjectionError> {
        let malformed = || ProjectionError::Malformed(text.to_string());
        let parts: Vec<&str> = text.split(',').map(str::trim).collect();
        if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
            return Err(malformed());
        }
        let numbers: Vec<f64> = parts.iter().map(|p| p.parse::<f64>().map_err(|_| malformed())).collect::<Result<_, _>>()?;
        let d = ProjectionSpec::default();
        Ok(ProjectionSpec {
            years: numbers[0],
            horizon: numbers.get(1).copied().unwrap_or(d.horizon),
            replacement: numbers.get(2).copied().unwrap_or(d.replacement),
        })
    }

    /// The canonical `years,horizon,replacement` of checked parameters: one cache key per
    /// projection however its URL spells the numbers (`5`, `5.0`).
    pub fn key(p: &RetirementParams) -> String {
        format!("{},{},{}", p.years, p.departure_horizon_years, p.replacement_rate)
    }
}

/// The supply of every commune now and in N years (counted activity, atlas order), and what
/// it rests on.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectedSupply {
    /// Counted activity now: the default APL's supply ([`apl::atlas_supply`]).
    pub now: Vec<f64>,
    /// Counted activity in N years ([`SUPPLY_RULE`]).
    pub projected: Vec<f64>,
    /// GP head counts now (`None` where the atlas has no GP count).
    pub gp_now: Vec<Option<u32>>,
    /// GP head counts in N years (a fraction: an expected value).
    pub gp_projected: Vec<Option<f64>>,
    /// Whether each commune's departures rest on an estimated near-retirement value.
    pub estimated: Vec<bool>,
    /// Which GPs the supply counts, at which activity.
    pub description: String,
    /// How many communes' near-retirement values were counted, estimated or unknown.
    pub basis: NearRetirementBasis,
}

/// What the near-retirement values behind a projection are.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearRetirementBasis {
    /// True when any commune's departures rest on an estimate.
    pub estimated: bool,
    /// Communes with GPs whose near-retirement value is a count from a source.
    pub communes_counted: usize,
    /// Communes with GPs whose near-retirement value is estimated (`method`).
    pub communes_estimated: usize,
    /// Communes with GPs and no near-retirement value: their GPs are all kept.
    pub communes_unknown: usize,
    /// The estimate's formula, when any value is estimated.
    pub method: Option<&'static str>,
    /// Where the estimates' shares come from (distinct sources).
    pub sources: Vec<String>,
}

/// Each commune's supply now and after the departures of `retirement` ([`SUPPLY_RULE`]).
pub fn projected_supply(atlas: &Atlas, retirement: &RetirementParams, params: &AplParams) -> Result<ProjectedSupply, AccessError> {
    let (now, description) = apl::atlas_supply(atlas, params)?;
    let n = atlas.communes().len();
    let mut projected = Vec::with_capacity(n);
    let (mut gp_now, mut gp_projected, mut estimated) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut counted, mut by_estimate, mut unknown) = (0, 0, 0);
    let mut sources = BTreeSet::new();
    for (c, &s) in atlas.communes().iter().zip(&now) {
        let Some(g) = &c.gp else {
            projected.push(s);
            gp_now.push(None);
            gp_projected.push(None);
            estimated.push(false);
            continue;
        };
        gp_now.push(Some(g.gp));
        let is_estimate = g.gp_near_retirement.is_some() && g.gp_near_retirement_estimated;
        estimated.push(is_estimate && g.gp > 0);
        match (g.gp, g.gp_near_retirement) {
            (0, _) => {
                projected.push(s);
                gp_projected.push(Some(0.0));
            }
            (gp, None) => {
                unknown += 1;
                projected.push(s);
                gp_projected.push(Some(f64::from(gp)));
            }
            (gp, Some(near)) => {
                if is_estimate {
                    by_estimate += 1;
                    if let Some(e) = &g.near_retirement_estimate {
                        sources.insert(e.source.clone());
                    }
                } else {
                    counted += 1;
                }
                let left = retirement.projected_gp(u64::from(gp), near);
                projected.push(s * left / f64::from(gp));
                gp_projected.push(Some(left));
            }
        }
    }
    let basis = NearRetirementBasis {
        estimated: by_estimate > 0,
        communes_counted: counted,
        communes_estimated: by_estimate,
        communes_unknown: unknown,
        method: (by_estimate > 0).then_some(NEAR_RETIREMENT_ESTIMATE_METHOD),
        sources: sources.into_iter().collect(),
    };
    Ok(ProjectedSupply { now, projected, gp_now, gp_projected, estimated, description, basis })
}

/// The scenario baseline in N years: a [`Baseline`] built from the projected supply, so that a
/// scenario's impact reads "in N years, with this change".
pub fn projected_baseline(atlas: &Atlas, retirement: &RetirementParams, params: &AplParams) -> Result<Baseline, AccessError> {
    let supply = projected_supply(atlas, retirement, params)?;
    let description = format!("{}; in {} years ({})", supply.description, retirement.years, retirement::MODEL);
    Baseline::build_with_supply(atlas, params, &supply.projected, description)
}

/// Everything a projection rests on, in every output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assumptions {
    /// Years ahead.
    pub years: f64,
    /// Years over which every near-retirement GP leaves.
    pub horizon: f64,
    /// Share of the leavers replaced.
    pub replacement: f64,
    /// Share of the near-retirement GPs gone after `years`: `min(years / horizon, 1)`.
    pub departed_fraction: f64,
    /// The retirement model ([`retirement::MODEL`]).
    pub retirement_model: &'static str,
    /// How the supply is reduced ([`SUPPLY_RULE`]).
    pub supply_rule: &'static str,
    /// What the projection leaves out ([`IGNORES`]).
    pub ignores: &'static str,
    /// The APL's method and parameters.
    pub apl: String,
    /// Which GPs the supply counts, at which activity.
    pub supply: String,
    /// `estimated` or `matrix`.
    pub travel_times: &'static str,
    /// How the travel times were obtained.
    pub travel: String,
    /// The APL threshold (2.5).
    pub threshold: f64,
    /// What crossing it means ([`ZIP_CRITERION`]).
    pub zip_criterion: &'static str,
    /// Counted, estimated or unknown near-retirement values, with the estimate's method.
    pub near_retirement: NearRetirementBasis,
    /// True when the GP counts are synthetic.
    pub synthetic_gp: bool,
}

/// One commune now and in N years.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommuneProjection {
    /// Position in the atlas.
    #[serde(skip)]
    pub index: usize,
    /// INSEE code.
    pub code: String,
    /// Commune name.
    pub name: String,
    /// Département code.
    pub dep: String,
    /// Population municipale (held constant).
    pub population: u32,
    /// ARS zoning class today (ZIP, ZAC, HZ), when known.
    pub zoning: Option<String>,
    /// GP head count now.
    pub gp_now: Option<u32>,
    /// GPs near retirement (a count, or an expected value when `near_retirement_estimated`).
    pub gp_near_retirement: Option<f64>,
    /// True when `gp_near_retirement` is an estimate.
    pub near_retirement_estimated: bool,
    /// GPs left in N years (an expected value).
    pub gp_projected: Option<f64>,
    /// APL now (consultations / year / inhabitant); `None` without population.
    pub apl_now: Option<f64>,
    /// APL in N years; `None` without population.
    pub apl_projected: Option<f64>,
    /// `apl_projected − apl_now`.
    pub apl_delta: Option<f64>,
    /// True when some GP within the catchment has an estimated near-retirement value: the
    /// projected APL rests on an estimate.
    pub apl_projected_estimated: bool,
    /// APL ≥ 2.5 now and under 2.5 in N years.
    pub crosses_zip_criterion: bool,
}

impl CommuneProjection {
    /// Zoned ZAC today and crossing: would meet the ZIP criterion.
    pub fn zac_meeting_zip_criterion(&self) -> bool {
        self.crosses_zip_criterion && self.zoning.as_deref() == Some(Zoning::Zac.as_str())
    }

    fn under_now(&self) -> bool {
        self.apl_now.is_some_and(|a| a < APL_THRESHOLD)
    }

    fn under_projected(&self) -> bool {
        self.apl_projected.is_some_and(|a| a < APL_THRESHOLD)
    }
}

/// Totals over a set of communes (a département, or the communes asked for).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaProjection {
    /// Département code (`all` for every commune of the atlas).
    pub code: String,
    /// Département name (`None` for a summary).
    pub name: Option<String>,
    /// Number of communes.
    pub communes: usize,
    /// Σ population municipale.
    pub population: f64,
    /// GP head counts now.
    pub gp_now: f64,
    /// GPs left in N years (an expected value).
    pub gp_projected: f64,
    /// APL weighted by population now.
    pub apl_now: Option<f64>,
    /// APL weighted by population in N years.
    pub apl_projected: Option<f64>,
    /// Residents of communes under 2.5 now.
    pub residents_under_now: f64,
    /// Residents of communes under 2.5 in N years.
    pub residents_under_projected: f64,
    /// Communes crossing 2.5.
    pub communes_crossing: usize,
    /// Their residents.
    pub residents_crossing: f64,
    /// Communes zoned ZAC today that cross (would meet the ZIP criterion).
    pub zac_meeting_zip_criterion: usize,
}

impl AreaProjection {
    /// Totals over `communes`, APL means weighted by `weight` (the APL's population).
    fn over<'a>(code: &str, name: Option<String>, communes: impl Iterator<Item = &'a CommuneProjection>, weight: &[f64]) -> Self {
        let mut a = AreaProjection {
            code: code.to_string(),
            name,
            communes: 0,
            population: 0.0,
            gp_now: 0.0,
            gp_projected: 0.0,
            apl_now: None,
            apl_projected: None,
            residents_under_now: 0.0,
            residents_under_projected: 0.0,
            communes_crossing: 0,
            residents_crossing: 0.0,
            zac_meeting_zip_criterion: 0,
        };
        let (mut now, mut then, mut w) = (0.0, 0.0, 0.0);
        for c in communes {
            let p = f64::from(c.population);
            a.communes += 1;
            a.population += p;
            a.gp_now += c.gp_now.map_or(0.0, f64::from);
            a.gp_projected += c.gp_projected.unwrap_or(0.0);
            if let (Some(x), Some(y)) = (c.apl_now, c.apl_projected) {
                now += x * weight[c.index];
                then += y * weight[c.index];
                w += weight[c.index];
            }
            if c.under_now() {
                a.residents_under_now += p;
            }
            if c.under_projected() {
                a.residents_under_projected += p;
            }
            if c.crosses_zip_criterion {
                a.communes_crossing += 1;
                a.residents_crossing += p;
            }
            if c.zac_meeting_zip_criterion() {
                a.zac_meeting_zip_criterion += 1;
            }
        }
        if w > 0.0 {
            a.apl_now = Some(now / w);
            a.apl_projected = Some(then / w);
        }
        a
    }
}

/// APL of every commune now and in N years, with what it rests on.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// What the projection rests on.
    pub assumptions: Assumptions,
    /// Every commune, in atlas order.
    pub communes: Vec<CommuneProjection>,
    /// The APL's aggregation weight of each commune (its population), atlas order.
    pub weight: Vec<f64>,
}

impl Projection {
    /// The communes crossing 2.5 (atlas order).
    pub fn crossing(&self) -> impl Iterator<Item = &CommuneProjection> {
        self.communes.iter().filter(|c| c.crosses_zip_criterion)
    }

    /// Totals over the communes of `dep` (all communes when `None`: code `all`).
    pub fn summary(&self, dep: Option<&str>) -> AreaProjection {
        AreaProjection::over(dep.unwrap_or("all"), None, self.communes.iter().filter(|c| dep.is_none_or(|d| c.dep == d)), &self.weight)
    }

    /// One summary per département of the atlas (all, or `dep` only), in the atlas's order.
    pub fn departements(&self, atlas: &Atlas, dep: Option<&str>) -> Vec<AreaProjection> {
        atlas
            .departments()
            .iter()
            .filter(|d| dep.is_none_or(|x| d.code == x))
            .map(|d| AreaProjection::over(&d.code, Some(d.name.clone()), self.communes.iter().filter(|c| c.dep == d.code), &self.weight))
            .collect()
    }

    /// APL now and projected, in atlas order (`None` without population).
    pub fn apl_now(&self) -> Vec<Option<f64>> {
        self.communes.iter().map(|c| c.apl_now).collect()
    }

    /// See [`Projection::apl_now`].
    pub fn apl_projected(&self) -> Vec<Option<f64>> {
        self.communes.iter().map(|c| c.apl_projected).collect()
    }
}

/// The APL's method and parameters in one sentence.
fn describe_apl(params: &AplParams) -> String {
    let field = match params.gp_field {
        GpField::Drees => "DREES field (liberal and centre-de-santé GPs) where the sources tell modes apart",
        GpField::All => "all GPs",
    };
    format!(
        "DREES APL: E2SFCA between town halls, catchment {} min, decay {:?}, {}; GPs counted: {field}",
        params.max_minutes,
        params.decay,
        apl::describe_default_activity(params.default_activity)
    )
}

/// APL of every commune now and after the departures of `retirement`, with the same `params`
/// and the atlas's travel times (see the module documentation).
pub fn project(atlas: &Atlas, retirement: &RetirementParams, params: &AplParams) -> Result<Projection, ProjectionError> {
    retirement.validate()?;
    let supply = projected_supply(atlas, retirement, params)?;
    // The default APL's population (raw: the atlas has no age pyramid).
    let (population, _) = apl::atlas_demand_supply(atlas, params, &AplInputs::default())?;
    let communes = atlas.communes();
    let points: Vec<Point<f64>> = communes.iter().map(|c| c.repr_point).collect();
    // One cost table for both: the supply locations of today (in N years a location keeps its
    // column, with a smaller supply, possibly 0: a ratio of 0 adds nothing).
    let locations: Vec<usize> = (0..communes.len()).filter(|&i| supply.now[i] > 0.0).collect();
    let costs = travel::cost_table(atlas.travel_times(), &points, &locations, params.max_minutes);
    let catchment = Catchment { max_cost: Some(params.max_minutes), decay: params.decay.clone() };
    let at = |s: &[f64]| locations.iter().map(|&c| s[c]).collect::<Vec<f64>>();
    let run = |s: &[f64]| -> Result<Vec<Option<f64>>, AccessError> {
        Ok(apl::per_resident(access::two_step_fca(&population, &at(s), &costs, &catchment)?, &population, 1.0).0)
    };
    let now = run(&supply.now)?;
    let then = run(&supply.projected)?;
    let rows = communes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (apl_now, apl_projected) = (now[i], then[i]);
            let in_reach_estimated = costs
                .row(i)
                .any(|(j, t)| catchment.admits(t) && catchment.decay.weight(t) > 0.0 && supply.estimated[locations[j]]);
            CommuneProjection {
                index: i,
                code: c.code.clone(),
                name: c.name.clone(),
                dep: c.dep.clone(),
                population: c.population,
                zoning: c.zoning.as_ref().map(|z| z.as_str().to_string()),
                gp_now: supply.gp_now[i],
                gp_near_retirement: c.gp.as_ref().and_then(|g| g.gp_near_retirement),
                near_retirement_estimated: c.gp.as_ref().is_some_and(|g| g.gp_near_retirement.is_some() && g.gp_near_retirement_estimated),
                gp_projected: supply.gp_projected[i],
                apl_now,
                apl_projected,
                apl_delta: apl_now.zip(apl_projected).map(|(a, b)| b - a),
                apl_projected_estimated: in_reach_estimated,
                crosses_zip_criterion: apl_now.is_some_and(|a| a >= APL_THRESHOLD) && apl_projected.is_some_and(|a| a < APL_THRESHOLD),
            }
        })
        .collect();
    let travel = atlas.travel_times();
    let assumptions = Assumptions {
        years: retirement.years,
        horizon: retirement.departure_horizon_years,
        replacement: retirement.replacement_rate,
        departed_fraction: retirement.departed_fraction(),
        retirement_model: retirement::MODEL,
        supply_rule: SUPPLY_RULE,
        ignores: IGNORES,
        apl: describe_apl(params),
        supply: supply.description,
        travel_times: travel.kind(),
        travel: travel.describe(),
        threshold: APL_THRESHOLD,
        zip_criterion: ZIP_CRITERION,
        near_retirement: supply.basis,
        synthetic_gp: atlas.meta.synthetic_gp,
    };
    Ok(Projection { assumptions, communes: rows, weight: population })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn atlas() -> &'static Atlas {
        static A: OnceLock<Atlas> = OnceLock::new();
        A.get_or_init(|| Atlas::load_default().unwrap())
    }

    fn params(years: f64, horizon: f64, replacement: f64) -> RetirementParams {
        RetirementParams::new(years, horizon, replacement).unwrap()
    }

    #[test]
    fn specs_parse_check_and_have_one_key() {
        let s = ProjectionSpec::parse(" 5 , 10,0.3").unwrap();
        assert_eq!(s, ProjectionSpec { years: 5.0, horizon: 10.0, replacement: 0.3 });
        assert_eq!(ProjectionSpec::parse("7").unwrap(), ProjectionSpec { years: 7.0, horizon: 10.0, replacement: 0.0 });
        for bad in ["", "5,,0.3", "a,10", "1,2,3,4"] {
            assert!(matches!(ProjectionSpec::parse(bad), Err(ProjectionError::Malformed(_))), "{bad}");
        }
        let key = |t: &str| ProjectionSpec::key(&ProjectionSpec::parse(t).unwrap().params().unwrap());
        assert_eq!(key("5.0,10,0.30"), key("5,10.0,0.3"));
        assert_ne!(key("5,10,0.3"), key("5,10,0.4"));
        let check = |y, h, r| ProjectionSpec { years: y, horizon: h, replacement: r }.params().map_err(|e| e.parameter());
        assert!(check(30.0, 10.0, 0.0).is_ok());
        assert_eq!(check(30.5, 10.0, 0.0), Err(Some("years")));
        assert_eq!(check(-1.0, 10.0, 0.0), Err(Some("years")));
        assert_eq!(check(5.0, 0.0, 0.0), Err(Some("horizon")));
        assert_eq!(check(5.0, 10.0, 1.01), Err(Some("replacement")));
        let json: ProjectionSpec = serde_json::from_str(r#"{"years": 3}"#).unwrap();
        assert_eq!(json, ProjectionSpec { years: 3.0, horizon: 10.0, replacement: 0.0 });
    }

    #[test]
    fn supply_loses_the_leavers_share_of_each_commune() {
        let atlas = atlas();
        let p = params(5.0, 10.0, 0.3);
        let s = projected_supply(atlas, &p, &AplParams::default()).unwrap();
        let montlucon = atlas.commune_index("03185").unwrap();
        let g = atlas.communes()[montlucon].gp.clone().unwrap();
        let near = g.gp_near_retirement.unwrap();
        // Half the near-retirement GPs leave in 5 of 10 years, 70 % of them unreplaced.
        let left = f64::from(g.gp) - near * 0.5 * 0.7;
        assert!((s.gp_projected[montlucon].unwrap() - left).abs() < 1e-9);
        // The embedded default counts every GP at 5,400.
        assert!((s.projected[montlucon] - left * 5_400.0).abs() < 1e-6, "{} vs {}", s.projected[montlucon], left * 5_400.0);
        assert!(s.basis.estimated && s.basis.communes_counted == 0 && s.basis.method == Some(NEAR_RETIREMENT_ESTIMATE_METHOD));
        assert!(s.basis.communes_estimated > 0);
    }

    #[test]
    fn years_zero_or_full_replacement_change_nothing_and_the_baseline_in_n_years_is_the_projection() {
        let atlas = atlas();
        let today = apl::default_access(atlas).unwrap();
        for p in [params(0.0, 10.0, 0.0), params(10.0, 10.0, 1.0)] {
            let proj = project(atlas, &p, &AplParams::default()).unwrap();
            assert_eq!(proj.apl_projected(), today.apl, "{p:?}");
            assert_eq!(proj.apl_now(), today.apl);
            assert_eq!(proj.crossing().count(), 0);
        }
        let p = params(5.0, 10.0, 0.3);
        let proj = project(atlas, &p, &AplParams::default()).unwrap();
        let b = projected_baseline(atlas, &p, &AplParams::default()).unwrap();
        for (i, (x, y)) in b.apl().iter().zip(proj.apl_projected()).enumerate() {
            match (x, y) {
                (Some(x), Some(y)) => assert!((x - y).abs() <= 1e-12 * y.abs().max(1.0), "{i}: {x} vs {y}"),
                (None, None) => {}
                _ => panic!("{i}: {x:?} vs {y:?}"),
            }
        }
        // Departures never raise an APL, and residents under 2.5 only grow.
        assert!(proj.communes.iter().all(|c| c.apl_delta.is_none_or(|d| d <= 1e-12)));
        let s = proj.summary(None);
        assert!(s.residents_under_projected >= s.residents_under_now);
        assert!((s.residents_under_projected - s.residents_under_now - s.residents_crossing).abs() < 1e-6);
        assert!(s.gp_projected < s.gp_now);
    }
}
