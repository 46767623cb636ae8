//! `tokencast calibrate-org`: the organisation fitted from per-user, per-day activity.
//!
//! The round trip: activity drawn here from a known organisation (the forecast's model, written
//! out independently of the fit: seats on a logistic curve, each seat active with probability
//! `a`, a log-normal monthly intensity, negative-binomial tasks per working day as a
//! gamma–Poisson mixture) is fitted back, and every input must be within 3 standard errors of
//! its true value.

mod common;

use std::fmt::Write as _;
use std::path::Path;

use assert_cmd::Command;
use rand_distr::{Distribution, Gamma, Poisson, StandardNormal};
use tokencast::calibrate::org::{self, Activity, SeatsFit};
use tokencast::engine::trial_rng;
use tokencast::forecast::calendar::YearMonth;

/// The organisation the history is drawn from.
struct Truth {
    capacity: f64,
    midpoint: f64,
    rate: f64,
    active_share: f64,
    tasks_per_day: f64,
    dispersion: f64,
    sigma: f64,
}

const TRUTH: Truth = Truth {
    capacity: 240.0,
    midpoint: 5.0,
    rate: 0.6,
    active_share: 0.7,
    tasks_per_day: 3.0,
    dispersion: 1.5,
    sigma: 0.8,
};

/// `months` months of activity from 2026-01 (`date,user,tasks` rows for days with a task) and
/// the seats CSV.
fn history(truth: &Truth, months: u32, seed: u64) -> (String, String) {
    let start = YearMonth::parse("2026-01").unwrap();
    let mut activity = String::from("date,user,tasks\n");
    let mut seats_csv = String::from("month,seats\n");
    for m in 0..months {
        let month = start.plus(m);
        let t = m as f64 + 1.0;
        let seats =
            (truth.capacity / (1.0 + (-truth.rate * (t - truth.midpoint)).exp())).round() as u64;
        writeln!(seats_csv, "{month},{seats}").unwrap();
        let mut rng = trial_rng(seed, m as u64);
        for user in 0..seats {
            let u: f64 = rand::RngExt::random(&mut rng);
            if u >= truth.active_share {
                continue;
            }
            let z: f64 = StandardNormal.sample(&mut rng);
            let lambda = (truth.sigma * z - 0.5 * truth.sigma * truth.sigma).exp();
            let mean = truth.tasks_per_day * lambda;
            for day in 1..=month.days() {
                let date = format!("{month}-{day:02}");
                let weekday = tokencast::forecast::calendar::parse_date(&date).unwrap().2;
                if !weekday {
                    continue;
                }
                let rate = Gamma::new(truth.dispersion, mean / truth.dispersion)
                    .unwrap()
                    .sample(&mut rng);
                let n = if rate > 0.0 {
                    Poisson::new(rate).unwrap().sample(&mut rng) as u64
                } else {
                    0
                };
                if n > 0 {
                    writeln!(activity, "{date},dev-{user:04},{n}").unwrap();
                }
            }
        }
    }
    (activity, seats_csv)
}

fn within_3_se(name: &str, e: org::Estimate, truth: f64) {
    assert!(e.se.is_finite() && e.se > 0.0, "{name}: no SE {e:?}");
    let z = (e.value - truth) / e.se;
    assert!(
        z.abs() <= 3.0,
        "{name}: {e:?} vs truth {truth} (z = {z:.2})"
    );
    eprintln!(
        "{name}: {:.4} ± {:.4} (truth {truth}, z = {z:.2})",
        e.value, e.se
    );
}

