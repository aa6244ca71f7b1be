//! The Web-Mercator tile grid (XYZ, as MapLibre requests it) and the projection to it.
//!
//! "World" coordinates are Web Mercator scaled to the unit square: x from 0 (180° W) to 1
//! (180° E), y from 0 (85.05° N) to 1 (85.05° S), y down like tile rows. Tile (z, x, y) covers
//! [x, x+1] × [y, y+1] / 2^z of that square.

use std::f64::consts::PI;
use std::fmt;

/// Highest zoom accepted in a URL. Beyond the data's precision a tile only magnifies.
pub const MAX_ZOOM: u8 = 22;
/// Tile extent: coordinates inside a tile run from 0 to `EXTENT`.
pub const EXTENT: u32 = 4096;
/// Latitude limit of Web Mercator.
const MAX_LAT: f64 = 85.051_128_779_806_59;

/// A tile address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileCoord {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

/// Why a tile address is refused; the server maps the kinds to 400 and 404.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GridError {
    /// Not a number, negative, or a zoom beyond [`MAX_ZOOM`]: a malformed request.
    Malformed(String),
    /// Well-formed but outside the grid of its zoom (x or y ≥ 2^z): no such tile.
    OutsideGrid(String),
}

impl fmt::Display for GridError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GridError::Malformed(m) | GridError::OutsideGrid(m) => f.write_str(m),
        }
    }
}

impl TileCoord {
    /// Checks that (z, x, y) lies on the grid.
    pub fn new(z: u8, x: u32, y: u32) -> Result<Self, GridError> {
        if z > MAX_ZOOM {
            return Err(GridError::Malformed(format!("zoom {z} is beyond the maximum {MAX_ZOOM}")));
        }
        let n = 1u64 << z;
        if u64::from(x) >= n || u64::from(y) >= n {
            return Err(GridError::OutsideGrid(format!("tile {z}/{x}/{y} is outside the grid: x and y must be below {n} at zoom {z}")));
        }
        Ok(TileCoord { z, x, y })
    }

    /// Parses the three path segments of `/{z}/{x}/{y}` (the extension already removed).
    pub fn parse(z: &str, x: &str, y: &str) -> Result<Self, GridError> {
        fn number(name: &str, s: &str, max: u64) -> Result<u64, GridError> {
            let malformed = || GridError::Malformed(format!("{name}={s:?} is not a whole number from 0 to {max}"));
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed());
            }
            s.parse::<u64>().ok().filter(|v| *v <= max).ok_or_else(malformed)
        }
        let z = number("z", z, u64::from(MAX_ZOOM))? as u8;
        let x = number("x", x, u64::from(u32::MAX))? as u32;
        let y = number("y", y, u64::from(u32::MAX))? as u32;
        Self::new(z, x, y)
    }

    /// Number of tiles along one side of the grid at this zoom.
    pub fn tiles_per_side(self) -> f64 {
        (1u64 << self.z) as f64
    }

    /// World coordinates of a point given in this tile's coordinates (0..EXTENT).
    pub fn tile_to_world(self, tx: f64, ty: f64) -> [f64; 2] {
        let n = self.tiles_per_side();
        let e = f64::from(EXTENT);
        [(f64::from(self.x) + tx / e) / n, (f64::from(self.y) + ty / e) / n]
    }

    /// Bounds of the tile in world coordinates, widened by `buffer` tile units on each side:
    /// `[min_x, min_y, max_x, max_y]`.
    pub fn world_bounds(self, buffer: f64) -> [f64; 4] {
        let [x0, y0] = self.tile_to_world(-buffer, -buffer);
        let e = f64::from(EXTENT);
        let [x1, y1] = self.tile_to_world(e + buffer, e + buffer);
        [x0, y0, x1, y1]
    }

    /// The affine map from world to tile coordinates: `tile = (world - offset) * scale`.
    pub fn world_to_tile(self) -> WorldToTile {
        let n = self.tiles_per_side();
        WorldToTile { scale: n * f64::from(EXTENT), offset: [f64::from(self.x) / n, f64::from(self.y) / n] }
    }
}

/// World → tile coordinates for one tile.
#[derive(Debug, Clone, Copy)]
pub struct WorldToTile {
    scale: f64,
    offset: [f64; 2],
}

impl WorldToTile {
    #[inline]
    pub fn apply(&self, p: [f64; 2]) -> [f64; 2] {
        [(p[0] - self.offset[0]) * self.scale, (p[1] - self.offset[1]) * self.scale]
    }

    /// Tile units per world unit.
    pub fn scale(&self) -> f64 {
        self.scale
    }
}

/// Lon/lat (degrees) to world coordinates; latitudes beyond Mercator's limit are clamped.
#[inline]
pub fn lonlat_to_world(lon: f64, lat: f64) -> [f64; 2] {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let x = (lon + 180.0) / 360.0;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / PI) / 2.0;
    [x, y]
}

/// World coordinates back to lon/lat (degrees).
pub fn world_to_lonlat(p: [f64; 2]) -> [f64; 2] {
    let lon = p[0] * 360.0 - 180.0;
    let lat = (PI * (1.0 - 2.0 * p[1])).sinh().atan().to_degrees();
    [lon, lat]
}

/// Size of one tile unit in world units at zoom `z`.
pub fn unit_size(z: u8) -> f64 {
    1.0 / ((1u64 << z) as f64 * f64::from(EXTENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_matches_known_tiles() {
        // Montluçon (2.60 E, 46.34 N) lies in tile 9/259/181 and 12/2077/1451 (OSM tile maths).
        let w = lonlat_to_world(2.60, 46.34);
        assert_eq!(((w[0] * 512.0) as u32, (w[1] * 512.0) as u32), (259, 181));
        assert_eq!(((w[0] * 4096.0) as u32, (w[1] * 4096.0) as u32), (2077, 1451));
        let back = world_to_lonlat(w);
        assert!((back[0] - 2.60).abs() < 1e-12 && (back[1] - 46.34).abs() < 1e-12);
    }

    #[test]
    fn parse_refuses_bad_addresses() {
        assert!(TileCoord::parse("5", "16", "11").is_ok());
        assert!(matches!(TileCoord::parse("23", "0", "0"), Err(GridError::Malformed(_))));
        assert!(matches!(TileCoord::parse("5", "-1", "0"), Err(GridError::Malformed(_))));
        assert!(matches!(TileCoord::parse("5", "a", "0"), Err(GridError::Malformed(_))));
        assert!(matches!(TileCoord::parse("5", "", "0"), Err(GridError::Malformed(_))));
        assert!(matches!(TileCoord::parse("5", "99999999999999999999", "0"), Err(GridError::Malformed(_))));
        assert!(matches!(TileCoord::parse("5", "32", "0"), Err(GridError::OutsideGrid(_))));
        assert!(matches!(TileCoord::parse("0", "0", "1"), Err(GridError::OutsideGrid(_))));
        assert_eq!(TileCoord::parse("22", "4194303", "0").map(|t| t.x), Ok(4_194_303));
    }

    #[test]
    fn tile_and_world_round_trip() {
        let t = TileCoord::new(9, 259, 181).unwrap();
        let m = t.world_to_tile();
        let w = t.tile_to_world(1000.0, 3000.0);
        let back = m.apply(w);
        assert!((back[0] - 1000.0).abs() < 1e-6 && (back[1] - 3000.0).abs() < 1e-6);
    }
}
