//! Saved mapping profiles (FORMATS.md section 7): any CSV read through a mapping a person
//! saves by name. A profile names the columns that hold each role (ID, time, a signed amount
//! or a debit and a credit column, balance after, type, description, extra dimensions), the
//! delimiter, the decimal and thousands separators, the date pattern and the time zone (a
//! fixed offset: `UTC`, `+02:00`). It is a plain TOML file in
//! `$XDG_CONFIG_HOME/reckon/profiles/NAME.toml` (the platform's config directory elsewhere),
//! which a team can share. The file is read by the CSV engine (`csv.rs`) through its
//! [`Layout`] seam, so a profile gets the same parallel reader, limits and error positions as
//! every built-in source. A row without an ID is keyed by its values and its occurrence
//! among identical rows of the file, as Credit Adjustments rows are (section 3).

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{FixedOffset, NaiveDate, TimeZone};
use serde::{Deserialize, Serialize};

use super::csv::{self, Column, Layout, Record};
use super::{Fields, ImportError, OutOfRange, Reader};
use crate::model::{content_hash, Dimension, Labels, ParsedEntry, ParsedFile, MAX_DIMS, NO_BALANCE};

/// A saved mapping: how the columns of one bank's or vendor's CSV become entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The field delimiter (`;`, `,`, TAB, `|`).
    pub delimiter: char,
    /// `,` or `.`.
    pub decimal_separator: char,
    /// `.`, `,`, ` ` (a no-break space too) or `'`; none when numbers are not grouped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thousands_separator: Option<char>,
    /// `DD.MM.YYYY HH:mm`-style: `YYYY`, `MM`, `DD`, `HH`, `mm`, `ss`, anything else literal.
    pub date_format: String,
    /// The zone the times are written in: `UTC` or a fixed offset (`+02:00`, `-05:00`).
    pub time_zone: String,
    /// Column of the transaction ID; without one (or for a row where it is empty) an entry is
    /// keyed by its values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_column: Option<String>,
    pub time_column: String,
    /// A signed amount; or `debit_column` and `credit_column`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_column: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debit_column: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_column: Option<String>,
    /// The balance after the row; without one the entries state no balance (anchors judge).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub balance_column: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_column: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_column: Option<String>,
    /// Extra label dimensions, at most `MAX_DIMS`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dimension_columns: Vec<String>,
}

/// Why a profile cannot be saved, found or used.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{0}")]
    Invalid(String),
    #[error("no profile named {name:?} (in {dir}). Save one with `reckon profile save {name} ...`; `reckon profile list` shows the saved ones.")]
    NotFound { name: String, dir: String },
    #[error("{path}: {problem}. Correct the file (it is plain TOML) or save the profile again.")]
    Damaged { path: String, problem: String },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("there is no configuration directory to keep profiles in (set XDG_CONFIG_HOME or HOME)")]
    NoConfigDir,
}

/// One piece of a date pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Literal(char),
}

fn pattern(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (token, len) = [
            ("YYYY", Token::Year),
            ("MM", Token::Month),
            ("DD", Token::Day),
            ("HH", Token::Hour),
            ("mm", Token::Minute),
            ("ss", Token::Second),
        ]
        .into_iter()
        .find(|(p, _)| rest.starts_with(p))
        .map(|(p, t)| (t, p.len()))
        .unwrap_or_else(|| {
            let c = rest.chars().next().expect("not empty");
            (Token::Literal(c), c.len_utf8())
        });
        if let Token::Literal(c) = token {
            if c.is_ascii_alphanumeric() {
                return Err(format!(
                    "the date format {text:?} has {c:?}, which is no pattern letter: use YYYY, MM, DD, HH, mm, ss and separators (DD.MM.YYYY HH:mm)"
                ));
            }
        }
        if token != Token::Literal(' ') || tokens.last() != Some(&Token::Literal(' ')) {
            tokens.push(token);
        }
        rest = &rest[len..];
    }
    for (needed, name) in [(Token::Year, "YYYY"), (Token::Month, "MM"), (Token::Day, "DD")] {
        if tokens.iter().filter(|t| **t == needed).count() != 1 {
            return Err(format!(
                "the date format {text:?} needs {name} exactly once (DD.MM.YYYY, YYYY-MM-DD HH:mm:ss)"
            ));
        }
    }
    for (t, name) in [(Token::Hour, "HH"), (Token::Minute, "mm"), (Token::Second, "ss")] {
        if tokens.iter().filter(|x| **x == t).count() > 1 {
            return Err(format!("the date format {text:?} has {name} twice"));
        }
    }
    Ok(tokens)
}

