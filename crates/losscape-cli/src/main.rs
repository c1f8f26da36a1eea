//! `losscape`: map the loss landscape of small neural networks.
//!
//! The binary is a thin edge: it parses arguments, opens the database, shows progress and
//! prints tables. Everything else lives in the library crates.

/// `print!` that returns the write's error instead of panicking: a reader that closes the pipe
/// early (`losscape ts DB | head -1`) ends the command quietly (see [`is_broken_pipe`]).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout(), $($arg)*)?
    }};
}

/// `println!` that returns the write's error instead of panicking (see [`out!`]).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)?
    }};
}

mod analyse;
mod census;
mod cluster;
mod progress;
mod read;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use losscape_db::Store;
use losscape_experiment::{Experiment, RunError, RunOptions};

/// The version with the source revision and build profile (from build.rs), e.g.
/// `0.1.0 (rev 1a2b3c4d5e6f, release build)`.
const VERSION_DETAIL: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (rev ",
    env!("LOSSCAPE_SOURCE_REVISION"),
    ", ",
    env!("LOSSCAPE_BUILD_PROFILE"),
    " build)"
);

/// What provenance records name this program by: `losscape` and [`VERSION_DETAIL`].
pub(crate) fn program_version() -> String {
    format!("losscape {VERSION_DETAIL}")
}

/// Output format of the read commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Aligned text for people.
    Table,
    /// An array of objects (one per row), numbers in full precision, NaN as null.
    Json,
    /// RFC 4180 CSV with a header line, numbers in full precision, NaN as an empty field.
    Csv,
}

