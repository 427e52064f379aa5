//! `reckon import`: files in, counts out, with a progress bar on a terminal.

use std::io::IsTerminal;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use chrono::Utc;

use super::ChainArgs;
use reckon::escape::terminal;
use reckon::import::{self, ImportOptions, Progress, ProgressSink, Reader, Stage};
use reckon::model::{format_ts, ChainKey};
use reckon::money;
use reckon::store::Store;

#[derive(clap::Args)]
pub(super) struct Args {
    /// Files to import; `-` reads standard input.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Force a format instead of detecting it (reverie-csv, reverie-json).
    #[arg(long, value_parser = reader, conflicts_with = "profile")]
    format: Option<&'static Reader>,
    /// Read the files with a saved mapping profile (`reckon profile save NAME ...`).
    #[arg(long)]
    profile: Option<String>,
    #[command(flatten)]
    chain: ChainArgs,
}

fn reader(name: &str) -> Result<&'static Reader, String> {
    import::reader(name).ok_or_else(|| format!("expected one of {}", import::reader_names()))
}

pub(super) fn run(store: &mut Store, args: Args) -> Result<ExitCode> {
    let mut options = ImportOptions::new(Utc::now());
    options.chain = ChainKey::new(args.chain.account, args.chain.currency);
    options.format = args.format;
    let mut bar = Bar::new();
    let summary = match &args.profile {
        Some(name) => {
            let profile = import::profile::load(name)?;
            import::profile::import(store, &args.files, &profile, &options, &mut bar)
        }
        None => import::import(store, &args.files, &options, &mut bar),
    };
    bar.finish();
    let summary = summary?;
    for f in &summary.files {
        out!(
            "{}: {} entries ({}): {} new, {} already known, {} conflicting",
            f.path.display(),
            f.entries,
            f.format,
            f.new,
            f.known,
            f.conflicting
        );
    }
    if summary.files.len() > 1 {
        out!(
            "total: {} new, {} already known, {} conflicting",
            summary.new_entries(),
            summary.known_entries(),
            summary.conflicting_entries()
        );
    }
    for a in &summary.anchors {
        let (account, currency) = (terminal(&a.chain.account), terminal(&a.chain.currency));
        let what = if a.added { "kept as an anchor" } else { "an anchor already" };
        out!("stated balance of {account}/{currency}: {} at {}, {what}", money::format(a.balance), format_ts(a.ts));
    }
    Ok(ExitCode::SUCCESS)
}

/// A progress bar on standard error, drawn only when it is a terminal.
struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    fn new() -> Bar {
        if !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{msg:30} [{bar:40}] {bytes}/{total_bytes} {eta}")
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        Bar(Some(bar))
    }

    fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

impl ProgressSink for Bar {
    fn progress(&mut self, p: &Progress<'_>) -> ControlFlow<()> {
        if let Some(b) = &self.0 {
            b.set_length(p.bytes_total);
            b.set_position(p.bytes_done);
            let name = p.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            b.set_message(match p.stage {
                Stage::Reading => format!("reading {name}"),
                Stage::Storing => "storing".to_string(),
                Stage::Done => "done".to_string(),
            });
        }
        ControlFlow::Continue(())
    }
}