/// `UTC`/`Z`, or `+HH:MM`/`-HH:MM` (also `UTC+02:00`), within 14 hours.
fn time_zone(text: &str) -> Result<FixedOffset, String> {
    let bad = || {
        format!(
            "the time zone {text:?} is not one Reckon reads: give UTC or a fixed offset such as +02:00 or -05:00 (named zones such as Europe/Berlin are not read yet: use the offset the file's times are written in)"
        )
    };
    let t = text.trim();
    let t = t.strip_prefix("UTC").or_else(|| t.strip_prefix("GMT")).unwrap_or(t);
    if t.is_empty() || t == "Z" {
        return Ok(FixedOffset::east_opt(0).expect("zero"));
    }
    let (sign, rest) = match t.as_bytes()[0] {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let digits = |s: &str| {
        (!s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<i32>().ok())
            .flatten()
    };
    let (h, m) = (digits(h).ok_or_else(bad)?, digits(m).ok_or_else(bad)?);
    let seconds = sign * (h * 3600 + m * 60);
    if m >= 60 || seconds.abs() > super::MAX_OFFSET_SECONDS {
        return Err(bad());
    }
    FixedOffset::east_opt(seconds).ok_or_else(bad)
}

impl Profile {
    /// Checks everything a file does not decide: separators, the date pattern, the zone, the
    /// roles. The message names what is wrong and what would do.
    pub fn validate(&self) -> Result<(), ProfileError> {
        let invalid = |s: String| Err(ProfileError::Invalid(s));
        if !matches!(self.delimiter, ';' | ',' | '\t' | '|') {
            return invalid(format!("the delimiter {:?} is not one Reckon reads: give ; , | or tab", self.delimiter));
        }
        if !matches!(self.decimal_separator, ',' | '.') {
            return invalid(format!("the decimal separator {:?} must be , or .", self.decimal_separator));
        }
        if let Some(t) = self.thousands_separator {
            if !matches!(t, '.' | ',' | ' ' | '\'' | '\u{a0}' | '\u{202f}') {
                return invalid(format!("the thousands separator {t:?} must be . , ' or a space"));
            }
            if t == self.decimal_separator {
                return invalid(format!(
                    "the thousands separator and the decimal separator are both {t:?}: numbers would be ambiguous"
                ));
            }
        }
        pattern(&self.date_format).map_err(ProfileError::Invalid)?;
        time_zone(&self.time_zone).map_err(ProfileError::Invalid)?;
        if self.time_column.trim().is_empty() {
            return invalid("the time column is needed (--time-column H)".into());
        }
        match (&self.amount_column, &self.debit_column, &self.credit_column) {
            (Some(_), None, None) | (None, Some(_), Some(_)) => {}
            _ => {
                return invalid(
                    "give either --amount-column (a signed amount) or both --debit-column and --credit-column".into(),
                )
            }
        }
        if self.dimension_columns.len() > MAX_DIMS {
            return invalid(format!(
                "a profile may name at most {MAX_DIMS} dimension columns ({} given)",
                self.dimension_columns.len()
            ));
        }
        let named = self.named_columns();
        if let Some((role, _)) = named.iter().find(|(_, h)| h.trim().is_empty()) {
            return invalid(format!("the {role} column is named by an empty header"));
        }
        let mut keys: Vec<String> = self.dimension_columns.iter().map(|d| dimension_key(d)).collect();
        keys.sort_unstable();
        if let Some(w) = keys.windows(2).find(|w| w[0] == w[1]) {
            return invalid(format!("two dimension columns read as the same dimension {:?}", w[0]));
        }
        Ok(())
    }

    /// `(role, header)` of every column the profile names.
    fn named_columns(&self) -> Vec<(&'static str, &str)> {
        let mut out = vec![("time", self.time_column.as_str())];
        for (role, c) in [
            ("ID", &self.id_column),
            ("amount", &self.amount_column),
            ("debit", &self.debit_column),
            ("credit", &self.credit_column),
            ("balance", &self.balance_column),
            ("type", &self.type_column),
            ("description", &self.description_column),
        ] {
            if let Some(c) = c {
                out.push((role, c.as_str()));
            }
        }
        out.extend(self.dimension_columns.iter().map(|d| ("dimension", d.as_str())));
        out
    }

    /// The profile as its TOML file holds it.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a profile is plain data")
    }

    /// A profile read from its TOML text, checked.
    pub fn from_toml(text: &str) -> Result<Profile, String> {
        let profile: Profile = toml::from_str(text).map_err(|e| e.to_string().trim().replace('\n', " "))?;
        profile.validate().map_err(|e| e.to_string())?;
        Ok(profile)
    }
}

/// A dimension's key from its header: lower case, runs of anything but letters and digits
/// as `_` (`Cost centre` -> `cost_centre`).
fn dimension_key(header: &str) -> String {
    let mut key = String::new();
    for c in header.trim().chars() {
        if c.is_alphanumeric() {
            key.extend(c.to_lowercase());
        } else if !key.ends_with('_') {
            key.push('_');
        }
    }
    key.trim_matches('_').to_string()
}

// ---- where profiles live ----

/// Whether `name` can name a profile file: 1 to 64 letters, digits, `-`, `_` or `.`, not
/// starting with `.`; so no name reaches outside the profiles directory.
pub fn check_name(name: &str) -> Result<(), ProfileError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ProfileError::Invalid(format!(
            "{name:?} cannot name a profile: use 1 to 64 letters, digits, '-', '_' or '.', not starting with '.' (bank-de, stripe_export)"
        )))
    }
}

