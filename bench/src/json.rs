//! The generated ledger as the JSON answers Reckon's JSON readers take: Reverie's Open API
//! (`reverie-json`), Orb's customer credit ledger (`orb-json`) and Stripe's customer balance
//! transactions (`stripe-json`), pretty-printed or on one line as minified APIs write them.
//!
//! Every shape holds the same entries with the same transaction IDs, amounts and balances (in
//! Reckon's reading), so the planted faults of the sidecar are the findings of each. Numbers are
//! written from integer cents, never through a float.

use std::io::{self, Write};

use crate::ledger::{civil_from_days, export_order, format_cents, Entry, Ledger};

/// A JSON shape, named as the reader that takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{"data": [entry, ...], "next_cursor": null}`, oldest first, decimal strings.
    ReverieJson,
    /// `{"data": [...], "pagination_metadata": {...}}`, newest first, exact JSON numbers.
    OrbJson,
    /// `{"object": "list", "data": [...], "has_more": false, "url": ...}`, newest first,
    /// integer cents of `usd` with Stripe's sign (a credit to the customer is negative).
    StripeJson,
}

impl Shape {
    pub const ALL: [Shape; 3] = [Shape::ReverieJson, Shape::OrbJson, Shape::StripeJson];

    /// The name of the reader that takes it (`reckon import --format NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Shape::ReverieJson => "reverie-json",
            Shape::OrbJson => "orb-json",
            Shape::StripeJson => "stripe-json",
        }
    }

    pub fn from_name(name: &str) -> Option<Shape> {
        Shape::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// How the JSON is laid out. Does not change what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// No whitespace and no line end at all, not even at the end: a minified API answer.
    OneLine,
    /// One member per line, indented by two spaces, as serde_json's pretty printer and the
    /// fixtures write it; a line end at the end.
    Pretty,
}

impl Layout {
    pub const ALL: [Layout; 2] = [Layout::OneLine, Layout::Pretty];

    pub fn name(self) -> &'static str {
        match self {
            Layout::OneLine => "one-line",
            Layout::Pretty => "pretty",
        }
    }
}

/// Orb's customer: the chain's account is its `external_customer_id`.
pub const ORB_CUSTOMER: (&str, &str) = ("Kq7vX2bench", "reckon-bench");
/// Stripe's customer; the chain is this customer in `usd` (two decimals: cents are exact).
pub const STRIPE_CUSTOMER: &str = "cus_RckBench";

/// Writes the ledger as `shape`, laid out as `layout`.
pub fn write_json(ledger: &Ledger, shape: Shape, layout: Layout, out: &mut dyn Write) -> io::Result<()> {
    let mut j = Emitter { out, buf: Vec::with_capacity(1 << 17), pretty: layout == Layout::Pretty, open: Vec::new() };
    let customer = match shape {
        Shape::OrbJson => Customer { id: ORB_CUSTOMER.0.into(), external: ORB_CUSTOMER.1.into() },
        _ => Customer { id: STRIPE_CUSTOMER.into(), external: String::new() },
    };
    write_page(&mut j, ledger, shape, &customer)?;
    if j.pretty {
        j.buf.push(b'\n');
    }
    j.out.write_all(&j.buf)
}

/// A customer of many: `id` is Orb's `customer.id` or Stripe's `customer`, `external` Orb's
/// `external_customer_id` (the chain's account).
pub struct Customer {
    pub id: String,
    pub external: String,
}

impl Customer {
    /// The `index`th customer of a customer base, as `shape` names it; its chain's account is
    /// `cust_000042` (Orb) or `cus_000042` (Stripe).
    pub fn nth(shape: Shape, index: usize) -> Customer {
        match shape {
            Shape::OrbJson => Customer { id: format!("orb_{index:06}"), external: format!("cust_{index:06}") },
            _ => Customer { id: format!("cus_{index:06}"), external: String::new() },
        }
    }

    /// The account Reckon files this customer's ledger under.
    pub fn account(&self, shape: Shape) -> &str {
        match shape {
            Shape::OrbJson => &self.external,
            _ => &self.id,
        }
    }
}

