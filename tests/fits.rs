//! Maximum-likelihood fits against known truth: estimates within 4 standard errors of the
//! parameters that drew the sample (fixed seeds), log-likelihoods against statrs' densities
//! (an independent implementation), the family AIC prefers, and the reported standard errors
//! against the spread of estimates over many replications (the sampling distribution).

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Deserialize;
use statrs::distribution::{
    Continuous, ContinuousCDF, Discrete, Gamma, LogNormal, NegativeBinomial,
};
use tokencast::dist::{DistSpec, Sampler};
use tokencast::stats::fit::{self, Fit, Fitted};
use tokencast::stats::special::gamma_p;

fn sampler(text: &str) -> Sampler {
    #[derive(Deserialize)]
    struct W {
        d: DistSpec,
    }
    let w: W = toml::from_str(&format!("d = {text}")).expect("a valid spec");
    Sampler::compile(&w.d).expect("a valid distribution")
}

fn raw(text: &str, n: usize, seed: u64) -> Vec<f64> {
    let s = sampler(text);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..n).map(|_| s.sample_raw(&mut rng)).collect()
}

fn counts(text: &str, n: usize, seed: u64) -> Vec<u64> {
    let s = sampler(text);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..n).map(|_| s.sample_count(&mut rng)).collect()
}

fn within_4se(fit: &Fit, name: &str, truth: f64) {
    let p = fit.param(name).expect("the parameter is reported");
    assert!(
        (p.value - truth).abs() < 4.0 * p.se,
        "{name}: {} ± {} vs truth {truth}",
        p.value,
        p.se
    );
}

#[test]
fn lognormal_recovers_its_parameters_and_wins_aic() {
    let data = raw("{ lognormal = { median = 500, sigma = 0.8 } }", 20_000, 1);
    let fits = fit::fit_positive(&data).unwrap();
    assert!(
        matches!(fits[0].fitted, Fitted::Lognormal { .. }),
        "{fits:?}"
    );
    within_4se(&fits[0], "median", 500.0);
    within_4se(&fits[0], "sigma", 0.8);
    let Fitted::Lognormal { mu, sigma } = fits[0].fitted else {
        unreachable!()
    };
    let d = LogNormal::new(mu, sigma).unwrap();
    let ll: f64 = data.iter().map(|&x| d.ln_pdf(x)).sum();
    assert!((ll - fits[0].log_likelihood).abs() < 1e-6 * ll.abs());
    // A correct model: the KS distance is below the 99.99% critical value 1.95/√n.
    assert!(
        fits[0].ks < 1.95 / (data.len() as f64).sqrt(),
        "{}",
        fits[0].ks
    );
}

#[test]
fn gamma_recovers_its_parameters_and_wins_aic() {
    let data = raw("{ gamma = { shape = 2.5, scale = 400 } }", 20_000, 2);
    let fits = fit::fit_positive(&data).unwrap();
    assert!(matches!(fits[0].fitted, Fitted::Gamma { .. }), "{fits:?}");
    within_4se(&fits[0], "shape", 2.5);
    within_4se(&fits[0], "scale", 400.0);
    let Fitted::Gamma { shape, scale } = fits[0].fitted else {
        unreachable!()
    };
    let d = Gamma::new(shape, 1.0 / scale).unwrap();
    let ll: f64 = data.iter().map(|&x| d.ln_pdf(x)).sum();
    assert!((ll - fits[0].log_likelihood).abs() < 1e-6 * ll.abs());
    for x in [1.0, 100.0, 700.0, 1_000.0, 5_000.0] {
        assert!((gamma_p(shape, x / scale) - d.cdf(x)).abs() < 1e-10);
    }
}

