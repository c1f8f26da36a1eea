//! PATHSAMPLE export and import through the database.
//!
//! Export writes the four PATHSAMPLE files plus `min.A`/`min.B` (endpoint sets for rate
//! calculations) and `ids.csv` (file line ↔ database id). It refuses a landscape whose files
//! could not be loaded by PATHSAMPLE-style tools (no transition state joining two minima), and
//! replaces the files of an earlier export only once every new file is written in full, so a
//! failure never leaves a mix of old and new files.
//!
//! Import trusts nothing but the coordinates: every point is re-analysed in the network of the
//! landscape it is imported into and must pass the checks a point found by a run passes — the
//! energy of the file, an RMS gradient within `[checks] rms_gradient`, Hessian index 0 for a
//! minimum and 1 for a transition state, no zero eigenvalue — and every transition state is
//! pushed off both ways and must reach the minima its `ts.data` line names (for `min1 == min2`,
//! two symmetry copies of that minimum). Any failure refuses the whole import with the reasons,
//! before the database is opened, so nothing is stored and no new database file is left behind.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use losscape_analysis::census::point_group_order;
use losscape_analysis::pathsample::{
    IDS_CSV, MIN_A, MIN_B, MIN_DATA, POINTS_MIN, POINTS_TS, PointGroupOrders, TS_DATA,
    endpoints_file, format_pathsample, read_pathsample_with_orders,
};
use losscape_analysis::{MinimumInfo, TsInfo};
use losscape_core::Identity;
use losscape_db::{LandscapeSpec, NewMinimum, NewTs, RunInfo, RunStatus, Store};
use losscape_experiment::Config;
use losscape_hessian::{Analysis, Checks, analyse};
use losscape_lbfgs::Lbfgs;
use losscape_model::{Dataset, Perceptron};
use losscape_ts::pushoff::{self, PushOffKind};

use crate::ReportError;
use crate::data::{LandscapeData, StoredExperiment, dataset, select};

/// Which minima form the endpoint sets `min.A` and `min.B` of an export.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// Database ids of set A; empty means the global minimum.
    pub a: Vec<i64>,
    /// Database ids of set B; empty means every minimum not in A.
    pub b: Vec<i64>,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExportSummary {
    /// Lines of `min.data`.
    pub minima: usize,
    /// Lines of `ts.data`.
    pub transition_states: usize,
    /// Of those, degenerate rearrangements (written with `min1 == min2`).
    pub degenerate: usize,
    /// Database ids in `min.A`.
    pub a: Vec<i64>,
    /// Database ids in `min.B`.
    pub b: Vec<i64>,
    /// Things a reader of the files should know (e.g. minima no transition state reaches).
    pub warnings: Vec<String>,
}

