//! How much memory a run needs, estimated from its config before anything is allocated, and how
//! much the machine (or the limits this process runs under) can give.
//!
//! A size that passes validation can still be far too big to run: a network of 26 000
//! parameters needs a 5.5 GB dense Hessian per thread, a band of 10⁸ images or an L-BFGS memory
//! of 10¹¹ pairs cannot be allocated at all. Without an estimate such runs die in the allocator
//! (`memory allocation of … failed`, exit 134) after the database was opened; with it they are
//! refused up front with a message that says how much they need.
//!
//! The estimate is an upper bound of the working memory of the largest landscape of the grid,
//! per worker thread, plus what is shared. What it leaves out grows with what a run finds (the
//! known minima and transition states, a few coordinate vectors each), not with the config.

use crate::config::{Config, Stage};
use crate::error::ConfigError;
use crate::experiment::Experiment;

/// The most worker threads a run may ask for. More threads than this only add stacks and
/// scheduling (the work is CPU-bound); `--threads 100000` would stall in thread creation.
pub const MAX_THREADS: usize = 1024;

/// The number of worker threads `threads` stands for (0: one per core).
pub fn worker_count(threads: usize) -> usize {
    if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    }
}

impl Experiment {
    /// The memory a run of this experiment needs with `threads` worker threads (0: one per
    /// core).
    pub fn memory_estimate(&self, threads: usize) -> MemoryEstimate {
        estimate(
            &self.config,
            self.data.n_in,
            self.data.n_out,
            self.data.len(),
            worker_count(threads),
        )
    }

    /// Refuses, before anything is allocated or opened, a thread count above [`MAX_THREADS`]
    /// and a run whose estimated memory exceeds what this process can get ([`available`]).
    /// Returns the estimate.
    pub fn check_resources(&self, threads: usize) -> Result<MemoryEstimate, ConfigError> {
        if threads > MAX_THREADS {
            return Err(ConfigError::Resources {
                file: self.source.clone(),
                message: format!(
                    "--threads {threads} is more than the {MAX_THREADS} threads a run may use (0 means one per core)"
                ),
            });
        }
        let need = self.memory_estimate(threads);
        if let Some(have) = available()
            && need.total() > have.bytes
        {
            return Err(ConfigError::Resources {
                file: self.source.clone(),
                message: format!(
                    "this run needs about {} of memory ({} thread(s) × {} for {} with {} parameters, mostly {}; plus {} shared) but only {} are available ({}); use fewer threads, a smaller network or smaller settings",
                    bytes(need.total()),
                    need.threads,
                    bytes(need.per_thread),
                    need.largest,
                    need.parameters,
                    need.dominated_by,
                    bytes(need.shared),
                    bytes(have.bytes),
                    have.source,
                ),
            });
        }
        Ok(need)
    }
}

/// Bytes of one `f64`.
const F64: f64 = 8.0;

/// Dense Hessians held at once by one verification or eigenvector-following step: the matrix,
/// its eigenvectors and the eigensolver's workspace, with room to spare.
const HESSIAN_COPIES: f64 = 4.0;

/// Coordinate-sized vectors besides the L-BFGS history (point, gradient, step, trial point, …).
const WORKING_VECTORS: f64 = 12.0;

/// A run's memory estimate; see [`estimate`].
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryEstimate {
    /// Bytes one worker thread needs on the largest landscape.
    pub per_thread: f64,
    /// Bytes shared by all threads (the data set, the list of work units).
    pub shared: f64,
    /// Worker threads the estimate is for.
    pub threads: usize,
    /// The landscape the per-thread figure is for.
    pub largest: String,
    /// Its number of parameters.
    pub parameters: usize,
    /// What dominates the per-thread figure, e.g. "dense Hessians (3 × 5.5 GB)".
    pub dominated_by: String,
}

impl MemoryEstimate {
    /// Bytes in all.
    pub fn total(&self) -> f64 {
        self.per_thread * self.threads as f64 + self.shared
    }
}