#[test]
fn the_organisation_is_recovered_within_3_se() {
    let seed = std::env::var("ORG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x0a6);
    let (activity, seats) = history(&TRUTH, 12, seed);
    let a = Activity::from_csv("activity.csv", &activity).unwrap();
    let seats = org::read_seats("seats.csv", &seats, &a).unwrap();
    let usage = org::fit_usage(&a, &seats).unwrap();
    within_3_se("active share", usage.active_share, TRUTH.active_share);
    within_3_se("tasks per day", usage.tasks_per_day, TRUTH.tasks_per_day);
    within_3_se("dispersion", usage.dispersion.unwrap(), TRUTH.dispersion);
    within_3_se(
        "intensity sigma",
        usage.intensity_sigma.unwrap(),
        TRUTH.sigma,
    );
    let SeatsFit::Logistic {
        capacity,
        midpoint,
        rate,
        ..
    } = org::fit_seats(&seats)
    else {
        panic!("no seats curve")
    };
    within_3_se("capacity", capacity, TRUTH.capacity);
    within_3_se("midpoint", midpoint, TRUTH.midpoint);
    within_3_se("rate", rate, TRUTH.rate);
}

#[test]
fn a_poisson_organisation_without_spread_is_fitted_as_such() {
    // Dispersion 10^6 and σ = 0 (every user alike, Poisson days): the fit omits both, or
    // states them within 3 SE of the boundary.
    let truth = Truth {
        dispersion: 1e6,
        sigma: 1e-9,
        ..TRUTH
    };
    let (activity, seats) = history(&truth, 8, 7);
    let a = Activity::from_csv("activity.csv", &activity).unwrap();
    let seats = org::read_seats("seats.csv", &seats, &a).unwrap();
    let usage = org::fit_usage(&a, &seats).unwrap();
    within_3_se("active share", usage.active_share, truth.active_share);
    within_3_se("tasks per day", usage.tasks_per_day, truth.tasks_per_day);
    if let Some(k) = usage.dispersion {
        assert!(k.value > 50.0, "{k:?}");
    }
    if let Some(s) = usage.intensity_sigma {
        assert!(s.value < 3.0 * s.se + 0.02, "{s:?}");
    }
}

fn tokencast() -> Command {
    Command::cargo_bin("tokencast").unwrap()
}

fn write_history(dir: &Path) {
    let (activity, seats) = history(&TRUTH, 12, 0x0a6);
    std::fs::write(dir.join("activity.csv"), activity).unwrap();
    std::fs::write(dir.join("seats.csv"), seats).unwrap();
}

#[test]
fn calibrate_org_writes_a_forecast_that_runs() {
    let dir = tempfile::tempdir().unwrap();
    write_history(dir.path());
    let scenario =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference-coding-task.toml");
    let out = dir.path().join("plans/org.toml");
    let report = dir.path().join("report");
    let assert = tokencast()
        .current_dir(dir.path())
        .args([
            "calibrate-org",
            "activity.csv",
            "--seats",
            "seats.csv",
            "--months",
            "6",
        ])
        .arg("--task")
        .arg(format!("bug fix={}", scenario.display()))
        .arg("-o")
        .arg(&out)
        .arg("--report")
        .arg(&report)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(stdout.contains("active share"), "{stdout}");
    assert!(
        stdout.contains("tasks per active user per working day"),
        "{stdout}"
    );
    let text = std::fs::read_to_string(&out).unwrap();
    // The forecast starts the month after the history, and its curve is shifted to it.
    assert!(text.contains("start = \"2027-01\""), "{text}");
    assert!(text.contains("months = 6"), "{text}");
    assert!(text.contains("# active share: 0."), "{text}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("fit.json")).unwrap()).unwrap();
    assert_eq!(json["history"]["months"].as_array().unwrap().len(), 12);
    tokencast().arg("validate").arg(&out).assert().success();
    tokencast()
        .arg("forecast")
        .arg(&out)
        .args(["-n", "40", "--no-stress", "-o"])
        .arg(dir.path().join("fc"))
        .assert()
        .success();
}

#[test]
fn calibrate_org_refuses_bad_input_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.csv"),
        "date,user,tasks\n2026-01-05,ann,2\n2026-01-06,ann,x\n",
    )
    .unwrap();
    let out = dir.path().join("org.toml");
    let scenario =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference-coding-task.toml");
    let assert = tokencast()
        .current_dir(dir.path())
        .args(["calibrate-org", "a.csv", "--task"])
        .arg(format!("t={}", scenario.display()))
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("a.csv:3: tasks: expected a whole number"),
        "{stderr}"
    );
    assert!(!out.exists());
    let assert = tokencast()
        .current_dir(dir.path())
        .args(["calibrate-org", "a.csv", "--task", "t=missing.toml", "-o"])
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("--task t: the scenario missing.toml is not a file"),
        "{stderr}"
    );
    // Several task kinds need a `kind` column to weigh them.
    write_history(dir.path());
    let assert = tokencast()
        .current_dir(dir.path())
        .args(["calibrate-org", "activity.csv"])
        .arg("--task")
        .arg(format!("a={}", scenario.display()))
        .arg("--task")
        .arg(format!("b={}", scenario.display()))
        .arg("-o")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("kind"), "{stderr}");
    assert!(!out.exists());
}

