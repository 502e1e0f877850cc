//! The merchant named by `mallId` must exist and be active before anything else happens.

use easypay_api::values::{MallId, ShopTransactionId};
use easypay_api::{msg_auth, ResCode};

use crate::domain::merchant::Merchant;
use crate::http::error::ApiError;
use crate::store::{merchants, Db};

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
    let refuse = |code, message: String| {
        let error = ApiError::new(code, message);
        match shop_transaction_id {
            Some(key) => error.echo("shopTransactionId", key.as_str()),
            None => error,
        }
        .echo("mallId", mall_id.as_str())
    };
    match merchants::find(&mut db.read().await?, mall_id.as_str()).await? {
        None => Err(refuse(
            ResCode::UnknownMerchant,
            format!("mallId: no merchant {:?}", mall_id.as_str()),
        )),
        Some(merchant) if !merchant.active => Err(refuse(
            ResCode::MerchantInactive,
            format!("mallId: merchant {:?} is deactivated", mall_id.as_str()),
        )),
        Some(merchant) => Ok(merchant),
    }
}

/// A cancel's `msgAuthValue` must be the HMAC-SHA256 of `pgCno|shopTransactionId` with the
/// merchant's secret key (decision 7). A mismatch stores nothing: a corrected retry may reuse the key.
pub fn check_revise_signature(
    merchant: &Merchant,
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
    .echo("pgCno", pg_cno))
}
