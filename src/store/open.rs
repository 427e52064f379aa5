//! Opening a database: its identity (`application_id`, schema version) checked before anything
//! is written, WAL and the pragmas every connection sets, read-only and immutable opens, and a
//! check of the file below the ledgers for `Store::check_file`.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::error::{is_corrupt, Salvage};
use super::labels::LabelCache;
use super::migrate::SCHEMA_VERSION;
use super::{Store, StoreError};

/// Puts the database in WAL mode. On a fresh file another connection opening at the same moment
/// can make the switch fail "database is locked" without SQLite calling the busy handler (it
/// will not wait while holding a lock another waiter needs), so the switch is retried here for
/// as long as the busy timeout allows.
fn use_wal(conn: &Connection) -> Result<(), StoreError> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0)) {
            Ok(_) => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// A large write's rollback journal (`Store::begin_large`): while it lasts the database is
/// out of WAL mode, and its drop puts it back. Should the process die first, the next open
/// puts it back (`Store::init`, `Store::open_existing`).
#[derive(Debug)]
pub(super) struct RollbackJournal<'c>(&'c Connection);

impl<'c> RollbackJournal<'c> {
    /// Leaves WAL mode for a rollback journal when no other connection has the database open
    /// (SQLite refuses the switch otherwise, and this does not wait for them): a write of
    /// hundreds of megabytes then goes to the file once, where WAL writes it twice, into the
    /// log and again when the commit checkpoints the log into the file (2.2-2.6 s of a 10M
    /// import's 10 s). `None` where the switch was refused: the write then stays in WAL, so the
    /// desktop app's screens keep reading while it imports. Call outside a transaction.
    pub(super) fn take(conn: &'c Connection) -> Option<RollbackJournal<'c>> {
        conn.busy_timeout(std::time::Duration::ZERO).ok()?;
        let mode = conn.pragma_update_and_check(None, "journal_mode", "TRUNCATE", |r| r.get::<_, String>(0));
        conn.busy_timeout(BUSY_TIMEOUT).ok()?;
        match mode {
            Ok(mode) if mode.eq_ignore_ascii_case("truncate") => Some(RollbackJournal(conn)),
            _ => None,
        }
    }
}

impl Drop for RollbackJournal<'_> {
    fn drop(&mut self) {
        // A reader opened meanwhile can hold the switch off; the next open makes it.
        if let Err(e) = use_wal(self.0) {
            crate::trace::phase(
                &format!("store: back to WAL failed ({e}); the next open switches"),
                std::time::Instant::now(),
            );
        }
    }
}

/// How long a statement waits for another connection's lock before failing.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Prepared statements a connection keeps (rusqlite's default is 16): an import of a customer
/// base runs some thirty statements per ledger, 100,000 times, and a cache too small for them
/// prepares each again every time.
const STATEMENTS: usize = 128;

/// `PRAGMA application_id` of a Reckon database: "RCKN" (set by migration 4).
pub const APPLICATION_ID: i32 = i32::from_be_bytes(*b"RCKN");

/// The schema versions before `application_id` was set: a file at one of them is Reckon's if
/// it has Reckon's tables.
const UNMARKED_VERSIONS: std::ops::RangeInclusive<i64> = 1..=3;

/// Whether the database behind `conn` may be opened by this Reckon, read before anything is
/// written to it (WAL included): refuses another application's file and a newer schema.
/// Returns the schema version.
fn check_identity(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    read_identity(conn, path).map_err(|e| match e {
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::NotADatabase => {
            StoreError::NotReckon { path: path.to_path_buf() }
        }
        other => other,
    })
}

