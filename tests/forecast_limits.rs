//! Monthly spend limits in forecasts (`[limits] per_user_monthly_usd, monthly_usd`) and the
//! price elasticity of usage (`[drift] price_elasticity`): exact on a deterministic
//! organisation, the closed form of a Poisson user's excess, the aggregated excess against
//! user-by-user simulation, the same at any thread count, the outputs, and bad input refused.

mod common;

use assert_cmd::Command;
use common::forecast::{load, run, run_recording};
use tokencast::forecast::{ForecastRun, Record};

/// 10 seats, all active, 2 tasks per working day, 20 working days: 40 tasks of the constant
/// task ($0.0105) per user, $0.42 a user and $4.20 a month at list prices.
const ORG: &str = r#"
[forecast]
start = "2027-01"
months = 3
[seats]
table = [ { month = 1, seats = 10 } ]
[usage]
active_share = 1
tasks_per_day = 2
counts = "fixed"
[calendar]
working_days = 20
[[tasks]]
name = "a"
scenario = "constant-task.toml"
weight = 1
[billing]
discount = 0
[aggregation]
pool_size = 16
"#;

const TASK_USD: f64 = 0.0105;

fn month_values(r: &ForecastRun, series: &[f64], m: usize) -> Vec<f64> {
    (0..series.len() / r.months)
        .map(|t| series[t * r.months + m])
        .collect()
}

fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

#[test]
fn a_deterministic_organisation_does_exactly_what_its_limits_allow() {
    // Per user: $0.42 asked, $0.30 allowed: $0.12 not done, 10 users at the limit. The month
    // is then $3.00, capped by the organisation at $2.50: $1.70 not done of $4.20, so
    // 400 × 1.7 / 4.2 tasks not done. The same drawn user by user and from the per-user law.
    let limits = "[limits]\nper_user_monthly_usd = 0.30\nmonthly_usd = 2.5\n";
    for users_max in ["64", "4"] {
        let text = format!("{ORG}{limits}");
        let f = load(
            &text,
            &[&format!("aggregation.exact_users_max={users_max}")],
        );
        let r = run(&f, 20, 7, 1);
        let s = tokencast::forecast::ForecastSummary::new(&f, &r);
        for m in &s.monthly {
            let n = m.not_done.as_ref().expect("limits are reported");
            assert!(
                (m.bill.mean - 2.5).abs() < 1e-12,
                "{users_max}: {}",
                m.bill.mean
            );
            assert!((n.list_usd.mean - 1.7).abs() < 1e-12);
            assert!((n.tasks.mean - 400.0 * 1.7 / 4.2).abs() < 1e-9);
            assert!((m.tasks.mean - 400.0 * 2.5 / 4.2).abs() < 1e-9);
            assert!((n.users_at_limit.as_ref().unwrap().mean - 10.0).abs() < 1e-12);
            assert_eq!(n.list_usd.se, 0.0);
        }
        let l = s.limits.as_ref().unwrap();
        assert_eq!(l.per_user_monthly_usd, Some(0.30));
        assert!((l.not_done.list_usd.mean - 3.0 * 1.7).abs() < 1e-12);
        assert!((s.years[0].not_done.as_ref().unwrap().list_usd.mean - 5.1).abs() < 1e-12);
    }
    // The per-user limit alone: $3.00 a month, 12 × 10 × … tasks not done.
    let f = load(
        &format!("{ORG}[limits]\nper_user_monthly_usd = 0.30\n"),
        &[],
    );
    let r = run(&f, 10, 7, 1);
    let s = tokencast::forecast::ForecastSummary::new(&f, &r);
    assert!((s.monthly[0].bill.mean - 3.0).abs() < 1e-12);
    assert!(
        (s.monthly[0].not_done.as_ref().unwrap().tasks.mean - 400.0 * 0.12 / 0.42).abs() < 1e-9
    );
}

/// `E[(N − k)⁺]` and `P(N > k)` for `N` Poisson(`lambda`), summed from the pmf.
fn poisson_excess(lambda: f64, k: f64) -> (f64, f64) {
    let (mut p, mut excess, mut over) = ((-lambda).exp(), 0.0, 0.0);
    for n in 0..2000u64 {
        if n as f64 > k {
            excess += (n as f64 - k) * p;
            over += p;
        }
        p *= lambda / (n + 1) as f64;
    }
    (excess, over)
}

