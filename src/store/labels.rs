//! Labels (types, descriptions, dimension values: interned text): the texts a store keeps
//! between calls, and the checksum of the label table (`label_check`) that every write checks
//! before it builds on the table and records after it adds to it.

use std::cell::RefCell;
use std::sync::Arc;

use rusqlite::{params, OptionalExtension, Transaction};

use super::{Store, StoreError};

/// Label texts by id, fetched on first use and kept: labels are never changed or removed, so a
/// kept text stays true, and a chain of a million distinct descriptions is never loaded whole
/// to show a page or a finding. Emptied when it grows past `KEPT_LABELS`.
#[derive(Debug, Default)]
pub(super) struct LabelCache(RefCell<rustc_hash::FxHashMap<u32, Arc<str>>>);

impl LabelCache {
    /// Forgets every kept text (after a repair rewrote the label table).
    pub(super) fn clear(&self) {
        self.0.borrow_mut().clear();
    }
}

/// Label texts fetched by one query.
const FETCHED_AT_ONCE: usize = 500;

/// The most label texts a store keeps between calls.
const KEPT_LABELS: usize = 200_000;

/// The text of label `id` in a table from `Store::label_table`; empty for an unknown id.
pub(super) fn label_text(labels: &[Arc<str>], id: i64) -> Arc<str> {
    usize::try_from(id).ok().and_then(|i| labels.get(i)).cloned().unwrap_or_else(|| Arc::from(""))
}

impl Store {
    /// The text of label `id`; empty for 0 (no value) or an id the database does not hold.
    pub fn label(&self, id: u32) -> Arc<str> {
        if id == 0 {
            return Arc::from("");
        }
        if let Some(text) = self.labels.0.borrow().get(&id) {
            return text.clone();
        }
        let text: Arc<str> = self
            .conn
            .prepare_cached("SELECT text FROM label WHERE id = ?1")
            .and_then(|mut stmt| stmt.query_row([id], |r| r.get::<_, String>(0)))
            .map_or_else(|_| Arc::from(""), Arc::from);
        let mut kept = self.labels.0.borrow_mut();
        if kept.len() >= KEPT_LABELS {
            kept.clear();
        }
        kept.insert(id, text.clone());
        text
    }

    /// All labels as a table indexed by label id (ids without a label read as empty).
    pub(super) fn label_table(&self) -> Result<Vec<Arc<str>>, StoreError> {
        let empty: Arc<str> = Arc::from("");
        let mut table: Vec<Arc<str>> = Vec::new();
        let mut stmt = self.conn.prepare("SELECT id, text FROM label")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let id =
                usize::try_from(r.get::<_, i64>(0)?).map_err(|_| StoreError::BadValue("negative label id".into()))?;
            if table.len() <= id {
                table.resize(id + 1, empty.clone());
            }
            table[id] = Arc::from(r.get::<_, String>(1)?);
        }
        Ok(table)
    }

    /// A second read-only connection to this database, in a read of its own, for reading label
    /// texts on another thread while this one goes on (`check` of many chains). Labels are
    /// only ever added, so it serves every label this connection's snapshot holds, with the
    /// same texts, if its label table is the one this connection reads (the same checksum in
    /// `label_check`); `None` if not (a write in between), or for a database in memory. Call
    /// it inside this connection's read (`in_one_read`).
    pub fn label_reader(&self) -> Option<Store> {
        let path = self.conn.path().filter(|p| !p.is_empty())?;
        let conn = Store::read_only_connection(std::path::Path::new(path), false).ok()?;
        conn.execute_batch("BEGIN DEFERRED").ok()?;
        let same = recorded_label_sum(&conn).ok()? == recorded_label_sum(&self.conn).ok()?;
        same.then(|| Store::over(conn))
    }

    /// The texts of these labels, fetched in batches and kept (see `label`).
    pub fn labels(&self, ids: &[u32]) -> Result<Vec<Arc<str>>, StoreError> {
        self.fetch_labels(ids)?;
        Ok(ids.iter().map(|&id| self.label(id)).collect())
    }

    /// Fetches the texts of the labels not kept yet, a few hundred per query.
    pub(super) fn fetch_labels(&self, ids: &[u32]) -> Result<(), StoreError> {
        let mut missing: Vec<u32> = {
            let kept = self.labels.0.borrow();
            ids.iter().copied().filter(|id| *id != 0 && !kept.contains_key(id)).collect()
        };
        missing.sort_unstable();
        missing.dedup();
        if self.labels.0.borrow().len() + missing.len() > KEPT_LABELS {
            self.labels.0.borrow_mut().clear();
        }
        let mut kept = self.labels.0.borrow_mut();
        kept.reserve(missing.len());
        for chunk in missing.chunks(FETCHED_AT_ONCE) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!("SELECT id, text FROM label WHERE id IN ({marks})");
            // A full chunk's statement is prepared once (a check fetches 15,000 refunds'
            // descriptions in 30 of them); the last chunk's, of any length, is not kept, so it
            // does not push the statements of other queries out of the cache.
            let (mut cached, mut fresh);
            let stmt: &mut rusqlite::Statement<'_> = if chunk.len() == FETCHED_AT_ONCE {
                cached = self.conn.prepare_cached(&sql)?;
                &mut cached
            } else {
                fresh = self.conn.prepare(&sql)?;
                &mut fresh
            };
            let mut rows = stmt.query(rusqlite::params_from_iter(chunk))?;
            while let Some(r) = rows.next()? {
                let text = r.get_ref(1)?.as_str().map_err(|e| StoreError::BadValue(e.to_string()))?;
                kept.insert(r.get(0)?, Arc::from(text));
            }
        }
        Ok(())
    }
}

