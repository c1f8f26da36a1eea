//! Bad input never corrupts anything: every malformed experiment file, data file, database or
//! plugin in `tests/corpus/` (and a few made here) gives a clear error that names the input,
//! exits non-zero without a panic, and leaves an existing database byte for byte unchanged.
//! Numerical hazards (quenches out of budget, zero Hessian eigenvalues, huge weights, plugins
//! failing mid-run) end in a completed run that stores only verified minima.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use losscape_db::{AttemptRow, RunStatus, Store};
use support::text;

/// `losscape args` from the test's own folder.
fn losscape(args: &[&str]) -> Output {
    support::losscape(args, Path::new("."))
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus")
}

/// A small good run and its database bytes, made once; every failing case is also run
/// against a copy of it to show it is left untouched.
fn good_db() -> &'static (tempfile::TempDir, PathBuf, Vec<u8>) {
    static GOOD: OnceLock<(tempfile::TempDir, PathBuf, Vec<u8>)> = OnceLock::new();
    GOOD.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temporary folder");
        let db = dir.path().join("good.db");
        let cfg = corpus().join("good.toml");
        let out = losscape(&["run", path(&cfg), "--db", path(&db), "--quiet"]);
        assert!(out.status.success(), "{}", text(&out));
        let bytes = std::fs::read(&db).expect("read the good database");
        (dir, db, bytes)
    })
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 test paths")
}

/// Runs `losscape run CONFIG --db DB` expecting a clean failure whose message holds every
/// string of `expect` and no panic report (neither losscape's nor a plugin's: a plugin's panic
/// reaches the user only as the error that names it).
fn assert_refused(config: &Path, db: &Path, expect: &[&str]) -> String {
    let out = losscape(&["run", path(config), "--db", path(db), "--quiet"]);
    let msg = text(&out);
    let name = config.file_name().unwrap().to_string_lossy();
    assert!(!out.status.success(), "{name}: should fail, got:\n{msg}");
    assert_eq!(out.status.code(), Some(1), "{name}: exit code\n{msg}");
    assert!(msg.contains("error: "), "{name}: no error line:\n{msg}");
    for e in expect {
        assert!(msg.contains(e), "{name}: expected {e:?} in:\n{msg}");
    }
    assert!(!msg.contains("panicked at"), "{name}:\n{msg}");
    assert!(!msg.contains("thread '"), "{name}:\n{msg}");
    msg
}

