//! Zero-variance scenarios: every distribution fixed, every loop decided (p_pass 0 or 1), so
//! each trial is the same and every figure can be worked out by hand (in the comments) and
//! asserted exactly: token counts and calls with `==`, dollars within 1e-12 relative (the only
//! rounding is the floating-point dot product of counts and rates). The summary must then show
//! sd = se = 0, and min, every percentile, max and the mean beyond P95 equal to the value.

use tokencast::engine::{self, RunConfig, Silent, Summary};
use tokencast::pricing::TokenKind;
use tokencast::scenario::Scenario;
use tokencast::stats::MetricSummary;
use tokencast::workflow::TrialUsage;

const TRIALS: u64 = 3000; // three chunks, the last one partial

fn compile(text: &str) -> Scenario {
    Scenario::from_text("degenerate.toml", "degenerate", text.to_string())
        .unwrap_or_else(|e| panic!("scenario compiles: {e}"))
}

fn summarise(scenario: &Scenario) -> Summary {
    let config = RunConfig {
        trials: TRIALS,
        seed: 7,
        threads: Some(2),
    };
    tokencast::simulate(scenario, &config, &mut Silent).expect("the run completes")
}

/// One trial's usage (every trial is the same; seed and index are arbitrary).
fn one_trial(scenario: &Scenario) -> TrialUsage {
    let wf = &scenario.workflow;
    let mut usage = TrialUsage::new(wf.phase_count(), wf.model_count());
    wf.run_trial(&mut engine::trial_rng(99, 12345), &mut usage);
    usage
}

fn assert_usd(what: &str, got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-12 * want.abs(),
        "{what}: got {got} USD, expected {want} USD"
    );
}

/// Asserts a metric is the constant `value` in every reported figure.
fn assert_constant(what: &str, m: &MetricSummary, value: f64, dollars: bool) {
    let close = |x: f64| {
        if dollars {
            (x - value).abs() <= 1e-12 * value.abs()
        } else {
            x == value
        }
    };
    let figures = [
        ("mean", m.mean),
        ("min", m.min),
        ("p5", m.p5),
        ("p25", m.p25),
        ("p50", m.p50),
        ("p75", m.p75),
        ("p90", m.p90),
        ("p95", m.p95),
        ("p99", m.p99),
        ("max", m.max),
        ("mean_beyond_p95", m.mean_beyond_p95),
    ];
    for (name, x) in figures {
        assert!(close(x), "{what}.{name}: got {x}, expected {value}");
    }
    let ci = &m.ci95;
    for (name, i) in [
        ("p5", ci.p5),
        ("p25", ci.p25),
        ("p50", ci.p50),
        ("p75", ci.p75),
        ("p90", ci.p90),
        ("p95", ci.p95),
        ("p99", ci.p99),
    ] {
        assert!(
            close(i.lo) && close(i.hi),
            "{what}.ci95.{name}: got [{}, {}], expected {value}",
            i.lo,
            i.hi
        );
    }
    assert_eq!((m.sd, m.se), (0.0, 0.0), "{what}: a constant has no spread");
}

fn metric<'a>(summary: &'a Summary, name: &str) -> &'a MetricSummary {
    summary.metric(name).expect("metric reported")
}

fn phase_metric<'a>(summary: &'a Summary, phase: &str, name: &str) -> &'a MetricSummary {
    summary
        .by_phase
        .get(phase)
        .and_then(|p| p.get(name))
        .expect("phase metric reported")
}

fn model_metric<'a>(summary: &'a Summary, model: &str, name: &str) -> &'a MetricSummary {
    summary
        .by_model
        .get(model)
        .and_then(|p| p.get(name))
        .expect("model metric reported")
}

const PRICES: &str = r#"
[models.sonnet]
input = 3.0
output = 15.0
cache_write = 3.75
cache_read = 0.30
"#;

/// Explore three times (call out 10, tool 200), a fix loop that never passes and goes on after
/// its 4 attempts (call out 40, tool 60), then a finish call (out 50).
fn three_phase_text(caching: &str) -> String {
    format!(
        r#"
{PRICES}
[agent]
caching = "{caching}"
system_prompt = 1000
task_prompt = 100

[[phases]]
name = "explore"
repeat = 3
steps = [{{ call = {{ output = 10 }} }}, {{ tool = {{ tokens = 200 }} }}]

[[phases]]
name = "fix"
until_pass = {{ p_pass = 0.0, max_attempts = 4, on_exhausted = "continue" }}
steps = [{{ call = {{ output = 40 }} }}, {{ tool = {{ tokens = 60 }} }}]

[[phases]]
name = "finish"
steps = [{{ call = {{ output = 50 }} }}]
"#
    )
}

