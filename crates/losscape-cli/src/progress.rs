//! Progress of `losscape run`, fed by the runner's events. On a terminal: one bar for the whole
//! sweep naming the current landscape and stage. Elsewhere (a batch job's log, a pipe): plain
//! timestamped lines when a landscape starts or finishes and a stage finishes, and a heartbeat
//! with the counts every few seconds, so a log shows how far a run is while it runs. Silent
//! with `--quiet`.
//!
//! The ETA comes from the landscapes this run finished from scratch, scaled by landscape size
//! ([`Estimator`]); before one has finished there is no basis for one and none is shown.

use std::io::IsTerminal;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use losscape_experiment::{Event, Observer, Stage};

/// Bar positions per (landscape, stage) slot: stages advance the bar in fine steps.
const TICKS_PER_STAGE: u64 = 1000;

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Nothing (`--quiet`).
    Quiet,
    /// A progress bar (stderr is a terminal).
    Bar,
    /// Timestamped lines on stderr (a log file, a pipe).
    Lines,
}

impl Mode {
    /// Quiet if asked, else a bar on a terminal and lines elsewhere.
    pub fn detect(quiet: bool) -> Self {
        if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bar
        } else {
            Mode::Lines
        }
    }
}

/// Settings of the line output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineSettings {
    /// Time between heartbeat lines while nothing else is printed.
    pub heartbeat: Duration,
}

impl Default for LineSettings {
    /// A minute: often enough to see a job is alive in its log, rarely enough that a day-long
    /// run's log stays readable (about 1 400 lines a day).
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(60),
        }
    }
}

/// The landscapes a run will work on, known before it starts.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// Every landscape of the grid: its size (parameters), in grid order.
    pub sizes: Vec<f64>,
    /// Grid positions this run works on (a landscape shard runs some of them).
    pub indices: Vec<usize>,
    /// Stages per landscape.
    pub stages: usize,
}

/// Predicts how long landscapes take from those this run finished from scratch: a landscape's
/// cost grows as a power of its size (parameters), fitted to the finished landscapes once they
/// span two sizes. Landscapes resumed from an earlier run are not samples: they skip work, so
/// their times say nothing about the cost. Landscapes of one size differ by λ, which the
/// estimate does not see: a grid whose first landscapes are its dearest of their size (λ
/// listed from small to large) is overestimated until cheaper ones have finished.
#[derive(Clone, Debug)]
pub struct Estimator {
    /// (size, seconds) of each landscape finished from scratch.
    samples: Vec<(f64, f64)>,
    /// The exponent while every sample has one size.
    pub default_exponent: f64,
    /// The range a fitted exponent is kept in: a few noisy samples must not extrapolate to
    /// absurd times.
    pub exponent_range: (f64, f64),
}

impl Default for Estimator {
    /// Exponent 2 until there are two sizes: the quench and Hessian work per minimum grows
    /// faster than linearly in the parameters and so does the number of minima; kept in
    /// [1, 3] once fitted, the spread seen between the quick and the paper sweeps.
    fn default() -> Self {
        Self {
            samples: Vec::new(),
            default_exponent: 2.0,
            exponent_range: (1.0, 3.0),
        }
    }
}

impl Estimator {
    /// Records a landscape of `size` parameters that took `seconds` from scratch.
    pub fn record(&mut self, size: f64, seconds: f64) {
        if size > 0.0 && seconds.is_finite() && seconds >= 0.0 {
            self.samples.push((size, seconds.max(1e-3)));
        }
    }

    /// Whether there is a basis for an estimate.
    pub fn ready(&self) -> bool {
        !self.samples.is_empty()
    }

    /// The exponent of cost in size: least squares on the logarithms where the samples span
    /// more than one size, else the default.
    fn exponent(&self) -> f64 {
        let n = self.samples.len() as f64;
        let (mx, my) = self.samples.iter().fold((0.0, 0.0), |(x, y), &(s, t)| {
            (x + s.ln() / n, y + t.ln() / n)
        });
        let (mut sxy, mut sxx) = (0.0, 0.0);
        for &(s, t) in &self.samples {
            sxy += (s.ln() - mx) * (t.ln() - my);
            sxx += (s.ln() - mx).powi(2);
        }
        if sxx < 1e-12 {
            return self.default_exponent;
        }
        (sxy / sxx).clamp(self.exponent_range.0, self.exponent_range.1)
    }

