//! `reckon ledger`, `reckon summary` and `reckon chains`: the ledger as the vendor's page
//! shows it, filtered and paged, exported, or totalled.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, Context, Result};
use clap::ValueEnum;

use super::{chain_key, OutputFormat, RangeArgs};
use reckon::chain_list::{self, ChainQuery, ChainSort};
use reckon::check::{check, CheckOptions};
use reckon::escape::terminal;
use reckon::export::{self, ExportFormat, Zone};
use reckon::model::{format_ts, normalize_type, rfc3339};
use reckon::money::{self, format, format_signed};
use reckon::store::{GroupBy, LedgerFilter, Store};
use reckon::usage::{self, Sort, Span};
use reckon::watch::Runway;

#[derive(clap::Args)]
pub(super) struct FilterArgs {
    /// Only these types (repeatable).
    #[arg(long = "type")]
    types: Vec<String>,
    #[command(flatten)]
    range: RangeArgs,
    /// Only entries with this character (Reverie; same as --label character=NAME).
    #[arg(long)]
    character: Option<String>,
    /// Only entries with this model (Reverie; same as --label model=NAME).
    #[arg(long)]
    model: Option<String>,
    /// Only entries with this value in a dimension of the source, as KEY=VALUE (repeatable).
    #[arg(long = "label", value_parser = key_value)]
    labels: Vec<(String, String)>,
    /// A transaction ID or its beginning.
    #[arg(long)]
    search: Option<String>,
    #[arg(long)]
    account: Option<String>,
    #[arg(long)]
    currency: Option<String>,
}

#[derive(clap::Args)]
pub(super) struct LedgerArgs {
    #[command(flatten)]
    filter: FilterArgs,
    #[arg(long, default_value_t = 0)]
    offset: u64,
    #[arg(long, default_value_t = 50)]
    limit: u64,
    /// Write the whole filtered view (not a page): `csv` for a spreadsheet (a description or
    /// name that starts like a formula gets a leading apostrophe), `csv-raw` exactly as the
    /// vendor wrote it (re-imports unchanged; not for spreadsheets), or `json`.
    #[arg(long, value_enum)]
    export: Option<ExportArg>,
    /// The export's file (default: standard output); written whole or not at all.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Show times in the local zone instead of UTC.
    #[arg(long)]
    local: bool,
    /// Print the page as text or JSON.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
}

