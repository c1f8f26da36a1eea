//! Analysis commands: graph, counts, export/import, sensitivity, embedding, basins, report.
//! Each parses nothing itself: it takes the parsed arguments, calls losscape-report and prints.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use losscape_analysis::counts::counts_records;
use losscape_analysis::disconnectivity::{DisconnectivityOptions, SvgOptions};
use losscape_analysis::embedding::{embedding_records, embedding_summary, embedding_table};
use losscape_analysis::sensitivity::SensitivityTable;
use losscape_core::Convergence;
use losscape_db::Store;
use losscape_experiment::Config;
use losscape_report::analyses::{
    BasinsOptions, GraphColouring, GraphDrawing, NoiseOptions, basins, basins_records,
    basins_table, certify_counts, config_landscapes, counts_rows, embedding, graph_svg,
    load_minimisers, morse_censuses, sensitivity, sensitivity_table,
};
use losscape_report::data::{LandscapeData, StoredExperiment, read_landscapes, select_one};
use losscape_report::exchange::{
    ExportOptions, ImportOptions, export_pathsample, import_pathsample,
};
use losscape_report::raster::Rasteriser;
use losscape_report::report::{ReportOptions, findings_text, write_report};

use crate::Format;
use crate::read::print_records;

/// `losscape export FORMAT ...`.
#[derive(Subcommand)]
pub enum Export {
    /// PATHSAMPLE files of one landscape: min.data, ts.data, points.min, points.ts, the
    /// endpoint sets min.A and min.B, and ids.csv (file line -> database id). Refused for a
    /// landscape without transition states.
    Pathsample {
        /// Database file.
        db: PathBuf,
        /// The landscape to export.
        #[arg(long)]
        landscape: String,
        /// Folder to write the files into (created if needed). Earlier files there are replaced
        /// all together or not at all.
        #[arg(long)]
        dir: PathBuf,
        /// Database ids of the minima in min.A [default: the global minimum].
        #[arg(long, value_delimiter = ',', value_name = "ID,...")]
        a: Vec<i64>,
        /// Database ids of the minima in min.B [default: every minimum not in A].
        #[arg(long, value_delimiter = ',', value_name = "ID,...")]
        b: Vec<i64>,
    },
}

/// `losscape import FORMAT ...`.
#[derive(Subcommand)]
pub enum Import {
    /// PATHSAMPLE files; every point is re-analysed in the given network and must pass the
    /// checks of a found point (gradient, Hessian index, push-offs reaching the minima the
    /// file names), or nothing is stored.
    Pathsample {
        /// Folder holding min.data, ts.data, points.min and points.ts.
        dir: PathBuf,
        /// Database file (created if needed; not left behind if the import is refused).
        #[arg(long)]
        db: PathBuf,
        /// Experiment file whose data set the points belong to [default: the data set stored
        /// in DB, or XOR for a new database]. Its [identity], [pushoff], [quench] and [checks]
        /// settings are used for the verification.
        #[arg(long, value_name = "CONFIG")]
        data: Option<PathBuf>,
        /// Landscape key to store the points under (created if needed; must hold no minima).
        #[arg(long)]
        landscape: String,
        /// Hidden units of the network the points belong to.
        #[arg(long)]
        n_hidden: usize,
        /// L2 penalty of that network.
        #[arg(long)]
        lambda: f64,
    },
}

/// Sensitivity measurement options shared by `sensitivity` and `report`.
#[derive(Args)]
pub struct SensitivityArgs {
    /// Noise levels (standard deviations added to every input feature), comma separated.
    #[arg(long, value_delimiter = ',', default_values_t = NoiseOptions::default().sigmas)]
    pub sigmas: Vec<f64>,
    /// Noisy copies of the data set per point and noise level.
    #[arg(long, default_value_t = NoiseOptions::default().samples)]
    pub samples: usize,
}

impl SensitivityArgs {
    fn noise(&self) -> NoiseOptions {
        NoiseOptions {
            sigmas: self.sigmas.clone(),
            samples: self.samples,
        }
    }
}

