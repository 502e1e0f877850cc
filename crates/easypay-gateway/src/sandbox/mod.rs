//! The sandbox control plane under `/_sandbox/` (decision 26). Mounted only in sandbox mode.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{post, put};
use axum::Router;
use chrono::Utc;
use easypay_api::reader::ObjectReader;
use easypay_api::values::{Amount, HttpUrl, MallId, Text};
use easypay_api::ResCode;

use crate::app::AppState;
use crate::domain::ids;
use crate::domain::merchant::Merchant;
use crate::domain::wechat_payment::{WalletEvent, WechatPayment};
use crate::http::body::{JsonObject, PathParams};
use crate::http::error::{json_response, ApiError};
use crate::openapi::wire::{FlushAnswer, SandboxActionAnswer, SandboxMerchantAnswer};
use crate::processor::wechat_wallet::{self, OrderRef};
use crate::store::merchants;

pub const SANDBOX_MALL_ID: &str = "T5102001";
pub const SANDBOX_SECRET_KEY: &str = "easypay-sandbox-secret";
/// Fixed so that sandbox users can verify notification signatures without looking it up.
pub const SANDBOX_WEBHOOK_SECRET: &str = "whsec_ZWFzeXBheS1zYW5kYm94LXdlYmhvb2sta2V5LTIwMjY=";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_sandbox/wechat/{pg_cno}/{action}", post(wechat_action))
        .route("/_sandbox/merchants/{mall_id}", put(upsert_merchant))
        .route("/_sandbox/notifications/flush", post(flush_notifications))
        .merge(crate::pages::dashboard::routes())
}

/// Creates the sandbox merchant on first start; an existing one is left as it is, and the log
/// says so when it can no longer be used as the README shows (deactivated, or its secret key
/// rotated), rather than let its first request's `M002` or 401 be the news.
pub async fn ensure_sandbox_merchant(state: &AppState) -> anyhow::Result<()> {
    merchants::insert(
        state.db.pool(),
        &Merchant {
            mall_id: SANDBOX_MALL_ID.into(),
            name: "EasyPay Sandbox Merchant".into(),
            secret_key: SANDBOX_SECRET_KEY.into(),
            webhook_secret: SANDBOX_WEBHOOK_SECRET.into(),
            noti_url: None,
            active: true,
            created_at: Utc::now(),
        },
    )
    .await?;
    let Some(merchant) = merchants::find(state.db.pool(), SANDBOX_MALL_ID).await? else {
        return Ok(());
    };
    if !merchant.active {
        tracing::warn!(
            mall_id = SANDBOX_MALL_ID,
            "the sandbox merchant {SANDBOX_MALL_ID} is deactivated on this database (`easypay \
             merchant deactivate`): its requests get M002 and its customers cannot pay. Activate \
             it with `easypay merchant activate {SANDBOX_MALL_ID}`, or serve a fresh database"
        );
    } else if !PublicSecrets::of(&merchant).secret_key {
        tracing::warn!(
            mall_id = SANDBOX_MALL_ID,
            "the sandbox merchant {SANDBOX_MALL_ID}'s secret key was rotated on this database: \
             requests signed with the public key {SANDBOX_SECRET_KEY:?} are refused"
        );
    }
    Ok(())
}

/// Outside sandbox mode no merchant holding a public sandbox secret may take payments: anyone
/// could sign its requests with the public key, or forge its notifications with the public webhook
/// secret. Each such merchant (the sandbox merchant left from a sandbox run, typically) is
/// deactivated, and the log says what to rotate to keep it.
pub async fn retire_public_secrets(state: &AppState) -> anyhow::Result<()> {
    for merchant in merchants::list(state.db.pool()).await? {
        let public = PublicSecrets::of(&merchant);
        if !merchant.active || !public.any() {
            continue;
        }
        merchants::set_active(state.db.pool(), &merchant.mall_id, false, Utc::now()).await?;
        tracing::warn!(
            mall_id = %merchant.mall_id,
            "deactivated merchant {mall_id}: outside sandbox mode its public sandbox {names} must \
             not take payments (to keep it: easypay merchant update {mall_id} {flags}, then \
             easypay merchant activate {mall_id})",
            mall_id = merchant.mall_id,
            names = public.names(),
            flags = public.rotate_flags(),
        );
    }
    Ok(())
}

