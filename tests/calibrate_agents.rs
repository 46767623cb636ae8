//! The agents' own logs: Claude Code's cache-write TTL split and sub-agent transcripts, Codex
//! CLI sessions, Gemini CLI chats, OpenHands trajectories and OTLP JSON spans. Each importer
//! on a small file written here (token sums worked by hand), and the command end to end on
//! each bundled sample under examples/calibrate/.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use tokencast::calibrate::import::{
    import_claude_code, import_codex, import_gemini, import_openhands, import_otlp,
};
use tokencast::calibrate::{ColumnMap, LogFormat};

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
/// returns stdout, stderr and the scenario.
fn calibrate_runs(files: &[PathBuf], format: Option<&str>) -> (String, String, String) {
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
    (stdout, stderr, std::fs::read_to_string(&out).unwrap())
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
    let (stdout, stderr, scenario) = calibrate_runs(&files, Some("claude-code"));
    assert!(scenario.contains("[workflows.subagent]"), "{scenario}");
    assert!(
        scenario.contains("steps = [{ subagent = { workflow = \"subagent\" } }]"),
        "{scenario}"
    );
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

const CODEX: &str = r#"{"timestamp":"2025-12-01T10:00:00.000Z","type":"session_meta","payload":{"id":"0199a1b2-c3d4","cwd":"/w","originator":"codex_cli_rs","cli_version":"0.63.0"}}
{"timestamp":"2025-12-01T10:00:00.100Z","type":"event_msg","payload":{"type":"token_count","info":null,"rate_limits":{"primary":{"used_percent":1.0}}}}
{"timestamp":"2025-12-01T10:00:00.200Z","type":"turn_context","payload":{"cwd":"/w","model":"gpt-5-codex","effort":"medium"}}
{"timestamp":"2025-12-01T10:00:01.000Z","type":"response_item","payload":{"type":"reasoning","summary":[],"encrypted_content":"gAAA"}}
{"timestamp":"2025-12-01T10:00:02.000Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":9000,"cached_input_tokens":0,"output_tokens":500,"reasoning_output_tokens":320,"total_tokens":9500},"last_token_usage":{"input_tokens":9000,"cached_input_tokens":0,"output_tokens":500,"reasoning_output_tokens":320,"total_tokens":9500},"model_context_window":272000}}}
{"timestamp":"2025-12-01T10:00:02.100Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":9000,"cached_input_tokens":0,"output_tokens":500,"reasoning_output_tokens":320,"total_tokens":9500},"last_token_usage":{"input_tokens":9000,"cached_input_tokens":0,"output_tokens":500,"reasoning_output_tokens":320,"total_tokens":9500}}}}
{"timestamp":"2025-12-01T10:00:05.000Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":19800,"cached_input_tokens":8960,"output_tokens":700,"reasoning_output_tokens":400,"total_tokens":20500},"last_token_usage":{"input_tokens":10800,"cached_input_tokens":8960,"output_tokens":200,"reasoning_output_tokens":80,"total_tokens":11000}}}}
{"timestamp":"2025-12-01T10:00:06.000Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":31000,"cached_input_tokens":19200,"output_tokens":760,"reasoning_output_tokens":400,"total_tokens":31760}}}}
{"timestamp":"2025-12-01T10:00:07.000Z","type":"event_msg","payload":{"type":"token_count","info":{"last_token_usage":{"input_tokens":10,"cached_input_tokens":20,"output_tokens":1,"reasoning_output_tokens":0}}}}
{"timestamp":"2025-12-01T10:00:08.000Z","type":"event_msg","payload":{"type":"token_count","info":{"last_token_usage
"#;

#[test]
fn codex_token_counts_are_calls_with_cached_and_reasoning_taken_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "rollout-2025-12-01T10-00-00-x.jsonl", CODEX);
    let (calls, report) = import_codex(&path).unwrap();
    assert_eq!(calls.len(), 3);
    let got: Vec<[u64; 4]> = calls
        .iter()
        .map(|c| [c.input, c.cache_read, c.output, c.reasoning])
        .collect();
    assert_eq!(
        got,
        [
            // 9000 in, none cached; 500 out of which 320 reasoning.
            [9000, 0, 180, 320],
            // 10800 in of which 8960 cached; 200 out of which 80 reasoning.
            [1840, 8960, 120, 80],
            // No last_token_usage: the growth of the running total, 31000 - 19800 in,
            // 19200 - 8960 cached, 760 - 700 out, no reasoning.
            [11200 - 10240, 10240, 60, 0],
        ]
    );
    assert!(
        calls
            .iter()
            .all(|c| c.task == "0199a1b2-c3d4" && c.model == "gpt-5-codex")
    );
    assert_eq!(calls[1].prompt(), 10800);
    let aside = &report.set_aside;
    assert_eq!(
        aside["duplicate token_count (the same running total as the one before)"],
        1
    );
    assert_eq!(
        aside["token_count without usage (info: null, rate limits only)"],
        1
    );
    let bad: Vec<u64> = report.malformed.iter().map(|m| m.line).collect();
    assert_eq!(bad, [9, 10]);
    assert!(
        report.malformed[0]
            .reason
            .contains("cached_input_tokens 20 exceed input_tokens 10")
    );
    assert!(report.malformed[1].reason.starts_with("invalid JSON"));
    let accounted = report.records as usize
        + report.malformed.len()
        + aside.values().map(|&v| v as usize).sum::<usize>();
    assert_eq!(accounted as u64, report.lines);
}

const GEMINI: &str = r#"{
  "sessionId": "6a1f-chat",
  "projectHash": "b3c4",
  "startTime": "2025-11-10T14:00:00.000Z",
  "lastUpdated": "2025-11-10T14:05:00.000Z",
  "messages": [
    {"id": "u1", "timestamp": "2025-11-10T14:00:00.000Z", "type": "user", "content": "add validation"},
    {
      "id": "g1",
      "timestamp": "2025-11-10T14:00:04.000Z",
      "type": "gemini",
      "content": "Reading the form.",
      "thoughts": [{"subject": "Plan", "description": "...", "timestamp": "2025-11-10T14:00:02.000Z"}],
      "tokens": {"input": 8200, "output": 150, "cached": 0, "thoughts": 400, "tool": 0, "total": 8750},
      "model": "gemini-2.5-pro",
      "toolCalls": [{"id": "read_file-1", "name": "read_file", "args": {}, "status": "success", "timestamp": "2025-11-10T14:00:05.000Z"}]
    },
    {"id": "g2", "timestamp": "2025-11-10T14:00:09.000Z", "type": "gemini", "content": "Done.",
      "tokens": {"input": 9900, "output": 60, "cached": 8100, "thoughts": 120, "tool": 35, "total": 10115},
      "model": "gemini-2.5-pro"},
    {"id": "i1", "timestamp": "2025-11-10T14:00:10.000Z", "type": "info", "content": "Saved"},
    {"id": "g3", "timestamp": "2025-11-10T14:00:11.000Z", "type": "gemini", "content": "", "model": "gemini-2.5-pro"},
    {"id": "g4", "timestamp": "2025-11-10T14:00:12.000Z", "type": "gemini", "content": "",
      "tokens": {"input": 10, "output": 1, "cached": 50, "total": 11}, "model": "gemini-2.5-pro"}
  ]
}
"#;

