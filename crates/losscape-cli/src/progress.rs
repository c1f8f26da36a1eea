//! Progress bars for `losscape run`, fed by the runner's events.

use std::cell::RefCell;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use losscape_experiment::{Event, Observer};

/// One bar per stage of the current landscape; silent with `--quiet` or when stderr is not a
/// terminal (indicatif hides itself then).
pub struct Bars {
    quiet: bool,
    bar: RefCell<Option<ProgressBar>>,
    landscape: RefCell<String>,
}

impl Bars {
    /// Bars that draw unless `quiet`.
    pub fn new(quiet: bool) -> Self {
        Self {
            quiet,
            bar: RefCell::new(None),
            landscape: RefCell::new(String::new()),
        }
    }

    /// Clears the last bar.
    pub fn finish(&self) {
        if let Some(bar) = self.bar.borrow_mut().take() {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Bars {
    fn event(&self, event: &Event<'_>) {
        if self.quiet {
            return;
        }
        match event {
            Event::LandscapeStarted { key, index, total } => {
                *self.landscape.borrow_mut() = format!("[{}/{}] {key}", index + 1, total);
            }
            Event::StageStarted {
                stage,
                units,
                already_done,
                ..
            } => {
                self.finish();
                let bar = ProgressBar::with_draw_target(
                    Some(*units as u64),
                    ProgressDrawTarget::stderr(),
                );
                let style = ProgressStyle::with_template(
                    "{prefix:>22} {msg:<24} [{bar:30}] {pos}/{len} {elapsed_precise}",
                )
                .map(|s| s.progress_chars("=> "))
                .unwrap_or_else(|_| ProgressStyle::default_bar());
                bar.set_style(style);
                bar.set_prefix(self.landscape.borrow().clone());
                let resumed = if *already_done > 0 {
                    format!(" (+{already_done} done)")
                } else {
                    String::new()
                };
                bar.set_message(format!("{}{resumed}", stage.name()));
                *self.bar.borrow_mut() = Some(bar);
            }
            Event::UnitCommitted {
                stage,
                minima,
                transition_states,
            } => {
                if let Some(bar) = self.bar.borrow().as_ref() {
                    bar.inc(1);
                    // Connection work grows as new minima appear, so the length follows.
                    bar.set_length(bar.length().unwrap_or(0).max(bar.position()));
                    bar.set_message(format!("{} {minima}m {transition_states}ts", stage.name()));
                }
            }
            Event::LandscapeFinished(s) => {
                self.finish();
                eprintln!(
                    "{:>22} {} minima, {} transition states, {} component(s)",
                    self.landscape.borrow(),
                    s.minima_by_structure,
                    s.transition_states,
                    s.components
                );
            }
        }
    }
}