/// Which of a merchant's secrets are the sandbox's public ones (README, docs/notifications.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicSecrets {
    pub secret_key: bool,
    pub webhook_secret: bool,
}

impl PublicSecrets {
    pub fn of(merchant: &Merchant) -> Self {
        PublicSecrets {
            secret_key: merchant.secret_key == SANDBOX_SECRET_KEY,
            webhook_secret: merchant.webhook_secret == SANDBOX_WEBHOOK_SECRET,
        }
    }

    pub fn any(self) -> bool {
        self.secret_key || self.webhook_secret
    }

    /// What is public, in words.
    pub fn names(self) -> &'static str {
        match (self.secret_key, self.webhook_secret) {
            (true, true) => "secret key and webhook secret",
            (true, false) => "secret key",
            (false, true) => "webhook secret",
            (false, false) => "nothing",
        }
    }

    /// The `easypay merchant update` flags that replace what is public.
    pub fn rotate_flags(self) -> &'static str {
        match (self.secret_key, self.webhook_secret) {
            (true, true) => "--new-secret-key --new-webhook-secret",
            (true, false) => "--new-secret-key",
            (false, true) => "--new-webhook-secret",
            (false, false) => "",
        }
    }
}

#[derive(Clone, Copy)]
enum WalletAction {
    Approve,
    Decline,
    Expire,
    Void,
}

impl WalletAction {
    fn parse(raw: &str) -> Result<Self, ApiError> {
        match raw {
            "approve" => Ok(WalletAction::Approve),
            "decline" => Ok(WalletAction::Decline),
            "expire" => Ok(WalletAction::Expire),
            "void" => Ok(WalletAction::Void),
            other => Err(ApiError::new(
                ResCode::UnknownPath,
                format!("no sandbox action {other:?}; use approve, decline, expire or void"),
            )),
        }
    }
}

/// `POST /_sandbox/wechat/{pgCno}/approve|decline|expire|void`. `approve` takes an optional
/// `{"amount": N}` to approve a different amount than ordered.
async fn wechat_action(
    State(state): State<AppState>,
    PathParams((pg_cno, action)): PathParams<(String, String)>,
    body: Option<JsonObject>,
) -> Result<Response, ApiError> {
    let approve_amount = match &body {
        Some(JsonObject(map)) => {
            let reader = ObjectReader::root(map);
            match reader.required_integer("amount") {
                Ok((path, value)) => Some(Amount::parse(&path, value)?),
                Err(error) if error.rule == easypay_api::Rule::Missing => None,
                Err(error) => return Err(error.into()),
            }
        }
        None => None,
    };
    let action = WalletAction::parse(&action)?;
    let event = move |payment: &WechatPayment| match action {
        WalletAction::Approve => WalletEvent::Approve {
            amount: approve_amount.unwrap_or(payment.amount),
        },
        WalletAction::Decline => WalletEvent::Decline,
        WalletAction::Expire => WalletEvent::Expire,
        WalletAction::Void => WalletEvent::Void,
    };
    let payment = wechat_wallet::apply(&state.db, OrderRef::PgCno(&pg_cno), event).await?;
    Ok(answer(&SandboxActionAnswer {
        res_cd: ResCode::Success.as_str().into(),
        res_msg: "Success".into(),
        pg_cno: payment.pg_cno,
        state: payment.state.as_str().into(),
        approved_amount: payment.approved_amount.map(Amount::get),
    }))
}