#[test]
fn gemini_messages_with_tokens_are_calls_reported_at_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "session-2025-11-10T14-00-6a1f.json", GEMINI);
    let (calls, report) = import_gemini(&path).unwrap();
    let got: Vec<[u64; 4]> = calls
        .iter()
        .map(|c| [c.input, c.cache_read, c.output, c.reasoning])
        .collect();
    // g1: 8200 prompt, none cached; 150 visible output, 400 thoughts.
    // g2: 9900 prompt of which 8100 cached, plus 35 of a tool's prompt; 60 out, 120 thoughts.
    assert_eq!(
        got,
        [[8200, 0, 150, 400], [9900 - 8100 + 35, 8100, 60, 120]]
    );
    assert!(
        calls
            .iter()
            .all(|c| c.task == "6a1f-chat" && c.model == "gemini-2.5-pro")
    );
    assert_eq!(report.lines, 6, "one per message");
    assert_eq!(
        report.set_aside["not a model response (user, info, error, warning)"],
        2
    );
    assert_eq!(
        report.set_aside["model response without tokens (none recorded)"],
        1
    );
    assert_eq!(report.malformed.len(), 1);
    assert_eq!(report.malformed[0].line, 23, "g4 starts on line 23");
    assert!(
        report.malformed[0]
            .reason
            .contains("cached 50 exceeds input 10")
    );
}