    /// Predicted seconds for a landscape of `size`: the mean time of the finished landscapes of
    /// the nearest size, scaled by the size ratio to the fitted power; `None` without samples.
    pub fn predict(&self, size: f64) -> Option<f64> {
        let nearest = self
            .samples
            .iter()
            .map(|&(s, _)| s)
            .min_by(|a, b| (a / size).ln().abs().total_cmp(&(b / size).ln().abs()))?;
        let same: Vec<f64> = self
            .samples
            .iter()
            .filter(|&&(s, _)| s == nearest)
            .map(|&(_, t)| t)
            .collect();
        let mean = same.iter().sum::<f64>() / same.len() as f64;
        Some(mean * (size / nearest).powf(self.exponent()))
    }

    /// Seconds left: the landscape in hand (its size and the seconds it has run so far, which
    /// count against its prediction) and the sizes of those not started; `None` without a
    /// basis: before a landscape finished from scratch, or once the landscape in hand has run
    /// past its prediction (how much longer it takes is then unknown).
    pub fn remaining(&self, current: Option<(f64, f64)>, left: &[f64]) -> Option<f64> {
        if !self.ready() {
            return None;
        }
        let mut total: f64 = left.iter().filter_map(|&s| self.predict(s)).sum();
        if let Some((size, elapsed)) = current {
            let predicted = self.predict(size)?;
            if elapsed > predicted {
                return None;
            }
            total += predicted - elapsed;
        }
        Some(total)
    }
}

/// What the observer knows about the run, shared with the heartbeat thread.
#[derive(Default)]
struct State {
    plan: Plan,
    started: Option<Instant>,
    estimator: Estimator,
    /// Landscapes of the plan finished in this run.
    finished: usize,
    current: Option<Current>,
}

/// The landscape in hand.
struct Current {
    /// `[2/25] h2-l1e-2`.
    label: String,
    index: usize,
    /// 0-based position of the stage in hand within the landscape's stages (after a skipped
    /// stage: of the next one).
    slot: usize,
    /// Stages started or skipped so far.
    passed: usize,
    stage: Option<Stage>,
    stage_started: Instant,
    units: usize,
    done: usize,
    /// The saturation round in hand and the most rounds, once the runner reports rounds.
    round: Option<(usize, usize)>,
    minima: usize,
    transition_states: usize,
    started: Instant,
    /// Whether an earlier run did part of it (then its time is no sample for the ETA).
    resumed: bool,
}

impl Current {
    /// `census 12/32`; stages whose work grows as they go (connect, saturate) show no total.
    fn counter(&self) -> String {
        let Some(stage) = self.stage else {
            return "starting".into();
        };
        match (stage, self.round) {
            (Stage::Saturate, Some((round, most))) => format!(
                "saturate round {}/{most} {}/{}",
                round + 1,
                self.done,
                self.units
            ),
            (Stage::Saturate | Stage::Connect, None) => {
                format!("{} {} unit(s) done", stage.name(), self.done)
            }
            _ => format!("{} {}/{}", stage.name(), self.done, self.units),
        }
    }

    fn counts(&self) -> String {
        format!(
            "{}, {}",
            count(self.minima, "minimum", "minima"),
            count(
                self.transition_states,
                "transition state",
                "transition states"
            )
        )
    }
}

/// What a resumed run skipped, reported when the run ends.
#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
pub struct Skipped {
    /// Stages finished by an earlier run.
    pub stages: usize,
    /// Units of work (chains, batches, connection attempts) committed by an earlier run.
    pub units: usize,
}

