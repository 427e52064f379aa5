//! Where the database lives and how commands reach it. Reads share one connection behind a
//! mutex; an import opens its own (the store runs SQLite in WAL mode, so screens keep reading
//! while an import writes); so does a sync. All database work runs on blocking threads, never on
//! the window's.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use reckon::check::{check, CheckOptions, CheckReport};
use reckon::store::Store;
use reckon::sync::ApiKey;

use crate::dto::{AppError, ErrorCode};
use crate::job::{Job, JobRun};
use crate::schedule::Watch;

/// The database file, and the folder beside it where the shell may write its own files
/// (the demo ledger).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreLocation {
    pub db: PathBuf,
    pub data_dir: PathBuf,
}

impl StoreLocation {
    /// The database the CLI uses too: `$RECKON_DB`, else `reckon/reckon.db` in the platform's
    /// data directory (`Store::default_path`), so a ledger imported in one is seen by the other.
    pub fn resolve() -> StoreLocation {
        StoreLocation::beside(Store::default_path())
    }

    /// A database at `db`, with the shell's files in the same folder.
    pub fn beside(db: PathBuf) -> StoreLocation {
        let data_dir =
            db.parent().filter(|d| !d.as_os_str().is_empty()).map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        StoreLocation { db, data_dir }
    }
}

/// Managed by Tauri; cheap to clone into blocking tasks.
#[derive(Debug, Clone)]
pub struct AppState {
    shared: Arc<Shared>,
}

/// `RECKON_TRUST_PATHS=1`: the end-to-end test types paths instead of using native dialogs,
/// which a WebDriver cannot operate; every path the webview names is then accepted. Honoured
/// by debug builds only (what `cargo test` runs): a release build, the app people install,
/// keeps its path checks whatever its environment says.
pub const TRUST_PATHS_ENV: &str = "RECKON_TRUST_PATHS";

/// Whether the path checks are off: `RECKON_TRUST_PATHS` is `1` and this is not a release build.
fn trusts_paths(value: Option<&str>, release: bool) -> bool {
    !release && value == Some("1")
}

/// The files the user chose: only these may the webview have read or written. A path the
/// webview makes up itself (a compromised page, an injected script) is refused.
#[derive(Debug, Default)]
struct Grants {
    read: std::collections::HashSet<PathBuf>,
    write: std::collections::HashSet<PathBuf>,
}

fn not_chosen(path: &Path) -> AppError {
    AppError::bad_input(format!(
        "{} was not chosen in a file dialog or dropped on the window; Reckon only reads and writes the files you pick",
        path.display()
    ))
}

#[derive(Debug)]
struct Shared {
    /// Changed by "Open database..."; the connection is reopened on next use.
    location: Mutex<StoreLocation>,
    /// Opened on first use, so a bad path is reported to the UI as an error, not a crash.
    db: Mutex<Option<Db>>,
    /// One import at a time; `cancel_import` stops it.
    import: Arc<Job>,
    granted: Mutex<Grants>,
    trust_paths: bool,
    /// One sync at a time (beside at most one import); `cancel_sync` stops it.
    sync: Arc<Job>,
    /// API keys given to "Connect account…" where no OS keyring runs, by source (`reverie`):
    /// kept for this session only, never written anywhere.
    session_keys: Mutex<HashMap<String, ApiKey>>,
    /// Scheduled syncs and the notifications they raise.
    watch: Watch,
}

impl AppState {
    /// With scheduled syncs as the environment sets them (`schedule::Watch::from_env`).
    pub fn new(location: StoreLocation) -> AppState {
        AppState::with_watch(location, Watch::from_env())
    }

    pub fn with_watch(location: StoreLocation, watch: Watch) -> AppState {
        AppState {
            shared: Arc::new(Shared {
                location: Mutex::new(location),
                db: Mutex::new(None),
                import: Job::new("an import is already running; wait for it or cancel it"),
                granted: Mutex::new(Grants::default()),
                trust_paths: trusts_paths(std::env::var(TRUST_PATHS_ENV).ok().as_deref(), !cfg!(debug_assertions)),
                sync: Job::new("a sync is already running; wait for it or cancel it"),
                session_keys: Mutex::new(HashMap::new()),
                watch,
            }),
        }
    }

