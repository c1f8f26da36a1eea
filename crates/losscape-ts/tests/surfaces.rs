//! Known answers on the analytic surfaces of losscape-core.

use losscape_core::surfaces::{DoubleWell, FourWell, MullerBrown};
use losscape_core::{Convergence, Identity, Landscape, Minimiser, PointSet, vec};
use losscape_hessian::{Checks, Kind, analyse, verify};
use losscape_lbfgs::Lbfgs;
use losscape_ts::connect::{self, Connector};
use losscape_ts::{
    Attempt, AttemptOutcome, EfFailure, MinId, PushOffKind, Sink, SinkError, Toolkit, TsFound,
    TsParams, dneb, ef, pushoff, survey,
};

const QUENCH: Convergence = Convergence {
    rms_gradient: 1e-10,
    max_iterations: 10_000,
};

/// A sink that plays the database: identity, verification, and a log of everything.
struct Memory<'a> {
    landscape: &'a dyn Landscape,
    identity: Identity,
    checks: Checks,
    minima: PointSet,
    ts: Vec<(f64, Vec<f64>, MinId, MinId, PushOffKind)>,
    attempts: Vec<(Attempt, AttemptOutcome)>,
}

impl<'a> Memory<'a> {
    fn new(landscape: &'a dyn Landscape) -> Self {
        Self {
            landscape,
            identity: Identity::default(),
            checks: Checks::default(),
            minima: PointSet::new(),
            ts: Vec::new(),
            attempts: Vec::new(),
        }
    }

    fn distinct_ts(&self) -> Points {
        let mut set = PointSet::new();
        for (e, x, ..) in &self.ts {
            set.insert(self.landscape, &self.identity, *e, x);
        }
        (0..set.len())
            .map(|i| (set.energy(i), set.point(i).to_vec()))
            .collect()
    }
}

impl Memory<'_> {
    fn minimum(&mut self, energy: f64, coords: &[f64]) -> Option<MinId> {
        let a = analyse(self.landscape, coords, self.checks.zero_eigenvalue);
        verify(&a, Kind::Minimum, &self.checks).ok()?;
        let (i, _) = self
            .minima
            .insert(self.landscape, &self.identity, energy, coords);
        Some(i as MinId)
    }
}

impl Sink for Memory<'_> {
    fn add_minimum(&mut self, energy: f64, coords: &[f64]) -> Result<Option<MinId>, SinkError> {
        Ok(self.minimum(energy, coords))
    }
    fn add_ts(
        &mut self,
        ts: &TsFound,
        minus: MinId,
        plus: MinId,
        kind: PushOffKind,
    ) -> Result<(), SinkError> {
        self.ts
            .push((ts.energy, ts.coords.clone(), minus, plus, kind));
        Ok(())
    }
    fn attempt_done(
        &mut self,
        attempt: &Attempt,
        outcome: &AttemptOutcome,
    ) -> Result<(), SinkError> {
        self.attempts.push((*attempt, outcome.clone()));
        Ok(())
    }
}

/// A sink whose store fails at the first transition state.
struct Failing<'a>(Memory<'a>);

impl Sink for Failing<'_> {
    fn add_minimum(&mut self, energy: f64, coords: &[f64]) -> Result<Option<MinId>, SinkError> {
        self.0.add_minimum(energy, coords)
    }
    fn add_ts(&mut self, _: &TsFound, _: MinId, _: MinId, _: PushOffKind) -> Result<(), SinkError> {
        Err(SinkError::new(std::io::Error::other("disk full")))
    }
    fn attempt_done(&mut self, a: &Attempt, o: &AttemptOutcome) -> Result<(), SinkError> {
        self.0.attempt_done(a, o)
    }
}

