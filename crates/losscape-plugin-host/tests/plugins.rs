//! Loads the real plugin libraries under `plugins/` and runs them through the host.
//!
//! The libraries are built by `losscape_test_support::built_plugin_dir` (cargo does not
//! promise to build cdylib members before a test runs).

use std::path::Path;

use losscape_core::surfaces::{DoubleWell, MullerBrown};
use losscape_core::{Convergence, Landscape, MinimiseError, Minimiser, vec};
use losscape_plugin_api::{ABI_VERSION, PluginTable, status};
use losscape_plugin_host::{PluginError, PluginMinimiser, PluginSpec, library_file_names};

/// Directory holding the freshly built plugin libraries.
fn plugin_dir() -> &'static Path {
    match losscape_test_support::built_plugin_dir() {
        Ok(dir) => dir,
        Err(e) => panic!("{e}"),
    }
}

fn spec(name: &str, config: &str) -> PluginSpec {
    PluginSpec::named(name)
        .search_dir(plugin_dir())
        .config(config)
}

fn load(name: &str, config: &str) -> PluginMinimiser {
    match PluginMinimiser::load(&spec(name, config)) {
        Ok(p) => p,
        Err(e) => panic!("loading {name}: {e}"),
    }
}

fn load_err(name: &str, config: &str) -> PluginError {
    match PluginMinimiser::load(&spec(name, config)) {
        Ok(_) => panic!("loading {name} with {config:?} should fail"),
        Err(e) => e,
    }
}

fn stop(rms_gradient: f64, max_iterations: usize) -> Convergence {
    Convergence {
        rms_gradient,
        max_iterations,
    }
}

/// A landscape that panics or returns NaN on request, to test the host's trampoline.
struct Hostile {
    nan: bool,
}

impl Landscape for Hostile {
    fn dim(&self) -> usize {
        2
    }
    fn energy(&self, x: &[f64]) -> f64 {
        let mut g = [0.0; 2];
        self.energy_gradient(x, &mut g)
    }
    fn energy_gradient(&self, _: &[f64], g: &mut [f64]) -> f64 {
        if self.nan {
            g.fill(0.0);
            f64::NAN
        } else {
            panic!("hostile landscape")
        }
    }
    fn hessian(&self, _: &[f64], h: &mut [f64]) {
        h.fill(0.0);
    }
}

#[test]
fn fire_minimises_analytic_surfaces_tightly() {
    let fire = load("fire", "");
    assert_eq!(fire.name(), "fire");
    let mut x = [0.3, 0.7];
    let out = fire
        .minimise(&DoubleWell::default(), &mut x, &stop(1e-10, 10_000))
        .expect("runs");
    assert!(out.converged && out.rms_gradient <= 1e-10, "{out:?}");
    assert!(vec::distance(&x, &[1.0, 0.0]) < 1e-9, "{x:?}");
    assert!(out.energy.abs() < 1e-18);
    assert_eq!(out.evaluations, out.iterations + 1);

    // Müller–Brown's curvatures are in the thousands: small time steps.
    let fire = load("fire", "dt = 0.001\ndt_max = 0.01\nmax_step = 0.05");
    let mut g = [0.0; 2];
    for (start, min) in [[-0.4, 1.3], [0.5, 0.1], [0.0, 0.5]]
        .iter()
        .zip(MullerBrown::MINIMA)
    {
        let mut x = *start;
        let out = fire
            .minimise(&MullerBrown, &mut x, &stop(1e-10, 100_000))
            .expect("runs");
        assert!(out.converged, "{start:?}: {out:?}");
        assert!(vec::distance(&x, &min) < 2e-3, "{x:?} vs {min:?}");
        let e = MullerBrown.energy_gradient(&x, &mut g);
        assert!((e - out.energy).abs() < 1e-9 && vec::rms(&g) <= 1e-10);
    }
}

