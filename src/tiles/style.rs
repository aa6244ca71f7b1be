//! Class breaks of the viewer's choropleth styles, computed from the loaded atlas.
//!
//! A style file (styles/*.json) that wants data-driven classes says so in its legend metadata:
//!
//! ```json
//! "medatlas:legend": { "field": "gp_per_10k_in_5y", "colors": [...5 colours...],
//!                      "classes": { "method": "jenks", "of": "gp_per_10k",
//!                                   "min_population": 1000 } }
//! ```
//!
//! `of` is the commune attribute whose distribution sets the breaks (by default the drawn
//! `field`): the density in 5 years is classed with today's breaks so the two maps compare.
//! `min_population` leaves the smallest communes out of the break computation (they are still
//! drawn): one GP in a village of 50 is 200 per 10,000, and such values would otherwise pull
//! the upper classes up to a handful of villages and leave most of the map in the first class.
//! `layer` (default `communes`) names the tile layer whose features set the breaks and whose
//! fill layer (`{layer}-fill`, e.g. `epci-fill`) they drive.
//! [`apply_classes`] writes the breaks into the legend (`breaks`: lower bound of each class,
//! `upper`, `counts`, `breaks_method`) and the `step` expression into the choropleth layer.

use crate::analysis::classify::{ClassMethod, Classes};
use serde_json::{Value, json};
use thiserror::Error;

/// The layer whose fill the classes drive, unless the legend names another tile layer.
pub const CHOROPLETH_LAYER: &str = "communes-fill";
/// The tile layer whose features set the breaks when the legend names none.
pub const DEFAULT_CLASS_LAYER: &str = "communes";
/// Fill of a commune without a value.
pub const NO_DATA_COLOR: &str = "#d9d9d9";
const LEGEND: &str = "medatlas:legend";

#[derive(Debug, Error, PartialEq)]
pub enum StyleError {
    #[error("style: {0}")]
    Malformed(String),
}

/// What a style asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassRequest {
    pub method: ClassMethod,
    /// Attribute whose values set the breaks.
    pub of: String,
    /// Attribute the fill reads.
    pub field: String,
    /// Number of classes: the number of colours.
    pub k: usize,
    /// Only features of at least this population set the breaks (all are drawn with them).
    pub min_population: u32,
    /// The tile layer whose features set the breaks (`communes`, `epci`).
    pub layer: String,
}

impl ClassRequest {
    /// The id of the style layer whose fill the classes drive: `{layer}-fill`.
    pub fn fill_layer(&self) -> String {
        if self.layer == DEFAULT_CLASS_LAYER { CHOROPLETH_LAYER.to_string() } else { format!("{}-fill", self.layer) }
    }
}

/// The classes a style asks for, if any.
pub fn class_request(style: &Value) -> Result<Option<ClassRequest>, StyleError> {
    let legend = &style["metadata"][LEGEND];
    let Some(classes) = legend.get("classes") else { return Ok(None) };
    let bad = |m: &str| StyleError::Malformed(m.to_string());
    let method = classes["method"].as_str().and_then(ClassMethod::parse).ok_or_else(|| bad("classes.method must be quantiles or jenks"))?;
    let field = legend["field"].as_str().ok_or_else(|| bad("a classed legend needs a field"))?.to_string();
    let of = classes["of"].as_str().map_or_else(|| field.clone(), str::to_string);
    let k = legend["colors"].as_array().map_or(0, Vec::len);
    if k < 2 {
        return Err(bad("a classed legend needs at least two colors"));
    }
    let min_population = match &classes["min_population"] {
        Value::Null => 0,
        v => v.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or_else(|| bad("classes.min_population must be a whole number"))?,
    };
    let layer = match &classes["layer"] {
        Value::Null => DEFAULT_CLASS_LAYER.to_string(),
        v => v.as_str().ok_or_else(|| bad("classes.layer must be a tile layer name"))?.to_string(),
    };
    Ok(Some(ClassRequest { method, of, field, k, min_population, layer }))
}

/// `n` of the `colors`, spread from the first to the last (all of them when `n` is their number),
/// so a distribution with fewer distinct values than colours keeps the ramp's ends.
fn spread(colors: &[Value], n: usize) -> Vec<Value> {
    if n <= 1 || colors.len() <= 1 {
        return colors.iter().take(n.max(1)).cloned().collect();
    }
    (0..n).map(|i| colors[(i * (colors.len() - 1) + (n - 1) / 2) / (n - 1)].clone()).collect()
}

/// Sets the fill colour of the style's choropleth layer (`id`).
fn set_fill(style: &mut Value, id: &str, fill: Value) -> Result<(), StyleError> {
    let layer = style["layers"]
        .as_array_mut()
        .and_then(|ls| ls.iter_mut().find(|l| l["id"] == id))
        .ok_or_else(|| StyleError::Malformed(format!("no layer {id}")))?;
    layer["paint"]["fill-color"] = fill;
    Ok(())
}

