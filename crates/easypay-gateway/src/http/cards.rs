//! The card and billing-key endpoints: `webpay`, issuance, recurring charge, key removal, cancel
//! and transaction status (kicc-api §3.1–3.7).

use axum::extract::State;
use axum::response::Response;
use chrono::Utc;
use easypay_api::billing::WebpayRequest;
use easypay_api::billing_key::{IssueKeyRequest, RemoveKeyRequest};
use easypay_api::card_batch::BatchApprovalRequest;
use easypay_api::card_revise::ReviseCardRequest;
use easypay_api::retrieve::RetrieveRequest;

use super::body::{refused, JsonObject};
use super::dated::{parse_dated, Dated};
use super::error::{json_response, ApiError};
use crate::app::AppState;
use crate::service::{billing_key, card_cancel, card_charge, registration, retrieve};
use crate::store::idempotency::{Endpoint, StoredResponse};

pub async fn webpay(
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let request = WebpayRequest::parse(&body).map_err(refused(&body))?;
    let answer = registration::open(&state, request).await?;
    Ok(json_response(
        200,
        serde_json::to_string(&answer).expect("answers serialise"),
    ))
}

pub async fn issue_key(
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let request = match parse_dated(
        &state,
        &body,
        Endpoint::BillingKeyIssue,
        IssueKeyRequest::parse,
    )
    .await?
    {
        Dated::Request(request) => request,
        Dated::Answered(answer) => return Ok(send(answer)),
    };
    Ok(send(billing_key::issue(&state, request).await?))
}

pub async fn batch_approval(
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let request = match parse_dated(
        &state,
        &body,
        Endpoint::CardBatchApproval,
        BatchApprovalRequest::parse,
    )
    .await?
    {
        Dated::Request(request) => request,
        Dated::Answered(answer) => return Ok(send(answer)),
    };
    Ok(send(card_charge::charge(&state, request).await?))
}

pub async fn remove_key(
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let request = match parse_dated(
        &state,
        &body,
        Endpoint::BillingKeyRemove,
        RemoveKeyRequest::parse,
    )
    .await?
    {
        Dated::Request(request) => request,
        Dated::Answered(answer) => return Ok(send(answer)),
    };
    Ok(send(billing_key::remove(&state, request).await?))
}

pub async fn revise(
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let request = match parse_dated(
        &state,
        &body,
        Endpoint::CardRevise,
        ReviseCardRequest::parse,
    )
    .await?
    {
        Dated::Request(request) => request,
        Dated::Answered(answer) => return Ok(send(answer)),
    };
    Ok(send(card_cancel::revise(&state, request).await?))
}

pub async fn retrieve_transaction(
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let request = RetrieveRequest::parse(&body, Utc::now()).map_err(refused(&body))?;
    Ok(json_response(
        200,
        retrieve::retrieve(&state, request).await?,
    ))
}

fn send(stored: StoredResponse) -> Response {
    json_response(stored.response_status as u16, stored.response_body)
}