fn read_identity(conn: &Connection, path: &Path) -> Result<i64, StoreError> {
    let known = SCHEMA_VERSION;
    // One statement, so one snapshot: another connection creating the schema meanwhile is
    // seen wholly or not at all.
    let (id, version, tables, reckon): (i32, i64, i64, i64) = conn.query_row(
        "SELECT (SELECT application_id FROM pragma_application_id),
                (SELECT user_version FROM pragma_user_version),
                (SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'),
                (SELECT count(*) FROM sqlite_schema
                 WHERE type = 'table' AND name IN ('chain', 'source_file', 'label'))",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let ours = match id {
        APPLICATION_ID => true,
        0 if tables == 0 && version == 0 => true,
        0 if UNMARKED_VERSIONS.contains(&version) => reckon == 3,
        _ => false,
    };
    if !ours {
        return Err(StoreError::NotReckon { path: path.to_path_buf() });
    }
    if version < 0 {
        // No Reckon writes one: the header is damaged, and migrating "from" it would loop.
        return Err(StoreError::Malformed {
            path: path.to_path_buf(),
            detail: format!("its schema version reads {version}, which no Reckon writes: its header is damaged"),
            sources: salvage(conn),
        });
    }
    if version > known {
        return Err(StoreError::NewerSchema { found: version, known });
    }
    Ok(version)
}

/// What a damaged file still says about its ledgers' sources: each query that fails on the
/// damage is skipped.
pub(super) fn salvage(conn: &Connection) -> Salvage {
    let mut found = Salvage::default();
    if let Ok(mut stmt) = conn.prepare("SELECT path FROM source_file GROUP BY path ORDER BY min(id)") {
        if let Ok(rows) = stmt.query_map([], |r| r.get::<_, String>(0)) {
            // A sync records each page by its URL: its base URL is listed below instead.
            found.files = rows
                .map_while(Result::ok)
                .filter(|p| !p.starts_with("http://") && !p.starts_with("https://"))
                .collect();
        }
    }
    if let Ok(mut stmt) = conn.prepare("SELECT DISTINCT source, base_url, customer FROM chain_sync ORDER BY 1, 2, 3") {
        if let Ok(rows) = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))) {
            found.syncs = rows.map_while(Result::ok).collect();
        }
    }
    found
}

/// `path`'s rollback journal, where a large write (`RollbackJournal`) that did not finish left
/// one SQLite would play back: SQLite calls it hot. A journal whose first byte is zero is not:
/// SQLite writes a header's magic number only when it syncs the journal, before the first page
/// of the database is overwritten, so a write killed before that leaves a journal that starts
/// with zeros, the database untouched, and every connection leaves both as they are.
fn hot_journal(path: &Path) -> Option<PathBuf> {
    use std::io::Read as _;
    let mut journal = path.as_os_str().to_owned();
    journal.push("-journal");
    let journal = PathBuf::from(journal);
    let mut first = [0u8; 1];
    let read = std::fs::File::open(&journal).and_then(|mut f| f.read_exact(&mut first));
    (read.is_ok() && first[0] != 0).then_some(journal)
}

/// Rolls back a large write a killed process left half done (its hot journal), and puts the
/// database back in WAL, before a read-only open: a connection that may not write cannot roll
/// it back, and reading the file without doing so would show half a write. Any open that can
/// write does the same (SQLite rolls back on its first read); where the file cannot be
/// written this leaves it, and the read-only open says so.
fn roll_back_interrupted_write(path: &Path) {
    if hot_journal(path).is_none() {
        return;
    }
    use rusqlite::OpenFlags;
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if let Ok(conn) = Connection::open_with_flags(path, flags) {
        let _ = conn.busy_timeout(BUSY_TIMEOUT);
        if conn.query_row("PRAGMA schema_version", [], |r| r.get::<_, i64>(0)).is_ok() {
            let _ = use_wal(&conn);
        }
    }
}

/// `path` as a SQLite URI opened read-only and immutable (`%`, `?` and `#` escaped).
fn immutable_uri(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut uri = String::from("file:");
    for c in absolute.to_string_lossy().chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri.push_str("?mode=ro&immutable=1");
    uri
}

