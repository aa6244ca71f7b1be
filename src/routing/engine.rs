//! OSRM's executables: where they are, preparing an OpenStreetMap extract for routing
//! (`osrm-extract` with the car profile, then `osrm-contract`) into a cache, and running
//! `osrm-routed` on a local port for the length of a job.
//!
//! The executables are not built here: `scripts/setup-osrm.sh` unpacks them, with the Lua
//! profiles, from the pinned `osrm-bindings` wheel into `build/osrm/` (`bin/`, `profiles/`).
//!
//! The cache is keyed by the extract's sha256 (`<cache>/<sha256>/map.osrm*`), so renaming a file
//! does not prepare it again and a changed file never reuses stale data. It is written in a
//! temporary folder beside it and renamed once complete: a folder under its final name is
//! always whole, and its `prepared.json` also names the OSRM version and profile it was made
//! with (a different one prepares again).

use super::error::{Result, RoutingError};
use super::utc_now;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Environment variable naming the folder of OSRM's `bin/` and `profiles/` (default:
/// `build/osrm` in the current folder, else in the crate's folder).
pub const OSRM_DIR_ENV: &str = "MEDATLAS_OSRM_DIR";

/// The routing profile used for every matrix: OSRM's car profile as shipped.
pub const PROFILE: &str = "car.lua";

/// The marker written last into a prepared folder.
const MARKER: &str = "prepared.json";

/// The base name of the prepared files inside a cache folder (`map.osrm.hsgr`, ...).
const BASE_NAME: &str = "map.osrm";

/// The executables a job needs.
const EXECUTABLES: [&str; 3] = ["osrm-extract", "osrm-contract", "osrm-routed"];

/// A folder holding OSRM's executables (`bin/`) and profiles (`profiles/`), checked to be whole.
#[derive(Debug, Clone)]
pub struct OsrmTools {
    dir: PathBuf,
}

impl OsrmTools {
    /// The tools named by `MEDATLAS_OSRM_DIR`, else `build/osrm` under the current folder, else
    /// under the crate's own folder (so tests and `cargo run` find them from anywhere).
    pub fn locate() -> Result<Self> {
        if let Some(dir) = std::env::var_os(OSRM_DIR_ENV).filter(|d| !d.is_empty()) {
            return Self::in_dir(PathBuf::from(dir));
        }
        let here = PathBuf::from("build/osrm");
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("build/osrm");
        if here.join("bin/osrm-routed").is_file() || !crate_dir.join("bin/osrm-routed").is_file() {
            return Self::in_dir(here);
        }
        Self::in_dir(crate_dir)
    }

    /// The tools in `dir`, after checking that each executable and the car profile is there.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Result<Self> {
        let tools = OsrmTools { dir: dir.into() };
        for name in EXECUTABLES {
            let path = tools.executable(name);
            if !path.is_file() {
                return Err(RoutingError::MissingTool { what: format!("executable {name}"), path });
            }
        }
        let profile = tools.profile();
        if !profile.is_file() {
            return Err(RoutingError::MissingTool { what: format!("profile {PROFILE}"), path: profile });
        }
        Ok(tools)
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of one executable, e.g. `osrm-routed`.
    pub fn executable(&self, name: &str) -> PathBuf {
        self.dir.join("bin").join(name)
    }

    /// The car profile.
    pub fn profile(&self) -> PathBuf {
        self.dir.join("profiles").join(PROFILE)
    }

    /// What `osrm-routed --version` prints, e.g. "v26.10.0".
    pub fn version(&self) -> Result<String> {
        let exe = self.executable("osrm-routed");
        let output = Command::new(&exe).arg("--version").output().map_err(|e| tool_error("osrm-routed", &exe, e))?;
        let text = String::from_utf8_lossy(&output.stdout).trim().to_string();
        if !output.status.success() || text.is_empty() {
            return Err(RoutingError::Tool {
                tool: "osrm-routed --version".into(),
                input: exe,
                status: output.status.to_string(),
                log: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            });
        }
        Ok(text)
    }

