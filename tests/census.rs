//! End-to-end test of `losscape census` on a hand-made database: the Morse sum, the verdict,
//! degenerate points, the census-vs-stored TS cross-check and the saturation record.

mod support;

use std::path::Path;

use losscape_db::{
    LandscapeId, LandscapeSpec, NewMinimum, NewStationaryPoint, NewTs, RunId, RunInfo, Store,
};
use support::{losscape, text};

const DIM: usize = 12; // XOR, N_h = 2

/// A deterministic point without any symmetry.
fn generic(seed: f64) -> Vec<f64> {
    (0..DIM)
        .map(|i| ((i as f64 + 1.0) * 0.7331 + seed).sin() * 1.7)
        .collect()
}

/// `x` with its two hidden units swapped and the first flipped: the same orbit.
fn symmetric_copy(x: &[f64]) -> Vec<f64> {
    // Layout: W_ih rows (2 + 2), W_ho rows (2 outputs x 2 units), b_h (2), b_o (2).
    let unit =
        |j: usize| -> Vec<f64> { vec![x[2 * j], x[2 * j + 1], x[8 + j], x[4 + j], x[6 + j]] };
    let mut out = x.to_vec();
    for j in 0..2 {
        let s = if j == 0 { -1.0 } else { 1.0 };
        let u = unit(1 - j);
        out[2 * j] = s * u[0];
        out[2 * j + 1] = s * u[1];
        out[8 + j] = s * u[2];
        out[4 + j] = s * u[3];
        out[6 + j] = s * u[4];
    }
    out
}

fn minimum(landscape_id: LandscapeId, run: RunId, energy: f64, coords: Vec<f64>) -> NewMinimum {
    NewMinimum {
        landscape_id,
        energy,
        coords,
        rms_gradient: 1e-12,
        hessian_index: 0,
        lowest_eigenvalue: 1e-3,
        ln_prod_positive: 1.0,
        accuracy: 0.5,
        times_found: 1,
        first_run: run,
    }
}

fn point(
    landscape_id: LandscapeId,
    run: RunId,
    energy: f64,
    coords: Vec<f64>,
    index: u32,
) -> NewStationaryPoint {
    NewStationaryPoint {
        landscape_id,
        energy,
        coords,
        rms_gradient: 1e-12,
        hessian_index: index,
        zero_modes: 0,
        lowest_eigenvalue: -0.1,
        ln_prod_positive: 1.0,
        accuracy: 0.5,
        times_found: 1,
        first_run: run,
    }
}

/// Two N_h = 2 landscapes: `h2-l1e-3` whose census passes (1 + 16 − 16 − 16 + 16 = 1) and
/// saturated, and `h2-l1e-2` which lacks its saddles (1 + 16 = 17) and has a degenerate point.
fn build(path: &Path) {
    let mut store = Store::open(path).unwrap();
    let run = store
        .begin_run(&RunInfo {
            program_version: "test".into(),
            command: "hand-made".into(),
            config_text: "[experiment]\nname = \"hand\"\n".into(),
            seed: 1,
            threads: 1,
            minimiser: "lbfgs".into(),
        })
        .unwrap();
    let spec = |key: &str, lambda: f64| LandscapeSpec {
        key: key.into(),
        n_in: 2,
        n_hidden: 2,
        n_out: 2,
        dimension: DIM as u32,
        lambda,
        dataset: "xor".into(),
        config_json: "{}".into(),
    };
    let a = store.landscape_id(&spec("h2-l1e-3", 1e-3)).unwrap();
    let b = store.landscape_id(&spec("h2-l1e-2", 1e-2)).unwrap();
    let ln2 = std::f64::consts::LN_2;
    let ts_coords = generic(2.0);
    store
        .write(|w| {
            w.insert_minimum(&minimum(a, run, ln2, vec![0.0; DIM]))?;
            let m = w.insert_minimum(&minimum(a, run, 0.1, generic(0.0)))?;
            w.insert_ts(&NewTs {
                landscape_id: a,
                energy: 0.3,
                coords: ts_coords.clone(),
                rms_gradient: 1e-12,
                hessian_index: 1,
                negative_eigenvalue: -0.1,
                negative_vector: vec![1.0; DIM],
                ln_prod_positive: 1.0,
                accuracy: 0.5,
                min1: m,
                min2: m,
                degenerate: true,
                times_found: 1,
                first_run: run,
            })?;
            // The census: the stored TS again (as a symmetric copy), an index-2 point and an
            // index-1 point that is not stored as a transition state.
            w.insert_stationary_point(&point(a, run, 0.3, symmetric_copy(&ts_coords), 1))?;
            w.insert_stationary_point(&point(a, run, 0.5, generic(3.0), 2))?;
            w.insert_stationary_point(&point(a, run, 0.4, generic(4.0), 1))?;
            w.record_attempt(&losscape_db::NewAttempt {
                landscape_id: a,
                stage: "saturate",
                key: "status",
                outcome: "saturated",
                detail: r#"{"saturated": true, "rounds": 4, "quiet_rounds": 3}"#,
                run_id: run,
            })?;

            w.insert_minimum(&minimum(b, run, ln2, vec![0.0; DIM]))?;
            w.insert_minimum(&minimum(b, run, 0.2, generic(5.0)))?;
            let mut flat = point(b, run, 0.6, generic(6.0), 1);
            flat.zero_modes = 1;
            w.insert_stationary_point(&flat)?;
            Ok(())
        })
        .unwrap();
    store
        .finish_run(run, losscape_db::RunStatus::Completed)
        .unwrap();
}

