//! Read side for screens and the CLI: a filter, and paged, indexed queries over it.
//! A screen never loads a whole ledger; pages come newest first.
//!
//! A view is worked out per block: from `block_label_total` when that is exact (the block lies
//! inside the date range and at most one of type, character and model is filtered), else by
//! decoding the block. A page then decodes only the blocks it shows. The last view is kept,
//! so scrolling a filtered view decodes nothing twice.

use std::cell::RefMut;
use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;

use rusqlite::{params, OptionalExtension};
use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};

use super::block::{self, Row, BLOCK};
use super::rows::{self, BlockInfo, Field};
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

/// Path and format of each source file, by id.
type Sources = FxHashMap<i64, (String, String)>;

/// Blocks of data kept decoded-ready between calls.
const CACHED_BLOCKS: usize = 8;

/// What queries keep between calls; emptied when the database changes.
#[derive(Debug, Default)]
pub(super) struct Cache {
    /// `PRAGMA data_version` when this was filled: another connection's commit changes it.
    data_version: Option<i64>,
    labels: Option<Arc<Vec<Arc<str>>>>,
    sources: Option<Arc<Sources>>,
    view: Option<(LedgerFilter, Arc<View>)>,
    blocks: VecDeque<(i64, Arc<Vec<u8>>)>,
}

/// A filter resolved to label ids. `None` does not filter; an unknown name matches nothing.
#[derive(Debug, Default)]
struct Resolved {
    types: Option<FxHashSet<u32>>,
    /// Label id, 0 for "none", `u32::MAX` for a name no entry has.
    character: Option<u32>,
    model: Option<u32>,
    from: i64,
    to: i64,
    search: Option<String>,
    row_ids: Option<FxHashSet<i64>>,
}

impl Resolved {
    fn matches(&self, chain_id: i64, position: u64, r: &Row<'_>) -> bool {
        r.ts >= self.from
            && r.ts < self.to
            && self.types.as_ref().is_none_or(|t| t.contains(&r.kind))
            && self.character.is_none_or(|c| c == r.character.unwrap_or(0))
            && self.model.is_none_or(|m| m == r.model.unwrap_or(0))
            && self.search.as_deref().is_none_or(|q| r.txn_id.starts_with(q))
            && self.row_ids.as_ref().is_none_or(|ids| ids.contains(&block::entry_id(chain_id, position)))
    }

    /// The label constraints as `(field, ids)`.
    fn label_fields(&self) -> Vec<(Field, Vec<u32>)> {
        let mut fields = Vec::new();
        if let Some(t) = &self.types {
            fields.push((Field::Type, t.iter().copied().collect()));
        }
        if let Some(c) = self.character {
            fields.push((Field::Character, vec![c]));
        }
        if let Some(m) = self.model {
            fields.push((Field::Model, vec![m]));
        }
        fields
    }
}

/// A filtered view: per chain, the blocks holding matching entries and their totals.
#[derive(Debug, Default)]
pub(super) struct View {
    /// The filter the view is of, with names resolved.
    filter: Resolved,
    chains: Vec<ChainView>,
    totals: Totals,
    /// Over several chains: `(ts, entry id)` of every entry, newest first, once asked for.
    merged: std::sync::OnceLock<Vec<(i64, i64)>>,
}

#[derive(Debug)]
struct ChainView {
    chain_id: i64,
    /// Oldest first; only blocks with at least one match.
    blocks: Vec<(BlockInfo, Totals)>,
}

/// Entries, credits in and credits out, in micro-credits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Sums {
    entries: u64,
    credits_in: i64,
    credits_out: i64,
}

impl Sums {
    fn add(&mut self, amount: i64) {
        self.entries += 1;
        if amount > 0 {
            self.credits_in += amount;
        } else {
            self.credits_out += amount;
        }
    }

    fn totals(self) -> Totals {
        Totals {
            entries: self.entries,
            credits_in: money::from_units(self.credits_in),
            credits_out: money::from_units(self.credits_out),
        }
    }
}

