//! Where an API key lives: the OS keyring (Secret Service, Keychain, Credential Manager;
//! service `reckon`, user = the source: `reverie`, `orb`, `stripe`), or, where no keyring runs
//! (CI, a bare server), `$RECKON_API_KEY`. The CLI's `reckon key` and the app's Connect dialog
//! both go through here. A key is never printed, logged, or stored anywhere else.

use reckon_api::ApiKey;

/// The keyring service every Reckon key is stored under.
pub const SERVICE: &str = "reckon";
/// Where the key comes from when there is no keyring.
pub const KEY_VAR: &str = "RECKON_API_KEY";

/// Why the keyring could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// No keyring runs here (no Secret Service on the session bus, a locked keychain, ...).
    #[error("no OS keyring is available here ({0})")]
    NoKeyring(String),
    /// An empty key was given.
    #[error("the API key is empty")]
    Empty,
}

/// Where a key was found, if anywhere.
#[derive(Debug)]
pub struct Lookup {
    pub key: Option<ApiKey>,
    /// Set when the keyring could not be asked (then the key, if any, is `$RECKON_API_KEY`'s).
    pub no_keyring: Option<KeyError>,
}

/// Stores `key` for `source` in the OS keyring.
pub fn store_key(source: &str, key: &str) -> Result<(), KeyError> {
    let key = key.trim();
    if key.is_empty() {
        return Err(KeyError::Empty);
    }
    entry(source)?.set_password(key).map_err(no_keyring)
}

/// Removes `source`'s key from the OS keyring; `false` when it held none.
pub fn delete_key(source: &str) -> Result<bool, KeyError> {
    match entry(source)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(e) => Err(no_keyring(e)),
    }
}

/// The key a sync of `source` uses: the keyring's, else `$RECKON_API_KEY`.
pub fn find_key(source: &str) -> Lookup {
    let from_env = || std::env::var(KEY_VAR).ok().map(|k| k.trim().to_string()).filter(|k| !k.is_empty());
    match entry(source).and_then(|e| match e.get_password() {
        Ok(key) => Ok(Some(key)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(no_keyring(e)),
    }) {
        Ok(Some(key)) if !key.trim().is_empty() => Lookup { key: Some(ApiKey::new(key.trim())), no_keyring: None },
        Ok(_) => Lookup { key: from_env().map(ApiKey::new), no_keyring: None },
        Err(e) => Lookup { key: from_env().map(ApiKey::new), no_keyring: Some(e) },
    }
}

fn entry(source: &str) -> Result<keyring::Entry, KeyError> {
    keyring::Entry::new(SERVICE, source).map_err(no_keyring)
}

fn no_keyring(e: keyring::Error) -> KeyError {
    KeyError::NoKeyring(e.to_string())
}
