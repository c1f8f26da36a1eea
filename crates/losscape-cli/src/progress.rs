//! Progress of `losscape run`, fed by the runner's events: one bar for the whole sweep with an
//! ETA, naming the current landscape and stage, and a line per finished landscape. Silent with
//! `--quiet`; indicatif hides the bar when stderr is not a terminal.

use std::cell::RefCell;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use losscape_experiment::{Event, Observer};

/// Bar positions per (landscape, stage) slot: stages advance the bar in fine steps.
const TICKS_PER_STAGE: u64 = 1000;

/// What the bar knows about the stage in hand.
#[derive(Default)]
struct Current {
    landscape: String,
    /// 0-based index of the landscape in the grid.
    index: usize,
    /// 0-based position of the stage within the landscape's stages.
    slot: usize,
    stage: &'static str,
    units: usize,
    done: usize,
    minima: usize,
    transition_states: usize,
}

/// What a resumed run skipped, reported when the run ends.
#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
pub struct Skipped {
    /// Stages finished by an earlier run.
    pub stages: usize,
    /// Units of work (chains, batches, connection attempts) committed by an earlier run.
    pub units: usize,
}

/// The sweep's progress bar.
pub struct Bars {
    quiet: bool,
    stages_per_landscape: usize,
    bar: ProgressBar,
    current: RefCell<Current>,
    skipped: RefCell<Skipped>,
}

impl Bars {
    /// A bar for `landscapes` × `stages` slots that draws unless `quiet`.
    pub fn new(quiet: bool, landscapes: usize, stages: usize) -> Self {
        let target = if quiet {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        let total = (landscapes * stages.max(1)) as u64 * TICKS_PER_STAGE;
        let bar = ProgressBar::with_draw_target(Some(total), target);
        let style = ProgressStyle::with_template(
            "{prefix} [{bar:28}] {percent:>3}% {elapsed_precise} (ETA {eta_precise}) {msg}",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        Self {
            quiet,
            stages_per_landscape: stages.max(1),
            bar,
            current: RefCell::new(Current::default()),
            skipped: RefCell::new(Skipped::default()),
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// What the run skipped because an earlier run had done it.
    pub fn skipped(&self) -> Skipped {
        *self.skipped.borrow()
    }

    fn redraw(&self) {
        let c = self.current.borrow();
        let slot = (c.index * self.stages_per_landscape + c.slot) as u64;
        let within = if c.units == 0 || c.slot >= self.stages_per_landscape {
            0
        } else {
            (c.done.min(c.units) as u64 * TICKS_PER_STAGE) / c.units as u64
        };
        self.bar.set_position(slot * TICKS_PER_STAGE + within);
        self.bar.set_prefix(c.landscape.clone());
        self.bar.set_message(format!(
            "{} {}/{} · {}, {}",
            c.stage,
            c.done,
            c.units,
            count(c.minima, "minimum", "minima"),
            count(c.transition_states, "transition state", "transition states"),
        ));
    }
}

/// `1 minimum`, `6 minima`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Observer for Bars {
    fn event(&self, event: &Event<'_>) {
        match event {
            Event::LandscapeStarted { key, index, total } => {
                let mut c = self.current.borrow_mut();
                *c = Current {
                    landscape: format!("[{}/{}] {key}", index + 1, total),
                    index: *index,
                    stage: "starting",
                    ..Current::default()
                };
            }
            Event::StageSkipped { .. } => {
                self.skipped.borrow_mut().stages += 1;
                self.current.borrow_mut().slot += 1;
            }
            Event::StageStarted {
                stage,
                units,
                already_done,
                ..
            } => {
                self.skipped.borrow_mut().units += already_done;
                let mut c = self.current.borrow_mut();
                // A stage that starts right after another of the same landscape takes the next
                // slot; the first stage of a landscape takes slot 0.
                if c.stage != "starting" {
                    c.slot += 1;
                }
                c.stage = stage.name();
                c.units = *units;
                c.done = 0;
            }
            Event::UnitCommitted {
                minima,
                transition_states,
                ..
            } => {
                let mut c = self.current.borrow_mut();
                c.done += 1;
                // Connection work grows as new minima appear, so the length follows.
                c.units = c.units.max(c.done);
                c.minima = *minima;
                c.transition_states = *transition_states;
            }
            Event::LandscapeFinished(s) => {
                if !self.quiet {
                    let c = self.current.borrow();
                    self.bar.println(format!(
                        "{}: {} ({} by energy), {} ({} degenerate), {} component(s)",
                        c.landscape,
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
                }
                let mut c = self.current.borrow_mut();
                c.slot = self.stages_per_landscape; // the landscape's slots are all done
                c.stage = "done";
                drop(c);
                self.redraw();
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

    #[test]
    fn counts_read_as_words() {
        assert_eq!(count(6, "minimum", "minima"), "6 minima");
        assert_eq!(count(1, "minimum", "minima"), "1 minimum");
    }

    #[test]
    fn the_bar_advances_over_the_whole_sweep_and_counts_what_was_skipped() {
        let bars = Bars::new(true, 2, 2);
        let total = bars.bar.length().unwrap();
        assert_eq!(total, 4 * TICKS_PER_STAGE);
        bars.event(&Event::LandscapeStarted {
            key: "a",
            index: 0,
            total: 2,
        });
        bars.event(&Event::StageStarted {
            key: "a",
            stage: Stage::BasinHopping,
            units: 4,
            already_done: 3,
        });
        bars.event(&Event::UnitCommitted {
            stage: Stage::BasinHopping,
            minima: 6,
            transition_states: 0,
        });
        assert_eq!(bars.bar.position(), TICKS_PER_STAGE / 4);
        bars.event(&Event::StageSkipped {
            key: "a",
            stage: Stage::Connect,
        });
        bars.event(&Event::LandscapeStarted {
            key: "b",
            index: 1,
            total: 2,
        });
        bars.event(&Event::StageStarted {
            key: "b",
            stage: Stage::BasinHopping,
            units: 2,
            already_done: 0,
        });
        assert_eq!(bars.bar.position(), 2 * TICKS_PER_STAGE, "second landscape");
        bars.event(&Event::StageStarted {
            key: "b",
            stage: Stage::Connect,
            units: 1,
            already_done: 0,
        });
        bars.event(&Event::UnitCommitted {
            stage: Stage::Connect,
            minima: 6,
            transition_states: 5,
        });
        assert_eq!(bars.bar.position(), total, "done");
        assert!(
            bars.bar
                .message()
                .contains("connect 1/1 · 6 minima, 5 transition states")
        );
        assert_eq!(
            bars.skipped(),
            Skipped {
                stages: 1,
                units: 3
            }
        );
    }
}
