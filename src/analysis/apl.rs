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
//!   default — the sheet's own imputed value, not a measured mean (see
//!   [`DEFAULT_ACTIVITY_SOURCE`] for why this figure and what it is). Individual GPs with
//!   their activity, given to the atlas at load (`LoadConfig::gps`) or to one computation
//!   ([`AplInputs::gps`]), replace the head counts.
//! - **Field** ([`GpField`]): DREES counts liberal GPs (a few with a particular practice
//!   included) and GPs salaried in a centre de santé, not hospital or other salaried GPs. When
//!   the atlas knows the GPs' modes of practice (the RPPS reader gives them), the supply
//!   counts that field by default; when a source gives totals only (SanteScope, a generic
//!   CSV, the synthetic model) all its GPs count. Every result says which ([`CommuneAccess::supply`]).
//! - **Standardised population**: each age band weighted by its consumption of GP care over the
//!   national mean ([`AgeWeights`]); without an age pyramid the population itself. Pyramids
//!   come in through [`AplInputs`]; a commune without one keeps its raw population.
//! - **Under-65 variant**: the same with only the GPs aged under 65 ("de moins de 65 ans"). It
//!   needs individual GPs with their age ([`AplInputs::gps`]), which also bring the activity
//!   caps; without them the atlas's head counts are used, each at the default activity.
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
use crate::ingest::age_pyramid::AgePyramid;
use crate::ingest::gp_activity::GpRow;
pub use crate::model::practice::{AGE_BANDS, Practice};
use geo::Point;

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

/// The activity the sheet imputes to a liberal GP with no activity the year before.
pub const NEW_LIBERAL_ACTIVITY: f64 = 5_400.0;

/// What the default activity per GP ([`NEW_LIBERAL_ACTIVITY`], 5,400) is, and why it is the
/// default, as the APL outputs say it.
///
/// DREES publishes no mean activity per GP with the APL: its method sheet (`Paramètres`,
/// vintages 2022 and 2023, ../shared/formats/drees_apl_method_parameters.md) gives the caps
/// (0 under 250, 3,600 up to 3,600, as is up to 6,000, 6,000 above) and one imputed figure,
/// 5,400 consultations and visits for a liberal GP with no liberal activity the year before.
/// That imputed figure is the only per-GP offer DREES states, so it is the default, and it is
/// an assumption, not a measurement. A cross-check from published data: over the former
/// Auvergne region, Σ APL × standardised population of the DREES 2023 sheet (the activity
/// its communes reach, ≈ 5.19 M consultations; 5.14 M in 2022) over Cnam's 1,169 liberal GPs
/// of 2024 (03, 15, 43, 63) gives ≈ 4,440 per GP (4,400 in 2022), about 18 % below 5,400 —
/// with border flows, centre-de-santé GPs and a year's gap unaccounted for. Since APL is
/// proportional to the activity when every GP counts the same, a per-GP activity file
/// (`--gps`) is the way to real figures.
pub const DEFAULT_ACTIVITY_SOURCE: &str = "the offer the DREES APL method sheet (Paramètres, 2022-2023) imputes to a liberal GP \
with no activity the year before; DREES publishes no mean activity per GP, so this is an assumption, not a measured mean";

/// The default activity and what it is, as the APL outputs say it.
pub fn describe_default_activity(default_activity: f64) -> String {
    if default_activity == NEW_LIBERAL_ACTIVITY {
        format!("{default_activity} consultations/year per GP ({DEFAULT_ACTIVITY_SOURCE})")
    } else {
        format!("{default_activity} consultations/year per GP (set by the user; the DREES-sourced default is {NEW_LIBERAL_ACTIVITY})")
    }
}

/// Which GPs make the APL's supply when the atlas knows their mode of practice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GpField {
    /// The DREES field: liberal GPs and GPs salaried in a centre de santé (RPPS mode `L`, and
    /// `S` at a `SA05` site). A commune whose source gives totals only counts all its GPs.
    #[default]
    Drees,
    /// Every GP, hospital, other salaried, volunteer and modeless GPs included.
    All,
}

