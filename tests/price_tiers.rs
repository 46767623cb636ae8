//! Prompt-length tiers: a call whose prompt passes a model's threshold is billed whole (prompt
//! and output) at the tier's rates. Zero-variance scenarios, bills worked out by hand.

use tokencast::engine::{self, RunConfig, Silent};
use tokencast::pricing::TokenKind;
use tokencast::scenario::Scenario;
use tokencast::workflow::TrialUsage;

fn scenario(system_prompt: u64, caching: &str, calls: usize) -> Scenario {
    let steps = vec!["{ call = { output = 100 } }"; calls].join(", ");
    let text = format!(
        r#"
[models.m]
input = 1.0
output = 2.0
cache_write = 1.25
cache_read = 0.1
tiers = [
  {{ above = 1000, input = 3.0, output = 5.0, cache_write = 4.0, cache_read = 0.5 }},
  {{ above = 2000, input = 7.0, output = 11.0, cache_write = 13.0, cache_read = 17.0 }},
]

[agent]
caching = "{caching}"
system_prompt = {system_prompt}

[[phases]]
name = "only"
steps = [{steps}]
"#
    );
    Scenario::from_text("tiers.toml", "tiers", text).unwrap_or_else(|e| panic!("{e}"))
}

fn one_trial(s: &Scenario) -> TrialUsage {
    let wf = &s.workflow;
    let mut usage = TrialUsage::new(wf.phase_count(), wf.model_count());
    wf.run_trial(&mut engine::trial_rng(1, 0), &mut usage);
    usage
}

fn assert_usd(got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-12 * want,
        "got {got} USD, expected {want} USD"
    );
}

#[test]
fn tier_boundary_below_at_and_above() {
    // One uncached call, 100 output tokens. Prompt 999 and 1000 stay at the base rates
    // (1 and 2 USD/MTok); 1001 passes the threshold and the whole call is billed at 3 and 5.
    for (prompt, want) in [
        (999u64, 999.0 * 1.0 + 100.0 * 2.0),
        (1000, 1000.0 * 1.0 + 100.0 * 2.0),
        (1001, 1001.0 * 3.0 + 100.0 * 5.0),
        (2000, 2000.0 * 3.0 + 100.0 * 5.0),
        (2001, 2001.0 * 7.0 + 100.0 * 11.0),
    ] {
        let s = scenario(prompt, "off", 1);
        let usage = one_trial(&s);
        let expected_tier = usize::from(prompt > 1000) + usize::from(prompt > 2000);
        for tier in 0..3 {
            let input = usage.total_tier_tokens(tier, TokenKind::Input);
            assert_eq!(input, if tier == expected_tier { prompt } else { 0 });
        }
        assert_eq!(usage.total_tokens(TokenKind::Input), prompt);
        assert_usd(s.price_table().trial_cost(&usage), want / 1e6);
    }
}

#[test]
fn a_growing_context_crosses_the_threshold_mid_task() {
    // Prefix caching, system prompt 950, three calls of 100 output tokens.
    // Call 1: prompt 950, base tier: write 950, output 100.
    // Call 2: prompt 1050 > 1000, tier 1: read 950, write 100, output 100.
    // Call 3: prompt 1150, tier 1: read 1050, write 100, output 100.
    let s = scenario(950, "prefix", 3);
    let usage = one_trial(&s);
    assert_eq!(usage.total_tier_tokens(0, TokenKind::CacheWrite), 950);
    assert_eq!(usage.total_tier_tokens(1, TokenKind::CacheWrite), 200);
    assert_eq!(usage.total_tier_tokens(1, TokenKind::CacheRead), 2000);
    assert_eq!(usage.total_tier_tokens(1, TokenKind::Output), 200);
    assert_eq!(usage.total_tokens(TokenKind::Output), 300);
    let base = 950.0 * 1.25 + 100.0 * 2.0;
    let tier1 = 2000.0 * 0.5 + 200.0 * 4.0 + 200.0 * 5.0;
    let want = (base + tier1) / 1e6;
    assert_usd(s.price_table().trial_cost(&usage), want);
    // The engine's cost metric agrees with the direct bill.
    let summary = tokencast::simulate(
        &s,
        &RunConfig {
            trials: 50,
            seed: 3,
            threads: Some(1),
        },
        &mut Silent,
    )
    .expect("runs");
    let cost = summary.metric("cost_usd").expect("cost metric");
    assert_usd(cost.mean, want);
    assert_eq!(cost.sd, 0.0);
}

#[test]
fn tiers_must_ascend() {
    let text = r#"
[models.m]
input = 1.0
output = 2.0
tiers = [{ above = 2000, input = 3.0, output = 5.0 }, { above = 2000, input = 4.0, output = 6.0 }]
[agent]
caching = "off"
system_prompt = 10
[[phases]]
name = "p"
steps = [{ call = { output = 1 } }]
"#;
    let err = Scenario::from_text("t.toml", "t", text.into())
        .expect_err("equal thresholds are rejected")
        .to_string();
    assert!(
        err.contains("models.m.tiers[1].above: expected a threshold above the previous tier's 2000, found 2000"),
        "{err}"
    );
}

#[test]
fn a_period_keeps_the_tier_split_of_each_task() {
    // The mid-task crossing above, added to a period: base and tier-1 counts by kind, and the
    // period's list price equals the trial's.
    use tokencast::pricing::{PeriodUsage, RateCard};
    let s = scenario(950, "prefix", 3);
    let usage = one_trial(&s);
    let mut period = PeriodUsage::new(1, usage.tier_count(), 1, 1);
    period.add_task(0, 0, &usage);
    let k = TokenKind::COUNT;
    let cells = period.task_tokens(0);
    assert_eq!(cells[TokenKind::CacheWrite.index()], 950);
    assert_eq!(cells[k + TokenKind::CacheWrite.index()], 200);
    assert_eq!(cells[k + TokenKind::CacheRead.index()], 2000);
    assert_eq!(cells[2 * k + TokenKind::Output.index()], 0);
    let card = RateCard::new(&s.prices, period.tier_count());
    assert_usd(card.list_cost(cells), s.price_table().trial_cost(&usage));
}
