//! A large Reverie CSV export, generated (never committed): one purchase, then chat charges a
//! minute apart with a few per-model prices, newest first, whose stated balances add up except
//! at every `every`-th charge, where the stated balance is 1.00 short (and the ledger goes on
//! from it): exactly one balance break each, nothing else a rule flags.

/// The export's text and how many breaks it plants.
pub fn csv(entries: usize, every: usize) -> (String, usize) {
    let start = 1_767_225_600i64; // 2026-01-01T00:00:00Z
    let cents = |c: i64| format!("{}{}.{:02}", if c < 0 { "-" } else { "" }, c.abs() / 100, c.abs() % 100);
    // Per-model prices, as a chat product charges them.
    let models = [("GPT-5", 100), ("Claude", 80), ("Mini", 20), ("Image-2", 250)];
    let mut balance = 0i64;
    let mut breaks = 0;
    let mut rows = Vec::with_capacity(entries);
    for i in 0..entries {
        let (kind, description, amount, model) = if i == 0 {
            ("PURCHASE", "Credit pack", 10_000_000_000i64, "")
        } else {
            let (model, price) = models[i % models.len()];
            ("CHAT", "reply", -price, model)
        };
        balance += amount;
        if i > 0 && i % every == 0 {
            balance -= 100;
            breaks += 1;
        }
        let ts = chrono::DateTime::from_timestamp(start + 60 * i as i64, 0).expect("a time");
        let amount = if amount > 0 { format!("+{}", cents(amount)) } else { cents(amount) };
        rows.push(format!(
            "txn_big{i:07},{},{kind},{description},{amount},{},Aria,{model}",
            ts.format("%Y-%m-%dT%H:%M:%SZ"),
            cents(balance)
        ));
    }
    rows.reverse();
    let mut csv = String::with_capacity(rows.len() * 72 + 80);
    csv.push_str("Transaction ID,Date,Type,Description,Amount,Balance after,Character,Model\n");
    for row in rows {
        csv.push_str(&row);
        csv.push('\n');
    }
    (csv, breaks)
}
