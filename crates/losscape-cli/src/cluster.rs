//! Beyond one machine: `losscape merge` combines the shard databases of a sweep, and
//! `losscape slurm` writes (and submits) the Slurm jobs that run the shards as a job array and
//! merge them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{Context, Result, bail};
use losscape_db::{Shard, Store};
use losscape_experiment::{Config, Experiment};

/// `losscape merge PART... --db OUT`.
pub fn merge(parts: &[PathBuf], out: &Path, quiet: bool) -> Result<ExitCode> {
    if parts.is_empty() {
        bail!("give the shard databases to merge");
    }
    // Everything is checked before the merged database is opened.
    let (config, shards) = check_parts(parts)?;
    let count = shards[0].count;
    let landscapes = config.landscapes().len() as u64;
    if count > landscapes {
        return merge_chains(parts, &shards, out, &config, quiet);
    }
    let mut merged = Store::open(out)?;
    check_target(&merged, out, &config)?;
    for (part, shard) in parts.iter().zip(&shards) {
        let c = merged.merge_shard(part).map_err(|e| {
            // Only a transient failure (busy, disk full, I/O) is worth the same merge again;
            // anything else fails the same way until the part or the target is fixed.
            let advice = if e.is_transient() {
                "; run the same merge again to finish (parts merged so far are complete)"
            } else {
                "; parts merged before it are complete, nothing of it was merged"
            };
            anyhow::Error::new(e).context(format!("merging {} stopped{advice}", part.display()))
        })?;
        if !quiet {
            outln!(
                "{} (shard {shard}): {} minima, {} transition states, {} census points, {} units of work ({} new records)",
                part.display(),
                c.rows[3],
                c.rows[4],
                c.rows[5],
                c.rows[6],
                c.new_rows.iter().sum::<usize>()
            );
        }
    }
    let mut present: Vec<u64> = shards.iter().map(|s| s.index).collect();
    present.sort_unstable();
    present.dedup();
    let missing: Vec<String> = (0..count)
        .filter(|i| !present.contains(i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !quiet {
        outln!("merged {} shard(s) into {}", present.len(), out.display());
    }
    if !missing.is_empty() {
        eprintln!(
            "note: shards {} are not merged yet; merge them into {} when they are done",
            missing.join(", "),
            out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Checks that `parts` are shards of one split of one experiment, written by one version;
/// returns that experiment's config and each part's shard.
fn check_parts(parts: &[PathBuf]) -> Result<(Config, Vec<Shard>)> {
    let mut first: Option<(PathBuf, Shard, Config, String)> = None;
    let mut shards = Vec::new();
    for part in parts {
        let store = Store::open_read_only(part)
            .with_context(|| format!("cannot read shard {}", part.display()))?;
        if store.shard()?.is_none() {
            bail!(
                "{} is not a shard of a sweep (written by `losscape run CONFIG --shard I/N`)",
                part.display()
            );
        }
        // The label must match the contents, and nothing may dangle: checked for every part
        // before anything is merged, so a bad part leaves no partial merge behind.
        let shard = store
            .check_shard_contents()
            .with_context(|| format!("cannot merge {}", part.display()))?;
        let run = store
            .runs()?
            .pop()
            .with_context(|| format!("shard {} holds no run", part.display()))?;
        let config: Config = toml::from_str(&run.config_text)
            .with_context(|| format!("the config stored in {} cannot be read", part.display()))?;
        match &first {
            None => first = Some((part.clone(), shard, config, run.program_version)),
            Some((first_part, first_shard, first_config, version)) => {
                let name = |p: &Path| p.display().to_string();
                if shard.count != first_shard.count {
                    bail!(
                        "{} is shard {shard} but {} is shard {first_shard}: parts of one merge come from one split",
                        name(part),
                        name(first_part)
                    );
                }
                if run.program_version != *version {
                    // The stored version already reads "losscape X.Y.Z (...)".
                    bail!(
                        "{} was written by {} but {} by {version}: merge parts of one version",
                        name(part),
                        run.program_version,
                        name(first_part)
                    );
                }
                check_same_experiment(first_config, &config, first_part, part)?;
            }
        }
        // Checked after the experiment, whose difference is the better reason to give.
        if let Some(i) = shards.iter().position(|s: &Shard| s.index == shard.index) {
            bail!(
                "{} and {} are both shard {shard}: give each shard once",
                parts[i].display(),
                part.display()
            );
        }
        shards.push(shard);
    }
    let (_, _, config, _) = first.expect("at least one part");
    Ok((config, shards))
}

/// Refuses parts whose stored configs differ.
fn check_same_experiment(
    first: &Config,
    config: &Config,
    first_part: &Path,
    part: &Path,
) -> Result<()> {
    if config != first {
        // Every difference once, with the value each part holds.
        let mut what = losscape_experiment::resume::all_differences(
            first,
            config,
            &first_part.display().to_string(),
            &part.display().to_string(),
        );
        if what.is_empty() {
            what.push("the configs differ".into());
        }
        bail!(
            "{} and {} are shards of different experiments: {}",
            first_part.display(),
            part.display(),
            what.join("; ")
        );
    }
    Ok(())
}

/// Refuses a merge target that is itself a shard or holds another experiment.
fn check_target(merged: &Store, out: &Path, config: &Config) -> Result<()> {
    if let Some(held) = merged.shard()? {
        bail!(
            "{} is itself shard {held} of a sweep; merge into a new database",
            out.display()
        );
    }
    if let Some(last) = merged.runs()?.pop() {
        let stored: Config = toml::from_str(&last.config_text)
            .with_context(|| format!("the config stored in {} cannot be read", out.display()))?;
        let differs = losscape_experiment::resume::differences(&stored, config);
        if !differs.is_empty() {
            bail!(
                "{} holds another experiment than the shards: {}",
                out.display(),
                differs.join("; ")
            );
        }
    }
    Ok(())
}

/// The merge of chain shards (more shards than landscapes): every landscape's chains are
/// identified in chain order into `out`; the remaining stages then run on it (`losscape run`).
fn merge_chains(
    parts: &[PathBuf],
    shards: &[Shard],
    out: &Path,
    config: &Config,
    quiet: bool,
) -> Result<ExitCode> {
    // A single run identifies a landscape's minima chain after chain, in chain order, and the
    // chains of every shard interleave; a shard merged later would be identified after chains
    // that come after it, giving other ids, counts and representatives than the single run.
    // So chain shards merge all at once (merging them all again, or after a killed merge, is
    // harmless: units already merged are skipped).
    let count = shards[0].count;
    let missing: Vec<String> = (0..count)
        .filter(|i| !shards.iter().any(|s| s.index == *i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        bail!(
            "chain shards are merged all {count} at once, in one call (their chains are identified in chain order, as a single run does); missing: {}. Nothing was merged",
            missing.join(", ")
        );
    }
    // The experiment is rebuilt from the stored config; relative data paths are read from the
    // first part's folder.
    let text = toml::to_string(config).context("cannot rebuild the stored config")?;
    let exp = Experiment::from_text(text, &parts[0])
        .context("cannot rebuild the experiment stored in the shards")?;
    let mut merged = Store::open(out)?;
    let command = std::env::args()
        .map(|a| crate::shell_quote(&a))
        .collect::<Vec<_>>()
        .join(" ");
    let refs: Vec<&Path> = parts.iter().map(PathBuf::as_path).collect();
    let c = losscape_experiment::shards::merge_chain_shards(
        &exp,
        &mut merged,
        &refs,
        &command,
        &crate::program_version(),
    )?;
    if !quiet {
        outln!(
            "merged {} basin-hopping unit(s) of {} chain shard(s) into {} ({} new minima); run the remaining stages with `losscape run CONFIG --db {}`",
            c.units,
            parts.len(),
            out.display(),
            c.new_minima,
            out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Settings of `losscape slurm`.
pub struct SlurmArgs<'a> {
    pub config: &'a Path,
    pub tasks: u64,
    pub partition: Option<&'a str>,
    pub account: Option<&'a str>,
    pub qos: Option<&'a str>,
    pub time: Option<&'a str>,
    pub mem: Option<&'a str>,
    pub cpus_per_task: u64,
    /// The merge job's time limit; `None` takes `time`.
    pub merge_time: Option<&'a str>,
    /// The merge job's CPUs; `None` takes `cpus_per_task` when the merge job runs the stages
    /// after basin-hopping (chain shards), else 1.
    pub merge_cpus: Option<u64>,
    /// Further `#SBATCH` options, verbatim, for both jobs.
    pub sbatch: &'a [String],
    /// Shell lines run before losscape in every job (`module load ...`).
    pub setup: &'a [String],
    /// The losscape executable the jobs run; `None`: `losscape` from PATH, else this one.
    pub binary: Option<&'a Path>,
    pub dir: &'a Path,
    pub submit: bool,
}

/// `losscape slurm CONFIG --tasks N ...`: writes `shards.sbatch` (a job array of N shard runs,
/// one log per task), `merge.sbatch` (the merge and a summary, after every shard succeeded) and
/// `submit.sh` into the folder; with `--submit` runs `submit.sh`'s steps and prints the job ids.
pub fn slurm(args: &SlurmArgs<'_>) -> Result<ExitCode> {
    let exp = Experiment::load(args.config)?;
    // More tasks than landscapes split the chains; the merge job then runs the other stages.
    let follow_up = check_slurm(args, &exp)?;
    // Every directive is built (and so checked) before anything is written.
    let jobs = JobDirectives::new(args, &exp, follow_up)?;
    let exe = job_binary(args.binary)?;
    std::fs::create_dir_all(args.dir.join("logs"))
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    let dir = std::fs::canonicalize(args.dir)?;
    let paths = JobPaths {
        merged: dir.join(format!("{}.db", exp.config.experiment.name)),
        config: std::fs::canonicalize(args.config)?,
        exe,
        dir,
    };
    let (dir, merged, n) = (&paths.dir, &paths.merged, args.tasks);
    for (file, text) in [
        (
            "shards.sbatch",
            shards_script(args, &exp, &paths, &jobs, follow_up)?,
        ),
        (
            "merge.sbatch",
            merge_script(args, &exp, &paths, &jobs, follow_up)?,
        ),
        ("submit.sh", submit_script(&paths)),
    ] {
        let path = dir.join(file);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    outln!(
        "wrote {}/{{shards.sbatch, merge.sbatch, submit.sh}}: {n} shard task(s) -> {}",
        dir.display(),
        merged.display()
    );
    println!("the jobs run: {}", paths.exe);
    if args.time.is_none() {
        eprintln!(
            "note: no --time: the jobs get the partition's default limit (many sites refuse jobs without one)"
        );
    }
    if !args.submit {
        outln!("submit with: {}", q(&dir.join("submit.sh")));
        return Ok(ExitCode::SUCCESS);
    }
    submit(dir, n, merged)
}

/// Refuses task counts the sweep cannot split into and resources no task can have; returns
/// whether the tasks split chains (more tasks than landscapes).
fn check_slurm(args: &SlurmArgs<'_>, exp: &Experiment) -> Result<bool> {
    let landscapes = exp.config.landscapes().len() as u64;
    let most = losscape_experiment::runner::max_shards(exp);
    if args.tasks == 0 || args.tasks > most {
        bail!(
            "--tasks {}: the sweep has {landscapes} landscape(s) of {} basin-hopping chain(s), so it splits into 1 to {most} shards ({landscapes} or fewer split the landscapes; more split the chains)",
            args.tasks,
            exp.config.basin_hopping.chains
        );
    }
    if args.cpus_per_task == 0 {
        bail!("--cpus-per-task must be >= 1");
    }
    if args.merge_cpus == Some(0) {
        bail!("--merge-cpus must be >= 1");
    }
    // The folder reaches the `--output` directives.
    let dir = args.dir.display().to_string();
    if let Some(c) = dir.chars().find(|c| c.is_control()) {
        bail!("--dir {dir:?}: holds the control character {c:?}; an #SBATCH line cannot carry it");
    }
    exp.check_resources(args.cpus_per_task as usize)?;
    Ok(args.tasks > landscapes)
}

/// The executable the jobs run, as a shell word: `--binary` (a path, made absolute, or a
/// command name looked up on the job's PATH after `--setup`), else `losscape` where PATH has
/// one now, else this executable's absolute path.
fn job_binary(binary: Option<&Path>) -> Result<String> {
    match binary {
        Some(b) if b.components().count() > 1 || b.is_absolute() => {
            let path = std::fs::canonicalize(b)
                .with_context(|| format!("--binary {}: no such file", b.display()))?;
            Ok(q(&path))
        }
        // A bare name: the job looks it up on its own PATH (a module may provide it).
        Some(b) => Ok(q(b)),
        None if on_path("losscape") => Ok("losscape".into()),
        None => Ok(q(
            &std::env::current_exe().context("cannot find the losscape executable")?
        )),
    }
}

/// Whether `name` is an executable file in a folder of PATH.
fn on_path(name: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|d| {
            std::fs::metadata(d.join(name))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// The absolute paths the job scripts name.
struct JobPaths {
    /// The folder of the scripts, logs and databases.
    dir: PathBuf,
    /// The experiment file.
    config: PathBuf,
    /// The losscape executable, as a shell word.
    exe: String,
    /// The merged database.
    merged: PathBuf,
}

/// A path as a shell word.
fn q(p: &Path) -> String {
    crate::shell_quote(&p.display().to_string())
}

/// The `#SBATCH` lines of both jobs that come from the options, each checked.
struct JobDirectives {
    /// Options both jobs share (partition, account, QOS, memory, `--sbatch` lines).
    common: String,
    /// The shard tasks' time limit line.
    shard_time: String,
    /// The merge job's time limit line.
    merge_time: String,
    /// The merge job's CPUs.
    merge_cpus: u64,
}

impl JobDirectives {
    fn new(args: &SlurmArgs<'_>, exp: &Experiment, follow_up: bool) -> Result<Self> {
        // The job names carry the experiment's name, which may hold spaces: check it here,
        // before anything is written.
        directive("job-name", &exp.config.experiment.name)?;
        let mut common = String::new();
        for (option, value) in [
            ("partition", args.partition),
            ("account", args.account),
            ("qos", args.qos),
        ] {
            if let Some(v) = value {
                common.push_str(&directive(option, v)?);
            }
        }
        if let Some(m) = args.mem {
            check_memory(m)?;
            common.push_str(&directive("mem", m)?);
        }
        for line in args.sbatch {
            common.push_str(&extra_directive(line)?);
        }
        let time_line = |option: &str, t: Option<&str>| -> Result<String> {
            match t {
                Some(t) => {
                    check_time(option, t)?;
                    directive("time", t)
                }
                None => Ok(String::new()),
            }
        };
        Ok(Self {
            common,
            shard_time: time_line("--time", args.time)?,
            merge_time: time_line("--merge-time", args.merge_time.or(args.time))?,
            merge_cpus: args
                .merge_cpus
                .unwrap_or(if follow_up { args.cpus_per_task } else { 1 }),
        })
    }
}

/// `#SBATCH --OPTION=VALUE` as sbatch reads it back: sbatch splits a directive into words at
/// blanks, drops quotes, takes a backslash as escaping the next character and an unquoted `#`
/// as the start of a comment, and a line break ends the directive. So the value is refused if
/// it holds a line break or another control character (it could not be written on one line),
/// and written in double quotes, with `\` and `"` escaped, unless it is plain.
fn directive(option: &str, value: &str) -> Result<String> {
    if value.is_empty() {
        bail!("--{option}: the value is empty");
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        bail!(
            "--{option} {value:?}: holds the control character {c:?}; an #SBATCH line cannot carry it (allowed: printable characters, spaces)"
        );
    }
    Ok(format!("#SBATCH --{option}={}\n", sbatch_word(value)))
}

/// `value` as one word of an `#SBATCH` line (see [`directive`]).
fn sbatch_word(value: &str) -> String {
    let plain = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c));
    if plain {
        value.to_string()
    } else {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// A `--sbatch 'OPTION'` line, written verbatim (the user quotes within it as sbatch would):
/// one line that starts with `-`.
fn extra_directive(line: &str) -> Result<String> {
    let line = line.trim();
    if let Some(c) = line.chars().find(|c| c.is_control()) {
        bail!(
            "--sbatch {line:?}: holds the control character {c:?}; give one sbatch option per --sbatch"
        );
    }
    if !line.starts_with('-') {
        bail!(
            "--sbatch {line:?}: expected an sbatch option such as --gres=gpu:1 or --constraint=skylake (written after #SBATCH)"
        );
    }
    Ok(format!("#SBATCH {line}\n"))
}

/// Refuses a time limit sbatch does not read: `MINUTES`, `MINUTES:SECONDS`,
/// `HOURS:MINUTES:SECONDS`, `DAYS-HOURS`, `DAYS-HOURS:MINUTES`, `DAYS-HOURS:MINUTES:SECONDS`
/// (numbers), or `UNLIMITED`/`INFINITE`.
fn check_time(option: &str, t: &str) -> Result<()> {
    let numbers = |s: &str, most: usize| {
        let fields: Vec<&str> = s.split(':').collect();
        fields.len() <= most
            && fields
                .iter()
                .all(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
    };
    let ok = matches!(t, "UNLIMITED" | "INFINITE" | "unlimited" | "infinite")
        || match t.split_once('-') {
            Some((days, rest)) => {
                !days.is_empty() && days.bytes().all(|b| b.is_ascii_digit()) && numbers(rest, 3)
            }
            None => numbers(t, 3),
        };
    if !ok {
        bail!(
            "{option} {t:?}: not a Slurm time limit (allowed: MINUTES, MINUTES:SECONDS, HOURS:MINUTES:SECONDS, DAYS-HOURS, DAYS-HOURS:MINUTES, DAYS-HOURS:MINUTES:SECONDS, UNLIMITED)"
        );
    }
    Ok(())
}

/// Refuses a memory size sbatch does not read: a whole number with an optional unit K, M, G
/// or T (megabytes without one).
fn check_memory(m: &str) -> Result<()> {
    let digits = m.trim_end_matches(['K', 'M', 'G', 'T', 'k', 'm', 'g', 't']);
    let unit = m.len() - digits.len();
    if digits.is_empty() || unit > 1 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        bail!(
            "--mem {m:?}: not a Slurm memory size (allowed: a whole number with an optional unit K, M, G or T, e.g. 4G; megabytes without one)"
        );
    }
    Ok(())
}

/// A path for `#SBATCH --output`: `%` doubled, since sbatch replaces `%x` patterns in it.
fn log_pattern(p: &Path) -> String {
    p.display().to_string().replace('%', "%%")
}

/// The `--setup` lines, one per line, run before losscape.
fn setup_lines(args: &SlurmArgs<'_>) -> String {
    if args.setup.is_empty() {
        return String::new();
    }
    let mut text = String::from("# Set up the environment (--setup).\n");
    for line in args.setup {
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// `shards.sbatch`: a job array of one shard run per task, one log per task.
fn shards_script(
    args: &SlurmArgs<'_>,
    exp: &Experiment,
    p: &JobPaths,
    jobs: &JobDirectives,
    follow_up: bool,
) -> Result<String> {
    let (name, n) = (&exp.config.experiment.name, args.tasks);
    let what = if follow_up {
        format!(
            "every {n}th basin-hopping chain of every landscape; the merge job runs the other stages"
        )
    } else {
        format!("the landscapes at grid positions TASK, TASK+{n}, ..., every stage")
    };
    let mut s = String::new();
    writeln!(s, "#!/bin/bash")?;
    writeln!(
        s,
        "# One shard of the sweep {name} per array task ({what})."
    )?;
    writeln!(s, "# Resubmitting resumes: finished shards are skipped.")?;
    s.push_str(&directive("job-name", &format!("{name}-shards"))?);
    writeln!(s, "#SBATCH --array=0-{}", n - 1)?;
    writeln!(s, "#SBATCH --ntasks=1")?;
    writeln!(s, "#SBATCH --cpus-per-task={}", args.cpus_per_task)?;
    s.push_str(&directive(
        "output",
        &format!("{}/shard-%a.log", log_pattern(&p.dir.join("logs"))),
    )?);
    s.push_str(&jobs.shard_time);
    s.push_str(&jobs.common);
    writeln!(s, "set -euo pipefail")?;
    s.push_str(&setup_lines(args));
    // Without --quiet: stderr is the log, so the run writes timestamped progress lines there.
    writeln!(
        s,
        "exec {exe} run {config} --shard \"$SLURM_ARRAY_TASK_ID/{n}\" \\\n  --db {dir}/part-\"$SLURM_ARRAY_TASK_ID\".db --threads \"${{SLURM_CPUS_PER_TASK:-{cpus}}}\"",
        exe = p.exe,
        config = q(&p.config),
        dir = q(&p.dir),
        cpus = args.cpus_per_task,
    )?;
    Ok(s)
}

/// `merge.sbatch`: the merge (and, when the shards split chains, the remaining stages) and a
/// summary, after every shard succeeded.
fn merge_script(
    args: &SlurmArgs<'_>,
    exp: &Experiment,
    p: &JobPaths,
    jobs: &JobDirectives,
    follow_up: bool,
) -> Result<String> {
    let (name, n) = (&exp.config.experiment.name, args.tasks);
    let parts: Vec<String> = (0..n)
        .map(|i| q(&p.dir.join(format!("part-{i}.db"))))
        .collect();
    let mut s = String::new();
    writeln!(s, "#!/bin/bash")?;
    writeln!(
        s,
        "# Merges the {n} shards into one database (idempotent: safe to run again), then"
    )?;
    writeln!(
        s,
        "# summarises it. Submitted with --dependency=afterok on the shard array."
    )?;
    s.push_str(&directive("job-name", &format!("{name}-merge"))?);
    writeln!(s, "#SBATCH --ntasks=1")?;
    writeln!(s, "#SBATCH --cpus-per-task={}", jobs.merge_cpus)?;
    s.push_str(&directive(
        "output",
        &log_pattern(&p.dir.join("logs").join("merge.log")),
    )?);
    s.push_str(&jobs.merge_time);
    s.push_str(&jobs.common);
    writeln!(s, "set -euo pipefail")?;
    s.push_str(&setup_lines(args));
    writeln!(
        s,
        "{} merge {} --db {}",
        p.exe,
        parts.join(" "),
        q(&p.merged)
    )?;
    if follow_up {
        writeln!(
            s,
            "# The stages after basin-hopping need each landscape's whole set of minima."
        )?;
        writeln!(
            s,
            "{} run {} --db {} --threads \"${{SLURM_CPUS_PER_TASK:-{}}}\"",
            p.exe,
            q(&p.config),
            q(&p.merged),
            jobs.merge_cpus
        )?;
    }
    writeln!(s, "{} summary {}", p.exe, q(&p.merged))?;
    Ok(s)
}

/// `submit.sh`: submits the shard array, then the merge once every shard succeeded.
fn submit_script(p: &JobPaths) -> String {
    format!(
        "#!/bin/bash\n\
         # Submits the shard array, then the merge once every shard succeeded.\n\
         set -euo pipefail\n\
         cd {dir}\n\
         shards=$(sbatch --parsable shards.sbatch)\n\
         merge=$(sbatch --parsable --dependency=afterok:\"${{shards%%;*}}\" merge.sbatch)\n\
         echo \"shards: job $shards, merge: job $merge\"\n",
        dir = q(&p.dir),
    )
}

/// Submits the jobs written into `dir` with sbatch and prints their ids.
fn submit(dir: &Path, n: u64, merged: &Path) -> Result<ExitCode> {
    let sbatch = |extra: &[&str]| -> Result<String> {
        let out = Command::new("sbatch")
            .arg("--parsable")
            .args(extra)
            .current_dir(dir)
            .output()
            .context("cannot run sbatch (is Slurm installed and on PATH?)")?;
        if !out.status.success() {
            bail!(
                "sbatch {} failed: {}",
                extra.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
        Ok(id.split(';').next().unwrap_or_default().to_string())
    };
    let shards_job = sbatch(&["shards.sbatch"])?;
    let merge_job = sbatch(&[
        &format!("--dependency=afterok:{shards_job}"),
        "merge.sbatch",
    ])?;
    outln!("submitted: shards job {shards_job} ({n} array tasks), merge job {merge_job}");
    outln!(
        "follow:    squeue -j {shards_job},{merge_job}    (logs in {}/logs)",
        dir.display()
    );
    outln!("afterward: sacct -j {shards_job},{merge_job}    (where accounting is enabled)");
    outln!("result:    {}", merged.display());
    outln!("job ids:   {shards_job} {merge_job}");
    Ok(ExitCode::SUCCESS)
}
