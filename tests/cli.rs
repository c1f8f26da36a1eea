//! End-to-end tests: the `losscape` binary on small experiment files, checked through the
//! database it writes.

mod support;

use std::path::Path;

use losscape_db::Store;
use support::{losscape, text, write_file};

const TINY: &str = r#"
[experiment]
name = "tiny"
seed = 7
stages = ["basin_hopping"]

[landscape]
n_hidden = [2]
lambda = [1e-2]

[basin_hopping]
chains = 4
steps = 40
max_without_new = 25
"#;

#[test]
fn run_stores_verified_minima_including_the_global_and_zero_points() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_file(dir.path(), "tiny.toml", TINY);
    let out = losscape(
        &["run", cfg.to_str().unwrap(), "--db", "tiny.db", "--quiet"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out));

    let store = Store::open_read_only(&dir.path().join("tiny.db")).unwrap();
    let landscapes = store.landscapes().unwrap();
    assert_eq!(landscapes.len(), 1);
    assert_eq!(landscapes[0].key, "h2-l1e-2");
    let minima = store.minima(landscapes[0].id).unwrap();
    assert!(minima.len() >= 2, "found {} minima", minima.len());
    for m in &minima {
        assert!(
            m.rms_gradient <= 1e-9,
            "stored minimum with rms {}",
            m.rms_gradient
        );
        assert_eq!(m.hessian_index, 0);
        assert!(m.lowest_eigenvalue > 0.0);
        assert_eq!(m.coords.len(), 12);
    }
    let global = minima
        .iter()
        .min_by(|a, b| a.energy.total_cmp(&b.energy))
        .unwrap();
    assert_eq!(global.accuracy, 1.0, "the global minimum classifies XOR");
    let zero = minima
        .iter()
        .find(|m| m.coords.iter().all(|c| c.abs() < 1e-6));
    let zero = zero.expect("w = 0 is a minimum of XOR for every lambda and is found");
    assert!((zero.energy - std::f64::consts::LN_2).abs() < 1e-9);

    let runs = store.runs().unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].seed, 7);
    assert!(runs[0].config_text.contains("name = \"tiny\""));

    // Listing and summary read the same database.
    let out = losscape(
        &["minima", "tiny.db", "--landscape", "h2-l1e-2"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        2 + minima.len()
    );
    let out = losscape(&["summary", "tiny.db"], dir.path());
    assert!(text(&out).contains("| h2-l1e-2 |"), "{}", text(&out));

    // Running again resumes: every chain is already committed, nothing changes.
    let before: Vec<(i64, f64)> = minima.iter().map(|m| (m.id, m.energy)).collect();
    drop(store);
    let out = losscape(
        &["run", cfg.to_str().unwrap(), "--db", "tiny.db", "--quiet"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out));
    let store = Store::open_read_only(&dir.path().join("tiny.db")).unwrap();
    let after: Vec<(i64, f64)> = store
        .minima(landscapes[0].id)
        .unwrap()
        .iter()
        .map(|m| (m.id, m.energy))
        .collect();
    assert_eq!(before, after);
    assert_eq!(store.runs().unwrap().len(), 2);
}

#[test]
fn bad_config_is_refused_before_the_database_is_touched() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "unknown.toml",
            "[landscape]\nn_hidden = [2]\nlamda = [1e-2]\n",
            "lamda",
        ),
        (
            "lambda.toml",
            "[landscape]\nn_hidden = [2]\nlambda = [0.0]\n",
            "landscape.lambda",
        ),
        (
            "hidden.toml",
            "[landscape]\nn_hidden = [0]\nlambda = [1e-2]\n",
            "landscape.n_hidden",
        ),
        ("syntax.toml", "[landscape\nn_hidden = [2]\n", "syntax.toml"),
        ("type.toml", "[landscape]\nn_hidden = \"two\"\n", "n_hidden"),
        (
            "data.toml",
            "[data]\nkind = \"csv\"\npath = \"missing.csv\"\n",
            "missing.csv",
        ),
    ];
    for (name, body, needle) in cases {
        let cfg = write_file(dir.path(), name, body);
        let out = losscape(
            &["run", cfg.to_str().unwrap(), "--db", "bad.db", "--quiet"],
            dir.path(),
        );
        assert!(!out.status.success(), "{name} was accepted");
        let msg = text(&out);
        assert!(
            msg.contains(name),
            "{name}: message does not name the file: {msg}"
        );
        assert!(
            msg.contains(needle),
            "{name}: message does not name `{needle}`: {msg}"
        );
        assert!(!msg.contains("panicked"), "{name}: {msg}");
        assert!(
            !dir.path().join("bad.db").exists(),
            "{name}: a database was created"
        );
    }
}

