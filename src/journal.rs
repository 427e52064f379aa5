//! One chain as a plain-text accounting journal that hledger or beancount checks on its own:
//! each entry a transaction between the ledger's asset account and a counterpart for its type,
//! the opening balance first, a balance assertion after every balance the ledger states (each
//! entry's balance after, each anchor, the stated balance now), and the findings of `check` as
//! comments beside the entries they name (explained ones with their note).
//!
//! Accounts (the same names in both syntaxes, each part reduced to what beancount accepts):
//!
//! | what | account |
//! |---|---|
//! | the ledger's balance | `Assets:Credits:<Account>` |
//! | the opening balance (given, or the one the oldest entry that states a balance implies) | `Equity:Opening` |
//! | an entry that adds credits (amount >= 0: grants, purchases, refunds) | `Income:Credits:<TYPE>` |
//! | an entry that spends credits (amount < 0) | `Expenses:Credits:<TYPE>` |
//! | a balance the vendor set outright (a reset or an opening anchor) | `Equity:Adjustments` |
//!
//! Where the assertions go. hledger checks an assertion on a posting (`= 1895.77 CREDITS`)
//! in date order and, within a day, in file order, so every entry that states a balance
//! asserts it on its own posting, and an anchor is a posting of 0 with its assertion, placed
//! after the entries at or before its time. hledger stops at the first assertion that fails:
//! the entry after a `balance_break`, the entry of a `misreported_balance`, the anchor of an
//! `anchor_mismatch`, the assertion after the newest entry for a `head_mismatch`.
//!
//! beancount has dates but no times, and its `balance` directive checks the balance at the
//! START of its date. So a balance stated during a day D is checked by one directive dated D+1
//! (after every entry of D): it asserts the day's last stated balance (an entry's balance
//! after, or an anchor) plus the amounts of the entries after it that day. That fails exactly
//! when the running balance misses the last stated balance of the day; a balance stated
//! earlier that day and contradicted only by its own neighbours (a `misreported_balance` that
//! is not the day's last) is checked by hledger only. beancount's tolerance for a `balance` is
//! one unit of its last digit (`100.00` passes 99.99), so the directives carry one decimal
//! more than any amount in the chain: a difference of one micro-credit still fails.
//!
//! Money stays integer micro-credits to the text: no float touches an amount.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Days, NaiveDate, Utc};

use crate::check::{CheckReport, CheckedFinding};
use crate::model::{Anchor, AnchorKind, ChainKey, Entry, NO_BALANCE};
use crate::money;
use crate::store::{ChainInfo, Store, StoreError};

/// Whose syntax the journal is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// hledger's journal format (`hledger -f FILE check`).
    Hledger,
    /// beancount's (`bean-check FILE`).
    Beancount,
}

impl Syntax {
    pub fn as_str(self) -> &'static str {
        match self {
            Syntax::Hledger => "hledger",
            Syntax::Beancount => "beancount",
        }
    }

    /// The syntax named `name` (`hledger`, `beancount`).
    pub fn from_name(name: &str) -> Option<Syntax> {
        [Syntax::Hledger, Syntax::Beancount].into_iter().find(|s| s.as_str() == name)
    }

    /// The file name extension the tool expects.
    pub fn extension(self) -> &'static str {
        match self {
            Syntax::Hledger => "journal",
            Syntax::Beancount => "beancount",
        }
    }
}

/// What a journal holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Written {
    /// Entries written as transactions.
    pub entries: u64,
    /// Balance assertions (hledger) or `balance` directives (beancount) written.
    pub assertions: u64,
    /// Findings written as comments.
    pub findings: u64,
}

/// Why a journal could not be written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// Reading the chain failed.
    // Not `transparent`: the store error stays in the chain, so a shell finds its remedy.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The check does not cover the chain asked for.
    #[error("no ledger {0}/{1} in the check; import a ledger first or check the names")]
    NoSuchChain(String, String),
    /// Writing the journal failed.
    #[error("cannot write the journal: {0}")]
    Io(#[from] std::io::Error),
    /// Writing the journal's file failed.
    #[error("cannot write the journal to {path}: {error}")]
    File { path: PathBuf, error: std::io::Error },
}

