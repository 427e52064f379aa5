//! Phase timings, for the benchmark and for anyone asking where an import's or a check's time
//! goes. The engine emits each phase as a `tracing` event (target `reckon::phase`, fields
//! `phase` and `ms`) and prints nothing itself: a shell that wants them installs a subscriber
//! (the CLI does under `RECKON_TRACE`, writing `trace: <phase> <ms> ms` to standard error).
//! With no subscriber an event costs one relaxed atomic load.

use std::time::Instant;

/// The target every phase event has.
pub const TARGET: &str = "reckon::phase";

/// Marks the end of a phase that began at `since`; returns now, the start of the next phase.
pub fn phase(name: &str, since: Instant) -> Instant {
    let now = Instant::now();
    tracing::info!(target: TARGET, phase = name, ms = (now - since).as_secs_f64() * 1e3);
    now
}
