//! The completeness acceptance test of issue 10, end to end from the CLI: on the N_h = 2 XOR
//! landscapes at λ = 1e-2, 1e-3 and 1e-4, `losscape run` with the census and saturation stages
//! gives a census whose Morse sum is 1, whose index-1 points are exactly the stored transition
//! states (and vice versa), every landscape in one connected component, and saturation.

mod support;

use losscape_db::Store;
use serde_json::Value;
use support::{losscape, text};

const CONFIG: &str = r#"
[experiment]
name = "census-h2"
seed = 20180516
stages = ["basin_hopping", "census", "connect", "saturate"]

[landscape]
n_hidden = [2]
lambda = [1e-2, 1e-3, 1e-4]

[basin_hopping]
chains = 8
steps = 200
max_without_new = 80

# Every census runs its whole budget: rare saddles can follow several empty batches.
[census]
quiet_batches = 32
"#;

#[test]
fn h2_census_is_certified_and_matches_the_stored_transition_states() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("h2.toml"), CONFIG).unwrap();
    let out = losscape(&["run", "h2.toml", "--db", "h2.db", "--quiet"], dir.path());
    assert!(out.status.success(), "{}", text(&out));

    let out = losscape(&["census", "h2.db", "--json"], dir.path());
    assert!(out.status.success(), "{}", text(&out));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let landscapes = json["landscapes"].as_array().unwrap();
    assert_eq!(landscapes.len(), 3);
    for l in landscapes {
        let key = l["key"].as_str().unwrap();
        assert_eq!(l["morse_sum"], 1, "{key}: {l:#}");
        assert_eq!(l["passes"], true, "{key}");
        assert!(l["degenerate"].as_array().unwrap().is_empty(), "{key}");
        let check = &l["ts_cross_check"];
        assert!(
            check["census_unmatched"].as_array().unwrap().is_empty()
                && check["stored_unmatched"].as_array().unwrap().is_empty(),
            "{key}: census index-1 points and stored transition states differ: {check:#}"
        );
        assert!(check["stored"].as_u64().unwrap() > 0, "{key}");
        assert_eq!(l["saturation"]["saturated"], true, "{key}");
    }

    // Every landscape ends in one connected component, and `summary` shows it saturated.
    let store = Store::open_read_only(&dir.path().join("h2.db")).unwrap();
    let out = losscape(&["summary", "h2.db"], dir.path());
    let summary = text(&out);
    for l in store.landscapes().unwrap() {
        let row = summary
            .lines()
            .find(|r| r.contains(&l.key))
            .unwrap_or_else(|| panic!("{} missing from {summary}", l.key));
        let cols: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!(cols[cols.len() - 3], "1", "one component: {row}");
        assert!(
            cols[cols.len() - 2].starts_with("closed"),
            "saturated: {row}"
        );
    }
}
