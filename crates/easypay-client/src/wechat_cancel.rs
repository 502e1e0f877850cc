//! WeChat Pay cancel (`POST /api/trades/wechatpay/revise`) and its status (`find` with
//! `cancelPgCno`).

use chrono::Utc;
use easypay_api::msg_auth;
use easypay_api::wechat::{Currency, FindWechatRequest};
use easypay_api::wechat_revise::{
    FindWechatCancelResponse, ReviseWechatRequest, ReviseWechatResponse,
};
use serde_json::json;

use crate::client::Client;
use crate::error::Error;
use crate::keys::{new_shop_transaction_id, seoul_date};
use crate::money::Money;
use crate::transport::{wire_body, Key};
use crate::verify::{answer_field, echo, present};

/// A WeChat cancel being prepared; see [`Client::cancel_wechat`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send()"]
pub struct CancelWechat<'c> {
    client: &'c Client,
    pg_cno: String,
    partial: Option<Money>,
    notify_url: Option<String>,
    memo: Option<String>,
    reg_id: Option<String>,
    shop_transaction_id: Option<String>,
    cancel_req_date: Option<String>,
}

/// An accepted cancel. WeChat cancels are asynchronous: the result follows as the cancel
/// notification, or by [`Client::find_wechat_cancel`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WechatCancel {
    /// The cancel's own transaction number.
    pub cancel_pg_cno: String,
    /// What this cancel takes back, when the answer says.
    pub amount: Option<Money>,
    /// The key the cancel was sent under, and its `cancelReqDate`: to send it again, send both.
    pub shop_transaction_id: String,
    /// `yyyyMMdd` in Seoul.
    pub cancel_req_date: String,
    /// The whole answer.
    pub response: ReviseWechatResponse,
}

impl Client {
    /// Prepares the cancel of a WeChat payment: in full unless [`CancelWechat::partial`]. The
    /// SDK signs it (`msgAuthValue` over `pgCno|shopTransactionId`) and dates it today in Seoul.
    ///
    /// ```no_run
    /// # async fn run(client: easypay_client::Client) -> Result<(), easypay_client::Error> {
    /// use easypay_client::Money;
    /// let cancel = client
    ///     .cancel_wechat("26031212000012345678")
    ///     .partial(Money::krw(300))
    ///     .memo("one item out of stock")
    ///     .send()
    ///     .await?;
    /// println!("cancel {} accepted", cancel.cancel_pg_cno);
    /// # Ok(())
    /// # }
    /// ```
    pub fn cancel_wechat(&self, pg_cno: &str) -> CancelWechat<'_> {
        CancelWechat {
            client: self,
            pg_cno: pg_cno.to_owned(),
            partial: None,
            notify_url: None,
            memo: None,
            reg_id: None,
            shop_transaction_id: None,
            cancel_req_date: None,
        }
    }

    /// The status of one cancel of a payment (`find` with `cancelPgCno`): `cancelStatus` is
    /// `TS02` when nothing remains approved, `TS06` when part does.
    ///
    /// ```no_run
    /// # async fn run(client: easypay_client::Client) -> Result<(), easypay_client::Error> {
    /// let found = client.find_wechat_cancel("26031212000012345678", "26031213000087654321").await?;
    /// assert_eq!(found.cancel_status.as_deref(), Some("TS02"));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn find_wechat_cancel(
        &self,
        pg_cno: &str,
        cancel_pg_cno: &str,
    ) -> Result<FindWechatCancelResponse, Error> {
        let key = new_shop_transaction_id();
        let body = wire_body(json!({
            "mallId": &*self.mall_id,
            "shopTransactionId": key,
            "pgCno": pg_cno,
            "cancelPgCno": cancel_pg_cno,
        }));
        FindWechatRequest::parse(&body)?;
        let found: Result<FindWechatCancelResponse, Error> = async {
            let found: FindWechatCancelResponse = self
                .post("/api/trades/wechatpay/find", &body, Key::Idempotent(&key))
                .await?
                .success()?;
            echo("shopTransactionId", &key, Some(&found.shop_transaction_id))?;
            echo("cancelPgCno", cancel_pg_cno, Some(&found.cancel_pg_cno))?;
            Ok(found)
        }
        .await;
        found.map_err(|error| error.in_call(&key, Some(pg_cno)))
    }
}

