//! The diagnostic of a perimeter: a set of communes a user chose (codes, a polygon, a whole EPCI
//! or département), with what a planner asks of it — population, GPs and near-retirement GPs,
//! density, APL (ours and DREES's), the zoning mix, the MSP inside and the nearest one outside,
//! the residents under the APL threshold and beyond the MSP time — and the same figures for its
//! département(s) and region(s) beside it.
//!
//! Every sum is over whole communes, as [`super::density`] does (its [`AreaIndicators`] are the
//! first part of each row): a ratio of sums, APL weighted by standardised population (DREES),
//! DREES's official APL weighted by the sheet's standardised population.
//!
//! MSP times come from the atlas's one travel-time source, from each commune's representative
//! point (the town hall) to the MSP's position ([`super::travel::DestinationIndex`]). The atlas
//! knows the MSP of the départements its sources list ([`MspReach::listed_in`]): elsewhere
//! "beyond 30 minutes of an MSP" means "of any MSP this atlas knows".

use super::CommuneAccess;
use super::density::{self, AreaFilter, AreaIndicators, DensityError, DensityOptions, Level};
use super::travel::{Destination, DestinationIndex};
use crate::atlas::Atlas;
use crate::index::haversine_m;
use crate::model::{Site, Zoning};
use geo::Point;
use serde::Serialize;
use std::collections::{BTreeSet, HashSet};
use thiserror::Error;

/// The APL under which residents are counted in `population_apl_under_threshold`: 2.5
/// consultations per year per inhabitant, the threshold of the ZIP criterion (DREES / ARS).
pub const APL_THRESHOLD: f64 = 2.5;
/// The time beyond which residents are counted in `population_msp_beyond_threshold`, minutes.
pub const MSP_MINUTES: f64 = 30.0;

/// How each figure the diagnostic adds to [`density::FORMULAS`] is computed.
pub const FORMULAS: [(&str, &str); 6] = [
    ("zoning", "per ARS zoning class (zip, zac, hz, other, unknown: no class in the zoning source): the number of communes and Σ their population municipale"),
    ("population_apl_under_threshold", "Σ population of the communes whose APL (medatlas, DREES method) is < thresholds.apl; null when access was not computed"),
    ("population_apl_unknown", "Σ population of the communes without an APL value"),
    ("population_apl_official_under_threshold", "Σ population of the communes whose official DREES APL is < thresholds.apl; null when none has one"),
    ("population_msp_beyond_threshold", "Σ population of the communes whose MSP reached soonest (from the town hall, atlas travel times) is more than thresholds.msp_minutes away, or that reach none"),
    ("nearest_msp_outside", "the MSP outside the perimeter reached soonest from any of its communes' town halls, with the minutes and the commune it is reached from"),
];

/// Why a perimeter could not be chosen or described.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PerimeterError {
    /// No commune of the atlas belongs to this EPCI.
    #[error("no EPCI {0} in this atlas (an EPCI is given by its SIREN, 9 digits)")]
    UnknownEpci(String),
    /// No département of that code in the atlas.
    #[error("no département {0} in this atlas")]
    UnknownDepartement(String),
    /// No commune was given.
    #[error("a perimeter needs at least one commune")]
    Empty,
    /// A commune position beyond the atlas.
    #[error("no commune at index {0} in this atlas")]
    CommuneIndex(usize),
    /// The comparison areas could not be aggregated.
    #[error(transparent)]
    Density(#[from] DensityError),
}

/// The communes of an EPCI (atlas positions, ascending), by `Commune::epci`.
pub fn communes_of_epci(atlas: &Atlas, code: &str) -> Result<Vec<usize>, PerimeterError> {
    let code = code.trim();
    let found: Vec<usize> = (0..atlas.communes().len()).filter(|&i| atlas.communes()[i].epci.as_deref() == Some(code)).collect();
    if found.is_empty() {
        return Err(PerimeterError::UnknownEpci(code.to_string()));
    }
    Ok(found)
}

/// The communes of a département (atlas positions, ascending).
pub fn communes_of_departement(atlas: &Atlas, code: &str) -> Result<Vec<usize>, PerimeterError> {
    let code = code.trim();
    let found: Vec<usize> = (0..atlas.communes().len()).filter(|&i| atlas.communes()[i].dep == code).collect();
    if found.is_empty() {
        return Err(PerimeterError::UnknownDepartement(code.to_string()));
    }
    Ok(found)
}

/// Communes and residents of one zoning class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ZoningShare {
    /// Number of communes.
    pub communes: u32,
    /// Σ their population municipale.
    pub population: u64,
}

