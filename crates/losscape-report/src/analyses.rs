//! The analyses of losscape-analysis and losscape-attraction, fed from a database.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use losscape_analysis::Table;
use losscape_analysis::census::{
    CensusRow, Certificate, Closure, MorseCensus, Saturation, census_table, morse_census,
};
use losscape_analysis::counts::CountsRow;
use losscape_analysis::disconnectivity::{
    Colouring, DisconnectivityGraph, DisconnectivityOptions, SvgOptions,
};
use losscape_analysis::embedding::{EmbeddingOptions, EmbeddingRow, embed_points};
use losscape_analysis::sensitivity::{
    PointSensitivity, SensitivityOptions, SensitivityTable, measure, summarise,
};
use losscape_analysis::table::Records;
use losscape_attraction::{BasinsReport, BasinsRule, basins_of_attraction};
use losscape_core::{Convergence, Identity, Minimiser};
use losscape_db::Store;
use losscape_experiment::Config;
use losscape_experiment::ConfigError;
use losscape_experiment::closure::stored_closure;
use losscape_experiment::config::{MinimiserSection, PluginSection};
use losscape_experiment::experiment::load_plugin;
use losscape_experiment::points::stored_saturation;
use losscape_hessian::Checks;
use losscape_lbfgs::{Lbfgs, LbfgsParams};
use losscape_model::{Dataset, Perceptron};
use losscape_plugin_host::library_file_names;
use serde_json::{Value, json};

use crate::ReportError;
use crate::data::{LandscapeData, StoredExperiment, stationary_info};

/// One counts row per landscape, with the stored identity rule's energy tolerance.
pub fn counts_rows(landscapes: &[LandscapeData], energy_tolerance: f64) -> Vec<CountsRow> {
    landscapes
        .iter()
        .map(|l| {
            CountsRow::from_points(l.n_hidden(), l.lambda(), &l.minima, &l.ts, energy_tolerance)
        })
        .collect()
}

/// The Morse census of one landscape and its saturation record.
#[derive(Debug, Clone)]
pub struct LandscapeCensus {
    /// Landscape key.
    pub key: String,
    /// Hidden units.
    pub n_hidden: usize,
    /// Regularisation strength.
    pub lambda: f64,
    /// Orbits and points per Hessian index, the Morse sum and the cross-checks.
    pub census: MorseCensus,
    /// The `saturate`/`status` attempt record, if the stage ran (and its detail parses).
    pub saturation: Option<Saturation>,
    /// The census's closure under the saddle-to-saddle searches, judged from the database
    /// now (`None` when no closure pass ran).
    pub closure: Option<Closure>,
}

impl LandscapeCensus {
    /// How far the census is certified.
    pub fn certificate(&self) -> Certificate {
        Certificate::of(&self.census, self.closure.as_ref())
    }

    /// Every number of the census as JSON: what `losscape census --format json` prints per
    /// landscape, and what the Python package returns.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "key": self.key,
            "n_hidden": self.n_hidden,
            "lambda": self.lambda,
            "group_order": self.census.group_order,
            "by_index": self.census.by_index,
            "morse_sum": self.census.morse_sum,
            "closed": self.closure.as_ref().is_some_and(Closure::closed),
            "certificate": self.certificate(),
            "orbits_missing": self.census.orbits_missing(),
            "closure": self.closure,
            "passes": self.census.passes(),
            "voided": self.census.voided(),
            "verdict": self.census.verdict(),
            "degenerate": self.census.degenerate,
            "census_points": self.census.census_points,
            "ts_cross_check": self.census.ts_cross_check,
            "orbits": self.census.orbits,
            "warnings": self.census.warnings,
            "saturation": self.saturation,
            "saturation_status": Saturation::describe(self.saturation.as_ref()),
        })
    }
}

