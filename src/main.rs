//! The `stance` command: parse flags, run the subcommand, map the outcome to an exit code.
//!
//! Exit codes: 0 everything done; 1 some inputs failed (the rest were processed);
//! 2 usage, model or fatal error.

use std::process::ExitCode;

mod cli;

fn main() -> ExitCode {
    cli::main()
}