/// Writes the PATHSAMPLE files of one landscape into `dir` (created if needed): `min.data`,
/// `ts.data`, `points.min`, `points.ts`, `min.A`, `min.B` and `ids.csv`.
///
/// Refuses, writing nothing, a landscape without a transition state joining two distinct minima
/// (its `ts.data` would hold no usable line, and PyGT and disconnectionDPS fail on it), endpoint
/// ids that are not minima of the landscape, and overlapping or empty endpoint sets.
///
/// Each point's point-group order is its stabiliser order under the symmetry group
/// ([`point_group_order`] with `identity`, the rule of the Morse census).
pub fn export_pathsample(
    l: &LandscapeData,
    identity: &Identity,
    dir: &Path,
    opts: &ExportOptions,
) -> Result<ExportSummary, ReportError> {
    let key = &l.row.key;
    let degenerate = l.ts.iter().filter(|t| t.is_degenerate()).count();
    if l.ts.len() == degenerate {
        return Err(ReportError::Invalid(format!(
            "landscape {key} has no transition state joining two minima ({} minima, {} \
             transition states, {degenerate} of them degenerate): its ts.data would have no \
             usable line and PyGT, PATHSAMPLE and disconnectionDPS cannot load it; nothing was \
             written ({})",
            l.minima.len(),
            l.ts.len(),
            if l.minima.len() < 2 {
                "a single minimum has nothing to connect"
            } else {
                "run the connect stage first"
            }
        )));
    }
    let (a, b) = endpoints(l, opts)?;
    let orders = PointGroupOrders {
        minima: l
            .minima
            .iter()
            .map(|m| point_group_order(&l.model, identity, &m.coords))
            .collect(),
        ts: l
            .ts
            .iter()
            .map(|t| point_group_order(&l.model, identity, &t.coords))
            .collect(),
    };
    let files = format_pathsample(&l.minima, &l.ts, &orders).map_err(ReportError::io(dir))?;
    let line = |id: i64| {
        files
            .line_of
            .iter()
            .find(|(m, _)| *m == id)
            .map(|&(_, line)| line)
            .unwrap_or(0) // ids were checked by `endpoints`
    };
    let a_lines: Vec<usize> = a.iter().map(|&id| line(id)).collect();
    let b_lines: Vec<usize> = b.iter().map(|&id| line(id)).collect();
    let warnings = unreachable_warning(l, &a, &b).into_iter().collect();
    write_all_or_nothing(
        dir,
        &[
            (MIN_DATA, files.min_data.as_bytes()),
            (TS_DATA, files.ts_data.as_bytes()),
            (POINTS_MIN, &files.points_min),
            (POINTS_TS, &files.points_ts),
            (MIN_A, endpoints_file(&a_lines).as_bytes()),
            (MIN_B, endpoints_file(&b_lines).as_bytes()),
            (IDS_CSV, files.ids_csv.as_bytes()),
        ],
    )?;
    Ok(ExportSummary {
        minima: l.minima.len(),
        transition_states: l.ts.len(),
        degenerate,
        a,
        b,
        warnings,
    })
}

/// The endpoint sets, defaulted and checked.
fn endpoints(l: &LandscapeData, opts: &ExportOptions) -> Result<(Vec<i64>, Vec<i64>), ReportError> {
    let key = &l.row.key;
    let ids: BTreeSet<i64> = l.minima.iter().map(|m| m.id).collect();
    let check = |set: &[i64], name: &str| -> Result<(), ReportError> {
        let unknown: Vec<String> = set
            .iter()
            .filter(|id| !ids.contains(id))
            .map(i64::to_string)
            .collect();
        if unknown.is_empty() {
            return Ok(());
        }
        let known: Vec<String> = ids.iter().map(i64::to_string).collect();
        Err(ReportError::Invalid(format!(
            "--{name}: {} not minima of landscape {key} (its minima are {})",
            unknown.join(", "),
            known.join(", ")
        )))
    };
    check(&opts.a, "a")?;
    check(&opts.b, "b")?;
    let a: Vec<i64> = if opts.a.is_empty() {
        let global = l
            .minima
            .iter()
            .min_by(|x, y| x.energy.total_cmp(&y.energy))
            .ok_or_else(|| ReportError::Invalid(format!("landscape {key} has no minima")))?;
        vec![global.id]
    } else {
        dedup(&opts.a)
    };
    let b: Vec<i64> = if opts.b.is_empty() {
        ids.iter().copied().filter(|id| !a.contains(id)).collect()
    } else {
        dedup(&opts.b)
    };
    if let Some(both) = a.iter().find(|id| b.contains(id)) {
        return Err(ReportError::Invalid(format!(
            "minimum {both} is in both --a and --b; the endpoint sets must not overlap"
        )));
    }
    if b.is_empty() {
        return Err(ReportError::Invalid(format!(
            "landscape {key}: set B is empty (A holds every minimum); name other minima with --b"
        )));
    }
    Ok((a, b))
}

