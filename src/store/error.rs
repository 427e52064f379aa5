//! Why the store could not do something (`StoreError`), and the remedy each shell words in its
//! own terms (`Remedy`): the engine names no command of the CLI or screen of the app.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::block;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database error: {}{}", .0, if is_corrupt(.0) { CORRUPT_HINT } else { "" })]
    Sqlite(#[from] rusqlite::Error),
    /// The database directory could not be created.
    #[error("cannot create the database folder {path}: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    /// A temporary file (a large import's sorted transaction IDs) could not be written or read.
    #[error("cannot use a temporary file in {}: {source}; free space there, or set TMPDIR to a folder with room, and import again (nothing from this import was stored)", std::env::temp_dir().display())]
    TempFile { source: std::io::Error },
    /// The database was written by a newer Reckon.
    #[error("the database has schema version {found}, newer than this Reckon knows ({known}); upgrade Reckon")]
    NewerSchema { found: i64, known: i64 },
    /// No such chain, entry or finding.
    #[error("{0} not found")]
    NotFound(String),
    /// The file is a SQLite database of another application (or not a database at all).
    #[error("{path} is not a Reckon database; nothing was written to it. Choose another database file")]
    NotReckon { path: PathBuf },
    /// A read found no database at the path; nothing was created.
    #[error("no database at {path}")]
    NoDatabase { path: PathBuf },
    /// A read-only open found a database an older Reckon wrote, which only a writer may migrate.
    #[error("{path} was written by an older Reckon (schema version {found} of {known}); open it once with a command that writes (an import) to bring it up to date")]
    NeedsMigration { path: PathBuf, found: i64, known: i64 },
    /// An entry block fails its checksum or does not decode.
    #[error("{}", damaged_text(.chain.as_deref(), *.block))]
    Damaged {
        /// The ledger (`account/currency`), when known.
        chain: Option<String>,
        /// The block's number in its chain, when known.
        block: Option<u64>,
    },
    /// The label table (types, descriptions, dimension values) no longer matches its checksum:
    /// a label was changed, removed or added behind the store's back.
    #[error(
        "the label table is damaged in the database (the types, descriptions and labels of entries would read \
         wrong)"
    )]
    LabelsDamaged,
    /// A repair dropped entries of this chain that only a sync can bring back; it is refused
    /// until a sync has fetched its whole ledger again.
    #[error("the ledger {chain} lost entries to damage in the database and waits for a sync to fetch them again")]
    AwaitingSync { chain: String },
    /// The file is empty: no database, and no ledgers, at all.
    #[error(
        "{path} is an empty file (0 bytes), not a Reckon database: it holds no ledgers. If it held some, it was \
         wiped: restore it from a backup, or import the ledgers into a new database"
    )]
    Empty { path: PathBuf },
    /// SQLite cannot read the file as a database (damaged pages, a cut-off file, a damaged
    /// header). `sources` lists what the file still says the ledgers came from.
    #[error("{}", malformed_text(path, detail, sources))]
    Malformed {
        path: PathBuf,
        /// What SQLite (or the header) said.
        detail: String,
        sources: Salvage,
    },
    /// A value the store cannot hold.
    #[error("{0}")]
    BadValue(String),
    /// Entries of one source would go into a chain that holds another source's.
    #[error("the ledger {account}/{currency} holds {holds} entries, not {found}; import these into another account")]
    OtherSource { account: String, currency: String, holds: String, found: String },
}

/// What a SQLite-level damage message adds: what happened (what to do is the shell's `Remedy`).
const CORRUPT_HINT: &str = "; the database file itself is damaged (below the ledgers Reckon checks)";

/// What a damaged database file still says about where its ledgers came from, read as far
/// as the damage allows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Salvage {
    /// Imported files, as recorded (oldest first, each once).
    pub files: Vec<String>,
    /// Syncs: `(api, base URL, customer or "")`.
    pub syncs: Vec<(String, String, String)>,
}

fn malformed_text(path: &Path, detail: &str, sources: &Salvage) -> String {
    let mut text = format!(
        "{} is damaged below the ledgers ({detail}): SQLite cannot read it as a whole, so Reckon cannot verify or \
         repair it, and nothing was written to it. Restore it from a backup, or move it aside and rebuild the \
         ledgers in a new database from their sources",
        path.display()
    );
    if sources.files.is_empty() && sources.syncs.is_empty() {
        text.push_str(" (none could be read from the damaged file)");
        return text;
    }
    text.push_str(", which the damaged file still names:");
    for f in &sources.files {
        text.push_str(&format!("\n  import {f}"));
    }
    for (api, url, customer) in &sources.syncs {
        let whose = if customer.is_empty() { String::new() } else { format!(" (customer {customer})") };
        text.push_str(&format!("\n  sync {api} from {url}{whose}"));
    }
    text
}

