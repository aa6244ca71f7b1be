//! From generalised geometry in tile coordinates to MVT features: clip (with geo), quantise to
//! the 4096 grid, drop repeated points and empty rings, orient rings as MVT wants.

use super::attributes::AttrValue;
use super::grid::EXTENT;
use geo::{BooleanOps, BoundingRect, Coord, LineString, MultiPolygon, Polygon, Rect};
use mvt::{GeomEncoder, GeomType};

/// Clip margin around each tile, in tile units (1/64 of the side, as martin's default). Wide
/// enough that a border line or an outline drawn up to ~16 px wide at 512 px per tile does not
/// show the cut, small enough to add little to each tile.
pub const BUFFER: f64 = 64.0;

/// A ring in integer tile coordinates, closed (last = first).
pub type IntRing = Vec<[i32; 2]>;

/// A polygon ready to encode: exterior then holes, MVT-oriented.
#[derive(Debug, Clone, PartialEq)]
pub struct IntPolygon {
    pub rings: Vec<IntRing>,
}

/// Twice the signed area by the surveyor's formula; in tile coordinates (y down) MVT wants it
/// positive for exteriors and negative for holes.
pub fn ring_area2(r: &[[i32; 2]]) -> i64 {
    r.windows(2).map(|w| i64::from(w[0][0]) * i64::from(w[1][1]) - i64::from(w[1][0]) * i64::from(w[0][1])).sum()
}

/// The clip window: the tile and its buffer.
fn clip_rect() -> Rect<f64> {
    let e = f64::from(EXTENT);
    Rect::new(Coord { x: -BUFFER, y: -BUFFER }, Coord { x: e + BUFFER, y: e + BUFFER })
}

/// Clips polygons given in tile coordinates to the tile and its buffer, then quantises them;
/// polygons that collapse to no area are dropped.
pub fn prepare_polygons(polys: Vec<Polygon<f64>>) -> Vec<IntPolygon> {
    let window = clip_rect();
    let mut inside = Vec::with_capacity(polys.len());
    let mut crossing = Vec::new();
    for p in polys {
        let Some(b) = p.exterior().bounding_rect() else { continue };
        if b.min().x >= window.min().x && b.max().x <= window.max().x && b.min().y >= window.min().y && b.max().y <= window.max().y {
            inside.push(p);
        } else if b.max().x > window.min().x && b.min().x < window.max().x && b.max().y > window.min().y && b.min().y < window.max().y {
            crossing.push(p);
        }
    }
    if !crossing.is_empty() {
        let clipped = MultiPolygon(crossing).intersection(&window.to_polygon());
        inside.extend(clipped.0);
    }
    inside.iter().filter_map(quantise_polygon).collect()
}

fn quantise_ring(r: &LineString<f64>) -> IntRing {
    let mut out: IntRing = Vec::with_capacity(r.0.len());
    for c in &r.0 {
        let q = [c.x.round() as i32, c.y.round() as i32];
        if out.last() != Some(&q) {
            out.push(q);
        }
    }
    if out.len() > 1 && out.first() != out.last() {
        out.push(out[0]);
    }
    remove_spikes(&mut out);
    remove_local_loops(&mut out);
    out
}

/// How far along a ring to look for a segment crossing another one. Simplifying neighbouring
/// arcs independently and snapping to the grid makes small loops (a few units across) where a
/// ring crosses itself; crossings between distant parts of a ring are far rarer.
const LOOP_LOOKAHEAD: usize = 12;
/// Largest loop cut off (twice its area, units²): 8 × 8 units, under one display pixel. A larger
/// crossing is left as it is rather than losing part of a commune.
const MAX_LOOP_AREA2: i64 = 2 * 64;

fn orient(a: [i32; 2], b: [i32; 2], c: [i32; 2]) -> i64 {
    (i64::from(b[0]) - i64::from(a[0])) * (i64::from(c[1]) - i64::from(a[1])) - (i64::from(b[1]) - i64::from(a[1])) * (i64::from(c[0]) - i64::from(a[0]))
}

fn on_segment(a: [i32; 2], b: [i32; 2], p: [i32; 2]) -> bool {
    p[0] >= a[0].min(b[0]) && p[0] <= a[0].max(b[0]) && p[1] >= a[1].min(b[1]) && p[1] <= a[1].max(b[1])
}

