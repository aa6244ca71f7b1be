//! `medatlas tiles geojson`: one layer as a GeoJSON FeatureCollection (RFC 7946), with the same
//! properties as the tiles — for other tools, and to serve the same data through martin in the
//! benchmark (`scripts/bench_tiles.sh`).
//!
//! Geometry is the atlas geometry as is: WGS84 lon/lat, full precision, exterior rings
//! counter-clockwise and holes clockwise (RFC 7946 §3.1.6), rings closed. No generalisation:
//! that is the tiles' job. Properties come from the same tables as the tiles
//! ([`attributes::COMMUNE_FIELDS`], [`attributes::DEPARTMENT_FIELDS`], [`attributes::MSP_FIELDS`]);
//! a property the tiles leave out (MVT has no null) is left out here too. Feature ids are the
//! tiles' ids (index in the layer + 1).
//!
//! Features are streamed to the writer one at a time: the national commune layer (34,871
//! features) never exists as one JSON value in memory.

use super::{LayerId, TileError};
use super::attributes::{self, AttrValue, CommuneRow, DepartmentRow, Field};
use crate::atlas::Atlas;
use geo::{LineString, MultiPolygon, Point, Polygon};
use serde::ser::{Serialize, SerializeMap, SerializeStruct, Serializer};
use std::io::Write;

/// Writes every feature of `layer` as one GeoJSON FeatureCollection; returns the feature count.
/// The writer is not flushed.
pub fn write_layer(atlas: &Atlas, layer: LayerId, out: &mut dyn Write) -> Result<u64, TileError> {
    let mut fc = FeatureWriter::start(out)?;
    let access = match layer {
        LayerId::Communes | LayerId::Departements => crate::analysis::apl::default_access(atlas),
        LayerId::Msp => None,
    };
    match layer {
        LayerId::Communes => {
            let names = field_names(attributes::COMMUNE_FIELDS);
            for (i, c) in atlas.communes().iter().enumerate() {
                let attrs = attributes::evaluate(attributes::COMMUNE_FIELDS, &CommuneRow::of(atlas, i, access.as_ref()));
                fc.feature(i as u64 + 1, GeometryOut::MultiPolygon(&c.geometry), &names, &attrs)?;
            }
        }
        LayerId::Departements => {
            let names = field_names(attributes::DEPARTMENT_FIELDS);
            let totals = attributes::department_totals(atlas, access.as_ref());
            for (i, d) in atlas.departments().iter().enumerate() {
                let row = DepartmentRow { department: d, totals: totals.get(d.code.as_str()).copied().unwrap_or_default() };
                let attrs = attributes::evaluate(attributes::DEPARTMENT_FIELDS, &row);
                fc.feature(i as u64 + 1, GeometryOut::MultiPolygon(&d.geometry), &names, &attrs)?;
            }
        }
        LayerId::Msp => {
            let names = field_names(attributes::MSP_FIELDS);
            // Numbered as in the tiles: the n-th MSP among the atlas sites.
            for (n, s) in atlas.sites().iter().filter(|s| s.kind == "msp").enumerate() {
                let attrs = attributes::evaluate(attributes::MSP_FIELDS, s);
                fc.feature(n as u64 + 1, GeometryOut::Point(&s.location), &names, &attrs)?;
            }
        }
    }
    fc.finish()
}

fn field_names<F>(fields: &[Field<F>]) -> Vec<&'static str> {
    fields.iter().map(|f| f.name).collect()
}

/// Writes `{"type":"FeatureCollection","features":[` ... `]}`, one feature per line.
struct FeatureWriter<'w> {
    out: &'w mut dyn Write,
    count: u64,
}

impl<'w> FeatureWriter<'w> {
    fn start(out: &'w mut dyn Write) -> Result<Self, TileError> {
        out.write_all(br#"{"type":"FeatureCollection","features":["#)?;
        Ok(FeatureWriter { out, count: 0 })
    }

    fn feature(&mut self, id: u64, geometry: GeometryOut<'_>, names: &[&str], attrs: &[(u16, AttrValue)]) -> Result<(), TileError> {
        self.out.write_all(if self.count == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut *self.out, &FeatureOut { id, geometry, properties: Properties { names, attrs } })?;
        self.count += 1;
        Ok(())
    }

    fn finish(self) -> Result<u64, TileError> {
        self.out.write_all(b"\n]}\n")?;
        Ok(self.count)
    }
}

struct FeatureOut<'a> {
    id: u64,
    geometry: GeometryOut<'a>,
    properties: Properties<'a>,
}

impl Serialize for FeatureOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut f = s.serialize_struct("Feature", 4)?;
        f.serialize_field("type", "Feature")?;
        f.serialize_field("id", &self.id)?;
        f.serialize_field("geometry", &self.geometry)?;
        f.serialize_field("properties", &self.properties)?;
        f.end()
    }
}

/// A feature's properties: field indices into `names`, as [`attributes::evaluate`] gives them.
struct Properties<'a> {
    names: &'a [&'a str],
    attrs: &'a [(u16, AttrValue)],
}

impl Serialize for Properties<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.attrs.len()))?;
        for (i, v) in self.attrs {
            let k = self.names[usize::from(*i)];
            match v {
                AttrValue::Str(x) => m.serialize_entry(k, x)?,
                AttrValue::Uint(x) => m.serialize_entry(k, x)?,
                AttrValue::Double(x) => m.serialize_entry(k, x)?,
                AttrValue::Bool(x) => m.serialize_entry(k, x)?,
            }
        }
        m.end()
    }
}