#[test]
fn census_prints_the_morse_sum_verdict_cross_check_and_saturation() {
    let dir = tempfile::tempdir().unwrap();
    build(&dir.path().join("hand.db"));

    let out = losscape(&["census", "hand.db"], dir.path());
    assert!(out.status.success(), "{}", text(&out));
    let printed = text(&out);
    let (first, second) = printed.split_once("# h2-l1e-2").expect("both landscapes");
    assert!(first.starts_with("# h2-l1e-3"), "{printed}");
    assert!(first.contains("|G| = 16"), "{first}");
    assert!(first.contains("Morse sum: 1  (+17 -32 +16)"), "{first}");
    assert!(
        first.contains(
            "verdict: passes the Morse check (necessary, not sufficient for completeness)"
        ),
        "{first}"
    );
    assert!(
        first.contains("degenerate critical points: none"),
        "{first}"
    );
    assert!(
        first.contains("2 census index-1 orbit(s), 1 not among the 1 stored TS (census ids 3)"),
        "{first}"
    );
    assert!(
        first.contains("0 stored TS not found by the census"),
        "{first}"
    );
    assert!(
        first.contains("saturation: saturated after 4 rounds"),
        "{first}"
    );

    assert!(second.contains("Morse sum: 17"), "{second}");
    assert!(
        second
            .contains("verdict: fails by 16: at least 16 points missing, that is at least 1 orbit")
            && second.contains("or more smaller ones; void: 1 degenerate"),
        "{second}"
    );
    assert!(
        second.contains("census point 4: E = 0.6000000000, index 1, 1 zero mode(s)"),
        "{second}"
    );
    assert!(
        second.contains("saturation: no saturation stage run"),
        "{second}"
    );
}

#[test]
fn census_json_carries_the_same_numbers_and_honours_landscape() {
    let dir = tempfile::tempdir().unwrap();
    build(&dir.path().join("hand.db"));

    let out = losscape(
        &["census", "hand.db", "--json", "--landscape", "h2-l1e-3"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let ls = v["landscapes"].as_array().unwrap();
    assert_eq!(ls.len(), 1);
    let l = &ls[0];
    assert_eq!(l["key"], "h2-l1e-3");
    assert_eq!(l["morse_sum"], 1);
    assert_eq!(l["passes"], true);
    assert_eq!(l["group_order"], 16);
    let points: Vec<u64> = l["by_index"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["points"].as_u64().unwrap())
        .collect();
    assert_eq!(points, vec![17, 32, 16]);
    assert_eq!(
        l["ts_cross_check"]["census_unmatched"],
        serde_json::json!([3])
    );
    assert_eq!(l["saturation"]["rounds"], 4);
    assert_eq!(l["saturation_status"], "saturated after 4 rounds");

    let out = losscape(&["census", "hand.db", "--landscape", "nope"], dir.path());
    assert!(!out.status.success());
    assert!(text(&out).contains("h2-l1e-3, h2-l1e-2"), "{}", text(&out));
}
