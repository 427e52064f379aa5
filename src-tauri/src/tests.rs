//! Fast tests of the commands without a window: Tauri's mock runtime, a temp database, and
//! calls through IPC exactly as the UI makes them (command names, camelCase arguments, the
//! `{ code, message }` rejection). Plus the check that `ui/src/bindings/` is current.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use tauri::ipc::{Channel, InvokeBody, InvokeResponseBody};
use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Manager, WebviewWindow, WebviewWindowBuilder};

use crate::dto::{ErrorCode, ImportProgressEvent};
use crate::state::{AppState, StoreLocation};

#[path = "../tests/support/tip_ledger.rs"]
mod tip_ledger;

struct Harness {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    _app: App<MockRuntime>,
    webview: WebviewWindow<MockRuntime>,
}

impl Harness {
    fn new() -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        let location = StoreLocation::beside(dir.path().join("reckon.db"));
        Harness::with(dir, Some(location))
    }

    /// An app over `location`, or over the database it resolves at startup with `None`.
    fn with(dir: tempfile::TempDir, location: Option<StoreLocation>) -> Harness {
        let path = dir.path().to_path_buf();
        let app = crate::builder(mock_builder(), location).build(mock_context(noop_assets())).expect("mock app");
        let webview = WebviewWindowBuilder::new(&app, "main", Default::default()).build().expect("mock window");
        Harness { _dir: dir, dir: path, _app: app, webview }
    }

    /// Invokes `cmd` through IPC; `Ok(json)` or `Err(AppError as json)`.
    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            // Where the app's own pages are served from (`tauri::` custom protocol).
            url: if cfg!(windows) { "http://tauri.localhost" } else { "tauri://localhost" }.parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(&self.webview, request).map(|body| match body {
            InvokeResponseBody::Json(text) => serde_json::from_str(&text).expect("json response"),
            InvokeResponseBody::Raw(bytes) => serde_json::from_slice(&bytes).expect("json response"),
        })
    }

    /// What a pick in the native open dialog (or a drop) does: the webview may import these.
    fn picked(&self, paths: &[&Path]) {
        self.webview.state::<AppState>().grant_read(paths.iter().map(|p| p.to_path_buf()));
    }

    /// What a pick in the native save dialog does: the webview may write this file once.
    fn picked_to_save(&self, path: &Path) {
        self.webview.state::<AppState>().grant_write(path.to_path_buf());
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args).unwrap_or_else(|e| panic!("{cmd} failed: {e}"))
    }

    fn err(&self, cmd: &str, args: Value) -> Value {
        match self.call(cmd, args) {
            Ok(v) => panic!("{cmd} should fail but answered {v}"),
            Err(e) => e,
        }
    }

    fn open_demo(&self) -> i64 {
        // A channel id as the JS `Channel` class sends it; the mock webview swallows messages.
        let outcome = self.ok("open_demo", json!({ "onProgress": "__CHANNEL__:7" }));
        assert!(outcome["files"][0]["new"].as_i64().unwrap() > 0, "{outcome}");
        assert_eq!(outcome["files"][0]["format"], "reverie-csv");
        let chains = self.ok("list_chains", json!({}));
        chains[0]["id"].as_i64().unwrap()
    }

    fn query(chain_id: i64) -> Value {
        json!({ "chainId": chain_id, "types": [], "from": null, "to": null, "labels": [], "search": null })
    }
}

/// `fixtures/planted.json`'s entry for the demo: kind -> the transaction IDs it names.
fn planted_demo() -> Vec<(String, Vec<String>)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/planted.json");
    let all: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    all["demo.csv"]
        .as_object()
        .expect("planted.json has demo.csv")
        .iter()
        .map(|(kind, v)| {
            let ids = v[0].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect();
            (kind.clone(), ids)
        })
        .collect()
}

#[test]
fn demo_shows_the_planted_findings() {
    let h = Harness::new();
    let chain = h.open_demo();
    let findings = h.ok("findings", json!({ "chainId": chain }));
    let findings = findings.as_array().unwrap();
    for (kind, ids) in planted_demo() {
        assert!(
            findings.iter().any(|f| f["kind"] == kind.as_str() && f["transactionIds"] == json!(ids)),
            "no {kind} finding for {ids:?} in {findings:#?}"
        );
    }
    let chains = h.ok("list_chains", json!({}));
    let errors = findings.iter().filter(|f| f["severity"] == "error").count() as i64;
    assert_eq!(chains[0]["errors"], errors);
    assert_eq!(chains[0]["explained"], 0);
    assert!(chains[0]["ledgerBalance"].is_string());
}

#[test]
fn report_drafts_name_the_planted_transactions() {
    let h = Harness::new();
    let chain = h.open_demo();
    let findings = h.ok("findings", json!({ "chainId": chain }));
    let ids: Vec<Value> = findings.as_array().unwrap().iter().map(|f| f["id"].clone()).collect();
    let md = h.ok("draft_report", json!({ "chainId": chain, "findingIds": ids, "audience": "support" }));
    let md = md.as_str().unwrap();
    for (kind, txns) in planted_demo() {
        for t in txns {
            assert!(md.contains(&t), "the {kind} transaction {t} is missing from:\n{md}");
        }
    }
    let customer = h.ok("draft_report", json!({ "chainId": chain, "findingIds": [], "audience": "customer" }));
    assert!(!customer.as_str().unwrap().is_empty());
    let bad = h.err("draft_report", json!({ "chainId": chain, "findingIds": ["F-nope"], "audience": "support" }));
    assert_eq!(bad["code"], "not_found");
    let bad_audience = h.err("draft_report", json!({ "chainId": chain, "findingIds": [], "audience": "boss" }));
    assert!(bad_audience.is_string() || bad_audience["message"].is_string(), "{bad_audience}");
}

#[test]
fn ledger_pages_filter_by_type_and_flag_rows() {
    let h = Harness::new();
    let chain = h.open_demo();
    let all = h.ok("ledger_page", json!({ "query": Harness::query(chain), "offset": 0, "limit": 50 }));
    let total = all["total"].as_i64().unwrap();
    assert_eq!(all["rows"].as_array().unwrap().len(), 50);
    let first = &all["rows"][0];
    assert!(first["ts"].as_str().unwrap().ends_with('Z'), "{first}");
    assert!(first["sourceLine"].as_i64().unwrap() > 1);

    let mut query = Harness::query(chain);
    query["types"] = json!(["REFUND"]);
    let refunds = h.ok("ledger_page", json!({ "query": query, "offset": 0, "limit": 500 }));
    let rows = refunds["rows"].as_array().unwrap();
    assert!(!rows.is_empty() && (rows.len() as i64) < total);
    assert!(rows.iter().all(|r| r["type"] == "REFUND"), "{rows:#?}");
    let totals = h.ok("ledger_totals", json!({ "query": query }));
    assert_eq!(totals["entries"], refunds["total"]);

    // The unmatched refund's row carries its finding.
    let (_, ids) = planted_demo().into_iter().find(|(k, _)| k == "unmatched_refund").unwrap();
    let row = rows.iter().find(|r| r["txnId"] == ids[0].as_str()).expect("planted refund row");
    assert_eq!(row["severity"], "warning");
    assert_eq!(row["findingIds"].as_array().unwrap().len(), 1);

    let detail = h.ok("entry_detail", json!({ "entryId": row["id"] }));
    assert_eq!(detail["row"]["txnId"], row["txnId"]);
    assert_eq!(detail["findings"][0]["kind"], "unmatched_refund");

    let facets = h.ok("facets", json!({ "chainId": chain }));
    assert!(facets["types"].as_array().unwrap().contains(&json!("REFUND")));
    let series = h.ok("balance_series", json!({ "chainId": chain, "maxPoints": 100 }));
    assert!(!series["points"].as_array().unwrap().is_empty());
    assert!(!series["marks"].as_array().unwrap().is_empty());
}

#[test]
fn explaining_a_finding_lowers_the_error_count() {
    let h = Harness::new();
    let chain = h.open_demo();
    let before = h.ok("list_chains", json!({}))[0]["errors"].as_i64().unwrap();
    let findings = h.ok("findings", json!({ "chainId": chain }));
    let error = findings.as_array().unwrap().iter().find(|f| f["severity"] == "error").unwrap().clone();

    assert_eq!(h.ok("mark_explained", json!({ "findingId": error["id"], "note": "known" })), Value::Null);
    let chains = h.ok("list_chains", json!({}));
    assert_eq!(chains[0]["errors"], before - 1);
    assert_eq!(chains[0]["explained"], 1);
    let again = h.ok("findings", json!({ "chainId": chain }));
    let same = again.as_array().unwrap().iter().find(|f| f["id"] == error["id"]).unwrap();
    assert_eq!(same["explained"], true);
    assert_eq!(same["note"], "known");

    h.ok("unmark_explained", json!({ "findingId": error["id"] }));
    assert_eq!(h.ok("list_chains", json!({}))[0]["errors"], before);

    let missing = h.err("mark_explained", json!({ "findingId": "F-000000000000", "note": "x" }));
    assert_eq!(missing["code"], "not_found");
}

