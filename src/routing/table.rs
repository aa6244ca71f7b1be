//! The client of OSRM's `/table` service: one request gives the driving durations (s) and
//! distances (m) from a set of sources to a set of destinations, and where each was snapped.
//!
//! `GET {base}/table/v1/driving/{lon,lat;...}?annotations=duration,distance&sources=..&destinations=..`
//! answers `{"code":"Ok","durations":[[..]],"distances":[[..]],"sources":[..],"destinations":[..]}`;
//! a pair OSRM cannot route is `null`. Each waypoint has the snapped `location` and the snap
//! `distance` (m). An OSRM error is a 4xx whose body has a `code` and a `message`.
//!
//! Connection errors and 5xx answers are retried with exponential back-off; an OSRM error,
//! a malformed answer or one of the wrong size is not (asking again would give the same).

use super::error::{Result, RoutingError};
use geo::Point;
use serde::Deserialize;
use std::ops::Range;
use std::time::Duration;

/// Largest answer read (a 100 × 100 table with distances is about 200 KB).
const MAX_BODY: u64 = 256 << 20;

/// Longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// One `/table` request: `coordinates[sources]` to `coordinates[destinations]`.
#[derive(Debug, Clone)]
pub struct TableQuery<'a> {
    /// What the request is, for error messages (e.g. "batch 12 (block 3 → block 5)").
    pub name: &'a str,
    /// Every location of the request.
    pub coordinates: &'a [Point<f64>],
    /// Which of them are sources.
    pub sources: Range<usize>,
    /// Which of them are destinations.
    pub destinations: Range<usize>,
}

/// Where OSRM snapped a location.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    /// The snapped location, lon/lat.
    pub location: [f64; 2],
    /// How far from the given location, metres.
    pub distance_m: f64,
}

/// A `/table` answer, checked to be of the request's size.
#[derive(Debug, Clone)]
pub struct TableAnswer {
    /// Durations in seconds, row-major (source, destination); `None` where OSRM found no route.
    pub durations: Vec<Option<f64>>,
    /// Distances in metres, same layout.
    pub distances: Vec<Option<f64>>,
    /// Number of destinations (the row length).
    pub columns: usize,
    /// Each source's snap.
    pub sources: Vec<Snap>,
    /// Each destination's snap.
    pub destinations: Vec<Snap>,
    /// How many attempts failed before this answer.
    pub retries: u32,
}

impl TableAnswer {
    /// Duration (s) from the `s`-th source to the `d`-th destination.
    pub fn duration(&self, s: usize, d: usize) -> Option<f64> {
        self.durations[s * self.columns + d]
    }

    /// Distance (m) from the `s`-th source to the `d`-th destination.
    pub fn distance(&self, s: usize, d: usize) -> Option<f64> {
        self.distances[s * self.columns + d]
    }
}

/// A blocking HTTP client of one OSRM server, shared by the job's threads.
#[derive(Debug, Clone)]
pub struct TableClient {
    agent: ureq::Agent,
    base_url: String,
    retries: u32,
    backoff: Duration,
}

impl TableClient {
    /// A client of the OSRM server at `base_url` (e.g. `http://127.0.0.1:5000`). A request is
    /// tried `1 + retries` times at most, waiting `backoff`, then twice as long, and so on.
    pub fn new(base_url: &str, retries: u32, backoff: Duration, timeout: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            // OSRM's errors are 4xx with a JSON body to read, not transport errors.
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            // The engine is on this machine or named by the user: never through a proxy.
            .proxy(None)
            .build()
            .into();
        TableClient { agent, base_url: base_url.trim_end_matches('/').to_string(), retries, backoff }
    }

    /// The server's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The request's URL (driving profile, durations and distances).
    pub fn url(&self, q: &TableQuery) -> String {
        let coords: Vec<String> = q.coordinates.iter().map(|p| format!("{:.6},{:.6}", p.x(), p.y())).collect();
        let list = |r: &Range<usize>| r.clone().map(|i| i.to_string()).collect::<Vec<_>>().join(";");
        format!(
            "{}/table/v1/driving/{}?annotations=duration,distance&sources={}&destinations={}",
            self.base_url,
            coords.join(";"),
            list(&q.sources),
            list(&q.destinations)
        )
    }

