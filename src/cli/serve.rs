//! `medatlas serve`: the scenario store, the reloader (config file or flags, admin token,
//! SIGHUP) and the HTTP server with graceful shutdown.

use super::args::ServeArgs;
use anyhow::{Context, Result};
use medatlas::atlas::{Atlas, LoadConfig};
use medatlas::server::reload::{AtlasLoader, Reloader};
use medatlas::server::scenario_store::ScenarioStore;
use medatlas::server::{AppState, router};
use std::sync::Arc;

pub(crate) fn serve(args: ServeArgs) -> Result<()> {
    // The sources: a config file read again at each reload, or the flags' config kept as it is.
    let loader: AtlasLoader = match &args.config {
        Some(path) => {
            let path = path.clone();
            Arc::new(move || Atlas::load(&LoadConfig::from_toml_file(&path)?, &|_, _| {}))
        }
        None => {
            let config = args.load.config()?;
            Arc::new(move || Atlas::load(&config, &|_, _| {}))
        }
    };
    let started = std::time::Instant::now();
    let atlas = match &args.config {
        Some(path) => Atlas::load(&LoadConfig::from_toml_file(path)?, &|_, _| {}).context("loading the atlas")?,
        None => args.load.load()?,
    };
    let load_seconds = started.elapsed().as_secs_f64();
    let token = match &args.admin_token_file {
        Some(path) => Some(std::fs::read_to_string(path).with_context(|| format!("reading the admin token {}", path.display()))?),
        None => std::env::var("MEDATLAS_ADMIN_TOKEN").ok(),
    };
    let reloader = Reloader::new(loader, token, args.max_reload_loss);
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let store = match &args.scenarios_db {
            Some(url) => ScenarioStore::connect(url).await.context("opening the scenario database")?,
            None => {
                let (store, skipped) = ScenarioStore::open(&args.scenarios_dir)
                    .with_context(|| format!("opening the scenario folder {}", args.scenarios_dir.display()))?;
                for (path, why) in &skipped {
                    eprintln!("scenario file {} skipped: {why}", path.display());
                }
                store
            }
        };
        eprintln!("scenarios kept in {}", store.describe().await);
        let listener = tokio::net::TcpListener::bind(&args.addr).await.with_context(|| format!("binding {}", args.addr))?;
        eprintln!("medatlas serving {} on http://{}/ (try /api/communes/03185)", atlas.meta.name, args.addr);
        let mut state = AppState::with_store(atlas, args.tile_cache_mb * 1024 * 1024, store).with_reloader(reloader);
        state.metrics().set_load_seconds(load_seconds);
        if let Ok(zoom) = u8::try_from(args.prewarm_zoom) {
            state = state.with_prewarm(zoom.min(14));
            let warm = state.clone();
            tokio::spawn(async move {
                let started = std::time::Instant::now();
                let n = medatlas::server::prewarm::prewarm(warm, zoom.min(14)).await;
                eprintln!("{n} tiles of zooms 0–{zoom} rendered ahead in {:.1} s", started.elapsed().as_secs_f64());
            });
        }
        reload_on_sighup(state.clone())?;
        axum::serve(listener, router(state)).with_graceful_shutdown(shutdown_signal()).await?;
        Ok(())
    })
}

/// SIGHUP reloads the atlas (as `POST /admin/reload`, without the token: the signal needs the
/// process's owner).
fn reload_on_sighup(state: AppState) -> Result<()> {
    let mut hangups = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            let Some(reloader) = state.reloader() else { return };
            match reloader.run(&state).await {
                Ok(o) => eprintln!("SIGHUP: atlas reloaded (generation {}, {:.1} s)", o.after.generation, o.load_seconds),
                Err(e) => eprintln!("SIGHUP: {e}"),
            }
        }
    });
    Ok(())
}

/// Ctrl-C or SIGTERM: stop accepting, finish the requests in flight, exit.
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}