impl CancelWechat<'_> {
    /// Cancels only this amount (`reviseTypeCode` `32`), in the payment's currency.
    pub fn partial(mut self, amount: Money) -> Self {
        self.partial = Some(amount);
        self
    }

    /// Where the cancel notification goes (else the payment's `notifyUrl`).
    pub fn notify_url(mut self, url: impl Into<String>) -> Self {
        self.notify_url = Some(url.into());
        self
    }

    /// The reason (`memo`, ≤ 400 bytes).
    pub fn memo(mut self, memo: impl Into<String>) -> Self {
        self.memo = Some(memo.into());
        self
    }

    /// Who asked for it (`regId`, ≤ 40 bytes).
    pub fn reg_id(mut self, reg_id: impl Into<String>) -> Self {
        self.reg_id = Some(reg_id.into());
        self
    }

    /// Sends under this key instead of a generated one.
    pub fn shop_transaction_id(mut self, key: impl Into<String>) -> Self {
        self.shop_transaction_id = Some(key.into());
        self
    }

    /// Resends a cancel first sent on another day: KICC asks to keep the first `cancelReqDate`
    /// on a retry (the gateway accepts yesterday's only until 00:10 in Seoul).
    pub fn cancel_req_date(mut self, yyyymmdd: impl Into<String>) -> Self {
        self.cancel_req_date = Some(yyyymmdd.into());
        self
    }

    /// Checks, signs and sends, retrying with the same key and date.
    pub async fn send(self) -> Result<WechatCancel, Error> {
        let client = self.client;
        let key = self
            .shop_transaction_id
            .unwrap_or_else(new_shop_transaction_id);
        let now = Utc::now();
        let date = self.cancel_req_date.unwrap_or_else(|| seoul_date(now));
        let revise_type = if self.partial.is_some() { "32" } else { "40" };
        let body = wire_body(json!({
            "mallId": &*client.mall_id,
            "shopTransactionId": key,
            "pgCno": self.pg_cno,
            "reviseTypeCode": revise_type,
            "cancelReqDate": date,
            "msgAuthValue": msg_auth::sign(&client.secret_key, &[&self.pg_cno, &key]),
            "notifyUrl": self.notify_url,
            "memo": self.memo,
            "regId": self.reg_id,
            "amountInfo": self.partial.map(|amount| json!({
                "currency": amount.currency.as_str(),
                "totAmount": amount.amount,
            })),
        }));
        ReviseWechatRequest::parse(&body, now)?;
        // Every error from here on names the key (and what the answer said), to resend or look up.
        let answered: Result<WechatCancel, Error> = async {
            let response: ReviseWechatResponse = client
                .post("/api/trades/wechatpay/revise", &body, Key::Idempotent(&key))
                .await?
                .success()?;
            echo(
                "shopTransactionId",
                &key,
                Some(&response.shop_transaction_id),
            )?;
            echo("pgCno", &self.pg_cno, Some(&response.pg_cno))?;
            let amount = response
                .amount_info
                .as_ref()
                .map(|info| -> Result<Money, Error> {
                    Ok(Money {
                        currency: answer_field(Currency::parse(
                            "amountInfo.currency",
                            &info.currency,
                        ))?,
                        amount: info.tot_amount,
                    })
                })
                .transpose()?;
            Ok(WechatCancel {
                cancel_pg_cno: present("cancelPgCno", response.cancel_pg_cno.clone())?,
                amount,
                shop_transaction_id: key.clone(),
                cancel_req_date: date,
                response,
            })
        }
        .await;
        answered.map_err(|error| error.in_call(&key, Some(&self.pg_cno)))
    }
}