#[test]
fn a_poisson_user_s_work_not_done_is_the_closed_form() {
    // Counts Poisson(40) per user (no dispersion, no intensity spread); a limit of 40.5 tasks'
    // worth (between two task counts, so that no user sits on it): each user leaves
    // c E[(N − 40.5)⁺] undone, and is at the limit with P(N > 40.5).
    let text = ORG.replace("counts = \"fixed\"\n", "")
        + &format!("[limits]\nper_user_monthly_usd = {}\n", 40.5 * TASK_USD);
    let f = load(&text, &[]);
    let r = run_recording(&f, 4000, 11, 2, Record::EveryTrial);
    let (e, p) = poisson_excess(40.0, 40.5);
    for m in 0..3 {
        let (mean, se) = mean_se(&month_values(&r, &r.limit_list, m));
        let want = 10.0 * TASK_USD * e;
        eprintln!("month {m}: not done {mean:.5} ± {se:.5}, closed form {want:.5}");
        assert!((mean - want).abs() < 4.0 * se, "{mean} vs {want} ± {se}");
        let (users, se) = mean_se(&month_values(&r, &r.limit_users, m));
        assert!(
            (users - 10.0 * p).abs() < 4.0 * se,
            "{users} vs {}",
            10.0 * p
        );
        // Tasks not done: the month's tasks times the share of its value not done; every
        // task costs the same, so that is the excess in tasks.
        let (tasks, se) = mean_se(&month_values(&r, &r.limit_tasks, m));
        assert!(
            (tasks - 10.0 * e).abs() < 4.0 * se,
            "{tasks} vs {}",
            10.0 * e
        );
    }
}

/// A small organisation of real tasks, heavy and light users.
const SMALL_ORG: &str = r#"
[forecast]
start = "2027-01"
months = 2
[seats]
table = [ { month = 1, seats = 30 } ]
[usage]
active_share = 1
tasks_per_day = 2
dispersion = 1.5
intensity_sigma = 0.8
[calendar]
working_days = 20
[[tasks]]
name = "bug fix"
scenario = "../../scenarios/reference-coding-task.toml"
weight = 0.7
[[tasks]]
name = "feature"
scenario = "../../scenarios/tasks/feature-opus.toml"
weight = 0.3
[aggregation]
pool_size = 8192
"#;

#[test]
fn the_per_user_law_agrees_with_simulating_every_user() {
    // A limit at 40 mean tasks' worth (the mean user asks 40): heavy users pass it. The
    // excess from the per-user law (no user drawn) against every user drawn, different seeds:
    // means within 4 combined SE.
    let probe = load(SMALL_ORG, &[]);
    let mean_cost: f64 = probe
        .model
        .tasks
        .iter()
        .zip([0.7, 0.3])
        .map(|(t, w)| w * t.pool.stats.mean_cost)
        .sum();
    let text = format!(
        "{SMALL_ORG}[limits]\nper_user_monthly_usd = {}\n",
        40.0 * mean_cost
    );
    let brute = load(&text, &["aggregation.exact_users_max=1000"]);
    let approx = load(&text, &["aggregation.exact_users_max=0"]);
    let rb = run_recording(&brute, 3000, 101, 2, Record::EveryTrial);
    let ra = run_recording(&approx, 3000, 202, 2, Record::EveryTrial);
    for m in 0..2 {
        for (label, a, b) in [
            ("not done", &ra.limit_list, &rb.limit_list),
            ("users at the limit", &ra.limit_users, &rb.limit_users),
            ("bill", &ra.bill, &rb.bill),
        ] {
            let (ma, sa) = mean_se(&month_values(&ra, a, m));
            let (mb, sb) = mean_se(&month_values(&rb, b, m));
            let z = (ma - mb) / (sa * sa + sb * sb).sqrt();
            eprintln!(
                "month {m} {label}: law {ma:.3} ± {sa:.3}, every user {mb:.3} ± {sb:.3}, z {z:.2}"
            );
            assert!(z.abs() < 4.0, "month {m} {label}: z = {z:.2}");
        }
        let (share, _) = mean_se(&month_values(&rb, &rb.limit_users, m));
        assert!(
            share > 1.0 && share < 29.0,
            "the limit binds for some users: {share}"
        );
    }
}

#[test]
fn limits_give_the_same_bytes_at_any_thread_count() {
    let text = ORG.replace("counts = \"fixed\"\n", "intensity_sigma = 0.5\n")
        + "[limits]\nper_user_monthly_usd = 0.40\nmonthly_usd = 4\n";
    for users_max in ["64", "2"] {
        let f = load(
            &text,
            &[&format!("aggregation.exact_users_max={users_max}")],
        );
        let one = tokencast::forecast::ForecastSummary::new(&f, &run(&f, 700, 3, 1));
        let two = tokencast::forecast::ForecastSummary::new(&f, &run(&f, 700, 3, 2));
        assert_eq!(
            serde_json::to_string(&one).unwrap(),
            serde_json::to_string(&two).unwrap()
        );
        assert!(one.limits.unwrap().not_done.list_usd.mean > 0.0);
    }
}

