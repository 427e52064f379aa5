//! `reckon profile save|list|show|delete` (FORMATS.md section 7): saved mapping profiles, plain
//! TOML files in the user's config directory; `reckon import --profile NAME` reads with one.

use std::process::ExitCode;

use anyhow::Result;

use reckon::escape::terminal;
use reckon::import::profile::{self, Profile};

#[derive(clap::Args)]
pub(super) struct Args {
    #[command(subcommand)]
    command: ProfileCommand,
}

#[derive(clap::Subcommand)]
enum ProfileCommand {
    /// Save a mapping profile by name (replacing one of that name).
    Save(Box<SaveArgs>),
    /// List the saved profiles.
    List,
    /// Print a saved profile's file.
    Show { name: String },
    /// Delete a saved profile.
    Delete { name: String },
}

#[derive(clap::Args)]
struct SaveArgs {
    /// Letters, digits, '-', '_' or '.' (bank-de).
    name: String,
    /// The field delimiter: ; , | or tab.
    #[arg(long, value_parser = delimiter)]
    delimiter: char,
    /// , or .
    #[arg(long, value_parser = one_char)]
    decimal_separator: char,
    /// . , ' or space (none when numbers are not grouped).
    #[arg(long, value_parser = thousands)]
    thousands_separator: Option<char>,
    /// DD.MM.YYYY-style pattern: YYYY, MM, DD, HH, mm, ss, anything else literal.
    #[arg(long)]
    date_format: String,
    /// UTC or a fixed offset (+02:00) the times are written in.
    #[arg(long, default_value = "UTC", allow_hyphen_values = true)]
    time_zone: String,
    /// The transaction ID's column; rows without one are keyed by their values.
    #[arg(long)]
    id_column: Option<String>,
    #[arg(long)]
    time_column: String,
    /// A signed amount (or --debit-column and --credit-column).
    #[arg(long, conflicts_with_all = ["debit_column", "credit_column"], required_unless_present_all = ["debit_column", "credit_column"])]
    amount_column: Option<String>,
    #[arg(long, requires = "credit_column")]
    debit_column: Option<String>,
    #[arg(long, requires = "debit_column")]
    credit_column: Option<String>,
    /// The balance after the row (else the entries state none: reconcile them with anchors).
    #[arg(long)]
    balance_column: Option<String>,
    #[arg(long)]
    type_column: Option<String>,
    #[arg(long)]
    description_column: Option<String>,
    /// An extra label dimension (repeat; at most 4).
    #[arg(long)]
    dimension_column: Vec<String>,
}

fn one_char(text: &str) -> Result<char, String> {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(c),
        _ => Err("expected one character".into()),
    }
}

fn delimiter(text: &str) -> Result<char, String> {
    match text {
        "tab" | "\\t" | "TAB" => Ok('\t'),
        t => one_char(t),
    }
}

fn thousands(text: &str) -> Result<char, String> {
    match text {
        "space" => Ok(' '),
        t => one_char(t),
    }
}

pub(super) fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        ProfileCommand::Save(a) => {
            let a = *a;
            let p = Profile {
                delimiter: a.delimiter,
                decimal_separator: a.decimal_separator,
                thousands_separator: a.thousands_separator,
                date_format: a.date_format,
                time_zone: a.time_zone,
                id_column: a.id_column,
                time_column: a.time_column,
                amount_column: a.amount_column,
                debit_column: a.debit_column,
                credit_column: a.credit_column,
                balance_column: a.balance_column,
                type_column: a.type_column,
                description_column: a.description_column,
                dimension_columns: a.dimension_column,
            };
            let path = profile::save(&a.name, &p)?;
            out!("saved profile {} to {}", terminal(&a.name), terminal(&path.display().to_string()));
        }
        ProfileCommand::List => {
            for name in profile::list()? {
                out!("{name}");
            }
        }
        ProfileCommand::Show { name } => {
            let p = profile::load(&name)?;
            for line in p.to_toml().lines() {
                out!("{}", terminal(line));
            }
        }
        ProfileCommand::Delete { name } => {
            profile::delete(&name)?;
            out!("deleted profile {}", terminal(&name));
        }
    }
    Ok(ExitCode::SUCCESS)
}