/// Writes the chain `key` of `report` (a check of it) as a journal in `syntax`.
pub fn write_journal(
    store: &Store,
    report: &CheckReport,
    key: &ChainKey,
    syntax: Syntax,
    out: &mut dyn Write,
) -> Result<Written, JournalError> {
    let chain = report
        .chains
        .iter()
        .find(|c| &c.key == key)
        .ok_or_else(|| JournalError::NoSuchChain(key.account.clone(), key.currency.clone()))?;
    let entries = store.load_entries(chain.id)?;
    let anchors = store.anchors(chain.id)?;
    let findings: Vec<&CheckedFinding> = report.findings.iter().filter(|f| f.chain_id == chain.id).collect();
    Ok(render(chain, &entries, &anchors, &findings, syntax, out)?)
}

/// Writes the journal to `path` atomically: into a new file beside it, renamed over it only
/// once complete, so a failed export never leaves half a file.
pub fn journal_to_file(
    store: &Store,
    report: &CheckReport,
    key: &ChainKey,
    syntax: Syntax,
    path: &Path,
) -> Result<Written, JournalError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let io = |error: std::io::Error| JournalError::File { path: path.to_path_buf(), error };
    let temp = tempfile::Builder::new().prefix(".reckon-journal-").tempfile_in(dir).map_err(io)?;
    let mut out = std::io::BufWriter::new(temp);
    let written = write_journal(store, report, key, syntax, &mut out)?;
    let temp = out.into_inner().map_err(|e| io(e.into_error()))?;
    temp.as_file().sync_all().map_err(io)?;
    temp.persist(path).map_err(|e| io(e.error))?;
    Ok(written)
}

/// Micro-credits in a credit.
const UNIT: i64 = 10_i64.pow(money::SCALE);

/// A balance the ledger states at a point of the walk, besides the entries' own.
struct Point<'a> {
    ts: i64,
    balance: i64,
    kind: AnchorKind,
    note: &'a str,
}