impl Store {
    /// The cache, emptied first if another connection changed the database since it was filled.
    fn cache(&self) -> Result<RefMut<'_, Cache>, StoreError> {
        let version: i64 = self.conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        let mut cache = self.cache.borrow_mut();
        if cache.data_version != Some(version) {
            *cache = Cache { data_version: Some(version), ..Cache::default() };
        }
        Ok(cache)
    }

    /// Empties the cache after this connection changed the entries.
    pub(super) fn forget(&self) {
        *self.cache.borrow_mut() = Cache::default();
    }

    fn labels(&self) -> Result<Arc<Vec<Arc<str>>>, StoreError> {
        if let Some(l) = &self.cache()?.labels {
            return Ok(l.clone());
        }
        let labels = Arc::new(self.label_table()?);
        self.cache()?.labels = Some(labels.clone());
        Ok(labels)
    }

    fn sources(&self) -> Result<Arc<Sources>, StoreError> {
        if let Some(s) = &self.cache()?.sources {
            return Ok(s.clone());
        }
        let mut stmt = self.conn.prepare("SELECT id, path, format FROM source_file")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?;
        let sources = Arc::new(rows.collect::<Result<FxHashMap<_, _>, _>>()?);
        self.cache()?.sources = Some(sources.clone());
        Ok(sources)
    }

    /// One block's data, from the cache when it was read lately.
    pub(super) fn block(&self, id: i64) -> Result<Arc<Vec<u8>>, StoreError> {
        if let Some((_, data)) = self.cache()?.blocks.iter().find(|(b, _)| *b == id) {
            return Ok(data.clone());
        }
        let data = Arc::new(rows::block_data(&self.conn, id)?);
        let mut cache = self.cache()?;
        if cache.blocks.len() == CACHED_BLOCKS {
            cache.blocks.pop_front();
        }
        cache.blocks.push_back((id, data.clone()));
        Ok(data)
    }

    fn label_id(&self, text: &str) -> Result<Option<u32>, StoreError> {
        Ok(self.conn.query_row("SELECT id FROM label WHERE text = ?1", [text], |r| r.get(0)).optional()?)
    }

    fn resolve(&self, filter: &LedgerFilter) -> Result<Resolved, StoreError> {
        let missing = u32::MAX;
        let types = if filter.types.is_empty() {
            None
        } else {
            let mut ids = FxHashSet::default();
            for t in &filter.types {
                ids.extend(self.label_id(t)?);
            }
            Some(ids)
        };
        let label = |text: &Option<String>| -> Result<Option<u32>, StoreError> {
            text.as_deref().map(|t| Ok(self.label_id(t)?.unwrap_or(missing))).transpose()
        };
        Ok(Resolved {
            types,
            character: label(&filter.character)?,
            model: label(&filter.model)?,
            from: filter.from.unwrap_or(i64::MIN),
            to: filter.to.unwrap_or(i64::MAX),
            search: filter.search.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(str::to_string),
            row_ids: (!filter.row_ids.is_empty()).then(|| filter.row_ids.iter().copied().collect()),
        })
    }

    /// The chains a filter covers, by id.
    fn view_chains(&self, filter: &LedgerFilter) -> Result<Vec<i64>, StoreError> {
        if let Some(id) = filter.chain_id {
            return Ok(vec![id]);
        }
        let mut stmt = self.conn.prepare_cached("SELECT id FROM chain ORDER BY id")?;
        let ids = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(ids)
    }

    /// The filtered view, worked out or from the cache.
    fn view(&self, filter: &LedgerFilter) -> Result<Arc<View>, StoreError> {
        if let Some((f, v)) = &self.cache()?.view {
            if f == filter {
                return Ok(v.clone());
            }
        }
        let resolved = self.resolve(filter)?;
        let mut view = View::default();
        let mut all = Sums::default();
        for chain_id in self.view_chains(filter)? {
            let chain = self.chain_view(chain_id, &resolved, &mut all)?;
            view.chains.push(chain);
        }
        view.totals = all.totals();
        view.filter = resolved;
        let view = Arc::new(view);
        self.cache()?.view = Some((filter.clone(), view.clone()));
        Ok(view)
    }

    fn chain_view(&self, chain_id: i64, filter: &Resolved, all: &mut Sums) -> Result<ChainView, StoreError> {
        let fields = filter.label_fields();
        // Per block, per (field, label): entries, credits in, credits out.
        let mut counts: FxHashMap<(i64, i64, u32), Sums> = FxHashMap::default();
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT block_id, field, label_id, entries, credits_in, credits_out FROM block_label_total
                 WHERE block_id >= ?1 AND block_id < ?2 AND (field = 0 OR field = ?3 OR field = ?4)",
            )?;
            let extra = |f: Field| if fields.iter().any(|(x, _)| *x == f) { f as i64 } else { 0 };
            let mut rows = stmt.query(params![
                block::block_id(chain_id, 0),
                block::block_id(chain_id + 1, 0),
                extra(Field::Character),
                extra(Field::Model)
            ])?;
            while let Some(r) = rows.next()? {
                let sums = Sums { entries: r.get::<_, i64>(3)? as u64, credits_in: r.get(4)?, credits_out: r.get(5)? };
                counts.insert((r.get(0)?, r.get(1)?, r.get(2)?), sums);
            }
        }
        let field_sums = |block: i64, field: Field, ids: &[u32]| {
            let mut s = Sums::default();
            for id in ids {
                if let Some(c) = counts.get(&(block, field as i64, *id)) {
                    s.entries += c.entries;
                    s.credits_in += c.credits_in;
                    s.credits_out += c.credits_out;
                }
            }
            s
        };
        let all_types: Vec<u32> = {
            let mut t: Vec<u32> = counts
                .keys()
                .filter(|k| k.1 == Field::Type as i64)
                .map(|k| k.2)
                .collect::<FxHashSet<_>>()
                .into_iter()
                .collect();
            t.sort_unstable();
            t
        };
        let wanted_blocks: Option<FxHashSet<u64>> = filter.row_ids.as_ref().map(|ids| {
            ids.iter()
                .map(|&id| block::split_entry_id(id))
                .filter(|&(c, _)| c == chain_id)
                .map(|(_, p)| p / BLOCK as u64)
                .collect()
        });
        let mut blocks = Vec::new();
        for b in rows::chain_blocks(&self.conn, chain_id)? {
            if b.last_ts < filter.from || b.first_ts >= filter.to {
                continue;
            }
            if wanted_blocks.as_ref().is_some_and(|w| !w.contains(&(b.start / BLOCK as u64))) {
                continue;
            }
            let label_sums: Vec<Sums> = fields.iter().map(|(f, ids)| field_sums(b.id, *f, ids)).collect();
            if label_sums.iter().any(|s| s.entries == 0) {
                continue;
            }
            let inside = b.first_ts >= filter.from && b.last_ts < filter.to;
            let exact = inside && filter.search.is_none() && wanted_blocks.is_none() && fields.len() <= 1;
            let sums = if exact {
                label_sums.first().copied().unwrap_or_else(|| field_sums(b.id, Field::Type, &all_types))
            } else {
                let data = self.block(b.id)?;
                let mut s = Sums::default();
                block::for_each_row(&data, |i, r| {
                    if filter.matches(chain_id, b.start + i as u64, &r) {
                        s.add(r.amount);
                    }
                    Ok(())
                })?;
                s
            };
            if sums.entries > 0 {
                all.entries += sums.entries;
                all.credits_in += sums.credits_in;
                all.credits_out += sums.credits_out;
                blocks.push((b, sums.totals()));
            }
        }
        Ok(ChainView { chain_id, blocks })
    }

    /// A stored row as the ledger table shows it.
    fn ledger_row(
        &self,
        chain_id: i64,
        position: u64,
        r: &Row<'_>,
        labels: &[Arc<str>],
        sources: &Sources,
    ) -> LedgerRow {
        let text = |id: u32| labels.get(id as usize).map_or_else(String::new, |t| t.to_string());
        let (path, format) = sources.get(&r.source).cloned().unwrap_or_default();
        LedgerRow {
            id: block::entry_id(chain_id, position),
            txn_id: r.txn_id.to_string(),
            ts: r.ts,
            kind: text(r.kind),
            description: text(r.description),
            amount: money::from_units(r.amount),
            balance_after: money::from_units(r.after),
            character: r.character.map(text),
            model: r.model.map(text),
            chain_id,
            source_path: path,
            source_format: format,
            source_line: r.line,
            source_offset: r.offset,
        }
    }

    /// Calls `each` with the matching rows of one view block, newest first.
    fn block_rows_newest_first(
        &self,
        chain_id: i64,
        info: &BlockInfo,
        filter: &Resolved,
        mut each: impl FnMut(u64, Row<'_>) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, StoreError> {
        let data = self.block(info.id)?;
        let mut matching: Vec<(u64, Row<'_>)> = Vec::new();
        block::for_each_row(&data, |i, r| {
            let position = info.start + i as u64;
            if filter.matches(chain_id, position, &r) {
                matching.push((position, r));
            }
            Ok(())
        })?;
        for (position, r) in matching.into_iter().rev() {
            if each(position, r).is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        Ok(ControlFlow::Continue(()))
    }

    /// One page of the filtered ledger, newest first.
    pub fn ledger_page(&self, filter: &LedgerFilter, offset: u64, limit: u64) -> Result<Vec<LedgerRow>, StoreError> {
        let view = self.view(filter)?;
        let resolved = &view.filter;
        if offset >= view.totals.entries || limit == 0 {
            return Ok(Vec::new());
        }
        let (labels, sources) = (self.labels()?, self.sources()?);
        if view.chains.len() > 1 {
            return self.merged_page(&view, offset, limit);
        }
        let mut page = Vec::with_capacity(limit.min(10_000) as usize);
        let mut skip = offset;
        for chain in &view.chains {
            for (info, totals) in chain.blocks.iter().rev() {
                if skip >= totals.entries {
                    skip -= totals.entries;
                    continue;
                }
                let flow = self.block_rows_newest_first(chain.chain_id, info, resolved, |position, r| {
                    if skip > 0 {
                        skip -= 1;
                        return ControlFlow::Continue(());
                    }
                    page.push(self.ledger_row(chain.chain_id, position, &r, &labels, &sources));
                    if page.len() as u64 == limit {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                })?;
                if flow.is_break() {
                    return Ok(page);
                }
            }
        }
        Ok(page)
    }

    /// A page of a view over several chains: their entries interleaved by time, newest first.
    /// Works through every matching entry, which only views over all chains at once need.
    fn merged_page(&self, view: &View, offset: u64, limit: u64) -> Result<Vec<LedgerRow>, StoreError> {
        let keys = self.merged_keys(view)?;
        let start = (offset as usize).min(keys.len());
        let end = start.saturating_add(usize::try_from(limit).unwrap_or(usize::MAX)).min(keys.len());
        let ids: Vec<i64> = keys[start..end].iter().map(|&(_, id)| id).collect();
        self.rows_by_ids(&ids)
    }

    /// Entries by id, in the order given; each block is decoded once.
    fn rows_by_ids(&self, ids: &[i64]) -> Result<Vec<LedgerRow>, StoreError> {
        let (labels, sources) = (self.labels()?, self.sources()?);
        let mut by_block: std::collections::BTreeMap<i64, Vec<(u64, usize)>> = Default::default();
        for (k, &id) in ids.iter().enumerate() {
            let (chain_id, position) = block::split_entry_id(id);
            by_block
                .entry(block::block_id(chain_id, position / BLOCK as u64))
                .or_default()
                .push((position % BLOCK as u64, k));
        }
        let mut out: Vec<Option<LedgerRow>> = vec![None; ids.len()];
        for (block_id, mut wanted) in by_block {
            wanted.sort_unstable();
            let (chain_id, number) = block::split_entry_id(block_id);
            let data = self.block(block_id)?;
            let mut w = wanted.iter().peekable();
            block::for_each_row(&data, |i, r| {
                while let Some(&&(at, k)) = w.peek() {
                    if at != i as u64 {
                        break;
                    }
                    let position = number * BLOCK as u64 + at;
                    out[k] = Some(self.ledger_row(chain_id, position, &r, &labels, &sources));
                    w.next();
                }
                Ok(())
            })?;
        }
        ids.iter().zip(out).map(|(id, row)| row.ok_or_else(|| StoreError::NotFound(format!("entry {id}")))).collect()
    }

    /// `(ts, entry id)` of every entry of a view, newest first.
    fn merged_keys<'v>(&self, view: &'v View) -> Result<&'v [(i64, i64)], StoreError> {
        if let Some(keys) = view.merged.get() {
            return Ok(keys);
        }
        let mut keys = Vec::with_capacity(view.totals.entries as usize);
        for chain in &view.chains {
            for (info, _) in &chain.blocks {
                let all = self.block_rows_newest_first(chain.chain_id, info, &view.filter, |position, r| {
                    keys.push((r.ts, block::entry_id(chain.chain_id, position)));
                    ControlFlow::Continue(())
                })?;
                debug_assert!(all.is_continue());
            }
        }
        keys.sort_unstable_by(|a, b| b.cmp(a));
        Ok(view.merged.get_or_init(|| keys))
    }

    /// One entry by id, as the ledger table shows it.
    fn row_by_id(&self, id: i64) -> Result<LedgerRow, StoreError> {
        let (labels, sources) = (self.labels()?, self.sources()?);
        self.with_row(id, |chain_id, position, r| self.ledger_row(chain_id, position, r, &labels, &sources))
    }

    /// Calls `f` with the stored row of entry `id`.
    pub(super) fn with_row<T>(&self, id: i64, f: impl FnOnce(i64, u64, &Row<'_>) -> T) -> Result<T, StoreError> {
        let (chain_id, position) = block::split_entry_id(id);
        let missing = || StoreError::NotFound(format!("entry {id}"));
        let data = match self.block(block::block_id(chain_id, position / BLOCK as u64)) {
            Err(StoreError::NotFound(_)) => return Err(missing()),
            other => other?,
        };
        let mut d = block::Decoder::new(&data)?;
        for _ in 0..position % BLOCK as u64 {
            d.next_parts()?;
        }
        let r = d.next_row()?.ok_or_else(missing)?;
        Ok(f(chain_id, position, &r))
    }

    /// Calls `each` for every row of the filtered ledger, newest first, without paging.
    pub fn for_each_row(
        &self,
        filter: &LedgerFilter,
        mut each: impl FnMut(LedgerRow) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        let view = self.view(filter)?;
        let resolved = &view.filter;
        let (labels, sources) = (self.labels()?, self.sources()?);
        let mut n = 0;
        if view.chains.len() > 1 {
            for chunk in self.merged_keys(&view)?.chunks(BLOCK) {
                let ids: Vec<i64> = chunk.iter().map(|&(_, id)| id).collect();
                for row in self.rows_by_ids(&ids)? {
                    each(row)?;
                    n += 1;
                }
            }
            return Ok(n);
        }
        let mut failed = None;
        for chain in &view.chains {
            for (info, _) in chain.blocks.iter().rev() {
                let flow = self.block_rows_newest_first(chain.chain_id, info, resolved, |position, r| {
                    match each(self.ledger_row(chain.chain_id, position, &r, &labels, &sources)) {
                        Ok(()) => {
                            n += 1;
                            ControlFlow::Continue(())
                        }
                        Err(e) => {
                            failed = Some(e);
                            ControlFlow::Break(())
                        }
                    }
                })?;
                if flow.is_break() {
                    break;
                }
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(n),
        }
    }

    /// Entries, credits in and credits out of the filtered ledger.
    pub fn ledger_totals(&self, filter: &LedgerFilter) -> Result<Totals, StoreError> {
        Ok(self.view(filter)?.totals)
    }

    /// Totals of the filtered ledger per type, character, model or day.
    pub fn summary(&self, filter: &LedgerFilter, by: GroupBy) -> Result<Vec<SummaryRow>, StoreError> {
        let view = self.view(filter)?;
        let resolved = &view.filter;
        let labels = self.labels()?;
        let mut groups: FxHashMap<Option<String>, Sums> = FxHashMap::default();
        let mut by_label: FxHashMap<Option<u32>, Sums> = FxHashMap::default();
        for chain in &view.chains {
            for (info, _) in &chain.blocks {
                let data = self.block(info.id)?;
                block::for_each_row(&data, |i, r| {
                    if !resolved.matches(chain.chain_id, info.start + i as u64, &r) {
                        return Ok(());
                    }
                    match by {
                        GroupBy::Type => by_label.entry(Some(r.kind)).or_default().add(r.amount),
                        GroupBy::Character => by_label.entry(r.character).or_default().add(r.amount),
                        GroupBy::Model => by_label.entry(r.model).or_default().add(r.amount),
                        GroupBy::Day => {
                            let day =
                                chrono::DateTime::from_timestamp_micros(r.ts).map(|t| t.format("%Y-%m-%d").to_string());
                            groups.entry(day).or_default().add(r.amount)
                        }
                    }
                    Ok(())
                })?;
            }
        }
        for (id, sums) in by_label {
            let key = id.map(|id| labels.get(id as usize).map_or_else(String::new, |t| t.to_string()));
            let group = groups.entry(key).or_default();
            group.entries += sums.entries;
            group.credits_in += sums.credits_in;
            group.credits_out += sums.credits_out;
        }
        let mut rows: Vec<(Option<String>, Sums)> = groups.into_iter().collect();
        rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(rows
            .into_iter()
            .map(|(key, sums)| SummaryRow { key: key.unwrap_or_else(|| "(none)".into()), totals: sums.totals() })
            .collect())
    }

    /// Types, characters and models that occur in a chain.
    pub fn facets(&self, chain_id: i64) -> Result<Facets, StoreError> {
        let labels = self.labels()?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT field, label_id FROM block_label_total WHERE block_id >= ?1 AND block_id < ?2",
        )?;
        let mut rows = stmt.query(params![block::block_id(chain_id, 0), block::block_id(chain_id + 1, 0)])?;
        let mut facets = Facets::default();
        while let Some(r) = rows.next()? {
            let (field, id): (i64, u32) = (r.get(0)?, r.get(1)?);
            if field != Field::Type as i64 && id == 0 {
                continue;
            }
            let text = labels.get(id as usize).map_or_else(String::new, |t| t.to_string());
            match field {
                0 => facets.types.push(text),
                1 => facets.characters.push(text),
                _ => facets.models.push(text),
            }
        }
        for list in [&mut facets.types, &mut facets.characters, &mut facets.models] {
            list.sort_unstable();
            list.dedup();
        }
        Ok(facets)
    }

    /// The running balance of a chain, oldest first, thinned to about `max_points` while keeping
    /// each bucket's first, lowest, highest and last point so no spike disappears.
    pub fn balance_series(&self, chain_id: i64, max_points: usize) -> Result<Vec<BalancePoint>, StoreError> {
        let count: u64 = rows::chain_blocks(&self.conn, chain_id)?.iter().map(|b| b.entries).sum();
        let bucket = (count as usize).div_ceil(max_points.max(4) / 4).max(1);
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
        rows::scan_chain(&self.conn, chain_id, 0, |_, r| {
            chunk.push((r.ts, r.after));
            if chunk.len() == bucket {
                flush(&mut chunk, &mut points);
            }
            Ok(ControlFlow::Continue(()))
        })?;
        flush(&mut chunk, &mut points);
        Ok(points)
    }

    /// One entry with its raw source text.
    pub fn entry_detail(&self, entry_id: i64) -> Result<EntryDetail, StoreError> {
        let row = match self.row_by_id(entry_id) {
            Err(StoreError::NotFound(_)) => return Err(StoreError::NotFound(format!("entry {entry_id}"))),
            other => other?,
        };
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
