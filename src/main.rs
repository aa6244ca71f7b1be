//! The `medatlas` command line: parses arguments, calls the library, prints.

use anyhow::{Context, Result, bail};
use clap::{Parser, ValueEnum};
use cli::args::*;
use cli::report;
use std::path::PathBuf;
use std::time::Instant;

mod cli;

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "medatlas=info".into()))
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Import { load, report } => import(&load, report),
        Command::Info { load } => report::info(&load.load()?),
        Command::Commune { code, load } => {
            let atlas = load.load()?;
            let Some(view) = atlas.commune_view(code.trim()) else {
                bail!("no commune {code:?} in this atlas ({})", atlas.meta.name);
            };
            println!("{}", serde_json::to_string_pretty(&view)?);
            Ok(())
        }
        Command::Locate { lon, lat, load } => {
            let atlas = load.load()?;
            match atlas.locate(lon, lat) {
                Some(c) => println!("{} {}", c.code, c.name),
                None => bail!("no commune of this atlas contains lon {lon}, lat {lat}"),
            }
            Ok(())
        }
        Command::Nearest(args) => nearest(args),
        Command::Suggest(args) => cli::suggest::suggest(args),
        Command::Projection(args) => cli::projection::run(args),
        Command::Serve(args) => cli::serve::serve(args),
        Command::Access(args) => access(args),
        Command::TravelTimes(args) => travel_times(args),
        Command::Tiles { command } => tiles(command),
        Command::Matrix { command: MatrixCommand::FromWide { input, unit, out, check_codes, load } } => {
            use medatlas::ingest::wide_matrix::{read_wide_matrix, write_time_rows_file};
            let atlas = if check_codes { Some(load.load()?) } else { None };
            let imported = read_wide_matrix(&input, unit.into(), atlas.as_ref().map(|a| a.registry()), load.remap_merged)?;
            eprintln!("{}", imported.report.summary());
            if imported.records.is_empty() {
                bail!("no usable cell in {}: nothing written", input.display());
            }
            write_time_rows_file(&out, &imported.records)?;
            eprintln!("{} rows written to {}", imported.records.len(), out.display());
            Ok(())
        }
    }
}

fn travel_times(args: TravelTimesArgs) -> Result<()> {
    use medatlas::routing::{self, EngineSource, JobEvent, MatrixOptions};
    let (points, kind) = match &args.points {
        Some(path) => (routing::read_points(path)?, format!("points of {}", path.display())),
        None => {
            let atlas = args.load.load()?;
            (atlas.communes().iter().map(|c| (c.code.clone(), c.repr_point)).collect(), "town hall".to_string())
        }
    };
    let source = match (args.osm, args.osrm_url) {
        (Some(file), _) => EngineSource::Osm { file, cache_dir: args.osrm_cache },
        (None, Some(url)) => EngineSource::Url(url),
        (None, None) => bail!("give --osm FILE.osm.pbf or --osrm-url URL"),
    };
    let options = MatrixOptions { max_minutes: args.max_minutes, concurrency: args.concurrency, max_table_size: args.max_table_size, ..MatrixOptions::default() };
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("requests [{bar:40}] {pos}/{len} ({per_sec}, eta {eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let events = |e: JobEvent| match e {
        JobEvent::Note(note) => bar.suspend(|| eprintln!("{note}")),
        JobEvent::Progress(p) => {
            bar.set_length(p.total);
            bar.set_position(p.done);
        }
    };
    let s = routing::travel_times(&points, &kind, &source, &args.out, &options, &events)?;
    bar.finish_and_clear();
    eprintln!(
        "{} pairs within {} min written to {} ({} candidate pairs: {} beyond, {} unreachable); sidecar {}",
        s.pairs_within_max_minutes, args.max_minutes, s.out.display(), s.candidate_pairs, s.pairs_beyond_max_minutes, s.unreachable_pairs, s.sidecar.display()
    );
    eprintln!(
        "{} requests ({} this run), {} retries, {:.1} s: {:.0} candidate pairs/s",
        s.requests, s.requests_this_run, s.retries, s.seconds, s.candidate_pairs as f64 / s.seconds.max(1e-9)
    );
    for far in &s.snapped_far {
        eprintln!("  {} snapped {:.1} km away, to {:.5},{:.5}", far.code, far.distance_m / 1000.0, far.snapped[0], far.snapped[1]);
    }
    if !s.unroutable.is_empty() {
        eprintln!("  {} points could not be routed at all: {}", s.unroutable.len(), s.unroutable.join(", "));
    }
    Ok(())
}