/// The journal of one chain: its entries in walk order, its anchors, its check's findings.
pub fn render(
    chain: &ChainInfo,
    entries: &[Entry],
    anchors: &[Anchor],
    findings: &[&CheckedFinding],
    syntax: Syntax,
    out: &mut dyn Write,
) -> std::io::Result<Written> {
    let units = |d: rust_decimal::Decimal| money::to_units(d).unwrap_or(0);
    let amounts: Vec<i64> = entries.iter().map(|e| units(e.amount)).collect();
    let afters: Vec<Option<i64>> =
        entries.iter().map(|e| money::to_units(e.balance_after).filter(|&u| u != NO_BALANCE)).collect();

    // Anchors by time (stable: one time's stay as given), and the balance stated now after
    // the newest entry, as `check` takes them.
    let mut points: Vec<Point<'_>> =
        anchors.iter().map(|a| Point { ts: a.ts, balance: units(a.balance), kind: a.kind, note: &a.note }).collect();
    if let (Some(stated), Some(last)) = (chain.stated_balance, entries.last()) {
        points.push(Point {
            ts: last.ts,
            balance: units(stated),
            kind: AnchorKind::Stated,
            note: "the stated balance",
        });
    }
    points.sort_by_key(|p| p.ts);

    // The opening balance: the one given, else the one the oldest entry that states a
    // balance implies, else nothing (0).
    let (opening, opening_why) = match chain.opening_balance {
        Some(o) => (units(o), "the opening balance given"),
        None => match afters.iter().position(Option::is_some) {
            Some(i) => (
                afters[i].unwrap_or(0) - amounts[..=i].iter().sum::<i64>(),
                "the balance before the oldest entry, as it states it",
            ),
            None => (0, "no opening balance is known: 0"),
        },
    };

    let scale = amounts
        .iter()
        .chain(afters.iter().flatten())
        .chain(points.iter().map(|p| &p.balance))
        .chain([&opening])
        .map(|&u| decimals(u))
        .max()
        .unwrap_or(0)
        .max(2);
    let asset = format!("Assets:Credits:{}", component(&chain.key.account));
    let commodity = commodity(&chain.key.currency);
    let first_ts = entries.first().map(|e| e.ts).into_iter().chain(points.first().map(|p| p.ts)).min();

    // Findings beside the newest entry they name; those naming none go in the header.
    let position: HashMap<i64, usize> = entries.iter().enumerate().map(|(i, e)| (e.row_id, i)).collect();
    let mut beside: HashMap<usize, Vec<&CheckedFinding>> = HashMap::new();
    let mut unplaced = Vec::new();
    for f in findings {
        match f.finding.row_ids.iter().filter_map(|r| position.get(r)).max() {
            Some(&i) => beside.entry(i).or_default().push(f),
            None => unplaced.push(*f),
        }
    }
    let flagged: BTreeSet<usize> =
        beside.iter().filter(|(_, fs)| fs.iter().any(|f| f.is_open())).map(|(&i, _)| i).collect();

    let mut w = Writer {
        out,
        syntax,
        asset,
        commodity,
        scale,
        written: Written { findings: findings.len() as u64, ..Written::default() },
        running: opening,
        day_check: None,
        day: None,
    };

    // Header: what this is, the accounts, and the findings that name no entry.
    let c = &chain.key;
    w.comment(&format!(
        "Reckon journal ({}): ledger {}/{} ({} source), {} entries, amounts in {}",
        syntax.as_str(),
        c.account,
        c.currency,
        chain.source,
        entries.len(),
        w.commodity
    ))?;
    w.comment("Accounts: the balance in Assets:Credits:<account>; Equity:Opening the opening balance;")?;
    w.comment("Income:Credits:<TYPE> entries that add credits, Expenses:Credits:<TYPE> those that spend;")?;
    w.comment("Equity:Adjustments balances the vendor set outright (resets).")?;
    let open_findings = findings.iter().filter(|f| f.is_open()).count();
    w.comment(&format!(
        "Findings of reckon check: {} ({} open, {} explained), each beside the newest entry it names; flagged `!`.",
        findings.len(),
        open_findings,
        findings.len() - open_findings
    ))?;
    for f in &unplaced {
        w.finding(f)?;
    }
    writeln!(w.out)?;

    // Declarations.
    let mut accounts = BTreeSet::new();
    accounts.insert(w.asset.clone());
    accounts.insert("Equity:Opening".to_string());
    for (e, &a) in entries.iter().zip(&amounts) {
        accounts.insert(counterpart(&e.kind, a));
    }
    if points.iter().any(|p| p.kind != AnchorKind::Stated) {
        accounts.insert("Equity:Adjustments".to_string());
    }
    match syntax {
        Syntax::Hledger => {
            writeln!(w.out, "commodity {}", w.hledger_commodity())?;
            for a in &accounts {
                writeln!(w.out, "account {a}")?;
            }
        }
        Syntax::Beancount => {
            if let Some(d) = first_ts.map(day) {
                for a in &accounts {
                    writeln!(w.out, "{d} open {a} {}", w.commodity)?;
                }
            }
        }
    }
    writeln!(w.out)?;

    if let Some(ts) = first_ts {
        let d = w.at(ts)?;
        w.comment(&format!("Opening balance: {opening_why}."))?;
        w.transfer(d, "*", "Opening balance", opening_why, &[], opening, "Equity:Opening", Some(opening))?;
    }

    let mut next_point = points.iter().peekable();
    for (i, e) in entries.iter().enumerate() {
        while let Some(p) = next_point.next_if(|p| p.ts < e.ts) {
            w.point(p)?;
        }
        // Into the entry's day first, so its findings stand right above it.
        w.at(e.ts)?;
        if let Some(fs) = beside.get(&i) {
            for f in fs {
                w.finding(f)?;
            }
        }
        w.entry(e, amounts[i], afters[i], flagged.contains(&i))?;
    }
    for p in next_point {
        w.point(p)?;
    }
    w.end_of_day()?;
    Ok(w.written)
}

/// The journal as it is written, with the running balance (opening plus every amount so far)
/// that a reset's adjustment is computed from, and beancount's check of the current day.
struct Writer<'o> {
    out: &'o mut dyn Write,
    syntax: Syntax,
    asset: String,
    commodity: String,
    scale: u32,
    written: Written,
    running: i64,
    /// beancount: the balance the day's last stated balance implies at its end, and whose.
    day_check: Option<(i64, String)>,
    day: Option<NaiveDate>,
}