#[test]
fn a_file_that_is_not_our_database_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_file(dir.path(), "tiny.toml", TINY);
    let junk = write_file(
        dir.path(),
        "junk.db",
        "this is not a database, it is a text file\n",
    );
    let before = std::fs::read(&junk).unwrap();
    let out = losscape(
        &["run", cfg.to_str().unwrap(), "--db", "junk.db", "--quiet"],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("junk.db"), "{}", text(&out));
    assert_eq!(std::fs::read(&junk).unwrap(), before);
}

fn minima_bits(db: &Path) -> Vec<(String, u64, Vec<u64>)> {
    let store = Store::open_read_only(db).unwrap();
    let mut out = Vec::new();
    for l in store.landscapes().unwrap() {
        for m in store.minima(l.id).unwrap() {
            out.push((
                l.key.clone(),
                m.energy.to_bits(),
                m.coords.iter().map(|c| c.to_bits()).collect(),
            ));
        }
    }
    out
}

#[test]
fn one_and_two_threads_give_the_same_database() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_file(
        dir.path(),
        "tiny.toml",
        &TINY.replace("chains = 4", "chains = 6"),
    );
    for (threads, db) in [("1", "one.db"), ("2", "two.db")] {
        let out = losscape(
            &[
                "run",
                cfg.to_str().unwrap(),
                "--db",
                db,
                "--threads",
                threads,
                "--quiet",
            ],
            dir.path(),
        );
        assert!(out.status.success(), "{}", text(&out));
    }
    let one = minima_bits(&dir.path().join("one.db"));
    assert!(one.len() >= 2);
    assert_eq!(one, minima_bits(&dir.path().join("two.db")));
}

#[test]
fn the_fire_plugin_runs_an_experiment_end_to_end() {
    let plugins = losscape_test_support::built_plugin_dir().expect("plugins build");
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "{TINY}\n[minimiser]\nkind = \"plugin\"\nname = \"fire\"\ndirs = [{:?}]\n[minimiser.options]\ndt = 0.05\n",
        plugins.display()
    );
    let cfg = write_file(
        dir.path(),
        "fire.toml",
        &body.replace(
            "[basin_hopping]",
            "[quench]\nrms_gradient = 1e-8\n\n[checks]\nrms_gradient = 1e-7\n\n[basin_hopping]",
        ),
    );
    let out = losscape(
        &["run", cfg.to_str().unwrap(), "--db", "fire.db", "--quiet"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out));
    let store = Store::open_read_only(&dir.path().join("fire.db")).unwrap();
    assert_eq!(store.runs().unwrap()[0].minimiser, "fire");
    let l = &store.landscapes().unwrap()[0];
    let minima = store.minima(l.id).unwrap();
    assert!(minima.len() >= 2, "FIRE found {} minima", minima.len());
    assert!(minima.iter().any(|m| m.accuracy == 1.0));

    // A misspelt plugin option is named before anything runs.
    let bad = write_file(
        dir.path(),
        "bad.toml",
        &body.replace("dt = 0.05", "dtt = 0.05"),
    );
    let out = losscape(
        &["run", bad.to_str().unwrap(), "--db", "bad.db", "--quiet"],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("dtt"), "{}", text(&out));
    assert!(!dir.path().join("bad.db").exists());
}

