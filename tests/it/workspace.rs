//! Workspace credit usage records (docs/FORMATS.md section 3): the four tabs read into one
//! chain, a package reset recorded as a reset anchor, three stated balances that place the
//! planted gap between the right two, a later Conversations export that revises the
//! aggregates (never a conflict), identical Credit Adjustments rows kept apart and imported
//! again without a change, the page's views through `reckon summary`, and bad rows refused.

use crate::support::{fault, faults, file, Db};

const TABS: [&str; 4] = [
    "fixtures/workspace-conversations.csv",
    "fixtures/workspace-mcp-calls.csv",
    "fixtures/workspace-import-usage.csv",
    "fixtures/workspace-credit-adjustments.csv",
];

/// A database holding the four tabs and the three balances the page stated over March.
fn workspace() -> Db {
    let db = Db::new();
    for tab in TABS {
        db.import(tab);
    }
    // Right after the reset to 5,000 and three usage rows: 4,962. On 14 March the page said
    // 4,942, 100 short of what the entries rebuild (5,042): one of the two identical referral
    // rewards was never applied. On 21 March, 4,469.50 again agrees, rebuilt from 4,942.
    for (at, balance) in
        [("2026-03-08 23:59:59", "4962"), ("2026-03-14 00:00:00", "4942"), ("2026-03-21 00:00:00", "4469.50")]
    {
        db.ok(&["anchor", "add", "--at", at, "--balance", balance], 0);
    }
    db
}

