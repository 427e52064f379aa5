//! reckon-gen: writes a realistic Reverie credit ledger of N entries as the CSV export (or as
//! the JSON answer of one of Reckon's JSON readers), and optionally the same ledger as an
//! hledger journal with one balance assertion per entry.
//!
//! reckon-gen --entries N --seed S --out FILE [--accounts A] [--format csv|reverie-json|orb-json|stripe-json|usage-feed|usage-feed-nobalance|grant-ledger|workspace-conversations|workspace-adjustments] [--one-line] [--anchors K] [--later FILE2]
//!            [--journal ledger.journal] [--messy] [--faults K] [--noisy-types]
//!
//! `--format` other than `csv` writes the same entries as that reader's JSON (see
//! `reckon_bench::json`), pretty-printed, or with `--one-line` on one line with no line end at
//! all. `--messy` changes the CSV's look; in JSON only its descriptions and names.
//! `--faults 0` makes a clean ledger (no planted fault); `--noisy-types` gives about 1% of the
//! entries the type `TIP`, not on Reverie's reference table (one `unknown_type` warning each).
//!
//! `usage-feed` and `usage-feed-nobalance` write a usage feed with refunds of exactly N rows,
//! with and without its `Balance` column (see `reckon_bench::feed`: the feed has charges and
//! refunds only, so it is a ledger of its own made from the generated ledger's charges and
//! refunds); `--anchors K` also writes `FILE.anchors.tsv`, K balances stated along it (an
//! opening one, then K-1 true ones), one `opening|stated<TAB>time<TAB>balance` a line.
//!
//! `grant-ledger` writes a grant / spend / pending grant ledger of exactly N rows (see
//! `reckon_bench::grants`) with `--faults K` rounds of planted findings: K balance breaks, K
//! pending grants that never settle, K settled for another amount, and one spend only pending
//! credits could cover; the sidecar's `findings` lists each (kind, transaction IDs, delta).
//!
//! `workspace-conversations` writes the Conversations tab of the workspace credit usage
//! records page, exactly N rows (about 2% later figures of an earlier conversation), with
//! `FILE.totals.json`, what `reckon summary` must give after importing it (and after importing
//! the later export too); `--later FILE2` also writes that later export: every conversation
//! once, 5% of them with a newer figure (see `reckon_bench::workspace`).
//! `workspace-adjustments` writes its Credit Adjustments tab, exactly N rows (every type,
//! monthly package resets, identical rows repeated), with `FILE.totals.json`.
//!
//! `--accounts A` (with `--format orb-json` or `stripe-json`) writes a vendor's whole customer
//! base: A customers of N entries each, one page per customer in an array of pages (what
//! `reckon sync orb|stripe --all-customers` fetches, saved as one file), every tenth customer
//! with `--faults K` planted balance breaks and the others clean; the sidecar names each break
//! with its account. Customers are `cust_000000`... (Orb's `external_customer_id`) or
//! `cus_000000`... (Stripe).
//!
//! Next to the CSV it writes `ledger.csv.faults.json`, naming each planted balance break (the
//! transaction IDs on both sides and the delta); the same is printed on stderr.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use reckon_bench::json::{self, Layout, Shape};
use reckon_bench::ledger::{self, cents_string, Config, CsvStyle};