/// Where profiles are kept: `$XDG_CONFIG_HOME/reckon/profiles` (the platform's config
/// directory where there is no XDG).
pub fn profiles_dir() -> Result<PathBuf, ProfileError> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(dirs::config_dir)
        .ok_or(ProfileError::NoConfigDir)?;
    Ok(base.join("reckon").join("profiles"))
}

fn profile_path(dir: &Path, name: &str) -> Result<PathBuf, ProfileError> {
    check_name(name)?;
    Ok(dir.join(format!("{name}.toml")))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ProfileError + '_ {
    move |source| ProfileError::Io { path: path.display().to_string(), source }
}

/// Saves `profile` as `name` in `dir` (replacing one of that name), written atomically.
pub fn save_in(dir: &Path, name: &str, profile: &Profile) -> Result<PathBuf, ProfileError> {
    profile.validate()?;
    let path = profile_path(dir, name)?;
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
    let text =
        format!("# Reckon mapping profile {name:?} (reckon import --profile {name} FILE)\n{}", profile.to_toml());
    std::io::Write::write_all(&mut tmp, text.as_bytes()).map_err(io(&path))?;
    tmp.persist(&path).map_err(|e| ProfileError::Io { path: path.display().to_string(), source: e.error })?;
    Ok(path)
}

/// The profile saved as `name` in `dir`.
pub fn load_in(dir: &Path, name: &str) -> Result<Profile, ProfileError> {
    let path = profile_path(dir, name)?;
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ProfileError::NotFound { name: name.into(), dir: dir.display().to_string() })
        }
        Err(e) => return Err(io(&path)(e)),
    };
    Profile::from_toml(&text).map_err(|problem| ProfileError::Damaged { path: path.display().to_string(), problem })
}

/// The names of the profiles saved in `dir`, sorted.
pub fn list_in(dir: &Path) -> Result<Vec<String>, ProfileError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(dir)(e)),
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.strip_suffix(".toml").map(str::to_string))
        .filter(|n| check_name(n).is_ok())
        .collect();
    names.sort();
    Ok(names)
}

/// Deletes the profile `name` from `dir`.
pub fn delete_in(dir: &Path, name: &str) -> Result<(), ProfileError> {
    let path = profile_path(dir, name)?;
    std::fs::remove_file(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ProfileError::NotFound { name: name.into(), dir: dir.display().to_string() },
        _ => io(&path)(e),
    })
}

/// [`save_in`] the user's profiles directory.
pub fn save(name: &str, profile: &Profile) -> Result<PathBuf, ProfileError> {
    save_in(&profiles_dir()?, name, profile)
}

/// [`load_in`] the user's profiles directory.
pub fn load(name: &str) -> Result<Profile, ProfileError> {
    load_in(&profiles_dir()?, name)
}

/// [`list_in`] the user's profiles directory.
pub fn list() -> Result<Vec<String>, ProfileError> {
    list_in(&profiles_dir()?)
}

/// [`delete_in`] the user's profiles directory.
pub fn delete(name: &str) -> Result<(), ProfileError> {
    delete_in(&profiles_dir()?, name)
}

// ---- reading a file through a profile ----

/// The reader a profile's files are stamped with. It is not in `READERS`: nothing is
/// detected as a profile; `reckon import --profile NAME` names it.
pub(super) static READER: Reader = Reader {
    name: "profile",
    aliases: &[],
    source: &crate::model::source::PROFILE,
    detect: |_| false,
    read: |path, _, _| {
        Err(ImportError::UnknownFormat {
            path: path.to_path_buf(),
            reason: "a file of a mapping profile is read with its profile (reckon import --profile NAME)".into(),
        })
    },
    parse: None,
    raw_text: csv::read_line_at,
};

/// Column names live as long as the process (the engine's messages hold `&'static str`);
/// each distinct name is kept once, so previews in a long-running app do not grow memory
/// beyond the headers a person has typed.
fn kept(name: &str) -> &'static str {
    static KEPT: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
    let set = kept.get_or_insert_with(HashSet::new);
    if let Some(k) = set.get(name) {
        return k;
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    set.insert(leaked);
    leaked
}

/// Places of the roles in the layout's columns.
#[derive(Debug, Clone, Copy)]
struct Slots {
    id: Option<usize>,
    time: usize,
    amount: Option<usize>,
    debit: Option<usize>,
    credit: Option<usize>,
    balance: Option<usize>,
    kind: Option<usize>,
    description: Option<usize>,
    /// First dimension column; the others follow.
    dims: usize,
}

/// A profile made ready for the engine.
struct ProfileLayout {
    columns: Vec<Column>,
    header: &'static str,
    slots: Slots,
    dims: usize,
    dimensions: Vec<Dimension>,
    date: Vec<Token>,
    offset: FixedOffset,
    delimiter: u8,
    decimal: char,
    thousands: Option<char>,
}

