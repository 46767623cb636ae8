//! Forecast months billed under the pricing layer's schemes (`[billing.NAME]`): exact bills on
//! a deterministic organisation (both the per-user and the large-organisation paths), and the
//! large-organisation approximations (seat allowances from the per-user usage distribution,
//! hourly demand for compute hours) against per-user, per-task simulation on a small one.

mod common;

use common::{mean_se, quantile};

use tokencast::forecast::{Forecast, ForecastConfig, ForecastRun, Record, simulate};

/// The constant batch task: list 0.0105, batch 0.00525, 1500 tokens (500 output), one call.
const LIST: f64 = 0.0105;

fn load(text: &str, sets: &[&str]) -> Forecast {
    common::forecast::load(text, sets)
}

fn run(f: &Forecast, trials: u64, threads: usize) -> ForecastRun {
    common::forecast::run(f, trials, 11, threads)
}

/// 10 seats, all active, 40 tasks each a month; tokens +10% and prices -20% a month.
const FIXED_ORG: &str = r#"
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
scenario = "constant-batch-task.toml"
weight = 1
[drift]
tokens_per_task = 0.1
price = -0.2
[billing.api]
tokens = { discount = 0.2, batch_share = 0.5 }
[billing.cents]
tokens = { units = { usd_per_unit = 0.01, metering_hours = 1, rounding = "up" } }
[billing.commit]
commitment = { commit_usd = 3.0, discount = 0.2 }
[billing.gpu]
compute_hours = { usd_per_unit_hour = 2, tokens_per_minute_per_unit = 1e6, units = 3 }
[billing.seats_rate]
seats = { usd_per_seat = 20, allowance = { tokens = 50000 }, beyond = "rate", overage_rate = 2.0 }
[billing.seats_api]
seats = { usd_per_seat = 20, allowance = { usd = 0.3 }, beyond = "api_prices", overage_discount = 0.1 }
[billing.seats_throttle]
seats = { usd_per_seat = 20, allowance = { requests = 30 }, beyond = "throttle" }
[aggregation]
pool_size = 16
"#;

fn scheme_bill(r: &ForecastRun, t: usize, m: usize, s: usize) -> f64 {
    r.scheme_bill[(t * r.months + m) * r.schemes + s]
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= 1e-9 * b.abs().max(1.0),
        "{what}: {a} vs {b}"
    );
}

#[test]
fn every_scheme_bills_a_fixed_organisation_exactly() {
    // Schemes in name order: api, cents, commit, gpu, seats_api, seats_rate, seats_throttle.
    for sets in [
        &[][..],
        &[
            "aggregation.exact_users_max=0",
            "aggregation.exact_tasks_max=0",
        ][..],
    ] {
        let f = load(FIXED_ORG, sets);
        let names: Vec<&str> = f.model.schemes.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "api",
                "cents",
                "commit",
                "gpu",
                "seats_api",
                "seats_rate",
                "seats_throttle"
            ]
        );
        let r = run(&f, 3, 1);
        for t in 0..3 {
            for m in 0..3 {
                let (tm, pm) = (1.1f64.powi(m as i32), 0.8f64.powi(m as i32));
                let list = 400.0 * LIST * tm * pm;
                let what = |s: &str| format!("{sets:?} trial {t} month {m} {s}");
                // Half at batch rates (half price), 20% off.
                close(scheme_bill(&r, t, m, 0), 0.75 * list * 0.8, &what("api"));
                // 160 working hours, the month spread evenly, each hour rounded up to a cent.
                let cents = 160.0 * (list / 160.0 / 0.01 - 1e-9).ceil() * 0.01;
                close(scheme_bill(&r, t, m, 1), cents, &what("cents"));
                close(
                    scheme_bill(&r, t, m, 2),
                    3.0 + (list - 3.0 / 0.8).max(0.0),
                    &what("commit"),
                );
                close(scheme_bill(&r, t, m, 3), 3.0 * 2.0 * 730.0, &what("gpu"));
                // Each user: 40 tasks, list 40 × 0.0105 × tm × pm, tokens 60,000 × tm.
                let user_list = list / 10.0;
                let api = 200.0 + 10.0 * (user_list - 0.3).max(0.0) * 0.9;
                close(scheme_bill(&r, t, m, 4), api, &what("seats_api"));
                let rate = 200.0 + 10.0 * (60_000.0 * tm - 50_000.0) * 2.0 / 1e6;
                close(scheme_bill(&r, t, m, 5), rate, &what("seats_rate"));
                close(scheme_bill(&r, t, m, 6), 200.0, &what("seats_throttle"));
            }
        }
        // Details: the throttled plan leaves 10 of 40 requests a user undone each month;
        // compute utilisation is the month's tokens over 3 units × 1e6 × 60 × 730.
        let d = &r.scheme_details;
        close(
            d[6].throttled_list / 3.0,
            100.0 * LIST,
            "throttled list, month 1",
        );
        close(
            d[3].utilisation / 3.0,
            600_000.0 / (3.0 * 1e6 * 60.0 * 730.0),
            "utilisation",
        );
        close(d[2].fixed / 3.0, 3.0, "commitment fixed charge");
        close(d[4].fixed / 3.0, 200.0, "seat fees");
    }
}

