//! The architecture, held by tests (in the spirit of rust-analyzer's tidy tests): data flows
//! down, orchestration up. A layer that names one it must not know fails here, with the file
//! and line, instead of in review.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The places in `layer` (a folder or file under `src/`) that name one of the `forbidden`
/// modules of the crate, as `path:line: text`. Comments are skipped.
fn violations(layer: &str, forbidden: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let target = root.join(layer);
    let files = if target.is_dir() { sources(&target) } else { vec![target] };
    assert!(!files.is_empty(), "no sources in src/{layer}");
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for module in forbidden {
                let named =
                    [format!("crate::{module}"), format!("reckon::{module}"), format!("super::super::{module}")];
                if named.iter().any(|pattern| mentions(code, pattern)) {
                    let shown = file.strip_prefix(&root).unwrap_or(&file).display().to_string();
                    found.push(format!("src/{shown}:{}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    found
}

/// Whether `code` contains `pattern` as a whole path segment (`crate::import` but not
/// `crate::imports`).
fn mentions(code: &str, pattern: &str) -> bool {
    code.match_indices(pattern).any(|(at, _)| {
        let next = code[at + pattern.len()..].chars().next();
        !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

fn assert_layer(layer: &str, forbidden: &[&str]) {
    let found = violations(layer, forbidden);
    assert!(found.is_empty(), "src/{layer} must not name {forbidden:?}; it does at:\n{}", found.join("\n"));
}

#[test]
fn the_store_knows_neither_files_nor_rules() {
    assert_layer("store", &["import", "reconcile", "check", "report", "export"]);
}

#[test]
fn the_reconciler_receives_facts_not_a_store() {
    assert_layer("reconcile", &["store", "import", "check", "report", "export"]);
}

#[test]
fn the_model_and_the_ordering_depend_on_nothing_above_them() {
    assert_layer("model", &["store", "import", "reconcile", "check", "report", "export", "order"]);
    assert_layer("order.rs", &["model", "store", "import", "reconcile", "check", "report", "export"]);
}

#[test]
fn readers_do_not_reach_into_the_rules() {
    assert_layer("import", &["reconcile", "check", "report", "export"]);
}

#[test]
fn only_the_sync_and_the_cli_reach_the_network() {
    // `src/sync/` (the engine's sync orchestration) and `src/cli/` may use `reckon-api`,
    // reqwest and tokio; every layer below them must not.
    for layer in
        ["model", "order.rs", "import", "store", "reconcile", "check.rs", "report.rs", "export.rs", "journal.rs"]
    {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(layer);
        let files = if root.is_dir() { sources(&root) } else { vec![root] };
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                assert!(
                    !["reckon_api", "reqwest", "tokio"].iter().any(|c| mentions(code, c)),
                    "{}:{}: the engine names the network: {}",
                    file.display(),
                    n + 1,
                    line.trim()
                );
            }
        }
    }
}

#[test]
fn nothing_below_the_sync_names_it() {
    for layer in
        ["model", "order.rs", "import", "store", "reconcile", "check.rs", "report.rs", "export.rs", "journal.rs"]
    {
        assert_layer(layer, &["sync"]);
    }
}

#[test]
fn the_sync_reaches_the_network_and_the_cli_does_not_bypass_it() {
    // The engine's sync is where the network is allowed; the check above must not be vacuous.
    let sync = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sync/mod.rs")).unwrap();
    assert!(mentions(&sync, "reckon_api"), "src/sync/mod.rs fetches through reckon_api");
    // The CLI's sync runs the engine's sync rather than a fetch of its own.
    let cli = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cli/sync.rs")).unwrap();
    assert!(!mentions(&cli, "reckon_api") && mentions(&cli, "reckon::sync"), "src/cli/sync.rs calls reckon::sync");
}

#[test]
fn the_tidy_check_sees_a_violation() {
    // The check itself must be able to fail: a line naming a forbidden module is found.
    assert!(mentions("use crate::import::read_file;", "crate::import"));
    assert!(!mentions("use crate::imports::x;", "crate::import"));
    assert!(!violations("store", &["model"]).is_empty(), "the store uses the model, and the check must see that");
}

#[test]
fn the_check_finds_sources_in_the_model_not_the_readers() {
    assert_layer("check.rs", &["import"]);
}

#[test]
fn only_the_csv_and_json_engines_scan_records() {
    // A reader (a module with a `static READER`) declares its columns or its entry's members
    // and maps one record to an entry; reading, splitting and placing records is the
    // engines' (`import/csv.rs`, `import/json.rs`).
    let scanning = ["memchr", "RecordScan", "LoneCr", "LineCursor", "csv::Reader", "csv::ByteRecord", "from_str::<Vec"];
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/import");
    let mut readers = 0;
    for file in sources(&root) {
        let text = std::fs::read_to_string(&file).unwrap();
        if !text.contains("static READER: Reader") {
            continue;
        }
        readers += 1;
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        assert!(name != "csv.rs" && name != "json.rs", "src/import/{name} is an engine, not a reader");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let found: Vec<_> = scanning.iter().filter(|s| code.contains(*s)).collect();
            assert!(
                found.is_empty(),
                "src/import/{name}:{}: a reader scans records ({found:?}): {}",
                n + 1,
                line.trim()
            );
        }
    }
    assert!(readers >= 4, "the check must see the readers; it saw {readers}");
}

/// Where vendors may be named: the table (`src/sync/vendor.rs`) and the mock server, which
/// serves the API crate's test double of each (besides the API crate's own modules and tests).
const VENDOR_NAMERS: [&str; 3] = ["src/sync/vendor.rs", "src/cli/mock_server.rs", "src-tauri/src/tests.rs"];

/// Every source file (`.rs`, `.ts`, `.tsx`; no `*.test.*`) under `dir`, relative to the
/// repository.
fn code_files(dir: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs = vec![root.join(dir)];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                dirs.push(path);
            } else if [".rs", ".ts", ".tsx"].iter().any(|e| name.ends_with(e)) && !name.contains(".test.") {
                files.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    files.sort();
    files
}

/// Whether `code` holds `pattern` where a path segment starts (`orb::` but not `absorb::`).
fn starts_segment(code: &str, pattern: &str) -> bool {
    code.match_indices(pattern)
        .any(|(at, _)| !code[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_'))
}

/// How `code` (one line, comments cut) names a vendor of the table, if it does: a string
/// literal that is its name or title (`"orb"`, `'Stripe'`), or a path through its module or
/// an enum variant of it (`orb::fetch`, `Api::Orb`, `Kind::Stripe`).
fn names_a_vendor(code: &str) -> Option<String> {
    let lower = code.to_lowercase();
    for v in reckon::sync::VENDORS {
        for word in [v.name, v.title] {
            for quote in ['"', '\'', '`'] {
                let literal = format!("{quote}{}{quote}", word.to_lowercase());
                if lower.contains(&literal) {
                    return Some(literal);
                }
            }
        }
        let (module, variant) = (format!("{}::", v.name), format!("::{}", v.title));
        if starts_segment(code, &module) {
            return Some(module);
        }
        if mentions(code, &variant) {
            return Some(variant);
        }
    }
    None
}

/// The lines of `files` that name a vendor, as `path:line: text`.
fn vendor_violations(files: &[String]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let code = code.split("/*").next().unwrap_or("");
            if code.trim_start().starts_with('*') {
                continue; // inside a /** */ block
            }
            if let Some(how) = names_a_vendor(code) {
                found.push(format!("{file}:{}: {how} in {}", n + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn vendors_are_named_only_in_their_table() {
    // The CLI, the engine's sync, the shell and the screens go through `sync::VENDORS`: adding a
    // vendor is its API module, its reader and one table line, not an arm in every match.
    let mut files = Vec::new();
    for dir in ["src/cli", "src/sync", "src-tauri/src", "ui/src/screens"] {
        files.extend(code_files(dir).into_iter().filter(|f| !VENDOR_NAMERS.contains(&f.as_str())));
    }
    assert!(files.iter().any(|f| f.ends_with("Connections.tsx")), "the screens are scanned: {files:?}");
    let found = vendor_violations(&files);
    assert!(
        found.is_empty(),
        "a vendor is named outside src/sync/vendor.rs; read it from the table instead:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_vendor_check_sees_a_vendor_named() {
    assert!(names_a_vendor(r#"Api::from_name("orb")"#).is_some());
    assert!(names_a_vendor("match api { Api::Stripe => 1 }").is_some());
    assert!(names_a_vendor("let c = reverie::Client::new(config);").is_some());
    assert!(names_a_vendor(r#"source === 'reverie'"#).is_some());
    assert!(names_a_vendor("let absorb::x = Kind::Orbit; // orb").is_none());
    assert!(names_a_vendor(r#""reverie-json""#).is_none());
    // The table itself names every vendor, and the check must see that.
    assert!(!vendor_violations(&["src/sync/vendor.rs".to_string()]).is_empty());
}

/// The packages `package` is built with (normal and build dependencies, as `cargo build -p
/// package` resolves its features), by name.
fn dependencies_of(package: &str) -> Vec<String> {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["tree", "--offline", "--locked", "-p", package, "-e", "normal,build", "--prefix", "none", "-f", "{p}"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(out.status.success(), "cargo tree -p {package}: {}", String::from_utf8_lossy(&out.stderr));
    let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next().map(str::to_string))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The command line's crates stay with the command line: the engine as the app links it, and
/// the app itself, build without them (and without the mock APIs).
#[test]
fn the_desktop_app_links_no_command_line_crates() {
    // (anyhow is the CLI's too, but Tauri's build brings it to the app anyway.)
    const CLI_ONLY: [&str; 3] = ["clap", "indicatif", "rpassword"];
    let app = dependencies_of("reckon-desktop");
    assert!(app.iter().any(|p| p == "reckon"), "the app depends on the engine: {app:?}");
    let linked: Vec<&String> = app.iter().filter(|p| CLI_ONLY.contains(&p.as_str())).collect();
    assert!(
        linked.is_empty(),
        "the desktop app is built with {linked:?}; depend on reckon with default-features = false"
    );
    // The check can fail: the command line itself is built with them.
    let cli = dependencies_of("reckon");
    assert!(CLI_ONLY.iter().all(|c| cli.iter().any(|p| p == c)), "{cli:?}");
}

/// Parquet, Arrow and DataFusion are for `reckon export --parquet` and `reckon-scale`: the
/// desktop app builds without them.
#[test]
fn the_desktop_app_links_no_parquet_arrow_or_datafusion() {
    let heavy = |p: &String| {
        p == "parquet" || p.starts_with("arrow") || p.starts_with("datafusion") || p.starts_with("ballista")
    };
    let app = dependencies_of("reckon-desktop");
    let linked: Vec<&String> = app.iter().filter(|p| heavy(p)).collect();
    assert!(linked.is_empty(), "the desktop app is built with {linked:?}; keep them behind reckon's parquet feature");
    // The check can fail: the command line is built with parquet.
    assert!(dependencies_of("reckon").iter().any(|p| p == "parquet"), "reckon's CLI writes Parquet");
}
