//! KICC's integrity rules for a WeChat payment, done for the merchant: confirm the payment with a
//! status query (never trust only a notification or a browser return), cancel it at once when
//! the approved amount is not the order's, and cancel it when the merchant cannot record it.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;

use crate::client::Client;
use crate::error::Error;
use crate::money::Money;
use crate::wechat::{WechatPayment, WechatStatus};
use crate::wechat_cancel::WechatCancel;
use easypay_api::ResCode;

/// Why a payment was not settled. `E` is the error of the merchant's own "record the payment"
/// step ([`Client::record_or_cancel`], [`Client::settle_wechat`]).
#[derive(Debug)]
pub enum SettleError<E = Infallible> {
    /// The status query failed; nothing was decided, try again.
    Client(Error),
    /// The payment is not (or no longer) approved as a whole: pending, declined, expired, or
    /// cancelled in part or in full since. Look at the status before acting on it: a payment
    /// partly cancelled (`WechatStatus::PartiallyCancelled`) or cancelled (`Cancelled`) *was*
    /// paid, and the merchant's own refund made it so; a repeated notification for it must not
    /// mark the order unpaid. Nothing was recorded or cancelled.
    NotApproved(WechatStatus),
    /// The wallet approved another amount than the order's: the payment was cancelled in full at
    /// once, as KICC requires; `cancel` is that cancel's outcome (on `Err`, cancel it again,
    /// unless it is `C006`: another settlement cancelled it first; [`SettleError::must_run_again`]
    /// tells).
    AmountMismatch {
        /// The order's amount.
        expected: Money,
        /// What the wallet approved.
        approved: Money,
        /// The cancel sent at once.
        cancel: Result<WechatCancel, Error>,
    },
    /// The merchant's own step failed: the payment was cancelled in full, as KICC requires.
    RecordFailed {
        /// The merchant's error.
        source: E,
        /// The cancel sent at once.
        cancel: Result<WechatCancel, Error>,
    },
}

impl<E: fmt::Display> fmt::Display for SettleError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cancelled = |cancel: &Result<WechatCancel, Error>| match cancel {
            Ok(cancel) => format!("cancelled (cancelPgCno {})", cancel.cancel_pg_cno),
            Err(_) if cancelled_already(cancel) => {
                "cancelled in full already (C006: another settlement's cancel came first)".into()
            }
            Err(error) => format!("the cancel FAILED, cancel it again: {error}"),
        };
        match self {
            SettleError::Client(error) => write!(f, "{error}"),
            SettleError::NotApproved(status) => {
                write!(f, "the payment is not approved: {status:?}")
            }
            SettleError::AmountMismatch {
                expected,
                approved,
                cancel,
            } => write!(
                f,
                "{approved} was approved but the order is {expected}: {}",
                cancelled(cancel)
            ),
            SettleError::RecordFailed { source, cancel } => write!(
                f,
                "recording the payment failed ({source}): {}",
                cancelled(cancel)
            ),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for SettleError<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SettleError::Client(error) => Some(error),
            SettleError::RecordFailed { source, .. } => Some(source),
            SettleError::NotApproved(_) | SettleError::AmountMismatch { .. } => None,
        }
    }
}

impl<E> SettleError<E> {
    /// Whether the payment still needs this settlement to run again: the status query failed, or
    /// a cancel that KICC requires (another amount approved, a payment not recorded) did not go
    /// through. Answer the approval notification with
    /// [`resend_body`](crate::webhook::resend_body) then, so that EasyPay sends it again and the
    /// settlement (and its cancel) runs again; or run it again yourself.
    ///
    /// ```
    /// # use easypay_client::{SettleError, WechatStatus};
    /// let settled: SettleError = SettleError::NotApproved(WechatStatus::Pending);
    /// assert!(!settled.must_run_again());
    /// ```
    pub fn must_run_again(&self) -> bool {
        match self {
            SettleError::Client(_) => true,
            SettleError::NotApproved(_) => false,
            SettleError::AmountMismatch { cancel, .. }
            | SettleError::RecordFailed { cancel, .. } => {
                cancel.is_err() && !cancelled_already(cancel)
            }
        }
    }
}

/// A cancel refused because the payment is cancelled in full already (`C006`): another
/// settlement of the same payment (a notification and the browser's return at once) cancelled it
/// first. What the cancel was for is done.
fn cancelled_already(cancel: &Result<WechatCancel, Error>) -> bool {
    match cancel {
        Ok(_) => false,
        Err(error) => error
            .refusal()
            .is_some_and(|refusal| refusal.is(ResCode::AlreadyCancelled)),
    }
}

impl<E> From<Error> for SettleError<E> {
    fn from(error: Error) -> Self {
        SettleError::Client(error)
    }
}

impl SettleError<Infallible> {
    fn widen<E>(self) -> SettleError<E> {
        match self {
            SettleError::Client(error) => SettleError::Client(error),
            SettleError::NotApproved(status) => SettleError::NotApproved(status),
            SettleError::AmountMismatch {
                expected,
                approved,
                cancel,
            } => SettleError::AmountMismatch {
                expected,
                approved,
                cancel,
            },
            SettleError::RecordFailed { source, .. } => match source {},
        }
    }
}

