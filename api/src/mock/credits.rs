//! Stripe billing credits on the mock, under the Stripe prefix (`/stripe/v1/billing/...`), as
//! Stripe serves them: `credit_balance_transactions` and `credit_grants` newest first,
//! `limit` (default 10, at most 100) and `starting_after` an object's ID, `has_more`; the
//! `credit_balance_summary`; each for `customer`, behind a Bearer key, with scripted answers
//! and a planted 429 / 500 every n-th request.

use std::collections::VecDeque;

use serde_json::{json, Value};

use super::{http, not_found, scripted, Answer, Apis, Reply, Request};

/// One customer's billing credits.
#[derive(Debug, Clone)]
pub struct StripeCredits {
    pub customer: String,
    /// Credit balance transactions, newest first, as served (an object may repeat: a planted
    /// duplicate, which paging serves again after its first copy).
    pub transactions: Vec<Value>,
    /// Credit grants, newest first.
    pub grants: Vec<Value>,
    /// What `credit_balance_summary` answers.
    pub summary: Value,
    /// The only key accepted; any other gets 401.
    pub key: String,
    /// Answers for the first requests to these endpoints, in order.
    pub script: VecDeque<Reply>,
    /// Every n-th request fails, 429 (`Retry-After: 1`) and 500 in turn.
    pub fail_every: Option<u32>,
    served: u32,
}

impl StripeCredits {
    /// Serves saved answers: the transactions and the grants (each one page, an array of pages
    /// or a bare array, in the order given: newest first, as Stripe lists them), and the
    /// balance summary, for the customer the summary names.
    pub fn from_json(
        transactions: &[u8],
        grants: &[u8],
        summary: &[u8],
        key: &str,
    ) -> serde_json::Result<StripeCredits> {
        let summary: Value = serde_json::from_slice(summary)?;
        Ok(StripeCredits {
            customer: summary["customer"].as_str().unwrap_or("cus_mock").to_string(),
            transactions: objects(serde_json::from_slice(transactions)?),
            grants: objects(serde_json::from_slice(grants)?),
            summary,
            key: key.into(),
            script: VecDeque::new(),
            fail_every: None,
            served: 0,
        })
    }
}

/// The objects of a saved list answer: its `data`, the `data` of each page of an array, or
/// the array's items.
fn objects(doc: Value) -> Vec<Value> {
    let pages = match doc {
        Value::Array(items) => items,
        page => vec![page],
    };
    let mut out = Vec::new();
    for page in pages {
        match page {
            Value::Object(mut map) if map.contains_key("data") => {
                if let Some(Value::Array(items)) = map.remove("data") {
                    out.extend(items);
                }
            }
            item => out.push(item),
        }
    }
    out
}

/// The answer to a request for these endpoints, or `None` when it is not one of them.
pub(super) fn route(apis: &mut Apis, request: &Request) -> Option<Answer> {
    let path = request.path.strip_prefix("/stripe/v1/billing/")?;
    let (any_key, bad_key) = (apis.any_key, apis.bad_key);
    let credits = apis.stripe_credits.as_mut()?;
    let given = request.authorization.as_deref().and_then(|a| a.strip_prefix("Bearer ")).unwrap_or("");
    if bad_key || !(given == credits.key || (any_key && !given.trim().is_empty())) {
        return Some(http(
            401,
            json!({"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}).to_string(),
        ));
    }
    credits.served += 1;
    if let Some(reply) = credits.script.pop_front() {
        return Some(scripted(reply));
    }
    if let Some(n) = credits.fail_every.filter(|n| *n > 0 && credits.served % *n == 0) {
        let reply =
            if (credits.served / n) % 2 == 1 { Reply::RateLimited(Some("1".into())) } else { Reply::Status(500) };
        return Some(scripted(reply));
    }
    let error =
        |message: &str| http(400, json!({"error": {"type": "invalid_request_error", "message": message}}).to_string());
    let Some(customer) = request.param("customer") else {
        return Some(error("Missing required param: customer."));
    };
    let mine = customer == credits.customer;
    Some(match path {
        "credit_balance_summary" => {
            if request.param("filter[type]").is_none() {
                return Some(error("Missing required param: filter."));
            }
            if mine {
                http(200, credits.summary.to_string())
            } else {
                http(200, json!({"object": "billing.credit_balance_summary", "customer": customer, "balances": [], "livemode": false}).to_string())
            }
        }
        "credit_balance_transactions" | "credit_grants" => {
            let list = match (mine, path) {
                (false, _) => &[][..],
                (true, "credit_grants") => &credits.grants[..],
                (true, _) => &credits.transactions[..],
            };
            match page(list, request) {
                Ok((data, has_more)) => http(
                    200,
                    json!({"object": "list", "data": data, "has_more": has_more, "url": format!("/v1/billing/{path}")})
                        .to_string(),
                ),
                Err(message) => error(&message),
            }
        }
        _ => not_found(),
    })
}

/// The page after `starting_after` (its first copy in the list), `limit` long.
fn page<'a>(list: &'a [Value], request: &Request) -> Result<(&'a [Value], bool), String> {
    let limit = match request.param("limit") {
        Some(l) => l.parse::<usize>().ok().filter(|l| (1..=100).contains(l)).ok_or("limit must be from 1 to 100")?,
        None => 10,
    };
    let start = match request.param("starting_after") {
        Some(id) => {
            1 + list
                .iter()
                .position(|o| o["id"].as_str() == Some(id))
                .ok_or_else(|| format!("No such object: '{id}'"))?
        }
        None => 0,
    };
    let end = (start + limit).min(list.len());
    Ok((&list[start.min(end)..end], end < list.len()))
}