    /// Scheduled syncs: the planner, the notifications raised.
    pub fn watch(&self) -> &Watch {
        &self.shared.watch
    }

    /// Lets the webview read these files: they came from the open dialog or a drop on the window.
    pub fn grant_read(&self, paths: impl IntoIterator<Item = PathBuf>) {
        self.grants().read.extend(paths);
    }

    /// Lets the webview write this file once: it came from the save dialog.
    pub fn grant_write(&self, path: PathBuf) {
        self.grants().write.insert(path);
    }

    /// Whether the webview may have this file read: the user picked or dropped it.
    pub fn may_read(&self, path: &Path) -> Result<(), AppError> {
        if self.shared.trust_paths || self.grants().read.contains(path) {
            return Ok(());
        }
        Err(not_chosen(path))
    }

    /// Whether the webview may have this file written, once: the user picked it to save.
    pub fn may_write(&self, path: &Path) -> Result<(), AppError> {
        if self.shared.trust_paths || self.grants().write.remove(path) {
            return Ok(());
        }
        Err(not_chosen(path))
    }

    fn grants(&self) -> MutexGuard<'_, Grants> {
        self.shared.granted.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn location(&self) -> StoreLocation {
        self.shared.location.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Switches to the database at `db` (created if new), once it opens: the screens' connection
    /// is replaced, and the next import opens the new file. Refused while an import runs.
    pub fn switch_database(&self, db: PathBuf) -> Result<StoreLocation, AppError> {
        if self.shared.import.is_running() || self.shared.sync.is_running() {
            return Err(AppError::bad_input(
                "an import or a sync is running; wait for it or cancel it before opening another database",
            ));
        }
        let store = open(&db)?;
        let location = StoreLocation::beside(db);
        let mut guard = self.shared.db.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *self.shared.location.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = location.clone();
        *guard = Some(Db { store, report: None, crossed: Vec::new() });
        Ok(location)
    }

    /// Runs `f` with the shared connection on a blocking thread.
    pub async fn with_db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Db) -> Result<T, AppError> + Send + 'static,
    {
        let this = self.clone();
        blocking(move || {
            let mut guard = this.lock()?;
            f(guard.as_mut().expect("lock() opens the store"))
        })
        .await
    }

    fn lock(&self) -> Result<MutexGuard<'_, Option<Db>>, AppError> {
        let mut guard = self.shared.db.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if guard.is_none() {
            *guard = Some(Db { store: open(&self.location().db)?, report: None, crossed: Vec::new() });
        }
        Ok(guard)
    }

    /// Claims the import (one at a time) and clears any earlier cancellation.
    pub fn begin_import(&self) -> Result<JobRun, AppError> {
        self.shared.import.begin()
    }

    pub fn cancel_import(&self) {
        self.shared.import.cancel();
    }

    /// Claims the sync (one at a time, beside at most one import) and clears any earlier
    /// cancellation.
    pub fn begin_sync(&self) -> Result<JobRun, AppError> {
        self.shared.sync.begin()
    }

    pub fn cancel_sync(&self) {
        self.shared.sync.cancel();
    }

    /// A connection of its own, for a long job: the store runs in WAL mode, so the screens'
    /// connection keeps reading while the job writes.
    pub fn open_store(&self) -> Result<Store, AppError> {
        open(&self.location().db)
    }

    /// Keeps `key` for `source` until the app quits (where no keyring runs).
    pub fn keep_session_key(&self, source: &str, key: ApiKey) {
        self.shared.session_keys.lock().unwrap_or_else(|p| p.into_inner()).insert(source.to_string(), key);
    }

    /// The key this session was given for `source`, if any.
    pub fn session_key(&self, source: &str) -> Option<ApiKey> {
        self.shared.session_keys.lock().unwrap_or_else(|p| p.into_inner()).get(source).cloned()
    }
}

