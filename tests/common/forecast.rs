//! Loading and running small test organisations (`tests/forecasts/`).

use std::path::Path;

use tokencast::forecast::{Forecast, ForecastConfig, ForecastRun, Override, Record, simulate};

/// Where the test organisations' task files live.
pub const DIR: &str = "tests/forecasts";

/// A forecast from its text, with `--set` overrides, resolving task files in [`DIR`].
pub fn load(text: &str, sets: &[&str]) -> Forecast {
    let sets: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
    Forecast::from_text("t.toml", "t", Path::new(DIR), text, &sets, None, Some(1))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Runs a forecast with a seed on a number of threads.
pub fn run(f: &Forecast, trials: u64, seed: u64, threads: usize) -> ForecastRun {
    let config = ForecastConfig {
        trials,
        seed,
        threads: Some(threads),
        record: Record::FirstTrials,
    };
    simulate::run(&f.model, &config).unwrap()
}