const OPENHANDS: &str = r#"{"instance_id":"django__django-11001","history":[],"metrics":{"accumulated_cost":0.1,"accumulated_token_usage":{"model":"m","prompt_tokens":21000,"completion_tokens":450},"token_usages":[{"model":"anthropic/claude-sonnet-4-5-20250929","prompt_tokens":10000,"completion_tokens":300,"cache_read_tokens":0,"cache_write_tokens":9990,"context_window":200000,"per_turn_token":10300,"response_id":"r1"},{"model":"anthropic/claude-sonnet-4-5-20250929","prompt_tokens":11000,"completion_tokens":150,"cache_read_tokens":9990,"cache_write_tokens":1000,"response_id":"r2"},{"model":"anthropic/claude-sonnet-4-5-20250929","prompt_tokens":11000,"completion_tokens":150,"cache_read_tokens":9990,"cache_write_tokens":1000,"response_id":"r2"}]}}
{"instance_id":"django__django-11002","metrics":{"accumulated_token_usage":{"model":"m","prompt_tokens":5,"completion_tokens":5}}}
{"instance_id":"django__django-11003","metrics":{"token_usages":[{"model":"m","prompt_tokens":"lots"}]}}
{"instance_id":"django__django-11004","history":[{"id":1,"source":"user","message":"fix"},{"id":2,"timestamp":"2025-10-01T09:00:01","llm_metrics":{"accumulated_token_usage":{"model":"gpt-5","prompt_tokens":4000,"completion_tokens":100,"cache_read_tokens":0,"cache_write_tokens":0}}},{"id":3,"timestamp":"2025-10-01T09:00:02","llm_metrics":{"accumulated_token_usage":{"model":"gpt-5","prompt_tokens":4000,"completion_tokens":100,"cache_read_tokens":0,"cache_write_tokens":0}}},{"id":4,"timestamp":"2025-10-01T09:00:03","llm_metrics":{"accumulated_token_usage":{"model":"gpt-5","prompt_tokens":8500,"completion_tokens":180,"cache_read_tokens":3968,"cache_write_tokens":0}}}]}
{"instance_id":"django__django-11005","metrics":{"token_usages":[{"model":"m","prompt_tokens":30,"completion_tokens":1,"cache_read_tokens":900,"cache_write_tokens":0}]}}
"#;

#[test]
fn openhands_token_usages_and_accumulated_usage_are_calls() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "output.jsonl", OPENHANDS);
    let (calls, report) = import_openhands(&path).unwrap();
    let got: Vec<(&str, [u64; 4])> = calls
        .iter()
        .map(|c| {
            (
                c.task.as_str(),
                [c.input, c.cache_read, c.cache_write, c.output],
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            // prompt_tokens include the cached parts: 10000 - 0 - 9990 uncached.
            ("django__django-11001", [10, 0, 9990, 300]),
            (
                "django__django-11001",
                [11000 - 9990 - 1000, 9990, 1000, 150]
            ),
            // The rises of the running total: 4000/100, then (a repeat) nothing, then
            // 4500 prompt of which 3968 cached, 80 out.
            ("django__django-11004", [4000, 0, 0, 100]),
            ("django__django-11004", [4500 - 3968, 3968, 0, 80]),
            // A prompt below its cached part was counted without it.
            ("django__django-11005", [30, 900, 0, 1]),
        ]
    );
    assert_eq!(calls[0].model, "anthropic/claude-sonnet-4-5-20250929");
    let aside = &report.set_aside;
    assert_eq!(
        aside["duplicate response (a response_id already read in the task)"],
        1
    );
    assert_eq!(
        aside["duplicate usage (the same running total as the event before)"],
        1
    );
    assert_eq!(
        aside["event without llm_metrics (observations, messages)"],
        1
    );
    assert_eq!(
        aside["task total only (accumulated_token_usage without per-response token_usages or events)"],
        1
    );
    assert_eq!(report.assumed.values().sum::<u64>(), 1);
    assert_eq!(report.malformed.len(), 1);
    assert_eq!(report.malformed[0].line, 3);
    assert!(
        report.malformed[0]
            .reason
            .contains("prompt_tokens: expected a non-negative whole number")
    );
}

const OTLP: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"agent"}},{"key":"session.id","value":{"stringValue":"sess-r"}}]},"scopeSpans":[{"scope":{"name":"genai"},"spans":[
{"traceId":"t1","spanId":"a","name":"chat","startTimeUnixNano":"1764000000000000000","attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"claude-sonnet-4-5"}},{"key":"gen_ai.response.model","value":{"stringValue":"claude-sonnet-4-5-20250929"}},{"key":"gen_ai.conversation.id","value":{"stringValue":"conv-1"}},{"key":"user.id","value":{"stringValue":"ana"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"12000"}},{"key":"gen_ai.usage.cache_read.input_tokens","value":{"intValue":"9000"}},{"key":"gen_ai.usage.cache_creation.input_tokens","value":{"intValue":2990}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"700"}},{"key":"gen_ai.usage.reasoning.output_tokens","value":{"intValue":"250"}}]},
{"traceId":"t1","spanId":"a","name":"chat","attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"x"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"1"}}]},
{"traceId":"t1","spanId":"b","name":"execute_tool bash","attributes":[{"key":"gen_ai.tool.name","value":{"stringValue":"bash"}}]},
{"traceId":"t2","spanId":"c","name":"chat","startTimeUnixNano":"1764000001500000000","attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-5"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"40"}},{"key":"gen_ai.usage.cache_read.input_tokens","value":{"intValue":"1024"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"9"}}]},
{"traceId":"t3","spanId":"d","name":"chat","attributes":[{"key":"gen_ai.usage.input_tokens","value":{"intValue":"5"}}]}
]}]}]}
"#;

