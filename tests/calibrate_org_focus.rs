//! `calibrate-org --backtest` takes a FOCUS export as its actuals (the reader `track` uses):
//! every row's `BilledCost` summed per `ChargePeriodStart` month, months outside the activity
//! left out. The same bills as a plain `month,cost` file and as a FOCUS export (each month in
//! two rows, a credit among them, a month before the activity) give the same back-test, byte
//! for byte; a month whose rows sum below 0 is refused.

use std::fmt::Write as _;
use std::path::Path;

use assert_cmd::Command;

/// A small organisation's year: 2026, 4 to 15 users over the months, each active on the
/// first 15 days of a month with 1 to 3 tasks a day.
fn write_activity(dir: &Path) {
    let (mut activity, mut seats) = (
        String::from("date,user,tasks\n"),
        String::from("month,seats\n"),
    );
    for m in 1..=12u32 {
        let users = 3 + m;
        writeln!(seats, "2026-{m:02},{}", users + 1).unwrap();
        for u in 0..users {
            for d in 1..=15u32 {
                writeln!(
                    activity,
                    "2026-{m:02}-{d:02},dev-{u},{}",
                    1 + (u + d + m) % 3
                )
                .unwrap();
            }
        }
    }
    std::fs::write(dir.join("activity.csv"), activity).unwrap();
    std::fs::write(dir.join("seats.csv"), seats).unwrap();
}

fn backtest(dir: &Path, bills: &str) -> std::process::Output {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::write(dir.join("bills.csv"), bills).unwrap();
    Command::cargo_bin("tokencast")
        .unwrap()
        .current_dir(dir)
        .args(["calibrate-org", "activity.csv", "--seats", "seats.csv"])
        .args(["--backtest", "bills.csv", "--backtest-trials", "200"])
        .args(["--report", "rep", "-o", "org.toml", "--task"])
        .arg(format!(
            "c={}",
            repo.join("tests/forecasts/constant-task.toml").display()
        ))
        .output()
        .unwrap()
}

#[test]
fn a_focus_export_back_tests_as_its_monthly_sums() {
    let dir = tempfile::tempdir().unwrap();
    write_activity(dir.path());
    let bill = |m: u32| 400.0 + 35.0 * m as f64;
    let mut plain = String::from("month,cost\n");
    let mut focus = String::from(
        "BillingAccountId,ChargePeriodStart,ChargePeriodEnd,BilledCost,SkuId\n\
         acct,2025-12-01T00:00:00Z,2026-01-01T00:00:00Z,999,x\n",
    );
    for m in 1..=12u32 {
        writeln!(plain, "2026-{m:02},{}", bill(m)).unwrap();
        let end = if m == 12 {
            "2027-01".to_string()
        } else {
            format!("2026-{:02}", m + 1)
        };
        for (part, sku) in [(bill(m) + 10.0, "tokens"), (-10.0, "credit")] {
            writeln!(
                focus,
                "acct,2026-{m:02}-01T00:00:00Z,{end}-01T00:00:00Z,{part},{sku}"
            )
            .unwrap();
        }
    }
    let out = backtest(dir.path(), &plain);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = std::fs::read_to_string(dir.path().join("rep/backtest.csv")).unwrap();
    let out = backtest(dir.path(), &focus);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = std::fs::read_to_string(dir.path().join("rep/backtest.csv")).unwrap();
    assert_eq!(got, want);
    assert!(want.lines().count() > 3, "{want}");

    // A month whose rows sum below 0 is no bill.
    let negative = focus.replacen(",-10,credit", ",-10000,credit", 1);
    let out = backtest(dir.path(), &negative);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("BilledCost: expected the bill of 2026-01 to be at least 0"),
        "{stderr}"
    );
}

/// The bundled bills of the synthetic organisation (`examples/calibrate/org/`), as a plain
/// `month,cost` file and as a FOCUS export (each month in four rows, one per token kind), read
/// the same month by month, to the cent, and each month is the month's tasks in
/// `activity.csv` at the reference task's mean cost ($0.2231).
#[test]
fn the_bundled_bills_read_the_same_as_a_plain_file_and_as_a_focus_export() {
    use tokencast::forecast::calendar::YearMonth;
    use tokencast::forecast::monthly_costs::{Outside, read_monthly_costs};
    let dir = Path::new("examples/calibrate/org");
    let read = |name: &str| {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let start = YearMonth::parse("2026-01").unwrap();
        read_monthly_costs(name, &text, start, 12, Outside::Refuse("the activity")).unwrap()
    };
    let (plain, focus) = (read("bills.csv"), read("bills-focus.csv"));
    assert!(!plain.focus && focus.focus);
    let mut tasks = [0u64; 12];
    let activity = std::fs::read_to_string(dir.join("activity.csv")).unwrap();
    for line in activity.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let m: usize = f[0][5..7].parse().unwrap();
        tasks[m - 1] += f[2].parse::<u64>().unwrap();
    }
    for (m, n) in tasks.iter().enumerate() {
        let (p, q) = (plain.sums[m].unwrap(), focus.sums[m].unwrap());
        assert!((p - q).abs() < 0.005, "month {}: {p} vs {q}", m + 1);
        assert!((p - *n as f64 * 0.2231).abs() < 0.005, "month {}", m + 1);
    }
}