/// The ARS zoning classes of a set of communes (general practice): how many communes and
/// residents in each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ZoningMix {
    /// Zone d'intervention prioritaire.
    pub zip: ZoningShare,
    /// Zone d'action complémentaire.
    pub zac: ZoningShare,
    /// Hors zonage.
    pub hz: ZoningShare,
    /// Another class of the source (e.g. a regional ZAR).
    pub other: ZoningShare,
    /// No class in the zoning source (or no zoning loaded).
    pub unknown: ZoningShare,
}

impl ZoningMix {
    /// The mix of the communes at these atlas positions (positions beyond the atlas are skipped).
    pub fn of(atlas: &Atlas, communes: &[usize]) -> ZoningMix {
        let mut mix = ZoningMix::default();
        for c in communes.iter().filter_map(|&i| atlas.communes().get(i)) {
            let class = match &c.zoning {
                Some(Zoning::Zip) => &mut mix.zip,
                Some(Zoning::Zac) => &mut mix.zac,
                Some(Zoning::Hz) => &mut mix.hz,
                Some(Zoning::Other(_)) => &mut mix.other,
                None => &mut mix.unknown,
            };
            class.communes += 1;
            class.population += u64::from(c.population);
        }
        mix
    }

    /// Share of the residents in a class, 0–1; `None` without residents.
    pub fn population_share(&self, class: ZoningShare) -> Option<f64> {
        let total = self.zip.population + self.zac.population + self.hz.population + self.other.population + self.unknown.population;
        (total > 0).then(|| class.population as f64 / total as f64)
    }
}

/// The MSP every commune reaches soonest, computed once per atlas (one nearest-place query per
/// commune) and read by every diagnostic.
#[derive(Debug, Clone)]
pub struct MspReach {
    places: DestinationIndex,
    /// Position in `Atlas::sites` of each place.
    site_of_place: Vec<usize>,
    /// Per commune: the place reached soonest and its minutes.
    soonest: Vec<Option<(usize, f64)>>,
    /// Départements with at least one MSP in the atlas, ascending.
    listed_in: Vec<String>,
}

impl MspReach {
    /// The MSP of the atlas (those whose commune is in it) and each commune's soonest one.
    pub fn build(atlas: &Atlas) -> MspReach {
        let mut places = Vec::new();
        let mut site_of_place = Vec::new();
        for (s, site) in atlas.sites().iter().enumerate().filter(|(_, s)| s.kind.is_msp()) {
            if let Some(commune) = atlas.commune_index(&site.commune) {
                places.push(Destination { point: site.location, commune });
                site_of_place.push(s);
            }
        }
        let listed: BTreeSet<String> = places.iter().map(|p| atlas.communes()[p.commune].dep.clone()).collect();
        let places = DestinationIndex::new(places);
        let points = points(atlas);
        let soonest = (0..points.len()).map(|i| places.soonest(atlas.travel_times(), &points, i, |_| false)).collect();
        MspReach { places, site_of_place, soonest, listed_in: listed.into_iter().collect() }
    }

    /// Minutes from commune `i`'s town hall to the MSP it reaches soonest; `None` when it
    /// reaches none (no MSP in the atlas, or none within a routed matrix's range).
    pub fn minutes(&self, i: usize) -> Option<f64> {
        self.soonest.get(i).copied().flatten().map(|(_, t)| t)
    }

    /// The départements whose MSP the atlas knows (ascending codes).
    pub fn listed_in(&self) -> &[String] {
        &self.listed_in
    }
}

fn points(atlas: &Atlas) -> Vec<Point<f64>> {
    atlas.communes().iter().map(|c| c.repr_point).collect()
}

/// The figures of one area: its [`AreaIndicators`] and what the diagnostic adds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    /// Population, GPs, near-retirement GPs and their flags, density, APL (ours and DREES's):
    /// the fields of `/api/indicators`.
    #[serde(flatten)]
    pub area: AreaIndicators,
    /// Communes and residents per zoning class.
    pub zoning: ZoningMix,
    /// Residents of the communes whose APL (ours) is under [`Thresholds::apl`]; `None` when
    /// access was not computed.
    pub population_apl_under_threshold: Option<u64>,
    /// Residents of the communes without an APL value (ours).
    pub population_apl_unknown: u64,
    /// Residents of the communes whose official DREES APL is under [`Thresholds::apl`]; `None`
    /// when no commune of the area has one.
    pub population_apl_official_under_threshold: Option<u64>,
    /// Residents of the communes whose soonest MSP is more than [`Thresholds::msp_minutes`]
    /// away, or that reach none.
    pub population_msp_beyond_threshold: u64,
}

/// The thresholds of a diagnostic.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    /// APL, consultations per year per standardised inhabitant ([`APL_THRESHOLD`]).
    pub apl: f64,
    /// Minutes to the soonest MSP ([`MSP_MINUTES`]).
    pub msp_minutes: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { apl: APL_THRESHOLD, msp_minutes: MSP_MINUTES }
    }
}

