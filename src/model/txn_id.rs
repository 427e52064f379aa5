//! A transaction ID as an entry read from a file holds it: inline when it is at most
//! [`INLINE`] bytes (Reverie's `txn_` and a 26-character ULID, Stripe's `cbtxn_…`, Orb's and
//! the generator's IDs), else on the heap. A streamed import reads each entry on one thread
//! and drops it on another, and a heap allocation per entry freed across threads cost the
//! import of a million entries tens of milliseconds in the allocator.

use std::fmt;
use std::ops::Deref;

/// The longest ID held inline.
pub const INLINE: usize = 30;

#[derive(Clone, PartialEq, Eq)]
pub struct TxnId(Repr);

#[derive(Clone, PartialEq, Eq)]
enum Repr {
    /// Its length, then its bytes (the rest zeros).
    Inline(u8, [u8; INLINE]),
    Heap(Box<str>),
}

impl TxnId {
    /// Its bytes, without a look at whether they are text (the store hashes and copies them).
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline(len, bytes) => &bytes[..usize::from(*len)],
            Repr::Heap(id) => id.as_bytes(),
        }
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Copied from a `&str` whole, so always text; checked all the same, as code that
            // cannot say `unsafe` must (30 bytes at most).
            Repr::Inline(..) => std::str::from_utf8(self.as_bytes()).expect("an inline ID is copied from text"),
            Repr::Heap(id) => id,
        }
    }
}

impl From<&str> for TxnId {
    fn from(id: &str) -> TxnId {
        if id.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..id.len()].copy_from_slice(id.as_bytes());
            TxnId(Repr::Inline(id.len() as u8, bytes))
        } else {
            TxnId(Repr::Heap(id.into()))
        }
    }
}

impl From<String> for TxnId {
    fn from(id: String) -> TxnId {
        TxnId::from(id.as_str())
    }
}

impl From<Box<str>> for TxnId {
    fn from(id: Box<str>) -> TxnId {
        if id.len() <= INLINE {
            TxnId::from(&*id)
        } else {
            TxnId(Repr::Heap(id))
        }
    }
}

impl Deref for TxnId {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for TxnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for TxnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_back_as_given_inline_or_not() {
        for id in ["", "t", "txn_01HV3K8ZJ7Q2W5X9Y4M6N0P1R3", "cbtxn_1Nq2Rs3Tu4Vw5Xy6Za7Bc8De", "é·✓", &"x".repeat(31)]
        {
            let t = TxnId::from(id);
            assert_eq!((t.as_str(), t.as_bytes(), &*t), (id, id.as_bytes(), id));
            assert_eq!(format!("{t:?}"), format!("{id:?}"));
            assert_eq!(matches!(t.0, Repr::Inline(..)), id.len() <= INLINE, "{id}");
        }
        // Equal whatever was held where: an ID is always held the same way.
        assert_eq!(TxnId::from("abc"), TxnId::from("abc"));
        assert_ne!(TxnId::from("abc"), TxnId::from("abd"));
        assert_ne!(TxnId::from(""), TxnId::from("\0"));
    }
}
