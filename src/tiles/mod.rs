//! Vector tiles (MVT) of the atlas: layers `communes`, `departements`, `msp` and `epci`, generalised
//! per zoom without gaps between neighbours (see [`topology`]), with the attributes declared in
//! [`attributes`].
//!
//! A [`TileSet`] is built once per atlas: Web-Mercator coordinates, shared arcs and their
//! simplification ranks, feature attributes and R-trees are computed at build time, so a tile
//! request only selects, clips, quantises and encodes.

pub mod attributes;
pub mod cache;
pub mod compress;
pub mod encode;
pub mod error;
pub mod export;
pub mod geojson_export;
pub mod grid;
pub mod properties;
pub mod style;
pub mod tilejson;
pub mod topology;

use crate::atlas::Atlas;
pub use error::TileError;

type Result<T, E = TileError> = std::result::Result<T, E>;
use attributes::{AttrValue, CommuneRow, DepartmentRow, Field};
use encode::{BUFFER, IntPolygon};
use geo::{LineString, MultiPolygon, Polygon};
use grid::{TileCoord, lonlat_to_world, unit_size};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use topology::Topology;

pub use grid::{EXTENT, GridError, MAX_ZOOM};

/// Douglas–Peucker tolerance, in tile units (1/4096 of the tile side): 2 units is a quarter of a
/// pixel on a 512-px tile, invisible, and halves the vertices of low-zoom tiles.
pub const SIMPLIFY_UNITS: f64 = 2.0;
/// From this zoom on no feature is ever dropped; below it, a polygon layer too big for
/// [`LOW_ZOOM_LAYER_BUDGET`] loses its smallest features (at z5 a commune of 3 km² is a dot of
/// about one pixel). Polygons that quantisation collapses to nothing are dropped at any zoom.
pub const KEEP_EVERY_POLYGON_FROM_ZOOM: u8 = 8;
/// Largest encoded size of one polygon layer below [`KEEP_EVERY_POLYGON_FROM_ZOOM`] (bytes,
/// before compression). MVT of communes compresses to 52–62 % with gzip, so this keeps every
/// tile well under 500 KB compressed.
pub const LOW_ZOOM_LAYER_BUDGET: usize = 700_000;
/// Zoom advertised as the layers' maximum; deeper tiles are served too (up to [`MAX_ZOOM`]).
pub const MAX_DATA_ZOOM: u8 = 14;

/// A layer of the tile set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LayerId {
    Communes,
    Departements,
    Msp,
    /// EPCI (intercommunalités), dissolved from their communes ([`Atlas::epci_areas`]).
    Epci,
}

impl LayerId {
    pub const ALL: [LayerId; 4] = [LayerId::Communes, LayerId::Departements, LayerId::Msp, LayerId::Epci];

    pub fn name(self) -> &'static str {
        match self {
            LayerId::Communes => "communes",
            LayerId::Departements => "departements",
            LayerId::Msp => "msp",
            LayerId::Epci => "epci",
        }
    }

    pub fn parse(name: &str) -> Option<LayerId> {
        LayerId::ALL.into_iter().find(|l| l.name() == name)
    }

    pub fn description(self) -> &'static str {
        match self {
            LayerId::Communes => "Communes with GP counts, densities, zoning and MSP counts",
            LayerId::Departements => "Départements with GP totals, densities and their 2022 aids",
            LayerId::Msp => "Maisons de santé pluriprofessionnelles (MSP)",
            LayerId::Epci => "EPCI (intercommunalités) dissolved from their communes, with GP totals, densities, APL and zoning mix",
        }
    }

    /// The layer's fields: (name, TileJSON type, description).
    pub fn fields(self) -> Vec<(&'static str, &'static str, &'static str)> {
        fn list<F>(f: &[Field<F>]) -> Vec<(&'static str, &'static str, &'static str)> {
            f.iter().map(|f| (f.name, f.kind.as_str(), f.description)).collect()
        }
        match self {
            LayerId::Communes => list(attributes::COMMUNE_FIELDS),
            LayerId::Departements => list(attributes::DEPARTMENT_FIELDS),
            LayerId::Msp => list(attributes::MSP_FIELDS),
            LayerId::Epci => list(attributes::EPCI_FIELDS),
        }
    }
}

/// Why a layer list is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerListError {
    /// More names than there are layers.
    TooMany(String),
    /// A layer named twice.
    Repeated(String),
    /// A name that is no layer.
    Unknown(String),
}

impl LayerListError {
    pub fn message(&self) -> &str {
        match self {
            LayerListError::TooMany(m) | LayerListError::Repeated(m) | LayerListError::Unknown(m) => m,
        }
    }
}

