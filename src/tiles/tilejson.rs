//! TileJSON 3.0.0 documents and the catalog of layers.

use super::attributes::{PROJECTION_FIELDS, SCENARIO_FIELDS};
use super::{LayerId, MAX_DATA_ZOOM, atlas_bounds};
use crate::atlas::Atlas;
use serde_json::{Map, Value, json};

/// URL path of the tiles of a layer list, with `{z}/{x}/{y}` placeholders.
pub fn tile_path(layers: &[LayerId]) -> String {
    format!("/tiles/{}/{{z}}/{{x}}/{{y}}.mvt", join(layers))
}

fn join(layers: &[LayerId]) -> String {
    layers.iter().map(|l| l.name()).collect::<Vec<_>>().join(",")
}

fn vector_layer(id: LayerId) -> Value {
    let mut fields = Map::new();
    let mut descriptions = Map::new();
    for (name, kind, description) in id.fields() {
        fields.insert(name.into(), json!(kind));
        descriptions.insert(name.into(), json!(description));
    }
    let mut layer = json!({
        "id": id.name(),
        "description": id.description(),
        "minzoom": 0,
        "maxzoom": MAX_DATA_ZOOM,
        // TileJSON's `fields` maps each name to a type, as tippecanoe and martin write it;
        // the descriptions follow in a field of our own.
        "fields": fields,
        "field_descriptions": descriptions,
    });
    if id == LayerId::Communes {
        // Not in `fields`: a commune tile carries these only when its URL asks for a scenario
        // or a projection.
        let described = |list: &[(&str, &str)]| list.iter().map(|(n, d)| ((*n).to_string(), json!(d))).collect::<Map<_, _>>();
        layer["medatlas:fields_on_request"] = json!({
            "scenario": { "query": "scenario=<id of POST /api/scenarios>", "fields": described(SCENARIO_FIELDS) },
            "projection": { "query": "projection=years[,horizon[,replacement]]", "fields": described(PROJECTION_FIELDS) },
        });
    }
    layer
}

/// Attribution naming the sources, and saying when GP counts are synthetic and when
/// near-retirement counts are estimated.
fn attribution(atlas: &Atlas) -> String {
    let mut names: Vec<String> = atlas.meta.sources.iter().map(|s| format!("{} ({})", s.name, s.publisher)).collect();
    names.dedup();
    let mut text = names.join("; ");
    if atlas.meta.synthetic_gp {
        text.push_str(" — GP counts are SYNTHETIC (seeded model), not observed");
    }
    if atlas.meta.near_retirement_estimated {
        text.push_str(" — GPs near retirement are estimated: GPs × département share of physicians aged 55+ (DREES 2025)");
    }
    text
}

/// The TileJSON of a layer list; `base_url` is prepended to the tile path (scheme and host,
/// or empty for a relative URL).
pub fn tilejson(atlas: &Atlas, layers: &[LayerId], base_url: &str) -> Value {
    let b = atlas_bounds(atlas);
    let center = [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0];
    json!({
        "tilejson": "3.0.0",
        "name": format!("medatlas {}", join(layers)),
        "description": format!("{}: {}", atlas.meta.name, layers.iter().map(|l| l.description()).collect::<Vec<_>>().join("; ")),
        "version": env!("CARGO_PKG_VERSION"),
        "attribution": attribution(atlas),
        "scheme": "xyz",
        "tiles": [format!("{base_url}{}", tile_path(layers))],
        "minzoom": 0,
        "maxzoom": MAX_DATA_ZOOM,
        "bounds": b,
        "center": [center[0], center[1], 6],
        "vector_layers": layers.iter().map(|l| vector_layer(*l)).collect::<Vec<_>>(),
        // What the `apl` attribute's travel times are: routed or estimated, and how.
        "medatlas:travel_times": atlas.travel_times().info(),
    })
}

/// Every layer with its TileJSON and tile URLs.
pub fn catalog(atlas: &Atlas) -> Value {
    let layers: Map<String, Value> = LayerId::ALL
        .iter()
        .map(|l| {
            (
                l.name().to_string(),
                json!({
                    "description": l.description(),
                    "content_type": "application/vnd.mapbox-vector-tile",
                    "tilejson": format!("/tiles/{}.json", l.name()),
                    "tiles": tile_path(&[*l]),
                    "fields": l.fields().iter().map(|(n, _, _)| *n).collect::<Vec<_>>(),
                }),
            )
        })
        .collect();
    json!({
        "name": atlas.meta.name,
        "synthetic_gp": atlas.meta.synthetic_gp,
        "travel_times": atlas.travel_times().info(),
        "tiles": layers,
        "combined": {
            "tilejson": format!("/tiles/{}.json", join(&LayerId::ALL)),
            "note": "several layers in one tile: list them comma-separated, e.g. /tiles/communes,msp/{z}/{x}/{y}.mvt",
        },
    })
}