#[test]
fn adam_minimises_analytic_surfaces() {
    let adam = load("adam", "learning_rate = 0.01\nbeta2 = 0.99");
    assert_eq!(adam.name(), "adam");
    let mut x = [0.3, 0.7];
    let out = adam
        .minimise(&DoubleWell::default(), &mut x, &stop(1e-6, 100_000))
        .expect("runs");
    assert!(out.converged && out.rms_gradient <= 1e-6, "{out:?}");
    assert!(vec::distance(&x, &[1.0, 0.0]) < 1e-5, "{x:?}");

    let adam = load("adam", "learning_rate = 0.002\nbeta2 = 0.99");
    let mut x = [-0.4, 1.3];
    let out = adam
        .minimise(&MullerBrown, &mut x, &stop(1e-6, 200_000))
        .expect("runs");
    assert!(out.converged && out.rms_gradient <= 1e-6, "{out:?}");
    assert!(vec::distance(&x, &MullerBrown::MINIMA[0]) < 2e-3, "{x:?}");
}

#[test]
fn plugins_are_shareable_minimisers() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<PluginMinimiser>();
    let fire = load("fire", "");
    let minimisers: Vec<&dyn Minimiser> = vec![&fire];
    std::thread::scope(|s| {
        for start in [[0.5, 0.5], [-0.5, 0.5], [2.0, -1.0]] {
            let m = minimisers[0];
            s.spawn(move || {
                let mut x = start;
                let out = m.minimise(&DoubleWell::default(), &mut x, &stop(1e-8, 10_000));
                assert!(out.expect("runs").converged);
                assert!((x[0].abs() - 1.0).abs() < 1e-6);
            });
        }
    });
}

#[test]
fn unconverged_runs_are_reported_not_failed() {
    let fire = load("fire", "");
    let mut x = [0.3, 0.7];
    let out = fire
        .minimise(&DoubleWell::default(), &mut x, &stop(1e-12, 3))
        .expect("runs");
    assert!(!out.converged);
    assert_eq!(out.iterations, 3);
}

#[test]
fn plugins_load_by_crate_style_name_and_by_path() {
    let [_, crate_style] = library_file_names("fire");
    let path = plugin_dir().join(crate_style);
    let fire = PluginMinimiser::load(&PluginSpec::at_path(&path)).expect("loads by path");
    assert_eq!(fire.path(), path);
    assert_eq!(fire.plugin_name(), "fire");
}

#[test]
fn bad_config_keys_are_rejected_at_load_time_with_the_key_named() {
    let e = load_err("fire", "dt = 0.1\ndtmax = 1.0");
    let PluginError::BadConfig { name, message } = &e else {
        panic!("{e}")
    };
    assert_eq!(name, "fire");
    assert!(
        message.contains("dtmax") && message.contains("dt_max"),
        "{message}"
    );

    let e = load_err("adam", "lr = 0.1").to_string();
    assert!(e.contains("`lr`") && e.contains("learning_rate"), "{e}");
    let e = load_err("adam", "beta1 = 2.0").to_string();
    assert!(e.contains("beta1"), "{e}");
    let e = load_err("faulty", "mode = \"explode\"").to_string();
    assert!(e.contains("explode") && e.contains("callback_abuse"), "{e}");
}

#[test]
fn missing_plugins_list_the_places_searched() {
    let e = load_err("no-such-optimiser", "");
    let PluginError::NotFound { name, searched } = &e else {
        panic!("{e}")
    };
    assert_eq!(name, "no-such-optimiser");
    let [plain, crate_style] = library_file_names("no-such-optimiser");
    assert_eq!(searched[0], plugin_dir().join(&plain));
    assert_eq!(searched[1], plugin_dir().join(&crate_style));
    assert!(
        searched.len() >= 4,
        "the executable's directory is searched too: {searched:?}"
    );
    assert!(
        e.to_string()
            .contains(&plugin_dir().join(plain).display().to_string())
    );

    // Asked for by name, the message says how to build the plugin and where to point to it.
    let text = e.to_string();
    assert!(
        text.contains("cargo build --release -p losscape-plugin-no-such-optimiser")
            && text.contains("target/release/")
            && text.contains("--plugin-dir"),
        "{text}"
    );

    let e = PluginMinimiser::load(&PluginSpec::at_path("/nonexistent/libx.so")).unwrap_err();
    assert!(matches!(e, PluginError::NotFound { .. }) && e.to_string().contains("/nonexistent"));
    assert!(!e.to_string().contains("cargo build"), "{e}");
}