impl GpField {
    /// Parses `drees` or `all` (the CLI's `--gp-field`).
    pub fn parse(s: &str) -> Option<GpField> {
        match s.trim().to_ascii_lowercase().as_str() {
            "drees" => Some(GpField::Drees),
            "all" => Some(GpField::All),
            _ => None,
        }
    }

    /// The name [`GpField::parse`] reads.
    pub fn name(self) -> &'static str {
        match self {
            GpField::Drees => "drees",
            GpField::All => "all",
        }
    }
}

/// The GP head counts the APL's supply counts, per atlas commune (atlas order), and a
/// sentence saying which GPs they are (see [`GpField`]).
pub fn counted_heads(atlas: &Atlas, field: GpField) -> (Vec<u32>, String) {
    let (mut total, mut counted, mut split, mut totals_only) = (0u64, 0u64, 0usize, 0usize);
    let heads: Vec<u32> = atlas
        .communes()
        .iter()
        .map(|c| {
            let Some(g) = &c.gp else { return 0 };
            total += u64::from(g.gp);
            let n = match (field, &g.gp_by_mode) {
                (GpField::Drees, Some(m)) => {
                    split += 1;
                    m.drees_field()
                }
                (GpField::Drees, None) => {
                    if g.gp > 0 {
                        totals_only += 1;
                    }
                    g.gp
                }
                (GpField::All, _) => g.gp,
            };
            counted += u64::from(n);
            n
        })
        .collect();
    let description = match field {
        GpField::All => format!("all {total} GPs, whatever their mode of practice (GP field: all)"),
        GpField::Drees if split == 0 => {
            format!("all {total} GPs: the sources give totals only, so the DREES field (liberal and health-centre GPs) cannot be told apart")
        }
        GpField::Drees => {
            let mut d = format!(
                "{counted} GPs in the DREES field: liberal and health-centre salaried (RPPS modes L, and S in centres de santé); \
{} hospital, other salaried, volunteer or modeless GPs left out",
                total - counted
            );
            if totals_only > 0 {
                d.push_str(&format!("; {totals_only} communes known by totals only count all their GPs"));
            }
            d
        }
    };
    (heads, description)
}

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
    /// Counted activity of a GP whose activity is unknown ([`NEW_LIBERAL_ACTIVITY`] by
    /// default: see [`DEFAULT_ACTIVITY_SOURCE`]).
    pub default_activity: f64,
    /// Which GPs count when the atlas knows their mode of practice (default: the DREES field).
    pub gp_field: GpField,
}

impl Default for AplParams {
    fn default() -> Self {
        AplParams {
            max_minutes: 20.0,
            decay: Decay::Steps(vec![(10.0, 1.0), (15.0, 2.0 / 3.0), (20.0, 1.0 / 3.0)]),
            default_activity: NEW_LIBERAL_ACTIVITY,
            gp_field: GpField::Drees,
        }
    }
}

impl AplParams {
    fn catchment(&self) -> Catchment {
        Catchment { max_cost: Some(self.max_minutes), decay: self.decay.clone() }
    }
}

/// Access values as communes report them, times `scale`: a commune with residents but no
/// supply in reach gets 0 (2SFCA leaves it undefined), one without residents gets nothing,
/// with the reason "no population" at the same index.
pub(crate) fn per_resident(values: Vec<Option<f64>>, population: &[f64], scale: f64) -> (Vec<Option<f64>>, Vec<Option<&'static str>>) {
    values
        .into_iter()
        .zip(population)
        .map(|(v, &p)| if p > 0.0 { (Some(v.unwrap_or(0.0) * scale), None) } else { (None, Some("no population")) })
        .unzip()
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
    let costs = super::travel::cost_table(travel, points, &supply_communes, params.max_minutes);
    let site_supply: Vec<f64> = supply_communes.iter().map(|&c| supply[c]).collect();
    let values = access::two_step_fca(standardised_population, &site_supply, &costs, &params.catchment())?;
    let (apl, missing) = per_resident(values, standardised_population, 1.0);
    Ok(AplResult {
        access: CommuneAccess {
            apl,
            missing,
            weight: standardised_population.to_vec(),
            travel: travel.describe(),
            supply: "supply given by the caller".into(),
        },
        supply_communes: supply_communes.len(),
        pairs: costs.len(),
    })
}

