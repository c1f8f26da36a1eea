//! The data set lives inside the database: editing the data file after a run changes no
//! analysis of that run, resuming with the edited file is refused naming both fingerprints, and
//! provenance (`--version`, the report) names the version, source revision and build profile.
//! Uses the shipped CSV example, `configs/csv-quick.toml` with `configs/data/xor-noisy.csv`.

mod support;

use std::path::{Path, PathBuf};

use losscape_model::Dataset;
use support::{losscape, ok, text};

/// `losscape report c.db -o rep`, kept small (no basins, 10 noisy samples); returns its output.
fn report(cwd: &Path) -> String {
    let args = [
        "report",
        "c.db",
        "-o",
        "rep",
        "--no-basins",
        "--samples",
        "10",
    ];
    ok(&args, cwd)
}

fn configs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs")
}

/// A copy of the CSV example (config and data) in a folder of its own.
fn csv_example() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    for f in ["csv-quick.toml", "data/xor-noisy.csv"] {
        std::fs::copy(configs().join(f), dir.path().join(f)).unwrap();
    }
    dir
}

/// Flips the class label of the first data row of the CSV.
fn flip_first_label(csv: &Path) {
    let text = std::fs::read_to_string(csv).unwrap();
    let mut done = false;
    let edited: Vec<String> = text
        .lines()
        .map(|l| {
            let data_row = !l.starts_with('#') && !l.starts_with("x1") && !l.is_empty();
            if data_row && !done {
                done = true;
                let (head, label) = l.rsplit_once(',').unwrap();
                format!("{head},{}", if label == "0" { 1 } else { 0 })
            } else {
                l.to_owned()
            }
        })
        .collect();
    assert!(done);
    std::fs::write(csv, edited.join("\n") + "\n").unwrap();
}

#[test]
fn editing_the_data_file_after_a_run_changes_no_analysis_and_blocks_resuming() {
    let dir = csv_example();
    let cwd = dir.path();
    let csv = cwd.join("data/xor-noisy.csv");
    let before = Dataset::from_csv_path(&csv, true).unwrap();
    ok(&["run", "csv-quick.toml", "--db", "c.db", "--quiet"], cwd);

    let analyses: [&[&str]; 5] = [
        &["minima", "c.db", "--format", "json"],
        &["ts", "c.db", "--format", "csv"],
        &["summary", "c.db", "--format", "json"],
        &["sensitivity", "c.db", "--samples", "20"],
        &["census", "c.db", "--format", "json"],
    ];
    let first: Vec<String> = analyses.iter().map(|a| ok(a, cwd)).collect();
    assert!(first[0].contains("\"accuracy\""), "{}", first[0]);

    flip_first_label(&csv);
    let after = Dataset::from_csv_path(&csv, true).unwrap();
    assert_ne!(before.sha256(), after.sha256());
    for (args, was) in analyses.iter().zip(&first) {
        assert_eq!(
            &ok(args, cwd),
            was,
            "losscape {args:?} changed with the data file"
        );
    }
    // The report reads the stored copy too and says so.
    report(cwd);
    let prov = std::fs::read_to_string(cwd.join("rep/provenance.txt")).unwrap();
    assert!(prov.contains("the copy stored in the database"), "{prov}");
    assert!(prov.contains(&before.sha256()), "{prov}");
    assert!(!prov.contains(&after.sha256()), "{prov}");
    assert!(
        prov.contains("rev "),
        "program version with revision: {prov}"
    );

    // Resuming with the edited file is refused, naming both fingerprints; nothing changes.
    let out = losscape(&["run", "csv-quick.toml", "--db", "c.db", "--quiet"], cwd);
    assert!(!out.status.success(), "{}", text(&out));
    let msg = text(&out);
    assert!(msg.contains(&before.sha256()), "stored hash named: {msg}");
    assert!(msg.contains(&after.sha256()), "current hash named: {msg}");
    assert!(msg.contains("xor-noisy.csv"), "{msg}");
    assert_eq!(ok(analyses[0], cwd), first[0]);

    // Without the file at all the analyses still work.
    std::fs::remove_file(&csv).unwrap();
    assert_eq!(ok(analyses[2], cwd), first[2]);
}

#[test]
fn reports_of_other_data_have_neutral_wording_and_no_xor_findings() {
    let dir = csv_example();
    let cwd = dir.path();
    ok(&["run", "csv-quick.toml", "--db", "c.db", "--quiet"], cwd);
    let out = report(cwd);
    assert!(
        !out.contains("[holds]") && !out.contains("[does not hold]"),
        "{out}"
    );
    let html = std::fs::read_to_string(cwd.join("rep/index.html")).unwrap();
    assert!(!html.contains("id=\"findings\""), "no XOR findings section");
    assert!(!html.contains("Reproduces the analysis"));
    assert!(
        html.contains("12 rows, 2 input feature(s), 2 classes"),
        "data described"
    );
    assert!(html.contains("not graded for other data"));
}

#[test]
fn version_names_revision_and_build_profile() {
    let out = ok(&["--version"], Path::new("."));
    assert!(out.starts_with("losscape 0.1.0 (rev "), "{out}");
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    assert!(out.contains(&format!(", {profile} build)")), "{out}");
    // The revision is git's (12 hex digits, maybe marked modified) or "unknown" without git.
    let rev = out["losscape 0.1.0 (rev ".len()..]
        .split(',')
        .next()
        .unwrap();
    let hex = rev.trim_end_matches("-modified");
    assert!(
        rev == "unknown" || (hex.len() == 12 && hex.chars().all(|c| c.is_ascii_hexdigit())),
        "{rev}"
    );
}
