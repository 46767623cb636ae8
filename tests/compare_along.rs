//! `compare SCENARIO --along PATH` along any number of a task scenario (a model's price, the
//! tokens of a call): the crossing against its hand-computed value on a zero-variance task,
//! its 95% interval holding it, the words and the current value, thread-count identity, and
//! the refusals of paths that are no number of the file.

use serde_json::Value;

/// One uncached call: a 1,000-token prompt and `output` tokens. At list prices ($1 input,
/// $10 output per million) a task costs 0.001 + 0.0001 × (output price) at 100 output tokens;
/// all of it at the batch rates ($2 input, $5 output) costs 0.0025. Every task is the same, so
/// the difference list − batch is (task count) × (a number fixed by the prices and tokens): it
/// is zero, whatever the month's task count, where that number is.
const SCENARIO: &str = r#"
[scenario]
name = "along"
seed = 5
[models.m]
input = 1.0
output = 10.0
batch = { input = 2.0, output = 5.0 }
[agent]
caching = "off"
system_prompt = 1000
[[phases]]
name = "answer"
steps = [{ call = { output = 100 } }]
[workload]
seats = 20
tasks_per_seat = 30
periods = 64
sweep = { min = 10, max = 60, points = 6, periods = 40 }
[billing.list]
tokens = {}
[billing.batch]
tokens = { batch_share = 1.0 }
"#;

fn compare(dir: &std::path::Path, args: &[&str]) -> assert_cmd::assert::Assert {
    let file = dir.join("along.toml");
    std::fs::write(&file, SCENARIO).unwrap();
    assert_cmd::Command::cargo_bin("tokencast")
        .unwrap()
        .arg("compare")
        .arg(&file)
        .args(args)
        .assert()
}

fn json_of(dir: &std::path::Path, along: &str, threads: &str) -> (Value, Vec<u8>, String) {
    let out = dir.join(format!("out-{}-{threads}", along.len()));
    let assert = compare(
        dir,
        &["--along", along, "-t", threads, "-o", out.to_str().unwrap()],
    )
    .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    let bytes = std::fs::read(out.join("compare.json")).unwrap();
    (serde_json::from_slice(&bytes).unwrap(), bytes, stdout)
}

/// The single crossing of the pair (list, batch): its value, interval, and words.
fn crossing(json: &Value) -> (f64, f64, f64, String) {
    let b = &json["break_even"][0];
    assert_eq!(
        (b["a"].as_str(), b["b"].as_str()),
        (Some("batch"), Some("list"))
    );
    let c = b["crossings"].as_array().expect("crossings");
    assert_eq!(c.len(), 1, "{b}");
    let c = &c[0];
    (
        c["x"].as_f64().unwrap(),
        c["low"].as_f64().expect("a closed interval"),
        c["high"].as_f64().expect("a closed interval"),
        c["words"].as_str().unwrap().to_string(),
    )
}