impl ProfileLayout {
    fn new(profile: &Profile) -> Result<ProfileLayout, ProfileError> {
        profile.validate()?;
        let mut columns = Vec::new();
        let mut add = |name: &str| {
            columns.push(Column::required(kept(name.trim())));
            columns.len() - 1
        };
        let time = add(&profile.time_column);
        let id = profile.id_column.as_deref().map(&mut add);
        let amount = profile.amount_column.as_deref().map(&mut add);
        let debit = profile.debit_column.as_deref().map(&mut add);
        let credit = profile.credit_column.as_deref().map(&mut add);
        let balance = profile.balance_column.as_deref().map(&mut add);
        let kind = profile.type_column.as_deref().map(&mut add);
        let description = profile.description_column.as_deref().map(&mut add);
        let dims_at = columns.len();
        for d in &profile.dimension_columns {
            columns.push(Column::required(kept(d.trim())));
        }
        let header = kept(&columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", "));
        Ok(ProfileLayout {
            header,
            slots: Slots { id, time, amount, debit, credit, balance, kind, description, dims: dims_at },
            dims: profile.dimension_columns.len(),
            dimensions: profile.dimension_columns.iter().map(|d| Dimension::new(&dimension_key(d), d.trim())).collect(),
            columns,
            date: pattern(&profile.date_format).map_err(ProfileError::Invalid)?,
            offset: time_zone(&profile.time_zone).map_err(ProfileError::Invalid)?,
            delimiter: profile.delimiter as u8,
            decimal: profile.decimal_separator,
            thousands: profile.thousands_separator,
        })
    }

    /// What a date cell is expected to look like.
    fn date_expected(&self) -> String {
        let p: String = self
            .date
            .iter()
            .map(|t| match t {
                Token::Year => "YYYY".to_string(),
                Token::Month => "MM".into(),
                Token::Day => "DD".into(),
                Token::Hour => "HH".into(),
                Token::Minute => "mm".into(),
                Token::Second => "ss".into(),
                Token::Literal(c) => c.to_string(),
            })
            .collect();
        format!("a date written {p} (the profile's --date-format), or change the profile's date format")
    }

    /// Unix microseconds of `text` written in the profile's pattern and zone.
    fn time(&self, text: &str) -> Option<i64> {
        let mut rest = text.trim();
        let (mut y, mut mo, mut d, mut h, mut mi, mut s) = (None, None, None, 0u32, 0u32, 0u32);
        for token in &self.date {
            let number = |rest: &mut &str, max_len: usize| -> Option<u32> {
                let n = rest.bytes().take(max_len).take_while(u8::is_ascii_digit).count();
                if n == 0 {
                    return None;
                }
                let v = rest[..n].parse().ok()?;
                *rest = &rest[n..];
                Some(v)
            };
            match token {
                Token::Year => {
                    let before = rest.len();
                    y = Some(number(&mut rest, 4)? as i32);
                    if before - rest.len() != 4 {
                        return None;
                    }
                }
                Token::Month => mo = Some(number(&mut rest, 2)?),
                Token::Day => d = Some(number(&mut rest, 2)?),
                Token::Hour => h = number(&mut rest, 2)?,
                Token::Minute => mi = number(&mut rest, 2)?,
                Token::Second => s = number(&mut rest, 2)?,
                Token::Literal(' ') => {
                    let trimmed = rest.trim_start();
                    if trimmed.len() == rest.len() {
                        return None;
                    }
                    rest = trimmed;
                }
                Token::Literal(c) => rest = rest.strip_prefix(*c)?,
            }
        }
        if !rest.is_empty() {
            return None;
        }
        let local = NaiveDate::from_ymd_opt(y?, mo?, d?)?.and_hms_opt(h, mi, s)?;
        let ts = self.offset.from_local_datetime(&local).single()?.timestamp_micros();
        (super::MIN_TIME..=super::MAX_TIME).contains(&ts).then_some(ts)
    }

    /// Micro-credits of `text` written with the profile's separators: an optional sign
    /// (`+`, `-`, U+2212, or a trailing `-` as some banks write), groups of three digits
    /// between thousands separators, at most six decimals. Never rounded.
    fn units(&self, text: &str) -> Result<i64, String> {
        let expected = || {
            let t = match self.thousands {
                Some(t) => format!("1{t}234{}56", self.decimal),
                None => format!("1234{}56", self.decimal),
            };
            format!("a number written like -{t} (the profile's separators: decimal {:?}, thousands {}), with at most 6 decimals", self.decimal, self.thousands.map_or("none".to_string(), |c| format!("{c:?}")))
        };
        let mut t = text.trim();
        let mut negative = false;
        if let Some(r) = t.strip_prefix(['-', '\u{2212}']) {
            (negative, t) = (true, r.trim_start());
        } else if let Some(r) = t.strip_prefix('+') {
            t = r.trim_start();
        } else if let Some(r) = t.strip_suffix('-') {
            (negative, t) = (true, r.trim_end());
        }
        let (int, frac) = match t.split_once(self.decimal) {
            Some((i, f)) => (i, Some(f)),
            None => (t, None),
        };
        let is_sep = |c: char| match self.thousands {
            Some(' ') | Some('\u{a0}') | Some('\u{202f}') => matches!(c, ' ' | '\u{a0}' | '\u{202f}'),
            Some(s) => c == s,
            None => false,
        };
        let groups: Vec<&str> = int.split(is_sep).collect();
        let digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
        let grouped = groups.len() == 1 && digits(groups[0])
            || groups.len() > 1
                && digits(groups[0])
                && groups[0].len() <= 3
                && groups[1..].iter().all(|g| g.len() == 3 && digits(g));
        if !grouped || frac.is_some_and(|f| !digits(f) || f.len() > 6) {
            return Err(expected());
        }
        let mut units: i64 = 0;
        for b in groups.concat().bytes() {
            units = units.checked_mul(10).and_then(|u| u.checked_add(i64::from(b - b'0'))).ok_or_else(expected)?;
        }
        let frac = frac.unwrap_or("");
        let mut micros: i64 = 0;
        for i in 0..6 {
            micros = micros * 10 + frac.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
        }
        units = units.checked_mul(1_000_000).and_then(|u| u.checked_add(micros)).ok_or_else(expected)?;
        Ok(if negative { -units } else { units })
    }
}

