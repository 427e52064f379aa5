//! `reckon threshold`: a ledger's low-balance threshold ("alert me below 500"), set, cleared or
//! shown. `reckon sync` and `reckon check` warn when a ledger's balance goes below its own.

use std::process::ExitCode;

use anyhow::{bail, Result};
use rust_decimal::Decimal;

use super::{decimal, ledger_named};
use reckon::escape::terminal;
use reckon::model::format_ts;
use reckon::money;
use reckon::store::{ChainInfo, LowBalance, Store};
use reckon::watch::threshold::LowBalanceAlert;

#[derive(clap::Args)]
pub(super) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Warn when LEDGER's balance goes below AMOUNT (at each sync and check).
    Set {
        /// ACCOUNT or ACCOUNT/CURRENCY, as `reckon chains` lists them.
        ledger: String,
        #[arg(allow_hyphen_values = true, value_parser = decimal)]
        amount: Decimal,
    },
    /// Remove LEDGER's threshold.
    Clear {
        /// ACCOUNT or ACCOUNT/CURRENCY.
        ledger: String,
    },
    /// LEDGER's threshold, or every ledger that has one: its balance and whether it is below.
    #[command(alias = "list")]
    Show {
        /// ACCOUNT or ACCOUNT/CURRENCY; every ledger with a threshold when left out.
        ledger: Option<String>,
    },
}

impl Args {
    /// Only `show` reads without writing.
    pub(super) fn reads_only(&self) -> bool {
        matches!(self.command, Command::Show { .. })
    }
}

pub(super) fn run(store: &mut Store, args: Args) -> Result<ExitCode> {
    match args.command {
        Command::Set { ledger, amount } => {
            let chain = ledger_named(store, &ledger)?;
            if amount < Decimal::ZERO {
                bail!(
                    "a low-balance threshold of {} is below zero; give the balance to warn below, such as 500",
                    money::format(amount)
                );
            }
            writable(store)?;
            store.set_low_balance(chain.id, Some(amount))?;
            out!("{}: warns below {} (at each sync and check)", name(&chain), money::format(amount));
        }
        Command::Clear { ledger } => {
            let chain = ledger_named(store, &ledger)?;
            writable(store)?;
            let had = store.low_balance(chain.id)?.is_some();
            store.set_low_balance(chain.id, None)?;
            if had {
                out!("{}: no low-balance threshold any more", name(&chain));
            } else {
                out!("{} had no low-balance threshold", name(&chain));
            }
        }
        Command::Show { ledger: Some(ledger) } => {
            let chain = ledger_named(store, &ledger)?;
            match store.low_balance(chain.id)? {
                Some(t) => out!("{}", line(store, &chain, &t)?),
                None => out!("{}: no low-balance threshold", name(&chain)),
            }
        }
        Command::Show { ledger: None } => {
            let chains = store.chains()?;
            for t in store.low_balances()? {
                let Some(chain) = chains.iter().find(|c| c.id == t.chain_id) else { continue };
                out!("{}", line(store, chain, &t)?);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Setting needs a database that can be written (it was opened for writing where it could be).
fn writable(store: &Store) -> Result<()> {
    if store.is_read_only() {
        bail!("the database cannot be written (a write-protected file or folder), so no threshold can be set");
    }
    Ok(())
}

fn name(chain: &ChainInfo) -> String {
    format!("{}/{}", terminal(&chain.key.account), terminal(&chain.key.currency))
}

/// `default/credits: threshold 1000.00, balance 595.01, below it since ...`. The balance is the
/// one the newest entry states, else the one the last kept check ended at.
fn line(store: &Store, chain: &ChainInfo, t: &LowBalance) -> Result<String> {
    let balance = match chain.ledger_balance {
        Some(b) => Some(b),
        None => reckon::watch::history::runs(store, chain.id, 1)?.first().and_then(|r| r.balance),
    };
    let below = t.below_since.map(|s| format!(", below it since {}", format_ts(s))).unwrap_or_default();
    Ok(format!(
        "{}: threshold {}, balance {}{below}",
        name(chain),
        money::format(t.threshold),
        balance.map(money::format).unwrap_or_else(|| "not known (no entry states one; run reckon check)".into()),
    ))
}

/// The thresholds a kept check compared (`watch::keep`): a warning for each crossing, or a
/// note that they were not compared.
pub(super) fn warn_kept(kept: &reckon::watch::Kept) {
    match &kept.alerts {
        Ok(alerts) => warn_crossed(alerts),
        Err(e) => note!("note: the low-balance thresholds were not compared: {e}"),
    }
}

/// A warning line on standard error for each ledger that has just gone below its threshold:
/// once per crossing, until its balance is back at or above it.
fn warn_crossed(alerts: &[LowBalanceAlert]) {
    for alert in alerts.iter().filter(|a| a.crossed) {
        note!(
            "warning: {}/{} is at {}, below its low-balance threshold of {}",
            terminal(&alert.chain.account),
            terminal(&alert.chain.currency),
            money::format(alert.balance),
            money::format(alert.threshold),
        );
    }
}
