//! Recurring charge with a billing key (`POST /api/trades/approval/batch`, kicc-api §3.4).

use std::fmt;

use chrono::Utc;
use easypay_api::card_batch::{BatchApprovalRequest, BatchApprovalResponse};
use serde_json::json;

use crate::client::Client;
use crate::customer::Customer;
use crate::error::{Error, Integrity};
use crate::keys::{new_shop_transaction_id, seoul_date};
use crate::transport::{wire_body, Key};
use crate::verify::{echo, present, signature, Signed};

/// A charge being prepared; see [`Client::charge`]. Its `Debug` leaves the billing key out.
#[derive(Clone)]
#[must_use = "nothing is sent until .send()"]
pub struct Charge<'c> {
    client: &'c Client,
    batch_key: String,
    shop_order_no: String,
    goods_name: String,
    amount: u64,
    installment_month: u32,
    free_installment: Option<bool>,
    join_cd: Option<String>,
    customer: Option<Customer>,
    tax: Option<Tax>,
    shop_transaction_id: Option<String>,
}

impl fmt::Debug for Charge<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The billing key charges the card with no other secret: it is never logged.
        f.debug_struct("Charge")
            .field("batch_key", &"<redacted>")
            .field("shop_order_no", &self.shop_order_no)
            .field("goods_name", &self.goods_name)
            .field("amount", &self.amount)
            .field("installment_month", &self.installment_month)
            .field("free_installment", &self.free_installment)
            .field("join_cd", &self.join_cd)
            .field("customer", &self.customer)
            .field("tax", &self.tax)
            .field("shop_transaction_id", &self.shop_transaction_id)
            .finish_non_exhaustive()
    }
}

/// `taxInfo` (complex taxation), in won.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tax {
    /// The taxable part.
    pub tax_amount: u64,
    /// The tax-free part.
    pub free_amount: u64,
    /// The VAT.
    pub vat_amount: u64,
}

/// An approved charge, its `msgAuthValue` and amount verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardCharge {
    /// KICC's transaction number of the charge: keep it to cancel or look it up.
    pub pg_cno: String,
    /// In won; always the requested amount (anything else is an [`Error::Integrity`]).
    pub amount: u64,
    /// `yyyyMMddHHmmss`, Seoul time.
    pub transaction_date: String,
    /// The card company's approval number.
    pub approval_no: String,
    /// The key the charge was sent under.
    pub shop_transaction_id: String,
    /// The `approvalReqDate` it was sent with (`yyyyMMdd`, Seoul): with the key, what
    /// [`Client::recover_charge`] looks it up by.
    pub approval_req_date: String,
    /// True when the answer was lost and recovered through `retrieveTransaction` (unsigned).
    pub recovered: bool,
    /// The whole answer.
    pub response: BatchApprovalResponse,
}

impl Client {
    /// Prepares a charge of `amount` won on a billing key. A decline is [`Error::Refused`] with
    /// KICC's code (e.g. `8521` limit exceeded).
    ///
    /// ```no_run
    /// # async fn run(client: easypay_client::Client) -> Result<(), easypay_client::Error> {
    /// let charged = client
    ///     .charge("the-batch-key", "SUB-2026-03-1001", "Monthly plan", 9_900)
    ///     .send()
    ///     .await?;
    /// println!("approval {}", charged.approval_no);
    /// # Ok(())
    /// # }
    /// ```
    pub fn charge(
        &self,
        batch_key: &str,
        shop_order_no: &str,
        goods_name: &str,
        amount: u64,
    ) -> Charge<'_> {
        Charge {
            client: self,
            batch_key: batch_key.to_owned(),
            shop_order_no: shop_order_no.to_owned(),
            goods_name: goods_name.to_owned(),
            amount,
            installment_month: 0,
            free_installment: None,
            join_cd: None,
            customer: None,
            tax: None,
            shop_transaction_id: None,
        }
    }
}