    /// Prepares `osm` (an `.osm.pbf`) for routing with the car profile under `cache_root`, or
    /// reuses what an earlier run prepared from the same bytes with the same OSRM and profile.
    pub fn prepare(&self, osm: &Path, cache_root: &Path) -> Result<Prepared> {
        let started = Instant::now();
        if !osm.is_file() {
            return Err(RoutingError::io(osm, std::io::Error::new(std::io::ErrorKind::NotFound, "no such file")));
        }
        let sha256 = sha256_file(osm)?;
        let marker = PreparedMarker {
            osm_file: file_name(osm),
            osm_sha256: sha256.clone(),
            osrm_version: self.version()?,
            profile: PROFILE.to_string(),
            profile_sha256: sha256_file(&self.profile())?,
            prepared_utc: String::new(),
            extract_seconds: 0.0,
            contract_seconds: 0.0,
        };
        let dir = cache_root.join(&sha256);
        if let Some(found) = read_marker(&dir)
            && found.same_inputs(&marker)
        {
            return Ok(Prepared { osm: osm.to_path_buf(), sha256, dir: dir.clone(), base: dir.join(BASE_NAME), reused: true, seconds: started.elapsed().as_secs_f64(), marker: found });
        }
        std::fs::create_dir_all(cache_root).map_err(|e| RoutingError::io(cache_root, e))?;
        let tmp = cache_root.join(format!(".tmp-{}-{}-{}", &sha256[..16], std::process::id(), nanos()));
        std::fs::create_dir_all(&tmp).map_err(|e| RoutingError::io(&tmp, e))?;
        let built = self.extract_and_contract(osm, &tmp, marker);
        let marker = match built {
            Ok(m) => m,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(e);
            }
        };
        if dir.exists() {
            // A folder of another OSRM version or profile (or without its marker): replaced.
            let stale = cache_root.join(format!(".stale-{}-{}-{}", &sha256[..16], std::process::id(), nanos()));
            std::fs::rename(&dir, &stale).map_err(|e| RoutingError::io(&dir, e))?;
            let _ = std::fs::remove_dir_all(&stale);
        }
        if let Err(e) = std::fs::rename(&tmp, &dir) {
            let _ = std::fs::remove_dir_all(&tmp);
            // Another job prepared the same file at the same time: its folder is as good.
            if !read_marker(&dir).is_some_and(|m| m.same_inputs(&marker)) {
                return Err(RoutingError::io(&dir, e));
            }
        }
        Ok(Prepared { osm: osm.to_path_buf(), sha256, dir: dir.clone(), base: dir.join(BASE_NAME), reused: false, seconds: started.elapsed().as_secs_f64(), marker })
    }

    fn extract_and_contract(&self, osm: &Path, tmp: &Path, mut marker: PreparedMarker) -> Result<PreparedMarker> {
        let base = tmp.join(BASE_NAME);
        let t = Instant::now();
        let mut extract = Command::new(self.executable("osrm-extract"));
        ends_with_this_thread(&mut extract);
        extract.arg("-p").arg(self.profile()).arg("-o").arg(&base).arg(osm);
        run_logged("osrm-extract", extract, osm, &tmp.join("extract.log"))?;
        marker.extract_seconds = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mut contract = Command::new(self.executable("osrm-contract"));
        ends_with_this_thread(&mut contract);
        contract.arg(&base);
        run_logged("osrm-contract", contract, osm, &tmp.join("contract.log"))?;
        marker.contract_seconds = t.elapsed().as_secs_f64();
        marker.prepared_utc = utc_now();
        let json = serde_json::to_string_pretty(&marker).map_err(|e| RoutingError::Options(e.to_string()))?;
        let path = tmp.join(MARKER);
        std::fs::write(&path, json).map_err(|e| RoutingError::io(&path, e))?;
        Ok(marker)
    }

    /// Starts `osrm-routed` on the prepared files, listening on 127.0.0.1 on a free port, and
    /// waits until it answers HTTP. It is stopped when the returned value is dropped.
    pub fn start(&self, prepared: &Prepared, options: &RoutedOptions) -> Result<RoutedServer> {
        let mut last = None;
        // The port is found free, then given to osrm-routed: another process may take it in
        // between, so a start that fails for its address is tried again on another port.
        for _ in 0..3 {
            match self.start_once(prepared, options) {
                Ok(server) => return Ok(server),
                Err((e, address_in_use)) => {
                    if !address_in_use {
                        return Err(e);
                    }
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or_else(|| RoutingError::EngineStart { url: String::new(), detail: "no attempt".into() }))
    }

    fn start_once(&self, prepared: &Prepared, options: &RoutedOptions) -> std::result::Result<RoutedServer, (RoutingError, bool)> {
        let port = free_port().map_err(|e| (RoutingError::io("127.0.0.1:0", e), false))?;
        let url = format!("http://127.0.0.1:{port}");
        let exe = self.executable("osrm-routed");
        let mut cmd = Command::new(&exe);
        ends_with_this_thread(&mut cmd);
        cmd.args(["-i", "127.0.0.1", "-p", &port.to_string()])
            .args(["-t", &options.threads.max(1).to_string()])
            .args(["--max-table-size", &options.max_table_size.to_string()])
            // Request lines are logged at INFO: a national job makes thousands.
            .args(["-l", "WARNING"])
            .arg(&prepared.base)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| (tool_error("osrm-routed", &prepared.base, e), false))?;
        let log = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(out) = child.stdout.take() {
            collect_lines(out, Arc::clone(&log));
        }
        if let Some(err) = child.stderr.take() {
            collect_lines(err, Arc::clone(&log));
        }
        let mut server = RoutedServer { child, url, port, log };
        let deadline = Instant::now() + options.startup_timeout;
        let probe = probe_agent();
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                // Let the log readers catch the last lines.
                std::thread::sleep(Duration::from_millis(50));
                let tail = server.log_tail();
                let in_use = tail.contains("in use") || tail.contains("bind");
                let e = RoutingError::EngineStart { url: server.url.clone(), detail: format!("it exited ({status}): {tail}") };
                return Err((e, in_use));
            }
            // Any HTTP answer (even a 400 for this empty query) means it has loaded the data.
            if probe.get(&format!("{}/nearest/v1/driving/0,0", server.url)).call().is_ok() {
                return Ok(server);
            }
            if Instant::now() > deadline {
                let detail = format!("no HTTP answer within {} s; log: {}", options.startup_timeout.as_secs(), server.log_tail());
                return Err((RoutingError::EngineStart { url: server.url.clone(), detail }, false));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Options of the `osrm-routed` a job starts.
#[derive(Debug, Clone)]
pub struct RoutedOptions {
    /// Its worker threads (`-t`).
    pub threads: usize,
    /// Its `--max-table-size`: sources and destinations per `/table` request (OSRM checks
    /// sources × destinations ≤ its square).
    pub max_table_size: usize,
    /// How long to wait for it to answer (loading a national graph takes a while).
    pub startup_timeout: Duration,
}

impl Default for RoutedOptions {
    fn default() -> Self {
        RoutedOptions { threads: 2, max_table_size: 100, startup_timeout: Duration::from_secs(600) }
    }
}

/// An extract prepared for routing.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The extract it was prepared from.
    pub osm: PathBuf,
    /// The extract's sha256 (hex): the cache key.
    pub sha256: String,
    /// The cache folder.
    pub dir: PathBuf,
    /// The base path of the prepared files, what `osrm-routed` is given (`<dir>/map.osrm`).
    pub base: PathBuf,
    /// True when an earlier run's folder was reused (nothing was extracted or contracted).
    pub reused: bool,
    /// Time spent here (hashing, and extracting and contracting unless reused), seconds.
    pub seconds: f64,
    /// What the folder's `prepared.json` says.
    pub marker: PreparedMarker,
}

/// The content of a prepared folder's `prepared.json`, written last.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PreparedMarker {
    /// The extract's file name when it was prepared.
    pub osm_file: String,
    /// The extract's sha256.
    pub osm_sha256: String,
    /// `osrm-routed --version`.
    pub osrm_version: String,
    /// The profile's file name.
    pub profile: String,
    /// The profile's sha256.
    pub profile_sha256: String,
    /// When it was prepared (UTC, ISO 8601).
    pub prepared_utc: String,
    /// Time of `osrm-extract`, seconds.
    pub extract_seconds: f64,
    /// Time of `osrm-contract`, seconds.
    pub contract_seconds: f64,
}