fn import(load: &LoadArgs, report: Option<PathBuf>) -> Result<()> {
    let started = Instant::now();
    let atlas = load.load()?;
    for r in atlas.reports() {
        eprintln!("{}", r.summary());
    }
    report::info(&atlas)?;
    eprintln!("loaded in {:.2} s", started.elapsed().as_secs_f64());
    if let Some(path) = report {
        medatlas::tiles::properties::write_json_file(&path, atlas.reports())?;
        eprintln!("report written to {}", path.display());
    }
    Ok(())
}

fn nearest(args: NearestArgs) -> Result<()> {
    use medatlas::analysis::nearest::{self, OriginKind};
    // Checked before loading the atlas, which takes a while: a mistake in the command.
    nearest::check_k(args.k)?;
    let atlas = args.load.load()?;
    let found = match (&args.code, args.lon, args.lat) {
        (Some(code), _, _) => {
            let idx = atlas.resolve_commune(code)?;
            let c = &atlas.communes()[idx];
            eprintln!("from {} {} ({})", c.code, c.name, OriginKind::of(c).as_str().replace('_', " "));
            nearest::nearest_msp_from_commune(&atlas, idx, args.k)?
        }
        (None, Some(lon), Some(lat)) => {
            let p = geo::Point::new(lon, lat);
            let commune = nearest::check_on_territory(&atlas, p)?;
            let within = commune.map(|c| format!(" in {} {}", c.code, c.name)).unwrap_or_default();
            eprintln!("from lon {lon}, lat {lat}{within}");
            nearest::nearest_msp(&atlas, p, args.k)?
        }
        _ => bail!("give a commune code or both --lon and --lat"),
    };
    eprintln!("travel times {}", atlas.travel_times().describe());
    if found.is_empty() {
        eprintln!("this atlas ({}) holds no MSP site", atlas.meta.name);
    }
    report::nearest_sites(&atlas, &found);
    Ok(())
}

fn tiles(command: TilesCommand) -> Result<()> {
    use medatlas::tiles::{LayerId, TileSet, export};
    match command {
        TilesCommand::Export { out, minzoom, maxzoom, layers, format, stats, load } => {
            if minzoom > maxzoom || maxzoom > medatlas::tiles::MAX_ZOOM {
                bail!("zooms must satisfy minzoom <= maxzoom <= {}", medatlas::tiles::MAX_ZOOM);
            }
            let mut ids: Vec<LayerId> = Vec::new();
            for layer in layers.into_iter().map(LayerId::from) {
                if ids.contains(&layer) {
                    bail!("layer {:?} is listed twice", layer.name());
                }
                ids.push(layer);
            }
            let layers = if ids.is_empty() { LayerId::ALL.to_vec() } else { ids };
            let options = export::ExportOptions { minzoom, maxzoom, layers, format: format.into() };
            let atlas = load.load()?;
            let started = Instant::now();
            let tileset = TileSet::build(&atlas);
            eprintln!("tile set prepared in {:.2} s", started.elapsed().as_secs_f64());
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("tiles [{bar:40}] {pos}/{len} ({per_sec}, {elapsed}, eta {eta})")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let progress = |done: u64, total: u64| {
                bar.set_length(total);
                bar.set_position(done);
            };
            let summary = export::export(&atlas, &tileset, &options, &out, &progress)?;
            bar.finish_and_clear();
            eprintln!("{} tiles, {} bytes written to {} in {:.1} s", summary.tiles, summary.bytes, out.display(), summary.seconds);
            for z in &summary.zooms {
                eprintln!("  z{:<2} {:>7} tiles  p50 {:>7} B  p99 {:>7} B  max {:>7} B ({})", z.z, z.tiles, z.p50_bytes, z.p99_bytes, z.max_bytes, z.max_tile);
            }
            if let Some(path) = stats {
                medatlas::tiles::properties::write_json_file(&path, &summary)?;
            }
            Ok(())
        }
        TilesCommand::Static(args) => cli::static_site::run(args),
        TilesCommand::Geojson { layer, out, load } => {
            let atlas = load.load()?;
            let n = medatlas::tiles::geojson_export::write_layer_file(&atlas, layer.into(), &out)?;
            eprintln!("{n} features written to {}", out.display());
            Ok(())
        }
    }
}

