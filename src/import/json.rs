//! What the JSON readers share: the file as UTF-8 text, the entries of a saved API answer
//! (one page, an array of pages, or a bare array of entries), errors that point at the value
//! in the file, detection by member name, and an entry's raw object for the detail panel.

use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{ImportError, LineCursor};
use crate::money;

/// The JSON object that starts at byte `offset` of `path`.
pub(super) fn object_at(path: &Path, offset: u64) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path).ok()?;
    file.seek(SeekFrom::Start(offset)).ok()?;
    let mut text = String::new();
    // An entry is a few hundred bytes; 64 KiB bounds a damaged file.
    file.take(64 * 1024).read_to_string(&mut text).ok()?;
    let (mut depth, mut in_string, mut escaped) = (0i32, false, false);
    for (i, c) in text.char_indices() {
        match (in_string, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_string = false,
            (false, _, '"') => in_string = true,
            (false, _, '{') => depth += 1,
            (false, _, '}') => {
                depth -= 1;
                if depth == 0 {
                    return Some(text[..=i].to_string());
                }
            }
            _ => {}
        }
    }
    None
}

/// The bytes as text, or an error at the first byte that is not UTF-8.
pub(super) fn utf8(path: &Path, raw: Vec<u8>) -> Result<String, ImportError> {
    String::from_utf8(raw).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let (line, column) = LineCursor::new(std::str::from_utf8(&e.as_bytes()[..at]).unwrap_or("")).locate(at);
        ImportError::Malformed {
            path: path.to_path_buf(),
            line,
            column,
            problem: "the file is not UTF-8 text".into(),
            fix: "Save the export as UTF-8.".into(),
        }
    })
}

/// Whether `head` names `key` as an object member (`"key"` then `:`). A string value cannot
/// match: a quote inside a JSON string is escaped.
pub(super) fn has_member(head: &str, key: &str) -> bool {
    let quoted = format!("\"{key}\"");
    head.match_indices(&quoted).any(|(i, _)| head[i + quoted.len()..].trim_start().starts_with(':'))
}

/// Whether `head` has `"key": "value"`.
pub(super) fn has_member_value(head: &str, key: &str, value: &str) -> bool {
    let quoted = format!("\"{key}\"");
    let wanted = format!("\"{value}\"");
    head.match_indices(&quoted).any(|(i, _)| {
        head[i + quoted.len()..]
            .trim_start()
            .strip_prefix(':')
            .is_some_and(|rest| rest.trim_start().starts_with(&wanted))
    })
}

/// A page of an API answer: its `data`; other members are ignored.
#[derive(Deserialize)]
struct Page<'a> {
    #[serde(borrow)]
    data: Option<Vec<&'a RawValue>>,
}

/// The entries of a saved API answer, borrowed from `body`: one page (`{"data": [...], ...}`),
/// an array of pages, or a bare array of entries (an array element with a `data` member is a
/// page). `shape` completes the fix of a syntax error ("Expected ...").
pub(super) fn page_entries<'a>(path: &Path, body: &'a str, shape: &str) -> Result<Vec<&'a RawValue>, ImportError> {
    let syntax = |e: serde_json::Error| ImportError::Malformed {
        path: path.to_path_buf(),
        line: e.line() as u64,
        column: e.column() as u64,
        problem: format!("not a ledger JSON document: {e}"),
        fix: format!("Expected {shape}."),
    };
    if !body.trim_start().starts_with('[') {
        let page: Page = serde_json::from_str(body).map_err(syntax)?;
        return page.data.ok_or_else(|| ImportError::Malformed {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            problem: "the object has no \"data\" member".into(),
            fix: format!("Expected {shape}."),
        });
    }
    let items: Vec<&RawValue> = serde_json::from_str(body).map_err(syntax)?;
    let mut entries = Vec::with_capacity(items.len());
    for item in items {
        let is_object = item.get().starts_with('{');
        match is_object.then(|| serde_json::from_str::<Page>(item.get()).ok()).flatten().and_then(|p| p.data) {
            Some(data) => entries.extend(data),
            None => entries.push(item),
        }
    }
    Ok(entries)
}

/// Where in the file an entry sits, for error messages.
pub(super) struct At<'a> {
    pub path: &'a Path,
    pub text: &'a str,
    /// The entry's JSON text.
    pub item: &'a str,
    /// Byte offset of the entry in `text`.
    pub offset: usize,
    /// The members an entry has, for the fix of a malformed entry (`{"id", "amount", ...}`).
    pub shape: &'static str,
}

