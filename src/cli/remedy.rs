//! What the CLI tells a person to do about an engine error that names a `Remedy`: its own
//! commands, said right after the store error's text (the engine names no command).

use std::error::Error;

use reckon::store::{Remedy, StoreError};
use reckon::sync::{ApiError, ApiRemedy};

/// The CLI's words for a remedy, as they follow the error's text.
fn words(remedy: Remedy) -> &'static str {
    match remedy {
        Remedy::RepairLedger => "; run `reckon doctor` to verify every ledger and repair it from its imported files",
        Remedy::RestoreLabels => "; run `reckon doctor` to verify it and restore it from the imported files",
        Remedy::Resync => "; sync it (or run `reckon doctor --repair`) before reading it",
        Remedy::WaitForWriter => {
            ": another program is writing it (a large import has the file to itself until it commits); run this \
             again when that is done"
        }
        Remedy::SalvageFile => {
            ": run `reckon doctor` for what can still be read from it, and restore it from a backup or rebuild it \
             from its sources"
        }
    }
}

/// The CLI's words for what to do about an API error, as they follow its text.
fn api_words(remedy: ApiRemedy) -> String {
    match remedy {
        ApiRemedy::StoreKey(key) => {
            format!(" with `reckon key set {key}` (or set $RECKON_API_KEY where there is no keyring).")
        }
        ApiRemedy::KeyOutOfUrl => ": the keyring (`reckon key set SOURCE`) or $RECKON_API_KEY.".to_string(),
    }
}

/// The first cause in `error`'s chain (itself included) that is a `T`.
fn find_in<'e, T: Error + 'static>(error: &'e (dyn Error + 'static)) -> Option<&'e T> {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        cause = e.source();
    }
    None
}

/// `message` (what `error` says, with its causes) with the remedy of the store or API error
/// among them right after that error's text, or at the end if the message does not quote it.
pub fn add(mut message: String, error: &(dyn Error + 'static)) -> String {
    let (text, words) = if let Some(store) = StoreError::find_in(error) {
        let Some(remedy) = store.remedy() else { return message };
        (store.to_string(), words(remedy).to_string())
    } else if let Some(api) = find_in::<ApiError>(error) {
        let Some(remedy) = api.remedy() else { return message };
        (api.to_string(), api_words(remedy))
    } else {
        return message;
    };
    let at = message.find(&text).map_or(message.len(), |at| at + text.len());
    message.insert_str(at, &words);
    message
}