/// The shared connection, and the last walk of every chain: screens ask for findings on every
/// page, and a walk reads the whole chain, so it is kept until something changes.
#[derive(Debug)]
pub struct Db {
    pub store: Store,
    report: Option<Arc<CheckReport>>,
    /// Ledgers a check found newly below their low-balance threshold, not yet notified.
    crossed: Vec<reckon::watch::threshold::LowBalanceAlert>,
}

impl Db {
    /// Every chain's findings, with notes, as of the last change.
    pub fn report(&mut self) -> Result<Arc<CheckReport>, AppError> {
        if let Some(report) = &self.report {
            return Ok(report.clone());
        }
        let report = Arc::new(check(&self.store, &CheckOptions::default())?);
        self.report = Some(report.clone());
        self.crossed.extend(keep_watch(&mut self.store, &report));
        Ok(report)
    }

    /// The ledgers checks found newly below their low-balance threshold since the last call.
    pub fn take_crossed(&mut self) -> Vec<reckon::watch::threshold::LowBalanceAlert> {
        std::mem::take(&mut self.crossed)
    }

    /// The IDs of every error finding of the last check (walking now if none is kept): a
    /// scheduled sync's new errors are those its check finds beyond these.
    pub fn error_ids(&mut self) -> Result<std::collections::HashSet<String>, AppError> {
        let report = self.report()?;
        Ok(crate::schedule::error_ids(&report))
    }

    /// Call after anything that can change findings or notes.
    pub fn changed(&mut self) {
        self.report = None;
    }

    /// Notes were written (or, with `None`, removed) for `ids`: the kept walk stays valid, only
    /// its notes change, so thousands explained at once do not cost a new walk.
    pub fn noted(&mut self, ids: &[String], note: Option<reckon::model::Note>) {
        let Some(report) = self.report.as_mut() else { return };
        let wanted: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
        for f in &mut Arc::make_mut(report).findings {
            if wanted.contains(f.finding.id.as_str()) {
                f.note = note.clone();
            }
        }
    }
}

/// Keeps a new check in each ledger's history and compares each ledger with its low-balance
/// threshold, as `reckon check` does; returns the ledgers this comparison is the first to find
/// below. The check's findings stand whatever happens here: a history that cannot be written
/// is said on standard error, never in place of the findings.
fn keep_watch(store: &mut Store, report: &CheckReport) -> Vec<reckon::watch::threshold::LowBalanceAlert> {
    let kept = reckon::watch::keep(store, report, chrono::Utc::now().timestamp_micros());
    if let Err(e) = kept.history {
        eprintln!("reckon: this check is not kept in the ledgers' history: {e}");
    }
    match kept.alerts {
        Ok(alerts) => alerts.into_iter().filter(|a| a.crossed).collect(),
        Err(e) => {
            eprintln!("reckon: the low-balance thresholds were not compared: {e}");
            Vec::new()
        }
    }
}

fn open(path: &Path) -> Result<Store, AppError> {
    Store::open(path).map_err(|e| {
        let message = format!("cannot open the database {}: {e}", path.display());
        AppError::new(ErrorCode::Database, crate::dto::with_remedy(message, &e))
    })
}

/// Runs `f` on Tauri's blocking pool.
pub async fn blocking<T, F>(f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, AppError> + Send + 'static,
{
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| AppError::internal(format!("a background task failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::trusts_paths;

    /// The app opened while a large import has the database to itself (a rollback journal,
    /// the write lock held until it commits) waits the busy timeout, then says why and what to
    /// do; once the import is done it opens.
    #[test]
    fn an_app_opened_during_a_large_import_says_to_try_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reckon.db");
        let mut importing = reckon::store::Store::open(&path).unwrap();
        let ingest = importing.begin_large().unwrap();
        let e = super::open(&path).unwrap_err();
        assert!(e.message.contains("locked") && e.message.contains("try again when that is done"), "{}", e.message);
        drop(ingest);
        drop(importing);
        super::open(&path).unwrap();
    }

    #[test]
    fn a_release_build_never_trusts_paths_the_webview_names() {
        assert!(!trusts_paths(Some("1"), true));
        assert!(!trusts_paths(None, true));
        assert!(trusts_paths(Some("1"), false));
        assert!(!trusts_paths(Some("yes"), false));
        assert!(!trusts_paths(None, false));
    }
}
