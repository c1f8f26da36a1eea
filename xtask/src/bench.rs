//! `cargo xtask bench`: end-to-end timing of the `losscape` binary and a per-N_h scaling table
//! of the library's two costly kernels.
//!
//! The end-to-end part builds the release binary, runs an experiment file once with 1 and once
//! with 2 worker threads into fresh databases, and reads the databases back to report
//! throughput and whether both thread counts stored bit-identical minima. The scaling part
//! times L-BFGS quenches, Hessian analyses and pair attempts (band, eigenvector-following,
//! push-off) directly with the library for N_h = 2 … 128, the pair attempts once with the
//! default settings and, where affordable, once with eigenvector-following forced dense, so the
//! two can be compared within one run, and prints a Markdown table for the README.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use losscape_core::{Convergence, Landscape, Minimiser, seed};
use losscape_db::Store;
use losscape_experiment::Config;
use losscape_hessian::analyse;
use losscape_lbfgs::Lbfgs;
use losscape_model::{Dataset, Perceptron};

const USAGE: &str = "\
usage: cargo xtask bench [--paper] [--repeat N] [--quenches N] [--sizes LIST] [--starts DIR]
                         [--no-run] [--no-scaling]

  --paper        also time configs/xor-paper.toml (slow: the paper's 25 landscapes)
  --repeat N     runs per thread count; the fastest is reported [3]
  --quenches N   quenches (and Hessian analyses) per network width in the scaling table [300]
  --sizes LIST   network widths of the scaling table [2,4,8,16,32,64,128]
  --starts DIR   write each width's random starts to DIR/starts-hN.f64 (raw little-endian
                 f64, P per start) for xtask/compare/scipy_lbfgsb.py
  --no-run       skip the end-to-end runs of the losscape binary
  --no-scaling   skip the per-N_h scaling table

For release-profile library timings in the scaling table run
`cargo run --release -p xtask -- bench`.";

/// Thread counts of the end-to-end runs; the second is compared with the first.
const THREADS: [usize; 2] = [1, 2];
/// Network widths of the scaling table.
const SIZES: [usize; 7] = [2, 4, 8, 16, 32, 64, 128];
/// Penalty of the scaling table's XOR landscapes.
const LAMBDA: f64 = 1e-3;
/// Master seed of the scaling table's random starts.
const SEED: u64 = 20180516;

/// What the command line asked for.
struct Options {
    paper: bool,
    quenches: usize,
    repeat: usize,
    run: bool,
    scaling: bool,
    sizes: Vec<usize>,
    starts_dir: Option<PathBuf>,
}

/// The options, or `None` when only the usage was asked for.
fn parse(args: &[String]) -> Result<Option<Options>> {
    let mut o = Options {
        paper: false,
        quenches: 300,
        repeat: 3,
        run: true,
        scaling: true,
        sizes: SIZES.to_vec(),
        starts_dir: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--paper" => o.paper = true,
            "--no-run" => o.run = false,
            "--no-scaling" => o.scaling = false,
            "--quenches" => {
                let v = it.next().context("--quenches needs a number")?;
                o.quenches = v
                    .parse()
                    .ok()
                    .filter(|&q| q > 0)
                    .with_context(|| format!("--quenches {v}: need a whole number >= 1"))?;
            }
            "--repeat" => {
                let v = it.next().context("--repeat needs a number")?;
                o.repeat = v
                    .parse()
                    .ok()
                    .filter(|&r| r > 0)
                    .with_context(|| format!("--repeat {v}: need a whole number >= 1"))?;
            }
            "--sizes" => {
                let v = it.next().context("--sizes needs a list such as 2,8,32")?;
                o.sizes = v
                    .split(',')
                    .map(|p| p.trim().parse().ok().filter(|&h: &usize| h > 0))
                    .collect::<Option<Vec<usize>>>()
                    .filter(|s| !s.is_empty())
                    .with_context(|| {
                        format!("--sizes {v}: need whole numbers >= 1, comma-separated")
                    })?;
            }
            "--starts" => {
                let v = it.next().context("--starts needs a directory")?;
                o.starts_dir = Some(PathBuf::from(v));
            }
            "-h" | "--help" => return Ok(None),
            other => bail!("unknown argument '{other}'\n{USAGE}"),
        }
    }
    Ok(Some(o))
}