/// Parses `communes,msp`: known names, each once.
pub fn parse_layer_list(list: &str) -> Result<Vec<LayerId>, LayerListError> {
    let names: Vec<&str> = list.split(',').collect();
    if names.len() > LayerId::ALL.len() {
        return Err(LayerListError::TooMany(format!("{} layers asked; there are only {}: {}", names.len(), LayerId::ALL.len(), layer_names())));
    }
    let mut out = Vec::with_capacity(names.len());
    for n in names {
        let id = LayerId::parse(n).ok_or_else(|| LayerListError::Unknown(format!("unknown layer {n:?}; layers are {}", layer_names())))?;
        if out.contains(&id) {
            return Err(LayerListError::Repeated(format!("layer {n:?} is listed twice")));
        }
        out.push(id);
    }
    Ok(out)
}

fn layer_names() -> String {
    LayerId::ALL.map(|l| l.name()).join(", ")
}

type Envelope = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// Polygon features: their arcs, attributes and an R-tree of their world bounding boxes.
struct PolygonLayer {
    topology: Topology,
    attrs: Vec<Vec<(u16, AttrValue)>>,
    field_names: Vec<&'static str>,
    tree: RTree<Envelope>,
}

impl PolygonLayer {
    fn build<F>(geometries: &[&MultiPolygon<f64>], attrs: Vec<Vec<(u16, AttrValue)>>, fields: &[Field<F>]) -> Self {
        use geo::BoundingRect;
        let topology = Topology::build(geometries, lonlat_to_world);
        let boxes = geometries
            .iter()
            .enumerate()
            .filter_map(|(i, g)| {
                let r = g.bounding_rect()?;
                // North is up in lon/lat and down in the world square.
                let a = lonlat_to_world(r.min().x, r.max().y);
                let b = lonlat_to_world(r.max().x, r.min().y);
                Some(Envelope::new(Rectangle::from_corners(a, b), i))
            })
            .collect();
        PolygonLayer { topology, attrs, field_names: fields.iter().map(|f| f.name).collect(), tree: RTree::bulk_load(boxes) }
    }

    fn features_in(&self, bounds: [f64; 4]) -> Vec<usize> {
        let q = AABB::from_corners([bounds[0], bounds[1]], [bounds[2], bounds[3]]);
        let mut v: Vec<usize> = self.tree.locate_in_envelope_intersecting(q).map(|e| e.data).collect();
        v.sort_unstable();
        v
    }

    /// The polygons of feature `i` in `tile`, generalised, clipped and quantised.
    fn feature_polygons(&self, i: usize, tile: TileCoord) -> Vec<IntPolygon> {
        let m = tile.world_to_tile();
        let tolerance = SIMPLIFY_UNITS * unit_size(tile.z);
        let mut buf = Vec::new();
        let polys: Vec<Polygon<f64>> = self
            .topology
            .shape(i)
            .iter()
            .map(|rings| {
                let mut lines = rings.iter().map(|ring| {
                    buf.clear();
                    self.topology.ring_into(ring, tolerance, |p| m.apply(p), &mut buf);
                    LineString::from(buf.iter().map(|p| (p[0], p[1])).collect::<Vec<_>>())
                });
                let exterior = lines.next().unwrap_or_else(|| LineString::new(vec![]));
                Polygon::new(exterior, lines.collect())
            })
            .collect();
        encode::prepare_polygons(polys)
    }

    /// The features of one tile with their polygons, and each feature's largest polygon area.
    fn prepare(&self, tile: TileCoord) -> Vec<PreparedFeature> {
        self.features_in(tile.world_bounds(BUFFER))
            .into_iter()
            .filter_map(|i| {
                let polygons = self.feature_polygons(i, tile);
                let area2 = polygons.iter().map(|p| encode::ring_area2(&p.rings[0])).max()?;
                Some(PreparedFeature { index: i, polygons, area2 })
            })
            .collect()
    }

    fn encode(&self, features: &[PreparedFeature], min_area2: i64, layer: mvt::Layer, attrs: Option<&LayerAttributes>) -> Result<mvt::Layer> {
        let mut layer = layer;
        let (names, rows) = match attrs {
            Some(a) => (a.names.as_slice(), a.rows.as_slice()),
            None => (self.field_names.as_slice(), self.attrs.as_slice()),
        };
        for f in features.iter().filter(|f| f.area2 >= min_area2) {
            let mut feature = layer.into_feature(encode::encode_polygons(&f.polygons)?);
            feature.set_id(f.index as u64 + 1);
            encode::add_tags(&mut feature, names, &rows[f.index]);
            layer = feature.into_layer();
        }
        Ok(layer)
    }

