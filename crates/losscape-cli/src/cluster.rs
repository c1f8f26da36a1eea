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
                let differs = losscape_experiment::resume::differences(first_config, &config);
                let differs_back = losscape_experiment::resume::differences(&config, first_config);
                if !differs.is_empty() || !differs_back.is_empty() || config != *first_config {
                    let mut what = differs;
                    what.extend(differs_back);
                    if what.is_empty() {
                        what.push("the configs differ in name or grid".into());
                    }
                    bail!(
                        "{} and {} are shards of different experiments: {}",
                        name(first_part),
                        name(part),
                        what.join("; ")
                    );
                }
            }
        }
        shards.push(shard);
    }
    let (_, _, first_config, _) = first.as_ref().expect("at least one part");
    let count = shards[0].count;
    let landscapes = first_config.landscapes().len() as u64;
    if count > landscapes {
        return merge_chains(parts, out, first_config, quiet);
    }
    let mut merged = Store::open(out)?;
    if let Some(held) = merged.shard()? {
        bail!(
            "{} is itself shard {held} of a sweep; merge into a new database",
            out.display()
        );
    }
    if let Some(last) = merged.runs()?.pop() {
        let config: Config = toml::from_str(&last.config_text)
            .with_context(|| format!("the config stored in {} cannot be read", out.display()))?;
        let differs = losscape_experiment::resume::differences(&config, first_config);
        if !differs.is_empty() {
            bail!(
                "{} holds another experiment than the shards: {}",
                out.display(),
                differs.join("; ")
            );
        }
    }
    for (part, shard) in parts.iter().zip(&shards) {
        let c = merged
            .merge_shard(part)
            .with_context(|| format!("merging {} stopped; run the same merge again to finish (parts merged so far are complete)", part.display()))?;
        if !quiet {
            println!(
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
        println!("merged {} shard(s) into {}", present.len(), out.display());
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
        println!(
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
    let landscapes = exp.config.landscapes().len() as u64;
    let most = losscape_experiment::runner::max_shards(&exp);
    if args.tasks == 0 || args.tasks > most {
        bail!(
            "--tasks {}: the sweep has {landscapes} landscape(s) of {} basin-hopping chain(s), so it splits into 1 to {most} shards",
            args.tasks,
            exp.config.basin_hopping.chains
        );
    }
    // More tasks than landscapes split the chains; the merge job then runs the other stages.
    let follow_up = args.tasks > landscapes;
    if args.cpus_per_task == 0 {
        bail!("--cpus-per-task must be >= 1");
    }
    exp.check_resources(args.cpus_per_task as usize)?;
    std::fs::create_dir_all(args.dir.join("logs"))
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    let dir = std::fs::canonicalize(args.dir)?;
    let config = std::fs::canonicalize(args.config)?;
    let exe = std::env::current_exe().context("cannot find the losscape executable")?;
    let q = |p: &Path| crate::shell_quote(&p.display().to_string());
    let name = &exp.config.experiment.name;
    let merged = dir.join(format!("{name}.db"));
    let n = args.tasks;

    let mut header = String::new();
    if let Some(p) = args.partition {
        writeln!(header, "#SBATCH --partition={p}")?;
    }
    if let Some(t) = args.time {
        writeln!(header, "#SBATCH --time={t}")?;
    }
    let shards = format!(
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
        logs = q(&dir.join("logs")),
        exe = q(&exe),
        config = q(&config),
        dir = q(&dir),
    );
    let parts: Vec<String> = (0..n)
        .map(|i| q(&dir.join(format!("part-{i}.db"))))
        .collect();
    let merge = format!(
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
        log = q(&dir.join("logs").join("merge.log")),
        exe = q(&exe),
        parts = parts.join(" "),
        merged = q(&merged),
        follow = if follow_up {
            format!(
                "# The stages after basin-hopping need each landscape's whole set of minima.\n{} run {} --db {} --threads \"${{SLURM_CPUS_PER_TASK:-{}}}\" --quiet\n",
                q(&exe),
                q(&config),
                q(&merged),
                args.cpus_per_task
            )
        } else {
            String::new()
        },
    );
    let submit = format!(
        "#!/bin/bash\n\
         # Submits the shard array, then the merge once every shard succeeded.\n\
         set -euo pipefail\n\
         cd {dir}\n\
         shards=$(sbatch --parsable shards.sbatch)\n\
         merge=$(sbatch --parsable --dependency=afterok:\"${{shards%%;*}}\" merge.sbatch)\n\
         echo \"shards: job $shards, merge: job $merge\"\n",
        dir = q(&dir),
    );
    for (file, text) in [
        ("shards.sbatch", &shards),
        ("merge.sbatch", &merge),
        ("submit.sh", &submit),
    ] {
        let path = dir.join(file);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
    }
    println!(
        "wrote {}/{{shards.sbatch, merge.sbatch, submit.sh}}: {n} shard task(s) -> {}",
        dir.display(),
        merged.display()
    );
    if !args.submit {
        println!("submit with: {}", q(&dir.join("submit.sh")));
        return Ok(ExitCode::SUCCESS);
    }
    let sbatch = |extra: &[&str]| -> Result<String> {
        let out = Command::new("sbatch")
            .arg("--parsable")
            .args(extra)
            .current_dir(&dir)
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
    println!("submitted: shards job {shards_job} ({n} array tasks), merge job {merge_job}");
    println!(
        "follow:    squeue -j {shards_job},{merge_job}    (logs in {}/logs)",
        dir.display()
    );
    println!("afterward: sacct -j {shards_job},{merge_job}    (where accounting is enabled)");
    println!("result:    {}", merged.display());
    println!("job ids:   {shards_job} {merge_job}");
    Ok(ExitCode::SUCCESS)
}
