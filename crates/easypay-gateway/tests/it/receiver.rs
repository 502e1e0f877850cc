//! A merchant's notification endpoint for tests, on raw TCP so that every failure can be staged:
//! answers switchable at run time, slow answers, connection resets, and (when stopped) refusals.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// `200 {"resCd":"0000","resMsg":"OK"}`
    Ack,
    /// This HTTP status with an acknowledging body.
    Status(u16),
    /// 200 with a body that is not JSON.
    NotJson,
    /// 200 `{"resCd":"5001"}`: KICC's "resend".
    Resend5001,
    /// Waits this long before acknowledging.
    Slow(Duration),
    /// Reads the request, then resets the connection.
    Reset,
}

#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HashMap<String, String>,
    pub body: String,
}

pub struct Receiver {
    pub port: u16,
    pub url: String,
    mode: Arc<Mutex<Mode>>,
    received: Arc<Mutex<Vec<Received>>>,
    server: Option<JoinHandle<()>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut receiver = Receiver {
            port,
            url: format!("http://127.0.0.1:{port}/notify"),
            mode: Arc::new(Mutex::new(Mode::Ack)),
            received: Arc::default(),
            server: None,
        };
        receiver.serve(listener);
        receiver
    }

    /// A receiver whose port refuses connections until [`Receiver::resume`].
    pub async fn stopped() -> Receiver {
        let mut receiver = Receiver::start().await;
        receiver.stop();
        receiver
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// Closes the port: connections are refused.
    pub fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }

    /// Listens on the same port again.
    pub async fn resume(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        self.serve(listener);
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (at most `within`) until `count` requests arrived; answers them all.
    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} of {count} notifications arrived within {within:?}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn serve(&mut self, listener: TcpListener) {
        let (mode, received) = (self.mode.clone(), self.received.clone());
        self.server = Some(tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (mode, received) = (mode.clone(), received.clone());
                tokio::spawn(async move {
                    let _ = answer(stream, mode, received).await;
                });
            }
        }));
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn answer(
    mut stream: TcpStream,
    mode: Arc<Mutex<Mode>>,
    received: Arc<Mutex<Vec<Received>>>,
) -> std::io::Result<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).into_owned();
    let headers: HashMap<String, String> = head
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buffer.len() < header_end + length {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let body = String::from_utf8_lossy(&buffer[header_end..]).into_owned();
    received.lock().unwrap().push(Received { headers, body });
    let mode = mode.lock().unwrap().clone();
    let (status, body) = match mode {
        Mode::Ack => (200, r#"{"resCd":"0000","resMsg":"OK"}"#),
        Mode::Status(status) => (status, r#"{"resCd":"0000","resMsg":"OK"}"#),
        Mode::NotJson => (200, "OK"),
        Mode::Resend5001 => (200, r#"{"resCd":"5001","resMsg":"resend please"}"#),
        Mode::Slow(delay) => {
            tokio::time::sleep(delay).await;
            (200, r#"{"resCd":"0000","resMsg":"OK"}"#)
        }
        Mode::Reset => {
            // A zero linger makes the close an immediate RST; it does not block the thread.
            #[allow(deprecated)]
            stream.set_linger(Some(Duration::ZERO))?;
            return Ok(());
        }
    };
    let response = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}
