//! Transaction status (kicc-api §3.7): the original answer of an issuance, a charge or a cancel, found by
//! its `shopTransactionId` and date, without `msgAuthValue`. A lookup changes nothing, so it is
//! not itself recorded under an idempotency key.

use chrono::NaiveDate;
use easypay_api::billing_key::IssueKeyResponse;
use easypay_api::card_batch::BatchApprovalResponse;
use easypay_api::retrieve::{RetrieveNotFoundResponse, RetrieveRequest};
use easypay_api::ResCode;

use super::merchant_gate::active_merchant;
use crate::app::AppState;
use crate::http::error::ApiError;
use crate::store::idempotency::Endpoint;
use crate::store::retrieval;

/// The operations whose answers a lookup returns.
pub const RETRIEVABLE: [Endpoint; 3] = [
    Endpoint::BillingKeyIssue,
    Endpoint::CardBatchApproval,
    Endpoint::CardRevise,
];

/// The answer to send, as JSON text.
pub async fn retrieve(state: &AppState, request: RetrieveRequest) -> Result<String, ApiError> {
    active_merchant(&state.db, &request.mall_id, &request.shop_transaction_id).await?;
    let date = NaiveDate::parse_from_str(request.transaction_date.as_str(), "%Y%m%d")
        .map_err(ApiError::internal)?;
    let (mall_id, key) = (
        request.mall_id.as_str(),
        request.shop_transaction_id.as_str(),
    );
    let find = || async {
        retrieval::find_answer(&mut state.db.read().await?, mall_id, RETRIEVABLE, key, date).await
    };
    let mut found = find().await?;
    if found.is_none() {
        if state
            .in_flight
            .any(&state.db, mall_id, &RETRIEVABLE, key)
            .await?
        {
            return Err(in_progress(&request));
        }
        // It may have committed, and stopped being in flight, between the two looks.
        found = find().await?;
    }
    let Some((endpoint, body)) = found else {
        return Ok(serde_json::to_string(&RetrieveNotFoundResponse {
            res_cd: ResCode::RetrieveNotFound.as_str().into(),
            res_msg: format!(
                "shopTransactionId: no billing-key issuance, charge or card cancel of this merchant used it on {}",
                request.transaction_date.as_str()
            ),
            shop_transaction_id: request.shop_transaction_id.to_string(),
            mall_id: request.mall_id.to_string(),
        })
        .expect("answers serialise"));
    };
    let unreadable = |error: serde_json::Error| ApiError::internal(error);
    // Typed, so that the original field order is kept and only msgAuthValue goes.
    let text = match endpoint {
        Endpoint::BillingKeyIssue => {
            let mut original: IssueKeyResponse = serde_json::from_str(&body).map_err(unreadable)?;
            original.msg_auth_value = None;
            serde_json::to_string(&original)
        }
        Endpoint::CardBatchApproval => {
            let mut original: BatchApprovalResponse =
                serde_json::from_str(&body).map_err(unreadable)?;
            original.msg_auth_value = None;
            serde_json::to_string(&original)
        }
        // Cancel answers carry no msgAuthValue: the stored answer is the answer.
        Endpoint::CardRevise => return Ok(body),
        Endpoint::WechatCreate
        | Endpoint::WechatFind
        | Endpoint::WechatRevise
        | Endpoint::BillingKeyRemove => {
            return Err(ApiError::internal(
                "retrieveTransaction found an answer it never asks for",
            ))
        }
    };
    Ok(text.expect("answers serialise"))
}

fn in_progress(request: &RetrieveRequest) -> ApiError {
    ApiError::new(
        ResCode::RequestInProgress,
        "shopTransactionId: a request with this key is still being processed; ask again shortly",
    )
    .echo("shopTransactionId", request.shop_transaction_id.as_str())
    .echo("mallId", request.mall_id.as_str())
}