impl Writer<'_> {
    fn comment(&mut self, text: &str) -> std::io::Result<()> {
        writeln!(self.out, "; {}", one_line(text))
    }

    fn finding(&mut self, f: &CheckedFinding) -> std::io::Result<()> {
        let finding = &f.finding;
        let delta = finding.delta.map(|d| format!(", delta {}", money::format_signed(d))).unwrap_or_default();
        self.comment(&format!(
            "finding {} {} ({}{delta}): {}",
            finding.id,
            finding.kind.as_str(),
            finding.severity().as_str(),
            finding.message
        ))?;
        match &f.note {
            Some(note) => self.comment(&format!("  explained {}: {}", note.explained_at, note.note)),
            None => self.comment("  open"),
        }
    }

    /// Moves to the day of `ts`: beancount's check of the day before is written first.
    fn at(&mut self, ts: i64) -> std::io::Result<NaiveDate> {
        let d = day(ts);
        if self.day.is_some_and(|prev| prev != d) {
            self.end_of_day()?;
        }
        self.day = Some(d);
        Ok(d)
    }

    /// beancount: the `balance` directive that checks the day that ends (dated the next day,
    /// which it checks at its start).
    fn end_of_day(&mut self) -> std::io::Result<()> {
        let (Some(d), Some((balance, whose))) = (self.day, self.day_check.take()) else { return Ok(()) };
        if self.syntax != Syntax::Beancount {
            return Ok(());
        }
        let next = d.checked_add_days(Days::new(1)).unwrap_or(d);
        writeln!(self.out, "{next} balance {}  {} {}", self.asset, number(balance, self.scale + 1), self.commodity)?;
        writeln!(self.out, "  checks: {}", quoted(&whose))?;
        writeln!(self.out)?;
        self.written.assertions += 1;
        Ok(())
    }

    fn entry(&mut self, e: &Entry, amount: i64, after: Option<i64>, flagged: bool) -> std::io::Result<()> {
        let d = self.at(e.ts)?;
        let mut meta = vec![("txn", e.txn_id.clone()), ("time", time_of_day(e.ts))];
        meta.extend(e.labels.iter().map(|(k, v)| (&**k, v.to_string())));
        self.running += amount;
        if let Some((b, _)) = self.day_check.as_mut() {
            *b += amount;
        }
        if let Some(a) = after {
            self.day_check = Some((a, format!("the balance after {} as it states it", e.txn_id)));
        }
        let flag = if flagged { "!" } else { "*" };
        let payee = if e.kind.trim().is_empty() { "entry" } else { &e.kind };
        self.transfer(d, flag, payee, &e.description, &meta, amount, &counterpart(&e.kind, amount), after)?;
        self.written.entries += 1;
        Ok(())
    }

    fn point(&mut self, p: &Point<'_>) -> std::io::Result<()> {
        let d = self.at(p.ts)?;
        let when = crate::model::rfc3339(p.ts);
        let what =
            if p.note.is_empty() { p.kind.as_str().to_string() } else { format!("{}: {}", p.kind.as_str(), p.note) };
        let meta = [("anchor", p.kind.as_str().to_string()), ("time", time_of_day(p.ts))];
        match p.kind {
            AnchorKind::Stated => {
                self.day_check = Some((p.balance, format!("the balance stated at {when} ({what})")));
                match self.syntax {
                    Syntax::Hledger => {
                        self.transfer(d, "*", "Balance stated", &what, &meta, 0, "", Some(p.balance))?;
                    }
                    Syntax::Beancount => {
                        self.comment(&format!(
                            "Balance stated at {when}: {} ({what}); checked by the next balance directive.",
                            number(p.balance, self.scale)
                        ))?;
                        writeln!(self.out)?;
                    }
                }
            }
            AnchorKind::Reset | AnchorKind::Opening => {
                let adjustment = p.balance - self.running;
                self.running = p.balance;
                if let Some((b, _)) = self.day_check.as_mut() {
                    *b += adjustment;
                }
                let title = if p.kind == AnchorKind::Reset { "Balance reset" } else { "Opening balance set" };
                self.transfer(d, "*", title, &what, &meta, adjustment, "Equity:Adjustments", Some(p.balance))?;
            }
        }
        Ok(())
    }

    /// One transaction: `amount` into the asset account (with `assert`, the balance after it,
    /// in hledger), its opposite into `other` (none when `other` is empty and `amount` is 0).
    #[allow(clippy::too_many_arguments)]
    fn transfer(
        &mut self,
        d: NaiveDate,
        flag: &str,
        payee: &str,
        narration: &str,
        meta: &[(&str, String)],
        amount: i64,
        other: &str,
        assert: Option<i64>,
    ) -> std::io::Result<()> {
        let c = match self.syntax {
            Syntax::Hledger => self.hledger_commodity(),
            Syntax::Beancount => self.commodity.clone(),
        };
        let asset_amount = format!("{} {c}", number(amount, self.scale));
        match self.syntax {
            Syntax::Hledger => {
                let tags: Vec<String> = meta.iter().map(|(k, v)| format!("{}:{}", tag_name(k), tag_value(v))).collect();
                let tags = if tags.is_empty() { String::new() } else { format!("  ; {}", tags.join(", ")) };
                writeln!(self.out, "{d} {flag} {} | {}{tags}", hledger_payee(payee), hledger_text(narration))?;
                match assert {
                    Some(b) => {
                        writeln!(self.out, "    {:<40}  {asset_amount} = {} {c}", self.asset, number(b, self.scale))?;
                        self.written.assertions += 1;
                    }
                    None => writeln!(self.out, "    {:<40}  {asset_amount}", self.asset)?,
                }
            }
            Syntax::Beancount => {
                writeln!(self.out, "{d} {flag} {} {}", quoted(payee), quoted(narration))?;
                for (k, v) in meta {
                    writeln!(self.out, "  {}: {}", meta_key(k), quoted(v))?;
                }
                writeln!(self.out, "  {:<40}  {asset_amount}", self.asset)?;
            }
        }
        if !other.is_empty() {
            let indent = if self.syntax == Syntax::Hledger { "    " } else { "  " };
            writeln!(self.out, "{indent}{other:<40}  {} {c}", number(-amount, self.scale))?;
        }
        writeln!(self.out)
    }

    /// The commodity as hledger writes it: quoted unless it is letters only.
    fn hledger_commodity(&self) -> String {
        if self.commodity.bytes().all(|b| b.is_ascii_alphabetic()) {
            self.commodity.clone()
        } else {
            format!("\"{}\"", self.commodity)
        }
    }
}

