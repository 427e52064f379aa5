//! `reckon doctor`: check the database file, the label table and every block of every ledger
//! (against what each ledger records, so a block that is gone is found too); with `--repair`,
//! restore the labels and rebuild a damaged ledger from its imported files, or name the files
//! to bring back; a synced ledger keeps what can be read and is synced again from its last
//! sync's base URL (its whole ledger). Exit 1 while something stays damaged.

use std::process::ExitCode;

use anyhow::Result;
use chrono::Utc;

use super::key::api_key;
use reckon::import::{repair_chain, NeededFile, Repair};
use reckon::model::ChainKey;
use reckon::store::{LastSync, RepairSummary, Store};
use reckon::sync::{self, BaseUrl, Customers, Quiet, SyncRequest, Vendor};

#[derive(clap::Args)]
pub(super) struct Args {
    /// Rebuild damaged ledgers from the files they were imported from (a synced ledger: sync
    /// it again from its last sync's base URL).
    #[arg(long)]
    pub(super) repair: bool,
}

/// Checks the database file itself before anything opens it: an empty file or one SQLite
/// cannot read whole is an error that says what happened and what to do.
pub(super) fn check_file(db: &std::path::Path) -> Result<()> {
    Ok(Store::check_file(db)?)
}

pub(super) fn run(store: &mut Store, args: Args) -> Result<ExitCode> {
    let mut still_damaged = 0;
    // The labels first: a ledger's repair looks labels up by text, which a damaged table
    // must not answer.
    let mut labels_ok = true;
    if let Some(problem) = store.verify_labels()? {
        out!("labels: DAMAGED ({problem})");
        labels_ok = false;
        if args.repair {
            match Repair::labels(store)? {
                Repair::Healthy => labels_ok = true,
                Repair::Repaired(r) => {
                    labels_ok = true;
                    out!("labels: repaired ({} restored from the imported files, {} found right)", r.recovered, r.kept);
                }
                Repair::NeedsFiles(files) => needs_files("labels", &files)?,
                Repair::NeedsSync { .. } => {}
            }
        }
        if !labels_ok {
            still_damaged += 1;
        }
    }
    let chains = store.chains()?;
    if chains.is_empty() {
        out!("no ledgers in the database");
    }
    for chain in chains {
        let name = format!("{}/{}", chain.key.account, chain.key.currency);
        let health = store.verify_chain(chain.id)?;
        if health.is_ok() {
            out!("{name}: OK ({} entries in {} blocks)", health.entries, health.blocks);
            continue;
        }
        if health.damaged.is_empty() && health.problems.is_empty() {
            out!(
                "{name}: WAITING FOR A SYNC (a repair kept {} entries; those lost come back with a sync)",
                health.entries
            );
        } else {
            out!("{name}: DAMAGED ({} of {} blocks)", health.damaged.len(), health.blocks);
        }
        for d in &health.damaged {
            out!("  block {}: {}", d.block, d.problem);
        }
        for p in &health.problems {
            out!("  {p}");
        }
        if !args.repair || !labels_ok {
            if args.repair {
                out!("{name}: not repaired while the labels are damaged; nothing was changed");
            }
            still_damaged += 1;
            continue;
        }
        match repair_chain(store, chain.id)? {
            Repair::Healthy => out!("{name}: OK"),
            Repair::Repaired(r) => {
                out!("{name}: repaired ({} entries kept, {} read again from its files)", r.kept, r.recovered)
            }
            Repair::NeedsFiles(files) => {
                still_damaged += 1;
                needs_files(&name, &files)?;
            }
            Repair::NeedsSync { summary, from } => {
                if !resync(store, chain.id, &chain.key, &name, &summary, from.as_ref())? {
                    still_damaged += 1;
                }
            }
        }
    }
    if still_damaged > 0 && !args.repair {
        out!("Run `reckon doctor --repair` to rebuild damaged ledgers from their imported files.");
    }
    Ok(if still_damaged > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn needs_files(what: &str, files: &[NeededFile]) -> Result<()> {
    out!("{what}: not repaired; nothing was changed. Bring back these files as imported, then repair again:");
    for f in files {
        let state = if f.changed { "changed since" } else { "missing" };
        out!("  {} ({state}; xxh3 {})", f.path.display(), f.file_hash);
    }
    Ok(())
}

/// A synced chain whose damaged blocks were dropped: syncs it again (its whole ledger) from
/// its last sync's base URL with the key a `reckon sync` would use, or says how to. Returns
/// whether the chain is whole again.
fn resync(
    store: &mut Store,
    chain_id: i64,
    key: &ChainKey,
    name: &str,
    dropped: &RepairSummary,
    from: Option<&LastSync>,
) -> Result<bool> {
    if dropped.dropped > 0 {
        out!(
            "{name}: {} entries kept, {} read again from its files; {} came from its API and no file holds them",
            dropped.kept,
            dropped.recovered,
            dropped.dropped
        );
    }
    let Some((vendor, from)) = from.and_then(|f| sync::vendor(&f.source).map(|v| (v, f))) else {
        out!("{name}: sync it again (its whole ledger is fetched) to bring back the entries lost");
        return Ok(false);
    };
    let command = sync_command(vendor, from, key);
    let request = BaseUrl::parse(&from.base_url).map_err(anyhow::Error::from).and_then(|base_url| {
        let mut request = SyncRequest::new(vendor, base_url, api_key(vendor)?, Utc::now());
        request.chain = key.clone();
        request.customers = match &from.customer {
            Some(c) => Customers::One(c.clone()),
            None => Customers::All,
        };
        if vendor.per_customer {
            request.chain = ChainKey::new(ChainKey::DEFAULT_ACCOUNT, ChainKey::DEFAULT_CURRENCY);
        }
        Ok(request)
    });
    let outcome = request.and_then(|request| Ok(sync::sync_blocking(store, &request, &mut Quiet)?));
    match outcome {
        Ok(summary) if !store.awaiting_sync(chain_id)? => {
            out!(
                "{name}: repaired by a sync of its whole ledger from {} ({} entries fetched again)",
                from.base_url,
                summary.progress.new
            );
            Ok(true)
        }
        Ok(_) => {
            out!(
                "{name}: the sync from {} did not reach it; run `{command}` to bring back the entries lost",
                from.base_url
            );
            Ok(false)
        }
        Err(e) => {
            out!("{name}: could not sync it again ({e:#}); run `{command}` to bring back the entries lost");
            Ok(false)
        }
    }
}

/// The `reckon sync` command that refills a chain last synced `from`.
fn sync_command(vendor: &Vendor, from: &LastSync, key: &ChainKey) -> String {
    let mut command = format!("reckon sync {} --base-url {}", vendor.name, from.base_url);
    if vendor.per_customer {
        match &from.customer {
            Some(c) => command.push_str(&format!(" --customer {c}")),
            None => command.push_str(" --all-customers"),
        }
    } else if key.account != ChainKey::DEFAULT_ACCOUNT || key.currency != ChainKey::DEFAULT_CURRENCY {
        command.push_str(&format!(" --account {} --currency {}", key.account, key.currency));
    }
    command
}