/// The run's progress: a bar, lines or nothing.
pub struct Progress {
    mode: Mode,
    bar: ProgressBar,
    state: Arc<Mutex<State>>,
    skipped: Mutex<Skipped>,
    heartbeat: Option<(Sender<()>, JoinHandle<()>)>,
}

impl Progress {
    /// Progress of a run over `plan`, shown as `mode` says.
    pub fn new(mode: Mode, plan: Plan, settings: LineSettings) -> Self {
        let target = if mode == Mode::Bar {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let total = (plan.indices.len() * plan.stages.max(1)) as u64 * TICKS_PER_STAGE;
        let bar = ProgressBar::with_draw_target(Some(total), target);
        let style = ProgressStyle::with_template(
            "{prefix} [{bar:28}] {percent:>3}% {elapsed_precise} {msg}",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        let state = Arc::new(Mutex::new(State {
            plan,
            started: Some(Instant::now()),
            ..State::default()
        }));
        let heartbeat = (mode == Mode::Lines).then(|| {
            let (send, receive) = std::sync::mpsc::channel();
            let shared = Arc::clone(&state);
            let every = settings.heartbeat;
            let handle = std::thread::spawn(move || beat(&shared, &receive, every));
            (send, handle)
        });
        Self {
            mode,
            bar,
            state,
            skipped: Mutex::new(Skipped::default()),
            heartbeat,
        }
    }

    /// Clears the bar and stops the heartbeat.
    pub fn finish(&mut self) {
        self.bar.finish_and_clear();
        if let Some((send, handle)) = self.heartbeat.take() {
            drop(send);
            let _ = handle.join();
        }
    }

    /// What the run skipped because an earlier run had done it.
    pub fn skipped(&self) -> Skipped {
        *lock(&self.skipped)
    }

    /// A line for the log only: the bar shows the same as it goes.
    fn log(&self, text: &str) {
        if self.mode == Mode::Lines {
            self.say(text);
        }
    }

    /// A line of its own: timestamped in line mode, above the bar on a terminal.
    fn say(&self, text: &str) {
        match self.mode {
            Mode::Quiet => {}
            Mode::Bar => self.bar.println(text),
            Mode::Lines => eprintln!("{} {text}", stamp(SystemTime::now())),
        }
    }

    /// A saturation round starts with a fixed number of units: the counter then reads
    /// `saturate round R/MAX DONE/UNITS`. For the runner's per-round event.
    pub fn round_started(&self, round: usize, max_rounds: usize, units: usize) {
        let mut state = lock(&self.state);
        if let Some(c) = state.current.as_mut() {
            c.round = Some((round, max_rounds));
            c.units = units;
            c.done = 0;
        }
        drop(state);
        self.redraw();
    }

    fn redraw(&self) {
        if self.mode != Mode::Bar {
            return;
        }
        let state = lock(&self.state);
        let Some(c) = state.current.as_ref() else {
            return;
        };
        let stages = state.plan.stages.max(1);
        let position = state
            .plan
            .indices
            .iter()
            .position(|&i| i == c.index)
            .unwrap_or(0);
        let within = match c.stage {
            None => 0,
            Some(Stage::Connect | Stage::Saturate) if c.round.is_none() => 0,
            _ if c.units == 0 || c.slot >= stages => 0,
            _ => (c.done.min(c.units) as u64 * TICKS_PER_STAGE) / c.units as u64,
        };
        let slot = (position * stages + c.slot.min(stages)) as u64;
        self.bar.set_position(slot * TICKS_PER_STAGE + within);
        self.bar.set_prefix(c.label.clone());
        let eta = eta_text(&state)
            .map(|e| format!(" (ETA {e})"))
            .unwrap_or_default();
        self.bar
            .set_message(format!("{}{eta} · {}", c.counter(), c.counts()));
    }

    /// The line for a stage that ended (the next one started, or the landscape finished).
    fn stage_finished(&self, c: &Current) -> Option<String> {
        let stage = c.stage?;
        if c.done == 0 {
            return Some(format!(
                "{} {} finished: no unit left to do",
                c.label,
                stage.name()
            ));
        }
        Some(format!(
            "{} {} finished: {} unit(s) in {}; {}",
            c.label,
            stage.name(),
            c.done,
            duration(c.stage_started.elapsed().as_secs_f64()),
            c.counts()
        ))
    }
}

/// The ETA of the whole run as text, or `None` without a basis.
fn eta_text(state: &State) -> Option<String> {
    let current = state.current.as_ref();
    let in_hand = current.map(|c| c.index);
    let started_or_done = state.finished + usize::from(current.is_some());
    let left: Vec<f64> = state
        .plan
        .indices
        .iter()
        .skip(started_or_done)
        .filter(|&&i| Some(i) != in_hand)
        .filter_map(|&i| state.plan.sizes.get(i).copied())
        .collect();
    let now = current.and_then(|c| {
        state
            .plan
            .sizes
            .get(c.index)
            .map(|&s| (s, c.started.elapsed().as_secs_f64()))
    });
    state.estimator.remaining(now, &left).map(duration)
}

/// Prints a heartbeat every `every` until the sender goes.
fn beat(state: &Mutex<State>, stop: &Receiver<()>, every: Duration) {
    loop {
        match stop.recv_timeout(every) {
            Err(RecvTimeoutError::Timeout) => {}
            _ => return,
        }
        eprintln!("{}", heartbeat_line(&lock(state), SystemTime::now()));
    }
}

/// A heartbeat: the landscape and stage in hand with its counts, landscapes done, time elapsed
/// and the ETA where there is a basis.
fn heartbeat_line(state: &State, now: SystemTime) -> String {
    let elapsed = state
        .started
        .map(|s| s.elapsed().as_secs_f64())
        .unwrap_or_default();
    let eta = eta_text(state)
        .map(|e| format!(", ETA {e}"))
        .unwrap_or_default();
    let what = state
        .current
        .as_ref()
        .map(|c| format!("{} {} · {}; ", c.label, c.counter(), c.counts()))
        .unwrap_or_default();
    format!(
        "{} heartbeat: {what}{} of {} landscape(s) done, elapsed {}{eta}",
        stamp(now),
        state.finished,
        state.plan.indices.len(),
        duration(elapsed)
    )
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `1 minimum`, `6 minima`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Seconds as `H:MM:SS`, with days beyond a day (`2d 03:04:05`).
fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    let (d, h, m, s) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    if d > 0 {
        format!("{d}d {h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// UTC wall-clock time as `YYYY-MM-DD HH:MM:SSZ`.
fn stamp(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_date(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}Z",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// The proleptic Gregorian (year, month, day) of a count of days since 1970-01-01: counted
/// in 400-year eras (146 097 days each) of years that start on 1 March, so the leap day is
/// the last day of its year.
fn civil_date(days: i64) -> (i64, u32, u32) {
    // Days since 0000-03-01.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months from March, 153 days per 5 months.
    let m = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * m + 2) / 5 + 1) as u32;
    let month = if m < 10 { m + 3 } else { m - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl Observer for Progress {
    fn event(&self, event: &Event<'_>) {
        match event {
            Event::LandscapeStarted { key, index, total } => {
                let now = Instant::now();
                let label = format!("[{}/{}] {key}", index + 1, total);
                let mut state = lock(&self.state);
                let size = state.plan.sizes.get(*index).copied();
                state.current = Some(Current {
                    label: label.clone(),
                    index: *index,
                    slot: 0,
                    passed: 0,
                    stage: None,
                    stage_started: now,
                    units: 0,
                    done: 0,
                    round: None,
                    minima: 0,
                    transition_states: 0,
                    started: now,
                    resumed: false,
                });
                drop(state);
                let size = size
                    .map(|s| format!(" ({s} parameters)"))
                    .unwrap_or_default();
                self.log(&format!("{label} started{size}"));
            }
            Event::StageSkipped { stage, .. } => {
                lock(&self.skipped).stages += 1;
                let mut state = lock(&self.state);
                let ended = state.current.as_ref().and_then(|c| self.stage_finished(c));
                let mut line = None;
                if let Some(c) = state.current.as_mut() {
                    c.resumed = true;
                    c.passed += 1;
                    c.slot = c.passed;
                    c.stage = None;
                    line = Some(format!(
                        "{} {} skipped: finished by an earlier run",
                        c.label,
                        stage.name()
                    ));
                }
                drop(state);
                for l in [ended, line].into_iter().flatten() {
                    self.log(&l);
                }
            }
            Event::StageStarted {
                stage,
                units,
                already_done,
                ..
            } => {
                lock(&self.skipped).units += already_done;
                let mut state = lock(&self.state);
                let ended = state.current.as_ref().and_then(|c| self.stage_finished(c));
                if let Some(c) = state.current.as_mut() {
                    c.slot = c.passed;
                    c.passed += 1;
                    c.resumed |= *already_done > 0;
                    c.stage = Some(*stage);
                    c.stage_started = Instant::now();
                    c.units = *units;
                    c.done = 0;
                    c.round = None;
                }
                drop(state);
                if let Some(line) = ended {
                    self.log(&line);
                }
            }
            Event::RoundStarted {
                round,
                max_rounds,
                units,
                ..
            } => self.round_started(*round, *max_rounds, *units),
            Event::UnitCommitted {
                minima,
                transition_states,
                ..
            } => {
                let mut state = lock(&self.state);
                if let Some(c) = state.current.as_mut() {
                    c.done += 1;
                    if c.round.is_none()
                        && !matches!(c.stage, Some(Stage::Connect | Stage::Saturate))
                    {
                        c.units = c.units.max(c.done);
                    }
                    c.minima = *minima;
                    c.transition_states = *transition_states;
                }
            }
            Event::LandscapeFinished(s) => {
                let mut state = lock(&self.state);
                let ended = state.current.as_ref().and_then(|c| self.stage_finished(c));
                let mut line = None;
                if let Some(c) = state.current.take() {
                    let seconds = c.started.elapsed().as_secs_f64();
                    if !c.resumed
                        && let Some(&size) = state.plan.sizes.get(c.index)
                    {
                        state.estimator.record(size, seconds);
                    }
                    state.finished += 1;
                    let eta = if state.finished < state.plan.indices.len() {
                        eta_text(&state)
                            .map(|e| format!("; ETA {e} for the rest"))
                            .unwrap_or_default()
                    } else {
                        String::new()
                    };
                    line = Some(format!(
                        "{} finished in {}: {} ({} by energy), {} ({} degenerate), {} component(s){eta}",
                        c.label,
                        duration(seconds),
                        count(s.counts.minima_by_structure, "minimum", "minima"),
                        s.counts.minima_by_energy,
                        count(
                            s.counts.transition_states,
                            "transition state",
                            "transition states"
                        ),
                        s.counts.degenerate_ts,
                        s.counts.components
                    ));
                    // The bar stands at the end of the landscape's slots.
                    let stages = state.plan.stages.max(1);
                    let position = state
                        .plan
                        .indices
                        .iter()
                        .position(|&i| i == c.index)
                        .map_or(0, |p| p + 1);
                    self.bar
                        .set_position((position * stages) as u64 * TICKS_PER_STAGE);
                }
                drop(state);
                if let Some(l) = ended {
                    self.log(&l);
                }
                if let Some(l) = line {
                    self.say(&l);
                }
                return;
            }
        }
        self.redraw();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use losscape_experiment::Stage;

    /// Per-landscape (parameters, seconds) of the quick sweep, recorded from this progress
    /// output (debug build, 2 loaded cores, `--threads 0`).
    const QUICK_SWEEP: [(f64, f64); 4] = [(12.0, 7.0), (12.0, 8.0), (17.0, 20.0), (17.0, 55.0)];

    /// A sweep of the paper's shape (n_h 2..6, five λ each, cheap at large λ and dear at small
    /// λ, the cost growing steeply with size), to exercise the extrapolation across sizes.
    fn paper_like() -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        for h in 2..=6 {
            let size = (4 * h + 1) as f64;
            for (l, weight) in [0.05, 0.3, 1.0, 2.0, 4.0].into_iter().enumerate() {
                let wobble = 1.0 + 0.3 * ((h * 7 + l * 3) % 5) as f64 / 4.0;
                out.push((size, 3.0 * weight * wobble * (size / 9.0).powf(2.6)));
            }
        }
        out
    }

    /// Replays `trace`: once a landscape has finished, the ETA (at every landscape's start, and
    /// at a quarter, half and all of its recorded time) plus the time elapsed never exceeds 3×
    /// the measured total; before one has finished there is none.
    fn replay(trace: &[(f64, f64)]) {
        let total: f64 = trace.iter().map(|&(_, t)| t).sum();
        let mut e = Estimator::default();
        let mut elapsed = 0.0;
        for (k, &(size, seconds)) in trace.iter().enumerate() {
            let left: Vec<f64> = trace[k + 1..].iter().map(|&(s, _)| s).collect();
            for fraction in [0.0, 0.25, 0.5, 1.0] {
                let eta = e.remaining(Some((size, fraction * seconds)), &left);
                if k == 0 {
                    assert_eq!(eta, None, "no basis before a landscape finished");
                    continue;
                }
                if let Some(eta) = eta {
                    assert!(eta >= 0.0);
                    let predicted = elapsed + fraction * seconds + eta;
                    assert!(
                        predicted <= 3.0 * total,
                        "landscape {k} at {fraction}: predicted total {predicted:.0} s, measured {total:.0} s"
                    );
                }
            }
            e.record(size, seconds);
            elapsed += seconds;
        }
    }

    #[test]
    fn the_eta_stays_within_three_times_the_measured_total() {
        replay(&QUICK_SWEEP);
        replay(&paper_like());
    }

    #[test]
    fn the_estimator_scales_by_size_and_says_when_it_has_no_basis() {
        let mut e = Estimator::default();
        assert_eq!(e.remaining(None, &[10.0]), None);
        e.record(10.0, 4.0);
        // One size: the default exponent 2.
        assert!((e.predict(20.0).unwrap() - 16.0).abs() < 1e-9);
        assert!((e.remaining(Some((10.0, 1.0)), &[10.0]).unwrap() - 7.0).abs() < 1e-9);
        // Past its prediction, the landscape in hand leaves no basis.
        assert_eq!(e.remaining(Some((10.0, 5.0)), &[]), None);
        // Two sizes: the fitted exponent (here 1, the lower bound of the range).
        e.record(20.0, 8.0);
        assert!((e.predict(40.0).unwrap() - 16.0).abs() < 1e-9);
        // An absurd pair is kept within the range: 3 at most.
        let mut wild = Estimator::default();
        wild.record(10.0, 1.0);
        wild.record(11.0, 1000.0);
        assert!(wild.predict(22.0).unwrap() <= 1000.0 * 2f64.powi(3) + 1e-6);
    }

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        let at = |secs: u64| stamp(SystemTime::UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "1970-01-01 00:00:00Z");
        assert_eq!(at(951_782_400), "2000-02-29 00:00:00Z");
        assert_eq!(at(1_709_164_799), "2024-02-28 23:59:59Z");
        assert_eq!(at(1_735_689_600 + 3_723), "2025-01-01 01:02:03Z");
        assert_eq!(at(4_107_542_400), "2100-03-01 00:00:00Z");
        assert_eq!(duration(3_723.4), "01:02:03");
        assert_eq!(duration(2.0 * 86_400.0 + 5.0), "2d 00:00:05");
    }

    #[test]
    fn counts_read_as_words() {
        assert_eq!(count(6, "minimum", "minima"), "6 minima");
        assert_eq!(count(1, "minimum", "minima"), "1 minimum");
    }

    fn plan() -> Plan {
        Plan {
            sizes: vec![9.0, 9.0],
            indices: vec![0, 1],
            stages: 2,
        }
    }

    #[test]
    fn the_bar_advances_over_the_whole_sweep_and_counts_what_was_skipped() {
        let mut p = Progress::new(Mode::Quiet, plan(), LineSettings::default());
        p.mode = Mode::Bar; // positions are computed; the bar is hidden
        let total = p.bar.length().unwrap();
        assert_eq!(total, 4 * TICKS_PER_STAGE);
        p.event(&Event::LandscapeStarted {
            key: "a",
            index: 0,
            total: 2,
        });
        p.event(&Event::StageStarted {
            key: "a",
            stage: Stage::BasinHopping,
            units: 4,
            already_done: 3,
        });
        p.event(&Event::UnitCommitted {
            stage: Stage::BasinHopping,
            minima: 6,
            transition_states: 0,
        });
        assert_eq!(p.bar.position(), TICKS_PER_STAGE / 4);
        assert!(p.bar.message().contains("basin_hopping 1/4"));
        assert!(!p.bar.message().contains("ETA"), "no basis yet");
        p.event(&Event::StageSkipped {
            key: "a",
            stage: Stage::Connect,
        });
        p.event(&Event::LandscapeStarted {
            key: "b",
            index: 1,
            total: 2,
        });
        p.event(&Event::StageStarted {
            key: "b",
            stage: Stage::BasinHopping,
            units: 2,
            already_done: 0,
        });
        assert_eq!(p.bar.position(), 2 * TICKS_PER_STAGE, "second landscape");
        p.event(&Event::StageStarted {
            key: "b",
            stage: Stage::Connect,
            units: 1,
            already_done: 0,
        });
        p.event(&Event::UnitCommitted {
            stage: Stage::Connect,
            minima: 6,
            transition_states: 5,
        });
        // Connection work grows as minima appear: no total that the count outgrows.
        assert!(
            p.bar
                .message()
                .contains("connect 1 unit(s) done · 6 minima, 5 transition states"),
            "{}",
            p.bar.message()
        );
        assert_eq!(
            p.skipped(),
            Skipped {
                stages: 1,
                units: 3
            }
        );
        p.finish();
    }

    #[test]
    fn a_heartbeat_names_the_work_in_hand_and_what_is_done() {
        let mut p = Progress::new(Mode::Quiet, plan(), LineSettings::default());
        p.event(&Event::LandscapeStarted {
            key: "h2-l1e-2",
            index: 0,
            total: 2,
        });
        p.event(&Event::StageStarted {
            key: "h2-l1e-2",
            stage: Stage::Census,
            units: 32,
            already_done: 0,
        });
        for _ in 0..5 {
            p.event(&Event::UnitCommitted {
                stage: Stage::Census,
                minima: 4,
                transition_states: 9,
            });
        }
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_735_689_600);
        let line = heartbeat_line(&lock(&p.state), at);
        assert!(
            line.starts_with(
                "2025-01-01 00:00:00Z heartbeat: [1/2] h2-l1e-2 census 5/32 · 4 minima, 9 transition states; 0 of 2 landscape(s) done, elapsed 00:00:00"
            ),
            "{line}"
        );
        assert!(!line.contains("ETA"), "no basis: {line}");
        p.finish();
    }

    #[test]
    fn a_saturation_round_has_a_fixed_total() {
        let mut p = Progress::new(Mode::Quiet, plan(), LineSettings::default());
        p.mode = Mode::Bar;
        p.event(&Event::LandscapeStarted {
            key: "a",
            index: 0,
            total: 2,
        });
        p.event(&Event::StageStarted {
            key: "a",
            stage: Stage::Saturate,
            units: 8,
            already_done: 0,
        });
        for _ in 0..12 {
            p.event(&Event::UnitCommitted {
                stage: Stage::Saturate,
                minima: 3,
                transition_states: 2,
            });
        }
        assert!(p.bar.message().contains("saturate 12 unit(s) done"));
        p.round_started(1, 8, 40);
        p.event(&Event::UnitCommitted {
            stage: Stage::Saturate,
            minima: 3,
            transition_states: 2,
        });
        assert!(
            p.bar.message().contains("saturate round 2/8 1/40"),
            "{}",
            p.bar.message()
        );
        p.finish();
    }
}
