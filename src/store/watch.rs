//! Keeping watch (migration 10): each chain's history of checks (`check_run`, with the findings
//! new, resolved and explained since the run before, `check_change`, against the set the last
//! run saw, `check_seen`) and its low-balance threshold (`low_balance`). The comparison runs
//! inside one IMMEDIATE transaction, so two connections recording at once never both call a
//! finding new.

use std::collections::HashMap;

use rusqlite::{params, OptionalExtension, TransactionBehavior};
use rust_decimal::Decimal;

use super::{Store, StoreError};
use crate::model::FindingKind;
use crate::money;

/// A finding as a check saw it, to compare with the run before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenFinding {
    pub finding_id: String,
    pub kind: FindingKind,
    pub delta: Option<Decimal>,
    pub transaction_ids: Vec<String>,
    /// Whether it carries a note.
    pub explained: bool,
}

/// How a finding changed between two runs of a chain's check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Change {
    /// Seen now, not by the run before.
    New,
    /// Seen by the run before, gone now.
    Resolved,
    /// Open at the run before, carrying a note now.
    Explained,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::New => "new",
            Change::Resolved => "resolved",
            Change::Explained => "explained",
        }
    }

    fn from_name(name: &str) -> Option<Change> {
        [Change::New, Change::Resolved, Change::Explained].into_iter().find(|c| c.as_str() == name)
    }
}

/// One finding's change in a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingChange {
    pub change: Change,
    pub finding_id: String,
    pub kind: FindingKind,
    pub delta: Option<Decimal>,
    pub transaction_ids: Vec<String>,
}

/// What a check saw of a chain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunCounts {
    pub entries: u64,
    /// Open findings of severity error.
    pub errors: u64,
    /// Open findings of severity warning.
    pub warnings: u64,
    /// Findings carrying a note.
    pub explained: u64,
}

/// A check of one chain, as kept in its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRun {
    pub id: i64,
    pub chain_id: i64,
    /// Unix microseconds, when it ran.
    pub at: i64,
    /// When the last of the runs it stands for ran: runs that change nothing after a run that
    /// changed nothing are folded into it (`runs` counts them), so a sync every 15 minutes
    /// does not bury the history in empty rows.
    pub last_at: i64,
    pub runs: u64,
    /// The chain's first run: every finding it saw is new.
    pub first: bool,
    /// As of `last_at`.
    pub counts: RunCounts,
    /// The balance the check ended at, as of `last_at`.
    pub balance: Option<Decimal>,
    /// How many findings were new, resolved and explained.
    pub new: u64,
    pub resolved: u64,
    pub explained: u64,
    /// The changes themselves (empty when listed without them).
    pub changes: Vec<FindingChange>,
}

/// A chain's low-balance threshold and whether its balance was last seen below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LowBalance {
    pub chain_id: i64,
    pub threshold: Decimal,
    /// Unix microseconds since the balance was seen below the threshold; `None` while it is at
    /// or above (or was never compared).
    pub below_since: Option<i64>,
}

fn ids_json(ids: &[String]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

fn ids_from_json(text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::BadValue(format!("check history transaction IDs: {e}")))
}

fn kind_named(name: &str) -> Result<FindingKind, StoreError> {
    FindingKind::from_name(name).ok_or_else(|| StoreError::BadValue(format!("check history: finding kind {name:?}")))
}

fn units(value: Option<Decimal>) -> Option<i64> {
    value.and_then(money::to_units)
}

/// One chain's check, to record as a run of its history (`Store::record_check_runs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainCheck {
    pub chain_id: i64,
    pub counts: RunCounts,
    /// The balance the check ended at.
    pub balance: Option<Decimal>,
    /// The findings it saw.
    pub seen: Vec<SeenFinding>,
}

