//! The `easypay` command line: `serve` and `merchant …`.

mod duration;
mod merchant;
mod notifications;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use duration::parse as parse_duration;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://easypay.db";

#[derive(Parser)]
#[command(
    name = "easypay",
    version,
    about = "A self-hostable KICC EasyPay gateway"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API, the hosted pages and (in sandbox mode) the control plane.
    Serve(serve::ServeArgs),
    /// Add, list, show, activate or deactivate merchants.
    #[command(subcommand)]
    Merchant(merchant::MerchantCommand),
    /// List, show and resend notifications to merchants.
    #[command(subcommand)]
    Notifications(notifications::NotificationsCommand),
}

#[derive(clap::Args, Clone)]
pub struct DatabaseArg {
    /// sqlite://FILE (created if missing) or postgres://USER@HOST/DB.
    #[arg(long, env = "EASYPAY_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Merchant(command) => merchant::run(command).await,
            Command::Notifications(command) => notifications::run(command).await,
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
