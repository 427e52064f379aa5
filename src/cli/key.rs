//! `reckon key set|delete VENDOR`, and where a sync's API key comes from: the OS keyring, or,
//! where there is none (CI, a bare server), `$RECKON_API_KEY` (`reckon::sync::key`, which the
//! app's Connect dialog uses too). A key is never printed, logged or stored anywhere else.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;
use std::sync::Once;

use anyhow::{anyhow, bail, Result};
use reckon::sync::key::{self, KeyError, KEY_VAR, SERVICE};
use reckon::sync::{ApiKey, Vendor, VENDORS};

#[derive(clap::Args)]
pub(super) struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Store a vendor's API key in the OS keyring, read from standard input (never echoed).
    Set {
        #[arg(value_parser = key_name())]
        source: &'static str,
    },
    /// Remove a vendor's API key from the OS keyring.
    Delete {
        #[arg(value_parser = key_name())]
        source: &'static str,
    },
}

/// The key names in the vendor table, each once (Stripe's two syncs share one key).
fn key_name() -> impl clap::builder::TypedValueParser<Value = &'static str> {
    use clap::builder::{PossibleValuesParser, TypedValueParser};
    let mut names: Vec<&'static str> = Vec::new();
    for v in VENDORS {
        if !names.contains(&v.key_name) {
            names.push(v.key_name);
        }
    }
    PossibleValuesParser::new(names)
        .map(|name| VENDORS.iter().map(|v| v.key_name).find(|k| *k == name).expect("a name from the table"))
}

pub(super) fn run(args: Args) -> Result<ExitCode> {
    match args.action {
        Action::Set { source } => {
            let key = read_key(source)?;
            key::store_key(source, &key).map_err(|e| no_keyring(&e, "the key was not stored"))?;
            out!("stored the {source} key in the OS keyring (service {SERVICE:?}, user {source:?})");
        }
        Action::Delete { source } => match key::delete_key(source) {
            Ok(true) => out!("deleted the {source} key from the OS keyring"),
            Ok(false) => out!("the OS keyring holds no {source} key; nothing to delete"),
            Err(e) => return Err(no_keyring(&e, "nothing was deleted")),
        },
    }
    Ok(ExitCode::SUCCESS)
}

/// The key a sync of `vendor` uses: the keyring's, else `$RECKON_API_KEY`. When there is no
/// keyring, says so once on standard error.
pub(super) fn api_key(vendor: &Vendor) -> Result<ApiKey> {
    static NO_KEYRING: Once = Once::new();
    let source = vendor.key_name;
    let found = key::find_key(source);
    if let Some(e) = &found.no_keyring {
        NO_KEYRING.call_once(|| note!("reckon: {e}; taking the key from ${KEY_VAR}"));
    }
    found.key.ok_or_else(|| {
        anyhow!(
            "no API key for {source}: store one with `reckon key set {source}`, or set ${KEY_VAR} where there is no keyring (nothing was fetched)"
        )
    })
}

fn no_keyring(e: &KeyError, outcome: &str) -> anyhow::Error {
    anyhow!("the OS keyring cannot be used here ({e}); {outcome}. Where there is no keyring, set ${KEY_VAR} for each sync instead")
}

/// One line from standard input; from a terminal, prompted and not echoed.
fn read_key(source: &str) -> Result<String> {
    let key = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("API key for {source} (not shown): "))?
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line
    };
    let key = key.trim().to_string();
    if key.is_empty() {
        bail!("no key given on standard input; nothing was stored");
    }
    Ok(key)
}