/// A commune, named.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommuneRef {
    /// INSEE code.
    pub code: String,
    /// Name.
    pub name: String,
}

/// The MSP outside a perimeter reached soonest from it.
#[derive(Debug, Clone, Serialize)]
pub struct NearestMsp<'a> {
    /// The site (id, name, commune, location, location_quality, kind, source).
    pub msp: &'a Site,
    /// Minutes from `from`'s town hall (atlas travel times).
    pub minutes: f64,
    /// Great-circle distance from `from`'s town hall, metres.
    pub distance_m: f64,
    /// The commune of the perimeter it is reached soonest from.
    pub from: CommuneRef,
}

/// The diagnostic of a perimeter.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic<'a> {
    /// The perimeter's figures.
    pub perimeter: Figures,
    /// The same figures for each département with a commune in the perimeter (whole
    /// départements, as far as the atlas holds them), by code.
    pub departements: Vec<Figures>,
    /// The same for each region with a commune in the perimeter.
    pub regions: Vec<Figures>,
    /// The MSP standing in a commune of the perimeter.
    pub msp_inside: Vec<&'a Site>,
    /// The MSP outside the perimeter reached soonest from one of its communes; `None` when the
    /// atlas knows no other MSP within reach.
    pub nearest_msp_outside: Option<NearestMsp<'a>>,
    /// The thresholds of the counts of residents.
    pub thresholds: Thresholds,
    /// The départements whose MSP the atlas knows: elsewhere, residents count as beyond reach of
    /// any MSP because none is listed.
    pub msp_listed_in: &'a [String],
}

/// The figures of an area whose [`AreaIndicators`] are computed (its `communes` filled).
pub fn figures(atlas: &Atlas, area: AreaIndicators, access: Option<&CommuneAccess>, reach: &MspReach, thresholds: Thresholds) -> Figures {
    let communes = atlas.communes();
    let mut under = 0u64;
    let mut unknown = 0u64;
    let mut official_under = 0u64;
    let mut any_official = false;
    let mut beyond = 0u64;
    for &i in &area.communes {
        let Some(c) = communes.get(i) else { continue };
        let pop = u64::from(c.population);
        match access.and_then(|a| a.apl.get(i).copied().flatten()).filter(|v| v.is_finite()) {
            Some(v) if v < thresholds.apl => under += pop,
            Some(_) => {}
            None => unknown += pop,
        }
        if let Some(v) = c.apl_official.as_ref().and_then(|o| o.apl).filter(|v| v.is_finite()) {
            any_official = true;
            if v < thresholds.apl {
                official_under += pop;
            }
        }
        if reach.minutes(i).is_none_or(|t| t > thresholds.msp_minutes) {
            beyond += pop;
        }
    }
    Figures {
        zoning: ZoningMix::of(atlas, &area.communes),
        population_apl_under_threshold: access.map(|_| under),
        population_apl_unknown: unknown,
        population_apl_official_under_threshold: any_official.then_some(official_under),
        population_msp_beyond_threshold: beyond,
        area,
    }
}

