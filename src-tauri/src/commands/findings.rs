//! The Findings screen: a chain's findings, a page at a time over the kept check (the webview
//! never receives 100,000 of them at once), and notes that explain them (one or many at once).

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use chrono::Utc;
use reckon::check::{CheckReport, CheckedFinding};
use reckon::model::Severity as EngineSeverity;
use tauri::State;

use super::Result;
use crate::dto::*;
use crate::state::AppState;

#[tauri::command]
pub async fn findings(state: State<'_, AppState>, chain_id: i64) -> Result<Vec<FindingView>> {
    state
        .with_db(move |db| {
            db.store.chain(chain_id)?;
            let report = db.report()?;
            Ok(chain_findings(&report, chain_id).into_iter().map(FindingView::from).collect())
        })
        .await
}

/// The most findings one page holds.
pub const MAX_PAGE: u64 = 1000;

/// One page of the findings `query` shows, in its order, with the chain's counts. The check is
/// the kept one (`Db::report`): a page filters and sorts references to its findings and turns
/// only the page's rows into views.
#[tauri::command]
pub async fn findings_page(
    state: State<'_, AppState>,
    query: FindingsQuery,
    offset: u64,
    limit: u64,
) -> Result<FindingsPage> {
    if limit == 0 || limit > MAX_PAGE {
        return Err(AppError::bad_input(format!("a page holds 1 to {MAX_PAGE} findings, not {limit}")));
    }
    state
        .with_db(move |db| {
            db.store.chain(query.chain_id)?;
            let report = db.report()?;
            Ok(page(&report, &query, offset, limit))
        })
        .await
}

/// The IDs of every finding `query` shows, open and explained apart, in the table's order.
#[tauri::command]
pub async fn finding_ids(state: State<'_, AppState>, query: FindingsQuery) -> Result<FindingIds> {
    state
        .with_db(move |db| {
            db.store.chain(query.chain_id)?;
            let report = db.report()?;
            let (mut open, mut explained) = (Vec::new(), Vec::new());
            for f in shown(&report, &query) {
                (if f.is_open() { &mut open } else { &mut explained }).push(f.finding.id.clone());
            }
            Ok(FindingIds { open, explained })
        })
        .await
}

/// The page of `query` starting at `offset`, and the chain's counts.
pub fn page(report: &CheckReport, query: &FindingsQuery, offset: u64, limit: u64) -> FindingsPage {
    let mine = chain_findings(report, query.chain_id);
    let (mut errors, mut warnings, mut explained) = (0, 0, 0);
    let mut kinds: HashMap<&'static str, FindingKindCount> = HashMap::new();
    for f in &mine {
        let severity = f.finding.severity();
        let kind = kinds.entry(f.finding.kind.as_str()).or_insert_with(|| FindingKindCount {
            kind: f.finding.kind.into(),
            severity: severity.into(),
            open: 0,
            explained: 0,
        });
        if severity == EngineSeverity::Error {
            kind.severity = Severity::Error;
        }
        if !f.is_open() {
            explained += 1;
            kind.explained += 1;
        } else {
            kind.open += 1;
            match severity {
                EngineSeverity::Error => errors += 1,
                EngineSeverity::Warning => warnings += 1,
            }
        }
    }
    let mut kinds: Vec<(&str, FindingKindCount)> = kinds.into_iter().collect();
    let rank = |k: &FindingKindCount| if k.severity == Severity::Error { 0 } else { 1 };
    kinds.sort_by(|(an, a), (bn, b)| rank(a).cmp(&rank(b)).then(b.open.cmp(&a.open)).then(an.cmp(bn)));
    let kinds = kinds.into_iter().map(|(_, k)| k).collect();

    let rows = sorted(mine, query);
    let start = (offset as usize).min(rows.len());
    let end = start.saturating_add(limit as usize).min(rows.len());
    FindingsPage {
        total: rows.len() as i64,
        offset: start as i64,
        rows: rows[start..end].iter().map(|f| FindingView::from(*f)).collect(),
        errors,
        warnings,
        explained,
        kinds,
    }
}

