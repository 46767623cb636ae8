//! The bundled price catalog, LiteLLM import, and scenarios that name catalog models.

use assert_cmd::Command;
use tokencast::pricing::{PriceCatalog, TokenKind, litellm};
use tokencast::scenario::Scenario;

#[test]
fn every_bundled_entry_is_dated_and_sourced() {
    let catalog = PriceCatalog::bundled();
    for wanted in [
        "claude-opus-4-5",
        "claude-opus-4-1",
        "claude-sonnet-4-5",
        "claude-haiku-4-5",
        "gpt-5",
        "gpt-5-mini",
        "gpt-5-nano",
        "gpt-4-1",
        "gemini-2-5-pro",
        "gemini-2-5-flash",
        "gemini-3-pro-preview",
        "nova-micro",
        "nova-lite",
        "nova-pro",
        "nova-premier",
        "deepseek-chat",
        "llama-3-3-70b-bedrock",
    ] {
        assert!(catalog.get(wanted).is_some(), "{wanted} is in the catalog");
    }
    for (name, e) in &catalog.entries {
        assert!(
            e.as_of.len() == 10 && e.as_of.as_bytes()[4] == b'-',
            "{name}: as_of is a date"
        );
        assert!(e.source.starts_with("https://"), "{name}: source is a URL");
        assert!(
            e.rates.input.is_some() && e.rates.output.is_some(),
            "{name}"
        );
        // Unsourced rates are said to be so.
        if e.batch.is_none() || !e.missing().is_empty() {
            assert!(!e.notes.is_empty(), "{name}: notes explain what is missing");
        }
    }
}

#[test]
fn a_catalog_typo_is_rejected() {
    let err = PriceCatalog::from_toml("c.toml", "[models.m]\ninptu = 3.0\noutput = 1.0\n");
    assert!(err.is_err(), "{err:?}");
}

/// A LiteLLM sample with the exact keys the import reads, plus keys it must tolerate.
const SAMPLE: &str = r#"{
  "sample_spec": { "input_cost_per_token": 0.0, "litellm_provider": "one of ..." , "max_tokens": "LEGACY" },
  "test-model": {
    "input_cost_per_token": 3e-06,
    "output_cost_per_token": 1.5e-05,
    "output_cost_per_reasoning_token": 1.6e-05,
    "cache_read_input_token_cost": 3e-07,
    "cache_creation_input_token_cost": 3.75e-06,
    "cache_creation_input_token_cost_above_1hr": 6e-06,
    "input_cost_per_token_above_200k_tokens": 6e-06,
    "output_cost_per_token_above_200k_tokens": 2.25e-05,
    "cache_read_input_token_cost_above_200k_tokens": 6e-07,
    "cache_creation_input_token_cost_above_200k_tokens": 7.5e-06,
    "cache_creation_input_token_cost_above_1hr_above_200k_tokens": 1.2e-05,
    "input_cost_per_token_batches": 1.5e-06,
    "output_cost_per_token_batches": 7.5e-06,
    "cache_read_input_token_cost_batches": 1.5e-07,
    "cache_creation_input_token_cost_batches": 1.875e-06,
    "input_cost_per_token_priority": 6e-06,
    "output_cost_per_token_priority": 3e-05,
    "input_cost_per_token_flex": 1.5e-06,
    "input_cost_per_token_above_200k_tokens_batches": 3e-06,
    "provider_specific_entry": { "us": 1.1 },
    "input_cost_per_audio_token": 0.0,
    "litellm_provider": "anthropic",
    "supports_vision": true,
    "search_context_cost_per_query": { "search_context_size_low": 0.01 },
    "a_key_from_the_future": [1, 2, 3]
  },
  "an-image-model": { "output_cost_per_image": 0.04, "litellm_provider": "bedrock" }
}"#;

