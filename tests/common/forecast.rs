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

/// A forecast from its text as if read from `file` (messages name it), or its error message.
pub fn try_load(file: &str, text: &str) -> Result<Forecast, String> {
    let stem = file.trim_end_matches(".toml");
    Forecast::from_text(file, stem, Path::new(DIR), text, &[], None, Some(1))
        .map_err(|e| e.to_string())
}

/// Runs a forecast with a seed on a number of threads.
pub fn run(f: &Forecast, trials: u64, seed: u64, threads: usize) -> ForecastRun {
    run_recording(f, trials, seed, threads, Record::FirstTrials)
}

/// [`run`], keeping per-trial series as `record` says.
pub fn run_recording(
    f: &Forecast,
    trials: u64,
    seed: u64,
    threads: usize,
    record: Record,
) -> ForecastRun {
    let config = ForecastConfig {
        trials,
        seed,
        threads: Some(threads),
        record,
    };
    simulate::run(&f.model, &config).unwrap()
}
