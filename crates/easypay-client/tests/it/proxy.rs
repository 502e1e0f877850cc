//! A fault-injecting HTTP proxy in front of the gateway, on raw TCP so that every failure can be
//! staged, in particular failures *after* the gateway committed: the answer is lost on the way
//! back (a hang past the client's timeout, a 502 from "a load balancer", a reset connection).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does to one request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Forwards and passes the answer back.
    Pass,
    /// Forwards, then never answers (the client's timeout fires).
    HangAfterForward,
    /// Forwards, then answers this HTTP status instead of the gateway's answer.
    StatusAfterForward(u16),
    /// Forwards, then resets the connection.
    ResetAfterForward,
    /// Answers this body with HTTP 200 without forwarding.
    Reply(&'static str),
    /// Forwards and passes the answer back, altered.
    Tamper(fn(&mut Value)),
    /// Alters the request before forwarding (the gateway acts on what arrives).
    TamperRequest(fn(&mut Value)),
}

/// One request the proxy saw.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub body: Value,
    /// The gateway's answer, when the request was forwarded.
    pub answer: Option<Value>,
}

pub struct FaultProxy {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FaultProxy {
    /// A proxy to `upstream` applying `faults` to the first requests, in order; later requests
    /// pass.
    pub async fn start(upstream: &str, faults: Vec<Fault>) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let plan = Arc::new(Mutex::new(VecDeque::from(faults)));
        let upstream = upstream.to_owned();
        let shared = seen.clone();
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let fault = plan.lock().unwrap().pop_front().unwrap_or(Fault::Pass);
                let (http, upstream, seen) = (http.clone(), upstream.clone(), shared.clone());
                tokio::spawn(async move {
                    let _ = handle(stream, fault, &http, &upstream, &seen).await;
                });
            }
        });
        FaultProxy { url, seen }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn handle(
    mut stream: TcpStream,
    fault: Fault,
    http: &reqwest::Client,
    upstream: &str,
    seen: &Mutex<Vec<Seen>>,
) -> std::io::Result<()> {
    let (path, body) = read_request(&mut stream).await?;
    let record = |answer: Option<Value>| {
        seen.lock().unwrap().push(Seen {
            path: path.clone(),
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            answer,
        });
    };
    if let Fault::Reply(text) = fault {
        record(None);
        return respond(&mut stream, 200, text).await;
    }
    let forwarded_body = match fault {
        Fault::TamperRequest(alter) => {
            let mut request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            alter(&mut request);
            request.to_string().into_bytes()
        }
        _ => body.clone(),
    };
    let forwarded = http
        .post(format!("{upstream}{path}"))
        .header("content-type", "application/json; charset=utf-8")
        .body(forwarded_body)
        .send()
        .await
        .expect("the gateway answers the proxy");
    let status = forwarded.status().as_u16();
    let text = forwarded.text().await.unwrap();
    let mut answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    record(Some(answer.clone()));
    match fault {
        Fault::Pass | Fault::TamperRequest(_) => respond(&mut stream, status, &text).await,
        Fault::HangAfterForward => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok(())
        }
        Fault::StatusAfterForward(status) => {
            respond(&mut stream, status, "<html>502 Bad Gateway</html>").await
        }
        Fault::ResetAfterForward => {
            // A zero linger turns the close into a TCP reset.
            #[allow(deprecated)]
            stream.set_linger(Some(Duration::ZERO))?;
            Ok(())
        }
        Fault::Tamper(alter) => {
            alter(&mut answer);
            respond(&mut stream, status, &answer.to_string()).await
        }
        Fault::Reply(_) => unreachable!("answered above"),
    }
}

async fn read_request(stream: &mut TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).into_owned();
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let length: usize = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0);
    while buffer.len() < header_end + length {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    Ok((path, buffer[header_end..].to_vec()))
}

async fn respond(stream: &mut TcpStream, status: u16, body: &str) -> std::io::Result<()> {
    let response = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}
