//! A fixture in, the exact findings out.

use crate::support::{faults, planted, Db};

#[test]
fn faulty_fixture_gives_exactly_the_planted_findings() {
    let db = Db::new();
    db.import("fixtures/faulty.csv");
    let (check, code) = db.check_json(&[]);
    assert_eq!(faults(&check), planted("faulty.csv"));
    assert_eq!(code, 1, "errors are found");
}

#[test]
fn demo_fixture_gives_exactly_the_planted_findings() {
    let db = Db::new();
    db.import("fixtures/demo.csv");
    let (check, _) = db.check_json(&[]);
    assert_eq!(faults(&check), planted("demo.csv"));
}

#[test]
fn clean_shuffled_messy_and_json_fixtures_give_no_finding() {
    for fixture in ["fixtures/clean.csv", "fixtures/shuffled.csv", "fixtures/messy.csv", "fixtures/clean.json"] {
        let db = Db::new();
        db.import(fixture);
        let (check, code) = db.check_json(&[]);
        assert_eq!(faults(&check), vec![], "{fixture}");
        assert_eq!(code, 0, "{fixture}");
        assert!(check["chains"][0]["entries"].as_u64().unwrap() > 50, "{fixture} imported");
    }
}

#[test]
fn shuffled_and_json_exports_reconcile_to_the_same_balance_as_the_clean_csv() {
    let balance = |fixture: &str| {
        let db = Db::new();
        db.import(fixture);
        db.check_json(&[]).0["chains"][0]["ledger_balance"].as_str().unwrap().to_string()
    };
    assert_eq!(balance("fixtures/clean.csv"), "1595.01");
    assert_eq!(balance("fixtures/shuffled.csv"), "1595.01");
    assert_eq!(balance("fixtures/clean.json"), "1595.01");
}

#[test]
fn stated_balance_off_gives_one_head_mismatch() {
    let db = Db::new();
    db.import("fixtures/clean.csv");
    let (check, code) = db.check_json(&["--stated-balance", "1583.01"]);
    let f = faults(&check);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].0, "head_mismatch");
    assert_eq!(f[0].2.as_deref(), Some("-12.00"));
    assert_eq!(check["chains"][0]["stated_balance"], "1583.01");
    assert_eq!(code, 1);
    // The newest entry's balance is the anchor when nothing is stated.
    let (check, code) = db.check_json(&["--stated-balance", "1595.01"]);
    assert_eq!(faults(&check), vec![]);
    assert_eq!(code, 0);
}

#[test]
fn opening_balance_off_gives_one_opening_mismatch() {
    let db = Db::new();
    db.import("fixtures/clean.csv");
    let (check, _) = db.check_json(&["--opening-balance", "0"]);
    assert_eq!(faults(&check), vec![]);
    let (check, _) = db.check_json(&["--opening-balance", "25"]);
    let f = faults(&check);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].0, "opening_mismatch");
    assert_eq!(f[0].2.as_deref(), Some("-25.00"));
}

#[test]
fn a_wrong_figure_on_the_newest_entry_is_misreported_when_the_stated_balance_agrees() {
    // The newest entry of faulty.csv is a charge of 0.42 ending at 1502.97. Stating 1497.97
    // says the entries add up to 5.00 less: with the previous entry the chain agrees on that,
    // so it is the newest line's figure that is wrong, not a missing entry after it.
    let db = Db::new();
    db.import("fixtures/clean.csv");
    let csv =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/clean.csv")).unwrap();
    let mut lines: Vec<String> = csv.lines().map(str::to_string).collect();
    let newest: Vec<&str> = lines[1].split(',').collect();
    let (txn, balance) = (newest[0].to_string(), newest[5].to_string());
    let mut fields: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    fields[5] = "1600.01".into();
    lines[1] = fields.join(",");
    let path = db.dir().join("newest-off.csv");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let fresh = Db::new();
    fresh.import(path.to_str().unwrap());
    let (check, _) = fresh.check_json(&["--stated-balance", &balance]);
    let f = faults(&check);
    assert_eq!(f, vec![("misreported_balance".to_string(), vec![txn], Some("5.00".to_string()))]);
}

#[test]
fn finding_ids_are_stable_across_databases_and_reimports() {
    let ids = |db: &Db| -> Vec<String> {
        let (check, _) = db.check_json(&[]);
        let mut ids: Vec<String> =
            check["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect();
        ids.sort();
        ids
    };
    let a = Db::new();
    a.import("fixtures/faulty.csv");
    let b = Db::new();
    b.import("fixtures/faulty.csv");
    b.import("fixtures/faulty.csv");
    assert_eq!(ids(&a), ids(&b));
    assert_eq!(ids(&a).len(), 6);
    assert!(ids(&a).iter().all(|id| id.starts_with("F-") && id.len() == 14));
}

#[test]
fn rules_thresholds_are_configurable() {
    let db = Db::new();
    db.import("fixtures/faulty.csv");
    let (check, _) = db.check_json(&["--unusual-ratio", "100"]);
    assert!(faults(&check).iter().all(|f| f.0 != "unusual_amount"), "60x the median is under a 100x threshold");
    let (check, _) = db.check_json(&["--unusual-min-history", "1000"]);
    assert!(faults(&check).iter().all(|f| f.0 != "unusual_amount"), "too little history to judge");
}

#[test]
fn check_json_has_exactly_the_contract_fields() {
    let db = Db::new();
    db.import("fixtures/faulty.csv");
    let (check, _) = db.check_json(&[]);
    let keys = |v: &serde_json::Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    let mut top = keys(&check);
    top.sort();
    assert_eq!(top, ["chains", "findings"]);
    let mut chain = keys(&check["chains"][0]);
    chain.sort();
    assert_eq!(chain, ["account", "currency", "entries", "ledger_balance", "stated_balance"]);
    assert_eq!(check["chains"][0]["account"], "default");
    assert_eq!(check["chains"][0]["currency"], "credits");
    assert_eq!(check["chains"][0]["entries"], 68);
    for f in check["findings"].as_array().unwrap() {
        let mut k = keys(f);
        k.sort();
        assert_eq!(k, ["delta", "id", "kind", "message", "severity", "transaction_ids"]);
        let expected = match f["kind"].as_str().unwrap() {
            "balance_break" | "misreported_balance" => "error",
            _ => "warning",
        };
        assert_eq!(f["severity"], expected);
        for id in f["transaction_ids"].as_array().unwrap() {
            assert!(f["message"].as_str().unwrap().contains(id.as_str().unwrap()), "the message cites {id}");
        }
    }
}

#[test]
fn a_break_message_suggests_what_could_explain_it() {
    let db = Db::new();
    db.import("fixtures/faulty.csv");
    let (check, _) = db.check_json(&[]);
    let message = check["findings"].as_array().unwrap().iter().find(|f| f["kind"] == "balance_break").unwrap()
        ["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("moved by -1.36 more than the entries explain"), "{message}");
    assert!(message.contains("a charge of 1.36 missing from the export"), "{message}");
}