#[derive(clap::Args)]
pub(super) struct SummaryArgs {
    /// type, day, transaction, or a dimension of the source (character, model, ...). For
    /// workspace usage records, the page's views: conversation, api-key, import-type,
    /// billing-type, user (each over its own tab's usage unless --type is given).
    #[arg(long)]
    by: String,
    /// Only the last 7d, 30d or 3m (any Nd, Nw or Nm), counted back from the newest entry of
    /// the ledgers shown (not the clock: an export is a snapshot).
    #[arg(long, value_parser = |t: &str| t.parse::<Span>(), conflicts_with = "from")]
    last: Option<Span>,
    /// Order of the groups: key (default), recent (newest entry first) or credits (most
    /// credits used first).
    #[arg(long, value_enum, default_value_t = SortArg::Key)]
    sort: SortArg,
    #[command(flatten)]
    filter: FilterArgs,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SortArg {
    Key,
    Recent,
    Credits,
}

impl From<SortArg> for Sort {
    fn from(s: SortArg) -> Sort {
        match s {
            SortArg::Key => Sort::Key,
            SortArg::Recent => Sort::Recent,
            SortArg::Credits => Sort::Credits,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportArg {
    Csv,
    CsvRaw,
    Json,
}

fn key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
        _ => Err("expected KEY=VALUE, such as character=Aria".to_string()),
    }
}

fn build_filter(store: &Store, args: &FilterArgs) -> Result<LedgerFilter> {
    let chain_id = match chain_key(&args.account, &args.currency) {
        Some(key) => Some(store.chain_id(&key)?.ok_or_else(|| {
            anyhow!(
                "no ledger {}/{} in the database; import a ledger first or check the names",
                key.account,
                key.currency
            )
        })?),
        None => None,
    };
    let mut labels = args.labels.clone();
    labels.extend(args.character.iter().map(|c| ("character".to_string(), c.clone())));
    labels.extend(args.model.iter().map(|m| ("model".to_string(), m.clone())));
    Ok(LedgerFilter {
        chain_id,
        types: args.types.iter().map(|t| normalize_type(t).into_owned()).collect(),
        from: args.range.from,
        to: args.range.to,
        labels,
        search: args.search.clone(),
        row_ids: Vec::new(),
    })
}

pub(super) fn run_ledger(store: &Store, args: LedgerArgs) -> Result<ExitCode> {
    let filter = build_filter(store, &args.filter)?;
    let zone = if args.local { Zone::Local } else { Zone::Utc };
    if let Some(kind) = args.export {
        let kind = match kind {
            ExportArg::Csv => ExportFormat::Csv,
            ExportArg::CsvRaw => ExportFormat::CsvRaw,
            ExportArg::Json => ExportFormat::Json,
        };
        match &args.out {
            Some(p) => {
                let n = export::export_to_file(store, &filter, kind, zone, p)?;
                note!("wrote {n} entries to {}", p.display());
            }
            None => {
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                export::write_ledger(store, &filter, kind, zone, &mut out)?;
                out.flush()?;
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    print_ledger(store, &filter, args.offset, args.limit, zone, args.format)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn run_summary(store: &Store, args: SummaryArgs) -> Result<ExitCode> {
    let mut filter = build_filter(store, &args.filter)?;
    let chains = store.chains()?;
    let shown = chains.iter().filter(|c| filter.chain_id.is_none_or(|id| id == c.id));
    let workspace = shown.clone().any(|c| c.source == reckon::model::source::WORKSPACE.name);
    if let Some(span) = args.last {
        filter.from = Some(span.start(shown.filter_map(|c| c.last_ts).max().unwrap_or(0)));
    }
    let by = match args.by.trim() {
        "type" => GroupBy::Type,
        "day" => GroupBy::Day,
        "transaction" => GroupBy::Transaction,
        view if workspace && usage::view(view).is_some() => {
            let view = usage::view(view).expect("checked above");
            if filter.types.is_empty() {
                filter.types = view.types.iter().map(|t| t.to_string()).collect();
            }
            view.group_by()
        }
        key => {
            let known: Vec<String> = store.chains()?.into_iter().flat_map(|c| c.dimensions).map(|d| d.key).collect();
            if !known.iter().any(|k| k == key) {
                anyhow::bail!(
                    "--by {key:?}: expected type, day, transaction or a dimension of the ledgers ({}){}",
                    known.join(", "),
                    if workspace { "; or conversation, api-key, import-type, billing-type, user" } else { "" }
                );
            }
            GroupBy::Label(key.to_string())
        }
    };
    let mut rows = store.summary(&filter, by)?;
    Sort::from(args.sort).apply(&mut rows);
    if args.format == OutputFormat::Json {
        let json: Vec<_> = rows
            .iter()
            .map(|r| serde_json::json!({"key": r.key, "entries": r.totals.entries, "credits_in": format(r.totals.credits_in), "credits_out": format(r.totals.credits_out), "net": format(r.totals.net()), "latest": rfc3339(r.latest)}))
            .collect();
        out!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        out!("{:<28} {:>9} {:>16} {:>16} {:>16}  {}", "group", "entries", "credits in", "credits out", "net", "latest");
        for r in rows {
            out!(
                "{:<28} {:>9} {:>16} {:>16} {:>16}  {}",
                terminal(&r.key),
                r.totals.entries,
                format(r.totals.credits_in),
                format(r.totals.credits_out),
                format_signed(r.totals.net()),
                format_ts(r.latest)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `reckon chains`: which ledgers, in what order, which page.
#[derive(clap::Args)]
pub(super) struct ChainsArgs {
    /// Only ledgers with an open (unexplained) finding.
    #[arg(long)]
    with_findings: bool,
    /// The order: account (A to Z), or findings, balance or entries (largest first).
    #[arg(long, value_enum, default_value = "account")]
    sort: ChainSortArg,
    /// Only ledgers whose account contains this text (case-insensitive).
    #[arg(long)]
    search: Option<String>,
    /// At most this many ledgers.
    #[arg(long)]
    limit: Option<usize>,
    /// Skip this many ledgers first.
    #[arg(long, default_value = "0")]
    offset: usize,
    #[arg(long, value_enum, default_value = "text")]
    format: OutputFormat,
}

#[derive(Clone, Copy, ValueEnum)]
enum ChainSortArg {
    Account,
    Findings,
    Balance,
    Entries,
}

/// Lists the ledgers with their open findings. The store keeps no check result, so this runs
/// the check (as `reckon check` would, notes applied) and counts each chain's findings.
pub(super) fn run_chains(store: &Store, args: ChainsArgs) -> Result<ExitCode> {
    let report = check(store, &CheckOptions::default())?;
    let query = ChainQuery {
        with_findings: args.with_findings,
        sort: match args.sort {
            ChainSortArg::Account => ChainSort::Account,
            ChainSortArg::Findings => ChainSort::Findings,
            ChainSortArg::Balance => ChainSort::Balance,
            ChainSortArg::Entries => ChainSort::Entries,
        },
        search: args.search.unwrap_or_default(),
        offset: args.offset,
        limit: args.limit,
    };
    let page = chain_list::list(&report, &query);
    // Where each shown ledger's balance is heading, and its low-balance threshold (`watch`).
    let thresholds = store.low_balances()?;
    let mut watch = Vec::with_capacity(page.rows.len());
    for r in &page.rows {
        let runway = match (r.balance, reckon::watch::burn(store, r.chain)?) {
            (Some(balance), Some(burn)) => Some(reckon::watch::runway::runway(balance, &burn)),
            _ => None,
        };
        watch.push((runway, thresholds.iter().find(|t| t.chain_id == r.chain.id).map(|t| t.threshold)));
    }
    if args.format == OutputFormat::Json {
        let json = serde_json::json!({
            "total": page.total,
            "chains": page.chains,
            "offset": query.offset,
            "rows": page.rows.iter().zip(&watch).map(|(r, (runway, threshold))| serde_json::json!({
                "account": r.chain.key.account,
                "currency": r.chain.key.currency,
                "source": r.chain.source,
                "entries": r.chain.entries,
                "balance": r.balance.map(format),
                "balance_rebuilt": r.rebuilt,
                "stated_balance": r.chain.stated_balance.map(format),
                "open_errors": r.open_errors,
                "open_warnings": r.open_warnings,
                "explained": r.explained,
                "runway": runway.map(super::history::runway_json),
                "low_balance_threshold": threshold.map(format),
                "below_threshold": reckon::watch::threshold::is_below(*threshold, r.balance),
            })).collect::<Vec<_>>(),
        });
        out!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(ExitCode::SUCCESS);
    }
    for (r, (runway, threshold)) in page.rows.iter().zip(&watch) {
        let c = r.chain;
        out!(
            "{}/{}: {} entries, {} to {}, ledger balance {}, stated {}, {} open ({} errors, {} warnings)",
            terminal(&c.key.account),
            terminal(&c.key.currency),
            c.entries,
            c.first_ts.map(format_ts).unwrap_or_default(),
            c.last_ts.map(format_ts).unwrap_or_default(),
            match (r.balance, r.rebuilt) {
                (Some(b), false) => format(b),
                (Some(b), true) => format!("{} (rebuilt from the anchors)", format(b)),
                (None, _) => "-".into(),
            },
            c.stated_balance.map(format).unwrap_or_else(|| "not given".into()),
            r.open_findings(),
            r.open_errors,
            r.open_warnings,
        );
        if let Some(sync) = &c.last_sync {
            let whose = sync.customer.as_deref().map(|c| format!(", customer {}", terminal(c))).unwrap_or_default();
            out!(
                "  last synced {} from {} at {}{whose}",
                format_ts(sync.at),
                terminal(&sync.source),
                terminal(&sync.base_url)
            );
        }
        if let Some(r @ (Runway::RunsOut { .. } | Runway::Exhausted)) = runway {
            out!("  {}", r.sentence());
        }
        if let Some(t) = threshold {
            let below = if reckon::watch::threshold::is_below(Some(*t), r.balance) { ": BELOW IT" } else { "" };
            out!("  low-balance threshold {}{below}", format(*t));
        }
    }
    if page.rows.len() < page.total || page.total < page.chains {
        note!(
            "{} of {} ledgers shown ({} match{}{})",
            page.rows.len(),
            page.chains,
            page.total,
            if query.with_findings { ", with open findings" } else { "" },
            if query.search.trim().is_empty() {
                String::new()
            } else {
                format!(", account contains {:?}", query.search.trim())
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_ledger(
    store: &Store,
    filter: &LedgerFilter,
    offset: u64,
    limit: u64,
    zone: Zone,
    format: OutputFormat,
) -> Result<()> {
    let rows = store.ledger_page(filter, offset, limit)?;
    let totals = store.ledger_totals(filter)?;
    let dims = match filter.chain_id {
        Some(id) => store.dimensions(id)?,
        None => store.chains()?.into_iter().next().map(|c| c.dimensions).unwrap_or_default(),
    };
    if format == OutputFormat::Json {
        let json = serde_json::json!({
            "total": totals.entries,
            "credits_in": money::format(totals.credits_in),
            "credits_out": money::format(totals.credits_out),
            "rows": rows.iter().map(|r| {
                let mut row = serde_json::json!({
                    "id": r.txn_id, "created_at": export::zoned_time(r.ts, zone), "type": r.kind,
                    "description": r.description, "amount": money::format(r.amount),
                    "balance_after": r.balance_after.map(money::format),
                    "source": format!("{}:{}", r.source_path, r.source_line),
                });
                for (d, dim) in dims.iter().enumerate() {
                    row[&dim.key] = serde_json::json!(r.labels.get(d).cloned().flatten());
                }
                row
            }).collect::<Vec<_>>(),
        });
        out!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    for r in &rows {
        let time = match zone {
            Zone::Utc => rfc3339(r.ts),
            Zone::Local => export::zoned_time(r.ts, zone),
        };
        writeln!(
            out,
            "{:<26} {:<20} {:<14} {:>12} {:>14}  {:<32} {}",
            terminal(&r.txn_id),
            time,
            terminal(&r.kind),
            format_signed(r.amount),
            r.balance_after.map(money::format).unwrap_or_default(),
            terminal(&r.description).chars().take(32).collect::<String>(),
            terminal(&r.labels.iter().flatten().map(String::as_str).collect::<Vec<_>>().join(" / "))
        )?;
    }
    writeln!(
        out,
        "{} of {} entries (offset {offset}); credits in {}, credits out {}",
        rows.len(),
        totals.entries,
        money::format(totals.credits_in),
        money::format(totals.credits_out)
    )
    .context("cannot write to standard output")?;
    Ok(())
}
