//! Why a sync stopped. Every message names the source and the URL (never the key) and says
//! what to do.

/// Why a sync could not fetch what it needed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The base URL is not a URL Reckon can call.
    #[error(
        "{url:?} is not a usable API base URL: {reason}. Give the API's address, such as https://api.example.com."
    )]
    BadUrl { url: String, reason: String },
    /// An `http://` URL to a host other than this machine: the key would cross the network in
    /// clear text.
    #[error("refusing {url}: plain http would send the API key unencrypted. Use https:// (http is allowed only for 127.0.0.1, ::1 and localhost).")]
    InsecureUrl { url: String },
    /// The base URL carries a user name, password, query or fragment: credentials there would
    /// be stored with the chain's last sync and printed; the key has its own place.
    #[error("refusing the base URL {url}: it carries {what}, which Reckon would store and print with the chain's last sync. Give the base URL without credentials, query or fragment (such as https://api.example.com), and keep the API key where keys are kept")]
    CredentialsInUrl { url: String, what: &'static str },
    /// 401 or 403: the API refused the key. Retrying cannot help.
    #[error("{source_name}: the API key was rejected (HTTP {status}) at {url}. The key in use is the {key_name} key: create a new one in the vendor's settings if it was revoked, and store it")]
    KeyRejected { source_name: &'static str, key_name: &'static str, url: String, status: u16 },
    /// 429 on every attempt.
    #[error("{source_name}: still rate-limited (HTTP 429) at {url} after {attempts} attempts. Wait a few minutes and run the sync again; pages already fetched are stored.")]
    RateLimited { source_name: &'static str, url: String, attempts: u32 },
    /// 408, 409 or 5xx on every attempt (or the API said not to retry).
    #[error("{source_name}: the server answered HTTP {status} at {url} on each of {attempts} attempts. The vendor's API may be down; run the sync again later; pages already fetched are stored.")]
    Unavailable { source_name: &'static str, url: String, status: u16, attempts: u32 },
    /// No answer on every attempt: a timeout, a refused connection, a broken transfer.
    #[error("{source_name}: no answer from {url} after {attempts} attempts ({detail}). Check the base URL and the network, then run the sync again; pages already fetched are stored.")]
    Transport { source_name: &'static str, url: String, attempts: u32, detail: String },
    /// An answer no retry can change (404, 400, ...).
    #[error("{source_name}: HTTP {status} at {url}: {body}. Check the base URL (it should be the API's root, without /v1) and the options.")]
    Status { source_name: &'static str, url: String, status: u16, body: String },
    /// A 3xx answer. Reckon follows no redirect (neither do the vendors' SDKs): one to another
    /// origin would store another server's answer as the ledger.
    #[error("{source_name}: {url} answered HTTP {status}, redirecting to {location}; Reckon follows no redirect, so nothing from it was stored. If that address is the API's, give it as the base URL; pages already fetched are stored.")]
    Redirect { source_name: &'static str, url: String, status: u16, location: String },
    /// A page's body went past the cap (read chunk by chunk, stopped there).
    #[error("{source_name}: the answer from {url} is larger than the {limit} a page may hold; stopped reading it, nothing from this page was stored. No ledger page comes near this: check the base URL; pages already fetched are stored.")]
    PageTooLarge { source_name: &'static str, url: String, limit: String },
    /// More entries in one sync than a file may hold.
    #[error("{source_name}: the sync went past {limit} entries (at {url}), more than Reckon reads in one sync or file; stopping. Pages already fetched are stored; report this to the vendor if the account is not that large.")]
    TooManyEntries { source_name: &'static str, url: String, limit: usize },
    /// A run of pages that brought no entry not seen before in this sync: a server handing out
    /// fresh cursors forever.
    #[error("{source_name}: {pages} pages in a row brought no new entry (the last at {url}); stopping instead of paging on forever. Pages already fetched are stored; report this to the vendor if it persists.")]
    IdlePages { source_name: &'static str, url: String, pages: usize },
    /// The whole sync took longer than its deadline.
    #[error("{source_name}: the sync did not finish within its deadline of {deadline} (stopped at {url}). Pages already fetched are stored and the next sync resumes from there; give a longer deadline if the ledger is that large or the API that slow.")]
    Deadline { source_name: &'static str, url: String, deadline: String },
    /// The answer is not the JSON the API documents.
    #[error("{source_name}: the answer from {url} is not the documented JSON: {problem}. Nothing from this page was stored; report the page to the vendor if it persists.")]
    BadAnswer { source_name: &'static str, url: String, problem: String },
    /// The API handed back a cursor it had handed out before: paging on would loop forever.
    #[error("{source_name}: the page at {url} names the next cursor {cursor:?}, which an earlier page already gave; stopping instead of looping. What was stored before is kept and the next run resumes from there; report this to the vendor.")]
    RepeatedCursor { source_name: &'static str, url: String, cursor: String },
    /// An entry on a page lacks what paging relies on (its ID, its time).
    #[error("{source_name}: page {page} ({url}), entry {entry}: {field} {problem}. What earlier runs and customers stored is kept and the next run resumes from there; report the page to the vendor if it persists.")]
    BadEntry {
        source_name: &'static str,
        url: String,
        /// 1 for the first page of this run.
        page: usize,
        /// The entry's ID, or its position on the page when it has none.
        entry: String,
        field: &'static str,
        problem: String,
    },
    /// The HTTP client could not be set up (TLS roots, for one).
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
    /// The API cannot list what the sync was asked for "all" of (Lago lists wallets per
    /// customer only): the ledger must be named.
    #[error("{source_name}: {what}; nothing was fetched")]
    NameTheLedger { source_name: &'static str, what: &'static str },
}

/// What a person can do about an [`ApiError`] that only the shell in front of them can word:
/// the crate names no command or screen, each shell adds its own (the CLI `reckon key set`, the
/// app its Connect dialog). The error's text ends where the remedy goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    /// Store a current key under this name (the vendor's key name: `orb`).
    StoreKey(&'static str),
    /// Keep the key where keys are kept (the keyring or `$RECKON_API_KEY`), not in the URL.
    KeyOutOfUrl,
}

impl ApiError {
    /// The remedy a shell words after the message, if the error has one.
    pub fn remedy(&self) -> Option<Remedy> {
        match self {
            ApiError::KeyRejected { key_name, .. } => Some(Remedy::StoreKey(key_name)),
            ApiError::CredentialsInUrl { .. } => Some(Remedy::KeyOutOfUrl),
            _ => None,
        }
    }
}
