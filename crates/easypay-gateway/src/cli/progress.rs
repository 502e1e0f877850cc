//! Progress on the terminal for CLI steps that take more than a moment (opening and migrating a
//! database, starting, stopping). Drawn on stderr only when it is a terminal, and only after the
//! step has taken a moment, so scripts, logs and quick steps see nothing.

use std::future::Future;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a step runs before its spinner appears.
const SHOW_AFTER: Duration = Duration::from_millis(300);

/// Runs `future`, showing `message` with a spinner and the elapsed time while it runs.
pub async fn step<T>(message: &str, future: impl Future<Output = T>) -> T {
    if !std::io::stderr().is_terminal() {
        return future.await;
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{spinner:.green} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message.to_owned());
    let shown = bar.clone();
    let reveal = tokio::spawn(async move {
        tokio::time::sleep(SHOW_AFTER).await;
        shown.set_draw_target(ProgressDrawTarget::stderr());
        shown.enable_steady_tick(Duration::from_millis(100));
    });
    let output = future.await;
    reveal.abort();
    bar.finish_and_clear();
    output
}

/// A counted bar for work of known size (e.g. resending many notifications); hidden when stderr
/// is not a terminal.
pub fn counter(total: u64, message: &str) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(total), target);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(message.to_owned());
    bar
}
