//! Road travel times from a real routing engine, OSRM: a commune-to-commune matrix of car
//! minutes that `ingest::time_matrix` reads back (`access --matrix`).
//!
//! - [`engine`]: OSRM's executables (unpacked by `scripts/setup-osrm.sh`), preparing an
//!   `.osm.pbf` into a cache keyed by its sha256, running `osrm-routed` on a local port.
//! - [`table`]: the `/table` client (retries, OSRM's errors, snapped locations).
//! - [`matrix`]: the job: candidate pairs by great-circle pre-filter, blocks along a Hilbert
//!   curve, bounded concurrency, a resumable partial file, the CSV and its JSON sidecar.
//! - [`points`]: the `code,lon,lat` points file of `travel-times --points`.
//!
//! This module knows geometry and the spatial index, nothing of the atlas, the analyses, the
//! tiles or the server: the caller passes the points (the atlas's town halls, or a file).

pub mod engine;
pub mod error;
pub mod matrix;
pub mod points;
pub mod table;

pub use engine::{OsrmTools, Prepared, RoutedOptions, RoutedServer};
pub use error::RoutingError;
pub use matrix::{EngineInfo, JobEvent, MatrixJob, MatrixOptions, MatrixSummary, Progress, build_matrix};
pub use points::read_points;
pub use table::{TableClient, TableQuery};

use geo::Point;
use std::path::PathBuf;
use std::time::Duration;

/// Where the travel times come from.
#[derive(Debug, Clone)]
pub enum EngineSource {
    /// An OpenStreetMap extract, prepared (or reused) under `cache_dir` and served by an
    /// `osrm-routed` started for the job.
    Osm {
        /// The `.osm.pbf` file.
        file: PathBuf,
        /// The cache of prepared extracts (e.g. `build/osrm-cache`).
        cache_dir: PathBuf,
    },
    /// An OSRM server already running (its base URL, e.g. `http://127.0.0.1:5000`).
    Url(String),
}

/// Builds a travel-time matrix between `points` with OSRM, from an extract or a running server:
/// the whole `travel-times` command. `point_kind` says what the points are in the sidecar
/// ("town hall" for the atlas's communes). Notes and progress go to `events`.
pub fn travel_times(
    points: &[(String, Point<f64>)],
    point_kind: &str,
    source: &EngineSource,
    out: &std::path::Path,
    options: &MatrixOptions,
    events: &dyn Fn(JobEvent),
) -> Result<MatrixSummary, RoutingError> {
    options.check()?;
    matrix::check_output(out)?;
    match source {
        EngineSource::Url(url) => {
            let engine = EngineInfo { name: "OSRM server".into(), url: Some(url.clone()), profile: "driving (the server's)".into(), ..EngineInfo::default() };
            let job = MatrixJob { points, point_kind, options, engine: &engine, out };
            build_matrix(&job, url, events)
        }
        EngineSource::Osm { file, cache_dir } => {
            let tools = OsrmTools::locate()?;
            let version = tools.version()?;
            events(JobEvent::Note(format!("OSRM {version} in {}; preparing {} (car profile)", tools.dir().display(), file.display())));
            let prepared = tools.prepare(file, cache_dir)?;
            if prepared.reused {
                events(JobEvent::Note(format!("reused the prepared files in {} (prepared {})", prepared.dir.display(), prepared.marker.prepared_utc)));
            } else {
                let m = &prepared.marker;
                events(JobEvent::Note(format!(
                    "prepared into {} (osrm-extract {:.1} s, osrm-contract {:.1} s)",
                    prepared.dir.display(),
                    m.extract_seconds,
                    m.contract_seconds
                )));
            }
            let routed = RoutedOptions { threads: options.concurrency, max_table_size: options.max_table_size, startup_timeout: Duration::from_secs(600) };
            let server = tools.start(&prepared, &routed)?;
            events(JobEvent::Note(format!("osrm-routed {version} listening on {}", server.url())));
            let engine = EngineInfo {
                name: "osrm-routed".into(),
                version: Some(version),
                url: None,
                profile: engine::PROFILE.into(),
                osm_file: file.file_name().map(|n| n.to_string_lossy().into_owned()),
                osm_sha256: Some(prepared.sha256.clone()),
                prepared_utc: Some(prepared.marker.prepared_utc.clone()),
                prepared_reused: Some(prepared.reused),
            };
            let job = MatrixJob { points, point_kind, options, engine: &engine, out };
            let summary = build_matrix(&job, server.url(), events);
            drop(server);
            summary
        }
    }
}

/// The current time in UTC, ISO 8601 to the second (`2026-12-01T22:25:41Z`).
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    utc_from_unix(secs)
}

/// A Unix time in UTC, ISO 8601 (proleptic Gregorian calendar: days to civil date after Howard
/// Hinnant's `civil_from_days`).
fn utc_from_unix(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_times_to_utc_dates() {
        assert_eq!(utc_from_unix(0), "1970-01-01T00:00:00Z");
        // `date -u -d @951782400` → 2000-02-29 (a leap day of a century year).
        assert_eq!(utc_from_unix(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_from_unix(1_798_761_599), "2026-12-31T23:59:59Z");
    }
}
