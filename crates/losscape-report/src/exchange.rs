//! PATHSAMPLE export and import through the database.
//!
//! Import trusts nothing but the coordinates: every point is re-analysed in the network of the
//! landscape it is imported into (energy, RMS gradient, Hessian index, lowest eigenvalue,
//! log-product of positive eigenvalues, accuracy), and the import is refused, storing nothing,
//! if any recomputed energy disagrees with the file — a sign of the wrong `n_hidden`, `λ` or data
//! set. Points that are not the stationary points their file says (a "minimum" with negative
//! eigenvalues, a "transition state" that is not index 1, a large gradient) are stored with
//! their recomputed data, so the database shows what they are, and listed in the summary.

use std::path::Path;

use losscape_analysis::pathsample::{read_pathsample, write_pathsample};
use losscape_db::{LandscapeSpec, NewMinimum, NewTs, RunInfo, RunStatus, Store};
use losscape_hessian::analyse;
use losscape_model::Perceptron;

use crate::ReportError;
use crate::data::{LandscapeData, StoredExperiment, select};

/// How many points an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportSummary {
    /// Lines of `min.data`.
    pub minima: usize,
    /// Lines of `ts.data`.
    pub transition_states: usize,
}

/// Writes the PATHSAMPLE files of one landscape into `dir` (created if needed).
pub fn export_pathsample(l: &LandscapeData, dir: &Path) -> Result<ExportSummary, ReportError> {
    std::fs::create_dir_all(dir).map_err(ReportError::io(dir))?;
    write_pathsample(dir, &l.minima, &l.ts).map_err(ReportError::io(dir))?;
    Ok(ExportSummary {
        minima: l.minima.len(),
        transition_states: l.ts.len(),
    })
}

/// What to import and where.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportOptions {
    /// Landscape key to import into (created if it does not exist).
    pub key: String,
    /// Hidden units of the network the points belong to.
    pub n_hidden: usize,
    /// Its L2 penalty.
    pub lambda: f64,
    /// Largest `|E(file) - E(recomputed)|` accepted. The files hold 10 decimals.
    pub energy_tolerance: f64,
    /// RMS gradient above which a point is listed as not stationary.
    pub rms_gradient: f64,
    /// Eigenvalues within this of zero count as zero modes.
    pub zero_eigenvalue: f64,
    /// The command line, stored in the import's run record.
    pub command: String,
    /// Program version, stored in the import's run record.
    pub program_version: String,
}

/// What an import stored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportSummary {
    /// Minima stored (every line of `min.data`).
    pub minima: usize,
    /// Transition states stored (every line of `ts.data`).
    pub transition_states: usize,
    /// Of those, degenerate (`min1 == min2`).
    pub degenerate: usize,
    /// Largest `|E(file) - E(recomputed)|` over all points.
    pub max_energy_difference: f64,
    /// Points whose recomputed Hessian index or gradient does not match their file.
    pub warnings: Vec<String>,
}