// By hand, context starts at 1000 + 100 = 1100.
//   call  phase    prompt  cache_read  cache_write  output  context after call (+ tool)
//   1     explore  1100    0           1100         10      1110 + 200 = 1310
//   2     explore  1310    1100        210          10      1320 + 200 = 1520
//   3     explore  1520    1310        210          10      1530 + 200 = 1730
//   4     fix      1730    1520        210          40      1770 + 60  = 1830
//   5     fix      1830    1730        100          40      1870 + 60  = 1930
//   6     fix      1930    1830        100          40      1970 + 60  = 2030
//   7     fix      2030    1930        100          40      2070 + 60  = 2130
//   8     finish   2130    2030        100          50      2180
// Sum of prompts 13580; cache_write = 2130 (the last prompt), cache_read = 11450, output 240.
// Per phase (write, read, output):
//   explore (1520, 2410, 30): 3.75*1520 + 0.30*2410 + 15*30  = 5700 + 723  + 450  = 6873
//   fix     (510, 7010, 160): 3.75*510  + 0.30*7010 + 15*160 = 1912.5 + 2103 + 2400 = 6415.5
//   finish  (100, 2030, 50):  3.75*100  + 0.30*2030 + 15*50  = 375  + 609  + 750  = 1734
// Total 15022.5 micro-dollars = 0.0150225 USD.
#[test]
fn three_phases_with_prefix_caching() {
    let scenario = compile(&three_phase_text("prefix"));
    let usage = one_trial(&scenario);
    assert_eq!(usage.total_tokens(TokenKind::CacheWrite), 2130);
    assert_eq!(usage.total_tokens(TokenKind::CacheRead), 11450);
    assert_eq!(usage.total_tokens(TokenKind::Output), 240);
    assert_eq!(usage.total_tokens(TokenKind::Input), 0);
    assert_eq!(usage.total_tokens(TokenKind::Reasoning), 0);
    assert_eq!(usage.total_tokens(TokenKind::CacheWrite1h), 0);
    let per_phase = [(1520, 2410, 30, 3), (510, 7010, 160, 4), (100, 2030, 50, 1)];
    for (p, (write, read, out, n)) in per_phase.into_iter().enumerate() {
        assert_eq!(
            usage.tokens(p, 0, TokenKind::CacheWrite),
            write,
            "phase {p}"
        );
        assert_eq!(usage.tokens(p, 0, TokenKind::CacheRead), read, "phase {p}");
        assert_eq!(usage.tokens(p, 0, TokenKind::Output), out, "phase {p}");
        assert_eq!(usage.phase_calls(p), n, "phase {p}");
        assert_eq!(usage.iterations(p), n, "phase {p}");
    }
    assert_eq!(usage.total_calls(), 8);
    assert!(
        usage.success,
        "on_exhausted = \"continue\" keeps the task successful"
    );
    assert_usd(
        "trial cost",
        scenario.price_table().trial_cost(&usage),
        0.0150225,
    );

    let summary = summarise(&scenario);
    assert_constant("cost_usd", metric(&summary, "cost_usd"), 0.0150225, true);
    assert_constant("calls", metric(&summary, "calls"), 8.0, false);
    assert_constant(
        "cache_write",
        metric(&summary, "cache_write_tokens"),
        2130.0,
        false,
    );
    assert_constant(
        "cache_read",
        metric(&summary, "cache_read_tokens"),
        11450.0,
        false,
    );
    assert_constant("output", metric(&summary, "output_tokens"), 240.0, false);
    assert_constant("input", metric(&summary, "input_tokens"), 0.0, false);
    assert_constant(
        "reasoning",
        metric(&summary, "reasoning_tokens"),
        0.0,
        false,
    );
    let write_1h = metric(&summary, "cache_write_1h_tokens");
    assert_constant("cache_write_1h", write_1h, 0.0, false);
    let phases = [
        ("explore", 6873e-6, 3.0),
        ("fix", 6415.5e-6, 4.0),
        ("finish", 1734e-6, 1.0),
    ];
    for (name, cost, n) in phases {
        assert_constant(name, phase_metric(&summary, name, "cost_usd"), cost, true);
        assert_constant(name, phase_metric(&summary, name, "calls"), n, false);
        assert_constant(name, phase_metric(&summary, name, "iterations"), n, false);
    }
    assert_eq!(summary.success_rate.mean, 1.0);
    assert_eq!(summary.success_rate.se, 0.0);
    assert_usd(
        "cost per success",
        summary.cost_per_success_usd.mean,
        0.0150225,
    );
}

