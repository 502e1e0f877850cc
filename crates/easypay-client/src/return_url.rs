//! The browser's form POSTs to the merchant's `returnUrl` (`application/x-www-form-urlencoded`).
//!
//! They are not signed: anyone can post one. Treat them as "the customer is back", and learn the
//! outcome server to server: [`crate::Client::confirm_wechat`] for WeChat, billing-key issuance
//! ([`crate::Client::issue_billing_key`]) for a card registration.

/// Why a return POST could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the returnUrl POST has no {0}")]
pub struct ReturnError(pub &'static str);

fn fields(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

fn take(fields: &[(String, String)], name: &str) -> Option<String> {
    fields
        .iter()
        .find(|(field, _)| field == name)
        .map(|(_, value)| value.clone())
        .filter(|value| !value.is_empty())
}

fn required(fields: &[(String, String)], name: &'static str) -> Result<String, ReturnError> {
    take(fields, name).ok_or(ReturnError(name))
}

/// The return from a WeChat `mweb` payment: `resCd`, `resMsg`, `shopOrderNo`, `pgCno`.
///
/// ```
/// use easypay_client::return_url::WechatReturn;
/// let back = WechatReturn::parse(b"resCd=0000&resMsg=Success&shopOrderNo=ORDER-1&pgCno=26031212000012345678")?;
/// assert!(back.is_success());
/// assert_eq!(back.pg_cno.as_deref(), Some("26031212000012345678"));
/// # Ok::<(), easypay_client::return_url::ReturnError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WechatReturn {
    /// `0000` after paying, else why not (e.g. `W004` cancelled by the customer).
    pub res_cd: String,
    /// The reason, in words.
    pub res_msg: String,
    /// The merchant's order number, echoed.
    pub shop_order_no: String,
    /// KICC's transaction number of the order.
    pub pg_cno: Option<String>,
}

impl WechatReturn {
    /// Reads the form body.
    pub fn parse(body: &[u8]) -> Result<WechatReturn, ReturnError> {
        let fields = fields(body);
        Ok(WechatReturn {
            res_cd: required(&fields, "resCd")?,
            res_msg: take(&fields, "resMsg").unwrap_or_default(),
            shop_order_no: required(&fields, "shopOrderNo")?,
            pg_cno: take(&fields, "pgCno"),
        })
    }

    /// Whether the customer paid (`resCd` `0000`) — still to be confirmed by a status query.
    pub fn is_success(&self) -> bool {
        self.res_cd == "0000"
    }
}

/// The return from the card registration window: `resCd`, `resMsg`, `shopOrderNo`,
/// `authorizationId` and the merchant's own `shopValue1..7`, echoed.
///
/// ```
/// use easypay_client::return_url::BillingReturn;
/// let back = BillingReturn::parse(b"resCd=0000&resMsg=OK&shopOrderNo=REG-1&authorizationId=a1b2&shopValue1=plan-basic")?;
/// assert_eq!(back.authorization_id(), Some("a1b2"));
/// assert_eq!(back.shop_value(1), "plan-basic");
/// assert_eq!(back.shop_value(7), "");
/// # Ok::<(), easypay_client::return_url::ReturnError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingReturn {
    /// `0000` when the card was registered, else why not (e.g. `B007` cancelled).
    pub res_cd: String,
    /// The reason, in words.
    pub res_msg: String,
    /// The registration's order number, echoed: issue the key with it.
    pub shop_order_no: String,
    /// Present when the card was registered; single-use, valid for 30 minutes.
    pub authorization_id: Option<String>,
    /// `shopValue1..7`, empty where the registration set none.
    pub shop_values: [String; 7],
}

impl BillingReturn {
    /// Reads the form body.
    pub fn parse(body: &[u8]) -> Result<BillingReturn, ReturnError> {
        let fields = fields(body);
        let shop_values = std::array::from_fn(|n| {
            take(&fields, &format!("shopValue{}", n + 1)).unwrap_or_default()
        });
        Ok(BillingReturn {
            res_cd: required(&fields, "resCd")?,
            res_msg: take(&fields, "resMsg").unwrap_or_default(),
            shop_order_no: required(&fields, "shopOrderNo")?,
            authorization_id: take(&fields, "authorizationId"),
            shop_values,
        })
    }

    /// The `authorizationId` to issue the billing key with, if the registration succeeded.
    pub fn authorization_id(&self) -> Option<&str> {
        (self.res_cd == "0000")
            .then_some(self.authorization_id.as_deref())
            .flatten()
    }

    /// `shopValue{n}` for n in 1..=7 (`""` otherwise).
    pub fn shop_value(&self, n: usize) -> &str {
        n.checked_sub(1)
            .and_then(|index| self.shop_values.get(index))
            .map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancelled_registration_has_no_authorization() {
        let back = BillingReturn::parse(
            "resCd=B007&resMsg=%EC%B7%A8%EC%86%8C&shopOrderNo=R-1&authorizationId=".as_bytes(),
        )
        .unwrap();
        assert_eq!(back.res_msg, "취소");
        assert_eq!(back.authorization_id(), None);
        assert_eq!(back.shop_value(0), "");
    }

    #[test]
    fn required_fields_are_named() {
        assert_eq!(
            WechatReturn::parse(b"resCd=0000&pgCno=1"),
            Err(ReturnError("shopOrderNo"))
        );
        let back = WechatReturn::parse(b"resCd=W004&resMsg=cancelled+by+customer&shopOrderNo=O-1")
            .unwrap();
        assert!(!back.is_success());
        assert_eq!(back.res_msg, "cancelled by customer");
    }
}
