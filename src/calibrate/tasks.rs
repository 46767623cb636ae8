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

    /// The calls of the main thread (not a sub-agent's), as a task of the same id.
    pub fn main_thread(&self) -> Task {
        Task {
            id: self.id.clone(),
            calls: self
                .calls
                .iter()
                .filter(|c| c.agent.is_none())
                .cloned()
                .collect(),
        }
    }

    /// Each sub-agent's calls, in order, as a task `<id>/<agent>` of its own (a sub-agent runs
    /// in its own context), ordered by agent id.
    pub fn sub_agent_runs(&self) -> Vec<Task> {
        let mut runs: BTreeMap<&str, Vec<CallRecord>> = BTreeMap::new();
        for c in &self.calls {
            if let Some(agent) = &c.agent {
                runs.entry(agent).or_default().push(c.clone());
            }
        }
        runs.into_iter()
            .map(|(agent, calls)| Task {
                id: format!("{}/{agent}", self.id),
                calls,
            })
            .collect()
    }

    /// The context growth between consecutive calls: `prompt_{k+1} − prompt_k − output_k`
    /// (the calls are taken as one context: use it on [`Task::main_thread`] or a
    /// [`Task::sub_agent_runs`] run).
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
            // By timestamp when every call has one (stable: equal ones keep the file order);
            // a task with any call lacking one (or giving a number, not a string) keeps the
            // file order whole. Comparing only the calls that have one is no total order,
            // which the sort may reject with a panic.
            if calls.iter().all(|c| c.timestamp.is_some()) {
                calls.sort_by(|a, b| a.timestamp.cmp(&b.timestamp));
            }
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
    fn calls_with_and_without_timestamps_keep_the_file_order_without_a_panic() {
        // Issue 20 item 15: a session whose timestamps mixed strings and numbers panicked
        // ("comparison function does not correctly implement a total order").
        let call = |t: Option<&str>, output: u64| CallRecord {
            task: "t".into(),
            timestamp: t.map(str::to_string),
            model: "m".into(),
            input: 0,
            output,
            cache_read: 0,
            cache_write: 0,
            cost: None,
            success: None,
            ..CallRecord::default()
        };
        let mut calls = Vec::new();
        for i in 0..64u64 {
            let t = format!("2026-01-01T00:00:{:02}Z", 59 - i % 60);
            calls.push(call(if i % 3 == 0 { None } else { Some(&t) }, i));
        }
        let tasks = group_calls(calls);
        let outputs: Vec<u64> = tasks[0].calls.iter().map(|c| c.output).collect();
        assert_eq!(outputs, (0..64).collect::<Vec<_>>());
        // With every timestamp present they sort.
        let tasks = group_calls(vec![call(Some("b"), 1), call(Some("a"), 2)]);
        assert_eq!(tasks[0].calls[0].output, 2);
    }

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
