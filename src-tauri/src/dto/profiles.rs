//! The mapping builder's types: a profile as the UI edits it (every separator a one-character
//! string), and the preview of a file's first rows read with it.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use reckon::import::profile::{Preview, Profile, ProfileError};

use super::AppError;

/// A mapping profile (FORMATS.md section 7): separators as one-character strings (`"\t"` for
/// tab, `" "` for a space), columns by their header names; optional roles `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProfileView {
    pub delimiter: String,
    pub decimal_separator: String,
    pub thousands_separator: Option<String>,
    /// `DD.MM.YYYY HH:mm`-style.
    pub date_format: String,
    /// `UTC` or a fixed offset (`+02:00`).
    pub time_zone: String,
    pub id_column: Option<String>,
    pub time_column: String,
    pub amount_column: Option<String>,
    pub debit_column: Option<String>,
    pub credit_column: Option<String>,
    pub balance_column: Option<String>,
    pub type_column: Option<String>,
    pub description_column: Option<String>,
    pub dimension_columns: Vec<String>,
}

/// One role's cell of a previewed row: its text and what it reads as, or why it cannot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PreviewCellView {
    pub column: String,
    /// `time`, `id`, `amount`, `debit`, `credit`, `balance`, `type`, `description`, `dimension`.
    pub role: String,
    pub text: String,
    pub value: Option<String>,
    pub error: Option<String>,
}

/// One previewed row, with the error that would refuse the import at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PreviewRowView {
    pub line: u64,
    pub cells: Vec<PreviewCellView>,
    pub error: Option<String>,
}

/// A file's first rows as a profile reads them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PreviewView {
    pub header: Vec<String>,
    pub rows: Vec<PreviewRowView>,
    /// Why the file cannot be read with this profile at all (a missing column).
    pub error: Option<String>,
}

fn one_char(what: &str, text: &str) -> Result<char, AppError> {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(c),
        _ => Err(AppError::bad_input(format!("the {what} {text:?} must be one character"))),
    }
}

fn named(column: Option<String>) -> Option<String> {
    column.map(|c| c.trim().to_string()).filter(|c| !c.is_empty())
}

impl TryFrom<ProfileView> for Profile {
    type Error = AppError;

    /// The profile, checked (separators, date pattern, zone, roles).
    fn try_from(v: ProfileView) -> Result<Profile, AppError> {
        let profile = unchecked_profile(v)?;
        profile.validate()?;
        Ok(profile)
    }
}

/// The profile as the builder holds it, perhaps not complete yet: a preview of it still shows
/// the file's header, and says what is missing.
pub fn unchecked_profile(v: ProfileView) -> Result<Profile, AppError> {
    {
        Ok(Profile {
            delimiter: one_char("delimiter", &v.delimiter)?,
            decimal_separator: one_char("decimal separator", &v.decimal_separator)?,
            thousands_separator: match v.thousands_separator.filter(|t| !t.is_empty()) {
                Some(t) => Some(one_char("thousands separator", &t)?),
                None => None,
            },
            date_format: v.date_format,
            time_zone: v.time_zone,
            id_column: named(v.id_column),
            time_column: v.time_column.trim().to_string(),
            amount_column: named(v.amount_column),
            debit_column: named(v.debit_column),
            credit_column: named(v.credit_column),
            balance_column: named(v.balance_column),
            type_column: named(v.type_column),
            description_column: named(v.description_column),
            dimension_columns: v.dimension_columns.into_iter().filter_map(|d| named(Some(d))).collect(),
        })
    }
}

impl From<&Profile> for ProfileView {
    fn from(p: &Profile) -> ProfileView {
        ProfileView {
            delimiter: p.delimiter.to_string(),
            decimal_separator: p.decimal_separator.to_string(),
            thousands_separator: p.thousands_separator.map(|c| c.to_string()),
            date_format: p.date_format.clone(),
            time_zone: p.time_zone.clone(),
            id_column: p.id_column.clone(),
            time_column: p.time_column.clone(),
            amount_column: p.amount_column.clone(),
            debit_column: p.debit_column.clone(),
            credit_column: p.credit_column.clone(),
            balance_column: p.balance_column.clone(),
            type_column: p.type_column.clone(),
            description_column: p.description_column.clone(),
            dimension_columns: p.dimension_columns.clone(),
        }
    }
}

impl From<Preview> for PreviewView {
    fn from(p: Preview) -> PreviewView {
        PreviewView {
            header: p.header,
            rows: p
                .rows
                .into_iter()
                .map(|r| PreviewRowView {
                    line: r.line,
                    cells: r
                        .cells
                        .into_iter()
                        .map(|c| PreviewCellView {
                            column: c.column,
                            role: c.role,
                            text: c.text,
                            value: c.value,
                            error: c.error,
                        })
                        .collect(),
                    error: r.error,
                })
                .collect(),
            error: p.error,
        }
    }
}

impl From<ProfileError> for AppError {
    fn from(e: ProfileError) -> AppError {
        match e {
            ProfileError::NotFound { .. } => AppError::not_found(e.to_string()),
            ProfileError::Io { .. } | ProfileError::NoConfigDir => AppError::internal(e.to_string()),
            ProfileError::Invalid(_) | ProfileError::Damaged { .. } => AppError::bad_input(e.to_string()),
        }
    }
}
