//! APL (accessibilité potentielle localisée) to general practitioners, with the parameters of
//! the DREES method sheet (../shared/formats/drees_apl_method_parameters.md, vintages 2022
//! and 2023). APL is an E2SFCA between communes:
//!
//! ```text
//! supply of commune j      S_j = Σ counted activity of its GPs (consultations + visits / year)
//! catchment demand of j    D_j = Σ_i w(t_ij) · P_i          P_i: standardised population of i
//! APL of commune i         A_i = Σ_j w(t_ij) · S_j / D_j    consultations / year / standardised inhabitant
//! ```
//!
//! - **Decay** `w`: 1 up to 10 minutes, 2/3 up to 15, 1/3 up to 20, 0 beyond. The sheet says
//!   "moins de 10 / entre 10 et 15 / entre 15 et 20 / plus de 20" without saying where a time
//!   of exactly 10 or 15 minutes falls; we take the bounds as inclusive upper bounds (10 min
//!   weighs 1), the convention of PySAL's `step_fn`, so APL is exactly PySAL's E2SFCA with
//!   these steps.
//! - **Activity** per GP ([`counted_activity`]): under 250 consultations → 0 (the sheet's
//!   "moins de 250"; we read 250 itself as 0 too, since the next band starts at 251),
//!   251–3,600 → 3,600, 3,601–6,000 as is, over 6,000 → 6,000; a liberal GP without activity
//!   the year before → 5,400; health-centre GPs uncapped. When the activity is unknown (the
//!   atlas only has head counts) each GP counts [`AplParams::default_activity`], 5,400 by
//!   default — the sheet's own imputed value, not a measured mean.
//! - **Standardised population**: each age band weighted by its consumption of GP care over the
//!   national mean ([`AgeWeights`]); without an age pyramid the population itself.
//! - **Under-65 variant**: the same with only the GPs aged under 65 ("de moins de 65 ans").
//! - A commune with no GP within 20 minutes has APL 0; a commune with no population has no
//!   APL (`None`, reason "no population").
//! - Aggregates weight communal APL by standardised population (the sheet's rule).
//!
//! What the sheet does not give (and this module therefore chooses): where GPs and residents
//! are placed (here: the commune's town hall), and the travel times (see `travel`).

use super::CommuneAccess;
use super::access::{self, AccessError, Catchment, Decay};
use super::travel::TravelTimes;
use crate::atlas::Atlas;
use geo::Point;

/// The five-year age bands of the DREES sheet, youngest first.
pub const AGE_BANDS: [&str; 19] = [
    "0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50-54", "55-59", "60-64",
    "65-69", "70-74", "75-79", "80-84", "85-89", "90+",
];

/// Consumption of GP care per age band relative to the national mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AgeWeights(pub [f64; 19]);

impl AgeWeights {
    /// Vintage 2022 (DCIR 2020, populations 2020).
    pub const DREES_2022: AgeWeights = AgeWeights([
        0.93, 0.59, 0.55, 0.59, 0.73, 0.78, 0.84, 0.88, 0.90, 0.97, 1.06, 1.14, 1.16, 1.19, 1.52, 1.53, 1.72, 1.99, 2.39,
    ]);
    /// Vintage 2023 (DCIR 2021, populations 2021).
    pub const DREES_2023: AgeWeights = AgeWeights([
        1.12, 0.58, 0.51, 0.60, 0.75, 0.79, 0.82, 0.85, 0.89, 0.93, 1.03, 1.15, 1.18, 1.23, 1.46, 1.57, 1.63, 1.89, 2.26,
    ]);

    /// The standardised population of an age pyramid (inhabitants per band).
    pub fn standardise(&self, pyramid: &[f64; 19]) -> f64 {
        pyramid.iter().zip(self.0.iter()).map(|(p, w)| p * w).sum()
    }
}

/// How a GP's activity is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Practice {
    /// Liberal GP with a known activity the year before: the caps apply.
    #[default]
    Liberal,
    /// Liberal GP with no liberal activity the year before: 5,400 imputed.
    NewLiberal,
    /// Salaried in a health centre: no caps.
    HealthCentre,
}

/// The activity the sheet imputes to a liberal GP with no activity the year before.
pub const NEW_LIBERAL_ACTIVITY: f64 = 5_400.0;

