//! Provenance of the build: the source revision (from git, when the sources are a git checkout
//! and git is installed) and the build profile, for `losscape --version`, the runs table and
//! the report. Without git (a source tarball) the revision is `unknown`, never a build error.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

fn main() {
    let rev = match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(rev) => {
            // Uncommitted changes to tracked files make the revision only approximate.
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some();
            if dirty {
                format!("{rev}-modified")
            } else {
                rev
            }
        }
        None => "unknown".to_owned(),
    };
    // cargo sets PROFILE to "debug" or "release" (custom profiles map onto these).
    let profile = std::env::var("PROFILE").unwrap_or_else(|_| "unknown".to_owned());
    println!("cargo:rustc-env=LOSSCAPE_SOURCE_REVISION={rev}");
    println!("cargo:rustc-env=LOSSCAPE_BUILD_PROFILE={profile}");
    // Rebuild the version string when HEAD moves or the index changes; harmless without git.
    // `--git-path` also finds these inside a worktree, whose refs live in the main repository.
    let mut watched = vec![
        "HEAD".to_owned(),
        "index".to_owned(),
        "packed-refs".to_owned(),
    ];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--git-path", &name]) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
