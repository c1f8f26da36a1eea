//! The census does not depend on the basin-hopping minimiser: the quick sweep with the FIRE
//! plugin (`configs/xor-fire.toml`) stores the same minima and transition states as with the
//! built-in L-BFGS (`configs/xor-quick.toml`), landscape by landscape.

mod support;

use std::path::{Path, PathBuf};

use losscape_db::Store;
use support::{losscape, text};

/// Sorted energies of a table, per landscape key.
fn energies(db: &Path) -> Vec<(String, Vec<f64>, Vec<f64>)> {
    let store = Store::open_read_only(db).unwrap();
    store
        .landscapes()
        .unwrap()
        .into_iter()
        .map(|l| {
            let mut minima: Vec<f64> = store
                .minima(l.id)
                .unwrap()
                .iter()
                .map(|m| m.energy)
                .collect();
            let mut ts: Vec<f64> = store
                .transition_states(l.id)
                .unwrap()
                .iter()
                .map(|t| t.energy)
                .collect();
            minima.sort_by(f64::total_cmp);
            ts.sort_by(f64::total_cmp);
            (l.key, minima, ts)
        })
        .collect()
}

fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-7)
}

#[test]
fn fire_and_lbfgs_sweeps_store_the_same_points() {
    let configs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../configs");
    let plugins = losscape_test_support::built_plugin_dir().expect("plugins build");
    let dir = tempfile::tempdir().unwrap();
    // The FIRE config names the plugin; the copy next to it also says where it was built.
    let fire = std::fs::read_to_string(configs.join("xor-fire.toml"))
        .unwrap()
        .replace(
            "name = \"fire\"",
            &format!(
                "name = \"fire\"\ndirs = [{:?}]",
                plugins.display().to_string()
            ),
        );
    std::fs::write(dir.path().join("xor-fire.toml"), fire).unwrap();
    let quick = configs.join("xor-quick.toml");
    for (cfg, db) in [
        ("xor-fire.toml", "fire.db"),
        (quick.to_str().unwrap(), "lbfgs.db"),
    ] {
        let out = losscape(&["run", cfg, "--db", db, "--quiet"], dir.path());
        assert!(out.status.success(), "{cfg}: {}", text(&out));
    }
    let store = Store::open_read_only(&dir.path().join("fire.db")).unwrap();
    assert_eq!(store.runs().unwrap()[0].minimiser, "fire");

    let fire = energies(&dir.path().join("fire.db"));
    let lbfgs = energies(&dir.path().join("lbfgs.db"));
    assert_eq!(fire.len(), 4);
    for ((key, fm, ft), (key2, lm, lt)) in fire.iter().zip(&lbfgs) {
        assert_eq!(key, key2);
        assert!(
            same(fm, lm),
            "{key}: minima differ: FIRE {fm:?}, L-BFGS {lm:?}"
        );
        assert!(
            same(ft, lt),
            "{key}: transition states differ: FIRE {ft:?}, L-BFGS {lt:?}"
        );
    }
}
