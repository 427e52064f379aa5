//! `reckon key set|delete SOURCE`, and where a sync's API key comes from: the OS keyring
//! (Secret Service, Keychain, Credential Manager; service `reckon`, user = the source), or,
//! where there is no keyring (CI, a bare server), `$RECKON_API_KEY`. A key is never printed,
//! logged or stored anywhere else.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;
use std::sync::Once;

use anyhow::{anyhow, bail, Result};
use reckon_sync::ApiKey;

/// The keyring service every Reckon key is stored under.
const SERVICE: &str = "reckon";
/// Where the key comes from when there is no keyring.
pub(super) const KEY_VAR: &str = "RECKON_API_KEY";

#[derive(clap::Args)]
pub(super) struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Store a source's API key in the OS keyring, read from standard input (never echoed).
    Set { source: Source },
    /// Remove a source's API key from the OS keyring.
    Delete { source: Source },
}

/// The sources whose keys Reckon keeps.
#[derive(Clone, Copy, clap::ValueEnum)]
pub(super) enum Source {
    Reverie,
    Orb,
    Stripe,
}

impl Source {
    pub(super) fn name(self) -> &'static str {
        match self {
            Source::Reverie => reckon_sync::reverie::KEY_NAME,
            Source::Orb => reckon_sync::orb::KEY_NAME,
            Source::Stripe => reckon_sync::stripe::KEY_NAME,
        }
    }
}

pub(super) fn run(args: Args) -> Result<ExitCode> {
    match args.action {
        Action::Set { source } => {
            let key = read_key(source.name())?;
            let entry = entry(source.name())?;
            entry.set_password(&key).map_err(|e| no_keyring(&e, "the key was not stored"))?;
            out!("stored the {} key in the OS keyring (service {SERVICE:?}, user {:?})", source.name(), source.name());
        }
        Action::Delete { source } => match entry(source.name())?.delete_credential() {
            Ok(()) => out!("deleted the {} key from the OS keyring", source.name()),
            Err(keyring::Error::NoEntry) => out!("the OS keyring holds no {} key; nothing to delete", source.name()),
            Err(e) => return Err(no_keyring(&e, "nothing was deleted")),
        },
    }
    Ok(ExitCode::SUCCESS)
}

/// The key a sync of `source` uses: the keyring's, else `$RECKON_API_KEY`. When there is no
/// keyring, says so once on standard error.
pub(super) fn api_key(source: &str) -> Result<ApiKey> {
    static NO_KEYRING: Once = Once::new();
    let from_env = || std::env::var(KEY_VAR).ok().map(|k| k.trim().to_string()).filter(|k| !k.is_empty());
    let stored = keyring::Entry::new(SERVICE, source).and_then(|e| e.get_password());
    let key = match stored {
        Ok(key) if !key.trim().is_empty() => Some(key.trim().to_string()),
        Ok(_) | Err(keyring::Error::NoEntry) => from_env(),
        Err(e) => {
            NO_KEYRING
                .call_once(|| eprintln!("reckon: no OS keyring is available ({e}); taking the key from ${KEY_VAR}"));
            from_env()
        }
    };
    key.map(ApiKey::new).ok_or_else(|| {
        anyhow!(
            "no API key for {source}: store one with `reckon key set {source}`, or set ${KEY_VAR} where there is no keyring (nothing was fetched)"
        )
    })
}

fn entry(source: &str) -> Result<keyring::Entry> {
    keyring::Entry::new(SERVICE, source).map_err(|e| no_keyring(&e, "nothing was changed"))
}

fn no_keyring(e: &keyring::Error, outcome: &str) -> anyhow::Error {
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