/// The Morse census of every landscape in `landscapes`: stored minima, stored transition
/// states and the census's stationary points of `store`, identified with `identity`.
pub fn morse_censuses(
    store: &Store,
    landscapes: &[LandscapeData],
    identity: &Identity,
) -> Result<Vec<LandscapeCensus>, ReportError> {
    landscapes
        .iter()
        .map(|l| {
            let stationary: Vec<_> = store
                .stationary_points(l.row.id)?
                .iter()
                .map(stationary_info)
                .collect();
            let census = morse_census(&l.model, identity, &l.minima, &l.ts, &stationary);
            let saturation = stored_saturation(store, l.row.id)?;
            let closure = stored_closure(store, l.row.id, &l.model, identity)?;
            Ok(LandscapeCensus {
                key: l.row.key.clone(),
                n_hidden: l.n_hidden(),
                lambda: l.lambda(),
                census,
                saturation,
                closure,
            })
        })
        .collect()
}

/// Marks each counts row with its landscape's certificate and its point counts (orbits
/// weighted by `|G| / |Stab|`) from the census: a count is only as good as its certificate.
pub fn certify_counts(rows: &mut [CountsRow], censuses: &[LandscapeCensus]) {
    for (row, c) in rows.iter_mut().zip(censuses) {
        row.certified = c.certificate().certified();
        row.minima_points = Some(c.census.count(0).points);
        row.ts_points = Some(c.census.count(1).points);
    }
}

/// The censuses as one table, a row per landscape (see [`census_table`]).
pub fn morse_census_table(censuses: &[LandscapeCensus]) -> Table {
    let rows: Vec<CensusRow<'_>> = censuses
        .iter()
        .map(|c| CensusRow {
            key: &c.key,
            n_hidden: c.n_hidden,
            lambda: c.lambda,
            census: &c.census,
            saturation: c.saturation.as_ref(),
            closure: c.closure.as_ref(),
        })
        .collect();
    census_table(&rows)
}

/// The disconnectivity graph of one landscape as an SVG document, branches coloured by
/// training accuracy (with a legend).
pub fn graph_svg(
    l: &LandscapeData,
    opts: &DisconnectivityOptions,
    drawing: &GraphDrawing,
) -> Result<String, ReportError> {
    let graph = DisconnectivityGraph::build(&l.minima, &l.ts, opts)?;
    let defaults = SvgOptions::default();
    Ok(graph.to_svg(&SvgOptions {
        colouring: match drawing.colouring {
            GraphColouring::Accuracy => Colouring::Accuracy,
            GraphColouring::Energy => Colouring::Energy,
            GraphColouring::Hits => Colouring::Hits(l.hits.clone()),
        },
        label_ids: drawing.label_ids,
        title: format!(
            "{}: N_h = {}, λ = {:e} ({} minima, {} transition states)",
            l.row.key,
            l.n_hidden(),
            l.lambda(),
            l.minima.len(),
            l.ts.len()
        ),
        width: drawing.size.map_or(defaults.width, |s| s[0]),
        height: drawing.size.map_or(defaults.height, |s| s[1]),
        font_size: drawing.font_size.unwrap_or(defaults.font_size),
        relative_energy: drawing.relative_energy,
        ..defaults
    }))
}

/// What the branches of a disconnectivity graph are coloured by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GraphColouring {
    /// Training accuracy, one fixed scale 0–1 for every graph.
    #[default]
    Accuracy,
    /// Energy of the lowest minimum of each basin.
    Energy,
    /// How often the searches reached each minimum (`times_found`).
    Hits,
}

/// How a disconnectivity graph is drawn (what it shows is [`DisconnectivityOptions`]).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GraphDrawing {
    /// Branch colours.
    pub colouring: GraphColouring,
    /// Minimum ids under the branches.
    pub label_ids: bool,
    /// Width and height in pixels (PDF points) [default: [`SvgOptions`]'s].
    pub size: Option<[f64; 2]>,
    /// Font size of the tick labels [default: [`SvgOptions`]'s]; the rest scales with it.
    pub font_size: Option<f64>,
    /// Energies above the global minimum on the axis instead of absolute ones.
    pub relative_energy: bool,
}

/// The sensitivity measurement of one landscape.
#[derive(Debug, Clone)]
pub struct LandscapeSensitivity {
    /// Landscape key.
    pub key: String,
    /// Every point's measurement (minima first).
    pub points: Vec<PointSensitivity>,
    /// Summary by kind and energy quartile.
    pub table: SensitivityTable,
}