#[test]
fn raising_the_chain_budget_extends_a_finished_database() {
    let dir = tempfile::tempdir().unwrap();
    let small = write_file(dir.path(), "small.toml", TINY);
    let out = losscape(
        &["run", small.to_str().unwrap(), "--db", "x.db", "--quiet"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out));
    let before = minima_bits(&dir.path().join("x.db"));

    let big = write_file(
        dir.path(),
        "big.toml",
        &TINY.replace("chains = 4", "chains = 8"),
    );
    let out = losscape(
        &["run", big.to_str().unwrap(), "--db", "x.db", "--quiet"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out));
    let store = Store::open_read_only(&dir.path().join("x.db")).unwrap();
    let l = &store.landscapes().unwrap()[0];
    let chains: Vec<String> = store
        .attempts(l.id, "basin_hopping")
        .unwrap()
        .into_iter()
        .map(|a| a.key)
        .filter(|k| k.starts_with("chain-"))
        .collect();
    assert_eq!(chains.len(), 8, "{chains:?}");
    // What the first run stored is kept as it was; new minima can only be appended.
    let after = minima_bits(&dir.path().join("x.db"));
    assert_eq!(&after[..before.len()], &before[..]);
}

#[test]
fn ts_and_path_read_the_connected_network() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_file(
        dir.path(),
        "net.toml",
        &TINY.replace(
            "stages = [\"basin_hopping\"]",
            "stages = [\"basin_hopping\", \"connect\"]",
        ),
    );
    let out = losscape(&["check", cfg.to_str().unwrap()], dir.path());
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("h2-l1e-2"), "{}", text(&out));
    let out = losscape(
        &["run", cfg.to_str().unwrap(), "--db", "net.db", "--quiet"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out));

    let store = Store::open_read_only(&dir.path().join("net.db")).unwrap();
    let l = &store.landscapes().unwrap()[0];
    let ts = store.transition_states(l.id).unwrap();
    assert!(!ts.is_empty());
    let out = losscape(&["ts", "net.db", "--landscape", &l.key], dir.path());
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).lines().count(),
        2 + ts.len()
    );

    // A path from the global minimum to the far end of a non-degenerate transition state.
    let minima = store.minima(l.id).unwrap();
    let global = minima
        .iter()
        .min_by(|a, b| a.energy.total_cmp(&b.energy))
        .unwrap();
    let edge = ts
        .iter()
        .find(|t| !t.degenerate)
        .expect("a non-degenerate transition state");
    let target = if edge.min1 == global.id {
        edge.min2
    } else {
        edge.min1
    };
    let (a, b) = (global.id.to_string(), target.to_string());
    let out = losscape(
        &["path", "net.db", &a, &b, "--landscape", &l.key],
        dir.path(),
    );
    let printed = text(&out);
    assert!(out.status.success(), "{printed}");
    assert!(printed.contains("highest transition state"), "{printed}");
    assert!(
        printed.lines().any(|line| line.contains("ts ")),
        "{printed}"
    );
    // An unknown minimum is an error that says where to look.
    let out = losscape(
        &["path", "net.db", &a, "99999", "--landscape", &l.key],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("99999"), "{}", text(&out));
}

