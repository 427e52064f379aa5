//! `RECKON_TRACE=1`: the engine's phase events (`reckon::phase`) printed on standard error as
//! `trace: <phase> <ms> ms`, one line each. A subscriber of its own, a few lines, instead of a
//! formatting framework: the CLI prints nothing else through `tracing`.

use std::fmt::Debug;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Installs the phase printer when `RECKON_TRACE` is set.
pub fn install_if_asked() {
    if std::env::var_os("RECKON_TRACE").is_some() {
        // Only fails if a subscriber is already set, and then that one prints.
        let _ = tracing::subscriber::set_global_default(Phases);
    }
}

/// Prints phase events; has no spans.
struct Phases;

/// A phase event's fields.
#[derive(Default)]
struct Phase {
    name: String,
    ms: f64,
}

impl Visit for Phase {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "phase" {
            self.name = value.to_string();
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "ms" {
            self.ms = value;
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        if field.name() == "phase" {
            self.name = format!("{value:?}");
        }
    }
}

impl Subscriber for Phases {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == reckon::trace::TARGET
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut phase = Phase::default();
        event.record(&mut phase);
        note!("trace: {:<24} {:>8.1} ms", phase.name, phase.ms);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}
