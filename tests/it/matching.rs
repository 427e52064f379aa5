//! Matching two sources of one account (docs/FORMATS.md section 7, `reckon match`): usage
//! records against a ledger of the same money, with one-sided entries planted both ways;
//! exactly those are reported by the next check, naming both accounts; a second match (or
//! the same one with the accounts swapped) changes nothing.

use crate::support::{fault, faults, file, Db, Fault};

const USAGE: &str = "Call ID,API Key Name,Credits,User,Created At\n\
mcp_1,ci-bot,5,,2026-03-07 12:00:00\n\
mcp_2,zapier,3,,2026-03-08 08:30:00\n\
mcp_3,ci-bot,2.5,,2026-03-08 09:00:00\n\
mcp_4,zapier,3,,2026-03-09 10:00:00\n";

const LEDGER: &str = "Entry ID,Time,Kind,Description,Credits,Reason,Refund of\n\
led_1,2026-03-07T12:00:20Z,charge,MCP call ci-bot,5,,\n\
mcp_2,2026-03-08T08:31:00Z,charge,MCP call zapier,3,,\n\
led_4,2026-03-09T10:02:00Z,charge,MCP call zapier,3,,\n\
led_9,2026-03-09T11:00:00Z,charge,Conversation,7,,\n";

fn unmatched(db: &Db) -> Vec<Fault> {
    let (check, code) = db.check_json(&[]);
    assert_eq!(code, 0, "unmatched_across_sources is a warning");
    faults(&check).into_iter().filter(|(k, _, _)| k == "unmatched_across_sources").collect()
}

fn two_sources() -> Db {
    let db = Db::new();
    let usage = file(&db, "mcp.csv", USAGE);
    let ledger = file(&db, "feed.csv", LEDGER);
    db.ok(&["import", "--account", "workspace", usage.to_str().unwrap()], 0);
    db.ok(&["import", "--account", "ledger", ledger.to_str().unwrap()], 0);
    db
}

#[test]
fn one_sided_entries_are_reported_both_ways_and_nothing_else() {
    let db = two_sources();
    assert!(unmatched(&db).is_empty(), "nothing before a match");
    let (before, _) = db.check_json(&[]);
    let out = db.ok(&["match", "--account", "workspace", "--with", "ledger"], 0);
    assert!(out.contains("3 paired (1 by transaction ID), 1 only in workspace, 1 only in ledger"), "{out}");
    assert!(out.contains("mcp_3") && out.contains("led_9"), "{out}");
    // The usage record's 2.5 credits were spent: -2.50, as the ledger would count them.
    let expected = vec![
        fault("unmatched_across_sources", &["led_9"], Some("-7.00")),
        fault("unmatched_across_sources", &["mcp_3"], Some("-2.50")),
    ];
    assert_eq!(unmatched(&db), expected);
    // Every other finding is as it was before the match.
    let (after, _) = db.check_json(&[]);
    let others = |v: &serde_json::Value| -> Vec<Fault> {
        faults(v).into_iter().filter(|(k, _, _)| k != "unmatched_across_sources").collect()
    };
    assert_eq!(others(&after), others(&before));
    let messages: Vec<&str> = after["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "unmatched_across_sources")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("mcp_3") && m.contains("\"workspace\"") && m.contains("no counterpart in \"ledger\"")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("led_9") && m.contains("\"ledger\"") && m.contains("no counterpart in \"workspace\"")),
        "{messages:?}"
    );
    let ids: Vec<&str> = after["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();

    // Again, and with the accounts swapped: the same findings, the same IDs, no more.
    db.ok(&["match", "--account", "workspace", "--with", "ledger"], 0);
    db.ok(&["match", "--account", "ledger", "--with", "workspace"], 0);
    assert_eq!(unmatched(&db), expected);
    let (again, _) = db.check_json(&[]);
    let again_ids: Vec<&str> =
        again["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(again_ids, ids);
}

#[test]
fn the_tolerance_decides_what_pairs_and_a_later_match_replaces_the_earlier() {
    let db = two_sources();
    // Within 10 seconds only mcp_2 (by ID) pairs: led_1 is 20 s, led_4 2 minutes off.
    db.ok(&["match", "--account", "workspace", "--with", "ledger", "--tolerance-seconds", "10"], 0);
    let ids: Vec<Vec<String>> = unmatched(&db).into_iter().map(|(_, ids, _)| ids).collect();
    assert_eq!(ids, vec![vec!["led_1"], vec!["led_4"], vec!["led_9"], vec!["mcp_1"], vec!["mcp_3"], vec!["mcp_4"]]);
    db.ok(&["match", "--account", "workspace", "--with", "ledger", "--tolerance-seconds", "300"], 0);
    assert_eq!(unmatched(&db).len(), 2);
}

#[test]
fn bad_match_arguments_are_refused() {
    let db = two_sources();
    let out = db.run(&["match", "--account", "workspace", "--with", "nobody"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("\"nobody\"") && err.contains("ledger, workspace"), "{err}");
    assert_eq!(db.run(&["match", "--account", "ledger", "--with", "ledger"]).status.code(), Some(2));
    assert_eq!(
        db.run(&["match", "--account", "ledger", "--with", "workspace", "--tolerance-seconds", "-1"]).status.code(),
        Some(2)
    );
}
