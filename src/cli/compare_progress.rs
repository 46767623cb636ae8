//! The progress bar of `compare`: on stderr when it is a terminal, shown only once the work has
//! run for a second (a quick comparison prints nothing), updated from the worker threads.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// How long the work runs before the bar appears.
const SHOW_AFTER: Duration = Duration::from_secs(1);

/// A bar that appears after [`SHOW_AFTER`].
pub struct DelayedBar {
    show: bool,
    total: u64,
    started: Instant,
    bar: Mutex<Option<ProgressBar>>,
}

impl DelayedBar {
    /// A bar of `total` steps if `show` (stderr is a terminal).
    pub fn new(show: bool, total: u64) -> Self {
        DelayedBar {
            show,
            total,
            started: Instant::now(),
            bar: Mutex::new(None),
        }
    }

    /// `done` steps are finished.
    pub fn set(&self, done: u64) {
        if !self.show || self.started.elapsed() < SHOW_AFTER {
            return;
        }
        let Ok(mut bar) = self.bar.lock() else {
            return;
        };
        let bar = bar.get_or_insert_with(|| {
            let bar = ProgressBar::new(self.total);
            if let Ok(style) =
                ProgressStyle::with_template("{bar:40} {percent:>3}% of the comparison  eta {eta}")
            {
                bar.set_style(style);
            }
            bar
        });
        if done > bar.position() {
            bar.set_position(done);
        }
    }

    /// Clears the bar if it was shown.
    pub fn finish(&self) {
        if let Ok(mut bar) = self.bar.lock()
            && let Some(bar) = bar.take()
        {
            bar.finish_and_clear();
        }
    }
}