#[test]
fn count_families_recover_their_parameters() {
    let nb = counts(
        "{ negative_binomial = { mean = 12, dispersion = 3 } }",
        20_000,
        3,
    );
    let fits = fit::fit_counts(&nb).unwrap();
    assert!(
        matches!(fits[0].fitted, Fitted::NegativeBinomial { .. }),
        "{fits:?}"
    );
    within_4se(&fits[0], "mean", 12.0);
    within_4se(&fits[0], "dispersion", 3.0);
    let Fitted::NegativeBinomial { mean, dispersion } = fits[0].fitted else {
        unreachable!()
    };
    let d = NegativeBinomial::new(dispersion, dispersion / (dispersion + mean)).unwrap();
    let ll: f64 = nb.iter().map(|&k| d.ln_pmf(k)).sum();
    assert!((ll - fits[0].log_likelihood).abs() < 1e-6 * ll.abs());

    let poisson = counts("{ poisson = { mean = 7 } }", 20_000, 4);
    within_4se(&fit::fit_poisson(&poisson).unwrap(), "mean", 7.0);
    let geometric = counts("{ geometric = { p = 0.2 } }", 20_000, 5);
    let g = fit::fit_counts(&geometric).unwrap();
    assert!(
        matches!(
            g[0].fitted,
            Fitted::Geometric { .. } | Fitted::NegativeBinomial { .. }
        ),
        "{g:?}"
    );
    within_4se(&fit::fit_geometric(&geometric).unwrap(), "p", 0.2);
    // A geometric is a negative binomial with dispersion 1.
    within_4se(
        &fit::fit_negative_binomial(&geometric).unwrap(),
        "dispersion",
        1.0,
    );
}

#[test]
fn degenerate_and_bad_samples() {
    let fits = fit::fit_positive(&[5.0, 5.0, 5.0]).unwrap();
    assert_eq!(fits[0].fitted, Fitted::Fixed { value: 5.0 });
    assert!(fit::fit_positive(&[1.0, 0.0]).is_err());
    assert!(fit::fit_lognormal(&[3.0]).is_err());
    assert!(fit::fit_counts(&[]).is_err());
    // Under-dispersed counts: no negative binomial.
    assert!(fit::fit_negative_binomial(&[2, 3, 2, 3, 2, 3]).is_err());
}

/// The standard deviation of `values`.
fn sd(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    let m = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// Over `reps` replications, the reported SE of each parameter (mean over replications)
/// against the spread of its estimates. With 300 replications the spread itself is known to
/// about 1/√600 ≈ 4%; the band allows 4 of those plus the asymptotic approximation.
fn check_se(reps: u64, mut fit_one: impl FnMut(u64) -> Fit, names: &[&str]) {
    let fits: Vec<Fit> = (0..reps).map(&mut fit_one).collect();
    for name in names {
        let values: Vec<f64> = fits.iter().map(|f| f.param(name).unwrap().value).collect();
        let se = fits.iter().map(|f| f.param(name).unwrap().se).sum::<f64>() / reps as f64;
        let ratio = sd(&values) / se;
        assert!(
            (0.8..1.25).contains(&ratio),
            "{name}: spread / SE = {ratio}"
        );
    }
}

#[test]
fn standard_errors_match_the_sampling_distribution() {
    check_se(
        300,
        |r| {
            fit::fit_gamma(&raw(
                "{ gamma = { shape = 2.5, scale = 400 } }",
                500,
                100 + r,
            ))
            .unwrap()
        },
        &["shape", "scale"],
    );
    check_se(
        300,
        |r| {
            fit::fit_lognormal(&raw(
                "{ lognormal = { median = 500, sigma = 0.8 } }",
                500,
                1_000 + r,
            ))
            .unwrap()
        },
        &["median", "sigma"],
    );
    check_se(
        300,
        |r| {
            fit::fit_negative_binomial(&counts(
                "{ negative_binomial = { mean = 12, dispersion = 3 } }",
                1_000,
                2_000 + r,
            ))
            .unwrap()
        },
        &["mean", "dispersion"],
    );
}
