//! `POST /api/trades/wechatpay` and `POST /api/trades/wechatpay/find`.

use axum::extract::State;
use axum::response::Response;
use easypay_api::wechat::{CreateWechatRequest, FindWechatRequest};
use easypay_api::wechat_revise::ReviseWechatRequest;

use super::body::{refused, JsonObject};
use super::dated::{parse_dated, Dated};
use super::error::{json_response, ApiError};
use crate::app::AppState;
use crate::service::{wechat, wechat_cancel};
use crate::store::idempotency::{Endpoint, StoredResponse};

pub async fn create(
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let request = CreateWechatRequest::parse(&body).map_err(refused(&body))?;
    Ok(send(wechat::create(&state, request).await?))
}

pub async fn find(
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let request = FindWechatRequest::parse(&body).map_err(refused(&body))?;
    let answer = match request.cancel_pg_cno {
        Some(_) => wechat_cancel::find(&state, request).await?,
        None => wechat::find(&state, request).await?,
    };
    Ok(send(answer))
}

pub async fn revise(
    State(state): State<AppState>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let request = match parse_dated(
        &state,
        &body,
        Endpoint::WechatRevise,
        ReviseWechatRequest::parse,
    )
    .await?
    {
        Dated::Request(request) => request,
        Dated::Answered(answer) => return Ok(send(answer)),
    };
    Ok(send(wechat_cancel::revise(&state, request).await?))
}

fn send(stored: StoredResponse) -> Response {
    json_response(stored.response_status as u16, stored.response_body)
}
