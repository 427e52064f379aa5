//! Where an API lives: a base URL checked once, so no request can go out in clear text to
//! another machine.

use std::net::IpAddr;

use url::{Host, Url};

use crate::SyncError;

/// An API's base URL: `https://`, or `http://` to a loopback host (127.0.0.1, ::1, localhost)
/// only, so a key never crosses a network unencrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(Url);

impl BaseUrl {
    /// Checks `text` as a base URL.
    pub fn parse(text: &str) -> Result<BaseUrl, SyncError> {
        let url =
            Url::parse(text.trim()).map_err(|e| SyncError::BadUrl { url: text.to_string(), reason: e.to_string() })?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => return Err(SyncError::InsecureUrl { url: text.to_string() }),
            other => {
                return Err(SyncError::BadUrl {
                    url: text.to_string(),
                    reason: format!("the scheme {other:?} is not https"),
                })
            }
        }
        if url.host().is_none() {
            return Err(SyncError::BadUrl { url: text.to_string(), reason: "it names no host".into() });
        }
        Ok(BaseUrl(url))
    }

    /// `{base}/{segments...}`, whatever path the base has, without its query.
    pub(crate) fn join(&self, segments: &[&str]) -> Url {
        let mut url = self.0.clone();
        url.set_query(None);
        url.set_fragment(None);
        url.path_segments_mut().expect("an http(s) URL has a path").pop_if_empty().extend(segments);
        url
    }
}

impl std::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        for ok in ["https://api.example.com", "http://127.0.0.1:8080", "http://[::1]:9/x", "http://localhost"] {
            assert!(BaseUrl::parse(ok).is_ok(), "{ok}");
        }
        assert!(matches!(BaseUrl::parse("http://api.example.com"), Err(SyncError::InsecureUrl { .. })));
        assert!(matches!(BaseUrl::parse("http://10.0.0.1"), Err(SyncError::InsecureUrl { .. })));
        assert!(matches!(BaseUrl::parse("ftp://127.0.0.1"), Err(SyncError::BadUrl { .. })));
        assert!(matches!(BaseUrl::parse("api.example.com"), Err(SyncError::BadUrl { .. })));
    }

    #[test]
    fn joins_below_the_base_path() {
        let base = BaseUrl::parse("https://api.example.com/reverie/?x=1").unwrap();
        assert_eq!(base.join(&["v1", "ledger"]).as_str(), "https://api.example.com/reverie/v1/ledger");
        let base = BaseUrl::parse("https://api.example.com").unwrap();
        assert_eq!(base.join(&["v1", "balance"]).as_str(), "https://api.example.com/v1/balance");
    }
}
