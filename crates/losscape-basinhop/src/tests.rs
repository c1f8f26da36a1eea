use super::*;
use losscape_core::surfaces::{DoubleWell, FourWell, MullerBrown};
use losscape_core::{QuenchOutcome, seed, vec};
use losscape_lbfgs::Lbfgs;

const QUENCH: Convergence = Convergence {
    rms_gradient: 1e-10,
    max_iterations: 2_000,
};

fn chain(l: &dyn Landscape, params: &BasinHoppingParams, seed: u64) -> ChainResult {
    run_chain(
        l,
        &Lbfgs::default(),
        params,
        &QUENCH,
        &Identity::default(),
        seed,
        &mut |_| {},
    )
}

/// Distinct minima over several chains, merged in chain order as the runner does.
fn merged(l: &dyn Landscape, params: &BasinHoppingParams, chains: u64) -> Vec<(f64, Vec<f64>)> {
    let id = Identity::default();
    let mut set = PointSet::new();
    for c in 0..chains {
        for m in chain(l, params, seed::derive(7, &[c])).minima {
            set.insert(l, &id, m.energy, &m.coords);
        }
    }
    (0..set.len())
        .map(|i| (set.energy(i), set.point(i).to_vec()))
        .collect()
}

fn contains(found: &[(f64, Vec<f64>)], point: &[f64], tol: f64) -> bool {
    found.iter().any(|(_, x)| vec::distance(x, point) <= tol)
}

fn small_chain() -> BasinHoppingParams {
    BasinHoppingParams {
        steps: 40,
        max_without_new: 40,
        start_range: 2.0,
        ..Default::default()
    }
}

#[test]
fn defaults_validate_and_errors_name_the_key() {
    assert_eq!(BasinHoppingParams::default().validate(), Ok(()));
    let bad = BasinHoppingParams {
        temperature: -1.0,
        ..Default::default()
    };
    assert_eq!(
        bad.validate().unwrap_err().to_string(),
        "temperature: must be a finite number > 0 (got -1)"
    );
    let cases: [(BasinHoppingParams, &str); 6] = [
        (
            BasinHoppingParams {
                steps: 0,
                ..Default::default()
            },
            "steps",
        ),
        (
            BasinHoppingParams {
                adjust_every: 0,
                ..Default::default()
            },
            "adjust_every",
        ),
        (
            BasinHoppingParams {
                step_size: f64::NAN,
                ..Default::default()
            },
            "step_size",
        ),
        (
            BasinHoppingParams {
                adjust_factor: 1.0,
                ..Default::default()
            },
            "adjust_factor",
        ),
        (
            BasinHoppingParams {
                target_acceptance: 0.0,
                ..Default::default()
            },
            "target_acceptance",
        ),
        (
            BasinHoppingParams {
                restart_every: Some(0),
                ..Default::default()
            },
            "restart_every",
        ),
    ];
    for (params, key) in cases {
        let error = params.validate().unwrap_err();
        assert_eq!(error.key, key, "{error}");
    }
}

#[test]
fn params_from_toml() {
    let p: BasinHoppingParams = toml::from_str("steps = 10\nrestart_every = 5").unwrap();
    assert_eq!(
        p,
        BasinHoppingParams {
            steps: 10,
            restart_every: Some(5),
            ..Default::default()
        }
    );
    assert!(toml::from_str::<BasinHoppingParams>("temprature = 1.0").is_err());
}

#[test]
fn four_well_all_minima() {
    let found = merged(&FourWell, &small_chain(), 3);
    assert_eq!(found.len(), 4, "{found:?}");
    for corner in [[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]] {
        assert!(contains(&found, &corner, 1e-8), "{corner:?} missing");
    }
}

#[test]
fn muller_brown_all_minima() {
    // Energies are in the hundreds here and barriers tens: scale the temperature; a step of
    // 1.0 spans the ~1.8 between the lowest two minima within a few moves.
    let params = BasinHoppingParams {
        temperature: 20.0,
        start_range: 1.5,
        ..small_chain()
    };
    let found = merged(&MullerBrown, &params, 3);
    assert_eq!(found.len(), 3, "{found:?}");
    for lit in MullerBrown::MINIMA {
        assert!(
            contains(&found, &lit, 1e-2),
            "{lit:?} missing from {found:?}"
        );
    }
}