/// Runs `cargo xtask bench` with the arguments after `bench`.
pub fn run(args: &[String]) -> Result<()> {
    let Some(opts) = parse(args)? else {
        println!("{USAGE}");
        return Ok(());
    };
    let root = crate::host::workspace_root()?;
    println!("# losscape benchmarks\n");
    println!("{}\n", machine());
    if opts.run {
        let bin = build_cli(&root)?;
        let tmp = tempfile::tempdir().context("cannot create a temporary directory")?;
        let mut configs = vec!["configs/xor-quick.toml"];
        if opts.paper {
            configs.push("configs/xor-paper.toml");
        }
        for config in configs {
            end_to_end(&bin, &root, config, tmp.path(), opts.repeat)?;
        }
    }
    if opts.scaling {
        scaling(opts.quenches, &opts.sizes, opts.starts_dir.as_deref())?;
    }
    Ok(())
}

/// The machine, the profile xtask was built in and the load, which says whether other work
/// disturbed the timings.
fn machine() -> String {
    let profile = if cfg!(debug_assertions) {
        "dev (numeric crates at opt-level 3)"
    } else {
        "release"
    };
    format!(
        "machine: {}; xtask built in the {profile} profile; load average at start: {}",
        crate::host::machine(),
        load_average()
    )
}

/// The 1-minute load average, which says whether other work disturbed the timings.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

/// Builds `losscape` in release mode and returns the executable cargo reports.
fn build_cli(root: &Path) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("building: cargo build --release -p losscape-cli");
    let mut child = Command::new(cargo)
        .args([
            "build",
            "--release",
            "-p",
            "losscape-cli",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(root)
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start cargo")?;
    let stdout = child.stdout.take().context("cargo has no stdout")?;
    let mut executable = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.context("cannot read cargo's output")?;
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if msg["reason"] == "compiler-artifact"
            && msg["target"]["name"] == "losscape"
            && let Some(exe) = msg["executable"].as_str()
        {
            executable = Some(PathBuf::from(exe));
        }
    }
    let status = child.wait().context("cargo did not finish")?;
    if !status.success() {
        bail!("cargo build --release -p losscape-cli failed ({status})");
    }
    executable.context("cargo built no 'losscape' executable")
}

/// What one database holds, as far as the benchmark is concerned.
struct DbStats {
    minima: usize,
    transition_states: usize,
    /// Basin-hopping steps (quenches) over all chains.
    steps: u64,
    /// Energy + gradient evaluations of those quenches.
    evaluations: u64,
    /// Recorded units of work per stage, to show which stages actually ran.
    attempts: BTreeMap<&'static str, usize>,
    /// Per landscape key: every minimum's energy and coordinates as raw bits, in id order.
    fingerprint: BTreeMap<String, Vec<Vec<u64>>>,
    /// Seconds per stage, from the commit times of the units of work (see [`stage_times`]).
    stage_seconds: BTreeMap<&'static str, f64>,
}

/// Stages whose units of work are recorded in the attempts table.
const STAGES: [&str; 5] = ["basin_hopping", "census", "connect", "survey", "saturate"];