/// `(errors, warnings, explained)` of the first chain, as the Ledgers screen shows them.
fn counts(h: &Harness) -> (i64, i64, i64) {
    let c = &h.ok("list_chains", json!({}))[0];
    (c["errors"].as_i64().unwrap(), c["warnings"].as_i64().unwrap(), c["explained"].as_i64().unwrap())
}

#[test]
fn explaining_findings_in_bulk_and_reopening_them() {
    let h = Harness::new();
    let chain = h.open_demo();
    let (errors, warnings, explained) = counts(&h);
    assert_eq!(explained, 0);
    let findings = h.ok("findings", json!({ "chainId": chain }));
    let findings = findings.as_array().unwrap();
    let warning_ids: Vec<Value> =
        findings.iter().filter(|f| f["severity"] == "warning").map(|f| f["id"].clone()).collect();
    assert!(warning_ids.len() >= 3, "the demo has several warnings: {findings:#?}");

    let n = h.ok("explain_findings", json!({ "findingIds": warning_ids, "note": "  all known (bulk)  " }));
    assert_eq!(n, json!(warning_ids.len()));
    assert_eq!(counts(&h), (errors, warnings - warning_ids.len() as i64, warning_ids.len() as i64));
    let after = h.ok("findings", json!({ "chainId": chain }));
    for f in after.as_array().unwrap() {
        let bulk = warning_ids.contains(&f["id"]);
        assert_eq!(f["explained"], bulk, "{f}");
        assert_eq!(f["note"], if bulk { json!("all known (bulk)") } else { Value::Null }, "{f}");
    }

    // Reopening brings them back; reopening again finds no notes to remove.
    assert_eq!(h.ok("reopen_findings", json!({ "findingIds": warning_ids })), json!(warning_ids.len()));
    assert_eq!(counts(&h), (errors, warnings, 0));
    assert_eq!(h.ok("reopen_findings", json!({ "findingIds": warning_ids })), json!(0));

    // An unknown id among known ones marks none of them; an empty note is refused.
    let mut with_unknown = warning_ids.clone();
    with_unknown.push(json!("F-000000000000"));
    let missing = h.err("explain_findings", json!({ "findingIds": with_unknown, "note": "x" }));
    assert_eq!(missing["code"], "not_found");
    assert!(missing["message"].as_str().unwrap().contains("F-000000000000"), "{missing}");
    let empty = h.err("explain_findings", json!({ "findingIds": warning_ids, "note": "   " }));
    assert_eq!(empty["code"], "bad_input");
    assert_eq!(counts(&h), (errors, warnings, 0), "a refused bulk change changes nothing");
}

#[test]
fn thousands_of_warnings_are_explained_in_one_call() {
    let h = Harness::new();
    let csv = h.dir.join("tips.csv");
    std::fs::write(&csv, tip_ledger::tip_ledger_csv()).unwrap();
    h.picked(&[&csv]);
    let outcome = h.ok("import_files", json!({ "paths": [csv], "onProgress": "__CHANNEL__:3" }));
    assert_eq!(outcome["files"][0]["new"], json!(tip_ledger::ENTRIES));
    let chain = h.ok("list_chains", json!({}))[0]["id"].as_i64().unwrap();
    let findings = h.ok("findings", json!({ "chainId": chain }));
    let findings = findings.as_array().unwrap();
    assert!(findings.iter().all(|f| f["kind"] == "unknown_type"), "only the tips are flagged");
    assert_eq!(findings.len(), tip_ledger::TIPS);
    assert_eq!(counts(&h), (0, tip_ledger::TIPS as i64, 0));

    let ids: Vec<&Value> = findings.iter().map(|f| &f["id"]).collect();
    let n = h.ok("explain_findings", json!({ "findingIds": ids, "note": "TIP is Reverie's tipping feature" }));
    assert_eq!(n, json!(tip_ledger::TIPS));
    assert_eq!(counts(&h), (0, 0, tip_ledger::TIPS as i64));
    assert_eq!(h.ok("reopen_findings", json!({ "findingIds": ids[..500] })), json!(500));
    assert_eq!(counts(&h), (0, 500, tip_ledger::TIPS as i64 - 500));
}

fn findings_query(chain: i64) -> Value {
    json!({ "chainId": chain, "kind": null, "severity": null, "showExplained": false, "sort": "time" })
}

#[test]
fn findings_come_a_page_at_a_time_in_the_order_the_table_shows() {
    let h = Harness::new();
    let csv = h.dir.join("tips.csv");
    std::fs::write(&csv, tip_ledger::tip_ledger_csv()).unwrap();
    h.picked(&[&csv]);
    h.ok("import_files", json!({ "paths": [csv], "onProgress": "__CHANNEL__:3" }));
    let chain = h.ok("list_chains", json!({}))[0]["id"].as_i64().unwrap();
    let all = h.ok("findings", json!({ "chainId": chain }));
    let all = all.as_array().unwrap();
    let query = findings_query(chain);

    // Pages of 700 cover the whole list once, newest first, with the counts on every page.
    let mut seen: Vec<Value> = Vec::new();
    for offset in (0..tip_ledger::TIPS).step_by(700) {
        let page = h.ok("findings_page", json!({ "query": query, "offset": offset, "limit": 700 }));
        assert_eq!(page["total"], json!(tip_ledger::TIPS));
        assert_eq!(page["offset"], json!(offset));
        assert_eq!(
            (&page["errors"], &page["warnings"], &page["explained"]),
            (&json!(0), &json!(tip_ledger::TIPS), &json!(0))
        );
        assert_eq!(
            page["kinds"],
            json!([{ "kind": "unknown_type", "severity": "warning", "open": tip_ledger::TIPS, "explained": 0 }])
        );
        seen.extend(page["rows"].as_array().unwrap().iter().cloned());
    }
    assert_eq!(seen.len(), tip_ledger::TIPS);
    let times: Vec<&str> = seen.iter().map(|f| f["ts"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] > w[1]), "newest first, one tip a minute");
    let mut ids: Vec<&Value> = seen.iter().map(|f| &f["id"]).collect();
    ids.sort_by_key(|v| v.as_str().unwrap());
    let mut expected: Vec<&Value> = all.iter().map(|f| &f["id"]).collect();
    expected.sort_by_key(|v| v.as_str().unwrap());
    assert_eq!(ids, expected, "every finding exactly once");
    // The txn IDs count up with time: the newest tip is the last one generated.
    assert_eq!(seen[0]["transactionIds"], json!(["txn_tip02999"]));

    // Past the end: an empty page, the offset held to the total.
    let past = h.ok("findings_page", json!({ "query": query, "offset": 5000, "limit": 10 }));
    assert_eq!(
        (past["total"].clone(), past["offset"].clone(), past["rows"].clone()),
        (json!(tip_ledger::TIPS), json!(tip_ledger::TIPS), json!([]))
    );
    let refused = h.err("findings_page", json!({ "query": query, "offset": 0, "limit": 100_000 }));
    assert_eq!(refused["code"], "bad_input");
    let unknown = h.err("findings_page", json!({ "query": findings_query(chain + 99), "offset": 0, "limit": 10 }));
    assert_eq!(unknown["code"], "not_found");

    // Explain the 300 newest: hidden by default, shown (after the open ones' times interleave)
    // with showExplained, and the counts follow.
    let newest: Vec<Value> = seen[..300].iter().map(|f| f["id"].clone()).collect();
    h.ok("explain_findings", json!({ "findingIds": newest, "note": "tips" }));
    let page = h.ok("findings_page", json!({ "query": query, "offset": 0, "limit": 5 }));
    assert_eq!(page["total"], json!(tip_ledger::TIPS - 300));
    assert_eq!((&page["warnings"], &page["explained"]), (&json!(tip_ledger::TIPS - 300), &json!(300)));
    assert_eq!(page["rows"][0]["id"], seen[300]["id"]);
    let mut with = query.clone();
    with["showExplained"] = json!(true);
    let page = h.ok("findings_page", json!({ "query": with, "offset": 0, "limit": 5 }));
    assert_eq!(
        (page["total"].clone(), page["rows"][0]["id"].clone(), page["rows"][0]["explained"].clone()),
        (json!(tip_ledger::TIPS), seen[0]["id"].clone(), json!(true))
    );

    // The IDs a bulk change needs, split open / explained.
    let ids = h.ok("finding_ids", json!({ "query": with }));
    assert_eq!(
        (ids["open"].as_array().unwrap().len(), ids["explained"].as_array().unwrap().len()),
        (tip_ledger::TIPS - 300, 300)
    );
    assert_eq!(ids["explained"][0], seen[0]["id"]);

    // Filters that match nothing: by severity, by kind.
    let mut errors = query.clone();
    errors["severity"] = json!("error");
    assert_eq!(h.ok("findings_page", json!({ "query": errors, "offset": 0, "limit": 5 }))["total"], json!(0));
    let mut kind = query.clone();
    kind["kind"] = json!("balance_break");
    assert_eq!(h.ok("findings_page", json!({ "query": kind, "offset": 0, "limit": 5 }))["total"], json!(0));
}