/// APL of an atlas's communes from its GP head counts, residents and GPs at each commune's
/// representative point (the town hall), population not standardised (the atlas has no age
/// pyramid). A commune without GP counts has no supply. [`for_atlas_with`] with empty inputs.
pub fn for_atlas(atlas: &Atlas, travel: &TravelTimes, params: &AplParams) -> Result<AplResult, AccessError> {
    for_atlas_with(atlas, travel, params, &AplInputs::default())
}

/// What [`for_atlas_with`] can use beyond the atlas's populations and GP head counts.
/// The default is empty: raw populations, head counts, all GPs.
#[derive(Debug, Clone, PartialEq)]
pub struct AplInputs {
    /// Age pyramids by atlas commune position: inhabitants per band of [`AGE_BANDS`]. A
    /// commune listed gets the standardised population `age_weights.standardise(pyramid)`;
    /// one not listed keeps its raw population. A position listed twice adds up (parts of
    /// one city).
    pub pyramids: Vec<(usize, [f64; 19])>,
    /// The weights standardising the pyramids (default: vintage 2023).
    pub age_weights: AgeWeights,
    /// Individual GPs. When given they are the whole supply, replacing the atlas's head
    /// counts and its own individual GPs; each counts [`counted_activity`]. `None`: the
    /// atlas's individual GPs when it was loaded with some, else its head counts.
    pub gps: Option<Vec<Gp>>,
    /// Which GPs count; [`GpScope::Under65`] needs `gps` (head counts have no age).
    pub scope: GpScope,
}

impl Default for AplInputs {
    fn default() -> Self {
        AplInputs { pyramids: Vec::new(), age_weights: AgeWeights::DREES_2023, gps: None, scope: GpScope::All }
    }
}

impl AplInputs {
    /// Number of distinct communes with a standardised population.
    pub fn standardised_communes(&self) -> usize {
        let mut positions: Vec<usize> = self.pyramids.iter().map(|&(i, _)| i).collect();
        positions.sort_unstable();
        positions.dedup();
        positions.len()
    }

    /// Number of GPs the scope leaves out because their age is unknown (as
    /// [`supply_from_gps`] counts them).
    pub fn left_out_for_unknown_age(&self) -> usize {
        match (&self.gps, self.scope) {
            (Some(gps), GpScope::Under65) => gps.iter().filter(|g| g.age.is_none()).count(),
            _ => 0,
        }
    }
}

/// The (standardised) population and the supply of every atlas commune, in atlas order, as
/// [`for_atlas_with`] uses them. Refuses inputs that name a commune position the atlas does
/// not have, an activity that is negative or not finite, and the under-65 scope without
/// individual GPs.
pub fn atlas_demand_supply(atlas: &Atlas, params: &AplParams, inputs: &AplInputs) -> Result<(Vec<f64>, Vec<f64>), AccessError> {
    let communes = atlas.communes();
    let n = communes.len();
    let mut population: Vec<f64> = communes.iter().map(|c| f64::from(c.population)).collect();
    // Standardised populations first summed apart, so that two parts of one city add up
    // instead of the second replacing the raw population plus the first.
    let mut standardised: Vec<Option<f64>> = vec![None; n];
    for (i, pyramid) in &inputs.pyramids {
        let Some(slot) = standardised.get_mut(*i) else {
            let detail = format!("position {i} in an atlas of {n} communes");
            return Err(AccessError::Invalid { what: "age pyramid", detail });
        };
        *slot = Some(slot.unwrap_or(0.0) + inputs.age_weights.standardise(pyramid));
    }
    for (p, s) in population.iter_mut().zip(standardised) {
        if let Some(s) = s {
            *p = s;
        }
    }
    let from_atlas;
    let gps = match &inputs.gps {
        Some(gps) => Some(gps),
        None => {
            from_atlas = atlas_gps(atlas);
            from_atlas.as_ref()
        }
    };
    let supply = match gps {
        None if inputs.scope == GpScope::Under65 => {
            let detail = "the under-65 variant needs individual GPs with their age".to_string();
            return Err(AccessError::Invalid { what: "GP scope", detail });
        }
        None => supply_from_counts(&counted_heads(atlas, params.gp_field).0, params.default_activity),
        Some(gps) => {
            for gp in gps {
                if gp.commune >= n {
                    let detail = format!("position {} in an atlas of {n} communes", gp.commune);
                    return Err(AccessError::Invalid { what: "GP commune", detail });
                }
                // counted_activity would turn NaN into a cap silently: refuse it here.
                if let Some(v) = gp.consultations.filter(|v| !(v.is_finite() && *v >= 0.0)) {
                    return Err(AccessError::Negative { what: "GP activity", value: v });
                }
            }
            supply_from_gps(gps, n, inputs.scope, params.default_activity).0
        }
    };
    Ok((population, supply))
}

