//! Subcommands of `reckon`. Each parses its arguments, calls the engine, prints.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Parser, Subcommand, ValueEnum};
use rust_decimal::Decimal;
use serde::Serialize;

use reckon::export::{self, ExportFormat, Zone};
use reckon::import::{Format, Progress, ProgressSink, Stage};
use reckon::model::{format_ts, rfc3339, ChainKey};
use reckon::money::{self, format, format_signed};

use reckon::reconcile::{self, CheckOptions, CheckReport, RuleConfig, UnusualRule};
use reckon::report::{self, Audience, ReportRequest};
use reckon::store::{GroupBy, ImportOptions, LedgerFilter, Store};

#[derive(Parser)]
#[command(
    name = "reckon",
    version,
    about = "Reconcile prepaid-credit ledgers: find where the running balance stops adding up."
)]
struct Cli {
    /// The database (default: $RECKON_DB, else reckon.db in the platform's data directory).
    #[arg(long, global = true, env = "RECKON_DB")]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import ledger exports (CSV or JSON, detected from the content), atomically.
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Force a format: reverie-csv or reverie-json.
        #[arg(long)]
        format: Option<String>,
        #[command(flatten)]
        chain: ChainArgs,
    },
    /// Walk every chain's running balance and print findings.
    Check {
        #[command(flatten)]
        anchors: AnchorArgs,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
        /// Also list findings marked as explained.
        #[arg(long)]
        include_explained: bool,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// Draft a Markdown report for the vendor's support or for a customer.
    Report {
        /// Only these findings (default: every open finding of the chain).
        #[arg(long = "finding")]
        findings: Vec<String>,
        #[arg(long, value_enum, default_value_t = AudienceArg::Support)]
        audience: AudienceArg,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The time the draft is dated (RFC 3339; default: now).
        #[arg(long)]
        now: Option<String>,
        #[command(flatten)]
        range: RangeArgs,
        #[command(flatten)]
        anchors: AnchorArgs,
        #[command(flatten)]
        rules: RuleArgs,
    },
    /// List the ledger, filtered, newest first; or export the filtered view.
    Ledger {
        #[command(flatten)]
        filter: FilterArgs,
        #[arg(long, default_value_t = 0)]
        offset: u64,
        #[arg(long, default_value_t = 50)]
        limit: u64,
        /// Write the whole filtered view (not a page) as csv or json.
        #[arg(long, value_enum)]
        export: Option<ExportArg>,
        /// The export's file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Show times in the local zone instead of UTC.
        #[arg(long)]
        local: bool,
        /// Print the page as text or JSON.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Totals per type, character, model or day over a filtered range.
    Summary {
        #[arg(long, value_enum)]
        by: ByArg,
        #[command(flatten)]
        filter: FilterArgs,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// List the chains in the database.
    Chains,
    /// Mark a finding as explained, with a note; it leaves the error count and reports.
    Explain {
        finding: String,
        #[arg(long)]
        note: String,
    },
    /// Reopen a finding marked as explained.
    Reopen { finding: String },
}

#[derive(clap::Args)]
struct ChainArgs {
    /// The account the ledger belongs to.
    #[arg(long, default_value = ChainKey::DEFAULT_ACCOUNT)]
    account: String,
    /// The credit currency.
    #[arg(long, default_value = ChainKey::DEFAULT_CURRENCY)]
    currency: String,
}

#[derive(clap::Args)]
struct AnchorArgs {
    /// The balance the vendor's page states now (saved for the chain with --save-balance).
    #[arg(long, allow_hyphen_values = true)]
    stated_balance: Option<String>,
    /// The balance before the oldest entry.
    #[arg(long, allow_hyphen_values = true)]
    opening_balance: Option<String>,
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

#[derive(clap::Args)]
struct RuleArgs {
    /// unusual_amount: flag at this many times the type's median magnitude.
    #[arg(long, default_value = "10")]
    unusual_ratio: String,
    /// unusual_amount: ...and this many median absolute deviations above the median.
    #[arg(long, default_value = "6")]
    unusual_mad: String,
    /// unusual_amount: judge only types with at least this many entries.
    #[arg(long, default_value_t = 20)]
    unusual_min_history: usize,
}

#[derive(clap::Args)]
struct RangeArgs {
    /// From this day or time (2026-03-01 or RFC 3339), inclusive.
    #[arg(long)]
    from: Option<String>,
    /// To this day (inclusive) or time (exclusive).
    #[arg(long)]
    to: Option<String>,
}

#[derive(clap::Args)]
struct FilterArgs {
    /// Only these types (repeatable).
    #[arg(long = "type")]
    types: Vec<String>,
    #[command(flatten)]
    range: RangeArgs,
    #[arg(long)]
    character: Option<String>,
    #[arg(long)]
    model: Option<String>,
    /// A transaction ID or its beginning.
    #[arg(long)]
    search: Option<String>,
    #[arg(long)]
    account: Option<String>,
    #[arg(long)]
    currency: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum AudienceArg {
    Support,
    Customer,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportArg {
    Csv,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ByArg {
    Type,
    Character,
    Model,
    Day,
}

pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    let db = cli.db.clone().unwrap_or_else(Store::default_path);
    let mut store = Store::open(&db).with_context(|| format!("cannot open the database {}", db.display()))?;
    match cli.command {
        Command::Import { files, format, chain } => import(&mut store, files, format, chain),
        Command::Check { anchors, format, include_explained, rules } => {
            let report = run_check(&mut store, &anchors, &rules)?;
            print_check(&report, format, include_explained)?;
            Ok(if report.open_errors() > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        Command::Report { findings, audience, out, now, range, anchors, rules } => {
            let check = run_check(&mut store, &anchors, &rules)?;
            let now = match now {
                Some(t) => DateTime::parse_from_rfc3339(&t)
                    .with_context(|| format!("--now {t:?}: expected RFC 3339 such as 2026-03-01T08:00:00Z"))?
                    .with_timezone(&Utc),
                None => Utc::now(),
            };
            let (from, to) = parse_range(&range)?;
            let request = ReportRequest {
                audience: match audience {
                    AudienceArg::Support => Audience::Support,
                    AudienceArg::Customer => Audience::Customer,
                },
                chain_id: (check.chains.len() == 1).then(|| check.chains[0].chain_id),
                finding_ids: findings,
                from,
                to,
                now,
            };
            let text = report::draft(&store, &check, &request)?;
            write_out(out.as_ref(), text.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Ledger { filter, offset, limit, export, out, local, format } => {
            let filter = build_filter(&store, &filter)?;
            let zone = if local { Zone::Local } else { Zone::Utc };
            if let Some(kind) = export {
                let kind = match kind {
                    ExportArg::Csv => ExportFormat::Csv,
                    ExportArg::Json => ExportFormat::Json,
                };
                let mut buf: Box<dyn Write> = match &out {
                    Some(p) => Box::new(std::io::BufWriter::new(
                        std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
                    )),
                    None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
                };
                let n = export::write_ledger(&store, &filter, kind, zone, &mut buf)?;
                buf.flush()?;
                if let Some(p) = out {
                    eprintln!("wrote {n} entries to {}", p.display());
                }
                return Ok(ExitCode::SUCCESS);
            }
            print_ledger(&store, &filter, offset, limit, zone, format)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Summary { by, filter, format: output } => {
            let filter = build_filter(&store, &filter)?;
            let by = match by {
                ByArg::Type => GroupBy::Type,
                ByArg::Character => GroupBy::Character,
                ByArg::Model => GroupBy::Model,
                ByArg::Day => GroupBy::Day,
            };
            let rows = store.summary(&filter, by)?;
            if output == OutputFormat::Json {
                let json: Vec<_> = rows
                    .iter()
                    .map(|r| serde_json::json!({"key": r.key, "entries": r.totals.entries, "credits_in": format(r.totals.credits_in), "credits_out": format(r.totals.credits_out), "net": format(r.totals.net())}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&json)?);
            } else {
                println!("{:<28} {:>9} {:>16} {:>16} {:>16}", "group", "entries", "credits in", "credits out", "net");
                for r in rows {
                    println!(
                        "{:<28} {:>9} {:>16} {:>16} {:>16}",
                        r.key,
                        r.totals.entries,
                        format(r.totals.credits_in),
                        format(r.totals.credits_out),
                        format_signed(r.totals.net())
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Chains => {
            for c in store.chains()? {
                println!(
                    "{}/{}: {} entries, {} to {}, ledger balance {}, stated {}",
                    c.key.account,
                    c.key.currency,
                    c.entries,
                    c.first_ts.map(format_ts).unwrap_or_default(),
                    c.last_ts.map(format_ts).unwrap_or_default(),
                    c.ledger_balance.map(format).unwrap_or_else(|| "-".into()),
                    c.stated_balance.map(format).unwrap_or_else(|| "not given".into()),
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { finding, note } => {
            let check = reconcile::check(&store, &CheckOptions::default())?;
            if check.finding(&finding).is_none() {
                bail!("no finding {finding}; `reckon check --include-explained` lists finding IDs");
            }
            store.set_note(&finding, &note, Utc::now())?;
            println!("{finding} marked as explained");
            Ok(ExitCode::SUCCESS)
        }
        Command::Reopen { finding } => {
            store.clear_note(&finding)?;
            println!("{finding} reopened");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn import(store: &mut Store, files: Vec<PathBuf>, format: Option<String>, chain: ChainArgs) -> Result<ExitCode> {
    let format = format
        .map(|f| Format::from_name(&f).ok_or_else(|| anyhow!("--format {f:?}: expected reverie-csv or reverie-json")))
        .transpose()?;
    let mut options = ImportOptions::new(Utc::now());
    options.chain = ChainKey::new(chain.account, chain.currency);
    options.format = format;
    let mut bar = Bar::new();
    let summary = store.import(&files, &options, &mut bar);
    bar.finish();
    let summary = summary?;
    for f in &summary.files {
        println!(
            "{}: {} entries ({}): {} new, {} already known, {} conflicting",
            f.path.display(),
            f.entries,
            f.format,
            f.new,
            f.known,
            f.conflicting
        );
    }
    if summary.files.len() > 1 {
        println!(
            "total: {} new, {} already known, {} conflicting",
            summary.new_entries(),
            summary.known_entries(),
            summary.conflicting_entries()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A progress bar on standard error, drawn only when it is a terminal.
struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    fn new() -> Bar {
        if !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg:30} [{bar:40}] {bytes}/{total_bytes} {eta}")
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        Bar(Some(bar))
    }

    fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

impl ProgressSink for Bar {
    fn progress(&mut self, p: &Progress<'_>) -> ControlFlow<()> {
        if let Some(b) = &self.0 {
            b.set_length(p.bytes_total);
            b.set_position(p.bytes_done);
            let name = p.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            b.set_message(match p.stage {
                Stage::Reading => format!("reading {name}"),
                Stage::Storing => "storing".to_string(),
                Stage::Done => "done".to_string(),
            });
        }
        ControlFlow::Continue(())
    }
}

fn decimal_arg(flag: &str, text: &str) -> Result<Decimal> {
    money::parse(text).map_err(|e| anyhow!("{flag} {text:?}: expected {e}"))
}

fn chain_filter(account: &Option<String>, currency: &Option<String>) -> Option<ChainKey> {
    match (account, currency) {
        (None, None) => None,
        (a, c) => Some(ChainKey::new(
            a.clone().unwrap_or_else(|| ChainKey::DEFAULT_ACCOUNT.into()),
            c.clone().unwrap_or_else(|| ChainKey::DEFAULT_CURRENCY.into()),
        )),
    }
}

fn run_check(store: &mut Store, anchors: &AnchorArgs, rules: &RuleArgs) -> Result<CheckReport> {
    let options = CheckOptions {
        chain: chain_filter(&anchors.account, &anchors.currency),
        stated: anchors.stated_balance.as_deref().map(|t| decimal_arg("--stated-balance", t)).transpose()?,
        opening: anchors.opening_balance.as_deref().map(|t| decimal_arg("--opening-balance", t)).transpose()?,
        rules: RuleConfig {
            unusual: UnusualRule {
                min_history: rules.unusual_min_history,
                ratio: decimal_arg("--unusual-ratio", &rules.unusual_ratio)?,
                mad_multiple: decimal_arg("--unusual-mad", &rules.unusual_mad)?,
            },
            ..RuleConfig::default()
        },
    };
    let report = reconcile::check(store, &options)?;
    if anchors.save_balance {
        for chain in &report.chains {
            if options.stated.is_some() {
                store.set_stated_balance(chain.chain_id, options.stated)?;
            }
            if options.opening.is_some() {
                store.set_opening_balance(chain.chain_id, options.opening)?;
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
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    id: &'a str,
    kind: &'static str,
    severity: &'static str,
    transaction_ids: &'a [String],
    delta: Option<String>,
    message: &'a str,
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
                })
                .collect(),
        };
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    for c in &report.chains {
        writeln!(
            out,
            "{}/{}: {} entries, ledger ends at {}{}",
            c.key.account,
            c.key.currency,
            c.entries,
            c.ledger_balance.map(money::format).unwrap_or_else(|| "-".into()),
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
            fi.transaction_ids.join(", "),
            fi.delta.map(|d| format!("  delta {}", format_signed(d))).unwrap_or_default(),
            if f.is_open() { "" } else { "  (explained)" }
        )?;
        writeln!(out, "  {}", fi.message)?;
        if let Some(n) = &f.note {
            writeln!(out, "  note: {}", n.note)?;
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

/// A day (`2026-03-01`, midnight UTC) or an RFC 3339 time, in Unix microseconds.
fn parse_day_or_time(flag: &str, text: &str, end_of_day: bool) -> Result<i64> {
    if let Ok(day) = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        let day = if end_of_day { day.succ_opt().unwrap_or(day) } else { day };
        return Ok(day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc().timestamp_micros());
    }
    reckon::import::parse_time(text).ok_or_else(|| {
        anyhow!("{flag} {text:?}: expected a day such as 2026-03-01 or a time such as 2026-03-01T08:00:00Z")
    })
}

fn parse_range(range: &RangeArgs) -> Result<(Option<i64>, Option<i64>)> {
    Ok((
        range.from.as_deref().map(|t| parse_day_or_time("--from", t, false)).transpose()?,
        range.to.as_deref().map(|t| parse_day_or_time("--to", t, true)).transpose()?,
    ))
}

fn build_filter(store: &Store, args: &FilterArgs) -> Result<LedgerFilter> {
    let chain_id = match chain_filter(&args.account, &args.currency) {
        Some(key) => Some(
            store
                .chain_id(&key)?
                .ok_or_else(|| anyhow!("no chain {}/{} in the database", key.account, key.currency))?,
        ),
        None => None,
    };
    let (from, to) = parse_range(&args.range)?;
    Ok(LedgerFilter {
        chain_id,
        types: args.types.iter().map(|t| reckon::model::normalize_type(t).into_owned()).collect(),
        from,
        to,
        character: args.character.clone(),
        model: args.model.clone(),
        search: args.search.clone(),
        row_ids: Vec::new(),
    })
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
    if format == OutputFormat::Json {
        let json = serde_json::json!({
            "total": totals.entries,
            "credits_in": money::format(totals.credits_in),
            "credits_out": money::format(totals.credits_out),
            "rows": rows.iter().map(|r| serde_json::json!({
                "id": r.txn_id, "created_at": export::zoned_time(r.ts, zone), "type": r.kind,
                "description": r.description, "amount": money::format(r.amount),
                "balance_after": money::format(r.balance_after), "character": r.character, "model": r.model,
                "source": format!("{}:{}", r.source_path, r.source_line),
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
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
            r.txn_id,
            time,
            r.kind,
            format_signed(r.amount),
            money::format(r.balance_after),
            r.description.chars().take(32).collect::<String>(),
            [r.character.as_deref(), r.model.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" / ")
        )?;
    }
    writeln!(
        out,
        "{} of {} entries (offset {offset}); credits in {}, credits out {}",
        rows.len(),
        totals.entries,
        money::format(totals.credits_in),
        money::format(totals.credits_out)
    )?;
    Ok(())
}

fn write_out(path: Option<&PathBuf>, bytes: &[u8]) -> Result<()> {
    match path {
        Some(p) => std::fs::write(p, bytes).with_context(|| format!("cannot write {}", p.display())),
        None => Ok(std::io::stdout().write_all(bytes)?),
    }
}
