//! Card cancel (`POST /api/trades/revise`): in full or in part, with KICC's `remainAmount` check.

use chrono::Utc;
use easypay_api::card_revise::{ReviseCardRequest, ReviseCardResponse};
use easypay_api::msg_auth;
use serde_json::json;

use crate::charge::Tax;
use crate::client::Client;
use crate::error::Error;
use crate::keys::{new_shop_transaction_id, seoul_date};
use crate::transport::{wire_body, Key};
use crate::verify::{echo, present};

/// A card cancel being prepared; see [`Client::cancel_card`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send()"]
pub struct CancelCard<'c> {
    client: &'c Client,
    pg_cno: String,
    partial: Option<u64>,
    remain_amount: Option<u64>,
    message: Option<String>,
    client_ip: Option<String>,
    client_id: Option<String>,
    tax: Option<Tax>,
    shop_transaction_id: Option<String>,
    cancel_req_date: Option<String>,
}

/// An accepted card cancel. Unlike WeChat, the answer is final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardCancel {
    /// The cancel's own transaction number.
    pub cancel_pg_cno: String,
    /// What this cancel took back (won).
    pub cancel_amount: u64,
    /// What remains of the charge after it (won).
    pub remain_amount: u64,
    /// `TS06` when something remains, `TS02` when nothing does.
    pub status_code: String,
    /// The key the cancel was sent under, and its `cancelReqDate`: to send it again (that day, or
    /// until 00:10 the next), send both.
    pub shop_transaction_id: String,
    /// `yyyyMMdd` in Seoul.
    pub cancel_req_date: String,
    /// The whole answer.
    pub response: ReviseCardResponse,
}

impl Client {
    /// Prepares the cancel of a card charge: in full unless [`CancelCard::partial`]. The SDK signs
    /// it (`msgAuthValue` over `pgCno|shopTransactionId`) and dates it today in Seoul.
    ///
    /// ```no_run
    /// # async fn run(client: easypay_client::Client) -> Result<(), easypay_client::Error> {
    /// let cancel = client
    ///     .cancel_card("26031212000012345678")
    ///     .partial(3_000)
    ///     .expect_remaining(7_000)
    ///     .send()
    ///     .await?;
    /// assert_eq!(cancel.status_code, "TS06");
    /// # Ok(())
    /// # }
    /// ```
    pub fn cancel_card(&self, pg_cno: &str) -> CancelCard<'_> {
        CancelCard {
            client: self,
            pg_cno: pg_cno.to_owned(),
            partial: None,
            remain_amount: None,
            message: None,
            client_ip: None,
            client_id: None,
            tax: None,
            shop_transaction_id: None,
            cancel_req_date: None,
        }
    }
}

impl CancelCard<'_> {
    /// Cancels only this many won (`reviseTypeCode` `32`).
    pub fn partial(mut self, amount: u64) -> Self {
        self.partial = Some(amount);
        self
    }

    /// What must remain after this cancel (`remainAmount`): the gateway refuses the cancel
    /// (`C008`) if the charge's balance says otherwise, so two systems that disagree notice.
    pub fn expect_remaining(mut self, amount: u64) -> Self {
        self.remain_amount = Some(amount);
        self
    }

    /// The reason (`reviseMessage`, ≤ 100 bytes).
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// The customer's or operator's IP address (`clientIp`, ≤ 20 bytes).
    pub fn client_ip(mut self, ip: impl Into<String>) -> Self {
        self.client_ip = Some(ip.into());
        self
    }

    /// Who asks for the cancel (`clientId`, ≤ 32 bytes), e.g. the operator's login.
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = Some(id.into());
        self
    }

    /// The cancelled amount's taxable, tax-free and VAT parts (`taxInfo`: `taxationAmount`,
    /// `taxFreeAmount`, `vatAmount`), for a charge made with [`crate::Tax`] parts: the same
    /// [`Tax`] type as a charge's.
    pub fn tax(mut self, tax: Tax) -> Self {
        self.tax = Some(tax);
        self
    }

    /// Sends under this key instead of a generated one.
    pub fn shop_transaction_id(mut self, key: impl Into<String>) -> Self {
        self.shop_transaction_id = Some(key.into());
        self
    }

    /// Resends a cancel first sent just before midnight (Seoul), keeping its first
    /// `cancelReqDate`: yesterday's date is accepted until 00:10, and until then the same key
    /// replays the first answer. After 00:10 a cancel is a new request, under a new key and today's
    /// date.
    pub fn cancel_req_date(mut self, yyyymmdd: impl Into<String>) -> Self {
        self.cancel_req_date = Some(yyyymmdd.into());
        self
    }

    /// Checks, signs and sends, retrying with the same key and date. Unlike a charge, a cancel
    /// whose answer is lost is not looked up by itself: on an error with
    /// [`Error::outcome_unknown`], send it again with the same key and date
    /// ([`CancelCard::shop_transaction_id`], [`CancelCard::cancel_req_date`]), or look it up with
    /// [`Client::recover_card_cancel`].
    pub async fn send(self) -> Result<CardCancel, Error> {
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
            "amount": self.partial,
            "remainAmount": self.remain_amount,
            "clientIp": self.client_ip,
            "clientId": self.client_id,
            "taxInfo": self.tax.map(|tax| json!({
                "taxationAmount": tax.tax_amount,
                "taxFreeAmount": tax.free_amount,
                "vatAmount": tax.vat_amount,
            })),
            "cancelReqDate": date,
            "msgAuthValue": msg_auth::sign(&client.secret_key, &[&self.pg_cno, &key]),
            "reviseMessage": self.message,
        }));
        ReviseCardRequest::parse(&body, now)?;
        // Every error from here on names the key (and what the answer said), to resend or look up.
        let answered: Result<CardCancel, Error> = async {
            let response: ReviseCardResponse = client
                .post("/api/trades/revise", &body, Key::Idempotent(&key))
                .await?
                .success()?;
            echo(
                "shopTransactionId",
                &key,
                Some(&response.shop_transaction_id),
            )?;
            echo("oriPgCno", &self.pg_cno, response.ori_pg_cno.as_deref())?;
            Ok(CardCancel {
                cancel_pg_cno: present("cancelPgCno", response.cancel_pg_cno.clone())?,
                cancel_amount: present("cancelAmount", response.cancel_amount)?,
                remain_amount: present("remainAmount", response.remain_amount)?,
                status_code: present("statusCode", response.status_code.clone())?,
                shop_transaction_id: key.clone(),
                cancel_req_date: date,
                response,
            })
        }
        .await;
        answered.map_err(|error| error.in_call(&key, Some(&self.pg_cno)))
    }
}