#[test]
fn the_headline_is_the_basic_form_or_the_named_scheme() {
    let f = load(FIXED_ORG, &[]);
    let r = run(&f, 1, 1);
    // No discount/commitment/seat_fee: the first scheme (api) is the headline.
    for m in 0..3 {
        close(r.bill[m], scheme_bill(&r, 0, m, 0), "headline api");
        close(r.fixed_charges[m], 0.0, "api has no fixed charge");
    }
    let g = load(
        &FIXED_ORG.replace(
            "[billing.api]",
            "[billing]\nheadline = \"seats_rate\"\n[billing.api]",
        ),
        &[],
    );
    let r = run(&g, 1, 1);
    for m in 0..3 {
        close(r.bill[m], scheme_bill(&r, 0, m, 5), "headline seats_rate");
        close(r.fixed_charges[m], 200.0, "seat fees are fixed");
        let usage: f64 = r.bill_by_kind[m * r.kinds..(m + 1) * r.kinds].iter().sum();
        close(usage, r.bill[m] - 200.0, "usage charges by kind");
    }
}

/// A small organisation with heavy and light users and a heavy-tailed task.
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
hours_per_day = 8
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

const TRIALS: u64 = 6000;

/// Means within 4 combined SE; the brute-force P90 at the approximation's 0.9 rank within
/// 4 SE (`sqrt(2 q (1 - q) / n)`: both sides are random).
fn agrees(label: &str, approx: &[f64], brute: &[f64]) {
    let (ma, sa) = mean_se(approx);
    let (mb, sb) = mean_se(brute);
    let z = (ma - mb) / (sa * sa + sb * sb).sqrt().max(1e-12);
    eprintln!(
        "{label}: mean approximated {ma:.3} ± {sa:.3}, brute force {mb:.3} ± {sb:.3} (z = {z:.2})"
    );
    assert!(z.abs() < 4.0, "{label}: means differ by {z:.2} SE");
    let n = approx.len() as f64;
    let q = 0.9;
    let qb = quantile(brute, q);
    let rank = approx.iter().filter(|&&x| x <= qb).count() as f64 / n;
    let se = (2.0 * q * (1.0 - q) / n).sqrt();
    eprintln!(
        "{label}: P90 approximated {:.3}, brute force {qb:.3} (rank {rank:.4}, 4 SE = {:.4})",
        quantile(approx, q),
        4.0 * se
    );
    assert!(
        (rank - q).abs() < 4.0 * se,
        "{label}: P90 off by {:.2} SE",
        (rank - q) / se
    );
}

fn scheme_values(r: &ForecastRun, m: usize, s: usize) -> Vec<f64> {
    (0..r.trials as usize)
        .map(|t| scheme_bill(r, t, m, s))
        .collect()
}

#[test]
fn large_organisation_billing_matches_per_user_per_task_simulation() {
    // Size the schemes from the pools: an allowance at the mean user's month, compute capacity
    // 1.3 times the mean working hour's demand (so busy hours spill).
    let probe = load(SMALL_ORG, &[]);
    let mix = [0.7, 0.3];
    let pools: Vec<_> = probe.model.tasks.iter().map(|t| &t.pool.stats).collect();
    let mean_cost: f64 = pools.iter().zip(mix).map(|(s, w)| w * s.mean_cost).sum();
    let mean_tokens: f64 = pools.iter().zip(mix).map(|(s, w)| w * s.mean_tokens).sum();
    let allowance_usd = 40.0 * mean_cost;
    let allowance_tokens = (40.0 * mean_tokens).round();
    let per_hour = 30.0 * 40.0 * mean_tokens / 160.0;
    let schemes = format!(
        r#"
[billing.gpu]
compute_hours = {{ usd_per_unit_hour = 1, tokens_per_minute_per_unit = {tpm}, units = 1, billed_hours = 160, output_weight = 1 }}
[billing.seats_api]
seats = {{ usd_per_seat = 20, allowance = {{ usd = {allowance_usd} }}, beyond = "api_prices" }}
[billing.seats_tokens]
seats = {{ usd_per_seat = 20, allowance = {{ tokens = {allowance_tokens} }}, beyond = "rate", overage_rate = 5.0 }}
"#,
        tpm = 1.3 * per_hour / 60.0
    );
    let text = format!("{SMALL_ORG}{schemes}");
    let brute = load(
        &text,
        &[
            "aggregation.exact_users_max=1000",
            "aggregation.exact_tasks_max=1000000",
        ],
    );
    let approx = load(
        &text,
        &[
            "aggregation.exact_users_max=0",
            "aggregation.exact_tasks_max=0",
        ],
    );
    let config = |seed| ForecastConfig {
        trials: TRIALS,
        seed,
        threads: None,
        record: Record::EveryTrial,
    };
    let rb = simulate::run(&brute.model, &config(101)).unwrap();
    let ra = simulate::run(&approx.model, &config(202)).unwrap();
    for (s, name) in ["gpu", "seats_api", "seats_tokens"].iter().enumerate() {
        for m in 0..2 {
            agrees(
                &format!("{name} month {}", m + 1),
                &scheme_values(&ra, m, s),
                &scheme_values(&rb, m, s),
            );
        }
    }
}

