//! Each importer on small files written here: what it reads, what it sets aside and counts,
//! and malformed lines reported with their file and line.

use std::path::Path;

use tokencast::calibrate::import::{import_call_csv, import_claude_code, import_task_csv};
use tokencast::calibrate::{ColumnMap, LogFormat};

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const CLAUDE_CODE: &str = r#"{"type":"summary","summary":"Fix the tests","leafUuid":"x"}
{"type":"user","sessionId":"s1","timestamp":"2026-01-01T10:00:00Z","message":{"role":"user","content":"fix it"}}
{"type":"assistant","sessionId":"s1","timestamp":"2026-01-01T10:00:05Z","requestId":"r1","message":{"id":"m1","model":"claude-sonnet-4","usage":{"input_tokens":10,"cache_creation_input_tokens":5000,"cache_read_input_tokens":0,"output_tokens":40}}}
{"type":"assistant","sessionId":"s1","timestamp":"2026-01-01T10:00:05Z","requestId":"r1","message":{"id":"m1","model":"claude-sonnet-4","usage":{"input_tokens":10,"cache_creation_input_tokens":5000,"cache_read_input_tokens":0,"output_tokens":120}}}
this is not json

{"type":"assistant","sessionId":"s1","timestamp":"2026-01-01T10:00:09Z","requestId":"r2","message":{"id":"m2","model":"claude-sonnet-4","usage":{"input_tokens":3,"cache_creation_input_tokens":800,"cache_read_input_tokens":5010,"output_tokens":60}}}
{"type":"assistant","sessionId":"s1","isSidechain":true,"timestamp":"2026-01-01T10:00:10Z","message":{"id":"m3","model":"claude-haiku-4","usage":{"input_tokens":3,"output_tokens":6}}}
{"type":"assistant","sessionId":"s1","timestamp":"2026-01-01T10:00:11Z","message":{"id":"m4","model":"<synthetic>","usage":{"input_tokens":0,"output_tokens":0}}}
{"type":"assistant","sessionId":"s2","timestamp":"2026-01-01T11:00:00Z","message":{"id":"m5","model":"claude-sonnet-4"}}
{"type":"assistant","sessionId":"s2","timestamp":"2026-01-01T11:00:00Z","message":{"id":"m6","model":"claude-sonnet-4","usage":{"input_tokens":-4,"output_tokens":6}}}
{"type":"assistant","timestamp":"2026-01-01T11:00:00Z","message":{"id":"m7","model":"claude-sonnet-4","usage":{"input_tokens":4,"output_tokens":6}}}
[1, 2]
{"type":"assistant","sessionId":"s2","timestamp":"2026-01-01T11:00:01Z","requestId":"r8","message":{"id":"m8","model":"claude-opus-4","usage":{"input_tokens":7000,"output_tokens":300}}}
"#;

#[test]
fn claude_code_transcripts() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "session.jsonl", CLAUDE_CODE);
    let (calls, report) = import_claude_code(&path).unwrap();
    // m1 (two blocks: one call, the larger output kept), m2, m3 (a sub-agent's), m8.
    assert_eq!(calls.len(), 4);
    assert_eq!(report.records, 4);
    assert_eq!(report.sub_agent_calls, 1);
    assert_eq!(
        calls[2].task, "s1",
        "a sub-agent's call belongs to its parent's session"
    );
    assert_eq!(calls[2].agent.as_deref(), Some("sidechain"));
    let calls: Vec<_> = calls.into_iter().filter(|c| c.agent.is_none()).collect();
    assert_eq!(report.lines, 13, "blank lines are not counted");
    assert_eq!(calls[0].output, 120);
    assert_eq!(
        (calls[0].input, calls[0].cache_write, calls[0].cache_read),
        (10, 5000, 0)
    );
    assert_eq!(calls[0].prompt(), 5010);
    assert_eq!(calls[1].cache_read, 5010);
    assert_eq!(calls[2].model, "claude-opus-4");
    assert_eq!(
        calls[2].cache_read + calls[2].cache_write,
        0,
        "absent cache fields are 0"
    );
    let lines: Vec<(u64, &str)> = report
        .malformed
        .iter()
        .map(|s| (s.line, s.reason.as_str()))
        .collect();
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert_eq!(lines[0].0, 5);
    assert!(lines[0].1.starts_with("invalid JSON"), "{}", lines[0].1);
    assert_eq!(lines[1], (10, "message.usage: expected an object"));
    assert_eq!(lines[2].0, 11);
    assert!(
        lines[2]
            .1
            .contains("message.usage.input_tokens: expected a non-negative integer, found -4")
    );
    assert_eq!(lines[3], (12, "sessionId: expected a non-empty string"));
    assert_eq!(lines[4], (13, "expected a JSON object"));
    let shown = report.malformed[0].to_string();
    assert!(
        shown.starts_with(&format!("{}:5: invalid JSON", path.display())),
        "{shown}"
    );
    let aside = &report.set_aside;
    assert_eq!(
        aside["not an assistant message (user, summary, system, ...)"],
        2
    );
    assert_eq!(
        aside["repeated content block of a call already read (same message.id)"],
        1
    );
    assert_eq!(aside["synthetic assistant message (no API call)"], 1);
    // Every non-blank line is accounted for.
    let accounted = report.records as usize
        + report.malformed.len()
        + aside.values().map(|&v| v as usize).sum::<usize>();
    assert_eq!(accounted as u64, report.lines);
}