/// The counterpart account of an entry of type `kind` and `amount`.
fn counterpart(kind: &str, amount: i64) -> String {
    let side = if amount < 0 { "Expenses" } else { "Income" };
    format!("{side}:Credits:{}", component(kind))
}

/// The UTC day of a stored time.
fn day(ts: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp_micros(ts).map_or(NaiveDate::MIN, |t| t.date_naive())
}

/// The UTC time of day of a stored time: `08:00:00Z`, with microseconds where it has them.
fn time_of_day(ts: i64) -> String {
    match DateTime::<Utc>::from_timestamp_micros(ts) {
        Some(t) if t.timestamp_subsec_micros() == 0 => t.format("%H:%M:%SZ").to_string(),
        Some(t) => t.format("%H:%M:%S%.6fZ").to_string(),
        None => ts.to_string(),
    }
}

/// How many decimal places micro-credits `units` need (0 to 6).
fn decimals(units: i64) -> u32 {
    let mut frac = (units % UNIT).unsigned_abs();
    if frac == 0 {
        return 0;
    }
    let mut places = 6;
    while frac % 10 == 0 {
        frac /= 10;
        places -= 1;
    }
    places
}

/// Micro-credits as a plain decimal with `scale` places (`-1895.77`): no separators, no
/// float. Places past six are zeros.
fn number(units: i64, scale: u32) -> String {
    let unit = UNIT as u64;
    let magnitude = units.unsigned_abs();
    let sign = if units < 0 { "-" } else { "" };
    let (whole, frac) = (magnitude / unit, magnitude % unit);
    if scale == 0 {
        return format!("{sign}{whole}");
    }
    let mut digits = format!("{frac:06}");
    digits.truncate(scale.min(6) as usize);
    digits.extend(std::iter::repeat_n('0', scale.saturating_sub(6) as usize));
    format!("{sign}{whole}.{digits}")
}

/// One part of an account name, as both tools accept it: ASCII letters, digits and `-`,
/// starting with an uppercase letter or a digit (`default` -> `Default`,
/// `SUBSCRIPTION_GRANT` -> `SUBSCRIPTION-GRANT`, `cus_PqA1` -> `Cus-PqA1`).
pub fn component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-');
    let mut chars = out.chars();
    match chars.next() {
        None => "X".to_string(),
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
    }
}