/// Noise levels and samples of a sensitivity measurement on stored landscapes. There is no
/// seed: [`sensitivity`] always takes the stored experiment's, so the measurement is
/// reproducible from the database alone.
#[derive(Debug, Clone, PartialEq)]
pub struct NoiseOptions {
    /// Standard deviations of the Gaussian noise added to every input feature.
    pub sigmas: Vec<f64>,
    /// Noisy copies of the whole data set per point and noise level.
    pub samples: usize,
}

impl Default for NoiseOptions {
    fn default() -> Self {
        let SensitivityOptions {
            sigmas, samples, ..
        } = SensitivityOptions::default();
        Self { sigmas, samples }
    }
}

impl NoiseOptions {
    /// The measurement's options, seeded with the experiment's seed.
    pub fn seeded(&self, exp: &StoredExperiment) -> SensitivityOptions {
        SensitivityOptions {
            sigmas: self.sigmas.clone(),
            samples: self.samples,
            seed: exp.config.experiment.seed,
        }
    }
}

/// Measures the training accuracy of every stored point under input noise, per landscape,
/// with the noise `noise` seeded by the experiment `exp`.
pub fn sensitivity(
    landscapes: &[LandscapeData],
    noise: &NoiseOptions,
    exp: &StoredExperiment,
) -> Result<Vec<LandscapeSensitivity>, ReportError> {
    let opts = &noise.seeded(exp);
    landscapes
        .iter()
        .map(|l| {
            let points = measure(&l.model, &l.minima, &l.ts, opts)?;
            let table = summarise(&points, &opts.sigmas, 4);
            Ok(LandscapeSensitivity {
                key: l.row.key.clone(),
                points,
                table,
            })
        })
        .collect()
}

/// The sensitivity summaries of several landscapes in one table (a `landscape` column first).
pub fn sensitivity_table(results: &[LandscapeSensitivity]) -> Table {
    let mut out: Option<Table> = None;
    for r in results {
        let t = r.table.to_table();
        let table = out.get_or_insert_with(|| {
            Table::new(std::iter::once("landscape".to_string()).chain(t.header.iter().cloned()))
        });
        for row in t.rows {
            table.push_row(std::iter::once(r.key.clone()).chain(row));
        }
    }
    out.unwrap_or_else(|| Table::new(["landscape"]))
}

/// The embedding check of one pair of landscapes: every point of `small` padded into `large`.
#[derive(Debug, Clone)]
pub struct EmbeddingPair {
    /// Key of the `n_h` landscape.
    pub from: String,
    /// Key of the `n_h + 1` landscape.
    pub to: String,
    /// One row per point of `from`.
    pub rows: Vec<EmbeddingRow>,
}

/// Pads every stationary point of `small` with a zero hidden unit and checks it in `large`,
/// which must have one more hidden unit, the same λ and the same data.
pub fn embedding(
    small: &LandscapeData,
    large: &LandscapeData,
    identity: &losscape_core::Identity,
) -> Result<EmbeddingPair, ReportError> {
    if large.n_hidden() != small.n_hidden() + 1 || large.lambda() != small.lambda() {
        return Err(ReportError::Invalid(format!(
            "embedding needs a landscape with one more hidden unit and the same λ: {} has \
             N_h = {}, λ = {:e}; {} has N_h = {}, λ = {:e}",
            small.row.key,
            small.n_hidden(),
            small.lambda(),
            large.row.key,
            large.n_hidden(),
            large.lambda()
        )));
    }
    let opts = EmbeddingOptions {
        identity: *identity,
        ..EmbeddingOptions::default()
    };
    let rows = embed_points(
        &small.model,
        &small.minima,
        &small.ts,
        &large.minima,
        &large.ts,
        &opts,
    )?;
    Ok(EmbeddingPair {
        from: small.row.key.clone(),
        to: large.row.key.clone(),
        rows,
    })
}

