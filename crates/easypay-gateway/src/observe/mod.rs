//! Operability: one request id per request (in a log span, in the answer's `x-request-id`, in the
//! notifications the request queued), Prometheus metrics, structured logs.

pub mod logging;
pub mod metrics;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use tracing::Instrument;

use crate::http::error::ApiError;

pub use metrics::Metrics;

/// The header a request id is read from (when a proxy set one) and echoed in.
pub static REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    static REQUEST_ID: String;
    static RECEIVED_AT: DateTime<Utc>;
}

/// When the request being handled on this task arrived (now, outside a request): the one clock
/// reading its request date is judged by and its idempotency key is first used at, however long
/// it then waits (a slow issuer, a lock, the write queue), so that both agree at 00:10 Seoul time.
pub fn received_at() -> DateTime<Utc> {
    RECEIVED_AT
        .try_with(|at| *at)
        .unwrap_or_else(|_| Utc::now())
}

/// The id of the request being handled on this task, if any: stored with the notifications a
/// request queues so the worker's log lines name the request that caused them.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Runs `future` as part of the request `id`, wherever it runs (a batched write section runs on the
/// batcher's task, not the request's), so what it writes names that request.
pub async fn within_request<F: std::future::Future>(id: Option<String>, future: F) -> F::Output {
    match id {
        Some(id) => REQUEST_ID.scope(id, future).await,
        None => future.await,
    }
}

/// The `resCd` of an API answer, set by whoever built the answer (the error type, or
/// [`crate::http::error::json_response`] from the body's first field) so metrics and logs read it
/// without parsing the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnsweredCode([u8; 4]);

impl AnsweredCode {
    pub fn new(code: &str) -> Option<Self> {
        let bytes: [u8; 4] = code.as_bytes().try_into().ok()?;
        bytes
            .iter()
            .all(u8::is_ascii_alphanumeric)
            .then_some(AnsweredCode(bytes))
    }

    /// The code of a body that starts `{"resCd":"XXXX"` (every stored answer does: `resCd` is
    /// the first field of every answer type). Anything else: `None`.
    pub fn from_body_prefix(body: &str) -> Option<Self> {
        let rest = body.strip_prefix("{\"resCd\":\"")?;
        let code = rest.get(..4)?;
        rest[4..]
            .starts_with('"')
            .then(|| Self::new(code))
            .flatten()
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("????")
    }
}

/// Accepts a caller's request id if it is short and plain; otherwise makes one.
fn request_id_of(request: &Request) -> String {
    request
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| {
            (1..=128).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| format!("req_{}", &crate::domain::ids::new_token()[..20]))
}

/// The middleware around every route: request id, span, access log line, metrics.
///
/// The request runs on a task of its own, to its end even if the client goes away first (a timeout
/// on its side, a dropped connection): a payment that was started is finished and recorded, its
/// access line written and counted, and a retry with the same `shopTransactionId` replays it.
pub async fn observe(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let request_id = request_id_of(&request);
    // The route template, never the raw path: tokens in page URLs stay out of logs and labels.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = request.method().clone();
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %method,
        route = %route,
    );
    let in_flight = InFlight::start(metrics.clone());
    let received_at = Utc::now();
    let handled = tokio::spawn(async move {
        let response = REQUEST_ID
            .scope(
                request_id.clone(),
                RECEIVED_AT.scope(received_at, next.run(request)),
            )
            .instrument(span.clone())
            .await;
        drop(in_flight);
        let elapsed = started.elapsed();
        let code = response.extensions().get::<AnsweredCode>().copied();
        let status = response.status().as_u16();
        metrics.record_request(&route, method.as_str(), status, code, elapsed);
        span.in_scope(|| {
            tracing::info!(
                status,
                res_cd = code.as_ref().map_or("", AnsweredCode::as_str),
                // Whole microseconds: `2.414` rather than `2.4135299999999997`.
                latency_ms = elapsed.as_micros() as f64 / 1000.0,
                "answered"
            )
        });
        with_request_id(response, &request_id)
    });
    match handled.await {
        Ok(response) => response,
        // The handler panicked (the panic is on stderr): the client still gets the envelope.
        Err(_) => ApiError::internal("a request handler panicked").into_response(),
    }
}

fn with_request_id(mut response: Response, request_id: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response
            .headers_mut()
            .insert(REQUEST_ID_HEADER.clone(), value);
    }
    response
}

/// Counts a request in flight until dropped.
struct InFlight(Arc<Metrics>);

impl InFlight {
    fn start(metrics: Arc<Metrics>) -> InFlight {
        metrics.request_started();
        InFlight(metrics)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_read_from_the_first_field_only() {
        assert_eq!(
            AnsweredCode::from_body_prefix(r#"{"resCd":"0000","resMsg":"Success"}"#)
                .unwrap()
                .as_str(),
            "0000"
        );
        assert_eq!(
            AnsweredCode::from_body_prefix(r#"{"resCd":"8521","x":1}"#)
                .unwrap()
                .as_str(),
            "8521"
        );
        assert!(AnsweredCode::from_body_prefix(r#"{"mallId":"x","resCd":"0000"}"#).is_none());
        assert!(AnsweredCode::from_body_prefix(r#"{"resCd":"00000"}"#).is_none());
        assert!(AnsweredCode::from_body_prefix("").is_none());
    }
}