/// Estimates the memory a run of `config` needs with `threads` worker threads on a data set of
/// `data_points` rows of `n_in` features and `n_out` outputs.
pub fn estimate(
    config: &Config,
    n_in: usize,
    n_out: usize,
    data_points: usize,
    threads: usize,
) -> MemoryEstimate {
    let stages = &config.experiment.stages;
    let searches_ts = stages
        .iter()
        .any(|s| matches!(s, Stage::Connect | Stage::Survey | Stage::Saturate));
    let censuses = stages
        .iter()
        .any(|s| matches!(s, Stage::Census | Stage::Saturate));
    let lbfgs_memory = match &config.minimiser {
        crate::config::MinimiserSection::Lbfgs(p) => p.memory,
        crate::config::MinimiserSection::Plugin(_) => 0,
    }
    .max(losscape_lbfgs::LbfgsParams::default().memory);

    let mut worst: Option<(f64, usize, String, String)> = None;
    for point in config.landscapes() {
        let h = point.n_hidden as f64;
        let p = (n_in as f64 + 1.0) * h + (h + 1.0) * n_out as f64;
        let vector = p * F64;
        let mut parts: Vec<(String, f64)> = Vec::new();
        parts.push((
            format!("dense Hessians ({HESSIAN_COPIES} × {})", bytes(p * p * F64)),
            HESSIAN_COPIES * p * p * F64,
        ));
        parts.push((
            format!("an L-BFGS memory of {lbfgs_memory} pairs"),
            (2.0 * lbfgs_memory as f64 + WORKING_VECTORS) * vector,
        ));
        // A chain keeps every distinct minimum it found until it is committed.
        parts.push((
            format!("{} basin-hopping steps", config.basin_hopping.steps),
            config.basin_hopping.steps as f64 * vector,
        ));
        // Hidden activations and their derivatives for every data point.
        parts.push((
            format!("{data_points} data points"),
            4.0 * data_points as f64 * (h + n_out as f64) * F64,
        ));
        if searches_ts {
            let d = &config.dneb;
            parts.push((
                format!("an elastic band of up to {} images", d.max_images),
                d.max_images as f64 * (6.0 + 2.0 * d.memory as f64) * vector,
            ));
        }
        if censuses {
            parts.push((
                format!("census batches of {} starts", config.census.batch),
                2.0 * config.census.batch as f64 * vector,
            ));
        }
        let total: f64 = parts.iter().map(|(_, b)| b).sum();
        let (main, _) = parts
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .expect("at least one part");
        if worst.as_ref().is_none_or(|w| total > w.0) {
            worst = Some((total, p as usize, point.key(), main.clone()));
        }
    }
    let (per_thread, parameters, largest, dominated_by) =
        worst.unwrap_or((0.0, 0, String::new(), String::new()));
    // The data set, and per landscape the list of basin-hopping chains still to run and their
    // seeds.
    let shared = data_points as f64 * (n_in + n_out) as f64 * F64
        + 16.0 * config.basin_hopping.chains as f64;
    MemoryEstimate {
        per_thread,
        shared,
        threads,
        largest,
        parameters,
        dominated_by,
    }
}

/// Memory this process may still use, and where that bound comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Available {
    /// Bytes.
    pub bytes: f64,
    /// What sets the bound, e.g. "the address-space limit (ulimit -v)".
    pub source: &'static str,
}

