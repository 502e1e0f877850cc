//! `easypay-bench`: load and crash tests for the easypay gateway.
//!
//! - `run`: a scenario mix (create QR orders, approve them in the sandbox wallet, find them,
//!   charge billing keys, cancel in part) against a gateway it starts (SQLite or PostgreSQL, one
//!   or several processes) or a running one, beside a bare HTTP + JSON echo measured the same way:
//!   throughput, p50/p95/p99/max and errors by `resCd` per endpoint, each also as a ratio to the
//!   echo's.
//! - `crash`: the same kind of load while the gateway is killed with SIGKILL and restarted, then a
//!   reconciliation of every answer, database row and notification.
//!
//! See docs/performance.md.

mod bodies;
mod cards;
mod cpu;
mod crash;
mod echo;
mod gateway;
mod ids;
mod load;
mod receiver;
mod report;
mod run;
mod stats;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "easypay-bench",
    version,
    about = "Load, echo ceiling, scale-out and crash reconcile for the easypay gateway"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Measure a scenario mix against the gateway and a bare JSON echo (the ceiling).
    Run(run::RunArgs),
    /// The runs docs/performance.md reports (SQLite and PostgreSQL, create alone and the mix, one
    /// and two processes, half-rate latency), as tables, JSON and Markdown.
    Suite(run::SuiteArgs),
    /// kill -9 the gateway under load, retry with the same keys, reconcile; non-zero on any loss.
    Crash(crash::CrashArgs),
    /// The echo ceiling's server (started by `run` in its own process).
    #[command(hide = true)]
    EchoServer {
        #[arg(long, default_value = "127.0.0.1:0")]
        addr: SocketAddr,
    },
}

/// Durations as the gateway takes them: `500ms`, `10s`, `2m`.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    easypay_gateway::cli::parse_duration(raw)
}

fn main() -> ExitCode {
    if std::env::var_os(gateway::AS_GATEWAY_ENV).is_some() {
        // Started by `--gateway-bin self`: this process is `easypay`.
        return easypay_gateway::cli::main();
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => run::run(args).await.map(|()| true),
            Command::Suite(args) => run::suite(args).await.map(|()| true),
            Command::Crash(args) => crash::run(args).await,
            Command::EchoServer { addr } => echo::serve(addr).await.map(|()| true),
        }
    });
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