/// Basins-of-attraction options shared by `basins` and `report`.
#[derive(Args)]
pub struct BasinsArgs {
    /// Random starts per landscape (the same starts for every minimiser).
    #[arg(long, default_value_t = BasinsOptions::default().starts)]
    pub starts: usize,
    /// Minimisers, comma separated: lbfgs, or the name of an optimiser plugin (fire, adam, ...).
    #[arg(long, value_delimiter = ',', default_value = "lbfgs")]
    pub minimisers: Vec<String>,
    /// Folder to search for plugins (repeatable); the binary's own folder is searched last.
    #[arg(long)]
    pub plugin_dir: Vec<PathBuf>,
    /// RMS gradient at which a quench counts as converged.
    #[arg(long, default_value_t = BasinsOptions::default().convergence.rms_gradient)]
    pub rms_gradient: f64,
    /// Iteration budget of one quench.
    #[arg(long, default_value_t = BasinsOptions::default().convergence.max_iterations)]
    pub max_iterations: usize,
    /// Identify end points as they are, without polishing them with L-BFGS to the config's
    /// quench tolerance first (may count one minimum several times on soft landscapes).
    #[arg(long)]
    pub no_polish: bool,
}

impl BasinsArgs {
    /// Refuses settings no quench can use, and a number of starts whose coordinates (kept for
    /// every start, `dim` values each) do not fit in the memory this process can get.
    fn validate(&self, dims: impl IntoIterator<Item = usize>) -> Result<()> {
        if !(self.rms_gradient.is_finite() && self.rms_gradient > 0.0) {
            bail!(
                "--rms-gradient must be a finite number > 0 (got {})",
                self.rms_gradient
            );
        }
        if self.max_iterations == 0 {
            bail!("--max-iterations must be >= 1 (got 0)");
        }
        if self.starts == 0 {
            bail!("--starts must be >= 1 (got 0)");
        }
        if self.minimisers.is_empty() {
            bail!("--minimisers must name at least one minimiser");
        }
        let dim = dims.into_iter().max().unwrap_or(0);
        // Every start's coordinates, and per minimiser an assignment per start.
        let need = self.starts as f64 * (8.0 * dim as f64 + 16.0 * self.minimisers.len() as f64);
        if let Some(have) = losscape_experiment::memory::available()
            && need > have.bytes
        {
            bail!(
                "--starts {} needs about {} of memory for {dim}-parameter networks but only {} are available ({}); use fewer starts",
                self.starts,
                losscape_experiment::memory::bytes(need),
                losscape_experiment::memory::bytes(have.bytes),
                have.source
            );
        }
        Ok(())
    }

    fn options(&self) -> BasinsOptions {
        BasinsOptions {
            starts: self.starts,
            minimisers: self.minimisers.clone(),
            plugin_dirs: self.plugin_dir.clone(),
            convergence: Convergence {
                rms_gradient: self.rms_gradient,
                max_iterations: self.max_iterations,
            },
            polish: !self.no_polish,
        }
    }
}

fn open(path: &Path) -> Result<Store> {
    Store::open_read_only(path).with_context(|| format!("cannot read database {}", path.display()))
}

/// Writes an output file, replacing a symbolic link at its name rather than its target.
fn write(path: &Path, text: &str) -> Result<()> {
    write_bytes(path, text.as_bytes())
}

fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    losscape_report::output::replace_file(path, bytes)
        .with_context(|| format!("cannot write {}", path.display()))
}

fn one_landscape(store: &Store, key: &str) -> Result<(StoredExperiment, LandscapeData)> {
    let exp = StoredExperiment::read(store)?;
    let row = select_one(store, key)?;
    let data = LandscapeData::read(store, &exp, &row)?;
    Ok((exp, data))
}

/// The most energy levels a disconnectivity graph may have: far more than a figure can show,
/// and few enough that the graph's per-level tables stay small.
const MAX_LEVELS: usize = 10_000;

/// What a disconnectivity graph's branches are coloured by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColourBy {
    /// Training accuracy, on the fixed scale 0-1 shared by every graph.
    Accuracy,
    /// Energy of the lowest minimum of each basin.
    Energy,
    /// How often the searches reached each minimum (basin-hopping hits and repeats).
    Hits,
}

