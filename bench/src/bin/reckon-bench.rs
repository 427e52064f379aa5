//! reckon-bench: Reckon against hledger, pandas and DuckDB on the same generated Reverie ledgers.
//!
//! For each size (10k, 100k, 1M by default) it generates the ledger once (reused afterwards),
//! then times, as medians of several runs of the release binaries:
//! - `reckon --db fresh.db import FILE` + `reckon --db fresh.db check --format json` on a fresh
//!   database (wall time, peak RSS, database size against the CSV's);
//! - `reckon check` alone on the stored ledger;
//! - re-importing the same file (expects 0 new entries);
//! - a ledger page (200 rows at offsets 0, N/2, N-200, with and without a type filter) and the
//!   filtered totals, through the engine's `Store` (feature `engine`) or else `reckon ledger`;
//! - `hledger -f JOURNAL check` on the same ledger (once at 1M, medians below);
//! - the same check the naive way in pandas and in DuckDB (`bench/py/*.py`, run by the Python
//!   interpreter given in RECKON_BENCH_PYTHON_BIN), with the breaks each reports;
//!
//! and checks that the balance breaks reckon reports are exactly the planted ones, and counts
//! every finding by severity and kind (errors should be the planted faults, warnings on a clean
//! realistic ledger about none): a precision regression shows like a speed regression.
//!
//! Then, per size, the JSON readers (`reverie-json`, `orb-json`, `stripe-json`): the same
//! ledger written by `reckon-gen --format` on one line and pretty-printed, each imported into a
//! fresh database, runs interleaved with the CSV's; one line against pretty, and Reverie's
//! one line against its CSV (`RECKON_BENCH_JSON=0` or `--no-json` skips it, `=only` or
//! `--json-only` runs only it).
//! Then, per size, the new shapes (on by default; `RECKON_BENCH_SHAPES=0` or `--no-shapes` skips
//! them, `=only` or `--shapes-only` runs only them): the usage feed with refunds of `n` rows, with
//! and without its `Balance` column (`reckon-gen --format usage-feed[-nobalance]`), import+check
//! on a fresh database against the Reverie CSV's of the same size in the same rounds (target:
//! at most 2x); the grant / spend / pending grant ledger of `n` rows (`reckon-gen --format
//! grant-ledger`) the same way, its findings checked to be exactly the planted ones (kind,
//! transaction IDs, delta); and the anchored walk: the feed without `Balance`, checked before and after
//! 1,000 anchors (`reckon anchor add`, one process each), the walk's time from `RECKON_TRACE`
//! (target: under 0.5 s).
//! And the workspace credit usage records (`reckon-gen --format workspace-conversations|
//! workspace-adjustments`): each tab's import+check in the same rounds (target: at most 2x the
//! Reverie CSV), its totals against the generator's sidecar (`reckon summary --by type`,
//! `--by billing-type`, `--by conversation`: every conversation's credits and entries), a
//! re-import (0 new), and for Conversations the later export (5% of the conversations with a
//! newer figure: its time, and exactly those stored as revisions). `RECKON_BENCH_SHAPES=
//! workspace` or `--workspace-only` runs only these (with the Reverie CSV).
//! It prints figures; it never fails on a time; a total that does not match is a failure,
//! printed as one.
//!
//! reckon-bench [--sizes 10000,100000,1000000] [--runs 5] [--data DIR] [--reckon PATH]
//!              [--seed S] [--messy] [--noisy-types] [--no-hledger] [--python PATH] [--no-python]
//!              [--no-json | --json-only] [--no-shapes | --shapes-only | --workspace-only]
//! Environment: RECKON_BENCH_SIZES, RECKON_BENCH_RUNS, RECKON_BENCH_DATA, RECKON_BENCH_MESSY=1,
//! RECKON_BENCH_NOISY=1,
//! RECKON_BENCH_HLEDGER=0, RECKON_BENCH_PYTHON=0, RECKON_BENCH_PYTHON_BIN, RECKON_BENCH_JSON=0|only,
//! RECKON_BENCH_SHAPES=0|only|workspace.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use reckon_bench::json::{Layout, Shape};
use reckon_bench::ledger;
use reckon_bench::measure::{self, median, Measured};
use serde_json::Value;

#[derive(Debug)]
struct Options {
    sizes: Vec<usize>,
    runs: usize,
    data: PathBuf,
    reckon: PathBuf,
    seed: u64,
    messy: bool,
    /// Ledgers with about 1% entries of a type not on the reference table (`TIP`).
    noisy_types: bool,
    hledger: bool,
    /// The interpreter that runs the pandas and DuckDB scripts; `None` skips them.
    python: Option<PathBuf>,
    /// Which of the CSV figures and the JSON readers' figures to run.
    sections: Sections,
    /// The new shapes' figures (usage feed, anchored walk).
    shapes: bool,
    /// Of the new shapes, only the workspace tabs (and the Reverie CSV they are timed against).
    workspace_only: bool,
    /// The many-chains case: this many customers of 100 entries in one file; 0 skips it.
    chains: usize,
    /// Only the many-chains case.
    chains_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sections {
    /// The CSV figures, then the JSON readers'.
    All,
    CsvOnly,
    JsonOnly,
    /// Neither (`RECKON_BENCH_SHAPES=only`): the new shapes alone.
    Neither,
}

impl Sections {
    fn csv(self) -> bool {
        matches!(self, Sections::All | Sections::CsvOnly)
    }