// Same trial without caching: every prompt token is input. Input = sum of prompts = 13580,
// output 240; cost = 3*13580 + 15*240 = 40740 + 3600 = 44340 micro-dollars.
#[test]
fn three_phases_without_caching() {
    let scenario = compile(&three_phase_text("off"));
    let summary = summarise(&scenario);
    assert_constant("input", metric(&summary, "input_tokens"), 13580.0, false);
    assert_constant("output", metric(&summary, "output_tokens"), 240.0, false);
    assert_constant(
        "cache_read",
        metric(&summary, "cache_read_tokens"),
        0.0,
        false,
    );
    assert_constant(
        "cache_write",
        metric(&summary, "cache_write_tokens"),
        0.0,
        false,
    );
    assert_constant("calls", metric(&summary, "calls"), 8.0, false);
    assert_constant("cost_usd", metric(&summary, "cost_usd"), 44340e-6, true);
    // explore prompts 1100+1310+1520 = 3930: 3*3930 + 15*30 = 12240;
    // fix prompts 1730+1830+1930+2030 = 7520: 3*7520 + 15*160 = 24960;
    // finish prompt 2130: 3*2130 + 15*50 = 7140. Sum 44340.
    for (name, cost) in [
        ("explore", 12240e-6),
        ("fix", 24960e-6),
        ("finish", 7140e-6),
    ] {
        assert_constant(name, phase_metric(&summary, name, "cost_usd"), cost, true);
    }
}

/// A loop with the given pass probability and `on_exhausted = "fail"`, then phases that run
/// on success, on failure and always. Caching off; input 2, output 10 USD per MTok.
fn branching_text(p_pass: f64) -> String {
    format!(
        r#"
[models.m]
input = 2.0
output = 10.0

[agent]
caching = "off"
system_prompt = 500

[[phases]]
name = "try"
until_pass = {{ p_pass = {p_pass:?}, max_attempts = 2, on_exhausted = "fail" }}
steps = [{{ call = {{ output = 100 }} }}]

[[phases]]
name = "celebrate"
when = "on_success"
steps = [{{ call = {{ output = 1000 }} }}]

[[phases]]
name = "report"
when = "on_failure"
steps = [{{ call = {{ output = 7 }} }}]

[[phases]]
name = "wrap_up"
steps = [{{ call = {{ output = 3 }} }}]
"#
    )
}

// p_pass = 0: try runs 2 attempts (prompts 500, 600; context 700) and fails the task;
// celebrate is skipped; report runs (prompt 700, context 707); wrap_up runs (prompt 707).
// Input 500+600+700+707 = 2507, output 100+100+7+3 = 210, calls 4, success 0.
// Cost 2*2507 + 10*210 = 5014 + 2100 = 7114 micro-dollars.
#[test]
fn a_failed_loop_runs_the_on_failure_phase() {
    let scenario = compile(&branching_text(0.0));
    let usage = one_trial(&scenario);
    assert!(!usage.success);
    assert_eq!(
        (0..4).map(|p| usage.iterations(p)).collect::<Vec<_>>(),
        [2, 0, 1, 1]
    );
    let summary = summarise(&scenario);
    assert_eq!(summary.success_rate.mean, 0.0);
    assert_eq!(summary.success_rate.se, 0.0);
    assert_constant("input", metric(&summary, "input_tokens"), 2507.0, false);
    assert_constant("output", metric(&summary, "output_tokens"), 210.0, false);
    assert_constant("calls", metric(&summary, "calls"), 4.0, false);
    assert_constant("cost_usd", metric(&summary, "cost_usd"), 7114e-6, true);
    for (phase, iterations, cost) in [
        ("try", 2.0, (2.0 * 1100.0 + 10.0 * 200.0) * 1e-6),
        ("celebrate", 0.0, 0.0),
        ("report", 1.0, (2.0 * 700.0 + 10.0 * 7.0) * 1e-6),
        ("wrap_up", 1.0, (2.0 * 707.0 + 10.0 * 3.0) * 1e-6),
    ] {
        let it = phase_metric(&summary, phase, "iterations");
        assert_constant(phase, it, iterations, false);
        let c = phase_metric(&summary, phase, "cost_usd");
        assert_constant(phase, c, cost, true);
    }
}

