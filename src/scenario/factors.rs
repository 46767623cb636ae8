//! `[difficulty]`, the `difficulty` exponents of draws and loops, and `[[correlation]]`:
//! checked and compiled into [`Factors`] (the method is in `workflow::factors`).

use super::error::{FieldPath, ScenarioError, did_you_mean, number};
use super::parse::Source;
use super::spec::ScenarioFile;
use crate::dist::Sampler;
use crate::workflow::{
    Agent, CorrelatedInput, Factors, MAX_CORRELATED_INPUTS, Phase, RankTarget, Repeat, cholesky,
};

/// Largest difficulty spread (σ of `ln D`): at 3, the 99th percentile task is about 100
/// times the median one.
pub const MAX_DIFFICULTY_SPREAD: f64 = 3.0;
/// Largest magnitude of a difficulty exponent.
pub const MAX_DIFFICULTY_EXPONENT: f64 = 4.0;

/// A `difficulty = k` exponent at `path` (0 when absent); refused without `[difficulty]`.
pub(crate) fn exponent(
    value: Option<f64>,
    path: FieldPath,
    file: &ScenarioFile,
    source: &Source,
) -> Result<f64, ScenarioError> {
    let Some(k) = value else {
        return Ok(0.0);
    };
    if file.difficulty.is_none() {
        return Err(source.error_at(
            path,
            format!(
                "expected a [difficulty] table for a difficulty exponent, found `difficulty = {}` without one",
                number(k)
            ),
            Some("add `[difficulty]` with e.g. `spread = 0.6` (the σ of ln D)".into()),
        ));
    }
    if !(k.is_finite() && k.abs() <= MAX_DIFFICULTY_EXPONENT) {
        return Err(source.error_at(
            path,
            format!(
                "expected a difficulty exponent from -{m} to {m}, found {}",
                number(k),
                m = number(MAX_DIFFICULTY_EXPONENT)
            ),
            None,
        ));
    }
    Ok(k)
}