/// Options of `losscape graph`.
#[derive(Args)]
pub struct GraphArgs {
    /// Number of energy levels.
    #[arg(long, default_value_t = DisconnectivityOptions::default().levels)]
    pub levels: usize,
    /// Only minima with energies in [LO, HI]; the levels span this window.
    #[arg(long, num_args = 2, value_names = ["LO", "HI"], allow_negative_numbers = true)]
    pub window: Option<Vec<f64>>,
    /// Show only the N lowest minima.
    #[arg(long, value_name = "N")]
    pub lowest: Option<usize>,
    /// Draw every minimum: no automatic window, however many minima there are.
    #[arg(long, conflicts_with = "window")]
    pub full: bool,
    /// Up to this many minima every one is drawn; above it an automatic window may lower the
    /// top of the energy axis when a few high minima would squeeze the low ones together (the
    /// legend then names the minima left out).
    #[arg(long, value_name = "N", default_value_t = DisconnectivityOptions::default().show_all_up_to)]
    pub show_all_up_to: usize,
    /// What the branch colours show.
    #[arg(long, value_enum, default_value_t = ColourBy::Accuracy)]
    pub colour: ColourBy,
    /// Write each minimum's database id under its branch.
    #[arg(long)]
    pub ids: bool,
    /// Energies on the axis relative to the global minimum (the label says so).
    #[arg(long)]
    pub relative: bool,
    /// Figure width in pixels (PDF points).
    #[arg(long, default_value_t = SvgOptions::default().width)]
    pub width: f64,
    /// Figure height in pixels (PDF points).
    #[arg(long, default_value_t = SvgOptions::default().height)]
    pub height: f64,
    /// Font size of the tick labels; titles, legend and margins scale with it.
    #[arg(long, default_value_t = SvgOptions::default().font_size)]
    pub font_size: f64,
}

/// The output formats of `losscape graph`, chosen by the output file's extension.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FigureFormat {
    Svg,
    Png,
    Pdf,
}

