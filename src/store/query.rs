//! Read side for screens and the CLI: a filter, and paged, indexed queries over it.
//! A screen never loads a whole ledger; pages come newest first.

use std::path::Path;

use rusqlite::types::Value;
use rusqlite::{params_from_iter, OptionalExtension};
use rust_decimal::Decimal;

use super::{Store, StoreError};
use crate::money;

/// Which entries a view shows. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerFilter {
    pub chain_id: Option<i64>,
    /// Normalised type names (`CHAT`); any of them.
    pub types: Vec<String>,
    /// Unix microseconds, inclusive.
    pub from: Option<i64>,
    /// Unix microseconds, exclusive.
    pub to: Option<i64>,
    pub character: Option<String>,
    pub model: Option<String>,
    /// A transaction ID or its beginning.
    pub search: Option<String>,
    /// Exactly these store rows (a finding's entries).
    pub row_ids: Vec<i64>,
}

/// One row of the ledger table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    pub id: i64,
    pub txn_id: String,
    pub ts: i64,
    pub kind: String,
    pub description: String,
    pub amount: Decimal,
    pub balance_after: Decimal,
    pub character: Option<String>,
    pub model: Option<String>,
    pub chain_id: i64,
    pub source_path: String,
    pub source_format: String,
    pub source_line: u64,
    pub source_offset: u64,
}

/// Totals of a filtered view, for the summary bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub entries: u64,
    pub credits_in: Decimal,
    /// Negative or zero.
    pub credits_out: Decimal,
}

impl Totals {
    pub fn net(&self) -> Decimal {
        self.credits_in + self.credits_out
    }
}

/// What `summary` groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Type,
    Character,
    Model,
    /// UTC calendar day.
    Day,
}

/// One group of a summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRow {
    /// The type, character, model or `YYYY-MM-DD`; `(none)` where an entry has none.
    pub key: String,
    pub totals: Totals,
}

/// The values the filters offer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facets {
    pub types: Vec<String>,
    pub characters: Vec<String>,
    pub models: Vec<String>,
}

/// One point of the running balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BalancePoint {
    pub ts: i64,
    pub balance: Decimal,
}

/// An entry with the text it was imported from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryDetail {
    pub row: LedgerRow,
    /// The raw source text, when the file is still where it was imported from and unchanged.
    pub raw: Option<String>,
    /// Why `raw` is missing.
    pub raw_note: Option<String>,
}

const ROW_COLUMNS: &str = "e.id, e.txn_id, e.ts, t.text, d.text, e.amount, e.balance_after, c.text, m.text,
    e.chain_id, s.path, s.format, e.source_line, e.source_offset";
const ROW_JOINS: &str = "FROM entry e
    JOIN label t ON t.id = e.type_id
    JOIN label d ON d.id = e.description_id
    LEFT JOIN label c ON c.id = e.character_id
    LEFT JOIN label m ON m.id = e.model_id
    JOIN source_file s ON s.id = e.source_id";

fn ledger_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LedgerRow> {
    Ok(LedgerRow {
        id: r.get(0)?,
        txn_id: r.get(1)?,
        ts: r.get(2)?,
        kind: r.get(3)?,
        description: r.get(4)?,
        amount: money::from_units(r.get(5)?),
        balance_after: money::from_units(r.get(6)?),
        character: r.get(7)?,
        model: r.get(8)?,
        chain_id: r.get(9)?,
        source_path: r.get(10)?,
        source_format: r.get(11)?,
        source_line: r.get::<_, i64>(12)? as u64,
        source_offset: r.get::<_, i64>(13)? as u64,
    })
}

/// Indexes built on first use: `(name, column)`.
pub(super) const FILTER_INDEXES: [(&str, &str); 2] =
    [("entry_chain_character", "character_id"), ("entry_chain_model", "model_id")];