#[test]
fn findings_pages_by_delta_and_kind_on_the_demo() {
    let h = Harness::new();
    let chain = h.open_demo();
    let all = h.ok("findings", json!({ "chainId": chain }));
    let all = all.as_array().unwrap();
    let mut query = findings_query(chain);
    query["sort"] = json!("amount");
    let page = h.ok("findings_page", json!({ "query": query, "offset": 0, "limit": 1000 }));
    let rows = page["rows"].as_array().unwrap();
    assert_eq!(rows.len(), all.len());
    // |delta| never grows down the list; findings without a delta come last.
    let deltas: Vec<Option<rust_decimal::Decimal>> =
        rows.iter().map(|f| f["delta"].as_str().map(|d| d.parse::<rust_decimal::Decimal>().unwrap().abs())).collect();
    let first_none = deltas.iter().position(Option::is_none).unwrap_or(deltas.len());
    assert!(first_none > 0 && deltas[first_none..].iter().all(Option::is_none), "{deltas:?}");
    assert!(deltas[..first_none].windows(2).all(|w| w[0] >= w[1]), "{deltas:?}");
    // Each kind chip's counts are the findings of that kind; a kind filter pages only them.
    for k in page["kinds"].as_array().unwrap() {
        let n = all.iter().filter(|f| f["kind"] == k["kind"]).count();
        assert_eq!(k["open"].as_i64().unwrap() as usize, n, "{k}");
        query["kind"] = k["kind"].clone();
        let only = h.ok("findings_page", json!({ "query": query, "offset": 0, "limit": 1000 }));
        assert_eq!(only["total"].as_i64().unwrap() as usize, n);
        assert!(only["rows"].as_array().unwrap().iter().all(|f| f["kind"] == k["kind"]));
    }
    let errors = all.iter().filter(|f| f["severity"] == "error").count() as i64;
    assert_eq!(page["errors"], json!(errors));
    assert!(errors > 0, "the demo plants errors");
    let kinds: Vec<&str> = page["kinds"].as_array().unwrap().iter().map(|k| k["severity"].as_str().unwrap()).collect();
    assert!(kinds.windows(2).all(|w| !(w[0] == "warning" && w[1] == "error")), "errors' kinds first: {kinds:?}");
}

#[test]
fn the_chart_keeps_each_columns_lowest_and_highest_and_clusters_its_findings() {
    let h = Harness::new();
    let csv = h.dir.join("tips.csv");
    let text = tip_ledger::tip_ledger_csv();
    std::fs::write(&csv, &text).unwrap();
    h.picked(&[&csv]);
    h.ok("import_files", json!({ "paths": [csv], "onProgress": "__CHANNEL__:3" }));
    let chain = h.ok("list_chains", json!({}))[0]["id"].as_i64().unwrap();
    // The export's (time, balance, is a tip), oldest first.
    let mut rows: Vec<(i64, rust_decimal::Decimal, bool)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let ts = chrono::DateTime::parse_from_rfc3339(f[1]).unwrap().timestamp_micros();
            (ts, f[5].parse().unwrap(), f[2] == "TIP")
        })
        .collect();
    rows.sort_by_key(|r| r.0);
    let micros = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap().timestamp_micros();
    let check = |from: i64, to: i64, columns: i64, series: &Value| {
        let points: Vec<(i64, rust_decimal::Decimal)> = series["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (micros(&p["ts"]), p["balance"].as_str().unwrap().parse().unwrap()))
            .collect();
        let inside: Vec<&(i64, rust_decimal::Decimal)> = points.iter().filter(|p| p.0 >= from && p.0 <= to).collect();
        assert!(inside.len() as i64 <= 4 * columns, "{} points for {columns} columns", inside.len());
        assert!(points.len() - inside.len() <= 2, "one point each side of the window at most");
        let span = (to - from + 1) as i128;
        let column = |ts: i64| ((ts - from) as i128 * columns as i128 / span) as i64;
        for c in 0..columns {
            let entries: Vec<_> = rows.iter().filter(|r| r.0 >= from && r.0 <= to && column(r.0) == c).collect();
            let Some(lo) = entries.iter().map(|r| r.1).min() else { continue };
            let hi = entries.iter().map(|r| r.1).max().unwrap();
            let drawn: Vec<_> = inside.iter().filter(|p| column(p.0) == c).map(|p| p.1).collect();
            assert_eq!((drawn.iter().min(), drawn.iter().max()), (Some(&lo), Some(&hi)), "column {c}");
        }
        let marks = series["marks"].as_array().unwrap();
        assert!(marks.len() as i64 <= columns);
        let tips = rows.iter().filter(|r| r.2 && r.0 >= from && r.0 <= to).count() as i64;
        assert_eq!(marks.iter().map(|m| m["count"].as_i64().unwrap()).sum::<i64>(), tips);
        assert!(marks.iter().all(|m| m["errors"] == 0 && m["kind"] == "unknown_type"));
    };
    let (first, last) = (rows[0].0, rows[rows.len() - 1].0);
    let whole = h.ok("balance_series", json!({ "chainId": chain, "maxPoints": 40 }));
    check(first, last, 10, &whole);
    // Zoomed to a 100-minute window: 25 columns over it, the line entering and leaving it.
    let (from, to) = (rows[1000].0, rows[1100].0);
    let window = h.ok(
        "balance_series",
        json!({ "chainId": chain, "maxPoints": 100, "from": model_time(from), "to": model_time(to) }),
    );
    check(from, to, 25, &window);
    let points = window["points"].as_array().unwrap();
    assert_eq!(micros(&points[0]["ts"]), rows[999].0, "the point before the window");
    assert_eq!(micros(&points[points.len() - 1]["ts"]), rows[1101].0, "the point after it");
    let bad = h.err("balance_series", json!({ "chainId": chain, "maxPoints": 100, "from": "yesterday" }));
    assert_eq!(bad["code"], "bad_input");
}

fn model_time(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros).unwrap().to_rfc3339()
}

#[test]
fn export_writes_the_filtered_rows() {
    let h = Harness::new();
    let chain = h.open_demo();
    let mut query = Harness::query(chain);
    query["types"] = json!(["DAILY_LOGIN"]);
    let out = h.dir.join("logins.csv");
    h.picked_to_save(&out);
    let n = h.ok(
        "export_ledger",
        json!({ "query": query, "format": "csv", "local": false,
                                          "path": out.display().to_string() }),
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), "Transaction ID,Date,Type,Description,Amount,Balance after,Character,Model");
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len() as i64, n.as_i64().unwrap());
    assert!(!rows.is_empty() && rows.iter().all(|r| r.contains(",DAILY_LOGIN,")));

    let json_out = h.dir.join("logins.json");
    h.picked_to_save(&json_out);
    h.ok(
        "export_ledger",
        json!({ "query": query, "format": "json", "local": true,
                                  "path": json_out.display().to_string() }),
    );
    let parsed: Value = serde_json::from_str(&std::fs::read_to_string(&json_out).unwrap()).unwrap();
    assert_eq!(parsed["data"].as_array().unwrap().len() as i64, n.as_i64().unwrap());

    h.picked_to_save(&h.dir.join("no/such/dir.csv"));
    let no_dir = h.err(
        "export_ledger",
        json!({ "query": query, "format": "csv", "local": false,
                                                "path": h.dir.join("no/such/dir.csv").display().to_string() }),
    );
    assert_eq!(no_dir["code"], "io");
}

#[test]
fn errors_reject_with_code_and_message() {
    let h = Harness::new();
    let chain = h.open_demo();
    let bad = h.err("set_stated_balance", json!({ "chainId": chain, "value": "twelve" }));
    assert_eq!(bad["code"], "bad_input");
    assert!(bad["message"].as_str().unwrap().contains("twelve"));
    assert_eq!(bad.as_object().unwrap().len(), 2, "{bad}");

    let set = h.ok("set_stated_balance", json!({ "chainId": chain, "value": "1,000.00" }));
    assert_eq!(set["statedBalance"], "1000.00");
    let findings = h.ok("findings", json!({ "chainId": chain }));
    assert!(findings.as_array().unwrap().iter().any(|f| f["kind"] == "head_mismatch"));
    let cleared = h.ok("set_stated_balance", json!({ "chainId": chain, "value": null }));
    assert_eq!(cleared["statedBalance"], Value::Null);

    assert_eq!(h.err("facets", json!({ "chainId": 999 }))["code"], "not_found");
    assert_eq!(h.err("entry_detail", json!({ "entryId": 999999 }))["code"], "not_found");
    h.picked(&[&h.dir.join("nope.csv")]);
    let missing = h.err("import_files", json!({ "paths": [h.dir.join("nope.csv")], "onProgress": "__CHANNEL__:1" }));
    assert_eq!(missing["code"], "io");
    let garbage = h.dir.join("garbage.csv");
    std::fs::write(&garbage, "hello\nworld\n").unwrap();
    h.picked(&[&garbage]);
    let bad_file = h.err("import_files", json!({ "paths": [garbage], "onProgress": "__CHANNEL__:1" }));
    assert_eq!(bad_file["code"], "bad_input");
    assert!(bad_file["message"].as_str().unwrap().contains("garbage.csv"));
}

