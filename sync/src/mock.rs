//! A small Reverie Open API on loopback, for tests: plain HTTP/1.1 over a std `TcpListener` on
//! its own thread, a thread per connection. It serves a ledger in pages (cursor `c{offset}`),
//! a balance, and scripted faults for the first ledger requests.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{json, Value};

/// What the mock serves.
#[derive(Debug, Clone)]
pub struct Reverie {
    /// Ledger entries, oldest first, as the API writes them.
    pub entries: Vec<Value>,
    /// What `/v1/balance` answers.
    pub balance: String,
    pub as_of: String,
    /// The only key accepted; any other gets 401.
    pub key: String,
    /// Answers for the first ledger requests, in order, before the ledger itself is served.
    pub script: VecDeque<Reply>,
    /// Every page but the last names the same next cursor (a broken API).
    pub repeat_cursor: bool,
}

/// A scripted answer to a ledger request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// This status with a small JSON error body.
    Status(u16),
    /// 429, with this `Retry-After` header value, if any.
    RateLimited(Option<String>),
    /// 200 with this body.
    Body(String),
    /// Holds the connection this long, then closes it without an answer.
    Stall(Duration),
}

/// A request as the mock saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub path: String,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
}

impl Request {
    /// The value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

impl Reverie {
    /// Serves the entries of a ledger JSON document (`{"data": [...]}` or a bare array).
    pub fn from_ledger(json: &[u8], key: &str) -> serde_json::Result<Reverie> {
        let doc: Value = serde_json::from_slice(json)?;
        let entries = match doc {
            Value::Array(items) => items,
            Value::Object(mut map) => match map.remove("data") {
                Some(Value::Array(items)) => items,
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        let balance = entries.last().and_then(|e| e["balance_after"].as_str()).unwrap_or("0").to_string();
        Ok(Reverie {
            entries,
            balance,
            as_of: "2026-03-10T09:00:00Z".into(),
            key: key.into(),
            script: VecDeque::new(),
            repeat_cursor: false,
        })
    }
}

/// A running mock; stops when dropped.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Debug)]
struct State {
    api: Reverie,
    requests: Vec<Request>,
}

impl MockServer {
    /// Listens on 127.0.0.1 at a free port.
    pub fn start(api: Reverie) -> std::io::Result<MockServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State { api, requests: Vec::new() }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        // Each connection on its own thread, so a stalled one holds up no other.
                        // A client that hangs up early is its own business.
                        let state = state.clone();
                        std::thread::spawn(move || serve(stream, &state));
                    }
                }
            })
        };
        Ok(MockServer { addr, state, stop, thread: Some(thread) })
    }

    /// `http://127.0.0.1:{port}`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().expect("mock state").requests.clone()
    }

    /// Changes what the mock serves from the next request on.
    pub fn update(&self, change: impl FnOnce(&mut Reverie)) {
        change(&mut self.state.lock().expect("mock state").api);
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(mut stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf)?;
        if n == 0 || head.len() > 64 * 1024 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    let target = lines.next().and_then(|l| l.split(' ').nth(1)).unwrap_or("/").to_string();
    let authorization = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.trim().to_string());
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let request = Request {
        path: path.to_string(),
        query: url::form_urlencoded::parse(query.as_bytes()).into_owned().collect(),
        authorization,
    };
    let answer = {
        let mut state = state.lock().expect("mock state");
        state.requests.push(request.clone());
        answer(&mut state.api, &request)
    };
    let (status, extra, body) = match answer {
        Answer::Http { status, extra, body } => (status, extra, body),
        Answer::Stall(wait) => {
            std::thread::sleep(wait);
            return Ok(());
        }
    };
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in extra {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    stream.write_all(out.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}

enum Answer {
    Http { status: u16, extra: Vec<(&'static str, String)>, body: String },
    Stall(Duration),
}

fn http(status: u16, body: String) -> Answer {
    Answer::Http { status, extra: Vec::new(), body }
}

fn answer(api: &mut Reverie, request: &Request) -> Answer {
    if request.authorization.as_deref() != Some(format!("Bearer {}", api.key).as_str()) {
        return http(401, json!({"error": "invalid API key"}).to_string());
    }
    match request.path.as_str() {
        "/v1/ledger" => match api.script.pop_front() {
            Some(Reply::Status(status)) => http(status, json!({"error": "scripted failure"}).to_string()),
            Some(Reply::RateLimited(after)) => Answer::Http {
                status: 429,
                extra: after.map(|a| ("Retry-After", a)).into_iter().collect(),
                body: json!({"error": "slow down"}).to_string(),
            },
            Some(Reply::Body(body)) => http(200, body),
            Some(Reply::Stall(wait)) => Answer::Stall(wait),
            None => ledger_page(api, request),
        },
        "/v1/balance" => http(200, json!({"balance": api.balance, "as_of": api.as_of}).to_string()),
        _ => http(404, json!({"error": "no such endpoint"}).to_string()),
    }
}

/// One page: `limit` entries (default 100) from the cursor's offset, on or after `since`
/// (compared as text, which holds for the UTC `Z` times the fixtures use).
fn ledger_page(api: &Reverie, request: &Request) -> Answer {
    let limit = request.param("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(100).clamp(1, 1000);
    let offset = match request.param("cursor") {
        None => 0,
        Some(c) => match c.strip_prefix('c').and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => n,
            None => return http(400, json!({"error": format!("bad cursor {c}")}).to_string()),
        },
    };
    let since = request.param("since");
    let entries: Vec<&Value> =
        api.entries.iter().filter(|e| since.is_none_or(|s| e["created_at"].as_str().is_some_and(|t| t >= s))).collect();
    let end = (offset + limit).min(entries.len());
    let data = entries.get(offset.min(end)..end).unwrap_or_default();
    let next = if end < entries.len() {
        Some(if api.repeat_cursor { format!("c{limit}") } else { format!("c{end}") })
    } else {
        None
    };
    http(200, json!({"data": data, "next_cursor": next}).to_string())
}