fn dedup(ids: &[i64]) -> Vec<i64> {
    let mut seen = BTreeSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

/// A warning naming the minima that no chain of (non-degenerate) transition states joins to
/// set A: rate calculations from A never reach them.
fn unreachable_warning(l: &LandscapeData, a: &[i64], b: &[i64]) -> Option<String> {
    let pos = |id: i64| l.minima.iter().position(|m| m.id == id);
    let mut parent: Vec<usize> = (0..l.minima.len()).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for t in l.ts.iter().filter(|t| !t.is_degenerate()) {
        if let (Some(x), Some(y)) = (pos(t.min1), pos(t.min2)) {
            let (rx, ry) = (root(&mut parent, x), root(&mut parent, y));
            parent[rx] = ry;
        }
    }
    let a_roots: BTreeSet<usize> = a
        .iter()
        .filter_map(|&id| pos(id))
        .map(|i| root(&mut parent, i))
        .collect();
    let cut: Vec<String> = l
        .minima
        .iter()
        .enumerate()
        .filter(|&(i, _)| !a_roots.contains(&root(&mut parent, i)))
        .map(|(_, m)| m.id.to_string())
        .collect();
    if cut.is_empty() {
        return None;
    }
    let b_cut = b.iter().filter(|id| cut.contains(&id.to_string())).count();
    Some(format!(
        "landscape {}: minima {} are joined to set A by no transition state ({b_cut} of them in \
         set B); rates between A and those minima are zero",
        l.row.key,
        cut.join(", ")
    ))
}

/// Writes every `(name, contents)` into `dir` so that either all files are replaced or none
/// is: each is written in full (and synced) under a temporary name first, then the temporary
/// files are renamed over the targets. A target that cannot be replaced (a folder in its place)
/// is found before anything is renamed.
fn write_all_or_nothing(dir: &Path, files: &[(&str, &[u8])]) -> Result<(), ReportError> {
    std::fs::create_dir_all(dir).map_err(ReportError::io(dir))?;
    for (name, _) in files {
        let target = dir.join(name);
        if let Ok(meta) = std::fs::symlink_metadata(&target)
            && meta.is_dir()
        {
            return Err(ReportError::Invalid(format!(
                "{}: is a folder, cannot be replaced by the exported file; nothing was written",
                target.display()
            )));
        }
    }
    let temp = |name: &str| dir.join(format!(".{name}.losscape-partial"));
    let mut written: Vec<PathBuf> = Vec::with_capacity(files.len());
    let cleanup = |written: &[PathBuf]| {
        for p in written {
            let _ = std::fs::remove_file(p);
        }
    };
    for (name, contents) in files {
        let path = temp(name);
        let result = std::fs::File::create(&path).and_then(|mut f| {
            f.write_all(contents)?;
            f.sync_all()
        });
        if let Err(source) = result {
            let _ = std::fs::remove_file(&path);
            cleanup(&written);
            return Err(ReportError::Io {
                path: dir.join(name),
                source: std::io::Error::new(
                    source.kind(),
                    format!("{source}; no file of the export was replaced"),
                ),
            });
        }
        written.push(path);
    }
    for (i, (name, _)) in files.iter().enumerate() {
        if let Err(source) = std::fs::rename(&written[i], dir.join(name)) {
            cleanup(&written[i..]);
            let done: Vec<&str> = files[..i].iter().map(|(n, _)| *n).collect();
            return Err(ReportError::Io {
                path: dir.join(name),
                source: std::io::Error::new(
                    source.kind(),
                    format!(
                        "{source}; already replaced: {}",
                        if done.is_empty() {
                            "none".to_owned()
                        } else {
                            done.join(", ")
                        }
                    ),
                ),
            });
        }
    }
    Ok(())
}

/// What to import and where.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportOptions {
    /// Landscape key to import into (created if it does not exist; must hold no minima).
    pub key: String,
    /// Hidden units of the network the points belong to.
    pub n_hidden: usize,
    /// Its L2 penalty.
    pub lambda: f64,
    /// An experiment file whose data set (and identity, push-off and check settings) the points
    /// belong to; `None` takes the database's stored data set, or XOR for a new database.
    pub data_config: Option<PathBuf>,
    /// Largest `|E(file) - E(recomputed)|` accepted. The files hold 10 decimals.
    pub energy_tolerance: f64,
    /// The command line, stored in the import's run record.
    pub command: String,
    /// Program version, stored in the import's run record.
    pub program_version: String,
}

