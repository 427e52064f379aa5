//! `reckon-scale`: Reckon's check over a Parquet export (`reckon export --parquet DIR`) on
//! Apache DataFusion, embedded with a memory pool or on an Apache Ballista cluster. The check
//! of each chain is the engine's (`reckon::check::check_chain`), run by the aggregate
//! `reckon_check` (`udaf.rs`) grouped by account and currency; the report is printed by the
//! engine's `reckon::check_output`, so it is the bytes `reckon check` prints.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::error::DataFusionError;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::execution::SessionStateBuilder;
use datafusion::logical_expr::AggregateUDF;
use datafusion::prelude::{col, lit, ParquetReadOptions, SessionConfig, SessionContext};
use reckon::check::{CheckReport, CheckedFinding};
use reckon::model::{Candidate, ChainKey, Dimension, Finding, FindingKind, Note, Reading};
use reckon::reconcile::PendingBalance;
use reckon::store::ChainInfo;

pub mod udaf;

pub use udaf::ReckonCheck;

/// Why `reckon-scale` could not check.
#[derive(Debug, thiserror::Error)]
pub enum ScaleError {
    /// The folder is not an export.
    #[error("{0} is not a folder written by reckon export --parquet (no notes.json in it)")]
    NotAnExport(String),
    /// The memory pool is too small for the largest chain (or the query's buffers).
    #[error(
        "the memory limit {limit} is too small: {detail}\nraise --memory-limit (the largest ledger's entries are held at once, about 100 bytes each)"
    )]
    Memory { limit: String, detail: String },
    /// DataFusion or Ballista failed.
    #[error("{0}")]
    Engine(#[from] DataFusionError),
    /// The aggregate's result did not read.
    #[error("a ledger's result does not read: {0}")]
    Result(String),
}

/// The aggregate, ready to register.
pub fn reckon_check() -> AggregateUDF {
    AggregateUDF::from(ReckonCheck::default())
}

/// The session settings every run uses: an export's folders are read recursively.
pub fn session_config(config: SessionConfig) -> SessionConfig {
    config.set_bool("datafusion.execution.listing_table_ignore_subdirectory", false)
}

/// The session state of a Ballista process or client: Ballista's settings, `reckon_check`
/// registered, an export's folders read recursively.
pub fn ballista_state() -> datafusion::execution::SessionState {
    use ballista::prelude::SessionConfigExt;
    SessionStateBuilder::new()
        .with_default_features()
        .with_config(session_config(SessionConfig::new_with_ballista()))
        .with_aggregate_functions(vec![Arc::new(reckon_check())])
        .build()
}

/// An embedded session with `reckon_check` registered and, when given, a memory pool of
/// `memory_limit` bytes (spilling to the OS's temporary folder).
pub fn embedded(memory_limit: Option<usize>) -> Result<SessionContext, ScaleError> {
    let mut runtime = RuntimeEnvBuilder::new();
    let mut config = session_config(SessionConfig::new());
    if let Some(limit) = memory_limit {
        runtime = runtime.with_memory_pool(Arc::new(FairSpillPool::new(limit)));
        // One partition, small batches: the pool is not split between partitions' sorts, and a
        // sorted run spilled or merged holds little at once (100,000 ledgers of 100 entries
        // within 512 MiB; with two partitions and 8,192-row batches a sort asked for 220 MB at
        // once and the check stopped).
        config = config.with_target_partitions(1).with_batch_size(1024);
    }
    let state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(config)
        .with_runtime_env(runtime.build_arc()?)
        .with_aggregate_functions(vec![Arc::new(reckon_check())])
        .build();
    Ok(SessionContext::new_with_state(state))
}

