//! `reckon anchor add|list|remove`: balances stated (or set) at a point in time, kept with a
//! ledger; `reckon check` rebuilds the ledger between them (FORMATS.md sections 2 and 3).

use std::process::ExitCode;

use anyhow::{bail, Result};
use chrono::Utc;
use rust_decimal::Decimal;
use serde::Serialize;

use super::{chain_key, decimal, OutputFormat};
use reckon::escape::terminal;
use reckon::model::{format_ts, rfc3339, Anchor, AnchorKind, ChainKey};
use reckon::money;
use reckon::store::{ChainInfo, Store};

#[derive(clap::Args)]
pub(super) struct Args {
    #[command(subcommand)]
    command: AnchorCommand,
}

#[derive(clap::Subcommand)]
enum AnchorCommand {
    /// Record a balance a page, an API or a person stated at a point in time.
    Add(AddArgs),
    /// List the anchors of one ledger, or of every ledger.
    List(ListArgs),
    /// Remove an anchor by its ID (from `reckon anchor list`).
    Remove(RemoveArgs),
}

/// Which ledger; without either flag, the only one, else default/credits.
#[derive(clap::Args)]
struct Which {
    /// The account the ledger belongs to.
    #[arg(long)]
    account: Option<String>,
    /// The credit currency.
    #[arg(long)]
    currency: Option<String>,
}

#[derive(clap::Args)]
struct AddArgs {
    #[command(flatten)]
    which: Which,
    /// When the balance was stated: RFC 3339 (2026-03-03T12:00:00Z) or 2026-03-03 12:00:00
    /// (UTC). Entries at or before it count before the anchor.
    #[arg(long, value_parser = time)]
    at: i64,
    /// The balance then (1,240 or 1240.00).
    #[arg(long, allow_hyphen_values = true, value_parser = decimal)]
    balance: Decimal,
    /// Where the figure came from ("billing page, screenshot from the customer").
    #[arg(long, default_value = "")]
    note: String,
    /// The vendor set the balance outright then (a package reset): the walk goes on from it
    /// instead of being checked against it.
    #[arg(long, conflicts_with = "opening")]
    reset: bool,
    /// The balance the walk starts from at that time (entries at or before it are left behind).
    #[arg(long)]
    opening: bool,
}

#[derive(clap::Args)]
struct ListArgs {
    /// Only this account's ledger.
    #[arg(long)]
    account: Option<String>,
    /// Only this currency's ledger.
    #[arg(long)]
    currency: Option<String>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
}

#[derive(clap::Args)]
struct RemoveArgs {
    /// The anchor's ID, as `reckon anchor list` shows it.
    id: i64,
}

impl Args {
    /// Whether the command only reads the database (`list`).
    pub(super) fn reads_only(&self) -> bool {
        matches!(self.command, AnchorCommand::List(_))
    }
}

/// A time as `--at` takes it.
fn time(text: &str) -> Result<i64, String> {
    reckon::import::parse_time(text).ok_or_else(|| {
        "expected a time such as 2026-03-03T12:00:00Z, 2026-03-03T07:00:00-05:00 or 2026-03-03 12:00:00 (UTC)"
            .to_string()
    })
}

pub(super) fn run(store: &mut Store, args: Args) -> Result<ExitCode> {
    match args.command {
        AnchorCommand::Add(add) => run_add(store, add),
        AnchorCommand::List(list) => run_list(store, list),
        AnchorCommand::Remove(remove) => run_remove(store, remove),
    }
}

/// The ledger an anchor joins: the one named, else the only one, else default/credits.
fn ledger(store: &Store, which: &Which) -> Result<ChainInfo> {
    let chains = store.chains()?;
    if let Some(key) = chain_key(&which.account, &which.currency) {
        return match chains.into_iter().find(|c| c.key == key) {
            Some(chain) => Ok(chain),
            None => bail!(
                "no ledger {}/{} in the database; `reckon chains` lists the ledgers (import one first)",
                terminal(&key.account),
                terminal(&key.currency)
            ),
        };
    }
    let default = ChainKey::new(ChainKey::DEFAULT_ACCOUNT, ChainKey::DEFAULT_CURRENCY);
    match chains.len() {
        0 => bail!("no ledger in the database; import one first (an anchor belongs to a ledger)"),
        1 => Ok(chains.into_iter().next().expect("one chain")),
        n => match chains.iter().position(|c| c.key == default) {
            Some(i) => Ok(chains.into_iter().nth(i).expect("found")),
            None => {
                let names: Vec<String> = chains
                    .iter()
                    .map(|c| format!("{}/{}", terminal(&c.key.account), terminal(&c.key.currency)))
                    .collect();
                bail!("the database holds {n} ledgers ({}); name one with --account and --currency", names.join(", "))
            }
        },
    }
}

