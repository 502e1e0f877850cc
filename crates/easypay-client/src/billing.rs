//! Billing keys: the card registration window (`POST /api/ep9/trades/webpay`), issuance from the
//! window's `authorizationId` (`POST /api/ep9/trades/approval`) and removal
//! (`POST /api/trades/removeBatchKey`).

use std::fmt;

use chrono::Utc;
pub use easypay_api::billing::{CertType, DeviceType, GoodsType, LangFlag};
use easypay_api::billing::{WebpayRequest, WebpayResponse};
use easypay_api::billing_key::{
    IssueKeyRequest, IssueKeyResponse, RemoveKeyRequest, RemoveKeyResponse,
};
use serde_json::{json, Value};

use crate::client::Client;
use crate::customer::Customer;
use crate::error::Error;
use crate::keys::{new_shop_transaction_id, seoul_date};
use crate::transport::{wire_body, Key};
use crate::verify::{echo, present, signature, Signed};

/// A card registration window being prepared; see [`Client::open_billing_window`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send()"]
pub struct OpenBillingWindow<'c> {
    client: &'c Client,
    shop_order_no: String,
    goods_name: String,
    return_url: String,
    device: DeviceType,
    lang: Option<LangFlag>,
    cert_type: Option<CertType>,
    goods_type: Option<GoodsType>,
    mall_name: Option<String>,
    customer: Option<Customer>,
    shop_values: [Option<String>; 7],
}

/// A billing key issued for a registered card. Its `Debug` leaves the key out (it charges the
/// card with no other secret); store `batch_key` as you would a password.
#[derive(Clone, PartialEq, Eq)]
pub struct BillingKey {
    /// The key to charge with (`paymentInfo.cardInfo.cardNo`). Store it; it is not a card number.
    pub batch_key: String,
    /// KICC's transaction number of the issuance.
    pub pg_cno: String,
    /// `yyyyMMddHHmmss`, Seoul time.
    pub transaction_date: String,
    /// The masked card number to show the customer, e.g. `457973********02` (the first 6 and last 2 digits).
    pub card_mask_no: String,
    /// The card issuer's name, e.g. `신한카드`.
    pub issuer_name: String,
    /// The key the issuance was sent under (to look it up with `retrieveTransaction`).
    pub shop_transaction_id: String,
    /// The `approvalReqDate` it was sent with (`yyyyMMdd`, Seoul): with the key, what
    /// [`Client::recover_billing_key`] looks it up by.
    pub approval_req_date: String,
    /// True when the answer was lost and recovered through `retrieveTransaction`, whose answers
    /// KICC does not sign; otherwise its `msgAuthValue` was verified.
    pub recovered: bool,
    /// The whole answer.
    pub response: IssueKeyResponse,
}