/// A sink error stops the search at once: the failing attempt and those after it are not
/// reported done, and the error comes back to the caller.
#[test]
fn a_failing_sink_stops_the_search() {
    let l = FourWell;
    let lbfgs = Lbfgs::default();
    let params = TsParams::default();
    let (checks, identity) = (Checks::default(), Identity::default());
    let tools = toolkit(&l, &lbfgs, &params, &checks, &identity);
    let mut sink = Failing(Memory::new(&l));
    let id = sink.0.minimum(0.0, &[1.0, 1.0]).unwrap();
    let err = survey::run(&tools, &mut sink, id, &[1.0, 1.0]).unwrap_err();
    assert!(
        matches!(&err, survey::SurveyError::Sink(e) if e.to_string() == "disk full"),
        "{err}"
    );
    // Only the attempts before the failing one are reported (the full survey makes 4, and
    // the failing one found a transition state).
    let done = &sink.0.attempts;
    assert!(done.len() < 4, "{done:?}");
    assert!(
        done.iter().all(|(_, o)| o.transition_states == 0),
        "{done:?}"
    );
}

fn quench(l: &dyn Landscape, x: &[f64]) -> (f64, Vec<f64>) {
    let mut x = x.to_vec();
    let q = Lbfgs::default().minimise(l, &mut x, &QUENCH).unwrap();
    assert!(q.converged);
    (q.energy, x)
}

fn toolkit<'a>(
    l: &'a dyn Landscape,
    m: &'a dyn Minimiser,
    params: &'a TsParams,
    checks: &'a Checks,
    identity: &'a Identity,
) -> Toolkit<'a> {
    Toolkit {
        landscape: l,
        minimiser: m,
        params,
        checks,
        identity,
        quench: &QUENCH,
        executor: &losscape_ts::Sequential,
    }
}

#[test]
fn double_well_band_ef_and_pushoff() {
    let l = DoubleWell::default();
    let lbfgs = Lbfgs::default();
    let (checks, identity) = (Checks::default(), Identity::default());
    let band = dneb::run(&l, &[-1.0, 0.0], &[1.0, 0.0], &Default::default()).unwrap();
    let candidate = &band.images[band.maxima[0]];
    let ts = ef::run(&l, &lbfgs, candidate, &Default::default(), &checks).unwrap();
    assert!(vec::norm(&ts.coords) < 1e-8, "{:?}", ts.coords);
    assert!((ts.energy - 1.0).abs() < 1e-12);
    assert_eq!(ts.analysis.index, 1);
    let push = pushoff::run(
        &l,
        &lbfgs,
        &ts.coords,
        ts.energy,
        ts.analysis.lowest_vector(),
        &Default::default(),
        &QUENCH,
        &identity,
        1e-9,
        None,
    )
    .unwrap();
    assert_eq!(push.kind, PushOffKind::Distinct);
    assert_eq!(push.step, 0.01);
    let (m, p) = (&push.connects.minus.coords, &push.connects.plus.coords);
    assert!((m[0] * p[0] + 1.0).abs() < 1e-9, "{m:?} {p:?}");
    assert!(m[1].abs() < 1e-9 && p[1].abs() < 1e-9);
}

#[test]
fn mirrored_double_well_saddle_is_degenerate() {
    let l = DoubleWell::mirrored();
    let lbfgs = Lbfgs::default();
    let (checks, identity) = (Checks::default(), Identity::default());
    let ts = ef::run(&l, &lbfgs, &[0.2, 0.1], &Default::default(), &checks).unwrap();
    assert!(vec::norm(&ts.coords) < 1e-8);
    let push = pushoff::run(
        &l,
        &lbfgs,
        &ts.coords,
        ts.energy,
        ts.analysis.lowest_vector(),
        &Default::default(),
        &QUENCH,
        &identity,
        1e-9,
        None,
    )
    .unwrap();
    assert_eq!(push.kind, PushOffKind::Degenerate);
    // The same minima without the symmetry are distinct; identical sides are a failure; a
    // "saddle" below a minimum is rejected.
    let (a, b) = ([1.0, 0.0], [-1.0, 0.0]);
    let plain = DoubleWell::default();
    let classify = pushoff::classify_pushoff;
    assert_eq!(
        classify(&plain, &identity, 1.0, (0.0, &a), (0.0, &b)),
        PushOffKind::Distinct
    );
    assert_eq!(
        classify(&l, &identity, 1.0, (0.0, &a), (0.0, &a)),
        PushOffKind::SamePoint
    );
    assert_eq!(
        classify(&l, &identity, -1.0, (0.0, &a), (0.0, &b)),
        PushOffKind::BelowMinimum
    );
}