/// What an import stored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportSummary {
    /// Minima stored: the lines of `min.data` less those that repeat an earlier line's point.
    pub minima: usize,
    /// Transition states stored: the lines of `ts.data` less repeats.
    pub transition_states: usize,
    /// Lines of `min.data` and `ts.data` that are the same point as an earlier line (by the
    /// identity rule every found point passes): stored once, counted as found again.
    pub repeated: usize,
    /// Of those, degenerate (`min1 == min2`).
    pub degenerate: usize,
    /// Largest `|E(file) - E(recomputed)|` over all points.
    pub max_energy_difference: f64,
    /// Where the data set came from, with its SHA-256.
    pub data: String,
    /// Points whose point-group order in the files differs from their stabiliser order in this
    /// network (files of a tool that writes 1 for every point, say); the database does not
    /// store the order, so this only tells the reader the files' symmetry numbers were wrong.
    pub warnings: Vec<String>,
}

/// One line per kind of point whose file order differs from [`point_group_order`] here,
/// naming the first few lines.
fn order_warnings(
    model: &Perceptron,
    identity: &Identity,
    minima: &[MinimumInfo],
    ts: &[TsInfo],
    orders: &PointGroupOrders,
) -> Vec<String> {
    let minima = minima.iter().map(|m| m.coords.as_slice());
    let ts = ts.iter().map(|t| t.coords.as_slice());
    [
        order_warning(model, identity, MIN_DATA, minima, &orders.minima),
        order_warning(model, identity, TS_DATA, ts, &orders.ts),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The warning for the points of `file` (coordinates and the orders read), if any differ.
fn order_warning<'a>(
    model: &Perceptron,
    identity: &Identity,
    file: &str,
    coords: impl Iterator<Item = &'a [f64]>,
    read: &[u64],
) -> Option<String> {
    let differ: Vec<String> = coords
        .zip(read)
        .enumerate()
        .filter_map(|(i, (x, &read))| {
            let computed = point_group_order(model, identity, x);
            (computed != read).then(|| format!("line {} ({read}, computed {computed})", i + 1))
        })
        .collect();
    (!differ.is_empty()).then(|| {
        format!(
            "{file}: {} of {} point-group orders differ from the stabiliser order of the point \
             in this network: {}{}",
            differ.len(),
            read.len(),
            differ[..differ.len().min(SHOWN_PROBLEMS)].join(", "),
            if differ.len() > SHOWN_PROBLEMS {
                ", ..."
            } else {
                ""
            }
        )
    })
}

/// The data set and settings an import verifies against.
struct Source {
    data: Dataset,
    kind: String,
    origin: String,
    config: Config,
    config_text: Option<String>,
}

/// Imports the PATHSAMPLE files in `dir` into the database `db` as landscape `opts.key`.
///
/// Everything is checked before the database is opened for writing; a refused import stores
/// nothing and, if `db` did not exist, leaves no file behind.
pub fn import_pathsample(
    db: &Path,
    dir: &Path,
    opts: &ImportOptions,
) -> Result<ImportSummary, ReportError> {
    let existed = db.exists();
    let source = import_source(db, existed, opts)?;
    let model = Perceptron::new(source.data.clone(), opts.n_hidden, opts.lambda)?;
    let (minima, ts, orders) = read_pathsample_with_orders(dir, model.dim())?;
    let verified = verify(&model, &source, &minima, &ts, opts)?;

    let mut store = Store::open(db)?;
    let stored = store_verified(
        &mut store, dir, &source, &model, &minima, &ts, &verified, opts,
    );
    if stored.is_err() && !existed {
        // The database was created for this import only: take it away again.
        drop(store);
        for suffix in ["", "-wal", "-shm", "-journal", ".lock"] {
            let mut p = db.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }
    let (mut summary, data) = stored?;
    summary.data = data;
    summary.warnings = order_warnings(&model, &source.config.identity, &minima, &ts, &orders);
    summary.max_energy_difference = verified.max_energy_difference;
    Ok(summary)
}

/// The `datasets.kind` of the data a config names.
fn data_kind(config: &Config) -> &'static str {
    use losscape_experiment::config::DataSection;
    match &config.data {
        DataSection::Xor => "xor",
        DataSection::Csv { .. } => "csv",
        DataSection::Mlpdata { .. } => "mlpdata",
    }
}

/// The `datasets.source` of the data a config names: its file as written (empty for XOR), as
/// the runner records it.
fn data_file(config: &Config) -> String {
    use losscape_experiment::config::DataSection;
    match &config.data {
        DataSection::Xor => String::new(),
        DataSection::Csv { path, .. } | DataSection::Mlpdata { path } => path.display().to_string(),
    }
}

fn import_source(db: &Path, existed: bool, opts: &ImportOptions) -> Result<Source, ReportError> {
    let stored = if existed {
        let store = Store::open_read_only(db)?;
        let exp = StoredExperiment::read(&store)?;
        let has_copy = store.dataset()?.is_some();
        Some((exp, has_copy))
    } else {
        None
    };
    let given = match &opts.data_config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(ReportError::io(path))?;
            let config = Config::parse(&text, path)?;
            let data = dataset(&config, path)?;
            Some(Source {
                data,
                kind: data_kind(&config).to_owned(),
                origin: format!("the data of {}", path.display()),
                config,
                config_text: Some(text),
            })
        }
        None => None,
    };
    match (stored, given) {
        (Some((exp, true)), Some(g)) if exp.data.sha256() != g.data.sha256() => {
            Err(ReportError::ImportMismatch(format!(
                "{} holds a data set with sha256 {}, but {} has sha256 {}; import into another \
                 database",
                db.display(),
                exp.data.sha256(),
                g.origin,
                g.data.sha256()
            )))
        }
        (_, Some(g)) => Ok(g),
        (Some((exp, _)), None) => Ok(Source {
            data: exp.data.clone(),
            // Used only if the database has no copy yet (made before schema version 3): then
            // the data came from the file its stored config names.
            kind: data_kind(&exp.config).into(),
            origin: format!("the data set of {}", db.display()),
            config: exp.config.clone(),
            config_text: exp.run.as_ref().map(|r| r.config_text.clone()),
        }),
        (None, None) => Ok(Source {
            data: Dataset::xor(),
            kind: "xor".into(),
            origin: "the XOR data (no --data given)".into(),
            config: Config::default(),
            config_text: None,
        }),
    }
}

