//! `losscape report`: every analysis of a database written into one folder — `index.html`
//! (self-contained), CSV tables, every figure as SVG and as PNG, and `provenance.txt`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::html::{Finding, Report, Verdict};
use losscape_analysis::Table;
use losscape_analysis::counts::{
    CountMetric, CountsRow, PlotError, counts_csv, counts_table, plot_counts_vs_hidden,
    plot_counts_vs_lambda,
};
use losscape_analysis::disconnectivity::DisconnectivityOptions;
use losscape_analysis::embedding::embedding_summary;
use losscape_analysis::sensitivity::SensitivityOptions;
use losscape_db::Store;

use crate::ReportError;
use crate::analyses::{
    BasinsOptions, EmbeddingPair, GraphColouring, GraphDrawing, LandscapeCensus, NoiseOptions,
    all_embeddings, basins, basins_table, certify_counts, counts_rows, embedding_table, graph_svg,
    load_minimisers, morse_census_table, morse_censuses, sensitivity, sensitivity_table,
};
use crate::data::{LandscapeData, StoredExperiment, read_landscapes};
use crate::findings::{count_findings, embedding_finding, sensitivity_finding};
use crate::raster::Rasteriser;

/// What the report measures and how it is labelled.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportOptions {
    /// Page title.
    pub title: String,
    /// Noise levels and samples of the sensitivity measurement (seeded with the experiment's
    /// seed, so a report is reproducible from the database alone).
    pub sensitivity: NoiseOptions,
    /// Basins of attraction per minimiser (seeded with the experiment's seed); `None` skips
    /// them (the CSV then has only a header).
    pub basins: Option<BasinsOptions>,
    /// Levels of the disconnectivity graphs.
    pub graph_levels: usize,
    /// Write a PNG copy of every figure (rendered from the SVG by resvg).
    pub png: bool,
    /// Extra lines for the provenance (e.g. machine and wall time of a reproduction).
    pub notes: Vec<String>,
    /// Program version written into the provenance.
    pub program_version: String,
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self {
            title: "losscape report".into(),
            sensitivity: NoiseOptions::default(),
            basins: Some(BasinsOptions::default()),
            graph_levels: DisconnectivityOptions::default().levels,
            png: true,
            notes: Vec::new(),
            program_version: String::new(),
        }
    }
}

/// What a report contains, for the caller to print.
#[derive(Debug, Clone)]
pub struct ReportSummary {
    /// The findings with their verdicts, in order.
    pub findings: Vec<Finding>,
    /// Every file written, in the order written.
    pub files: Vec<PathBuf>,
    /// Figures or analyses that were skipped, and why.
    pub skipped: Vec<String>,
}

/// File names inside the report folder.
pub mod files {
    /// The HTML page.
    pub const INDEX: &str = "index.html";
    /// Counts table.
    pub const COUNTS: &str = "counts.csv";
    /// Morse census: orbits and points per Hessian index, Morse sum, verdict, saturation.
    pub const CENSUS: &str = "census.csv";
    /// Sensitivity summary.
    pub const SENSITIVITY: &str = "sensitivity.csv";
    /// Embedding rows.
    pub const EMBEDDING: &str = "embedding.csv";
    /// Basins of attraction.
    pub const BASINS: &str = "basins.csv";
    /// Provenance.
    pub const PROVENANCE: &str = "provenance.txt";
}

/// Writes the report of `store` into `dir` (created if needed): every analysis is computed
/// first ([`compute`]), then the page is rendered, then every file is written.
pub fn write_report(
    store: &Store,
    dir: &Path,
    opts: &ReportOptions,
) -> Result<ReportSummary, ReportError> {
    std::fs::create_dir_all(dir).map_err(ReportError::io(dir))?;
    let mut skipped = Vec::new();
    let raster = rasteriser(opts, &mut skipped);
    let contents = compute(store, opts, skipped)?;
    let report = render(&contents, opts);
    let files = write_files(dir, &contents, &report, raster.as_ref())?;
    Ok(ReportSummary {
        findings: report.findings,
        files,
        skipped: contents.skipped,
    })
}

/// The renderer of the PNG copies, if asked for and possible. PNG copies need fonts; without
/// any, the report is still written (SVG only) and says why in `skipped`.
fn rasteriser(opts: &ReportOptions, skipped: &mut Vec<String>) -> Option<Rasteriser> {
    if !opts.png {
        skipped.push("PNG copies of the figures: not asked for (--no-png)".into());
        return None;
    }
    match Rasteriser::new() {
        Ok(r) => Some(r),
        Err(e) => {
            skipped.push(format!("PNG copies of the figures: {e}"));
            None
        }
    }
}