#[test]
fn unit_elasticity_keeps_spend_constant_as_prices_fall() {
    // Prices halve every month; with an elasticity of -1 tasks double: 400, 800, 1,600 tasks
    // and $4.20 every month. With -0.5: 400 × √2^m tasks (rounded per user).
    let text = ORG.replace(
        "[billing]",
        "[drift]\nprice = -0.5\nprice_elasticity = -1\n[billing]",
    );
    let f = load(&text, &[]);
    let s = tokencast::forecast::ForecastSummary::new(&f, &run(&f, 10, 1, 1));
    for (m, tasks) in [400.0, 800.0, 1600.0].iter().enumerate() {
        assert_eq!(s.monthly[m].tasks.mean, *tasks);
        assert!(
            (s.monthly[m].bill.mean - 4.2).abs() < 1e-12,
            "{}",
            s.monthly[m].bill.mean
        );
    }
    let f = load(&text, &["drift.price_elasticity=-0.5"]);
    let s = tokencast::forecast::ForecastSummary::new(&f, &run(&f, 10, 1, 1));
    for m in 0..3 {
        let per_user = (40.0 * 2f64.sqrt().powi(m as i32)).round();
        assert_eq!(s.monthly[m].tasks.mean, 10.0 * per_user);
    }
    // Without it, prices leave usage alone.
    let f = load(
        &ORG.replace("[billing]", "[drift]\nprice = -0.5\n[billing]"),
        &[],
    );
    let s = tokencast::forecast::ForecastSummary::new(&f, &run(&f, 10, 1, 1));
    assert_eq!(s.monthly[2].tasks.mean, 400.0);
}

fn tokencast() -> Command {
    Command::cargo_bin("tokencast").expect("the binary is built")
}

fn write_org(dir: &std::path::Path, text: &str) -> std::path::PathBuf {
    std::fs::copy(
        "tests/forecasts/constant-task.toml",
        dir.join("constant-task.toml"),
    )
    .unwrap();
    let file = dir.join("org.toml");
    std::fs::write(&file, text).unwrap();
    file
}

