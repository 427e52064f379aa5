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
use std::sync::Arc;

use rusqlite::{params, OptionalExtension};
use rust_decimal::Decimal;
use rustc_hash::{FxHashMap, FxHashSet};

use super::block::{self, Row, BLOCK};
use super::rows::{self, dim_field, BlockInfo, Field, TYPE};
use super::{Store, StoreError};
use crate::model::{Dimension, MAX_DIMS, NO_BALANCE};
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
    /// `(dimension key, value)`: entries with exactly that value (`("character", "Aria")`).
    /// A chain without the dimension has no entry that matches.
    pub labels: Vec<(String, String)>,
    /// A transaction ID or its beginning.
    pub search: Option<String>,
    /// Exactly these entries, by id (a finding's entries).
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
    /// The balance the entry states after it; `None` where the source states none (a usage
    /// feed without its Balance column).
    pub balance_after: Option<Decimal>,
    /// The entry's value in each of its chain's dimensions, in order.
    pub labels: Vec<Option<String>>,
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    Type,
    /// A dimension of the chain, by key (`character`).
    Label(String),
    /// UTC calendar day.
    Day,
    /// Transaction ID, an aggregate's revisions (`ID@<time>`) counted with it: usage per
    /// conversation.
    Transaction,
}

/// One group of a summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRow {
    /// The type, the dimension's value or `YYYY-MM-DD`; `(none)` where an entry has none.
    pub key: String,
    pub totals: Totals,
    /// The newest entry's time, Unix microseconds.
    pub latest: i64,
}

/// The values the filters offer: the types, and each dimension's values, in the chain's order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facets {
    pub types: Vec<String>,
    pub dimensions: Vec<(Dimension, Vec<String>)>,
}

/// One point of the running balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BalancePoint {
    pub ts: i64,
    pub balance: Decimal,
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
    sources: Option<Arc<Sources>>,
    view: Option<(LedgerFilter, Arc<View>)>,
    blocks: VecDeque<(i64, Arc<Vec<u8>>)>,
}

/// A filter resolved to label ids for one chain. `None` does not filter; a name no entry
/// has (or a dimension the chain lacks) matches nothing.
#[derive(Debug, Default)]
struct Resolved {
    chain_id: i64,
    types: Option<FxHashSet<u32>>,
    /// `(dimension index, label id)`: the entry's value must be that label (`u32::MAX`: none can).
    dims: Vec<(usize, u32)>,
    from: i64,
    to: i64,
    search: Option<String>,
    row_ids: Option<FxHashSet<i64>>,
}

impl Resolved {
    fn matches(&self, r: &Row<'_>) -> bool {
        r.ts >= self.from
            && r.ts < self.to
            && self.types.as_ref().is_none_or(|t| t.contains(&r.kind))
            && self.dims.iter().all(|&(d, id)| r.dims.get(d) == Some(&id))
            && self.search.as_deref().is_none_or(|q| r.txn_id.starts_with(q))
            && self.row_ids.as_ref().is_none_or(|ids| ids.contains(&block::entry_id(self.chain_id, r.seq)))
    }

    /// The label constraints as `(field, ids)`.
    fn label_fields(&self) -> Vec<(Field, Vec<u32>)> {
        let mut fields = Vec::new();
        if let Some(t) = &self.types {
            fields.push((TYPE, t.iter().copied().collect()));
        }
        for &(d, id) in &self.dims {
            fields.push((rows::dim_field(d), vec![id]));
        }
        fields
    }
}

/// A filtered view: per chain, the blocks holding matching entries and their totals.
#[derive(Debug, Default)]
pub(super) struct View {
    chains: Vec<ChainView>,
    totals: Totals,
    /// Over several chains: every matching entry, newest first, once asked for.
    merged: std::sync::OnceLock<Vec<Located>>,
}

/// Where an entry of a merged view sits: `(ts, entry id, block id, index in the block)`.
type Located = (i64, i64, i64, u32);

