//! The merchant's notification endpoint: acknowledges every notification the gateway sends and,
//! for the crash suite, keeps each one with its signature check.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::routing::post;
use axum::Router;
use easypay_client::webhook::{ack_body, WebhookVerifier};
use easypay_gateway::sandbox::SANDBOX_WEBHOOK_SECRET;
use tokio::task::JoinHandle;

/// One notification as received (the first delivery of its `webhook-id`).
#[derive(Clone, Debug)]
pub struct Received {
    pub webhook_id: String,
    pub body: serde_json::Value,
}

#[derive(Default)]
struct Inner {
    keep: bool,
    total: AtomicU64,
    bad_signatures: AtomicU64,
    /// By `webhook-id`: the first delivery, and how many times it came.
    by_id: Mutex<HashMap<String, (Received, u32)>>,
}

pub struct Receiver {
    pub url: String,
    inner: Arc<Inner>,
    server: JoinHandle<()>,
}

impl Receiver {
    /// Listens on a loopback port. With `keep`, every notification is kept for
    /// [`Receiver::received`]; otherwise only counted (bounded memory under long runs).
    pub async fn start(keep: bool) -> anyhow::Result<Receiver> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr: SocketAddr = listener.local_addr()?;
        let inner = Arc::new(Inner {
            keep,
            ..Inner::default()
        });
        let app = Router::new()
            .route("/notify", post(notify))
            .with_state(inner.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Receiver {
            url: format!("http://{addr}/notify"),
            inner,
            server,
        })
    }

    /// Notifications received, duplicates included.
    pub fn total(&self) -> u64 {
        self.inner.total.load(Ordering::Relaxed)
    }

    pub fn bad_signatures(&self) -> u64 {
        self.inner.bad_signatures.load(Ordering::Relaxed)
    }

    /// One entry per `webhook-id`, with how many times it was delivered.
    pub fn received(&self) -> Vec<(Received, u32)> {
        self.inner
            .by_id
            .lock()
            .expect("not poisoned")
            .values()
            .cloned()
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn notify(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> ([(header::HeaderName, &'static str); 1], String) {
    inner.total.fetch_add(1, Ordering::Relaxed);
    if inner.keep {
        let verifier = WebhookVerifier::new(SANDBOX_WEBHOOK_SECRET).expect("the sandbox secret");
        match verifier.verify(&headers, &body) {
            Ok(verified) => {
                let value = serde_json::from_slice(&body).unwrap_or_default();
                let mut by_id = inner.by_id.lock().expect("not poisoned");
                by_id
                    .entry(verified.id.clone())
                    .or_insert_with(|| {
                        (
                            Received {
                                webhook_id: verified.id,
                                body: value,
                            },
                            0,
                        )
                    })
                    .1 += 1;
            }
            Err(_) => {
                inner.bad_signatures.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    ([(header::CONTENT_TYPE, "application/json")], ack_body())
}
