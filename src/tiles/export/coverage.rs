//! Which tiles of a zoom can hold a feature: the candidates the export renders.
//!
//! A national atlas spans the mainland and overseas départements thousands of kilometres
//! apart, so the bounding box of everything is mostly ocean. The candidates are instead the
//! tiles whose clip window (the tile and its [`BUFFER`]) meets the bounding box of one polygon
//! of a feature, or contains a site. That is the same test [`TileSet::render`] starts with (its
//! R-trees hold feature boxes and it clips each polygon by its box), done per polygon rather
//! than per feature, so every non-empty tile is a candidate; a candidate may still render
//! empty (a box corner over the sea), and the export counts those.
//!
//! [`TileSet::render`]: crate::tiles::TileSet::render

use crate::atlas::Atlas;
use crate::tiles::LayerId;
use crate::tiles::encode::BUFFER;
use crate::tiles::grid::{EXTENT, TileCoord, lonlat_to_world};
use geo::{BoundingRect, MultiPolygon};

/// Margin, in tiles, that absorbs rounding where a box edge falls on a tile edge: at worst it
/// adds a candidate that renders empty, never loses one.
const EPSILON_TILES: f64 = 1e-6;

/// World-coordinate boxes `[min_x, min_y, max_x, max_y]` of everything the layers draw.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    boxes: Vec<[f64; 4]>,
}

impl Coverage {
    /// The boxes of each polygon of the communes, départements and EPCIs, and of each site, for the
    /// layers asked.
    pub fn new(atlas: &Atlas, layers: &[LayerId]) -> Self {
        let mut boxes = Vec::new();
        for layer in layers {
            match layer {
                LayerId::Communes => atlas.communes().iter().for_each(|c| push_polygons(&mut boxes, &c.geometry)),
                LayerId::Departements => atlas.departments().iter().for_each(|d| push_polygons(&mut boxes, &d.geometry)),
                LayerId::Epci => atlas.epci_areas().iter().for_each(|e| push_polygons(&mut boxes, &e.geometry)),
                // Every site, whatever its kind: a site the layer leaves out only adds a
                // candidate that renders empty, and this does not depend on the layer's rule.
                LayerId::Msp => boxes.extend(atlas.sites().iter().map(|s| {
                    let p = lonlat_to_world(s.location.x(), s.location.y());
                    [p[0], p[1], p[0], p[1]]
                })),
            }
        }
        Coverage { boxes }
    }

    /// Coverage of explicit world boxes (tests).
    #[cfg(test)]
    pub fn from_boxes(boxes: Vec<[f64; 4]>) -> Self {
        Coverage { boxes }
    }

    /// The candidate tiles of zoom `z`, each once, in no particular order.
    pub fn tiles(&self, z: u8) -> Vec<TileCoord> {
        let n = (1u64 << z) as f64;
        let last = (1u64 << z) - 1;
        // The clip window of tile x spans [x - b, x + 1 + b] in tile units.
        let b = BUFFER / f64::from(EXTENT) + EPSILON_TILES;
        let range = |lo: f64, hi: f64| -> (u64, u64) {
            let first = (lo * n - 1.0 - b).ceil().max(0.0) as u64;
            let end = ((hi * n + b).floor().max(0.0) as u64).min(last);
            (first, end)
        };
        let mut keys: Vec<u64> = Vec::new();
        for bx in &self.boxes {
            let (x0, x1) = range(bx[0], bx[2]);
            let (y0, y1) = range(bx[1], bx[3]);
            for x in x0..=x1 {
                keys.extend((y0..=y1).map(|y| (x << 32) | y));
            }
        }
        keys.sort_unstable();
        keys.dedup();
        keys.into_iter().map(|k| TileCoord { z, x: (k >> 32) as u32, y: (k & 0xffff_ffff) as u32 }).collect()
    }
}

/// Pushes the world box of each polygon (its exterior ring: holes lie inside it).
fn push_polygons(boxes: &mut Vec<[f64; 4]>, geometry: &MultiPolygon<f64>) {
    for polygon in &geometry.0 {
        if let Some(r) = polygon.exterior().bounding_rect() {
            // North is up in lon/lat and down in the world square.
            let a = lonlat_to_world(r.min().x, r.max().y);
            let b = lonlat_to_world(r.max().x, r.min().y);
            boxes.push([a[0], a[1], b[0], b[1]]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xy(tiles: &[TileCoord]) -> Vec<(u32, u32)> {
        tiles.iter().map(|t| (t.x, t.y)).collect()
    }

    #[test]
    fn a_box_inside_one_tile_is_one_candidate() {
        // Centre of tile 2/1/2, far from its edges.
        let c = Coverage::from_boxes(vec![[0.30, 0.55, 0.32, 0.57]]);
        assert_eq!(xy(&c.tiles(2)), vec![(1, 2)]);
        assert_eq!(xy(&c.tiles(0)), vec![(0, 0)]);
    }

    #[test]
    fn the_clip_buffer_reaches_into_neighbours() {
        // A point just right of the edge between tiles 1/0/0 and 1/1/0, within the buffer of
        // the left one (64/4096 of a tile), is drawn by both.
        let x = 0.5 + 0.5 * 32.0 / 4096.0;
        let c = Coverage::from_boxes(vec![[x, 0.25, x, 0.25]]);
        assert_eq!(xy(&c.tiles(1)), vec![(0, 0), (1, 0)]);
        // Beyond the buffer, only its own tile.
        let x = 0.5 + 0.5 * 100.0 / 4096.0;
        let c = Coverage::from_boxes(vec![[x, 0.25, x, 0.25]]);
        assert_eq!(xy(&c.tiles(1)), vec![(1, 0)]);
    }

    #[test]
    fn boxes_at_the_grid_edge_stay_on_the_grid() {
        let c = Coverage::from_boxes(vec![[0.0, 0.0, 1.0, 1.0]]);
        assert_eq!(c.tiles(1).len(), 4);
        assert_eq!(c.tiles(3).len(), 64);
    }

    #[test]
    fn overlapping_boxes_give_each_tile_once() {
        let c = Coverage::from_boxes(vec![[0.30, 0.55, 0.32, 0.57], [0.31, 0.56, 0.33, 0.58]]);
        assert_eq!(xy(&c.tiles(2)), vec![(1, 2)]);
    }
}
