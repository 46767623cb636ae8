//! `manifest.json`: how a result was made (tool version, scenario text and hash, seed, trials,
//! threads, clock). Everything that may differ between identical runs lives here, not in
//! `summary.json`.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The provenance of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// Always `tokencast`.
    pub tool: &'static str,
    /// Crate version.
    pub version: &'static str,
    /// Scenario file as given on the command line.
    pub scenario_path: String,
    /// Scenario name.
    pub scenario_name: String,
    /// SHA-256 of the scenario text, hex.
    pub scenario_sha256: String,
    /// The scenario text, in full.
    pub scenario_text: String,
    /// Seed.
    pub seed: u64,
    /// Trials.
    pub trials: u64,
    /// Worker threads used.
    pub threads: usize,
    /// Start time, UTC, ISO 8601.
    pub started_at: String,
    /// Wall time of the run in seconds.
    pub wall_time_seconds: f64,
    /// Files written beside the manifest.
    pub files: Vec<String>,
}

/// Hex SHA-256 of a text.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A time as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn iso8601_utc(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil-from-days algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + (month <= 2) as i64;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn iso_dates_match_known_instants() {
        assert_eq!(iso8601_utc(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            iso8601_utc(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            iso8601_utc(UNIX_EPOCH + Duration::from_secs(1_795_450_000)),
            "2026-11-23T16:06:40Z"
        );
    }

    #[test]
    fn sha256_of_abc() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
