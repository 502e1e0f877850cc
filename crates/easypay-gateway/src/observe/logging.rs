//! Log output: human-readable text (the default) or one JSON object per line.
//!
//! What is never logged: request and answer bodies, card numbers, expiry dates, birth dates,
//! passwords, secret keys, webhook secrets, the card key, page tokens (routes are logged as
//! templates such as `/billing/window/{token}`).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl LogFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

/// The filter when neither `--log-level` nor `RUST_LOG` says otherwise.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,tower_http=info";

/// Installs the process's log output on stderr. `filter` is an `EnvFilter` directive
/// (`info`, `debug,sqlx=warn`…); `RUST_LOG`, when set, wins over the default.
pub fn init(format: LogFormat, filter: Option<&str>) {
    let filter = match filter {
        Some(directives) => EnvFilter::try_new(directives).ok(),
        None => EnvFilter::try_from_default_env().ok(),
    }
    .unwrap_or_else(|| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
    };
    // A second init (tests calling the CLI in-process) keeps the first subscriber.
    let _ = installed;
}