/// Label texts and the store's id of each, compact: the texts end to end in one string
/// (`model::Labels`, whose own ids are 1, 2, ...) and the store's ids beside them. A streamed
/// import holds every label of the file; a map of `String`s cost a heap allocation and some
/// 70 bytes a label beyond its text (millions at 30M entries: a tenth of entries bring a
/// description of their own).
#[derive(Debug, Default)]
pub(super) struct TextIds {
    texts: crate::model::Labels,
    /// The store's id of text `k` at `ids[k - 1]`.
    ids: Vec<u32>,
    /// Text `k` of the store's id `id` at `by_id[id]` (0: none): the store's ids run from 1
    /// with few gaps.
    by_id: Vec<u32>,
}

impl TextIds {
    pub fn get(&self, text: &str) -> Option<&u32> {
        self.texts.find(text).map(|k| &self.ids[k as usize - 1])
    }

    /// The text of the store's label `id`, if it is here. By index: a map of every label
    /// built for each stored ledger an import adds to made re-importing a customer base
    /// quadratic (10,000 ledgers: 12.6 s of 15).
    pub fn text(&self, id: u32) -> Option<&str> {
        let k = *self.by_id.get(id as usize)?;
        (k != 0 && self.ids[k as usize - 1] == id).then(|| self.texts.text(k))
    }

    /// Gives `text` the store's id `id` (the one it had, if any, replaced).
    pub fn insert(&mut self, text: &str, id: u32) {
        let k = self.texts.intern(text);
        if k as usize > self.ids.len() {
            self.ids.push(id);
        } else {
            self.ids[k as usize - 1] = id;
        }
        if self.by_id.len() <= id as usize {
            self.by_id.resize(id as usize + 1, 0);
        }
        self.by_id[id as usize] = k;
    }

    /// Every label, text and store id.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &u32)> {
        self.ids.iter().enumerate().map(|(k, id)| (self.texts.text(k as u32 + 1), id))
    }
}

/// The label table's ids by text, with the checksum `label_check` must record for it once
/// the labels this write adds are in (`record`).
#[derive(Debug)]
pub(super) struct LabelIds {
    pub ids: TextIds,
    sum: LabelSum,
    /// The id the next label gets: one past the highest, as SQLite would number it.
    next: u64,
}

impl LabelIds {
    /// Records the label table's checksum with the labels added since it was loaded.
    pub fn record(&self, tx: &Transaction) -> Result<(), StoreError> {
        record_label_sum(tx, self.sum)
    }

    /// The id of `text`, numbering it as `label_id` would when it is new, without writing it:
    /// the caller writes every label numbered so (`insert_labels`) before `record`, and calls
    /// nothing else that writes labels in between. A streamed import numbers labels on the
    /// thread that encodes blocks, while the connection's thread inserts them.
    pub fn assign(&mut self, text: &str) -> Result<u32, StoreError> {
        if let Some(&id) = self.ids.get(text) {
            return Ok(id);
        }
        let id = u32::try_from(self.next)
            .map_err(|_| StoreError::BadValue("more labels than the store can number".into()))?;
        self.next += 1;
        self.sum.add(id.into(), text);
        self.ids.insert(text, id);
        Ok(id)
    }

    /// The id the next new label gets.
    pub fn next(&self) -> u64 {
        self.next
    }

    /// Whether these are still the table's labels: the checksum `label_check` records is the
    /// one they make (a write that added labels elsewhere has recorded another).
    pub fn current(&self, tx: &Transaction) -> Result<bool, StoreError> {
        Ok(recorded_label_sum(tx)? == self.sum)
    }
}