#[test]
fn litellm_import_reads_every_documented_key_and_tolerates_the_rest() {
    let c = litellm::parse("sample.json", SAMPLE).expect("imports");
    assert!(c.get("an-image-model").is_none(), "no token rates: skipped");
    let e = c.get("test-model").expect("imported");
    let r = e.rates.to_array();
    let want = [
        (TokenKind::Input, 3.0),
        (TokenKind::Output, 15.0),
        (TokenKind::Reasoning, 16.0),
        (TokenKind::CacheRead, 0.3),
        (TokenKind::CacheWrite, 3.75),
        (TokenKind::CacheWrite1h, 6.0),
    ];
    for (kind, v) in want {
        assert_eq!(r[kind.index()], Some(v), "{}", kind.name());
    }
    assert_eq!(e.tiers.len(), 1);
    let t = &e.tiers[0];
    assert_eq!(t.above, 200_000);
    assert_eq!(t.rates.input, Some(6.0));
    assert_eq!(t.rates.output, Some(22.5));
    assert_eq!(t.rates.cache_read, Some(0.6));
    assert_eq!(t.rates.cache_write, Some(7.5));
    assert_eq!(t.rates.cache_write_1h, Some(12.0));
    let b = e.batch.as_ref().expect("batch rates");
    assert_eq!((b.input, b.output), (Some(1.5), Some(7.5)));
    assert_eq!((b.cache_read, b.cache_write), (Some(0.15), Some(1.875)));
    assert_eq!(e.provider, "anthropic");
    // Priced keys it cannot bill are named in the notes, never dropped silently; a zero rate
    // and keys that are not prices are not listed.
    for named in [
        "the priority service tier (2 rates)",
        "the flex service tier (1 rate)",
        "`input_cost_per_token_above_200k_tokens_batches`",
        "`provider_specific_entry`",
        "`search_context_cost_per_query`",
    ] {
        assert!(e.notes.contains(named), "{named} not in: {}", e.notes);
    }
    for quiet in [
        "input_cost_per_audio_token",
        "supports_vision",
        "a_key_from_the_future",
    ] {
        assert!(!e.notes.contains(quiet), "{quiet} in: {}", e.notes);
    }
}

#[test]
fn litellm_import_rejects_a_wrong_type_with_its_place() {
    let err = litellm::parse(
        "bad.json",
        r#"{"m": {"input_cost_per_token": "3e-6", "output_cost_per_token": 1e-6}}"#,
    )
    .expect_err("a string rate is rejected")
    .to_string();
    assert!(
        err.contains("bad.json: m.input_cost_per_token: expected a number"),
        "{err}"
    );
}

fn scenario(models: &str) -> Result<Scenario, String> {
    let text = format!(
        "{models}\n[agent]\nsystem_prompt = 1000\n[[phases]]\nname = \"p\"\nsteps = [{{ call = {{ output = 100 }} }}]\n"
    );
    Scenario::from_text("c.toml", "c", text).map_err(|e| e.to_string())
}

#[test]
fn scenarios_name_catalog_models_and_override_inline() {
    let s = scenario("[models.m]\ncatalog = \"claude-sonnet-4-5\"\ncache_read = 0.25\n").unwrap();
    let p = &s.prices[0];
    assert_eq!(p.rate(TokenKind::Input), 3.0);
    assert_eq!(p.rate(TokenKind::CacheRead), 0.25, "inline overrides");
    assert_eq!(p.rate(TokenKind::CacheWrite1h), 6.0);
    assert_eq!(p.tiers.len(), 1);
    assert_eq!(p.tiers[0].above_prompt_tokens, 200_000);
    assert_eq!(s.workflow.prompt_tier_thresholds, vec![vec![200_000]]);
    // One call, prompt 1000 written to cache, 100 output: 1000 x 3.75 + 100 x 15 per MTok.
    let usage = {
        let wf = &s.workflow;
        let mut u = tokencast::workflow::TrialUsage::new(wf.phase_count(), wf.model_count());
        wf.run_trial(&mut tokencast::engine::trial_rng(1, 0), &mut u);
        u
    };
    let cost = s.price_table().trial_cost(&usage);
    assert!(
        (cost - (1000.0 * 3.75 + 100.0 * 15.0) / 1e6).abs() < 1e-15,
        "{cost}"
    );
}

#[test]
fn a_catalog_model_missing_a_needed_rate_says_so() {
    let err = scenario("[models.m]\ncatalog = \"gpt-5\"\n").unwrap_err();
    assert!(
        err.contains("expected a `cache_write` price (USD per million tokens) because [agent] caching is \"prefix\" (catalog model `gpt-5` states none), found none"),
        "{err}"
    );
    let err = scenario("[models.m]\ncatalog = \"claude-sonet-4-5\"\n").unwrap_err();
    assert!(
        err.contains("unknown catalog model `claude-sonet-4-5`"),
        "{err}"
    );
    assert!(err.contains("did you mean `claude-sonnet-4-5`?"), "{err}");
}

