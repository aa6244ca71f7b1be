//! Geometry-only spatial indexes: points on the sphere (nearest neighbours, within a radius).
//! It knows no commune or site: the atlas builds its own indexes (`atlas::spatial`) from these.
//!
//! Sites are indexed as points on the unit sphere (3-D Cartesian): the straight-line (chord)
//! distance between two such points grows with the great-circle distance, so the R-tree's
//! nearest-neighbour order is the true geographic order everywhere, overseas included, with
//! no projection to choose.

use geo::Point;
use rstar::{AABB, PointDistance, RTree, RTreeObject};

/// Mean Earth radius (m), as used for haversine distances.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

#[derive(Debug, Clone)]
struct SpherePoint {
    idx: usize,
    lonlat: Point<f64>,
    xyz: [f64; 3],
}

impl RTreeObject for SpherePoint {
    type Envelope = AABB<[f64; 3]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_point(self.xyz)
    }
}

impl PointDistance for SpherePoint {
    fn distance_2(&self, point: &[f64; 3]) -> f64 {
        (0..3).map(|i| (self.xyz[i] - point[i]).powi(2)).sum()
    }
}

/// Lon/lat (degrees) to a point on the unit sphere.
fn to_sphere(p: Point<f64>) -> [f64; 3] {
    let (lon, lat) = (p.x().to_radians(), p.y().to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// Great-circle distance (m) on the mean-radius sphere.
pub fn haversine_m(a: Point<f64>, b: Point<f64>) -> f64 {
    use geo::{Distance, Haversine};
    Haversine.distance(a, b)
}

/// Points on the unit sphere in an R-tree: nearest neighbours in great-circle order, and all
/// points within a great-circle radius. Positions refer to the slice it was built from.
#[derive(Debug, Clone)]
pub struct PointIndex {
    tree: RTree<SpherePoint>,
}

impl PointIndex {
    /// Bulk-loads the points; `None` entries are left out (their positions are skipped).
    pub fn build(points: impl IntoIterator<Item = Option<Point<f64>>>) -> Self {
        let points = points
            .into_iter()
            .enumerate()
            .filter_map(|(idx, p)| p.map(|p| SpherePoint { idx, lonlat: p, xyz: to_sphere(p) }))
            .collect();
        PointIndex { tree: RTree::bulk_load(points) }
    }

    /// The `k` points nearest to `p`, nearest first, with their great-circle distance (m).
    pub fn nearest(&self, p: Point<f64>, k: usize) -> Vec<(usize, f64)> {
        self.nearest_iter(p).take(k).collect()
    }

    /// Every point, nearest to `p` first, with its great-circle distance (m), lazily: a caller
    /// that keeps only some points (MSP among all sites) walks the tree only as far as it needs.
    /// The order is the chord order on the unit sphere; the distance is the haversine, so two
    /// points at (nearly) the same distance may come out in either order, by rounding.
    pub fn nearest_iter(&self, p: Point<f64>) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.tree.nearest_neighbor_iter(to_sphere(p)).map(move |s| (s.idx, haversine_m(p, s.lonlat)))
    }

    /// Every point within `radius_m` of `p` (great circle), with its distance (m), in no
    /// particular order.
    pub fn within(&self, p: Point<f64>, radius_m: f64) -> impl Iterator<Item = (usize, f64)> + '_ {
        // The chord of a great-circle arc of angle θ is 2·sin(θ/2); a slightly larger chord
        // keeps points exactly on the circle despite rounding, and the haversine test decides.
        let angle = (radius_m / EARTH_RADIUS_M).min(std::f64::consts::PI);
        let chord = 2.0 * (angle / 2.0).sin() * (1.0 + 1e-9);
        self.tree
            .locate_within_distance(to_sphere(p), chord * chord)
            .map(move |s| (s.idx, haversine_m(p, s.lonlat)))
            .filter(move |&(_, d)| d <= radius_m)
    }

    pub fn len(&self) -> usize {
        self.tree.size()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_iter_walks_every_point_in_order_and_agrees_with_nearest() {
        let points: Vec<Point<f64>> = (0..40).map(|i| Point::new(2.0 + 0.07 * f64::from(i % 7), 45.0 + 0.05 * f64::from(i))).collect();
        let index = PointIndex::build(points.iter().map(|p| Some(*p)));
        let origin = Point::new(2.2, 45.9);
        let all: Vec<(usize, f64)> = index.nearest_iter(origin).collect();
        assert_eq!(all.len(), points.len());
        assert!(all.windows(2).all(|w| w[0].1 <= w[1].1), "{all:?}");
        assert!(all.iter().all(|&(i, d)| d == haversine_m(origin, points[i])));
        assert_eq!(index.nearest(origin, 5), all[..5].to_vec());
    }
}
