//! Facts about the checkout and the machine that both timing and reproduction print.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The workspace root: xtask lives one level below it.
pub fn workspace_root() -> Result<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .context("xtask has no parent directory")
}

/// CPU model and core counts (from `/proc/cpuinfo` where available), OS and architecture.
pub fn machine() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |key: &str| {
        info.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == key).then(|| v.trim().to_string())
        })
    };
    let model = field("model name").unwrap_or_else(|| "unknown CPU".into());
    let logical = info
        .lines()
        .filter(|l| l.split(':').next().is_some_and(|k| k.trim() == "processor"))
        .count();
    let cores = field("cpu cores").unwrap_or_else(|| "?".into());
    let available = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "{model}; {logical} logical CPUs ({cores} cores per package), {available} available; \
         {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}
