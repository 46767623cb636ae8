//! Invariants of pricing and caching on random small scenarios (proptest).
//!
//! Each case writes a random scenario as TOML (1–3 models with random prices >= 0, 1–4 phases
//! of random fixed or log-normal token counts, fixed or Poisson repeat counts, loops with random
//! pass probabilities, maxima and exhaustion rules, random `when`), runs a few trials through
//! the engine and compares trials one by one (same seed, same trial index):
//! - a cost is never negative;
//! - raising any one price never lowers any trial's cost;
//! - doubling every price doubles every trial's cost (within 1e-12 relative);
//! - with prefix caching, cache_read + cache_write equals the trial's total prompt tokens, so
//!   cache_read never exceeds them, and nothing is billed as plain input. The total prompt
//!   tokens are measured independently, as the input tokens of the same scenario with
//!   caching off (caching consumes no randomness, so the trials are the same).

use proptest::prelude::*;
use tokencast::engine::{self, Observer, RunConfig, TrialBlock};
use tokencast::pricing::{ModelPrices, PriceTable, TokenKind};
use tokencast::scenario::Scenario;

const TRIALS: u64 = 24;
const SEED: u64 = 77;

/// A token-count distribution as TOML.
fn dist() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..3000).prop_map(|v| v.to_string()),
        (0.0f64..500.0).prop_map(|v| format!("{v:?}")),
        (1.0f64..3000.0, 0.05f64..1.5)
            .prop_map(|(m, s)| format!("{{ lognormal = {{ median = {m:?}, sigma = {s:?} }} }}")),
    ]
}

/// How a phase repeats, as TOML keys.
fn repeat() -> impl Strategy<Value = String> {
    let p_pass = prop_oneof![Just(0.0f64), Just(1.0f64), 0.0f64..=1.0];
    let on_exhausted = prop_oneof![Just("fail"), Just("continue")];
    prop_oneof![
        Just(String::new()),
        (0u32..4).prop_map(|n| format!("repeat = {n}")),
        (0.0f64..3.0).prop_map(|m| format!("repeat = {{ poisson = {{ mean = {m:?} }} }}")),
        (p_pass, 1u32..5, on_exhausted).prop_map(|(p, n, e)| format!(
            "until_pass = {{ p_pass = {p:?}, max_attempts = {n}, on_exhausted = \"{e}\" }}"
        )),
    ]
}

/// One step: a call (by a model index) or a tool result.
#[derive(Debug, Clone)]
enum Step {
    Call(usize, String),
    Tool(String),
}

fn step(models: usize) -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..models, dist()).prop_map(|(m, d)| Step::Call(m, d)),
        dist().prop_map(Step::Tool),
    ]
}

#[derive(Debug, Clone)]
struct Phase {
    when: &'static str,
    repeat: String,
    steps: Vec<Step>,
}

fn phase(models: usize) -> impl Strategy<Value = Phase> {
    (
        prop_oneof![Just("always"), Just("on_success"), Just("on_failure")],
        repeat(),
        prop::collection::vec(step(models), 1..4),
    )
        .prop_map(|(when, repeat, steps)| Phase {
            when,
            repeat,
            steps,
        })
}

/// A random scenario: its models' prices and its text without the caching line.
#[derive(Debug, Clone)]
struct Case {
    /// (input, output, cache_write, cache_read) per model, USD per million tokens.
    prices: Vec<[f64; 4]>,
    system: String,
    task: String,
    phases: Vec<Phase>,
}

fn price() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), 0.0f64..100.0]
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..=3).prop_flat_map(|models| {
        (
            prop::collection::vec(prop::array::uniform4(price()), models),
            dist(),
            dist(),
            prop::collection::vec(phase(models), 1..5),
        )
            .prop_map(|(prices, system, task, phases)| Case {
                prices,
                system,
                task,
                phases,
            })
    })
}

impl Case {
    fn text(&self, caching: &str) -> String {
        let mut t = String::new();
        for (m, p) in self.prices.iter().enumerate() {
            t += &format!(
                "[models.m{m}]\ninput = {:?}\noutput = {:?}\ncache_write = {:?}\ncache_read = {:?}\n\n",
                p[0], p[1], p[2], p[3]
            );
        }
        t += &format!(
            "[agent]\nmodel = \"m0\"\ncaching = \"{caching}\"\nsystem_prompt = {}\ntask_prompt = {}\n\n",
            self.system, self.task
        );
        // A first phase with one call, so every scenario bills something.
        t += "[[phases]]\nname = \"start\"\nsteps = [{ call = { output = 10 } }]\n\n";
        for (i, ph) in self.phases.iter().enumerate() {
            let steps: Vec<String> = ph
                .steps
                .iter()
                .map(|s| match s {
                    Step::Call(m, d) => {
                        format!("{{ call = {{ model = \"m{m}\", output = {d} }} }}")
                    }
                    Step::Tool(d) => format!("{{ tool = {{ tokens = {d} }} }}"),
                })
                .collect();
            t += &format!(
                "[[phases]]\nname = \"p{i}\"\nwhen = \"{}\"\n{}\nsteps = [{}]\n\n",
                ph.when,
                ph.repeat,
                steps.join(", ")
            );
        }
        t
    }

    fn scenario(&self, caching: &str) -> Scenario {
        let text = self.text(caching);
        Scenario::from_text("random.toml", "random", text.clone())
            .unwrap_or_else(|e| panic!("{e}\n{text}"))
    }
}

