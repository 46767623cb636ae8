//! Calls grouped into tasks, the series a fit needs, and the held-out split.
//!
//! Within a task, calls are ordered by timestamp (as ISO 8601 text), ties and missing
//! timestamps in the order the files gave them. The tool-result tokens between two calls are
//! what the next prompt holds beyond the previous prompt and its output:
//! `tool_k = prompt_{k+1} − prompt_k − output_k`. A step that is zero or negative means the
//! context did not grow or shrank (compaction, an edited history); those steps are counted and
//! left out of the tool-token fit.

use std::collections::BTreeMap;

use super::import::CallRecord;

/// One task's calls in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// The task id.
    pub id: String,
    /// Its calls, in order.
    pub calls: Vec<CallRecord>,
}

impl Task {
    /// Success as logged: failed if any call says failed, succeeded if any says succeeded,
    /// `None` if none says.
    pub fn success(&self) -> Option<bool> {
        let flags = self.calls.iter().filter_map(|c| c.success);
        let mut any = None;
        for f in flags {
            if !f {
                return Some(false);
            }
            any = Some(true);
        }
        any
    }

    /// The context growth between consecutive calls: `prompt_{k+1} − prompt_k − output_k`.
    pub fn tool_steps(&self) -> Vec<i64> {
        self.calls
            .windows(2)
            .map(|w| w[1].prompt() as i64 - w[0].prompt() as i64 - w[0].output as i64)
            .collect()
    }
}

/// Groups calls into tasks, ordered by task id.
pub fn group_calls(calls: Vec<CallRecord>) -> Vec<Task> {
    let mut by_task: BTreeMap<String, Vec<CallRecord>> = BTreeMap::new();
    for call in calls {
        by_task.entry(call.task.clone()).or_default().push(call);
    }
    by_task
        .into_iter()
        .map(|(id, mut calls)| {
            // Stable: equal or missing timestamps keep the file order.
            calls.sort_by(|a, b| match (&a.timestamp, &b.timestamp) {
                (Some(x), Some(y)) => x.cmp(y),
                _ => std::cmp::Ordering::Equal,
            });
            Task { id, calls }
        })
        .collect()
}

/// Which side of the back-test split a task falls on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Used to fit.
    Fit,
    /// Kept out of the fit, used to check it.
    HeldOut,
}

/// Deterministic split: a task is held out when a seeded 64-bit hash of its id, read as a
/// number in [0, 1), is below `share`. The same id, seed and share always give the same side,
/// whatever the other tasks or the file order.
pub fn side(task_id: &str, seed: u64, share: f64) -> Side {
    // FNV-1a of the id, then SplitMix64's finaliser over it and the seed.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in task_id.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut z = h ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    let u = (z >> 11) as f64 / (1u64 << 53) as f64;
    if u < share { Side::HeldOut } else { Side::Fit }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_is_deterministic_and_near_its_share() {
        let ids: Vec<String> = (0..10_000).map(|i| format!("task-{i}")).collect();
        let held = ids
            .iter()
            .filter(|id| side(id, 7, 0.3) == Side::HeldOut)
            .count();
        // Binomial(10000, 0.3): sd 45.8; 4 sd = 183.
        assert!((held as f64 - 3000.0).abs() < 183.0, "{held}");
        assert!(ids.iter().all(|id| side(id, 7, 0.3) == side(id, 7, 0.3)));
        assert!(ids.iter().all(|id| side(id, 7, 0.0) == Side::Fit));
        assert!(ids.iter().all(|id| side(id, 7, 1.0) == Side::HeldOut));
        let other_seed = ids
            .iter()
            .filter(|id| side(id, 7, 0.3) != side(id, 8, 0.3))
            .count();
        assert!(other_seed > 3000, "seeds must give different splits");
    }
}
