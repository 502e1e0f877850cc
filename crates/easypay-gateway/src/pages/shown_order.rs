//! A WeChat order as the QR page and the cashier show it: the payment, and the name of the
//! merchant the customer is paying (its `mallId` only if the merchant has since gone), and whether
//! that merchant takes payments.

use std::ops::Deref;

use crate::domain::wechat_payment::WechatPayment;
use crate::store::{merchants, Db};

pub struct ShownOrder {
    pub payment: WechatPayment,
    pub merchant_name: String,
    /// Whether the merchant takes payments now (a deactivated one does not).
    pub merchant_active: bool,
}

impl ShownOrder {
    /// `payment` with its merchant's name looked up.
    pub async fn of(db: &Db, payment: WechatPayment) -> Result<ShownOrder, sqlx::Error> {
        let merchant = merchants::find(&mut db.read().await?, payment.mall_id.as_str()).await?;
        let (merchant_name, merchant_active) = match merchant {
            Some(merchant) => (merchant.name, merchant.active),
            None => (payment.mall_id.to_string(), false),
        };
        Ok(ShownOrder {
            payment,
            merchant_name,
            merchant_active,
        })
    }
}

impl Deref for ShownOrder {
    type Target = WechatPayment;

    fn deref(&self) -> &WechatPayment {
        &self.payment
    }
}