/// APL of an atlas's communes like [`for_atlas`], with age pyramids standardising the
/// population and individual GPs (activity caps, under-65 scope) where `inputs` gives them.
/// The result's `access.weight` is the population used: standardised where a pyramid was
/// given, raw elsewhere.
pub fn for_atlas_with(
    atlas: &Atlas,
    travel: &TravelTimes,
    params: &AplParams,
    inputs: &AplInputs,
) -> Result<AplResult, AccessError> {
    let points: Vec<Point<f64>> = atlas.communes().iter().map(|c| c.repr_point).collect();
    let (population, supply) = atlas_demand_supply(atlas, params, inputs)?;
    let mut result = apl(&points, &population, &supply, travel, params)?;
    result.access.supply = supply_description(atlas, params, inputs);
    Ok(result)
}

/// The individual GPs the atlas was loaded with (`LoadConfig::gps`), in atlas positions.
fn atlas_gps(atlas: &Atlas) -> Option<Vec<Gp>> {
    // Read with the atlas's own registry, so every row has a position.
    atlas.gp_records().map(|r| gps_by_position(&r.rows, |c| atlas.commune_index(c)).0)
}

/// What the supply of [`for_atlas_with`] is, for its outputs: which GPs, and the activity
/// each counts (with the default activity's source).
pub fn supply_description(atlas: &Atlas, params: &AplParams, inputs: &AplInputs) -> String {
    let activity = describe_default_activity(params.default_activity);
    let individual = |n: usize, from: &str| {
        format!("{n} individual GPs {from}, each at its counted activity (DREES caps); unknown activity at {activity}")
    };
    match (&inputs.gps, atlas.gp_records()) {
        (Some(gps), _) => individual(gps.len(), "given to this computation"),
        (None, Some(r)) => individual(r.rows.len(), &format!("from {}", r.source)),
        (None, None) => format!("{}, each at {activity}", counted_heads(atlas, params.gp_field).1),
    }
}

/// The supply of every atlas commune (counted activity, atlas order) with the default
/// inputs, as the default APL and the scenario baseline count it, and its description.
pub fn atlas_supply(atlas: &Atlas, params: &AplParams) -> Result<(Vec<f64>, String), AccessError> {
    let inputs = AplInputs::default();
    let (_, supply) = atlas_demand_supply(atlas, params, &inputs)?;
    Ok((supply, supply_description(atlas, params, &inputs)))
}

