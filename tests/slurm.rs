//! `losscape slurm`: every option value that reaches an `#SBATCH` line is checked or quoted
//! the way sbatch reads it back, the new options land in the scripts, and (where a Slurm
//! controller answers) the scripts pass `sbatch --test-only`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::{bin, text};

const CONFIG: &str = include_str!("../configs/xor-quick.toml");

/// A folder holding the quick sweep renamed to `name` (docs/guarantees.md allows spaces in names).
fn workspace(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let cfg = dir.path().join(format!("{name}.toml"));
    let text = CONFIG.replacen("name = \"xor-quick\"", &format!("name = \"{name}\""), 1);
    assert!(text.contains(&format!("name = \"{name}\"")), "renamed");
    std::fs::write(&cfg, text).expect("write the config");
    (dir, cfg)
}

fn slurm(cfg: &Path, jobs: &Path, extra: &[&str]) -> Output {
    Command::new(bin())
        .arg("slurm")
        .arg(cfg)
        .args(["--tasks", "4", "--dir"])
        .arg(jobs)
        .args(extra)
        .output()
        .expect("losscape slurm runs")
}

/// A value with a line break would end its `#SBATCH` line and turn the rest into shell code in
/// the job; every such value is refused, naming the option, and nothing is written.
#[test]
fn values_that_would_end_a_directive_are_refused() {
    let (dir, cfg) = workspace("xor-quick");
    let jobs = dir.path().join("jobs");
    let marker = dir.path().join("injected");
    let payload = format!("p\ntouch {}", marker.display());
    for option in [
        "--partition",
        "--account",
        "--qos",
        "--time",
        "--merge-time",
        "--mem",
        "--sbatch",
    ] {
        let out = slurm(&cfg, &jobs, &[option, &payload]);
        let msg = text(&out);
        assert!(!out.status.success(), "{option}: accepted\n{msg}");
        assert!(msg.contains(option), "{option}: names the option\n{msg}");
        assert!(!jobs.join("shards.sbatch").exists(), "{option}: wrote");
    }
    let out = Command::new(bin())
        .arg("slurm")
        .arg(&cfg)
        .args(["--tasks", "4", "--dir"])
        .arg(dir.path().join("a\nb"))
        .output()
        .unwrap();
    assert!(
        !out.status.success() && text(&out).contains("--dir"),
        "{}",
        text(&out)
    );
    assert!(!marker.exists());
}

/// Time limits and memory sizes sbatch would not read are refused with the allowed formats.
#[test]
fn time_and_memory_are_checked_against_slurms_formats() {
    let (dir, cfg) = workspace("xor-quick");
    let jobs = dir.path().join("jobs");
    for (option, bad) in [
        ("--time", "2h"),
        ("--time", "1-"),
        ("--time", "1:2:3:4"),
        ("--merge-time", "soon"),
        ("--mem", "4GB"),
        ("--mem", "lots"),
    ] {
        let out = slurm(&cfg, &jobs, &[option, bad]);
        let msg = text(&out);
        assert!(!out.status.success(), "{option} {bad}: accepted");
        assert!(msg.contains("allowed"), "{option} {bad}: {msg}");
    }
    for (option, good) in [
        ("--time", "30"),
        ("--time", "1-12:00:00"),
        ("--time", "02:00:00"),
        ("--time", "UNLIMITED"),
        ("--mem", "4G"),
        ("--mem", "500"),
    ] {
        let out = slurm(&cfg, &jobs, &[option, good]);
        assert!(out.status.success(), "{option} {good}: {}", text(&out));
    }
}

/// The directives of one script as sbatch reads them: the `#SBATCH` lines before the first
/// command, split into words at unquoted blanks, quotes dropped, backslash escaping the next
/// character, an unquoted `#` starting a comment.
fn directives(script: &str) -> Vec<String> {
    let mut words = Vec::new();
    for line in script.lines().skip(1) {
        let line = line.trim_start();
        if line.is_empty() {
            continue;
        }
        let Some(rest) = line.strip_prefix("#SBATCH") else {
            if line.starts_with('#') {
                continue;
            }
            break;
        };
        let (mut word, mut quote, mut escaped, mut any) = (String::new(), None, false, false);
        for c in rest.chars() {
            if escaped {
                word.push(c);
                escaped = false;
                continue;
            }
            match (c, quote) {
                ('\\', _) => escaped = true,
                (c, Some(q)) if c == q => quote = None,
                (c, Some(_)) => word.push(c),
                ('"' | '\'', None) => {
                    quote = Some(c);
                    any = true;
                }
                ('#', None) => break,
                (c, None) if c.is_whitespace() => {
                    if any || !word.is_empty() {
                        words.push(std::mem::take(&mut word));
                        any = false;
                    }
                }
                (c, None) => word.push(c),
            }
        }
        if any || !word.is_empty() {
            words.push(word);
        }
    }
    words
}