    /// Sends the request, retrying connection errors and 5xx answers, and checks the answer.
    pub fn table(&self, q: &TableQuery) -> Result<TableAnswer> {
        let url = self.url(q);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let failure = match self.agent.get(&url).call() {
                Ok(mut response) => {
                    let status = response.status().as_u16();
                    match response.body_mut().with_config().limit(MAX_BODY).read_to_string() {
                        Ok(body) if status < 400 => {
                            let mut answer = parse_answer(q.name, &body, q.sources.len(), q.destinations.len())?;
                            answer.retries = attempt - 1;
                            return Ok(answer);
                        }
                        Ok(body) if status >= 500 || status == 429 => {
                            RoutingError::Http { request: q.name.into(), status, attempts: attempt, body: body_start(&body) }
                        }
                        Ok(body) => return Err(client_error(q.name, status, &body)),
                        // Cut off while reading the body: as a connection error.
                        Err(e) => connection_error(q.name, &self.base_url, attempt, e),
                    }
                }
                Err(e) => connection_error(q.name, &self.base_url, attempt, e),
            };
            if attempt > self.retries {
                return Err(failure);
            }
            let wait = self.backoff.saturating_mul(1u32 << (attempt - 1).min(16)).min(MAX_BACKOFF);
            std::thread::sleep(wait);
        }
    }
}

fn connection_error(request: &str, url: &str, attempts: u32, e: ureq::Error) -> RoutingError {
    RoutingError::Connection { request: request.into(), url: url.into(), attempts, detail: e.to_string() }
}

/// A 4xx: OSRM's own error when the body is its JSON, else the status and body.
fn client_error(request: &str, status: u16, body: &str) -> RoutingError {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(body)
        && let Some(code) = v.get("code").and_then(|c| c.as_str())
    {
        let message = v.get("message").and_then(|m| m.as_str()).unwrap_or("").to_string();
        return RoutingError::Osrm { request: request.into(), code: code.into(), message };
    }
    RoutingError::Http { request: request.into(), status, attempts: 1, body: body_start(body) }
}

fn body_start(body: &str) -> String {
    let mut s: String = body.chars().take(300).collect();
    if s.len() < body.len() {
        s.push('…');
    }
    s
}

#[derive(Deserialize)]
struct RawAnswer {
    durations: Option<Vec<Vec<Option<f64>>>>,
    distances: Option<Vec<Vec<Option<f64>>>>,
    sources: Option<Vec<RawWaypoint>>,
    destinations: Option<Vec<RawWaypoint>>,
}

#[derive(Deserialize)]
struct RawWaypoint {
    location: [f64; 2],
    distance: f64,
}

