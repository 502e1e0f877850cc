//! A WeChat order as the QR page and the cashier show it: the payment, and the name of the
//! merchant the customer is paying (its `mallId` only if the merchant has since gone).

use std::ops::Deref;

use easypay_api::values::Amount;

use crate::domain::wechat_payment::WechatPayment;
use crate::store::{merchants, Db};

pub struct ShownOrder {
    pub payment: WechatPayment,
    pub merchant_name: String,
}

impl ShownOrder {
    /// `payment` with its merchant's name looked up.
    pub async fn of(db: &Db, payment: WechatPayment) -> Result<ShownOrder, sqlx::Error> {
        let merchant = merchants::find(&mut db.read().await?, payment.mall_id.as_str()).await?;
        let merchant_name = match merchant {
            Some(merchant) => merchant.name,
            None => payment.mall_id.to_string(),
        };
        Ok(ShownOrder {
            payment,
            merchant_name,
        })
    }
}

impl ShownOrder {
    /// What the customer pays or paid: the amount the wallet approved once there is one (the
    /// sandbox may approve another amount, to test a merchant's mismatch handling), else the
    /// order's.
    pub fn amount_shown(&self) -> Amount {
        self.payment.approved_amount.unwrap_or(self.payment.amount)
    }
}

impl Deref for ShownOrder {
    type Target = WechatPayment;

    fn deref(&self) -> &WechatPayment {
        &self.payment
    }
}