#[derive(Debug)]
struct ChainView {
    chain_id: i64,
    /// The filter, with names resolved for this chain.
    filter: Resolved,
    /// Oldest first; only blocks with at least one match.
    blocks: Vec<(BlockInfo, Totals)>,
}

/// Entries, credits in and credits out, in micro-credits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Sums {
    entries: u64,
    /// Micro-credits, summed in 128 bits: a million entries of the largest amount an import
    /// takes add up far past what 64 bits hold.
    credits_in: i128,
    credits_out: i128,
    /// The newest entry's time (`None` before any).
    latest: Option<i64>,
}

impl Sums {
    fn add(&mut self, amount: i64, ts: i64) {
        self.latest = self.latest.max(Some(ts));
        self.entries += 1;
        if amount > 0 {
            self.credits_in += i128::from(amount);
        } else {
            self.credits_out += i128::from(amount);
        }
    }

    fn totals(self) -> Totals {
        Totals {
            entries: self.entries,
            credits_in: Decimal::from_i128_with_scale(self.credits_in, money::SCALE),
            credits_out: Decimal::from_i128_with_scale(self.credits_out, money::SCALE),
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
        // Checked here, once per read from the database, so a damaged block is named.
        block::Decoder::new(&data).map_err(|e| e.in_block(&self.conn, id))?;
        let mut cache = self.cache()?;
        if cache.blocks.len() == CACHED_BLOCKS {
            cache.blocks.pop_front();
        }
        cache.blocks.push_back((id, data.clone()));
        Ok(data)
    }

    /// The id of the label reading `text` among those `field` takes in chain `chain_id`'s
    /// blocks. The label table has no index on its texts (it would cost every import a random
    /// insert per new label); a chain's types and dimension values are few, found by their ids.
    fn label_id(&self, chain_id: i64, field: Field, text: &str) -> Result<Option<u32>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id FROM label WHERE text = ?1 AND id IN
               (SELECT label_id FROM block_label_total WHERE block_id >= ?2 AND block_id < ?3 AND field = ?4)",
        )?;
        let range = (block::block_id(chain_id, 0), block::block_id(chain_id + 1, 0));
        Ok(stmt.query_row(params![text, range.0, range.1, field], |r| r.get(0)).optional()?)
    }

    fn resolve(&self, chain_id: i64, filter: &LedgerFilter) -> Result<Resolved, StoreError> {
        let missing = u32::MAX;
        let types = if filter.types.is_empty() {
            None
        } else {
            let mut ids = FxHashSet::default();
            for t in &filter.types {
                ids.extend(self.label_id(chain_id, TYPE, t)?);
            }
            Some(ids)
        };
        let dimensions = if filter.labels.is_empty() { Vec::new() } else { self.dimensions(chain_id)? };
        let mut dims = Vec::with_capacity(filter.labels.len());
        for (key, value) in &filter.labels {
            match dimensions.iter().position(|d| &d.key == key).filter(|&d| d < MAX_DIMS) {
                Some(d) => dims.push((d, self.label_id(chain_id, dim_field(d), value)?.unwrap_or(missing))),
                // A dimension the chain does not have: nothing matches.
                None => dims.push((0, missing)),
            }
        }
        Ok(Resolved {
            chain_id,
            types,
            dims,
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
        let mut view = View::default();
        let mut all = Sums::default();
        for chain_id in self.view_chains(filter)? {
            let resolved = self.resolve(chain_id, filter)?;
            let chain = self.chain_view(chain_id, resolved, &mut all)?;
            view.chains.push(chain);
        }
        view.totals = all.totals();
        let view = Arc::new(view);
        self.cache()?.view = Some((filter.clone(), view.clone()));
        Ok(view)
    }

    fn chain_view(&self, chain_id: i64, filter: Resolved, all: &mut Sums) -> Result<ChainView, StoreError> {
        let fields = filter.label_fields();
        // Per block, per (field, label): entries, credits in, credits out.
        let mut counts: FxHashMap<(i64, i64, u32), Sums> = FxHashMap::default();
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT block_id, field, label_id, entries, credits_in, credits_out FROM block_label_total
                 WHERE block_id >= ?1 AND block_id < ?2
                   AND (field = 0 OR field = ?3 OR field = ?4 OR field = ?5 OR field = ?6)",
            )?;
            let extra = |f: Field| if fields.iter().any(|(x, _)| *x == f) { i64::from(f) } else { 0 };
            let mut rows = stmt.query(params![
                block::block_id(chain_id, 0),
                block::block_id(chain_id + 1, 0),
                extra(rows::dim_field(0)),
                extra(rows::dim_field(1)),
                extra(rows::dim_field(2)),
                extra(rows::dim_field(3)),
            ])?;
            while let Some(r) = rows.next()? {
                let sums = Sums {
                    entries: r.get::<_, i64>(3)? as u64,
                    credits_in: r.get::<_, i64>(4)?.into(),
                    credits_out: r.get::<_, i64>(5)?.into(),
                    latest: None,
                };
                counts.insert((r.get(0)?, r.get(1)?, r.get(2)?), sums);
            }
        }
        let field_sums = |block: i64, field: Field, ids: &[u32]| {
            let mut s = Sums::default();
            for id in ids {
                if let Some(c) = counts.get(&(block, i64::from(field), *id)) {
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
                .filter(|k| k.1 == i64::from(TYPE))
                .map(|k| k.2)
                .collect::<FxHashSet<_>>()
                .into_iter()
                .collect();
            t.sort_unstable();
            t
        };
        // The sequence numbers asked for, when the view is of given entries.
        let wanted: Option<Vec<u64>> = filter.row_ids.as_ref().map(|ids| {
            ids.iter().map(|&id| block::split_entry_id(id)).filter(|&(c, _)| c == chain_id).map(|(_, s)| s).collect()
        });
        let mut blocks = Vec::new();
        for b in rows::chain_blocks(&self.conn, chain_id)? {
            if b.last_ts < filter.from || b.first_ts >= filter.to {
                continue;
            }
            if wanted.as_ref().is_some_and(|w| !w.iter().any(|s| (b.min_seq..=b.max_seq).contains(s))) {
                continue;
            }
            let label_sums: Vec<Sums> = fields.iter().map(|(f, ids)| field_sums(b.id, *f, ids)).collect();
            if label_sums.iter().any(|s| s.entries == 0) {
                continue;
            }
            let inside = b.first_ts >= filter.from && b.last_ts < filter.to;
            let exact = inside && filter.search.is_none() && wanted.is_none() && fields.len() <= 1;
            let sums = if exact {
                label_sums.first().copied().unwrap_or_else(|| field_sums(b.id, TYPE, &all_types))
            } else {
                let data = self.block(b.id)?;
                let mut s = Sums::default();
                block::for_each_row(&data, |_, r| {
                    if filter.matches(&r) {
                        s.add(r.amount, r.ts);
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
        Ok(ChainView { chain_id, filter, blocks })
    }

    /// A stored row as the ledger table shows it, with its chain's `dims` dimensions.
    fn ledger_row(
        chain_id: i64,
        dims: usize,
        r: &Row<'_>,
        label: &dyn Fn(u32) -> Arc<str>,
        sources: &Sources,
    ) -> LedgerRow {
        let text = |id: u32| label(id).to_string();
        let (path, format) = sources.get(&r.source).cloned().unwrap_or_default();
        LedgerRow {
            id: block::entry_id(chain_id, r.seq),
            txn_id: r.txn_id.to_string(),
            ts: r.ts,
            kind: text(r.kind),
            description: text(r.description),
            amount: money::from_units(r.amount),
            balance_after: (r.after != NO_BALANCE).then(|| money::from_units(r.after)),
            labels: r.dims[..dims.min(MAX_DIMS)].iter().map(|&id| (id != 0).then(|| text(id))).collect(),
            chain_id,
            source_path: path,
            source_format: format,
            source_line: r.line,
            source_offset: r.offset,
        }
    }

    /// Calls `each` with the matching rows of one view block, newest first.
    /// `each` gets the row's index in the block.
    fn block_rows_newest_first(
        &self,
        info: &BlockInfo,
        filter: &Resolved,
        mut each: impl FnMut(u32, Row<'_>) -> ControlFlow<()>,
    ) -> Result<ControlFlow<()>, StoreError> {
        let data = self.block(info.id)?;
        let mut matching: Vec<(u32, Row<'_>)> = Vec::new();
        block::for_each_row(&data, |i, r| {
            if filter.matches(&r) {
                matching.push((i as u32, r));
            }
            Ok(())
        })?;
        for (i, r) in matching.into_iter().rev() {
            if each(i, r).is_break() {
                return Ok(ControlFlow::Break(()));
            }
        }
        Ok(ControlFlow::Continue(()))
    }

    /// One page of the filtered ledger, newest first.
    pub fn ledger_page(&self, filter: &LedgerFilter, offset: u64, limit: u64) -> Result<Vec<LedgerRow>, StoreError> {
        let view = self.view(filter)?;
        if offset >= view.totals.entries || limit == 0 {
            return Ok(Vec::new());
        }
        let (labels, sources) = (|id: u32| self.label(id), self.sources()?);
        if view.chains.len() > 1 {
            return self.merged_page(&view, offset, limit);
        }
        let mut page = Vec::with_capacity(limit.min(10_000) as usize);
        let mut skip = offset;
        for chain in &view.chains {
            let dims = self.dimension_count(chain.chain_id)?;
            for (info, totals) in chain.blocks.iter().rev() {
                if skip >= totals.entries {
                    skip -= totals.entries;
                    continue;
                }
                let flow = self.block_rows_newest_first(info, &chain.filter, |_, r| {
                    if skip > 0 {
                        skip -= 1;
                        return ControlFlow::Continue(());
                    }
                    page.push(Self::ledger_row(chain.chain_id, dims, &r, &labels, &sources));
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
        self.rows_at(&keys[start..end])
    }

    /// Entries at the places given, in that order; each block is decoded once.
    fn rows_at(&self, places: &[Located]) -> Result<Vec<LedgerRow>, StoreError> {
        let (labels, sources) = (|id: u32| self.label(id), self.sources()?);
        let mut by_block: std::collections::BTreeMap<i64, Vec<(u32, usize)>> = Default::default();
        for (k, &(_, _, block_id, index)) in places.iter().enumerate() {
            by_block.entry(block_id).or_default().push((index, k));
        }
        let mut out: Vec<Option<LedgerRow>> = vec![None; places.len()];
        for (block_id, mut wanted) in by_block {
            wanted.sort_unstable();
            let chain_id = block::split_entry_id(block_id).0;
            let dims = self.dimension_count(chain_id)?;
            let data = self.block(block_id)?;
            let mut w = wanted.iter().peekable();
            block::for_each_row(&data, |i, r| {
                while let Some(&&(at, k)) = w.peek() {
                    if at as usize != i {
                        break;
                    }
                    out[k] = Some(Self::ledger_row(chain_id, dims, &r, &labels, &sources));
                    w.next();
                }
                Ok(())
            })?;
        }
        places
            .iter()
            .zip(out)
            .map(|(p, row)| row.ok_or_else(|| StoreError::NotFound(format!("entry {}", p.1))))
            .collect()
    }

    /// Every entry of a view, newest first.
    fn merged_keys<'v>(&self, view: &'v View) -> Result<&'v [Located], StoreError> {
        if let Some(keys) = view.merged.get() {
            return Ok(keys);
        }
        let mut keys = Vec::with_capacity(view.totals.entries as usize);
        for chain in &view.chains {
            for (info, _) in &chain.blocks {
                let all = self.block_rows_newest_first(info, &chain.filter, |i, r| {
                    keys.push((r.ts, block::entry_id(chain.chain_id, r.seq), info.id, i));
                    ControlFlow::Continue(())
                })?;
                debug_assert!(all.is_continue());
            }
        }
        keys.sort_unstable_by_key(|k| std::cmp::Reverse((k.0, k.1)));
        Ok(view.merged.get_or_init(|| keys))
    }

    /// How many dimensions a chain's entries carry.
    fn dimension_count(&self, chain_id: i64) -> Result<usize, StoreError> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM chain_dimension WHERE chain_id = ?1")?
            .query_row([chain_id], |r| r.get(0))?;
        Ok(n as usize)
    }

    /// One entry by id, as the ledger table shows it (without its raw source text, which
    /// `import::entry_detail` adds).
    pub fn entry_row(&self, id: i64) -> Result<LedgerRow, StoreError> {
        let (labels, sources) = (|id: u32| self.label(id), self.sources()?);
        let dims = self.dimension_count(block::split_entry_id(id).0)?;
        self.with_row(id, |chain_id, r| Self::ledger_row(chain_id, dims, r, &labels, &sources))
    }

    /// Calls `f` with the stored row of entry `id`: found in the block whose sequence numbers
    /// span it (only entries imported out of order make more than one block a candidate).
    pub(super) fn with_row<T>(&self, id: i64, f: impl FnOnce(i64, &Row<'_>) -> T) -> Result<T, StoreError> {
        let (chain_id, seq) = block::split_entry_id(id);
        if id < 0 {
            return Err(StoreError::NotFound(format!("entry {id}")));
        }
        for block_id in rows::blocks_with_seq(&self.conn, chain_id, seq)? {
            let data = self.block(block_id)?;
            let mut d = block::Decoder::new(&data)?;
            while let Some((txn, r)) = d.next_parts()? {
                if r.seq == seq {
                    let txn_id = std::str::from_utf8(txn)
                        .map_err(|_| StoreError::BadValue(format!("entry {id} has a damaged transaction ID")))?;
                    return Ok(f(chain_id, &Row { txn_id, ..r }));
                }
            }
        }
        Err(StoreError::NotFound(format!("entry {id}")))
    }

    /// Calls `each` for every row of the filtered ledger, newest first, without paging.
    pub fn for_each_row(
        &self,
        filter: &LedgerFilter,
        mut each: impl FnMut(LedgerRow) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        let view = self.view(filter)?;
        let (labels, sources) = (|id: u32| self.label(id), self.sources()?);
        let mut n = 0;
        if view.chains.len() > 1 {
            for chunk in self.merged_keys(&view)?.chunks(BLOCK) {
                for row in self.rows_at(chunk)? {
                    each(row)?;
                    n += 1;
                }
            }
            return Ok(n);
        }
        let mut failed = None;
        for chain in &view.chains {
            let dims = self.dimension_count(chain.chain_id)?;
            for (info, _) in chain.blocks.iter().rev() {
                let flow = self.block_rows_newest_first(info, &chain.filter, |_, r| {
                    match each(Self::ledger_row(chain.chain_id, dims, &r, &labels, &sources)) {
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
        let mut groups: FxHashMap<Option<String>, Sums> = FxHashMap::default();
        let mut by_label: FxHashMap<Option<u32>, Sums> = FxHashMap::default();
        for chain in &view.chains {
            // The dimension grouped by, in this chain; a chain without it has no value in it.
            let dim = match &by {
                GroupBy::Label(key) => Some(self.dimensions(chain.chain_id)?.iter().position(|d| &d.key == key)),
                _ => None,
            };
            for (info, _) in &chain.blocks {
                let data = self.block(info.id)?;
                block::for_each_row(&data, |_, r| {
                    if !chain.filter.matches(&r) {
                        return Ok(());
                    }
                    match (&by, dim) {
                        (GroupBy::Type, _) => by_label.entry(Some(r.kind)).or_default().add(r.amount, r.ts),
                        (GroupBy::Label(_), Some(d)) => {
                            let id = d.map_or(0, |d| r.dims[d]);
                            by_label.entry(Some(id).filter(|&id| id != 0)).or_default().add(r.amount, r.ts)
                        }
                        (GroupBy::Label(_), None) => by_label.entry(None).or_default().add(r.amount, r.ts),
                        (GroupBy::Day, _) => {
                            let day =
                                chrono::DateTime::from_timestamp_micros(r.ts).map(|t| t.format("%Y-%m-%d").to_string());
                            groups.entry(day).or_default().add(r.amount, r.ts)
                        }
                        (GroupBy::Transaction, _) => {
                            let id = super::split_revision(r.txn_id).0.to_string();
                            groups.entry(Some(id)).or_default().add(r.amount, r.ts)
                        }
                    }
                    Ok(())
                })?;
            }
        }
        for (id, sums) in by_label {
            let key = id.map(|id| self.label(id).to_string());
            let group = groups.entry(key).or_default();
            group.entries += sums.entries;
            group.credits_in += sums.credits_in;
            group.credits_out += sums.credits_out;
            group.latest = group.latest.max(sums.latest);
        }
        let mut rows: Vec<(Option<String>, Sums)> = groups.into_iter().collect();
        rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(rows
            .into_iter()
            .map(|(key, sums)| SummaryRow {
                key: key.unwrap_or_else(|| "(none)".into()),
                latest: sums.latest.unwrap_or(0),
                totals: sums.totals(),
            })
            .collect())
    }

    /// The types, and the values of each dimension, that occur in a chain.
    pub fn facets(&self, chain_id: i64) -> Result<Facets, StoreError> {
        let dimensions = self.dimensions(chain_id)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT field, label_id FROM block_label_total WHERE block_id >= ?1 AND block_id < ?2",
        )?;
        let mut rows = stmt.query(params![block::block_id(chain_id, 0), block::block_id(chain_id + 1, 0)])?;
        let mut types = Vec::new();
        let mut values: Vec<Vec<String>> = vec![Vec::new(); dimensions.len()];
        while let Some(r) = rows.next()? {
            let (field, id): (Field, u32) = (r.get(0)?, r.get(1)?);
            if field != TYPE && id == 0 {
                continue;
            }
            let text = self.label(id).to_string();
            match (field as usize).checked_sub(1) {
                None => types.push(text),
                Some(d) => {
                    if let Some(list) = values.get_mut(d) {
                        list.push(text)
                    }
                }
            }
        }
        for list in std::iter::once(&mut types).chain(values.iter_mut()) {
            list.sort_unstable();
            list.dedup();
        }
        Ok(Facets { types, dimensions: dimensions.into_iter().zip(values).collect() })
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
        // Where entries state no balance, the balance rebuilt from their amounts (from 0, or
        // from the last balance an entry stated).
        let mut running = 0_i64;
        rows::scan_chain(&self.conn, chain_id, 0, |_, r| {
            running = if r.after == NO_BALANCE { running.saturating_add(r.amount) } else { r.after };
            chunk.push((r.ts, running));
            if chunk.len() == bucket {
                flush(&mut chunk, &mut points);
            }
            Ok(ControlFlow::Continue(()))
        })?;
        flush(&mut chunk, &mut points);
        Ok(points)
    }
}

/// Where one column of the chart stands: its first, lowest, highest and last point.
#[derive(Clone, Copy)]
struct Column {
    index: i64,
    first: (i64, i64),
    lo: (i64, i64),
    hi: (i64, i64),
    last: (i64, i64),
}

impl Column {
    fn new(index: i64, p: (i64, i64)) -> Column {
        Column { index, first: p, lo: p, hi: p, last: p }
    }

    fn add(&mut self, p: (i64, i64)) {
        if p.1 < self.lo.1 {
            self.lo = p;
        }
        if p.1 > self.hi.1 {
            self.hi = p;
        }
        self.last = p;
    }

    /// Its points in time order, each once.
    fn points(&self, out: &mut Vec<BalancePoint>) {
        let mut keep = [self.first, self.lo, self.hi, self.last];
        keep.sort_by_key(|p| p.0);
        let mut prev: Option<(i64, i64)> = None;
        for p in keep {
            if prev != Some(p) {
                out.push(BalancePoint { ts: p.0, balance: money::from_units(p.1) });
            }
            prev = Some(p);
        }
    }
}

impl Store {
    /// The running balance of a chain between `from` and `to` (Unix microseconds, inclusive)
    /// cut into `columns` equal spans of time, one per pixel column of the chart: each span's
    /// first, lowest and highest and last point, oldest first, so a spike inside one column
    /// still shows however far out the chart is zoomed. The last point before `from` and the
    /// first after `to` come too, so the line enters and leaves the window. A balance is what
    /// the entry states, else the running sum of amounts from 0 (or from the last one stated),
    /// counted from the chain's first entry whatever the window.
    pub fn balance_columns(
        &self,
        chain_id: i64,
        from: i64,
        to: i64,
        columns: usize,
    ) -> Result<Vec<BalancePoint>, StoreError> {
        // A chain of no more entries than the chart has points for is drawn whole.
        let count: u64 = rows::chain_blocks(&self.conn, chain_id)?.iter().map(|b| b.entries).sum();
        let every = count <= (columns as u64).saturating_mul(4);
        let columns = columns.max(1) as i128;
        let span = (to as i128 - from as i128).max(0) + 1;
        let mut seq = 0_i64;
        let mut column_of = |ts: i64| {
            seq += 1;
            if every {
                seq
            } else {
                ((ts as i128 - from as i128) * columns / span) as i64
            }
        };
        let mut points = Vec::new();
        let mut before: Option<(i64, i64)> = None;
        let mut current: Option<Column> = None;
        let mut running = 0_i64;
        rows::scan_chain(&self.conn, chain_id, 0, |_, r| {
            running = if r.after == NO_BALANCE { running.saturating_add(r.amount) } else { r.after };
            let p = (r.ts, running);
            if r.ts < from {
                before = Some(p);
                return Ok(ControlFlow::Continue(()));
            }
            if let Some(b) = before.take() {
                points.push(BalancePoint { ts: b.0, balance: money::from_units(b.1) });
            }
            if r.ts > to {
                if let Some(c) = current.take() {
                    c.points(&mut points);
                }
                points.push(BalancePoint { ts: p.0, balance: money::from_units(p.1) });
                return Ok(ControlFlow::Break(()));
            }
            let index = column_of(r.ts);
            match current.as_mut() {
                Some(c) if c.index == index => c.add(p),
                _ => {
                    if let Some(c) = current.replace(Column::new(index, p)) {
                        c.points(&mut points);
                    }
                }
            }
            Ok(ControlFlow::Continue(()))
        })?;
        if let Some(c) = current {
            c.points(&mut points);
        }
        if let Some(b) = before {
            // Every entry is before the window: the balance it starts from.
            points.push(BalancePoint { ts: b.0, balance: money::from_units(b.1) });
        }
        Ok(points)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Totals over large amounts are exact, never wrapped (four rows of ±9,000,000,000,000
    /// once printed credits in as -446744073709.551616).
    #[test]
    fn totals_do_not_overflow() {
        let big = 9_000_000_000_000 * 1_000_000_i64 / 1_000; // 9e9 credits in micro-credits
        let mut s = Sums::default();
        for _ in 0..4_000 {
            s.add(big, 0);
            s.add(-big, 0);
        }
        let t = s.totals();
        assert_eq!(t.entries, 8_000);
        assert_eq!(t.credits_in, Decimal::from(36_000_000_000_000_i64));
        assert_eq!(t.credits_out, -Decimal::from(36_000_000_000_000_i64));
        assert_eq!(t.net(), Decimal::ZERO);
    }
}