#[test]
fn otlp_genai_spans_are_calls_with_semconv_token_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "spans.json", OTLP);
    let (calls, report) = import_otlp(&path).unwrap();
    assert_eq!(calls.len(), 2);
    let c = &calls[0];
    // input 12000 includes 9000 read and 2990 written; output 700 includes 250 reasoning.
    assert_eq!(
        [c.input, c.cache_read, c.cache_write, c.output, c.reasoning],
        [10, 9000, 2990, 450, 250]
    );
    assert_eq!(
        c.model, "claude-sonnet-4-5-20250929",
        "the response model first"
    );
    assert_eq!(
        (c.task.as_str(), c.user.as_deref()),
        ("conv-1", Some("ana"))
    );
    assert_eq!(
        c.timestamp.as_deref(),
        Some("2025-11-24T16:00:00.000000000Z")
    );
    // The second: no conversation id, so the resource's session.id; 40 input below its 1024
    // cached, so read as the uncached input.
    let c = &calls[1];
    assert_eq!(
        (c.task.as_str(), c.input, c.cache_read),
        ("sess-r", 40, 1024)
    );
    assert_eq!(report.assumed.values().sum::<u64>(), 1);
    assert_eq!(
        report.set_aside["duplicate span (a span id already read)"],
        1
    );
    assert_eq!(
        report.set_aside["span without gen_ai.usage (not an LLM call)"],
        1
    );
    assert_eq!(report.malformed.len(), 1);
    assert_eq!(
        report.malformed[0].line, 6,
        "the span on line 6 names no model"
    );
    assert!(report.malformed[0].reason.contains("gen_ai.request.model"));
}

#[test]
fn formats_are_sniffed_from_the_content() {
    let cases = [
        (CODEX, LogFormat::Codex),
        (GEMINI, LogFormat::Gemini),
        (OPENHANDS, LogFormat::Openhands),
        (OTLP, LogFormat::Otlp),
        (CACHE_SPLIT, LogFormat::ClaudeCode),
    ];
    for (text, format) in cases {
        assert_eq!(LogFormat::sniff_json(text), Some(format));
    }
    assert_eq!(LogFormat::sniff_json("{\"a\": 1}\n"), None);
    // detect() on files, whatever their extension says.
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "chat.jsonl", OTLP);
    assert_eq!(
        LogFormat::detect(&p, &ColumnMap::default()).unwrap(),
        LogFormat::Otlp
    );
}

#[test]
fn calibrate_on_each_agent_sample_writes_a_scenario_that_runs() {
    let samples = [
        (
            "examples/calibrate/codex",
            "jsonl",
            "codex",
            "rollout-",
            ".jsonl:8: invalid JSON",
        ),
        (
            "examples/calibrate/gemini",
            "json",
            "gemini",
            "session-",
            ".json:489: tokens.input",
        ),
        (
            "examples/calibrate/openhands",
            "jsonl",
            "openhands",
            "output",
            "output.jsonl:7: invalid JSON",
        ),
        (
            "examples/calibrate/otlp",
            "json",
            "otlp",
            "spans",
            "spans.json:276: gen_ai.usage.output_tokens",
        ),
    ];
    for (dir, ext, format, _, broken) in samples {
        let files = files_under(dir, ext);
        assert!(!files.is_empty(), "{dir}");
        // Sniffed, and named.
        for f in [None, Some(format)] {
            let (stdout, stderr, scenario) = calibrate_runs(&files, f);
            assert!(stdout.contains("1 malformed (skipped)"), "{dir}: {stdout}");
            // Codex, Gemini and the spans log reasoning tokens: the calls draw them.
            assert_eq!(
                scenario.contains(", reasoning = {"),
                matches!(format, "codex" | "gemini" | "otlp"),
                "{dir}: {scenario}"
            );
            assert!(stderr.contains(broken), "{dir}: {stderr}");
        }
    }
}