/// The findings `query` shows, in its order.
fn shown<'a>(report: &'a CheckReport, query: &FindingsQuery) -> Vec<&'a CheckedFinding> {
    sorted(chain_findings(report, query.chain_id), query)
}

fn sorted<'a>(mut all: Vec<&'a CheckedFinding>, query: &FindingsQuery) -> Vec<&'a CheckedFinding> {
    all.retain(|f| {
        query.kind.is_none_or(|k| FindingKind::from(f.finding.kind) == k)
            && query.severity.is_none_or(|s| Severity::from(f.finding.severity()) == s)
            && (query.show_explained || f.is_open())
    });
    match query.sort {
        FindingSort::Time => all.sort_unstable_by(|a, b| by_time(a, b)),
        FindingSort::Amount => all.sort_unstable_by(|a, b| by_amount(a, b)),
    }
    all
}

/// Newest first; findings without a time last; then by ID (so pages never overlap).
fn by_time(a: &CheckedFinding, b: &CheckedFinding) -> Ordering {
    let (x, y) = (&a.finding, &b.finding);
    match (x.ts, y.ts) {
        (Some(p), Some(q)) => q.cmp(&p),
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (None, None) => Ordering::Equal,
    }
    .then_with(|| x.id.cmp(&y.id))
}

/// Largest |delta| first; findings without a delta last; then as `by_time`.
fn by_amount(a: &CheckedFinding, b: &CheckedFinding) -> Ordering {
    match (a.finding.delta, b.finding.delta) {
        (Some(p), Some(q)) => q.abs().cmp(&p.abs()),
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (None, None) => Ordering::Equal,
    }
    .then_with(|| by_time(a, b))
}

#[tauri::command]
pub async fn mark_explained(state: State<'_, AppState>, finding_id: String, note: String) -> Result<()> {
    state
        .with_db(move |db| {
            if db.report()?.finding(&finding_id).is_none() {
                return Err(AppError::not_found(format!("no finding {finding_id}")));
            }
            let (note, at) = (note.trim().to_string(), Utc::now());
            db.store.set_note(&finding_id, &note, at)?;
            db.noted(&[finding_id], Some(reckon::model::Note { note, explained_at: at.to_rfc3339() }));
            Ok(())
        })
        .await
}

#[tauri::command]
pub async fn unmark_explained(state: State<'_, AppState>, finding_id: String) -> Result<()> {
    state
        .with_db(move |db| {
            db.store.clear_note(&finding_id)?;
            db.noted(&[finding_id], None);
            Ok(())
        })
        .await
}

/// Marks many findings as explained with one note (a selection, or every finding of a kind).
/// Every id must be a current finding; returns how many were marked.
#[tauri::command]
pub async fn explain_findings(state: State<'_, AppState>, finding_ids: Vec<String>, note: String) -> Result<i64> {
    let note = note.trim().to_string();
    if note.is_empty() {
        return Err(AppError::bad_input("write a note that says why these findings are explained"));
    }
    state
        .with_db(move |db| {
            if let Some(missing) = not_found(&*db.report()?, &finding_ids) {
                return Err(AppError::not_found(format!("no finding {missing}")));
            }
            // The kept check is no longer borrowed here, so `noted` changes it in place rather
            // than copying 100,000 findings.
            let at = Utc::now();
            let n = db.store.set_notes(&finding_ids, &note, at)?;
            db.noted(&finding_ids, Some(reckon::model::Note { note, explained_at: at.to_rfc3339() }));
            Ok(n as i64)
        })
        .await
}

/// The first of `ids` that is not a finding of `report`: one pass over each (a search of the
/// findings per ID made "Explain all" of 100,000 findings quadratic).
fn not_found<'a>(report: &CheckReport, ids: &'a [String]) -> Option<&'a String> {
    let known: HashSet<&str> = report.findings.iter().map(|f| f.finding.id.as_str()).collect();
    ids.iter().find(|id| !known.contains(id.as_str()))
}