/// The analyses of every imported point, all of which passed.
struct Verified {
    minima: Vec<Analysis>,
    ts: Vec<Analysis>,
    max_energy_difference: f64,
}

/// Most problems listed in a refusal.
const SHOWN_PROBLEMS: usize = 8;

fn verify(
    model: &Perceptron,
    source: &Source,
    minima: &[MinimumInfo],
    ts: &[TsInfo],
    opts: &ImportOptions,
) -> Result<Verified, ReportError> {
    let checks = &source.config.checks;
    let mut problems: Vec<String> = Vec::new();
    let mut max_diff = 0.0f64;
    let mut point = |what: String, file_e: f64, x: &[f64], want: usize| {
        let a = analyse(model, x, checks.zero_eigenvalue);
        let diff = (a.energy - file_e).abs();
        if diff.is_nan() || diff > max_diff {
            max_diff = diff;
        }
        let why = point_problems(&a, file_e, want, checks, opts.energy_tolerance);
        if !why.is_empty() {
            problems.push(format!("{what}: {}", why.join(", ")));
        }
        a
    };
    let min_an: Vec<Analysis> = minima
        .iter()
        .map(|m| point(format!("min.data line {}", m.id), m.energy, &m.coords, 0))
        .collect();
    let ts_an: Vec<Analysis> = ts
        .iter()
        .map(|t| point(format!("ts.data line {}", t.id), t.energy, &t.coords, 1))
        .collect();
    // Push-offs only make sense from points that are transition states; minima must be right
    // for the comparison to mean anything.
    if problems.is_empty() {
        let quench = source.config.quench.convergence();
        let lbfgs = match &source.config.minimiser {
            losscape_experiment::config::MinimiserSection::Lbfgs(p) => Lbfgs::new(*p),
            _ => Lbfgs::default(),
        };
        for (t, a) in ts.iter().zip(&ts_an) {
            if let Some(p) = pushoff_problem(model, source, &lbfgs, &quench, minima, &min_an, t, a)
            {
                problems.push(format!("ts.data line {}: {p}", t.id));
            }
        }
    }
    if !problems.is_empty() {
        return Err(refusal(&problems, source, opts));
    }
    Ok(Verified {
        minima: min_an,
        ts: ts_an,
        max_energy_difference: max_diff,
    })
}