#[test]
fn ef_never_returns_a_higher_saddle() {
    let lbfgs = Lbfgs::default();
    let r = ef::run(
        &FourWell,
        &lbfgs,
        &[0.0, 0.0],
        &Default::default(),
        &Checks::default(),
    );
    assert_eq!(r, Err(EfFailure::WrongIndex { index: 2 }));
    let bad = ef::EfParams {
        max_uphill_step: -1.0,
        ..Default::default()
    };
    assert!(matches!(
        ef::run(&FourWell, &lbfgs, &[0.5, 0.5], &bad, &Checks::default()),
        Err(EfFailure::Params(m)) if m.key == "max_uphill_step"
    ));
}

/// (energy, coordinates) of distinct points.
type Points = Vec<(f64, Vec<f64>)>;

/// Connects the minima quenched from `a` and `b`; returns the report, the distinct transition
/// states, the distinct minima and the number of attempts the sink saw.
fn connect_pair(
    l: &dyn Landscape,
    a: &[f64],
    b: &[f64],
) -> (connect::ConnectReport, Points, Points, usize) {
    let lbfgs = Lbfgs::default();
    let params = TsParams::default();
    let (checks, identity) = (Checks::default(), Identity::default());
    let tools = toolkit(l, &lbfgs, &params, &checks, &identity);
    let mut sink = Memory::new(l);
    let mut connector = Connector::new();
    let mut ids = Vec::new();
    for x in [a, b] {
        let (e, x) = quench(l, x);
        let id = sink.minimum(e, &x).unwrap();
        connector.add_minimum(l, id, e, &x);
        ids.push(id);
    }
    let report = connect::run(&tools, &mut sink, &mut connector, ids[0], ids[1]).unwrap();
    let minima = (0..sink.minima.len())
        .map(|i| (sink.minima.energy(i), sink.minima.point(i).to_vec()))
        .collect();
    (report, sink.distinct_ts(), minima, sink.attempts.len())
}

#[test]
fn four_well_opposite_corners_need_two_saddles() {
    let (report, ts, minima, attempts) = connect_pair(&FourWell, &[1.0, 1.0], &[-1.0, -1.0]);
    assert!(report.connected, "{report:?}");
    assert_eq!(report.path.len(), 3, "{report:?}");
    assert_eq!(ts.len(), 2, "{ts:?}");
    for (e, x) in &ts {
        assert!((e - 1.0).abs() < 1e-12);
        // Edge midpoints: one coordinate 0, the other ±1.
        assert!((x[0].abs() + x[1].abs() - 1.0).abs() < 1e-8, "{x:?}");
    }
    assert_eq!(minima.len(), 3);
    assert_eq!(attempts, report.attempts);
}

#[test]
fn muller_brown_connect_finds_both_saddles_and_all_minima() {
    let (report, ts, minima, _) = connect_pair(
        &MullerBrown,
        &MullerBrown::MINIMA[0],
        &MullerBrown::MINIMA[1],
    );
    assert!(report.connected, "{report:?}");
    let mut energies: Vec<f64> = ts.iter().map(|t| t.0).collect();
    energies.sort_by(f64::total_cmp);
    assert_eq!(energies.len(), 2, "{energies:?}");
    assert!((energies[0] + 72.249).abs() < 1e-3, "{energies:?}");
    assert!((energies[1] + 40.665).abs() < 1e-3, "{energies:?}");
    let mut me: Vec<f64> = minima.iter().map(|m| m.0).collect();
    me.sort_by(f64::total_cmp);
    assert_eq!(me.len(), 3, "{me:?}");
    for (got, want) in me.iter().zip([-146.700, -108.167, -80.768]) {
        assert!((got - want).abs() < 1e-2, "{me:?}");
    }
}

#[test]
fn connecting_is_deterministic() {
    let first = connect_pair(
        &MullerBrown,
        &MullerBrown::MINIMA[0],
        &MullerBrown::MINIMA[1],
    );
    let second = connect_pair(
        &MullerBrown,
        &MullerBrown::MINIMA[0],
        &MullerBrown::MINIMA[1],
    );
    assert_eq!(first, second);
}