/// Everything a report shows, computed from the database; nothing is written yet.
pub struct ReportContents {
    /// Where the database is.
    pub db: PathBuf,
    /// The stored experiment.
    pub exp: StoredExperiment,
    /// Landscapes, minima and transition states in all.
    pub totals: (usize, usize, usize),
    /// One counts row per landscape.
    pub counts: Vec<CountsRow>,
    /// The count plots that could be drawn: (file name, SVG).
    pub count_figures: Vec<(&'static str, String)>,
    /// The Morse census per landscape.
    pub censuses: Vec<LandscapeCensus>,
    /// The census table (what census.csv holds).
    pub census_table: Table,
    /// The disconnectivity graphs: (landscape key, SVG).
    pub graphs: Vec<(String, String)>,
    /// The sensitivity options used (seeded with the experiment's seed).
    pub sensitivity_options: SensitivityOptions,
    /// The sensitivity summary table (what sensitivity.csv holds).
    pub sensitivity_table: Table,
    /// The embedding checks of every pair of landscapes `n_h`, `n_h + 1` of one λ.
    pub embeddings: Vec<EmbeddingPair>,
    /// The basins options used, if basins were measured.
    pub basins: Option<BasinsOptions>,
    /// The basins table (what basins.csv holds; only a header when not measured).
    pub basins_table: Table,
    /// The findings (XOR data only).
    pub findings: Vec<Finding>,
    /// The provenance text.
    pub provenance: String,
    /// Figures or analyses that were skipped, and why.
    pub skipped: Vec<String>,
}

/// Computes every analysis of the report; `skipped` collects what is left out, and why.
pub fn compute(
    store: &Store,
    opts: &ReportOptions,
    mut skipped: Vec<String>,
) -> Result<ReportContents, ReportError> {
    let exp = StoredExperiment::read(store)?;
    let landscapes = read_landscapes(store, &exp, None)?;
    let mut counts = counts_rows(&landscapes, exp.config.identity.energy_tolerance);
    let censuses = morse_censuses(store, &landscapes, &exp.config.identity)?;
    // Counts the census certifies are drawn apart from the others.
    certify_counts(&mut counts, &censuses);
    let count_figures = count_figures(&counts, &mut skipped);
    let census_table = morse_census_table(&censuses);
    let graphs = graphs(&landscapes, opts.graph_levels, &mut skipped)?;
    let sens = sensitivity(&landscapes, &opts.sensitivity, &exp)?;
    let sensitivity_options = opts.sensitivity.seeded(&exp);
    let embeddings = all_embeddings(&landscapes, &exp.config.identity)?;
    let basins = match &opts.basins {
        Some(b) => {
            let minimisers =
                load_minimisers(&exp.config, &crate::data::stored_config_source(store), b)?;
            let models: Vec<_> = landscapes
                .iter()
                .map(|l| (l.row.key.clone(), l.model.clone()))
                .collect();
            Some((basins(&models, &minimisers, &exp.config, b), b.clone()))
        }
        None => {
            skipped.push("basins of attraction: not asked for".into());
            None
        }
    };
    // The paper's findings are statements about XOR; other data get the same tables and
    // figures without them.
    let mut findings = Vec::new();
    if exp.data.is_xor() {
        findings.extend(count_findings(&counts));
        findings.push(embedding_finding(&embeddings));
        findings.push(sensitivity_finding(&sens, &sensitivity_options.sigmas));
    }
    Ok(ReportContents {
        db: store.path().to_path_buf(),
        totals: (
            landscapes.len(),
            landscapes.iter().map(|l| l.minima.len()).sum(),
            landscapes.iter().map(|l| l.ts.len()).sum(),
        ),
        provenance: provenance_text(store, &exp, opts)?,
        exp,
        counts,
        count_figures,
        censuses,
        census_table,
        graphs,
        sensitivity_options,
        sensitivity_table: sensitivity_table(&sens),
        embeddings,
        basins_table: basins
            .as_ref()
            .map_or_else(|| basins_table(&[]), |(r, _)| basins_table(r)),
        basins: basins.map(|(_, b)| b),
        findings,
        skipped,
    })
}

/// The four count plots (minima and transition states against N_h and against λ) that the
/// sweep can show; the others are listed in `skipped`.
fn count_figures(rows: &[CountsRow], skipped: &mut Vec<String>) -> Vec<(&'static str, String)> {
    let mut figures = Vec::new();
    for (name, metric, vs_lambda) in [
        (
            "counts-minima-vs-nh.svg",
            CountMetric::MinimaByStructure,
            false,
        ),
        ("counts-ts-vs-nh.svg", CountMetric::TransitionStates, false),
        (
            "counts-minima-vs-lambda.svg",
            CountMetric::MinimaByStructure,
            true,
        ),
        (
            "counts-ts-vs-lambda.svg",
            CountMetric::TransitionStates,
            true,
        ),
    ] {
        let plot = if vs_lambda {
            plot_counts_vs_lambda(rows, metric)
        } else {
            plot_counts_vs_hidden(rows, metric)
        };
        match plot {
            Ok(svg) => figures.push((name, svg)),
            Err(e @ (PlotError::Empty | PlotError::SinglePoint(_))) => {
                skipped.push(format!("{name}: {e}"))
            }
        }
    }
    figures
}

/// The disconnectivity graph of every landscape with minima, `levels` levels each: one
/// accuracy scale for all, automatic windows, minimum ids.
fn graphs(
    landscapes: &[LandscapeData],
    levels: usize,
    skipped: &mut Vec<String>,
) -> Result<Vec<(String, String)>, ReportError> {
    let graph_opts = DisconnectivityOptions {
        levels: levels.max(1),
        ..DisconnectivityOptions::default()
    };
    let svg_opts = GraphDrawing {
        colouring: GraphColouring::Accuracy,
        label_ids: true,
        ..GraphDrawing::default()
    };
    let mut graphs = Vec::new();
    for l in landscapes {
        if l.minima.is_empty() {
            skipped.push(format!("disconnectivity graph of {}: no minima", l.row.key));
            continue;
        }
        graphs.push((l.row.key.clone(), graph_svg(l, &graph_opts, &svg_opts)?));
    }
    Ok(graphs)
}

/// The file name of a landscape's disconnectivity graph.
fn graph_file(key: &str) -> String {
    format!("disconnectivity-{}.svg", file_safe(key))
}

/// Writes every file of the report, in order, with a PNG copy of every SVG when `raster` is
/// given; returns the files written.
fn write_files(
    dir: &Path,
    c: &ReportContents,
    report: &Report,
    raster: Option<&Rasteriser>,
) -> Result<Vec<PathBuf>, ReportError> {
    let mut written = Vec::new();
    let mut put_bytes = |name: &str, bytes: &[u8]| -> Result<(), ReportError> {
        let path = dir.join(name);
        // Replaces a link at the name instead of writing through it.
        crate::output::replace_file(&path, bytes).map_err(ReportError::io(&path))?;
        written.push(path);
        Ok(())
    };
    let mut put = |name: &str, text: &str| -> Result<(), ReportError> {
        put_bytes(name, text.as_bytes())?;
        if let (Some(r), Some(stem)) = (raster, name.strip_suffix(".svg")) {
            // Twice the SVG's pixel size: sharp in print and on high-density screens.
            put_bytes(&format!("{stem}.png"), &r.png(text, 2.0)?)?;
            // And as PDF, vector graphics with text, for a paper's column.
            put_bytes(&format!("{stem}.pdf"), &r.pdf(text)?)?;
        }
        Ok(())
    };
    put(files::COUNTS, &counts_csv(&c.counts))?;
    for (name, svg) in &c.count_figures {
        put(name, svg)?;
    }
    put(files::CENSUS, &c.census_table.to_csv())?;
    for (key, svg) in &c.graphs {
        put(&graph_file(key), svg)?;
    }
    put(files::SENSITIVITY, &c.sensitivity_table.to_csv())?;
    put(files::EMBEDDING, &embedding_table(&c.embeddings).to_csv())?;
    put(files::BASINS, &c.basins_table.to_csv())?;
    put(files::PROVENANCE, &c.provenance)?;
    put(files::INDEX, &report.render())?;
    Ok(written)
}

/// The page: introduction, findings, a section per analysis, provenance, what was skipped.
pub fn render(c: &ReportContents, opts: &ReportOptions) -> Report {
    let mut report = Report::new(&opts.title);
    intro(&mut report, c);
    report.findings.extend(c.findings.iter().cloned());
    counts_section(&mut report, c);
    graphs_section(&mut report, c);
    let s = report.section("Classification and sensitivity to perturbed inputs");
    s.paragraph(format!(
        "Training accuracy of every stationary point, and its mean accuracy over {} noisy \
         copies of the training inputs (Gaussian noise of standard deviation σ on every \
         feature), grouped by kind and by energy quartile.",
        c.sensitivity_options.samples
    ));
    s.table(c.sensitivity_table.clone(), "sensitivity.csv");
    embedding_section(&mut report, c);
    basins_section(&mut report, c);
    let s = report.section("Provenance");
    if !opts.notes.is_empty() {
        s.list(opts.notes.iter().cloned());
    }
    s.code(c.provenance.clone());
    if !c.skipped.is_empty() {
        let s = report.section("Skipped");
        s.list(c.skipped.iter().cloned());
    }
    report
}

/// What the database holds and what the report reproduces.
fn intro(report: &mut Report, c: &ReportContents) {
    let (landscapes, minima, ts) = c.totals;
    report.intro(format!(
        "Database {}: experiment \"{}\" (seed {}), {landscapes} landscape(s), {minima} minima \
         and {ts} transition states in all. Every number and verdict below is computed from \
         the database when this report is made.",
        c.db.display(),
        c.exp.config.experiment.name,
        c.exp.config.experiment.seed,
    ));
    let data = &c.exp.data;
    if data.is_xor() {
        report.intro(
            "Reproduces the analysis of Mehta, Zhao, Bernal & Wales, \"The Loss Surface of XOR \
             Artificial Neural Networks\", Phys. Rev. E 97, 052307 (2018).",
        );
    } else {
        report.intro(format!(
            "Data set: {} rows, {} input feature(s), {} classes ({}). The analyses are those \
             of the XOR study by Mehta et al. (Phys. Rev. E 97, 052307, 2018); its findings are \
             statements about XOR and are not graded for other data.",
            data.len(),
            data.n_in,
            data.n_out,
            c.exp.data_origin
        ));
    }
}

/// Counts table, Morse census and count plots.
fn counts_section(report: &mut Report, c: &ReportContents) {
    let s = report.section("Counts of minima and transition states");
    s.paragraph(
        "Minima are counted by distinct energy (within the identity rule's energy tolerance, as \
         PATHSAMPLE does) and by distinct structure modulo the network's symmetries (what the \
         database stores). Transition states include degenerate rearrangements. Components: \
         connected components of the graph of minima joined by transition states. In the \
         plots, a filled marker is a count the census below certifies (Morse sum 1, no \
         degenerate point, and the census closed under saddle-to-saddle searches); an open \
         marker is a count that is not certified.",
    );
    s.table(counts_table(&c.counts), "counts.csv");
    s.paragraph(
        "Completeness (the Morse check): with λ > 0 the loss is coercive, so if every critical \
         point is non-degenerate, Σ_k (−1)^k c_k = 1, where c_k counts every critical point of \
         Hessian index k. Each stored point stands for its symmetry orbit, |G| / |Stab(x)| \
         points (G: hidden-unit permutations × sign flips × input symmetries of the data). \
         The count is the union of the stored minima, the stored transition states and the \
         census's stationary points of any index, identified modulo symmetry. A sum of 1 is \
         necessary for a complete census, not sufficient; any other sum proves that points are \
         missing. Degenerate points (a zero Hessian eigenvalue) void the check and are not \
         counted. \"census TS not stored\" and \"stored TS not in census\" compare the \
         census's index-1 points with the stored transition states (- when no census points \
         are stored).",
    );
    s.table(c.census_table.clone(), "census.csv");
    for census in c.censuses.iter().filter(|x| !x.census.warnings.is_empty()) {
        s.list(
            census
                .census
                .warnings
                .iter()
                .map(|w| format!("{}: {w}", census.key)),
        );
    }
    for (name, svg) in &c.count_figures {
        s.figure(svg.clone(), *name);
    }
}

/// One disconnectivity graph per landscape.
fn graphs_section(report: &mut Report, c: &ReportContents) {
    let s = report.section("Disconnectivity graphs");
    s.paragraph(
        "One graph per landscape; each branch ends at a minimum, labelled with its database id \
         (as `losscape minima` shows it), and is coloured by the training accuracy of that \
         minimum on one fixed scale from 0 to 1, the same colour meaning the same accuracy in \
         every graph (legend on the right); basins holding minima of different accuracies are \
         grey. Every minimum is drawn for landscapes of up to 40 minima; above that, where a few \
         high minima or saddles would squeeze the low minima together, the energy window is \
         lowered until the lower half of the minima spans at least 30 % of the axis, and the \
         legend gives the window and the ids of the minima above it (`losscape graph --full` \
         draws every minimum, `--window LO HI` any range, `--relative` energies above the \
         global minimum). Degenerate rearrangements are left out. Every figure is also \
         written as PNG and as PDF.",
    );
    for (key, svg) in &c.graphs {
        s.figure(svg.clone(), graph_file(key));
    }
}

/// A summary row per pair of landscapes; every row is in embedding.csv.
fn embedding_section(report: &mut Report, c: &ReportContents) {
    let s = report.section("Embedding N_h into N_h + 1");
    let mut summary = Table::new([
        "from",
        "to",
        "points",
        "stationary",
        "index as predicted",
        "found in N_h + 1",
        "minima that become saddles",
    ]);
    for p in &c.embeddings {
        let (n, st, ag, fd) = embedding_summary(&p.rows);
        let saddles = p
            .rows
            .iter()
            .filter(|r| r.kind == losscape_analysis::PointKind::Minimum && r.computed_index > 0)
            .count();
        summary.push_row([
            p.from.clone(),
            p.to.clone(),
            n.to_string(),
            st.to_string(),
            ag.to_string(),
            fd.to_string(),
            saddles.to_string(),
        ]);
    }
    s.paragraph(
        "Every minimum and transition state of the N_h landscape is padded with a hidden unit \
         whose weights are zero, then analysed in the N_h + 1 network (gradient, energy change, \
         Hessian index computed and predicted) and looked up among the stationary points found \
         there. Every row is in embedding.csv.",
    );
    s.table(summary, "per pair of landscapes");
}

/// The basins table and how it was measured.
fn basins_section(report: &mut Report, c: &ReportContents) {
    let s = report.section("Basins of attraction per optimiser");
    let Some(b) = &c.basins else {
        s.paragraph("Not measured for this report.");
        return;
    };
    s.paragraph(format!(
        "The same {} seeded random starts per landscape, quenched by each optimiser to \
         an RMS gradient of {:.0e} (at most {} iterations){}; every end point verified by \
         the rule stored points pass (gradient, Hessian index 0, no zero eigenvalue) before \
         it counts as a minimum, and identified across optimisers modulo symmetry. Basin k is \
         the k-th lowest minimum found by any optimiser; entries are the fraction of starts \
         ending there. End points of Hessian index 1 or more (saddles), with a zero \
         eigenvalue (degenerate), short of convergence, or stopped by an error are counted \
         in their own columns.",
        b.starts,
        b.convergence.rms_gradient,
        b.convergence.max_iterations,
        if b.polish {
            ", then polished by L-BFGS to the quench tolerance of the experiment (the \
             optimiser decides the basin, the polish only makes identification reliable)"
        } else {
            ""
        }
    ));
    s.table(c.basins_table.clone(), "basins.csv");
}

/// Config text, seed, program versions and run times.
fn provenance_text(
    store: &Store,
    exp: &StoredExperiment,
    opts: &ReportOptions,
) -> Result<String, ReportError> {
    let mut out = String::new();
    let _ = writeln!(out, "database: {}", store.path().display());
    let _ = writeln!(out, "report made by {}", opts.program_version);
    let _ = writeln!(out, "experiment: {}", exp.config.experiment.name);
    let _ = writeln!(out, "seed: {}", exp.config.experiment.seed);
    let _ = writeln!(out, "data: {}", exp.data_origin);
    for n in &opts.notes {
        let _ = writeln!(out, "note: {n}");
    }
    let _ = writeln!(out, "\nruns:");
    for r in store.runs()? {
        let _ = writeln!(
            out,
            "  run {}: {} .. {} [{}] {}, seed {}, {} thread(s), minimiser {}\n    \
             command: {}",
            r.id,
            r.started_at,
            r.finished_at.as_deref().unwrap_or("-"),
            r.status.as_str(),
            r.program_version,
            r.seed,
            r.threads,
            r.minimiser,
            r.command
        );
    }
    match &exp.run {
        Some(r) => {
            let _ = writeln!(out, "\nconfig (of run {}):\n{}", r.id, r.config_text);
        }
        None => {
            let _ = writeln!(out, "\nconfig: none stored; defaults (XOR data) assumed");
        }
    }
    Ok(out)
}

/// A landscape key as a file-name fragment (keys are already tame; this is a safeguard).
fn file_safe(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.+".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// One line per finding: `verdict: statement`.
pub fn findings_text(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            format!(
                "[{}] {}\n    {}\n",
                f.verdict.label(),
                f.statement,
                f.evidence
            )
        })
        .collect()
}

/// Whether any finding is inconclusive or contradicted (for callers that want to flag it).
pub fn all_hold(findings: &[Finding]) -> bool {
    findings.iter().all(|f| f.verdict == Verdict::Holds)
}