#[test]
fn wrong_abi_version_and_table_size_are_refused_before_use() {
    let e = load_err("faulty-abi", "");
    let PluginError::AbiVersion {
        found, expected, ..
    } = e
    else {
        panic!("{e}")
    };
    assert_eq!((found, expected), (ABI_VERSION + 1000, ABI_VERSION));

    let e = load_err("faulty-size", "");
    let PluginError::TableSize {
        found, expected, ..
    } = e
    else {
        panic!("{e}")
    };
    let size = std::mem::size_of::<PluginTable>() as u32;
    assert_eq!((found, expected), (size + 8, size));
}

#[test]
fn a_library_without_the_entry_symbol_is_refused() {
    let e = load_err("faulty-nosym", "");
    let PluginError::MissingSymbol { symbol, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(*symbol, "losscape_plugin_entry");
    assert!(e.to_string().contains("is not a losscape plugin"), "{e}");
}

#[test]
fn a_table_with_a_null_function_is_refused_at_load() {
    let e = load_err("faulty-null", "");
    let PluginError::NullFunction { function, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(*function, "minimise");
    assert!(e.to_string().contains("null `minimise` function"), "{e}");
}

fn run_faulty(mode: &str, landscape: &dyn Landscape) -> PluginError {
    let faulty = load("faulty", &format!("mode = \"{mode}\""));
    let mut x = [0.5, 0.5];
    match faulty.run(landscape, &mut x, &stop(1e-6, 50)) {
        Ok(out) => panic!("mode {mode} should fail, got {out:?}"),
        Err(e) => e,
    }
}

#[test]
fn faulty_plugin_errors_are_specific() {
    let dw = DoubleWell::default();

    let e = run_faulty("panic", &dw);
    let PluginError::Panic { message, .. } = &e else {
        panic!("{e}")
    };
    assert!(
        message.contains("deliberate panic in minimise"),
        "{message}"
    );

    let e = load_err("faulty", "mode = \"check_panic\"");
    assert!(matches!(e, PluginError::Panic { .. }), "{e}");

    let e = run_faulty("error", &dw);
    let PluginError::Failed {
        status: code,
        message,
        ..
    } = &e
    else {
        panic!("{e}")
    };
    assert_eq!(*code, status::FAILED);
    assert_eq!(message, "faulty plugin: deliberate failure");

    let e = run_faulty("long_message", &dw);
    let PluginError::Failed { message, .. } = &e else {
        panic!("{e}")
    };
    assert!(
        message.starts_with("€rror €rror") && message.len() <= 4096,
        "{}",
        message.len()
    );
    assert!(
        !message.contains('\u{FFFD}'),
        "truncated inside a character"
    );

    let e = run_faulty("nan_report", &dw);
    let PluginError::NonFinite {
        what, evaluations, ..
    } = &e
    else {
        panic!("{e}")
    };
    assert!(what.contains("report"), "{what}");
    assert_eq!(*evaluations, 1);

    let e = run_faulty("nan_coords", &dw);
    let PluginError::NonFinite { what, .. } = &e else {
        panic!("{e}")
    };
    assert!(what.contains("coordinates passed"), "{what}");

    // The plugin ignores the failing callback and claims success: the host still knows better.
    let e = run_faulty("callback_abuse", &dw);
    let PluginError::BudgetExceeded {
        budget,
        max_iterations,
        ..
    } = e
    else {
        panic!("{e}")
    };
    assert_eq!((budget, max_iterations), (600, 50));
}

#[test]
fn landscape_failures_inside_the_callback_are_caught() {
    let e = run_faulty("evaluate_once", &Hostile { nan: false });
    let PluginError::CallbackPanic { message, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(message, "hostile landscape");

    let e = run_faulty("evaluate_once", &Hostile { nan: true });
    let PluginError::NonFinite { what, .. } = &e else {
        panic!("{e}")
    };
    assert!(what.contains("landscape"), "{what}");

    // And a real optimiser stops on the first failure too.
    let fire = load("fire", "");
    let mut x = [0.5, 0.5];
    let e = fire
        .run(&Hostile { nan: false }, &mut x, &stop(1e-6, 50))
        .unwrap_err();
    assert!(matches!(e, PluginError::CallbackPanic { .. }), "{e}");
}

#[test]
fn errors_map_onto_the_minimiser_trait() {
    let faulty = load("faulty", "mode = \"error\"");
    let mut x = [0.5, 0.5];
    let e = faulty
        .minimise(&DoubleWell::default(), &mut x, &stop(1e-6, 50))
        .unwrap_err();
    let MinimiseError::External { name, message } = &e else {
        panic!("{e}")
    };
    assert_eq!(name, "faulty");
    assert!(message.contains("deliberate failure"), "{message}");

    let faulty = load("faulty", "mode = \"nan_report\"");
    let e = faulty
        .minimise(&DoubleWell::default(), &mut x, &stop(1e-6, 50))
        .unwrap_err();
    assert_eq!(e, MinimiseError::NonFinite { evaluations: 1 });

    let e = faulty
        .minimise(&DoubleWell::default(), &mut [0.0; 3], &stop(1e-6, 50))
        .unwrap_err();
    assert_eq!(
        e,
        MinimiseError::Dimension {
            expected: 2,
            got: 3
        }
    );

    // A healthy run through the trivial mode: one evaluation, converged only if flat.
    let faulty = load("faulty", "");
    let out = faulty.minimise(&DoubleWell::default(), &mut [1.0, 0.0], &stop(1e-6, 50));
    let out = out.expect("runs");
    assert!(out.converged && out.evaluations == 1 && out.energy == 0.0);
}

/// A plugin's final report is recomputed at the point it returned: a false energy or a false
/// claim of convergence makes the minimisation fail, with the claim and the truth named.
#[test]
fn false_reports_are_failed_minimisations() {
    let dw = DoubleWell::default();
    // At the minimum (1, 0) the plugin's convergence holds, but it reports energy 0 - 1.
    let faulty = load("faulty", "mode = \"false_energy\"");
    let e = faulty
        .run(&dw, &mut [1.0, 0.0], &stop(1e-6, 50))
        .unwrap_err();
    let PluginError::FalseReport { claim, actual, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(
        (claim.as_str(), actual.as_str()),
        ("energy -1e0", "energy 0e0")
    );
    let message = e.to_string();
    assert!(
        message.contains("plugin 'faulty' reported energy -1e0"),
        "{message}"
    );

    // Off the minimum the plugin reports the true energy but claims a zero gradient.
    let e = run_faulty("false_convergence", &dw);
    let PluginError::FalseReport { claim, actual, .. } = &e else {
        panic!("{e}")
    };
    assert!(claim.contains("convergence"), "{claim}");
    assert!(actual.starts_with("RMS gradient"), "{actual}");

    // Through the trait, a false report is an external failure: a failed quench.
    let faulty = load("faulty", "mode = \"false_convergence\"");
    let e = faulty
        .minimise(&dw, &mut [0.5, 0.5], &stop(1e-6, 50))
        .unwrap_err();
    assert!(
        matches!(&e, MinimiseError::External { name, message } if name == "faulty" && message.contains("its result was discarded")),
        "{e}"
    );
    // The same claim at the true minimum holds, and the stored numbers are the host's own.
    let out = faulty
        .minimise(&dw, &mut [1.0, 0.0], &stop(1e-6, 50))
        .expect("a true claim holds");
    assert!(out.converged && out.energy == 0.0 && out.rms_gradient == 0.0);
}
