//! `reckon doctor`: verify every block of every ledger; with `--repair`, rebuild a damaged
//! ledger from its imported files, or name the files to bring back. Exit 1 while a ledger
//! stays damaged.

use std::process::ExitCode;

use anyhow::Result;

use reckon::import::{repair_chain, Repair};
use reckon::store::Store;

#[derive(clap::Args)]
pub(super) struct Args {
    /// Rebuild damaged ledgers from the files they were imported from.
    #[arg(long)]
    pub(super) repair: bool,
}

pub(super) fn run(store: &mut Store, args: Args) -> Result<ExitCode> {
    let mut still_damaged = 0;
    for chain in store.chains()? {
        let name = format!("{}/{}", chain.key.account, chain.key.currency);
        let health = store.verify_chain(chain.id)?;
        if health.is_ok() {
            println!("{name}: OK ({} entries in {} blocks)", health.entries, health.blocks);
            continue;
        }
        println!("{name}: DAMAGED ({} of {} blocks)", health.damaged.len(), health.blocks);
        for d in &health.damaged {
            println!("  block {}: {}", d.block, d.problem);
        }
        if !args.repair {
            still_damaged += 1;
            continue;
        }
        match repair_chain(store, chain.id)? {
            Repair::Healthy => println!("{name}: OK"),
            Repair::Repaired(r) => {
                println!("{name}: repaired ({} entries kept, {} read again from its files)", r.kept, r.recovered)
            }
            Repair::NeedsFiles(files) => {
                still_damaged += 1;
                println!(
                    "{name}: not repaired; nothing was changed. Bring back these files as imported, then repair again:"
                );
                for f in files {
                    let state = if f.changed { "changed since" } else { "missing" };
                    println!("  {} ({state}; xxh3 {})", f.path.display(), f.file_hash);
                }
            }
        }
    }
    if still_damaged > 0 && !args.repair {
        println!("Run `reckon doctor --repair` to rebuild damaged ledgers from their imported files.");
    }
    Ok(if still_damaged > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
