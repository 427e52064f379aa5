//! `reckon report`: a Markdown draft for the vendor's support or for a customer.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::ValueEnum;

use super::check::{run_check, AnchorArgs, RuleArgs};
use super::{write_out, RangeArgs};
use reckon::report::{self, Audience, ReportRequest};
use reckon::store::Store;

#[derive(clap::Args)]
pub(super) struct Args {
    /// Only these findings (default: every open finding of the chain).
    #[arg(long = "finding")]
    findings: Vec<String>,
    #[arg(long, value_enum, default_value_t = AudienceArg::Support)]
    audience: AudienceArg,
    /// Write to this file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The time the draft is dated (RFC 3339; default: now).
    #[arg(long, value_parser = rfc3339)]
    now: Option<DateTime<Utc>>,
    #[command(flatten)]
    range: RangeArgs,
    #[command(flatten)]
    anchors: AnchorArgs,
    #[command(flatten)]
    rules: RuleArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum AudienceArg {
    Support,
    Customer,
}

impl Args {
    pub(super) fn saves_balance(&self) -> bool {
        self.anchors.saves_balance()
    }
}

fn rfc3339(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| "expected RFC 3339 such as 2026-03-01T08:00:00Z".to_string())
}

pub(super) fn run(store: &mut Store, args: Args) -> Result<ExitCode> {
    let check = run_check(store, &args.anchors, &args.rules)?;
    let request = ReportRequest {
        audience: match args.audience {
            AudienceArg::Support => Audience::Support,
            AudienceArg::Customer => Audience::Customer,
        },
        chain_id: (check.chains.len() == 1).then(|| check.chains[0].id),
        finding_ids: args.findings,
        from: args.range.from,
        to: args.range.to,
        now: args.now.unwrap_or_else(Utc::now),
    };
    let text = report::draft(store, &check, &request)?;
    write_out(args.out.as_ref(), text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