/// Every pair `(N_h, λ)`, `(N_h + 1, λ)` among `landscapes`, checked.
pub fn all_embeddings(
    landscapes: &[LandscapeData],
    identity: &losscape_core::Identity,
) -> Result<Vec<EmbeddingPair>, ReportError> {
    let mut out = Vec::new();
    for small in landscapes {
        if let Some(large) = landscapes
            .iter()
            .find(|l| l.n_hidden() == small.n_hidden() + 1 && l.lambda() == small.lambda())
        {
            out.push(embedding(small, large, identity)?);
        }
    }
    Ok(out)
}

/// The embedding rows of several pairs in one table (`from` and `to` columns first).
pub fn embedding_table(pairs: &[EmbeddingPair]) -> Table {
    let mut out: Option<Table> = None;
    for p in pairs {
        let t = losscape_analysis::embedding::embedding_table(&p.rows);
        let table = out.get_or_insert_with(|| {
            Table::new(
                ["from".to_string(), "to".to_string()]
                    .into_iter()
                    .chain(t.header.clone()),
            )
        });
        for row in t.rows {
            table.push_row([p.from.clone(), p.to.clone()].into_iter().chain(row));
        }
    }
    out.unwrap_or_else(|| Table::new(["from", "to"]))
}

/// How the basins of attraction are measured.
#[derive(Debug, Clone, PartialEq)]
pub struct BasinsOptions {
    /// Random starts per landscape (the same starts for every minimiser).
    pub starts: usize,
    /// Minimiser names: `lbfgs` (the config's L-BFGS) or the name of an optimiser plugin.
    pub minimisers: Vec<String>,
    /// Folders searched for plugins (before the folder of the running executable).
    pub plugin_dirs: Vec<PathBuf>,
    /// Convergence of every quench. Looser than the database's 1e-10 by default, since
    /// first-order optimisers such as Adam approach a minimum slowly; end points are still
    /// identified by the stored identity rule.
    pub convergence: Convergence,
    /// Polish every converged end point with L-BFGS to the config's quench tolerance before
    /// it is identified. At the loose tolerance above, end points on the soft directions of a
    /// weakly regularised landscape lie further apart than the identity rule's distance
    /// tolerance, and one minimum would be counted many times; polishing from that close
    /// cannot change the basin the optimiser chose.
    pub polish: bool,
}

impl Default for BasinsOptions {
    fn default() -> Self {
        Self {
            starts: 100,
            minimisers: vec!["lbfgs".to_string()],
            plugin_dirs: Vec::new(),
            convergence: Convergence {
                rms_gradient: 1e-6,
                max_iterations: 20_000,
            },
            polish: true,
        }
    }
}

/// A minimiser followed, when it converges, by an L-BFGS polish to a tight tolerance (see
/// [`BasinsOptions::polish`]). Reports the inner minimiser's name and both runs' evaluations.
struct Polished {
    inner: Arc<dyn Minimiser>,
    polish: Lbfgs,
    tight: Convergence,
}

impl Minimiser for Polished {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn minimise(
        &self,
        landscape: &dyn losscape_core::Landscape,
        x: &mut [f64],
        stop: &Convergence,
    ) -> Result<losscape_core::QuenchOutcome, losscape_core::MinimiseError> {
        let first = self.inner.minimise(landscape, x, stop)?;
        if !first.converged {
            return Ok(first);
        }
        let second = self.polish.minimise(landscape, x, &self.tight)?;
        Ok(losscape_core::QuenchOutcome {
            iterations: first.iterations + second.iterations,
            evaluations: first.evaluations + second.evaluations,
            ..second
        })
    }
}