impl At<'_> {
    pub fn position_of(&self, raw: Option<&RawValue>) -> (u64, u64) {
        let target = match raw {
            Some(r) => r.get().as_ptr() as usize - self.text.as_ptr() as usize,
            None => self.offset,
        };
        LineCursor::new(self.text).locate(target)
    }

    pub fn missing(&self, field: &'static str) -> ImportError {
        let (line, column) = self.position_of(None);
        ImportError::BadValue {
            path: self.path.to_path_buf(),
            line,
            column,
            field,
            value: String::new(),
            expected: format!("every entry to have \"{field}\""),
        }
    }

    pub fn bad(&self, field: &'static str, raw: Option<&RawValue>, value: &str, expected: &str) -> ImportError {
        let (line, column) = self.position_of(raw);
        ImportError::BadValue {
            path: self.path.to_path_buf(),
            line,
            column,
            field,
            value: value.to_string(),
            expected: expected.to_string(),
        }
    }

    pub fn malformed(&self, e: &serde_json::Error) -> ImportError {
        let (line, column) = self.position_of(None);
        ImportError::Malformed {
            path: self.path.to_path_buf(),
            line,
            column,
            problem: format!("entry is not an object of the Open API's shape: {e}"),
            fix: format!(
                "Each entry is {} (starting: {}).",
                self.shape,
                self.item.chars().take(40).collect::<String>()
            ),
        }
    }

    /// A string field; `null` or absent is `None`.
    pub fn string(&self, raw: Option<&RawValue>, field: &'static str) -> Result<Option<String>, ImportError> {
        let Some(r) = raw else { return Ok(None) };
        if r.get() == "null" {
            return Ok(None);
        }
        serde_json::from_str::<String>(r.get()).map(Some).map_err(|_| self.bad(field, raw, r.get(), "a JSON string"))
    }

    /// A string field that every entry has and that is not blank, trimmed.
    pub fn required(&self, raw: Option<&RawValue>, field: &'static str, expected: &str) -> Result<String, ImportError> {
        let value = self.string(raw, field)?.ok_or_else(|| self.missing(field))?;
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(self.bad(field, raw, &value, expected));
        }
        Ok(trimmed.to_string())
    }

    /// A decimal given as a string, or as a JSON number read from its exact text (never a float).
    pub fn money(&self, raw: Option<&RawValue>, field: &'static str) -> Result<i64, ImportError> {
        let r = raw.ok_or_else(|| self.missing(field))?;
        let text = if r.get().starts_with('"') {
            serde_json::from_str::<String>(r.get()).map_err(|_| self.bad(field, raw, r.get(), "a decimal string"))?
        } else {
            r.get().to_string()
        };
        money::parse_units(&text).map_err(|e| self.bad(field, raw, &text, &e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_found_by_name_not_inside_strings() {
        assert!(has_member(r#"{"data": [{"ledger_sequence_number" : 3}]}"#, "ledger_sequence_number"));
        assert!(!has_member(r#"[{"description": "ledger_sequence_number"}]"#, "ledger_sequence_number"));
        assert!(!has_member(r#"[{"description": "say \"ledger_sequence_number\": 1"}]"#, "ledger_sequence_number"));
        assert!(has_member_value(r#"{"object" : "list""#, "object", "list"));
        assert!(!has_member_value(r#"{"object": "lists""#, "object", "list"));
    }

    #[test]
    fn one_page_an_array_of_pages_and_a_bare_array_give_the_same_entries() {
        let p = Path::new("x");
        let texts = |v: Vec<&RawValue>| v.iter().map(|r| r.get().to_string()).collect::<Vec<_>>();
        let one = texts(page_entries(p, r#"{"data": [{"id": 1}, {"id": 2}], "has_more": false}"#, "").unwrap());
        let pages = texts(page_entries(p, r#"[{"data": [{"id": 1}]}, {"data": [{"id": 2}]}]"#, "").unwrap());
        let bare = texts(page_entries(p, r#"[{"id": 1}, {"id": 2}]"#, "").unwrap());
        assert_eq!(one, pages);
        assert_eq!(one, bare);
        assert!(page_entries(p, r#"{"items": []}"#, "").is_err());
    }
}
