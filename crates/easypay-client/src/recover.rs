//! Recovery of a lost card answer (issuance, charge, cancel) through Transaction Status
//! (`POST /api/trades/retrieveTransaction`, kicc-api §3.7): the original answer, found by the
//! original `shopTransactionId` and the Seoul date it was sent (today or yesterday only).

use chrono::Utc;
use easypay_api::billing_key::IssueKeyResponse;
use easypay_api::card_batch::BatchApprovalResponse;
use easypay_api::card_revise::ReviseCardResponse;
use easypay_api::retrieve::RetrieveRequest;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::client::Client;
use crate::error::Error;
use crate::transport::{wire_body, Key};

/// `resCd` of a lookup that found nothing under that key and date.
const NOT_FOUND: &str = "F003";

impl Client {
    /// The answer of an earlier billing-key issuance, by its key and `yyyyMMdd` date: `None` if
    /// no issuance was made under them, [`Error::Refused`] if it was refused. Recovered answers
    /// carry no `msgAuthValue` (KICC does not sign them).
    ///
    /// [`Client::issue_billing_key`] does this by itself when an answer is lost.
    ///
    /// ```no_run
    /// # async fn run(client: easypay_client::Client) -> Result<(), easypay_client::Error> {
    /// if let Some(issued) = client.recover_billing_key("the-key-of-the-lost-call", "20260312").await? {
    ///     println!("issued {:?}", issued.pg_cno);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn recover_billing_key(
        &self,
        shop_transaction_id: &str,
        yyyymmdd: &str,
    ) -> Result<Option<IssueKeyResponse>, Error> {
        self.retrieve(shop_transaction_id, yyyymmdd).await
    }

    /// The answer of an earlier recurring charge, by its key and `yyyyMMdd` date: `None` if no
    /// charge was made under them, [`Error::Refused`] if it was declined.
    ///
    /// [`crate::Charge::send`] does this by itself when an answer is lost.
    ///
    /// ```no_run
    /// # async fn run(client: easypay_client::Client) -> Result<(), easypay_client::Error> {
    /// match client.recover_charge("the-key-of-the-lost-call", "20260312").await {
    ///     Ok(Some(charged)) => println!("charged {:?}", charged.amount),
    ///     Ok(None) => println!("never charged: send it again with the same key"),
    ///     Err(error) => println!("{error}"),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn recover_charge(
        &self,
        shop_transaction_id: &str,
        yyyymmdd: &str,
    ) -> Result<Option<BatchApprovalResponse>, Error> {
        self.retrieve(shop_transaction_id, yyyymmdd).await
    }

    /// The answer of an earlier card cancel, by its key and `yyyyMMdd` date (its
    /// `cancelReqDate`): `None` if no cancel was made under them, [`Error::Refused`] if it was
    /// refused.
    ///
    /// ```no_run
    /// # async fn run(client: easypay_client::Client) -> Result<(), easypay_client::Error> {
    /// if let Some(cancel) = client.recover_card_cancel("the-key-of-the-lost-cancel", "20260312").await? {
    ///     println!("cancelled {:?}, {:?} remains", cancel.cancel_amount, cancel.remain_amount);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn recover_card_cancel(
        &self,
        shop_transaction_id: &str,
        yyyymmdd: &str,
    ) -> Result<Option<ReviseCardResponse>, Error> {
        self.retrieve(shop_transaction_id, yyyymmdd).await
    }

    async fn retrieve<T: DeserializeOwned>(
        &self,
        shop_transaction_id: &str,
        yyyymmdd: &str,
    ) -> Result<Option<T>, Error> {
        let body = wire_body(json!({
            "mallId": &*self.mall_id,
            "shopTransactionId": shop_transaction_id,
            "transactionDate": yyyymmdd,
        }));
        RetrieveRequest::parse(&body, Utc::now())?;
        // A lookup changes nothing: retrying it is always safe.
        let envelope = self
            .post(
                "/api/trades/retrieveTransaction",
                &body,
                Key::Idempotent(shop_transaction_id),
            )
            .await?;
        if envelope.res_cd == NOT_FOUND {
            return Ok(None);
        }
        envelope.success().map(Some)
    }
}