/// `IDs` of the two identical referral reward rows (keyed by value, numbered 1 and 2).
fn referral_ids(db: &Db) -> Vec<String> {
    let out = db.ok(&["ledger", "--type", "REFERRAL_SIGNUP_REWARD", "--format", "json"], 0);
    let page: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut ids: Vec<String> =
        page["rows"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    ids.sort();
    ids
}

#[test]
fn the_four_tabs_make_one_chain_and_the_gap_lies_between_the_right_two_anchors() {
    let db = workspace();
    let ids = referral_ids(&db);
    assert_eq!(ids.len(), 2, "two identical rows stay two entries: {ids:?}");
    assert!(ids[0].ends_with("-1") && ids[1].ends_with("-2"), "{ids:?}");
    assert_eq!(ids[0].trim_end_matches("-1"), ids[1].trim_end_matches("-2"), "same values, same key");

    let (check, code) = db.check_json(&[]);
    assert_eq!(check["chains"].as_array().unwrap().len(), 1, "{check}");
    assert_eq!(check["chains"][0]["entries"], 16);
    // The newest entry at or before 14 March is cv_7f3a02; the gap is 4,942 - 5,042.
    assert_eq!(faults(&check), vec![fault("anchor_mismatch", &["cv_7f3a02"], Some("-100.00"))]);
    assert_eq!(code, 1);
    let finding = &check["findings"][0];
    let message = finding["message"].as_str().unwrap();
    assert!(message.contains("rebuilt from the balance of 4962.00 stated on 2026-03-08 23:59:59 UTC"), "{message}");
    // The interval holds exactly the four entries between the two anchors.
    for id in ["imp_40a1", &ids[0], &ids[1], "cv_7f3a02"] {
        assert!(message.contains(id), "{id} in {message}");
    }
    for id in ["mcp_91c3", "mcp_91c4"] {
        assert!(!message.contains(id), "{id} lies outside the interval: {message}");
    }
    let candidates: Vec<(String, Vec<String>, String)> = finding["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["reading"].as_str().unwrap().to_string(),
                c["transaction_ids"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect(),
                c["amount"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        candidates,
        vec![
            ("not_applied".to_string(), vec![ids[0].clone()], "100.00".to_string()),
            ("not_applied".to_string(), vec![ids[1].clone()], "100.00".to_string()),
        ]
    );
}

#[test]
fn a_package_reset_is_recorded_once_as_a_reset_anchor() {
    let db = workspace();
    let list = db.ok(&["anchor", "list"], 0);
    assert!(list.contains("reset") && list.contains("5000.00") && list.contains("Package reset"), "{list}");
    assert!(list.contains("workspace-credit-adjustments.csv line 4"), "{list}");
    // Without the reset the rebuilt balance before 8 March would be 1,485 + 5,000 - 38, not
    // 4,962: the first anchor agrees only because the reset set the balance.
    let out = db.import("fixtures/workspace-credit-adjustments.csv");
    assert!(out.contains("0 new"), "{out}");
    let again = db.ok(&["anchor", "list"], 0);
    assert_eq!(again.matches("Package reset (").count(), 1, "{again}");
}

#[test]
fn importing_the_tabs_again_adds_nothing() {
    let db = workspace();
    let before = db.check_json(&[]).0;
    for tab in TABS {
        let out = db.import(tab);
        assert!(out.contains(" 0 new"), "{tab}: {out}");
    }
    assert_eq!(db.check_json(&[]).0, before);
}

#[test]
fn a_later_conversations_export_revises_the_aggregates_without_a_conflict() {
    let db = workspace();
    let out = db.import("fixtures/workspace-conversations-later.csv");
    // cv_7f3a01 grew (48 credits, 19 March) and cv_7f3a05 is new; cv_7f3a02 and 03 only gained
    // their User; cv_7f3a04's row is older than the stored one and changes nothing.
    assert!(out.contains("2 new, 3 already known, 0 conflicting"), "{out}");
    let (check, _) = db.check_json(&[]);
    let mut expected = vec![
        fault("anchor_mismatch", &["cv_7f3a02"], Some("-100.00")),
        // 21 March: the revision (-18) and the new conversation (-22.50) are now counted.
        fault("anchor_mismatch", &["cv_7f3a05"], Some("40.50")),
    ];
    expected.sort();
    assert_eq!(faults(&check), expected);
    let conversations = db.ok(&["summary", "--by", "conversation", "--format", "json"], 0);
    let rows: serde_json::Value = serde_json::from_str(&conversations).unwrap();
    let of = |id: &str| rows.as_array().unwrap().iter().find(|r| r["key"] == id).cloned().unwrap();
    assert_eq!(of("cv_7f3a01")["credits_out"], "-48.00", "the latest figure, not the sum of both");
    assert_eq!(of("cv_7f3a01")["entries"], 2, "the first figure and the revision");
    assert_eq!(of("cv_7f3a04")["credits_out"], "-15.00", "an older figure changes nothing");
    // Importing the later export again changes nothing either.
    let again = db.import("fixtures/workspace-conversations-later.csv");
    assert!(again.contains("0 new, 5 already known, 0 conflicting"), "{again}");
    // The User filled in later is the stored one now, for every figure of the conversation.
    let users = db.ok(&["summary", "--by", "user", "--format", "json"], 0);
    let users: serde_json::Value = serde_json::from_str(&users).unwrap();
    let user = |name: &str| users.as_array().unwrap().iter().find(|r| r["key"] == name).cloned().unwrap();
    assert_eq!(user("dev@acme.test")["credits_out"], "-330.00");
    assert_eq!(user("maria@acme.test")["credits_out"], "-70.50", "cv_7f3a01 (48) and cv_7f3a05 (22.50)");
}

#[test]
fn the_summary_gives_the_pages_views_over_a_range_and_sorted() {
    let db = workspace();
    let keys = |args: &[&str]| -> Vec<(String, String)> {
        let mut all = vec!["summary", "--format", "json"];
        all.extend_from_slice(args);
        let rows: serde_json::Value = serde_json::from_str(&db.ok(&all, 0)).unwrap();
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| (r["key"].as_str().unwrap().to_string(), r["credits_out"].as_str().unwrap().to_string()))
            .collect()
    };
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(
        keys(&["--by", "api-key", "--sort", "credits"]),
        vec![pair("ci-bot", "-17.50"), pair("zapier", "-3.00")]
    );
    assert_eq!(keys(&["--by", "import-type"]), vec![pair("brand import", "-40.00"), pair("product import", "-60.00")]);
    assert_eq!(
        keys(&["--by", "billing-type", "--sort", "credits"]),
        vec![pair("video generation", "-250.00"), pair("image generation", "-80.00"), pair("message", "-45.00")]
    );
    // The last 7 days before the newest entry (20 March): from 13 March on.
    assert_eq!(keys(&["--by", "conversation", "--last", "7d", "--sort", "recent"]), vec![pair("cv_7f3a03", "-250.00")]);
    assert_eq!(keys(&["--by", "conversation", "--from", "2026-03-01", "--to", "2026-03-06"]).len(), 2);
    let bad = db.run(&["summary", "--by", "user", "--last", "7x"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("expected a span such as 7d"));
}

#[test]
fn a_bad_row_is_refused_at_its_line_and_column_and_stores_nothing() {
    let db = workspace();
    let before = db.ok(&["chains"], 0);
    let cases = [
        ("mcp.csv", "Call ID,API Key Name,Credits,User,Created At\nmcp_1,ci,-5,,2026-03-07 12:00:00\n", ":2:10"),
        ("conv.csv", "Conversation ID,Title,Message Count,Credits,User,Billing Type,Updated At\ncv_x,T,many,3,,message,2026-03-01 10:00:00\n", ":2:8"),
        ("imp.csv", "Task ID,Import Type,Import URL,Credits,User,Created At\n,Brand import,u,4,,2026-03-01 10:00:00\n", ":2:1"),
        ("adj.csv", "Type,Amount,Detail,Created At\nPackage reset,-10,reset,2026-03-01 10:00:00\n", ":2:15"),
        ("adj2.csv", "Type,Amount,Detail,Created At\nAdmin adjustment,5,x,last tuesday\n", ":2:22"),
    ];
    for (name, text, at) in cases {
        let path = file(&db, name, text);
        let out = db.run(&["import", path.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(&format!("{name}{at}")), "{name}: expected {at} in {err}");
        assert!(err.contains("expected"), "{name}: {err}");
    }
    assert_eq!(db.ok(&["chains"], 0), before, "nothing stored");
}

/// A Message Count is a count: `1,200` and `1200` are the same figure (a later export that
/// writes it without the separator is already known), and `1,2,0,0` is no count at all.
#[test]
fn a_message_count_reads_with_or_without_its_separator() {
    let db = Db::new();
    let head = "Conversation ID,Title,Message Count,Credits,User,Billing Type,Updated At\n";
    let first = file(&db, "a.csv", &format!("{head}cv_1,T,\"1,200\",30,,message,2026-03-06 10:00:00\n"));
    let again = file(&db, "b.csv", &format!("{head}cv_1,T,1200,30,,message,2026-03-06 10:00:00\n"));
    assert!(db.import(first.to_str().unwrap()).contains("1 new"));
    let out = db.import(again.to_str().unwrap());
    assert!(out.contains("0 new, 1 already known, 0 conflicting"), "{out}");
    let ledger = db.ok(&["ledger"], 0);
    assert!(ledger.contains("message / 1200"), "{ledger}");
    let bad = file(&db, "c.csv", &format!("{head}cv_2,T,\"1,2,0,0\",30,,message,2026-03-06 10:00:00\n"));
    let out = db.run(&["import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("c.csv:2:8: Message Count \"1,2,0,0\""));
}
