//! A merchant's notification endpoint, as a merchant would write it with the SDK: verify, keep,
//! acknowledge (or answer 400 to a notification that fails verification).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use easypay_client::webhook::{ack_body, Verified, WebhookVerifier};
use easypay_gateway::sandbox::SANDBOX_WEBHOOK_SECRET;

/// What arrived: the raw request, and what verification made of it.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub headers: HeaderMap,
    pub body: Bytes,
    pub verified: Option<Verified>,
}

type Arrivals = Arc<Mutex<Vec<Arrival>>>;

pub struct Receiver {
    pub url: String,
    arrivals: Arrivals,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let arrivals = Arrivals::default();
        let app = Router::new()
            .route("/notify", post(receive))
            .with_state(arrivals.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/notify", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, arrivals }
    }

    /// Waits until `count` notifications arrived; answers them all.
    pub async fn wait_for(&self, count: usize) -> Vec<Arrival> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let arrived = self.arrivals.lock().unwrap().clone();
            if arrived.len() >= count {
                return arrived;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} of {count} notifications arrived",
                arrived.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn receive(
    State(arrivals): State<Arrivals>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let verifier = WebhookVerifier::new(SANDBOX_WEBHOOK_SECRET).expect("the sandbox secret");
    let verified = verifier.verify(&headers, &body).ok();
    let answer = match &verified {
        Some(_) => (StatusCode::OK, ack_body()),
        None => (StatusCode::BAD_REQUEST, "not verified".into()),
    };
    arrivals.lock().unwrap().push(Arrival {
        headers,
        body,
        verified,
    });
    answer
}
