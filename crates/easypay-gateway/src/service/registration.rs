//! Open Registration Window (`webpay`, seed 003) and what the customer does in the window.

use chrono::Utc;
use easypay_api::billing::{WebpayRequest, WebpayResponse};
use easypay_api::ResCode;

use super::card_key_guard;
use super::merchant_gate::{self, active_merchant_without_key};
use crate::app::AppState;
use crate::domain::billing_registration::{
    Registration, RegistrationEvent, RegistrationRefused, RegistrationState, WINDOW_LIFETIME,
};
use crate::domain::ids;
use crate::http::error::ApiError;
use crate::store::order_numbers::{self, Scope};
use crate::store::registrations::{self, InsertOutcome};
use crate::vault::CardSecret;

/// Fresh tokens are tried this many times if one collides (practically never).
const ID_ATTEMPTS: usize = 5;

/// Registers the window and answers its URL. No idempotency key here: the order number, unique
/// among the merchant's registrations (decision 15), stands in for one. The same request again
/// (a retry after a lost answer) gets the first window's URL; another request with that order
/// number is `D001`. Either way a retry cannot open a second window.
pub async fn open(state: &AppState, request: WebpayRequest) -> Result<WebpayResponse, ApiError> {
    let merchant = active_merchant_without_key(&state.db, &request.mall_id).await?;
    let display_name = request
        .mall_name
        .as_ref()
        .map_or(merchant.name, |name| name.to_string());
    for _ in 0..ID_ATTEMPTS {
        let now = Utc::now();
        let mut tx = state.db.begin_write().await?;
        let free = order_numbers::claim(
            &mut tx,
            request.mall_id.as_str(),
            Scope::Registration,
            request.shop_order_no.as_str(),
            now,
        )
        .await?;
        if !free {
            let first = registrations::find_by_order(
                &mut *tx,
                request.mall_id.as_str(),
                request.shop_order_no.as_str(),
            )
            .await?;
            return match first {
                Some(first) if first.request == request => Ok(opened(state, &first)),
                // Echoed as every other refusal of this merchant's requests is.
                Some(_) | None => Err(ApiError::new(
                    ResCode::DuplicateOrder,
                    format!(
                        "shopOrderNo: {} was already used for another card registration by this \
                         merchant",
                        request.shop_order_no
                    ),
                )
                .echo("mallId", request.mall_id.as_str())
                .echo("shopOrderNo", request.shop_order_no.as_str())),
            };
        }
        let registration = Registration {
            window_token: ids::new_token(),
            request: request.clone(),
            display_name: display_name.clone(),
            form_token: ids::new_token(),
            state: RegistrationState::Open,
            authorization_id: None,
            card: None,
            card_mask_no: None,
            created_at: now,
            window_expires_at: now + WINDOW_LIFETIME,
            completed_at: None,
            closed_at: None,
            version: 0,
        };
        match registrations::insert(&mut tx, &registration).await? {
            InsertOutcome::TokenTaken => continue,
            InsertOutcome::Inserted => {}
        }
        tx.commit().await?;
        return Ok(opened(state, &registration));
    }
    Err(ApiError::internal("could not draw a unique window token"))
}

fn opened(state: &AppState, registration: &Registration) -> WebpayResponse {
    WebpayResponse {
        res_cd: ResCode::Success.as_str().into(),
        res_msg: "Success".into(),
        auth_page_url: Some(
            state.page_url(&format!("/billing/window/{}", registration.window_token)),
        ),
    }
}

/// The registration behind a window token.
pub async fn load(state: &AppState, window_token: &str) -> Result<Option<Registration>, ApiError> {
    Ok(registrations::find_by_token(&mut state.db.read().await?, window_token).await?)
}

/// What the customer asked the window to do.
pub enum WindowAction {
    /// Register this card (already checked against the window's `certType`).
    Complete(CardSecret),
    Cancel,
}

/// Applies the customer's action (a card only while the merchant is active: `M002` otherwise);
/// `Err` carries the registration as it stands when the action
/// no longer applies (completed, cancelled or expired meanwhile), so the window can say so.
pub async fn act(
    state: &AppState,
    current: Registration,
    action: &WindowAction,
) -> Result<Result<Registration, (Registration, RegistrationRefused)>, ApiError> {
    let mut current = current;
    for _ in 0..ID_ATTEMPTS {
        let now = Utc::now();
        let event = match action {
            WindowAction::Complete(card) => RegistrationEvent::Complete {
                authorization_id: ids::new_token(),
                card: state.vault.seal(card, &current.seal_context()),
                card_mask_no: card.number.masked(),
            },
            WindowAction::Cancel => RegistrationEvent::Cancel,
        };
        let next = match current.apply(event, now) {
            Ok(next) => next,
            Err(refused) => return Ok(Err((current, refused))),
        };
        let mut tx = state.db.begin_write().await?;
        if matches!(action, WindowAction::Complete(_)) {
            merchant_gate::takes_payments(&mut tx, current.request.mall_id.as_str()).await?;
            card_key_guard::refuse_a_rotated_key(&mut tx, state.db.backend(), &state.vault).await?;
        }
        if registrations::update(&mut tx, &next).await? {
            tx.commit().await?;
            return Ok(Ok(next));
        }
        drop(tx);
        current = load(state, &current.window_token)
            .await?
            .ok_or_else(|| ApiError::internal("a registration disappeared"))?;
    }
    Err(ApiError::internal(
        "the registration kept changing while the window acted",
    ))
}
