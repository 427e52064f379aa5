//! The `reckon` command line: argument parsing, terminal output and exit codes over the
//! engine. Exit status 0: done and no open error; 1: an open finding of severity error;
//! 2: the command could not run.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("reckon: {}", message(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, each cause once: Reckon's messages already quote the cause they
/// wrap, so a cause whose text the message holds is not repeated.
fn message(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}