impl Store {
    /// Builds the index behind a character or model filter if this database does not have it yet.
    fn ensure_filter_index(&self, column: &str) -> Result<(), StoreError> {
        for (name, col) in FILTER_INDEXES {
            if col == column {
                self.conn.execute_batch(&format!(
                    "CREATE INDEX IF NOT EXISTS {name} ON entry (chain_id, {col}, ts, seq, amount)"
                ))?;
            }
        }
        Ok(())
    }

    /// Turns a filter into a WHERE clause over `entry e`, resolving names to label ids.
    fn where_clause(&self, filter: &LedgerFilter) -> Result<(String, Vec<Value>), StoreError> {
        let mut clauses = Vec::new();
        let mut args: Vec<Value> = Vec::new();
        if let Some(chain) = filter.chain_id {
            clauses.push("e.chain_id = ?".to_string());
            args.push(chain.into());
        }
        let label = |text: &str| -> Result<i64, StoreError> {
            Ok(self
                .conn
                .query_row("SELECT id FROM label WHERE text = ?1", [text], |r| r.get(0))
                .optional()?
                .unwrap_or(-1))
        };
        if !filter.types.is_empty() {
            let ids = filter.types.iter().map(|t| label(t)).collect::<Result<Vec<_>, _>>()?;
            clauses.push(format!("e.type_id IN ({})", vec!["?"; ids.len()].join(",")));
            args.extend(ids.into_iter().map(Value::from));
        }
        if let Some(c) = &filter.character {
            self.ensure_filter_index("character_id")?;
            clauses.push("e.character_id = ?".into());
            args.push(label(c)?.into());
        }
        if let Some(m) = &filter.model {
            self.ensure_filter_index("model_id")?;
            clauses.push("e.model_id = ?".into());
            args.push(label(m)?.into());
        }
        if let Some(from) = filter.from {
            clauses.push("e.ts >= ?".into());
            args.push(from.into());
        }
        if let Some(to) = filter.to {
            clauses.push("e.ts < ?".into());
            args.push(to.into());
        }
        if let Some(q) = filter.search.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            // A range over the text keeps the (chain_id, txn_id) index usable for prefixes.
            clauses.push("e.txn_id >= ? AND e.txn_id < ?".into());
            args.push(q.to_string().into());
            args.push(format!("{q}\u{10FFFF}").into());
        }
        if !filter.row_ids.is_empty() {
            clauses.push(format!("e.id IN ({})", vec!["?"; filter.row_ids.len()].join(",")));
            args.extend(filter.row_ids.iter().map(|&id| Value::from(id)));
        }
        let sql = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
        Ok((sql, args))
    }

    /// One page of the filtered ledger, newest first.
    pub fn ledger_page(&self, filter: &LedgerFilter, offset: u64, limit: u64) -> Result<Vec<LedgerRow>, StoreError> {
        // OFFSET walks the index up to the page. When the view's size is known without a scan
        // and the page lies in its older half, walk from the oldest end instead: no page is
        // further than half the view from an end.
        let (order, offset, limit) = match self.aggregate_totals(filter)? {
            Some(t) if offset >= t.entries => return Ok(Vec::new()),
            Some(t) if offset > t.entries / 2 => {
                let end = (offset + limit).min(t.entries);
                ("ASC", t.entries - end, end - offset)
            }
            _ => ("DESC", offset, limit),
        };
        let (clause, mut args) = self.where_clause(filter)?;
        args.push((limit as i64).into());
        args.push((offset as i64).into());
        let sql = format!(
            "SELECT {ROW_COLUMNS} {ROW_JOINS} WHERE e.id IN (
                SELECT e.id FROM entry e {clause} ORDER BY e.ts {order}, e.seq {order} LIMIT ? OFFSET ?)
             ORDER BY e.ts DESC, e.seq DESC"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(args), ledger_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Totals from `chain_type_total`, when the filter is one chain and perhaps types: nothing
    /// that needs the entries themselves.
    fn aggregate_totals(&self, filter: &LedgerFilter) -> Result<Option<Totals>, StoreError> {
        let Some(chain) = filter.chain_id else { return Ok(None) };
        let searching = filter.search.as_deref().map(str::trim).is_some_and(|q| !q.is_empty());
        if filter.from.is_some()
            || filter.to.is_some()
            || filter.character.is_some()
            || filter.model.is_some()
            || searching
            || !filter.row_ids.is_empty()
        {
            return Ok(None);
        }
        let mut sql = "SELECT coalesce(sum(entries), 0), coalesce(sum(credits_in), 0), coalesce(sum(credits_out), 0)
                       FROM chain_type_total WHERE chain_id = ?"
            .to_string();
        let mut args: Vec<Value> = vec![chain.into()];
        if !filter.types.is_empty() {
            sql.push_str(&format!(
                " AND type_id IN (SELECT id FROM label WHERE text IN ({}))",
                vec!["?"; filter.types.len()].join(",")
            ));
            args.extend(filter.types.iter().map(|t| Value::from(t.clone())));
        }
        Ok(Some(self.conn.prepare_cached(&sql)?.query_row(params_from_iter(args), |r| {
            Ok(Totals {
                entries: r.get::<_, i64>(0)? as u64,
                credits_in: money::from_units(r.get(1)?),
                credits_out: money::from_units(r.get(2)?),
            })
        })?))
    }

    /// Calls `each` for every row of the filtered ledger, newest first, without paging.
    pub fn for_each_row(
        &self,
        filter: &LedgerFilter,
        mut each: impl FnMut(LedgerRow) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        let (clause, args) = self.where_clause(filter)?;
        let sql = format!("SELECT {ROW_COLUMNS} {ROW_JOINS} {clause} ORDER BY e.ts DESC, e.seq DESC");
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = stmt.query(params_from_iter(args))?;
        let mut n = 0;
        while let Some(r) = rows.next()? {
            each(ledger_row(r)?)?;
            n += 1;
        }
        Ok(n)
    }

    /// Entries, credits in and credits out of the filtered ledger.
    pub fn ledger_totals(&self, filter: &LedgerFilter) -> Result<Totals, StoreError> {
        if let Some(totals) = self.aggregate_totals(filter)? {
            return Ok(totals);
        }
        let (clause, args) = self.where_clause(filter)?;
        let sql = format!(
            "SELECT count(*), coalesce(sum(e.amount) FILTER (WHERE e.amount > 0), 0),
                    coalesce(sum(e.amount) FILTER (WHERE e.amount < 0), 0)
             FROM entry e {clause}"
        );
        Ok(self.conn.query_row(&sql, params_from_iter(args), |r| {
            Ok(Totals {
                entries: r.get::<_, i64>(0)? as u64,
                credits_in: money::from_units(r.get(1)?),
                credits_out: money::from_units(r.get(2)?),
            })
        })?)
    }

    /// Totals of the filtered ledger per type, character, model or day.
    pub fn summary(&self, filter: &LedgerFilter, by: GroupBy) -> Result<Vec<SummaryRow>, StoreError> {
        let (clause, args) = self.where_clause(filter)?;
        let key = match by {
            GroupBy::Type => "(SELECT text FROM label WHERE id = e.type_id)",
            GroupBy::Character => "(SELECT text FROM label WHERE id = e.character_id)",
            GroupBy::Model => "(SELECT text FROM label WHERE id = e.model_id)",
            GroupBy::Day => "strftime('%Y-%m-%d', e.ts / 1000000, 'unixepoch')",
        };
        let sql = format!(
            "SELECT {key} AS k, count(*), coalesce(sum(CASE WHEN e.amount > 0 THEN e.amount END), 0),
                    coalesce(sum(CASE WHEN e.amount < 0 THEN e.amount END), 0)
             FROM entry e {clause} GROUP BY k ORDER BY k"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(args), |r| {
            Ok(SummaryRow {
                key: r.get::<_, Option<String>>(0)?.unwrap_or_else(|| "(none)".into()),
                totals: Totals {
                    entries: r.get::<_, i64>(1)? as u64,
                    credits_in: money::from_units(r.get(2)?),
                    credits_out: money::from_units(r.get(3)?),
                },
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Types, characters and models that occur in a chain.
    pub fn facets(&self, chain_id: i64) -> Result<Facets, StoreError> {
        let distinct = |column: &str| -> Result<Vec<String>, StoreError> {
            let sql = format!(
                "SELECT text FROM label WHERE id IN (SELECT DISTINCT {column} FROM entry WHERE chain_id = ?1) ORDER BY text"
            );
            let mut stmt = self.conn.prepare(&sql)?;
            let rows = stmt.query_map([chain_id], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        };
        Ok(Facets { types: distinct("type_id")?, characters: distinct("character_id")?, models: distinct("model_id")? })
    }

    /// The running balance of a chain, oldest first, thinned to about `max_points` while keeping
    /// each bucket's first, lowest, highest and last point so no spike disappears.
    pub fn balance_series(&self, chain_id: i64, max_points: usize) -> Result<Vec<BalancePoint>, StoreError> {
        let count: i64 =
            self.conn.query_row("SELECT count(*) FROM entry WHERE chain_id = ?1", [chain_id], |r| r.get(0))?;
        let bucket = (count as usize).div_ceil(max_points.max(4) / 4).max(1);
        let mut stmt = self.conn.prepare("SELECT ts, balance_after FROM entry WHERE chain_id = ?1 ORDER BY ts, seq")?;
        let mut rows = stmt.query([chain_id])?;
        let mut points = Vec::new();
        let mut chunk: Vec<(i64, i64)> = Vec::with_capacity(bucket);
        let flush = |chunk: &mut Vec<(i64, i64)>, points: &mut Vec<BalancePoint>| {
            if chunk.is_empty() {
                return;
            }
            let lo = chunk.iter().enumerate().min_by_key(|(_, p)| p.1).map(|(i, _)| i).unwrap_or(0);
            let hi = chunk.iter().enumerate().max_by_key(|(_, p)| p.1).map(|(i, _)| i).unwrap_or(0);
            let mut keep = vec![0, lo, hi, chunk.len() - 1];
            keep.sort_unstable();
            keep.dedup();
            points.extend(
                keep.into_iter().map(|i| BalancePoint { ts: chunk[i].0, balance: money::from_units(chunk[i].1) }),
            );
            chunk.clear();
        };
        while let Some(r) = rows.next()? {
            chunk.push((r.get(0)?, r.get(1)?));
            if chunk.len() == bucket {
                flush(&mut chunk, &mut points);
            }
        }
        flush(&mut chunk, &mut points);
        Ok(points)
    }

    /// One entry with its raw source text.
    pub fn entry_detail(&self, entry_id: i64) -> Result<EntryDetail, StoreError> {
        let sql = format!("SELECT {ROW_COLUMNS} {ROW_JOINS} WHERE e.id = ?1");
        let row = self
            .conn
            .query_row(&sql, [entry_id], ledger_row)
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("entry {entry_id}")))?;
        let (raw, raw_note) =
            match crate::import::read_source(Path::new(&row.source_path), &row.source_format, row.source_offset) {
                Some(text) if text.contains(row.txn_id.as_str()) => (Some(text), None),
                Some(_) => (
                    None,
                    Some(format!(
                        "{} has changed since it was imported; the stored fields are shown instead",
                        row.source_path
                    )),
                ),
                None => (
                    None,
                    Some(format!("{} is no longer readable; the stored fields are shown instead", row.source_path)),
                ),
            };
        Ok(EntryDetail { row, raw, raw_note })
    }
}