/// The example configs users copy all pass `check`: the XOR sweeps as they are, the FIRE and
/// Adam sweeps with the plugins built for the tests, the CSV one with its shipped data. (The
/// CSV example also runs, in tests/provenance.rs.)
#[test]
fn shipped_example_configs_check() {
    let configs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs");
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "xor-quick.toml",
        "xor-paper.toml",
        "xor-beyond.toml",
        "csv-quick.toml",
    ] {
        let out = losscape(&["check", configs.join(name).to_str().unwrap()], dir.path());
        assert!(out.status.success(), "{name}: {}", text(&out));
        assert!(
            text(&out).contains("ok, minimiser lbfgs"),
            "{name}: {}",
            text(&out)
        );
    }
    let plugins = losscape_test_support::built_plugin_dir().expect("plugins build");
    for (name, plugin) in [("xor-fire.toml", "fire"), ("xor-adam.toml", "adam")] {
        let text_of = std::fs::read_to_string(configs.join(name)).unwrap();
        let line = format!("name = \"{plugin}\"\n");
        assert!(text_of.contains(&line), "{name} names the {plugin} plugin");
        let with_dir = text_of.replacen(&line, &format!("{line}dirs = [{plugins:?}]\n"), 1);
        let cfg = write_file(dir.path(), name, &with_dir);
        let out = losscape(&["check", cfg.to_str().unwrap()], dir.path());
        assert!(out.status.success(), "{name}: {}", text(&out));
        assert!(
            text(&out).contains(&format!("minimiser {plugin}")),
            "{name}: {}",
            text(&out)
        );
        assert_eq!(text(&out).matches("  h").count(), 4, "four landscapes");
    }
}