/// Imports the PATHSAMPLE files in `dir` into `store` as landscape `opts.key`.
pub fn import_pathsample(
    store: &mut Store,
    dir: &Path,
    opts: &ImportOptions,
) -> Result<ImportSummary, ReportError> {
    let exp = StoredExperiment::read(store)?;
    let model = Perceptron::new(exp.data.clone(), opts.n_hidden, opts.lambda)?;
    let dim = model.dim();
    let (minima, ts) = read_pathsample(dir, dim)?;

    if let Ok(existing) = select(store, Some(&opts.key)) {
        let held = existing
            .iter()
            .map(|l| store.minima(l.id).map(|m| m.len()))
            .sum::<Result<usize, _>>()?;
        if held > 0 {
            return Err(ReportError::Invalid(format!(
                "landscape {} already holds {held} minima; import into a new landscape key",
                opts.key
            )));
        }
    }

    let mut summary = ImportSummary {
        minima: minima.len(),
        transition_states: ts.len(),
        ..ImportSummary::default()
    };
    // Analyse everything before anything is written, so a mismatch stores nothing.
    let mut check = |kind: &str, id: i64, file_e: f64, x: &[f64], want_index: usize| {
        let a = analyse(&model, x, opts.zero_eigenvalue);
        let diff = (a.energy - file_e).abs();
        if diff.is_nan() || diff > summary.max_energy_difference {
            summary.max_energy_difference = diff;
        }
        if a.index != want_index || a.zero_modes > 0 || a.rms_gradient > opts.rms_gradient {
            summary.warnings.push(format!(
                "{kind} {id}: Hessian index {} (expected {want_index}), {} zero modes, RMS \
                 gradient {:.2e}",
                a.index, a.zero_modes, a.rms_gradient
            ));
        }
        a
    };
    let min_analyses: Vec<_> = minima
        .iter()
        .map(|m| check("minimum", m.id, m.energy, &m.coords, 0))
        .collect();
    let ts_analyses: Vec<_> = ts
        .iter()
        .map(|t| check("transition state", t.id, t.energy, &t.coords, 1))
        .collect();
    // A NaN difference (a non-finite recomputed energy) is a mismatch too.
    if summary.max_energy_difference.is_nan()
        || summary.max_energy_difference > opts.energy_tolerance
    {
        return Err(ReportError::ImportMismatch(format!(
            "a recomputed energy differs from the file by {:.3e} (tolerance {:.1e}): these \
             points do not belong to the N_h = {}, λ = {:e} network on {} data",
            summary.max_energy_difference,
            opts.energy_tolerance,
            opts.n_hidden,
            opts.lambda,
            if exp.run.is_some() {
                "the database's"
            } else {
                "XOR"
            }
        )));
    }
    summary.degenerate = ts.iter().filter(|t| t.is_degenerate()).count();

    let spec = LandscapeSpec {
        key: opts.key.clone(),
        n_in: exp.data.n_in as u32,
        n_hidden: opts.n_hidden as u32,
        n_out: exp.data.n_out as u32,
        dimension: dim as u32,
        lambda: opts.lambda,
        dataset: "imported".into(),
        config_json: format!(
            "{{\"n_hidden\":{},\"lambda\":{:e},\"dim\":{dim},\"imported_from\":{:?}}}",
            opts.n_hidden,
            opts.lambda,
            dir.display().to_string()
        ),
    };
    let landscape_id = store.landscape_id(&spec)?;
    // The run record keeps the provenance; its config is the database's own (so later
    // readers keep finding the data set), or a minimal XOR config for a fresh database.
    let config_text = match &exp.run {
        Some(r) => r.config_text.clone(),
        None => format!(
            "# imported from PATHSAMPLE files in {}\n[experiment]\nname = \"import\"\n\n\
             [landscape]\nn_hidden = [{}]\nlambda = [{:e}]\n",
            dir.display(),
            opts.n_hidden,
            opts.lambda
        ),
    };
    let run = store.begin_run(&RunInfo {
        program_version: opts.program_version.clone(),
        command: opts.command.clone(),
        config_text,
        seed: exp.config.experiment.seed,
        threads: 1,
        minimiser: "import".into(),
    })?;
    let stored = store.write(|b| {
        let mut ids = Vec::with_capacity(minima.len());
        for (m, a) in minima.iter().zip(&min_analyses) {
            ids.push(b.insert_minimum(&NewMinimum {
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
            })?);
        }
        for (t, a) in ts.iter().zip(&ts_analyses) {
            // File ids are 1-based positions, checked against min.data by the reader.
            let id_of = |k: i64| ids[(k - 1) as usize];
            b.insert_ts(&NewTs {
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
                degenerate: t.is_degenerate(),
                times_found: 1,
                first_run: run,
            })?;
        }
        Ok(())
    });
    let status = if stored.is_ok() {
        RunStatus::Completed
    } else {
        RunStatus::Failed
    };
    store.finish_run(run, status)?;
    stored?;
    Ok(summary)
}
