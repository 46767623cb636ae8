//! History as a task kind (`[[tasks]] history = "logs"`): logged tasks resampled, priced by
//! the catalog. Exact on known logs: the pool's mean and variance are the empirical ones
//! computed here from the catalog's rates, a month of a fixed count of tasks has mean
//! `count × mean` and variance `count × variance` on both aggregation paths (one by one and
//! moment-matched), the run is identical at any thread count, and bad input is refused.

use std::path::Path;

use assert_cmd::Command;
use tokencast::forecast::{Forecast, ForecastConfig, ForecastRun, Record, simulate};
use tokencast::pricing::PriceCatalog;

/// Four logged tasks, one row each (task-level: base rates).
const TASKS_CSV: &str = "\
task_id,model,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,calls
a,claude-sonnet-4-5,1000000,0,0,0,1
b,claude-sonnet-4-5,0,100000,0,0,2
c,claude-sonnet-4-5,0,0,2000000,0,3
d,claude-haiku-4-5,200000,200000,0,0,4
";

/// 10 seats, all active, 1 task per working day, 20 working days, fixed counts: 200 tasks a
/// month, all of the one kind.
fn org(history: &str, extra: &str) -> String {
    format!(
        r#"
[forecast]
start = "2027-01"
months = 2
[seats]
table = [ {{ month = 1, seats = 10 }} ]
[usage]
active_share = 1
tasks_per_day = 1
counts = "fixed"
[calendar]
working_days = 20
[[tasks]]
name = "logged"
history = "{history}"
weight = 1
[billing]
discount = 0
{extra}
"#
    )
}

const COUNT: f64 = 200.0;

/// The four tasks' list costs from the catalog's base rates, computed here.
fn task_costs() -> Vec<f64> {
    let c = PriceCatalog::bundled();
    let rate = |m: &str, k: &str| {
        let r = &c.get(m).unwrap().rates;
        match k {
            "input" => r.input.unwrap(),
            "output" => r.output.unwrap(),
            "cache_read" => r.cache_read.unwrap(),
            _ => unreachable!(),
        }
    };
    vec![
        1e6 * rate("claude-sonnet-4-5", "input") / 1e6,
        1e5 * rate("claude-sonnet-4-5", "output") / 1e6,
        2e6 * rate("claude-sonnet-4-5", "cache_read") / 1e6,
        2e5 * (rate("claude-haiku-4-5", "input") + rate("claude-haiku-4-5", "output")) / 1e6,
    ]
}

/// Mean, variance and fourth central moment of equally likely values.
fn moments(v: &[f64]) -> (f64, f64, f64) {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n;
    let m4 = v.iter().map(|x| (x - m).powi(4)).sum::<f64>() / n;
    (m, var, m4)
}

fn setup(extra: &str) -> (tempfile::TempDir, Forecast) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tasks.csv"), TASKS_CSV).unwrap();
    let f = Forecast::from_text(
        "f.toml",
        "f",
        dir.path(),
        &org("tasks.csv", extra),
        &[],
        None,
        Some(1),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    (dir, f)
}

fn run(f: &Forecast, trials: u64, threads: usize) -> ForecastRun {
    let config = ForecastConfig {
        trials,
        seed: 11,
        threads: Some(threads),
        record: Record::EveryTrial,
    };
    simulate::run(&f.model, &config).unwrap()
}