impl PreparedMarker {
    fn same_inputs(&self, other: &PreparedMarker) -> bool {
        self.osm_sha256 == other.osm_sha256 && self.osrm_version == other.osrm_version && self.profile_sha256 == other.profile_sha256
    }
}

fn read_marker(dir: &Path) -> Option<PreparedMarker> {
    let text = std::fs::read_to_string(dir.join(MARKER)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Has the kernel send SIGTERM to the process `cmd` starts when the thread starting it ends,
/// however it ends: `travel-times` killed by a signal, even SIGKILL, runs no `Drop` and would
/// otherwise leave `osrm-routed` (or an hour-long `osrm-extract`) running. The thread that
/// starts an engine process keeps it for its whole use ([`super::travel_times`] runs on one
/// thread and drops the server before it returns), so this never stops one too early.
fn ends_with_this_thread(cmd: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        let parent = std::process::id();
        // SAFETY: between fork and exec the closure only calls prctl(2), getppid(2) and _exit(2),
        // which are async-signal-safe, and allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                // The parent may have died before prctl: then no signal would ever come.
                if libc::getppid() as u32 != parent {
                    libc::_exit(1);
                }
                Ok(())
            });
        }
    }
}

/// A running `osrm-routed`, killed when dropped.
#[derive(Debug)]
pub struct RoutedServer {
    child: Child,
    url: String,
    port: u16,
    log: Arc<Mutex<VecDeque<String>>>,
}