const USAGE: &str = "usage: reckon-gen --entries N --seed S --out FILE [--accounts A] [--format csv|reverie-json|orb-json|stripe-json|usage-feed|usage-feed-nobalance|grant-ledger|workspace-conversations|workspace-adjustments] [--one-line] [--anchors K] [--later FILE2] [--journal ledger.journal] [--messy] [--faults K] [--noisy-types]";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("reckon-gen: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut entries: Option<usize> = None;
    let mut seed: u64 = 1;
    let mut out: Option<PathBuf> = None;
    let mut journal: Option<PathBuf> = None;
    let mut messy = false;
    let mut faults: usize = 3;
    let mut noisy_types = false;
    // None: the CSV export.
    let mut shape: Option<Shape> = None;
    let mut one_line = false;
    // Some(with Balance): the usage feed.
    let mut feed: Option<bool> = None;
    let mut anchors: usize = 0;
    let mut grants = false;
    // Some(conversations?): a workspace tab.
    let mut workspace: Option<bool> = None;
    let mut later: Option<PathBuf> = None;
    let mut accounts: Option<usize> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--entries" | "-n" => {
                entries =
                    Some(parse_count(&value("--entries")?).ok_or("--entries: expected a count such as 1000000 or 1m")?)
            }
            "--accounts" => {
                accounts = Some(
                    parse_count(&value("--accounts")?).ok_or("--accounts: expected a count such as 100000 or 100k")?,
                )
            }
            "--seed" => seed = value("--seed")?.parse().map_err(|_| "--seed: expected an integer")?,
            "--out" | "-o" => out = Some(value("--out")?.into()),
            "--journal" => journal = Some(value("--journal")?.into()),
            "--faults" => faults = value("--faults")?.parse().map_err(|_| "--faults: expected a count")?,
            "--messy" => messy = true,
            "--noisy-types" => noisy_types = true,
            "--format" => {
                let name = value("--format")?;
                shape = match name.as_str() {
                    "csv" => None,
                    "usage-feed" | "usage-feed-nobalance" => {
                        feed = Some(name == "usage-feed");
                        None
                    }
                    "grant-ledger" => {
                        grants = true;
                        None
                    }
                    "workspace-conversations" | "workspace-adjustments" => {
                        workspace = Some(name == "workspace-conversations");
                        None
                    }
                    other => Some(Shape::from_name(other).ok_or_else(|| {
                        format!("--format: {other:?} is not one of csv, reverie-json, orb-json, stripe-json, usage-feed, usage-feed-nobalance, grant-ledger, workspace-conversations, workspace-adjustments")
                    })?),
                }
            }
            "--one-line" => one_line = true,
            "--later" => later = Some(value("--later")?.into()),
            "--anchors" => anchors = value("--anchors")?.parse().map_err(|_| "--anchors: expected a count")?,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let entries = entries.ok_or("--entries is required")?;
    let out = out.ok_or("--out is required")?;
    if workspace.is_none() && faults > 0 && entries < 8 * (faults + 1) {
        return Err(format!("{entries} entries are too few to plant {faults} balance breaks"));
    }
    if one_line && shape.is_none() {
        return Err("--one-line is for a JSON --format".into());
    }

    if anchors > 0 && feed.is_none() {
        return Err("--anchors is for --format usage-feed or usage-feed-nobalance".into());
    }

    let write = |path: &PathBuf, f: &dyn Fn(&mut dyn Write) -> std::io::Result<()>| -> Result<(), String> {
        let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        f(&mut w).and_then(|_| w.flush()).map_err(|e| format!("{}: {e}", path.display()))
    };
    if later.is_some() && workspace != Some(true) {
        return Err("--later is for --format workspace-conversations".into());
    }
    if let Some(conversations) = workspace {
        use reckon_bench::workspace as ws;
        let sidecar = PathBuf::from(format!("{}.totals.json", out.display()));
        if conversations {
            let c = ws::conversations(entries, seed);
            write(&out, &|w| ws::write_conversations_csv(&c.rows, w))?;
            write(&sidecar, &|w| ws::write_conversations_totals(&c, w))?;
            if let Some(path) = &later {
                write(path, &|w| ws::write_conversations_csv(&c.later, w))?;
            }
            eprintln!(
                "reckon-gen: workspace conversations, {} rows ({} conversations, seed {seed}) -> {}; later export of {} rows, {} with a newer figure{}",
                c.rows.len(),
                c.later.len(),
                out.display(),
                c.later.len(),
                c.changed.len(),
                later.as_ref().map_or(" (not written: --later FILE2)".to_string(), |p| format!(" -> {}", p.display()))
            );
        } else {
            let a = ws::adjustments(entries, seed);
            write(&out, &|w| ws::write_adjustments_csv(&a, w))?;
            write(&sidecar, &|w| ws::write_adjustments_totals(&a, w))?;
            eprintln!(
                "reckon-gen: workspace credit adjustments, {} rows ({} package resets, seed {seed}) -> {}; final balance {}",
                a.rows.len(),
                a.rows.iter().filter(|r| r.kind == 1).count(),
                out.display(),
                cents_string(ws::adjustments_balance(&a))
            );
        }
        eprintln!("reckon-gen: totals in {}", sidecar.display());
        return Ok(());
    }
    if grants {
        let g = reckon_bench::grants::generate(entries, seed, faults);
        write(&out, &|w| reckon_bench::grants::write_csv(&g, w))?;
        let sidecar = PathBuf::from(format!("{}.faults.json", out.display()));
        write(&sidecar, &|w| reckon_bench::grants::write_faults_json(&g, w))?;
        eprintln!(
            "reckon-gen: grant ledger of {} rows ({} pending grants, seed {seed}) -> {}",
            g.rows.len(),
            g.rows.iter().filter(|r| r.kind == reckon_bench::grants::Kind::Pending).count(),
            out.display()
        );
        for p in &g.planted {
            eprintln!("reckon-gen: planted {} on {}, delta {}", p.kind, p.ids.join(", "), cents_string(p.delta));
        }
        return Ok(());
    }
    if let Some(with_balance) = feed {
        let f = reckon_bench::feed::generate(entries, seed, if with_balance { faults } else { 0 });
        write(&out, &|w| reckon_bench::feed::write_csv(&f, with_balance, w))?;
        let sidecar = PathBuf::from(format!("{}.faults.json", out.display()));
        write(&sidecar, &|w| reckon_bench::feed::write_faults_json(&f, with_balance, w))?;
        if anchors > 0 {
            let path = PathBuf::from(format!("{}.anchors.tsv", out.display()));
            write(&path, &|w| reckon_bench::feed::write_anchors(&f.anchors(anchors), w))?;
        }
        eprintln!(
            "reckon-gen: usage feed of {} rows ({} refunds, seed {seed}{}) -> {}; opening balance {}, final {}",
            f.rows.len(),
            f.rows.iter().filter(|r| r.refund).count(),
            if with_balance { ", with Balance" } else { ", no Balance" },
            out.display(),
            cents_string(f.opening),
            cents_string(f.rows.last().map_or(f.opening, |r| r.true_balance))
        );
        if with_balance {
            for b in &f.breaks {
                eprintln!(
                    "reckon-gen: planted balance_break between {} and {}, delta {}",
                    b.before,
                    b.after,
                    cents_string(b.delta)
                );
            }
        }
        return Ok(());
    }

    if let Some(accounts) = accounts {
        let shape = match shape {
            Some(s @ (Shape::OrbJson | Shape::StripeJson)) => s,
            _ => {
                return Err(
                    "--accounts is for --format orb-json or stripe-json (the formats that hold customers)".into()
                )
            }
        };
        return write_customer_base(&out, accounts, entries, seed, faults, messy, shape, one_line);
    }

    let config = Config { entries, seed, faults, messy, noisy_types };
    let ledger = ledger::generate(&config);

    match shape {
        None => write(&out, &|w| ledger::write_csv(&ledger, CsvStyle { messy }, w))?,
        Some(shape) => {
            let layout = if one_line { Layout::OneLine } else { Layout::Pretty };
            write(&out, &|w| json::write_json(&ledger, shape, layout, w))?
        }
    }
    let sidecar = PathBuf::from(format!("{}.faults.json", out.display()));
    write(&sidecar, &|w| ledger::write_faults_json(&ledger, w))?;
    if let Some(j) = &journal {
        write(j, &|w| ledger::write_journal(&ledger, w))?;
    }

    eprintln!(
        "reckon-gen: {} entries (seed {seed}{}{}) -> {} ({}); final balance {}",
        ledger.entries.len(),
        if messy { ", messy" } else { "" },
        if noisy_types { ", noisy types" } else { "" },
        out.display(),
        match shape {
            None => "csv".to_string(),
            Some(s) => format!("{}, {}", s.name(), if one_line { "one line" } else { "pretty" }),
        },
        cents_string(ledger.entries.last().map_or(0, |e| e.balance_after))
    );
    for b in &ledger.breaks {
        eprintln!(
            "reckon-gen: planted balance_break between {} and {}, delta {}",
            b.before,
            b.after,
            cents_string(b.delta)
        );
    }
    eprintln!("reckon-gen: faults listed in {}", sidecar.display());
    Ok(())
}

