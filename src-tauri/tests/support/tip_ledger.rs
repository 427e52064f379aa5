//! A Reverie CSV export with thousands of warnings, generated (never committed): `ENTRIES`
//! entries one minute apart, newest first, whose balances add up, `TIPS` of them of the type
//! `TIP`, which is not on Reverie's reference table, so each gives one `unknown_type` warning
//! and nothing else. Shared by the command tests (`src/tests.rs`) and the e2e test.

/// Entries in the export: a purchase, then charges.
pub const ENTRIES: usize = 3000;
/// Entries of the unknown type `TIP` among them: every one but each third charge.
pub const TIPS: usize = 2000;

/// The export's text.
pub fn tip_ledger_csv() -> String {
    let (csv, tips) = tip_ledger_csv_of(ENTRIES);
    assert_eq!(tips, TIPS);
    csv
}

/// The same export with `entries` entries (at least 2), and how many of them are tips (the
/// e2e test's figures at 10,000 and 100,000 findings: `RECKON_E2E_TIP_ENTRIES`).
pub fn tip_ledger_csv_of(entries: usize) -> (String, usize) {
    let start = 1_767_225_600; // 2026-01-01T00:00:00Z
    let cents = |c: i64| format!("{}{}.{:02}", if c < 0 { "-" } else { "" }, c.abs() / 100, c.abs() % 100);
    let mut balance = 0i64;
    let mut rows = Vec::with_capacity(entries);
    let mut tips = 0;
    for i in 0..entries {
        let (kind, description, amount, labels) = if i == 0 {
            ("PURCHASE", "Credit pack", 1_000_000, ",")
        } else if i % 3 != 0 {
            tips += 1;
            ("TIP", "Tip to Aria", -50, "Aria,")
        } else {
            ("CHAT", "GPT-5 reply", -100, "Aria,GPT-5")
        };
        balance += amount;
        let ts = chrono::DateTime::from_timestamp(start + 60 * i as i64, 0).expect("a time");
        let amount = if amount > 0 { format!("+{}", cents(amount)) } else { cents(amount) };
        rows.push(format!(
            "txn_tip{i:05},{},{kind},{description},{amount},{},{labels}",
            ts.format("%Y-%m-%dT%H:%M:%SZ"),
            cents(balance)
        ));
    }
    rows.reverse();
    let mut csv = String::from("Transaction ID,Date,Type,Description,Amount,Balance after,Character,Model\n");
    for row in rows {
        csv.push_str(&row);
        csv.push('\n');
    }
    (csv, tips)
}
