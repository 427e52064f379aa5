//! What the CLI tells a person to do about an engine error that names a `Remedy`: its own
//! commands, said right after the store error's text (the engine names no command).

use std::error::Error;

use reckon::store::{Remedy, StoreError};

/// The CLI's words for a remedy, as they follow the error's text.
fn words(remedy: Remedy) -> &'static str {
    match remedy {
        Remedy::RepairLedger => "; run `reckon doctor` to verify every ledger and repair it from its imported files",
        Remedy::RestoreLabels => "; run `reckon doctor` to verify it and restore it from the imported files",
        Remedy::Resync => "; sync it (or run `reckon doctor --repair`) before reading it",
        Remedy::SalvageFile => {
            ": run `reckon doctor` for what can still be read from it, and restore it from a backup or rebuild it \
             from its sources"
        }
    }
}

/// `message` (what `error` says, with its causes) with the remedy of the store error among them
/// right after that error's text, or at the end if the message does not quote it.
pub fn add(mut message: String, error: &(dyn Error + 'static)) -> String {
    let Some(store) = StoreError::find_in(error) else { return message };
    let Some(remedy) = store.remedy() else { return message };
    let text = store.to_string();
    let at = message.find(&text).map_or(message.len(), |at| at + text.len());
    message.insert_str(at, words(remedy));
    message
}
