//! Where an API lives: a base URL checked once, so no request can go out in clear text to
//! another machine, and no credential rides in the URL (where it would be stored and printed).

use std::net::IpAddr;

use url::{Host, Url};

use crate::ApiError;

/// An API's base URL: `https://`, or `http://` to a loopback host (127.0.0.1, ::1, localhost)
/// only, so a key never crosses a network unencrypted; without user name, password, query or
/// fragment, so a credential put there is never stored with a chain's last sync or printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(Url);

impl BaseUrl {
    /// Checks `text` as a base URL.
    pub fn parse(text: &str) -> Result<BaseUrl, ApiError> {
        let url =
            Url::parse(text.trim()).map_err(|e| ApiError::BadUrl { url: text.to_string(), reason: e.to_string() })?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => return Err(ApiError::InsecureUrl { url: text.to_string() }),
            other => {
                return Err(ApiError::BadUrl {
                    url: text.to_string(),
                    reason: format!("the scheme {other:?} is not https"),
                })
            }
        }
        if url.host().is_none() {
            return Err(ApiError::BadUrl { url: text.to_string(), reason: "it names no host".into() });
        }
        let what = if !url.username().is_empty() || url.password().is_some() {
            Some("a user name or password")
        } else if url.query().is_some() {
            Some("a query string (such as ?api_key=)")
        } else if url.fragment().is_some() {
            Some("a fragment (#...)")
        } else {
            None
        };
        if let Some(what) = what {
            return Err(ApiError::CredentialsInUrl { url: without_credentials(&url), what });
        }
        Ok(BaseUrl(url))
    }

    /// `{base}/{segments...}`, whatever path the base has.
    pub(crate) fn join(&self, segments: &[&str]) -> Url {
        let mut url = self.0.clone();
        url.path_segments_mut().expect("an http(s) URL has a path").pop_if_empty().extend(segments);
        url
    }
}

impl std::fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// `url` as an error may show it: scheme, host, port and path only.
fn without_credentials(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
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
        assert!(matches!(BaseUrl::parse("http://api.example.com"), Err(ApiError::InsecureUrl { .. })));
        assert!(matches!(BaseUrl::parse("http://10.0.0.1"), Err(ApiError::InsecureUrl { .. })));
        assert!(matches!(BaseUrl::parse("ftp://127.0.0.1"), Err(ApiError::BadUrl { .. })));
        assert!(matches!(BaseUrl::parse("api.example.com"), Err(ApiError::BadUrl { .. })));
    }

    #[test]
    fn credentials_query_and_fragment_are_refused_and_never_shown() {
        for (text, secret) in [
            ("https://user:hunter2pass@api.example.com", "hunter2pass"),
            ("https://sk_live_abcdef@api.example.com", "sk_live_abcdef"),
            ("http://127.0.0.1:9/?api_key=sk_live_abcdef", "sk_live_abcdef"),
            ("https://api.example.com/v?token=sk_live_abcdef&x=1", "sk_live_abcdef"),
            ("https://api.example.com/#sk_live_abcdef", "sk_live_abcdef"),
            ("https://api.example.com/?", "api.example.com/?"),
        ] {
            let e = BaseUrl::parse(text).unwrap_err();
            assert!(matches!(e, ApiError::CredentialsInUrl { .. }), "{text}: {e}");
            let message = e.to_string();
            assert!(!message.contains(secret), "{message}");
            // Where keys go is the shell's to word (the CLI: the keyring or $RECKON_API_KEY).
            assert_eq!(e.remedy(), Some(crate::Remedy::KeyOutOfUrl), "{message}");
            assert!(message.contains("keep the API key where keys are kept"), "{message}");
        }
    }

    #[test]
    fn joins_below_the_base_path() {
        let base = BaseUrl::parse("https://api.example.com/reverie/").unwrap();
        assert_eq!(base.join(&["v1", "ledger"]).as_str(), "https://api.example.com/reverie/v1/ledger");
        let base = BaseUrl::parse("https://api.example.com").unwrap();
        assert_eq!(base.join(&["v1", "balance"]).as_str(), "https://api.example.com/v1/balance");
    }
}
