//! KICC's "cancel what you cannot record" rule for a recurring card charge, done for the merchant
//! (kicc-api §3.4, as for WeChat in [`crate::SettleError`]).

use std::fmt;
use std::future::Future;

use crate::card_cancel::CardCancel;
use crate::charge::CardCharge;
use crate::client::Client;
use crate::error::Error;

/// A charge the merchant's own "record it" step failed for: it was cancelled in full at once, as
/// KICC requires. On `cancel` `Err`, cancel it again ([`Client::cancel_card`] with `pg_cno`).
#[derive(Debug)]
pub struct ChargeNotRecorded<E> {
    /// The merchant's error.
    pub source: E,
    /// The charge that was approved and not recorded.
    pub pg_cno: String,
    /// The cancel sent at once.
    pub cancel: Result<CardCancel, Error>,
}

impl<E: fmt::Display> fmt::Display for ChargeNotRecorded<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cancel {
            Ok(cancel) => write!(
                f,
                "recording charge {} failed ({}): cancelled (cancelPgCno {})",
                self.pg_cno, self.source, cancel.cancel_pg_cno
            ),
            Err(error) => write!(
                f,
                "recording charge {} failed ({}): the cancel FAILED, cancel it again: {error}",
                self.pg_cno, self.source
            ),
        }
    }
}

impl<E: std::error::Error + 'static> std::error::Error for ChargeNotRecorded<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

impl Client {
    /// Runs the merchant's "record the charge" step; if it fails, cancels the charge in full at
    /// once (KICC: a payment the merchant could not record must be cancelled).
    ///
    /// `record` must succeed when the charge is already recorded (a retried job, a card
    /// notification that arrives again): write it idempotently, e.g. keyed by `pg_cno` with
    /// `INSERT … ON CONFLICT DO NOTHING`. An error from it cancels a charge that was recorded.
    ///
    /// ```no_run
    /// # async fn run(client: easypay_client::Client, key: &str) -> Result<(), Box<dyn std::error::Error>> {
    /// async fn store(pg_cno: &str) -> Result<(), std::io::Error> {
    ///     // INSERT INTO charges (pg_cno, …) VALUES ($1, …) ON CONFLICT DO NOTHING
    ///     # let _ = pg_cno;
    ///     Ok(())
    /// }
    /// let charge = client.charge(key, "SUB-2026-03", "Monthly plan", 9_900).send().await?;
    /// client.record_charge_or_cancel(&charge, store(&charge.pg_cno)).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn record_charge_or_cancel<T, E>(
        &self,
        charge: &CardCharge,
        record: impl Future<Output = Result<T, E>>,
    ) -> Result<T, ChargeNotRecorded<E>> {
        match record.await {
            Ok(recorded) => Ok(recorded),
            Err(source) => {
                let cancel = self
                    .cancel_card(&charge.pg_cno)
                    .message("the merchant could not record the charge")
                    .send()
                    .await;
                Err(ChargeNotRecorded {
                    source,
                    pg_cno: charge.pg_cno.clone(),
                    cancel,
                })
            }
        }
    }
}