/// Per-trial cost, and tokens by `[model * TokenKind::COUNT + kind]`.
#[derive(Default)]
struct Collect {
    cost: Vec<f64>,
    tokens: Vec<Vec<u64>>,
}

impl Collect {
    /// A trial's tokens of one kind, summed over models.
    fn total(&self, trial: usize, kind: TokenKind) -> u64 {
        self.tokens[trial]
            .chunks_exact(TokenKind::COUNT)
            .map(|m| m[kind.index()])
            .sum()
    }
}

impl Observer for Collect {
    fn wants_trials(&self) -> bool {
        true
    }

    fn trials(&mut self, block: &TrialBlock) -> Result<(), String> {
        for row in 0..block.len() {
            self.cost.push(block.cost[row]);
            let mut t = Vec::with_capacity(block.models * TokenKind::COUNT);
            for m in 0..block.models {
                t.extend(TokenKind::ALL.iter().map(|&k| block.tokens(row, m, k)));
            }
            self.tokens.push(t);
        }
        Ok(())
    }
}

fn run(scenario: &Scenario, prices: &[ModelPrices]) -> Collect {
    let mut collect = Collect::default();
    let config = RunConfig {
        trials: TRIALS,
        seed: SEED,
        threads: Some(1),
    };
    engine::run(
        &scenario.workflow,
        &PriceTable::new(prices),
        &config,
        &mut collect,
    )
    .expect("the run completes");
    assert_eq!(collect.cost.len() as u64, TRIALS);
    collect
}

/// Every kind whose rate a scenario's prices set (reasoning and 1-hour writes included).
const KINDS: [TokenKind; TokenKind::COUNT] = TokenKind::ALL;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn costs_are_non_negative_and_monotone_in_every_price(
        case in case(),
        caching in prop_oneof![Just("prefix"), Just("off")],
        model_pick in 0usize..3,
        kind_pick in 0usize..TokenKind::COUNT,
        raise in prop_oneof![0.0f64..1.0, 1.0f64..1000.0],
    ) {
        let scenario = case.scenario(caching);
        let base = run(&scenario, &scenario.prices);
        for (i, &c) in base.cost.iter().enumerate() {
            prop_assert!(c.is_finite() && c >= 0.0, "trial {i} costs {c}");
        }

        let model = model_pick % scenario.prices.len();
        let kind = KINDS[kind_pick];
        let mut raised = scenario.prices.clone();
        let old = raised[model].rate(kind);
        raised[model].set_rate(kind, old + raise);
        let higher = run(&scenario, &raised);
        for (i, (a, b)) in base.cost.iter().zip(&higher.cost).enumerate() {
            prop_assert!(
                b >= a,
                "trial {i}: raising {:?} of model {model} by {raise} lowered the cost from {a} to {b}",
                kind
            );
        }
        // Pricing never changes usage, and the cost grows by exactly the raised rate times the
        // tokens of that kind and model (up to floating-point rounding of the sums).
        prop_assert_eq!(&base.tokens, &higher.tokens);
        for (i, (a, b)) in base.cost.iter().zip(&higher.cost).enumerate() {
            let tokens = base.tokens[i][model * TokenKind::COUNT + kind.index()] as f64;
            let want = raise * tokens / 1e6;
            prop_assert!(
                ((b - a) - want).abs() <= 1e-9 * b.max(1e-300),
                "trial {i}: cost rose by {} instead of {want}",
                b - a
            );
        }
    }

    #[test]
    fn doubling_every_price_doubles_every_cost(
        case in case(),
        caching in prop_oneof![Just("prefix"), Just("off")],
    ) {
        let scenario = case.scenario(caching);
        let base = run(&scenario, &scenario.prices);
        let doubled: Vec<ModelPrices> = scenario
            .prices
            .iter()
            .map(|p| {
                let mut d = p.clone();
                for k in KINDS {
                    d.set_rate(k, 2.0 * p.rate(k));
                }
                d
            })
            .collect();
        let twice = run(&scenario, &doubled);
        for (i, (a, b)) in base.cost.iter().zip(&twice.cost).enumerate() {
            prop_assert!(
                (b - 2.0 * a).abs() <= 1e-12 * (2.0 * a),
                "trial {i}: cost {a} became {b} when prices doubled"
            );
        }
    }

    #[test]
    fn cached_and_written_tokens_are_exactly_the_prompt_tokens(case in case()) {
        let prefix = case.scenario("prefix");
        let off = case.scenario("off");
        let cached = run(&prefix, &prefix.prices);
        let plain = run(&off, &off.prices);
        for i in 0..cached.cost.len() {
            let prompts = plain.total(i, TokenKind::Input);
            let read = cached.total(i, TokenKind::CacheRead);
            let write = cached.total(i, TokenKind::CacheWrite);
            prop_assert_eq!(cached.total(i, TokenKind::Input), 0, "trial {}: input with caching on", i);
            prop_assert_eq!(
                plain.total(i, TokenKind::CacheRead) + plain.total(i, TokenKind::CacheWrite),
                0,
                "trial {}: cache use with caching off",
                i
            );
            prop_assert!(read <= prompts, "trial {i}: read {read} of {prompts} prompt tokens");
            prop_assert_eq!(read + write, prompts, "trial {}: read + write vs prompts", i);
            prop_assert_eq!(
                cached.total(i, TokenKind::Output),
                plain.total(i, TokenKind::Output),
                "trial {}: caching changed the draws",
                i
            );
        }
    }
}