impl Layout for ProfileLayout {
    fn reader(&self) -> &'static Reader {
        &READER
    }
    fn columns(&self) -> &[Column] {
        &self.columns
    }
    fn header(&self) -> &'static str {
        self.header
    }
    fn delimiter(&self) -> Option<u8> {
        Some(self.delimiter)
    }
    fn dimensions(&self) -> Vec<Dimension> {
        self.dimensions.clone()
    }
    fn entry(&self, row: &Record<'_>, labels: &mut Labels) -> Result<ParsedEntry, ImportError> {
        let cells = Cells::read(self, row)?;
        let fields = Fields {
            txn_id: cells.id,
            ts: cells.ts,
            kind: &cells.kind,
            description: cells.description,
            amount: cells.amount,
            balance_after: cells.balance.unwrap_or(0),
            dims: &cells.dims[..self.dims],
            line: row.line,
            offset: row.offset,
        };
        let mut entry = fields.into_entry(labels).map_err(|range| {
            let (slot, text) = match range {
                OutOfRange::Amount => (cells.amount_slot, row.text(cells.amount_slot).unwrap_or_default()),
                OutOfRange::BalanceAfter => {
                    let slot = self.slots.balance.expect("a balance was read");
                    (slot, row.text(slot).unwrap_or_default())
                }
                OutOfRange::Time => (self.slots.time, row.text(self.slots.time).unwrap_or_default()),
            };
            row.bad(slot, text, range.expected().into())
        })?;
        if cells.balance.is_none() {
            entry.balance_after = NO_BALANCE;
            entry.hash = content_hash(
                cells.ts,
                &cells.kind,
                cells.description,
                cells.amount,
                NO_BALANCE,
                &cells.dims[..self.dims],
            );
        }
        Ok(entry)
    }
}

/// One row's cells read by the profile's roles.
struct Cells<'r> {
    /// Empty when the row has no ID (it is keyed by its values afterwards).
    id: &'r str,
    ts: i64,
    kind: String,
    description: &'r str,
    amount: i64,
    /// The column the amount came from, for a range error.
    amount_slot: usize,
    balance: Option<i64>,
    dims: [Option<&'r str>; MAX_DIMS],
}

impl<'r> Cells<'r> {
    fn read(p: &ProfileLayout, row: &Record<'r>) -> Result<Cells<'r>, ImportError> {
        let s = p.slots;
        let id = match s.id {
            Some(slot) => row.text(slot)?.trim(),
            None => "",
        };
        let time = row.text(s.time)?;
        let ts = p.time(time).ok_or_else(|| row.bad(s.time, time, p.date_expected()))?;
        let number = |slot: usize| -> Result<Option<i64>, ImportError> {
            let text = row.text(slot)?;
            if text.trim().is_empty() {
                return Ok(None);
            }
            p.units(text).map(Some).map_err(|e| row.bad(slot, text, e))
        };
        let (amount, amount_slot) = match (s.amount, s.debit, s.credit) {
            (Some(slot), _, _) => {
                let a = number(slot)?.ok_or_else(|| row.bad(slot, "", "a signed amount".into()))?;
                (a, slot)
            }
            (None, Some(debit), Some(credit)) => {
                let (d, c) = (number(debit)?.filter(|v| *v != 0), number(credit)?.filter(|v| *v != 0));
                match (d, c) {
                    (Some(d), None) => (-d.abs(), debit),
                    (None, Some(c)) => (c.abs(), credit),
                    (None, None) => (0, credit),
                    (Some(_), Some(_)) => return Err(row.bad(
                        credit,
                        row.text(credit)?,
                        "empty or 0 when the row's debit column holds an amount (a row is either a debit or a credit)"
                            .into(),
                    )),
                }
            }
            _ => unreachable!("a validated profile has an amount or a debit and a credit column"),
        };
        let balance = match s.balance {
            Some(slot) => number(slot)?,
            None => None,
        };
        let kind = match s.kind {
            Some(slot) => {
                let k = row.text(slot)?.split_whitespace().collect::<Vec<_>>().join("_").to_uppercase();
                if k.is_empty() {
                    default_kind(amount).into()
                } else {
                    k
                }
            }
            None => default_kind(amount).into(),
        };
        let description = match s.description {
            Some(slot) => row.text(slot)?.trim(),
            None => "",
        };
        let mut dims = [None; MAX_DIMS];
        for (i, d) in dims.iter_mut().enumerate().take(p.dims) {
            *d = Some(row.text(s.dims + i)?.trim()).filter(|t| !t.is_empty());
        }
        Ok(Cells { id, ts, kind, description, amount, amount_slot, balance, dims })
    }
}

/// The type of a row the profile gives no type column for.
fn default_kind(amount: i64) -> &'static str {
    if amount < 0 {
        "DEBIT"
    } else {
        "CREDIT"
    }
}