/// Loads the minimisers named in `opts`: `lbfgs` is the config's L-BFGS (defaults if the
/// config uses a plugin); the name of the config's own plugin (its `name`, or the plugin name
/// in the file name of its `path`) is that plugin loaded exactly as a run loads it, with its
/// `path`, `dirs` and `[minimiser.options]`; any other name is a plugin looked up by name with
/// its defaults. `source` is the experiment file the config came from (relative paths are
/// resolved against it); `opts.plugin_dirs` are searched after the config's `dirs`.
pub fn load_minimisers(
    config: &Config,
    source: &Path,
    opts: &BasinsOptions,
) -> Result<Vec<Arc<dyn Minimiser>>, ReportError> {
    if opts.minimisers.is_empty() {
        return Err(ReportError::Invalid("no minimiser named".into()));
    }
    let params = match &config.minimiser {
        MinimiserSection::Lbfgs(p) => *p,
        MinimiserSection::Plugin(_) => LbfgsParams::default(),
    };
    opts.minimisers
        .iter()
        .map(|name| -> Result<Arc<dyn Minimiser>, ReportError> {
            let m: Arc<dyn Minimiser> =
                if name == "lbfgs" {
                    Arc::new(Lbfgs::new(params))
                } else {
                    match &config.minimiser {
                        MinimiserSection::Plugin(p) if names_plugin(p, name) => {
                            Arc::new(load_plugin(p, source, &opts.plugin_dirs)?)
                        }
                        _ => {
                            let section = PluginSection {
                                name: Some(name.clone()),
                                ..PluginSection::default()
                            };
                            // Named on the command line, not by the file's [minimiser]: the
                            // loader's own error says what went wrong.
                            Arc::new(load_plugin(&section, source, &opts.plugin_dirs).map_err(
                                |e| match e {
                                    ConfigError::Plugin { source, .. } => {
                                        ReportError::Plugin(source)
                                    }
                                    other => ReportError::Config(other),
                                },
                            )?)
                        }
                    }
                };
            Ok(if opts.polish {
                Arc::new(Polished {
                    inner: m,
                    polish: Lbfgs::new(params),
                    tight: config.quench.convergence(),
                })
            } else {
                m
            })
        })
        .collect()
}

/// Whether `name` (as given to `--minimisers`) is the plugin of the `[minimiser]` section `p`:
/// its `name`, or for a `path`, one of the library file names a plugin of that name has.
fn names_plugin(p: &PluginSection, name: &str) -> bool {
    if let Some(own) = &p.name {
        return own == name;
    }
    p.path
        .as_ref()
        .and_then(|path| path.file_name())
        .and_then(|f| f.to_str())
        .is_some_and(|file| library_file_names(name).iter().any(|n| n == file))
}

/// Basins of attraction of one landscape.
#[derive(Debug, Clone)]
pub struct LandscapeBasins {
    /// Landscape key.
    pub key: String,
    /// The measurement.
    pub report: BasinsReport,
}

/// Measures the basins of attraction of each `(key, model)` with every minimiser; the random
/// starts are seeded with the experiment's seed (`config.experiment.seed`). End points are
/// verified with the config's `[checks]`; without the polish their gradient is only as small as
/// `opts.convergence` asks, so the gradient limit is the larger of the two.
pub fn basins(
    landscapes: &[(String, Perceptron)],
    minimisers: &[Arc<dyn Minimiser>],
    config: &Config,
    opts: &BasinsOptions,
) -> Vec<LandscapeBasins> {
    let refs: Vec<&dyn Minimiser> = minimisers.iter().map(|m| m.as_ref()).collect();
    let checks = if opts.polish {
        config.checks
    } else {
        Checks {
            rms_gradient: config
                .checks
                .rms_gradient
                .max(opts.convergence.rms_gradient),
            ..config.checks
        }
    };
    let rule = BasinsRule {
        stop: &opts.convergence,
        identity: &config.identity,
        checks: &checks,
    };
    landscapes
        .iter()
        .map(|(key, model)| LandscapeBasins {
            key: key.clone(),
            report: basins_of_attraction(
                model,
                &refs,
                opts.starts,
                config.basin_hopping.start_range,
                config.experiment.seed,
                &rule,
            ),
        })
        .collect()
}