fn damaged_text(chain: Option<&str>, block: Option<u64>) -> String {
    let ledger = chain.map_or_else(|| "a ledger".to_string(), |c| format!("the ledger {c}"));
    let block = block.map_or_else(String::new, |b| format!(" (entry block {b})"));
    format!("{ledger} is damaged in the database{block}")
}

/// Whether SQLite said the file is damaged (as opposed to busy, full or missing).
pub(super) fn is_corrupt(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DatabaseCorrupt)
}

/// Whether SQLite said another connection holds the file (a large import has it to itself
/// until it commits: `open::RollbackJournal`), past the busy timeout.
pub(super) fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

/// What a person can do about a store error. The engine names it; each shell words it (the CLI
/// names its own commands, the app its own way), after the error's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// Verify every ledger and repair a damaged one from its imported files (`Damaged`).
    RepairLedger,
    /// Verify the label table and restore it from the imported files (`LabelsDamaged`).
    RestoreLabels,
    /// Sync the ledger again, or have a repair sync it, before reading it (`AwaitingSync`).
    Resync,
    /// Read what the damaged file still holds, then restore it from a backup or rebuild it
    /// from its sources (SQLite says the file is damaged).
    SalvageFile,
    /// Wait for the program writing the file (a large import) to finish, then try again
    /// (SQLite says the file is locked).
    WaitForWriter,
}

impl StoreError {
    /// What a person can do about this error, when there is more to do than its text says.
    pub fn remedy(&self) -> Option<Remedy> {
        match self {
            StoreError::Damaged { .. } => Some(Remedy::RepairLedger),
            StoreError::LabelsDamaged => Some(Remedy::RestoreLabels),
            StoreError::AwaitingSync { .. } => Some(Remedy::Resync),
            StoreError::Sqlite(e) if is_corrupt(e) => Some(Remedy::SalvageFile),
            StoreError::Sqlite(e) if is_busy(e) => Some(Remedy::WaitForWriter),
            _ => None,
        }
    }

    /// The first store error among `error` and its sources (a shell words its remedy after
    /// that error's text).
    pub fn find_in<'e>(error: &'e (dyn std::error::Error + 'static)) -> Option<&'e StoreError> {
        let mut cause = Some(error);
        while let Some(e) = cause {
            if let Some(store) = e.downcast_ref::<StoreError>() {
                return Some(store);
            }
            cause = e.source();
        }
        None
    }

    /// Names the ledger and block of a `Damaged` error from block `block_id` (other errors
    /// pass through).
    pub(crate) fn in_block(self, conn: &Connection, block_id: i64) -> StoreError {
        match self {
            StoreError::Damaged { chain: None, block: None } => {
                let (chain_id, number) = block::split_entry_id(block_id);
                let chain = conn
                    .query_row("SELECT account || '/' || currency FROM chain WHERE id = ?1", [chain_id], |r| r.get(0))
                    .ok();
                StoreError::Damaged { chain, block: Some(number) }
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engine_names_the_remedy_and_no_command() {
        let cases = [
            (StoreError::Damaged { chain: Some("a/credits".into()), block: Some(2) }, Some(Remedy::RepairLedger)),
            (StoreError::LabelsDamaged, Some(Remedy::RestoreLabels)),
            (StoreError::AwaitingSync { chain: "a/credits".into() }, Some(Remedy::Resync)),
            (StoreError::NotFound("chain 9".into()), None),
            (
                StoreError::Sqlite(rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(5), None)),
                Some(Remedy::WaitForWriter),
            ),
        ];
        for (error, remedy) in cases {
            assert_eq!(error.remedy(), remedy, "{error}");
            assert!(!error.to_string().contains("reckon "), "{error}");
        }
        let wrapped: Box<dyn std::error::Error> = Box::new(StoreError::LabelsDamaged);
        assert!(matches!(StoreError::find_in(wrapped.as_ref()), Some(StoreError::LabelsDamaged)));
    }
}