/// Reads `path` through `profile`: the CSV engine with the profile's columns, then IDs for
/// the rows without one.
pub fn read(
    path: &Path,
    profile: &Profile,
    progress: &mut dyn FnMut(u64, u64) -> ControlFlow<()>,
) -> Result<ParsedFile, ImportError> {
    let layout = ProfileLayout::new(profile)
        .map_err(|e| ImportError::UnknownFormat { path: path.to_path_buf(), reason: e.to_string() })?;
    let bytes = std::fs::metadata(path).map_err(|source| ImportError::Io { path: path.to_path_buf(), source })?.len();
    let mut file = csv::read_layout(path, bytes, progress, &layout)?;
    key_by_value(&mut file);
    Ok(file)
}

/// Gives each entry without an ID one from its values and its occurrence among the file's
/// identical rows: n identical rows are n entries, and the same file again adds none.
fn key_by_value(file: &mut ParsedFile) {
    let mut seen: rustc_hash::FxHashMap<i64, u32> = rustc_hash::FxHashMap::default();
    for e in file.entries.iter_mut().filter(|e| e.txn_id.is_empty()) {
        let n = seen.entry(e.hash).or_insert(0);
        *n += 1;
        e.txn_id = format!("row-{:012x}-{n}", (e.hash as u64) >> 16).into();
    }
}

/// Imports `files` read through `profile`, as `import` does for detected formats: every file
/// read and checked before one transaction stores them all.
pub fn import(
    store: &mut crate::store::Store,
    files: &[PathBuf],
    profile: &Profile,
    options: &super::ImportOptions,
    sink: &mut dyn super::ProgressSink,
) -> Result<crate::store::ImportSummary, ImportError> {
    if let ([path], Some(_)) = (files, &profile.id_column) {
        if let Some(mut summary) = import_streamed(store, path, profile, options, sink)? {
            summary.files.iter_mut().for_each(|f| f.path.clone_from(path));
            return Ok(summary);
        }
    }
    let mut parsed = Vec::with_capacity(files.len());
    let mut stored = Vec::with_capacity(files.len());
    let mut prints = Vec::with_capacity(files.len());
    for (index, path) in files.iter().enumerate() {
        if path == Path::new("-") {
            return Err(ImportError::UnknownFormat {
                path: path.clone(),
                reason: "a profile reads files, not standard input: save the input to a file first".into(),
            });
        }
        let mut report = |done, total| {
            sink.progress(&super::Progress {
                file: path,
                file_index: index,
                files: files.len(),
                bytes_done: done,
                bytes_total: total,
                stage: super::Stage::Reading,
            })
        };
        let mut file = read(path, profile, &mut report)?;
        // Recorded absolute, as `import` records files; the summary names them as given.
        file.path = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        stored.push(file.path.clone());
        prints.push(super::ingest::fingerprint(path).map_err(|source| ImportError::Io { path: path.clone(), source })?);
        parsed.push(file);
    }
    let mut summary = super::store_parsed(store, parsed, &prints, options, &mut || ControlFlow::Continue(()))?;
    for f in &mut summary.files {
        if let Some(i) = stored.iter().position(|s| *s == f.path) {
            f.path = files[i].clone();
        }
    }
    Ok(summary)
}