/// A vendor's whole customer base as one file: an array of pages, one per customer, each
/// the customer's ledger as its API answers it (what `reckon sync orb|stripe --all-customers`
/// fetches, saved). `ledgers` yields each customer and its ledger in turn, so a base of any
/// size is written without holding it. Reverie's Open API has no customers: refused.
pub fn write_customer_pages(
    ledgers: impl Iterator<Item = (Customer, Ledger)>,
    shape: Shape,
    layout: Layout,
    out: &mut dyn Write,
    mut each: impl FnMut(&Customer, &Ledger),
) -> io::Result<()> {
    if shape == Shape::ReverieJson {
        return Err(io::Error::other("reverie-json holds one account; many customers need orb-json or stripe-json"));
    }
    let mut j = Emitter { out, buf: Vec::with_capacity(1 << 17), pretty: layout == Layout::Pretty, open: Vec::new() };
    j.open(b'[');
    for (customer, ledger) in ledgers {
        j.item();
        write_page(&mut j, &ledger, shape, &customer)?;
        each(&customer, &ledger);
    }
    j.close(b']');
    if j.pretty {
        j.buf.push(b'\n');
    }
    j.out.write_all(&j.buf)
}

/// One page of `shape` holding the whole ledger of `customer`.
fn write_page(j: &mut Emitter<'_>, ledger: &Ledger, shape: Shape, customer: &Customer) -> io::Result<()> {
    let order = export_order(ledger);
    j.open(b'{');
    match shape {
        Shape::ReverieJson => {
            j.key("data");
            j.open(b'[');
            // The Open API answers oldest first; same-second entries in no promised order.
            for &i in order.iter().rev() {
                j.item();
                reverie_entry(j, &ledger.entries[i]);
                j.spill()?;
            }
            j.close(b']');
            j.key("next_cursor");
            j.raw("null");
        }
        Shape::OrbJson => {
            j.key("data");
            j.open(b'[');
            for &i in &order {
                j.item();
                orb_entry(j, i, &ledger.entries[i], customer);
                j.spill()?;
            }
            j.close(b']');
            j.key("pagination_metadata");
            j.open(b'{');
            j.key("has_more");
            j.raw("false");
            j.key("next_cursor");
            j.raw("null");
            j.close(b'}');
        }
        Shape::StripeJson => {
            j.key("object");
            j.string("list");
            j.key("data");
            j.open(b'[');
            for &i in &order {
                j.item();
                stripe_entry(j, &ledger.entries[i], customer);
                j.spill()?;
            }
            j.close(b']');
            j.key("has_more");
            j.raw("false");
            j.key("url");
            j.string(&format!("/v1/customers/{}/balance_transactions", customer.id));
        }
    }
    j.close(b'}');
    Ok(())
}

fn reverie_entry(j: &mut Emitter<'_>, e: &Entry) {
    j.open(b'{');
    j.key("id");
    j.string(&e.id);
    j.key("created_at");
    j.string(&rfc3339(e.ts, "Z"));
    j.key("type");
    j.string(e.kind.name());
    j.key("description");
    j.string(&e.description);
    j.key("amount");
    j.string(&decimal(e.amount));
    j.key("balance_after");
    j.string(&decimal(e.balance_after));
    j.key("character");
    j.string_or_null(e.character.as_deref());
    j.key("model");
    j.string_or_null(e.model.as_deref());
    j.close(b'}');
}

