//! The mechanism variants behind the "Agent mechanics" table of docs/guide/mechanics.md
//! (`scenarios/mechanisms/*.toml`): each is the reference scenario plus one mechanism. Every
//! file must load and validate; each must switch its mechanism on (the mechanism's own metric is
//! non-zero); and where the mechanism has a neutral setting that draws no extra random numbers,
//! the variant with that setting must cost exactly what the reference costs, trial for trial
//! (the same cost summary, bit for bit, at the same seed).

use std::path::{Path, PathBuf};

use tokencast::engine::{RunConfig, Silent, Summary};
use tokencast::scenario::Scenario;

const TRIALS: u64 = 2_000;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn variant_text(stem: &str) -> String {
    let path = root().join(format!("scenarios/mechanisms/{stem}.toml"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn simulate_text(origin: &str, text: String) -> Summary {
    let scenario = Scenario::from_text(origin, "variant", text).unwrap_or_else(|e| panic!("{e}"));
    let config = RunConfig {
        trials: TRIALS,
        seed: 7,
        threads: None,
    };
    tokencast::simulate(&scenario, &config, &mut Silent).expect("the run completes")
}

fn reference() -> Summary {
    let text = std::fs::read_to_string(root().join("scenarios/reference-coding-task.toml"))
        .expect("the reference scenario");
    simulate_text("reference", text)
}

/// The variant `stem` with `from` (which must occur exactly once outside the header comment)
/// replaced by `to`.
fn neutralised(stem: &str, from: &str, to: &str) -> Summary {
    let text = variant_text(stem);
    let at = text.find("[scenario]").expect("a [scenario] table");
    let (header, body) = text.split_at(at);
    assert_eq!(body.matches(from).count(), 1, "{stem}: `{from}`");
    simulate_text(stem, format!("{header}{}", body.replace(from, to)))
}

fn mean(s: &Summary, metric: &str) -> f64 {
    s.metric(metric)
        .unwrap_or_else(|| panic!("no metric {metric}"))
        .mean
}

#[test]
fn every_variant_loads_and_the_table_has_one_per_row() {
    let dir = root().join("scenarios/mechanisms");
    let mut stems: Vec<String> = std::fs::read_dir(&dir)
        .expect("scenarios/mechanisms")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| {
            Scenario::load(&p).unwrap_or_else(|e| panic!("{e}"));
            p.file_stem().unwrap().to_string_lossy().into_owned()
        })
        .collect();
    stems.sort();
    let expected = [
        "call-failures-billed",
        "call-failures-free",
        "compaction",
        "context-window",
        "escalate-opus",
        "min-cacheable-prompt",
        "reasoning",
        "routing",
        "slow-tests-1h",
        "slow-tests-5m",
        "subagent-explore",
        "task-retry",
        "time",
    ];
    assert_eq!(stems, expected);
    // Each variant's header says what differs from the reference; the guide's table links them.
    let readme = std::fs::read_to_string(root().join("docs/guide/mechanics.md"))
        .expect("docs/guide/mechanics.md");
    for stem in expected {
        let text = variant_text(stem);
        assert!(
            text.contains("Differs from the reference only in:"),
            "{stem}: header"
        );
        assert!(
            readme.contains(&format!("mechanisms/{stem}.toml")),
            "{stem}: not in the table of docs/guide/mechanics.md"
        );
    }
}

#[test]
fn each_variant_switches_its_mechanism_on() {
    let on = |stem: &str, metric: &str| {
        let s = simulate_text(stem, variant_text(stem));
        let m = mean(&s, metric);
        assert!(m > 0.0, "{stem}: {metric} mean {m}");
        s
    };
    on("time", "duration_s");
    on("slow-tests-5m", "duration_s");
    on("slow-tests-1h", "cache_write_1h_tokens");
    on("context-window", "context_overflows");
    on("compaction", "compactions");
    on("reasoning", "reasoning_tokens");
    on("call-failures-billed", "failed_calls");
    on("call-failures-free", "failed_calls");
    on("task-retry", "task_reruns");
    on("escalate-opus", "escalations");
    let sub = on("subagent-explore", "subagents");
    assert_eq!(mean(&sub, "subagents"), 2.0);
    // A prompt under 8,192 tokens is billed as plain input: more input, fewer cache reads.
    let plain = reference();
    let min = simulate_text("min-cacheable-prompt", variant_text("min-cacheable-prompt"));
    assert!(mean(&min, "input_tokens") > mean(&plain, "input_tokens"));
    assert!(mean(&min, "cache_read_tokens") < mean(&plain, "cache_read_tokens"));
}

fn same_cost(stem: &str, from: &str, to: &str, plain: &Summary) {
    let s = neutralised(stem, from, to);
    assert_eq!(
        s.metric("cost_usd"),
        plain.metric("cost_usd"),
        "{stem} with `{to}`"
    );
    assert_eq!(s.success_rate, plain.success_rate, "{stem} with `{to}`");
}

#[test]
fn at_their_neutral_setting_the_variants_cost_exactly_the_reference() {
    let plain = reference();
    same_cost(
        "min-cacheable-prompt",
        "min_cacheable_prompt = 8192",
        "min_cacheable_prompt = 0",
        &plain,
    );
    same_cost(
        "context-window",
        "context_window = 24000",
        "context_window = 1000000000",
        &plain,
    );
    same_cost(
        "compaction",
        "context_window = 24000",
        "context_window = 1000000000",
        &plain,
    );
    same_cost("task-retry", "p_rerun = 0.5", "p_rerun = 0.0", &plain);
    same_cost(
        "escalate-opus",
        "after = 3, model = \"opus\"",
        "after = 3, model = \"sonnet\"",
        &plain,
    );
}