/// One large file read through a profile that names the transaction ID's column, stored
/// window by window as a detected format's is (`stream::import_csv`), when it can be; `None`:
/// read it whole. (Rows keyed by their values are numbered by their occurrence in the whole
/// file, which windows read apart cannot do.)
fn import_streamed(
    store: &mut crate::store::Store,
    path: &Path,
    profile: &Profile,
    options: &super::ImportOptions,
    sink: &mut dyn super::ProgressSink,
) -> Result<Option<crate::store::ImportSummary>, ImportError> {
    let io = |source| ImportError::Io { path: path.to_path_buf(), source };
    if path == Path::new("-") {
        return Ok(None);
    }
    let bytes = std::fs::metadata(path).map_err(io)?.len();
    let every = match options.window {
        Some(every) => every,
        None if bytes >= super::stream::STREAM_MIN_BYTES => super::stream::WINDOW_BYTES,
        None => return Ok(None),
    };
    let mut head = [0u8; 4096];
    let n = super::read_up_to(&mut std::fs::File::open(path).map_err(io)?, &mut head).map_err(io)?;
    if !matches!(super::encoding(path, &head[..n]), Ok(super::Encoding::Utf8)) {
        return Ok(None);
    }
    let Ok(layout) = ProfileLayout::new(profile) else { return Ok(None) };
    let recorded = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let csv = super::stream::WindowedCsv { path, name: path, bytes, every, layout: &layout, split_by: None };
    let mut print = || super::ingest::fingerprint(path).map_err(io);
    super::stream::import_csv(store, &csv, &recorded, options, sink, &mut print)
}

// ---- the app's preview ----

/// One cell of a preview: its text and what the profile reads in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewCell {
    pub column: String,
    pub role: String,
    pub text: String,
    /// What it reads as (`2026-03-01T08:00:00Z`, `-1234.56`), or `None` with `error`.
    pub value: Option<String>,
    pub error: Option<String>,
}

/// One row of a preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRow {
    pub line: u64,
    pub cells: Vec<PreviewCell>,
    /// The error that would refuse the import at this row (file:line:column and the fix).
    pub error: Option<String>,
}

/// The first rows of a file as a profile reads them, for the mapping builder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// The file's header as found.
    pub header: Vec<String>,
    pub rows: Vec<PreviewRow>,
    /// Why the file cannot be read at all with this profile (a missing column, a bad
    /// profile), if so.
    pub error: Option<String>,
}

/// The first `limit` rows (20 in the app) of `path`, each role's cell parsed by `profile`,
/// and each row's error where it would fail. Reads at most those rows.
pub fn preview(path: &Path, profile: &Profile, limit: usize) -> Preview {
    let header = header_of(path, profile.delimiter as u8).unwrap_or_default();
    let layout = match ProfileLayout::new(profile) {
        Ok(l) => l,
        Err(e) => return Preview { header, rows: Vec::new(), error: Some(e.to_string()) },
    };
    // Each row is read by the engine itself, alone after the header in a temporary file
    // (lines of one space before it, which the engine skips as blank, keep it on its own line
    // number), so the preview says exactly what an import would: each row's error with its
    // line and column.
    let head = match csv::head_lines(path, limit + 1) {
        Ok(h) if !h.is_empty() => h,
        Ok(_) => {
            return Preview { header, rows: Vec::new(), error: Some(format!("{}: the file is empty", path.display())) }
        }
        Err(e) => return Preview { header, rows: Vec::new(), error: Some(format!("{}: {e}", path.display())) },
    };
    let read = |text: &str| -> Result<ParsedFile, String> {
        let tmp = write_temp(text).map_err(|e| format!("cannot write a temporary file: {e}"))?;
        csv::read_layout(tmp.path(), text.len() as u64, &mut |_, _| ControlFlow::Continue(()), &layout)
            .map_err(|e| e.renamed(path).to_string())
    };
    let header_text = &head[0].1;
    if let Err(e) = read(header_text) {
        return Preview { header, rows: Vec::new(), error: Some(e) };
    }
    let header_lines = header_text.matches('\n').count() as u64;
    let rows = head[1..]
        .iter()
        .map(|(line, text)| {
            let mut one = header_text.clone();
            (header_lines + 1..*line).for_each(|_| one.push_str(" \n"));
            one.push_str(text);
            let fields = csv::split_row(text, profile.delimiter as u8);
            PreviewRow { line: *line, cells: cell_reads(&layout, &header, &fields), error: read(&one).err() }
        })
        .collect();
    Preview { header, rows, error: None }
}

fn write_temp(text: &str) -> std::io::Result<tempfile::NamedTempFile> {
    let mut tmp = tempfile::NamedTempFile::new()?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())?;
    Ok(tmp)
}

fn header_of(path: &Path, delimiter: u8) -> std::io::Result<Vec<String>> {
    Ok(csv::head_lines(path, 1)?.first().map(|(_, t)| csv::split_row(t, delimiter)).unwrap_or_default())
}

