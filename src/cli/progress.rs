//! The run observer of the command line: a progress bar on stderr and the per-trial CSV.

use indicatif::{ProgressBar, ProgressStyle};
use tokencast::engine::{Observer, TrialBlock};
use tokencast::report::TrialCsvWriter;

/// Shows progress and streams per-trial rows.
pub struct CliObserver {
    bar: Option<ProgressBar>,
    csv: Option<TrialCsvWriter>,
}

impl CliObserver {
    /// A bar if `show` (stderr is a terminal), and a CSV writer if per-trial output is on.
    pub fn new(show: bool, total: u64, csv: Option<TrialCsvWriter>) -> Self {
        let bar = show.then(|| {
            let bar = ProgressBar::new(total);
            if let Ok(style) = ProgressStyle::with_template(
                "{bar:40} {human_pos}/{human_len} trials  {per_sec}  eta {eta}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        CliObserver { bar, csv }
    }

    /// Clears the bar and hands back the CSV writer for committing.
    pub fn finish(self) -> Option<TrialCsvWriter> {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
        self.csv
    }
}

impl Observer for CliObserver {
    fn progress(&mut self, done: u64, _total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
    }

    fn wants_trials(&self) -> bool {
        self.csv.is_some()
    }

    fn trials(&mut self, block: &TrialBlock) -> Result<(), String> {
        match &mut self.csv {
            Some(csv) => csv
                .write_block(block)
                .map_err(|e| format!("cannot write trials.csv: {e}")),
            None => Ok(()),
        }
    }
}