#[test]
fn compute_sized_to_the_full_peak_never_spills_and_threads_do_not_matter() {
    // With no more trials than the sizing pilot, units sized to the 100th percentile of each
    // month's peak cover every trial's busiest hour; at the 50th, some months spill.
    let text = format!(
        "{SMALL_ORG}\n[billing.p100]\ncompute_hours = {{ usd_per_unit_hour = 1, \
         tokens_per_minute_per_unit = 20000, size_to_peak_percentile = 100 }}\n\
         [billing.p50]\ncompute_hours = {{ usd_per_unit_hour = 1, \
         tokens_per_minute_per_unit = 20000, size_to_peak_percentile = 50 }}\n\
         [billing.seats]\nseats = {{ usd_per_seat = 20, allowance = {{ usd = 5 }}, beyond = \"api_prices\" }}\n"
    );
    let f = load(&text, &[]);
    let r = run(&f, 300, 2);
    // Name order: p100, p50, seats.
    for m in 0..2 {
        assert!(r.provisioned[0][m] > 0 && r.provisioned[1][m] <= r.provisioned[0][m]);
        assert_eq!(r.scheme_details[m * 3].overage, 0.0, "month {m}");
        assert!(r.scheme_details[m * 3 + 1].overage > 0.0, "month {m}");
        for t in 0..300 {
            let units = r.provisioned[0][m] as f64;
            close(
                scheme_bill(&r, t, m, 0),
                units * 730.0,
                "p100 bills its units",
            );
        }
    }
    let one = run(&f, 300, 1);
    assert_eq!(one.scheme_bill, r.scheme_bill);
    assert_eq!(one.bill, r.bill);
    assert_eq!(one.scheme_details, r.scheme_details);
    assert_eq!(one.streams.monthly, r.streams.monthly);
    assert_eq!(one.kind_moments, r.kind_moments);
}

#[test]
fn compute_sizing_does_not_depend_on_the_other_schemes() {
    // Each scheme draws from a stream of its own (from its name): the sizing pilot bills the
    // sized scheme alone, and other schemes, before or after it in name order, drawing from
    // their streams or nothing, move none of its draws.
    let gpu = "[billing.c_gpu]\ncompute_hours = { usd_per_unit_hour = 1, \
               tokens_per_minute_per_unit = 20000, size_to_peak_percentile = 90 }\n";
    // A seat plan after it (drawn user by user or, beyond exact_users_max, from its stream).
    let plan = "[billing.d_plan]\nseats = { usd_per_seat = 20, allowance = { usd = 5 }, \
                beyond = \"api_prices\" }\n";
    // Schemes before it: one that draws nothing, a commitment, and another seat plan.
    let others = "[billing.a_tokens]\ntokens = { discount = 0.2 }\n\
                  [billing.b_commit]\ncommitment = { commit_usd = 50, discount = 0.2 }\n\
                  [billing.b_plan]\nseats = { usd_per_seat = 9, allowance = { usd = 2 }, \
                  beyond = \"api_prices\" }\n";
    for sets in [&[][..], &["aggregation.exact_users_max=0"][..]] {
        let alone = run(&load(&format!("{SMALL_ORG}{gpu}{plan}"), sets), 300, 2);
        let all = run(
            &load(&format!("{SMALL_ORG}{gpu}{plan}{others}"), sets),
            300,
            2,
        );
        assert_eq!(alone.provisioned[0], all.provisioned[3], "{sets:?}");
        assert!(alone.provisioned[0].iter().all(|&u| u > 0));
        for m in 0..2 {
            for t in 0..300 {
                assert_eq!(
                    scheme_bill(&alone, t, m, 0),
                    scheme_bill(&all, t, m, 3),
                    "{sets:?}"
                );
            }
        }
    }
}