/// A currency as a commodity both tools accept: beancount's rule (uppercase; `A-Z`, digits,
/// `'`, `.`, `_`, `-`; a letter first, a letter or digit last; 2 to 24 characters). Credits
/// are not an ISO currency: `credits` -> `CREDITS`.
pub fn commodity(currency: &str) -> String {
    let mapped: String = currency
        .trim()
        .chars()
        .map(|c| c.to_ascii_uppercase())
        .map(|c| if c.is_ascii_uppercase() || c.is_ascii_digit() || "'._-".contains(c) { c } else { '-' })
        .collect();
    let mut code: String = mapped.trim_start_matches(|c: char| !c.is_ascii_uppercase()).chars().take(24).collect();
    while code.ends_with(|c: char| !c.is_ascii_alphanumeric()) {
        code.pop();
    }
    match code.len() {
        0 => "CREDITS".to_string(),
        1 => format!("{code}-CREDITS"),
        _ => code,
    }
}

/// Text on one line: line ends, tabs and other control characters become spaces.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// Free text in an hledger transaction line: on one line, and without `;`, which would start
/// a comment there (it becomes `,`).
fn hledger_text(text: &str) -> String {
    one_line(text).replace(';', ",")
}

/// An hledger payee: as `hledger_text`, without `|` (which ends the payee: it becomes `/`),
/// and not starting with `(`, which would make it the transaction's code.
fn hledger_payee(text: &str) -> String {
    let text = hledger_text(text).replace('|', "/");
    let text = text.trim();
    match text.strip_prefix('(') {
        Some(rest) => format!("[{rest}"),
        None => text.to_string(),
    }
}

