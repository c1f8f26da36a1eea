//! Provenance of the build: the source revision (from git, when the sources are a git checkout
//! and git is installed) and the build profile, for `losscape --version`, the runs table and
//! the report. Without git (a source tarball) the revision is `unknown`, never a build error.
//!
//! It also looks for what some end-to-end tests need beyond Rust (a Slurm controller, a Python
//! with `venv`, the Python package index, `setpriv` when building as root) and sets a cfg for each that is missing, so those
//! tests are marked ignored with the reason and `cargo test` lists them as such, rather than
//! passing without having checked anything. `LOSSCAPE_REQUIRE_SLURM=1` and
//! `LOSSCAPE_REQUIRE_NETWORK=1` (set by `.ci/run`) keep the tests in regardless, so they fail
//! where the requirement is missing. The look happens when this script runs (a new commit, a
//! changed variable, or `touch crates/losscape-cli/build.rs`).

use std::net::{TcpStream, ToSocketAddrs};
use std::process::{Command, Stdio};
use std::time::Duration;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// Whether `program args` runs and succeeds with some output within 15 s (a Slurm client whose
/// controller is down retries for a long time; the build must not wait on it).
fn answers(program: &str, args: &[&str]) -> bool {
    let Ok(mut child) = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
    else {
        return false;
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let mut out = Vec::new();
                if let Some(mut stdout) = child.stdout.take() {
                    let _ = std::io::Read::read_to_end(&mut stdout, &mut out);
                }
                return status.success() && !out.is_empty();
            }
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return false;
            }
        }
    }
}

/// The trimmed standard output of `program args`, if it succeeds.
fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Whether a TCP connection to `host:443` opens within a few seconds (name lookup included).
fn reachable(host: String) -> bool {
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let open = (host.as_str(), 443).to_socket_addrs().is_ok_and(|mut a| {
            a.any(|a| TcpStream::connect_timeout(&a, Duration::from_secs(3)).is_ok())
        });
        let _ = send.send(open);
    });
    receive
        .recv_timeout(Duration::from_secs(6))
        .unwrap_or(false)
}

/// The host pip installs from: `PIP_INDEX_URL`'s, else PyPI's.
fn package_index() -> String {
    std::env::var("PIP_INDEX_URL")
        .ok()
        .and_then(|url| {
            let rest = url.split_once("://")?.1;
            let host = rest.split(['/', ':', '@']).next()?;
            (!host.is_empty()).then(|| host.to_owned())
        })
        .unwrap_or_else(|| "pypi.org".to_owned())
}

/// Sets a cfg for every missing test requirement (see the crate doc).
fn test_requirements() {
    for name in [
        "losscape_no_slurm",
        "losscape_no_python",
        "losscape_no_network",
        "losscape_root_without_setpriv",
    ] {
        println!("cargo:rustc-check-cfg=cfg({name})");
    }
    for var in [
        "LOSSCAPE_REQUIRE_SLURM",
        "LOSSCAPE_REQUIRE_NETWORK",
        "PIP_INDEX_URL",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let required = |var: &str| std::env::var_os(var).is_some_and(|v| !v.is_empty() && v != "0");
    if !required("LOSSCAPE_REQUIRE_SLURM") && !answers("sinfo", &["-h"]) {
        println!("cargo:rustc-cfg=losscape_no_slurm");
    }
    let root = command_output("id", &["-u"]).as_deref() == Some("0");
    if root && !answers("setpriv", &["--version"]) {
        println!("cargo:rustc-cfg=losscape_root_without_setpriv");
    }
    if !required("LOSSCAPE_REQUIRE_NETWORK") {
        let python = ["python3", "python"].into_iter().any(|p| {
            Command::new(p)
                .args([
                    "-c",
                    "import sys, venv, ensurepip; assert sys.version_info >= (3, 8)",
                ])
                .output()
                .is_ok_and(|o| o.status.success())
        });
        if !python {
            println!("cargo:rustc-cfg=losscape_no_python");
        } else if !reachable(package_index()) {
            println!("cargo:rustc-cfg=losscape_no_network");
        }
    }
}

fn main() {
    test_requirements();
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