fn read_db(path: &Path) -> Result<DbStats> {
    let store =
        Store::open_read_only(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut s = DbStats {
        minima: 0,
        transition_states: 0,
        steps: 0,
        evaluations: 0,
        attempts: BTreeMap::new(),
        fingerprint: BTreeMap::new(),
        stage_seconds: BTreeMap::new(),
    };
    // (commit time, stage) of every unit of work, for the time per stage.
    let mut commits = Vec::new();
    for l in store.landscapes()? {
        let minima = store.minima(l.id)?;
        s.minima += minima.len();
        s.transition_states += store.transition_states(l.id)?.len();
        let chains = store.attempts(l.id, "basin_hopping")?;
        for a in &chains {
            let detail: serde_json::Value = serde_json::from_str(&a.detail).with_context(|| {
                format!("attempt {} of {} has a malformed detail", a.key, l.key)
            })?;
            s.steps += detail["steps"].as_u64().unwrap_or(0);
            s.evaluations += detail["evaluations"].as_u64().unwrap_or(0);
        }
        for stage in STAGES {
            let done = store.attempts(l.id, stage)?;
            *s.attempts.entry(stage).or_default() += done.len();
            commits.extend(
                done.iter()
                    .filter_map(|a| Some((seconds(&a.recorded_at)?, stage))),
            );
        }
        let bits = minima
            .iter()
            .map(|m| {
                std::iter::once(m.energy.to_bits())
                    .chain(m.coords.iter().map(|c| c.to_bits()))
                    .collect()
            })
            .collect();
        s.fingerprint.insert(l.key, bits);
    }
    let start = store.runs()?.first().and_then(|r| seconds(&r.started_at));
    if let Some(start) = start {
        s.stage_seconds = stage_times(start, commits);
    }
    Ok(s)
}

/// Wall time per stage: the run's time line is cut at every commit of a unit of work, and
/// each piece is charged to the stage of the commit that ends it. Units commit as they finish
/// and stages run one after another per landscape, so this is the stage's share of the wall
/// time up to the last commit (loading, summaries and the final bookkeeping are not charged).
fn stage_times(start: f64, mut commits: Vec<(f64, &'static str)>) -> BTreeMap<&'static str, f64> {
    commits.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut times = BTreeMap::new();
    let mut last = start;
    for (t, stage) in commits {
        *times.entry(stage).or_insert(0.0) += (t - last).max(0.0);
        last = last.max(t);
    }
    times
}

/// Seconds since 1970 of a `YYYY-MM-DDTHH:MM:SS.fffZ` time stamp (the database's format).
fn seconds(stamp: &str) -> Option<f64> {
    let (date, time) = stamp.trim_end_matches('Z').split_once('T')?;
    let mut d = date.splitn(3, '-').map(str::parse::<i64>);
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let mut t = time.splitn(3, ':');
    let (hh, mm) = (
        t.next()?.parse::<f64>().ok()?,
        t.next()?.parse::<f64>().ok()?,
    );
    let ss = t.next()?.parse::<f64>().ok()?;
    // Days from the civil date (Howard Hinnant's algorithm), proleptic Gregorian calendar.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days as f64 * 86_400.0 + hh * 3600.0 + mm * 60.0 + ss)
}

/// Times `losscape run CONFIG` once per thread count and prints the comparison.
fn end_to_end(bin: &Path, root: &Path, config: &str, tmp: &Path, repeat: usize) -> Result<()> {
    let runs = measure_end_to_end(bin, root, config, tmp, repeat)?;
    let mut out = end_to_end_table(config, repeat, &runs.rows);
    out.push_str(&end_to_end_details(repeat, &runs));
    println!("{out}");
    Ok(())
}

/// The fastest run of one thread count: threads, wall time and what its database holds.
type Fastest = (usize, Duration, DbStats);

/// What the end-to-end runs of one experiment file gave.
struct EndToEnd {
    /// The fastest run per thread count, in the order of [`THREADS`].
    rows: Vec<Fastest>,
    /// Every run's wall time in seconds, per thread count.
    walls: BTreeMap<usize, Vec<f64>>,
    /// Whether every database held the same minima bit for bit as the first.
    all_identical: bool,
}

/// Runs `losscape run CONFIG` `repeat` times per thread count into fresh databases in `tmp`.
fn measure_end_to_end(
    bin: &Path,
    root: &Path,
    config: &str,
    tmp: &Path,
    repeat: usize,
) -> Result<EndToEnd> {
    let config_path = root.join(config);
    let stem = config_path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("run");
    // Repetitions alternate the thread counts, so a burst of other load on the machine hits
    // both; the fastest run of each thread count is reported.
    let mut rows: Vec<Fastest> = Vec::new();
    let mut walls: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    let mut reference: Option<BTreeMap<String, Vec<Vec<u64>>>> = None;
    let mut all_identical = true;
    for rep in 0..repeat {
        for (slot, threads) in THREADS.into_iter().enumerate() {
            let db = tmp.join(format!("{stem}-t{threads}-r{rep}.db"));
            let wall = run_once(bin, root, config, &db, threads)?;
            let stats = read_db(&db)?;
            match &reference {
                None => reference = Some(stats.fingerprint.clone()),
                Some(r) => all_identical &= *r == stats.fingerprint,
            }
            walls.entry(threads).or_default().push(wall.as_secs_f64());
            if rows.len() <= slot {
                rows.push((threads, wall, stats));
            } else if wall < rows[slot].1 {
                rows[slot] = (threads, wall, stats);
            }
        }
    }
    Ok(EndToEnd {
        rows,
        walls,
        all_identical,
    })
}

/// One `losscape run CONFIG --db DB --quiet --threads N`; returns its wall time.
fn run_once(bin: &Path, root: &Path, config: &str, db: &Path, threads: usize) -> Result<Duration> {
    eprintln!(
        "running: losscape run {config} --db {} --quiet --threads {threads}",
        db.display()
    );
    let started = Instant::now();
    let status = Command::new(bin)
        .arg("run")
        .arg(root.join(config))
        .arg("--db")
        .arg(db)
        .args(["--quiet", "--threads", &threads.to_string()])
        .current_dir(root)
        .status()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let wall = started.elapsed();
    if !status.success() {
        bail!("losscape run {config} --threads {threads} failed ({status})");
    }
    Ok(wall)
}

/// The Markdown table of the fastest runs, the speed-up and whether the two thread counts
/// stored the same minima.
fn end_to_end_table(config: &str, repeat: usize, rows: &[Fastest]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## End to end: `losscape run {config}` (fastest of {repeat} run(s) per thread count)\n"
    );
    let _ = writeln!(
        out,
        "| threads | wall (s) | quenches | quenches/s | E+G evals/s | minima | TS | TS/s |"
    );
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (threads, wall, s) in rows {
        let secs = wall.as_secs_f64();
        let _ = writeln!(
            out,
            "| {threads} | {secs:.2} | {} | {:.0} | {:.3e} | {} | {} | {:.1} |",
            s.steps,
            s.steps as f64 / secs,
            s.evaluations as f64 / secs,
            s.minima,
            s.transition_states,
            s.transition_states as f64 / secs,
        );
    }
    if let [(t1, w1, a), (t2, w2, b)] = rows {
        let _ = writeln!(
            out,
            "\nspeed-up of {t2} threads over {t1}: {:.2}x",
            w1.as_secs_f64() / w2.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "identical minima for {t1} and {t2} threads: {}",
            same_minima(a, b)
        );
    }
    out
}

/// Whether two databases hold the same minima: bit for bit with the same ids, in another
/// order, or not at all.
fn same_minima(a: &DbStats, b: &DbStats) -> &'static str {
    if a.fingerprint == b.fingerprint {
        return "yes (energies and coordinates bit for bit, same ids)";
    }
    let sorted = |s: &DbStats| {
        let mut v: Vec<_> = s.fingerprint.values().flatten().cloned().collect();
        v.sort();
        v
    };
    if sorted(a) == sorted(b) {
        "same minima bit for bit, but stored in a different order"
    } else {
        "NO: the databases differ"
    }
}

/// The lines under the table: agreement of all repetitions, every wall time, the recorded
/// units of work and the wall time per stage.
fn end_to_end_details(repeat: usize, runs: &EndToEnd) -> String {
    let mut out = String::new();
    if repeat > 1 {
        let _ = writeln!(
            out,
            "all {} databases hold the same minima bit for bit: {}",
            repeat * THREADS.len(),
            if runs.all_identical { "yes" } else { "NO" }
        );
    }
    for (threads, w) in &runs.walls {
        let list: Vec<String> = w.iter().map(|t| format!("{t:.2}")).collect();
        let _ = writeln!(
            out,
            "wall times with {threads} thread(s): {} s",
            list.join(", ")
        );
    }
    if let Some((_, _, s)) = runs.rows.first() {
        let stages: Vec<String> = s
            .attempts
            .iter()
            .map(|(stage, n)| format!("{stage}: {n}"))
            .collect();
        let _ = writeln!(
            out,
            "recorded units of work per stage: {} (a stage with 0 did not run)",
            stages.join(", ")
        );
    }
    for (threads, _, s) in &runs.rows {
        let parts: Vec<String> = s
            .stage_seconds
            .iter()
            .map(|(stage, t)| format!("{stage} {t:.2} s"))
            .collect();
        let _ = writeln!(
            out,
            "wall time by stage with {threads} thread(s), from commit times: {}",
            parts.join(", ")
        );
    }
    out
}

/// One row of the scaling table.
struct Scaling {
    n_h: usize,
    dim: usize,
    quenches: usize,
    converged: usize,
    evaluations: usize,
    quench_time: Duration,
    analyses: usize,
    analysis_time: Duration,
    /// Pair attempts (DNEB + EF + push-off) between quenched minima with the default settings
    /// (Hessian-free eigenvector-following above `ef.hessian_free_above` parameters).
    pairs: PairTiming,
    /// The same pair attempts with eigenvector-following forced onto the dense path, where
    /// that is affordable ([`DENSE_PAIRS_UP_TO`]).
    dense_pairs: Option<PairTiming>,
}

/// Pair attempts and what they gave.
struct PairTiming {
    attempts: usize,
    transition_states: usize,
    time: Duration,
    /// Of `time`, spent in the elastic bands.
    band_time: Duration,
}

impl PairTiming {
    fn ms_per_attempt(&self) -> f64 {
        self.time.as_secs_f64() * 1e3 / self.attempts.max(1) as f64
    }
    fn ms_per_ts(&self) -> Option<f64> {
        (self.transition_states > 0)
            .then(|| self.time.as_secs_f64() * 1e3 / self.transition_states as f64)
    }
    /// Time per verified transition state outside the band (eigenvector-following and
    /// push-off).
    fn refine_ms_per_ts(&self) -> Option<f64> {
        (self.transition_states > 0).then(|| {
            (self.time - self.band_time).as_secs_f64() * 1e3 / self.transition_states as f64
        })
    }
}

/// Pair attempts timed per network width: enough to see the trend, few enough to stay quick.
const PAIR_ATTEMPTS: usize = 6;
/// Widest network whose pair attempts are also timed with dense eigenvector-following (at
/// N_h = 64 one dense macro-iteration already costs tens of milliseconds).
const DENSE_PAIRS_UP_TO: usize = 32;
/// Dense Hessian analyses timed per width above 200 parameters (each costs O(P³)).
const WIDE_ANALYSES: usize = 10;

/// Writes the random starts of one width as raw little-endian f64 records of length P, so
/// other optimisers (xtask/compare/scipy_lbfgsb.py) can quench exactly the same points.
fn dump_starts(dir: &Path, n_h: usize, points: &[f64]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let bytes: Vec<u8> = points.iter().flat_map(|v| v.to_le_bytes()).collect();
    let path = dir.join(format!("starts-h{n_h}.f64"));
    std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// Times quenches and Hessian analyses per network width and prints the Markdown table.
fn scaling(quenches: usize, sizes: &[usize], starts_dir: Option<&Path>) -> Result<()> {
    let kernels = Kernels::default();
    let mut rows = Vec::new();
    for &n_h in sizes {
        rows.push(kernels.scaling_row(n_h, quenches, starts_dir)?);
    }
    println!("{}", scaling_table(&rows, kernels.stop.rms_gradient));
    Ok(())
}

/// The settings the scaling table times the kernels with: the library's defaults throughout.
struct Kernels {
    config: Config,
    /// The quench's stopping rule.
    stop: Convergence,
    lbfgs: Lbfgs,
}

impl Default for Kernels {
    fn default() -> Self {
        let config = Config::default();
        let stop = config.quench.convergence();
        Self {
            config,
            stop,
            lbfgs: Lbfgs::default(),
        }
    }
}

impl Kernels {
    /// Quenches, Hessian analyses and pair attempts at one network width.
    fn scaling_row(
        &self,
        n_h: usize,
        quenches: usize,
        starts_dir: Option<&Path>,
    ) -> Result<Scaling> {
        eprintln!("scaling: N_h = {n_h}, {quenches} quenches");
        let model = Perceptron::new(Dataset::xor(), n_h, LAMBDA)?;
        let n = model.dim();
        let mut points = self.random_starts(n_h, n, quenches);
        if let Some(dir) = starts_dir {
            dump_starts(dir, n_h, &points)?;
        }
        let (converged, evaluations, quench_time) = self.time_quenches(&model, &mut points);
        // End points are analysed, as the runner analyses every converged minimum; an
        // unconverged point costs the same.
        let analyses = if n > 200 {
            quenches.min(WIDE_ANALYSES)
        } else {
            quenches
        };
        let analysis_time = self.time_analyses(&model, &points, analyses);
        let pairs = self.pairs(&model, &points);
        let params = self.config.ts_params();
        eprintln!("scaling: N_h = {n_h}, {} pair attempts", pairs.len());
        let timing = self.time_pairs(&model, &pairs, &params);
        let dense_pairs = (n_h <= DENSE_PAIRS_UP_TO).then(|| {
            let mut dense = params.clone();
            dense.ef.hessian_free_above = usize::MAX;
            self.time_pairs(&model, &pairs, &dense)
        });
        Ok(Scaling {
            n_h,
            dim: n,
            quenches,
            converged,
            evaluations,
            quench_time,
            analyses,
            analysis_time,
            pairs: timing,
            dense_pairs,
        })
    }

    /// `quenches` seeded random starts of dimension `n` for width `n_h`, one after another.
    /// Every start is drawn before the clock starts, so only quenching is timed.
    fn random_starts(&self, n_h: usize, n: usize, quenches: usize) -> Vec<f64> {
        let range = self.config.basin_hopping.start_range;
        (0..(quenches * n) as u64)
            .map(|i| {
                let u = (seed::derive(SEED, &[n_h as u64, i]) >> 11) as f64 / (1u64 << 53) as f64;
                range * (2.0 * u - 1.0)
            })
            .collect()
    }

    /// Quenches every start in place; returns the converged quenches, the evaluations and
    /// the time.
    fn time_quenches(&self, model: &Perceptron, points: &mut [f64]) -> (usize, usize, Duration) {
        let (mut converged, mut evaluations) = (0, 0);
        let started = Instant::now();
        for x in points.chunks_exact_mut(model.dim()) {
            if let Ok(out) = self.lbfgs.minimise(model, x, &self.stop) {
                converged += usize::from(out.converged);
                evaluations += out.evaluations;
            }
        }
        (converged, evaluations, started.elapsed())
    }

    /// Times dense Hessian analyses of the first `analyses` points.
    fn time_analyses(&self, model: &Perceptron, points: &[f64], analyses: usize) -> Duration {
        let zero = self.config.checks.zero_eigenvalue;
        let started = Instant::now();
        let mut negative = 0;
        for x in points.chunks_exact(model.dim()).take(analyses) {
            negative += std::hint::black_box(analyse(model, x, zero)).index;
        }
        let analysis_time = started.elapsed();
        std::hint::black_box(negative);
        analysis_time
    }

    /// Up to [`PAIR_ATTEMPTS`] pairs of consecutive distinct minima among the quenched
    /// points, as the connect stage makes them.
    fn pairs<'p>(&self, model: &Perceptron, points: &'p [f64]) -> Vec<(&'p [f64], &'p [f64])> {
        let zero = self.config.checks.zero_eigenvalue;
        let mut pairs = Vec::new();
        let mut previous: Option<&[f64]> = None;
        for x in points.chunks_exact(model.dim()) {
            if pairs.len() == PAIR_ATTEMPTS {
                break;
            }
            if analyse(model, x, zero).index != 0 {
                continue;
            }
            if let Some(p) = previous
                && model.aligned_distance(p, x) > self.config.identity.distance_tolerance
            {
                pairs.push((p, x));
            }
            previous = Some(x);
        }
        pairs
    }

    /// Times the pair attempts with the transition-state settings `params`.
    fn time_pairs(
        &self,
        model: &Perceptron,
        pairs: &[(&[f64], &[f64])],
        params: &losscape_ts::TsParams,
    ) -> PairTiming {
        let tools = losscape_ts::Toolkit {
            landscape: model,
            minimiser: &self.lbfgs,
            params,
            checks: &self.config.checks,
            identity: &self.config.identity,
            quench: &self.stop,
            executor: &losscape_ts::Sequential,
        };
        // The steps of `connect::pair_work`, timed apart: the band, then eigenvector-following
        // and push-off from each of its highest maxima.
        let (mut band_time, mut transition_states) = (Duration::ZERO, 0);
        let started = Instant::now();
        for (a, b) in pairs {
            let t = Instant::now();
            let band = losscape_ts::dneb::run(model, a, b, &params.dneb);
            band_time += t.elapsed();
            let Ok(band) = band else { continue };
            transition_states += band
                .maxima
                .iter()
                .take(params.connect.candidates_per_band)
                .filter(|&&i| losscape_ts::refine(&tools, &band.images[i], None).is_ok())
                .count();
        }
        PairTiming {
            attempts: pairs.len(),
            transition_states,
            time: started.elapsed(),
            band_time,
        }
    }
}

/// The Markdown table of the scaling rows; `rms_gradient` is the quenches' tolerance.
fn scaling_table(rows: &[Scaling], rms_gradient: f64) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## Scaling with N_h (XOR, λ = {LAMBDA:e}, L-BFGS to RMS gradient {rms_gradient:e} from \
         random starts)\n"
    );
    let _ = writeln!(
        out,
        "| N_h | parameters | ms / quench | converged | E+G evals / quench | \
         µs / E+G eval (whole quench) | ms / Hessian analysis | ms / pair attempt | \
         of which DNEB | verified TS / attempt | ms / TS | ms / TS, dense EF | dense / default | \
         EF + push-off ms / TS | same, dense EF |"
    );
    let _ = writeln!(
        out,
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1}"));
    for r in rows {
        let q = r.quenches.max(1) as f64;
        let evals = r.evaluations.max(1) as f64;
        let dense = r.dense_pairs.as_ref().and_then(PairTiming::ms_per_ts);
        let ratio = match (dense, r.pairs.ms_per_ts()) {
            (Some(d), Some(f)) => format!("{:.1}", d / f),
            _ => "-".to_string(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {:.3} | {}/{} | {:.0} | {:.3} | {:.3} | {:.1} | {:.1} | {:.2} | {} | {} | {} | {} | {} |",
            r.n_h,
            r.dim,
            r.quench_time.as_secs_f64() * 1e3 / q,
            r.converged,
            r.quenches,
            r.evaluations as f64 / q,
            r.quench_time.as_secs_f64() * 1e6 / evals,
            r.analysis_time.as_secs_f64() * 1e3 / r.analyses.max(1) as f64,
            r.pairs.ms_per_attempt(),
            r.pairs.band_time.as_secs_f64() * 1e3 / r.pairs.attempts.max(1) as f64,
            r.pairs.transition_states as f64 / r.pairs.attempts.max(1) as f64,
            ms(r.pairs.ms_per_ts()),
            ms(dense),
            ratio,
            ms(r.pairs.refine_ms_per_ts()),
            ms(r.dense_pairs
                .as_ref()
                .and_then(PairTiming::refine_ms_per_ts)),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_stamps_parse() {
        assert_eq!(seconds("1970-01-01T00:00:00.000Z"), Some(0.0));
        // 2000-03-01 is day 11017 (just after a leap day of a 400-year leap year).
        assert_eq!(
            seconds("2000-03-01T01:02:03.500Z"),
            Some(11_017.0 * 86_400.0 + 3723.5)
        );
        assert_eq!(seconds("not a time"), None);
    }

    #[test]
    fn stage_time_is_charged_to_the_committing_stage() {
        let t = stage_times(
            10.0,
            vec![
                (13.0, "connect"),
                (11.0, "basin_hopping"),
                (12.0, "basin_hopping"),
            ],
        );
        assert_eq!(t.get("basin_hopping"), Some(&2.0));
        assert_eq!(t.get("connect"), Some(&1.0));
    }

    fn stats(fingerprint: &[(&str, Vec<Vec<u64>>)]) -> DbStats {
        DbStats {
            minima: 0,
            transition_states: 0,
            steps: 0,
            evaluations: 0,
            attempts: BTreeMap::new(),
            fingerprint: fingerprint
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            stage_seconds: BTreeMap::new(),
        }
    }

    #[test]
    fn minima_compare_by_ids_then_by_content() {
        let a = stats(&[("h2", vec![vec![1, 2], vec![3, 4]])]);
        let swapped = stats(&[("h2", vec![vec![3, 4], vec![1, 2]])]);
        let other = stats(&[("h2", vec![vec![1, 2], vec![3, 5]])]);
        assert!(same_minima(&a, &a).starts_with("yes"));
        assert!(same_minima(&a, &swapped).starts_with("same minima"));
        assert!(same_minima(&a, &other).starts_with("NO"));
    }

    #[test]
    fn scaling_header_names_the_quench_tolerance() {
        let header = |g: f64| scaling_table(&[], g).lines().next().map(str::to_string);
        assert_eq!(
            header(1e-10).as_deref(),
            Some(
                "## Scaling with N_h (XOR, λ = 1e-3, L-BFGS to RMS gradient 1e-10 from random starts)"
            )
        );
        assert!(header(1e-8).is_some_and(|h| h.contains("RMS gradient 1e-8 from")));
    }

    #[test]
    fn arguments() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let o = parse(&args(&["--paper", "--quenches", "7", "--no-run"]))
            .ok()
            .flatten();
        assert!(o.is_some_and(|o| o.paper && o.quenches == 7 && !o.run && o.scaling));
        assert!(parse(&args(&["--quenches", "0"])).is_err());
        assert!(parse(&args(&["--repeat", "x"])).is_err());
        assert!(parse(&args(&["--bogus"])).is_err());
        assert!(matches!(parse(&args(&["--help"])), Ok(None)));
    }
}