enum GeometryOut<'a> {
    MultiPolygon(&'a MultiPolygon<f64>),
    Point(&'a Point<f64>),
}

impl Serialize for GeometryOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut g = s.serialize_struct("Geometry", 2)?;
        match self {
            GeometryOut::MultiPolygon(mp) => {
                g.serialize_field("type", "MultiPolygon")?;
                g.serialize_field("coordinates", &Seq(mp.0.iter().map(PolygonCoords)))?;
            }
            GeometryOut::Point(p) => {
                g.serialize_field("type", "Point")?;
                g.serialize_field("coordinates", &[p.x(), p.y()])?;
            }
        }
        g.end()
    }
}

/// Serialises an iterator as a JSON array without collecting it.
struct Seq<I>(I);

impl<I: Iterator<Item = T> + Clone, T: Serialize> Serialize for Seq<I> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.clone())
    }
}

struct PolygonCoords<'a>(&'a Polygon<f64>);

impl Serialize for PolygonCoords<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(std::iter::once(self.0.exterior()).chain(self.0.interiors()).map(RingCoords))
    }
}

/// geo keeps rings closed (last = first), as RFC 7946 wants.
struct RingCoords<'a>(&'a LineString<f64>);

impl Serialize for RingCoords<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.0.iter().map(|c| [c.x, c.y]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::sync::OnceLock;

    fn atlas() -> &'static Atlas {
        static ATLAS: OnceLock<Atlas> = OnceLock::new();
        ATLAS.get_or_init(|| Atlas::load_default().expect("the embedded default loads"))
    }

    fn export(layer: LayerId) -> (u64, Value) {
        let mut buf = Vec::new();
        let n = write_layer(atlas(), layer, &mut buf).expect("export");
        (n, serde_json::from_slice(&buf).expect("valid JSON"))
    }

    /// Twice the signed area of a ring in lon/lat (positive: counter-clockwise).
    fn ring_area2(ring: &[Value]) -> f64 {
        let p: Vec<(f64, f64)> = ring.iter().map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())).collect();
        p.windows(2).map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1).sum()
    }

    #[test]
    fn communes_one_feature_each_with_the_tile_properties() {
        let (n, fc) = export(LayerId::Communes);
        assert_eq!(fc["type"], "FeatureCollection");
        let features = fc["features"].as_array().unwrap();
        assert_eq!(n as usize, atlas().communes().len());
        assert_eq!(features.len(), atlas().communes().len());
        let codes: std::collections::HashSet<&str> = features.iter().map(|f| f["properties"]["code"].as_str().unwrap()).collect();
        assert_eq!(codes.len(), features.len(), "one feature per commune");

        let i = atlas().commune_index("03185").expect("Montluçon in the default");
        let f = &features[i];
        assert_eq!(f["type"], "Feature");
        assert_eq!(f["id"], i as u64 + 1);
        let p = &f["properties"];
        assert_eq!(p["code"], "03185");
        assert_eq!(p["name"], "Montluçon");
        assert_eq!(p["dep"], "03");
        assert_eq!(p["zoning"], "ZAC");
        assert_eq!(p["synthetic"], false);
        assert_eq!(p["gp_near_retirement_estimated"], true);
        let c = atlas().commune("03185").unwrap();
        assert_eq!(p["population"], u64::from(c.population));
        assert_eq!(p["gp"], u64::from(c.gp.as_ref().unwrap().gp));
        assert_eq!(p["msp_count"], u64::from(atlas().msp_count(i)));
        // The same keys as the tile feature: every field the table evaluates, nothing else.
        let expected: Vec<&str> = attributes::evaluate(attributes::COMMUNE_FIELDS, &CommuneRow::of(atlas(), i, crate::analysis::apl::default_access(atlas()).as_ref()))
            .iter()
            .map(|(k, _)| attributes::COMMUNE_FIELDS[usize::from(*k)].name)
            .collect();
        let mut keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
        let mut want = expected.clone();
        keys.sort_unstable();
        want.sort_unstable();
        assert_eq!(keys, want);
        assert!(p["gp_per_10k"].is_number());

        let g = &f["geometry"];
        assert_eq!(g["type"], "MultiPolygon");
        let ring = g["coordinates"][0][0].as_array().unwrap();
        assert_eq!(ring.first(), ring.last(), "closed ring");
        assert!(ring_area2(ring) > 0.0, "exterior ring counter-clockwise");
        let (lon, lat) = (ring[0][0].as_f64().unwrap(), ring[0][1].as_f64().unwrap());
        assert!((2.4..2.7).contains(&lon) && (46.2..46.5).contains(&lat), "lon/lat order: {lon}, {lat}");
    }

    #[test]
    fn departements_carry_gp_totals() {
        let (n, fc) = export(LayerId::Departements);
        assert_eq!(n as usize, atlas().departments().len());
        let allier = fc["features"].as_array().unwrap().iter().find(|f| f["properties"]["code"] == "03").expect("Allier");
        let gp: u64 = atlas().communes().iter().filter(|c| c.dep == "03").filter_map(|c| c.gp.as_ref()).map(|g| u64::from(g.gp)).sum();
        assert_eq!(allier["properties"]["gp"], gp);
        assert_eq!(allier["properties"]["communes"], 317);
        assert_eq!(allier["geometry"]["type"], "MultiPolygon");
    }

    #[test]
    fn msp_are_points() {
        let (n, fc) = export(LayerId::Msp);
        let msp = atlas().sites().iter().filter(|s| s.kind == "msp").count();
        assert_eq!(n as usize, msp);
        assert!(msp > 0);
        let f = &fc["features"][0];
        assert_eq!(f["geometry"]["type"], "Point");
        assert_eq!(f["id"], 1);
        assert!(f["properties"]["id"].is_string());
    }
}