/// Orb's entry for the `index`th entry (oldest first). Its starting balance is the ending one
/// less the amount, so at a planted break it is not the previous entry's ending balance, and
/// Reckon's change (`ending - starting`) is the ledger's amount.
fn orb_entry(j: &mut Emitter<'_>, index: usize, e: &Entry, customer: &Customer) {
    let (year, month, _) = civil_from_days(e.ts.div_euclid(86_400));
    j.open(b'{');
    j.key("id");
    j.string(&e.id);
    j.key("ledger_sequence_number");
    j.raw(&(index + 1).to_string());
    j.key("entry_type");
    j.string(if e.amount > 0 { "increment" } else { "decrement" });
    j.key("entry_status");
    j.string("committed");
    j.key("customer");
    j.open(b'{');
    j.key("id");
    j.string(&customer.id);
    j.key("external_customer_id");
    j.string(&customer.external);
    j.close(b'}');
    j.key("starting_balance");
    j.raw(&decimal(e.balance_after - e.amount));
    j.key("ending_balance");
    j.raw(&decimal(e.balance_after));
    j.key("amount");
    j.raw(&decimal(e.amount));
    j.key("currency");
    j.string("credits");
    j.key("created_at");
    j.string(&rfc3339(e.ts, "+00:00"));
    j.key("description");
    j.string(&e.description);
    j.key("credit_block");
    j.open(b'{');
    j.key("id");
    j.string(&format!("blk_{year}{month:02}"));
    j.key("expiry_date");
    j.raw("null");
    j.close(b'}');
    j.key("metadata");
    j.open(b'{');
    j.key("reverie_type");
    j.string(e.kind.name());
    j.close(b'}');
    j.close(b'}');
}

/// Stripe counts what the customer owes: a credit is a negative `amount`, a credit balance a
/// negative `ending_balance`. Cents of `usd` are the ledger's cents.
fn stripe_entry(j: &mut Emitter<'_>, e: &Entry, customer: &Customer) {
    j.open(b'{');
    j.key("id");
    j.string(&e.id);
    j.key("object");
    j.string("customer_balance_transaction");
    j.key("amount");
    j.raw(&(-e.amount).to_string());
    j.key("checkout_session");
    j.raw("null");
    j.key("created");
    j.raw(&e.ts.to_string());
    j.key("credit_note");
    j.raw("null");
    j.key("currency");
    j.string("usd");
    j.key("customer");
    j.string(&customer.id);
    j.key("description");
    j.string(&e.description);
    j.key("ending_balance");
    j.raw(&(-e.balance_after).to_string());
    j.key("invoice");
    j.raw("null");
    j.key("livemode");
    j.raw("false");
    j.key("metadata");
    j.open(b'{');
    j.key("reverie_type");
    j.string(e.kind.name());
    j.close(b'}');
    j.key("type");
    // A charge uses up the credit balance as an invoice would; anything else is an adjustment.
    j.string(if e.amount < 0 { "applied_to_invoice" } else { "adjustment" });
    j.close(b'}');
}

/// `-0.35`, `1000.00`: exact, two decimals.
fn decimal(cents: i64) -> String {
    let mut s = String::with_capacity(16);
    format_cents(&mut s, cents, false, false, true, "-");
    s
}

/// `2025-09-01T08:00:00` + `zone`.
fn rfc3339(ts: i64, zone: &str) -> String {
    let (y, m, d) = civil_from_days(ts.div_euclid(86_400));
    let s = ts.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{zone}", s / 3600, s / 60 % 60, s % 60)
}

/// Writes JSON tokens with the commas, line ends and indentation of a layout; the caller says
/// where values go (`key`, `item`) and what they are.
struct Emitter<'w> {
    out: &'w mut dyn Write,
    buf: Vec<u8>,
    pretty: bool,
    /// Per open object or array: whether it has no member yet.
    open: Vec<bool>,
}