fn access_params(args: &AccessArgs, method: medatlas::analysis::methods::Method) -> Result<medatlas::analysis::methods::MethodParams> {
    use medatlas::analysis::access::Decay;
    use medatlas::analysis::methods::{Method, MethodParams};
    let mut params = MethodParams { max_minutes: args.max_minutes, ..MethodParams::default() };
    if !(args.max_minutes.is_finite() && args.max_minutes >= 0.0) {
        bail!("--max-minutes must be ≥ 0, got {}", args.max_minutes);
    }
    params.apl.default_activity = args.default_activity;
    params.alpha = args.alpha_for(method)?;
    params.apl.gp_field = medatlas::analysis::apl::GpField::parse(&args.gp_field).context("--gp-field: drees or all")?;
    if let Some(steps) = &args.steps {
        params.decay = Some(Decay::parse_steps(steps).context("--steps")?);
    }
    if method == Method::Gravity && (args.gravity_alpha.is_some() || args.gravity_min_minutes.is_some()) {
        let Decay::Gravity { scale, alpha, min_cost } = params.decay_for(Method::Gravity) else { unreachable!() };
        params.decay =
            Some(Decay::gravity(scale, args.gravity_alpha.unwrap_or(alpha), args.gravity_min_minutes.unwrap_or(min_cost))?);
    }
    Ok(params)
}

fn access(args: AccessArgs) -> Result<()> {
    use medatlas::analysis::methods::{self, Method};
    use medatlas::tiles::properties::{self, TableFormat};
    let method = Method::from(args.method);
    // Checked before loading the atlas, which takes a while: these are mistakes in the command.
    if args.under_65 && args.gps.is_none() {
        bail!("--under-65 needs --gps: the atlas's GP head counts have no age");
    }
    if method != Method::Apl && (args.ages.is_some() || args.gps.is_some() || args.under_65) {
        bail!("--ages, --gps and --under-65 only apply to --method apl, not {}", method.name());
    }
    if let Some(out) = &args.out
        && TableFormat::of_path(out).is_none()
    {
        bail!("--out must end in .csv or .geojson, got {}", out.display());
    }
    let mut params = access_params(&args, method)?;
    let atlas = args.load.load()?;
    if method == Method::Apl {
        params.apl_inputs = apl_inputs(&args, &atlas)?;
    }
    if let Some(report) = atlas.reports().iter().find(|r| r.format == "time-matrix") {
        report::print_import_report(report);
    }
    let travel = atlas.travel_times();
    let mut times = Vec::new();
    let mut result = None;
    for _ in 0..args.repeat.max(1) {
        let started = Instant::now();
        result = Some(methods::run(&atlas, method, travel, &params)?);
        times.push(started.elapsed().as_secs_f64());
    }
    let result = result.context("no run")?;
    times.sort_by(f64::total_cmp);
    eprintln!("{} over {} communes, {} supply locations, {} pairs within {} min", method.name(), atlas.communes().len(), result.supply_locations, result.pairs, result.max_minutes);
    eprintln!("travel times: {}", result.travel);
    eprintln!("supply: {}", result.supply);
    eprintln!("computed in {:.1} ms (fastest of {}), median {:.1} ms", times[0] * 1e3, times.len(), times[times.len() / 2] * 1e3);
    let access = medatlas::analysis::CommuneAccess { apl: result.values.clone(), missing: result.missing.clone(), weight: result.weight.clone(), travel: result.travel.clone(), supply: result.supply.clone() };
    if let Some((mean, under)) = medatlas::analysis::apl::weighted_summary(&access, 2.5) {
        eprintln!("population-weighted mean {mean:.3} {}", result.unit);
        if method == Method::Apl {
            eprintln!("share of (standardised) population under 2.5: {:.1} %", under * 100.0);
        }
    }
    report::allocation(&result);
    let without = result.values.iter().filter(|v| v.is_none()).count();
    if without > 0 {
        eprintln!("{without} communes without a value (no population)");
    }
    if method == Method::Apl {
        let inputs = &params.apl_inputs;
        if args.ages.is_some() {
            let standardised = inputs.standardised_communes();
            eprintln!(
                "population standardised with the DREES {} age weights for {standardised} communes; {} keep their raw population",
                args.age_weights.to_possible_value().map_or(String::new(), |v| v.get_name().to_string()),
                atlas.communes().len() - standardised
            );
        }
        if let Some(gps) = &inputs.gps {
            let scope = if args.under_65 { " (under-65 variant)" } else { "" };
            eprintln!("supply from {} individual GPs{scope}, not the atlas's head counts", gps.len());
            if args.under_65 {
                eprintln!("{} GPs left out for unknown age", inputs.left_out_for_unknown_age());
            }
        }
    }
    if let Some(dir) = &args.dump_inputs {
        properties::write_method_inputs(&atlas, &params, method, dir)?;
        eprintln!("inputs written to {}", dir.display());
    }
    if let Some(out) = &args.out {
        properties::write_commune_values_file(&atlas, &result, out)?;
        eprintln!("values written to {}", out.display());
    }
    if args.compare_official {
        report::compare_official(&atlas, &result.values, args.compare_json.as_deref())?;
    }
    Ok(())
}
