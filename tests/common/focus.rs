//! Reading FOCUS files in the export tests: rows as column name → cell, numeric cells, and
//! the forecast run both FOCUS test files use.

use std::collections::BTreeMap;

use tokencast::forecast::{Forecast, ForecastRun};

/// One row: column name → cell.
pub type Row = BTreeMap<String, String>;

/// The rows of a FOCUS CSV file, with its header.
pub fn rows_with_header(text: &str) -> (Vec<String>, Vec<Row>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect()
        })
        .collect();
    (header, rows)
}

/// The rows of a FOCUS CSV file.
pub fn rows(text: &str) -> Vec<Row> {
    rows_with_header(text).1
}

/// A numeric cell (panics with the row when it is not a number).
pub fn num(r: &Row, c: &str) -> f64 {
    r[c].parse()
        .unwrap_or_else(|_| panic!("{c} = {:?} in {r:?}", r[c]))
}

/// Loads a forecast text and runs it with seed 5 on two threads.
pub fn run(text: &str, trials: u64) -> (Forecast, ForecastRun) {
    let f = super::forecast::load(text, &[]);
    let r = super::forecast::run(&f, trials, 5, 2);
    (f, r)
}