/// How many labels there are and the wrapping sum of `xxh3(id, text)` over them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct LabelSum {
    pub labels: i64,
    pub hash: i64,
}

impl LabelSum {
    fn add(&mut self, id: i64, text: &str) {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(&id.to_le_bytes());
        h.update(text.as_bytes());
        self.labels += 1;
        self.hash = self.hash.wrapping_add(h.digest() as i64);
    }
}

/// The checksum of the label table as it is.
pub(crate) fn label_sum(conn: &rusqlite::Connection) -> Result<LabelSum, StoreError> {
    let mut sum = LabelSum::default();
    let mut stmt = conn.prepare_cached("SELECT id, text FROM label")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        sum.add(r.get(0)?, r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?);
    }
    Ok(sum)
}

/// The checksum `label_check` records.
pub(crate) fn recorded_label_sum(conn: &rusqlite::Connection) -> Result<LabelSum, StoreError> {
    // Cached: an import asks it before each chain.
    Ok(conn
        .prepare_cached("SELECT labels, hash FROM label_check WHERE id = 1")?
        .query_row([], |r| Ok(LabelSum { labels: r.get(0)?, hash: r.get(1)? }))
        .optional()?
        .unwrap_or_default())
}

pub(crate) fn record_label_sum(conn: &rusqlite::Connection, sum: LabelSum) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO label_check (id, labels, hash) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET labels = ?1, hash = ?2",
        params![sum.labels, sum.hash],
    )?;
    Ok(())
}

/// Every label by text, checked against `label_check`: a write never builds on a label table
/// that was changed behind the store's back (a renamed label would have new entries take a
/// second id for its old text).
pub(super) fn load_label_ids(tx: &Transaction) -> Result<LabelIds, StoreError> {
    let mut ids = TextIds::default();
    let mut sum = LabelSum::default();
    let mut highest = 0u64;
    let mut stmt = tx.prepare_cached("SELECT text, id FROM label")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (text, id): (String, u32) = (r.get(0)?, r.get(1)?);
        sum.add(id.into(), &text);
        highest = highest.max(u64::from(id));
        ids.insert(&text, id);
    }
    if sum != recorded_label_sum(tx)? {
        return Err(StoreError::LabelsDamaged);
    }
    Ok(LabelIds { ids, sum, next: highest + 1 })
}

/// Inserts labels numbered by `LabelIds::assign`, `(id, text)`.
pub(super) fn insert_labels(tx: &Transaction, labels: &[(u32, String)]) -> Result<(), StoreError> {
    let mut insert = tx.prepare_cached("INSERT INTO label (id, text) VALUES (?1, ?2)")?;
    for (id, text) in labels {
        insert.execute(params![id, text])?;
    }
    Ok(())
}

pub(super) fn label_id(tx: &Transaction, labels: &mut LabelIds, text: &str) -> Result<u32, StoreError> {
    if let Some(&id) = labels.ids.get(text) {
        return Ok(id);
    }
    // Cached: a customer base's descriptions are hundreds of thousands of labels.
    tx.prepare_cached("INSERT INTO label (text) VALUES (?1)")?.execute([text])?;
    let id = u32::try_from(tx.last_insert_rowid())
        .map_err(|_| StoreError::BadValue("more labels than the store can number".into()))?;
    labels.sum.add(id.into(), text);
    labels.next = labels.next.max(u64::from(id) + 1);
    labels.ids.insert(text, id);
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::TextIds;

    /// Texts keep the store's ids they were given (not their own order), a text given again
    /// takes its new id, and an unknown text has none.
    #[test]
    fn text_ids_keep_the_stores_ids() {
        let mut ids = TextIds::default();
        for (text, id) in [("CHAT", 7), ("", 3), ("Refund for txn_1", 12), ("é", 9)] {
            ids.insert(text, id);
        }
        assert_eq!(ids.get("CHAT"), Some(&7));
        assert_eq!(ids.get(""), Some(&3));
        assert_eq!(ids.get("é"), Some(&9));
        assert_eq!(ids.get("chat"), None);
        assert_eq!(
            (ids.text(7), ids.text(3), ids.text(12), ids.text(8), ids.text(400)),
            (Some("CHAT"), Some(""), Some("Refund for txn_1"), None, None)
        );
        ids.insert("CHAT", 40);
        assert_eq!((ids.text(40), ids.text(7)), (Some("CHAT"), None));
        assert_eq!(ids.get("CHAT"), Some(&40));
        let all: Vec<(&str, u32)> = ids.iter().map(|(t, &id)| (t, id)).collect();
        assert_eq!(all, [("CHAT", 40), ("", 3), ("Refund for txn_1", 12), ("é", 9)]);
    }
}
