//! Orb's credit ledger and Stripe's customer balance transactions, saved from their APIs:
//! detection, the planted findings, one chain per customer and currency (Orb's pending
//! entries apart), amounts exact and signed as the customer reads them, the same ledger
//! whether a file holds one page, an array of pages or a bare array of entries, and every
//! entry's raw JSON object in its detail.

use std::path::{Path, PathBuf};

use reckon::import::{detect, entry_detail};
use reckon::store::{LedgerFilter, LedgerRow, Store};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::support::{faults, planted, Db};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

/// `(account, currency, entries, ledger_balance)` of every chain `check` reports, sorted.
fn chains(check: &Value) -> Vec<(String, String, u64, String)> {
    let mut list: Vec<_> = check["chains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["account"].as_str().unwrap().to_string(),
                c["currency"].as_str().unwrap().to_string(),
                c["entries"].as_u64().unwrap(),
                c["ledger_balance"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    list.sort();
    list
}

fn chain(account: &str, currency: &str, entries: u64, balance: &str) -> (String, String, u64, String) {
    (account.to_string(), currency.to_string(), entries, balance.to_string())
}

/// Every stored entry, chain by chain (chains by account and currency), oldest first.
fn rows(db: &Db) -> Vec<((String, String), Vec<LedgerRow>)> {
    let store = Store::open(&db.path).unwrap();
    let mut out = Vec::new();
    for info in store.chains().unwrap() {
        let filter = LedgerFilter { chain_id: Some(info.id), ..LedgerFilter::default() };
        let mut page = store.ledger_page(&filter, 0, 10_000).unwrap();
        page.sort_by_key(|r| r.id);
        out.push(((info.key.account.clone(), info.key.currency.clone()), page));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The fields a ledger shows, without where they were read from.
fn shown(rows: &[((String, String), Vec<LedgerRow>)]) -> Vec<(String, String, Vec<String>)> {
    rows.iter()
        .map(|((account, currency), rows)| {
            let lines = rows
                .iter()
                .map(|r| {
                    format!(
                        "{} {} {} {:?} {} {} {:?}",
                        r.txn_id,
                        r.ts,
                        r.kind,
                        r.description,
                        r.amount,
                        r.balance_after.unwrap(),
                        r.labels
                    )
                })
                .collect();
            (account.clone(), currency.clone(), lines)
        })
        .collect()
}

fn row<'a>(rows: &'a [((String, String), Vec<LedgerRow>)], txn_id: &str) -> &'a LedgerRow {
    rows.iter().flat_map(|(_, r)| r).find(|r| r.txn_id == txn_id).unwrap_or_else(|| panic!("{txn_id} stored"))
}

/// The entries of a one-page fixture as a bare array, their text kept exactly.
fn bare_array(db: &Db, name: &str) -> PathBuf {
    #[derive(serde::Deserialize)]
    struct Page<'a> {
        #[serde(borrow)]
        data: Vec<&'a RawValue>,
    }
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let page: Page = serde_json::from_str(&text).unwrap();
    let items: Vec<&str> = page.data.iter().map(|r| r.get()).collect();
    let path = db.dir().join(format!("bare-{name}"));
    std::fs::write(&path, format!("[\n{}\n]\n", items.join(",\n"))).unwrap();
    path
}

#[test]
fn every_json_fixture_is_detected_as_its_format() {
    let db = Db::new();
    let cases = [
        (fixture("orb-ledger.json"), "orb-json"),
        (fixture("orb-ledger-pages.json"), "orb-json"),
        (bare_array(&db, "orb-ledger.json"), "orb-json"),
        (fixture("bad/precision-orb.json"), "orb-json"),
        (fixture("stripe-balance.json"), "stripe-json"),
        (fixture("stripe-balance-pages.json"), "stripe-json"),
        (bare_array(&db, "stripe-balance.json"), "stripe-json"),
        (fixture("clean.json"), "reverie-json"),
        (fixture("bad/amount.json"), "reverie-json"),
        (fixture("bad/syntax.json"), "reverie-json"),
        (fixture("clean.csv"), "reverie-csv"),
        (fixture("messy.csv"), "reverie-csv"),
    ];
    for (path, format) in cases {
        let bytes = std::fs::read(&path).unwrap();
        let head = &bytes[..bytes.len().min(4096)];
        assert_eq!(detect(&path, head).unwrap().name, format, "{}", path.display());
    }
}

#[test]
fn orb_fixture_gives_the_planted_break_and_a_chain_per_customer_currency_and_status() {
    let db = Db::new();
    db.import("fixtures/orb-ledger.json");
    let (check, code) = db.check_json(&[]);
    assert_eq!(faults(&check), planted("orb-ledger.json"));
    assert_eq!(code, 1);
    assert_eq!(
        chains(&check),
        vec![
            chain("Hx9Qm2", "credits", 6, "4948.10"),
            chain("acme-corp", "USD", 5, "0.00"),
            chain("acme-corp", "credits", 9, "27.50"),
            chain("acme-corp", "credits (pending)", 1, "327.50"),
        ]
    );
}

#[test]
fn orb_changes_come_from_the_balances_and_a_disagreeing_amount_is_shown() {
    let db = Db::new();
    db.import("fixtures/orb-ledger.json");
    let rows = rows(&db);
    // `amount` +35.0 on a decrement whose balance fell by 35: the balances decide the sign.
    let storage = row(&rows, "orb_00044q");
    assert_eq!((storage.kind.as_str(), storage.amount.to_string().as_str()), ("DECREMENT", "-35.000000"));
    assert_eq!(storage.description, "Usage: storage");
    // `amount` -20.0 where the balance fell by 25: the walk follows 25, the 20 stays in sight.
    let support = row(&rows, "orb_00084q");
    assert_eq!(support.amount.to_string(), "-25.000000");
    assert_eq!(support.description, "Usage: support plan (amount field says -20.00)");
    // An expiration change moves nothing; its block and status are labels.
    let expiry = row(&rows, "orb_00074q");
    assert_eq!((expiry.kind.as_str(), expiry.amount.is_zero()), ("EXPIRATION_CHANGE", true));
    assert_eq!(expiry.labels, vec![Some("blk_A2topup".to_string()), Some("committed".to_string())]);
    // Exact hundredths: 12.34 and 0.66 at one timestamp, in balance order.
    let usd = &rows.iter().find(|(k, _)| k == &("acme-corp".to_string(), "USD".to_string())).unwrap().1;
    let amounts: Vec<String> = usd.iter().map(|r| r.amount.normalize().to_string()).collect();
    assert_eq!(amounts, ["50", "-12.34", "-0.66", "5", "-42"]);
    // The pending entry sits in its own chain, labelled pending.
    let pending = row(&rows, "orb_00104q");
    assert_eq!(pending.labels[1].as_deref(), Some("pending"));
    let pending_chain = rows.iter().find(|(_, r)| r.iter().any(|e| e.txn_id == "orb_00104q")).unwrap();
    assert_eq!(pending_chain.0 .1, "credits (pending)");
}

#[test]
fn stripe_fixture_gives_the_planted_findings_signed_as_the_customer_reads_them() {
    let db = Db::new();
    db.import("fixtures/stripe-balance.json");
    let (check, code) = db.check_json(&[]);
    assert_eq!(faults(&check), planted("stripe-balance.json"));
    assert_eq!(code, 1);
    // Stripe's ending_balance -2330 (cents owed) is a credit of 23.30; -8500 yen one of 8500.
    assert_eq!(chains(&check), vec![chain("cus_JpZ7", "jpy", 4, "8500.00"), chain("cus_PqA1", "usd", 10, "23.30")]);
    let rows = rows(&db);
    let credit = row(&rows, "cbtxn_1Q01PqA1x");
    assert_eq!((credit.kind.as_str(), credit.amount.normalize().to_string()), ("ADJUSTMENT", "50".to_string()));
    let applied = row(&rows, "cbtxn_1Q02PqA1x");
    assert_eq!(applied.amount.normalize().to_string(), "-12.5");
    assert_eq!(applied.labels, vec![Some("in_1Qa1".to_string()), None]);
    let note = row(&rows, "cbtxn_1Q03PqA1x");
    assert_eq!(note.labels, vec![Some("in_1Qa2".to_string()), Some("cn_1Qc1".to_string())]);
    let yen = row(&rows, "cbtxn_1Q12JpZ7x");
    assert_eq!(
        (yen.amount.normalize().to_string(), yen.balance_after.unwrap().normalize().to_string()),
        ("-3500".into(), "6500".into())
    );
    // The same-second group, shuffled in the file, is stored in balance order.
    let usd = &rows.iter().find(|(k, _)| k.1 == "usd").unwrap().1;
    let ids: Vec<&str> = usd.iter().map(|r| r.txn_id.as_str()).collect();
    assert_eq!(&ids[2..5], ["cbtxn_1Q03PqA1x", "cbtxn_1Q04PqA1x", "cbtxn_1Q05PqA1x"]);
}

#[test]
fn one_page_an_array_of_pages_and_a_bare_array_give_the_same_ledger() {
    for (page, pages) in
        [("orb-ledger.json", "orb-ledger-pages.json"), ("stripe-balance.json", "stripe-balance-pages.json")]
    {
        let ledger = |file: &Path| {
            let db = Db::new();
            db.import(file.to_str().unwrap());
            let (check, _) = db.check_json(&[]);
            (shown(&rows(&db)), chains(&check), faults(&check))
        };
        let one = ledger(&fixture(page));
        let scratch = Db::new();
        assert_eq!(ledger(&fixture(pages)), one, "{pages}");
        assert_eq!(ledger(&bare_array(&scratch, page)), one, "bare array of {page}");
        assert!(one.0.iter().map(|c| c.2.len()).sum::<usize>() > 10);
    }
}

#[test]
fn every_entry_shows_its_raw_json_object() {
    for name in ["orb-ledger.json", "orb-ledger-pages.json", "stripe-balance.json", "stripe-balance-pages.json"] {
        let db = Db::new();
        db.import(fixture(name).to_str().unwrap());
        let store = Store::open(&db.path).unwrap();
        let mut seen = 0;
        for (_, rows) in rows(&db) {
            for r in rows {
                let detail = entry_detail(&store, r.id).unwrap();
                let raw = detail.raw.unwrap_or_else(|| panic!("{name} {}: {:?}", r.txn_id, detail.raw_note));
                let object: Value = serde_json::from_str(&raw).unwrap();
                assert_eq!(object["id"], r.txn_id.as_str(), "{name}");
                seen += 1;
            }
        }
        assert!(seen >= 14, "{name}: {seen} entries");
    }
}

#[test]
fn reimporting_pages_of_an_imported_page_adds_nothing() {
    for (page, pages) in
        [("orb-ledger.json", "orb-ledger-pages.json"), ("stripe-balance.json", "stripe-balance-pages.json")]
    {
        let db = Db::new();
        db.import(&format!("fixtures/{page}"));
        let before = shown(&rows(&db));
        let out = db.import(&format!("fixtures/{pages}"));
        assert!(out.lines().all(|l| l.contains(": 0 new, ") || l.starts_with("total: 0 new, ")), "{pages}: {out}");
        assert_eq!(shown(&rows(&db)), before);
    }
}

/// What `reckon sync` hands a page to: the format's `parse`, named by the page's URL.
fn parse_page(format: &str, page: &Value) -> Result<reckon::model::ParsedFile, reckon::import::ImportError> {
    let parse = reckon::import::reader(format).unwrap().parse.unwrap();
    parse(Path::new("https://api.example.com/v1/page"), page.to_string().into_bytes())
}

/// The range every reader keeps holds for the API's numbers too: an Orb balance written with
/// an exponent, Stripe's integer amounts and Unix seconds (once stored as year 287,000).
#[test]
fn api_amounts_and_times_out_of_range_are_refused_naming_the_limit() {
    let orb = |starting: &str, ending: &str| {
        let entry = format!(
            r#"{{"id": "orb_1", "entry_type": "increment", "entry_status": "committed",
                "customer": {{"id": "c1"}}, "starting_balance": {starting}, "ending_balance": {ending},
                "amount": 1, "currency": "USD", "created_at": "2026-03-01T00:00:00Z", "description": null}}"#
        );
        serde_json::from_str::<Value>(&format!(
            r#"{{"data": [{entry}], "pagination_metadata": {{"has_more": false}}}}"#
        ))
        .unwrap()
    };
    let stripe = |amount: i64, ending: i64, created: i64| {
        serde_json::json!({"object": "list", "has_more": false, "data": [{
            "id": "cbtxn_1", "object": "customer_balance_transaction", "amount": amount, "created": created,
            "currency": "usd", "customer": "cus_1", "description": null, "ending_balance": ending, "type": "adjustment"}]})
    };
    assert!(parse_page("orb-json", &orb("0", "1e9")).is_ok());
    assert!(parse_page("stripe-json", &stripe(-100, -100, 1_772_323_200)).is_ok());
    let amount = "at most 1,000,000,000 credits";
    let time = "1900 to 2999";
    for (format, page, field, limit) in [
        ("orb-json", orb("0", "3e12"), "ending_balance", amount),
        ("orb-json", orb("-9e8", "9e8"), "ending_balance - starting_balance", amount),
        ("stripe-json", stripe(-300_000_000_000, -100, 1_772_323_200), "amount", amount),
        ("stripe-json", stripe(-100, 9_000_000_000_000_000, 1_772_323_200), "ending_balance", amount),
        ("stripe-json", stripe(-100, -100, 32_503_680_000), "created", time),
        ("stripe-json", stripe(-100, -100, 9_000_000_000_000), "created", time),
        ("stripe-json", stripe(-100, -100, -2_208_988_801), "created", time),
    ] {
        let e = parse_page(format, &page).map(|_| ()).unwrap_err().to_string();
        assert!(e.starts_with("https://api.example.com/v1/page:1:"), "{e}");
        assert!(e.contains(&format!("{field} ")) && e.contains(limit), "{format} {field}: {e}");
    }
}