/// Map the loss landscape of small neural networks: minima by basin-hopping, transition states
/// by elastic bands and eigenvector-following, all in one SQLite database per experiment.
#[derive(Parser)]
#[command(name = "losscape", version = VERSION_DETAIL, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an experiment file into its database (resumes if the database exists).
    Run {
        /// Experiment file (TOML). Without it, the built-in quick XOR sweep runs.
        config: Option<PathBuf>,
        /// Database file [default: <experiment name>.db in the current folder].
        #[arg(long)]
        db: Option<PathBuf>,
        /// Worker threads; 0 = one per core. Results do not depend on it.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Print nothing but errors and warnings: no progress and no summary.
        #[arg(long, short)]
        quiet: bool,
        /// Seconds between heartbeat lines when stderr is not a terminal (a job's log)
        /// [default: 60].
        #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
        heartbeat: Option<u64>,
        /// Run only shard I of N (0-based): the landscapes at grid positions I, I+N, ... with
        /// all their stages, into a database of their own; `losscape merge` combines the shards.
        #[arg(long, value_name = "I/N", value_parser = parse_shard)]
        shard: Option<losscape_db::Shard>,
    },
    /// Combine the shard databases of a sweep into one (idempotent; resumes if killed).
    Merge {
        /// Shard databases (written by `run --shard I/N`).
        #[arg(required = true)]
        parts: Vec<PathBuf>,
        /// The merged database (created if needed).
        #[arg(long)]
        db: PathBuf,
        /// Print nothing but errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Write Slurm batch scripts that run a sweep as a job array of shards and merge them.
    Slurm {
        /// Experiment file (TOML).
        config: PathBuf,
        /// Array tasks (shards): up to the number of landscapes, each task runs whole
        /// landscapes; more (up to landscapes × basin-hopping chains), each task runs a share
        /// of every landscape's chains and the merge job runs the remaining stages.
        #[arg(long)]
        tasks: u64,
        /// Slurm partition.
        #[arg(long)]
        partition: Option<String>,
        /// Slurm account to charge.
        #[arg(long)]
        account: Option<String>,
        /// Slurm quality of service.
        #[arg(long)]
        qos: Option<String>,
        /// Time limit per shard task, in Slurm's format (e.g. 02:00:00, 1-12:00:00).
        #[arg(long)]
        time: Option<String>,
        /// Memory per job, in Slurm's format (e.g. 4G); both jobs.
        #[arg(long)]
        mem: Option<String>,
        /// CPUs (worker threads) per task.
        #[arg(long, default_value_t = 1)]
        cpus_per_task: u64,
        /// Time limit of the merge job [default: --time]. With chain shards the merge job runs
        /// connect, census and saturate: most of the sweep's cost.
        #[arg(long)]
        merge_time: Option<String>,
        /// CPUs of the merge job [default: --cpus-per-task with chain shards, else 1].
        #[arg(long)]
        merge_cpus: Option<u64>,
        /// A further #SBATCH option for both jobs, verbatim (repeatable), e.g.
        /// --sbatch '--constraint=skylake'.
        #[arg(long, value_name = "OPTION", allow_hyphen_values = true)]
        sbatch: Vec<String>,
        /// A shell command run before losscape in every job (repeatable), e.g.
        /// --setup 'module load gcc'.
        #[arg(long, value_name = "COMMAND")]
        setup: Vec<String>,
        /// The losscape the jobs run: a path, or a command name looked up on the job's PATH
        /// [default: `losscape` where PATH has one, else this executable].
        #[arg(long)]
        binary: Option<PathBuf>,
        /// Folder for the scripts, the shard databases, the logs and the merged database.
        #[arg(long, default_value = "slurm")]
        dir: PathBuf,
        /// Submit the jobs with sbatch and print their ids.
        #[arg(long)]
        submit: bool,
    },
    /// Check an experiment file without running it: print the landscapes it sweeps.
    Check {
        /// Experiment file (TOML).
        config: PathBuf,
    },
    /// Per-landscape counts of a database: minima, transition states, connectivity.
    Summary {
        /// Database file.
        db: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Show where the time went instead: wall time and units of work per landscape, stage
        /// and kind of work (summed over every run that wrote the file).
        #[arg(long)]
        timing: bool,
    },
    /// List the stored minima.
    Minima {
        /// Database file.
        db: PathBuf,
        /// Only this landscape (key as printed by `summary`, e.g. h2-l1e-3).
        #[arg(long)]
        landscape: Option<String>,
        /// Print the coordinates too.
        #[arg(long)]
        coords: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// List the stored transition states.
    Ts {
        /// Database file.
        db: PathBuf,
        /// Only this landscape.
        #[arg(long)]
        landscape: Option<String>,
        /// Print the coordinates too.
        #[arg(long)]
        coords: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Print the lowest-barrier path between two stored minima.
    Path {
        /// Database file.
        db: PathBuf,
        /// Id of the first minimum.
        from: i64,
        /// Id of the second minimum.
        to: i64,
        /// The landscape both minima belong to.
        #[arg(long)]
        landscape: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Draw the disconnectivity graph of one landscape (SVG, PNG or PDF, by the output's extension).
    Graph {
        /// Database file.
        db: PathBuf,
        /// The landscape to draw.
        #[arg(long)]
        landscape: String,
        /// Output file: .svg, .png or .pdf.
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        args: analyse::GraphArgs,
    },
    /// The counts table of every landscape (the columns of `summary`, plus the fractions).
    Counts {
        /// Database file.
        db: PathBuf,
        /// Also write the rows as CSV (as --format csv prints them) to this file.
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The Morse completeness check: critical points per Hessian index (orbits and points),
    /// their alternating sum, degenerate points, census vs stored TS, saturation.
    Census {
        /// Database file.
        db: PathBuf,
        /// Only this landscape.
        #[arg(long)]
        landscape: Option<String>,
        /// Output format (csv: one row per landscape and Hessian index).
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Same as --format json (kept for scripts written before --format).
        #[arg(long, conflicts_with = "format")]
        json: bool,
    },
    /// Export stored points in another program's format.
    #[command(subcommand)]
    Export(analyse::Export),
    /// Import points written by another program (re-analysed before they are stored).
    #[command(subcommand)]
    Import(analyse::Import),
    /// Training accuracy of every stored point under Gaussian noise on the inputs.
    Sensitivity {
        /// Database file.
        db: PathBuf,
        /// Only this landscape.
        #[arg(long)]
        landscape: Option<String>,
        #[command(flatten)]
        args: analyse::SensitivityArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Pad the stationary points of an N_h landscape into the N_h + 1 landscape and check them.
    Embedding {
        /// Database file.
        db: PathBuf,
        /// The N_h landscape.
        #[arg(long)]
        from: String,
        /// The N_h + 1 landscape (same λ).
        #[arg(long)]
        to: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Basins of attraction of the landscapes of an experiment file, per minimiser.
    Basins {
        /// Experiment file (TOML).
        config: PathBuf,
        /// Only this landscape of the file's grid.
        #[arg(long)]
        landscape: Option<String>,
        #[command(flatten)]
        args: analyse::BasinsArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The attempts table: every unit of work a run recorded (basin-hopping chains,
    /// transition-state searches, census starts, ...) with its outcome and detail, the rows
    /// the run's warnings point to.
    Attempts {
        /// Database file.
        db: PathBuf,
        /// Only this landscape.
        #[arg(long)]
        landscape: Option<String>,
        /// Only this stage (basin_hopping, connect, survey, census, saturate, ...).
        #[arg(long)]
        stage: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Write the full report of a database: index.html, CSV tables, SVG figures, provenance.
    Report {
        /// Database file.
        db: PathBuf,
        /// Output folder (created if needed).
        #[arg(short, long)]
        output: PathBuf,
        /// Page title.
        #[arg(long)]
        title: Option<String>,
        #[command(flatten)]
        sensitivity: analyse::SensitivityArgs,
        #[command(flatten)]
        basins: analyse::BasinsArgs,
        /// Leave out the basins of attraction.
        #[arg(long)]
        no_basins: bool,
        /// Write the figures as SVG only (no PNG copies).
        #[arg(long)]
        no_png: bool,
        /// A line for the provenance (repeatable), e.g. the machine a reproduction ran on.
        #[arg(long)]
        note: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(code) => code,
        // What `ls | head` does: the reader has what it wanted; nothing more to say.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", describe(&e));
            ExitCode::FAILURE
        }
    }
}

/// Whether `e` is a write to a pipe whose reader has gone.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes on one line. Library errors often quote their cause in their own
/// message; a cause already quoted is not repeated.
fn describe(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if !text.contains(&part) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&part);
        }
    }
    text
}

fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Run {
            config,
            db,
            threads,
            quiet,
            heartbeat,
            shard,
        } => run(config.as_deref(), db, threads, quiet, heartbeat, shard),
        Command::Merge { parts, db, quiet } => cluster::merge(&parts, &db, quiet),
        Command::Slurm {
            config,
            tasks,
            partition,
            account,
            qos,
            time,
            mem,
            cpus_per_task,
            merge_time,
            merge_cpus,
            sbatch,
            setup,
            binary,
            dir,
            submit,
        } => cluster::slurm(&cluster::SlurmArgs {
            config: &config,
            tasks,
            partition: partition.as_deref(),
            account: account.as_deref(),
            qos: qos.as_deref(),
            time: time.as_deref(),
            mem: mem.as_deref(),
            cpus_per_task,
            merge_time: merge_time.as_deref(),
            merge_cpus,
            sbatch: &sbatch,
            setup: &setup,
            binary: binary.as_deref(),
            dir: &dir,
            submit,
        }),
        Command::Check { config } => check(&config),
        other => read_or_analyse(other),
    }
}

/// The commands that read a database (or, for `basins`, an experiment file) and print.
fn read_or_analyse(command: Command) -> Result<ExitCode> {
    match command {
        Command::Summary { db, format, timing } => {
            let store = open_existing(&db)?;
            if timing {
                read::timing(&store, format)
            } else {
                read::summary(&store, format)
            }
        }
        Command::Minima {
            db,
            landscape,
            coords,
            format,
        } => read::minima(&open_existing(&db)?, landscape.as_deref(), coords, format),
        Command::Ts {
            db,
            landscape,
            coords,
            format,
        } => read::transition_states(&open_existing(&db)?, landscape.as_deref(), coords, format),
        Command::Path {
            db,
            from,
            to,
            landscape,
            format,
        } => read::path(&open_existing(&db)?, &landscape, from, to, format),
        Command::Graph {
            db,
            landscape,
            output,
            args,
        } => analyse::graph(&db, &landscape, &output, &args),
        Command::Counts { db, csv, format } => analyse::counts(&db, csv.as_deref(), format),
        Command::Census {
            db,
            landscape,
            format,
            json,
        } => census::census(
            &db,
            landscape.as_deref(),
            if json { Format::Json } else { format },
        ),
        Command::Export(cmd) => analyse::export(&cmd),
        Command::Import(cmd) => analyse::import(&cmd),
        Command::Sensitivity {
            db,
            landscape,
            args,
            format,
        } => analyse::sensitivity_cmd(&db, landscape.as_deref(), &args, format),
        Command::Embedding {
            db,
            from,
            to,
            format,
        } => analyse::embedding_cmd(&db, &from, &to, format),
        Command::Basins {
            config,
            landscape,
            args,
            format,
        } => analyse::basins_cmd(&config, landscape.as_deref(), &args, format),
        Command::Attempts {
            db,
            landscape,
            stage,
            format,
        } => read::attempts(
            &open_existing(&db)?,
            landscape.as_deref(),
            stage.as_deref(),
            format,
        ),
        Command::Report {
            db,
            output,
            title,
            sensitivity,
            basins,
            no_basins,
            no_png,
            note,
        } => analyse::report(
            &db,
            &output,
            title,
            &sensitivity,
            &basins,
            no_basins,
            no_png,
            note,
        ),
        Command::Run { .. }
        | Command::Merge { .. }
        | Command::Slurm { .. }
        | Command::Check { .. } => {
            unreachable!("handled by dispatch")
        }
    }
}

/// `losscape check CONFIG`: the config is valid; its minimiser, memory estimate and grid.
fn check(config: &Path) -> Result<ExitCode> {
    let exp = Experiment::load(config)?;
    let memory = exp.memory_estimate(0);
    outln!(
        "{}: ok, minimiser {}, memory estimate {} ({} thread(s) × {} for {}, plus {} shared)",
        config.display(),
        exp.minimiser.name(),
        losscape_experiment::memory::bytes(memory.total()),
        memory.threads,
        losscape_experiment::memory::bytes(memory.per_thread),
        memory.largest,
        losscape_experiment::memory::bytes(memory.shared),
    );
    for p in exp.config.landscapes() {
        outln!(
            "  {}  (n_hidden {}, lambda {:e})",
            p.key(),
            p.n_hidden,
            p.lambda
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn open_existing(path: &Path) -> Result<Store> {
    Store::open_read_only(path).with_context(|| format!("cannot read database {}", path.display()))
}

fn run(
    config: Option<&Path>,
    db: Option<PathBuf>,
    threads: usize,
    quiet: bool,
    heartbeat: Option<u64>,
    shard: Option<losscape_db::Shard>,
) -> Result<ExitCode> {
    // Everything the user wrote is checked before the database is touched.
    let exp = match config {
        Some(path) => Experiment::load(path)?,
        None => Experiment::builtin()?,
    };
    // The name is checked to be a plain file name, so the default stays in the current folder.
    let db = db.unwrap_or_else(|| PathBuf::from(format!("{}.db", exp.config.experiment.name)));
    // So is the memory it needs (and the thread count).
    let memory = exp.check_resources(threads)?;
    if let Some(s) = shard {
        check_shard(&exp, s)?;
    }
    let mut store = Store::open(&db)?;
    let earlier_runs = store.runs()?.len();
    if earlier_runs > 0 && !quiet {
        resume_banner(&exp, &store, &db, earlier_runs, shard)?;
    }
    let opts = RunOptions {
        threads,
        command: std::env::args()
            .map(|a| shell_quote(&a))
            .collect::<Vec<_>>()
            .join(" "),
        program_version: program_version(),
        cancel: Some(cancel_flag()?),
        shard,
    };
    let started = std::time::Instant::now();
    let mut settings = progress::LineSettings::default();
    if let Some(seconds) = heartbeat {
        settings.heartbeat = std::time::Duration::from_secs(seconds);
    }
    let mut observer =
        progress::Progress::new(progress::Mode::detect(quiet), plan(&exp, shard), settings);
    let outcome = losscape_experiment::run(&exp, &mut store, &opts, &observer);
    observer.finish();
    let skipped = observer.skipped();
    if !quiet && (skipped.stages > 0 || skipped.units > 0) {
        eprintln!(
            "skipped what earlier runs finished: {} stage(s), {} unit(s) of work",
            skipped.stages, skipped.units
        );
    }
    match outcome {
        Ok(summaries) => {
            if !quiet {
                outln!(
                    "\n{} landscape(s) in {:.1} s -> {} (memory estimate {})\n",
                    summaries.len(),
                    started.elapsed().as_secs_f64(),
                    db.display(),
                    losscape_experiment::memory::bytes(memory.total())
                );
                out!("{}", read::summary_table(&summaries));
            }
            warn_about_failures(&summaries, &db);
            Ok(ExitCode::SUCCESS)
        }
        Err(RunError::Interrupted) => {
            eprintln!(
                "interrupted: everything committed is kept in {}.\nresume with the same command: {}",
                db.display(),
                opts.command
            );
            Ok(ExitCode::from(130))
        }
        // Refused before any work: nothing to keep, nothing to resume.
        Err(e @ RunError::DataChanged { .. }) => Err(e.into()),
        Err(e) => Err(e)
            .with_context(|| format!("run stopped; committed work is kept in {}", db.display())),
    }
}

/// The grid positions `shard` runs (every position with chain shards or none), with every
/// landscape's size, for the progress and its ETA.
fn plan(exp: &Experiment, shard: Option<losscape_db::Shard>) -> progress::Plan {
    let grid = exp.config.landscapes();
    let landscape_shard = shard.filter(|s| s.count <= grid.len() as u64);
    progress::Plan {
        sizes: grid
            .iter()
            .map(|p| {
                exp.perceptron(p)
                    .map_or(p.n_hidden as f64, |m| m.dim() as f64)
            })
            .collect(),
        indices: (0..grid.len())
            .filter(|&i| landscape_shard.is_none_or(|s| i as u64 % s.count == s.index))
            .collect(),
        stages: exp.config.experiment.stages.len(),
    }
}

/// Before a resumed run starts: what earlier runs finished and what is left, per landscape.
fn resume_banner(
    exp: &Experiment,
    store: &Store,
    db: &Path,
    earlier_runs: usize,
    shard: Option<losscape_db::Shard>,
) -> Result<()> {
    let planned = plan(exp, shard).indices;
    let all = losscape_experiment::resume::done_so_far(exp, store)?;
    if let Some(s) = shard.filter(|s| s.count > exp.config.landscapes().len() as u64) {
        // A chain shard runs only its share of the chains; no stage of it is ever finished.
        let chains: usize = all.iter().map(|l| l.chains_done).sum();
        eprintln!(
            "resuming {} ({earlier_runs} earlier run(s)): chain shard {s}, {chains} of its basin-hopping chain(s) committed and skipped",
            db.display()
        );
        return Ok(());
    }
    let status: Vec<_> = all.iter().filter(|l| planned.contains(&l.index)).collect();
    let finished: Vec<&str> = status
        .iter()
        .filter(|l| l.finished())
        .map(|l| l.key.as_str())
        .collect();
    let untouched: Vec<&str> = status
        .iter()
        .filter(|l| l.untouched())
        .map(|l| l.key.as_str())
        .collect();
    eprintln!(
        "resuming {} ({earlier_runs} earlier run(s)): {} of {} landscape(s) finished, {} partly done, {} not started; finished stages and committed units are skipped",
        db.display(),
        finished.len(),
        status.len(),
        status.len() - finished.len() - untouched.len(),
        untouched.len()
    );
    if !finished.is_empty() {
        eprintln!("  done:    {}", finished.join(", "));
    }
    let chains = exp.config.basin_hopping.chains;
    for l in status.iter().filter(|l| !l.finished() && !l.untouched()) {
        let names = |stages: &[losscape_experiment::Stage]| {
            stages
                .iter()
                .map(|s| s.name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let done = if l.stages_done.is_empty() {
            String::new()
        } else {
            format!("done {}; ", names(&l.stages_done))
        };
        eprintln!(
            "  partly:  {}: {done}left {} ({} of {chains} basin-hopping chains committed)",
            l.key,
            names(&l.stages_left),
            l.chains_done
        );
    }
    if !untouched.is_empty() {
        eprintln!("  left:    {}", untouched.join(", "));
    }
    Ok(())
}

/// Refuses a `--shard I/N` with more shards than the sweep has units to split.
fn check_shard(exp: &Experiment, s: losscape_db::Shard) -> Result<()> {
    let most = losscape_experiment::runner::max_shards(exp);
    if s.count > most {
        anyhow::bail!(
            "--shard {s}: the sweep has {} landscape(s) of {} basin-hopping chain(s), so it splits into at most {most} shards",
            exp.config.landscapes().len(),
            exp.config.basin_hopping.chains
        );
    }
    Ok(())
}

/// The flag a run polls to stop. Ctrl-C, SIGTERM (what `kill` and schedulers send) and SIGHUP
/// set it: the run stops after the units in hand are committed. A second signal exits at
/// once; SQLite's journal keeps the file consistent.
fn cancel_flag() -> Result<&'static AtomicBool> {
    static CANCEL: AtomicBool = AtomicBool::new(false);
    ctrlc::set_handler(|| {
        if CANCEL.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    })
    .context("cannot install the signal handler")?;
    Ok(&CANCEL)
}

/// Warnings about a finished run, shown even with --quiet: a minimiser that fails, or
/// transition-state searches that all failed where several minima need joining.
fn warn_about_failures(summaries: &[losscape_experiment::LandscapeSummary], db: &Path) {
    let db = shell_quote(&db.display().to_string());
    for s in summaries.iter().filter(|s| s.failed_quenches > 0) {
        eprintln!(
            "warning: {}: {} of {} basin-hopping quenches failed{} (each chain's count and first failure: losscape attempts {db} --landscape {} --stage basin_hopping)",
            s.key,
            s.failed_quenches,
            s.quenches,
            s.first_quench_failure
                .as_deref()
                .map(|f| format!("; the first: {f}"))
                .unwrap_or_default(),
            s.key
        );
    }
    // Where several minima exist, transition states must join them: a landscape whose
    // searches all failed points at a setting or minimiser that does not work.
    for s in summaries.iter().filter(|s| {
        s.counts.minima_by_structure > 1
            && s.ts_searches > 0
            && s.failed_ts_searches == s.ts_searches
    }) {
        eprintln!(
            "warning: {}: all {} transition-state searches failed (the reasons: losscape attempts {db} --landscape {})",
            s.key, s.ts_searches, s.key
        );
    }
}

/// `I/N` of `--shard`.
fn parse_shard(text: &str) -> Result<losscape_db::Shard, String> {
    let (i, n) = text
        .split_once('/')
        .ok_or_else(|| format!("{text:?}: expected INDEX/COUNT, e.g. 0/4"))?;
    let index: u64 = i
        .trim()
        .parse()
        .map_err(|_| format!("{text:?}: the index {i:?} is not a number"))?;
    let count: u64 = n
        .trim()
        .parse()
        .map_err(|_| format!("{text:?}: the count {n:?} is not a number"))?;
    if count == 0 || index >= count {
        return Err(format!(
            "{text:?}: the index counts from 0 and must be below the count (0/{count} … {}/{count})",
            count.saturating_sub(1)
        ));
    }
    Ok(losscape_db::Shard { index, count })
}

/// `arg` as a POSIX shell word: unchanged where it is plain, else in single quotes, so a printed
/// command can be pasted back whatever the paths hold (spaces, quotes, `$`).
pub(crate) fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::shell_quote;

    #[test]
    fn printed_commands_can_be_pasted_back() {
        assert_eq!(
            shell_quote("configs/xor-quick.toml"),
            "configs/xor-quick.toml"
        );
        assert_eq!(shell_quote("my cfg.toml"), "'my cfg.toml'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
    }
}