/// `2026-12-04 16:21:20Z ` at the start of a progress line.
fn timestamped(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 21
        && line.is_char_boundary(21)
        && line[..21].bytes().enumerate().all(|(i, c)| match i {
            4 | 7 => c == b'-',
            10 | 20 => c == b' ',
            13 | 16 => c == b':',
            19 => c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

/// The XOR grid `lambda` at n_h = 2 with `stages`, a few short chains.
fn lines_config(lambda: &str, stages: &str) -> String {
    format!(
        "[experiment]\nname = \"lines\"\nseed = 3\nstages = [{stages}]\n\n\
         [landscape]\nn_hidden = [2]\nlambda = [{lambda}]\n\n\
         [basin_hopping]\nchains = 4\nsteps = 40\nmax_without_new = 25\n\n\
         [census]\nbatches = 4\nquiet_batches = 2\n"
    )
}

/// With stderr not a terminal (a batch job's log) a run writes timestamped lines as it goes:
/// each landscape started and finished, each stage finished or skipped, a heartbeat with the
/// counts; an ETA only once a landscape finished from scratch. A resumed run says what is done
/// and what is left before it starts. `--quiet` prints nothing.
#[test]
fn progress_without_a_terminal_is_timestamped_lines() {
    let dir = tempfile::tempdir().unwrap();
    let stderr_lines = |out: &std::process::Output| -> Vec<String> {
        assert!(out.status.success(), "{}", text(out));
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .map(String::from)
            .collect()
    };
    // A fresh run of three landscapes.
    let cfg = write_file(
        dir.path(),
        "fresh.toml",
        &lines_config("1e-1, 1e-2, 1e-3", "\"basin_hopping\", \"census\""),
    );
    let started = std::time::Instant::now();
    let out = losscape(
        &[
            "run",
            cfg.to_str().unwrap(),
            "--db",
            "fresh.db",
            "--heartbeat",
            "1",
        ],
        dir.path(),
    );
    let seconds = started.elapsed().as_secs();
    let lines = stderr_lines(&out);
    let all = lines.join("\n");
    assert!(lines.iter().all(|l| timestamped(l)), "{all}");
    let find = |what: &str| {
        lines
            .iter()
            .position(|l| l.contains(what))
            .unwrap_or_else(|| panic!("no {what:?} in:\n{all}"))
    };
    let first_done = find("[1/3] h2-l1e-1 finished in");
    assert!(
        find("[1/3] h2-l1e-1 started (") < find("[1/3] h2-l1e-1 basin_hopping finished: 4 unit(s)")
    );
    assert!(find("[1/3] h2-l1e-1 census finished: ") < first_done);
    assert!(first_done < find("[3/3] h2-l1e-3 finished in"));
    assert!(
        lines[..first_done].iter().all(|l| !l.contains("ETA")),
        "an ETA before any basis:\n{all}"
    );
    assert!(lines[first_done].contains("; ETA "), "{all}");
    assert!(
        !lines.last().unwrap().contains("ETA"),
        "nothing left: {all}"
    );
    if seconds >= 3 {
        assert!(
            all.contains("heartbeat: "),
            "{seconds} s without a heartbeat:\n{all}"
        );
    }
    for l in lines.iter().filter(|l| l.contains("heartbeat: ")) {
        assert!(l.contains("landscape(s) done, elapsed "), "{l}");
    }

    // One landscape with basin-hopping only, then the grid of two with the census appended.
    let first = write_file(
        dir.path(),
        "a.toml",
        &lines_config("1e-2", "\"basin_hopping\""),
    );
    let out = losscape(
        &["run", first.to_str().unwrap(), "--db", "r.db"],
        dir.path(),
    );
    stderr_lines(&out);
    let more = write_file(
        dir.path(),
        "b.toml",
        &lines_config("1e-2, 1e-3", "\"basin_hopping\", \"census\""),
    );
    let out = losscape(&["run", more.to_str().unwrap(), "--db", "r.db"], dir.path());
    let lines = stderr_lines(&out);
    let all = lines.join("\n");
    assert!(
        lines[0].starts_with("resuming r.db (1 earlier run(s)): 0 of 2 landscape(s) finished, 1 partly done, 1 not started"),
        "{all}"
    );
    assert!(
        lines[1].contains(
            "h2-l1e-2: done basin_hopping; left census (4 of 4 basin-hopping chains committed)"
        ),
        "{all}"
    );
    assert!(
        lines[2].contains("left:") && lines[2].contains("h2-l1e-3"),
        "{all}"
    );
    assert!(
        lines[3..]
            .iter()
            .take_while(|l| !l.starts_with("skipped what"))
            .all(|l| timestamped(l)),
        "{all}"
    );
    // The resumed landscape is no basis for an ETA.
    let resumed = lines
        .iter()
        .find(|l| l.contains("[1/2] h2-l1e-2 finished in"))
        .expect("the resumed landscape finishes");
    assert!(!resumed.contains("ETA"), "{all}");

    // Quiet: nothing on stderr.
    let out = losscape(
        &["run", more.to_str().unwrap(), "--db", "r.db", "--quiet"],
        dir.path(),
    );
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        text(&out)
    );
}

/// The out-of-tree plugin example (`examples/out-of-tree-plugin`: its own package and
/// workspace, a path dependency on the plugin API) builds as plugins/README.md says and runs an
/// experiment by `path`.
#[test]
fn an_out_of_tree_plugin_builds_and_runs() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/out-of-tree-plugin");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("out-of-tree-plugin");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = std::process::Command::new(cargo)
        .args(["build", "--offline", "--manifest-path"])
        .arg(example.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .output()
        .expect("cargo runs");
    assert!(built.status.success(), "{}", text(&built));
    let library = target.join("debug").join(format!(
        "{}losscape_plugin_descent{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    assert!(library.exists(), "{}", library.display());
    let dir = tempfile::tempdir().unwrap();
    let config = TINY.replace(
        "[basin_hopping]",
        &format!(
            "[minimiser]\nkind = \"plugin\"\npath = \"{}\"\n\n[minimiser.options]\ninitial_step = 0.05\n\n[basin_hopping]",
            library.display()
        ),
    );
    let cfg = write_file(dir.path(), "descent.toml", &config);
    let out = losscape(&["check", cfg.to_str().unwrap()], dir.path());
    assert!(text(&out).contains("minimiser descent"), "{}", text(&out));
    let out = losscape(
        &["run", cfg.to_str().unwrap(), "--db", "d.db", "--quiet"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out));
    let store = Store::open_read_only(&dir.path().join("d.db")).unwrap();
    let l = &store.landscapes().unwrap()[0];
    assert!(
        !store.minima(l.id).unwrap().is_empty(),
        "the plugin found minima"
    );
}
