//! `cargo xtask reproduce [--quick]`: rebuilds the paper's results from nothing.
//!
//! 1. builds the release `losscape` binary and the FIRE and Adam plugins (next to it in
//!    `target/release`, where the plugin host looks);
//! 2. runs `configs/xor-paper.toml` (or `configs/xor-quick.toml` with `--quick`) into
//!    `report/<experiment name>.db`, from an empty database unless `--resume` is given;
//! 3. writes the report into `report/` with `losscape report`, including the basins of
//!    attraction of L-BFGS against the FIRE and Adam plugins, and the machine and wall times;
//! 4. prints the findings, the wall times and the machine.
//!
//! Everything runs through `std::process::Command`; no shell is involved.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use losscape_experiment::Config;

const USAGE: &str = "\
usage: cargo xtask reproduce [--quick] [--resume] [--samples N] [--starts N]

  --quick      run configs/xor-quick.toml instead of configs/xor-paper.toml (the paper's grid)
  --resume     keep an existing report/<name>.db and resume it (default: start afresh)
  --samples N  noisy copies per point and noise level in the sensitivity analysis
               [the report's default]
  --starts N   random starts per landscape for the basins of attraction [the report's default]";

/// What the command line asked for.
struct Options {
    quick: bool,
    resume: bool,
    /// `--samples` for `losscape report`; `None` leaves the report's own default.
    samples: Option<usize>,
    /// `--starts` for `losscape report`; `None` leaves the report's own default.
    starts: Option<usize>,
}

/// The options, or `None` when only the usage was asked for.
fn parse(args: &[String]) -> Result<Option<Options>> {
    let mut o = Options {
        quick: false,
        resume: false,
        samples: None,
        starts: None,
    };
    let mut it = args.iter();
    let number = |flag: &str, v: Option<&String>| -> Result<usize> {
        let v = v.with_context(|| format!("{flag} needs a number"))?;
        v.parse()
            .ok()
            .filter(|&n: &usize| n > 0)
            .with_context(|| format!("{flag} {v}: need a whole number >= 1"))
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => o.quick = true,
            "--resume" => o.resume = true,
            "--samples" => o.samples = Some(number("--samples", it.next())?),
            "--starts" => o.starts = Some(number("--starts", it.next())?),
            "-h" | "--help" => return Ok(None),
            other => bail!("unknown argument '{other}'\n{USAGE}"),
        }
    }
    Ok(Some(o))
}

/// Runs `cargo xtask reproduce` with the arguments after `reproduce`.
pub fn run(args: &[String]) -> Result<()> {
    let Some(opts) = parse(args)? else {
        println!("{USAGE}");
        return Ok(());
    };
    let started = Instant::now();
    let root = crate::host::workspace_root()?;
    let machine = crate::host::machine();
    println!("machine: {machine}");

    let t = Instant::now();
    build(&root)?;
    let build_time = t.elapsed();
    let bin = root.join("target/release").join(exe("losscape"));
    if !bin.is_file() {
        bail!("the build did not produce {}", bin.display());
    }

    let paths = prepare(&root, &opts)?;
    let run_time = run_experiment(&bin, &root, &paths)?;
    let notes = report_notes(&machine, &opts, build_time, run_time);
    let report_time = write_report(&bin, &root, &paths, &opts, &notes)?;

    let total = started.elapsed();
    let closing = format!(
        "wall time: build {}, run {}, report {}, total {}",
        secs(build_time),
        secs(run_time),
        secs(report_time),
        secs(total)
    );
    // The report itself was written before the total was known; the provenance gets it too.
    append_provenance(&paths.report_dir, &closing)?;

    println!("\n{closing}");
    println!("machine: {machine}");
    println!("report: {}", paths.report_dir.join("index.html").display());
    Ok(())
}

/// Where the run reads its experiment file and writes its database and report.
struct Paths {
    /// The experiment file, relative to the workspace root (as printed).
    config_rel: &'static str,
    config_path: PathBuf,
    report_dir: PathBuf,
    db: PathBuf,
}

/// Picks the experiment file, creates `report/` and, unless resuming, removes the previous
/// database.
fn prepare(root: &Path, opts: &Options) -> Result<Paths> {
    let config_rel = if opts.quick {
        "configs/xor-quick.toml"
    } else {
        "configs/xor-paper.toml"
    };
    let config_path = root.join(config_rel);
    let text = std::fs::read_to_string(&config_path)
        .with_context(|| format!("cannot read {}", config_path.display()))?;
    let config = Config::parse(&text, &config_path)?;
    let name = &config.experiment.name;
    let report_dir = root.join("report");
    std::fs::create_dir_all(&report_dir)
        .with_context(|| format!("cannot create {}", report_dir.display()))?;
    let db = report_dir.join(format!("{name}.db"));
    if !opts.resume {
        remove_database(&db)?;
    }
    Ok(Paths {
        config_rel,
        config_path,
        report_dir,
        db,
    })
}

/// `losscape run CONFIG --db DB`; returns its wall time.
fn run_experiment(bin: &Path, root: &Path, paths: &Paths) -> Result<Duration> {
    println!(
        "\n== losscape run {} --db {}",
        paths.config_rel,
        paths.db.display()
    );
    let t = Instant::now();
    let mut run = Command::new(bin);
    run.arg("run")
        .arg(&paths.config_path)
        .arg("--db")
        .arg(&paths.db);
    status(run.current_dir(root), "losscape run")?;
    Ok(t.elapsed())
}

/// The notes the report shows: the machine and the wall times so far.
fn report_notes(
    machine: &str,
    opts: &Options,
    build_time: Duration,
    run_time: Duration,
) -> [String; 2] {
    [
        format!("machine: {machine}"),
        format!(
            "cargo xtask reproduce{}: release build {}, losscape run {} (wall time{})",
            if opts.quick { " --quick" } else { "" },
            secs(build_time),
            secs(run_time),
            if opts.resume {
                ", resumed"
            } else {
                ", from an empty database"
            }
        ),
    ]
}

/// `losscape report DB -o report/ ...` with the three minimisers and the notes; returns its
/// wall time.
fn write_report(
    bin: &Path,
    root: &Path,
    paths: &Paths,
    opts: &Options,
    notes: &[String],
) -> Result<Duration> {
    println!(
        "\n== losscape report {} -o {}",
        paths.db.display(),
        paths.report_dir.display()
    );
    let t = Instant::now();
    let mut report = Command::new(bin);
    report
        .arg("report")
        .arg(&paths.db)
        .arg("-o")
        .arg(&paths.report_dir)
        .arg("--title")
        .arg(format!(
            "The loss surface of XOR networks: reproduction ({})",
            if opts.quick {
                "quick sweep"
            } else {
                "the paper's grid"
            }
        ))
        .args(["--minimisers", "lbfgs,fire,adam"])
        .arg("--plugin-dir")
        .arg(root.join("target/release"));
    // Only what was asked for: otherwise the report's own defaults apply.
    if let Some(n) = opts.samples {
        report.args(["--samples", &n.to_string()]);
    }
    if let Some(n) = opts.starts {
        report.args(["--starts", &n.to_string()]);
    }
    for n in notes {
        report.arg("--note").arg(n);
    }
    status(report.current_dir(root), "losscape report")?;
    Ok(t.elapsed())
}

/// Appends `line` to the report's provenance.txt.
fn append_provenance(report_dir: &Path, line: &str) -> Result<()> {
    let provenance = report_dir.join("provenance.txt");
    let mut prov = std::fs::read_to_string(&provenance)
        .with_context(|| format!("cannot read {}", provenance.display()))?;
    prov.push_str(&format!("\n{line}\n"));
    std::fs::write(&provenance, prov)
        .with_context(|| format!("cannot write {}", provenance.display()))
}

fn exe(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}

fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// Runs `cmd` with inherited output and fails unless it succeeds.
fn status(cmd: &mut Command, what: &str) -> Result<()> {
    let st = cmd
        .status()
        .with_context(|| format!("cannot start {what}"))?;
    if !st.success() {
        bail!("{what} failed ({st})");
    }
    Ok(())
}

/// `cargo build --release` of the binary and the two plugins the report compares.
fn build(root: &Path) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    println!(
        "== cargo build --release -p losscape-cli -p losscape-plugin-fire -p losscape-plugin-adam"
    );
    let mut cmd = Command::new(cargo);
    cmd.args([
        "build",
        "--release",
        "-p",
        "losscape-cli",
        "-p",
        "losscape-plugin-fire",
        "-p",
        "losscape-plugin-adam",
    ]);
    status(cmd.current_dir(root), "cargo build --release")
}

/// Removes a database and its side files, so the run starts from nothing.
fn remove_database(db: &Path) -> Result<()> {
    let name = db.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    for suffix in ["", "-wal", "-shm", ".lock"] {
        let p = db.with_file_name(format!("{name}{suffix}"));
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("cannot remove {}", p.display()))?;
            if suffix.is_empty() {
                println!("removed the previous {}", p.display());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn samples_and_starts_are_left_to_the_report_unless_given() {
        let o = parse(&args(&["--quick"])).ok().flatten();
        assert!(
            o.is_some_and(|o| o.quick && !o.resume && o.samples.is_none() && o.starts.is_none())
        );
        let o = parse(&args(&["--samples", "7", "--starts", "3", "--resume"]))
            .ok()
            .flatten();
        assert!(
            o.is_some_and(|o| !o.quick && o.resume && o.samples == Some(7) && o.starts == Some(3))
        );
    }

    #[test]
    fn bad_arguments_are_refused() {
        assert!(parse(&args(&["--samples", "0"])).is_err());
        assert!(parse(&args(&["--starts", "0"])).is_err());
        assert!(parse(&args(&["--samples"])).is_err());
        assert!(parse(&args(&["--starts", "x"])).is_err());
        assert!(parse(&args(&["--bogus"])).is_err());
        assert!(matches!(parse(&args(&["--help"])), Ok(None)));
    }

    #[test]
    fn usage_names_no_default_numbers() {
        // The report owns the defaults of --samples and --starts; the usage must not repeat
        // them (they would go stale when the library's defaults change).
        for line in USAGE
            .lines()
            .filter(|l| l.contains("--samples N") || l.contains("--starts N"))
        {
            assert!(!line.chars().any(|c| c.is_ascii_digit()), "{line}");
        }
    }
}
