//! `tokencast validate` words `[workload]` and every kind of `[billing.NAME]` scheme the parser
//! accepts: token prices (discount, batch share, consumption units and each rounding), seat
//! plans (each allowance and what happens beyond it, a cap), committed spend, provisioned units
//! (fixed or sized to a peak, spill or not, output weight) and self-hosted GPUs. Each sentence
//! is asserted exactly, and no snake_case name or key leaks into the explanation.

use assert_cmd::Command;

/// A one-call task with batch rates, the given workload and billing sections.
fn scenario_text(workload: &str, billing: &str) -> String {
    format!(
        r#"
[models.m]
input = 1.0
output = 10.0
batch = {{ input = 0.5, output = 5.0 }}
[agent]
caching = "off"
system_prompt = 1000
[[phases]]
name = "p"
steps = [{{ call = {{ output = 100 }} }}]
[workload]
{workload}
{billing}
"#
    )
}

/// Runs `tokencast validate` on the text; returns stdout from the workload section on.
fn validate(workload: &str, billing: &str) -> String {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("billing.toml");
    std::fs::write(&path, scenario_text(workload, billing)).expect("written");
    let out = Command::cargo_bin("tokencast")
        .expect("the binary is built")
        .arg("validate")
        .arg(&path)
        .output()
        .expect("runs");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let start = stdout.find("\nworkload").expect("a workload section");
    stdout[start..].to_string()
}

/// The line of scheme `name` (in words) under "billing schemes", with its continuation lines.
fn scheme_lines(out: &str, name: &str) -> String {
    let prefix = format!("  {name} (");
    let mut lines = out.lines().skip_while(|l| !l.starts_with(&prefix));
    let mut text = lines
        .next()
        .unwrap_or_else(|| panic!("{name}: {out}"))
        .to_string();
    for l in lines.take_while(|l| l.starts_with("    ")) {
        text.push('\n');
        text.push_str(l);
    }
    text
}

/// Words joined by `_` (a snake_case key or name) anywhere in `text`.
fn snake_case(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.contains('_') && w.split('_').all(|p| !p.is_empty()))
        .collect()
}

const WORKLOAD: &str = r#"seats = 1200
tasks_per_seat = 150
dispersion = 2
working_days = 20
hours_per_day = 10
periods = 2500
baseline = "pay_as_you_go"
sweep = { min = 50, max = 300, points = 6, periods = 1000 }"#;

#[test]
fn the_workload_is_explained_in_words() {
    let out = validate(WORKLOAD, "[billing.pay_as_you_go]\ntokens = {}\n");
    assert!(
        out.starts_with(
            "\nworkload (for compare): one simulated month of the team's work at a time\n\
             \x20 1,200 seats, on average 150 tasks per seat a month; heavy and light users: each seat's count is negative binomial with dispersion 2 (variance = mean + mean²/2)\n\
             \x20 tasks start uniformly over 20 working days of 10 hours (200 working hours a month)\n\
             \x20 2,500 simulated months by default; every scheme prices the same months\n\
             \x20 break-even sweep: 6 levels of tasks per seat from 50 to 300, 1,000 simulated months each\n\
             \nbilling schemes, by name\n\
             \x20 pay as you go (tokens, the baseline the others are compared with): list prices\n"
        ),
        "{out}"
    );
    assert!(out.ends_with("\nok: the scenario is valid; nothing was run.\n"));
    assert!(snake_case(&out).is_empty(), "{:?}", snake_case(&out));
    // Without dispersion, the counts are Poisson; defaults are written out.
    let out = validate(
        "seats = 3\ntasks_per_seat = 2.5",
        "[billing.a]\ntokens = {}\n",
    );
    assert!(
        out.contains(
            "  3 seats, on average 2.5 tasks per seat a month; each seat's count is Poisson\n\
             \x20 tasks start uniformly over 21 working days of 8 hours (168 working hours a month)\n\
             \x20 1,000 simulated months by default; every scheme prices the same months\n\
             \x20 break-even sweep: 9 levels of tasks per seat from 0.625 to 10, 250 simulated months each\n"
        ),
        "{out}"
    );
}

#[test]
fn a_scenario_without_billing_explains_no_workload() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = Command::cargo_bin("tokencast")
        .expect("the binary is built")
        .arg("validate")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/reference-coding-task.toml"
        ))
        .current_dir(dir.path())
        .output()
        .expect("runs");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(out.status.success());
    assert!(
        !stdout.contains("workload") && !stdout.contains("billing schemes"),
        "{stdout}"
    );
}