/// Writes `classes` into the style's legend and choropleth layer. `described` says how they were
/// made, for the legend ("Jenks natural breaks of 1,283 communes").
pub fn apply_classes(style: &mut Value, request: &ClassRequest, classes: &Classes, described: &str) -> Result<(), StyleError> {
    let all_colors = style["metadata"][LEGEND]["colors"].as_array().cloned().unwrap_or_default();
    let colors = spread(&all_colors, classes.lower.len());
    let mut step = vec![json!("step"), json!(["get", request.field]), colors[0].clone()];
    for (t, c) in classes.thresholds().iter().zip(&colors[1..]) {
        step.push(json!(t));
        step.push(c.clone());
    }
    let fill = json!(["case", ["!", ["has", request.field]], NO_DATA_COLOR, Value::Array(step)]);
    set_fill(style, &request.fill_layer(), fill)?;
    let legend = &mut style["metadata"][LEGEND];
    legend["colors"] = Value::Array(colors);
    legend["breaks"] = json!(classes.lower);
    legend["upper"] = json!(classes.upper);
    legend["counts"] = json!(classes.counts);
    legend["breaks_method"] = json!(described);
    Ok(())
}

/// The style when no commune has a value of `request.of` (e.g. near-retirement shares on an
/// atlas without those counts): every commune is drawn as "no data" and the legend says why.
pub fn apply_no_values(style: &mut Value, request: &ClassRequest, described: &str) -> Result<(), StyleError> {
    set_fill(style, &request.fill_layer(), json!(NO_DATA_COLOR))?;
    let legend = &mut style["metadata"][LEGEND];
    legend["colors"] = json!([]);
    legend["breaks"] = json!([]);
    legend["counts"] = json!([]);
    legend["breaks_method"] = json!(format!("none: no commune of this atlas has a value of {} ({described})", request.of));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::classify::classify;

    fn style() -> Value {
        json!({
            "metadata": { LEGEND: {
                "field": "gp_per_10k_in_5y",
                "colors": ["#a", "#b", "#c", "#d", "#e"],
                "classes": { "method": "jenks", "of": "gp_per_10k", "min_population": 1000 }
            }},
            "layers": [
                { "id": "background" },
                { "id": CHOROPLETH_LAYER, "paint": { "fill-opacity": 0.8 } }
            ]
        })
    }

    #[test]
    fn request_reads_method_fields_and_class_count() {
        let r = class_request(&style()).unwrap().unwrap();
        assert_eq!(r, ClassRequest { method: ClassMethod::Jenks, of: "gp_per_10k".into(), field: "gp_per_10k_in_5y".into(), k: 5, min_population: 1000, layer: "communes".into() });
        assert_eq!(r.fill_layer(), CHOROPLETH_LAYER);
        let mut s = style();
        s["metadata"][LEGEND]["classes"]["layer"] = json!("epci");
        assert_eq!(class_request(&s).unwrap().unwrap().fill_layer(), "epci-fill");
        s["metadata"][LEGEND]["classes"]["layer"] = json!(3);
        assert!(class_request(&s).is_err());
        let mut s = style();
        s["metadata"][LEGEND]["classes"]["method"] = json!("equal");
        assert!(class_request(&s).is_err());
        let mut s = style();
        s["metadata"][LEGEND].as_object_mut().unwrap().remove("classes");
        assert_eq!(class_request(&s).unwrap(), None);
    }

    #[test]
    fn the_step_expression_puts_each_value_in_its_class() {
        let values = [0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 30.0, 31.0, 50.0];
        let mut s = style();
        let r = class_request(&s).unwrap().unwrap();
        let classes = classify(&values, r.k, r.method).unwrap();
        apply_classes(&mut s, &r, &classes, "test").unwrap();
        let fill = &s["layers"][1]["paint"]["fill-color"];
        assert_eq!(fill[3][1], json!(["get", "gp_per_10k_in_5y"]));
        // Evaluate the step expression as MapLibre does: the last stop ≤ value wins.
        let step = fill[3].as_array().unwrap();
        let colour_of = |v: f64| {
            let mut c = &step[2];
            for pair in step[3..].chunks(2) {
                if v >= pair[0].as_f64().unwrap() {
                    c = &pair[1];
                }
            }
            c.clone()
        };
        let colors = s["metadata"][LEGEND]["colors"].as_array().unwrap().clone();
        for &v in &values {
            assert_eq!(colour_of(v), colors[classes.class_of(v)], "{v}");
        }
        assert_eq!(s["layers"][1]["paint"]["fill-opacity"], 0.8, "other paint properties are kept");
        let legend = &s["metadata"][LEGEND];
        assert_eq!(legend["breaks"].as_array().unwrap().len(), classes.lower.len());
        assert_eq!(legend["counts"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap()).sum::<u64>(), values.len() as u64);
    }

    #[test]
    fn without_values_every_commune_is_no_data_and_the_legend_says_why() {
        let mut s = style();
        let r = class_request(&s).unwrap().unwrap();
        apply_no_values(&mut s, &r, "communes of at least 1000 inhabitants").unwrap();
        assert_eq!(s["layers"][1]["paint"]["fill-color"], NO_DATA_COLOR);
        let legend = &s["metadata"][LEGEND];
        assert_eq!(legend["breaks"], json!([]));
        assert!(legend["breaks_method"].as_str().unwrap().contains("no commune of this atlas has a value of gp_per_10k"));
    }

    #[test]
    fn fewer_classes_keep_the_ends_of_the_ramp() {
        let colors: Vec<Value> = ["#a", "#b", "#c", "#d", "#e"].iter().map(|c| json!(c)).collect();
        assert_eq!(spread(&colors, 5), colors);
        assert_eq!(spread(&colors, 2), vec![json!("#a"), json!("#e")]);
        assert_eq!(spread(&colors, 3), vec![json!("#a"), json!("#c"), json!("#e")]);
        assert_eq!(spread(&colors, 1), vec![json!("#a")]);
    }
}