/// The activity counted in the indicator for one GP (see the module documentation).
/// `consultations` is the yearly count of consultations, visits and teleconsultations.
pub fn counted_activity(consultations: Option<f64>, practice: Practice, default_activity: f64) -> f64 {
    match (practice, consultations) {
        (Practice::NewLiberal, _) => NEW_LIBERAL_ACTIVITY,
        (_, None) => default_activity,
        (Practice::HealthCentre, Some(n)) => n.max(0.0),
        (Practice::Liberal, Some(n)) if n <= 250.0 => 0.0,
        (Practice::Liberal, Some(n)) if n <= 3_600.0 => 3_600.0,
        (Practice::Liberal, Some(n)) => n.min(6_000.0),
    }
}

/// One GP, for computing supply from individual records.
#[derive(Debug, Clone, PartialEq)]
pub struct Gp {
    /// Commune position in the atlas.
    pub commune: usize,
    pub consultations: Option<f64>,
    pub practice: Practice,
    pub age: Option<u32>,
}

/// Which GPs count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GpScope {
    #[default]
    All,
    /// Only GPs aged under 65; GPs of unknown age are left out and counted.
    Under65,
}

/// Supply per commune (consultations / year) from individual GPs; also returns how many GPs
/// were left out because the scope needs an age they do not have.
pub fn supply_from_gps(gps: &[Gp], n_communes: usize, scope: GpScope, default_activity: f64) -> (Vec<f64>, usize) {
    let mut supply = vec![0.0; n_communes];
    let mut unknown_age = 0;
    for gp in gps {
        match (scope, gp.age) {
            (GpScope::Under65, None) => {
                unknown_age += 1;
                continue;
            }
            (GpScope::Under65, Some(age)) if age >= 65 => continue,
            _ => {}
        }
        supply[gp.commune] += counted_activity(gp.consultations, gp.practice, default_activity);
    }
    (supply, unknown_age)
}

/// Supply per commune from head counts only, each GP at `default_activity`.
pub fn supply_from_counts(counts: &[u32], default_activity: f64) -> Vec<f64> {
    counts.iter().map(|&n| f64::from(n) * default_activity).collect()
}

/// The method's parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct AplParams {
    /// Pairs beyond this many minutes do not count (20 in the sheet).
    pub max_minutes: f64,
    pub decay: Decay,
    /// Counted activity of a GP whose activity is unknown.
    pub default_activity: f64,
}

impl Default for AplParams {
    fn default() -> Self {
        AplParams {
            max_minutes: 20.0,
            decay: Decay::Steps(vec![(10.0, 1.0), (15.0, 2.0 / 3.0), (20.0, 1.0 / 3.0)]),
            default_activity: NEW_LIBERAL_ACTIVITY,
        }
    }
}

impl AplParams {
    fn catchment(&self) -> Catchment {
        Catchment { max_cost: Some(self.max_minutes), decay: self.decay.clone() }
    }
}

/// APL of every commune, with what produced it.
#[derive(Debug, Clone)]
pub struct AplResult {
    pub access: CommuneAccess,
    /// Communes with supply (the supply locations).
    pub supply_communes: usize,
    /// Commune → supply pairs within the catchment.
    pub pairs: usize,
}

/// Computes APL for every commune. `points[i]` is where commune `i`'s residents and GPs are
/// placed, `standardised_population[i]` its (standardised) population, `supply[i]` the counted
/// activity of its GPs.
pub fn apl(
    points: &[Point<f64>],
    standardised_population: &[f64],
    supply: &[f64],
    travel: &TravelTimes,
    params: &AplParams,
) -> Result<AplResult, AccessError> {
    let n = points.len();
    for (what, v) in [("standardised population", standardised_population), ("supply", supply)] {
        if v.len() != n {
            return Err(AccessError::Length { what, got: v.len(), expected: n });
        }
    }
    let supply_communes: Vec<usize> = (0..n).filter(|&i| supply[i] > 0.0).collect();
    let costs = travel.cost_table(points, &supply_communes, params.max_minutes);
    let site_supply: Vec<f64> = supply_communes.iter().map(|&c| supply[c]).collect();
    let values = access::two_step_fca(standardised_population, &site_supply, &costs, &params.catchment())?;
    let (apl, missing) = values
        .into_iter()
        .zip(standardised_population)
        .map(|(v, &p)| if p > 0.0 { (Some(v.unwrap_or(0.0)), None) } else { (None, Some("no population")) })
        .unzip();
    Ok(AplResult {
        access: CommuneAccess { apl, missing, weight: standardised_population.to_vec(), travel: travel.describe() },
        supply_communes: supply_communes.len(),
        pairs: costs.len(),
    })
}