/// File in tests/corpus, and what its error must say (besides the file's own name).
const CONFIG_CASES: &[(&str, &[&str])] = &[
    // TOML syntax.
    ("syntax-unclosed-table.toml", &["line 1", "unclosed table"]),
    ("syntax-missing-value.toml", &["line 3"]),
    // Unknown keys, top level and nested.
    (
        "unknown-top-level-section.toml",
        &["unknown field `experimnt`", "`experiment`"],
    ),
    ("unknown-top-level-key.toml", &["unknown field `seeds`"]),
    (
        "unknown-key-basin-hopping.toml",
        &["unknown field `chain`", "`chains`"],
    ),
    (
        "unknown-key-minimiser.toml",
        &["unknown field `memroy`", "`memory`"],
    ),
    (
        "unknown-key-data.toml",
        &["unknown field `headr`", "`header`"],
    ),
    (
        "dneb-images-zero.toml",
        &["unknown field `images`", "`images_per_unit`"],
    ),
    (
        "unknown-stage.toml",
        &["unknown variant `anneal`", "`survey`"],
    ),
    (
        "unknown-data-kind.toml",
        &["unknown variant `mnist`", "`mlpdata`"],
    ),
    // Wrong types.
    (
        "wrong-type-n-hidden.toml",
        &["line 2", "invalid type: string \"two\""],
    ),
    (
        "wrong-type-seed.toml",
        &["line 2", "invalid type: floating point `1.5`"],
    ),
    ("n-hidden-negative.toml", &["line 2", "integer `-2`"]),
    ("steps-negative.toml", &["line 2", "integer `-5`"]),
    // Out of range.
    ("lambda-zero.toml", &["`landscape.lambda`", "> 0 (got 0)"]),
    (
        "lambda-negative.toml",
        &["`landscape.lambda`", "got -0.001"],
    ),
    ("lambda-nan.toml", &["`landscape.lambda`", "got NaN"]),
    ("lambda-inf.toml", &["`landscape.lambda`", "got inf"]),
    (
        "n-hidden-zero.toml",
        &["`landscape.n_hidden`", ">= 1 (got 0)"],
    ),
    (
        "n-hidden-empty.toml",
        &["`landscape.n_hidden`", "at least one"],
    ),
    ("stages-empty.toml", &["`experiment.stages`"]),
    ("chains-zero.toml", &["basin_hopping.chains", "got 0"]),
    ("steps-zero.toml", &["basin_hopping.steps", "got 0"]),
    (
        "temperature-negative.toml",
        &["basin_hopping.temperature", "got -1"],
    ),
    ("step-size-nan.toml", &["basin_hopping.step_size", "NaN"]),
    (
        "quench-iterations-zero.toml",
        &["`quench.max_iterations`", "got 0"],
    ),
    ("quench-rms-nan.toml", &["`quench.rms_gradient`", "NaN"]),
    ("identity-negative.toml", &["`identity.energy_tolerance`"]),
    // Every section is validated before anything runs (these used to fail mid-run).
    (
        "dneb-spring-negative.toml",
        &["`dneb.spring`", "> 0 (got -5)"],
    ),
    ("pushoff-steps-empty.toml", &["`pushoff.steps`", "(got [])"]),
    (
        "census-batch-zero.toml",
        &["`census.batch`", ">= 1 (got 0)"],
    ),
    (
        "saturate-rounds.toml",
        &["`saturate.max_rounds`", ">= 1 (got 0)"],
    ),
    (
        "newton-trust.toml",
        &["`newton.initial_trust`", "<= max_trust (1) (got 2)"],
    ),
    (
        "ef-krylov-dim.toml",
        &["`ef.krylov_dim`", ">= 2", "(got 1)"],
    ),
    (
        "checks-zero-rms.toml",
        &["`checks.rms_gradient`", "(got 0)"],
    ),
    (
        "minimiser-memory-zero.toml",
        &["`minimiser.memory`", ">= 1 (got 0)"],
    ),
    // Data files (CSV: features then label; MLPdata: label then features).
    (
        "data-csv-empty.toml",
        &["[data]", "empty.csv", "no data rows"],
    ),
    (
        "data-csv-comments-only.toml",
        &["comments-only.csv", "no data rows"],
    ),
    (
        "data-csv-missing.toml",
        &["does-not-exist.csv", "cannot read data file"],
    ),
    ("data-csv-binary.toml", &["binary.csv", "UTF-8"]),
    (
        "data-csv-ragged.toml",
        &["ragged.csv, line 2", "expected 3 columns", "got 2"],
    ),
    (
        "data-csv-non-numeric.toml",
        &["non-numeric.csv, line 2", "'one' is not a number"],
    ),
    (
        "data-csv-label-fraction.toml",
        &["label-fraction.csv, line 2", "label '7.5'"],
    ),
    (
        "data-csv-label-negative.toml",
        &["label-negative.csv, line 2", "label '-1'"],
    ),
    (
        "data-csv-label-nan.toml",
        &["label-nan.csv, line 2", "label 'nan'"],
    ),
    (
        "data-csv-feature-nan.toml",
        &["feature-nan.csv, line 2", "not finite"],
    ),
    (
        "data-csv-feature-inf.toml",
        &["feature-inf.csv, line 2", "not finite"],
    ),
    (
        "data-csv-single-class.toml",
        &["single-class.csv", "every label is 0"],
    ),
    (
        "data-mlpdata-empty.toml",
        &["empty.mlpdata", "no data rows"],
    ),
    (
        "data-mlpdata-ragged.toml",
        &["ragged.mlpdata, line 2", "expected 3 columns"],
    ),
    (
        "data-mlpdata-non-numeric.toml",
        &["non-numeric.mlpdata, line 2", "'x' is not a number"],
    ),
    (
        "data-mlpdata-label-fraction.toml",
        &["label-fraction.mlpdata, line 2", "label '1.5'"],
    ),
    (
        "data-mlpdata-feature-nan.toml",
        &["feature-nan.mlpdata, line 2", "not finite"],
    ),
];

