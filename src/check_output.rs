//! A `CheckReport` as `reckon check` prints it: the JSON contract of FORMATS.md section 2 and
//! the text a person reads. Both binaries that check (`reckon`, `reckon-scale`) print through
//! here, so the same report gives the same bytes.

use std::io::Write;

use serde::Serialize;

use crate::check::CheckReport;
use crate::escape::terminal;
use crate::money::{self, format_signed};

#[derive(Serialize)]
struct JsonCheck<'a> {
    chains: Vec<JsonChain<'a>>,
    findings: Vec<JsonFinding<'a>>,
}

#[derive(Serialize)]
struct JsonChain<'a> {
    account: &'a str,
    currency: &'a str,
    entries: u64,
    ledger_balance: Option<String>,
    stated_balance: Option<String>,
    /// Granted but not yet settled, so not in the available `ledger_balance` (chains with
    /// pending grants only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pending_balance: Option<String>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    id: &'a str,
    kind: &'static str,
    severity: &'static str,
    transaction_ids: &'a [String],
    delta: Option<String>,
    message: &'a str,
    /// Entries whose amounts would close an `anchor_mismatch`'s gap (absent for other kinds).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    candidates: Vec<JsonCandidate<'a>>,
}

#[derive(Serialize)]
struct JsonCandidate<'a> {
    /// `missing` (one more like it would close the gap) or `not_applied` (counted, never applied).
    reading: &'static str,
    transaction_ids: &'a [String],
    amount: String,
}

/// The report as `reckon check --format json` prints it (without the final line end): every
/// chain, and the open findings (the explained ones too with `include_explained`).
pub fn json(report: &CheckReport, include_explained: bool) -> String {
    let json = JsonCheck {
        chains: report
            .chains
            .iter()
            .map(|c| JsonChain {
                account: &c.key.account,
                currency: &c.key.currency,
                entries: c.entries,
                ledger_balance: c.ledger_balance.map(money::format),
                stated_balance: c.stated_balance.map(money::format),
                pending_balance: report.pending_balance(c.id).map(money::format),
            })
            .collect(),
        findings: report
            .findings
            .iter()
            .filter(|f| include_explained || f.is_open())
            .map(|f| JsonFinding {
                id: &f.finding.id,
                kind: f.finding.kind.as_str(),
                severity: f.finding.severity().as_str(),
                transaction_ids: &f.finding.transaction_ids,
                delta: f.finding.delta.map(money::format),
                message: &f.finding.message,
                candidates: f
                    .finding
                    .candidates
                    .iter()
                    .map(|c| JsonCandidate {
                        reading: c.reading.as_str(),
                        transaction_ids: &c.transaction_ids,
                        amount: money::format(c.amount),
                    })
                    .collect(),
            })
            .collect(),
    };
    // Strings, numbers and options only: serializing cannot fail.
    serde_json::to_string_pretty(&json).unwrap_or_default()
}

/// The report as `reckon check` prints it for a person: a line per chain, each finding shown
/// with its message, candidates and note, then the counts.
pub fn text(report: &CheckReport, include_explained: bool, out: &mut dyn Write) -> std::io::Result<()> {
    for c in &report.chains {
        writeln!(
            out,
            "{}/{}: {} entries, ledger ends at {}{}{}",
            terminal(&c.key.account),
            terminal(&c.key.currency),
            c.entries,
            match (c.ledger_balance, report.rebuilt.get(&c.id)) {
                (Some(balance), _) => money::format(balance),
                (None, Some(&rebuilt)) => format!("- (rebuilt from the anchors: {})", money::format(rebuilt)),
                (None, None) => "-".into(),
            },
            report
                .pending_balance(c.id)
                .map(|p| format!(" available, {} pending", money::format(p)))
                .unwrap_or_default(),
            c.stated_balance.map(|s| format!(", stated {}", money::format(s))).unwrap_or_default()
        )?;
    }
    for f in report.findings.iter().filter(|f| include_explained || f.is_open()) {
        let fi = &f.finding;
        writeln!(
            out,
            "\n{:<8} {:<22} {}  {}{}{}",
            fi.severity().as_str(),
            fi.kind.as_str(),
            fi.id,
            terminal(&fi.transaction_ids.join(", ")),
            fi.delta.map(|d| format!("  delta {}", format_signed(d))).unwrap_or_default(),
            if f.is_open() { "" } else { "  (explained)" }
        )?;
        writeln!(out, "  {}", terminal(&fi.message))?;
        for c in &fi.candidates {
            writeln!(
                out,
                "  candidate ({}): {}  {}",
                c.reading.as_str(),
                terminal(&c.transaction_ids.join(" + ")),
                format_signed(c.amount)
            )?;
        }
        if let Some(n) = &f.note {
            writeln!(out, "  note: {}", terminal(&n.note))?;
        }
    }
    let errors = report.open_errors();
    let warnings = report.open().count() - errors;
    let explained = report.findings.len() - report.open().count();
    writeln!(
        out,
        "\n{errors} error{}, {warnings} warning{}{}",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" },
        match (explained, include_explained) {
            (0, _) => String::new(),
            (n, true) => format!(", {n} explained"),
            (n, false) => format!(", {n} explained (hidden; --include-explained shows them)"),
        }
    )?;
    Ok(())
}
