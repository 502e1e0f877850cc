//! The merchant named by `mallId` must exist and be active before anything else happens.

use easypay_api::values::{MallId, ShopTransactionId};
use easypay_api::ResCode;

use crate::domain::merchant::Merchant;
use crate::http::error::ApiError;
use crate::store::{merchants, Db};

pub async fn active_merchant(
    db: &Db,
    mall_id: &MallId,
    shop_transaction_id: &ShopTransactionId,
) -> Result<Merchant, ApiError> {
    let refuse = |code, message: String| {
        ApiError::new(code, message)
            .echo("shopTransactionId", shop_transaction_id.as_str())
            .echo("mallId", mall_id.as_str())
    };
    match merchants::find(db.pool(), mall_id.as_str()).await? {
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
