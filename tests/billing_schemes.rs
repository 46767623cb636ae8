//! Billing schemes on deterministic usage: every bill worked out by hand in the comments and
//! asserted within 1e-12 relative (the only error is floating-point summation).

use tokencast::pricing::scheme::{
    Allowance, BillingScheme, CommitmentScheme, ComputeHoursScheme, ConsumptionUnits,
    OverAllowance, Rounding, SeatsScheme, Sizing, Spill, TokensScheme,
};
use tokencast::pricing::{ModelPrices, PeriodUsage, RateCard, TokenKind};

const K: usize = TokenKind::COUNT;

/// Input $1/MTok, output $2/MTok, cache write $1.25, cache read $0.10; batch half of each.
fn rates() -> RateCard {
    let mut m = ModelPrices::new(1.0, 2.0, 1.25, 0.1);
    m.batch_per_mtok = Some(m.per_mtok.map(|r| r / 2.0));
    RateCard::new(&[m], 1)
}

fn tokens(input: u64, output: u64) -> [u64; K] {
    let mut t = [0; K];
    t[TokenKind::Input.index()] = input;
    t[TokenKind::Output.index()] = output;
    t
}

fn close(got: f64, want: f64) {
    assert!(
        (got - want).abs() <= 1e-12 * want.abs().max(1e-300),
        "got {got}, expected {want}"
    );
}

#[test]
fn tokens_list_discount_and_batch_share() {
    let mut p = PeriodUsage::new(1, 1, 1, 1);
    p.add_task_counts(0, 0, 1, &tokens(1_000_000, 1_000_000)); // $1 + $2 = $3 at list
    let r = rates();
    close(TokensScheme::list().bill(&p, &r).total_usd, 3.0);
    let discounted = TokensScheme::new(0.2, 0.0, None).unwrap();
    close(discounted.bill(&p, &r).total_usd, 2.4);
    // Half at list ($1.50) and half at batch rates ($0.75), then 20% off: $1.80.
    let batch = TokensScheme::new(0.2, 0.5, None).unwrap();
    let bill = batch.bill(&p, &r);
    close(bill.total_usd, 1.8);
    close(bill.list_usd, 3.0);
}

#[test]
fn consumption_units_discount_before_conversion_rounded_per_window() {
    // One window (hour 0) holds $0.025 of list-price usage (25,000 input tokens at $1/MTok).
    // Discount first: $0.0125 = 1.25 units of $0.01, rounded up to 2 units = $0.02.
    // (Converting first would give 2.5 -> 3 units, then half off: $0.015.)
    let mut p = PeriodUsage::new(1, 1, 1, 2);
    p.add_task_counts(0, 0, 1, &tokens(25_000, 0));
    let units = |rounding, metering_slots| {
        TokensScheme::new(
            0.5,
            0.0,
            Some(ConsumptionUnits {
                usd_per_unit: 0.01,
                metering_slots,
                rounding,
            }),
        )
        .unwrap()
    };
    let bill = units(Rounding::Up, 1).bill(&p, &rates());
    close(bill.total_usd, 0.02);
    assert_eq!(bill.units, 2.0);
    close(units(Rounding::Down, 1).bill(&p, &rates()).total_usd, 0.01);
    close(
        units(Rounding::None, 1).bill(&p, &rates()).total_usd,
        0.0125,
    );
    // A second task in hour 1 of $0.004 list ($0.002 discounted = 0.2 units): metered per
    // hour it rounds up to its own unit (3 units); metered per 2 hours the window holds
    // $0.0145 = 1.45 units -> 2 units.
    p.add_task_counts(0, 1, 1, &tokens(4_000, 0));
    close(units(Rounding::Up, 1).bill(&p, &rates()).total_usd, 0.03);
    close(units(Rounding::Up, 2).bill(&p, &rates()).total_usd, 0.02);
    close(
        units(Rounding::Nearest, 2).bill(&p, &rates()).total_usd,
        0.01,
    );
}

#[test]
fn decimal_unit_prices_do_not_round_up_an_exact_whole() {
    // 0.07 / 0.01 is 7.000000000000001 in binary floating point; it must bill 7 units.
    assert_eq!(Rounding::Up.apply(0.07 / 0.01), 7.0);
    assert_eq!(Rounding::Down.apply(0.29 / 0.01), 29.0);
}