/// `accounts` customers of `entries` entries each as one file of `shape` pages, every tenth
/// customer with `faults` planted breaks; the sidecar `FILE.faults.json` names every break with
/// its account.
#[allow(clippy::too_many_arguments)]
fn write_customer_base(
    out: &PathBuf,
    accounts: usize,
    entries: usize,
    seed: u64,
    faults: usize,
    messy: bool,
    shape: Shape,
    one_line: bool,
) -> Result<(), String> {
    let layout = if one_line { Layout::OneLine } else { Layout::Pretty };
    let ledgers = (0..accounts).map(|a| {
        let config = Config {
            entries,
            seed: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(a as u64),
            faults: if a % 10 == 0 { faults } else { 0 },
            messy,
            noisy_types: false,
        };
        (json::Customer::nth(shape, a), ledger::generate(&config))
    });
    let mut breaks = String::new();
    let mut planted = 0usize;
    let mut total = 0usize;
    let file = File::create(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    json::write_customer_pages(ledgers, shape, layout, &mut w, |customer, l| {
        total += l.entries.len();
        for b in &l.breaks {
            use std::fmt::Write as _;
            let _ = write!(
                breaks,
                "{}    {{ \"account\": \"{}\", \"transaction_ids\": [\"{}\", \"{}\"], \"delta\": \"{}\" }}",
                if planted > 0 { ",\n" } else { "" },
                customer.account(shape),
                b.before,
                b.after,
                cents_string(b.delta)
            );
            planted += 1;
        }
    })
    .and_then(|_| w.flush())
    .map_err(|e| format!("{}: {e}", out.display()))?;
    let sidecar = PathBuf::from(format!("{}.faults.json", out.display()));
    let text = format!(
        "{{\n  \"accounts\": {accounts},\n  \"entries_per_account\": {entries},\n  \"entries\": {total},\n  \"seed\": {seed},\n  \"balance_breaks\": [\n{breaks}\n  ]\n}}\n"
    );
    std::fs::write(&sidecar, text).map_err(|e| format!("{}: {e}", sidecar.display()))?;
    eprintln!(
        "reckon-gen: {accounts} customers of {entries} entries ({total} in all, seed {seed}) -> {} ({}, {}); {planted} balance breaks planted in {} customers, listed in {}",
        out.display(),
        shape.name(),
        layout.name(),
        accounts.div_ceil(10).min(if faults == 0 { 0 } else { accounts }),
        sidecar.display()
    );
    Ok(())
}

/// `1000000`, `1_000_000`, `100k`, `1m`.
fn parse_count(s: &str) -> Option<usize> {
    let s = s.trim().replace('_', "").to_ascii_lowercase();
    let (num, mult) = match s.chars().last()? {
        'k' => (&s[..s.len() - 1], 1_000),
        'm' => (&s[..s.len() - 1], 1_000_000),
        _ => (s.as_str(), 1),
    };
    num.parse::<usize>().ok().map(|n| n * mult)
}