fn run_add(store: &mut Store, args: AddArgs) -> Result<ExitCode> {
    let chain = ledger(store, &args.which)?;
    let kind = match (args.reset, args.opening) {
        (true, _) => AnchorKind::Reset,
        (_, true) => AnchorKind::Opening,
        _ => AnchorKind::Stated,
    };
    let note = args.note.trim();
    let id = store.add_anchor(chain.id, args.at, args.balance, kind, note, Utc::now().timestamp_micros())?;
    out!(
        "anchor {id} added to {}/{}: {} {} at {}; `reckon check` {}",
        terminal(&chain.key.account),
        terminal(&chain.key.currency),
        money::format(args.balance),
        kind.as_str(),
        format_ts(args.at),
        if kind.is_checked() { "checks the ledger against it" } else { "rebuilds the ledger from it" }
    );
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct JsonAnchors<'a> {
    anchors: Vec<JsonAnchor<'a>>,
}

#[derive(Serialize)]
struct JsonAnchor<'a> {
    id: i64,
    account: &'a str,
    currency: &'a str,
    at: String,
    balance: String,
    kind: &'static str,
    note: &'a str,
    created: String,
}

fn run_list(store: &mut Store, args: ListArgs) -> Result<ExitCode> {
    let mut chains = store.chains()?;
    if let Some(key) = chain_key(&args.account, &args.currency) {
        chains.retain(|c| c.key == key);
        if chains.is_empty() {
            bail!(
                "no ledger {}/{} in the database; `reckon chains` lists the ledgers",
                terminal(&key.account),
                terminal(&key.currency)
            );
        }
    }
    let listed: Vec<(ChainInfo, Vec<Anchor>)> =
        chains.into_iter().map(|c| store.anchors(c.id).map(|a| (c, a))).collect::<Result<_, _>>()?;
    if args.format == OutputFormat::Json {
        let anchors = listed
            .iter()
            .flat_map(|(c, anchors)| {
                anchors.iter().map(move |a| JsonAnchor {
                    id: a.id,
                    account: &c.key.account,
                    currency: &c.key.currency,
                    at: rfc3339(a.ts),
                    balance: money::format(a.balance),
                    kind: a.kind.as_str(),
                    note: &a.note,
                    created: rfc3339(a.created),
                })
            })
            .collect();
        out!("{}", serde_json::to_string_pretty(&JsonAnchors { anchors })?);
        return Ok(ExitCode::SUCCESS);
    }
    if listed.iter().all(|(_, a)| a.is_empty()) {
        out!("no anchors; `reckon anchor add --at TIME --balance AMOUNT` records a balance a page stated");
        return Ok(ExitCode::SUCCESS);
    }
    for (c, anchors) in listed.iter().filter(|(_, a)| !a.is_empty()) {
        out!("{}/{}:", terminal(&c.key.account), terminal(&c.key.currency));
        for a in anchors {
            out!(
                "  {:>4}  {}  {:<7}  {:>16}{}",
                a.id,
                format_ts(a.ts),
                a.kind.as_str(),
                money::format(a.balance),
                if a.note.is_empty() { String::new() } else { format!("  {}", terminal(&a.note)) }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn run_remove(store: &mut Store, args: RemoveArgs) -> Result<ExitCode> {
    let (chain_id, anchor) = match store.remove_anchor(args.id) {
        Err(reckon::store::StoreError::NotFound(_)) => {
            bail!("no anchor {}; `reckon anchor list` shows the anchors and their IDs", args.id)
        }
        other => other?,
    };
    let chain = store.chain(chain_id)?;
    out!(
        "anchor {} removed from {}/{} ({} {} at {})",
        anchor.id,
        terminal(&chain.key.account),
        terminal(&chain.key.currency),
        money::format(anchor.balance),
        anchor.kind.as_str(),
        format_ts(anchor.ts)
    );
    Ok(ExitCode::SUCCESS)
}