/// What is wrong with an imported point whose file energy is `file_e` and whose Hessian index
/// should be `want`, judged by the checks every stored point passes (empty: nothing).
fn point_problems(
    a: &Analysis,
    file_e: f64,
    want: usize,
    checks: &Checks,
    energy_tolerance: f64,
) -> Vec<String> {
    let diff = (a.energy - file_e).abs();
    let mut why = Vec::new();
    // NaN (a non-finite recomputed energy) fails too.
    if diff.is_nan() || diff > energy_tolerance {
        why.push(format!(
            "energy {:.10} recomputed, {file_e:.10} in the file",
            a.energy
        ));
    }
    if a.rms_gradient.is_nan() || a.rms_gradient > checks.rms_gradient {
        why.push(format!(
            "RMS gradient {:.2e} > {:.0e}",
            a.rms_gradient, checks.rms_gradient
        ));
    }
    if a.index != want {
        why.push(format!("Hessian index {} (expected {want})", a.index));
    }
    if a.zero_modes > 0 {
        why.push(format!("{} zero eigenvalue(s)", a.zero_modes));
    }
    why
}

/// The refusal of an import, listing the first [`SHOWN_PROBLEMS`] problems.
fn refusal(problems: &[String], source: &Source, opts: &ImportOptions) -> ReportError {
    let n = problems.len();
    let mut text = format!(
        "{n} point(s) of the files fail the checks every stored point passes (network N_h = \
         {}, λ = {:e}, {}):",
        opts.n_hidden, opts.lambda, source.origin
    );
    for p in problems.iter().take(SHOWN_PROBLEMS) {
        let _ = write!(text, "\n  {p}");
    }
    if n > SHOWN_PROBLEMS {
        let _ = write!(text, "\n  ... and {} more", n - SHOWN_PROBLEMS);
    }
    ReportError::ImportMismatch(text)
}

/// Pushes off an imported transition state and says what is wrong if the two sides do not
/// reach the minima its `ts.data` line names.
#[allow(clippy::too_many_arguments)]
fn pushoff_problem(
    model: &Perceptron,
    source: &Source,
    lbfgs: &Lbfgs,
    quench: &losscape_core::Convergence,
    minima: &[MinimumInfo],
    min_an: &[Analysis],
    t: &TsInfo,
    a: &Analysis,
) -> Option<String> {
    let identity = &source.config.identity;
    let push = match pushoff::run(
        model,
        lbfgs,
        &t.coords,
        a.energy,
        a.lowest_vector(),
        &source.config.pushoff,
        quench,
        identity,
        source.config.checks.zero_eigenvalue,
        source.config.ef.krylov_dim_for(model.dim()),
    ) {
        Ok(p) => p,
        Err(e) => return Some(format!("push-off failed: {e}")),
    };
    let sides = [&push.connects.minus, &push.connects.plus];
    if sides.iter().any(|q| !q.converged) {
        return Some("a push-off quench did not converge".into());
    }
    // Which imported minimum (1-based line) each side reached, if any.
    let reached: Vec<Option<i64>> = sides
        .iter()
        .map(|q| {
            minima
                .iter()
                .zip(min_an)
                .find(|(m, ma)| identity.same(model, q.energy, &q.coords, ma.energy, &m.coords))
                .map(|(m, _)| m.id)
        })
        .collect();
    let shown =
        |r: &Option<i64>| r.map_or("a minimum not in min.data".to_owned(), |i| i.to_string());
    // A line that repeats an earlier line's point stands for that line (the first of its kind,
    // which is what `reached` finds).
    let first_of = |k: i64| {
        let i = (k - 1) as usize;
        minima
            .iter()
            .zip(min_an)
            .find(|(m, ma)| {
                identity.same(
                    model,
                    ma.energy,
                    &m.coords,
                    min_an[i].energy,
                    &minima[i].coords,
                )
            })
            .map_or(k, |(m, _)| m.id)
    };
    let (min1, min2) = (first_of(t.min1), first_of(t.min2));
    let ok = match (min1 == min2, push.kind) {
        (true, PushOffKind::Degenerate) => reached.iter().all(|r| *r == Some(min1)),
        (false, PushOffKind::Distinct) => {
            (reached[0] == Some(min1) && reached[1] == Some(min2))
                || (reached[0] == Some(min2) && reached[1] == Some(min1))
        }
        _ => false,
    };
    if ok {
        return None;
    }
    let kind = match push.kind {
        PushOffKind::Distinct => "two different minima",
        PushOffKind::Degenerate => "two symmetry copies of one minimum",
        PushOffKind::SamePoint => "the very same point",
        PushOffKind::BelowMinimum => "a point not below the saddle",
    };
    Some(format!(
        "push-offs reach {kind} ({} and {}), the file says {} and {}",
        shown(&reached[0]),
        shown(&reached[1]),
        t.min1,
        t.min2
    ))
}