impl RoutedServer {
    /// Its base URL, `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The last lines it logged (warnings and errors).
    pub fn log_tail(&self) -> String {
        let log = self.log.lock().map(|l| l.iter().cloned().collect::<Vec<_>>()).unwrap_or_default();
        log.join(" | ")
    }
}

impl Drop for RoutedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Keeps the last lines of a child's output (its log) for error messages.
fn collect_lines(stream: impl Read + Send + 'static, log: Arc<Mutex<VecDeque<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Ok(mut log) = log.lock() {
                if log.len() == 20 {
                    log.pop_front();
                }
                log.push_back(line);
            }
        }
    });
}

/// A client for the start-up probe: short timeouts, no proxy (the engine is local).
fn probe_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(2)))
        .proxy(None)
        .build()
        .into()
}

/// A port free on 127.0.0.1 now.
fn free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}

/// Runs an OSRM executable with its output in `log_path`; on failure, the error names the
/// tool, its input and the log's error lines.
fn run_logged(tool: &str, mut cmd: Command, input: &Path, log_path: &Path) -> Result<()> {
    let log = std::fs::File::create(log_path).map_err(|e| RoutingError::io(log_path, e))?;
    let log_err = log.try_clone().map_err(|e| RoutingError::io(log_path, e))?;
    let status = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log_err))
        .status()
        .map_err(|e| tool_error(tool, input, e))?;
    if status.success() {
        return Ok(());
    }
    let text = std::fs::read_to_string(log_path).unwrap_or_default();
    Err(RoutingError::Tool { tool: tool.into(), input: input.to_path_buf(), status: status.to_string(), log: log_summary(&text) })
}

/// The lines of an OSRM log that say what went wrong: its `[error]` lines and the C++
/// exception it aborted on (`what(): ...`), else its last lines.
fn log_summary(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let errors: Vec<&str> =
        lines.iter().copied().filter(|l| l.contains("[error]") || l.contains("what():") || l.contains("terminate called")).collect();
    let chosen = if errors.is_empty() { &lines[lines.len().saturating_sub(3)..] } else { &errors[..] };
    chosen.join(" | ")
}

fn tool_error(tool: &str, input: &Path, e: std::io::Error) -> RoutingError {
    RoutingError::Tool { tool: tool.into(), input: input.to_path_buf(), status: format!("could not be started: {e}"), log: String::new() }
}

/// The sha256 of a file, hex, read in 1 MiB pieces (a national extract is several GB).
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(|e| RoutingError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| RoutingError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string())
}

fn nanos() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_summary_keeps_the_error_lines() {
        let log = "[info] Parsing in progress ...\nterminate called after throwing an instance of 'osmium::pbf_error'\n  what():  PBF error: invalid BlobHeader size\n";
        let s = log_summary(log);
        assert!(s.contains("PBF error") && !s.contains("Parsing"), "{s}");
        assert_eq!(log_summary("a\nb\nc\nd\n"), "b | c | d");
    }

    #[test]
    fn an_empty_folder_is_missing_its_executables() {
        let dir = tempfile::tempdir().unwrap();
        let err = OsrmTools::in_dir(dir.path()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("osrm-extract") && text.contains("setup-osrm.sh"), "{text}");
    }

    #[test]
    fn sha256_of_a_known_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc.txt");
        std::fs::write(&path, "abc").unwrap();
        // FIPS 180-2's example for "abc".
        assert_eq!(sha256_file(&path).unwrap(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