impl Client {
    /// Confirms that a WeChat payment is approved for exactly `expected`, by a status query. If
    /// another amount (or currency) was approved, cancels the payment in full at once and answers
    /// [`SettleError::AmountMismatch`].
    ///
    /// Use it when the approval notification arrives (after verifying it) and, if none arrives,
    /// to recover the payment's outcome.
    ///
    /// ```no_run
    /// # async fn run(client: easypay_client::Client) {
    /// use easypay_client::{Money, SettleError};
    /// match client.confirm_wechat("26031212000012345678", Money::krw(1000)).await {
    ///     Ok(payment) => println!("paid: {:?}", payment.status),
    ///     Err(SettleError::AmountMismatch { approved, .. }) => println!("{approved} was refunded"),
    ///     Err(other) => println!("{other}"),
    /// }
    /// # }
    /// ```
    pub async fn confirm_wechat(
        &self,
        pg_cno: &str,
        expected: Money,
    ) -> Result<WechatPayment, SettleError> {
        let payment = self.find_wechat(pg_cno).await?;
        let WechatStatus::Approved(approval) = &payment.status else {
            return Err(SettleError::NotApproved(payment.status));
        };
        if approval.amount != expected {
            // No `,` or `&`: KICC's older pages refuse them in free text.
            let memo = format!(
                "amount mismatch: ordered {expected} but approved {}",
                approval.amount
            );
            let cancel = self.cancel_wechat(pg_cno).memo(memo).send().await;
            return Err(SettleError::AmountMismatch {
                expected,
                approved: approval.amount,
                cancel,
            });
        }
        Ok(payment)
    }

    /// Runs the merchant's "record the payment" step; if it fails, cancels the payment in full
    /// (KICC: a payment the merchant could not record must be cancelled).
    ///
    /// `record` must succeed when the payment is already recorded: notifications are sent again
    /// (a lost acknowledgement, a resend), and the browser's return may come too. Write it
    /// idempotently (`UPDATE orders SET paid = true …`, or `INSERT … ON CONFLICT DO NOTHING`);
    /// an error from it cancels a payment that was recorded. Any error cancels, a passing one too
    /// (a dropped database connection): retry inside `record` what deserves a retry, and return
    /// an error only when the payment really cannot be recorded.
    ///
    /// ```no_run
    /// # async fn run(client: easypay_client::Client, payment: easypay_client::WechatPayment) {
    /// async fn mark_paid(order: &str) -> Result<(), std::io::Error> {
    ///     // UPDATE orders SET paid = true WHERE no = $1 …
    ///     # let _ = order;
    ///     Ok(())
    /// }
    /// let recorded = client.record_or_cancel(&payment, mark_paid("ORDER-1001")).await;
    /// # let _ = recorded;
    /// # }
    /// ```
    pub async fn record_or_cancel<T, E>(
        &self,
        payment: &WechatPayment,
        record: impl Future<Output = Result<T, E>>,
    ) -> Result<T, SettleError<E>> {
        match record.await {
            Ok(recorded) => Ok(recorded),
            Err(source) => Err(self.cancel_unrecorded(&payment.pg_cno, source).await),
        }
    }

    async fn cancel_unrecorded<E>(&self, pg_cno: &str, source: E) -> SettleError<E> {
        let cancel = self
            .cancel_wechat(pg_cno)
            .memo("the merchant could not record the payment")
            .send()
            .await;
        SettleError::RecordFailed { source, cancel }
    }

    /// Both rules in one: [`Client::confirm_wechat`], then [`Client::record_or_cancel`] with the
    /// confirmed payment. As there, `record` must succeed when the payment is already recorded
    /// (notifications repeat): an error from it cancels the payment.
    ///
    /// ```no_run
    /// # async fn run(client: easypay_client::Client) {
    /// use easypay_client::Money;
    /// let settled = client
    ///     .settle_wechat("26031212000012345678", Money::krw(1000), |payment| async move {
    ///         // Store payment.pg_cno with the order and mark it paid; a second call for the
    ///         // same payment (a repeated notification) must succeed too.
    ///         Ok::<_, std::io::Error>(payment.pg_cno)
    ///     })
    ///     .await;
    /// # let _ = settled;
    /// # }
    /// ```
    pub async fn settle_wechat<T, E, Fut>(
        &self,
        pg_cno: &str,
        expected: Money,
        record: impl FnOnce(WechatPayment) -> Fut,
    ) -> Result<T, SettleError<E>>
    where
        Fut: Future<Output = Result<T, E>>,
    {
        let payment = self
            .confirm_wechat(pg_cno, expected)
            .await
            .map_err(SettleError::widen)?;
        let pg_cno = payment.pg_cno.clone();
        match record(payment).await {
            Ok(recorded) => Ok(recorded),
            Err(source) => Err(self.cancel_unrecorded(&pg_cno, source).await),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Refusal;

    fn refused(code: ResCode) -> Error {
        Error::Refused(Refusal {
            res_cd: code.as_str().into(),
            res_msg: "refused".into(),
            body: serde_json::json!({}),
        })
    }

    #[test]
    fn a_mismatch_cancelled_first_by_another_settlement_is_settled() {
        let mismatch = |cancel| SettleError::<Infallible>::AmountMismatch {
            expected: Money::krw(1000),
            approved: Money::krw(900),
            cancel: Err(cancel),
        };
        let first_elsewhere = mismatch(refused(ResCode::AlreadyCancelled));
        assert!(!first_elsewhere.must_run_again());
        assert!(
            first_elsewhere
                .to_string()
                .contains("cancelled in full already"),
            "{first_elsewhere}"
        );
        let failed = mismatch(refused(ResCode::MsgAuthValueMismatch));
        assert!(failed.must_run_again());
        assert!(failed.to_string().contains("the cancel FAILED"), "{failed}");
    }
}