/// Whether segments a–b and c–d meet (crossing or touching), exactly, on integers.
fn segments_meet(a: [i32; 2], b: [i32; 2], c: [i32; 2], d: [i32; 2]) -> bool {
    // Most pairs are far apart: a bounding-box test settles them.
    if a[0].max(b[0]) < c[0].min(d[0]) || c[0].max(d[0]) < a[0].min(b[0]) || a[1].max(b[1]) < c[1].min(d[1]) || c[1].max(d[1]) < a[1].min(b[1]) {
        return false;
    }
    let (o1, o2, o3, o4) = (orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b));
    if o1.signum() * o2.signum() < 0 && o3.signum() * o4.signum() < 0 {
        return true;
    }
    (o1 == 0 && on_segment(a, b, c)) || (o2 == 0 && on_segment(a, b, d)) || (o3 == 0 && on_segment(c, d, a)) || (o4 == 0 && on_segment(c, d, b))
}

/// Cuts small self-intersection loops out of a closed ring: when segment i meets a segment j
/// a few steps further, the vertices between them go, so the ring runs from i straight to j+1.
/// Those loops enclose a fraction of a unit; removing them keeps the polygon valid.
fn remove_local_loops(r: &mut IntRing) {
    if r.len() < 5 {
        return;
    }
    r.pop();
    let mut i = 0;
    while r.len() >= 4 && i < r.len() {
        let n = r.len();
        let mut cut = None;
        // Segment j must not share a vertex with segment i (j from i+2), and the loop cut off
        // must be the shorter side of the ring.
        // Indices stay below 2n: one subtraction wraps them (a division per test was the cost).
        let wrap = |k: usize| if k >= n { k - n } else { k };
        let (a, b) = (r[i], r[wrap(i + 1)]);
        for step in 2..LOOP_LOOKAHEAD.min(n / 2 + 1) {
            let j = wrap(i + step);
            if segments_meet(a, b, r[j], r[wrap(j + 1)]) {
                let lobe: IntRing = (1..=step + 1).map(|k| r[wrap(i + k)]).chain(std::iter::once(b)).collect();
                if ring_area2(&lobe).abs() <= MAX_LOOP_AREA2 {
                    cut = Some(step);
                }
                break;
            }
        }
        match cut {
            Some(step) => {
                // Remove the `step` vertices after i (i+1 ..= i+step, modulo n).
                for _ in 0..step {
                    let k = (i + 1) % r.len();
                    r.remove(k);
                    if k <= i {
                        i -= 1;
                    }
                }
            }
            None => i += 1,
        }
    }
    if let Some(&first) = r.first() {
        r.push(first);
    }
}

/// Removes back-and-forth spikes (a, b, a) that quantisation can leave: they enclose nothing and
/// make the ring self-touching. One pass with a stack, then the spikes across the ring's start.
fn remove_spikes(r: &mut IntRing) {
    if r.len() < 4 {
        return;
    }
    r.pop(); // work on the open ring
    let mut out: IntRing = Vec::with_capacity(r.len() + 1);
    for &p in r.iter() {
        if out.len() >= 2 && out[out.len() - 2] == p {
            out.pop(); // the tip; the top is now p itself
        } else if out.last() != Some(&p) {
            out.push(p);
        }
    }
    // Spikes across the start: tip last (..., a, b | a, ...) or tip first (b | a, ..., b).
    loop {
        let n = out.len();
        if n < 3 {
            break;
        }
        if out[n - 1] == out[0] {
            out.pop();
        } else if out[n - 2] == out[0] {
            out.pop();
            out.pop();
        } else if out[n - 1] == out[1] {
            out.remove(0);
            out.pop();
        } else {
            break;
        }
    }
    if let Some(&first) = out.first() {
        out.push(first);
    }
    *r = out;
}

fn quantise_polygon(p: &Polygon<f64>) -> Option<IntPolygon> {
    let mut ext = quantise_ring(p.exterior());
    if ext.len() < 4 {
        return None;
    }
    let a = ring_area2(&ext);
    if a == 0 {
        return None;
    }
    if a < 0 {
        ext.reverse();
    }
    let mut rings = vec![ext];
    for hole in p.interiors() {
        let mut h = quantise_ring(hole);
        if h.len() < 4 {
            continue;
        }
        let a = ring_area2(&h);
        if a == 0 {
            continue;
        }
        if a > 0 {
            h.reverse();
        }
        rings.push(h);
    }
    Some(IntPolygon { rings })
}

/// Encodes polygons as one MVT geometry (a multipolygon when more than one).
pub fn encode_polygons(polys: &[IntPolygon]) -> Result<mvt::GeomData, mvt::Error> {
    let mut enc = GeomEncoder::new(GeomType::Polygon);
    for p in polys {
        for ring in &p.rings {
            for pt in &ring[..ring.len() - 1] {
                enc.add_point(f64::from(pt[0]), f64::from(pt[1]))?;
            }
            enc.complete_geom()?;
        }
    }
    enc.encode()
}