#[test]
fn saving_text_writes_the_file() {
    let h = Harness::new();
    let out = h.dir.join("report.md");
    h.picked_to_save(&out);
    h.ok("save_text", json!({ "path": out.display().to_string(), "content": "# Report\n" }));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "# Report\n");
    assert_eq!(h.err("save_text", json!({ "path": " ", "content": "" }))["code"], "bad_input");
}

#[test]
fn a_cancelled_import_reports_progress_and_stores_nothing() {
    let h = Harness::new();
    let state = h.webview.state::<AppState>().inner().clone();
    let demo = h.dir.join("demo.csv");
    std::fs::write(&demo, crate::commands::DEMO_CSV).unwrap();

    let events: Arc<Mutex<Vec<ImportProgressEvent>>> = Arc::default();
    let seen = events.clone();
    let channel = Channel::new(move |body: InvokeResponseBody| {
        if let InvokeResponseBody::Json(text) = body {
            let v: Value = serde_json::from_str(&text).unwrap();
            seen.lock().unwrap().push(ImportProgressEvent {
                file: v["file"].as_str().unwrap().into(),
                file_index: v["fileIndex"].as_i64().unwrap(),
                files: v["files"].as_i64().unwrap(),
                bytes_done: v["bytesDone"].as_i64().unwrap(),
                bytes_total: v["bytesTotal"].as_i64().unwrap(),
                stage: serde_json::from_value(v["stage"].clone()).unwrap(),
            });
        }
        Ok(())
    });
    let slot = state.begin_import().unwrap();
    assert!(state.begin_import().is_err(), "a second import must wait for the first");
    h.ok("cancel_import", json!({}));
    let err = crate::commands::run_import(&state, &slot, std::slice::from_ref(&demo), None, channel).unwrap_err();
    assert_eq!(err.code, ErrorCode::Cancelled);
    drop(slot);
    let events = events.lock().unwrap();
    assert!(!events.is_empty(), "progress reaches the channel before the cancel is seen");
    assert_eq!(events[0].files, 1);
    assert_eq!(h.ok("list_chains", json!({})), json!([]), "nothing stored");

    // The next import starts afresh: the cancel does not stick.
    h.open_demo();
}

/// Regenerates `ui/src/bindings/` with `RECKON_UPDATE_BINDINGS=1`; otherwise fails when the
/// committed files differ from what the DTOs generate.
#[test]
fn export_bindings() {
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings");
    let fresh = tempfile::tempdir().unwrap();
    crate::export_bindings(fresh.path()).expect("ts-rs export");
    let generated = read_dir_sorted(fresh.path());
    if std::env::var("RECKON_UPDATE_BINDINGS").as_deref() == Ok("1") {
        std::fs::create_dir_all(&committed).unwrap();
        for (name, _) in read_dir_sorted(&committed) {
            std::fs::remove_file(committed.join(name)).unwrap();
        }
        for (name, text) in &generated {
            std::fs::write(committed.join(name), text).unwrap();
        }
        return;
    }
    let current = read_dir_sorted(&committed);
    if current != generated {
        let mut differing: Vec<&String> = generated
            .iter()
            .filter(|g| !current.contains(g))
            .chain(current.iter().filter(|c| !generated.contains(c)))
            .map(|(name, _)| name)
            .collect();
        differing.sort();
        differing.dedup();
        panic!(
            "ui/src/bindings/ is out of date with src-tauri/src/dto/ or the command table; these files differ, are \
             missing or are extra: {differing:?}.\nRegenerate them with:\n    \
             RECKON_UPDATE_BINDINGS=1 cargo test -p reckon-desktop --lib export_bindings"
        );
    }
}

fn read_dir_sorted(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "ts"))
                .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read_to_string(e.path()).unwrap()))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// One database for the CLI and the app. With no `$RECKON_DB` the app opens
/// `reckon/reckon.db` in the platform's data directory, the file `reckon` writes without
/// `--db` (`tests/it/cli.rs`: `the_cli_writes_the_shared_default_database`), so a ledger
/// imported by one is seen by the other; "Open database..." then switches to another file.
#[test]
fn the_app_opens_the_database_the_cli_uses_and_can_open_another() {
    let dir = tempfile::tempdir().expect("temp dir");
    // No other test of this binary reads these variables (the others name their database).
    std::env::remove_var("RECKON_DB");
    std::env::set_var("XDG_DATA_HOME", dir.path());
    let shared = dir.path().join("reckon").join("reckon.db");
    assert_eq!(StoreLocation::resolve().db, shared);
    assert_eq!(reckon::store::Store::default_path(), shared);

    // What `reckon import fixtures/clean.csv` does without --db.
    let mut store = reckon::store::Store::open(&shared).expect("shared database");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/clean.csv");
    let options = reckon::import::ImportOptions::new(chrono::Utc::now());
    reckon::import::import(&mut store, &[fixture], &options, &mut reckon::import::NoProgress).expect("import");
    drop(store);

    let other = dir.path().join("elsewhere").join("other.db");
    let h = Harness::with(dir, None);
    assert_eq!(h.ok("database_path", json!({})), json!(shared.display().to_string()));
    let chains = h.ok("list_chains", json!({}));
    assert_eq!(chains.as_array().map(Vec::len), Some(1), "{chains}");
    assert_eq!(chains[0]["entries"], json!(97));

    h.picked_to_save(&other);
    assert_eq!(
        h.ok("open_database", json!({ "path": other.display().to_string() })),
        json!(other.display().to_string())
    );
    assert_eq!(h.ok("list_chains", json!({})), json!([]), "the other database is empty");
    assert_eq!(h.ok("database_path", json!({})), json!(other.display().to_string()));
    assert_eq!(h.err("open_database", json!({ "path": "" }))["code"], json!("bad_input"));
}

/// The webview cannot make the shell read or write a file the user did not pick: a path it
/// makes up is refused (an injected script cannot read ~/.ssh or overwrite a document), and a
/// save pick allows one write.
#[test]
fn only_files_the_user_picked_are_read_or_written() {
    let h = Harness::new();
    let chain = h.open_demo();
    let secret = h.dir.join("not-picked.csv");
    std::fs::write(&secret, "Transaction ID,Date,Type,Description,Amount,Balance after\n").unwrap();
    let refused = h.err("import_files", json!({ "paths": [secret], "onProgress": "__CHANNEL__:1" }));
    assert_eq!(refused["code"], "bad_input");
    assert!(refused["message"].as_str().unwrap().contains("not chosen"), "{refused}");

    let target = h.dir.join("document.csv");
    std::fs::write(&target, "the user's own file").unwrap();
    let args = json!({ "query": Harness::query(chain), "format": "csv", "local": false,
                       "path": target.display().to_string() });
    assert_eq!(h.err("export_ledger", args.clone())["code"], "bad_input");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "the user's own file", "left alone");
    let text = json!({ "path": target.display().to_string(), "content": "x" });
    assert_eq!(h.err("save_text", text.clone())["code"], "bad_input");
    let db = json!({ "path": h.dir.join("other.db").display().to_string() });
    assert_eq!(h.err("open_database", db)["code"], "bad_input");

    // Picked in the save dialog: one write, then refused again.
    h.picked_to_save(&target);
    h.ok("export_ledger", args.clone());
    assert!(std::fs::read_to_string(&target).unwrap().starts_with("Transaction ID"));
    assert_eq!(h.err("export_ledger", args)["code"], "bad_input");
}