/// Every kind of scheme, each in words: (section, name in words, the exact line(s)).
const SCHEMES: &[(&str, &str, &str)] = &[
    (
        "[billing.list]\ntokens = {}",
        "list",
        "  list (tokens, the baseline the others are compared with): list prices",
    ),
    (
        "[billing.negotiated_units]\ntokens = { discount = 0.15, batch_share = 0.3, units = { usd_per_unit = 0.01 } }",
        "negotiated units",
        "  negotiated units (tokens): list prices less 15%, 30% at batch rates, in units of $0.01 metered every working hour, rounded up",
    ),
    (
        "[billing.units_nearest]\ntokens = { units = { usd_per_unit = 1500, metering_hours = 24, rounding = \"nearest\" } }",
        "units nearest",
        "  units nearest (tokens): list prices, in units of $1,500 metered every 24 working hours, rounded to the nearest unit",
    ),
    (
        "[billing.units_down]\ntokens = { units = { usd_per_unit = 0.5, rounding = \"down\" } }",
        "units down",
        "  units down (tokens): list prices, in units of $0.5 metered every working hour, rounded down",
    ),
    (
        "[billing.units_fractional]\ntokens = { units = { usd_per_unit = 0.01, rounding = \"none\" } }",
        "units fractional",
        "  units fractional (tokens): list prices, in units of $0.01 metered every working hour, not rounded",
    ),
    (
        "[billing.seats_throttled]\nseats = { usd_per_seat = 19, allowance = { requests = 1500 }, beyond = \"throttle\" }",
        "seats throttled",
        "  seats throttled (seats): $19 per seat with 1,500 requests each; beyond, throttled",
    ),
    (
        "[billing.seats_token_rate]\nseats = { usd_per_seat = 2500, allowance = { tokens = 20000000 }, beyond = \"rate\", overage_rate = 4 }",
        "seats token rate",
        "  seats token rate (seats): $2,500 per seat with 20,000,000 tokens each; beyond, billed at $4 per million tokens",
    ),
    (
        "[billing.seats_request_rate]\nseats = { usd_per_seat = 10, allowance = { requests = 300 }, beyond = \"rate\", overage_rate = 0.04, overage_cap_usd = 25000 }",
        "seats request rate",
        "  seats request rate (seats): $10 per seat with 300 requests each; beyond, billed at $0.04 per request, overage capped at $25,000",
    ),
    (
        "[billing.seats_usd_rate]\nseats = { usd_per_seat = 40, allowance = { usd = 60 }, beyond = \"rate\", overage_rate = 1.1 }",
        "seats usd rate",
        "  seats usd rate (seats): $40 per seat with $60 of list-price usage each; beyond, billed at $1.1 per dollar of list-price usage",
    ),
    (
        "[billing.seats_api]\nseats = { usd_per_seat = 40, allowance = { usd = 1250.5 }, beyond = \"api_prices\", overage_discount = 0.1 }",
        "seats api",
        "  seats api (seats): $40 per seat with $1,250.50 of list-price usage each; beyond, billed at list prices less 10%",
    ),
    (
        "[billing.committed]\ncommitment = { commit_usd = 25000, discount = 0.07 }",
        "committed",
        "  committed (commitment): $25,000/month committed at 7% off; beyond it, list prices",
    ),
    (
        "[billing.provisioned_fixed]\ncompute_hours = { usd_per_unit_hour = 6, tokens_per_minute_per_unit = 400000, units = 3, billed_hours = 730, spill = \"drop\", output_weight = 5 }",
        "provisioned fixed",
        "  provisioned fixed (compute hours): 3 units at $6/unit-hour for 730 hours, 400,000 tokens/min each (an output token uses the capacity of 5 tokens); demand above is not served",
    ),
    (
        "[billing.provisioned_peak]\ncompute_hours = { usd_per_unit_hour = 6, tokens_per_minute_per_unit = 400000, size_to_peak_percentile = 90 }",
        "provisioned peak",
        "  provisioned peak (compute hours): units for the P90 peak working hour of each month at $6/unit-hour for 730 hours, 400,000 tokens/min each; demand above spills to list prices",
    ),
    (
        "[billing.self_hosted]\ncompute_hours = { usd_per_gpu_hour = 2.5, tokens_per_second_per_gpu = 1000, max_utilisation = 0.7, units = 2 }",
        "self hosted",
        "  self hosted (compute hours): 2 units at $2.5/unit-hour for 730 hours, 42,000 tokens/min each; demand above spills to list prices\n\
         \x20   self-hosted GPUs: a unit is one GPU at $2.5/GPU-hour generating 1,000 tokens/s at peak, of which 70% is sustained",
    ),
    (
        "[billing.self_hosted_full]\ncompute_hours = { usd_per_gpu_hour = 4, tokens_per_second_per_gpu = 2000, size_to_peak_percentile = 99 }",
        "self hosted full",
        "  self hosted full (compute hours): units for the P99 peak working hour of each month at $4/unit-hour for 730 hours, 120,000 tokens/min each; demand above spills to list prices\n\
         \x20   self-hosted GPUs: a unit is one GPU at $4/GPU-hour generating 2,000 tokens/s at peak",
    ),
];

#[test]
fn every_kind_of_scheme_is_worded() {
    let billing: Vec<&str> = SCHEMES.iter().map(|s| s.0).collect();
    let out = validate(
        "seats = 10\ntasks_per_seat = 5\nbaseline = \"list\"",
        &billing.join("\n"),
    );
    for (_, name, expected) in SCHEMES {
        assert_eq!(scheme_lines(&out, name), *expected, "{out}");
    }
    assert!(snake_case(&out).is_empty(), "{:?}", snake_case(&out));
    // One line per scheme (and one more per GPU scheme), nothing else in the section.
    let section = &out[out.find("billing schemes, by name\n").expect("section")..];
    let lines = section.lines().take_while(|l| !l.is_empty()).count();
    assert_eq!(lines, 1 + SCHEMES.len() + 2, "{section}");
}