/// APL of an atlas's communes from its GP head counts, residents and GPs at each commune's
/// representative point (the town hall), population not standardised (the atlas has no age
/// pyramid). A commune without GP counts has no supply.
pub fn for_atlas(atlas: &Atlas, travel: &TravelTimes, params: &AplParams) -> Result<AplResult, AccessError> {
    let communes = atlas.communes();
    let points: Vec<Point<f64>> = communes.iter().map(|c| c.repr_point).collect();
    let population: Vec<f64> = communes.iter().map(|c| f64::from(c.population)).collect();
    let counts: Vec<u32> = communes.iter().map(|c| c.gp.as_ref().map_or(0, |g| g.gp)).collect();
    apl(&points, &population, &supply_from_counts(&counts, params.default_activity), travel, params)
}

/// APL of the atlas with the default travel model and parameters, as the server and the tiles
/// show it; `None` only if the atlas holds values the computation refuses (NaN populations).
pub fn default_access(atlas: &Atlas) -> Option<CommuneAccess> {
    for_atlas(atlas, &TravelTimes::default(), &AplParams::default()).ok().map(|r| r.access)
}

/// Mean APL weighted by standardised population, and the share of that population under
/// `threshold` (DREES and the zoning use 2.5 consultations / year for "sous-dense").
pub fn weighted_summary(access: &CommuneAccess, threshold: f64) -> Option<(f64, f64)> {
    let (mut total, mut weighted, mut under) = (0.0, 0.0, 0.0);
    for (v, &w) in access.apl.iter().zip(&access.weight) {
        if let Some(v) = v {
            total += w;
            weighted += v * w;
            if *v < threshold {
                under += w;
            }
        }
    }
    (total > 0.0).then(|| (weighted / total, under / total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::travel::TimeMatrix;

    /// Residents of commune 0, one GP in commune 1 at `minutes` (a matrix gives the time).
    fn one_gp_at(minutes: f64) -> Option<f64> {
        let matrix = TimeMatrix { pairs: vec![(0, 1, minutes)], source: "test".into() };
        let points = vec![Point::new(0.0, 0.0); 2];
        // Commune 1 has no residents, so the GP's whole catchment demand is commune 0's.
        let r = apl(&points, &[1_000.0, 0.0], &[0.0, 5_000.0], &TravelTimes::Matrix(matrix), &AplParams::default()).unwrap();
        r.access.apl[0]
    }

    #[test]
    fn one_gp_at_5_12_18_and_25_minutes() {
        // R = 5000 / (w · 1000), A = w · R = 5 consultations per inhabitant whatever w > 0:
        // with a single commune in the catchment the decay cancels out...
        assert_eq!(one_gp_at(5.0), Some(5.0));
        assert_eq!(one_gp_at(25.0), Some(0.0));
        // ...so the decay is checked with two communes sharing the GP: 1,000 residents in the
        // GP's own commune (w = 1) and 1,000 at t minutes (w).
        let shared = |t: f64| {
            let matrix = TimeMatrix { pairs: vec![(0, 1, t)], source: "test".into() };
            let points = vec![Point::new(0.0, 0.0); 2];
            let r = apl(&points, &[1_000.0, 1_000.0], &[0.0, 5_000.0], &TravelTimes::Matrix(matrix), &AplParams::default())
                .unwrap();
            (r.access.apl[0].unwrap(), r.access.apl[1].unwrap())
        };
        // D = 1000 + w·1000; A_far = w · 5000 / D; A_home = 5000 / D.
        for (t, w) in [(5.0, 1.0), (12.0, 2.0 / 3.0), (18.0, 1.0 / 3.0), (25.0, 0.0)] {
            let (far, home) = shared(t);
            let d = 1_000.0 + w * 1_000.0;
            assert!((far - w * 5_000.0 / d).abs() < 1e-12, "t = {t}: {far}");
            assert!((home - 5_000.0 / d).abs() < 1e-12, "t = {t}: {home}");
        }
        // Bounds are inclusive: 10 min weighs 1, 15 weighs 2/3, 20 weighs 1/3.
        assert!((shared(10.0).0 - 2.5).abs() < 1e-12);
        assert!((shared(15.0).0 - (2.0 / 3.0) * 5_000.0 / (1_000.0 + 2_000.0 / 3.0)).abs() < 1e-12);
        assert!((shared(20.0).0 - (1.0 / 3.0) * 5_000.0 / (1_000.0 + 1_000.0 / 3.0)).abs() < 1e-12);
    }

    #[test]
    fn activity_caps_follow_the_sheet() {
        let liberal = |n: f64| counted_activity(Some(n), Practice::Liberal, 5_400.0);
        assert_eq!(liberal(0.0), 0.0);
        assert_eq!(liberal(249.0), 0.0);
        assert_eq!(liberal(250.0), 0.0);
        assert_eq!(liberal(251.0), 3_600.0);
        assert_eq!(liberal(3_600.0), 3_600.0);
        assert_eq!(liberal(3_601.0), 3_601.0);
        assert_eq!(liberal(4_800.0), 4_800.0);
        assert_eq!(liberal(6_000.0), 6_000.0);
        assert_eq!(liberal(9_000.0), 6_000.0);
        assert_eq!(counted_activity(Some(100.0), Practice::NewLiberal, 5_400.0), 5_400.0);
        assert_eq!(counted_activity(Some(9_000.0), Practice::HealthCentre, 5_400.0), 9_000.0);
        assert_eq!(counted_activity(Some(100.0), Practice::HealthCentre, 5_400.0), 100.0);
        assert_eq!(counted_activity(None, Practice::Liberal, 4_000.0), 4_000.0);
    }

    #[test]
    fn age_weights_standardise_a_pyramid() {
        let mut pyramid = [0.0; 19];
        pyramid[0] = 100.0; // under 5
        pyramid[18] = 50.0; // 90 and over
        assert!((AgeWeights::DREES_2022.standardise(&pyramid) - (93.0 + 119.5)).abs() < 1e-9);
        assert!((AgeWeights::DREES_2023.standardise(&pyramid) - (112.0 + 113.0)).abs() < 1e-9);
        // An older commune gets less APL from the same GP than a younger one of equal size.
        let old = AgeWeights::DREES_2022.standardise(&[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1000.0, 0.0, 0.0, 0.0, 0.0]);
        let young = AgeWeights::DREES_2022.standardise(&[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1000.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        let a = |p: f64| {
            let points = vec![Point::new(0.0, 0.0)];
            apl(&points, &[p], &[5_000.0], &TravelTimes::default(), &AplParams::default()).unwrap().access.apl[0].unwrap()
        };
        assert!((a(old) - 5_000.0 / 1_520.0).abs() < 1e-12);
        assert!((a(young) - 5_000.0 / 880.0).abs() < 1e-12);
    }

    #[test]
    fn under_65_scope_leaves_out_older_and_unknown_ages() {
        let gp = |commune, age| Gp { commune, consultations: Some(4_000.0), practice: Practice::Liberal, age };
        let gps = [gp(0, Some(40)), gp(0, Some(64)), gp(0, Some(65)), gp(1, Some(70)), gp(1, None)];
        let (all, _) = supply_from_gps(&gps, 2, GpScope::All, 5_400.0);
        assert_eq!(all, vec![12_000.0, 8_000.0]);
        let (young, unknown) = supply_from_gps(&gps, 2, GpScope::Under65, 5_400.0);
        assert_eq!(young, vec![8_000.0, 0.0]);
        assert_eq!(unknown, 1);
    }

    #[test]
    fn no_population_is_none_with_a_reason_and_no_gp_nearby_is_zero() {
        let points = vec![Point::new(2.6, 46.34), Point::new(2.6, 46.35), Point::new(4.0, 46.34)];
        let r = apl(&points, &[1_000.0, 0.0, 500.0], &[5_400.0, 0.0, 0.0], &TravelTimes::default(), &AplParams::default())
            .unwrap();
        assert_eq!(r.access.apl[1], None);
        assert_eq!(r.access.missing[1], Some("no population"));
        assert_eq!(r.access.apl[2], Some(0.0), "100 km away from the only GP");
        assert!((r.access.apl[0].unwrap() - 5.4).abs() < 1e-12);
        let (mean, under) = weighted_summary(&r.access, 2.5).unwrap();
        assert!((mean - 5.4 * 1_000.0 / 1_500.0).abs() < 1e-12);
        assert!((under - 500.0 / 1_500.0).abs() < 1e-12);
    }
}