#[test]
fn the_prices_command_lists_the_catalog_and_an_imported_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("model_prices_and_context_window.json");
    std::fs::write(&file, SAMPLE).unwrap();
    let out = Command::cargo_bin("tokencast")
        .unwrap()
        .args(["prices", "--prices"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("claude-sonnet-4-5"), "{text}");
    let line = text
        .lines()
        .find(|l| l.starts_with("test-model"))
        .expect("imported row");
    for v in ["3", "15", "3.75", "6", "0.3", "16", "1.5", "7.5"] {
        assert!(line.split_whitespace().any(|w| w == v), "{v} in {line}");
    }
    let one = Command::cargo_bin("tokencast")
        .unwrap()
        .args(["prices", "nova-micro"])
        .output()
        .unwrap();
    let text = String::from_utf8(one.stdout).unwrap();
    assert!(text.contains("cache_read      0.00875"), "{text}");
    assert!(
        text.contains("source  https://aws.amazon.com/bedrock/pricing/"),
        "{text}"
    );
    let unknown = Command::cargo_bin("tokencast")
        .unwrap()
        .args(["prices", "no-such-model"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn a_typo_inside_a_tier_is_rejected_at_its_line_with_a_suggestion() {
    let text =
        "[models.m]\ninput = 3.0\noutput = 1.0\ntiers = [ { above = 1000, outptu = 9.0 } ]\n";
    let err = PriceCatalog::from_toml("c.toml", text)
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("c.toml:4:27: models.m.tiers[0]"), "{err}");
    assert!(err.contains("unknown key `outptu`"), "{err}");
    assert!(err.contains("did you mean `output`?"), "{err}");
}

#[test]
fn a_typo_in_a_model_entry_names_its_line_and_the_closest_key() {
    let err = PriceCatalog::from_toml("c.toml", "[models.m]\ninptu = 3.0\noutput = 1.0\n")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("c.toml:2:1: models.m"), "{err}");
    assert!(err.contains("did you mean `input`?"), "{err}");
}

#[test]
fn a_partial_model_name_shows_the_entries_it_matches() {
    let prices = |name: &str| {
        let out = Command::cargo_bin("tokencast")
            .unwrap()
            .args(["prices", name])
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };
    // One match: that model in full.
    let (code, text) = prices("sonnet");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.starts_with("`sonnet` matches one model:"), "{text}");
    assert!(text.contains("claude-sonnet-4-5  (anthropic)"), "{text}");
    assert!(text.contains("source  "), "{text}");
    // Words in any spelling: `opus 4.5` finds claude-opus-4-5 alone.
    let (_, text) = prices("Opus 4.5");
    assert!(text.contains("claude-opus-4-5  (anthropic)"), "{text}");
    // Several matches: the listing of those, and only those.
    let (code, text) = prices("claude");
    assert_eq!(code, Some(0));
    assert!(text.starts_with("No model is named `claude`;"), "{text}");
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("claude-")).collect();
    assert!(rows.len() >= 4, "{text}");
    assert!(!text.contains("gpt-5"), "{text}");
    // No match at all: exit 2, as before.
    assert_eq!(prices("no-such-model").0, Some(2));
}

#[test]
fn a_batch_share_bills_catalog_batch_rates_and_names_a_model_without_them() {
    let billing = "[workload]\nseats = 10\ntasks_per_seat = 5\n[billing.batchy]\ntokens = { batch_share = 0.5 }\n";
    // Anthropic's, OpenAI's and Google's current models carry their batch rates (issue 19).
    for model in [
        "claude-opus-4-5",
        "claude-sonnet-4-5",
        "claude-haiku-4-5",
        "gpt-5",
        "gpt-5-mini",
        "gpt-5-nano",
        "gemini-2-5-pro",
        "gemini-2-5-flash",
        "gemini-3-pro-preview",
    ] {
        let c = PriceCatalog::bundled();
        let e = c.get(model).expect("in the catalog");
        let b = e
            .batch
            .as_ref()
            .unwrap_or_else(|| panic!("{model}: batch rates"));
        // Every vendor above bills batch input and output at half the list rate.
        assert_eq!(
            b.input,
            e.rates.input.map(|r| r / 2.0),
            "{model} batch input"
        );
        assert_eq!(
            b.output,
            e.rates.output.map(|r| r / 2.0),
            "{model} batch output"
        );
        assert!(e.source.contains("batch: "), "{model}: batch source");
    }
    let s = scenario(&format!(
        "[models.m]\ncatalog = \"claude-sonnet-4-5\"\n{billing}"
    ))
    .expect("Sonnet 4.5 has batch rates");
    assert_eq!(s.prices[0].batch_per_mtok.map(|b| b[0]), Some(1.5));
    // DeepSeek states none: the message names the model that lacks them.
    let err = scenario(&format!(
        "[models.ds]\ncatalog = \"deepseek-chat\"\ncache_write = 0.28\n{billing}"
    ))
    .unwrap_err();
    assert!(
        err.contains(
            "expected batch rates for every model to bill a batch share of 0.5, found none for `ds`"
        ),
        "{err}"
    );
}