#[test]
fn memory_beyond_the_kept_trials_is_the_rank_correlation_sample_only() {
    use tokencast::forecast::simulate::DETAIL_TRIALS;
    use tokencast::forecast::streams::SAMPLE_TRIALS;
    let f = load(FIXED_ORG, &[]);
    let small = run(&f, DETAIL_TRIALS + 100, 2);
    let large = run(&f, 2 * DETAIL_TRIALS + 200, 2);
    // Streamed accumulators (moments, histograms, budgets, scheme details) do not grow with
    // trials (a fixed organisation: every series is one value, one histogram bucket).
    assert_eq!(small.memory_bytes().1, large.memory_bytes().1);
    // Every per-trial series, bills and inputs included, stops at DETAIL_TRIALS.
    let months = small.months;
    let kept = DETAIL_TRIALS as usize;
    for r in [&small, &large] {
        assert_eq!(r.detail_trials, DETAIL_TRIALS);
        assert_eq!(r.seats.len(), kept * months);
        assert_eq!(r.bill_by_kind.len(), kept * months * r.kinds);
        assert_eq!(r.bill.len(), kept * months);
        assert_eq!(r.scheme_bill.len(), kept * months * r.schemes);
        assert_eq!(r.inputs.len(), kept * r.input_count);
        assert_eq!(r.sample.trials, r.trials.min(SAMPLE_TRIALS));
    }
    // Below SAMPLE_TRIALS, each further trial keeps its inputs and yearly bills only.
    let per_trial = |r: &ForecastRun| r.memory_bytes().0 as f64;
    let growth = (per_trial(&large) - per_trial(&small)) / (DETAIL_TRIALS + 100) as f64;
    let sampled = 8.0 * (small.input_count + months.div_ceil(12)) as f64;
    assert!(
        (growth - sampled).abs() < 1e-9,
        "{growth} bytes per trial, expected {sampled}"
    );
    // The streamed moments cover every trial: the fixed organisation's exact figures.
    let s = tokencast::forecast::ForecastSummary::new(&f, &large);
    assert_eq!(s.detail_percentile_trials, large.trials);
    for (m, month) in s.monthly.iter().enumerate() {
        close(month.tasks.mean, 400.0, "tasks");
        assert_eq!(month.tasks.se, 0.0);
        close(
            month.tokens.mean,
            600_000.0 * 1.1f64.powi(m as i32),
            "tokens",
        );
        close(
            month.bill_by_task.0[0].1.mean,
            month.bill.mean,
            "usage by kind",
        );
    }
}

#[test]
fn named_schemes_leave_the_headline_bill_unchanged() {
    // Schemes bill from their own stream: dropping them (as stress cases, sensitivity and
    // sweeps do) leaves the headline bill bit-identical, on both aggregation paths, seat plans
    // included (small months stay drawn user by user without the plan).
    let text = format!(
        "{SMALL_ORG}\n[billing]\ndiscount = 0.1\n[billing.gpu]\ncompute_hours = {{ \
         usd_per_unit_hour = 1, tokens_per_minute_per_unit = 20000, size_to_peak_percentile = 90 }}\n\
         [billing.commit]\ncommitment = {{ commit_usd = 50, discount = 0.2 }}\n\
         [billing.cents]\ntokens = {{ units = {{ usd_per_unit = 0.01 }} }}\n\
         [billing.plan]\nseats = {{ usd_per_seat = 20, allowance = {{ usd = 5 }}, beyond = \"api_prices\" }}\n"
    );
    for sets in [
        &[][..],
        &["aggregation.exact_tasks_max=0"][..],
        &["aggregation.exact_users_max=0"][..],
    ] {
        let f = load(&text, sets);
        let lean = f.model.headline_only();
        assert!(lean.schemes.is_empty());
        let config = ForecastConfig {
            trials: 200,
            seed: 5,
            threads: Some(2),
            record: Record::FirstTrials,
        };
        let full = simulate::run(&f.model, &config).unwrap();
        let bare = simulate::run(&lean, &config).unwrap();
        assert_eq!(full.bill, bare.bill, "{sets:?}");
        assert_eq!(full.streams.monthly, bare.streams.monthly, "{sets:?}");
        assert_eq!(full.streams.yearly, bare.streams.yearly, "{sets:?}");
    }
    // A headline scheme is kept (and stays the headline).
    let g = load(
        &text.replace("discount = 0.1\n", "headline = \"commit\"\n"),
        &[],
    );
    let lean = g.model.headline_only();
    assert_eq!(lean.schemes.len(), 1);
    assert_eq!(lean.schemes[0].name, "commit");
    let config = ForecastConfig {
        trials: 100,
        seed: 5,
        threads: Some(1),
        record: Record::FirstTrials,
    };
    assert_eq!(
        simulate::run(&g.model, &config).unwrap().bill,
        simulate::run(&lean, &config).unwrap().bill
    );
}