impl fmt::Debug for BillingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BillingKey")
            .field("batch_key", &"<redacted>")
            .field("pg_cno", &self.pg_cno)
            .field("transaction_date", &self.transaction_date)
            .field("card_mask_no", &self.card_mask_no)
            .field("issuer_name", &self.issuer_name)
            .field("shop_transaction_id", &self.shop_transaction_id)
            .field("approval_req_date", &self.approval_req_date)
            .field("recovered", &self.recovered)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Prepares a card registration window (billing key, `payMethodTypeCode` `81`). Send the
    /// customer's browser to the answered `authPageUrl`; the window posts the result to
    /// `return_url` (read it with [`crate::return_url::BillingReturn`]).
    ///
    /// This call has no idempotency key in KICC's API, so it is retried only when nothing was
    /// sent. After any other failure, sending the same request again is safe with `easypay
    /// serve` (the same request answers the same window; `shopOrderNo` stands in for the key),
    /// but KICC documents no such guarantee: against KICC open a new window with a new
    /// `shopOrderNo`.
    ///
    /// ```no_run
    /// # async fn run(client: easypay_client::Client) -> Result<(), easypay_client::Error> {
    /// use easypay_client::billing::DeviceType;
    /// let auth_page_url = client
    ///     .open_billing_window("REG-1001", "Monthly plan", "https://shop.example/billing/return")
    ///     .device(DeviceType::Mobile)
    ///     .shop_value(1, "plan-basic")
    ///     .send()
    ///     .await?;
    /// # let _ = auth_page_url;
    /// # Ok(())
    /// # }
    /// ```
    pub fn open_billing_window(
        &self,
        shop_order_no: &str,
        goods_name: &str,
        return_url: &str,
    ) -> OpenBillingWindow<'_> {
        OpenBillingWindow {
            client: self,
            shop_order_no: shop_order_no.to_owned(),
            goods_name: goods_name.to_owned(),
            return_url: return_url.to_owned(),
            device: DeviceType::Pc,
            lang: None,
            cert_type: None,
            goods_type: None,
            mall_name: None,
            customer: None,
            shop_values: Default::default(),
        }
    }

    /// Issues the billing key of a completed registration, from the `authorizationId` the window
    /// posted back and the registration's `shopOrderNo`. The answer's `msgAuthValue` is verified;
    /// if the answer is lost, it is recovered through `retrieveTransaction`. When the outcome
    /// stays unknown ([`Error::outcome_unknown`]: no answer, `D003`, or an answer that failed its
    /// check, e.g. with a secret key that is not EasyPay's), the key may have been issued: look it
    /// up with [`Client::recover_billing_key`] under [`Error::shop_transaction_id`] and today's
    /// date before asking the customer to register again.
    ///
    /// ```no_run
    /// # async fn run(client: easypay_client::Client) -> Result<(), easypay_client::Error> {
    /// let key = client.issue_billing_key("authorization-id-from-the-return", "REG-1001").await?;
    /// println!("charge {} from now on ({})", key.batch_key, key.card_mask_no);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn issue_billing_key(
        &self,
        authorization_id: &str,
        shop_order_no: &str,
    ) -> Result<BillingKey, Error> {
        let key = new_shop_transaction_id();
        self.issue_billing_key_under(&key, authorization_id, shop_order_no)
            .await
    }

    /// [`Client::issue_billing_key`] under a `shopTransactionId` of the merchant's choosing. Store
    /// the key before the call: if the merchant's process dies before the answer arrives, the
    /// same call again replays the issuance (that day), and [`Client::recover_billing_key`] finds
    /// it, where a second issuance with the `authorizationId` would only answer `B002`.
    ///
    /// ```no_run
    /// # async fn run(client: easypay_client::Client) -> Result<(), easypay_client::Error> {
    /// let key = easypay_client::new_shop_transaction_id();
    /// // … store `key` with the registration first …
    /// let issued = client
    ///     .issue_billing_key_under(&key, "authorization-id-from-the-return", "REG-1001")
    ///     .await?;
    /// # let _ = issued;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn issue_billing_key_under(
        &self,
        shop_transaction_id: &str,
        authorization_id: &str,
        shop_order_no: &str,
    ) -> Result<BillingKey, Error> {
        let key = shop_transaction_id.to_owned();
        let now = Utc::now();
        let date = seoul_date(now);
        let body = wire_body(json!({
            "mallId": &*self.mall_id,
            "shopTransactionId": key,
            "authorizationId": authorization_id,
            "shopOrderNo": shop_order_no,
            "approvalReqDate": date,
        }));
        IssueKeyRequest::parse(&body, now)?;
        let answered = self
            .post("/api/ep9/trades/approval", &body, Key::Idempotent(&key))
            .await;
        let (response, recovered) = match answered {
            Ok(envelope) => (
                envelope
                    .success::<IssueKeyResponse>()
                    .map_err(|error| error.in_call(&key, None))?,
                false,
            ),
            Err(error) if error.outcome_unknown() => {
                match self.recover_billing_key(&key, &date).await {
                    Ok(Some(response)) => (response, true),
                    // A refusal is known; an issuance still in progress is not.
                    Err(known @ (Error::Refused(_) | Error::InProgress { .. })) => {
                        return Err(known)
                    }
                    Ok(None) | Err(_) => return Err(error),
                }
            }
            Err(error) => return Err(error),
        };
        let answered_pg_cno = response.pg_cno.clone();
        self.issued(response, (&key, &date), shop_order_no, recovered)
            .map_err(|error| error.in_call(&key, answered_pg_cno.as_deref()))
    }

    fn issued(
        &self,
        response: IssueKeyResponse,
        (key, date): (&str, &str),
        shop_order_no: &str,
        recovered: bool,
    ) -> Result<BillingKey, Error> {
        echo(
            "shopTransactionId",
            key,
            Some(&response.shop_transaction_id),
        )?;
        echo("mallId", &self.mall_id, Some(&response.mall_id))?;
        echo("shopOrderNo", shop_order_no, Some(&response.shop_order_no))?;
        if !recovered {
            signature(
                &self.secret_key,
                &Signed {
                    pg_cno: response.pg_cno.as_deref(),
                    amount: response.amount,
                    transaction_date: response.transaction_date.as_deref(),
                    msg_auth_value: response.msg_auth_value.as_deref(),
                },
            )?;
        }
        let card = &present("paymentInfo", response.payment_info.as_ref())?.card_info;
        Ok(BillingKey {
            batch_key: card.card_no.clone(),
            pg_cno: present("pgCno", response.pg_cno.clone())?,
            transaction_date: present("transactionDate", response.transaction_date.clone())?,
            card_mask_no: card.card_mask_no.clone(),
            issuer_name: card.issuer_name.clone(),
            shop_transaction_id: key.to_owned(),
            approval_req_date: date.to_owned(),
            recovered,
            response,
        })
    }

    /// Removes a billing key: it can no longer be charged.
    ///
    /// ```no_run
    /// # async fn run(client: easypay_client::Client) -> Result<(), easypay_client::Error> {
    /// client.remove_billing_key("the-batch-key").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn remove_billing_key(&self, batch_key: &str) -> Result<RemoveKeyResponse, Error> {
        let key = new_shop_transaction_id();
        let now = Utc::now();
        let body = wire_body(json!({
            "mallId": &*self.mall_id,
            "shopTransactionId": key,
            "batchKey": batch_key,
            "removeReqDate": seoul_date(now),
        }));
        RemoveKeyRequest::parse(&body, now)?;
        let removed: RemoveKeyResponse = self
            .post("/api/trades/removeBatchKey", &body, Key::Idempotent(&key))
            .await?
            .success()?;
        echo(
            "shopTransactionId",
            &key,
            Some(&removed.shop_transaction_id),
        )?;
        Ok(removed)
    }
}