/// Each role's cell of a row and what it reads as.
fn cell_reads(p: &ProfileLayout, header: &[String], fields: &[String]) -> Vec<PreviewCell> {
    let s = p.slots;
    let mut roles: Vec<(&str, usize)> = vec![("time", s.time)];
    for (role, slot) in [
        ("id", s.id),
        ("amount", s.amount),
        ("debit", s.debit),
        ("credit", s.credit),
        ("balance", s.balance),
        ("type", s.kind),
        ("description", s.description),
    ] {
        if let Some(slot) = slot {
            roles.push((role, slot));
        }
    }
    for i in 0..p.dims {
        roles.push(("dimension", s.dims + i));
    }
    let key = |h: &str| h.trim().to_lowercase().replace(['_', '-'], " ");
    roles
        .into_iter()
        .map(|(role, slot)| {
            let column = p.columns[slot].name;
            let Some(i) = header.iter().position(|h| key(h) == key(column)) else {
                return PreviewCell {
                    column: column.into(),
                    role: role.into(),
                    text: String::new(),
                    value: None,
                    error: Some(format!("the header has no {column:?} column")),
                };
            };
            let text = fields.get(i).cloned().unwrap_or_default();
            let read: Result<String, String> = match role {
                "time" => p
                    .time(&text)
                    .and_then(chrono::DateTime::from_timestamp_micros)
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
                    .ok_or_else(|| format!("expected {}", p.date_expected())),
                "amount" | "debit" | "credit" | "balance" if text.trim().is_empty() => Ok(String::new()),
                "amount" | "debit" | "credit" | "balance" => {
                    p.units(&text).map(crate::money::format_units).map_err(|e| format!("expected {e}"))
                }
                _ => Ok(text.trim().to_string()),
            };
            let (value, error) = match read {
                Ok(v) => (Some(v), None),
                Err(e) => (None, Some(e)),
            };
            PreviewCell { column: column.into(), role: role.into(), text, value, error }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bank() -> Profile {
        Profile {
            delimiter: ';',
            decimal_separator: ',',
            thousands_separator: Some('.'),
            date_format: "DD.MM.YYYY".into(),
            time_zone: "+01:00".into(),
            id_column: None,
            time_column: "Date".into(),
            amount_column: None,
            debit_column: Some("Debit".into()),
            credit_column: Some("Credit".into()),
            balance_column: Some("Balance".into()),
            type_column: None,
            description_column: Some("Text".into()),
            dimension_columns: vec!["Cost centre".into()],
        }
    }

    #[test]
    fn numbers_read_exactly_with_the_profiles_separators() {
        let l = ProfileLayout::new(&bank()).unwrap();
        assert_eq!(l.units("1.234,56"), Ok(1_234_560_000));
        assert_eq!(l.units("-1.234.567,5"), Ok(-1_234_567_500_000));
        assert_eq!(l.units("12,000001"), Ok(12_000_001));
        assert_eq!(l.units("99,50-"), Ok(-99_500_000));
        assert_eq!(l.units("\u{2212}3"), Ok(-3_000_000));
        for bad in ["12.34", "1.23,4", "1,2,3", "1.2345,6", "1,1234567", "abc", "", "1..234"] {
            assert!(l.units(bad).is_err(), "{bad}");
        }
        let swiss =
            ProfileLayout::new(&Profile { decimal_separator: '.', thousands_separator: Some('\''), ..bank() }).unwrap();
        assert_eq!(swiss.units("1'234.5"), Ok(1_234_500_000));
        let french = ProfileLayout::new(&Profile { thousands_separator: Some(' '), ..bank() }).unwrap();
        assert_eq!(french.units("1\u{a0}234,5"), Ok(1_234_500_000));
        assert_eq!(french.units("1 234 567,5"), Ok(1_234_567_500_000));
    }

    #[test]
    fn times_read_by_the_pattern_in_the_zone() {
        let p = Profile { date_format: "DD.MM.YYYY HH:mm".into(), ..bank() };
        let l = ProfileLayout::new(&p).unwrap();
        let utc = chrono::DateTime::parse_from_rfc3339("2026-03-01T07:30:00Z").unwrap().timestamp_micros();
        assert_eq!(l.time("01.03.2026 08:30"), Some(utc));
        assert_eq!(l.time("1.3.2026 08:30"), Some(utc));
        for bad in ["2026-03-01 08:30", "31.02.2026 08:30", "01.03.2026", "01.03.26 08:30", "01.03.2026 08:30x"] {
            assert_eq!(l.time(bad), None, "{bad}");
        }
        assert!(pattern("DD.MM.YY").is_err());
        assert!(pattern("YYYY-MM-DDTHH:mm").is_err(), "T is a letter");
        assert_eq!(time_zone("UTC").unwrap().local_minus_utc(), 0);
        assert_eq!(time_zone("-05:30").unwrap().local_minus_utc(), -19_800);
        assert!(time_zone("Europe/Berlin").is_err() && time_zone("+15:00").is_err());
    }

    #[test]
    fn names_stay_inside_the_profiles_directory() {
        for bad in ["", "../x", "a/b", ".hidden", "a\\b", "..", "x y", &"a".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        for good in ["bank-de", "stripe_export", "v1.2"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn a_profile_round_trips_through_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = bank();
        save_in(dir.path(), "bank", &p).unwrap();
        assert_eq!(load_in(dir.path(), "bank").unwrap(), p);
        assert_eq!(list_in(dir.path()).unwrap(), vec!["bank".to_string()]);
        delete_in(dir.path(), "bank").unwrap();
        assert!(matches!(load_in(dir.path(), "bank"), Err(ProfileError::NotFound { .. })));
        let both = Profile { amount_column: Some("Amount".into()), ..bank() };
        assert!(both.validate().is_err());
    }
}