fn bits(r: &ChainResult) -> Vec<u64> {
    r.minima
        .iter()
        .flat_map(|m| {
            std::iter::once(m.energy.to_bits()).chain(m.coords.iter().map(|c| c.to_bits()))
        })
        .chain([r.final_step_size.to_bits()])
        .collect()
}

#[test]
fn same_seed_same_chain_different_seed_different_chain() {
    let params = small_chain();
    let a = chain(&FourWell, &params, 42);
    let b = chain(&FourWell, &params, 42);
    assert_eq!(a, b);
    assert_eq!(bits(&a), bits(&b));
    let c = chain(&FourWell, &params, 43);
    assert_ne!(bits(&a), bits(&c));
}

#[test]
fn max_without_new_stops_the_chain() {
    let params = BasinHoppingParams {
        steps: 10_000,
        max_without_new: 5,
        ..small_chain()
    };
    let r = chain(&FourWell, &params, 1);
    assert_eq!(r.stop, StopReason::NoNewMinima);
    let last_new = r.minima.iter().map(|m| m.first_step).max().unwrap();
    assert_eq!(r.steps, last_new + 1 + 5);
    let full = chain(
        &FourWell,
        &BasinHoppingParams {
            steps: 30,
            ..small_chain()
        },
        1,
    );
    assert_eq!((full.steps, full.stop), (30, StopReason::Budget));
}

#[test]
fn mirrored_double_well_has_one_structure() {
    let r = chain(&DoubleWell::mirrored(), &small_chain(), 5);
    assert_eq!(r.minima.len(), 1, "{:?}", r.minima);
    assert_eq!(r.minima[0].times_found + r.failed_quenches, r.steps);
    // Without the symmetry both wells are found.
    assert_eq!(
        chain(&DoubleWell::default(), &small_chain(), 5)
            .minima
            .len(),
        2
    );
}

#[test]
fn observer_sees_every_step_and_the_end() {
    let (mut steps, mut finished, mut new) = (0, 0, 0);
    let params = small_chain();
    let r = run_chain(
        &FourWell,
        &Lbfgs::default(),
        &params,
        &QUENCH,
        &Identity::default(),
        3,
        &mut |e| match e {
            ChainEvent::Step { new_minimum, .. } => {
                steps += 1;
                new += usize::from(*new_minimum);
            }
            ChainEvent::QuenchFailed { .. } => steps += 1,
            ChainEvent::Finished { .. } => finished += 1,
        },
    );
    assert_eq!((steps, finished, new), (r.steps, 1, r.minima.len()));
    assert!(r.evaluations > r.steps);
    assert!(r.accepted < r.steps);
    assert!(
        r.minima
            .windows(2)
            .all(|w| w[0].first_step < w[1].first_step)
    );
}

#[test]
fn step_size_adapts_towards_the_target() {
    // On a single quadratic bowl every move is accepted, so the step grows up to its cap.
    let params = BasinHoppingParams {
        steps: 100,
        max_without_new: 100,
        ..Default::default()
    };
    let r = chain(&Bowl, &params, 9);
    assert_eq!(r.accepted, r.steps - 1);
    // Nine adjustments of 1 / 0.9 each.
    assert!(
        (r.final_step_size - 0.9f64.powi(-9)).abs() < 1e-12,
        "{}",
        r.final_step_size
    );
    // Adjusting after every move hits the cap of twice the start range.
    let capped = chain(
        &Bowl,
        &BasinHoppingParams {
            adjust_every: 1,
            ..params
        },
        9,
    );
    assert_eq!(capped.final_step_size, 2.0 * params.start_range);
    // On Muller-Brown at a low temperature uphill moves fail, so a target of (nearly) full
    // acceptance cannot be met and the step shrinks.
    let params = BasinHoppingParams {
        target_acceptance: 0.999,
        ..params
    };
    let r = chain(&MullerBrown, &params, 9);
    assert!(
        r.final_step_size < params.step_size,
        "{}",
        r.final_step_size
    );
}