/// The bundled sample (`examples/calibrate/org/`) is this history; `TOKENCAST_BLESS=1` writes it
/// again. It must fit to its truth as the round trip does.
#[test]
fn the_bundled_sample_fits_to_its_truth() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/calibrate/org");
    if std::env::var_os("TOKENCAST_BLESS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        write_history(&dir);
    }
    let activity = std::fs::read_to_string(dir.join("activity.csv")).unwrap();
    let seats = std::fs::read_to_string(dir.join("seats.csv")).unwrap();
    let a = Activity::from_csv("activity.csv", &activity).unwrap();
    let seats = org::read_seats("seats.csv", &seats, &a).unwrap();
    let usage = org::fit_usage(&a, &seats).unwrap();
    within_3_se("active share", usage.active_share, TRUTH.active_share);
    within_3_se("tasks per day", usage.tasks_per_day, TRUTH.tasks_per_day);
}

#[test]
fn otlp_spans_naming_their_user_are_activity() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = dir.path().join("otlp.toml");
    let assert = tokencast()
        .arg("calibrate-org")
        .arg(repo.join("examples/calibrate/otlp/spans.json"))
        .arg("--task")
        .arg(format!(
            "chat={}",
            repo.join("scenarios/reference-coding-task.toml").display()
        ))
        .arg("-o")
        .arg(&out)
        .arg("--report")
        .arg(dir.path().join("rep"))
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    // The sample's 10 conversations by 4 users on one day: one month, seats held flat.
    assert!(
        stdout.contains("organisation fitted to 1 month (2025-11-24 to 2025-11-24), 10 tasks"),
        "{stdout}"
    );
    assert!(stdout.contains("4 held flat"), "{stdout}");
    assert!(stderr.contains("no --seats"), "{stderr}");
    tokencast().arg("validate").arg(&out).assert().success();
    // Logs without users (a per-call CSV) are refused with what to give instead.
    let assert = tokencast()
        .arg("calibrate-org")
        .arg(repo.join("examples/calibrate/sample-calls.csv"))
        .arg("--task")
        .arg(format!(
            "chat={}",
            repo.join("scenarios/reference-coding-task.toml").display()
        ))
        .arg("-o")
        .arg(dir.path().join("none.toml"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("name no user or no time"), "{stderr}");
}

