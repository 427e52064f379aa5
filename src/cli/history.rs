//! `reckon history LEDGER`: the ledger's checks, newest first (when, how many findings were
//! new, resolved, explained, with their IDs), its runway and low-balance threshold; text or
//! JSON. Runs are recorded by `reckon check` and by the app's checks.

use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use super::{ledger_named, OutputFormat};
use reckon::escape::terminal;
use reckon::model::{format_ts, rfc3339};
use reckon::money::{self, format_signed};
use reckon::store::{CheckRun, FindingChange, Store};
use reckon::watch::{self, runway, Runway};

#[derive(clap::Args)]
pub(super) struct Args {
    /// ACCOUNT or ACCOUNT/CURRENCY, as `reckon chains` lists them.
    ledger: String,
    /// At most this many runs, newest first.
    #[arg(long, default_value_t = 50)]
    limit: usize,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
}

pub(super) fn run(store: &Store, args: Args) -> Result<ExitCode> {
    let chain = ledger_named(store, &args.ledger)?;
    let runs = watch::history::runs(store, chain.id, args.limit)?;
    // The balance the newest entry states, else the one the last kept check ended at (rebuilt
    // from the anchors).
    let balance = chain.ledger_balance.or_else(|| runs.first().and_then(|r| r.balance));
    let runway = match (balance, watch::burn(store, &chain)?) {
        (Some(b), Some(burn)) => Some(runway::runway(b, &burn)),
        _ => None,
    };
    let threshold = store.low_balance(chain.id)?;
    if args.format == OutputFormat::Json {
        let json = json!({
            "account": chain.key.account,
            "currency": chain.key.currency,
            "balance": balance.map(money::format),
            "runway": runway.map(runway_json),
            "low_balance": threshold.map(|t| json!({
                "threshold": money::format(t.threshold),
                "below_since": t.below_since.map(rfc3339),
            })),
            "runs": runs.iter().map(run_json).collect::<Vec<_>>(),
        });
        out!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(ExitCode::SUCCESS);
    }
    let (account, currency) = (terminal(&chain.key.account), terminal(&chain.key.currency));
    out!("{account}/{currency}: balance {}", balance.map(money::format).unwrap_or_else(|| "- (not known)".into()));
    if let Some(r) = &runway {
        out!("  {}", r.sentence());
    }
    if let Some(t) = &threshold {
        let state = match t.below_since {
            Some(s) => format!("below it since {}", format_ts(s)),
            None => "not below it at the last sync or check".into(),
        };
        out!("  low-balance threshold {}: {state}", money::format(t.threshold));
    }
    if runs.is_empty() {
        out!("\nno checks recorded yet: `reckon check` records one");
        return Ok(ExitCode::SUCCESS);
    }
    out!(
        "\n{:<27} {:>6} {:>5} {:>8} {:>9} {:>6} {:>8}",
        "when",
        "checks",
        "new",
        "resolved",
        "explained",
        "errors",
        "warnings"
    );
    for r in &runs {
        // Unchanged checks after this one are folded into it: said after the row.
        let mut notes = Vec::new();
        if r.first {
            notes.push("first check".to_string());
        }
        if r.runs > 1 {
            notes.push(format!("the same at each check to {}", format_ts(r.last_at)));
        }
        out!(
            "{:<27} {:>6} {:>5} {:>8} {:>9} {:>6} {:>8}{}",
            format_ts(r.at),
            r.runs,
            r.new,
            r.resolved,
            r.explained,
            r.counts.errors,
            r.counts.warnings,
            if notes.is_empty() { String::new() } else { format!("  ({})", notes.join("; ")) }
        );
        for c in &r.changes {
            out!(
                "  {:<9} {:<24} {}  {}{}",
                c.change.as_str(),
                c.kind.as_str(),
                c.finding_id,
                terminal(&c.transaction_ids.join(", ")),
                c.delta.map(|d| format!("  delta {}", format_signed(d))).unwrap_or_default()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A runway as JSON, for `history` and `chains`.
pub(super) fn runway_json(r: Runway) -> serde_json::Value {
    match r {
        Runway::RunsOut { daily_burn, at } => json!({
            "state": "runs_out",
            "daily_burn": money::format(daily_burn),
            "runs_out_at": at.map(rfc3339),
            "runs_out_on": at.map(runway::day),
        }),
        Runway::NoRunway { net } => json!({ "state": "not_running_out", "net": money::format(net) }),
        Runway::Exhausted => json!({ "state": "exhausted" }),
    }
}

fn run_json(r: &CheckRun) -> serde_json::Value {
    let changes = |kind: reckon::store::Change| {
        r.changes.iter().filter(|c| c.change == kind).map(change_json).collect::<Vec<_>>()
    };
    json!({
        "at": rfc3339(r.at),
        "last_at": rfc3339(r.last_at),
        "checks": r.runs,
        "first": r.first,
        "entries": r.counts.entries,
        "errors": r.counts.errors,
        "warnings": r.counts.warnings,
        "explained_total": r.counts.explained,
        "balance": r.balance.map(money::format),
        "new": changes(reckon::store::Change::New),
        "resolved": changes(reckon::store::Change::Resolved),
        "explained": changes(reckon::store::Change::Explained),
    })
}

fn change_json(c: &FindingChange) -> serde_json::Value {
    json!({
        "id": c.finding_id,
        "kind": c.kind.as_str(),
        "severity": c.kind.severity().as_str(),
        "delta": c.delta.map(money::format),
        "transaction_ids": c.transaction_ids,
    })
}
