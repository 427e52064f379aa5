//! A history of checks per chain: `record` keeps each check of each chain as a run and says
//! what changed since that chain's previous run: findings new, resolved (gone), explained (a
//! note added since). Kept in the store (`check_run`, migration 10).

use std::collections::HashMap;

use crate::check::{CheckReport, CheckedFinding};
use crate::model::{ChainKey, Severity};
use crate::store::{ChainCheck, Change, CheckRun, FindingChange, RunCounts, SeenFinding, Store, StoreError};

/// What one chain's check changed since its previous one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryDelta {
    pub chain_id: i64,
    pub chain: ChainKey,
    /// The run it was kept as (a run that changed nothing may be folded into the one before:
    /// then its id).
    pub run_id: i64,
    /// Unix microseconds, the time given to `record`.
    pub at: i64,
    /// The chain's first recorded check: every finding is in `new`.
    pub first: bool,
    /// Findings seen now and not by the previous run (explained ones included).
    pub new: Vec<FindingChange>,
    /// Findings the previous run saw that are gone.
    pub resolved: Vec<FindingChange>,
    /// Findings open at the previous run that carry a note now.
    pub explained: Vec<FindingChange>,
}

impl HistoryDelta {
    /// New findings of severity error: what a notification is about.
    pub fn new_errors(&self) -> impl Iterator<Item = &FindingChange> {
        self.new.iter().filter(|c| c.kind.severity() == Severity::Error)
    }

    pub fn is_empty(&self) -> bool {
        self.new.is_empty() && self.resolved.is_empty() && self.explained.is_empty()
    }
}

/// Records `report` as one run of each chain it checked, at `at` (Unix microseconds), and
/// returns per chain what is new, resolved and explained since that chain's previous run.
///
/// Call it after a check run with the stored balances and the default rules (a check with
/// balances or rules given for one run would make findings come and go in the history). The
/// store must be open for writing. Up to 1,000 chains are recorded in one IMMEDIATE
/// transaction, so two callers recording at once never both report a finding as new, and a
/// check of many ledgers commits (syncs to disk) once per thousand, not once per ledger. This is what the CLI's
/// `reckon check`, the app's check and its scheduled sync call:
///
/// ```no_run
/// # fn demo(store: &mut reckon::store::Store) -> Result<(), Box<dyn std::error::Error>> {
/// let report = reckon::check::check(store, &Default::default())?;
/// let now = chrono::Utc::now().timestamp_micros();
/// for delta in reckon::watch::history::record(store, &report, now)? {
///     for f in delta.new_errors() {
///         println!("{}/{}: new {} {:?}", delta.chain.account, delta.chain.currency, f.kind.as_str(), f.delta);
///     }
/// }
/// # Ok(()) }
/// ```
pub fn record(store: &mut Store, report: &CheckReport, at: i64) -> Result<Vec<HistoryDelta>, StoreError> {
    let mut deltas = Vec::with_capacity(report.chains.len());
    // Findings by chain, in one pass over them.
    let mut by_chain: HashMap<i64, Vec<&CheckedFinding>> = HashMap::new();
    for f in &report.findings {
        by_chain.entry(f.chain_id).or_default().push(f);
    }
    for part in report.chains.chunks(CHAINS_PER_TRANSACTION) {
        let checks: Vec<ChainCheck> = part
            .iter()
            .map(|chain| {
                let mut counts = RunCounts { entries: chain.entries, ..RunCounts::default() };
                let mut seen = Vec::new();
                for f in by_chain.get(&chain.id).into_iter().flatten() {
                    match (f.is_open(), f.finding.severity()) {
                        (false, _) => counts.explained += 1,
                        (true, Severity::Error) => counts.errors += 1,
                        (true, _) => counts.warnings += 1,
                    }
                    seen.push(SeenFinding {
                        finding_id: f.finding.id.clone(),
                        kind: f.finding.kind,
                        delta: f.finding.delta,
                        transaction_ids: f.finding.transaction_ids.clone(),
                        explained: !f.is_open(),
                    });
                }
                ChainCheck { chain_id: chain.id, counts, balance: super::balance(report, chain), seen }
            })
            .collect();
        let runs = store.record_check_runs(at, &checks)?;
        for (chain, run) in part.iter().zip(runs) {
            deltas.push(delta_of(chain.key.clone(), at, run));
        }
    }
    Ok(deltas)
}

/// How many chains' runs one transaction records: one commit (one sync to disk) each, and the
/// write lock held no longer than a few thousand small writes take.
const CHAINS_PER_TRANSACTION: usize = 1000;

fn delta_of(chain: ChainKey, at: i64, run: CheckRun) -> HistoryDelta {
    let mut delta = HistoryDelta {
        chain_id: run.chain_id,
        chain,
        run_id: run.id,
        at,
        first: run.first && run.runs == 1,
        new: Vec::new(),
        resolved: Vec::new(),
        explained: Vec::new(),
    };
    for c in run.changes {
        match c.change {
            Change::New => delta.new.push(c),
            Change::Resolved => delta.resolved.push(c),
            Change::Explained => delta.explained.push(c),
        }
    }
    delta
}

/// Chain `chain_id`'s history, newest run first, at most `limit` runs, each with the findings
/// it changed.
pub fn runs(store: &Store, chain_id: i64, limit: usize) -> Result<Vec<CheckRun>, StoreError> {
    store.check_runs(chain_id, limit)
}