#[test]
fn per_call_csv_with_a_column_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let text = "\
session,when,llm,prompt_in,gen_out,cached,written,usd,ok
a,2026-01-01T00:00:02Z,m,10,100,1000,50,0.01,yes
a,2026-01-01T00:00:01Z,m,10,90,0,1000,0.02,yes
b,2026-01-01T00:00:01Z,m,ten,100,0,0,0.01,no
b,2026-01-01T00:00:01Z,m,10,100,0,0,-3,no
b,2026-01-01T00:00:03Z,,10,100,0,0,0.01,no
b,2026-01-01T00:00:04Z,m,10,100,0,0,0.01,maybe
c,2026-01-01T00:00:04Z,m,10
c,2026-01-01T00:00:05Z,m,5,7,,,,
";
    let path = write(dir.path(), "calls.csv", text);
    let map = ColumnMap::parse(
        "task=session,timestamp=when,model=llm,input=prompt_in,output=gen_out,cache_read=cached,cache_write=written,cost=usd,success=ok",
    )
    .unwrap();
    let (calls, report) = import_call_csv(&path, &map).unwrap();
    assert_eq!(calls.len(), 3);
    assert_eq!(
        (
            calls[0].task.as_str(),
            calls[0].cache_read,
            calls[0].success
        ),
        ("a", 1000, Some(true))
    );
    assert_eq!(
        (calls[2].cache_read, calls[2].cost, calls[2].success),
        (0, None, None)
    );
    let lines: Vec<u64> = report.malformed.iter().map(|s| s.line).collect();
    assert_eq!(lines, vec![4, 5, 6, 7, 8], "{:?}", report.malformed);
    let reasons: Vec<&str> = report.malformed.iter().map(|s| s.reason.as_str()).collect();
    assert!(
        reasons[0]
            .starts_with("input: expected a non-negative whole number of tokens, found `ten`")
    );
    assert!(reasons[1].starts_with("cost: expected a non-negative cost"));
    assert!(reasons[2].starts_with("model: expected a value"));
    assert!(reasons[3].starts_with("success: expected a success flag"));
    assert!(
        reasons[4].starts_with("output: expected 5 fields, found 4"),
        "{}",
        reasons[4]
    );
    // Calls are ordered by timestamp within a task when grouped.
    let tasks = tokencast::calibrate::group_calls(calls);
    assert_eq!(tasks[0].calls[0].output, 90);
    assert_eq!(LogFormat::detect(&path, &map).unwrap(), LogFormat::CallsCsv);
}

#[test]
fn a_missing_column_names_the_header_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "calls.csv",
        "task_id,model,input_tokns,output_tokens\nt,m,1,2\n",
    );
    let err = import_call_csv(&path, &ColumnMap::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(":1: input column: expected a header `input_tokens`"),
        "{err}"
    );
    assert!(err.contains("did you mean `input_tokns`?"), "{err}");
    let err = ColumnMap::parse("imput=x").unwrap_err();
    assert!(err.contains("did you mean `input`"), "{err}");
    assert!(ColumnMap::parse("input").is_err());
}

#[test]
fn per_task_csv() {
    let dir = tempfile::tempdir().unwrap();
    let text = "\
task_id,model,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,calls,cost_usd,success
t1,m,100,2000,50000,9000,12,0.1,true
t2,m,100,x,50000,9000,12,0.1,true
t3,m,100,2000,50000,9000,,,
";
    let path = write(dir.path(), "tasks.csv", text);
    assert_eq!(
        LogFormat::detect(&path, &ColumnMap::default()).unwrap(),
        LogFormat::TasksCsv
    );
    let (tasks, report) = import_task_csv(&path, &ColumnMap::default()).unwrap();
    assert_eq!(tasks.len(), 2);
    assert_eq!((tasks[0].calls, tasks[0].cache_read), (Some(12), 50_000));
    assert_eq!(
        (tasks[1].calls, tasks[1].cost, tasks[1].success),
        (None, None, None)
    );
    assert_eq!(report.malformed.len(), 1);
    assert_eq!(report.malformed[0].line, 3);
    assert!(
        report.malformed[0]
            .reason
            .starts_with("output: expected a non-negative whole number")
    );
}

