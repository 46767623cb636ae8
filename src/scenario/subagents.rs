//! The sub-agent graph: which workflow runs which. Names resolve to agent indices (the main
//! task is 0, `[workflows]` follow in name order) and cycles are rejected at load time, at the
//! step that closes the cycle, by a depth-first search with three colours.

use super::error::{FieldPath, ScenarioError, did_you_mean};
use super::parse::Source;
use super::spec::{PhaseSpec, ScenarioFile, StepSpec};

/// Agents of a scenario in index order: (name, path of its table, phases).
pub(crate) fn agents(file: &ScenarioFile) -> Vec<(String, FieldPath, &[PhaseSpec])> {
    let mut out = vec![(
        "main".to_string(),
        FieldPath::default(),
        file.phases.as_slice(),
    )];
    for (name, w) in &file.workflows {
        out.push((
            name.clone(),
            FieldPath::default().key("workflows").key(name),
            w.phases.as_slice(),
        ));
    }
    out
}

/// The agent index of workflow `name`, or a located error with a suggestion.
pub(crate) fn resolve(
    file: &ScenarioFile,
    name: &str,
    path: FieldPath,
    source: &Source,
) -> Result<usize, ScenarioError> {
    match file.workflows.keys().position(|k| k == name) {
        Some(i) => Ok(i + 1),
        None => {
            let known: Vec<String> = file.workflows.keys().map(|k| format!("`{k}`")).collect();
            let expected = if known.is_empty() {
                "a workflow defined under [workflows], found none defined".to_string()
            } else {
                format!(
                    "one of the workflows defined under [workflows]: {}",
                    known.join(", ")
                )
            };
            Err(source.error_at(
                path,
                format!("unknown workflow `{name}`: expected {expected}"),
                did_you_mean(name, file.workflows.keys().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?")),
            ))
        }
    }
}

/// The sub-agent steps of each agent: (target agent, path of the step's `workflow`).
fn edges(
    file: &ScenarioFile,
    source: &Source,
) -> Result<Vec<Vec<(usize, FieldPath)>>, ScenarioError> {
    let mut out = Vec::new();
    for (_, root, phases) in agents(file) {
        let mut list = Vec::new();
        for (i, ph) in phases.iter().enumerate() {
            for (j, st) in ph.steps.iter().enumerate() {
                if let StepSpec::Subagent(s) = st {
                    let path = root
                        .key("phases")
                        .index(i)
                        .key("steps")
                        .index(j)
                        .key("subagent")
                        .key("workflow");
                    list.push((resolve(file, &s.workflow, path.clone(), source)?, path));
                }
            }
        }
        out.push(list);
    }
    Ok(out)
}

/// Rejects unknown workflow names and cycles (a workflow that runs itself, directly or
/// through others, would never end).
pub(crate) fn check_graph(file: &ScenarioFile, source: &Source) -> Result<(), ScenarioError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        New,
        Open,
        Done,
    }
    let edges = edges(file, source)?;
    let names: Vec<String> = agents(file).into_iter().map(|(n, _, _)| n).collect();
    let mut colour = vec![Colour::New; edges.len()];
    // Iterative DFS: (agent, next edge), plus the chain of open agents for the message.
    for start in 0..edges.len() {
        if colour[start] != Colour::New {
            continue;
        }
        let mut stack = vec![(start, 0usize)];
        colour[start] = Colour::Open;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some((target, path)) = edges[node].get(*next) {
                *next += 1;
                match colour[*target] {
                    Colour::Open => {
                        let from = stack.iter().position(|&(n, _)| n == *target).unwrap_or(0);
                        let mut chain: Vec<&str> = stack[from..]
                            .iter()
                            .map(|&(n, _)| names[n].as_str())
                            .collect();
                        chain.push(&names[*target]);
                        return Err(source.error_at(
                            path.clone(),
                            format!(
                                "expected sub-agents without a cycle, found {}: it would never end",
                                chain.join(" → ")
                            ),
                            None,
                        ));
                    }
                    Colour::New => {
                        colour[*target] = Colour::Open;
                        stack.push((*target, 0));
                    }
                    Colour::Done => {}
                }
            } else {
                colour[node] = Colour::Done;
                stack.pop();
            }
        }
    }
    Ok(())
}
