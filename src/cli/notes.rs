//! `reckon explain` and `reckon reopen`: notes on findings, one, several or a whole kind at
//! once, kept across re-imports.

use std::process::ExitCode;

use anyhow::{bail, Result};
use chrono::Utc;

use super::chain_key;
use super::check::kind;
use reckon::check::{check, CheckOptions, CheckReport};
use reckon::model::FindingKind;
use reckon::store::Store;

/// Which findings: by ID, or every one of a kind (of one chain, when named).
#[derive(clap::Args)]
pub(super) struct Selection {
    /// Finding IDs (`F-...`, from `reckon check`).
    findings: Vec<String>,
    /// Every finding of this kind (`unusual_amount`, ...), instead of IDs.
    #[arg(long, value_parser = kind, conflicts_with = "findings")]
    kind: Option<FindingKind>,
    /// Only findings of this account's ledger (with --kind).
    #[arg(long)]
    account: Option<String>,
    /// Only findings of this currency's ledger (with --kind).
    #[arg(long)]
    currency: Option<String>,
}

#[derive(clap::Args)]
pub(super) struct ExplainArgs {
    #[command(flatten)]
    which: Selection,
    /// Why: kept with each finding, shown by `check --include-explained` and the app.
    #[arg(long)]
    note: String,
}

#[derive(clap::Args)]
pub(super) struct ReopenArgs {
    #[command(flatten)]
    which: Selection,
}

/// The IDs a selection names, checked against the current findings; `open` keeps only open
/// ones (explaining), otherwise only explained ones (reopening) for a kind.
fn select(report: &CheckReport, which: &Selection, open: bool) -> Result<Vec<String>> {
    match which.kind {
        Some(kind) => {
            let chain = chain_key(&which.account, &which.currency);
            let ids: Vec<String> = report
                .findings
                .iter()
                .filter(|f| f.finding.kind == kind && f.is_open() == open)
                .filter(|f| chain.as_ref().is_none_or(|k| &f.finding.chain == k))
                .map(|f| f.finding.id.clone())
                .collect();
            Ok(ids)
        }
        None => {
            if which.findings.is_empty() {
                bail!("name the findings (IDs from `reckon check`) or a kind with --kind");
            }
            if let Some(missing) = which.findings.iter().find(|id| report.finding(id).is_none()) {
                bail!("no finding {missing}; `reckon check --include-explained` lists finding IDs");
            }
            Ok(which.findings.clone())
        }
    }
}

pub(super) fn explain(store: &mut Store, args: ExplainArgs) -> Result<ExitCode> {
    if args.note.trim().is_empty() {
        bail!("--note is empty; say why the findings are explained");
    }
    let report = check(store, &CheckOptions::default())?;
    let ids = select(&report, &args.which, true)?;
    let n = store.set_notes(&ids, args.note.trim(), Utc::now())?;
    match (&args.which.kind, ids.as_slice()) {
        (None, [one]) => out!("{one} marked as explained"),
        (Some(kind), _) => out!("{n} open {} findings marked as explained", kind.as_str()),
        _ => out!("{n} findings marked as explained"),
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn reopen(store: &mut Store, args: ReopenArgs) -> Result<ExitCode> {
    let ids = match args.which.kind {
        Some(_) => select(&check(store, &CheckOptions::default())?, &args.which, false)?,
        None if args.which.findings.is_empty() => bail!("name the findings to reopen, or a kind with --kind"),
        None => args.which.findings.clone(),
    };
    let n = store.clear_notes(&ids)?;
    match (&args.which.kind, ids.as_slice()) {
        (None, [one]) => out!("{one} reopened"),
        _ => out!("{n} findings reopened"),
    }
    Ok(ExitCode::SUCCESS)
}