/// The diagnostic of the communes at `communes` (atlas positions; duplicates count once), named
/// `name`.
pub fn diagnose<'a>(
    atlas: &'a Atlas,
    communes: &[usize],
    name: &str,
    access: Option<&CommuneAccess>,
    opts: &DensityOptions,
    reach: &'a MspReach,
) -> Result<Diagnostic<'a>, PerimeterError> {
    let mut communes = communes.to_vec();
    communes.sort_unstable();
    communes.dedup();
    if communes.is_empty() {
        return Err(PerimeterError::Empty);
    }
    if let Some(&bad) = communes.iter().find(|&&i| i >= atlas.communes().len()) {
        return Err(PerimeterError::CommuneIndex(bad));
    }
    let thresholds = Thresholds::default();
    let area = density::basin(atlas, &communes, name, access, opts).map_err(|e| match e {
        density::BasinError::Retirement(r) => PerimeterError::Density(DensityError::Retirement(r)),
        _ => PerimeterError::Empty,
    })?;
    let perimeter = figures(atlas, area, access, reach, thresholds);
    let deps: BTreeSet<&str> = communes.iter().map(|&i| atlas.communes()[i].dep.as_str()).collect();
    let regions: BTreeSet<&str> = communes.iter().filter_map(|&i| atlas.communes()[i].region.as_deref()).collect();
    let mut dep_rows = Vec::new();
    for d in deps {
        let filter = AreaFilter { dep: Some(d.to_string()), region: None };
        for a in density::areas(atlas, Level::Departement, &filter, access, opts)? {
            dep_rows.push(figures(atlas, a, access, reach, thresholds));
        }
    }
    let mut region_rows = Vec::new();
    for r in regions {
        let filter = AreaFilter { dep: None, region: Some(r.to_string()) };
        for a in density::areas(atlas, Level::Region, &filter, access, opts)? {
            region_rows.push(figures(atlas, a, access, reach, thresholds));
        }
    }
    let inside: HashSet<usize> = communes.iter().copied().collect();
    let msp_inside: Vec<&Site> = reach
        .site_of_place
        .iter()
        .zip(reach.places.places())
        .filter(|(_, p)| inside.contains(&p.commune))
        .map(|(&s, _)| &atlas.sites()[s])
        .collect();
    let pts = points(atlas);
    let mut best: Option<(usize, f64, usize)> = None;
    for &i in &communes {
        let found = reach.places.soonest(atlas.travel_times(), &pts, i, |p| inside.contains(&reach.places.places()[p].commune));
        if let Some((p, t)) = found
            && best.is_none_or(|(bp, bt, _)| t < bt || (t == bt && p < bp))
        {
            best = Some((p, t, i));
        }
    }
    let nearest_msp_outside = best.map(|(p, minutes, i)| {
        let c = &atlas.communes()[i];
        NearestMsp {
            msp: &atlas.sites()[reach.site_of_place[p]],
            minutes,
            distance_m: haversine_m(c.repr_point, reach.places.places()[p].point),
            from: CommuneRef { code: c.code.clone(), name: c.name.clone() },
        }
    });
    Ok(Diagnostic {
        perimeter,
        departements: dep_rows,
        regions: region_rows,
        msp_inside,
        nearest_msp_outside,
        thresholds,
        msp_listed_in: reach.listed_in(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn atlas() -> &'static Atlas {
        static ATLAS: OnceLock<Atlas> = OnceLock::new();
        ATLAS.get_or_init(|| Atlas::load_default().expect("the embedded default loads"))
    }

    #[test]
    fn zoning_mix_counts_every_commune_once() {
        let atlas = atlas();
        let allier = communes_of_departement(atlas, "03").expect("Allier");
        let mix = ZoningMix::of(atlas, &allier);
        let classes = [mix.zip, mix.zac, mix.hz, mix.other, mix.unknown];
        assert_eq!(classes.iter().map(|c| c.communes).sum::<u32>(), 317);
        let pop: u64 = allier.iter().map(|&i| u64::from(atlas.communes()[i].population)).sum();
        assert_eq!(classes.iter().map(|c| c.population).sum::<u64>(), pop);
        let shares: f64 = classes.iter().filter_map(|&c| mix.population_share(c)).sum();
        assert!((shares - 1.0).abs() < 1e-12);
        assert_eq!(ZoningMix::of(atlas, &[]).population_share(mix.zip), None);
    }

    #[test]
    fn unknown_epci_and_departement_are_errors() {
        let atlas = atlas();
        assert_eq!(communes_of_epci(atlas, "000000000"), Err(PerimeterError::UnknownEpci("000000000".into())));
        assert_eq!(communes_of_departement(atlas, "75"), Err(PerimeterError::UnknownDepartement("75".into())));
        let reach = MspReach::build(atlas);
        let opts = DensityOptions::default();
        assert!(matches!(diagnose(atlas, &[], "x", None, &opts, &reach), Err(PerimeterError::Empty)));
        assert!(matches!(diagnose(atlas, &[usize::MAX], "x", None, &opts, &reach), Err(PerimeterError::CommuneIndex(_))));
    }

    #[test]
    fn the_nearest_msp_outside_is_outside_and_no_farther_than_any_other() {
        let atlas = atlas();
        let reach = MspReach::build(atlas);
        let montlucon = atlas.commune_index("03185").expect("Montluçon");
        let d = diagnose(atlas, &[montlucon], "m", None, &DensityOptions::default(), &reach).expect("diagnostic");
        let near = d.nearest_msp_outside.expect("an MSP outside Montluçon");
        assert_ne!(near.msp.commune, "03185");
        // Every MSP outside, by the estimate's minutes over the straight-line distance.
        let from = atlas.communes()[montlucon].repr_point;
        let model = atlas.travel_times().estimate();
        for s in atlas.sites().iter().filter(|s| s.kind.is_msp() && s.commune != "03185") {
            assert!(model.minutes(haversine_m(from, s.location)) >= near.minutes - 1e-9, "{} is nearer", s.id);
        }
        assert!(d.msp_inside.iter().all(|s| s.commune == "03185"));
        assert_eq!(d.msp_inside.len(), atlas.msp_count(montlucon) as usize);
        assert_eq!(d.departements.len(), 1);
        assert_eq!(d.regions.len(), 1);
        let listed: BTreeSet<String> =
            atlas.sites().iter().filter(|s| s.kind.is_msp()).filter_map(|s| atlas.commune(&s.commune)).map(|c| c.dep.clone()).collect();
        assert_eq!(d.msp_listed_in, listed.into_iter().collect::<Vec<_>>());
    }
}