#[test]
fn survey_from_a_four_well_minimum_finds_its_two_saddles() {
    let l = FourWell;
    let lbfgs = Lbfgs::default();
    let params = TsParams::default();
    let (checks, identity) = (Checks::default(), Identity::default());
    let tools = toolkit(&l, &lbfgs, &params, &checks, &identity);
    let mut sink = Memory::new(&l);
    let id = sink.minimum(0.0, &[1.0, 1.0]).unwrap();
    let report = survey::run(&tools, &mut sink, id, &[1.0, 1.0]).unwrap();
    assert_eq!(report.attempts, 4);
    let ts = sink.distinct_ts();
    assert_eq!(ts.len(), 2, "{ts:?} {:?}", sink.attempts);
    let mut xs: Vec<[i64; 2]> = ts
        .iter()
        .map(|(_, x)| [(x[0] * 1e6).round() as i64, (x[1] * 1e6).round() as i64])
        .collect();
    xs.sort();
    assert_eq!(xs, vec![[0, 1_000_000], [1_000_000, 0]]);
    assert_eq!(report.transition_states, 2);
}

#[test]
fn params_reject_unknown_keys_and_bad_values() {
    let p: TsParams = toml::from_str("[dneb]\nspring = 80.0\n[pushoff]\nsteps = [0.02]\n").unwrap();
    assert_eq!(p.dneb.spring, 80.0);
    assert_eq!(p.ef, ef::EfParams::default());
    assert!(toml::from_str::<TsParams>("[dneb]\nsprung = 1.0\n").is_err());
    assert!(TsParams::default().validate().is_ok());
    let mut bad = TsParams::default();
    bad.pushoff.steps.clear();
    assert_eq!(bad.validate().unwrap_err().key, "pushoff.steps");
    let mut bad = TsParams::default();
    bad.connect.weight = connect::EdgeWeight::Distance;
    bad.survey.displacement = 0.0;
    assert_eq!(bad.validate().unwrap_err().key, "survey.displacement");
}

/// Runs every job, last first, but returns the results in index order: a stand-in for a
/// parallel executor whose jobs finish in any order.
struct Backwards;

impl losscape_ts::Executor for Backwards {
    fn refine_all(
        &self,
        n: usize,
        job: &(dyn Fn(usize) -> Result<losscape_ts::Refined, losscape_ts::RefineError> + Sync),
    ) -> Vec<Result<losscape_ts::Refined, losscape_ts::RefineError>> {
        let mut out: Vec<_> = (0..n).rev().map(job).collect();
        out.reverse();
        out
    }
    fn pair_all(
        &self,
        n: usize,
        job: &(dyn Fn(usize) -> connect::PairWork + Sync),
    ) -> Vec<connect::PairWork> {
        let mut out: Vec<_> = (0..n).rev().map(job).collect();
        out.reverse();
        out
    }
    fn census_all(
        &self,
        n: usize,
        job: &(dyn Fn(usize) -> losscape_ts::census::StartWork + Sync),
    ) -> Vec<losscape_ts::census::StartWork> {
        let mut out: Vec<_> = (0..n).rev().map(job).collect();
        out.reverse();
        out
    }
}

/// Joins all four FourWell minima to the global one with `batch` targets per round; returns
/// the sink's transition states (energy bits, ends) and whether every target was joined.
fn connect_all(
    batch: usize,
    executor: &dyn losscape_ts::Executor,
) -> (Vec<(u64, MinId, MinId)>, bool) {
    let l = FourWell;
    let lbfgs = Lbfgs::default();
    let mut params = TsParams::default();
    params.connect.batch = batch;
    let (checks, identity) = (Checks::default(), Identity::default());
    let mut tools = toolkit(&l, &lbfgs, &params, &checks, &identity);
    tools.executor = executor;
    let mut sink = Memory::new(&l);
    let mut connector = Connector::new();
    for corner in [[1.0, 1.0], [-1.0, 1.0], [1.0, -1.0], [-1.0, -1.0]] {
        let (e, x) = quench(&l, &corner);
        let id = sink.minimum(e, &x).unwrap();
        connector.add_minimum(&l, id, e, &x);
    }
    let joined = connect::connect_all_to_global(&tools, &mut sink, &mut connector).unwrap();
    assert_eq!(joined.len(), 3);
    let ts = sink.ts.iter().map(|t| (t.0.to_bits(), t.2, t.3)).collect();
    (ts, joined.iter().all(|j| j.1))
}

