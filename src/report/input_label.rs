//! Readable names for a forecast's inputs, given by their dotted paths in the file
//! (`usage.tasks_per_day`): the words a chart axis or a table shows, with the path kept beside
//! them for machines and for `--set`.

/// Words for the inputs people sweep and rank most often.
const KNOWN: &[(&str, &str)] = &[
    ("usage.active_share", "Share of seats active"),
    (
        "usage.tasks_per_day",
        "Tasks per active user per working day",
    ),
    ("usage.dispersion", "Day-to-day dispersion of tasks"),
    (
        "usage.intensity_sigma",
        "Spread between heavy and light users",
    ),
    ("seats.logistic.capacity", "Seats at saturation"),
    (
        "seats.logistic.midpoint",
        "Month adoption reaches half its capacity",
    ),
    ("seats.logistic.rate", "Adoption rate per month"),
    ("seats.bass.market", "Seats in the market"),
    ("seats.bass.p", "Adoption by innovation per month"),
    ("seats.bass.q", "Adoption by imitation per month"),
    ("drift.tokens_per_task", "Monthly change of tokens per task"),
    ("drift.price", "Monthly change of prices"),
    ("billing.discount", "Discount off list prices"),
    ("billing.seat_fee", "Fee per seat per month"),
    ("forecast.headcount", "Headcount"),
];

/// A readable name for the input at `path`: a known one, or the last key in words with the
/// first letter capitalised (`tasks[1].weight` → `Weight of tasks[1]`).
pub fn input_words(path: &str) -> String {
    if let Some((_, words)) = KNOWN.iter().find(|(p, _)| *p == path) {
        return (*words).to_string();
    }
    let (head, last) = path.rsplit_once('.').unwrap_or(("", path));
    let mut words = last.replace('_', " ");
    if let Some(first) = words.get(0..1) {
        words = first.to_uppercase() + &words[1..];
    }
    match indexed_words(head) {
        Some(of) => format!("{words} of {of}"),
        None => words,
    }
}

/// A path ending in an index, in words: `drift.mix_shift[0]` → `task-mix shift 1`,
/// `tasks[1]` → `task kind 2`; `None` for a path without one.
fn indexed_words(head: &str) -> Option<String> {
    let (name, rest) = head.rsplit_once('[')?;
    let index: usize = rest.strip_suffix(']')?.parse().ok()?;
    let base = name.rsplit('.').next().unwrap_or(name);
    let words = match base {
        "mix_shift" => "task-mix shift".to_string(),
        "tasks" => "task kind".to_string(),
        "stress" => "stress case".to_string(),
        other => other.replace('_', " "),
    };
    Some(format!("{words} {}", index + 1))
}

/// A swept value as a person writes it: a number as given, a file by its stem
/// (`tasks/quick_fix.toml` → `quick fix`), a name with its underscores as spaces
/// (`"seat_plan"` → `seat plan`).
pub fn value_words(value: &str) -> String {
    let v = value.trim().trim_matches('"');
    if v.parse::<f64>().is_ok() {
        return v.to_string();
    }
    let v = match v.strip_suffix(".toml") {
        Some(path) => path.rsplit(['/', '\\']).next().unwrap_or(path),
        None => v,
    };
    v.replace('_', " ")
}

/// The readable name followed by the path: `Tasks per active user per working day
/// (usage.tasks_per_day)`.
pub fn input_label(path: &str) -> String {
    format!("{} ({path})", input_words(path))
}

/// How reports name an input: the file's `label` for it, else [`input_words`] of its path.
pub fn input_name(path: &str, label: Option<&str>) -> String {
    label.map_or_else(|| input_words(path), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_paths_read_as_words_and_others_as_their_last_key() {
        assert_eq!(
            input_label("usage.tasks_per_day"),
            "Tasks per active user per working day (usage.tasks_per_day)"
        );
        assert_eq!(input_words("tasks[1].weight"), "Weight of task kind 2");
        assert_eq!(
            input_words("drift.mix_shift[0].per_month"),
            "Per month of task-mix shift 1"
        );
        assert_eq!(input_words("a.b_c[x].d"), "D");
        assert_eq!(input_words("aggregation.pool_size"), "Pool size");
        assert_eq!(input_words("x"), "X");
        assert_eq!(value_words("0.25"), "0.25");
        assert_eq!(value_words("-3"), "-3");
        assert_eq!(value_words("tasks/quick_fix.toml"), "quick fix");
        assert_eq!(value_words("\"seat_plan\""), "seat plan");
        assert_eq!(value_words("claude-sonnet-4-5"), "claude-sonnet-4-5");
    }
}
