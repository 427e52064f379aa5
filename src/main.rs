//! The `reckon` command line: argument parsing, terminal output and exit codes over the
//! engine. Exit status 0: done and no open error; 1: an open finding of severity error;
//! 2: the command could not run.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("reckon: {e:#}");
            ExitCode::from(2)
        }
    }
}