#[test]
fn malformed_experiment_and_data_files_are_refused_before_the_database_is_touched() {
    let (_keep, good, bytes) = good_db();
    let dir = tempfile::tempdir().unwrap();
    for (file, expect) in CONFIG_CASES {
        let cfg = corpus().join(file);
        assert!(cfg.exists(), "corpus file {file} is missing");
        // A fresh database path: nothing may be created.
        let fresh = dir.path().join("fresh.db");
        let mut all = vec![*file];
        all.extend_from_slice(expect);
        assert_refused(&cfg, &fresh, &all);
        assert!(!fresh.exists(), "{file}: a database was created");
        // An existing good database: not a byte changes.
        assert_refused(&cfg, good, &all);
        assert_eq!(
            &std::fs::read(good).unwrap(),
            bytes,
            "{file} changed the database"
        );
        // `check` refuses it the same way.
        let out = losscape(&["check", path(&cfg)]);
        assert!(!out.status.success(), "check accepted {file}");
        assert!(!text(&out).contains("panicked"), "{}", text(&out));
    }
}

#[test]
fn files_that_are_not_losscape_databases_are_left_untouched() {
    let good_cfg = corpus().join("good.toml");
    let dir = tempfile::tempdir().unwrap();

    // Not SQLite at all.
    let text_file = dir.path().join("notes.db");
    std::fs::copy(corpus().join("not-sqlite.db"), &text_file).unwrap();
    // An SQLite database of another program.
    let foreign = dir.path().join("foreign.db");
    {
        let c = rusqlite::Connection::open(&foreign).unwrap();
        c.execute_batch(
            "CREATE TABLE people (name TEXT, age INTEGER);
             INSERT INTO people VALUES ('Ada', 36), ('Alan', 41);",
        )
        .unwrap();
    }
    // A losscape database cut short (a damaged copy).
    let (_keep, _, bytes) = good_db();
    let truncated = dir.path().join("truncated.db");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();

    for (db, expect) in [
        (&text_file, "is not a losscape database"),
        (&foreign, "is not a losscape database"),
    ] {
        let before = std::fs::read(db).unwrap();
        let msg = assert_refused(&good_cfg, db, &[path(db), expect, "untouched"]);
        assert_eq!(std::fs::read(db).unwrap(), before, "{msg}");
        for cmd in ["summary", "minima", "ts"] {
            let out = losscape(&[cmd, path(db)]);
            assert!(!out.status.success(), "{cmd} read {}", db.display());
            let msg = text(&out);
            assert!(msg.contains(expect) && !msg.contains("panicked"), "{msg}");
        }
        assert_eq!(std::fs::read(db).unwrap(), before);
    }
    // Reading a damaged file fails cleanly (or reads what is intact); it never panics.
    for cmd in ["summary", "minima", "ts"] {
        let out = losscape(&[cmd, path(&truncated)]);
        assert!(!text(&out).contains("panicked"), "{}", text(&out));
    }
    // A missing database is not created by the read commands.
    let missing = dir.path().join("missing.db");
    let out = losscape(&["summary", path(&missing)]);
    assert!(!out.status.success());
    assert!(text(&out).contains("does not exist"), "{}", text(&out));
    assert!(!missing.exists());
}

fn plugin_dir() -> &'static Path {
    losscape_test_support::built_plugin_dir().expect("the test plugins build")
}

fn plugin_config(dir: &Path, file: &str, plugin: &str, options: &str, body: &str) -> PathBuf {
    let cfg = dir.join(file);
    let text = format!(
        "{body}\n[minimiser]\nkind = \"plugin\"\n{plugin}\ndirs = [{:?}]\n[minimiser.options]\n{options}\n",
        plugin_dir().display()
    );
    std::fs::write(&cfg, text).unwrap();
    cfg
}

const SMALL: &str = "[experiment]\nstages = [\"basin_hopping\", \"connect\", \"survey\"]\n\
    [landscape]\nn_hidden = [2]\nlambda = [1e-2]\n[basin_hopping]\nchains = 2\nsteps = 5\n";

