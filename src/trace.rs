//! Phase timings on standard error when `RECKON_TRACE` is set, for the benchmark and for
//! anyone asking where an import's time goes. Costs one environment lookup per phase.

use std::time::Instant;

/// Marks the end of a phase that began at `since`; returns now, the start of the next phase.
pub fn phase(name: &str, since: Instant) -> Instant {
    let now = Instant::now();
    if std::env::var_os("RECKON_TRACE").is_some() {
        // Never a panic on a closed standard error (`RECKON_TRACE=1 reckon import f 2>&1 | head -1`).
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), "trace: {name:<24} {:>8.1} ms", (now - since).as_secs_f64() * 1e3);
    }
    now
}