/// The back-test on histories with a drift (seats still growing through the held-out months):
/// over 8 histories of 12 months, 3 held out each, the forecast's P10–P90 and P5–P95 bands
/// cover the actual bills at their nominal rates within 3 binomial SE, and its CRPS beats both
/// baselines (a straight-line run rate, a bootstrap of past months). The tasks are the
/// zero-variance constant task ($0.0105), so a month's actual bill is exactly its tasks' cost.
#[test]
fn the_backtest_covers_at_nominal_rates_and_beats_the_baselines() {
    let truth = Truth {
        capacity: 150.0,
        midpoint: 8.0,
        rate: 0.45,
        ..TRUTH
    };
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let task = repo.join("tests/forecasts/constant-task.toml");
    let (mut in80, mut in90, mut months) = (0usize, 0usize, 0usize);
    let mut crps: std::collections::BTreeMap<String, f64> = Default::default();
    for seed in 1..=8u64 {
        let dir = tempfile::tempdir().unwrap();
        let (activity, seats) = history(&truth, 12, 1000 + seed);
        let mut tasks: std::collections::BTreeMap<String, u64> = Default::default();
        for line in activity.lines().skip(1) {
            let cols: Vec<&str> = line.split(',').collect();
            *tasks.entry(cols[0][..7].to_string()).or_default() += cols[2].parse::<u64>().unwrap();
        }
        let mut bills = String::from("month,cost\n");
        for (m, t) in &tasks {
            writeln!(bills, "{m},{}", *t as f64 * 0.0105).unwrap();
        }
        std::fs::write(dir.path().join("activity.csv"), activity).unwrap();
        std::fs::write(dir.path().join("seats.csv"), seats).unwrap();
        std::fs::write(dir.path().join("bills.csv"), bills).unwrap();
        tokencast()
            .current_dir(dir.path())
            .args([
                "calibrate-org",
                "activity.csv",
                "--seats",
                "seats.csv",
                "--backtest",
                "bills.csv",
            ])
            .args([
                "--backtest-trials",
                "1000",
                "--report",
                "rep",
                "-o",
                "org.toml",
                "--task",
            ])
            .arg(format!("c={}", task.display()))
            .assert()
            .success();
        let csv = std::fs::read_to_string(dir.path().join("rep/backtest.csv")).unwrap();
        for line in csv.lines().skip(1) {
            let c: Vec<&str> = line.split(',').collect();
            *crps.entry(c[2].to_string()).or_default() += c[10].parse::<f64>().unwrap();
            if c[2] == "forecast" {
                months += 1;
                in80 += usize::from(c[8] == "true");
                in90 += usize::from(c[9] == "true");
            }
        }
    }
    assert_eq!(months, 24);
    let n = months as f64;
    for (covered, nominal) in [(in80, 0.8), (in90, 0.9)] {
        let share = covered as f64 / n;
        let se = (nominal * (1.0 - nominal) / n).sqrt();
        eprintln!("coverage {share:.3} against {nominal} (SE {se:.3})");
        assert!(
            (share - nominal).abs() <= 3.0 * se,
            "{share} vs {nominal} ± {se}"
        );
    }
    eprintln!("{crps:?}");
    assert!(crps["forecast"] < crps["run_rate"], "{crps:?}");
    assert!(crps["forecast"] < crps["bootstrap"], "{crps:?}");
}

#[test]
fn backtest_bills_are_refused_at_their_line_before_any_fit() {
    let dir = tempfile::tempdir().unwrap();
    write_history(dir.path());
    let scenario =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/reference-coding-task.toml");
    for (bad, says) in [
        ("NaN", "bills.csv:2: cost: expected an amount from 0 to"),
        ("inf", "bills.csv:2: cost: expected an amount from 0 to"),
        ("-5", "bills.csv:2: cost: expected an amount from 0 to"),
        ("1e300", "bills.csv:2: cost: expected an amount from 0 to"),
    ] {
        std::fs::write(
            dir.path().join("bills.csv"),
            format!("month,cost\n2026-01,{bad}\n"),
        )
        .unwrap();
        let assert = tokencast()
            .current_dir(dir.path())
            .args([
                "calibrate-org",
                "activity.csv",
                "--seats",
                "seats.csv",
                "--backtest",
                "bills.csv",
                "-o",
                "org.toml",
                "--task",
            ])
            .arg(format!("c={}", scenario.display()))
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(stderr.contains(says), "{bad}: {stderr}");
        assert!(!dir.path().join("org.toml").exists());
    }
    // A month missing from the bills is named.
    std::fs::write(dir.path().join("bills.csv"), "month,cost\n2026-01,5\n").unwrap();
    let assert = tokencast()
        .current_dir(dir.path())
        .args([
            "calibrate-org",
            "activity.csv",
            "--seats",
            "seats.csv",
            "--backtest",
            "bills.csv",
            "-o",
            "org.toml",
            "--task",
        ])
        .arg(format!("c={}", scenario.display()))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("found none for 2026-02"), "{stderr}");
}