/// Checks and reads a `/table` answer of `n_sources` × `n_destinations`.
pub fn parse_answer(request: &str, body: &str, n_sources: usize, n_destinations: usize) -> Result<TableAnswer> {
    let malformed = |detail: String| RoutingError::Malformed { request: request.into(), detail };
    let value: serde_json::Value = serde_json::from_str(body).map_err(|e| malformed(format!("not JSON ({e}): {}", body_start(body))))?;
    let code = value.get("code").and_then(|c| c.as_str()).ok_or_else(|| malformed(format!("no \"code\": {}", body_start(body))))?;
    if code != "Ok" {
        let message = value.get("message").and_then(|m| m.as_str()).unwrap_or("").to_string();
        return Err(RoutingError::Osrm { request: request.into(), code: code.into(), message });
    }
    let raw: RawAnswer = serde_json::from_value(value).map_err(|e| malformed(e.to_string()))?;
    let grid = |name: &str, rows: Option<Vec<Vec<Option<f64>>>>| -> Result<Vec<Option<f64>>> {
        let rows = rows.ok_or_else(|| malformed(format!("no \"{name}\"")))?;
        if rows.len() != n_sources {
            return Err(malformed(format!("{} rows of {name} for {n_sources} sources", rows.len())));
        }
        let mut flat = Vec::with_capacity(n_sources * n_destinations);
        for (i, row) in rows.into_iter().enumerate() {
            if row.len() != n_destinations {
                return Err(malformed(format!("row {i} of {name} has {} values for {n_destinations} destinations", row.len())));
            }
            if let Some(bad) = row.iter().flatten().find(|v| !(v.is_finite() && **v >= 0.0)) {
                return Err(malformed(format!("row {i} of {name} holds {bad}")));
            }
            flat.extend(row);
        }
        Ok(flat)
    };
    let waypoints = |name: &str, list: Option<Vec<RawWaypoint>>, n: usize| -> Result<Vec<Snap>> {
        let list = list.ok_or_else(|| malformed(format!("no \"{name}\"")))?;
        if list.len() != n {
            return Err(malformed(format!("{} {name} for {n} asked", list.len())));
        }
        Ok(list.into_iter().map(|w| Snap { location: w.location, distance_m: w.distance }).collect())
    };
    Ok(TableAnswer {
        durations: grid("durations", raw.durations)?,
        distances: grid("distances", raw.distances)?,
        columns: n_destinations,
        sources: waypoints("sources", raw.sources, n_sources)?,
        destinations: waypoints("destinations", raw.destinations, n_destinations)?,
        retries: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"{"code":"Ok","durations":[[0,58.2],[131.4,null]],"distances":[[0,441.9],[1561.5,null]],
        "sources":[{"hint":"x","location":[7.4245,43.7383],"name":"","distance":13.1},{"location":[7.4198,43.7314],"distance":39.8}],
        "destinations":[{"location":[7.4245,43.7383],"distance":13.1},{"location":[7.4869,43.7506],"distance":60179.6}]}"#;

    #[test]
    fn reads_durations_distances_nulls_and_snaps() {
        let a = parse_answer("t", OK, 2, 2).unwrap();
        assert_eq!(a.duration(0, 1), Some(58.2));
        assert_eq!(a.duration(1, 0), Some(131.4));
        assert_eq!(a.duration(1, 1), None);
        assert_eq!(a.distance(1, 0), Some(1561.5));
        assert_eq!(a.sources[1], Snap { location: [7.4198, 43.7314], distance_m: 39.8 });
        assert_eq!(a.destinations[1].distance_m, 60179.6);
    }

    #[test]
    fn an_answer_of_the_wrong_size_is_malformed() {
        let err = parse_answer("batch 7", OK, 3, 2).unwrap_err();
        assert!(matches!(err, RoutingError::Malformed { .. }) && err.to_string().contains("batch 7"), "{err}");
        let err = parse_answer("t", OK, 2, 3).unwrap_err();
        assert!(err.to_string().contains("row 0 of durations has 2 values for 3"), "{err}");
    }

    #[test]
    fn an_osrm_error_carries_its_code_and_message() {
        let err = parse_answer("t", r#"{"code":"TooBig","message":"Too many table coordinates"}"#, 1, 1).unwrap_err();
        assert_eq!(err.to_string(), "request t: OSRM answered TooBig: Too many table coordinates");
        let err = client_error("t", 400, r#"{"message":"Number of coordinates needs to be at least two.","code":"InvalidOptions"}"#);
        assert!(matches!(err, RoutingError::Osrm { ref code, .. } if code == "InvalidOptions"), "{err}");
        let err = client_error("t", 404, "<html>not found</html>");
        assert!(matches!(err, RoutingError::Http { status: 404, .. }), "{err}");
    }

    #[test]
    fn not_json_or_negative_values_are_malformed() {
        assert!(matches!(parse_answer("t", "{\"code\":\"Ok\",", 1, 1), Err(RoutingError::Malformed { .. })));
        let body = r#"{"code":"Ok","durations":[[-1]],"distances":[[0]],"sources":[{"location":[0,0],"distance":0}],"destinations":[{"location":[0,0],"distance":0}]}"#;
        assert!(matches!(parse_answer("t", body, 1, 1), Err(RoutingError::Malformed { .. })));
    }

    #[test]
    fn the_url_lists_sources_and_destinations() {
        let client = TableClient::new("http://127.0.0.1:5000/", 0, Duration::ZERO, Duration::from_secs(1));
        let pts = [Point::new(7.42, 43.73), Point::new(7.43, 43.74), Point::new(7.41, 43.72)];
        let q = TableQuery { name: "t", coordinates: &pts, sources: 0..1, destinations: 1..3 };
        assert_eq!(
            client.url(&q),
            "http://127.0.0.1:5000/table/v1/driving/7.420000,43.730000;7.430000,43.740000;7.410000,43.720000?annotations=duration,distance&sources=0&destinations=1;2"
        );
    }
}