/// An experiment name with a space and values with blanks, quotes and `#` each stay one
/// option; every new option reaches the scripts; the merge job has its own resources; the
/// setup line runs before losscape; the jobs run without --quiet, so their logs show progress.
#[test]
fn every_option_reaches_the_scripts_as_one_word() {
    let (dir, cfg) = workspace("my exp");
    let jobs = dir.path().join("jobs with space");
    let out = slurm(
        &cfg,
        &jobs,
        &[
            "--partition",
            "p --wrap=x",
            "--account",
            "lab \"a\" #1",
            "--qos",
            "normal",
            "--time",
            "01:00:00",
            "--mem",
            "2G",
            "--cpus-per-task",
            "2",
            "--merge-time",
            "1-00:00:00",
            "--merge-cpus",
            "3",
            "--sbatch",
            "--constraint=skylake",
            "--sbatch",
            "--mail-type=END",
            "--setup",
            "module load gcc",
            "--setup",
            "export OMP_NUM_THREADS=1",
            "--binary",
            bin(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let shards = std::fs::read_to_string(jobs.join("shards.sbatch")).unwrap();
    let merge = std::fs::read_to_string(jobs.join("merge.sbatch")).unwrap();
    let logs = jobs.canonicalize().unwrap().join("logs");
    let common = [
        "--partition=p --wrap=x",
        "--account=lab \"a\" #1",
        "--qos=normal",
        "--mem=2G",
        "--constraint=skylake",
        "--mail-type=END",
    ];
    let s = directives(&shards);
    for want in common.iter().copied().chain([
        "--job-name=my exp-shards",
        "--time=01:00:00",
        "--cpus-per-task=2",
        &format!("--output={}/shard-%a.log", logs.display()),
    ]) {
        assert!(s.iter().any(|w| w == want), "shards: no {want:?} in {s:?}");
    }
    let m = directives(&merge);
    for want in common.iter().copied().chain([
        "--job-name=my exp-merge",
        "--time=1-00:00:00",
        "--cpus-per-task=3",
        &format!("--output={}/merge.log", logs.display()),
    ]) {
        assert!(m.iter().any(|w| w == want), "merge: no {want:?} in {m:?}");
    }
    for script in [&shards, &merge] {
        let setup = script.find("module load gcc").expect("setup line");
        let first_run = script.find(bin()).expect("the given binary");
        assert!(setup < first_run, "setup runs first:\n{script}");
        assert!(script.contains("export OMP_NUM_THREADS=1"));
        assert!(!script.contains("--quiet"), "jobs log progress:\n{script}");
    }
}

/// Without --binary the jobs run `losscape` from PATH where there is one (a module may
/// provide it), else this executable by its absolute path.
#[test]
fn the_binary_comes_from_path_or_the_option() {
    let (dir, cfg) = workspace("xor-quick");
    let jobs = dir.path().join("jobs");
    let on_path = dir.path().join("bin");
    std::fs::create_dir(&on_path).unwrap();
    let fake = on_path.join("losscape");
    std::fs::write(&fake, "#!/bin/sh\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let script = |path: &str| {
        let out = Command::new(bin())
            .env("PATH", path)
            .arg("slurm")
            .arg(&cfg)
            .args(["--tasks", "2", "--dir"])
            .arg(&jobs)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        std::fs::read_to_string(jobs.join("shards.sbatch")).unwrap()
    };
    let s = script(&on_path.display().to_string());
    assert!(s.contains("exec losscape run"), "{s}");
    let s = script("/nonexistent");
    let own = std::fs::canonicalize(bin()).unwrap();
    assert!(s.contains(&format!("exec {} run", own.display())), "{s}");
    let out = slurm(&cfg, &jobs, &["--binary", "/no/such/losscape"]);
    assert!(!out.status.success() && text(&out).contains("--binary"));
}

/// The help says what `--tasks` accepts, and the check matches it: up to landscapes ×
/// chains, beyond which it is refused with the range.
#[test]
fn tasks_help_and_check_agree() {
    let help = Command::new(bin())
        .args(["slurm", "--help"])
        .output()
        .unwrap();
    let help = text(&help);
    assert!(help.contains("chains"), "{help}");
    assert!(!help.contains("at most the number of landscapes"), "{help}");
    let (dir, cfg) = workspace("xor-quick");
    let jobs = dir.path().join("jobs");
    // The quick sweep: 4 landscapes of 16 chains.
    let tasks = |n: &str| {
        Command::new(bin())
            .arg("slurm")
            .arg(&cfg)
            .args(["--tasks", n, "--dir"])
            .arg(&jobs)
            .output()
            .unwrap()
    };
    assert!(tasks("7").status.success(), "chain shards are accepted");
    let merge = std::fs::read_to_string(jobs.join("merge.sbatch")).unwrap();
    assert!(
        merge.contains(" run "),
        "the merge job runs the other stages"
    );
    let too_many = tasks("65");
    assert!(!too_many.status.success());
    assert!(text(&too_many).contains("1 to 64"), "{}", text(&too_many));
}

/// Scripts generated with every option pass `sbatch --test-only` on a real Slurm (started by
/// `.ci/run`; the test is ignored, with the reason, where none answered when it was built).
#[test]
#[cfg_attr(
    losscape_no_slurm,
    ignore = "no Slurm controller answered `sinfo` when the tests were built (.ci/run starts one)"
)]
fn scripts_with_every_option_pass_sbatch_test_only() {
    let (dir, cfg) = workspace("my exp");
    let jobs = dir.path().join("jobs");
    let out = slurm(
        &cfg,
        &jobs,
        &[
            "--account",
            "lab one",
            "--qos",
            "normal",
            "--time",
            "10",
            "--mem",
            "100M",
            "--merge-time",
            "00:20:00",
            "--merge-cpus",
            "1",
            "--sbatch",
            "--comment=\"losscape test # not a comment\"",
            "--setup",
            "true",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    for script in ["shards.sbatch", "merge.sbatch"] {
        let out = Command::new("sbatch")
            .args(["--test-only", script])
            .current_dir(&jobs)
            .output()
            .expect("sbatch runs");
        assert!(out.status.success(), "{script}: {}", text(&out));
    }
}