/// Seat 0 runs three tasks of 600 tokens ($0.0006 each at $1/MTok input); seat 1 runs one.
fn seat_period() -> PeriodUsage {
    let mut p = PeriodUsage::new(1, 1, 2, 1);
    for seat in [0, 0, 1, 0] {
        p.add_task_counts(seat, 0, 2, &tokens(600, 0));
    }
    p
}

#[test]
fn seats_throttle_accounts_for_the_work_not_done() {
    // Allowance 1,000 tokens per seat. Seat 0: task 1 (600), task 2 starts with 400 left and
    // is done; task 3 starts with none left and is throttled. Seat 1: one task, done.
    let s = SeatsScheme::new(20.0, Allowance::Tokens(1000), OverAllowance::Throttle, None).unwrap();
    let bill = s.bill(&seat_period(), &rates());
    close(bill.total_usd, 40.0);
    assert_eq!(bill.throttled_tasks, 1);
    close(bill.throttled_list_usd, 0.0006);
    close(bill.list_usd, 0.0018);
}

#[test]
fn seats_overage_at_api_prices_at_a_rate_and_with_a_cap() {
    // Seat 0 passes its 1,000 tokens by 200 in task 2 and 600 in task 3: 800 excess tokens.
    // At API prices: 800 x $1/MTok = $0.0008. At $5/MTok: $0.004.
    let api = SeatsScheme::new(
        20.0,
        Allowance::Tokens(1000),
        OverAllowance::ApiPrices { discount: 0.0 },
        None,
    )
    .unwrap();
    let bill = api.bill(&seat_period(), &rates());
    close(bill.overage_usd, 0.0008);
    close(bill.total_usd, 40.0008);
    let rate = SeatsScheme::new(
        20.0,
        Allowance::Tokens(1000),
        OverAllowance::Rate(5.0),
        None,
    )
    .unwrap();
    close(rate.bill(&seat_period(), &rates()).overage_usd, 0.004);
    // A cap of $0.002: task 2's $0.001 fits, task 3's $0.003 would pass it: not done.
    let capped = SeatsScheme::new(
        20.0,
        Allowance::Tokens(1000),
        OverAllowance::Rate(5.0),
        Some(0.002),
    )
    .unwrap();
    let bill = capped.bill(&seat_period(), &rates());
    close(bill.overage_usd, 0.001);
    assert_eq!(bill.throttled_tasks, 1);
    // Requests: 2 per task, allowance 3 per seat: seat 0 passes by 1 then 2 -> 3 x $0.5.
    let req =
        SeatsScheme::new(0.0, Allowance::Requests(3), OverAllowance::Rate(0.5), None).unwrap();
    close(req.bill(&seat_period(), &rates()).total_usd, 1.5);
}

#[test]
fn commitment_shortfall_and_overage() {
    // Commit $100 at 20% off buys $125 of list-price usage.
    let c = CommitmentScheme::new(100.0, 0.2).unwrap();
    let period = |usd_list: f64| {
        let mut p = PeriodUsage::new(1, 1, 1, 1);
        p.add_task_counts(0, 0, 1, &tokens((usd_list * 1e6) as u64, 0));
        p
    };
    // $50 of list usage: pay $100, of which $100 - $40 = $60 unused.
    let bill = c.bill(&period(50.0), &rates());
    close(bill.total_usd, 100.0);
    close(bill.unused_commitment_usd, 60.0);
    // $200 of list usage: $100 + ($200 - $125) = $175, nothing unused.
    let bill = c.bill(&period(200.0), &rates());
    close(bill.total_usd, 175.0);
    close(bill.overage_usd, 75.0);
    assert_eq!(bill.unused_commitment_usd, 0.0);
}

fn compute(sizing: Sizing, spill: Spill) -> ComputeHoursScheme {
    let s = ComputeHoursScheme {
        usd_per_unit_hour: 2.0,
        tokens_per_minute_per_unit: 1000.0, // 60,000 tokens per hour per unit
        output_weight: 1.0,
        sizing,
        billed_hours: 10.0,
        spill,
    };
    s.validate().unwrap();
    s
}