#[test]
fn faulty_plugins_are_refused_at_load_time() {
    let (_keep, good, bytes) = good_db();
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &str, &[&str])] = &[
        (
            "abi.toml",
            "name = \"faulty-abi\"",
            "",
            &["ABI version 1001", "rebuild the plugin"],
        ),
        (
            "size.toml",
            "name = \"faulty-size\"",
            "",
            &["plugin table", "mismatched"],
        ),
        (
            "nosym.toml",
            "name = \"faulty-nosym\"",
            "",
            &["is not a losscape plugin", "losscape_plugin_entry"],
        ),
        (
            "null.toml",
            "name = \"faulty-null\"",
            "",
            &["null `minimise` function"],
        ),
        (
            "missing.toml",
            "name = \"no-such-plugin\"",
            "",
            &[
                "plugin 'no-such-plugin' not found",
                "searched",
                "cargo build --release -p losscape-plugin-no-such-plugin",
                "--plugin-dir",
            ],
        ),
        (
            "not-a-library.toml",
            "path = \"not-a-library.toml\"",
            "",
            &["is not a shared library: it is a text file"],
        ),
        (
            "bad-option.toml",
            "name = \"faulty\"",
            "mode = \"explode\"",
            &["rejected its configuration", "`explode`"],
        ),
        // A panic inside the plugin is caught there and reported as an error naming it.
        (
            "check-panic.toml",
            "name = \"faulty\"",
            "mode = \"check_panic\"",
            &[
                "plugin 'faulty' panicked",
                "deliberate panic in check_config",
            ],
        ),
    ];
    for (file, plugin, options, expect) in cases {
        let cfg = plugin_config(dir.path(), file, plugin, options, SMALL);
        let mut all = vec![*file, "[minimiser]"];
        all.extend_from_slice(expect);
        let fresh = dir.path().join("fresh.db");
        assert_refused(&cfg, &fresh, &all);
        assert!(!fresh.exists(), "{file}: a database was created");
        assert_refused(&cfg, good, &all);
        assert_eq!(
            &std::fs::read(good).unwrap(),
            bytes,
            "{file} changed the database"
        );
    }
}

/// Runs a config to completion and returns the database.
fn run_ok(cfg: &Path, dir: &Path) -> (Store, String) {
    let db = dir.join(format!("{}.db", cfg.file_stem().unwrap().to_string_lossy()));
    let out = losscape(&["run", path(cfg), "--db", path(&db), "--quiet"]);
    let msg = text(&out);
    assert!(out.status.success(), "{}:\n{msg}", cfg.display());
    assert!(!msg.contains("panicked at"), "{msg}");
    let store = Store::open_read_only(&db).unwrap();
    let runs = store.runs().unwrap();
    assert_eq!(runs.last().unwrap().status, RunStatus::Completed);
    (store, msg)
}

/// Every stored minimum passed verification: converged, index 0, no zero eigenvalue.
fn assert_all_verified(store: &Store) -> usize {
    let mut n = 0;
    for l in store.landscapes().unwrap() {
        for m in store.minima(l.id).unwrap() {
            assert!(m.energy.is_finite() && m.coords.iter().all(|c| c.is_finite()));
            assert!(
                m.rms_gradient <= 1e-9,
                "minimum {} rms {}",
                m.id,
                m.rms_gradient
            );
            assert_eq!(m.hessian_index, 0, "minimum {}", m.id);
            assert!(
                m.lowest_eigenvalue > 1e-9,
                "minimum {} λmin {}",
                m.id,
                m.lowest_eigenvalue
            );
            n += 1;
        }
        for t in store.transition_states(l.id).unwrap() {
            assert_eq!(t.hessian_index, 1, "TS {}", t.id);
            assert!(t.rms_gradient <= 1e-9 && t.negative_eigenvalue < 0.0);
        }
    }
    n
}

fn details(store: &Store, stage: &str) -> Vec<AttemptRow> {
    let l = &store.landscapes().unwrap()[0];
    store.attempts(l.id, stage).unwrap()
}

/// A plugin that panics, errs or returns NaN in every quench during a run: the failures are
/// contained (each is a failed quench or attempt, recorded with the plugin's message), nothing
/// unverified is stored, and the run completes.
#[test]
fn a_plugin_failing_mid_run_is_contained_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    for (mode, reported) in [
        ("panic", "plugin 'faulty' panicked"),
        ("error", "faulty plugin: deliberate failure"),
        ("nan_report", "non-finite"),
        ("nan_coords", "non-finite"),
        ("callback_abuse", "exceeded its evaluation budget"),
        // A claim of convergence is checked against the gradient the host recomputes.
        ("false_convergence", "its result was discarded"),
    ] {
        let cfg = plugin_config(
            dir.path(),
            &format!("mid-run-{mode}.toml"),
            "name = \"faulty\"",
            &format!("mode = \"{mode}\""),
            SMALL,
        );
        let (store, msg) = run_ok(&cfg, dir.path());
        // The warning quotes the plugin's own message, not only a pointer to the database.
        assert!(
            msg.contains("quenches failed; the first: ") && msg.contains(reported),
            "{mode}: expected the plugin's message {reported:?} in the warning:\n{msg}"
        );
        // Whatever the search stores is verified: the failing plugin's quenches give nothing,
        // and the transition-state searches run on the built-in L-BFGS.
        assert_all_verified(&store);
        let chains = details(&store, "basin_hopping");
        let chain0 = chains
            .iter()
            .find(|d| d.key == "chain-0")
            .expect("chain-0 recorded");
        assert!(
            chain0.detail.contains("\"failed_quenches\":5"),
            "{mode}: {chain0:?}"
        );
        // The plugin's own message is kept with the chain that met it.
        assert!(
            chain0.detail.contains(reported),
            "{mode}: expected {reported:?} in {chain0:?}"
        );
        let survey = details(&store, "survey");
        assert!(!survey.is_empty(), "{mode}: the survey ran");
    }
}

