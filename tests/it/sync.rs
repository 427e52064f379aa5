//! `reckon sync reverie` end to end: the real binary against the mock Reverie Open API on
//! loopback. A sync must store exactly what an import of the same ledger stores.

use std::process::Output;

use reckon_api::mock::{Apis, Kind, MockServer, Reply, Reverie, Vendor};

use crate::support::Db;

const KEY: &str = "sk_test_e2e_4242";
/// The ledger of `fixtures/clean.json` ends at 1595.01; the API states 5.00 more.
const STATED: &str = "1600.01";

fn server(change: impl FnOnce(&mut Reverie)) -> MockServer {
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/clean.json")).unwrap();
    let mut api = Reverie::from_ledger(&bytes, KEY).unwrap();
    api.balance = STATED.into();
    change(&mut api);
    MockServer::start(api).unwrap()
}

fn sync(db: &Db, server: &MockServer, key: Option<&str>) -> Output {
    let url = server.base_url();
    let mut command = db.command(&["sync", "reverie", "--base-url", &url, "--page-size", "40"]);
    match key {
        Some(k) => command.env("RECKON_API_KEY", k),
        None => command.env_remove("RECKON_API_KEY"),
    };
    command.output().expect("reckon runs")
}

fn text(out: &Output) -> String {
    format!("stdout: {}\nstderr: {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn sync_stores_what_an_import_stores_and_states_the_balance() {
    let api = server(|_| {});
    let synced = Db::new();
    let out = sync(&synced, &api, Some(KEY));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("3 pages, 97 entries: 97 new, 0 already known, 0 conflicting"), "{}", text(&out));
    assert!(stdout.contains("stated balance: 1600.01"), "{}", text(&out));

    let imported = Db::new();
    imported.import("fixtures/clean.json");
    let (from_sync, sync_code) = synced.check_json(&[]);
    let (from_import, import_code) = imported.check_json(&["--stated-balance", STATED]);
    assert_eq!(from_sync, from_import, "a sync and an import of the same ledger check the same");
    assert_eq!(sync_code, import_code);
    assert_eq!(from_sync["chains"][0]["stated_balance"], STATED);
    let heads: Vec<_> =
        from_sync["findings"].as_array().unwrap().iter().filter(|f| f["kind"] == "head_mismatch").collect();
    assert_eq!(heads.len(), 1, "{from_sync:#}");
    assert_eq!(heads[0]["delta"], "5.00");

    let again = sync(&synced, &api, Some(KEY));
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(stdout.contains("1 pages, 1 entries: 0 new, 1 already known, 0 conflicting"), "{}", text(&again));
    assert_eq!(synced.check_json(&[]).0, from_sync, "a second sync changes nothing");
    // The second sync asked only for what is newer than the newest stored entry.
    let ledger: Vec<_> = api.requests().into_iter().filter(|r| r.path == "/v1/ledger").collect();
    assert_eq!(ledger[0].param("since"), None, "the first sync fetches to the end");
    let newest = newest_in_fixture();
    assert_eq!(ledger.last().unwrap().param("since"), Some(newest.as_str()));

    let chains = synced.ok(&["chains"], 0);
    let url = api.base_url();
    assert!(chains.contains("last synced ") && chains.contains(&format!("from reverie at {url}")), "{chains}");
}

/// The newest entry's time in `fixtures/clean.json`, as `since` is written.
fn newest_in_fixture() -> String {
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/clean.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    doc["data"].as_array().unwrap().iter().map(|e| e["created_at"].as_str().unwrap().to_string()).max().unwrap()
}

#[test]
fn sync_cut_short_keeps_the_pages_it_stored() {
    let api = server(|api| {
        let first = serde_json::json!({"data": &api.entries[..40], "next_cursor": "c40"}).to_string();
        api.script.extend([Reply::Body(first), Reply::Status(401)]);
    });
    let db = Db::new();
    let out = sync(&db, &api, Some(KEY));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("API key was rejected"), "{}", text(&out));
    assert_eq!(db.check_json(&[]).0["chains"][0]["entries"], 40);

    let out = sync(&db, &api, Some(KEY));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(" 57 new, ") && stdout.contains(" 0 conflicting"), "{}", text(&out));
    assert_eq!(db.check_json(&[]).0["chains"][0]["entries"], 97, "resumed: nothing lost, nothing twice");
}

#[test]
fn sync_without_a_key_or_with_a_rejected_one_cannot_run() {
    let api = server(|_| {});
    let db = Db::new();
    let out = sync(&db, &api, None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("set $RECKON_API_KEY"), "{}", text(&out));
    assert!(api.requests().is_empty(), "nothing is fetched without a key");

    let out = sync(&db, &api, Some("sk_wrong_1234"));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let all = text(&out);
    assert!(all.contains("API key was rejected (HTTP 401)") && all.contains("/v1/ledger?limit=40"), "{all}");
    assert!(!all.contains("sk_wrong_1234"), "the key is never printed: {all}");
    assert_eq!(api.requests().len(), 1);
}