impl Store {
    /// Runs `read` in one read transaction, unless one is open already: its statements then
    /// read one snapshot (a sync committing meanwhile is seen whole or not at all), and no
    /// longer each take the WAL's read lock and ask the file's size (a check of 100,000
    /// ledgers runs some 600,000 statements, and that was a third of its time).
    pub fn in_one_read<R>(&self, read: impl FnOnce() -> R) -> Result<R, StoreError> {
        if !self.conn.is_autocommit() {
            return Ok(read());
        }
        self.conn.execute_batch("BEGIN DEFERRED")?;
        /// Ends the read however `read` ends.
        struct End<'a>(&'a Connection);
        impl Drop for End<'_> {
            fn drop(&mut self) {
                // Nothing was written: ending the transaction cannot lose anything.
                let _ = self.0.execute_batch("COMMIT");
            }
        }
        let _end = End(&self.conn);
        Ok(read())
    }

    /// A store over `conn`, set up by the caller, with nothing kept yet.
    pub(super) fn over(conn: Connection) -> Store {
        Store { conn, labels: LabelCache::default(), cache: RefCell::default() }
    }

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// Another application's SQLite file, or a newer Reckon's, is refused before anything is
    /// written to it.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir { path: dir.to_path_buf(), source })?;
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        check_identity(&conn, path)?;
        Store::init(conn)
    }

    /// Opens the database at `path` for reading only: nothing is created, migrated or written
    /// (a missing file is `NoDatabase`, a database that needs migrating `NeedsMigration`).
    ///
    /// A WAL database needs its `-shm` file, which SQLite creates beside it; in a folder the
    /// user may not write, that fails, and the file is then opened `immutable` (SQLite reads
    /// it without locks or the shared memory, trusting that nobody writes it meanwhile, which
    /// nobody without write access to the folder can do but an administrator). The last
    /// writer's close has checkpointed the WAL into the file, so nothing is missed.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        if !path.is_file() {
            return Err(StoreError::NoDatabase { path: path.to_path_buf() });
        }
        if std::fs::metadata(path).is_ok_and(|m| m.len() == 0) {
            // Not "an older schema": nothing at all, which a read must not take for an empty ledger.
            return Err(StoreError::Empty { path: path.to_path_buf() });
        }
        roll_back_interrupted_write(path);
        let conn = match Store::read_only_connection(path, false) {
            // Read immutable, a half-done write would be read as if it were the database.
            Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)))
                if hot_journal(path).is_none()
                    && matches!(
                        e.code,
                        rusqlite::ErrorCode::CannotOpen
                            | rusqlite::ErrorCode::ReadOnly
                            | rusqlite::ErrorCode::PermissionDenied
                    ) =>
            {
                Store::read_only_connection(path, true)?
            }
            other => other?,
        };
        Ok(Store::over(conn))
    }

    /// Opens an existing database for a command that reads it and keeps a little of what it
    /// saw (a check keeps its history): for writing where the file can be written, else
    /// read-only (`is_read_only` tells which). Whatever `open_read_only` refuses is refused
    /// alike, with the same error (missing, empty, another application's, damaged header,
    /// older or newer schema), and nothing is ever created, migrated or repaired: the file is
    /// opened for writing only after a read-only open has accepted it, without `CREATE`.
    pub fn open_existing(path: &Path) -> Result<Store, StoreError> {
        let read_only = Store::open_read_only(path)?;
        match Store::writable_connection(path) {
            Some(conn) => Ok(Store::over(conn)),
            // A write-protected file or folder, a read-only file system: read as it is.
            None => Ok(read_only),
        }
    }

    /// A connection to the existing, current database at `path` that can write, set up as
    /// `init` sets one up but with nothing created, migrated or switched (a current database
    /// is in WAL already); `None` where SQLite cannot open it for writing.
    fn writable_connection(path: &Path) -> Option<Connection> {
        use rusqlite::OpenFlags;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).ok()?;
        conn.busy_timeout(BUSY_TIMEOUT).ok()?;
        let current = check_identity(&conn, path).ok()? == SCHEMA_VERSION;
        // SQLite falls back to reading only, silently, for a write-protected file.
        let writable = !conn.is_readonly(rusqlite::DatabaseName::Main).ok()?;
        if !(current && writable) {
            return None;
        }
        // Back in WAL after a large write that did not finish (`RollbackJournal`).
        use_wal(&conn).ok()?;
        conn.pragma_update(None, "synchronous", "FULL").ok()?;
        conn.pragma_update(None, "temp_store", "MEMORY").ok()?;
        conn.pragma_update(None, "cache_size", -32_000).ok()?;
        conn.set_prepared_statement_cache_capacity(STATEMENTS);
        Some(conn)
    }

    /// A read-only connection to `path`, identity and schema checked; `immutable` opens it
    /// without locks or shared memory (see `open_read_only`).
    pub(super) fn read_only_connection(path: &Path, immutable: bool) -> Result<Connection, StoreError> {
        use rusqlite::OpenFlags;
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = if immutable {
            Connection::open_with_flags(immutable_uri(path), flags)?
        } else {
            Connection::open_with_flags(path, flags)?
        };
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let version = check_identity(&conn, path)?;
        let known = SCHEMA_VERSION;
        if version < known {
            return Err(StoreError::NeedsMigration { path: path.to_path_buf(), found: version, known });
        }
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.pragma_update(None, "cache_size", -32_000)?;
        conn.set_prepared_statement_cache_capacity(STATEMENTS);
        Ok(conn)
    }

    /// Checks the database file below the ledgers, before `reckon doctor` opens it: an empty
    /// file is `Empty` (a wiped database is no healthy empty one), and a file SQLite cannot
    /// read whole (`PRAGMA quick_check`: damaged pages, cut off, a damaged header) is
    /// `Malformed`, listing the sources it still names. Reads only; nothing is created (a write
    /// a killed process left half done is rolled back first, as any open that can write does).
    pub fn check_file(path: &Path) -> Result<(), StoreError> {
        use rusqlite::OpenFlags;
        let meta = std::fs::metadata(path).map_err(|_| StoreError::NoDatabase { path: path.to_path_buf() })?;
        if meta.len() == 0 {
            return Err(StoreError::Empty { path: path.to_path_buf() });
        }
        roll_back_interrupted_write(path);
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let malformed = |detail: String, conn: &Connection| StoreError::Malformed {
            path: path.to_path_buf(),
            detail,
            sources: salvage(conn),
        };
        match check_identity(&conn, path) {
            Err(StoreError::Sqlite(e)) if is_corrupt(&e) => return Err(malformed(e.to_string(), &conn)),
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        let problems: Result<Vec<String>, rusqlite::Error> = conn
            .prepare("PRAGMA quick_check(20)")
            .and_then(|mut stmt| stmt.query_map([], |r| r.get::<_, String>(0))?.collect());
        match problems {
            Ok(lines) if lines == ["ok"] => Ok(()),
            Ok(lines) => Err(malformed(format!("SQLite's check: {}", lines.join("; ")), &conn)),
            Err(e)
                if is_corrupt(&e)
                    || matches!(&e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase) =>
            {
                Err(malformed(e.to_string(), &conn))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A database that lives only as long as the value (tests, previews).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Store::init(Connection::open_in_memory()?)
    }

    /// Whether this connection can only read (`open_read_only`).
    pub fn is_read_only(&self) -> bool {
        self.conn.is_readonly(rusqlite::DatabaseName::Main).unwrap_or(false)
    }

    pub(super) fn init(conn: Connection) -> Result<Store, StoreError> {
        // First, so that every statement below waits out another connection (the app opens one
        // for an import while the screens hold theirs) instead of failing "database is locked".
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // WAL lets the app read while an import writes; FULL keeps every commit durable.
        use_wal(&conn)?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // 32 MB of page cache: a million-row import measured no faster with 64 MB (6.5 s either
        // way) but peaked 33 MiB higher.
        conn.pragma_update(None, "cache_size", -32_000)?;
        conn.set_prepared_statement_cache_capacity(STATEMENTS);
        let mut store = Store::over(conn);
        store.migrate()?;
        Ok(store)
    }

    /// The database the CLI and the desktop app share unless told otherwise: `$RECKON_DB`, else
    /// `reckon/reckon.db` in the platform's data directory (`~/.local/share` on Linux).
    pub fn default_path() -> PathBuf {
        match std::env::var_os("RECKON_DB").filter(|p| !p.is_empty()) {
            Some(path) => PathBuf::from(path),
            None => dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("reckon").join("reckon.db"),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    #[test]
    fn an_immutable_open_reads_a_wal_database() {
        // What `open_read_only` falls back to in a folder the user may not write (where
        // SQLite cannot create the -shm file). Tests run as root, which no folder mode stops,
        // so the fallback is opened directly here.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("odd ?#% name.db");
        let mut store = Store::open(&path).unwrap();
        store.set_note("F-1", "kept", Utc::now()).unwrap();
        drop(store);
        let conn = Store::read_only_connection(&path, true).unwrap();
        let store = Store::over(conn);
        assert!(store.is_read_only());
        assert_eq!(store.notes().unwrap()["F-1"].note, "kept");
        assert!(!dir.path().join("odd ?#% name.db-shm").exists(), "an immutable open makes no -shm file");
    }

    fn journal_mode(store: &Store) -> String {
        mode_of(&store.conn)
    }

    fn mode_of(conn: &Connection) -> String {
        conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn a_large_write_alone_uses_a_rollback_journal_and_puts_wal_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let mut store = Store::open(&path).unwrap();
        for commit in [true, false] {
            let ingest = store.begin_large().unwrap();
            assert_eq!(mode_of(ingest.tx()), "truncate", "alone: out of WAL");
            assert_ne!(journal_mode(&Store::open_read_only(&path).unwrap()), "wal", "as another connection sees it");
            ingest
                .tx()
                .execute(
                    "INSERT INTO finding_note (finding_id, note, explained_at) VALUES (?1, 'n', 0)",
                    [commit.to_string()],
                )
                .unwrap();
            if commit {
                ingest.commit().unwrap();
            } else {
                drop(ingest);
            }
            assert_eq!(journal_mode(&store), "wal", "back in WAL after the write (commit: {commit})");
            assert_eq!(store.notes().unwrap().len(), 1, "committed once, rolled back once");
        }
        // Another connection open: the switch is refused at once, and the write stays in WAL.
        let other = Store::open(&path).unwrap();
        let started = std::time::Instant::now();
        let ingest = store.begin_large().unwrap();
        assert!(started.elapsed() < BUSY_TIMEOUT / 2, "the switch does not wait for the other connection");
        assert_eq!(journal_mode(&other), "wal");
        drop(ingest);
    }

    #[test]
    fn a_half_done_large_write_is_rolled_back_before_a_read_only_open() {
        // What a large import killed before its commit leaves: the file written in part, and
        // the journal of what it held before. Made here by copying both mid-write.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        let mut store = Store::open(&path).unwrap();
        store.set_note("F-1", "kept", Utc::now()).unwrap();
        let ingest = store.begin_large().unwrap();
        // Enough to spill SQLite's cache into the file before the commit.
        ingest.tx().execute_batch("PRAGMA cache_size = 10").unwrap();
        ingest
            .tx()
            .execute_batch(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
                 INSERT INTO finding_note (finding_id, note, explained_at) SELECT 'G-' || i, printf('%0500d', i), 0 FROM n;",
            )
            .unwrap();
        let crashed = dir.path().join("crashed.db");
        std::fs::copy(&path, &crashed).unwrap();
        std::fs::copy(dir.path().join("r.db-journal"), dir.path().join("crashed.db-journal")).unwrap();
        drop(ingest);
        assert!(hot_journal(&crashed).is_some());
        // A journal cut short before its first sync (its header not yet written) is no hot one.
        let cold = dir.path().join("cold.db");
        std::fs::copy(&crashed, &cold).unwrap();
        std::fs::write(dir.path().join("cold.db-journal"), [0u8; 512]).unwrap();
        assert!(hot_journal(&cold).is_none());
        Store::check_file(&crashed).unwrap();
        let read = Store::open_read_only(&crashed).unwrap();
        assert_eq!(read.notes().unwrap().len(), 1, "the half-done write is gone, what was committed kept");
        assert!(hot_journal(&crashed).is_none());
        assert_eq!(journal_mode(&read), "wal");
    }
}
