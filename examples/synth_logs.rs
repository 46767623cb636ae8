//! Writes synthetic usage logs from a scenario: its trials run call by call
//! (`tokencast::calibrate::synth`), as a Claude Code transcript, a per-call CSV or a per-task
//! CSV. The bundled sample logs under `examples/calibrate/` were made with it:
//!
//! ```sh
//! cargo run --example synth_logs -- examples/calibrate/truth.toml 400 7 claude-code examples/calibrate/sample-claude-code.jsonl
//! ```

use std::path::Path;
use std::process::ExitCode;

use tokencast::calibrate::synth;
use tokencast::scenario::Scenario;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [scenario, tasks, seed, format, out] = &args[..] else {
        eprintln!("usage: synth_logs SCENARIO TASKS SEED claude-code|calls-csv|tasks-csv OUT_FILE");
        return ExitCode::from(2);
    };
    let scenario = match Scenario::load(Path::new(scenario)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let (Ok(tasks), Ok(seed)) = (tasks.parse::<u64>(), seed.parse::<u64>()) else {
        eprintln!("TASKS and SEED must be whole numbers");
        return ExitCode::from(2);
    };
    let calls = synth::synthetic_calls(&scenario, tasks, seed);
    let text = match format.as_str() {
        "claude-code" => synth::claude_code_jsonl(&calls),
        "calls-csv" => synth::calls_csv(&calls),
        "tasks-csv" => synth::tasks_csv(&calls),
        other => {
            eprintln!("unknown format `{other}`");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = tokencast::report::write_atomic(Path::new(out), text.as_bytes()) {
        eprintln!("cannot write {out}: {e}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