#[test]
fn sync_refuses_plain_http_to_another_host() {
    let db = Db::new();
    let out = db
        .command(&["sync", "reverie", "--base-url", "http://api.reverie.example"])
        .env("RECKON_API_KEY", KEY)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Use https://"), "{}", text(&out));
}

/// What a hostile server says reaches the terminal inert and without the key: escapes and a
/// right-to-left override in `/v1/balance`'s `as_of`, an error body that echoes the key.
#[test]
fn hostile_text_reaches_the_terminal_inert_and_without_the_key() {
    let active = |out: &Output| text(out).contains(['\u{1b}', '\u{9b}', '\u{202e}', '\r']);
    let api = server(|api| api.as_of = "2026-03-10T09:00:00Z\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}\r".into());
    let db = Db::new();
    let out = sync(&db, &api, Some(KEY));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("(as of 2026-03-10T09:00:00Z]0;pwned[2J)"), "{}", text(&out));
    assert!(!active(&out), "{:?}", text(&out));

    let api = server(|api| {
        let body = format!("{{\"error\": \"no such key {KEY}\u{1b}[31m\u{202e}\"}}");
        api.script.push_back(Reply::Raw { status: 400, headers: Vec::new(), body });
    });
    let out = sync(&Db::new(), &api, Some(KEY));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let all = text(&out);
    assert!(all.contains("HTTP 400") && all.contains("no such key [redacted]"), "{all}");
    assert!(!all.contains(KEY) && !active(&out), "{all:?}");
}

/// A user name, password or query in the base URL would be stored with the chain's last sync
/// and printed by `reckon chains`: refused, pointing to the keyring, never echoed.
#[test]
fn credentials_in_the_base_url_are_refused() {
    let db = Db::new();
    for url in ["http://reckon:hunter2secret@127.0.0.1:9", "http://127.0.0.1:9/?api_key=hunter2secret"] {
        let out = db.command(&["sync", "reverie", "--base-url", url]).env("RECKON_API_KEY", KEY).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let all = text(&out);
        assert!(all.contains("keyring") && all.contains("$RECKON_API_KEY"), "{all}");
        assert!(!all.contains("hunter2secret"), "{all}");
    }
}

/// `--deadline` bounds the whole sync: a server that stops answering after a page ends it
/// with an error naming the deadline, and the page stored before stays.
#[test]
fn a_sync_past_its_deadline_stops_and_keeps_what_it_stored() {
    let api = server(|api| {
        let first = serde_json::json!({"data": &api.entries[..40], "next_cursor": "c40"}).to_string();
        api.script.extend([Reply::Body(first), Reply::Stall(std::time::Duration::from_secs(60))]);
    });
    let db = Db::new();
    let url = api.base_url();
    let out = db
        .command(&["sync", "reverie", "--base-url", &url, "--page-size", "40", "--deadline", "2s"])
        .env("RECKON_API_KEY", KEY)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("deadline of 2s"), "{}", text(&out));
    assert_eq!(db.check_json(&[]).0["chains"][0]["entries"], 40);
    let out = db.command(&["sync", "reverie", "--base-url", &url, "--deadline", "soon"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("such as 90s, 30m, 6h"), "{}", text(&out));
}

/// `reckon mock-server` as a newcomer starts it: a sync against it stores the ledger it serves;
/// with `--bad-key` the sync stops at once naming the rejected key, never printing it.
#[test]
fn the_mock_server_command_serves_a_sync() {
    use std::io::BufRead;
    let start = |extra: &[&str]| {
        let mut args = vec!["mock-server", "--port", "0", "--reverie", "fixtures/clean.json"];
        args.extend_from_slice(extra);
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_reckon"))
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("reckon mock-server runs");
        let mut first = String::new();
        // Kept open while the server runs: it prints more lines, and a closed pipe ends it.
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap());
        lines.read_line(&mut first).unwrap();
        let url = first.trim().strip_prefix("Reverie: --base-url ").expect("the first line names the URL").to_string();
        (child, url, lines)
    };
    let (mut child, url, _lines) = start(&[]);
    let db = Db::new();
    let out =
        db.command(&["sync", "reverie", "--base-url", &url]).env("RECKON_API_KEY", "any_key_at_all").output().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("97 entries: 97 new"), "{}", text(&out));

    let (mut child, url, _lines) = start(&["--bad-key"]);
    let out =
        db.command(&["sync", "reverie", "--base-url", &url]).env("RECKON_API_KEY", "sk_revoked_77").output().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let all = text(&out);
    assert!(all.contains("the API key was rejected (HTTP 401)") && all.contains("reckon key set reverie"), "{all}");
    assert!(!all.contains("sk_revoked_77"), "{all}");
}