#[test]
fn quenches_out_of_budget_store_nothing_unverified() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("budget.toml");
    std::fs::write(&cfg, format!("{SMALL}[quench]\nmax_iterations = 3\n")).unwrap();
    let (store, msg) = run_ok(&cfg, dir.path());
    // The failures are reported even with --quiet, not only recorded, with the command that
    // lists them.
    assert!(msg.contains("quenches failed"), "{msg}");
    assert!(
        msg.contains("losscape attempts ") && msg.contains("--stage basin_hopping"),
        "{msg}"
    );
    assert!(assert_all_verified(&store) <= 1);
    let chains = details(&store, "basin_hopping");
    for c in chains.iter().filter(|d| d.key.starts_with("chain-")) {
        assert!(c.detail.contains("\"distinct_minima\":0"), "{c:?}");
        assert!(c.detail.contains("\"failed_quenches\":5"), "{c:?}");
    }
}

#[test]
fn zero_hessian_eigenvalues_are_reported_not_stored() {
    // With lambda = 1e-12 the penalty barely lifts the flat directions of the network: every
    // quenched point has (numerically) zero Hessian eigenvalues.
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("flat.toml");
    std::fs::write(
        &cfg,
        "[experiment]\nstages = [\"basin_hopping\", \"connect\"]\n[landscape]\nn_hidden = [2]\n\
         lambda = [1e-12]\n[basin_hopping]\nchains = 2\nsteps = 10\n",
    )
    .unwrap();
    let (store, _) = run_ok(&cfg, dir.path());
    assert_eq!(
        assert_all_verified(&store),
        0,
        "no minimum of a flat landscape is valid"
    );
    let bh = details(&store, "basin_hopping");
    let origin = bh.iter().find(|d| d.key == "origin").unwrap();
    assert_eq!(origin.outcome, "not a minimum");
    for c in bh.iter().filter(|d| d.key.starts_with("chain-")) {
        assert!(
            !c.detail.contains("\"rejected\":0"),
            "rejections are reported: {c:?}"
        );
    }
    let out = losscape(&["summary", path(store.path())]);
    assert!(
        out.status.success() && !text(&out).contains("panicked"),
        "{}",
        text(&out)
    );
}

#[test]
fn huge_weights_do_not_overflow_into_stored_points() {
    // Starts and steps of 1e6 saturate every tanh and make exp overflow in the softmax unless
    // the model guards it; no NaN or infinity may reach the database.
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("huge.toml");
    std::fs::write(
        &cfg,
        "[experiment]\nstages = [\"basin_hopping\", \"connect\"]\n[landscape]\nn_hidden = [2]\n\
         lambda = [1e-4]\n[basin_hopping]\nchains = 2\nsteps = 3\nstart_range = 1e6\nstep_size = 1e6\n\
         [quench]\nmax_iterations = 2000\n",
    )
    .unwrap();
    let (store, _) = run_ok(&cfg, dir.path());
    assert!(assert_all_verified(&store) <= 1);
}

/// A relative plugin `path` names the file beside the config, even without a folder part and
/// run from the config's folder: `libz.so.1` must not load the system's zlib.
#[test]
fn relative_plugin_paths_are_resolved_against_the_config_folder() {
    let dir = tempfile::tempdir().unwrap();
    use std::env::consts::{DLL_PREFIX, DLL_SUFFIX};
    let fire = plugin_dir().join(format!("{DLL_PREFIX}losscape_plugin_fire{DLL_SUFFIX}"));
    std::fs::copy(fire, dir.path().join("libz.so.1")).unwrap();
    let body = format!("{SMALL}[minimiser]\nkind = \"plugin\"\npath = \"libz.so.1\"\n");
    std::fs::write(dir.path().join("local.toml"), body).unwrap();
    let out = support::losscape(&["check", "local.toml"], dir.path());
    let msg = text(&out);
    assert!(out.status.success(), "{msg}");
    assert!(msg.contains("minimiser fire"), "{msg}");
}