/// APL of the atlas with the default travel model and parameters, as the server and the tiles
/// show it; `None` only if the atlas holds values the computation refuses (NaN populations).
pub fn default_access(atlas: &Atlas) -> Option<CommuneAccess> {
    for_atlas(atlas, atlas.travel_times(), &AplParams::default()).ok().map(|r| r.access)
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

/// The GPs in atlas positions, for [`AplInputs`]; `position`
/// maps a commune code to its position. Also returns the rows whose commune has none
/// (impossible after [`GpActivityReader`](crate::ingest::gp_activity::GpActivityReader) with the atlas's own registry, but not silently
/// dropped if it happens).
pub fn gps_by_position(rows: &[GpRow], position: impl Fn(&str) -> Option<usize>) -> (Vec<Gp>, Vec<&GpRow>) {
    let mut gps = Vec::with_capacity(rows.len());
    let mut outside = Vec::new();
    for r in rows {
        match position(&r.commune) {
            Some(commune) => gps.push(Gp { commune, consultations: r.activity, practice: r.practice, age: r.age }),
            None => outside.push(r),
        }
    }
    (gps, outside)
}

/// The pyramids in atlas positions, for [`AplInputs`];
/// `position` maps a commune code to its position. Also returns the codes that have none
/// (impossible after [`AgePyramidReader`](crate::ingest::age_pyramid::AgePyramidReader) with the atlas's own registry, but not silently
/// dropped if it happens).
pub fn pyramids_by_position(records: &[AgePyramid], position: impl Fn(&str) -> Option<usize>) -> (Vec<(usize, [f64; 19])>, Vec<String>) {
    let mut placed = Vec::with_capacity(records.len());
    let mut outside = Vec::new();
    for r in records {
        match position(&r.commune) {
            Some(i) => placed.push((i, r.bands)),
            None => outside.push(r.commune.clone()),
        }
    }
    (placed, outside)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::travel::TimeMatrix;

    /// Residents of commune 0, one GP in commune 1 at `minutes` (a matrix gives the time).
    fn one_gp_at(minutes: f64) -> Option<f64> {
        let matrix = TimeMatrix::new(2, vec![(0, 1, minutes)], "test");
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
            let matrix = TimeMatrix::new(2, vec![(0, 1, t)], "test");
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

    fn atlas() -> Atlas {
        Atlas::load_default().unwrap()
    }

    /// 10, 20, … 190 inhabitants in the bands 0-4 … 90+.
    fn rising_pyramid() -> [f64; 19] {
        std::array::from_fn(|b| 10.0 * (b as f64 + 1.0))
    }

    /// Σ_i P_i · A_i: equal to the total supply when every supply commune has residents in
    /// its catchment (the ratios share each supply out exactly).
    fn served(r: &AplResult) -> f64 {
        r.access.apl.iter().zip(&r.access.weight).map(|(a, w)| a.unwrap_or(0.0) * w).sum()
    }

    #[test]
    fn a_pyramid_standardises_its_commune_and_the_others_keep_their_raw_population() {
        let atlas = atlas();
        let travel = TravelTimes::default();
        let i = atlas.commune_index("03185").unwrap();
        let inputs = AplInputs { pyramids: vec![(i, rising_pyramid())], ..AplInputs::default() };
        let r = for_atlas_with(&atlas, &travel, &AplParams::default(), &inputs).unwrap();
        // By hand, 10·(b+1)·w_b with the 2023 weights: 11.2 + 11.6 + 15.3 + 24 + 37.5 + 47.4
        // + 57.4 + 68 + 80.1 + 93 + 113.3 + 138 + 153.4 + 172.2 + 219 + 251.2 + 277.1 + 340.2
        // + 429.4 = 2,539.3.
        assert!((r.access.weight[i] - 2_539.3).abs() < 1e-9, "{}", r.access.weight[i]);
        assert_eq!(inputs.standardised_communes(), 1);
        // With the 2022 weights: 9.3 + 11.8 + 16.5 + 23.6 + 36.5 + 46.8 + 58.8 + 70.4 + 81 + 97
        // + 116.6 + 136.8 + 150.8 + 166.6 + 228 + 244.8 + 292.4 + 358.2 + 454.1 = 2,600.
        let r22 = for_atlas_with(&atlas, &travel, &AplParams::default(), &AplInputs { age_weights: AgeWeights::DREES_2022, ..inputs.clone() })
            .unwrap();
        assert!((r22.access.weight[i] - 2_600.0).abs() < 1e-9, "{}", r22.access.weight[i]);
        // Every other commune keeps its raw population.
        let raw = for_atlas(&atlas, &travel, &AplParams::default()).unwrap();
        for (k, c) in atlas.communes().iter().enumerate().filter(|&(k, _)| k != i) {
            assert_eq!(r.access.weight[k], f64::from(c.population), "{}", c.code);
            assert_eq!(raw.access.weight[k], r.access.weight[k]);
        }
        // 2,539 standardised inhabitants instead of 35,653: Montluçon's GPs serve fewer people.
        assert!(r.access.apl[i].unwrap() > raw.access.apl[i].unwrap());
        // Two parts of one city add up.
        let twice = AplInputs { pyramids: vec![(i, rising_pyramid()), (i, rising_pyramid())], ..AplInputs::default() };
        let r2 = for_atlas_with(&atlas, &travel, &AplParams::default(), &twice).unwrap();
        assert!((r2.access.weight[i] - 2.0 * 2_539.3).abs() < 1e-9);
        assert_eq!(twice.standardised_communes(), 1);
    }

    #[test]
    fn empty_inputs_are_the_head_count_computation() {
        let atlas = atlas();
        let travel = TravelTimes::default();
        let params = AplParams { default_activity: 4_321.0, ..AplParams::default() };
        let r = for_atlas_with(&atlas, &travel, &params, &AplInputs::default()).unwrap();
        let points: Vec<Point<f64>> = atlas.communes().iter().map(|c| c.repr_point).collect();
        let population: Vec<f64> = atlas.communes().iter().map(|c| f64::from(c.population)).collect();
        let counts: Vec<u32> = atlas.communes().iter().map(|c| c.gp.as_ref().map_or(0, |g| g.gp)).collect();
        let direct = apl(&points, &population, &supply_from_counts(&counts, 4_321.0), &travel, &params).unwrap();
        assert_eq!(r.access.apl, direct.access.apl);
        let gps: f64 = counts.iter().map(|&n| f64::from(n)).sum();
        assert!((served(&r) - gps * 4_321.0).abs() < 1e-6 * gps * 4_321.0);
    }

    #[test]
    fn individual_gps_replace_head_counts_with_their_capped_activity() {
        let atlas = atlas();
        let k = atlas.commune_index("03185").unwrap();
        let run = |consultations: f64, practice: Practice| {
            let gps = vec![Gp { commune: k, consultations: Some(consultations), practice, age: Some(50) }];
            let inputs = AplInputs { gps: Some(gps), ..AplInputs::default() };
            for_atlas_with(&atlas, &TravelTimes::default(), &AplParams::default(), &inputs).unwrap()
        };
        // 200 consultations count 0: no supply anywhere, every APL 0 (the atlas's 30 GPs of
        // Montluçon and all the others are replaced by this list).
        let low = run(200.0, Practice::Liberal);
        assert_eq!(low.supply_communes, 0);
        assert!(low.access.apl.iter().all(|a| a.is_none_or(|v| v == 0.0)));
        // 9,000 count 6,000, shared out among the communes within reach.
        let high = run(9_000.0, Practice::Liberal);
        assert_eq!(high.supply_communes, 1);
        assert!((served(&high) - 6_000.0).abs() < 1e-6, "{}", served(&high));
        // In a health centre they count in full.
        assert!((served(&run(9_000.0, Practice::HealthCentre)) - 9_000.0).abs() < 1e-6);
        // APL of Montluçon is 6,000 over its catchment demand, so the ratio is 9,000 / 6,000.
        let ratio = run(9_000.0, Practice::HealthCentre).access.apl[k].unwrap() / high.access.apl[k].unwrap();
        assert!((ratio - 1.5).abs() < 1e-12);
    }

    #[test]
    fn under_65_leaves_out_a_66_year_old_and_lowers_his_communes_apl() {
        let atlas = atlas();
        let k = atlas.commune_index("03185").unwrap();
        let gp = |consultations: f64, age: Option<u32>| Gp { commune: k, consultations: Some(consultations), practice: Practice::Liberal, age };
        // 4,000 + 5,000 + (3,000 counted as 3,600) = 12,600 in all.
        let all = AplInputs { gps: Some(vec![gp(4_000.0, Some(40)), gp(5_000.0, Some(66)), gp(3_000.0, None)]), ..AplInputs::default() };
        let young = AplInputs { scope: GpScope::Under65, ..all.clone() };
        let travel = TravelTimes::default();
        let r_all = for_atlas_with(&atlas, &travel, &AplParams::default(), &all).unwrap();
        let r_young = for_atlas_with(&atlas, &travel, &AplParams::default(), &young).unwrap();
        assert!((served(&r_all) - 12_600.0).abs() < 1e-6);
        assert!((served(&r_young) - 4_000.0).abs() < 1e-6, "the 66-year-old and the GP of unknown age are out");
        let (a_all, a_young) = (r_all.access.apl[k].unwrap(), r_young.access.apl[k].unwrap());
        assert!(a_young < a_all);
        // One supply commune: every APL is proportional to its supply.
        assert!((a_young / a_all - 4_000.0 / 12_600.0).abs() < 1e-12);
        assert_eq!(young.left_out_for_unknown_age(), 1);
        assert_eq!(all.left_out_for_unknown_age(), 0);
    }

    #[test]
    fn inputs_the_atlas_cannot_hold_are_refused() {
        let atlas = atlas();
        let n = atlas.communes().len();
        let run = |inputs: AplInputs| for_atlas_with(&atlas, &TravelTimes::default(), &AplParams::default(), &inputs);
        let under_65_without_gps = AplInputs { scope: GpScope::Under65, ..AplInputs::default() };
        assert!(matches!(run(under_65_without_gps), Err(AccessError::Invalid { what: "GP scope", .. })));
        let pyramid_outside = AplInputs { pyramids: vec![(n, [1.0; 19])], ..AplInputs::default() };
        assert!(matches!(run(pyramid_outside), Err(AccessError::Invalid { what: "age pyramid", .. })));
        let gp = |commune, consultations| Gp { commune, consultations, practice: Practice::Liberal, age: None };
        let gp_outside = AplInputs { gps: Some(vec![gp(n, None)]), ..AplInputs::default() };
        assert!(matches!(run(gp_outside), Err(AccessError::Invalid { what: "GP commune", .. })));
        let nan = AplInputs { gps: Some(vec![gp(0, Some(f64::NAN))]), ..AplInputs::default() };
        assert!(matches!(run(nan), Err(AccessError::Negative { .. })));
        let negative_pyramid = AplInputs { pyramids: vec![(0, [-1.0; 19])], ..AplInputs::default() };
        assert!(run(negative_pyramid).is_err());
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

    #[test]
    fn gps_by_position_places_rows_and_keeps_the_others_apart() {
        let row = |c: &str| GpRow { commune: c.into(), id: None, activity: Some(4_000.0), practice: Practice::Liberal, age: Some(40), line: 2 };
        let rows = [row("03185"), row("63113")];
        let (gps, outside) = gps_by_position(&rows, |c| (c == "03185").then_some(3));
        assert_eq!(gps, vec![Gp { commune: 3, consultations: Some(4_000.0), practice: Practice::Liberal, age: Some(40) }]);
        assert_eq!(outside.len(), 1);
        assert_eq!(outside[0].commune, "63113");
    }

    #[test]
    fn pyramids_by_position_keeps_codes_without_a_position_apart() {
        let p = |c: &str| AgePyramid { commune: c.into(), line: 2, bands: [1.0; 19] };
        let (placed, outside) = pyramids_by_position(&[p("03185"), p("63113")], |c| (c == "03185").then_some(7));
        assert_eq!(placed, vec![(7, [1.0; 19])]);
        assert_eq!(outside, vec!["63113".to_string()]);
    }
}
