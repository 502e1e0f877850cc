//! The `easypay` command line: `serve`, `config`, `merchant …`, `notifications …`, `card-key …`.

mod card_key;
mod duration;
pub mod layered;
mod merchant;
mod notifications;
mod progress;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::observe::logging::{self, LogFormat};

pub use duration::parse as parse_duration;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://easypay.db";

#[derive(Parser)]
#[command(
    name = "easypay",
    version,
    about = "A self-hostable KICC EasyPay gateway"
)]
pub struct Cli {
    /// A TOML file of settings (keys are the flag names, e.g. addr, database-url); environment
    /// variables and flags override it.
    #[arg(long, global = true, env = "EASYPAY_CONFIG")]
    config: Option<std::path::PathBuf>,
    /// Log output: text (for people) or json (one object per line).
    #[arg(
        long,
        global = true,
        env = "EASYPAY_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    log_format: LogFormat,
    /// Log filter, e.g. info, debug, info,sqlx=warn (default: RUST_LOG, else info).
    #[arg(long, global = true, env = "EASYPAY_LOG_LEVEL")]
    log_level: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API, the hosted pages and (in sandbox mode) the control plane.
    Serve(serve::ServeArgs),
    /// Print the effective configuration of `serve` (defaults < config file < environment <
    /// flags), secrets masked, as TOML.
    Config(serve::ServeArgs),
    /// Add, list, show, update, activate or deactivate merchants.
    Merchant(merchant::MerchantArgs),
    /// List, show and resend notifications to merchants.
    Notifications(notifications::NotificationsArgs),
    /// Rotate the key that seals card data at rest.
    CardKey(card_key::CardKeyArgs),
}

#[derive(clap::Args, Clone)]
pub struct DatabaseArg {
    /// sqlite://FILE or postgres://USER@HOST/DB. `serve` creates a missing SQLite file; the
    /// `merchant` and `notifications` commands refuse one (a mistyped path is an error).
    // Global: `easypay merchant --database-url … add …` and `… add … --database-url …` both work.
    #[arg(
        long,
        global = true,
        env = "EASYPAY_DATABASE_URL",
        default_value = DEFAULT_DATABASE_URL
    )]
    pub database_url: String,
}

pub fn main() -> ExitCode {
    let layered = match layered::parse::<Cli>(std::env::args_os().collect()) {
        Ok(layered) => layered,
        Err(error) => {
            eprintln!("error: {error:#}");
            return ExitCode::from(2);
        }
    };
    if let Command::Config(args) = &layered.cli.command {
        print!("{}", layered::describe(&layered));
        // The same checks `serve` makes before it starts: its settings, then where the card key
        // comes from (an existing key file must hold a key, a new one must have a directory to go
        // in; nothing is created here).
        let config = args.clone().config();
        let checked = config.validate().and_then(|()| {
            crate::vault::KeySource::find(
                config.card_key.as_deref(),
                config.card_key_file.as_deref(),
                &config.database_url,
            )
            .map(drop)
        });
        return match checked {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {}", with_causes(&error));
                ExitCode::FAILURE
            }
        };
    }
    let cli = layered.cli;
    if !matches!(cli.command, Command::Serve(_)) {
        end_quietly_when_stdout_closes();
    }
    logging::init(cli.log_format, cli.log_level.as_deref());
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
            Command::Config(_) => Ok(()),
            Command::Merchant(command) => merchant::run(command).await,
            Command::Notifications(command) => notifications::run(command).await,
            Command::CardKey(command) => card_key::run(command).await,
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", with_causes(&error));
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes, `: `-joined, leaving out a cause its error already said (sqlx writes
/// its cause into its own text: "error communicating with database: Connection refused").
fn with_causes(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let said = cause.to_string();
        if text.contains(&said) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&said);
    }
    text
}

/// `easypay merchant list | head -3`: once the reader is gone the command ends (killed by SIGPIPE,
/// exit status 141, as a Unix tool is) instead of panicking on the next line it prints. Rust
/// ignores SIGPIPE so that a server survives writing to a closed socket; `serve` keeps it ignored.
fn end_quietly_when_stdout_closes() {
    // SAFETY: restores the default action of one signal before any thread is started; no handler
    // of ours is involved.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(test)]
mod tests {
    use super::with_causes;

    #[test]
    fn a_cause_already_said_is_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        #[derive(Debug, thiserror::Error)]
        #[error("error communicating with database: {0}")]
        struct Wrapped(#[source] std::io::Error);
        let error = anyhow::Error::new(Wrapped(io)).context("cannot open the database at x");
        assert_eq!(
            with_causes(&error),
            "cannot open the database at x: error communicating with database: Connection refused"
        );
        let plain = anyhow::anyhow!("inner").context("outer");
        assert_eq!(with_causes(&plain), "outer: inner");
    }
}