#[test]
fn a_file_in_another_format_is_refused_naming_the_format_expected() {
    let dir = tempfile::tempdir().unwrap();
    let gemini = write(dir.path(), "session-1.json", GEMINI);
    tokencast()
        .args(["calibrate", gemini.to_str().unwrap(), "-o"])
        .arg(dir.path().join("o.toml"))
        .args(["--format", "codex"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "expected a Codex CLI session (~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl) (--format codex)",
        ))
        .stderr(predicate::str::contains("it looks like a Gemini CLI chat"))
        .stderr(predicate::str::contains("--format gemini"));
    let junk = write(dir.path(), "junk.jsonl", "not json\n[1]\n");
    tokencast()
        .args(["calibrate", junk.to_str().unwrap(), "-o"])
        .arg(dir.path().join("o.toml"))
        .args(["--format", "otlp"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("expected an OTLP JSON trace export (resourceSpans) (--format otlp), found no record of it in 2 lines"))
        .stderr(predicate::str::contains("junk.jsonl:1: invalid JSON"));
}

#[test]
fn most_writes_at_one_hour_give_a_one_hour_scenario_priced_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for s in 0..8u64 {
        let mut text = String::new();
        let (mut prompt, mut cached) = (9000 + 500 * s, 0u64);
        for k in 0..(4 + s % 3) {
            let write = prompt - cached;
            text += &format!(
                r#"{{"type":"assistant","sessionId":"s{s}","timestamp":"2026-01-01T10:00:{k:02}Z","requestId":"r{s}-{k}","message":{{"id":"m{s}-{k}","model":"claude-sonnet-4-5-20250929","usage":{{"input_tokens":0,"cache_creation_input_tokens":{write},"cache_read_input_tokens":{cached},"cache_creation":{{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":{write}}},"output_tokens":{}}}}}}}"#,
                100 + 37 * k + 11 * s
            );
            text.push('\n');
            cached = prompt;
            prompt += 100 + 37 * k + 11 * s + 800 + 90 * k;
        }
        files.push(write(dir.path(), &format!("s{s}.jsonl"), &text));
    }
    let out = dir.path().join("hour.toml");
    tokencast()
        .arg("calibrate")
        .args(&files)
        .arg("-o")
        .arg(&out)
        .arg("--report")
        .arg(dir.path().join("r"))
        .args(["--trials", "300"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "1-hour share of cache-write tokens: 100%",
        ));
    let scenario = std::fs::read_to_string(&out).unwrap();
    assert!(scenario.contains("cache_ttl = \"1h\""), "{scenario}");
    // The catalog's 1-hour rate of claude-sonnet-4-5 (2 x its $3 input).
    assert!(scenario.contains("cache_write_1h = 6\n"), "{scenario}");
    tokencast()
        .args(["run", out.to_str().unwrap(), "-n", "200", "--out"])
        .arg(dir.path().join("run"))
        .assert()
        .success();
}

#[test]
fn an_openhands_trajectory_array_is_read_event_by_event_at_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "traj-42.json",
        r#"[
  {"id": 0, "source": "user", "action": "message"},
  {"id": 1, "timestamp": "2025-10-01T09:00:01", "action": "run",
   "llm_metrics": {"accumulated_token_usage": {"model": "gpt-5", "prompt_tokens": 3000, "completion_tokens": 90}}},
  {"id": 2, "timestamp": "2025-10-01T09:00:02", "action": "run",
   "llm_metrics": {"accumulated_token_usage": {"model": "gpt-5", "prompt_tokens": 2000, "completion_tokens": 95}}},
  {"id": 3, "timestamp": "2025-10-01T09:00:03", "action": "run",
   "llm_metrics": {"accumulated_token_usage": {"model": "gpt-5", "prompt_tokens": 7100, "completion_tokens": 150, "cache_read_tokens": 2048}}}
]
"#,
    );
    let (calls, report) = import_openhands(&path).unwrap();
    let got: Vec<(&str, u64, u64, u64)> = calls
        .iter()
        .map(|c| (c.task.as_str(), c.input, c.cache_read, c.output))
        .collect();
    // The task is the file; 3000/90, then (event 2 falls back: malformed) 4100 of which 2048
    // cached, 60 out.
    assert_eq!(
        got,
        [("traj-42", 3000, 0, 90), ("traj-42", 4100 - 2048, 2048, 60)]
    );
    assert_eq!(report.lines, 4);
    assert_eq!(report.malformed.len(), 1);
    assert_eq!(report.malformed[0].line, 5, "event 2 starts on line 5");
    assert!(
        report.malformed[0]
            .reason
            .contains("below the running total")
    );
}
