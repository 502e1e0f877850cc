//! Card data that nothing can use any more is erased: a registration completed in the window whose
//! `authorizationId` lapsed unissued (30 minutes, decision 6) keeps no sealed card. (A billing key
//! erases its own card when it is removed.)

use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::domain::billing_registration::AUTHORIZATION_LIFETIME;
use crate::store::{registrations, Db};

/// How often lapsed registrations are looked for: a card outlives its authorization by at most
/// this much.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Sweeps every `every` until `shutdown` says stop.
pub fn spawn(db: Db, every: Duration, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        while !*shutdown.borrow() {
            let lapsed_before = Utc::now() - AUTHORIZATION_LIFETIME;
            match registrations::erase_lapsed_cards(db.pool(), lapsed_before).await {
                Ok(0) => {}
                Ok(erased) => {
                    tracing::info!(erased, "erased the cards of lapsed card registrations")
                }
                Err(error) => {
                    tracing::warn!(%error, "could not erase the cards of lapsed card registrations")
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.changed() => {}
            }
        }
    })
}
