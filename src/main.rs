//! The `tokencast` binary: parses the command line and maps errors to exit codes.

mod cli;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    if let Err(failure) = cli::main(args) {
        cli::warn(&format!("error: {:#}", failure.error));
        std::process::exit(failure.code);
    }
}