impl Charge<'_> {
    /// Installment months: 0 (lump sum, the default) or 2 to 12.
    pub fn installment_month(mut self, months: u32) -> Self {
        self.installment_month = months;
        self
    }

    /// `freeInstallmentUsed`: the merchant pays the installment interest.
    pub fn free_installment(mut self, used: bool) -> Self {
        self.free_installment = Some(used);
        self
    }

    /// `joinCd`, an affiliate code.
    pub fn join_cd(mut self, join_cd: impl Into<String>) -> Self {
        self.join_cd = Some(join_cd.into());
        self
    }

    /// `orderInfo.customerInfo`.
    pub fn customer(mut self, customer: Customer) -> Self {
        self.customer = Some(customer);
        self
    }

    /// `taxInfo`.
    pub fn tax(mut self, tax: Tax) -> Self {
        self.tax = Some(tax);
        self
    }

    /// Sends under this key instead of a generated one (store it first to resend after a crash).
    pub fn shop_transaction_id(mut self, key: impl Into<String>) -> Self {
        self.shop_transaction_id = Some(key.into());
        self
    }

    /// Checks and sends, retrying with the same key; if no answer comes, recovers it through
    /// `retrieveTransaction`. Verifies `msgAuthValue` and that the approved amount is the
    /// requested one; a charge approved for another amount is cancelled at once
    /// ([`Integrity::AmountMismatch`]; if that cancel fails, the error's
    /// [`Error::outcome_unknown`] is true and its `pg_cno` is the charge to cancel again).
    ///
    /// A decline is [`Error::Refused`]. Any error for which [`Error::outcome_unknown`] holds
    /// (no answer, still in progress, an answer that failed its check) means the card **may have
    /// been charged**: never charge again under a new key; resend under
    /// [`Error::shop_transaction_id`] or look it up with [`Client::recover_charge`], and cancel
    /// what you will not keep ([`Client::cancel_card`] with the error's `pg_cno`).
    pub async fn send(self) -> Result<CardCharge, Error> {
        let client = self.client;
        let key = self
            .shop_transaction_id
            .unwrap_or_else(new_shop_transaction_id);
        let now = Utc::now();
        let date = seoul_date(now);
        let body = wire_body(json!({
            "mallId": &*client.mall_id,
            "shopTransactionId": key,
            "shopOrderNo": self.shop_order_no,
            "approvalReqDate": date,
            "amount": self.amount,
            "currency": "00",
            "orderInfo": {
                "goodsName": self.goods_name,
                "customerInfo": self.customer.as_ref().map(Customer::to_json),
            },
            "payMethodInfo": {
                "billKeyMethodInfo": {"batchKey": self.batch_key},
                "cardMethodInfo": {
                    "installmentMonth": self.installment_month,
                    "freeInstallmentUsed": self.free_installment,
                    "joinCd": self.join_cd,
                },
            },
            "taxInfo": self.tax.map(|tax| json!({
                "taxAmount": tax.tax_amount,
                "freeAmount": tax.free_amount,
                "vatAmount": tax.vat_amount,
            })),
        }));
        BatchApprovalRequest::parse(&body, now)?;
        let answered = client
            .post("/api/trades/approval/batch", &body, Key::Idempotent(&key))
            .await;
        let (response, recovered) = match answered {
            Ok(envelope) => (
                envelope
                    .success::<BatchApprovalResponse>()
                    .map_err(|error| error.in_call(&key, None))?,
                false,
            ),
            Err(error) if error.outcome_unknown() => match client.recover_charge(&key, &date).await
            {
                Ok(Some(response)) => (response, true),
                // A decline is known; a charge still in progress is not.
                Err(known @ (Error::Refused(_) | Error::InProgress { .. })) => return Err(known),
                Ok(None) | Err(_) => return Err(error),
            },
            Err(error) => return Err(error),
        };
        let answered_pg_cno = response.pg_cno.clone();
        let charge = charged(
            client,
            response,
            (&key, &date),
            &self.shop_order_no,
            recovered,
        )
        .map_err(|error| error.in_call(&key, answered_pg_cno.as_deref()))?;
        if charge.amount != self.amount {
            // KICC's rule: a payment approved for another amount is cancelled at once.
            let cancel = client.cancel_card(&charge.pg_cno).send().await;
            return Err(Error::Integrity {
                problem: Integrity::AmountMismatch {
                    requested: self.amount,
                    approved: charge.amount,
                    pg_cno: charge.pg_cno.clone(),
                    cancel: cancel
                        .map(|cancel| cancel.cancel_pg_cno)
                        .map_err(|failure| failure.to_string()),
                },
                shop_transaction_id: Some(key),
                pg_cno: Some(charge.pg_cno),
            });
        }
        Ok(charge)
    }
}

fn charged(
    client: &Client,
    response: BatchApprovalResponse,
    (key, date): (&str, &str),
    shop_order_no: &str,
    recovered: bool,
) -> Result<CardCharge, Error> {
    echo(
        "shopTransactionId",
        key,
        Some(&response.shop_transaction_id),
    )?;
    echo("mallId", &client.mall_id, Some(&response.mall_id))?;
    echo("shopOrderNo", shop_order_no, Some(&response.shop_order_no))?;
    if !recovered {
        signature(
            &client.secret_key,
            &Signed {
                pg_cno: response.pg_cno.as_deref(),
                amount: response.amount,
                transaction_date: response.transaction_date.as_deref(),
                msg_auth_value: response.msg_auth_value.as_deref(),
            },
        )?;
    }
    let amount = present("amount", response.amount)?;
    Ok(CardCharge {
        pg_cno: present("pgCno", response.pg_cno.clone())?,
        amount,
        transaction_date: present("transactionDate", response.transaction_date.clone())?,
        approval_no: present("paymentInfo", response.payment_info.as_ref())?
            .approval_no
            .clone(),
        shop_transaction_id: key.to_owned(),
        approval_req_date: date.to_owned(),
        recovered,
        response,
    })
}
