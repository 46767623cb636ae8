//! The `tokencast` binary: parses the command line and maps errors to exit codes.

mod cli;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    // SIGINT and SIGTERM remove this run's temporary files before the process exits.
    if let Err(e) = tokencast::report::interrupt::install() {
        cli::warn(&format!(
            "warning: cannot handle SIGINT/SIGTERM ({e}); an interrupted run leaves its temporary files for the next run to remove"
        ));
    }
    if let Err(failure) = cli::main(args) {
        cli::warn(&format!("error: {:#}", failure.error));
        std::process::exit(failure.code);
    }
}