#[test]
fn the_pool_is_the_logged_tasks_priced_by_the_catalog() {
    let (_dir, f) = setup("");
    let pool = &f.model.tasks[0].pool;
    let costs = task_costs();
    let (mean, var, _) = moments(&costs);
    assert_eq!(pool.len(), 4);
    for (got, want) in pool.cost.iter().zip(&costs) {
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
    assert!((pool.stats.mean_cost - mean).abs() < 1e-12);
    assert!((pool.stats.var_cost - var).abs() < 1e-12);
    // Calls and output tokens as logged; two models, one SKU set each.
    let calls: Vec<f64> = (0..4)
        .map(|i| pool.extra(i, tokencast::forecast::pool::Extra::Calls))
        .collect();
    assert_eq!(calls, [1.0, 2.0, 3.0, 4.0]);
    let names: Vec<&str> = pool.models.iter().map(|m| m.name.as_str()).collect();
    // In order of first appearance.
    assert_eq!(names, ["claude-sonnet-4-5", "claude-haiku-4-5"]);
    let by_model: f64 = pool.models.iter().map(|m| m.cost).sum();
    assert!((by_model - mean).abs() < 1e-12);
    let h = f.model.tasks[0].history.as_ref().unwrap();
    assert_eq!(h.tasks, 4);
    assert_eq!(h.formats, ["tasks-csv"]);
    assert!(
        h.words()
            .starts_with("resampled from 4 logged tasks (tasks-csv logs in tasks.csv), mean $")
    );
}

/// The month's bill against `count × mean` and `count × variance`, within their SEs.
fn check_month(r: &ForecastRun) {
    let (mean, var, m4) = moments(&task_costs());
    let bills: Vec<f64> = (0..r.trials as usize)
        .map(|t| r.bill[t * r.months])
        .collect();
    let n = bills.len() as f64;
    let got_mean = bills.iter().sum::<f64>() / n;
    let got_var = bills.iter().map(|x| (x - got_mean).powi(2)).sum::<f64>() / (n - 1.0);
    let (want_mean, want_var) = (COUNT * mean, COUNT * var);
    let se_mean = (want_var / n).sqrt();
    // The sum of COUNT draws: fourth central moment COUNT κ4 + 3 (COUNT σ²)².
    let k4 = m4 - 3.0 * var * var;
    let sum_m4 = COUNT * k4 + 3.0 * want_var * want_var;
    let se_var = ((sum_m4 - want_var * want_var * (n - 3.0) / (n - 1.0)) / n).sqrt();
    assert!(
        (got_mean - want_mean).abs() < 4.0 * se_mean,
        "mean {got_mean} vs {want_mean} ± {se_mean}"
    );
    assert!(
        (got_var - want_var).abs() < 4.0 * se_var,
        "variance {got_var} vs {want_var} ± {se_var}"
    );
}

#[test]
fn a_month_of_resampled_tasks_has_the_closed_form_mean_and_variance() {
    // 200 tasks summed one by one (exact_tasks_max 256 by default).
    let (_dir, f) = setup("");
    check_month(&run(&f, 20_000, 2));
}

#[test]
fn the_moment_matched_sum_uses_the_exact_empirical_moments() {
    // 200 tasks beyond exact_tasks_max = 16: a translated gamma with the pool's moments.
    let (_dir, f) = setup("[aggregation]\nexact_tasks_max = 16\n");
    check_month(&run(&f, 20_000, 2));
}

#[test]
fn one_and_many_threads_give_the_same_bits() {
    let (_dir, f) = setup(
        "[billing.plan]\nseats = { usd_per_seat = 19, allowance = { usd = 25 }, beyond = \"api_prices\" }\n",
    );
    let (a, b) = (run(&f, 3_000, 1), run(&f, 3_000, 3));
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a.bill), bits(&b.bill));
    assert_eq!(bits(&a.bill_by_kind), bits(&b.bill_by_kind));
    // Not every trial is alike: the draws come from each trial's own stream.
    assert!(a.bill.iter().any(|&x| x != a.bill[0]));
}

#[test]
fn calls_are_priced_at_their_prompt_tier() {
    // One call above the 200K-token tier, one below: each at its own rates.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("calls.csv"),
        "task_id,model,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens\n\
         t1,claude-sonnet-4-5,300000,1000,0,0\n\
         t1,claude-sonnet-4-5,1000,1000,0,0\n",
    )
    .unwrap();
    let f = Forecast::from_text(
        "f.toml",
        "f",
        dir.path(),
        &org("calls.csv", ""),
        &[],
        None,
        Some(1),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let c = PriceCatalog::bundled();
    let e = c.get("claude-sonnet-4-5").unwrap();
    let tier = &e.tiers[0];
    let want = (300_000.0 * tier.rates.input.unwrap() + 1000.0 * tier.rates.output.unwrap()) / 1e6
        + (1000.0 * e.rates.input.unwrap() + 1000.0 * e.rates.output.unwrap()) / 1e6;
    let got = f.model.tasks[0].pool.cost[0];
    assert!((got - want).abs() < 1e-12, "{got} vs {want}");
}

