//! `reckon-scale`: `reckon check` over a Parquet export, on DataFusion (embedded, within a
//! memory pool) or on a Ballista cluster; `scheduler` and `executor` run that cluster's
//! processes with Reckon's aggregate registered.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use ballista::prelude::SessionContextExt;
use ballista_executor::executor_process::{start_executor_process, ExecutorProcessConfig};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use clap::{Parser, Subcommand, ValueEnum};
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use reckon_scale::{check, embedded, is_memory_error, parse_size, ScaleError};

#[derive(Parser)]
#[command(
    name = "reckon-scale",
    version,
    about = "Reckon's check over a Parquet export, on DataFusion or a Ballista cluster"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check every ledger of an export (reckon export --parquet DIR); prints what reckon check
    /// prints. Exit 1 when an open finding is an error, 2 when it could not run.
    Check {
        /// The export's folder.
        dir: PathBuf,
        /// The memory pool of an embedded run (512MiB, 2G); without it, unbounded.
        #[arg(long, value_parser = parse_size)]
        memory_limit: Option<usize>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Run on this Ballista scheduler (df://HOST:PORT) instead of embedded.
        #[arg(long)]
        scheduler: Option<String>,
    },
    /// A Ballista scheduler that knows Reckon's aggregate.
    Scheduler {
        #[arg(long, default_value = "0.0.0.0")]
        bind_host: String,
        /// The host executors and clients reach it by.
        #[arg(long, default_value = "localhost")]
        external_host: String,
        #[arg(long, default_value_t = 50050)]
        port: u16,
    },
    /// A Ballista executor that runs Reckon's aggregate.
    Executor {
        #[arg(long, default_value = "localhost")]
        scheduler_host: String,
        #[arg(long, default_value_t = 50050)]
        scheduler_port: u16,
        #[arg(long, default_value = "0.0.0.0")]
        bind_host: String,
        /// The host the scheduler and other executors reach it by.
        #[arg(long)]
        external_host: Option<String>,
        #[arg(long, default_value_t = 50051)]
        port: u16,
        #[arg(long, default_value_t = 50052)]
        grpc_port: u16,
        /// Task slots (default: the CPUs).
        #[arg(long)]
        concurrent_tasks: Option<usize>,
        /// Its memory pool, shared by its tasks (512MiB, 2G).
        #[arg(long, value_parser = parse_size)]
        memory_limit: Option<usize>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return fail(&format!("cannot start the runtime: {e}")),
    };
    match cli.command {
        Command::Check { dir, memory_limit, format, scheduler } => {
            runtime.block_on(run_check(dir, memory_limit, format, scheduler))
        }
        Command::Scheduler { bind_host, external_host, port } => {
            match runtime.block_on(run_scheduler(bind_host, external_host, port)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&e),
            }
        }
        Command::Executor {
            scheduler_host,
            scheduler_port,
            bind_host,
            external_host,
            port,
            grpc_port,
            concurrent_tasks,
            memory_limit,
        } => {
            let config = ExecutorProcessConfig {
                scheduler_host,
                scheduler_port,
                bind_host,
                external_host,
                port,
                grpc_port,
                vcores: concurrent_tasks.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
                memory_pool_size: memory_limit.map(|m| m as u64),
                override_function_registry: Some(Arc::new((&reckon_scale::ballista_state()).into())),
                ..ExecutorProcessConfig::default()
            };
            match runtime.block_on(start_executor_process(Arc::new(config))) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&e.to_string()),
            }
        }
    }
}

fn fail(message: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr().lock(), "reckon-scale: {message}");
    ExitCode::from(2)
}

async fn run_scheduler(bind_host: String, external_host: String, port: u16) -> Result<(), String> {
    let session_builder = Arc::new(|config: SessionConfig| {
        Ok(SessionStateBuilder::new()
            .with_default_features()
            .with_config(reckon_scale::session_config(config))
            .with_aggregate_functions(vec![Arc::new(reckon_scale::reckon_check())])
            .build())
    });
    let config =
        SchedulerConfig { bind_host: bind_host.clone(), bind_port: port, external_host, ..SchedulerConfig::default() }
            .with_override_session_builder(session_builder);
    let address = format!("{bind_host}:{port}").parse().map_err(|e| format!("{bind_host}:{port}: {e}"))?;
    let cluster = BallistaCluster::new_from_config(&config).await.map_err(|e| e.to_string())?;
    start_server(cluster, address, Arc::new(config)).await.map_err(|e| e.to_string())
}

async fn run_check(dir: PathBuf, memory_limit: Option<usize>, format: Format, scheduler: Option<String>) -> ExitCode {
    let ctx = match &scheduler {
        None => embedded(memory_limit),
        Some(url) => {
            SessionContext::remote_with_state(url, reckon_scale::ballista_state()).await.map_err(ScaleError::from)
        }
    };
    let result = match ctx {
        Ok(ctx) => check(&ctx, &dir, memory_limit.is_some() || scheduler.is_some()).await,
        Err(e) => Err(e),
    };
    let report = match result {
        Ok(report) => report,
        Err(ScaleError::Engine(e)) if is_memory_error(&e) => {
            let limit = memory_limit.map_or("(none)".to_string(), |m| format!("{m} bytes"));
            return fail(&ScaleError::Memory { limit, detail: e.find_root().to_string() }.to_string());
        }
        Err(e) => return fail(&e.to_string()),
    };
    if std::env::var_os("RECKON_TRACE").is_some() {
        let _ = writeln!(
            std::io::stderr().lock(),
            "reckon-scale: largest reckon_check accumulator {} bytes (embedded runs; executors keep their own)",
            reckon_scale::udaf::largest_accumulator()
        );
    }
    let mut out = std::io::stdout().lock();
    let written = match format {
        Format::Json => writeln!(out, "{}", reckon::check_output::json(&report, false)),
        Format::Text => reckon::check_output::text(&report, false, &mut out),
    };
    if let Err(e) = written {
        return fail(&format!("cannot write the report: {e}"));
    }
    if report.open_errors() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
