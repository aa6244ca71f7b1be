//! The R-trees of one atlas: commune polygons (envelope query, then exact point-in-polygon),
//! sites and communes' representative points (nearest neighbours on the sphere).

use crate::index::PointIndex;
use crate::model::Commune;
use geo::{Intersects, Point};
use rstar::{AABB, RTree, RTreeObject};

#[derive(Debug, Clone)]
struct CommuneEnvelope {
    idx: usize,
    envelope: AABB<[f64; 2]>,
}

impl RTreeObject for CommuneEnvelope {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// The R-trees of one atlas. Positions refer to the atlas's own vectors.
#[derive(Debug, Clone)]
pub struct SpatialIndex {
    communes: RTree<CommuneEnvelope>,
    sites: PointIndex,
    /// Each commune's representative point (`Commune::repr_point`): built once with the atlas
    /// so that "how far is this point from the territory?" costs one tree walk per request.
    commune_points: PointIndex,
}

impl SpatialIndex {
    /// Builds the trees (bulk-loaded).
    pub fn build(communes: &[Commune], site_points: &[Point<f64>]) -> Self {
        use geo::BoundingRect;
        let envelopes = communes
            .iter()
            .enumerate()
            .filter_map(|(idx, c)| {
                let r = c.geometry.bounding_rect()?;
                Some(CommuneEnvelope { idx, envelope: AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]) })
            })
            .collect();
        SpatialIndex {
            communes: RTree::bulk_load(envelopes),
            sites: PointIndex::build(site_points.iter().map(|p| Some(*p))),
            commune_points: PointIndex::build(communes.iter().map(|c| Some(c.repr_point))),
        }
    }

    /// Index of the commune whose polygon holds the point (its boundary included: a point on
    /// a shared border goes to the first commune found).
    pub fn locate(&self, communes: &[Commune], p: Point<f64>) -> Option<usize> {
        self.communes
            .locate_in_envelope_intersecting(AABB::from_point([p.x(), p.y()]))
            .map(|e| e.idx)
            .find(|&idx| communes[idx].geometry.intersects(&p))
    }

    /// Indexes of the communes whose bounding box meets the rectangle.
    pub fn communes_in_envelope(&self, min: [f64; 2], max: [f64; 2]) -> impl Iterator<Item = usize> + '_ {
        self.communes.locate_in_envelope_intersecting(AABB::from_corners(min, max)).map(|e| e.idx)
    }

    /// The `k` sites nearest to `p`, nearest first, with their great-circle distance (m).
    pub fn nearest_sites(&self, p: Point<f64>, k: usize) -> Vec<(usize, f64)> {
        self.sites.nearest(p, k)
    }

    /// Every site, nearest to `p` first, with its great-circle distance (m), lazily (see
    /// [`PointIndex::nearest_iter`]).
    pub fn nearest_sites_iter(&self, p: Point<f64>) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.sites.nearest_iter(p)
    }

    /// The commune whose representative point is nearest to `p`, with the great-circle
    /// distance (m); `None` for an atlas without communes.
    pub fn nearest_commune_point(&self, p: Point<f64>) -> Option<(usize, f64)> {
        self.commune_points.nearest_iter(p).next()
    }

    pub fn site_count(&self) -> usize {
        self.sites.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_sites_follow_great_circle_order_not_degrees() {
        // At 60°N a degree of longitude is half a degree of latitude: in raw degrees B (1.5° east)
        // looks farther than A (1° north), on the ground it is nearer.
        let origin = Point::new(10.0, 60.0);
        let a = Point::new(10.0, 61.0);
        let b = Point::new(11.5, 60.0);
        let index = SpatialIndex::build(&[], &[a, b]);
        let found = index.nearest_sites(origin, 2);
        assert_eq!(found[0].0, 1, "{found:?}");
        assert!(found[0].1 < found[1].1);
        assert!((found[1].1 - 111_195.0).abs() < 200.0, "1° of latitude ≈ 111.2 km: {}", found[1].1);
    }
}
