//! The merchant named by `mallId` must exist and be active before anything else happens.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use easypay_api::values::{MallId, ShopTransactionId};
use easypay_api::{msg_auth, ResCode};

use crate::domain::merchant::Merchant;
use crate::http::error::ApiError;
use crate::store::{merchants, Conn, Db};

pub async fn active_merchant(
    db: &Db,
    mall_id: &MallId,
    shop_transaction_id: &ShopTransactionId,
) -> Result<Merchant, ApiError> {
    gate(db, mall_id, Some(shop_transaction_id)).await
}

/// For calls without an idempotency key (the registration window's `webpay`).
pub async fn active_merchant_without_key(db: &Db, mall_id: &MallId) -> Result<Merchant, ApiError> {
    gate(db, mall_id, None).await
}

async fn gate(
    db: &Db,
    mall_id: &MallId,
    shop_transaction_id: Option<&ShopTransactionId>,
) -> Result<Merchant, ApiError> {
    let key = shop_transaction_id.map(ShopTransactionId::as_str);
    gate_on(&mut db.read().await?, mall_id.as_str(), key).await
}

/// The same check on `conn` (a write transaction's, inside a keyed request's section).
pub async fn gate_on(
    conn: &mut Conn,
    mall_id: &str,
    shop_transaction_id: Option<&str>,
) -> Result<Merchant, ApiError> {
    let refuse = |code, message: String| {
        let error = ApiError::new(code, message);
        match shop_transaction_id {
            Some(key) => error.echo("shopTransactionId", key),
            None => error,
        }
        .echo("mallId", mall_id)
    };
    match merchants::find(conn, mall_id).await? {
        None => Err(refuse(
            ResCode::UnknownMerchant,
            format!("mallId: no merchant {mall_id:?}"),
        )),
        Some(merchant) if !merchant.active => Err(refuse(
            ResCode::MerchantInactive,
            format!("mallId: merchant {mall_id:?} is deactivated"),
        )),
        Some(merchant) => Ok(merchant),
    }
}

/// A customer's payment to `mall_id` (approving a WeChat order, registering a card) is taken
/// only while the merchant is active: a deactivated one could neither see nor refund it. Checked
/// on the connection that writes the payment.
pub async fn takes_payments(conn: &mut Conn, mall_id: &str) -> Result<(), ApiError> {
    match merchants::find(conn, mall_id).await? {
        Some(merchant) if merchant.active => Ok(()),
        Some(_) | None => Err(ApiError::new(
            ResCode::MerchantInactive,
            format!("mallId: merchant {mall_id:?} is deactivated and takes no payments"),
        )
        .echo("mallId", mall_id)),
    }
}

/// Whether `mall_id` takes payments now, for a page about to offer one (the write checks again).
pub async fn is_taking_payments(db: &Db, mall_id: &str) -> Result<bool, ApiError> {
    let merchant = merchants::find(&mut db.read().await?, mall_id).await?;
    Ok(merchant.is_some_and(|merchant| merchant.active))
}

/// The merchants last found active. Only a hint of which way to check: a keyed request for one of
/// them may leave its check to its section, in the write transaction (on PostgreSQL a shared batch
/// checks every section's merchant in one statement, [`crate::store::deferred`]); a request for any
/// other merchant is checked on its own first, so that requests for unknown or deactivated
/// merchants never cost a batch a rerun. The database decides every time.
#[derive(Clone, Default)]
pub struct SeenActive(Arc<RwLock<HashSet<String>>>);

impl SeenActive {
    pub fn contains(&self, mall_id: &str) -> bool {
        self.read().contains(mall_id)
    }

    pub fn note(&self, merchant: &Merchant) {
        if merchant.active && !self.contains(&merchant.mall_id) {
            self.write().insert(merchant.mall_id.clone());
        }
    }

    pub fn forget(&self, mall_id: &str) {
        self.write().remove(mall_id);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashSet<String>> {
        self.0
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashSet<String>> {
        self.0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A cancel's `msgAuthValue` must be the HMAC-SHA256 of `pgCno|shopTransactionId` with the
/// merchant's secret key (decision 7). A mismatch stores nothing: a corrected retry may reuse the key.
/// The refusal echoes the payment's number as the endpoint's answers name it (`pgCno` on WeChat,
/// `oriPgCno` on cards).
pub fn check_revise_signature(
    merchant: &Merchant,
    pg_cno_field: &'static str,
    pg_cno: &str,
    shop_transaction_id: &ShopTransactionId,
    msg_auth_value: &str,
) -> Result<(), ApiError> {
    let signed = [pg_cno, shop_transaction_id.as_str()];
    if msg_auth::verify(&merchant.secret_key, &signed, msg_auth_value) {
        return Ok(());
    }
    Err(ApiError::new(
        ResCode::MsgAuthValueMismatch,
        "msgAuthValue: not the HMAC-SHA256 of pgCno|shopTransactionId with the merchant's secret key",
    )
    .echo("shopTransactionId", shop_transaction_id.as_str())
    .echo("mallId", merchant.mall_id.as_str())
    .echo(pg_cno_field, pg_cno))
}