#[test]
fn a_line_that_is_not_utf8_is_skipped_at_its_place_not_the_whole_log() {
    // Issue 20 item 11: one bad byte rejected the whole log, while other bad lines were
    // skipped.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("calls.csv");
    std::fs::write(
        &path,
        b"task_id,model,input_tokens,output_tokens\nt1,m,100,20\nt1,m\xff,120,30\nt2,m,90,10\n",
    )
    .unwrap();
    let (calls, report) = import_call_csv(&path, &ColumnMap::default()).unwrap();
    assert_eq!(calls.len(), 2);
    assert_eq!(report.lines, 3);
    assert_eq!(report.malformed.len(), 1);
    assert_eq!(
        report.malformed[0].to_string(),
        format!(
            "{}:3: not UTF-8 text: byte 0xFF at column 5 (save the file as UTF-8)",
            path.display()
        )
    );
    // The same in a transcript.
    let jsonl = dir.path().join("t.jsonl");
    std::fs::write(&jsonl, b"{\"type\":\"user\"}\n{\"x\":\"\xc3\"}\n").unwrap();
    let (_, report) = import_claude_code(&jsonl).unwrap();
    assert_eq!(report.malformed.len(), 1);
    assert_eq!(report.malformed[0].line, 2);
    // A header that is not UTF-8 refuses the file at line 1: no row can be read without it.
    std::fs::write(&path, b"task_id,mod\xffel\nt,m\n").unwrap();
    let err = import_call_csv(&path, &ColumnMap::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with(
            ":1: the header: not UTF-8 text: byte 0xFF at column 12 (save the file as UTF-8)"
        ),
        "{err}"
    );
}

#[test]
fn a_per_task_csv_whose_token_columns_are_zero_is_refused_at_its_line() {
    // Issue 21 item 4: per-task rows with every token column 0 but a cost were fitted with
    // the cost silently ignored (a $0 scenario, exit 0). The task-level model prices drawn
    // tokens, so such a file is refused, at the first such row, with what was found and what
    // to do; a row without tokens and without a cost (an empty task) is still read.
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "tasks.csv",
        "task_id,model,input_tokens,output_tokens,calls,cost_usd,success\n\
         t0,m,0,0,3,,true\n\
         t1,m,0,0,12,1.5224,true\n\
         t2,m,0,0,40,0.75,false\n",
    );
    let err = import_task_csv(&path, &ColumnMap::default())
        .unwrap_err()
        .to_string();
    let file = path.display().to_string();
    assert!(err.starts_with(&format!("{file}:3: ")), "{err}");
    assert!(
        err.contains("are all 0 but the cost is 1.5224 USD, in 2 of 3 rows"),
        "{err}"
    );
    assert!(err.contains("give the token counts"), "{err}");

    // Through the command: exit 2, the message on stderr, nothing written.
    let out = dir.path().join("fitted.toml");
    let run = assert_cmd::Command::cargo_bin("tokencast")
        .unwrap()
        .args([
            "calibrate",
            path.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{file}:3: the token columns")),
        "{stderr}"
    );
    assert!(!out.exists());

    // Rows with tokens, or with neither tokens nor cost, import as before.
    let path = write(
        dir.path(),
        "ok.csv",
        "task_id,model,input_tokens,output_tokens,calls,cost_usd\n\
         t0,m,0,0,3,\n\
         t1,m,1000,200,12,0.5\n",
    );
    let (tasks, report) = import_task_csv(&path, &ColumnMap::default()).unwrap();
    assert_eq!((tasks.len(), report.records), (2, 2));

    // A per-call CSV is held to the same rule.
    let path = write(
        dir.path(),
        "calls.csv",
        "task_id,timestamp,model,input_tokens,output_tokens,cost_usd
         t0,2026-01-01T00:00:00Z,m,1000,20,0.01
         t0,2026-01-01T00:00:01Z,m,0,0,0.02
",
    );
    let err = import_call_csv(&path, &ColumnMap::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!("{}:3: ", path.display())) && err.contains("in 1 of 2 rows"),
        "{err}"
    );
}