/// An hledger tag's name: letters, digits, `-` and `_`.
fn tag_name(key: &str) -> String {
    key.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// An hledger tag's value, which ends at a comma or the line's end: on one line, `,` -> `;`.
fn tag_value(text: &str) -> String {
    one_line(text).replace(',', ";").trim().to_string()
}

/// A beancount metadata key: a lowercase letter first, then letters, digits, `-`, `_`.
fn meta_key(key: &str) -> String {
    let key: String = key.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    match key.chars().next() {
        Some(c) if c.is_ascii_lowercase() => key,
        _ => format!("x{}", key.to_ascii_lowercase()),
    }
}

/// A beancount string: in double quotes, `\` and `"` escaped, on one line.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in one_line(text).chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rust_decimal::Decimal;

    use super::*;
    use crate::model::{Finding, FindingKind, Note};

    fn entry(id: &str, ts: &str, kind: &str, description: &str, amount: &str, after: Option<&str>) -> Entry {
        let ts = chrono::DateTime::parse_from_rfc3339(ts).unwrap().timestamp_micros();
        Entry {
            row_id: ts,
            txn_id: id.into(),
            ts,
            kind: Arc::from(kind),
            description: Arc::from(description),
            amount: amount.parse().unwrap(),
            balance_after: after.map_or(money::from_units(NO_BALANCE), |a| a.parse().unwrap()),
            labels: vec![(Arc::from("character"), Arc::from("Captain Nemo, the Navigator"))],
        }
    }

    fn chain() -> ChainInfo {
        ChainInfo {
            id: 1,
            key: ChainKey::new("default", "credits"),
            source: "reverie".into(),
            dimensions: Vec::new(),
            entries: 0,
            first_ts: None,
            last_ts: None,
            ledger_balance: None,
            stated_balance: None,
            opening_balance: None,
            last_sync: None,
        }
    }

    fn text(chain: &ChainInfo, entries: &[Entry], anchors: &[Anchor], syntax: Syntax) -> (String, Written) {
        let mut out = Vec::new();
        let written = render(chain, entries, anchors, &[], syntax, &mut out).unwrap();
        (String::from_utf8(out).unwrap(), written)
    }

    #[test]
    fn numbers_are_exact_plain_decimals() {
        assert_eq!(number(1_895_770_000, 2), "1895.77");
        assert_eq!(number(-550_000, 2), "-0.55");
        assert_eq!(number(-1, 6), "-0.000001");
        assert_eq!(number(123_456_789, 7), "123.4567890");
        assert_eq!(number(1_000_000_000_000_000, 3), "1000000000.000");
        assert_eq!(number(5, 0), "0");
        assert_eq!((decimals(1_500_000), decimals(1_000_000), decimals(-10), decimals(123_456)), (1, 0, 5, 6));
    }

    #[test]
    fn names_are_valid_for_both_tools() {
        assert_eq!(component("default"), "Default");
        assert_eq!(component("SUBSCRIPTION_GRANT"), "SUBSCRIPTION-GRANT");
        assert_eq!(component("cus_PqA1"), "Cus-PqA1");
        assert_eq!(component("  Émile: the (best)  "), "Mile-the-best");
        assert_eq!(component(";;"), "X");
        assert_eq!(commodity("credits"), "CREDITS");
        assert_eq!(commodity("usd"), "USD");
        assert_eq!(commodity("2nd tier credits!"), "ND-TIER-CREDITS");
        assert_eq!(commodity("x"), "X-CREDITS");
        assert_eq!(commodity("€"), "CREDITS");
        assert_eq!(commodity(&"a".repeat(40)).len(), 24);
    }

    #[test]
    fn text_is_escaped_for_each_syntax() {
        assert_eq!(quoted("Dr. \"Doc\" Brown \\ x\nnext; y"), r#""Dr. \"Doc\" Brown \\ x next; y""#);
        assert_eq!(hledger_text("reply; with\r\na comment"), "reply, with  a comment");
        assert_eq!(hledger_payee("(code) a|b"), "[code) a/b");
        assert_eq!(tag_value("Captain Nemo, the Navigator\n"), "Captain Nemo; the Navigator");
        assert_eq!(meta_key("Credit block"), "xcredit_block");
        assert_eq!(meta_key("character"), "character");
    }

    #[test]
    fn hledger_asserts_every_stated_balance_on_its_posting() {
        let entries = [
            entry("t1", "2026-03-01T08:00:00Z", "PURCHASE", "Pack; \"big\"", "+100", Some("100")),
            entry("t2", "2026-03-01T09:00:00Z", "CHAT", "reply", "-0.55", Some("99.45")),
            entry("t3", "2026-03-02T09:00:00.25Z", "CHAT", "reply", "-1.5", None),
        ];
        let mut c = chain();
        c.stated_balance = Some(Decimal::new(9795, 2));
        let (text, written) = text(&c, &entries, &[], Syntax::Hledger);
        assert!(text.contains(
            "2026-03-01 * CHAT | reply  ; txn:t2, time:09:00:00Z, character:Captain Nemo; the Navigator\n    \
             Assets:Credits:Default                    -0.55 CREDITS = 99.45 CREDITS\n    \
             Expenses:Credits:CHAT                     0.55 CREDITS\n"
        ));
        // The opening balance the oldest entry implies, asserted.
        assert!(
            text.contains("Assets:Credits:Default                    0.00 CREDITS = 0.00 CREDITS\n    Equity:Opening")
        );
        assert!(text.contains("PURCHASE | Pack, \"big\"  ; txn:t1"), "{text}");
        assert!(text.contains("time:09:00:00.250000Z"));
        // t3 states none; the balance stated now follows it.
        assert!(text.contains("Balance stated | stated: the stated balance  ; anchor:stated"), "{text}");
        assert!(text.contains("0.00 CREDITS = 97.95 CREDITS"));
        assert_eq!((written.entries, written.assertions), (3, 4));
    }

    #[test]
    fn beancount_checks_each_day_the_next_morning_with_one_more_decimal() {
        let entries = [
            entry("t1", "2026-03-01T08:00:00Z", "PURCHASE", "Pack", "+100", Some("100")),
            entry("t2", "2026-03-01T09:00:00Z", "CHAT", "reply", "-0.55", Some("99.45")),
            // A spend without a stated balance after the day's last stated one.
            entry("t3", "2026-03-01T10:00:00Z", "CHAT", "reply", "-1", None),
            entry("t4", "2026-03-03T10:00:00Z", "CHAT", "reply", "-1", None),
        ];
        let (text, written) = text(&chain(), &entries, &[], Syntax::Beancount);
        assert!(text.contains("2026-03-01 open Assets:Credits:Default CREDITS\n"));
        assert!(text.contains("2026-03-01 open Income:Credits:PURCHASE CREDITS\n"));
        // t2's 99.45 plus t3's -1, checked at the start of 2 March; 3 March states nothing.
        assert!(text.contains(
            "2026-03-02 balance Assets:Credits:Default  98.450 CREDITS\n  checks: \"the balance after t2 as it states it\"\n"
        ));
        assert_eq!(text.matches(" balance Assets:").count(), 1, "{text}");
        assert!(text.contains("2026-03-01 * \"CHAT\" \"reply\"\n  txn: \"t2\"\n  time: \"09:00:00Z\"\n"));
        assert!(text.contains("  character: \"Captain Nemo, the Navigator\"\n"));
        assert_eq!((written.entries, written.assertions), (4, 1));
    }

    #[test]
    fn anchors_are_asserted_after_their_entries_and_resets_adjust() {
        let entries = [
            entry("w1", "2026-03-01T08:00:00Z", "FREE_WORKSPACE_GRANT", "grant", "+500", None),
            entry("w2", "2026-03-01T12:00:00Z", "MESSAGE", "chat", "-20", None),
            entry("w3", "2026-03-02T12:00:00Z", "MESSAGE", "chat", "-30", None),
        ];
        let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp_micros();
        let anchors = [
            Anchor {
                id: 1,
                ts: at("2026-03-02T00:00:00Z"),
                balance: Decimal::new(5000, 0),
                kind: AnchorKind::Reset,
                note: "Package reset".into(),
                created: 0,
            },
            Anchor {
                id: 2,
                ts: at("2026-03-01T10:00:00Z"),
                balance: Decimal::new(500, 0),
                kind: AnchorKind::Stated,
                note: "page".into(),
                created: 0,
            },
        ];
        let (text, written) = text(&chain(), &entries, &anchors, Syntax::Hledger);
        let stated = text.find("Balance stated | stated: page").unwrap();
        assert!(text.find("txn:w1").unwrap() < stated && stated < text.find("txn:w2").unwrap(), "{text}");
        // 500 - 20 = 480 before the reset to 5000: an adjustment of 4520.
        assert!(text.contains(
            "Assets:Credits:Default                    4520.00 CREDITS = 5000.00 CREDITS\n    \
             Equity:Adjustments                        -4520.00 CREDITS\n"
        ));
        assert_eq!(written.assertions, 3, "opening, stated anchor, reset");
        let (text, _) = self::text(&chain(), &entries, &anchors, Syntax::Beancount);
        // The stated anchor at 10:00 plus w2's -20 at the start of 2 March; the reset plus w3 on 3 March.
        assert!(text.contains("2026-03-02 balance Assets:Credits:Default  480.000 CREDITS\n"), "{text}");
        assert!(!text.contains("2026-03-03 balance"), "a reset is not a stated balance: {text}");
    }

    #[test]
    fn findings_are_comments_beside_their_newest_entry() {
        let entries = [
            entry("a", "2026-03-01T08:00:00Z", "PURCHASE", "Pack", "+100", Some("100")),
            entry("b", "2026-03-01T09:00:00Z", "CHAT", "reply", "-1", Some("98")),
        ];
        let finding = |kind, ids: &[i64], note: Option<&str>| CheckedFinding {
            chain_id: 1,
            finding: Finding {
                id: format!("F-{}", kind as u8),
                kind,
                chain: ChainKey::new("default", "credits"),
                transaction_ids: vec!["a".into(), "b".into()],
                row_ids: ids.to_vec(),
                delta: Some(Decimal::new(-1, 0)),
                message: "Between a and b\nthe balance moved".into(),
                ts: None,
                candidates: Vec::new(),
            },
            note: note.map(|n| Note { note: n.into(), explained_at: "2026-03-05T00:00:00Z".into() }),
        };
        let open = finding(FindingKind::BalanceBreak, &[entries[0].row_id, entries[1].row_id], None);
        let explained = finding(FindingKind::UnusualAmount, &[], Some("vendor says so"));
        for syntax in [Syntax::Hledger, Syntax::Beancount] {
            let mut out = Vec::new();
            render(&chain(), &entries, &[], &[&open, &explained], syntax, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            let comment = text
                .find("; finding F-0 balance_break (error, delta -1.00): Between a and b the balance moved\n;   open\n")
                .unwrap_or_else(|| panic!("{text}"));
            let b = text.find("\"b\"").or_else(|| text.find("txn:b")).unwrap();
            assert!(text.find("txn:a").or_else(|| text.find("\"a\"")).unwrap() < comment && comment < b, "{text}");
            assert!(text.contains(";   explained 2026-03-05T00:00:00Z: vendor says so\n"), "{text}");
            assert!(text.contains("2026-03-01 ! "), "b is flagged: {text}");
        }
    }
}