/// Adds one feature's properties (field indices into `names`).
pub fn add_tags(feature: &mut mvt::Feature, names: &[&str], attrs: &[(u16, AttrValue)]) {
    for (i, v) in attrs {
        let k = names[usize::from(*i)];
        match v {
            AttrValue::Str(s) => feature.add_tag_string(k, s),
            AttrValue::Uint(n) => feature.add_tag_uint(k, *n),
            AttrValue::Double(x) => feature.add_tag_double(k, *x),
            AttrValue::Bool(b) => feature.add_tag_bool(k, *b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn clipping_keeps_the_part_inside_the_buffer() {
        // A square straddling the left edge of the tile.
        let p = polygon![(x: -500., y: 100.), (x: 500., y: 100.), (x: 500., y: 600.), (x: -500., y: 600.)];
        let out = prepare_polygons(vec![p]);
        assert_eq!(out.len(), 1);
        let xs: Vec<i32> = out[0].rings[0].iter().map(|p| p[0]).collect();
        assert_eq!(*xs.iter().min().unwrap(), -64);
        assert_eq!(ring_area2(&out[0].rings[0]), 2 * 564 * 500);
    }

    #[test]
    fn rings_are_oriented_for_mvt() {
        // Counter-clockwise on screen (negative area with y down) must come out positive.
        let p = Polygon::new(
            LineString::from(vec![(0., 0.), (0., 100.), (100., 100.), (100., 0.), (0., 0.)]),
            vec![LineString::from(vec![(10., 10.), (20., 10.), (20., 20.), (10., 20.), (10., 10.)])],
        );
        let out = prepare_polygons(vec![p]);
        assert!(ring_area2(&out[0].rings[0]) > 0);
        assert!(ring_area2(&out[0].rings[1]) < 0);
    }

    #[test]
    fn quantisation_drops_collapsed_rings_and_clipping_drops_outside_ones() {
        let sliver = polygon![(x: 10.1, y: 10.0), (x: 10.2, y: 10.0), (x: 10.3, y: 10.4)];
        assert!(prepare_polygons(vec![sliver]).is_empty());
        let small = polygon![(x: 0., y: 0.), (x: 1.2, y: 0.), (x: 1.2, y: 1.2), (x: 0., y: 1.2)];
        assert_eq!(prepare_polygons(vec![small]).len(), 1, "a one-unit square survives");
        let outside = polygon![(x: 5000., y: 0.), (x: 5100., y: 0.), (x: 5100., y: 50.)];
        assert!(prepare_polygons(vec![outside]).is_empty());
    }

    #[test]
    fn small_self_crossing_loops_are_cut() {
        // The hook seen at z5 in Allier: 950,1273 -> 946,1261 -> 948,1261 -> 940,1262 crosses.
        let mut r: IntRing = vec![[966, 1273], [960, 1269], [950, 1273], [946, 1261], [948, 1261], [940, 1262], [939, 1254], [970, 1250], [966, 1273]];
        remove_local_loops(&mut r);
        let n = r.len() - 1;
        for i in 0..n {
            for j in i + 2..n {
                if (j + 1) % n == i {
                    continue;
                }
                assert!(!segments_meet(r[i], r[i + 1], r[j], r[j + 1]), "{r:?} still crosses at {i}, {j}");
            }
        }
        assert_eq!(r.first(), r.last());
        assert!(ring_area2(&r).abs() > 0);
    }

    #[test]
    fn a_clean_ring_is_untouched() {
        let square: IntRing = vec![[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]];
        let mut r = square.clone();
        remove_local_loops(&mut r);
        assert_eq!(r, square);
    }

    #[test]
    fn spikes_are_removed() {
        let mut r: IntRing = vec![[0, 0], [10, 0], [20, 0], [10, 0], [10, 10], [0, 10], [0, 0]];
        remove_spikes(&mut r);
        assert_eq!(r, vec![[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]);
        // Spikes whose tip or base is the ring's first vertex.
        let mut r: IntRing = vec![[20, 0], [10, 0], [10, 10], [0, 10], [0, 0], [10, 0], [20, 0]];
        remove_spikes(&mut r);
        assert_eq!(r, vec![[10, 0], [10, 10], [0, 10], [0, 0], [10, 0]]);
        let mut r: IntRing = vec![[10, 0], [10, 10], [0, 10], [0, 0], [10, 0], [20, 0], [10, 0]];
        remove_spikes(&mut r);
        assert_eq!(r, vec![[10, 0], [10, 10], [0, 10], [0, 0], [10, 0]]);
    }
}
