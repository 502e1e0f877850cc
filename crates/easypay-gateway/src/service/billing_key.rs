//! Billing keys: issuance from a completed registration (kicc-api §3.3) and removal (§3.5).

use chrono::{DateTime, Utc};
use easypay_api::billing_key::{
    IssueKeyRequest, IssueKeyResponse, IssuedCardInfo, IssuedPaymentInfo, RemoveKeyRequest,
    RemoveKeyResponse,
};
use easypay_api::{msg_auth, seoul_time, ResCode};

use super::card_key_guard;
use super::idempotent::{self, answer, Key};
use super::merchant_gate::active_merchant;
use crate::app::AppState;
use crate::domain::billing_key::{self, BillingKey, KeyEvent, KeyState};
use crate::domain::billing_registration::{RegistrationEvent, RegistrationState};
use crate::domain::ids;
use crate::domain::merchant::Merchant;
use crate::http::error::ApiError;
use crate::processor::{card_bins, card_issuer};
use crate::store::batch::LockedRow;
use crate::store::idempotency::{Endpoint, StoredResponse};
use crate::store::{billing_keys, registrations, WriteTx};

/// Fresh identifiers are tried this many times if one collides, or if a concurrent request
/// changed the registration or key first.
const ATTEMPTS: usize = 5;

pub async fn issue(state: &AppState, request: IssueKeyRequest) -> Result<StoredResponse, ApiError> {
    let merchant =
        active_merchant(&state.db, &request.mall_id, &request.shop_transaction_id).await?;
    let hash = idempotent::request_hash(&request);
    let key = Key::new(
        Endpoint::BillingKeyIssue,
        request.mall_id.as_str(),
        request.shop_transaction_id.as_str(),
    );
    idempotent::perform(
        state,
        key,
        hash,
        (request, merchant),
        |state, tx, (request, merchant), now| {
            Box::pin(issue_key(state, tx, request, merchant, now))
        },
    )
    .await
}

/// An answer without a billing key: the request's identifiers and why.
fn refusal(request: &IssueKeyRequest, code: ResCode, message: String) -> IssueKeyResponse {
    IssueKeyResponse {
        res_cd: code.as_str().into(),
        res_msg: message,
        mall_id: request.mall_id.to_string(),
        shop_transaction_id: request.shop_transaction_id.to_string(),
        shop_order_no: request.shop_order_no.to_string(),
        pg_cno: None,
        amount: None,
        transaction_date: None,
        msg_auth_value: None,
        escrow_used: None,
        payment_info: None,
    }
}

