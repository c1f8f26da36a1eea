//! Running a program from a test and reading what it printed; small files and facts about the
//! process the tests need.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `program args` in `cwd` with backtraces off (so panics print one line that tests can
/// match) and waits for it.
pub fn run<S: AsRef<OsStr>>(program: &str, args: &[S], cwd: &Path) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(cwd)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

/// Everything a run printed, stdout then stderr.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The standard output of a run that must have succeeded; otherwise the test fails with
/// everything the run printed. `what` names the command in that message.
pub fn stdout_of_success(o: &Output, what: &str) -> String {
    assert!(o.status.success(), "{what} failed:\n{}", text(o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text)
        .unwrap_or_else(|e| panic!("cannot write test file {}: {e}", path.display()));
    path
}

/// The real uid of this process, from `/proc/self/status` (no libc needed). Tests about
/// permissions skip as root, who may write anywhere.
pub fn uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_program_is_reported_with_its_output() {
        let dir = std::env::temp_dir();
        let out = run("sh", &["-c", "echo out; echo err >&2; exit 3"], &dir);
        assert_eq!(out.status.code(), Some(3));
        assert_eq!(text(&out), "out\nerr\n");
        let caught = std::panic::catch_unwind(|| stdout_of_success(&out, "sh"));
        assert!(caught.is_err(), "a failed run must fail the test");
        let ok = run("sh", &["-c", "echo fine"], &dir);
        assert_eq!(stdout_of_success(&ok, "sh"), "fine\n");
    }

    #[test]
    fn uid_reads_this_process() {
        assert!(uid().is_some(), "Linux always reports a uid");
    }
}