    /// Encodes the layer of one tile. Below [`KEEP_EVERY_POLYGON_FROM_ZOOM`], when the layer
    /// would exceed [`LOW_ZOOM_LAYER_BUDGET`], the smallest features are left out until it fits
    /// (tippecanoe's "drop densest as needed", by area).
    fn encode_tile(&self, tile: TileCoord, mvt_tile: &mvt::Tile, name: &str, attrs: Option<&LayerAttributes>) -> Result<mvt::Layer> {
        let features = self.prepare(tile);
        let mut min_area2 = 0;
        if tile.z < KEEP_EVERY_POLYGON_FROM_ZOOM {
            let mut areas: Vec<i64> = features.iter().map(|f| f.area2).collect();
            areas.sort_unstable();
            loop {
                let mut probe = mvt::Tile::new(EXTENT);
                probe.add_layer(self.encode(&features, min_area2, probe.create_layer(name), attrs)?)?;
                let size = probe.compute_size();
                let kept = areas.len() - areas.partition_point(|a| *a < min_area2);
                if size <= LOW_ZOOM_LAYER_BUDGET || kept == 0 {
                    break;
                }
                // Keep the largest features, in proportion to the budget, with a margin.
                let keep = ((kept as f64) * (LOW_ZOOM_LAYER_BUDGET as f64 / size as f64) * 0.95) as usize;
                min_area2 = areas[areas.len() - keep.min(areas.len())..].first().copied().map_or(i64::MAX, |a| a.max(min_area2 + 1));
            }
        }
        self.encode(&features, min_area2, mvt_tile.create_layer(name), attrs)
    }
}

/// Attributes replacing a layer's own, one row per feature in the layer's order (a scenario's
/// commune values).
#[derive(Debug, Clone, PartialEq)]
pub struct LayerAttributes {
    pub names: Vec<&'static str>,
    pub rows: Vec<Vec<(u16, AttrValue)>>,
}

/// One feature of a polygon layer, ready to encode.
struct PreparedFeature {
    index: usize,
    polygons: Vec<IntPolygon>,
    area2: i64,
}

type PointEntry = GeomWithData<[f64; 2], usize>;

/// Point features.
struct PointLayer {
    points: Vec<[f64; 2]>,
    attrs: Vec<Vec<(u16, AttrValue)>>,
    field_names: Vec<&'static str>,
    tree: RTree<PointEntry>,
}

impl PointLayer {
    fn encode(&self, tile: TileCoord, layer: mvt::Layer) -> Result<mvt::Layer> {
        let b = tile.world_bounds(BUFFER);
        let q = AABB::from_corners([b[0], b[1]], [b[2], b[3]]);
        let mut found: Vec<usize> = self.tree.locate_in_envelope(q).map(|e| e.data).collect();
        found.sort_unstable();
        let m = tile.world_to_tile();
        let mut layer = layer;
        for i in found {
            let p = m.apply(self.points[i]);
            let geom = mvt::GeomEncoder::new(mvt::GeomType::Point).point(p[0].round(), p[1].round())?.encode()?;
            let mut f = layer.into_feature(geom);
            f.set_id(i as u64 + 1);
            encode::add_tags(&mut f, &self.field_names, &self.attrs[i]);
            layer = f.into_layer();
        }
        Ok(layer)
    }
}

/// [west, south, east, north] of the atlas's communes, degrees.
pub fn atlas_bounds(atlas: &Atlas) -> [f64; 4] {
    communes_bounds(atlas, 0..atlas.communes().len()).unwrap_or([-180.0, -85.0, 180.0, 85.0])
}

/// [west, south, east, north] of some communes (atlas indexes), degrees; none for no geometry.
pub fn communes_bounds(atlas: &Atlas, communes: impl IntoIterator<Item = usize>) -> Option<[f64; 4]> {
    use geo::BoundingRect;
    communes
        .into_iter()
        .filter_map(|i| atlas.communes()[i].geometry.bounding_rect())
        .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
        .reduce(|a, b| [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])])
}

/// Everything needed to cut tiles from one atlas.
pub struct TileSet {
    communes: PolygonLayer,
    departements: PolygonLayer,
    msp: PointLayer,
    epci: PolygonLayer,
    /// [west, south, east, north] of the communes, degrees.
    bounds: [f64; 4],
}

