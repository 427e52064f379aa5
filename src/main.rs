//! The `reckon` command line: argument parsing, terminal output and exit codes over the
//! engine. Exit status 0: done and no open error; 1: an open finding of severity error;
//! 2: the command could not run.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::trace::install_if_asked();
    match cli::run() {
        Ok(code) => code,
        // The reader of standard output went away (`reckon chains | head`): nothing to say.
        Err(e) if broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // Not `eprintln!`: a standard error closed under us must not turn exit 2 into a panic.
            use std::io::Write as _;
            let _ = writeln!(std::io::stderr(), "reckon: {}", message(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes, each cause once: Reckon's messages already quote the cause they
/// wrap, so a cause whose text the message holds is not repeated. A store error's remedy
/// follows its text, in the CLI's words.
fn message(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    cli::remedy::add(text, e.as_ref())
}

/// Whether the error is standard output closed under us.
fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
}