/// `losscape graph DB --landscape KEY -o FILE.svg|FILE.png|FILE.pdf`.
pub fn graph(db: &Path, key: &str, output: &Path, args: &GraphArgs) -> Result<ExitCode> {
    if !(2..=MAX_LEVELS).contains(&args.levels) {
        bail!(
            "--levels must be between 2 and {MAX_LEVELS} (got {})",
            args.levels
        );
    }
    for (name, v, least) in [
        ("--width", args.width, 200.0),
        ("--height", args.height, 150.0),
        ("--font-size", args.font_size, 4.0),
    ] {
        if !(v.is_finite() && v >= least && v <= 20_000.0) {
            bail!("{name} must be a number from {least} to 20000 (got {v})");
        }
    }
    let format = match output.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("png") => FigureFormat::Png,
        Some(e) if e.eq_ignore_ascii_case("svg") => FigureFormat::Svg,
        Some(e) if e.eq_ignore_ascii_case("pdf") => FigureFormat::Pdf,
        _ => bail!(
            "{}: the output's extension must be .svg, .png or .pdf (it chooses the format)",
            output.display()
        ),
    };
    let store = open(db)?;
    let (_, l) = one_landscape(&store, key)?;
    let energy_window = match args.window.as_deref() {
        None => None,
        Some(&[lo, hi]) => Some([lo, hi]),
        Some(_) => bail!("--window needs two energies, LO and HI"),
    };
    let svg = graph_svg(
        &l,
        &DisconnectivityOptions {
            levels: args.levels,
            energy_window,
            keep_lowest: args.lowest,
            auto_window: !args.full,
            show_all_up_to: args.show_all_up_to,
        },
        &GraphDrawing {
            colouring: match args.colour {
                ColourBy::Accuracy => GraphColouring::Accuracy,
                ColourBy::Energy => GraphColouring::Energy,
                ColourBy::Hits => GraphColouring::Hits,
            },
            label_ids: args.ids,
            size: Some([args.width, args.height]),
            font_size: Some(args.font_size),
            relative_energy: args.relative,
        },
    )?;
    let bytes = match format {
        FigureFormat::Svg => svg.into_bytes(),
        FigureFormat::Png => Rasteriser::new()?.png(&svg, 2.0)?,
        FigureFormat::Pdf => Rasteriser::new()?.pdf(&svg)?,
    };
    write_bytes(output, &bytes)?;
    outln!(
        "{}: disconnectivity graph of {} ({} minima, {} transition states)",
        output.display(),
        key,
        l.minima.len(),
        l.ts.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `losscape counts DB [--csv FILE] [--format F]`.
pub fn counts(db: &Path, csv: Option<&Path>, format: Format) -> Result<ExitCode> {
    let store = open(db)?;
    let exp = StoredExperiment::read(&store)?;
    let landscapes = read_landscapes(&store, &exp, None)?;
    let mut rows = counts_rows(&landscapes, exp.config.identity.energy_tolerance);
    let censuses = morse_censuses(&store, &landscapes, &exp.config.identity)?;
    certify_counts(&mut rows, &censuses);
    let keys: Vec<String> = landscapes.iter().map(|l| l.row.key.clone()).collect();
    let records = counts_records(&keys, &rows);
    match format {
        Format::Table => out!("{}", records.to_text()),
        _ => print_records(&records, format)?,
    }
    if let Some(path) = csv {
        write(path, &records.to_csv())?;
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `losscape export ...`.
pub fn export(cmd: &Export) -> Result<ExitCode> {
    match cmd {
        Export::Pathsample {
            db,
            landscape,
            dir,
            a,
            b,
        } => {
            let store = open(db)?;
            let (exp, l) = one_landscape(&store, landscape)?;
            let opts = ExportOptions {
                a: a.clone(),
                b: b.clone(),
            };
            let s = export_pathsample(&l, &exp.config.identity, dir, &opts)?;
            let ids = |v: &[i64]| v.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            outln!(
                "{}: {} minima, {} transition states ({} degenerate, written min1 = min2) of \
                 {landscape} in PATHSAMPLE format; min.A = database ids {}, min.B = {}; \
                 ids.csv maps file lines to database ids",
                dir.display(),
                s.minima,
                s.transition_states,
                s.degenerate,
                ids(&s.a),
                ids(&s.b)
            );
            for w in &s.warnings {
                eprintln!("warning: {w}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `losscape import ...`.
pub fn import(cmd: &Import) -> Result<ExitCode> {
    match cmd {
        Import::Pathsample {
            dir,
            db,
            data,
            landscape,
            n_hidden,
            lambda,
        } => {
            let s = import_pathsample(
                db,
                dir,
                &ImportOptions {
                    key: landscape.clone(),
                    n_hidden: *n_hidden,
                    lambda: *lambda,
                    data_config: data.clone(),
                    energy_tolerance: 1e-8,
                    command: std::env::args().collect::<Vec<_>>().join(" "),
                    program_version: crate::program_version(),
                },
            )?;
            outln!(
                "imported {} minima and {} transition states ({} degenerate) into {landscape} of \
                 {}, all verified; largest energy difference from the files {:.2e}; data: {}",
                s.minima,
                s.transition_states,
                s.degenerate,
                db.display(),
                s.max_energy_difference,
                s.data
            );
            if s.repeated > 0 {
                outln!(
                    "{} line(s) of the files repeat an earlier line's point: stored once, counted \
                     as found again",
                    s.repeated
                );
            }
            for w in &s.warnings {
                eprintln!("warning: {w}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `losscape sensitivity DB`.
pub fn sensitivity_cmd(
    db: &Path,
    key: Option<&str>,
    args: &SensitivityArgs,
    format: Format,
) -> Result<ExitCode> {
    let store = open(db)?;
    let exp = StoredExperiment::read(&store)?;
    let landscapes = read_landscapes(&store, &exp, key)?;
    let results = sensitivity(&landscapes, &args.noise(), &exp)?;
    if format == Format::Table {
        out!("{}", sensitivity_table(&results).to_text());
        return Ok(ExitCode::SUCCESS);
    }
    let mut records = SensitivityTable::records();
    for r in &results {
        r.table.push_records(&r.key, &mut records);
    }
    print_records(&records, format)?;
    Ok(ExitCode::SUCCESS)
}

/// `losscape embedding DB --from KEY --to KEY`.
pub fn embedding_cmd(db: &Path, from: &str, to: &str, format: Format) -> Result<ExitCode> {
    let store = open(db)?;
    let exp = StoredExperiment::read(&store)?;
    let small = LandscapeData::read(&store, &exp, &select_one(&store, from)?)?;
    let large = LandscapeData::read(&store, &exp, &select_one(&store, to)?)?;
    let pair = embedding(&small, &large, &exp.config.identity)?;
    if format != Format::Table {
        print_records(&embedding_records(from, to, &pair.rows), format)?;
        return Ok(ExitCode::SUCCESS);
    }
    out!("{}", embedding_table(&pair.rows).to_text());
    let (n, stationary, agrees, found) = embedding_summary(&pair.rows);
    outln!(
        "\n{from} -> {to}: {n} points; stationary after padding {stationary}; index as \
         predicted {agrees}; found among the points of {to}: {found}"
    );
    Ok(ExitCode::SUCCESS)
}

/// `losscape basins CONFIG`.
pub fn basins_cmd(
    config: &Path,
    key: Option<&str>,
    args: &BasinsArgs,
    format: Format,
) -> Result<ExitCode> {
    let text = std::fs::read_to_string(config)
        .with_context(|| format!("cannot read {}", config.display()))?;
    let cfg = Config::parse(&text, config)?;
    let data = losscape_report::data::dataset(&cfg, config)?;
    let models = config_landscapes(&cfg, &data, key)?;
    args.validate(models.iter().map(|(_, m)| losscape_core::Landscape::dim(m)))?;
    let opts = args.options();
    let minimisers = load_minimisers(&cfg, config, &opts).map_err(plugin_hint)?;
    let results = basins(&models, &minimisers, &cfg, &opts);
    match format {
        Format::Table => out!("{}", basins_table(&results).to_text()),
        _ => print_records(&basins_records(&results), format)?,
    }
    for r in &results {
        for m in &r.report.minimisers {
            if let Some(e) = &m.first_error {
                eprintln!("{} / {}: first error: {e}", r.key, m.name);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A plugin named with `--minimisers` that is not found: where to point the search.
fn plugin_hint(e: losscape_report::ReportError) -> anyhow::Error {
    let not_found = matches!(
        &e,
        losscape_report::ReportError::Plugin(losscape_plugin_host::PluginError::NotFound { .. })
    );
    let e = anyhow::Error::new(e);
    if not_found {
        e.context(
            "--minimisers names a plugin that is not in the searched folders; give the folder \
             holding its library with --plugin-dir DIR",
        )
    } else {
        e
    }
}

/// `losscape report DB -o DIR`.
#[allow(clippy::too_many_arguments)] // one per command-line option, passed straight through
pub fn report(
    db: &Path,
    dir: &Path,
    title: Option<String>,
    sens: &SensitivityArgs,
    basins_args: &BasinsArgs,
    no_basins: bool,
    no_png: bool,
    notes: Vec<String>,
) -> Result<ExitCode> {
    if dir.exists() && !dir.is_dir() {
        bail!(
            "cannot write the report into {}: it is a file, not a folder (give a new or an existing folder)",
            dir.display()
        );
    }
    let store = open(db)?;
    // A report states findings: never from damaged data.
    store.check_integrity()?;
    if !no_basins {
        let dims = store
            .landscapes()?
            .into_iter()
            .map(|l| l.dimension as usize);
        basins_args.validate(dims)?;
    }
    let opts = ReportOptions {
        title: title.unwrap_or_else(|| format!("losscape report: {}", db.display())),
        sensitivity: sens.noise(),
        basins: (!no_basins).then(|| basins_args.options()),
        notes,
        png: !no_png,
        program_version: crate::program_version(),
        ..ReportOptions::default()
    };
    let summary = write_report(&store, dir, &opts)?;
    out!("{}", findings_text(&summary.findings));
    for s in &summary.skipped {
        eprintln!("skipped: {s}");
    }
    outln!(
        "\nwrote {} files into {} (open {})",
        summary.files.len(),
        dir.display(),
        dir.join("index.html").display()
    );
    Ok(ExitCode::SUCCESS)
}
