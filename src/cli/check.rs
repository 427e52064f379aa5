//! `reckon check`: walk every chain and print the findings, as text or as the JSON contract
//! of FORMATS.md section 2. Exit 1 when an open finding is an error.

use std::process::ExitCode;

use anyhow::Result;
use rust_decimal::Decimal;

use super::{chain_key, decimal, OutputFormat};
use reckon::check::{check, CheckOptions, CheckReport};
use reckon::check_output;
use reckon::model::{FindingKind, Severity};
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

    /// Whether this check is kept in each ledger's history: only a check with the stored
    /// balances (or ones it saves) and the default rules, as the app runs it, so that a
    /// finding does not come and go with one run's options. It then opens the database for
    /// writing.
    pub(super) fn records(&self) -> bool {
        let a = &self.anchors;
        let r = &self.rules;
        let rule = UnusualRule::default();
        (a.save_balance || (a.stated_balance.is_none() && a.opening_balance.is_none()))
            && r.unusual_ratio == rule.ratio
            && r.unusual_mad == rule.mad_multiple
            && r.unusual_min_history == rule.min_history
    }
}

/// Keeps the check in each ledger's history and compares each ledger with its low-balance
/// threshold: a warning line on standard error for each that has just gone below (once, until
/// its balance is back at or above). A database that cannot be written is still checked; that
/// is said once on standard error.
fn record(store: &mut Store, report: &CheckReport) {
    if store.is_read_only() {
        note!(
            "note: the database cannot be written, so this check is not kept in the ledgers' history \
             and their low-balance thresholds are not compared"
        );
        return;
    }
    let kept = reckon::watch::keep(store, report, chrono::Utc::now().timestamp_micros());
    if let Err(e) = &kept.history {
        note!("note: this check is not kept in the ledgers' history: {e}");
    }
    super::threshold::warn_kept(&kept);
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
    let t = std::time::Instant::now();
    let mut report = run_check(store, &args.anchors, &args.rules)?;
    let t = reckon::trace::phase("check: every chain", t);
    if args.records() {
        record(store, &report);
    }
    let t = reckon::trace::phase("check: kept in the history", t);
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
    reckon::trace::phase("check: printed", t);
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

fn print_check(report: &CheckReport, format: OutputFormat, include_explained: bool) -> Result<()> {
    if format == OutputFormat::Json {
        out!("{}", check_output::json(report, include_explained));
        return Ok(());
    }
    check_output::text(report, include_explained, &mut std::io::stdout().lock())?;
    Ok(())
}
