//! `reckon check`: walk every chain and print the findings, as text or as the JSON contract
//! of FORMATS.md section 2. Exit 1 when an open finding is an error.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use rust_decimal::Decimal;
use serde::Serialize;

use super::{chain_key, decimal, OutputFormat};
use reckon::check::{check, CheckOptions, CheckReport};
use reckon::escape::terminal;
use reckon::model::{FindingKind, Severity};
use reckon::money::{self, format_signed};
use reckon::reconcile::{RuleConfig, UnusualRule};
use reckon::store::Store;

#[derive(clap::Args)]
pub(super) struct Args {
    #[command(flatten)]
    anchors: AnchorArgs,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// Also list findings marked as explained.
    #[arg(long)]
    include_explained: bool,
    /// Only findings of these kinds (repeatable): balance_break, unusual_amount, ...
    #[arg(long = "kind", value_parser = kind)]
    kinds: Vec<FindingKind>,
    /// Only findings of this severity.
    #[arg(long, value_enum)]
    severity: Option<SeverityArg>,
    #[command(flatten)]
    rules: RuleArgs,
}

#[derive(clap::Args)]
pub(super) struct AnchorArgs {
    /// The balance the vendor's page states now (saved for the chain with --save-balance).
    #[arg(long, allow_hyphen_values = true, value_parser = decimal)]
    stated_balance: Option<Decimal>,
    /// The balance before the oldest entry.
    #[arg(long, allow_hyphen_values = true, value_parser = decimal)]
    opening_balance: Option<Decimal>,
    /// Remember the given balances for the chain.
    #[arg(long)]
    save_balance: bool,
    /// Only this account (needed with balances when several chains exist).
    #[arg(long)]
    account: Option<String>,
    /// Only this currency.
    #[arg(long)]
    currency: Option<String>,
}

impl Args {
    pub(super) fn saves_balance(&self) -> bool {
        self.anchors.save_balance
    }
}

impl AnchorArgs {
    /// Whether the balances are to be saved (the command then writes).
    pub(super) fn saves_balance(&self) -> bool {
        self.save_balance
    }
}

#[derive(clap::Args)]
pub(super) struct RuleArgs {
    /// unusual_amount: flag at this many times the type's median magnitude.
    #[arg(long, default_value = "10", value_parser = decimal)]
    unusual_ratio: Decimal,
    /// unusual_amount: ...and this many median absolute deviations above the median.
    #[arg(long, default_value = "6", value_parser = decimal)]
    unusual_mad: Decimal,
    /// unusual_amount: judge only types with at least this many entries.
    #[arg(long, default_value_t = 20)]
    unusual_min_history: usize,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum SeverityArg {
    Error,
    Warning,
}

/// A finding kind by its name in FORMATS.md.
pub(super) fn kind(name: &str) -> Result<FindingKind, String> {
    FindingKind::from_name(name.trim()).ok_or_else(|| {
        "expected a finding kind such as balance_break, duplicate_charge, unmatched_refund, unknown_type, \
         unusual_amount, refund_mismatch or anchor_mismatch"
            .to_string()
    })
}

pub(super) fn run(store: &mut Store, args: Args) -> Result<ExitCode> {
    let mut report = run_check(store, &args.anchors, &args.rules)?;
    // Kind and severity narrow what is shown and what the exit status is about.
    let severity = args.severity.map(|s| match s {
        SeverityArg::Error => Severity::Error,
        SeverityArg::Warning => Severity::Warning,
    });
    report.findings.retain(|f| {
        (args.kinds.is_empty() || args.kinds.contains(&f.finding.kind))
            && severity.is_none_or(|s| f.finding.severity() == s)
    });
    print_check(&report, args.format, args.include_explained)?;
    Ok(if report.open_errors() > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Checks with the anchors and rules given, saving the balances when asked.
pub(super) fn run_check(store: &mut Store, anchors: &AnchorArgs, rules: &RuleArgs) -> Result<CheckReport> {
    let options = CheckOptions {
        chain: chain_key(&anchors.account, &anchors.currency),
        stated: anchors.stated_balance,
        opening: anchors.opening_balance,
        rules: RuleConfig {
            unusual: UnusualRule {
                min_history: rules.unusual_min_history,
                ratio: rules.unusual_ratio,
                mad_multiple: rules.unusual_mad,
                ..UnusualRule::default()
            },
            ..RuleConfig::default()
        },
    };
    let report = check(store, &options)?;
    if anchors.save_balance {
        for chain in &report.chains {
            if options.stated.is_some() {
                store.set_stated_balance(chain.id, options.stated)?;
            }
            if options.opening.is_some() {
                store.set_opening_balance(chain.id, options.opening)?;
            }
        }
    }
    Ok(report)
}

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

fn print_check(report: &CheckReport, format: OutputFormat, include_explained: bool) -> Result<()> {
    let shown: Vec<_> = report.findings.iter().filter(|f| include_explained || f.is_open()).collect();
    if format == OutputFormat::Json {
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
            findings: shown
                .iter()
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
        out!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
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
    for f in &shown {
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