/// Refuses an import into a database with another data set, or into a landscape that holds
/// minima already; returns the data set's SHA-256.
fn check_import_target(
    store: &Store,
    source: &Source,
    opts: &ImportOptions,
) -> Result<String, ReportError> {
    // The data set must be the database's own.
    let sha = source.data.sha256();
    if let Some((rec, _)) = store.dataset()?
        && rec.sha256 != sha
    {
        return Err(ReportError::ImportMismatch(format!(
            "{} holds a data set with sha256 {}, the points belong to {} (sha256 {sha})",
            store.path().display(),
            rec.sha256,
            source.origin
        )));
    }
    if let Ok(existing) = select(store, Some(&opts.key)) {
        let held = existing
            .iter()
            .map(|l| store.minima(l.id).map(|m| m.len()))
            .sum::<Result<usize, _>>()?;
        if held > 0 {
            return Err(ReportError::ImportMismatch(format!(
                "landscape {} already holds {held} minima; import into a new landscape key",
                opts.key
            )));
        }
    }
    Ok(sha)
}

/// The landscape imported points are stored under.
fn imported_landscape(
    dir: &Path,
    source: &Source,
    model: &Perceptron,
    opts: &ImportOptions,
) -> LandscapeSpec {
    let dim = model.dim();
    LandscapeSpec {
        key: opts.key.clone(),
        n_in: source.data.n_in as u32,
        n_hidden: opts.n_hidden as u32,
        n_out: source.data.n_out as u32,
        dimension: dim as u32,
        lambda: opts.lambda,
        dataset: "imported".into(),
        config_json: format!(
            "{{\"n_hidden\":{},\"lambda\":{:e},\"dim\":{dim},\"imported_from\":{:?}}}",
            opts.n_hidden,
            opts.lambda,
            dir.display().to_string()
        ),
    }
}

/// The run record of an import. It keeps the provenance; its config is the one the data came
/// from, or a minimal one naming the network.
fn import_run(dir: &Path, source: &Source, opts: &ImportOptions) -> RunInfo {
    let config_text = source.config_text.clone().unwrap_or_else(|| {
        format!(
            "# imported from PATHSAMPLE files in {}\n[experiment]\nname = \"import\"\n\n\
             [landscape]\nn_hidden = [{}]\nlambda = [{:e}]\n",
            dir.display(),
            opts.n_hidden,
            opts.lambda
        )
    });
    RunInfo {
        program_version: opts.program_version.clone(),
        command: opts.command.clone(),
        config_text,
        seed: source.config.experiment.seed,
        threads: 1,
        minimiser: "import".into(),
    }
}