/// The networks of a config's grid (for `losscape basins CONFIG`), optionally only `key`.
pub fn config_landscapes(
    config: &Config,
    data: &Dataset,
    key: Option<&str>,
) -> Result<Vec<(String, Perceptron)>, ReportError> {
    let all = config.landscapes();
    let chosen: Vec<_> = all
        .iter()
        .filter(|p| key.is_none_or(|k| p.key() == k))
        .collect();
    if chosen.is_empty() {
        let keys: Vec<String> = all.iter().map(|p| p.key()).collect();
        return Err(ReportError::Invalid(format!(
            "the config has no landscape '{}'; it has: {}",
            key.unwrap_or(""),
            keys.join(", ")
        )));
    }
    chosen
        .into_iter()
        .map(|p| {
            Ok((
                p.key(),
                Perceptron::new(data.clone(), p.n_hidden, p.lambda)?,
            ))
        })
        .collect()
}

/// Per landscape and minimiser: how many starts ended in a verified minimum, a saddle, a
/// degenerate point, short of convergence or in an error, the fraction ending in each of the
/// lowest minima, and evaluations per start.
pub fn basins_table(results: &[LandscapeBasins]) -> Table {
    const SHOWN: usize = 5;
    let mut t = Table::new(
        [
            "landscape",
            "minimiser",
            "minima reached",
            "saddles",
            "degenerate",
            "unconverged",
            "errors",
            "evals/start",
        ]
        .into_iter()
        .map(String::from)
        .chain((1..=SHOWN).map(|k| format!("basin {k} (E)")))
        .chain(std::iter::once("other basins".to_string())),
    );
    for r in results {
        for m in &r.report.minimisers {
            let reached = m.counts.iter().filter(|&&c| c > 0).count();
            let mut row = vec![
                r.key.clone(),
                m.name.clone(),
                reached.to_string(),
                m.saddles.to_string(),
                m.degenerate.to_string(),
                m.unconverged.to_string(),
                m.errors.to_string(),
                format!(
                    "{:.0}",
                    m.evaluations as f64 / r.report.n_starts.max(1) as f64
                ),
            ];
            for k in 0..SHOWN {
                row.push(match (m.fractions.get(k), r.report.minima.get(k)) {
                    (Some(f), Some(min)) => format!("{f:.3} ({:.6})", min.energy),
                    _ => "-".to_string(),
                });
            }
            // Starting from +0.0: an empty float sum is -0.0, which would print as "-0.000".
            let other = m.fractions.iter().skip(SHOWN).fold(0.0, |a, f| a + f);
            row.push(format!("{other:.3}"));
            t.push_row(row);
        }
    }
    t
}

/// Every start's outcome as records (`basins --format json|csv`): one row per landscape,
/// minimiser and outcome; `outcome` is `minimum` (with the basin's rank by energy, 1 = lowest,
/// and its energy), `saddle`, `degenerate`, `unconverged` or `error`; `starts` and `fraction`
/// say how many of the starts ended so. Minima no start of that minimiser reached are left out.
pub fn basins_records(results: &[LandscapeBasins]) -> Records {
    let mut r = Records::new([
        "landscape",
        "minimiser",
        "outcome",
        "basin",
        "energy",
        "starts",
        "fraction",
        "evaluations_per_start",
    ]);
    for l in results {
        let n = l.report.n_starts.max(1) as f64;
        for m in &l.report.minimisers {
            let per_start = Records::real(m.evaluations as f64 / n);
            for (k, &c) in m.counts.iter().enumerate().filter(|(_, c)| **c > 0) {
                r.push(vec![
                    json!(l.key),
                    json!(m.name),
                    json!("minimum"),
                    json!(k + 1),
                    Records::real(l.report.minima[k].energy),
                    json!(c),
                    Records::real(c as f64 / n),
                    per_start.clone(),
                ]);
            }
            for (outcome, c) in [
                ("saddle", m.saddles),
                ("degenerate", m.degenerate),
                ("unconverged", m.unconverged),
                ("error", m.errors),
            ] {
                if c > 0 {
                    r.push(vec![
                        json!(l.key),
                        json!(m.name),
                        json!(outcome),
                        Value::Null,
                        Value::Null,
                        json!(c),
                        Records::real(c as f64 / n),
                        per_start.clone(),
                    ]);
                }
            }
        }
    }
    r
}