async fn issue_key(
    state: &AppState,
    tx: &mut WriteTx,
    request: &IssueKeyRequest,
    merchant: &Merchant,
    now: DateTime<Utc>,
) -> Result<StoredResponse, ApiError> {
    // Before any row of this section is locked: on PostgreSQL a rotation holds the key's row
    // while it re-seals registrations, and waiting for it while holding one would deadlock.
    card_key_guard::refuse_a_rotated_key(tx, state.db.backend(), &state.vault).await?;
    for _ in 0..ATTEMPTS {
        let found = registrations::find_by_authorization(
            &mut **tx,
            request.mall_id.as_str(),
            request.authorization_id.as_str(),
        )
        .await?;
        let Some(registration) = found else {
            let message = "authorizationId: no completed card registration of this merchant has it";
            return Ok(answer(&refusal(
                request,
                ResCode::UnknownAuthorization,
                message.into(),
            )));
        };
        if registration.request.shop_order_no != request.shop_order_no {
            let message = format!(
                "shopOrderNo: the card registration was opened with another shopOrderNo than {}",
                request.shop_order_no
            );
            return Ok(answer(&refusal(
                request,
                ResCode::AuthorizationOrderMismatch,
                message,
            )));
        }
        let issued = match registration.apply(RegistrationEvent::Issue, now) {
            Ok(issued) => issued,
            Err(refused) => {
                let (code, message) = match refused.from {
                    RegistrationState::Issued => (
                        ResCode::AuthorizationUsed,
                        "authorizationId: already used to issue a billing key",
                    ),
                    RegistrationState::Lapsed => (
                        ResCode::AuthorizationExpired,
                        "authorizationId: expired; issue the billing key within 30 minutes of the registration",
                    ),
                    RegistrationState::Open
                    | RegistrationState::Completed
                    | RegistrationState::Cancelled
                    | RegistrationState::Expired => return Err(ApiError::internal(refused)),
                };
                return Ok(answer(&refusal(request, code, message.into())));
            }
        };
        // A concurrent issuance under another key changed the registration first (nothing was
        // written): read it again, and the next round says it is used.
        if !registrations::update(tx, &issued).await? {
            continue;
        }
        let sealed = registration
            .card
            .as_ref()
            .ok_or_else(|| ApiError::internal("a completed registration holds no card"))?;
        let card = state
            .vault
            .open(sealed, &registration.seal_context())
            .map_err(ApiError::internal)?;
        let mut inserted = None;
        for pg_cno in ids::pg_cno_draws(now).take(ATTEMPTS) {
            let batch_key = billing_key::new_batch_key();
            let key = BillingKey {
                card: state
                    .vault
                    .seal(&card, &BillingKey::seal_context(&batch_key)),
                batch_key,
                mall_id: request.mall_id.clone(),
                authorization_id: request.authorization_id.as_str().into(),
                pg_cno,
                card_mask_no: card.number.masked(),
                state: KeyState::Active,
                created_at: now,
                removed_at: None,
                version: 0,
            };
            // A taken batchKey or pgCno writes nothing: draw others.
            if billing_keys::insert(tx, &key).await? {
                inserted = Some(key);
                break;
            }
        }
        let key = inserted.ok_or_else(|| ApiError::internal("could not draw a unique batchKey"))?;
        let profile = card_bins::profile(card.number.bin());
        let transaction_date = seoul_time::timestamp(now);
        let response = IssueKeyResponse {
            pg_cno: Some(key.pg_cno.clone()),
            amount: Some(0),
            msg_auth_value: Some(sign(&merchant.secret_key, &key.pg_cno, 0, now)),
            transaction_date: Some(transaction_date.clone()),
            escrow_used: Some("N".into()),
            payment_info: Some(IssuedPaymentInfo {
                pay_method_type_code: "11".into(),
                approval_no: card_issuer::new_approval_no(),
                approval_date: transaction_date,
                card_info: IssuedCardInfo {
                    card_no: key.batch_key.clone(),
                    issuer_code: profile.issuer_code.into(),
                    issuer_name: profile.issuer_name.into(),
                    acquirer_code: profile.acquirer_code.into(),
                    acquirer_name: profile.acquirer_name.into(),
                    installment_month: 0,
                    card_gubun: profile.card_gubun.into(),
                    card_biz_gubun: profile.card_biz_gubun.into(),
                    part_cancel_used: "Y".into(),
                    sub_card_cd: profile.sub_card_cd.into(),
                    card_mask_no: key.card_mask_no.clone(),
                },
            }),
            ..refusal(request, ResCode::Success, "Success".into())
        };
        return Ok(answer(&response));
    }
    Err(ApiError::internal("could not issue a billing key"))
}

/// `msgAuthValue` of an approval answer: `pgCno|amount|transactionDate` (decision 7).
pub fn sign(secret_key: &str, pg_cno: &str, amount: u64, at: DateTime<Utc>) -> String {
    msg_auth::sign(
        secret_key,
        &[pg_cno, &amount.to_string(), &seoul_time::timestamp(at)],
    )
}

pub async fn remove(
    state: &AppState,
    request: RemoveKeyRequest,
) -> Result<StoredResponse, ApiError> {
    active_merchant(&state.db, &request.mall_id, &request.shop_transaction_id).await?;
    let hash = idempotent::request_hash(&request);
    let key = Key::new(
        Endpoint::BillingKeyRemove,
        request.mall_id.as_str(),
        request.shop_transaction_id.as_str(),
    )
    .locking(LockedRow::hot("billing_keys", request.batch_key.as_str()));
    idempotent::perform(state, key, hash, request, |state, tx, request, now| {
        Box::pin(remove_key(state, tx, request, now))
    })
    .await
}

async fn remove_key(
    state: &AppState,
    tx: &mut WriteTx,
    request: &RemoveKeyRequest,
    now: DateTime<Utc>,
) -> Result<StoredResponse, ApiError> {
    let reply = |code: ResCode, message: &str| RemoveKeyResponse {
        res_cd: code.as_str().into(),
        res_msg: message.into(),
        shop_transaction_id: request.shop_transaction_id.to_string(),
        mall_id: request.mall_id.to_string(),
        remove_req_date: request.remove_req_date.as_str().into(),
    };
    for _ in 0..ATTEMPTS {
        let found = billing_keys::find_for_update(
            tx,
            state.db.backend(),
            request.mall_id.as_str(),
            request.batch_key.as_str(),
        )
        .await?;
        let response = match found.map(|key| key.apply(KeyEvent::Remove, now)) {
            None => reply(
                ResCode::UnknownBatchKey,
                "batchKey: no billing key of this merchant has it",
            ),
            Some(Err(_)) => reply(ResCode::BatchKeyRemoved, "batchKey: already removed"),
            Some(Ok(removed)) => {
                // Changed by a concurrent request (nothing was written): read it again.
                if !billing_keys::update(tx, &removed).await? {
                    continue;
                }
                reply(ResCode::Success, "Success")
            }
        };
        return Ok(answer(&response));
    }
    Err(ApiError::internal(
        "the billing key kept changing while it was removed",
    ))
}
