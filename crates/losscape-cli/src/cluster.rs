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
        return merge_chains(parts, out, &config, quiet);
    }
    let mut merged = Store::open(out)?;
    check_target(&merged, out, &config)?;
    for (part, shard) in parts.iter().zip(&shards) {
        let c = merged
            .merge_shard(part)
            .with_context(|| format!("merging {} stopped; run the same merge again to finish (parts merged so far are complete)", part.display()))?;
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
        let shard = store.shard()?.with_context(|| {
            format!(
                "{} is not a shard of a sweep (written by `losscape run CONFIG --shard I/N`)",
                part.display()
            )
        })?;
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
                    bail!(
                        "{} was written by losscape {} but {} by losscape {version}: merge parts of one version",
                        name(part),
                        run.program_version,
                        name(first_part)
                    );
                }
                check_same_experiment(first_config, &config, first_part, part)?;
            }
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
    let differs = losscape_experiment::resume::differences(first, config);
    let differs_back = losscape_experiment::resume::differences(config, first);
    if !differs.is_empty() || !differs_back.is_empty() || config != first {
        let mut what = differs;
        what.extend(differs_back);
        if what.is_empty() {
            what.push("the configs differ in name or grid".into());
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
fn merge_chains(parts: &[PathBuf], out: &Path, config: &Config, quiet: bool) -> Result<ExitCode> {
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
    pub time: Option<&'a str>,
    pub cpus_per_task: u64,
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
    std::fs::create_dir_all(args.dir.join("logs"))
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    let dir = std::fs::canonicalize(args.dir)?;
    let paths = JobPaths {
        merged: dir.join(format!("{}.db", exp.config.experiment.name)),
        config: std::fs::canonicalize(args.config)?,
        exe: std::env::current_exe().context("cannot find the losscape executable")?,
        dir,
    };
    let (dir, merged, n) = (&paths.dir, &paths.merged, args.tasks);
    for (file, text) in [
        (
            "shards.sbatch",
            shards_script(args, &exp, &paths, follow_up)?,
        ),
        ("merge.sbatch", merge_script(args, &exp, &paths, follow_up)?),
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
            "--tasks {}: the sweep has {landscapes} landscape(s) of {} basin-hopping chain(s), so it splits into 1 to {most} shards",
            args.tasks,
            exp.config.basin_hopping.chains
        );
    }
    if args.cpus_per_task == 0 {
        bail!("--cpus-per-task must be >= 1");
    }
    exp.check_resources(args.cpus_per_task as usize)?;
    Ok(args.tasks > landscapes)
}

/// The absolute paths the job scripts name.
struct JobPaths {
    /// The folder of the scripts, logs and databases.
    dir: PathBuf,
    /// The experiment file.
    config: PathBuf,
    /// The losscape executable.
    exe: PathBuf,
    /// The merged database.
    merged: PathBuf,
}

/// A path as a shell word.
fn q(p: &Path) -> String {
    crate::shell_quote(&p.display().to_string())
}

/// The `#SBATCH` lines for the partition and time limit, if given.
fn sbatch_header(args: &SlurmArgs<'_>) -> Result<String> {
    let mut header = String::new();
    if let Some(p) = args.partition {
        writeln!(header, "#SBATCH --partition={p}")?;
    }
    if let Some(t) = args.time {
        writeln!(header, "#SBATCH --time={t}")?;
    }
    Ok(header)
}

/// `shards.sbatch`: a job array of one shard run per task, one log per task.
fn shards_script(
    args: &SlurmArgs<'_>,
    exp: &Experiment,
    p: &JobPaths,
    follow_up: bool,
) -> Result<String> {
    let (name, n, header) = (
        &exp.config.experiment.name,
        args.tasks,
        sbatch_header(args)?,
    );
    Ok(format!(
        "#!/bin/bash\n\
         # One shard of the sweep {name} per array task ({what}).\n\
         # Resubmitting resumes: finished shards are skipped.\n\
         #SBATCH --job-name={name}-shards\n\
         #SBATCH --array=0-{last}\n\
         #SBATCH --ntasks=1\n\
         #SBATCH --cpus-per-task={cpus}\n\
         #SBATCH --output={logs}/shard-%a.log\n\
         {header}\
         set -euo pipefail\n\
         exec {exe} run {config} --shard \"$SLURM_ARRAY_TASK_ID/{n}\" \\\n\
         \x20 --db {dir}/part-\"$SLURM_ARRAY_TASK_ID\".db --threads \"${{SLURM_CPUS_PER_TASK:-{cpus}}}\" --quiet\n",
        last = n - 1,
        what = if follow_up {
            format!(
                "every {n}th basin-hopping chain of every landscape; the merge job runs the other stages"
            )
        } else {
            format!("the landscapes at grid positions TASK, TASK+{n}, ..., every stage")
        },
        cpus = args.cpus_per_task,
        logs = q(&p.dir.join("logs")),
        exe = q(&p.exe),
        config = q(&p.config),
        dir = q(&p.dir),
    ))
}

/// `merge.sbatch`: the merge (and, when the shards split chains, the remaining stages) and a
/// summary, after every shard succeeded.
fn merge_script(
    args: &SlurmArgs<'_>,
    exp: &Experiment,
    p: &JobPaths,
    follow_up: bool,
) -> Result<String> {
    let (name, n, header) = (
        &exp.config.experiment.name,
        args.tasks,
        sbatch_header(args)?,
    );
    let parts: Vec<String> = (0..n)
        .map(|i| q(&p.dir.join(format!("part-{i}.db"))))
        .collect();
    Ok(format!(
        "#!/bin/bash\n\
         # Merges the {n} shards into one database (idempotent: safe to run again), then\n\
         # summarises it. Submitted with --dependency=afterok on the shard array.\n\
         #SBATCH --job-name={name}-merge\n\
         #SBATCH --ntasks=1\n\
         #SBATCH --cpus-per-task={cpus}\n\
         #SBATCH --output={log}\n\
         {header}\
         set -euo pipefail\n\
         {exe} merge {parts} --db {merged}\n\
         {follow}\
         {exe} summary {merged}\n",
        cpus = if follow_up { args.cpus_per_task } else { 1 },
        log = q(&p.dir.join("logs").join("merge.log")),
        exe = q(&p.exe),
        parts = parts.join(" "),
        merged = q(&p.merged),
        follow = if follow_up {
            format!(
                "# The stages after basin-hopping need each landscape's whole set of minima.\n{} run {} --db {} --threads \"${{SLURM_CPUS_PER_TASK:-{}}}\" --quiet\n",
                q(&p.exe),
                q(&p.config),
                q(&p.merged),
                args.cpus_per_task
            )
        } else {
            String::new()
        },
    ))
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