/// Compiles `[difficulty]` and `[[correlation]]` (`None` when neither is written), marking the
/// correlated inputs' positions in `agents[0]` and `phases`.
pub(crate) fn compile(
    file: &ScenarioFile,
    source: &Source,
    agents: &mut [Agent],
    phases: &mut [Phase],
) -> Result<Option<Factors>, ScenarioError> {
    let root = FieldPath::default();
    let spread = match &file.difficulty {
        None => None,
        Some(d) => {
            if !(d.spread.is_finite() && (0.0..=MAX_DIFFICULTY_SPREAD).contains(&d.spread)) {
                return Err(source.error_at(
                    root.key("difficulty").key("spread"),
                    format!(
                        "expected a spread (the σ of ln D) from 0 to {}, found {}",
                        number(MAX_DIFFICULTY_SPREAD),
                        number(d.spread)
                    ),
                    Some("0.3 is a mild spread, 1 a wide one (P99/P50 of D about 10)".into()),
                ));
            }
            Some(d.spread)
        }
    };
    if spread.is_none() && file.correlation.is_empty() {
        return Ok(None);
    }
    // The inputs a correlation may name, with their samplers (None: difficulty).
    let main = &agents[0];
    let mut known: Vec<(String, CorrelatedInput, Option<Sampler>)> = Vec::new();
    if spread.is_some() {
        known.push(("difficulty".into(), CorrelatedInput::Difficulty, None));
    }
    known.push((
        "agent.system_prompt".into(),
        CorrelatedInput::SystemPrompt,
        Some(main.system_prompt.clone()),
    ));
    if file.agent.task_prompt.is_some() {
        known.push((
            "agent.task_prompt".into(),
            CorrelatedInput::TaskPrompt,
            Some(main.task_prompt.clone()),
        ));
    }
    for (i, ph) in file.phases.iter().enumerate() {
        if let (Some(_), Repeat::Times(s)) = (&ph.repeat, &phases[main.phases.start + i].repeat) {
            known.push((
                format!("phases.{}.repeat", ph.name),
                CorrelatedInput::Repeat(main.phases.start + i),
                Some(s.clone()),
            ));
        }
    }

    let mut inputs: Vec<usize> = Vec::new(); // positions in `known`
    let mut pairs: Vec<(usize, usize, f64, usize)> = Vec::new(); // slots, r, entry index
    for (e, c) in file.correlation.iter().enumerate() {
        let cpath = root.key("correlation").index(e);
        if c.between.len() != 2 {
            return Err(source.error_at(
                cpath.key("between"),
                format!("expected two inputs, found {}", c.between.len()),
                Some("write e.g. `between = [\"difficulty\", \"agent.task_prompt\"]`".into()),
            ));
        }
        let mut slots = [0usize; 2];
        for (side, name) in c.between.iter().enumerate() {
            let path = cpath.key("between").index(side);
            let Some(at) = known.iter().position(|k| k.0 == *name) else {
                let names: Vec<String> = known.iter().map(|k| format!("`{}`", k.0)).collect();
                let help = did_you_mean(name, known.iter().map(|k| k.0.as_str()))
                    .map(|s| format!("did you mean `{s}`?"));
                return Err(source.error_at(
                    path,
                    format!(
                        "unknown input `{name}`: expected one drawn once per task: {} (draws repeated within a task share its difficulty instead, through `difficulty` exponents)",
                        names.join(", ")
                    ),
                    help,
                ));
            };
            if let Some(s) = &known[at].2 {
                if s.fixed_value().is_some() {
                    return Err(source.error_at(
                        path,
                        format!("expected an uncertain input, found `{name}` fixed: a constant has no ranks to correlate"),
                        None,
                    ));
                }
                if !s.supports_quantile() {
                    return Err(source.error_at(
                        path,
                        format!("expected an input of a family with an inverse CDF, found `{name}` drawn from a PERT distribution"),
                        Some("describe it with a triangular, gamma or log-normal distribution".into()),
                    ));
                }
            }
            slots[side] = match inputs.iter().position(|&i| i == at) {
                Some(s) => s,
                None => {
                    if inputs.len() == MAX_CORRELATED_INPUTS {
                        return Err(source.error_at(
                            path,
                            format!("expected at most {MAX_CORRELATED_INPUTS} correlated inputs, found more"),
                            None,
                        ));
                    }
                    inputs.push(at);
                    inputs.len() - 1
                }
            };
        }
        if slots[0] == slots[1] {
            return Err(source.error_at(
                cpath.key("between"),
                format!(
                    "expected two different inputs, found `{}` twice",
                    c.between[0]
                ),
                None,
            ));
        }
        if let Some(&(_, _, _, first)) = pairs
            .iter()
            .find(|p| (p.0, p.1) == (slots[0], slots[1]) || (p.0, p.1) == (slots[1], slots[0]))
        {
            return Err(source.error_at(
                cpath.key("between"),
                format!(
                    "expected each pair once, found `{}` and `{}` again (first in correlation entry {})",
                    c.between[0],
                    c.between[1],
                    first + 1
                ),
                None,
            ));
        }
        if !(c.spearman.is_finite() && (-1.0..=1.0).contains(&c.spearman)) {
            return Err(source.error_at(
                cpath.key("spearman"),
                format!(
                    "expected a rank correlation from -1 to 1, found {}",
                    number(c.spearman)
                ),
                None,
            ));
        }
        pairs.push((slots[0], slots[1], c.spearman, e));
    }

    let k = inputs.len();
    let mut target = identity(k);
    for &(a, b, r, _) in &pairs {
        target[a * k + b] = r;
        target[b * k + a] = r;
    }
    let name_of = |slot: usize| known[inputs[slot]].0.as_str();
    if let Err(row) = cholesky(&target, k) {
        return Err(not_semi_definite(&target, k, row, &pairs, &name_of, source));
    }
    // Spearman r → normal-scale ρ = 2 sin(π r / 6).
    let mut normal = identity(k);
    for &(a, b, r, _) in &pairs {
        let rho = 2.0 * (std::f64::consts::PI * r / 6.0).sin();
        normal[a * k + b] = rho;
        normal[b * k + a] = rho;
    }
    let factor = match cholesky(&normal, k) {
        Ok(l) => l,
        Err(row) => return Err(not_semi_definite(&normal, k, row, &pairs, &name_of, source)),
    };

    let mut out = Factors {
        spread,
        inputs: inputs.iter().map(|&i| known[i].1).collect(),
        names: inputs.iter().map(|&i| known[i].0.clone()).collect(),
        cholesky: factor,
        targets: pairs
            .iter()
            .map(|&(a, b, r, _)| RankTarget {
                pair: (a, b),
                spearman: r,
            })
            .collect(),
    };
    if out.inputs.is_empty() {
        out.cholesky.clear();
    }
    for (slot, input) in out.inputs.iter().enumerate() {
        match *input {
            CorrelatedInput::Difficulty => {}
            CorrelatedInput::SystemPrompt => agents[0].system_correlated = Some(slot),
            CorrelatedInput::TaskPrompt => agents[0].task_correlated = Some(slot),
            CorrelatedInput::Repeat(p) => phases[p].correlated = Some(slot),
        }
    }
    Ok(Some(out))
}