// p_pass = 1: try passes on its first attempt (prompt 500, context 600); celebrate runs
// (prompt 600, context 1600); report is skipped; wrap_up runs (prompt 1600).
// Input 500+600+1600 = 2700, output 100+1000+3 = 1103, calls 3, success 1.
// Cost 2*2700 + 10*1103 = 5400 + 11030 = 16430 micro-dollars.
#[test]
fn a_passed_loop_runs_the_on_success_phase() {
    let scenario = compile(&branching_text(1.0));
    let usage = one_trial(&scenario);
    assert!(usage.success);
    assert_eq!(
        (0..4).map(|p| usage.iterations(p)).collect::<Vec<_>>(),
        [1, 1, 0, 1]
    );
    let summary = summarise(&scenario);
    assert_eq!(summary.success_rate.mean, 1.0);
    assert_constant("input", metric(&summary, "input_tokens"), 2700.0, false);
    assert_constant("output", metric(&summary, "output_tokens"), 1103.0, false);
    assert_constant("calls", metric(&summary, "calls"), 3.0, false);
    assert_constant("cost_usd", metric(&summary, "cost_usd"), 16430e-6, true);
    assert_usd(
        "cost per success",
        summary.cost_per_success_usd.mean,
        16430e-6,
    );
    assert_constant(
        "report iterations",
        phase_metric(&summary, "report", "iterations"),
        0.0,
        false,
    );
}

// Two models, caching off. Models are ordered by name: big (0), small (1).
//   plan:   big   prompt 1000, out 200 -> context 1200
//   work 1: small prompt 1200, out 50  -> 1250, tool 100 -> 1350
//   work 2: small prompt 1350, out 50  -> 1400, tool 100 -> 1500
//   review: big   prompt 1500, out 20  -> 1520
// big:   input 1000+1500 = 2500, output 220, calls 2, cost 15*2500 + 75*220 = 54000
// small: input 1200+1350 = 2550, output 100, calls 2, cost  1*2550 +  5*100 = 3050
// total: input 5050, output 320, calls 4, cost 57050 micro-dollars.
#[test]
fn per_model_breakdowns_add_up_to_the_totals() {
    let text = r#"
[models.big]
input = 15.0
output = 75.0

[models.small]
input = 1.0
output = 5.0

[agent]
model = "small"
caching = "off"
system_prompt = 1000

[[phases]]
name = "plan"
steps = [{ call = { model = "big", output = 200 } }]

[[phases]]
name = "work"
repeat = 2
steps = [{ call = { output = 50 } }, { tool = { tokens = 100 } }]

[[phases]]
name = "review"
steps = [{ call = { model = "big", output = 20 } }]
"#;
    let scenario = compile(text);
    let usage = one_trial(&scenario);
    assert_eq!(scenario.workflow.model_names, ["big", "small"]);
    assert_eq!(usage.model_tokens(0, TokenKind::Input), 2500);
    assert_eq!(usage.model_tokens(1, TokenKind::Input), 2550);
    assert_eq!(usage.model_calls(0), 2);
    assert_eq!(usage.model_calls(1), 2);

    let summary = summarise(&scenario);
    let models = [
        ("big", 2500.0, 220.0, 2.0, 54000e-6),
        ("small", 2550.0, 100.0, 2.0, 3050e-6),
    ];
    for (model, input, output, calls, cost) in models {
        let get = |name| model_metric(&summary, model, name);
        assert_constant(model, get("input_tokens"), input, false);
        assert_constant(model, get("output_tokens"), output, false);
        assert_constant(model, get("calls"), calls, false);
        assert_constant(model, get("cost_usd"), cost, true);
        assert_constant(model, get("cache_read_tokens"), 0.0, false);
    }
    assert_constant("input", metric(&summary, "input_tokens"), 5050.0, false);
    assert_constant("output", metric(&summary, "output_tokens"), 320.0, false);
    assert_constant("calls", metric(&summary, "calls"), 4.0, false);
    assert_constant("cost_usd", metric(&summary, "cost_usd"), 57050e-6, true);
    // The phases: plan 15*1000 + 75*200 = 30000; work 3050; review 15*1500 + 75*20 = 24000.
    for (phase, cost, calls) in [
        ("plan", 30000e-6, 1.0),
        ("work", 3050e-6, 2.0),
        ("review", 24000e-6, 1.0),
    ] {
        assert_constant(phase, phase_metric(&summary, phase, "cost_usd"), cost, true);
        assert_constant(phase, phase_metric(&summary, phase, "calls"), calls, false);
    }
}