/// The grant ledger and the usage feed without its Balance column through the commands: the
/// feed into an account of its own, the grant ledger's pending balance beside its available
/// one (list and chart), then anchors added, listed and removed on the feed, each change
/// re-running the check (the anchor_mismatch comes and goes), and the chart rebuilt from them.
#[test]
fn anchors_and_pending_balances_through_the_commands() {
    let h = Harness::new();
    let fixture = |name: &str| Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(name);
    let (grants, feed) = (fixture("grant-ledger.csv"), fixture("usage-feed-nobalance.csv"));
    h.picked(&[&grants, &feed]);
    h.ok("import_files", json!({ "paths": [grants], "account": null, "onProgress": "__CHANNEL__:3" }));
    h.ok("import_files", json!({ "paths": [feed], "account": " feed ", "onProgress": "__CHANNEL__:3" }));
    let chains = h.ok("list_chains", json!({}));
    let chain = |account: &str, currency: &str| -> Value {
        chains
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["account"] == account && c["currency"] == currency)
            .unwrap()
            .clone()
    };
    let credits = chain("default", "credits");
    assert_eq!((&credits["ledgerBalance"], &credits["pendingBalance"]), (&json!("500.00"), &json!("200.00")));
    assert_eq!(chain("default", "USD")["pendingBalance"], Value::Null);
    let feed_chain = chain("feed", "credits");
    assert_eq!((&feed_chain["ledgerBalance"], &feed_chain["pendingBalance"]), (&Value::Null, &Value::Null));

    // The chart: available, and pending at each entry (gl_003's 500 pending until gl_005, ...).
    let series = h.ok("balance_series", json!({ "chainId": credits["id"], "maxPoints": 2000 }));
    let points: Vec<(String, String, String)> = series["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["ts"].as_str().unwrap()[..10].to_string(),
                p["balance"].as_str().unwrap().into(),
                p["pending"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected = [
        ("2026-01-01", "1000.00", "0.00"),
        ("2026-01-03", "880.00", "0.00"),
        ("2026-01-05", "880.00", "500.00"),
        ("2026-01-06", "-120.00", "500.00"),
        ("2026-01-10", "380.00", "0.00"),
        ("2026-01-12", "380.00", "300.00"),
        ("2026-01-20", "630.00", "0.00"),
        ("2026-02-01", "630.00", "200.00"),
        ("2026-02-05", "600.00", "200.00"),
        ("2026-03-05", "500.00", "200.00"),
    ];
    let expected: Vec<(String, String, String)> =
        expected.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
    assert_eq!(points, expected);

    // Anchors on the feed: an opening 100 on 28 February, then 74.30 stated at the end of
    // 5 March where the ten entries since add up to -24.50: -1.20 unexplained before use_0010.
    let id = feed_chain["id"].clone();
    let errors = |h: &Harness| -> Vec<Value> {
        let all = h.ok("findings", json!({ "chainId": id }));
        all.as_array().unwrap().iter().filter(|f| f["kind"] == "anchor_mismatch").cloned().collect()
    };
    assert!(errors(&h).is_empty());
    assert_eq!(feed_chain["rebuiltBalance"], Value::Null, "no anchor, no opening balance: nothing to rebuild from");
    let add = |at: &str, balance: &str, kind: &str| {
        h.ok(
            "add_anchor",
            json!({ "request": { "chainId": id, "at": at, "balance": balance, "kind": kind, "note": "page" } }),
        )
    };
    let opening = add("2026-02-28 23:59:59", "100", "opening");
    assert_eq!(
        (&opening["at"], &opening["balance"], &opening["kind"]),
        (&json!("2026-02-28T23:59:59Z"), &json!("100.00"), &json!("opening"))
    );
    let rebuilt = |h: &Harness| -> Value {
        let chains = h.ok("list_chains", json!({}));
        chains.as_array().unwrap().iter().find(|c| c["id"] == id).unwrap()["rebuiltBalance"].clone()
    };
    // 100 and the fifteen entries' -14.75.
    assert_eq!(rebuilt(&h), json!("85.25"));
    let stated = add("2026-03-05 23:59:59", "74.30", "stated");
    // From 74.30, the five entries after it (+9.75).
    assert_eq!(rebuilt(&h), json!("84.05"));
    let found = errors(&h);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((&found[0]["transactionIds"], &found[0]["delta"]), (&json!(["use_0010"]), &json!("-1.20")));
    assert_eq!(h.ok("list_anchors", json!({ "chainId": id })).as_array().unwrap().len(), 2);
    // The chart is rebuilt from the anchors: 100 - 2.50 after use_0001; after the stated
    // anchor it goes on from 74.30 (+3.00 refund use_0011).
    let series = h.ok("balance_series", json!({ "chainId": id, "maxPoints": 2000 }));
    let balances: Vec<&str> =
        series["points"].as_array().unwrap().iter().map(|p| p["balance"].as_str().unwrap()).collect();
    assert_eq!(balances.first(), Some(&"97.50"));
    assert_eq!(balances.get(10), Some(&"77.30"));
    assert_eq!(balances.last(), Some(&"84.05"));
    let report = h.ok("draft_report", json!({ "chainId": id, "findingIds": [], "audience": "support" }));
    assert!(report.as_str().unwrap().contains("rebuilt from the opening balance of 100.00 on 2026-02-28 23:59:59 UTC"));

    // Bad input is refused with the fix, and stores nothing.
    let bad = h.err(
        "add_anchor",
        json!({ "request": { "chainId": id, "at": "3 March", "balance": "1", "kind": "stated", "note": "" } }),
    );
    assert_eq!(bad["code"], "bad_input");
    assert!(bad["message"].as_str().unwrap().contains("2026-03-03 12:00:00"), "{bad}");
    let bad = h.err(
        "add_anchor",
        json!({ "request": { "chainId": id, "at": "2026-03-03", "balance": "1,2,3x", "kind": "stated", "note": "" } }),
    );
    assert_eq!(bad["code"], "bad_input");
    assert_eq!(h.ok("list_anchors", json!({ "chainId": id })).as_array().unwrap().len(), 2);

    h.ok("remove_anchor", json!({ "anchorId": stated["id"] }));
    assert!(errors(&h).is_empty());
    assert_eq!(h.err("remove_anchor", json!({ "anchorId": stated["id"] }))["code"], "not_found");
}

#[test]
fn the_workspace_usage_views_total_the_pages_tabs() {
    let h = Harness::new();
    let fixture = |name: &str| Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(name);
    let tabs =
        ["workspace-conversations.csv", "workspace-mcp-calls.csv", "workspace-credit-adjustments.csv"].map(fixture);
    h.picked(&tabs.iter().map(|p| p.as_path()).collect::<Vec<_>>());
    h.ok("import_files", json!({ "paths": tabs, "account": "acme", "onProgress": "__CHANNEL__:3" }));
    let chain_id = h.ok("list_chains", json!({}))[0]["id"].clone();
    let views = h.ok("usage_views", json!({ "chainId": chain_id }));
    let keys: Vec<&str> = views.as_array().unwrap().iter().map(|v| v["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["conversation", "billing-type", "api-key", "import-type", "user"]);
    let summary = |view: &str, last: Option<&str>, sort: &str| -> Vec<(String, String)> {
        let request =
            json!({ "query": Harness::query(chain_id.as_i64().unwrap()), "view": view, "last": last, "sort": sort });
        let rows = h.ok("usage_summary", json!({ "request": request }));
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| (r["key"].as_str().unwrap().to_string(), r["creditsUsed"].as_str().unwrap().to_string()))
            .collect()
    };
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(
        summary("conversation", None, "credits"),
        vec![
            pair("cv_7f3a03", "250.00"),
            pair("cv_7f3a02", "80.00"),
            pair("cv_7f3a01", "30.00"),
            pair("cv_7f3a04", "15.00")
        ]
    );
    assert_eq!(summary("api-key", None, "key"), vec![pair("ci-bot", "17.50"), pair("zapier", "3.00")]);
    // The newest entry is 20 March (the expiration): the last 7 days hold only cv_7f3a03.
    assert_eq!(summary("conversation", Some("7d"), "recent"), vec![pair("cv_7f3a03", "250.00")]);
    let bad =
        json!({ "query": Harness::query(chain_id.as_i64().unwrap()), "view": "model", "last": null, "sort": "key" });
    assert_eq!(h.err("usage_summary", json!({ "request": bad }))["code"], "bad_input");

    // A ledger of another source offers no views.
    h.open_demo();
    let chains = h.ok("list_chains", json!({}));
    let demo = chains.as_array().unwrap().iter().find(|c| c["source"] == "reverie").unwrap()["id"].clone();
    assert_eq!(h.ok("usage_views", json!({ "chainId": demo })), json!([]));
}

/// The mapping builder through the commands: a picked bank CSV previewed with a profile still
/// missing its roles (the header comes back, and what is missing), then with the roles (each
/// cell read, the failing row named with its line and column), saved (the CLI's TOML file),
/// listed, loaded back and used to import, the planted balance break found.
#[test]
fn a_profile_built_from_a_preview_imports_the_bank_csv() {
    let h = Harness::new();
    // Profiles live in the user's config directory: this test's own.
    std::env::set_var("XDG_CONFIG_HOME", h.dir.join("config"));
    let bank = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/bank-debit-credit.csv");
    let mut text = std::fs::read_to_string(&bank).unwrap();
    text.push_str("21.01.2026;R-1009;Bad row;12.34;;5.664,00;x\r\n");
    let file = h.dir.join("statement.csv");
    std::fs::write(&file, text).unwrap();
    let mut profile = json!({
        "delimiter": ";", "decimalSeparator": ",", "thousandsSeparator": ".", "dateFormat": "DD.MM.YYYY",
        "timeZone": "+01:00", "idColumn": null, "timeColumn": "", "amountColumn": null, "debitColumn": null,
        "creditColumn": null, "balanceColumn": null, "typeColumn": null, "descriptionColumn": null,
        "dimensionColumns": []
    });
    let path = file.display().to_string();
    assert_eq!(
        h.err("preview_profile", json!({ "path": path, "profile": profile }))["code"],
        "bad_input",
        "not picked"
    );
    h.picked(&[&file]);
    let first = h.ok("preview_profile", json!({ "path": path, "profile": profile }));
    assert_eq!(first["header"], json!(["Date", "Reference", "Text", "Debit", "Credit", "Balance", "Category"]));
    assert!(first["error"].as_str().unwrap().contains("time column"), "{first}");

    for (role, column) in [
        ("idColumn", "Reference"),
        ("timeColumn", "Date"),
        ("debitColumn", "Debit"),
        ("creditColumn", "Credit"),
        ("balanceColumn", "Balance"),
        ("descriptionColumn", "Text"),
    ] {
        profile[role] = json!(column);
    }
    profile["dimensionColumns"] = json!(["Category"]);
    let preview = h.ok("preview_profile", json!({ "path": path, "profile": profile }));
    assert_eq!(preview["error"], Value::Null, "{preview}");
    let rows = preview["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 9);
    let rent = &rows[2];
    assert_eq!(rent["line"], 4);
    let debit = rent["cells"].as_array().unwrap().iter().find(|c| c["role"] == "debit").unwrap();
    assert_eq!((debit["text"].as_str(), debit["value"].as_str()), (Some("1.234,56"), Some("1234.56")));
    let failing: Vec<i64> =
        rows.iter().filter(|r| !r["error"].is_null()).map(|r| r["line"].as_i64().unwrap()).collect();
    assert_eq!(failing, vec![10]);
    let error = rows[8]["error"].as_str().unwrap();
    assert!(error.contains(&format!("{path}:10:27: Debit \"12.34\"")), "{error}");

    let saved = h.ok("save_profile", json!({ "name": "bank", "profile": profile }));
    assert!(saved.as_str().unwrap().ends_with("reckon/profiles/bank.toml"), "{saved}");
    assert_eq!(h.ok("list_profiles", json!({})), json!(["bank"]));
    assert_eq!(h.ok("load_profile", json!({ "name": "bank" })), profile);
    assert_eq!(h.err("save_profile", json!({ "name": "../up", "profile": profile }))["code"], "bad_input");

    // The row that fails refuses the whole file; the fixture itself imports.
    let refused = h.err(
        "import_with_profile",
        json!({ "paths": [path], "name": "bank", "account": "bank", "onProgress": "__CHANNEL__:3" }),
    );
    assert!(refused["message"].as_str().unwrap().contains(":10:27:"), "{refused}");
    h.picked(&[&bank]);
    let outcome = h.ok(
        "import_with_profile",
        json!({ "paths": [bank.display().to_string()], "name": "bank", "account": "bank", "onProgress": "__CHANNEL__:3" }),
    );
    assert_eq!(
        (outcome["files"][0]["new"].as_i64(), outcome["files"][0]["format"].as_str()),
        (Some(8), Some("profile"))
    );
    let chains = h.ok("list_chains", json!({}));
    assert_eq!(chains[0]["account"], "bank");
    let findings = h.ok("findings", json!({ "chainId": chains[0]["id"] }));
    let kinds: Vec<(&str, &str)> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["kind"].as_str().unwrap(), f["delta"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(kinds, vec![("balance_break", "-4.35")]);
    // The entry's raw line, read again by the profile's reader.
    let detail = h.ok("entry_detail", json!({ "entryId": findings[0]["entryIds"][1] }));
    assert_eq!(detail["rawLine"], "12.01.2026;R-1006;Account fee;2,35;;3.266,24;fees", "{detail}");
}

/// "Match with..." through the commands: usage records and a ledger of the same money in two
/// accounts; the one-sided entry of each shows in that ledger's findings, naming both.
#[test]
fn match_with_reports_the_one_sided_entries_in_each_ledgers_findings() {
    let h = Harness::new();
    let usage = h.dir.join("mcp.csv");
    std::fs::write(
        &usage,
        "Call ID,API Key Name,Credits,User,Created At\nmcp_1,ci-bot,5,,2026-03-07 12:00:00\nmcp_3,ci-bot,2.5,,2026-03-08 09:00:00\n",
    )
    .unwrap();
    let ledger = h.dir.join("feed.csv");
    std::fs::write(
        &ledger,
        "Entry ID,Time,Kind,Description,Credits,Reason,Refund of\nled_1,2026-03-07T12:00:20Z,charge,MCP call,5,,\nled_9,2026-03-09T11:00:00Z,charge,Conversation,7,,\n",
    )
    .unwrap();
    h.picked(&[&usage, &ledger]);
    h.ok("import_files", json!({ "paths": [usage], "account": "workspace", "onProgress": "__CHANNEL__:1" }));
    h.ok("import_files", json!({ "paths": [ledger], "account": "ledger", "onProgress": "__CHANNEL__:1" }));
    let args = json!({ "account": "workspace", "other": "ledger", "toleranceSeconds": null });
    let outcome = h.ok("match_accounts", args.clone());
    assert_eq!(
        outcome,
        json!({ "account": "workspace", "with": "ledger", "entries": 2, "withEntries": 2, "pairs": 1,
                "pairsById": 0, "onlyInAccount": 1, "onlyInWith": 1 })
    );
    h.ok("match_accounts", args);
    let chains = h.ok("list_chains", json!({}));
    for (account, txn, delta, other) in
        [("workspace", "mcp_3", "-2.50", "ledger"), ("ledger", "led_9", "-7.00", "workspace")]
    {
        let chain = chains.as_array().unwrap().iter().find(|c| c["account"] == account).unwrap();
        assert_eq!(chain["warnings"], 1, "{chain}");
        let findings = h.ok("findings", json!({ "chainId": chain["id"] }));
        let f = &findings[0];
        assert_eq!((f["kind"].as_str(), f["delta"].as_str()), (Some("unmatched_across_sources"), Some(delta)));
        assert_eq!(f["transactionIds"], json!([txn]));
        assert!(f["message"].as_str().unwrap().contains(&format!("no counterpart in \"{other}\"")), "{f}");
    }
    let err = h.err("match_accounts", json!({ "account": "workspace", "other": "nobody", "toleranceSeconds": 60 }));
    assert_eq!(err["code"], "not_found");
}

/// The About panel shows the workspace's version (Cargo.toml), which is also the version the
/// real app's Tauri context reports (tauri.conf.json names none, so the bundler and
/// `package_info()` take the shell crate's, inherited from the workspace). The CLI's side is
/// tests/it/version.rs.
#[test]
fn about_shows_the_workspace_version() {
    let h = Harness::new();
    let about = h.ok("about", json!({}));
    let manifest = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml")).unwrap();
    let workspace = manifest.split("[workspace.package]").nth(1).expect("[workspace.package] in Cargo.toml");
    let version = workspace
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("[workspace.package] version = \"...\"");
    assert_eq!(about["name"], "Reckon");
    assert_eq!(about["version"], version, "{about}");
    assert_eq!(crate::context().package_info().version.to_string(), version, "the app's Tauri context");
    assert_eq!(about["tauriVersion"], tauri::VERSION);
}

/// The Ledgers table's pages: sorted by open findings and by balance as `list_chains` counts
/// them, searched by account ignoring case, paged with the list's length.
#[test]
fn chains_come_a_page_at_a_time_sorted_and_searched() {
    let h = Harness::new();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let (faulty, clean, feed) =
        (fixtures.join("faulty.csv"), fixtures.join("clean.csv"), fixtures.join("usage-feed.csv"));
    h.picked(&[&faulty, &clean, &feed]);
    for (path, account) in [(&faulty, "Cust_A"), (&clean, "cust_b"), (&feed, "other"), (&clean, "CUST_c")] {
        h.ok("import_files", json!({ "paths": [path], "account": account, "onProgress": "__CHANNEL__:3" }));
    }
    let all = h.ok("list_chains", json!({}));
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 4);
    let page = |sort: &str, search: &str, with_findings: bool, offset: u64, limit: u64| {
        let q = json!({ "sort": sort, "search": search, "withFindings": with_findings });
        h.ok("chains_page", json!({ "query": q, "offset": offset, "limit": limit }))
    };
    let accounts = |v: &Value| -> Vec<String> {
        v["rows"].as_array().unwrap().iter().map(|r| r["account"].as_str().unwrap().to_string()).collect()
    };
    let n = |c: &Value, k: &str| c[k].as_i64().unwrap();

    // Open findings, most first (errors break ties), as list_chains counts them.
    let mut expected: Vec<&Value> = all.iter().collect();
    expected.sort_by(|a, b| {
        let open = |c: &Value| n(c, "errors") + n(c, "warnings");
        open(b)
            .cmp(&open(a))
            .then(n(b, "errors").cmp(&n(a, "errors")))
            .then((a["account"].as_str(), a["currency"].as_str()).cmp(&(b["account"].as_str(), b["currency"].as_str())))
    });
    let by_findings = page("findings", "", false, 0, 100);
    assert_eq!(accounts(&by_findings), expected.iter().map(|c| c["account"].as_str().unwrap()).collect::<Vec<_>>());
    assert_eq!(by_findings["rows"][0]["account"], "Cust_A", "the faulty ledger has the most open findings");
    assert_eq!((by_findings["total"].as_i64(), by_findings["chains"].as_i64()), (Some(4), Some(4)));
    for row in by_findings["rows"].as_array().unwrap() {
        let same = all.iter().find(|c| c["id"] == row["id"]).unwrap();
        assert_eq!(row, same, "a page's row is the ledger list_chains gives");
    }

    // Balance, largest first.
    let balance = |c: &Value| {
        c["ledgerBalance"]
            .as_str()
            .or(c["rebuiltBalance"].as_str())
            .map(|b| b.parse::<rust_decimal::Decimal>().unwrap())
    };
    let by_balance = page("balance", "", false, 0, 100);
    let balances: Vec<_> = by_balance["rows"].as_array().unwrap().iter().map(balance).collect();
    assert!(balances.windows(2).all(|w| w[0] >= w[1] || w[1].is_none()), "{balances:?}");

    // Search ignores case; with findings only those with something open; pages cut the list.
    let found = page("account", "cust", false, 0, 100);
    assert_eq!(accounts(&found), ["CUST_c", "Cust_A", "cust_b"]);
    let open: Vec<&str> =
        all.iter().filter(|c| n(c, "errors") + n(c, "warnings") > 0).map(|c| c["account"].as_str().unwrap()).collect();
    let with = page("account", "", true, 0, 100);
    assert_eq!(with["total"].as_i64(), Some(open.len() as i64));
    assert!(accounts(&with).iter().all(|a| open.contains(&a.as_str())));
    let second = page("account", "CUST", false, 1, 1);
    assert_eq!((accounts(&second), second["total"].as_i64()), (vec!["Cust_A".to_string()], Some(3)));
    assert_eq!(accounts(&page("account", "nobody", false, 0, 100)), Vec::<String>::new());
}

/// The Reverie mock serving `fixtures/clean.json` (ending at 1595.01, as `/v1/balance` says).
fn clean_reverie(key: &str) -> reckon_api::mock::Reverie {
    let fixture = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/clean.json")).unwrap();
    reckon_api::mock::Reverie::from_ledger(&fixture, key).unwrap()
}

/// Two newer entries, the second stating 5.00 less than the ledger leaves: one balance break.
fn plant_a_break(api: &mut reckon_api::mock::Reverie) {
    let entry = |id: &str, at: &str, amount: &str, after: &str| {
        json!({ "id": id, "created_at": at, "type": "CHAT", "description": "reply", "amount": amount,
                "balance_after": after, "character": null, "model": null })
    };
    api.entries.push(entry("txn_sched_1", "2026-03-10T11:00:00Z", "-2.00", "1593.01"));
    api.entries.push(entry("txn_sched_2", "2026-03-10T11:05:00Z", "-3.00", "1585.01"));
    api.balance = "1585.01".into();
    api.as_of = "2026-03-10T11:10:00Z".into();
}

/// A connection kept the way "Connect account…" keeps one where no keyring runs (the key in
/// this session's memory), without touching any real keyring.
fn keep_connection(state: &AppState, url: &str, key: &str) -> i64 {
    state.keep_session_key("reverie", reckon::sync::ApiKey::new(key.to_string()));
    let url = url.to_string();
    tauri::async_runtime::block_on(state.with_db(move |db| Ok(db.store.add_connection("reverie", &url, None)?.id)))
        .unwrap()
}

/// Scheduled syncs on a fake clock: nothing before the period, no sync while another holds the
/// job slot (retried 5 s later), a clean ledger raises nothing, a planted break raises one
/// notification naming the ledger and the delta, once; the notification's finding can be
/// opened once; the Connections list shows when the next sync is due.
#[test]
fn scheduled_syncs_notify_each_new_error_once_and_never_overlap() {
    use crate::schedule::{run_due, Run};
    use std::time::Duration;
    const KEY: &str = "sk_sched_4242";
    let h = Harness::new();
    let state = h.webview.state::<AppState>().inner().clone();
    let server = reckon_api::mock::MockServer::start(clean_reverie(KEY)).unwrap();
    let id = keep_connection(&state, &server.base_url(), KEY);
    let raised = Mutex::new(Vec::new());
    let raise = |n: &crate::dto::NotifiedFinding| raised.lock().unwrap().push(n.clone());
    let run = |secs: u64| tauri::async_runtime::block_on(run_due(&state, Duration::from_secs(secs), &raise));

    // First seen at 0: due at 900 s (15 minutes, the default), not before.
    assert_eq!(run(0), None);
    assert_eq!(run(899), None);
    let ledger_requests = || server.requests().into_iter().filter(|r| r.path == "/v1/ledger").count();

    // Another sync holds the job slot: the scheduled one waits, fetching nothing.
    let held = state.begin_sync().unwrap();
    let pass = run(900).expect("due at 900 s");
    assert_eq!((pass.connection_id, &pass.run), (id, &Run::Busy));
    assert_eq!(ledger_requests(), 0);
    drop(held);
    assert_eq!(run(903), None, "retried 5 s later, not sooner");
    let pass = run(910).expect("due again after the busy wait");
    assert_eq!(pass.run, Run::Synced);
    assert!(pass.raised.is_empty(), "a clean ledger raises nothing: {:?}", pass.raised);
    assert_eq!(ledger_requests(), 1);
    let chains = h.ok("list_chains", json!({}));
    assert_eq!(chains[0]["entries"], 97);

    // The vendor's ledger grows a break; the next scheduled sync finds it.
    server.update(plant_a_break);
    assert_eq!(run(1800), None, "a period after the last sync, not before");
    let pass = run(1830).expect("due a period after the last sync");
    assert_eq!(pass.run, Run::Synced);
    let findings = h.ok("findings", json!({ "chainId": chains[0]["id"] }));
    let breaks: Vec<&Value> = findings.as_array().unwrap().iter().filter(|f| f["kind"] == "balance_break").collect();
    assert_eq!(breaks.len(), 1, "{findings}");
    let delta = breaks[0]["delta"].as_str().unwrap();
    assert_eq!(pass.raised.len(), 1, "{:?}", pass.raised);
    let n = &pass.raised[0];
    assert_eq!((n.id, n.kind.as_str(), n.finding_id.as_str()), (1, "balance_break", breaks[0]["id"].as_str().unwrap()));
    assert_eq!(n.title, "Reckon: default · credits");
    assert!(n.body.contains(delta) && n.body.contains("txn_sched_2"), "{} / {delta}", n.body);
    assert_eq!(n.delta.as_deref().map(|d| d.trim_start_matches('+')), Some(delta.trim_start_matches('+')));
    assert_eq!(*raised.lock().unwrap(), pass.raised, "each one handed to the notifier");
    assert_eq!(state.watch().sent(), pass.raised, "and recorded");

    // Synced again with nothing new: the break is not new any more.
    let pass = run(2800).expect("due");
    assert_eq!((pass.run, pass.raised.len()), (Run::Synced, 0));
    assert_eq!(raised.lock().unwrap().len(), 1);

    // The notification's finding opens once.
    let open = h.ok("take_open_finding", json!({}));
    assert_eq!(open["findingId"], breaks[0]["id"]);
    assert_eq!(open["chainId"], chains[0]["id"]);
    assert_eq!(h.ok("take_open_finding", json!({})), Value::Null);

    let connections = h.ok("list_connections", json!({}));
    assert_eq!(connections[0]["periodSecs"], 900);
    assert_eq!(connections[0]["schedule"]["state"], "waiting");
    assert!(connections[0]["schedule"]["nextAt"].is_string(), "{connections}");
}

/// A ledger that a scheduled sync finds below its low-balance threshold raises one
/// notification naming the ledger, its balance and the threshold, and only when it crosses:
/// the next sync, still below, raises nothing; back above and below again, it raises again.
#[test]
fn a_scheduled_sync_notifies_once_when_a_ledger_goes_below_its_threshold() {
    use crate::schedule::{Run, LOW_BALANCE};
    const KEY: &str = "sk_low_4242";
    let h = Harness::new();
    let state = h.webview.state::<AppState>().inner().clone();
    let server = reckon_api::mock::MockServer::start(clean_reverie(KEY)).unwrap();
    keep_connection(&state, &server.base_url(), KEY);
    // Each sync is due a period (900 s) after the last one ended: a run every 1,000 s.
    let run = |secs: u64| run_unheard(&state, secs).expect("due");
    // The vendor's ledger moves by `amount` at minute `minute` of 2026-03-10 11:00.
    let moved = |id: &'static str, minute: u32, amount: &'static str, after: &'static str| {
        server.update(move |api| {
            api.entries.push(json!({ "id": id, "created_at": format!("2026-03-10T11:{minute:02}:00Z"),
                "type": if amount.starts_with('-') { "CHAT" } else { "PURCHASE" }, "description": "moved",
                "amount": amount, "balance_after": after, "character": null, "model": null }));
            api.balance = after.into();
            api.as_of = format!("2026-03-10T11:{:02}:30Z", minute);
        })
    };
    assert_eq!(run_unheard(&state, 0), None, "first seen at 0: nothing due");
    let pass = run(900);
    assert_eq!((pass.run, pass.raised.len()), (Run::Synced, 0));
    let chain = h.ok("list_chains", json!({}))[0]["id"].as_i64().unwrap();
    // "Alert me below 1,590" at a balance of 1,595.01: not below yet.
    let watch = h.ok("set_low_balance", json!({ "chainId": chain, "threshold": "1590" }));
    assert_eq!((watch["balance"].as_str(), watch["belowSince"].clone()), (Some("1595.01"), Value::Null));

    // A charge takes it to 1,585.01: the next sync raises one notification.
    moved("txn_low_1", 1, "-10.00", "1585.01");
    let pass = run(1900);
    assert_eq!(pass.raised.len(), 1, "{:?}", pass.raised);
    let n = &pass.raised[0];
    assert_eq!((n.kind.as_str(), n.chain_id, n.finding_id.as_str()), (LOW_BALANCE, chain, ""));
    assert_eq!(n.title, "Reckon: default · credits");
    assert_eq!(n.body, "Balance 1585.01 is below your alert at 1590.00");
    assert_eq!(n.delta.as_deref(), Some("-4.99"));
    assert_eq!(state.watch().sent(), pass.raised, "recorded");

    // Still below at the next sync: not again.
    moved("txn_low_2", 2, "-1.00", "1584.01");
    assert!(run(2900).raised.is_empty());
    // Clicked, it asks to open its ledger.
    assert!(state.watch().activate(n.id));
    let open = h.ok("take_open_finding", json!({}));
    assert_eq!((open["kind"].as_str(), open["chainId"].as_i64()), (Some(LOW_BALANCE), Some(chain)));

    // A purchase brings it back above; a charge takes it below again: a new crossing.
    moved("txn_low_3", 3, "100.00", "1684.01");
    assert!(run(3900).raised.is_empty());
    assert_eq!(h.ok("chain_watch", json!({ "chainId": chain }))["belowSince"], Value::Null);
    moved("txn_low_4", 4, "-200.00", "1484.01");
    let pass = run(4900);
    let bodies: Vec<&str> = pass.raised.iter().map(|n| n.body.as_str()).collect();
    assert_eq!(bodies, ["Balance 1484.01 is below your alert at 1590.00"]);
}

/// One scheduler pass at `secs` on its fake clock, its notifications raised to no one (they are
/// still recorded in `state.watch().sent()`).
fn run_unheard(state: &AppState, secs: u64) -> Option<crate::schedule::Pass> {
    tauri::async_runtime::block_on(crate::schedule::run_due(
        state,
        std::time::Duration::from_secs(secs),
        &|_: &crate::dto::NotifiedFinding| {},
    ))
}

/// A vendor that cannot be reached pauses the connection ("offline", retried at 30 s, backing
/// off) instead of failing it; the period can be set per connection (0: off), and a period
/// outside a minute to a day is refused.
#[test]
fn an_unreachable_vendor_pauses_the_schedule_and_periods_are_kept_per_connection() {
    use crate::schedule::Run;
    let h = Harness::new();
    let state = h.webview.state::<AppState>().inner().clone();
    // A port nothing listens on any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let id = keep_connection(&state, &format!("http://127.0.0.1:{port}"), "sk_nobody");
    let view = h.ok("set_sync_period", json!({ "connectionId": id, "periodSecs": 60 }));
    assert_eq!(view["periodSecs"], 60);
    let err = h.err("set_sync_period", json!({ "connectionId": id, "periodSecs": 5 }));
    assert_eq!(err["code"], "bad_input");
    assert!(err["message"].as_str().unwrap().contains("0 to sync only when asked"), "{err}");
    assert_eq!(h.err("set_sync_period", json!({ "connectionId": 999, "periodSecs": 60 }))["code"], "not_found");

    let run = |secs: u64| run_unheard(&state, secs);
    assert_eq!(run(0), None);
    let pass = run(60).expect("due a minute after it was first seen");
    assert!(matches!(pass.run, Run::Offline(_)), "{:?}", pass.run);
    let connections = h.ok("list_connections", json!({}));
    let schedule = &connections[0]["schedule"];
    assert_eq!(schedule["state"], "offline", "{connections}");
    assert!(schedule["lastError"].as_str().unwrap().contains("no answer"), "{schedule}");
    assert!(state.watch().sent().is_empty());

    // Turned off: never due, however long it waits.
    let view = h.ok("set_sync_period", json!({ "connectionId": id, "periodSecs": 0 }));
    assert_eq!(view["schedule"]["state"], "off");
    assert_eq!(run(100_000), None);
    let stored = h.ok("list_connections", json!({}));
    assert_eq!(stored[0]["periodSecs"], 0, "kept with the connection");
}

/// A ledger's watch: each check the app runs is kept in its history (the first with every
/// finding new, an explained one at the next check), a low-balance threshold is set, compared at
/// once and cleared, a bad one refused, and the runway follows the last 30 days' burn.
#[test]
fn a_ledgers_watch_keeps_its_checks_threshold_and_runway() {
    let h = Harness::new();
    let faulty = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/faulty.csv");
    h.picked(&[&faulty]);
    h.ok("import_files", json!({ "paths": [&faulty], "account": "a", "onProgress": "__CHANNEL__:3" }));
    let chain = h.ok("list_chains", json!({}))[0].clone();
    let id = chain["id"].clone();
    let open = chain["errors"].as_i64().unwrap() + chain["warnings"].as_i64().unwrap();
    assert!(chain["errors"].as_i64().unwrap() > 0, "faulty.csv has errors: {chain}");

    let watch = h.ok("chain_watch", json!({ "chainId": id }));
    let history = watch["history"].as_array().unwrap();
    assert_eq!(history.len(), 1, "{watch}");
    let first = &history[0];
    assert_eq!((first["first"].as_bool(), first["newCount"].as_i64()), (Some(true), Some(open)), "{first}");
    assert_eq!(first["errors"], chain["errors"]);
    let new_break = first["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "balance_break")
        .expect("the first run names the balance break as new");
    assert_eq!(new_break["change"], "new");
    assert!(!new_break["transactionIds"].as_array().unwrap().is_empty());
    assert_eq!(watch["balance"], chain["ledgerBalance"]);
    assert_eq!(watch["threshold"], Value::Null);
    let runway = &watch["runway"];
    assert!(["runs_out", "no_runway", "exhausted"].contains(&runway["state"].as_str().unwrap()), "{runway}");
    assert!(runway["sentence"].as_str().unwrap().contains("30 days") || runway["state"] == "exhausted", "{runway}");

    // Alert me below a figure far above the balance: below at once; cleared, nothing.
    let watched = h.ok("set_low_balance", json!({ "chainId": id, "threshold": "1,000,000" }));
    assert_eq!(
        watched["threshold"].as_str().map(|t| t.parse::<rust_decimal::Decimal>().unwrap()),
        Some(1_000_000.into())
    );
    assert!(watched["belowSince"].is_string(), "{watched}");
    let bad = h.err("set_low_balance", json!({ "chainId": id, "threshold": "lots" }));
    assert_eq!(bad["code"], "bad_input");
    assert!(bad["message"].as_str().unwrap().contains("lots"), "{bad}");
    let low = h.ok("set_low_balance", json!({ "chainId": id, "threshold": "0.01" }));
    assert_eq!(low["belowSince"], Value::Null, "the balance is above 0.01: {low}");
    let cleared = h.ok("set_low_balance", json!({ "chainId": id, "threshold": null }));
    assert_eq!((cleared["threshold"].clone(), cleared["belowSince"].clone()), (Value::Null, Value::Null));

    // Explain the break; the next check (after a change) keeps it as explained.
    let findings = h.ok("findings", json!({ "chainId": id }));
    let error = findings.as_array().unwrap().iter().find(|f| f["kind"] == "balance_break").unwrap().clone();
    h.ok("mark_explained", json!({ "findingId": error["id"], "note": "refund booked late" }));
    h.ok("set_stated_balance", json!({ "chainId": id, "value": null }));
    let watch = h.ok("chain_watch", json!({ "chainId": id }));
    let newest = &watch["history"][0];
    assert_eq!(newest["explainedCount"], 1, "{watch}");
    let explained = newest["changes"].as_array().unwrap().iter().find(|c| c["change"] == "explained").unwrap();
    assert_eq!(explained["findingId"], error["id"]);
    assert_eq!(watch["history"].as_array().unwrap().len(), 2, "{watch}");

    assert_eq!(h.err("chain_watch", json!({ "chainId": 9999 }))["code"], "not_found");
}