impl Emitter<'_> {
    /// Before a member or an element: the comma, then the line end and indentation.
    fn item(&mut self) {
        if let Some(empty) = self.open.last_mut() {
            if !*empty {
                self.buf.push(b',');
            }
            *empty = false;
        }
        if self.pretty {
            self.newline(self.open.len());
        }
    }

    fn key(&mut self, key: &str) {
        self.item();
        self.string(key);
        self.buf.push(b':');
        if self.pretty {
            self.buf.push(b' ');
        }
    }

    fn open(&mut self, bracket: u8) {
        self.buf.push(bracket);
        self.open.push(true);
    }

    /// An empty object or array stays `{}` / `[]`, as serde_json writes it.
    fn close(&mut self, bracket: u8) {
        let empty = self.open.pop().unwrap_or(true);
        if self.pretty && !empty {
            self.newline(self.open.len());
        }
        self.buf.push(bracket);
    }

    fn newline(&mut self, depth: usize) {
        self.buf.push(b'\n');
        self.buf.extend(std::iter::repeat_n(b' ', 2 * depth));
    }

    fn raw(&mut self, text: &str) {
        self.buf.extend_from_slice(text.as_bytes());
    }

    fn string_or_null(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.string(s),
            None => self.raw("null"),
        }
    }

    /// A JSON string: `"` and `\` escaped, control characters as `\n`, `\t` or `\u00XX`,
    /// anything else as its UTF-8.
    fn string(&mut self, s: &str) {
        self.buf.push(b'"');
        for c in s.chars() {
            match c {
                '"' => self.buf.extend_from_slice(b"\\\""),
                '\\' => self.buf.extend_from_slice(b"\\\\"),
                '\n' => self.buf.extend_from_slice(b"\\n"),
                '\r' => self.buf.extend_from_slice(b"\\r"),
                '\t' => self.buf.extend_from_slice(b"\\t"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(self.buf, "\\u{:04x}", c as u32);
                }
                c => {
                    let mut utf8 = [0u8; 4];
                    self.buf.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
                }
            }
        }
        self.buf.push(b'"');
    }

    /// Hands what is buffered to the writer once there is enough of it.
    fn spill(&mut self) -> io::Result<()> {
        if self.buf.len() >= 1 << 16 {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{generate, Config};
    use serde_json::Value;

    fn ledger(entries: usize, faults: usize, messy: bool) -> Ledger {
        generate(&Config { entries, seed: 7, faults, messy, noisy_types: false })
    }

    fn text(l: &Ledger, shape: Shape, layout: Layout) -> String {
        let mut v = Vec::new();
        write_json(l, shape, layout, &mut v).unwrap();
        String::from_utf8(v).unwrap()
    }

    /// Cents of a JSON number or decimal string, from its text (a test reads what a reader
    /// would: `12.5` is 1250, `-0.35` is -35).
    fn cents(v: &Value) -> i64 {
        let s = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            other => panic!("not a number: {other}"),
        };
        let (neg, body) = s.strip_prefix('-').map_or((false, s.as_str()), |b| (true, b));
        let (whole, frac) = body.split_once('.').unwrap_or((body, ""));
        assert!(frac.len() <= 2, "more than two decimals in {s}");
        let v = whole.parse::<i64>().unwrap() * 100 + format!("{frac:0<2}").parse::<i64>().unwrap();
        if neg {
            -v
        } else {
            v
        }
    }

    #[test]
    fn every_shape_parses_with_the_entries_asked_in_either_layout() {
        let l = ledger(2_500, 3, true);
        for shape in Shape::ALL {
            let one = text(&l, shape, Layout::OneLine);
            let pretty = text(&l, shape, Layout::Pretty);
            assert!(!one.contains('\n'), "{}: a line end in the one-line JSON", shape.name());
            assert!(pretty.ends_with("}\n"), "{}", shape.name());
            for line in pretty.lines() {
                let t = line.trim_start();
                let bracket = !t.is_empty() && t.len() <= 2 && t.bytes().all(|b| b"{}[],".contains(&b));
                assert!(bracket || t.starts_with('"'), "{}: not one member a line: {line}", shape.name());
            }
            assert!(pretty.lines().count() > 10 * l.entries.len(), "{}: not one member a line", shape.name());
            let a: Value = serde_json::from_str(&one).unwrap_or_else(|e| panic!("{}: {e}", shape.name()));
            let b: Value = serde_json::from_str(&pretty).unwrap_or_else(|e| panic!("{}: {e}", shape.name()));
            assert_eq!(a, b, "{}: the layouts say different things", shape.name());
            let data = a["data"].as_array().unwrap();
            assert_eq!(data.len(), 2_500, "{}", shape.name());
            // Every ID once.
            let mut ids: Vec<&str> = data.iter().map(|e| e["id"].as_str().unwrap()).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), 2_500, "{}", shape.name());
        }
    }

    /// Each shape, read as its reader reads it, replays to the ledger's amounts and balances.
    #[test]
    fn each_shape_says_the_ledgers_amounts_and_balances() {
        let l = ledger(3_000, 3, false);
        let by_id: std::collections::HashMap<&str, &Entry> = l.entries.iter().map(|e| (e.id.as_str(), e)).collect();
        for shape in Shape::ALL {
            let v: Value = serde_json::from_str(&text(&l, shape, Layout::OneLine)).unwrap();
            let data = v["data"].as_array().unwrap();
            let first = by_id[data[0]["id"].as_str().unwrap()];
            let last = by_id[data[data.len() - 1]["id"].as_str().unwrap()];
            match shape {
                Shape::ReverieJson => assert!(first.ts <= last.ts, "not oldest first"),
                _ => assert!(first.ts >= last.ts, "{}: not newest first", shape.name()),
            }
            for item in data {
                let e = by_id[item["id"].as_str().unwrap()];
                let (amount, balance) = match shape {
                    Shape::ReverieJson => {
                        assert_eq!(item["type"], e.kind.name());
                        (cents(&item["amount"]), cents(&item["balance_after"]))
                    }
                    Shape::OrbJson => {
                        let change = cents(&item["ending_balance"]) - cents(&item["starting_balance"]);
                        assert_eq!(change, cents(&item["amount"]));
                        assert_eq!(item["customer"]["external_customer_id"], ORB_CUSTOMER.1);
                        (change, cents(&item["ending_balance"]))
                    }
                    Shape::StripeJson => {
                        assert_eq!(item["created"].as_i64(), Some(e.ts));
                        assert_eq!(item["object"], "customer_balance_transaction");
                        (-item["amount"].as_i64().unwrap(), -item["ending_balance"].as_i64().unwrap())
                    }
                };
                assert_eq!((amount, balance), (e.amount, e.balance_after), "{} {}", shape.name(), e.id);
            }
        }
    }

    #[test]
    fn a_customer_base_is_one_page_per_customer_naming_it() {
        for shape in [Shape::OrbJson, Shape::StripeJson] {
            let ledgers = (0..3).map(|a| (Customer::nth(shape, a), ledger(40, if a == 0 { 1 } else { 0 }, false)));
            let mut seen = Vec::new();
            let mut out = Vec::new();
            write_customer_pages(ledgers, shape, Layout::OneLine, &mut out, |c, l| {
                seen.push((c.account(shape).to_string(), l.entries.len()))
            })
            .unwrap();
            let pages: Vec<Value> = serde_json::from_slice(&out).unwrap();
            assert_eq!(pages.len(), 3, "{}", shape.name());
            for (a, page) in pages.iter().enumerate() {
                let data = page["data"].as_array().unwrap();
                assert_eq!(data.len(), 40);
                let account = match shape {
                    Shape::OrbJson => &data[0]["customer"]["external_customer_id"],
                    _ => &data[0]["customer"],
                };
                assert_eq!(account.as_str(), Some(seen[a].0.as_str()), "{}", shape.name());
                assert!(data.iter().all(|e| e["customer"] == data[0]["customer"]));
            }
            assert_eq!(
                seen.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
                match shape {
                    Shape::OrbJson => ["cust_000000", "cust_000001", "cust_000002"],
                    _ => ["cus_000000", "cus_000001", "cus_000002"],
                }
            );
        }
        let mut out = Vec::new();
        assert!(
            write_customer_pages(std::iter::empty(), Shape::ReverieJson, Layout::Pretty, &mut out, |_, _| {}).is_err()
        );
    }

    #[test]
    fn shapes_are_named_as_their_readers() {
        for shape in Shape::ALL {
            assert_eq!(Shape::from_name(shape.name()), Some(shape));
        }
        assert_eq!(Shape::from_name("csv"), None);
    }
}