#[test]
fn along_a_price_the_crossing_is_the_hand_computed_one() {
    // list − batch per task = 0.001 + 0.0001 p − 0.0025: zero at p = $15 per million output
    // tokens. The sweep brackets it between 12 and 16 (the difference is linear in p, so the
    // interpolation is exact), and the refinement runs 15 itself.
    let dir = tempfile::tempdir().unwrap();
    let (json, _, stdout) = json_of(dir.path(), "models.m.output=4,8,12,16,20,24", "2");
    assert_eq!(json["along"], "models.m.output");
    assert_eq!(json["along_current"].as_f64(), Some(10.0));
    let (x, low, high, words) = crossing(&json);
    assert!((x - 15.0).abs() < 1e-9, "{x}");
    // The crossing does not depend on the month's task count, so its interval is the point
    // itself (to rounding).
    assert!(low - 1e-9 <= 15.0 && 15.0 <= high + 1e-9, "{low} {high}");
    assert!(
        words.starts_with(
            "batch is cheaper than list above 15 USD per million output tokens of m (95% CI "
        ),
        "{words}"
    );
    assert!(
        stdout.contains("break-even along USD per million output tokens of m (now 10;"),
        "{stdout}"
    );
    // The sweep's CSV names the swept input in its first column.
    let csv =
        std::fs::read_to_string(dir.path().join("out-31-2").join("compare_sweep.csv")).unwrap();
    assert!(
        csv.starts_with("models.m.output,tasks_per_seat,seats,batch_mean_usd,"),
        "{csv}"
    );
    assert!(csv.lines().nth(1).unwrap().starts_with("4,30,20,"), "{csv}");
    // Every point bills the same simulated months (common random numbers): the task count
    // is the same at every price, so list's bill is exactly affine in the price.
    let sweep = json["sweep"].as_array().unwrap();
    assert!(sweep.len() > 6, "refined: {}", sweep.len());
    let bill = |i: usize| sweep[i]["cost_usd"][1]["mean"].as_f64().unwrap();
    let batch = |i: usize| sweep[i]["cost_usd"][0]["mean"].as_f64().unwrap();
    let x = |i: usize| sweep[i]["x"].as_f64().unwrap();
    let tasks = batch(0) / 0.0025;
    for i in 0..sweep.len() {
        let expected = tasks * (0.001 + 0.0001 * x(i));
        assert!((bill(i) - expected).abs() < 1e-9 * expected, "{i}");
        assert!((batch(i) - batch(0)).abs() < 1e-9 * batch(0), "{i}");
    }
}

#[test]
fn along_tokens_per_task_the_crossing_is_the_hand_computed_one() {
    // list − batch per task = 1,000 × (1 − 2) / 1e6 + o × (10 − 5) / 1e6: zero at o = 200
    // output tokens per call; the default grid around the current 100 is 25 to 400.
    let dir = tempfile::tempdir().unwrap();
    let (json, _, _) = json_of(dir.path(), "phases[0].steps[0].call.output", "2");
    assert_eq!(json["along_current"].as_f64(), Some(100.0));
    let (x, low, high, words) = crossing(&json);
    assert!((x - 200.0).abs() < 1e-6, "{x}");
    assert!(low - 1e-6 <= 200.0 && 200.0 <= high + 1e-6, "{low} {high}");
    assert!(
        words.starts_with(
            "batch is cheaper than list above 200 output tokens per call in phase answer (95% CI "
        ),
        "{words}"
    );
    // Whole numbers of tokens: every swept value is one.
    for p in json["sweep"].as_array().unwrap() {
        let v = p["x"].as_f64().unwrap();
        assert_eq!(v, v.round(), "{v}");
    }
}

#[test]
fn along_an_input_the_result_does_not_depend_on_threads() {
    let dir = tempfile::tempdir().unwrap();
    let along = "models.m.input=0.5..3:6";
    let (_, one, _) = json_of(dir.path(), along, "1");
    let (_, two, _) = json_of(dir.path(), along, "2");
    assert_eq!(one, two);
}

#[test]
fn along_a_path_that_is_no_number_is_refused_with_the_nearest_paths() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for (arg, says) in [
        (
            "phases[0].steps[0].call",
            "`phases[0].steps[0].call` is a table (or a distribution), not a number: expected the path of one number, e.g. `phases[0].steps[0].call.output`",
        ),
        ("models.m.outptu", "did you mean `models.m.output`?"),
        (
            "agent.caching",
            "`agent.caching` is not a number of the scenario",
        ),
        (
            "usage.tasks_per_day",
            "e.g. `models.m.output`, `phases[0].steps[0].call.output`, `workload.tasks_per_seat`, `workload.seats`; did you mean `workload.tasks_per_seat`?",
        ),
        ("scenario.seed", "is not a number of the scenario"),
        ("models.m.output=-4..4", "--along models.m.output=-4:"),
    ] {
        let assert = compare(dir.path(), &["--along", arg, "-o", out.to_str().unwrap()]).code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(stderr.contains(says), "{arg}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
