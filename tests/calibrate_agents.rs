//! The agents' own logs: Claude Code's cache-write TTL split and sub-agent transcripts, Codex
//! CLI sessions, Gemini CLI chats, OpenHands trajectories and OTLP JSON spans. Each importer
//! on a small file written here (token sums worked by hand), and the command end to end on
//! each bundled sample under examples/calibrate/.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tokencast::calibrate::import::import_claude_code;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

fn tokencast() -> Command {
    Command::cargo_bin("tokencast").unwrap()
}

fn files_under(dir: &str, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// `tokencast calibrate FILES --format FORMAT` writes a scenario that `tokencast run` runs;
/// returns stdout and stderr.
fn calibrate_runs(files: &[PathBuf], format: Option<&str>) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ours.toml");
    let mut cmd = tokencast();
    cmd.arg("calibrate").args(files).arg("-o").arg(&out);
    cmd.arg("--report").arg(dir.path().join("report"));
    cmd.args(["--trials", "500"]);
    if let Some(f) = format {
        cmd.args(["--format", f]);
    }
    let assert = cmd.assert().success();
    let o = assert.get_output();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    tokencast()
        .args(["run", out.to_str().unwrap(), "-n", "300", "--out"])
        .arg(dir.path().join("run"))
        .assert()
        .success();
    (stdout, stderr)
}

const CACHE_SPLIT: &str = r#"{"type":"assistant","sessionId":"s1","timestamp":"2026-01-01T10:00:05Z","requestId":"r1","message":{"id":"m1","model":"claude-sonnet-4-5","usage":{"input_tokens":4,"cache_creation_input_tokens":9000,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":1000,"ephemeral_1h_input_tokens":8000},"output_tokens":50,"service_tier":"standard"}}}
{"type":"assistant","sessionId":"s1","timestamp":"2026-01-01T10:00:09Z","requestId":"r2","message":{"id":"m2","model":"claude-sonnet-4-5","usage":{"input_tokens":2,"cache_creation_input_tokens":700,"cache_read_input_tokens":9004,"output_tokens":30}}}
{"type":"assistant","sessionId":"s1","timestamp":"2026-01-01T10:00:12Z","requestId":"r3","message":{"id":"m3","model":"claude-sonnet-4-5","usage":{"input_tokens":2,"cache_creation_input_tokens":100,"cache_read_input_tokens":9734,"cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":300},"output_tokens":30}}}
{"type":"assistant","sessionId":"s1","timestamp":"2026-01-01T10:00:14Z","requestId":"r4","message":{"id":"m4","model":"claude-sonnet-4-5","usage":{"input_tokens":2,"cache_read_input_tokens":9734,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":66},"output_tokens":9}}}
"#;

#[test]
fn claude_code_keeps_the_cache_write_ttl_split() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "s1.jsonl", CACHE_SPLIT);
    let (calls, report) = import_claude_code(&path).unwrap();
    assert_eq!(calls.len(), 3);
    // m1: 9000 written, 8000 of them at 1 hour.
    assert_eq!(
        (calls[0].cache_write, calls[0].cache_write_1h),
        (1000, 8000)
    );
    assert_eq!(calls[0].prompt(), 4 + 9000);
    // m2: no split stated: every write is a 5-minute one.
    assert_eq!((calls[1].cache_write, calls[1].cache_write_1h), (700, 0));
    // m4: the split without the total: the total is their sum.
    assert_eq!((calls[2].cache_write, calls[2].cache_write_1h), (0, 66));
    assert_eq!(calls[2].prompt(), 2 + 9734 + 66);
    // m3: 100 + 300 written is more than the 100 the total says.
    assert_eq!(report.malformed.len(), 1);
    assert_eq!(report.malformed[0].line, 3);
    assert!(
        report.malformed[0]
            .reason
            .contains("ephemeral_5m_input_tokens 100 + ephemeral_1h_input_tokens 300 exceed cache_creation_input_tokens 100"),
        "{}",
        report.malformed[0].reason
    );
}

#[test]
fn claude_code_sub_agent_transcripts_belong_to_their_parent_session() {
    let dir = tempfile::tempdir().unwrap();
    let parent = write(
        dir.path(),
        "abc.jsonl",
        r#"{"type":"assistant","sessionId":"abc","timestamp":"2026-01-01T10:00:00Z","requestId":"r1","message":{"id":"m1","model":"claude-sonnet-4-5","usage":{"input_tokens":10,"output_tokens":20}}}
{"type":"assistant","sessionId":"abc","isSidechain":true,"agentId":"a1","timestamp":"2026-01-01T10:00:01Z","requestId":"r2","message":{"id":"m2","model":"claude-haiku-4-5","usage":{"input_tokens":5,"output_tokens":6}}}
"#,
    );
    // A newer version's sub-agent file: the session comes from its directory when the line
    // lacks one, the agent from the file name when the line lacks one.
    let sub = write(
        dir.path(),
        "abc/subagents/agent-b2.jsonl",
        r#"{"type":"assistant","isSidechain":true,"timestamp":"2026-01-01T10:00:02Z","requestId":"r3","message":{"id":"m3","model":"claude-haiku-4-5","usage":{"input_tokens":7,"output_tokens":8}}}
{"type":"assistant","sessionId":"abc","isSidechain":true,"agentId":"b2","timestamp":"2026-01-01T10:00:03Z","requestId":"r4","message":{"id":"m4","model":"claude-haiku-4-5","usage":{"input_tokens":9,"output_tokens":10}}}
"#,
    );
    let (a, ra) = import_claude_code(&parent).unwrap();
    let (b, rb) = import_claude_code(&sub).unwrap();
    assert_eq!((ra.sub_agent_calls, rb.sub_agent_calls), (1, 2));
    let ids: Vec<(&str, Option<&str>)> = a
        .iter()
        .chain(&b)
        .map(|c| (c.task.as_str(), c.agent.as_deref()))
        .collect();
    assert_eq!(
        ids,
        [
            ("abc", None),
            ("abc", Some("a1")),
            ("abc", Some("b2")),
            ("abc", Some("b2"))
        ]
    );
    let tasks = tokencast::calibrate::group_calls(a.into_iter().chain(b).collect());
    assert_eq!(tasks.len(), 1, "one task: the parent session");
    assert_eq!(tasks[0].main_thread().calls.len(), 1);
    let runs = tasks[0].sub_agent_runs();
    assert_eq!(runs.len(), 2);
    assert_eq!((runs[0].id.as_str(), runs[0].calls.len()), ("abc/a1", 1));
    assert_eq!((runs[1].id.as_str(), runs[1].calls.len()), ("abc/b2", 2));
}

#[test]
fn calibrate_on_the_claude_code_sample_fits_sub_agents_and_the_1h_share() {
    let files = files_under("examples/calibrate/claude-code", "jsonl");
    assert!(files.len() > 14, "the sample holds sessions and sub-agents");
    let (stdout, stderr) = calibrate_runs(&files, Some("claude-code"));
    assert!(stdout.contains("1 malformed (skipped)"), "{stdout}");
    assert!(
        stdout.contains("72 of the records are sub-agents' calls"),
        "{stdout}"
    );
    assert!(stdout.contains("sub-agent runs per task"), "{stdout}");
    assert!(
        stdout.contains("1-hour share of cache-write tokens"),
        "{stdout}"
    );
    assert!(
        stderr.contains(".jsonl:6: invalid JSON"),
        "the cut line is reported at its line: {stderr}"
    );
}