#[allow(clippy::too_many_arguments)]
fn store_verified(
    store: &mut Store,
    dir: &Path,
    source: &Source,
    model: &Perceptron,
    minima: &[MinimumInfo],
    ts: &[TsInfo],
    verified: &Verified,
    opts: &ImportOptions,
) -> Result<(ImportSummary, String), ReportError> {
    let sha = check_import_target(store, source, opts)?;
    let spec = imported_landscape(dir, source, model, opts);
    let run = store.begin_run(&import_run(dir, source, opts))?;
    let record = losscape_experiment::dataset::record(
        &source.data,
        &source.kind,
        &data_file(&source.config),
    );
    let store_data = store.dataset()?.is_none();
    let landscape_id = store.landscape_id(&spec)?;
    let mut repeated = 0;
    let (mut n_minima, mut n_ts, mut n_degenerate) = (0, 0, 0);
    let stored = store.write(|b| {
        if store_data {
            b.store_dataset(&record, Some(run))?;
        }
        // Imported points go through the identity rule found points go through: a line that
        // repeats an earlier point (a copy, a symmetry image) is that point found once more.
        let identity = &source.config.identity;
        let (mut known, mut stored_ids) = (losscape_core::PointSet::new(), Vec::new());
        let mut ids = Vec::with_capacity(minima.len());
        for (m, a) in minima.iter().zip(&verified.minima) {
            if let Some(i) = known.find(model, identity, a.energy, &m.coords) {
                b.add_times_found(stored_ids[i], 1)?;
                ids.push(stored_ids[i]);
                repeated += 1;
                continue;
            }
            known.push(a.energy, m.coords.clone());
            let id = b.insert_minimum(&NewMinimum {
                landscape_id,
                energy: a.energy,
                coords: m.coords.clone(),
                rms_gradient: a.rms_gradient,
                hessian_index: a.index as u32,
                lowest_eigenvalue: a.lowest_eigenvalue,
                ln_prod_positive: a.ln_prod_positive,
                accuracy: model.accuracy(&m.coords),
                times_found: 1,
                first_run: run,
            })?;
            stored_ids.push(id);
            ids.push(id);
        }
        let (mut known_ts, mut stored_ts) = (losscape_core::PointSet::new(), Vec::new());
        for (t, a) in ts.iter().zip(&verified.ts) {
            if let Some(i) = known_ts.find(model, identity, a.energy, &t.coords) {
                b.add_ts_times_found(stored_ts[i], 1)?;
                repeated += 1;
                continue;
            }
            known_ts.push(a.energy, t.coords.clone());
            // File ids are 1-based positions, checked against min.data by the reader.
            let id_of = |k: i64| ids[(k - 1) as usize];
            let id = b.insert_ts(&NewTs {
                landscape_id,
                energy: a.energy,
                coords: t.coords.clone(),
                rms_gradient: a.rms_gradient,
                hessian_index: a.index as u32,
                negative_eigenvalue: a.lowest_eigenvalue,
                negative_vector: a.lowest_vector().to_vec(),
                ln_prod_positive: a.ln_prod_positive,
                accuracy: model.accuracy(&t.coords),
                min1: id_of(t.min1),
                min2: id_of(t.min2),
                // Two lines of one minimum make the transition state degenerate too.
                degenerate: id_of(t.min1) == id_of(t.min2),
                times_found: 1,
                first_run: run,
            })?;
            stored_ts.push(id);
            n_degenerate += usize::from(id_of(t.min1) == id_of(t.min2));
        }
        (n_minima, n_ts) = (stored_ids.len(), stored_ts.len());
        Ok(())
    });
    let status = if stored.is_ok() {
        RunStatus::Completed
    } else {
        RunStatus::Failed
    };
    store.finish_run(run, status)?;
    stored?;
    Ok((
        ImportSummary {
            minima: n_minima,
            transition_states: n_ts,
            degenerate: n_degenerate,
            repeated,
            max_energy_difference: 0.0,
            data: String::new(),
            warnings: Vec::new(),
        },
        format!("{}, sha256 {sha}", source.origin),
    ))
}