impl OpenBillingWindow<'_> {
    /// `deviceTypeCode`: the window's layout (default `pc`).
    pub fn device(mut self, device: DeviceType) -> Self {
        self.device = device;
        self
    }

    /// `langFlag` (Korean when not given).
    pub fn lang(mut self, lang: LangFlag) -> Self {
        self.lang = Some(lang);
        self
    }

    /// `certType`: what the window asks for (default `0`: number, expiry, birth date, password).
    pub fn cert_type(mut self, cert_type: CertType) -> Self {
        self.cert_type = Some(cert_type);
        self
    }

    /// `orderInfo.goodsTypeCode`.
    pub fn goods_type(mut self, goods_type: GoodsType) -> Self {
        self.goods_type = Some(goods_type);
        self
    }

    /// `mallName`: the name the window shows.
    pub fn mall_name(mut self, name: impl Into<String>) -> Self {
        self.mall_name = Some(name.into());
        self
    }

    /// `orderInfo.customerInfo`.
    pub fn customer(mut self, customer: Customer) -> Self {
        self.customer = Some(customer);
        self
    }

    /// `shopValueInfo.value{n}` (n in 1..=7; others are ignored), echoed to `returnUrl`.
    pub fn shop_value(mut self, n: usize, value: impl Into<String>) -> Self {
        if let Some(slot) = n.checked_sub(1).and_then(|i| self.shop_values.get_mut(i)) {
            *slot = Some(value.into());
        }
        self
    }

    /// Checks every field with KICC's rules, then sends; answers the window's `authPageUrl`.
    pub async fn send(self) -> Result<String, Error> {
        let shop_values: serde_json::Map<String, Value> = self
            .shop_values
            .iter()
            .enumerate()
            .filter_map(|(i, value)| Some((format!("value{}", i + 1), json!(value.as_ref()?))))
            .collect();
        let body = wire_body(json!({
            "mallId": &*self.client.mall_id,
            "shopOrderNo": self.shop_order_no,
            "amount": 0,
            "payMethodTypeCode": "81",
            "currency": "00",
            "returnUrl": self.return_url,
            "deviceTypeCode": self.device.as_str(),
            "clientTypeCode": "00",
            "langFlag": self.lang.map(LangFlag::as_str),
            "mallName": self.mall_name,
            "orderInfo": {
                "goodsName": self.goods_name,
                "goodsTypeCode": self.goods_type.map(GoodsType::as_str),
                "customerInfo": self.customer.as_ref().map(Customer::to_json),
            },
            "payMethodInfo": self.cert_type.map(|cert| json!({
                "billKeyMethodInfo": {"certType": cert.as_str()},
            })),
            "shopValueInfo": shop_values,
        }));
        WebpayRequest::parse(&body)?;
        let opened: WebpayResponse = self
            .client
            .post("/api/ep9/trades/webpay", &body, Key::None)
            .await?
            .success()?;
        present("authPageUrl", opened.auth_page_url)
    }
}