impl Store {
    /// Records a check of chain `chain_id` at `at` (Unix microseconds) that saw `seen`: the
    /// findings new since the chain's previous run, those resolved (gone) and those explained
    /// (a note added since), kept as a run of its history, and `seen` kept for the next run.
    /// A run that changes nothing after a run that changed nothing, with the same open counts,
    /// is folded into that run. Returns the run as kept, with this run's changes.
    pub fn record_check_run(
        &mut self,
        chain_id: i64,
        at: i64,
        counts: RunCounts,
        balance: Option<Decimal>,
        seen: &[SeenFinding],
    ) -> Result<CheckRun, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut before = Before::of(&tx, &[chain_id])?;
        let run = record_run(&tx, &mut before, chain_id, at, counts, balance, seen)?;
        tx.commit()?;
        Ok(run)
    }

    /// Records the checks of several chains at `at` as `record_check_run` does each, in one
    /// IMMEDIATE transaction: one commit (one sync to disk) for all of them, where a
    /// transaction per chain made a check of 1,000 ledgers wait on 1,000. Returns the runs in
    /// the order of `checks`.
    pub fn record_check_runs(&mut self, at: i64, checks: &[ChainCheck]) -> Result<Vec<CheckRun>, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ids: Vec<i64> = checks.iter().map(|c| c.chain_id).collect();
        let mut before = Before::of(&tx, &ids)?;
        let runs = checks
            .iter()
            .map(|c| record_run(&tx, &mut before, c.chain_id, at, c.counts, c.balance, &c.seen))
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit()?;
        Ok(runs)
    }

    /// Chain `chain_id`'s check history, newest first, at most `limit` runs, each with its
    /// changes.
    pub fn check_runs(&self, chain_id: i64, limit: usize) -> Result<Vec<CheckRun>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, at, last_at, runs, first, entries, errors, warnings, explained,
                    new_count, resolved_count, explained_count, balance
             FROM check_run WHERE chain_id = ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let mut runs = stmt
            .query_map(params![chain_id, limit.min(i64::MAX as usize) as i64], |r| {
                Ok(CheckRun {
                    id: r.get(0)?,
                    chain_id,
                    at: r.get(1)?,
                    last_at: r.get(2)?,
                    runs: r.get::<_, i64>(3)? as u64,
                    first: r.get(4)?,
                    counts: RunCounts {
                        entries: r.get::<_, i64>(5)? as u64,
                        errors: r.get::<_, i64>(6)? as u64,
                        warnings: r.get::<_, i64>(7)? as u64,
                        explained: r.get::<_, i64>(8)? as u64,
                    },
                    new: r.get::<_, i64>(9)? as u64,
                    resolved: r.get::<_, i64>(10)? as u64,
                    explained: r.get::<_, i64>(11)? as u64,
                    balance: r.get::<_, Option<i64>>(12)?.map(money::from_units),
                    changes: Vec::new(),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut changes = self.conn.prepare_cached(
            "SELECT change, finding_id, kind, delta, transaction_ids FROM check_change WHERE run_id = ?1
             ORDER BY CASE change WHEN 'new' THEN 0 WHEN 'resolved' THEN 1 ELSE 2 END, finding_id",
        )?;
        for run in &mut runs {
            let mut rows = changes.query([run.id])?;
            while let Some(r) = rows.next()? {
                let change: String = r.get(0)?;
                let kind: String = r.get(2)?;
                let ids: String = r.get(4)?;
                run.changes.push(FindingChange {
                    change: Change::from_name(&change)
                        .ok_or_else(|| StoreError::BadValue(format!("check history: change {change:?}")))?,
                    finding_id: r.get(1)?,
                    kind: kind_named(&kind)?,
                    delta: r.get::<_, Option<i64>>(3)?.map(money::from_units),
                    transaction_ids: ids_from_json(&ids)?,
                });
            }
        }
        Ok(runs)
    }

    /// Sets (or, with `None`, clears) chain `chain_id`'s low-balance threshold. Setting one
    /// forgets whether the balance was below the old one, so the next comparison reports a
    /// balance already below the new one as just crossed.
    pub fn set_low_balance(&mut self, chain_id: i64, threshold: Option<Decimal>) -> Result<(), StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists: bool = tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM chain WHERE id = ?1)")?
            .query_row([chain_id], |r| r.get(0))?;
        if !exists {
            return Err(StoreError::NotFound(format!("chain {chain_id}")));
        }
        match threshold {
            Some(value) => {
                let units = money::to_units(value).ok_or_else(|| {
                    StoreError::BadValue(format!(
                        "a threshold of {value} has more than six decimal places or is too large"
                    ))
                })?;
                tx.prepare_cached(
                    "INSERT INTO low_balance (chain_id, threshold, below_since) VALUES (?1, ?2, NULL)
                     ON CONFLICT (chain_id) DO UPDATE SET threshold = excluded.threshold, below_since = NULL",
                )?
                .execute(params![chain_id, units])?;
            }
            None => {
                tx.prepare_cached("DELETE FROM low_balance WHERE chain_id = ?1")?.execute([chain_id])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every chain's low-balance threshold, by chain id.
    pub fn low_balances(&self) -> Result<Vec<LowBalance>, StoreError> {
        let mut stmt =
            self.conn.prepare_cached("SELECT chain_id, threshold, below_since FROM low_balance ORDER BY chain_id")?;
        let rows = stmt.query_map([], |r| {
            Ok(LowBalance { chain_id: r.get(0)?, threshold: money::from_units(r.get(1)?), below_since: r.get(2)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Chain `chain_id`'s low-balance threshold, if it has one.
    pub fn low_balance(&self, chain_id: i64) -> Result<Option<LowBalance>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT threshold, below_since FROM low_balance WHERE chain_id = ?1")?
            .query_row([chain_id], |r| {
                Ok(LowBalance { chain_id, threshold: money::from_units(r.get(0)?), below_since: r.get(1)? })
            })
            .optional()?)
    }

    /// Compares chain `chain_id`'s `balance` with its threshold at `at` and records whether it
    /// is below, in one IMMEDIATE transaction: below keeps the time it was first seen below
    /// (or sets it to `at`), not below clears it. Returns the threshold as it was before
    /// (`None` when the chain has none, and nothing is written).
    pub fn mark_low_balance(
        &mut self,
        chain_id: i64,
        balance: Decimal,
        at: i64,
    ) -> Result<Option<LowBalance>, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before: Option<LowBalance> = tx
            .prepare_cached("SELECT threshold, below_since FROM low_balance WHERE chain_id = ?1")?
            .query_row([chain_id], |r| {
                Ok(LowBalance { chain_id, threshold: money::from_units(r.get(0)?), below_since: r.get(1)? })
            })
            .optional()?;
        if let Some(b) = &before {
            let below = balance < b.threshold;
            let since = if below { Some(b.below_since.unwrap_or(at)) } else { None };
            if since != b.below_since {
                tx.prepare_cached("UPDATE low_balance SET below_since = ?2 WHERE chain_id = ?1")?
                    .execute(params![chain_id, since])?;
            }
        }
        tx.commit()?;
        Ok(before)
    }
}

/// The set a previous run saw: finding id -> (kind, delta, ids, explained).
type SeenSet = HashMap<String, (String, Option<i64>, String, bool)>;

/// A chain's newest run: id, its changes (new + resolved + explained), errors, warnings,
/// explained, at, runs, first.
type LastRun = (i64, i64, i64, i64, i64, i64, i64, bool);

/// What the runs before left of some chains, read in two queries for all of them (one query
/// per chain cost a customer base of 100,000 chains 0.9 s): each one's newest run and the set
/// of findings it saw.
struct Before {
    last: HashMap<i64, LastRun>,
    seen: HashMap<i64, SeenSet>,
}

impl Before {
    /// Chains a query names at most (SQLite's limit on parameters is 32,766).
    const CHAINS_PER_QUERY: usize = 1000;

    fn of(tx: &rusqlite::Connection, chain_ids: &[i64]) -> Result<Before, StoreError> {
        let mut before = Before { last: HashMap::new(), seen: HashMap::new() };
        for ids in chain_ids.chunks(Self::CHAINS_PER_QUERY) {
            let list = vec!["?"; ids.len()].join(",");
            let mut stmt = tx.prepare(&format!(
                "SELECT r.chain_id, r.id, r.new_count + r.resolved_count + r.explained_count, r.errors, r.warnings,
                        r.explained, r.at, r.runs, r.first
                 FROM (SELECT chain_id, max(id) AS id FROM check_run WHERE chain_id IN ({list}) GROUP BY chain_id) m
                 JOIN check_run r ON r.id = m.id"
            ))?;
            let mut rows = stmt.query(rusqlite::params_from_iter(ids))?;
            while let Some(r) = rows.next()? {
                let run = (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?);
                before.last.insert(r.get(0)?, run);
            }
            // A set is written with its run, and runs are never removed: a chain without a run
            // has no set.
            let mut stmt = tx.prepare(&format!(
                "SELECT chain_id, finding_id, kind, delta, transaction_ids, explained FROM check_seen
                 WHERE chain_id IN ({list})"
            ))?;
            let mut rows = stmt.query(rusqlite::params_from_iter(ids))?;
            while let Some(r) = rows.next()? {
                let set = before.seen.entry(r.get(0)?).or_default();
                set.insert(r.get(1)?, (r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?));
            }
        }
        Ok(before)
    }
}

/// `record_check_run`'s comparison and writes, inside the caller's IMMEDIATE transaction, with
/// what the runs before left (`Before::of` the same transaction).
fn record_run(
    tx: &rusqlite::Connection,
    prior: &mut Before,
    chain_id: i64,
    at: i64,
    counts: RunCounts,
    balance: Option<Decimal>,
    seen: &[SeenFinding],
) -> Result<CheckRun, StoreError> {
    let previous = prior.last.get(&chain_id).copied();
    let first = previous.is_none();
    let mut before = if first { SeenSet::new() } else { prior.seen.remove(&chain_id).unwrap_or_default() };
    let mut changes = Vec::new();
    // Findings whose note was removed since (open again): the only flags to write when
    // nothing else changed.
    let mut reopened = Vec::new();
    for s in seen {
        match before.remove(&s.finding_id) {
            None => changes.push(FindingChange {
                change: Change::New,
                finding_id: s.finding_id.clone(),
                kind: s.kind,
                delta: s.delta,
                transaction_ids: s.transaction_ids.clone(),
            }),
            Some((_, _, _, was_explained)) if s.explained && !was_explained => changes.push(FindingChange {
                change: Change::Explained,
                finding_id: s.finding_id.clone(),
                kind: s.kind,
                delta: s.delta,
                transaction_ids: s.transaction_ids.clone(),
            }),
            Some((_, _, _, was_explained)) => {
                if was_explained && !s.explained {
                    reopened.push(s);
                }
            }
        }
    }
    let mut resolved: Vec<_> = before.into_iter().collect();
    resolved.sort_by(|a, b| a.0.cmp(&b.0));
    for (finding_id, (kind, delta, ids, _)) in resolved {
        changes.push(FindingChange {
            change: Change::Resolved,
            finding_id,
            kind: kind_named(&kind)?,
            delta: delta.map(money::from_units),
            transaction_ids: ids_from_json(&ids)?,
        });
    }
    let count = |c: Change| changes.iter().filter(|x| x.change == c).count() as u64;
    let (new, resolved, explained) = (count(Change::New), count(Change::Resolved), count(Change::Explained));

    // Fold an unchanged run into the previous one when that changed nothing either.
    let same = |p: &LastRun| {
        p.1 == 0
            && p.2 == counts.errors as i64
            && p.3 == counts.warnings as i64
            && p.4 == counts.explained as i64
            && at >= p.5
    };
    let run = match previous.filter(|p| changes.is_empty() && same(p)) {
        Some(p) => {
            tx.prepare_cached(
                "UPDATE check_run SET last_at = ?2, runs = runs + 1, entries = ?3, balance = ?4 WHERE id = ?1",
            )?
            .execute(params![p.0, at, counts.entries as i64, units(balance)])?;
            CheckRun {
                id: p.0,
                chain_id,
                at: p.5,
                last_at: at,
                runs: p.6 as u64 + 1,
                first: p.7,
                counts,
                balance,
                new: 0,
                resolved: 0,
                explained: 0,
                changes: Vec::new(),
            }
        }
        None => {
            tx.prepare_cached(
                "INSERT INTO check_run (chain_id, at, last_at, runs, first, entries, errors, warnings, explained,
                                        new_count, resolved_count, explained_count, balance)
                 VALUES (?1, ?2, ?2, 1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                chain_id,
                at,
                first,
                counts.entries as i64,
                counts.errors as i64,
                counts.warnings as i64,
                counts.explained as i64,
                new as i64,
                resolved as i64,
                explained as i64,
                units(balance)
            ])?;
            let id = tx.last_insert_rowid();
            {
                let mut insert = tx.prepare_cached(
                    "INSERT OR IGNORE INTO check_change (run_id, change, finding_id, kind, delta, transaction_ids)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?;
                for c in &changes {
                    insert.execute(params![
                        id,
                        c.change.as_str(),
                        c.finding_id,
                        c.kind.as_str(),
                        units(c.delta),
                        ids_json(&c.transaction_ids)
                    ])?;
                }
            }
            CheckRun {
                id,
                chain_id,
                at,
                last_at: at,
                runs: 1,
                first,
                counts,
                balance,
                new,
                resolved,
                explained,
                changes,
            }
        }
    };
    // What this run saw, for the next one to compare with.
    if !run.changes.is_empty() || first {
        if !first {
            tx.prepare_cached("DELETE FROM check_seen WHERE chain_id = ?1")?.execute([chain_id])?;
        }
        let mut insert = tx.prepare_cached(
            "INSERT OR REPLACE INTO check_seen (chain_id, finding_id, kind, delta, transaction_ids, explained)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for s in seen {
            insert.execute(params![
                chain_id,
                s.finding_id,
                s.kind.as_str(),
                units(s.delta),
                ids_json(&s.transaction_ids),
                s.explained
            ])?;
        }
    } else {
        // Nothing new, resolved or explained; a note removed (reopened) still counts for
        // the next comparison. The other flags are as the set has them.
        let mut update =
            tx.prepare_cached("UPDATE check_seen SET explained = ?3 WHERE chain_id = ?1 AND finding_id = ?2")?;
        for s in reopened {
            update.execute(params![chain_id, s.finding_id, s.explained])?;
        }
    }
    Ok(run)
}