#[test]
fn connect_all_joins_every_minimum_whatever_the_batch_and_schedule() {
    for batch in [1, 3] {
        let (ts, all) = connect_all(batch, &losscape_ts::Sequential);
        assert!(all, "batch {batch}: not every minimum joined");
        assert!(ts.len() >= 3, "batch {batch}: {ts:?}");
        assert!(ts.iter().all(|t| f64::from_bits(t.0) - 1.0 < 1e-12));
        // The order jobs run in does not change what is stored.
        assert_eq!(connect_all(batch, &Backwards).0, ts, "batch {batch}");
    }
}

/// A push-off quench that starts on a symmetric subspace stays on it: on the four-well surface,
/// quenches from (±0.01, 0) keep y = 0 and converge to the saddles (±1, 0). The push-off must
/// leave such a point along its negative mode and reach the true minima (±1, ±1).
#[test]
fn pushoff_quenches_leave_saddles_of_a_symmetric_subspace() {
    let l = FourWell;
    let push = pushoff::run(
        &l,
        &Lbfgs::default(),
        &[0.0, 0.0],
        l.energy(&[0.0, 0.0]),
        &[1.0, 0.0],
        &Default::default(),
        &QUENCH,
        &Identity::default(),
        1e-9,
        None,
    )
    .unwrap();
    for side in [&push.connects.minus, &push.connects.plus] {
        assert!(side.converged);
        assert!((side.coords[0].abs() - 1.0).abs() < 1e-6, "{side:?}");
        assert!((side.coords[1].abs() - 1.0).abs() < 1e-6, "{side:?}");
        let a = analyse(&l, &side.coords, 1e-9);
        assert_eq!(a.index, 0);
    }
    // Without escapes the quenches end on the subspace's saddles.
    let stuck = pushoff::run(
        &l,
        &Lbfgs::default(),
        &[0.0, 0.0],
        l.energy(&[0.0, 0.0]),
        &[1.0, 0.0],
        &pushoff::PushOffParams {
            escapes: 0,
            ..Default::default()
        },
        &QUENCH,
        &Identity::default(),
        1e-9,
        None,
    )
    .unwrap();
    assert_eq!(stuck.connects.plus.coords[1], 0.0);
}

/// The hybrid method (`tangent_iterations` > 0: L-BFGS in the space orthogonal to the followed
/// mode after each uphill step) reaches the same saddles as the eigenbasis steps, on the dense
/// path and on the Hessian-free one.
#[test]
fn hybrid_tangent_relaxation_reaches_the_same_saddles() {
    let lbfgs = Lbfgs::default();
    let checks = Checks::default();
    let l = DoubleWell::default();
    for hessian_free_above in [usize::MAX, 0] {
        let params = ef::EfParams {
            tangent_iterations: 5,
            hessian_free_above,
            krylov_dim: 2,
            ..Default::default()
        };
        let ts = ef::run(&l, &lbfgs, &[0.3, 0.2], &params, &checks).unwrap();
        assert!(vec::norm(&ts.coords) < 1e-8, "{:?}", ts.coords);
        assert!((ts.energy - 1.0).abs() < 1e-12);
        assert_eq!(ts.analysis.index, 1);
    }
    let mb = MullerBrown;
    let plain = ef::run(&mb, &lbfgs, &[-0.8, 0.6], &Default::default(), &checks).unwrap();
    let hybrid = ef::run(
        &mb,
        &lbfgs,
        &[-0.8, 0.6],
        &ef::EfParams {
            tangent_iterations: 5,
            ..Default::default()
        },
        &checks,
    )
    .unwrap();
    assert_eq!(hybrid.analysis.index, 1);
    assert!(
        (plain.energy - hybrid.energy).abs() < 1e-9,
        "{} vs {}",
        plain.energy,
        hybrid.energy
    );
}