/// The memory this process may still allocate: the smallest of the machine's available memory
/// (`MemAvailable` of `/proc/meminfo`), the room left under the control group's limit
/// (`memory.max`) and under the address-space limit (`ulimit -v`). `None` where none of them can
/// be read (not Linux).
pub fn available() -> Option<Available> {
    let mut best: Option<Available> = None;
    let mut consider = |bytes: Option<f64>, source: &'static str| {
        if let Some(bytes) = bytes
            && best.as_ref().is_none_or(|b| bytes < b.bytes)
        {
            best = Some(Available { bytes, source });
        }
    };
    consider(
        kib_field("/proc/meminfo", "MemAvailable:"),
        "the machine's available memory",
    );
    let cgroup = || -> Option<f64> {
        let max = std::fs::read_to_string("/sys/fs/cgroup/memory.max").ok()?;
        let max: f64 = max.trim().parse().ok()?; // "max" means no limit
        let current: f64 = std::fs::read_to_string("/sys/fs/cgroup/memory.current")
            .ok()?
            .trim()
            .parse()
            .ok()?;
        Some((max - current).max(0.0))
    };
    consider(cgroup(), "the control group's memory limit");
    let address_space = || -> Option<f64> {
        let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
        let line = limits
            .lines()
            .find(|l| l.starts_with("Max address space"))?;
        let soft: f64 = line
            .trim_start_matches("Max address space")
            .split_whitespace()
            .next()?
            .parse()
            .ok()?; // "unlimited" means no limit
        let used = kib_field("/proc/self/status", "VmSize:").unwrap_or(0.0);
        Some((soft - used).max(0.0))
    };
    consider(address_space(), "the address-space limit (ulimit -v)");
    best
}

/// A `NAME: value kB` field of a `/proc` file, in bytes.
fn kib_field(file: &str, name: &str) -> Option<f64> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(name))?;
    let kib: f64 = line[name.len()..].split_whitespace().next()?.parse().ok()?;
    Some(kib * 1024.0)
}

/// `n` bytes for people: "512 B", "3.2 MB", "5.5 GB", "1.6e4 TB".
pub fn bytes(n: f64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut value = n;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} B")
    } else if value >= 1e4 {
        format!("{value:.1e} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        Config::parse(text, std::path::Path::new("test.toml")).unwrap()
    }

    #[test]
    fn the_hessian_dominates_wide_networks() {
        let c = config("[landscape]\nn_hidden = [6553]\n");
        let e = estimate(&c, 2, 1, 4, 1);
        assert_eq!(e.parameters, 6553 * 3 + 6554);
        let hessian = (e.parameters as f64).powi(2) * 8.0;
        assert!(e.per_thread >= HESSIAN_COPIES * hessian, "{e:?}");
        assert!(e.dominated_by.contains("Hessian"), "{e:?}");
        assert_eq!(e.largest, "h6553-l1e-3");
    }

    #[test]
    fn threads_multiply_the_working_memory_but_not_the_shared_part() {
        let c = config("[landscape]\nn_hidden = [2, 8]\n");
        let one = estimate(&c, 2, 1, 4, 1);
        let four = estimate(&c, 2, 1, 4, 4);
        assert_eq!(one.largest, "h8-l1e-3");
        assert!((four.total() - one.shared - 4.0 * one.per_thread).abs() < 1e-6);
    }

    #[test]
    fn huge_histories_and_bands_are_counted() {
        let lbfgs = config("[minimiser]\nkind = \"lbfgs\"\nmemory = 100000000000\n");
        let e = estimate(&lbfgs, 2, 1, 4, 1);
        assert!(
            e.per_thread > 1e12 && e.dominated_by.contains("L-BFGS"),
            "{e:?}"
        );
        let band = config(
            "[experiment]\nstages = [\"basin_hopping\", \"connect\"]\n\
             [dneb]\nmin_images = 100000000\nmax_images = 100000000\n",
        );
        let e = estimate(&band, 2, 1, 4, 1);
        assert!(
            e.per_thread > 1e10 && e.dominated_by.contains("band"),
            "{e:?}"
        );
        let chains = config("[basin_hopping]\nchains = 1000000000000\n");
        assert!(estimate(&chains, 2, 1, 4, 1).shared > 1e13);
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(5.5e9), "5.5 GB");
        assert_eq!(bytes(3.2e6), "3.2 MB");
        assert!(bytes(1.6e16).ends_with("TB"), "{}", bytes(1.6e16));
    }

    #[test]
    fn available_memory_is_known_on_linux() {
        if std::path::Path::new("/proc/meminfo").exists() {
            let a = available().expect("readable on Linux");
            assert!(a.bytes > 0.0, "{a:?}");
        }
    }
}