/// `PUT /_sandbox/merchants/{mallId}` with `{"secretKey": …, "notiUrl": …}` and optionally
/// `"webhookSecret": "whsec_…"`: create or update. A field left out keeps the merchant's value (an
/// update may send only what changes); `"notiUrl": null` or `""` removes the URL. A new merchant
/// needs `secretKey`, and without a webhook secret gets a generated one, returned in the answer.
async fn upsert_merchant(
    State(state): State<AppState>,
    PathParams(mall_id): PathParams<String>,
    JsonObject(body): JsonObject,
) -> Result<Response, ApiError> {
    let mall_id = MallId::parse_new("mallId", &mall_id)?;
    let reader = ObjectReader::root(&body);
    let secret = reader
        .optional_str("secretKey")?
        .map(|(path, raw)| Text::parse(&path, raw, 200))
        .transpose()?;
    let noti_url = match body.get("notiUrl") {
        None => NotiUrlChange::Keep,
        Some(_) => match reader.optional_str("notiUrl")? {
            None => NotiUrlChange::Remove,
            Some((path, raw)) => NotiUrlChange::Set(HttpUrl::parse(&path, raw, 256)?.to_string()),
        },
    };
    let webhook_secret = reader
        .optional_str("webhookSecret")?
        .map(|(path, raw)| parse_webhook_secret(&path, raw))
        .transpose()?;
    let existing = merchants::find(state.db.pool(), mall_id.as_str()).await?;
    let secret_key = match (secret, &existing) {
        (Some(secret), _) => secret.to_string(),
        (None, Some(existing)) => existing.secret_key.clone(),
        (None, None) => {
            return Err(
                easypay_api::FieldError::new("secretKey", easypay_api::Rule::Missing).into(),
            )
        }
    };
    let merchant = Merchant {
        mall_id: mall_id.to_string(),
        name: mall_id.to_string(),
        secret_key,
        webhook_secret: webhook_secret
            .or_else(|| {
                existing
                    .as_ref()
                    .map(|existing| existing.webhook_secret.clone())
            })
            .unwrap_or_else(ids::new_webhook_secret),
        noti_url: match noti_url {
            NotiUrlChange::Keep => existing.and_then(|existing| existing.noti_url),
            NotiUrlChange::Remove => None,
            NotiUrlChange::Set(url) => Some(url),
        },
        active: true,
        created_at: Utc::now(),
    };
    merchants::upsert_keys(state.db.pool(), &merchant).await?;
    Ok(answer(&SandboxMerchantAnswer {
        res_cd: ResCode::Success.as_str().into(),
        res_msg: "Success".into(),
        mall_id: merchant.mall_id,
        noti_url: merchant.noti_url,
        webhook_secret: merchant.webhook_secret,
    }))
}

/// What an update does to a merchant's `notiUrl`.
enum NotiUrlChange {
    /// Left out of the body.
    Keep,
    /// `null` or `""`.
    Remove,
    Set(String),
}

fn parse_webhook_secret(path: &str, raw: &str) -> Result<String, ApiError> {
    if !easypay_api::webhook_signature::is_strong_secret(raw) {
        return Err(easypay_api::FieldError::new(
            path,
            easypay_api::Rule::BadFormat {
                expected: "whsec_ followed by the base64 of at least 24 random bytes",
            },
        )
        .into());
    }
    Ok(raw.to_owned())
}

/// `POST /_sandbox/notifications/flush`: attempts every undelivered notification now, whatever its
/// schedule, and answers when done with how many were delivered and how many failed.
async fn flush_notifications(
    State(state): State<AppState>,
    // It takes no fields, but a body that is not a JSON object is refused as on every POST.
    _no_fields: Option<JsonObject>,
) -> Result<Response, ApiError> {
    let report = state.notifier.flush().await?;
    Ok(answer(&FlushAnswer {
        res_cd: ResCode::Success.as_str().into(),
        res_msg: "Success".into(),
        delivered: report.delivered,
        failed: report.failed,
    }))
}

/// An answer of the control plane, typed as the OpenAPI document describes it (`resCd` first).
fn answer(body: &impl serde::Serialize) -> Response {
    json_response(200, serde_json::to_string(body).expect("answers serialise"))
}
