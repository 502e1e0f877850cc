//! The ceiling: a bare HTTP + JSON echo (axum + serde, the gateway's own stack without the
//! gateway), run as its own process on loopback like the gateway, measured with the same client,
//! connection count and body size.

use std::io::Write;
use std::net::SocketAddr;
use std::process::Stdio;

use anyhow::{bail, Context};
use axum::routing::post;
use axum::{Json, Router};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// `easypay-bench echo-server`: answers `POST /echo` with the JSON body it was sent, parsed and
/// serialised again. Prints `listening on ADDR` once it accepts connections.
pub async fn serve(addr: SocketAddr) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let app = Router::new().route(
        crate::bodies::ECHO_PATH,
        post(|Json(body): Json<serde_json::Value>| async move { Json(body) }),
    );
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on {}", listener.local_addr()?)?;
    stdout.flush()?;
    axum::serve(listener, app).await?;
    Ok(())
}

/// The echo server in its own process (this binary, `echo-server`); killed when dropped.
pub struct EchoProcess {
    pub base_url: String,
    child: Child,
}

impl EchoProcess {
    pub async fn start() -> anyhow::Result<EchoProcess> {
        let mut child = Command::new(std::env::current_exe()?)
            .args(["echo-server", "--addr", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting the echo server")?;
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        let mut reader = BufReader::new(stdout);
        let read = reader.read_line(&mut line);
        match tokio::time::timeout(std::time::Duration::from_secs(10), read).await {
            Ok(Ok(_)) => {}
            _ => bail!("the echo server did not start"),
        }
        let Some(addr) = line.trim().strip_prefix("listening on ") else {
            bail!("the echo server said {line:?}");
        };
        Ok(EchoProcess {
            base_url: format!("http://{addr}"),
            child,
        })
    }

    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}