/// `E = |x|²`: one minimum.
struct Bowl;

impl Landscape for Bowl {
    fn dim(&self) -> usize {
        3
    }
    fn energy(&self, x: &[f64]) -> f64 {
        vec::dot(x, x)
    }
    fn energy_gradient(&self, x: &[f64], g: &mut [f64]) -> f64 {
        for (gi, xi) in g.iter_mut().zip(x) {
            *gi = 2.0 * xi;
        }
        self.energy(x)
    }
    fn hessian(&self, _x: &[f64], h: &mut [f64]) {
        h.fill(0.0);
        for i in 0..3 {
            h[i * 3 + i] = 2.0;
        }
    }
}

/// A minimiser that fails every other call, to check failures are counted, not recorded.
struct Flaky(std::sync::atomic::AtomicUsize);

impl Minimiser for Flaky {
    fn name(&self) -> &str {
        "flaky"
    }
    fn minimise(
        &self,
        l: &dyn Landscape,
        x: &mut [f64],
        stop: &Convergence,
    ) -> Result<QuenchOutcome, MinimiseError> {
        let call = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match call % 3 {
            0 => Lbfgs::default().minimise(l, x, stop),
            1 => Err(MinimiseError::External {
                name: "flaky".into(),
                message: "boom".into(),
            }),
            _ => Lbfgs::default().minimise(
                l,
                x,
                &Convergence {
                    max_iterations: 0,
                    ..*stop
                },
            ),
        }
    }
}

#[test]
fn failed_quenches_are_counted_not_recorded() {
    let flaky = Flaky(Default::default());
    let params = BasinHoppingParams {
        steps: 30,
        max_without_new: 30,
        ..small_chain()
    };
    let r = run_chain(
        &FourWell,
        &flaky,
        &params,
        &QUENCH,
        &Identity::default(),
        2,
        &mut |_| {},
    );
    assert_eq!(r.steps, 30);
    assert_eq!(r.failed_quenches, 20);
    let recorded: usize = r.minima.iter().map(|m| m.times_found).sum();
    assert_eq!(recorded, 10);
    for m in &r.minima {
        let mut g = [0.0; 2];
        FourWell.energy_gradient(&m.coords, &mut g);
        assert!(vec::rms(&g) <= 1e-10);
    }
}

/// A chain stopped after any step, checkpointed through TOML and resumed, ends exactly as the
/// chain that ran through (with restarts, so the "sits in no minimum" state is crossed too).
#[test]
fn a_checkpointed_chain_resumes_bit_identically() {
    let params = BasinHoppingParams {
        steps: 30,
        max_without_new: 30,
        restart_every: Some(3),
        adjust_every: 4,
        start_range: 2.0,
        ..Default::default()
    };
    let lbfgs = Lbfgs::default();
    let id = Identity::default();
    let setup = ChainSetup {
        landscape: &MullerBrown,
        minimiser: &lbfgs,
        params: &params,
        quench: &QUENCH,
        identity: &id,
    };
    let whole = chain(&MullerBrown, &params, 11);
    assert!(whole.minima.len() >= 2, "{whole:?}");
    for stop_after in [0, 1, 5, 17, 29] {
        let mut first = Chain::new(MullerBrown.dim(), &params, 11);
        for _ in 0..stop_after {
            assert_eq!(first.step(&setup, &mut |_| {}), StepOutcome::Continue);
        }
        let text = toml::to_string(&first.checkpoint()).unwrap();
        let mut resumed = Chain::resume(&toml::from_str(&text).unwrap());
        assert_eq!(resumed.checkpoint(), first.checkpoint());
        let stop = loop {
            if let StepOutcome::Stop(r) = resumed.step(&setup, &mut |_| {}) {
                break r;
            }
        };
        assert_eq!(
            resumed.finish(stop),
            whole,
            "resumed after {stop_after} steps"
        );
    }
}