#[test]
fn the_bundled_example_validates_and_says_what_it_resamples() {
    let out = Command::cargo_bin("tokencast")
        .unwrap()
        .args(["validate", "examples/history/forecast.toml"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(
            "resampled from 200 logged tasks (calls-csv logs in ../calibrate/sample-calls.csv)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("`claude-sonnet-4-5` (logged as `sonnet`)"),
        "{stdout}"
    );
}

/// `validate` on a forecast in a directory with `files`: exit 2 and its stderr.
fn refused(history: &str, extra_task_keys: &str, files: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let text = org(history, "").replace("history = ", &format!("{extra_task_keys}history = "));
    let path = dir.path().join("f.toml");
    std::fs::write(&path, text).unwrap();
    let out = Command::cargo_bin("tokencast")
        .unwrap()
        .args(["validate", path.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.stdout.is_empty());
    stderr
}

#[test]
fn bad_input_is_refused_where_it_is() {
    let e = refused("nope.csv", "", &[]);
    assert!(e.contains("tasks[0].history: cannot read the logs"), "{e}");

    let bad_row = TASKS_CSV.replace(
        "b,claude-sonnet-4-5,0,100000",
        "b,claude-sonnet-4-5,zero,100000",
    );
    let e = refused("tasks.csv", "", &[("tasks.csv", &bad_row)]);
    assert!(
        e.contains("tasks.csv:3:1: tasks[0].history: cannot read this line"),
        "{e}"
    );
    assert!(
        e.contains("input: expected a non-negative whole number"),
        "{e}"
    );

    let e = refused(
        "tasks.csv",
        "scenario = \"x.toml\"\n",
        &[("tasks.csv", TASKS_CSV)],
    );
    assert!(
        e.contains("expected either `scenario` (a task scenario) or `history`"),
        "{e}"
    );
    assert!(e.contains("found both"), "{e}");

    let typo = TASKS_CSV.replace("d,claude-haiku-4-5", "d,claude-haiku-4-6");
    let e = refused("tasks.csv", "", &[("tasks.csv", &typo)]);
    assert!(e.contains("unknown model \"claude-haiku-4-6\""), "{e}");
    assert!(e.contains("the nearest known is `claude-haiku-4-5`"), "{e}");

    let no_tokens = TASKS_CSV
        .replace(",calls\n", ",calls,cost_usd\n")
        .replace(",1\n", ",1,0.5\n")
        .replace(",2\n", ",2,\n")
        .replace(",3\n", ",3,\n")
        .replace(",4\n", ",4,\n")
        + "e,claude-sonnet-4-5,0,0,0,0,1,2.5\n";
    let e = refused("tasks.csv", "", &[("tasks.csv", &no_tokens)]);
    assert!(
        e.contains(
            "tasks.csv:6:1: tasks[0].history: the token columns are all 0 but the cost is 2.5 USD"
        ),
        "{e}"
    );

    // Per-task costs without token columns are read by calibrate as task totals (fitted to an
    // agent loop); a history kind cannot price them: refused with where to go instead.
    let e = refused(
        "totals.csv",
        "",
        &[("totals.csv", "task_id,cost,calls\na,0.5,10\nb,1.5,30\n")],
    );
    assert!(
        e.contains("is a per-task file of costs without token counts (2 tasks)"),
        "{e}"
    );
    assert!(e.contains("tokencast calibrate FILE -o task.toml"), "{e}");

    let e = refused(
        "tasks.csv",
        "format = \"task-csv\"\n",
        &[("tasks.csv", TASKS_CSV)],
    );
    assert!(e.contains("unknown log format `task-csv`"), "{e}");
    assert!(e.contains("did you mean `tasks-csv`?"), "{e}");
}

#[test]
fn unreadable_lines_are_refused_unless_skipped() {
    // The bundled Claude Code sample has a broken line: refused, or left out and said.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/calibrate");
    let text = org("claude-code", "");
    let e = Forecast::from_text("f.toml", "f", &dir, &text, &[], None, Some(1)).unwrap_err();
    assert!(
        e.to_string().contains("cannot read this line of the logs"),
        "{e}"
    );
    let text = text.replace("history = ", "malformed = \"skip\"\nhistory = ");
    let f = Forecast::from_text("f.toml", "f", &dir, &text, &[], None, Some(1))
        .unwrap_or_else(|e| panic!("{e}"));
    let h = f.model.tasks[0].history.as_ref().unwrap();
    // 14 sessions, their sub-agents' calls attributed to them.
    assert_eq!(h.tasks, 14, "{}", h.words());
    assert_eq!(h.skipped_lines, 1);
    assert!(
        h.words()
            .contains("(claude-code logs in claude-code; 1 unreadable line left out)"),
        "{}",
        h.words()
    );
    assert_eq!(h.models[0].0, "claude-sonnet-4-5");
    assert_eq!(h.models[0].1, ["claude-sonnet-4-5-20250929"]);
}

#[test]
fn a_directory_and_a_pattern_read_every_log_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(logs.join("sub")).unwrap();
    let (head, rows) = TASKS_CSV.split_once('\n').unwrap();
    let rows: Vec<&str> = rows.lines().collect();
    std::fs::write(
        logs.join("a.csv"),
        format!("{head}\n{}\n{}\n", rows[0], rows[1]),
    )
    .unwrap();
    std::fs::write(
        logs.join("sub/b.csv"),
        format!("{head}\n{}\n{}\n", rows[2], rows[3]),
    )
    .unwrap();
    std::fs::write(logs.join("notes.txt"), "not a log").unwrap();
    for (history, tasks) in [("logs", 4), ("logs/*.csv", 2)] {
        let f = Forecast::from_text(
            "f.toml",
            "f",
            dir.path(),
            &org(history, ""),
            &[],
            None,
            Some(1),
        )
        .unwrap_or_else(|e| panic!("{history}: {e}"));
        assert_eq!(f.model.tasks[0].pool.len(), tasks, "{history}");
    }
}