fn vendor_server(kind: Kind, fixture: &str, bad_key: bool) -> MockServer {
    let bytes = std::fs::read(format!("{}/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let vendor = Vendor::from_json(kind, &bytes, KEY).unwrap();
    let mut apis = Apis { bad_key, ..Apis::default() };
    match kind {
        Kind::Orb => apis.orb = Some(vendor),
        Kind::Stripe => apis.stripe = Some(vendor),
    }
    MockServer::serve(apis, 0).unwrap()
}

fn sync_vendor(db: &Db, server: &MockServer, kind: Kind, key: &str) -> Output {
    let source = if kind == Kind::Orb { "orb" } else { "stripe" };
    let url = server.vendor_url(kind);
    db.command(&["sync", source, "--base-url", &url, "--all-customers"])
        .env("RECKON_API_KEY", key)
        .output()
        .expect("reckon runs")
}

/// Orb and Stripe over the mock: a sync of every customer checks exactly as an import of the
/// same file, a second sync adds nothing, and the chains say where they were synced from.
fn vendor_sync_matches_import(kind: Kind, fixture: &str) {
    let api = vendor_server(kind, fixture, false);
    let synced = Db::new();
    let out = sync_vendor(&synced, &api, kind, KEY);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let entries = {
        let bytes = std::fs::read(format!("{}/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        doc["data"].as_array().map_or_else(|| doc.as_array().unwrap().len(), Vec::len)
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("{entries} entries: {entries} new, 0 already known")), "{}", text(&out));

    let imported = Db::new();
    imported.import(&format!("fixtures/{fixture}"));
    let (from_sync, sync_code) = synced.check_json(&[]);
    let (from_import, import_code) = imported.check_json(&[]);
    assert_eq!(from_sync, from_import, "a sync and an import of the same answers check the same");
    assert_eq!(sync_code, import_code);

    let again = sync_vendor(&synced, &api, kind, KEY);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(String::from_utf8_lossy(&again.stdout).contains(": 0 new, "), "{}", text(&again));
    assert_eq!(synced.check_json(&[]).0, from_sync, "a second sync changes nothing");

    let chains = synced.ok(&["chains"], 0);
    let url = api.vendor_url(kind);
    let lines = chains.lines().filter(|l| l.trim_start().starts_with("last synced")).count();
    assert_eq!(lines, from_sync["chains"].as_array().unwrap().len(), "every chain says when it was synced: {chains}");
    assert!(chains.contains(&format!(" at {url}")), "{chains}");
}

#[test]
fn orb_sync_of_every_customer_checks_as_an_import_and_then_adds_nothing() {
    vendor_sync_matches_import(Kind::Orb, "orb-ledger.json");
}

#[test]
fn stripe_sync_of_every_customer_checks_as_an_import_and_then_adds_nothing() {
    vendor_sync_matches_import(Kind::Stripe, "stripe-balance.json");
}

#[test]
fn vendor_sync_with_a_rejected_key_cannot_run_and_names_the_key() {
    for (kind, fixture, source) in
        [(Kind::Orb, "orb-ledger.json", "orb"), (Kind::Stripe, "stripe-balance.json", "stripe")]
    {
        let api = vendor_server(kind, fixture, true);
        let db = Db::new();
        let out = sync_vendor(&db, &api, kind, "sk_revoked_9876");
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let all = text(&out);
        assert!(all.contains("API key was rejected (HTTP 401)"), "{all}");
        assert!(
            all.contains(&format!("the {source} key")) && all.contains(&format!("reckon key set {source}")),
            "{all}"
        );
        assert!(!all.contains("sk_revoked_9876"), "the key is never printed: {all}");
    }
}

/// The engine's pull, as the app calls it: a sink that cancels after the first page keeps that
/// page (and says it was cancelled); the next pull resumes after it, losing and duplicating
/// nothing, and each chain records where it was last synced from.
#[test]
fn a_cancelled_pull_keeps_its_pages_and_the_next_resumes() {
    use reckon::store::Store;
    use reckon::sync::{self, ApiKey, BaseUrl, Quiet, SyncProgress, SyncRequest, SyncSink};
    use std::ops::ControlFlow;

    struct StopAfterFirst;
    impl SyncSink for StopAfterFirst {
        fn progress(&mut self, _: &SyncProgress) -> ControlFlow<()> {
            ControlFlow::Break(())
        }
    }
    let api = server(|_| {});
    let db = Db::new();
    let mut store = Store::open(&db.path).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339("2026-03-11T10:00:00Z").unwrap().with_timezone(&chrono::Utc);
    let mut request = SyncRequest::new(
        sync::vendor("reverie").unwrap(),
        BaseUrl::parse(&api.base_url()).unwrap(),
        ApiKey::new(KEY),
        now,
    );
    request.page_size = Some(40);
    let first = sync::sync_blocking(&mut store, &request, &mut StopAfterFirst).unwrap();
    assert!(first.cancelled);
    assert_eq!((first.progress.pages, first.progress.new), (1, 40));
    assert_eq!(first.stated, None, "a cancelled pull does not ask for the balance");

    let second = sync::sync_blocking(&mut store, &request, &mut Quiet).unwrap();
    assert!(!second.cancelled);
    assert_eq!(second.progress.new, 57);
    let chains = store.chains().unwrap();
    assert_eq!(chains[0].entries, 97);
    let last = chains[0].last_sync.as_ref().expect("recorded");
    assert_eq!((last.source.as_str(), last.at), ("reverie", now.timestamp_micros()));
    assert_eq!(last.base_url.trim_end_matches('/'), api.base_url());
}
