//! `medatlas tiles geojson`: one layer as a GeoJSON FeatureCollection (lon/lat), with the same
//! properties as the tiles — for other tools, and to serve the same data through martin in the
//! benchmark. (Being written: see the tiles issue.)

use super::LayerId;
use crate::atlas::Atlas;
use std::io::Write;

pub fn write_layer(_atlas: &Atlas, _layer: LayerId, _out: &mut dyn Write) -> anyhow::Result<u64> {
    anyhow::bail!("GeoJSON export is not written yet")
}