/// Reopens many explained findings; returns how many had a note.
#[tauri::command]
pub async fn reopen_findings(state: State<'_, AppState>, finding_ids: Vec<String>) -> Result<i64> {
    state
        .with_db(move |db| {
            let n = db.store.clear_notes(&finding_ids)?;
            db.noted(&finding_ids, None);
            Ok(n as i64)
        })
        .await
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use reckon::model::{ChainKey, Finding, FindingKind as EngineKind};
    use reckon::money;
    use rust_decimal::Decimal;

    use super::*;

    /// `n` findings of chain 1 (a warning each, every tenth an error with a delta), one a
    /// second, in no particular order, and one of chain 2.
    fn report(n: usize) -> CheckReport {
        let key = ChainKey { account: "a".into(), currency: "credits".into() };
        let mut findings: Vec<CheckedFinding> = (0..n)
            .map(|i| {
                let j = (i * 7919) % n; // a permutation of 0..n (7919 is prime, n is not its multiple)
                let error = j % 10 == 0;
                CheckedFinding {
                    chain_id: 1,
                    finding: Finding {
                        id: format!("f{j:07}"),
                        kind: if error { EngineKind::BalanceBreak } else { EngineKind::UnknownType },
                        chain: key.clone(),
                        transaction_ids: vec![format!("txn_{j}")],
                        row_ids: vec![j as i64],
                        delta: error.then(|| Decimal::new(j as i64, 2)),
                        message: format!("finding {j}"),
                        ts: Some(1_700_000_000_000_000 + j as i64 * 1_000_000),
                        candidates: Vec::new(),
                    },
                    note: None,
                }
            })
            .collect();
        findings.push(CheckedFinding { chain_id: 2, ..findings[0].clone() });
        CheckReport { findings, ..Default::default() }
    }

    fn query(sort: FindingSort) -> FindingsQuery {
        FindingsQuery { chain_id: 1, kind: None, severity: None, show_explained: false, sort }
    }

    /// Explaining every finding of 100,000 checks each ID once (it was a search per ID), and an
    /// ID that is no finding is named.
    #[test]
    fn explaining_all_of_many_findings_checks_each_id_once() {
        let report = report(100_000);
        let mut ids: Vec<String> = report.findings.iter().map(|f| f.finding.id.clone()).collect();
        let started = Instant::now();
        assert_eq!(not_found(&report, &ids), None);
        eprintln!("explain_findings: 100,000 IDs checked in {:.1} ms", started.elapsed().as_secs_f64() * 1000.0);
        ids.insert(50_000, "f-gone".into());
        assert_eq!(not_found(&report, &ids).map(String::as_str), Some("f-gone"));
        assert_eq!(not_found(&report, &[]), None);
    }

    /// The first page of 10,000 and of 100,000 findings over a kept check: right, and timed
    /// (figures printed for bench/README.md; the test asserts no time).
    #[test]
    fn first_page_of_many_findings() {
        for n in [10_000, 100_000] {
            let report = report(n);
            let started = Instant::now();
            let page = page(&report, &query(FindingSort::Time), 0, 200);
            let json = serde_json::to_string(&page).unwrap();
            let took = started.elapsed();
            assert_eq!(
                (page.total, page.rows.len(), page.errors, page.warnings),
                (n as i64, 200, n as i64 / 10, n as i64 * 9 / 10)
            );
            let newest = format!("f{:07}", n - 1);
            assert_eq!(page.rows[0].id, newest);
            assert!(page.rows.windows(2).all(|w| w[0].ts > w[1].ts));
            let by_delta = super::page(&report, &query(FindingSort::Amount), 0, 200);
            assert_eq!(
                by_delta.rows[0].delta.as_deref(),
                Some(money::format(Decimal::new(((n - 1) / 10 * 10) as i64, 2)).as_str())
            );
            let last = super::page(&report, &query(FindingSort::Time), n as u64 - 5, 200);
            assert_eq!((last.rows.len(), last.rows[4].id.as_str()), (5, "f0000000"));
            eprintln!(
                "findings_page: first 200 of {n} findings in {:.1} ms ({} bytes of JSON; {} build)",
                took.as_secs_f64() * 1000.0,
                json.len(),
                if cfg!(debug_assertions) { "debug" } else { "release" }
            );
        }
    }
}