#[test]
fn the_forecast_reports_the_work_not_done() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_org(
        dir.path(),
        &format!("{ORG}[limits]\nper_user_monthly_usd = 0.30\nmonthly_usd = 2.5\n"),
    );
    let out = dir.path().join("out");
    let assert = tokencast()
        .args(["forecast"])
        .arg(&file)
        .args(["-n", "20", "-o"])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(
        stdout.contains(
            "spend limits ($0.30 a user a month and $2.50 a month for the organisation, at list prices)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("all 3 months: 486 ± 0.0 tasks not done, worth $5.10 ± 0.00 at list prices (40.5% of the work asked for)"),
        "{stdout}"
    );
    let csv = std::fs::read_to_string(out.join("limits.csv")).unwrap();
    assert_eq!(
        csv.lines().nth(1),
        Some("1,2027-01,10.00,161.90,0.00,161.90,1.70,0.00,1.70,2.50")
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<h2>Work the spend limits leave undone</h2>"));
    assert!(html.contains("users at the limit ± SE"));
    let validate = tokencast().arg("validate").arg(&file).assert().success();
    let text = String::from_utf8_lossy(&validate.get_output().stdout).to_string();
    assert!(
        text.contains("spend limits: $0.30 a user a month"),
        "{text}"
    );
    // A limit set from the command line (the file has no [limits]), as a stress case's `set`
    // or `--set` writes it: the regression of `unknown key `limits``.
    let out3 = dir.path().join("out3");
    let plain = write_org(dir.path(), ORG);
    tokencast()
        .arg("forecast")
        .arg(&plain)
        .args([
            "-n",
            "20",
            "--set",
            "limits.per_user_monthly_usd=0.30",
            "-o",
        ])
        .arg(&out3)
        .assert()
        .success();
    assert!(
        std::fs::read_to_string(out3.join("limits.csv"))
            .unwrap()
            .contains(",1.20,")
    );
    // Without limits: no file, no key.
    let plain = write_org(dir.path(), ORG);
    let out2 = dir.path().join("out2");
    tokencast()
        .arg("forecast")
        .arg(&plain)
        .args(["-n", "20", "-o"])
        .arg(&out2)
        .assert()
        .success();
    assert!(!out2.join("limits.csv").exists());
    let json = std::fs::read_to_string(out2.join("summary.json")).unwrap();
    assert!(!json.contains("not_done") && !json.contains("\"limits\""));
}

#[test]
fn bad_limits_and_elasticities_are_refused_where_they_are_written() {
    let dir = tempfile::tempdir().unwrap();
    for (extra, line, needle) in [
        (
            "[limits]\nper_user_monthly_usd = -5\n",
            22,
            "expected a positive amount of USD a month",
        ),
        (
            "[limits]\nmonthly_usd = 0\n",
            22,
            "expected a positive amount of USD a month",
        ),
        (
            "[limits]\nmonthly_usd = nan\n",
            22,
            "expected a positive amount of USD a month",
        ),
        ("[limits]\nper_user = 5\n", 22, "per_user"),
        ("[drift]\nprice_elasticity = 0.4\n", 22, "price_elasticity"),
    ] {
        let file = write_org(dir.path(), &format!("{ORG}{extra}"));
        let assert = tokencast().arg("validate").arg(&file).assert().code(2);
        let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(err.contains(needle), "{extra}: {err}");
        assert!(err.contains(&format!("org.toml:{line}:")), "{extra}: {err}");
        assert!(
            err.split(&format!("org.toml:{line}:"))
                .nth(1)
                .is_some_and(|r| r
                    .split(':')
                    .next()
                    .is_some_and(|c| c.parse::<u32>().is_ok())),
            "a column: {err}"
        );
    }
}

/// The stress table shows the work the limits leave undone in each case: exact on the
/// deterministic organisation. Base: 161.9 tasks a month not done (486 over 3 months, $5.10).
/// Tasks per day ×1.5: 60 tasks ($0.63) a user, $0.30 allowed, the month's $3.00 capped at
/// $2.50: $3.80 of $6.30 not done, 600 × 3.8 / 6.3 = 361.9 tasks a month (1,085.7, $11.40).
/// Prices ×0.7: $0.294 a user (under its limit), the month's $2.94 capped at $2.50: 400 ×
/// 0.44 / 2.94 = 59.9 tasks a month (179.6, $1.32).
#[test]
fn the_stress_table_shows_the_work_each_case_leaves_undone() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_org(
        dir.path(),
        &format!(
            "{ORG}[limits]\nper_user_monthly_usd = 0.30\nmonthly_usd = 2.5\n\
             [[stress]]\nname = \"busier\"\ntasks_per_day = 1.5\n\
             [[stress]]\nname = \"cheaper\"\nprices = 0.7\n"
        ),
    );
    let out = dir.path().join("out");
    let assert = tokencast()
        .arg("forecast")
        .arg(&file)
        .args(["-n", "20", "-o"])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(stdout.contains("tasks not done"), "{stdout}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("stress.json")).unwrap()).unwrap();
    let expected = [
        ("base", 400.0 * 1.7 / 4.2 * 3.0, 5.10),
        ("busier", 600.0 * 3.8 / 6.3 * 3.0, 11.40),
        ("cheaper", 400.0 * 0.44 / 2.94 * 3.0, 1.32),
    ];
    for (case, (name, tasks, usd)) in json.as_array().unwrap().iter().zip(expected) {
        assert_eq!(case["name"], name);
        let n = &case["not_done"];
        let got = n["tasks"]["mean"].as_f64().unwrap();
        assert!(
            (got - tasks).abs() < 1e-6 * tasks,
            "{name}: {got} vs {tasks}"
        );
        let got = n["list_usd"]["mean"].as_f64().unwrap();
        assert!(
            (got - usd).abs() < 1e-9 * usd.max(1.0) + 1e-9,
            "{name}: {got} vs {usd}"
        );
        assert_eq!(n["tasks"]["se"].as_f64().unwrap(), 0.0);
        // The year (the whole horizon here) says the same.
        let y = case["years"][0]["not_done"]["tasks"]["mean"]
            .as_f64()
            .unwrap();
        assert!((y - tasks).abs() < 1e-6 * tasks);
    }
    let csv = std::fs::read_to_string(out.join("stress.csv")).unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with(",tasks_not_done_mean,not_done_list_usd_mean")
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with("busier,year,") && l.ends_with(",1085.71,11.40")),
        "{csv}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<h3>Work the spend limits leave undone, case by case</h3>"));
    assert!(html.contains("tasks not done over the horizon ± SE"));
    assert!(
        html.contains("1,086 ± 0"),
        "the busier case's tasks not done"
    );
}