    fn json(self) -> bool {
        matches!(self, Sections::All | Sections::JsonOnly)
    }
}

/// One JSON reader's figures for one size: its one-line and pretty files, and the CSV of the
/// same ledger, each imported into a fresh database (medians).
#[derive(Debug)]
struct JsonRow {
    shape: Shape,
    size: usize,
    one_line: Option<Duration>,
    pretty: Option<Duration>,
    /// The CSV's import, timed in the same rounds (Reverie's row only).
    csv: Option<Duration>,
    one_line_bytes: u64,
    pretty_bytes: u64,
    /// Peak RSS of the one-line and the pretty import (worst run).
    one_line_rss_kib: Option<u64>,
    pretty_rss_kib: Option<u64>,
    /// "exact" when each layout's balance breaks are the planted ones.
    breaks: String,
    notes: Vec<String>,
}

/// The naive running-balance checks of other tools, each a script in `bench/py/`.
const OTHER_TOOLS: [(&str, &str); 2] = [("pandas", "pandas_check.py"), DUCKDB];

/// DuckDB's tool name and script: its runs alternate with Reckon's (`bench_size`).
const DUCKDB: (&str, &str) = ("DuckDB", "duckdb_check.py");

/// One other tool's figures for one size.
#[derive(Debug, Default)]
struct Other {
    tool: &'static str,
    wall: Option<Duration>,
    rss_kib: Option<u64>,
    /// Rows it flagged as breaks, for each run (DuckDB's vary: ties order differently).
    breaks: Vec<u64>,
    /// Why it has no figures.
    note: String,
}

/// Figures for one size; `None` where the step could not run.
#[derive(Debug, Default)]
struct Row {
    size: usize,
    csv_bytes: u64,
    import_check: Option<Duration>,
    import_only: Option<Duration>,
    peak_rss_kib: Option<u64>,
    db_bytes: Option<u64>,
    check_alone: Option<Duration>,
    check_rss_kib: Option<u64>,
    reimport: Option<Duration>,
    reimport_new: Option<String>,
    /// The newest entries alone, then the whole export, imported onto the rest already stored.
    append_delta: Option<Duration>,
    append_full: Option<Duration>,
    page: Option<Duration>,
    totals: Option<Duration>,
    query_note: String,
    hledger: Option<Duration>,
    hledger_rss_kib: Option<u64>,
    hledger_note: String,
    breaks: String,
    /// How many balance breaks the generator planted.
    planted: usize,
    /// The findings of the first `reckon check --format json`, by severity then kind.
    findings: Option<BTreeMap<(String, String), usize>>,
    notes: Vec<String>,
    others: Vec<Other>,
}

fn main() -> ExitCode {
    let opts = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("reckon-bench: {e}");
            return ExitCode::from(2);
        }
    };
    if !opts.reckon.exists() {
        eprintln!(
            "reckon-bench: {} not found; build it first: cargo build --release -p reckon -p reckon-bench",
            opts.reckon.display()
        );
        return ExitCode::from(2);
    }
    print_machine(&opts);
    if opts.chains_only {
        return match bench_chains(&opts) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                println!("many chains: could not run: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let mut rows = Vec::new();
    let mut json_rows = Vec::new();
    let mut shape_rows = Vec::new();
    for &n in &opts.sizes {
        if opts.sections.csv() {
            match bench_size(&opts, n) {
                Ok(row) => rows.push(row),
                Err(e) => {
                    println!("  {n}: could not run: {e}");
                    rows.push(Row { size: n, notes: vec![e], ..Row::default() });
                }
            }
        }
        if opts.sections.json() {
            match bench_json(&opts, n) {
                Ok(r) => json_rows.extend(r),
                Err(e) => println!("  {n}, JSON readers: could not run: {e}"),
            }
        }
        if opts.shapes {
            match bench_shapes(&opts, n) {
                Ok(r) => shape_rows.push(r),
                Err(e) => println!("  {n}, new shapes: could not run: {e}"),
            }
        }
    }
    if opts.sections.csv() {
        print_table(&opts, &rows);
    }
    if opts.sections.json() {
        print_json_table(&opts, &json_rows);
    }
    if opts.shapes {
        print_shapes_table(&opts, &shape_rows);
    }
    if opts.chains > 0 {
        if let Err(e) = bench_chains(&opts) {
            println!("many chains: could not run: {e}");
            return ExitCode::FAILURE;
        }
    }
    if shape_rows.iter().any(|r| !r.failures.is_empty()) {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Entries of each customer in the many-chains case.
const CHAIN_ENTRIES: usize = 100;

/// Many chains (issue 19 part 3): a vendor's whole customer base in one file, `o.chains`
/// customers of 100 entries each as Stripe's customer balance transactions (an array of pages,
/// one per customer, as `reckon sync stripe --all-customers` fetches them; Orb's entries are
/// larger, and 100,000 customers of them pass the 4 GiB a file may hold), every tenth customer
/// with 3 planted breaks. Per run, on a fresh database: `reckon import`, then `reckon check
/// --format json` (the breaks must be exactly the planted ones), then `reckon chains
/// --with-findings --format json` (every customer with a planted break listed). Prints the
/// medians, the peak RSS and the target (import+check <= 20 s) met or missed.
fn bench_chains(o: &Options) -> Result<(), String> {
    let accounts = o.chains.max(1);
    let file = o.data.join(format!("chains-{accounts}x{CHAIN_ENTRIES}.stripe.json"));
    fs::create_dir_all(&o.data).map_err(|e| e.to_string())?;
    if !file.exists() {
        let t = std::time::Instant::now();
        print!("generating {} ... ", file.display());
        let _ = std::io::stdout().flush();
        let gen = std::env::current_exe().map_err(|e| e.to_string())?.with_file_name("reckon-gen");
        run_gen(
            Command::new(&gen)
                .args([
                    "--accounts",
                    &accounts.to_string(),
                    "--entries",
                    &CHAIN_ENTRIES.to_string(),
                    "--seed",
                    &o.seed.to_string(),
                    "--faults",
                    "3",
                    "--format",
                    "stripe-json",
                    "--one-line",
                    "--out",
                ])
                .arg(&file),
        )?;
        println!("{:.1} s", t.elapsed().as_secs_f64());
    }
    let sidecar: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(format!("{}.faults.json", file.display())).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let mut planted: Vec<(String, Vec<String>, String)> = sidecar["balance_breaks"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|b| {
                    let ids = b["transaction_ids"].as_array().into_iter().flatten();
                    (
                        b["account"].as_str().unwrap_or_default().to_string(),
                        ids.map(|i| i.as_str().unwrap_or_default().to_string()).collect(),
                        b["delta"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    planted.sort();
    let mut faulty: Vec<&str> = planted.iter().map(|p| p.0.as_str()).collect();
    faulty.dedup();
    let mb = fs::metadata(&file).map_err(|e| e.to_string())?.len() as f64 / 1e6;
    let scratch = o.data.join("chains-scratch");
    let db = scratch.join("chains.db");
    let (mut imports, mut checks, mut boths, mut lists) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut rss = 0u64;
    for _ in 0..o.runs {
        for suffix in ["", "-wal", "-shm"] {
            let _ = fs::remove_file(format!("{}{suffix}", db.display()));
        }
        let imp = measure::run(Command::new(&o.reckon).arg("--db").arg(&db).arg("import").arg(&file), &scratch)
            .map_err(|e| e.to_string())?;
        if imp.code != Some(0) {
            return Err(format!("reckon import: exit {:?}: {}", imp.code, imp.stderr));
        }
        let chk =
            measure::run(Command::new(&o.reckon).arg("--db").arg(&db).args(["check", "--format", "json"]), &scratch)
                .map_err(|e| e.to_string())?;
        if !matches!(chk.code, Some(0 | 1)) {
            return Err(format!("reckon check: exit {:?}: {}", chk.code, chk.stderr));
        }
        let list = measure::run(
            Command::new(&o.reckon).arg("--db").arg(&db).args(["chains", "--with-findings", "--format", "json"]),
            &scratch,
        )
        .map_err(|e| e.to_string())?;
        if list.code != Some(0) {
            return Err(format!("reckon chains: exit {:?}: {}", list.code, list.stderr));
        }
        rss = rss.max(imp.max_rss_kib).max(chk.max_rss_kib);
        imports.push(imp.wall);
        checks.push(chk.wall);
        boths.push(imp.wall + chk.wall);
        lists.push(list.wall);
    }
    // The findings and the list read once the timed runs are over: a child forked while this
    // process holds them (100,000 ledgers' JSON parsed, some 400 MB) starts with that resident
    // set, and its peak RSS would report it (712 MiB instead of 301 for the import).
    let chk = measure::run(Command::new(&o.reckon).arg("--db").arg(&db).args(["check", "--format", "json"]), &scratch)
        .map_err(|e| e.to_string())?;
    let list = measure::run(
        Command::new(&o.reckon).arg("--db").arg(&db).args(["chains", "--with-findings", "--format", "json"]),
        &scratch,
    )
    .map_err(|e| e.to_string())?;
    let (exact, listed, listed_ok) = {
        let report: serde_json::Value = serde_json::from_str(&chk.stdout).map_err(|e| format!("check's JSON: {e}"))?;
        let mut found: Vec<(String, Vec<String>, String)> = report["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["kind"] == "balance_break")
            .map(|f| {
                let ids = f["transaction_ids"].as_array().into_iter().flatten();
                // A finding names its chain by its transaction IDs; the account is the
                // planted break's with the same IDs.
                let ids: Vec<String> = ids.map(|i| i.as_str().unwrap_or_default().to_string()).collect();
                let account = planted.iter().find(|p| p.1 == ids).map_or(String::new(), |p| p.0.clone());
                (account, ids, f["delta"].as_str().unwrap_or_default().to_string())
            })
            .collect();
        found.sort();
        let exact = found == planted;
        let chains: serde_json::Value = serde_json::from_str(&list.stdout).map_err(|e| format!("chains' JSON: {e}"))?;
        let rows = chains["rows"].as_array().cloned().unwrap_or_default();
        let listed = chains["total"].as_u64().unwrap_or(0) as usize;
        let listed_ok =
            faulty.iter().all(|a| rows.iter().any(|r| r["account"] == *a && r["open_errors"].as_u64() > Some(0)));
        (exact, listed, listed_ok)
    };
    let both = median(&boths).as_secs_f64();
    println!();
    println!(
        "Many chains: {accounts} customers x {CHAIN_ENTRIES} entries in one stripe-json file ({mb:.0} MB, one line), medians of {} runs, wall seconds (process start included):",
        o.runs
    );
    println!("| accounts | entries | import s | check s | import+check s | peak RSS MiB | chains --with-findings s | listed | planted breaks | target |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {accounts} | {} | {:.2} | {:.2} | {both:.2} | {} | {:.2} | {listed}{} | {} | import+check <= 20 s: {} |",
        accounts * CHAIN_ENTRIES,
        median(&imports).as_secs_f64(),
        median(&checks).as_secs_f64(),
        rss / 1024,
        median(&lists).as_secs_f64(),
        if listed_ok { "" } else { " (a planted customer missing)" },
        if exact { format!("exact ({})", planted.len()) } else { "NOT exact".into() },
        if both <= 20.0 { "met" } else { "MISSED" },
    );
    if !exact || !listed_ok {
        return Err("the findings are not the planted ones".into());
    }
    Ok(())
}

fn env_or(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn options() -> Result<Options, String> {
    let root = workspace_root();
    let mut o = Options {
        sizes: parse_sizes(&env_or("RECKON_BENCH_SIZES").unwrap_or_else(|| "10000,100000,1000000".into()))?,
        runs: env_or("RECKON_BENCH_RUNS")
            .map_or(Ok(5), |v| v.trim().parse().map_err(|_| "RECKON_BENCH_RUNS: expected a count"))?,
        data: env_or("RECKON_BENCH_DATA").map_or_else(|| root.join("target").join("bench-data"), PathBuf::from),
        reckon: std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(|d| d.join("reckon")))
            .unwrap_or_else(|| root.join("target/release/reckon")),
        seed: 42,
        messy: env_or("RECKON_BENCH_MESSY").is_some_and(|v| v != "0"),
        noisy_types: env_or("RECKON_BENCH_NOISY").is_some_and(|v| v != "0"),
        hledger: env_or("RECKON_BENCH_HLEDGER").as_deref() != Some("0"),
        python: match env_or("RECKON_BENCH_PYTHON").as_deref() {
            Some("0") => None,
            _ => Some(env_or("RECKON_BENCH_PYTHON_BIN").map_or_else(|| PathBuf::from("python3"), PathBuf::from)),
        },
        sections: match env_or("RECKON_BENCH_JSON").as_deref() {
            Some("0") => Sections::CsvOnly,
            Some("only") => Sections::JsonOnly,
            _ => Sections::All,
        },
        shapes: env_or("RECKON_BENCH_SHAPES").as_deref() != Some("0"),
        workspace_only: env_or("RECKON_BENCH_SHAPES").as_deref() == Some("workspace"),
        chains: env_or("RECKON_BENCH_CHAINS")
            .map_or(Ok(100_000), |v| v.trim().parse().map_err(|_| "RECKON_BENCH_CHAINS: expected a count"))?,
        chains_only: false,
    };
    if matches!(env_or("RECKON_BENCH_SHAPES").as_deref(), Some("only" | "workspace")) {
        o.sections = Sections::Neither;
    }
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--sizes" => o.sizes = parse_sizes(&value("--sizes")?)?,
            "--runs" => o.runs = value("--runs")?.parse().map_err(|_| "--runs: expected a count")?,
            "--data" => o.data = value("--data")?.into(),
            "--reckon" => o.reckon = value("--reckon")?.into(),
            "--seed" => o.seed = value("--seed")?.parse().map_err(|_| "--seed: expected an integer")?,
            "--messy" => o.messy = true,
            "--noisy-types" => o.noisy_types = true,
            "--no-hledger" => o.hledger = false,
            "--python" => o.python = Some(value("--python")?.into()),
            "--no-python" => o.python = None,
            "--no-json" => o.sections = Sections::CsvOnly,
            "--json-only" => o.sections = Sections::JsonOnly,
            "--no-shapes" => o.shapes = false,
            "--shapes-only" => {
                o.shapes = true;
                o.sections = Sections::Neither;
            }
            "--chains" => o.chains = value("--chains")?.parse().map_err(|_| "--chains: expected a count")?,
            "--chains-only" => o.chains_only = true,
            "--workspace-only" => {
                o.shapes = true;
                o.workspace_only = true;
                o.sections = Sections::Neither;
            }
            "-h" | "--help" => {
                println!(
                    "reckon-bench [--sizes 10000,100000,1000000] [--runs 5] [--data DIR] [--reckon PATH] [--seed S] [--messy] [--noisy-types] [--no-hledger] [--python PATH] [--no-python] [--no-json | --json-only] [--no-shapes | --shapes-only | --workspace-only] [--chains N] [--chains-only]"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if o.runs == 0 {
        return Err("runs must be at least 1".into());
    }
    Ok(o)
}

fn workspace_root() -> PathBuf {
    // bench/ is a member of the workspace at its parent.
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

fn parse_sizes(s: &str) -> Result<Vec<usize>, String> {
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let p = p.trim().replace('_', "").to_ascii_lowercase();
            let (num, mult) = if let Some(x) = p.strip_suffix('k') {
                (x.to_string(), 1_000)
            } else if let Some(x) = p.strip_suffix('m') {
                (x.to_string(), 1_000_000)
            } else {
                (p.clone(), 1)
            };
            num.parse::<usize>().map(|n| n * mult).map_err(|_| format!("bad size {p:?}"))
        })
        .collect()
}

fn print_machine(o: &Options) {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let version = |cmd: &str, arg: &str| {
        Command::new(cmd)
            .arg(arg)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or("").trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "not found".into())
    };
    println!("Reckon benchmark");
    println!("  machine: {cpu}, {cores} cores");
    println!("  reckon:  {} ({})", o.reckon.display(), version(o.reckon.to_str().unwrap_or("reckon"), "--version"));
    if o.sections.csv() {
        println!("  hledger: {}", if o.hledger { version("hledger", "--version") } else { "skipped".into() });
        println!("  python:  {}", python_versions(o));
    }
    println!(
        "  ledgers: seed {}, {}{}, in {}; {} runs per figure (median); query layer: {}",
        o.seed,
        if o.messy { "messy CSV" } else { "clean CSV" },
        if o.noisy_types { ", ~1% TIP entries (unknown type)" } else { "" },
        o.data.display(),
        o.runs,
        if cfg!(feature = "engine") {
            "reckon::store::Store"
        } else {
            "`reckon ledger` CLI (build with --features engine for in-process timings)"
        }
    );
    println!();
}

struct Files {
    csv: PathBuf,
    journal: PathBuf,
    faults: PathBuf,
}

/// The name every file of the size-`n` ledger starts with.
fn ledger_stem(o: &Options, n: usize) -> String {
    format!(
        "reverie-{n}-s{}{}{}",
        o.seed,
        if o.messy { "-messy" } else { "" },
        if o.noisy_types { "-noisy" } else { "" }
    )
}

fn ensure_ledger(o: &Options, n: usize) -> Result<Files, String> {
    fs::create_dir_all(&o.data).map_err(|e| format!("{}: {e}", o.data.display()))?;
    let stem = ledger_stem(o, n);
    let f = Files {
        csv: o.data.join(format!("{stem}.csv")),
        journal: o.data.join(format!("{stem}.journal")),
        faults: o.data.join(format!("{stem}.csv.faults.json")),
    };
    if f.csv.exists() && f.journal.exists() && f.faults.exists() {
        return Ok(f);
    }
    print!("  generating {n} entries ... ");
    let _ = std::io::stdout().flush();
    let t = std::time::Instant::now();
    let mut cmd = gen_command(o, n)?;
    cmd.arg("--out").arg(&f.csv).arg("--journal").arg(&f.journal);
    run_gen(&mut cmd)?;
    println!("{:.1} s", t.elapsed().as_secs_f64());
    Ok(f)
}

/// `reckon-gen` for the size-`n` ledger of these options; the caller adds the output.
/// Generated in a process of its own: a million entries held here would stay in this process's
/// resident set, and Linux carries a parent's peak RSS into the children forked after it
/// (`ru_maxrss`), so every later figure would show it.
fn gen_command(o: &Options, n: usize) -> Result<Command, String> {
    let gen = std::env::current_exe().map_err(|e| e.to_string())?.with_file_name("reckon-gen");
    let mut cmd = Command::new(&gen);
    cmd.args(["--entries", &n.to_string(), "--seed", &o.seed.to_string(), "--faults", "3"]);
    if o.messy {
        cmd.arg("--messy");
    }
    if o.noisy_types {
        cmd.arg("--noisy-types");
    }
    Ok(cmd)
}

fn run_gen(cmd: &mut Command) -> Result<(), String> {
    let gen = cmd.get_program().to_string_lossy().into_owned();
    let out = cmd.output().map_err(|e| format!("cannot run {gen}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{gen} failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(())
}

/// The size-`n` ledger as `shape`'s JSON in `layout`, generated once and reused.
fn ensure_json(o: &Options, n: usize, shape: Shape, layout: Layout) -> Result<PathBuf, String> {
    let path = o.data.join(format!("{}.{}.{}.json", ledger_stem(o, n), shape.name(), layout.name()));
    if path.exists() {
        return Ok(path);
    }
    print!("  generating {n} entries as {} ({}) ... ", shape.name(), layout.name());
    let _ = std::io::stdout().flush();
    let t = std::time::Instant::now();
    let mut cmd = gen_command(o, n)?;
    cmd.args(["--format", shape.name()]);
    if layout == Layout::OneLine {
        cmd.arg("--one-line");
    }
    // Written under another name and renamed once complete, so an interrupted run leaves no
    // truncated file to be reused.
    let partial = path.with_extension("json.partial");
    cmd.arg("--out").arg(&partial);
    run_gen(&mut cmd)?;
    fs::rename(&partial, &path).map_err(|e| format!("{}: {e}", path.display()))?;
    let _ = fs::rename(format!("{}.faults.json", partial.display()), format!("{}.faults.json", path.display()));
    println!("{:.1} s", t.elapsed().as_secs_f64());
    Ok(path)
}

fn remove_db(db: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

fn db_size(db: &Path) -> u64 {
    ["", "-wal"].iter().filter_map(|s| fs::metadata(format!("{}{s}", db.display())).ok()).map(|m| m.len()).sum()
}

fn reckon(o: &Options, db: &Path) -> Command {
    let mut c = Command::new(&o.reckon);
    c.arg("--db").arg(db);
    c
}

fn fail(what: &str, m: &Measured) -> String {
    let msg = m.stderr.lines().chain(m.stdout.lines()).take(6).collect::<Vec<_>>().join(" | ");
    format!("{what} exited {:?}: {msg}", m.code)
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 0.1 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

fn bench_size(o: &Options, n: usize) -> Result<Row, String> {
    println!("== {n} entries");
    let files = ensure_ledger(o, n)?;
    let scratch = o.data.join("run");
    fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
    let db = scratch.join(format!("fresh-{n}.db"));
    let mut row =
        Row { size: n, csv_bytes: fs::metadata(&files.csv).map_err(|e| e.to_string())?.len(), ..Row::default() };

    // 1. import + check into a fresh database, each run followed by one of DuckDB's on the
    // same file: this machine's speed moves by a third within minutes, and a ratio of runs
    // minutes apart compared moments as much as tools.
    let (mut both, mut import_only, mut rss) = (Vec::new(), Vec::new(), Vec::new());
    let mut check_json = None;
    let mut duckdb_runs = Vec::new();
    for _ in 0..o.runs {
        remove_db(&db);
        let imp = measure::run(reckon(o, &db).arg("import").arg(&files.csv), &scratch).map_err(|e| e.to_string())?;
        if imp.code != Some(0) {
            return Err(fail("reckon import", &imp));
        }
        let chk =
            measure::run(reckon(o, &db).args(["check", "--format", "json"]), &scratch).map_err(|e| e.to_string())?;
        if !matches!(chk.code, Some(0) | Some(1)) {
            return Err(fail("reckon check", &chk));
        }
        both.push(imp.wall + chk.wall);
        import_only.push(imp.wall);
        rss.push(imp.max_rss_kib.max(chk.max_rss_kib));
        check_json.get_or_insert(chk.stdout);
        if let Some(python) = &o.python {
            duckdb_runs.push(other_tool(python, DUCKDB.0, DUCKDB.1, &files.csv, 1, &scratch));
        }
    }
    let duckdb = (!duckdb_runs.is_empty()).then(|| merge_runs(DUCKDB.0, duckdb_runs));
    row.import_check = Some(median(&both));
    row.import_only = Some(median(&import_only));
    row.peak_rss_kib = Some(*rss.iter().max().unwrap_or(&0));
    row.db_bytes = Some(db_size(&db));
    println!(
        "  import+check (fresh db): {} (import {}), peak RSS {} (max of runs), db {:.1} MB = {:.2}x the CSV ({:.1} MB)",
        secs(median(&both)),
        secs(median(&import_only)),
        mib(row.peak_rss_kib.unwrap_or(0)),
        db_size(&db) as f64 / 1e6,
        db_size(&db) as f64 / row.csv_bytes as f64,
        row.csv_bytes as f64 / 1e6
    );
    row.breaks = compare_breaks(check_json.as_deref().unwrap_or(""), &files.faults, &mut row.notes);
    row.planted = planted(&files.faults).map_or(0, |p| p.len());
    println!("  planted breaks: {}", row.breaks);
    row.findings = count_findings(check_json.as_deref().unwrap_or(""));
    if let Some(counts) = &row.findings {
        let (errors, warnings) = severity_totals(counts);
        println!(
            "  findings: {errors} error{} ({} planted faults), {warnings} warning{}{}",
            if errors == 1 { "" } else { "s" },
            row.planted,
            if warnings == 1 { "" } else { "s" },
            if counts.is_empty() { String::new() } else { format!(": {}", by_kind_text(counts, None)) }
        );
    }
    for note in &row.notes {
        println!("    {note}");
    }

    // 2. check alone on the stored ledger.
    let mut t = Vec::new();
    let mut r = Vec::new();
    for _ in 0..o.runs {
        let chk =
            measure::run(reckon(o, &db).args(["check", "--format", "json"]), &scratch).map_err(|e| e.to_string())?;
        t.push(chk.wall);
        r.push(chk.max_rss_kib);
    }
    row.check_alone = Some(median(&t));
    row.check_rss_kib = Some(median(&r));
    println!("  check alone: {} (RSS {})", secs(median(&t)), mib(median(&r)));

    // 3. re-import the same file.
    let mut t = Vec::new();
    let mut new_counts = Vec::new();
    for _ in 0..o.runs {
        let imp = measure::run(reckon(o, &db).arg("import").arg(&files.csv), &scratch).map_err(|e| e.to_string())?;
        if imp.code != Some(0) {
            return Err(fail("reckon re-import", &imp));
        }
        t.push(imp.wall);
        new_counts
            .push(count_new(&imp.stdout).unwrap_or_else(|| format!("? ({})", imp.stdout.trim().replace('\n', " | "))));
    }
    row.reimport = Some(median(&t));
    new_counts.dedup();
    row.reimport_new = Some(new_counts.join("/"));
    println!("  re-import: {}, new entries: {}", secs(median(&t)), new_counts.join("/"));

    // 3b. the next day's imports: the newest entries arrive onto a chain holding all the others,
    // as an export of just those entries and as a whole export that repeats the stored ones.
    if let Err(e) = appends(o, &files.csv, n, &scratch, &mut row) {
        println!("  appends skipped: {e}");
    }

    // 4. queries.
    match queries(o, &db, n, &scratch) {
        Ok((page, totals, note)) => {
            row.page = Some(page);
            row.totals = Some(totals);
            row.query_note = note;
            println!(
                "  ledger page (worst offset): {}, filtered totals (worst): {}  [{}]",
                secs(page),
                secs(totals),
                row.query_note
            );
        }
        Err(e) => {
            row.query_note = e.clone();
            println!("  queries skipped: {e}");
        }
    }

    // 5. hledger on the same ledger.
    if o.hledger {
        let runs = if n >= 1_000_000 { 1 } else { o.runs };
        let mut t = Vec::new();
        let mut r = Vec::new();
        let mut note = String::new();
        for _ in 0..runs {
            let h = measure::run(Command::new("hledger").arg("-f").arg(&files.journal).arg("check"), &scratch)
                .map_err(|e| format!("hledger: {e}"))?;
            t.push(h.wall);
            r.push(h.max_rss_kib);
            note = hledger_outcome(&h, &files.faults);
        }
        row.hledger = Some(median(&t));
        row.hledger_rss_kib = Some(median(&r));
        row.hledger_note = note;
        println!(
            "  hledger check: {} (RSS {}, {} run{}): {}",
            secs(median(&t)),
            mib(median(&r)),
            runs,
            if runs == 1 { "" } else { "s" },
            row.hledger_note
        );
    }
    // 6. pandas and DuckDB, the naive way, on the same CSV (DuckDB's runs are step 1's).
    if let Some(python) = &o.python {
        let mut duckdb = duckdb;
        for (tool, script) in OTHER_TOOLS {
            let paired = if tool == DUCKDB.0 { duckdb.take() } else { None };
            let (other, runs, when) = match paired {
                Some(paired) => (paired, o.runs, ", each after one of Reckon's"),
                None => {
                    let runs = if n >= 1_000_000 { o.runs.min(3) } else { o.runs };
                    (other_tool(python, tool, script, &files.csv, runs, &scratch), runs, "")
                }
            };
            match (other.wall, other.rss_kib) {
                (Some(wall), Some(rss)) => println!(
                    "  {tool}: {} (RSS {}, {runs} run{}{when}), breaks reported: {} (planted: {})",
                    secs(wall),
                    mib(rss),
                    if runs == 1 { "" } else { "s" },
                    breaks_text(&other.breaks),
                    row.planted
                ),
                _ => println!("  {tool}: {}", other.note),
            }
            row.others.push(other);
        }
    }
    remove_db(&db);
    println!();
    Ok(row)
}

/// The JSON readers at size `n`: for each, the one-line and the pretty file of the same ledger
/// imported into a fresh database, `runs` rounds, each round importing every file once (the
/// CSV too) so that a slow moment of the machine falls on all of them alike.
fn bench_json(o: &Options, n: usize) -> Result<Vec<JsonRow>, String> {
    println!("== {n} entries, JSON readers");
    let files = ensure_ledger(o, n)?;
    let mut jobs: Vec<(Option<(Shape, Layout)>, PathBuf)> = vec![(None, files.csv.clone())];
    for shape in Shape::ALL {
        for layout in Layout::ALL {
            jobs.push((Some((shape, layout)), ensure_json(o, n, shape, layout)?));
        }
    }
    let scratch = o.data.join("run");
    fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
    let db = scratch.join(format!("json-{n}.db"));
    // Per job: wall times, peak RSS, and why it stopped (then it is not run again).
    let mut walls: Vec<Vec<Duration>> = vec![Vec::new(); jobs.len()];
    let mut rss: Vec<u64> = vec![0; jobs.len()];
    let mut failed: Vec<Option<String>> = vec![None; jobs.len()];
    let mut breaks: Vec<String> = vec![String::new(); jobs.len()];
    for round in 0..o.runs {
        for (k, (_, path)) in jobs.iter().enumerate() {
            if failed[k].is_some() {
                continue;
            }
            remove_db(&db);
            let imp = measure::run(reckon(o, &db).arg("import").arg(path), &scratch).map_err(|e| e.to_string())?;
            let added = count_new(&imp.stdout);
            if imp.code != Some(0) || added.as_deref() != Some(n.to_string().as_str()) {
                let why = if imp.code == Some(0) {
                    format!("imported {added:?} new entries, expected {n}")
                } else {
                    fail("reckon import", &imp)
                };
                println!("  {}: {why}", path.display());
                failed[k] = Some(why);
                continue;
            }
            walls[k].push(imp.wall);
            rss[k] = rss[k].max(imp.max_rss_kib);
            if round == 0 {
                // Untimed: the findings must be those of the CSV, whatever the layout.
                let chk = measure::run(reckon(o, &db).args(["check", "--format", "json"]), &scratch)
                    .map_err(|e| e.to_string())?;
                let mut notes = Vec::new();
                breaks[k] = compare_breaks(&chk.stdout, &files.faults, &mut notes);
            }
        }
    }
    remove_db(&db);
    let median_of = |k: usize| (!walls[k].is_empty()).then(|| median(&walls[k]));
    let size = |k: usize| fs::metadata(&jobs[k].1).map_or(0, |m| m.len());
    let mut rows = Vec::new();
    for shape in Shape::ALL {
        let at = |layout: Layout| jobs.iter().position(|(j, _)| *j == Some((shape, layout))).unwrap_or(0);
        let (one, pretty) = (at(Layout::OneLine), at(Layout::Pretty));
        let mut notes: Vec<String> = [one, pretty].iter().filter_map(|&k| failed[k].clone()).collect();
        let verdict = |k: usize| breaks[k].split(':').next().unwrap_or("").to_string();
        let all_exact = [one, pretty].iter().all(|&k| breaks[k].starts_with("exact"));
        for &k in &[one, pretty] {
            if !breaks[k].is_empty() && !breaks[k].starts_with("exact") {
                notes.push(format!("{}: {}", jobs[k].1.display(), breaks[k]));
            }
        }
        let row = JsonRow {
            shape,
            size: n,
            one_line: median_of(one),
            pretty: median_of(pretty),
            csv: if shape == Shape::ReverieJson { median_of(0) } else { None },
            one_line_bytes: size(one),
            pretty_bytes: size(pretty),
            one_line_rss_kib: median_of(one).map(|_| rss[one]),
            pretty_rss_kib: median_of(pretty).map(|_| rss[pretty]),
            breaks: if all_exact { "exact".into() } else { format!("{} / {}", verdict(one), verdict(pretty)) },
            notes,
        };
        let opt = |d: Option<Duration>| d.map_or("n/a".into(), secs);
        println!(
            "  {}: one line {} ({:.1} MB, RSS {}), pretty {} ({:.1} MB, RSS {}){}; planted breaks: {}",
            shape.name(),
            opt(row.one_line),
            row.one_line_bytes as f64 / 1e6,
            row.one_line_rss_kib.map_or("n/a".into(), mib),
            opt(row.pretty),
            row.pretty_bytes as f64 / 1e6,
            row.pretty_rss_kib.map_or("n/a".into(), mib),
            row.csv.map_or(String::new(), |c| format!(", CSV {} ({:.1} MB)", secs(c), size(0) as f64 / 1e6)),
            row.breaks
        );
        for note in &row.notes {
            println!("    {note}");
        }
        rows.push(row);
    }
    println!();
    Ok(rows)
}

/// What each JSON reader is held to: Reverie's one line within this many times its CSV, Orb's
/// and Stripe's one line within this many times their pretty answer.
fn json_target(shape: Shape) -> (&'static str, f64) {
    match shape {
        Shape::ReverieJson => ("one-line/CSV", 2.5),
        Shape::OrbJson | Shape::StripeJson => ("one-line/pretty", 1.5),
    }
}

/// `a / b` as `1.23x`, or `n/a`.
fn ratio(a: Option<Duration>, b: Option<Duration>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if !b.is_zero() => Some(a.as_secs_f64() / b.as_secs_f64()),
        _ => None,
    }
}

/// The JSON readers' table: one line against pretty (and Reverie's one line against its CSV),
/// each row's target marked met or MISSED.
fn print_json_table(o: &Options, rows: &[JsonRow]) {
    if rows.is_empty() {
        return;
    }
    let header = [
        "reader",
        "entries",
        "one-line s",
        "pretty s",
        "CSV s",
        "one-line/pretty",
        "one-line/CSV",
        "one-line MB",
        "pretty MB",
        "target",
        "planted breaks",
    ];
    let x = |r: Option<f64>| r.map_or("n/a".into(), |r| format!("{r:.2}x"));
    let s3 = |d: Option<Duration>| d.map_or("n/a".into(), |d| format!("{:.2}", d.as_secs_f64()));
    let mut lines: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for r in rows {
        let per_pretty = ratio(r.one_line, r.pretty);
        let per_csv = ratio(r.one_line, r.csv);
        let (what, limit) = json_target(r.shape);
        let measured = if r.shape == Shape::ReverieJson { per_csv } else { per_pretty };
        let target = match measured {
            Some(v) if v <= limit => format!("{what} <= {limit}x: met"),
            Some(v) => format!("{what} <= {limit}x: MISSED by {:.0}%", (v / limit - 1.0) * 100.0),
            None => format!("{what} <= {limit}x: n/a"),
        };
        lines.push(vec![
            r.shape.name().to_string(),
            r.size.to_string(),
            s3(r.one_line),
            s3(r.pretty),
            if r.shape == Shape::ReverieJson { s3(r.csv) } else { "-".into() },
            x(per_pretty),
            if r.shape == Shape::ReverieJson { x(per_csv) } else { "-".into() },
            format!("{:.1}", r.one_line_bytes as f64 / 1e6),
            format!("{:.1}", r.pretty_bytes as f64 / 1e6),
            target,
            r.breaks.clone(),
        ]);
    }
    let widths: Vec<usize> =
        (0..header.len()).map(|c| lines.iter().map(|l| l[c].chars().count()).max().unwrap_or(0)).collect();
    println!();
    println!(
        "JSON readers, one line against pretty (`reckon import` into a fresh database, wall seconds, medians of {} runs; figures only, nothing fails on a time)",
        o.runs
    );
    for (i, l) in lines.iter().enumerate() {
        let cells: Vec<String> = l.iter().zip(&widths).map(|(s, w)| format!("{s:>w$}", w = *w)).collect();
        println!("| {} |", cells.join(" | "));
        if i == 0 {
            println!("|{}|", widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("|"));
        }
    }
}

/// The interpreter's version and those of the two modules, or why they are missing.
fn python_versions(o: &Options) -> String {
    let Some(python) = &o.python else {
        return "skipped (pandas, DuckDB)".into();
    };
    let probe = "import sys, pandas, duckdb; print(sys.version.split()[0], 'pandas', pandas.__version__, 'duckdb', duckdb.__version__)";
    match Command::new(python).args(["-c", probe]).output() {
        Ok(out) if out.status.success() => {
            format!("{} ({})", python.display(), String::from_utf8_lossy(&out.stdout).trim())
        }
        Ok(out) => format!(
            "{}: {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("the probe failed")
        ),
        Err(e) => format!("{}: {e}", python.display()),
    }
}

/// Runs one tool's script `runs` times on `csv`.
fn other_tool(python: &Path, tool: &'static str, script: &str, csv: &Path, runs: usize, scratch: &Path) -> Other {
    let script = workspace_root().join("bench").join("py").join(script);
    let mut other = Other { tool, ..Other::default() };
    let (mut walls, mut rss) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let m = match measure::run(Command::new(python).arg(&script).arg(csv), scratch) {
            Ok(m) => m,
            Err(e) => {
                other.note = format!("skipped: cannot run {}: {e}", python.display());
                return other;
            }
        };
        match (m.code, parse_other_output(&m.stdout)) {
            (Some(0), Ok(breaks)) => {
                walls.push(m.wall);
                rss.push(m.max_rss_kib);
                other.breaks.push(breaks);
            }
            (Some(0), Err(e)) => {
                other.note = format!("could not read its output: {e}");
                other.breaks.clear();
                return other;
            }
            _ => {
                other.note = script_failure(m.code, &m.stderr);
                other.breaks.clear();
                return other;
            }
        }
    }
    other.wall = Some(median(&walls));
    other.rss_kib = Some(median(&rss));
    other
}

/// Single runs of one tool as one: median wall and RSS, every run's breaks; the first
/// failure's note if any run failed.
fn merge_runs(tool: &'static str, runs: Vec<Other>) -> Other {
    if let Some(failed) = runs.iter().find(|r| r.wall.is_none()) {
        return Other { tool, note: failed.note.clone(), ..Other::default() };
    }
    let walls: Vec<Duration> = runs.iter().filter_map(|r| r.wall).collect();
    let rss: Vec<u64> = runs.iter().filter_map(|r| r.rss_kib).collect();
    Other {
        tool,
        wall: Some(median(&walls)),
        rss_kib: Some(median(&rss)),
        breaks: runs.into_iter().flat_map(|r| r.breaks).collect(),
        note: String::new(),
    }
}

/// The `breaks` of a script's one line of JSON, `{"rows": N, "breaks": M}`.
fn parse_other_output(stdout: &str) -> Result<u64, String> {
    let line = stdout.lines().rev().find(|l| !l.trim().is_empty()).ok_or("no output")?;
    let v: Value = serde_json::from_str(line).map_err(|e| format!("{e} in {line:?}"))?;
    v["breaks"].as_u64().ok_or_else(|| format!("no \"breaks\" count in {line:?}"))
}

/// Why a script gave no figures. The scripts print one line on stderr and exit 69 (EX_UNAVAILABLE)
/// when their module is missing, 65 (EX_DATAERR) when the CSV does not parse; an interpreter that
/// cannot import the module some other way still says "No module named".
fn script_failure(code: Option<i32>, stderr: &str) -> String {
    let last = stderr.lines().rev().map(str::trim).find(|l| !l.is_empty()).unwrap_or("no message");
    let missing = stderr.lines().map(str::trim).find(|l| l.contains("No module named"));
    match (code, missing) {
        (Some(69), _) => format!("skipped: {last}"),
        (_, Some(line)) => format!("skipped: {line}"),
        (Some(65), None) => format!("could not parse the CSV: {last}"),
        (Some(c), None) => format!("failed (exit {c}): {last}"),
        (None, None) => format!("failed (killed by a signal): {last}"),
    }
}

/// "250518", or "250401-250612" when runs disagree.
fn breaks_text(breaks: &[u64]) -> String {
    match (breaks.iter().min(), breaks.iter().max()) {
        (Some(lo), Some(hi)) if lo == hi => lo.to_string(),
        (Some(lo), Some(hi)) => format!("{lo}-{hi}"),
        _ => "n/a".into(),
    }
}

/// How many of the newest entries the append figures add: 1,000, or a tenth of a small ledger.
fn append_count(n: usize) -> usize {
    (n / 10).clamp(1, 1_000)
}

/// Times importing the newest `append_count(n)` entries onto a database holding the rest, both
/// as an export of those entries alone and as the whole export again.
fn appends(o: &Options, csv: &Path, n: usize, scratch: &Path, row: &mut Row) -> Result<(), String> {
    let k = append_count(n);
    let older_path = scratch.join(format!("older-{n}.csv"));
    let newest_path = scratch.join(format!("newest-{n}.csv"));
    split_newest(csv, k, &newest_path, &older_path).map_err(|e| format!("{}: {e}", csv.display()))?;
    let db = scratch.join(format!("append-{n}.db"));
    let time = |file: &Path| -> Result<Duration, String> {
        let mut t = Vec::new();
        for _ in 0..o.runs {
            remove_db(&db);
            let base =
                measure::run(reckon(o, &db).arg("import").arg(&older_path), scratch).map_err(|e| e.to_string())?;
            if base.code != Some(0) {
                return Err(fail("reckon import (older entries)", &base));
            }
            let imp = measure::run(reckon(o, &db).arg("import").arg(file), scratch).map_err(|e| e.to_string())?;
            if imp.code != Some(0) {
                return Err(fail("reckon import (append)", &imp));
            }
            let added = count_new(&imp.stdout);
            if added.as_deref() != Some(k.to_string().as_str()) {
                return Err(format!("the append added {added:?} entries, expected {k}"));
            }
            t.push(imp.wall);
        }
        Ok(median(&t))
    };
    let delta = time(&newest_path);
    let full = time(csv);
    remove_db(&db);
    for p in [&older_path, &newest_path] {
        let _ = fs::remove_file(p);
    }
    row.append_delta = Some(delta?);
    row.append_full = Some(full?);
    println!(
        "  append {k} newest onto {} stored: {} as an export of those alone, {} as the whole export again",
        n - k,
        secs(row.append_delta.unwrap_or_default()),
        secs(row.append_full.unwrap_or_default())
    );
    Ok(())
}

/// Writes the header and the first `k` records of `csv` (the export is newest first, one
/// record per line: the generator writes no line breaks inside fields) to `newest`, the header
/// and the rest to `older`, a line at a time: the whole 10M file read into this process (and
/// copied twice) peaked it at 2.3 GB, and Linux carries a parent's peak RSS into every child
/// forked after it (`ru_maxrss`), so every later figure showed it.
fn split_newest(csv: &Path, k: usize, newest: &Path, older: &Path) -> std::io::Result<()> {
    use std::io::{BufRead, BufWriter, Write};
    let mut input = std::io::BufReader::new(fs::File::open(csv)?);
    let mut newest = BufWriter::new(fs::File::create(newest)?);
    let mut older = BufWriter::new(fs::File::create(older)?);
    // Each line's bytes as they are (a messy ledger's CRLF kept).
    let mut line = Vec::new();
    if input.read_until(b'\n', &mut line)? == 0 {
        return Err(std::io::Error::other("the ledger has no header"));
    }
    newest.write_all(&line)?;
    older.write_all(&line)?;
    let mut records = 0usize;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let out = if records < k { &mut newest } else { &mut older };
        out.write_all(&line)?;
        records += 1;
    }
    if records <= k {
        return Err(std::io::Error::other("the ledger is too short"));
    }
    newest.flush()?;
    older.flush()
}

/// "N new" in the import summary, or `"new": N` in JSON.
fn count_new(out: &str) -> Option<String> {
    if let Ok(v) = serde_json::from_str::<Value>(out.trim()) {
        let mut total = 0u64;
        let mut found = false;
        let mut stack = vec![&v];
        while let Some(x) = stack.pop() {
            match x {
                Value::Object(m) => {
                    if let Some(n) = m.get("new").and_then(Value::as_u64) {
                        total += n;
                        found = true;
                    } else {
                        stack.extend(m.values());
                    }
                }
                Value::Array(a) => stack.extend(a.iter()),
                _ => {}
            }
        }
        if found {
            return Some(total.to_string());
        }
    }
    let words: Vec<&str> = out
        .split(|c: char| c.is_whitespace() || c == ',' || c == ':' || c == '(' || c == ')')
        .filter(|w| !w.is_empty())
        .collect();
    for (i, w) in words.iter().enumerate() {
        if w.eq_ignore_ascii_case("new") {
            // "123 new" or "new: 123"
            if let Some(n) = i.checked_sub(1).and_then(|j| words[j].replace('_', "").parse::<u64>().ok()) {
                return Some(n.to_string());
            }
            if let Some(n) = words.get(i + 1).and_then(|w| w.parse::<u64>().ok()) {
                return Some(n.to_string());
            }
        }
    }
    None
}

fn cents(s: &str) -> Option<i64> {
    let s = s.trim().replace(['+', ','], "").replace('\u{2212}', "-");
    let (neg, body) = s.strip_prefix('-').map_or((false, s.as_str()), |b| (true, b));
    let (w, f) = body.split_once('.').unwrap_or((body, ""));
    let f = format!("{f:0<2}");
    if f.len() > 2 && f[2..].bytes().any(|b| b != b'0') {
        return None;
    }
    let v = w.parse::<i64>().ok()? * 100 + f[..2].parse::<i64>().ok()?;
    Some(if neg { -v } else { v })
}

fn planted(faults: &Path) -> Result<Vec<(String, String, i64)>, String> {
    let v: Value = serde_json::from_slice(&fs::read(faults).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    Ok(v["balance_breaks"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|b| {
                    let ids = b["transaction_ids"].as_array()?;
                    Some((ids[0].as_str()?.to_string(), ids[1].as_str()?.to_string(), cents(b["delta"].as_str()?)?))
                })
                .collect()
        })
        .unwrap_or_default())
}

/// Are the balance breaks of `reckon check --format json` exactly the planted ones?
fn compare_breaks(check_json: &str, faults: &Path, notes: &mut Vec<String>) -> String {
    let planted = match planted(faults) {
        Ok(p) => p,
        Err(e) => return format!("cannot read {}: {e}", faults.display()),
    };
    let v: Value = match serde_json::from_str(check_json.trim()) {
        Ok(v) => v,
        Err(e) => return format!("check output is not JSON ({e})"),
    };
    let findings = v["findings"].as_array().cloned().unwrap_or_default();
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    let mut reported = Vec::new();
    for f in &findings {
        let kind = f["kind"].as_str().unwrap_or("?").to_string();
        let sev = f["severity"].as_str().unwrap_or("?");
        *by_kind.entry(format!("{kind} ({sev})")).or_default() += 1;
        if kind == "balance_break" {
            let ids: Vec<String> = f["transaction_ids"]
                .as_array()
                .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
                .unwrap_or_default();
            let delta = f["delta"].as_str().and_then(cents);
            reported.push((ids, delta));
        }
    }
    let mut matched = 0;
    for (before, after, delta) in &planted {
        let hit = reported
            .iter()
            .any(|(ids, d)| ids.len() == 2 && &ids[0] == before && &ids[1] == after && *d == Some(*delta));
        if hit {
            matched += 1;
        } else {
            let near = reported.iter().find(|(ids, _)| ids.contains(before) || ids.contains(after));
            notes.push(match near {
                Some((ids, d)) => format!(
                    "planted {before} -> {after} ({}) reported as {ids:?} ({})",
                    ledger::cents_string(*delta),
                    d.map_or("no delta".into(), ledger::cents_string)
                ),
                None => format!("planted {before} -> {after} ({}) NOT reported", ledger::cents_string(*delta)),
            });
        }
    }
    let extra = reported.len().saturating_sub(matched);
    let other: Vec<String> =
        by_kind.iter().filter(|(k, _)| !k.starts_with("balance_break")).map(|(k, n)| format!("{n} {k}")).collect();
    if !other.is_empty() {
        notes.push(format!("other findings: {}", other.join(", ")));
    }
    let verdict = if matched == planted.len() && extra == 0 { "exact" } else { "MISMATCH" };
    format!("{verdict}: {matched}/{} planted found, {extra} unplanted balance_break", planted.len())
}

fn hledger_outcome(h: &Measured, faults: &Path) -> String {
    let first = planted(faults).ok().and_then(|p| p.first().cloned());
    match h.code {
        Some(0) => "passed (no assertion failed)".into(),
        Some(_) if h.stderr.contains("balance assertion") => {
            let txn = h.stderr.split(['(', ')']).find(|s| s.starts_with("txn_")).unwrap_or("?").to_string();
            let ok = first.as_ref().is_some_and(|(_, after, _)| *after == txn);
            format!(
                "stopped at the first break, {txn}{}",
                if ok { " (the first planted one)" } else { " (NOT the first planted one)" }
            )
        }
        code => format!("exit {code:?}: {}", h.stderr.lines().next().unwrap_or("")),
    }
}

/// Page and totals timings: (worst median page, worst median totals, what was measured).
#[cfg(feature = "engine")]
fn queries(o: &Options, db: &Path, _n: usize, _scratch: &Path) -> Result<(Duration, Duration, String), String> {
    use reckon::store::{LedgerFilter, Store};
    use std::time::Instant;
    let store = Store::open(db).map_err(|e| e.to_string())?;
    // The desktop always asks within one chain (LedgerQuery.chainId); so do we.
    let chain = store.chains().map_err(|e| e.to_string())?.into_iter().next().ok_or("no chain was imported")?;
    let all = LedgerFilter { chain_id: Some(chain.id), ..LedgerFilter::default() };
    let chat = LedgerFilter { types: vec!["CHAT".into()], ..all.clone() };
    let image = LedgerFilter { types: vec!["IMAGE".into()], ..all.clone() };
    // The middle third of the ledger's time span: both edges fall inside blocks.
    let (first, last) = (chain.first_ts.unwrap_or(0), chain.last_ts.unwrap_or(0));
    let span = (last - first) / 3;
    let dates = LedgerFilter { from: Some(first + span), to: Some(first + 2 * span), ..all.clone() };
    let dates_chat = LedgerFilter { types: vec!["CHAT".into()], ..dates.clone() };
    let views = [("all", &all), ("CHAT", &chat), ("IMAGE", &image), ("dates", &dates), ("dates+CHAT", &dates_chat)];
    // Every call gets a freshly opened store, so no call is served by what an earlier one
    // kept (the store keeps the last view): these are the figures of a first look.
    let time = |f: &dyn Fn(&Store) -> Result<usize, String>| -> Result<Duration, String> {
        let mut t = Vec::new();
        for _ in 0..o.runs.max(3) {
            let fresh = Store::open(db).map_err(|e| e.to_string())?;
            let s = Instant::now();
            let rows = f(&fresh)?;
            t.push(s.elapsed());
            std::hint::black_box(rows);
        }
        Ok(median(&t))
    };
    let mut page = Duration::ZERO;
    let mut detail = Vec::new();
    for (name, filter) in views {
        // The first page, the middle one and the last one of this view.
        let total = store.ledger_totals(filter).map_err(|e| e.to_string())?.entries;
        for off in [0, total / 2, total.saturating_sub(200)] {
            let d = time(&|s| s.ledger_page(filter, off, 200).map(|r| r.len()).map_err(|e| e.to_string()))?;
            page = page.max(d);
            detail.push(format!("page {name}@{off} {}", secs(d)));
        }
    }
    let mut totals = Duration::ZERO;
    for (name, filter) in views {
        let d = time(&|s| s.ledger_totals(filter).map(|t| t.entries as usize).map_err(|e| e.to_string()))?;
        totals = totals.max(d);
        detail.push(format!("totals {name} {}", secs(d)));
    }
    Ok((page, totals, format!("Store API, 200 rows, each call on a fresh connection; {}", detail.join(", "))))
}

/// Page and totals timings through the CLI, when it has a `ledger` command.
#[cfg(not(feature = "engine"))]
fn queries(o: &Options, db: &Path, n: usize, scratch: &Path) -> Result<(Duration, Duration, String), String> {
    let probe = Command::new(&o.reckon).args(["ledger", "--help"]).output().map_err(|e| e.to_string())?;
    if !probe.status.success() {
        return Err(format!("`reckon ledger` does not exist yet ({})", measure::describe(probe.status)));
    }
    let offsets = [0usize, n / 2, n.saturating_sub(200)];
    let mut page = Duration::ZERO;
    let mut detail = Vec::new();
    for ty in [None, Some("CHAT")] {
        for &off in &offsets {
            let mut t = Vec::new();
            for _ in 0..o.runs {
                let mut c = reckon(o, db);
                c.args(["ledger", "--offset", &off.to_string(), "--limit", "200", "--format", "json"]);
                if let Some(ty) = ty {
                    c.args(["--type", ty]);
                }
                let m = measure::run(&mut c, scratch).map_err(|e| e.to_string())?;
                if m.code != Some(0) {
                    return Err(fail("reckon ledger", &m));
                }
                t.push(m.wall);
            }
            page = page.max(median(&t));
            detail.push(format!("page {}@{off} {}", ty.unwrap_or("all"), secs(median(&t))));
        }
    }
    Ok((page, Duration::ZERO, format!("CLI process incl. start-up (totals not separable); {}", detail.join(", "))))
}

fn print_table(o: &Options, rows: &[Row]) {
    let opt = |d: Option<Duration>| d.map_or("n/a".into(), secs);
    let header = [
        "size",
        "import+check",
        "check alone",
        "re-import",
        "page",
        "totals",
        "peak RSS",
        "db/csv",
        "hledger",
        "ratio",
        "planted breaks",
    ];
    let mut lines: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for r in rows {
        let ratio = match (r.hledger, r.import_check) {
            (Some(h), Some(c)) if c > Duration::ZERO => format!("{:.1}x", h.as_secs_f64() / c.as_secs_f64()),
            _ => "n/a".into(),
        };
        lines.push(vec![
            format!("{}", r.size),
            opt(r.import_check),
            opt(r.check_alone),
            match (&r.reimport, &r.reimport_new) {
                (Some(d), Some(n)) => format!("{} ({n} new)", secs(*d)),
                _ => "n/a".into(),
            },
            opt(r.page),
            if r.totals == Some(Duration::ZERO) { "n/a".into() } else { opt(r.totals) },
            r.peak_rss_kib.map_or("n/a".into(), mib),
            r.db_bytes.map_or("n/a".into(), |b| format!("{:.2}", b as f64 / r.csv_bytes.max(1) as f64)),
            match (r.hledger, r.hledger_rss_kib) {
                (Some(d), Some(k)) => format!("{} / {}", secs(d), mib(k)),
                _ => "n/a".into(),
            },
            ratio,
            if r.breaks.is_empty() { "n/a".into() } else { r.breaks.split(':').next().unwrap_or("").to_string() },
        ]);
    }
    let widths: Vec<usize> =
        (0..header.len()).map(|c| lines.iter().map(|l| l[c].chars().count()).max().unwrap_or(0)).collect();
    println!("Summary (medians of {} runs; hledger = `hledger check` wall / RSS, 1 run at 1M; ratio = hledger / reckon import+check)", o.runs);
    for (i, l) in lines.iter().enumerate() {
        let cells: Vec<String> = l.iter().zip(&widths).map(|(s, w)| format!("{s:>w$}", w = *w)).collect();
        println!("| {} |", cells.join(" | "));
        if i == 0 {
            println!("|{}|", widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("|"));
        }
    }
    print_findings(rows);
    print_others(o, rows);
    print_large_targets(rows);
    if let Some(r) = rows.iter().find(|r| r.size == 1_000_000) {
        let mark = |ok: Option<bool>| match ok {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "n/a",
        };
        println!();
        println!("Targets at 1M (figures only; nothing fails on a time):");
        println!(
            "  import+check <= 2.0 s: {} ({})",
            mark(r.import_check.map(|d| d.as_secs_f64() <= 2.0)),
            opt(r.import_check)
        );
        println!(
            "  peak RSS <= 300 MiB: {} ({})",
            mark(r.peak_rss_kib.map(|k| k <= 300 * 1024)),
            r.peak_rss_kib.map_or("n/a".into(), mib)
        );
        println!(
            "  db <= 1.2x CSV: {} ({})",
            mark(r.db_bytes.map(|b| b as f64 <= 1.2 * r.csv_bytes as f64)),
            r.db_bytes.map_or("n/a".into(), |b| format!("{:.2}x", b as f64 / r.csv_bytes as f64))
        );
        println!(
            "  check alone <= 0.15 s (issue 19): {} ({})",
            mark(r.check_alone.map(|d| d.as_secs_f64() <= 0.15)),
            opt(r.check_alone)
        );
        // Issue 19: Reckon's import+check against DuckDB's read_csv + window query on the
        // same file in the same run (DuckDB stores nothing and cannot order same-second ties).
        let duckdb = r.others.iter().find(|x| x.tool == "DuckDB").and_then(|x| x.wall);
        println!(
            "  import+check <= DuckDB's time: {} (reckon {}, DuckDB {}, ratio {})",
            mark(r.import_check.zip(duckdb).map(|(c, d)| c <= d)),
            opt(r.import_check),
            opt(duckdb),
            ratio(r.import_check, duckdb).map_or("n/a".into(), |x| format!("{x:.2}x"))
        );
        println!(
            "  re-import <= 1.0 s, 0 added: {} ({}, {} new)",
            mark(r.reimport.map(|d| d.as_secs_f64() <= 1.0 && r.reimport_new.as_deref() == Some("0"))),
            opt(r.reimport),
            r.reimport_new.as_deref().unwrap_or("?")
        );
        println!("  page <= 20 ms: {} ({})", mark(r.page.map(|d| d.as_secs_f64() <= 0.020)), opt(r.page));
        println!(
            "  filtered totals <= 100 ms: {} ({})",
            mark(r.totals.filter(|d| !d.is_zero()).map(|d| d.as_secs_f64() <= 0.100)),
            if r.totals == Some(Duration::ZERO) { "n/a".into() } else { opt(r.totals) }
        );
    }
}

/// Issue 19's targets at 10M entries: import+check <= 10 s with peak RSS <= 512 MiB.
fn print_large_targets(rows: &[Row]) {
    let Some(r) = rows.iter().find(|r| r.size == 10_000_000) else { return };
    let mark = |ok: Option<bool>| match ok {
        Some(true) => "met",
        Some(false) => "MISSED",
        None => "n/a",
    };
    println!();
    println!("Targets at 10M (issue 19; figures only):");
    println!(
        "  import+check <= 10 s: {} ({})",
        mark(r.import_check.map(|d| d.as_secs_f64() <= 10.0)),
        r.import_check.map_or("n/a".into(), secs)
    );
    println!(
        "  peak RSS <= 512 MiB: {} ({})",
        mark(r.peak_rss_kib.map(|k| k <= 512 * 1024)),
        r.peak_rss_kib.map_or("n/a".into(), mib)
    );
}

/// The findings of `reckon check --format json` by (severity, kind); `None` if it is not JSON.
fn count_findings(check_json: &str) -> Option<BTreeMap<(String, String), usize>> {
    let v: Value = serde_json::from_str(check_json.trim()).ok()?;
    let mut counts = BTreeMap::new();
    for f in v["findings"].as_array()? {
        let severity = f["severity"].as_str().unwrap_or("?").to_string();
        let kind = f["kind"].as_str().unwrap_or("?").to_string();
        *counts.entry((severity, kind)).or_default() += 1;
    }
    Some(counts)
}

/// (errors, warnings).
fn severity_totals(counts: &BTreeMap<(String, String), usize>) -> (usize, usize) {
    let sum = |sev: &str| counts.iter().filter(|((s, _), _)| s == sev).map(|(_, n)| n).sum();
    (sum("error"), sum("warning"))
}

/// "3 balance_break, 30 unusual_amount", of one severity or (None) all, most frequent first;
/// "-" when none.
fn by_kind_text(counts: &BTreeMap<(String, String), usize>, severity: Option<&str>) -> String {
    let mut kinds: Vec<(&String, usize)> =
        counts.iter().filter(|((s, _), _)| severity.is_none_or(|want| s == want)).map(|((_, k), n)| (k, *n)).collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    if kinds.is_empty() {
        return "-".into();
    }
    kinds.iter().map(|(k, n)| format!("{n} {k}")).collect::<Vec<_>>().join(", ")
}

/// The findings table: per size, what `reckon check` reported, beside what was planted.
fn print_findings(rows: &[Row]) {
    let mut lines: Vec<Vec<String>> =
        vec![["size", "errors", "planted", "warnings", "errors by kind", "warnings by kind"]
            .iter()
            .map(|s| s.to_string())
            .collect()];
    for r in rows {
        let Some(counts) = &r.findings else {
            lines.push(vec![
                r.size.to_string(),
                "n/a".into(),
                r.planted.to_string(),
                "n/a".into(),
                "n/a".into(),
                "n/a".into(),
            ]);
            continue;
        };
        let (errors, warnings) = severity_totals(counts);
        lines.push(vec![
            r.size.to_string(),
            if errors == r.planted { errors.to_string() } else { format!("{errors} (NOT the planted)") },
            r.planted.to_string(),
            warnings.to_string(),
            by_kind_text(counts, Some("error")),
            by_kind_text(counts, Some("warning")),
        ]);
    }
    println!();
    println!(
        "Findings (reckon check --format json after the fresh import; errors should be the planted faults, warnings on a clean realistic ledger about 0)"
    );
    let widths: Vec<usize> = (0..6).map(|c| lines.iter().map(|l| l[c].chars().count()).max().unwrap_or(0)).collect();
    for (i, l) in lines.iter().enumerate() {
        let cells: Vec<String> = l.iter().zip(&widths).map(|(s, w)| format!("{s:>w$}", w = *w)).collect();
        println!("| {} |", cells.join(" | "));
        if i == 0 {
            println!("|{}|", widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("|"));
        }
    }
}

/// The second table: every tool's check of the same ledgers, with the breaks it reports.
fn print_others(o: &Options, rows: &[Row]) {
    if o.python.is_none() && !o.hledger {
        return;
    }
    let mut lines: Vec<Vec<String>> = vec![["size", "tool", "wall", "peak RSS", "breaks reported", "time / reckon's"]
        .iter()
        .map(|s| s.to_string())
        .collect()];
    for r in rows {
        let ratio = |d: Duration| match r.import_check {
            Some(c) if !c.is_zero() => format!("{:.1}x", d.as_secs_f64() / c.as_secs_f64()),
            _ => "n/a".into(),
        };
        let mut add = |tool: &str, wall: Option<Duration>, rss: Option<u64>, breaks: String| {
            lines.push(vec![
                r.size.to_string(),
                tool.to_string(),
                wall.map_or("n/a".into(), secs),
                rss.map_or("n/a".into(), mib),
                breaks,
                wall.map_or("n/a".into(), ratio),
            ]);
        };
        let reckon_breaks = if r.breaks.starts_with("exact") {
            format!("{} (exactly the planted)", r.planted)
        } else {
            r.breaks.clone()
        };
        add("reckon import+check", r.import_check, r.peak_rss_kib, reckon_breaks);
        if let Some(h) = r.hledger {
            add("hledger check", Some(h), r.hledger_rss_kib, "1 (stops at the first)".into());
        }
        for other in &r.others {
            // The per-size section printed the whole reason; the table keeps its first words.
            let breaks = match other.note.split_once(": ") {
                _ if !other.breaks.is_empty() => breaks_text(&other.breaks),
                Some((short, _)) => format!("{short} (see above)"),
                None => other.note.clone(),
            };
            add(other.tool, other.wall, other.rss_kib, breaks);
        }
    }
    if lines.len() == 1 {
        return;
    }
    println!();
    println!(
        "Same ledgers, every tool (planted breaks: {}; pandas and DuckDB order by time alone, so shuffled same-second rows count as breaks)",
        rows.first().map_or(0, |r| r.planted)
    );
    let widths: Vec<usize> = (0..6).map(|c| lines.iter().map(|l| l[c].chars().count()).max().unwrap_or(0)).collect();
    for (i, l) in lines.iter().enumerate() {
        let cells: Vec<String> = l.iter().zip(&widths).map(|(s, w)| format!("{s:>w$}", w = *w)).collect();
        println!("| {} |", cells.join(" | "));
        if i == 0 {
            println!("|{}|", widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("|"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scripts_output_gives_its_break_count() {
        assert_eq!(parse_other_output("{\"rows\": 10000, \"breaks\": 1627}\n"), Ok(1627));
        assert_eq!(parse_other_output("warming up\n{\"rows\": 3, \"breaks\": 0}\n\n"), Ok(0));
        assert!(parse_other_output("").is_err());
        assert!(parse_other_output("{\"rows\": 3}").unwrap_err().contains("breaks"));
        assert!(parse_other_output("Traceback (most recent call last):").is_err());
    }

    #[test]
    fn a_failed_script_says_why_in_one_line() {
        let missing = "duckdb_check: No module named 'duckdb'\n";
        assert_eq!(script_failure(Some(69), missing), "skipped: duckdb_check: No module named 'duckdb'");
        let traceback = "Traceback (most recent call last):\n  File \"x.py\", line 1\n    import pandas\n\
                         ModuleNotFoundError: No module named 'pandas'\n";
        assert_eq!(script_failure(Some(1), traceback), "skipped: ModuleNotFoundError: No module named 'pandas'");
        let messy = "pandas_check: m.csv: column 'Amount' did not parse as numbers\n";
        assert_eq!(
            script_failure(Some(65), messy),
            "could not parse the CSV: pandas_check: m.csv: column 'Amount' did not parse as numbers"
        );
        assert_eq!(script_failure(Some(2), "can't open file 'x.py'\n\n"), "failed (exit 2): can't open file 'x.py'");
        assert_eq!(script_failure(None, ""), "failed (killed by a signal): no message");
    }

    #[test]
    fn findings_are_counted_by_severity_and_kind() {
        let json = r#"{"chains": [], "findings": [
            {"kind": "balance_break", "severity": "error"},
            {"kind": "unusual_amount", "severity": "warning"},
            {"kind": "unusual_amount", "severity": "warning"},
            {"kind": "unknown_type", "severity": "warning"}]}"#;
        let counts = count_findings(json).unwrap();
        assert_eq!(severity_totals(&counts), (1, 3));
        assert_eq!(by_kind_text(&counts, Some("warning")), "2 unusual_amount, 1 unknown_type");
        assert_eq!(by_kind_text(&counts, Some("error")), "1 balance_break");
        assert_eq!(by_kind_text(&count_findings(r#"{"findings": []}"#).unwrap(), None), "-");
        assert!(count_findings("not json").is_none());
    }

    #[test]
    fn break_counts_show_their_spread() {
        assert_eq!(breaks_text(&[5, 5, 5]), "5");
        assert_eq!(breaks_text(&[7, 3, 5]), "3-7");
        assert_eq!(breaks_text(&[]), "n/a");
    }
}

/// How many anchors the anchored walk is measured with.
const ANCHORS: usize = 1_000;
/// Each new shape's import+check within this many times the Reverie CSV's.
const FEED_TARGET: f64 = 2.0;
/// The anchored walk under this many seconds.
const WALK_TARGET: f64 = 0.5;

/// The new shapes' figures for one size.
#[derive(Debug, Default)]
struct ShapeRow {
    size: usize,
    /// import+check (medians): the Reverie CSV, the feed with Balance, the feed without.
    csv: Option<Duration>,
    feed: Option<Duration>,
    feed_nobalance: Option<Duration>,
    csv_bytes: u64,
    feed_bytes: u64,
    nobalance_bytes: u64,
    /// Planted breaks found on the feed with Balance (`exact` ...).
    feed_breaks: String,
    /// import+check of the grant ledger (median), its size, and its findings against the
    /// planted ones (`exact` ...).
    grants: Option<Duration>,
    grants_bytes: u64,
    grants_findings: String,
    /// The findings on the feed without Balance (no anchors), by kind.
    nobalance_findings: String,
    /// `reckon check` of the feed without Balance, without and with the anchors (medians), and
    /// the walk's phase within it (`RECKON_TRACE`, medians).
    check_plain: Option<Duration>,
    check_anchored: Option<Duration>,
    walk_plain: Option<Duration>,
    walk_anchored: Option<Duration>,
    /// Adding the anchors, one `reckon anchor add` each, in all.
    anchors_added: usize,
    anchor_add: Option<Duration>,
    /// The findings of the anchored check, by kind (the anchors are the true balances: none).
    anchored_findings: String,
    /// The workspace tabs: import+check (medians) and sizes.
    ws_conv: Option<Duration>,
    ws_adj: Option<Duration>,
    ws_conv_bytes: u64,
    ws_adj_bytes: u64,
    /// Each tab's totals against its sidecar after the first import (`exact` ...).
    ws_conv_totals: String,
    ws_adj_totals: String,
    /// Re-importing each tab onto itself (medians; must add 0).
    ws_conv_reimport: Option<Duration>,
    ws_adj_reimport: Option<Duration>,
    /// Re-importing the same rows from a byte-different copy (CRLF), row by row (medians; 0 new).
    ws_conv_reread: Option<Duration>,
    ws_adj_reread: Option<Duration>,
    /// Importing the later Conversations export onto the first (median), its rows, and its
    /// verdict (exactly the changed conversations became revisions, totals after).
    ws_later: Option<Duration>,
    ws_later_rows: usize,
    ws_later_totals: String,
    /// Totals that did not match: failures, not figures.
    failures: Vec<String>,
    notes: Vec<String>,
}

/// The size-`n` usage feed, with or without `Balance`, generated once and reused.
fn ensure_feed(o: &Options, n: usize, with_balance: bool) -> Result<PathBuf, String> {
    fs::create_dir_all(&o.data).map_err(|e| format!("{}: {e}", o.data.display()))?;
    let format = if with_balance { "usage-feed" } else { "usage-feed-nobalance" };
    let path = o.data.join(format!("{format}-{n}-s{}.csv", o.seed));
    if path.exists() {
        return Ok(path);
    }
    print!("  generating {n} rows as {format} ... ");
    let _ = std::io::stdout().flush();
    let t = std::time::Instant::now();
    let gen = std::env::current_exe().map_err(|e| e.to_string())?.with_file_name("reckon-gen");
    let partial = path.with_extension("csv.partial");
    let mut cmd = Command::new(&gen);
    cmd.args(["--entries", &n.to_string(), "--seed", &o.seed.to_string(), "--faults", "3"]);
    cmd.args(["--format", format, "--anchors", &ANCHORS.to_string()]).arg("--out").arg(&partial);
    run_gen(&mut cmd)?;
    for suffix in [".faults.json", ".anchors.tsv"] {
        let _ = fs::rename(format!("{}{suffix}", partial.display()), format!("{}{suffix}", path.display()));
    }
    fs::rename(&partial, &path).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("{:.1} s", t.elapsed().as_secs_f64());
    Ok(path)
}

/// The size-`n` grant ledger, generated once and reused.
fn ensure_grants(o: &Options, n: usize) -> Result<PathBuf, String> {
    fs::create_dir_all(&o.data).map_err(|e| format!("{}: {e}", o.data.display()))?;
    let path = o.data.join(format!("grant-ledger-{n}-s{}.csv", o.seed));
    if path.exists() {
        return Ok(path);
    }
    print!("  generating {n} rows as grant-ledger ... ");
    let _ = std::io::stdout().flush();
    let t = std::time::Instant::now();
    let gen = std::env::current_exe().map_err(|e| e.to_string())?.with_file_name("reckon-gen");
    let partial = path.with_extension("csv.partial");
    let mut cmd = Command::new(&gen);
    cmd.args(["--entries", &n.to_string(), "--seed", &o.seed.to_string(), "--faults", "3"]);
    cmd.args(["--format", "grant-ledger"]).arg("--out").arg(&partial);
    run_gen(&mut cmd)?;
    let _ = fs::rename(format!("{}.faults.json", partial.display()), format!("{}.faults.json", path.display()));
    fs::rename(&partial, &path).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("{:.1} s", t.elapsed().as_secs_f64());
    Ok(path)
}

/// The size-`n` workspace tab (Conversations, with its later export, or Credit Adjustments)
/// and its `FILE.totals.json`, generated once and reused.
fn ensure_workspace(o: &Options, n: usize, conversations: bool) -> Result<PathBuf, String> {
    fs::create_dir_all(&o.data).map_err(|e| format!("{}: {e}", o.data.display()))?;
    let format = if conversations { "workspace-conversations" } else { "workspace-adjustments" };
    let path = o.data.join(format!("{format}-{n}-s{}.csv", o.seed));
    if path.exists() && (!conversations || later_of(&path).exists()) {
        return Ok(path);
    }
    print!("  generating {n} rows as {format} ... ");
    let _ = std::io::stdout().flush();
    let t = std::time::Instant::now();
    let gen = std::env::current_exe().map_err(|e| e.to_string())?.with_file_name("reckon-gen");
    let partial = path.with_extension("csv.partial");
    let mut cmd = Command::new(&gen);
    cmd.args(["--entries", &n.to_string(), "--seed", &o.seed.to_string(), "--format", format]);
    cmd.arg("--out").arg(&partial);
    if conversations {
        cmd.arg("--later").arg(later_of(&path));
    }
    run_gen(&mut cmd)?;
    let _ = fs::rename(format!("{}.totals.json", partial.display()), format!("{}.totals.json", path.display()));
    fs::rename(&partial, &path).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("{:.1} s", t.elapsed().as_secs_f64());
    Ok(path)
}

/// A copy of `path` with CRLF line ends (`FILE.crlf.csv`, made once): the same rows in other
/// bytes, so an import cannot skip it as a known file.
fn crlf_copy(path: &Path) -> Result<PathBuf, String> {
    let out = path.with_extension("crlf.csv");
    if !out.exists() {
        let text = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut crlf = Vec::with_capacity(text.len() + text.len() / 50);
        for &b in &text {
            if b == b'\n' {
                crlf.push(b'\r');
            }
            crlf.push(b);
        }
        let partial = out.with_extension("partial");
        fs::write(&partial, crlf).map_err(|e| format!("{}: {e}", partial.display()))?;
        fs::rename(&partial, &out).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    Ok(out)
}

/// The later Conversations export beside `conv`.
fn later_of(conv: &Path) -> PathBuf {
    conv.with_extension("later.csv")
}

/// Records a totals mismatch as a failure and gives the cell's text.
fn failure(failures: &mut Vec<String>, what: &str, why: String) -> String {
    println!("  FAILED: {what}: {why}");
    failures.push(format!("{what}: {why}"));
    "MISMATCH (see failures)".into()
}

fn read_json(path: &Path) -> Result<Value, String> {
    let bytes = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// A count in the sidecar at `keys`.
fn sidecar_u64(path: &Path, keys: &[&str]) -> Option<u64> {
    let v = read_json(path).ok()?;
    keys.iter().try_fold(&v, |v, k| v.get(*k)).and_then(Value::as_u64)
}

/// `reckon summary --by BY --format json` as (key, entries, credits in, credits out) in cents,
/// credits out positive. Read line by line: at 1M conversations the whole answer as a
/// `serde_json::Value` would take far more memory than the import being measured.
fn summary(o: &Options, db: &Path, scratch: &Path, by: &str) -> Result<Vec<(String, u64, i64, i64)>, String> {
    let m = measure::run(reckon(o, db).args(["summary", "--by", by, "--format", "json"]), scratch)
        .map_err(|e| e.to_string())?;
    if m.code != Some(0) {
        return Err(fail(&format!("reckon summary --by {by}"), &m));
    }
    let mut rows = Vec::new();
    let mut cur: (Option<String>, Option<u64>, Option<i64>, Option<i64>) = (None, None, None, None);
    let text = |l: &str| serde_json::from_str::<String>(l.trim_end_matches(',')).ok();
    for line in m.stdout.lines() {
        let l = line.trim();
        if let Some(v) = l.strip_prefix("\"key\": ") {
            cur.0 = text(v);
        } else if let Some(v) = l.strip_prefix("\"entries\": ") {
            cur.1 = v.trim_end_matches(',').parse().ok();
        } else if let Some(v) = l.strip_prefix("\"credits_in\": ") {
            cur.2 = text(v).as_deref().and_then(cents);
        } else if let Some(v) = l.strip_prefix("\"credits_out\": ") {
            cur.3 = text(v).as_deref().and_then(cents).map(i64::abs);
        } else if l.starts_with('}') {
            match std::mem::take(&mut cur) {
                (Some(k), Some(n), Some(i), Some(out)) => rows.push((k, n, i, out)),
                other => {
                    return Err(format!("reckon summary --by {by}: a row without key, entries or credits: {other:?}"))
                }
            }
        }
    }
    Ok(rows)
}

/// The first import's entries per conversation, to tell which ones a later export revised.
type Entries = std::collections::HashMap<String, u64>;

/// Checks a Conversations import against its sidecar: `summary --by type`, `--by billing-type`
/// and `--by conversation` (count, credits, fingerprint of every conversation's ID, credits
/// and entries). With `before` (the first import's entries per conversation), the totals
/// after the later export, and that the conversations with more entries are exactly the
/// sidecar's `revised`. Gives the verdict and the entries per conversation.
fn check_conversations(
    o: &Options,
    db: &Path,
    scratch: &Path,
    sidecar: &Path,
    before: Option<&Entries>,
) -> Result<(String, Entries), String> {
    let side = read_json(sidecar)?;
    let want = if before.is_some() { &side["later"]["after_later"] } else { &side };
    let want_entries = want["entries"].as_u64().ok_or("sidecar: no entries")?;
    let want_credits = want["credits"].as_str().and_then(cents).ok_or("sidecar: no credits")?;
    let want_count = want["conversations"].as_u64().ok_or("sidecar: no conversations")?;
    let mut wrong = Vec::new();
    let by_type = summary(o, db, scratch, "type")?;
    let got: Vec<_> = by_type.iter().map(|r| (r.0.as_str(), r.1, r.2, r.3)).collect();
    if got != [("CONVERSATION", want_entries, 0, want_credits)] {
        wrong.push(format!(
            "by type {got:?}, expected CONVERSATION {want_entries} entries, {} out",
            ledger::cents_string(want_credits)
        ));
    }
    let billing = summary(o, db, scratch, "billing-type")?;
    let want_billing: Vec<(String, u64, i64)> = want["by_billing_type"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (k.clone(), v["entries"].as_u64().unwrap_or(0), v["credits"].as_str().and_then(cents).unwrap_or(0))
                })
                .collect()
        })
        .unwrap_or_default();
    let got_billing: Vec<(String, u64, i64)> = billing.iter().map(|r| (r.0.clone(), r.1, r.3)).collect();
    if got_billing != want_billing {
        wrong.push(format!("by billing type {got_billing:?}, expected {want_billing:?}"));
    }
    let convs = summary(o, db, scratch, "conversation")?;
    let credits: i64 = convs.iter().map(|r| r.3).sum();
    let print = reckon_bench::workspace::fingerprint(convs.iter().map(|r| (r.0.as_str(), r.3, r.1)));
    if convs.len() as u64 != want_count || credits != want_credits {
        wrong.push(format!(
            "{} conversations, {} credits, expected {want_count}, {}",
            convs.len(),
            ledger::cents_string(credits),
            ledger::cents_string(want_credits)
        ));
    }
    if Some(print.as_str()) != want["fingerprint"].as_str() {
        wrong.push(format!(
            "fingerprint of (ID, credits, entries) {print}, expected {}: some conversation's figure or entries differ",
            want["fingerprint"]
        ));
    }
    let entries: Entries = convs.into_iter().map(|r| (r.0, r.1)).collect();
    let mut revised_text = String::new();
    if let Some(before) = before {
        let mut grew: Vec<&str> = entries
            .iter()
            .filter(|(id, n)| before.get(id.as_str()).is_none_or(|b| *n > b))
            .map(|(id, _)| id.as_str())
            .collect();
        let shrank = entries.iter().filter(|(id, n)| before.get(id.as_str()).is_some_and(|b| *n < b)).count();
        let mut want_revised: Vec<&str> = side["later"]["revised"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        grew.sort_unstable();
        want_revised.sort_unstable();
        if grew != want_revised || shrank > 0 {
            let extra = grew.iter().filter(|g| want_revised.binary_search(g).is_err()).count();
            let missing = want_revised.iter().filter(|w| grew.binary_search(w).is_err()).count();
            wrong.push(format!(
                "revised conversations: {} ({extra} not expected, {missing} expected missing, {shrank} lost entries)",
                grew.len()
            ));
        }
        revised_text = format!(", exactly the {} revised", want_revised.len());
    }
    if !wrong.is_empty() {
        return Err(wrong.join("; "));
    }
    Ok((
        format!(
            "exact: {want_count} conversations, {want_entries} entries, {} credits{revised_text}",
            ledger::cents_string(want_credits)
        ),
        entries,
    ))
}

/// Checks a Credit Adjustments import against its sidecar: `summary --by type` (entries,
/// credits in and out per type) and one reset anchor per package reset.
fn verify_adjustments(o: &Options, db: &Path, scratch: &Path, sidecar: &Path) -> Result<String, String> {
    let side = read_json(sidecar)?;
    let want: Vec<(String, u64, i64, i64)> = side["by_type"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let c = |f: &str| v[f].as_str().and_then(cents).unwrap_or(i64::MIN);
                    (k.clone(), v["entries"].as_u64().unwrap_or(0), c("credits_in"), c("credits_out"))
                })
                .collect()
        })
        .unwrap_or_default();
    let got = summary(o, db, scratch, "type")?;
    let mut wrong = Vec::new();
    if got != want {
        wrong.push(format!("by type {got:?}, expected {want:?}"));
    }
    let m =
        measure::run(reckon(o, db).args(["anchor", "list", "--format", "json"]), scratch).map_err(|e| e.to_string())?;
    if m.code != Some(0) {
        return Err(fail("reckon anchor list", &m));
    }
    let anchors: Value = serde_json::from_str(m.stdout.trim()).map_err(|e| format!("anchor list: {e}"))?;
    let resets = anchors["anchors"].as_array().map_or(0, |a| a.iter().filter(|x| x["kind"] == "reset").count()) as u64;
    let want_resets = side["package_resets"].as_u64().unwrap_or(0);
    if resets != want_resets {
        wrong.push(format!("{resets} reset anchors, expected {want_resets} (one per package reset)"));
    }
    if !wrong.is_empty() {
        return Err(wrong.join("; "));
    }
    let rows: u64 = want.iter().map(|w| w.1).sum();
    Ok(format!(
        "exact: {} types, {rows} entries ({} identical repeats kept), {resets} reset anchors",
        want.len(),
        side["identical_repeats"]
    ))
}

/// Are the findings of `reckon check --format json` exactly the planted ones of the sidecar's
/// `findings` (kind, transaction IDs, delta), no more?
fn compare_findings(check_json: &str, faults: &Path, notes: &mut Vec<String>) -> String {
    let key = |f: &Value| -> Option<(String, Vec<String>, i64)> {
        let ids =
            f["transaction_ids"].as_array()?.iter().map(|x| x.as_str().map(String::from)).collect::<Option<_>>()?;
        Some((f["kind"].as_str()?.to_string(), ids, cents(f["delta"].as_str()?)?))
    };
    let planted: Vec<_> = match fs::read(faults)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice::<Value>(&b).map_err(|e| e.to_string()))
    {
        Ok(v) => v["findings"].as_array().map(|a| a.iter().filter_map(key).collect()).unwrap_or_default(),
        Err(e) => return format!("cannot read {}: {e}", faults.display()),
    };
    let reported: Vec<_> = match serde_json::from_str::<Value>(check_json.trim()) {
        Ok(v) => {
            v["findings"].as_array().map(|a| a.iter().map(|f| key(f).ok_or(f.clone())).collect()).unwrap_or_default()
        }
        Err(e) => return format!("check output is not JSON ({e})"),
    };
    let found: Vec<&(String, Vec<String>, i64)> = reported.iter().filter_map(|r| r.as_ref().ok()).collect();
    let matched = planted.iter().filter(|p| found.contains(p)).count();
    for p in planted.iter().filter(|p| !found.contains(p)) {
        notes.push(format!("planted {} on {:?} ({}) NOT reported", p.0, p.1, ledger::cents_string(p.2)));
    }
    let mut extra = 0;
    for r in &reported {
        match r {
            Ok(f) if planted.contains(f) => {}
            Ok(f) => {
                extra += 1;
                notes.push(format!("unplanted {} on {:?} ({})", f.0, f.1, ledger::cents_string(f.2)));
            }
            Err(f) => {
                extra += 1;
                notes.push(format!("unplanted {} on {} (no delta)", f["kind"], f["transaction_ids"]));
            }
        }
    }
    let verdict = if matched == planted.len() && extra == 0 { "exact" } else { "MISMATCH" };
    format!("{verdict}: {matched}/{} planted found, {extra} unplanted", planted.len())
}

/// `trace: check: walk   12.3 ms` of a `RECKON_TRACE=1` run's standard error.
fn walk_phase(stderr: &str) -> Option<Duration> {
    stderr.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("trace: check: walk ")?;
        let ms: f64 = rest.trim().strip_suffix("ms")?.trim().parse().ok()?;
        Some(Duration::from_secs_f64(ms / 1e3))
    })
}

/// `reckon check --format json` with `RECKON_TRACE=1`: (wall, walk phase, findings by kind).
fn traced_check(o: &Options, db: &Path, scratch: &Path) -> Result<(Duration, Option<Duration>, String), String> {
    let m = measure::run(reckon(o, db).env("RECKON_TRACE", "1").args(["check", "--format", "json"]), scratch)
        .map_err(|e| e.to_string())?;
    // check exits 1 when it has findings of severity error.
    if !matches!(m.code, Some(0) | Some(1)) {
        return Err(fail("reckon check", &m));
    }
    let findings = count_findings(&m.stdout).map_or("check output is not JSON".into(), |c| by_kind_text(&c, None));
    Ok((m.wall, walk_phase(&m.stderr), findings))
}

/// The usage feed (with and without `Balance`) against the Reverie CSV of the same size, and
/// the anchored walk over the feed without `Balance`.
fn bench_shapes(o: &Options, n: usize) -> Result<ShapeRow, String> {
    println!("== {n} entries, new shapes (usage feed, grant ledger, anchored walk, workspace tabs)");
    let files = ensure_ledger(o, n)?;
    // --workspace-only: the other shapes are neither generated nor run.
    let (feed, nobalance, grants) = if o.workspace_only {
        (PathBuf::new(), PathBuf::new(), PathBuf::new())
    } else {
        (ensure_feed(o, n, true)?, ensure_feed(o, n, false)?, ensure_grants(o, n)?)
    };
    let faults = |p: &Path| PathBuf::from(format!("{}.faults.json", p.display()));
    let conv = ensure_workspace(o, n, true)?;
    let adj = ensure_workspace(o, n, false)?;
    let later = later_of(&conv);
    let jobs = [&files.csv, &feed, &nobalance, &grants, &conv, &adj];
    let scratch = o.data.join("run");
    fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
    let db = scratch.join(format!("shapes-{n}.db"));
    let mut row = ShapeRow { size: n, ..ShapeRow::default() };
    let mut walls: Vec<Vec<Duration>> = vec![Vec::new(); jobs.len()];
    let mut failed = [false, o.workspace_only, o.workspace_only, o.workspace_only, false, false];
    let mut reimports: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    let mut rereads: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    let crlf = [crlf_copy(&conv)?, crlf_copy(&adj)?];
    let mut laters: Vec<Duration> = Vec::new();
    let mut first_entries: Option<Entries> = None;
    let ws_totals = |p: &Path| PathBuf::from(format!("{}.totals.json", p.display()));
    for round in 0..o.runs {
        for (k, path) in jobs.iter().enumerate() {
            if failed[k] {
                continue;
            }
            remove_db(&db);
            let imp = measure::run(reckon(o, &db).arg("import").arg(path), &scratch).map_err(|e| e.to_string())?;
            let added = count_new(&imp.stdout);
            if imp.code != Some(0) || added.as_deref() != Some(n.to_string().as_str()) {
                let why = if imp.code == Some(0) {
                    format!("{}: imported {added:?} new entries, expected {n}", path.display())
                } else {
                    format!("{}: {}", path.display(), fail("reckon import", &imp))
                };
                println!("  {why}");
                row.notes.push(why);
                failed[k] = true;
                continue;
            }
            let chk = measure::run(reckon(o, &db).args(["check", "--format", "json"]), &scratch)
                .map_err(|e| e.to_string())?;
            if !matches!(chk.code, Some(0) | Some(1)) {
                row.notes.push(format!("{}: {}", path.display(), fail("reckon check", &chk)));
                failed[k] = true;
                continue;
            }
            walls[k].push(imp.wall + chk.wall);
            if round == 0 {
                match k {
                    1 => row.feed_breaks = compare_breaks(&chk.stdout, &faults(path), &mut row.notes),
                    2 => {
                        row.nobalance_findings = count_findings(&chk.stdout)
                            .map_or("check output is not JSON".into(), |c| by_kind_text(&c, None))
                    }
                    3 => row.grants_findings = compare_findings(&chk.stdout, &faults(path), &mut row.notes),
                    4 => match check_conversations(o, &db, &scratch, &ws_totals(path), None) {
                        Ok((verdict, entries)) => (row.ws_conv_totals, first_entries) = (verdict, Some(entries)),
                        Err(e) => row.ws_conv_totals = failure(&mut row.failures, "conversations", e),
                    },
                    5 => {
                        row.ws_adj_totals = verify_adjustments(o, &db, &scratch, &ws_totals(path))
                            .unwrap_or_else(|e| failure(&mut row.failures, "credit adjustments", e))
                    }
                    _ => {}
                }
            }
            if k >= 4 {
                // The same file again, then the same rows in other bytes (CRLF line ends, so
                // the known-file shortcut does not apply and every row is matched): nothing new.
                for (again, path) in [(&mut reimports[k - 4], *path), (&mut rereads[k - 4], &crlf[k - 4])] {
                    let re =
                        measure::run(reckon(o, &db).arg("import").arg(path), &scratch).map_err(|e| e.to_string())?;
                    let added = count_new(&re.stdout);
                    if re.code != Some(0) || added.as_deref() != Some("0") {
                        let why = format!("{}: re-import added {added:?} new entries, expected 0", path.display());
                        println!("  FAILED: {why}");
                        row.failures.push(why);
                    } else {
                        again.push(re.wall);
                    }
                }
            }
            if k == 4 {
                // The later export: exactly the conversations it moves on become revisions.
                let expected = sidecar_u64(&ws_totals(path), &["later", "changed"]);
                let imp =
                    measure::run(reckon(o, &db).arg("import").arg(&later), &scratch).map_err(|e| e.to_string())?;
                let added = count_new(&imp.stdout);
                if imp.code != Some(0) || added != expected.map(|e| e.to_string()) {
                    let why = format!(
                        "{}: the later export added {added:?} new entries, expected {expected:?} revisions",
                        later.display()
                    );
                    println!("  FAILED: {why}");
                    row.failures.push(why);
                } else {
                    laters.push(imp.wall);
                }
                if round == 0 {
                    row.ws_later_totals = match &first_entries {
                        None => "not checked (the first import's did not match)".into(),
                        Some(before) => match check_conversations(o, &db, &scratch, &ws_totals(path), Some(before)) {
                            Ok((verdict, _)) => verdict,
                            Err(e) => failure(&mut row.failures, "conversations after the later export", e),
                        },
                    };
                    first_entries = None;
                }
            }
        }
    }
    let median_of = |k: usize| (!walls[k].is_empty()).then(|| median(&walls[k]));
    let size = |p: &Path| fs::metadata(p).map_or(0, |m| m.len());
    (row.csv, row.feed, row.feed_nobalance) = (median_of(0), median_of(1), median_of(2));
    (row.csv_bytes, row.feed_bytes, row.nobalance_bytes) = (size(&files.csv), size(&feed), size(&nobalance));
    (row.grants, row.grants_bytes) = (median_of(3), size(&grants));
    (row.ws_conv, row.ws_adj, row.ws_conv_bytes, row.ws_adj_bytes) =
        (median_of(4), median_of(5), size(&conv), size(&adj));
    let med = |v: &[Duration]| (!v.is_empty()).then(|| median(v));
    (row.ws_conv_reimport, row.ws_adj_reimport, row.ws_later) = (med(&reimports[0]), med(&reimports[1]), med(&laters));
    (row.ws_conv_reread, row.ws_adj_reread) = (med(&rereads[0]), med(&rereads[1]));
    row.ws_later_rows = sidecar_u64(&ws_totals(&conv), &["later", "rows"]).unwrap_or(0) as usize;

    // The anchored walk: the feed without Balance as the last round left it... imported afresh.
    if !failed[2] {
        remove_db(&db);
        let imp = measure::run(reckon(o, &db).arg("import").arg(&nobalance), &scratch).map_err(|e| e.to_string())?;
        if imp.code != Some(0) {
            return Err(fail("reckon import", &imp));
        }
        let checks = |row: &mut ShapeRow| -> Result<(Duration, Option<Duration>, String), String> {
            let (mut wall, mut walk, mut findings) = (Vec::new(), Vec::new(), String::new());
            for _ in 0..o.runs {
                let (w, p, f) = traced_check(o, &db, &scratch)?;
                wall.push(w);
                walk.extend(p);
                findings = f;
            }
            if walk.is_empty() {
                row.notes.push("no `trace: check: walk` line in RECKON_TRACE's output".into());
            }
            Ok((median(&wall), (!walk.is_empty()).then(|| median(&walk)), findings))
        };
        let (wall, walk, _) = checks(&mut row)?;
        (row.check_plain, row.walk_plain) = (Some(wall), walk);
        let list = fs::read_to_string(format!("{}.anchors.tsv", nobalance.display())).map_err(|e| e.to_string())?;
        let started = std::time::Instant::now();
        for line in list.lines() {
            let mut parts = line.split('\t');
            let (Some(kind), Some(at), Some(balance)) = (parts.next(), parts.next(), parts.next()) else { continue };
            let mut cmd = reckon(o, &db);
            cmd.args(["anchor", "add", "--at", at, "--balance", balance, "--note", "reckon-bench"]);
            if kind == "opening" {
                cmd.arg("--opening");
            }
            let m = measure::run(&mut cmd, &scratch).map_err(|e| e.to_string())?;
            if m.code != Some(0) {
                return Err(fail("reckon anchor add", &m));
            }
            row.anchors_added += 1;
        }
        row.anchor_add = Some(started.elapsed());
        let (wall, walk, findings) = checks(&mut row)?;
        (row.check_anchored, row.walk_anchored, row.anchored_findings) = (Some(wall), walk, findings);
    }
    remove_db(&db);
    let opt = |d: Option<Duration>| d.map_or("n/a".into(), secs);
    if o.workspace_only {
        println!("  import+check: Reverie CSV {} ({:.1} MB)", opt(row.csv), row.csv_bytes as f64 / 1e6);
    }
    if !o.workspace_only {
        println!(
            "  import+check: Reverie CSV {} ({:.1} MB), usage feed {} ({:.1} MB, planted breaks: {}), without Balance {} ({:.1} MB, findings: {})",
            opt(row.csv),
            row.csv_bytes as f64 / 1e6,
            opt(row.feed),
            row.feed_bytes as f64 / 1e6,
            row.feed_breaks,
            opt(row.feed_nobalance),
            row.nobalance_bytes as f64 / 1e6,
            row.nobalance_findings
        );
        println!(
            "  import+check: grant ledger {} ({:.1} MB, planted findings: {})",
            opt(row.grants),
            row.grants_bytes as f64 / 1e6,
            row.grants_findings
        );
    }
    if !o.workspace_only {
        println!(
            "  anchored walk: check {} (walk {}) without anchors, {} (walk {}) with {} (added in {}); findings with them: {}",
            opt(row.check_plain),
            opt(row.walk_plain),
            opt(row.check_anchored),
            opt(row.walk_anchored),
            row.anchors_added,
            opt(row.anchor_add),
            row.anchored_findings
        );
    }
    println!(
        "  workspace: Conversations import+check {} ({:.1} MB; totals: {}), re-import {} (same rows, CRLF: {}); later export of {} rows {} (totals: {})",
        opt(row.ws_conv),
        row.ws_conv_bytes as f64 / 1e6,
        row.ws_conv_totals,
        opt(row.ws_conv_reimport),
        opt(row.ws_conv_reread),
        row.ws_later_rows,
        opt(row.ws_later),
        row.ws_later_totals
    );
    println!(
        "  workspace: Credit Adjustments import+check {} ({:.1} MB; totals: {}), re-import {} (same rows, CRLF: {})",
        opt(row.ws_adj),
        row.ws_adj_bytes as f64 / 1e6,
        row.ws_adj_totals,
        opt(row.ws_adj_reimport),
        opt(row.ws_adj_reread)
    );
    for note in &row.notes {
        println!("    {note}");
    }
    for f in &row.failures {
        println!("    FAILED: {f}");
    }
    println!();
    Ok(row)
}

/// `value <= limit` as met or MISSED.
fn verdict(what: &str, value: Option<f64>, limit: f64, unit: &str) -> String {
    match value {
        Some(v) if v <= limit => format!("{what} <= {limit}{unit}: met"),
        Some(v) => format!("{what} <= {limit}{unit}: MISSED by {:.0}%", (v / limit - 1.0) * 100.0),
        None => format!("{what} <= {limit}{unit}: n/a"),
    }
}

/// The new shapes' table: each feed against the CSV, then the anchored walk, with the targets.
fn print_shapes_table(o: &Options, rows: &[ShapeRow]) {
    if rows.is_empty() {
        return;
    }
    let s2 = |d: Option<Duration>| d.map_or("n/a".into(), |d| format!("{:.2}", d.as_secs_f64()));
    let x = |r: Option<f64>| r.map_or("n/a".into(), |r| format!("{r:.2}x"));
    let mut lines: Vec<Vec<String>> =
        vec![["shape", "entries", "import+check s", "Reverie CSV s", "ratio", "MB", "target", "findings"]
            .iter()
            .map(|s| s.to_string())
            .collect()];
    for r in rows {
        for (name, d, bytes, findings) in [
            ("usage feed", r.feed, r.feed_bytes, &r.feed_breaks),
            ("usage feed, no Balance", r.feed_nobalance, r.nobalance_bytes, &r.nobalance_findings),
            ("grant ledger", r.grants, r.grants_bytes, &r.grants_findings),
            ("workspace conversations", r.ws_conv, r.ws_conv_bytes, &r.ws_conv_totals),
            ("workspace credit adjustments", r.ws_adj, r.ws_adj_bytes, &r.ws_adj_totals),
        ] {
            if o.workspace_only && !name.starts_with("workspace") {
                continue;
            }
            let ratio = ratio(d, r.csv);
            lines.push(vec![
                name.to_string(),
                r.size.to_string(),
                s2(d),
                s2(r.csv),
                x(ratio),
                format!("{:.1}", bytes as f64 / 1e6),
                verdict("ratio", ratio, FEED_TARGET, "x"),
                findings.clone(),
            ]);
        }
    }
    print_grid(
        &format!(
            "New shapes: import+check on a fresh database against the Reverie CSV of the same size, same rounds (wall seconds, medians of {} runs; figures only)",
            o.runs
        ),
        &lines,
    );
    let mut lines: Vec<Vec<String>> = vec![[
        "tab",
        "entries",
        "re-import s",
        "same rows, CRLF s",
        "later export rows",
        "later export s",
        "later: totals and revisions",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()];
    for r in rows {
        lines.push(vec![
            "conversations".into(),
            r.size.to_string(),
            s2(r.ws_conv_reimport),
            s2(r.ws_conv_reread),
            r.ws_later_rows.to_string(),
            s2(r.ws_later),
            r.ws_later_totals.clone(),
        ]);
        lines.push(vec![
            "credit adjustments".into(),
            r.size.to_string(),
            s2(r.ws_adj_reimport),
            s2(r.ws_adj_reread),
            "-".into(),
            "-".into(),
            "-".into(),
        ]);
    }
    print_grid(
        &format!(
            "Workspace tabs: re-import of the same file (0 new; a known file is skipped by its fingerprint), of the same rows with CRLF line ends (0 new, every row matched), and the later Conversations export (5% of the conversations with a newer figure) imported onto the first (wall seconds, medians of {} runs)",
            o.runs
        ),
        &lines,
    );
    let failures: Vec<&String> = rows.iter().flat_map(|r| &r.failures).collect();
    if !failures.is_empty() {
        println!();
        println!("FAILURES (totals that do not match the generator's sidecar):");
        for f in failures {
            println!("  {f}");
        }
    }
    if o.workspace_only {
        return;
    }
    let mut lines: Vec<Vec<String>> = vec![[
        "entries",
        "anchors",
        "check s",
        "walk",
        "check s, anchored",
        "walk, anchored",
        "anchors added in s",
        "target",
        "findings, anchored",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()];
    let s3 = |d: Option<Duration>| d.map_or("n/a".into(), |d| format!("{:.3}", d.as_secs_f64()));
    for r in rows {
        lines.push(vec![
            r.size.to_string(),
            r.anchors_added.to_string(),
            s3(r.check_plain),
            r.walk_plain.map_or("n/a".into(), secs),
            s3(r.check_anchored),
            r.walk_anchored.map_or("n/a".into(), secs),
            s2(r.anchor_add),
            verdict("walk", r.walk_anchored.map(|d| d.as_secs_f64()), WALK_TARGET, " s"),
            r.anchored_findings.clone(),
        ]);
    }
    print_grid(
        &format!(
            "Anchored walk: the usage feed without Balance, `reckon check` before and after {ANCHORS} anchors (walk: RECKON_TRACE's `check: walk`; medians of {} runs)",
            o.runs
        ),
        &lines,
    );
}

fn print_grid(title: &str, lines: &[Vec<String>]) {
    let cols = lines.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..cols).map(|c| lines.iter().map(|l| l[c].chars().count()).max().unwrap_or(0)).collect();
    println!();
    println!("{title}");
    for (i, l) in lines.iter().enumerate() {
        let cells: Vec<String> = l.iter().zip(&widths).map(|(s, w)| format!("{s:>w$}", w = *w)).collect();
        println!("| {} |", cells.join(" | "));
        if i == 0 {
            println!("|{}|", widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("|"));
        }
    }
}