fn identity(k: usize) -> Vec<f64> {
    let mut m = vec![0.0; k * k];
    for i in 0..k {
        m[i * k + i] = 1.0;
    }
    m
}

/// The error for a target matrix that is not positive semi-definite: the written pair that a
/// triple of inputs cannot hold together (with the range the other two allow), or else the
/// last pair written on the row where the factorisation failed.
fn not_semi_definite<'n>(
    m: &[f64],
    k: usize,
    row: usize,
    pairs: &[(usize, usize, f64, usize)],
    name_of: &dyn Fn(usize) -> &'n str,
    source: &Source,
) -> ScenarioError {
    let entry_of = |a: usize, b: usize| {
        pairs
            .iter()
            .find(|p| (p.0, p.1) == (a, b) || (p.0, p.1) == (b, a))
            .map(|p| p.3)
    };
    let path = |e: usize| {
        FieldPath::default()
            .key("correlation")
            .index(e)
            .key("spearman")
    };
    // A triple whose three correlations cannot hold together: blame the pair written last.
    for &(a, b, r, e) in pairs.iter().rev() {
        for c in 0..k {
            if c == a || c == b {
                continue;
            }
            let (Some(ea), Some(eb)) = (entry_of(a, c), entry_of(b, c)) else {
                continue;
            };
            if ea > e || eb > e {
                continue;
            }
            let (rac, rbc) = (m[a * k + c], m[b * k + c]);
            let half = ((1.0 - rac * rac) * (1.0 - rbc * rbc)).max(0.0).sqrt();
            let (lo, hi) = (rac * rbc - half, rac * rbc + half);
            let value = m[a * k + b];
            if value < lo - 1e-12 || value > hi + 1e-12 {
                return source.error_at(
                    path(e),
                    format!(
                        "expected correlations that can hold together (a positive semi-definite matrix), found `{}`–`{}` at {}: with `{}` correlated {} with `{}` and {} with `{}`, it must lie from {} to {}",
                        name_of(a),
                        name_of(b),
                        number(r),
                        name_of(c),
                        round3(rac),
                        name_of(a),
                        round3(rbc),
                        name_of(b),
                        round3(lo),
                        round3(hi),
                    ),
                    Some("weaken one of the three correlations".into()),
                );
            }
        }
    }
    let last = pairs
        .iter()
        .filter(|p| p.0 == row || p.1 == row)
        .max_by_key(|p| p.3)
        .copied()
        .unwrap_or(pairs[pairs.len() - 1]);
    source.error_at(
        path(last.3),
        format!(
            "expected correlations that can hold together (a positive semi-definite matrix), found them contradictory at `{}`–`{}` ({}) with the pairs written before it",
            name_of(last.0),
            name_of(last.1),
            number(last.2)
        ),
        Some("weaken the correlations of the inputs on that row".into()),
    )
}

fn round3(x: f64) -> String {
    format!("{:.3}", x)
}