/// Checks every chain of the export in `dir` on `ctx` (embedded or remote): one row per chain
/// from `reckon_check`, put back together as `reckon check` reports them (ordered by account,
/// then currency). `sorted`: the entries sorted by account and currency first, so that each
/// ledger's group is complete when the next begins and the aggregate hands it on then
/// (DataFusion's sorted mode) instead of holding every ledger's entries to the end, the sort
/// spilling within the pool; for a memory limit or a cluster's executors. Where nothing bounds
/// memory the sort is only cost (one chain of 1M entries: 1.26 s at 618-633 MiB sorted,
/// 1.09-1.26 s at 394-439 MiB not).
pub async fn check(ctx: &SessionContext, dir: &Path, sorted: bool) -> Result<CheckReport, ScaleError> {
    if !dir.join("notes.json").is_file() {
        return Err(ScaleError::NotAnExport(dir.display().to_string()));
    }
    let dir = std::path::absolute(dir).map_err(|e| ScaleError::NotAnExport(format!("{}: {e}", dir.display())))?;
    let url = format!("{}/", dir.display());
    let entries = ctx.read_parquet(url.as_str(), ParquetReadOptions::default()).await?;
    let mut args = vec![lit(dir.display().to_string())];
    args.extend(
        [
            "account",
            "currency",
            "seq",
            "entry_id",
            "ts",
            "txn_id",
            "type",
            "description",
            "amount",
            "balance_after",
            "label1",
            "label2",
            "label3",
            "label4",
        ]
        .into_iter()
        .map(col),
    );
    let entries = if sorted {
        entries.sort(vec![col("account").sort(true, false), col("currency").sort(true, false)])?
    } else {
        entries
    };
    let checked = entries
        .aggregate(vec![col("account"), col("currency")], vec![reckon_check().call(args).alias("result")])?
        .select(vec![col("result")])?;
    let batches = checked.collect().await?;
    let mut results = Vec::new();
    for batch in &batches {
        let column = cast(batch.column(0), &DataType::Utf8).map_err(DataFusionError::from)?;
        let strings = column.as_string::<i32>();
        for i in 0..strings.len() {
            if strings.is_valid(i) {
                let result: udaf::ChainResult =
                    serde_json::from_str(strings.value(i)).map_err(|e| ScaleError::Result(e.to_string()))?;
                results.push(result);
            }
        }
    }
    // As the store lists chains: by account, then currency (bytewise, as SQLite compares).
    results.sort_by(|a, b| {
        (a.account.as_bytes(), a.currency.as_bytes()).cmp(&(b.account.as_bytes(), b.currency.as_bytes()))
    });
    let mut report = CheckReport::default();
    for r in results {
        let chain = ChainInfo {
            id: r.id,
            key: ChainKey::new(&r.account, &r.currency),
            source: r.source,
            dimensions: r.dimensions.iter().map(|(k, t)| Dimension::new(k, t)).collect(),
            entries: r.entries,
            first_ts: r.first_ts,
            last_ts: r.last_ts,
            ledger_balance: r.ledger_balance,
            stated_balance: r.stated_balance,
            opening_balance: r.opening_balance,
            last_sync: None,
        };
        if let Some((balance, available)) = r.pending {
            report
                .pending
                .insert(r.id, PendingBalance { balance, available, steps: Vec::new(), unsettled: Vec::new() });
        }
        if let Some(rebuilt) = r.rebuilt {
            report.rebuilt.insert(r.id, rebuilt);
        }
        for f in r.findings {
            report.findings.push(finding(&chain.key, f)?);
        }
        report.chains.push(chain);
    }
    Ok(report)
}

fn finding(chain: &ChainKey, f: udaf::FindingResult) -> Result<CheckedFinding, ScaleError> {
    let kind = FindingKind::from_name(&f.kind).ok_or_else(|| ScaleError::Result(format!("unknown kind {}", f.kind)))?;
    let candidates = f
        .candidates
        .into_iter()
        .map(|(reading, transaction_ids, amount)| {
            let reading = match reading.as_str() {
                "missing" => Reading::Missing,
                "not_applied" => Reading::NotApplied,
                other => return Err(ScaleError::Result(format!("unknown candidate reading {other}"))),
            };
            Ok(Candidate { reading, transaction_ids, amount })
        })
        .collect::<Result<_, _>>()?;
    Ok(CheckedFinding {
        chain_id: f.chain_id,
        finding: Finding {
            id: f.id,
            kind,
            chain: chain.clone(),
            transaction_ids: f.transaction_ids,
            row_ids: f.row_ids,
            delta: f.delta,
            message: f.message,
            ts: f.ts,
            candidates,
        },
        note: f.note.map(|(note, explained_at)| Note { note, explained_at }),
    })
}

/// A size such as `512MiB`, `2G`, `64k` or `1000000` (bytes), as `--memory-limit` takes it.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let number: usize = digits.parse().map_err(|_| format!("expected a size such as 512MiB or 2G, got {text:?}"))?;
    let factor: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("unknown unit {unit:?} in {text:?}; use B, KiB, MiB or GiB")),
    };
    number.checked_mul(factor).ok_or_else(|| format!("{text:?} is too large"))
}

/// Whether `e` is DataFusion saying the memory pool is exhausted.
pub fn is_memory_error(e: &DataFusionError) -> bool {
    matches!(e.find_root(), DataFusionError::ResourcesExhausted(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_with_their_units() {
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("64k"), Ok(64 << 10));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("MiB").is_err());
    }
}
