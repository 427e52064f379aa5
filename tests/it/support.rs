//! Helpers: run the CLI against a temporary database, read planted faults, compare snapshots.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// A temporary database and the `reckon` binary pointed at it.
pub struct Db {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl Db {
    pub fn new() -> Db {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("reckon.db");
        Db { _dir: dir, path }
    }

    pub fn dir(&self) -> &Path {
        self.path.parent().expect("db has a parent")
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("reckon runs")
    }

    /// The command `run` runs, for callers that set more of its environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_reckon"));
        command.arg("--db").arg(&self.path).args(args).env("TZ", "UTC").current_dir(env!("CARGO_MANIFEST_DIR"));
        isolate_home(&mut command, self.dir());
        command
    }

    /// Runs and insists on an exit code, returning standard output.
    pub fn ok(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "reckon {args:?}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// `reckon import FILE` stored in windows of `window` bytes (`RECKON_WINDOW_BYTES`) or,
    /// with `None`, as a file of its size is by default.
    pub fn import_in_windows(&self, file: &Path, window: Option<u64>) -> Command {
        let mut command = self.command(&["import", &file.to_string_lossy()]);
        match window {
            Some(w) => command.env("RECKON_WINDOW_BYTES", w.to_string()),
            None => command.env_remove("RECKON_WINDOW_BYTES"),
        };
        command
    }

    pub fn import(&self, file: &str) -> String {
        self.ok(&["import", file], 0)
    }

    /// `check --format json`, parsed, with its exit code.
    pub fn check_json(&self, extra: &[&str]) -> (Value, i32) {
        let mut args = vec!["check", "--format", "json"];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        let code = out.status.code().expect("exit code");
        assert!(code == 0 || code == 1, "check failed: {}", String::from_utf8_lossy(&out.stderr));
        (serde_json::from_slice(&out.stdout).expect("check prints JSON"), code)
    }
}

/// Points `command`'s `HOME` and `XDG_*` directories into `dir`, so that nothing a test runs
/// reads or writes the real user's home (a keyring, a default database, a config).
pub fn isolate_home(command: &mut Command, dir: &Path) {
    let home = dir.join("home");
    for (var, sub) in [
        ("HOME", ""),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_STATE_HOME", ".local/state"),
    ] {
        let path = home.join(sub);
        std::fs::create_dir_all(&path).expect("test home");
        command.env(var, path);
    }
}

/// A finding reduced to what a planted fault fixes: kind, transaction IDs, delta.
pub type Fault = (String, Vec<String>, Option<String>);

pub fn faults(check: &Value) -> Vec<Fault> {
    let mut list: Vec<Fault> = check["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_string(),
                f["transaction_ids"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect(),
                f["delta"].as_str().map(str::to_string),
            )
        })
        .collect();
    list.sort();
    list
}

/// A fault as the tests write it: kind, transaction IDs, delta.
pub fn fault(kind: &str, ids: &[&str], delta: Option<&str>) -> Fault {
    (kind.to_string(), ids.iter().map(|s| s.to_string()).collect(), delta.map(str::to_string))
}

/// Writes `text` beside `db`'s database as `name`; its path.
pub fn file(db: &Db, name: &str, text: &str) -> PathBuf {
    let path = db.dir().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The faults `scripts/make_fixtures.py` planted in a fixture.
pub fn planted(fixture: &str) -> Vec<Fault> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/planted.json")).unwrap();
    let all: Value = serde_json::from_str(&text).unwrap();
    let mut list: Vec<Fault> = all[fixture]
        .as_object()
        .expect("fixture listed in planted.json")
        .iter()
        .map(|(kind, v)| {
            (
                kind.clone(),
                v[0].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect(),
                v[1].as_str().map(str::to_string),
            )
        })
        .collect();
    list.sort();
    list
}

/// Compares `actual` with `tests/<dir>/<name>`; `UPDATE_SNAPSHOTS=1` rewrites the file instead.
pub fn snapshot(dir: &str, name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join(dir).join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing snapshot {}; run with UPDATE_SNAPSHOTS=1 and review it", path.display()));
    assert_eq!(actual, expected, "snapshot {} differs", path.display());
}
