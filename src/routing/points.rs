//! A points file for `travel-times --points`: CSV `code,lon,lat` (header by name; also `insee`
//! or `id`, `lng`/`longitude`/`x`, `latitude`/`y`), WGS84 degrees, one row per point.
//!
//! The points start a long job, so a file with any bad row is refused as a whole, naming every
//! rejected row with its line and reason (empty or repeated code, a code with a comma or quote
//! that would break the matrix CSV, a coordinate that is not a number or out of range).

use super::error::{Result, RoutingError};
use geo::Point;
use std::collections::HashMap;
use std::path::Path;

/// Reads a points file. See the [module documentation](self).
pub fn read_points(path: &Path) -> Result<Vec<(String, Point<f64>)>> {
    let bytes = std::fs::read(path).map_err(|e| RoutingError::io(path, e))?;
    parse_points(&path.display().to_string(), &bytes)
}

/// Parses the bytes of a points file; `name` names the source in errors.
pub fn parse_points(name: &str, bytes: &[u8]) -> Result<Vec<(String, Point<f64>)>> {
    let whole = |problem: String| RoutingError::Points { file: name.into(), problems: vec![problem] };
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(bytes);
    let headers: Vec<String> =
        reader.headers().map_err(|e| whole(format!("header: {e}")))?.iter().map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase()).collect();
    let column = |names: &[&str], what: &str| {
        headers.iter().position(|h| names.contains(&h.as_str())).ok_or_else(|| whole(format!("no {what} column (header: {})", headers.join(","))))
    };
    let (code_col, lon_col, lat_col) =
        (column(&["code", "insee", "id"], "code")?, column(&["lon", "lng", "longitude", "x"], "lon")?, column(&["lat", "latitude", "y"], "lat")?);
    let mut points = Vec::new();
    let mut problems = Vec::new();
    let mut first_line: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or("");
        let code = field(code_col);
        if code.is_empty() {
            problems.push(format!("line {line}: empty code"));
            continue;
        }
        if code.contains([',', '"', '\n', '\r']) {
            problems.push(format!("line {line}: code {code:?} holds a comma, quote or line break"));
            continue;
        }
        let coord = |i: usize, what: &str, limit: f64| match field(i).parse::<f64>() {
            Ok(v) if v.is_finite() && v.abs() <= limit => Ok(v),
            Ok(v) => Err(format!("line {line}: {what} {v} is out of range (±{limit})")),
            Err(_) => Err(format!("line {line}: {what} {:?} is not a number", field(i))),
        };
        let (lon, lat) = match (coord(lon_col, "lon", 180.0), coord(lat_col, "lat", 90.0)) {
            (Ok(lon), Ok(lat)) => (lon, lat),
            (Err(e), _) | (_, Err(e)) => {
                problems.push(e);
                continue;
            }
        };
        if let Some(first) = first_line.get(code) {
            problems.push(format!("line {line}: code {code} already on line {first}"));
            continue;
        }
        first_line.insert(code.to_string(), line);
        points.push((code.to_string(), Point::new(lon, lat)));
    }
    if !problems.is_empty() {
        return Err(RoutingError::Points { file: name.into(), problems });
    }
    if points.is_empty() {
        return Err(whole("no points".into()));
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_points_by_header_name() {
        let got = parse_points("p.csv", b"lat,code,lon\n43.73,A,7.42\n43.74, B ,7.43\n").unwrap();
        assert_eq!(got, vec![("A".to_string(), Point::new(7.42, 43.73)), ("B".to_string(), Point::new(7.43, 43.74))]);
    }

    #[test]
    fn every_bad_row_is_named_with_its_line() {
        let csv = b"code,lon,lat\nA,7.42,43.73\n,7.4,43.7\nB,abc,43.7\nC,7.4,95\nA,7.5,43.8\n\"D,E\",7.4,43.7\n";
        let err = parse_points("p.csv", csv).unwrap_err();
        let RoutingError::Points { file, problems } = &err else { panic!("{err}") };
        assert_eq!(file, "p.csv");
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(problems[0].starts_with("line 3: empty code"), "{problems:?}");
        assert!(problems[1].starts_with("line 4: lon \"abc\""), "{problems:?}");
        assert!(problems[2].starts_with("line 5: lat 95"), "{problems:?}");
        assert!(problems[3].contains("line 6: code A already on line 2"), "{problems:?}");
        assert!(problems[4].starts_with("line 7:"), "{problems:?}");
    }

    #[test]
    fn a_file_without_a_lat_column_is_refused() {
        let err = parse_points("p.csv", b"code,lon\nA,7.4\n").unwrap_err();
        assert!(err.to_string().contains("no lat column"), "{err}");
    }
}