#[test]
fn compute_hours_spill_utilisation_and_sizing() {
    // Hour 0: 90,000 input tokens ($0.09); hour 1: 30,000 ($0.03).
    let mut p = PeriodUsage::new(1, 1, 1, 2);
    p.add_task_counts(0, 0, 1, &tokens(90_000, 0));
    p.add_task_counts(0, 1, 1, &tokens(30_000, 0));
    // One unit, 10 hours at $2: $20. Hour 0 spills 30,000 of 90,000 tokens: a third of
    // $0.09 = $0.03 on demand. Utilisation: (60,000 + 30,000) / (60,000 x 10) = 0.15.
    let bill = compute(Sizing::Fixed(1), Spill::OnDemand).bill(&p, &rates());
    close(bill.total_usd, 20.03);
    close(bill.overage_usd, 0.03);
    close(bill.utilisation, 0.15);
    let dropped = compute(Sizing::Fixed(1), Spill::Drop).bill(&p, &rates());
    close(dropped.total_usd, 20.0);
    close(dropped.throttled_list_usd, 0.03);
    // Peak 90,000 tokens/hour = 1,500 tokens/min: an unresolved percentile sizes to 2 units.
    let own = compute(Sizing::PeakPercentile(90.0), Spill::OnDemand).bill(&p, &rates());
    assert_eq!(own.units, 2.0);
    // Sized to the P50 of peaks [1000, 2000, 3000, 4000] tokens/min: 2,000 -> 2 units;
    // P100: 4 units; P75: 3,000 -> 3 units; 2,000.5 tokens/min would need 3.
    let s = compute(Sizing::PeakPercentile(50.0), Spill::OnDemand);
    let peaks = [4000.0, 1000.0, 3000.0, 2000.0];
    assert_eq!(s.sized_to(&peaks).sizing, Sizing::Fixed(2));
    let s100 = compute(Sizing::PeakPercentile(100.0), Spill::OnDemand);
    assert_eq!(s100.sized_to(&peaks).sizing, Sizing::Fixed(4));
    let s75 = compute(Sizing::PeakPercentile(75.0), Spill::OnDemand);
    assert_eq!(s75.sized_to(&peaks).sizing, Sizing::Fixed(3));
    assert_eq!(s.units_for(2000.5), 3);
    // Self-hosted: 50 tokens/s per GPU at 60% sustained utilisation = 1,800 tokens/min.
    close(ComputeHoursScheme::gpu_tokens_per_minute(50.0, 0.6), 1800.0);
}

#[test]
fn every_scheme_sees_the_same_usage() {
    let p = seat_period();
    let r = rates();
    let schemes = [
        BillingScheme::Tokens(TokensScheme::list()),
        BillingScheme::Commitment(CommitmentScheme::new(0.0, 0.0).unwrap()),
        BillingScheme::ComputeHours(compute(Sizing::Fixed(0), Spill::OnDemand)),
    ];
    // With no commitment and no capacity, all three bill exactly the list price.
    for s in &schemes {
        close(s.bill(&p, &r).total_usd, 0.0024);
        close(s.bill(&p, &r).list_usd, 0.0024);
    }
}

#[test]
fn tiered_tokens_are_billed_at_their_tier() {
    // A model with a tier above 200,000 prompt tokens at double rates; a task with 1M
    // base-tier input tokens and 1M tier-1 input tokens: $1 + $2.
    let mut m = ModelPrices::new(1.0, 2.0, 1.25, 0.1);
    m.tiers.push(tokencast::pricing::PromptTier {
        above_prompt_tokens: 200_000,
        per_mtok: m.per_mtok.map(|r| 2.0 * r),
    });
    let card = RateCard::new(&[m], 2);
    let mut p = PeriodUsage::new(1, 2, 1, 1);
    let mut t = [0u64; 2 * K];
    t[TokenKind::Input.index()] = 1_000_000;
    t[K + TokenKind::Input.index()] = 1_000_000;
    p.add_task_counts(0, 0, 1, &t);
    close(TokensScheme::list().bill(&p, &card).total_usd, 3.0);
}