impl TileSet {
    /// Builds the layers, computing APL with the default parameters for the attributes.
    pub fn build(atlas: &Atlas) -> TileSet {
        TileSet::build_with(atlas, crate::analysis::apl::default_access(atlas).as_ref())
    }

    /// Builds the layers with access values computed elsewhere (the server computes them once
    /// per atlas and shares them with the API).
    pub fn build_with(atlas: &Atlas, access: Option<&crate::analysis::CommuneAccess>) -> TileSet {
        let communes = atlas.communes();
        let commune_rows: Vec<Vec<(u16, AttrValue)>> = (0..communes.len())
            .map(|i| attributes::evaluate(attributes::COMMUNE_FIELDS, &CommuneRow::of(atlas, i, access)))
            .collect();
        let totals = attributes::department_totals(atlas, access);
        let departments = atlas.departments();
        let dep_rows = departments
            .iter()
            .map(|d| {
                let row = DepartmentRow { department: d, totals: totals.get(d.code.as_str()).copied().unwrap_or_default() };
                attributes::evaluate(attributes::DEPARTMENT_FIELDS, &row)
            })
            .collect();
        let msp: Vec<usize> = (0..atlas.sites().len()).filter(|&i| atlas.sites()[i].kind.is_msp()).collect();
        let points: Vec<[f64; 2]> = msp.iter().map(|&i| lonlat_to_world(atlas.sites()[i].location.x(), atlas.sites()[i].location.y())).collect();
        let msp_layer = PointLayer {
            tree: RTree::bulk_load(points.iter().enumerate().map(|(i, p)| PointEntry::new(*p, i)).collect()),
            points,
            attrs: msp.iter().map(|&i| attributes::evaluate(attributes::MSP_FIELDS, &atlas.sites()[i])).collect(),
            field_names: attributes::MSP_FIELDS.iter().map(|f| f.name).collect(),
        };
        let geoms: Vec<&MultiPolygon<f64>> = communes.iter().map(|c| &c.geometry).collect();
        let bounds = atlas_bounds(atlas);
        let (communes_layer, (departements_layer, epci_layer)) = rayon::join(
            || PolygonLayer::build(&geoms, commune_rows, attributes::COMMUNE_FIELDS),
            || {
                rayon::join(
                    || PolygonLayer::build(&departments.iter().map(|d| &d.geometry).collect::<Vec<_>>(), dep_rows, attributes::DEPARTMENT_FIELDS),
                    || {
                        // The first call of `epci_areas` dissolves the EPCIs (see atlas::epci).
                        let epci_geoms: Vec<&MultiPolygon<f64>> = atlas.epci_areas().iter().map(|e| &e.geometry).collect();
                        PolygonLayer::build(&epci_geoms, attributes::epci_attributes(atlas, access), attributes::EPCI_FIELDS)
                    },
                )
            },
        );
        TileSet { communes: communes_layer, departements: departements_layer, msp: msp_layer, epci: epci_layer, bounds }
    }

    /// [west, south, east, north] in degrees.
    pub fn bounds(&self) -> [f64; 4] {
        self.bounds
    }

    /// Number of shared arcs and their vertices in the commune mesh.
    pub fn commune_arcs(&self) -> (usize, usize) {
        (self.communes.topology.arc_count(), self.communes.topology.vertex_count())
    }

    /// Encodes one tile with the given layers, in that order. Returns an empty vector when no
    /// layer has a feature there (the server answers 204).
    pub fn render(&self, tile: TileCoord, layers: &[LayerId]) -> Result<Vec<u8>> {
        self.render_with(tile, layers, None)
    }

    /// [`TileSet::render`] with other attributes for the commune features (a scenario's).
    pub fn render_with(&self, tile: TileCoord, layers: &[LayerId], communes: Option<&LayerAttributes>) -> Result<Vec<u8>> {
        let mut mvt_tile = mvt::Tile::new(EXTENT);
        for &id in layers {
            let layer = match id {
                LayerId::Communes => self.communes.encode_tile(tile, &mvt_tile, id.name(), communes)?,
                LayerId::Departements => self.departements.encode_tile(tile, &mvt_tile, id.name(), None)?,
                LayerId::Msp => self.msp.encode(tile, mvt_tile.create_layer(id.name()))?,
                LayerId::Epci => self.epci.encode_tile(tile, &mvt_tile, id.name(), None)?,
            };
            if layer.num_features() > 0 {
                mvt_tile.add_layer(layer)?;
            }
        }
        if mvt_tile.num_layers() == 0 {
            return Ok(Vec::new());
        }
        Ok(mvt_tile.to_bytes()?)
    }
}
