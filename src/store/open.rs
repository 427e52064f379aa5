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
        let conn = match Store::read_only_connection(path, false) {
            Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)))
                if matches!(
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
        Ok(Store { conn, labels: LabelCache::default(), cache: RefCell::default() })
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
            Some(conn) => Ok(Store { conn, labels: LabelCache::default(), cache: RefCell::default() }),
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
        conn.pragma_update(None, "synchronous", "FULL").ok()?;
        conn.pragma_update(None, "temp_store", "MEMORY").ok()?;
        conn.pragma_update(None, "cache_size", -32_000).ok()?;
        conn.set_prepared_statement_cache_capacity(STATEMENTS);
        Some(conn)
    }

    /// A read-only connection to `path`, identity and schema checked; `immutable` opens it
    /// without locks or shared memory (see `open_read_only`).
    fn read_only_connection(path: &Path, immutable: bool) -> Result<Connection, StoreError> {
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
    /// `Malformed`, listing the sources it still names. Reads only; nothing is created.
    pub fn check_file(path: &Path) -> Result<(), StoreError> {
        use rusqlite::OpenFlags;
        let meta = std::fs::metadata(path).map_err(|_| StoreError::NoDatabase { path: path.to_path_buf() })?;
        if meta.len() == 0 {
            return Err(StoreError::Empty { path: path.to_path_buf() });
        }
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
        let mut store = Store { conn, labels: LabelCache::default(), cache: RefCell::default() };
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
        let store = Store { conn, labels: LabelCache::default(), cache: RefCell::default() };
        assert!(store.is_read_only());
        assert_eq!(store.notes().unwrap()["F-1"].note, "kept");
        assert!(!dir.path().join("odd ?#% name.db-shm").exists(), "an immutable open makes no -shm file");
    }
}
