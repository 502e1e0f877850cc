//! The keyed card requests still being worked on, for `retrieveTransaction`. A charge is in flight
//! from the moment it is received: the sandbox's slow card waits for its issuer before the write
//! transaction begins, and nothing of it is in the database until that commits. A lookup meanwhile
//! must answer "still being processed" (`D003`), not "no such transaction" (`F003`): a merchant
//! following KICC's recovery procedure would otherwise take a charge that then succeeds for one
//! never made.
//!
//! This process's requests are counted in memory. On PostgreSQL, where several gateway processes
//! may share the database, each request is also marked in `requests_in_flight` until it ends, so
//! that a lookup answered by another process sees it too; the mark of a process that died lapses
//! after [`LEASE`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;

use crate::domain::ids;
use crate::store::idempotency::Endpoint;
use crate::store::{Backend, Db};

/// How long the mark of a request outlives a process that died before removing it: longer than
/// any request runs (the slow issuer's 3 s, a lock wait of at most `--lock-wait`).
pub const LEASE: Duration = Duration::from_secs(120);

type Scope = (String, Endpoint, String);

/// Lapsed marks are swept at a gateway's first removal of a mark and at every this many after it:
/// a lapsed mark answers no lookup (they look at live marks only), it only takes room.
const SWEEP_EVERY: u64 = 1024;

/// How many requests of each (`mallId`, endpoint, `shopTransactionId`) this process is working on.
#[derive(Clone, Default)]
pub struct InFlight {
    requests: Arc<Mutex<HashMap<Scope, usize>>>,
    /// Marks removed so far (PostgreSQL), which sets when lapsed marks are swept.
    removals: Arc<AtomicU64>,
}

impl InFlight {
    /// Counts a request in flight until the returned guard is dropped; on PostgreSQL the first
    /// request of its key in this process also marks the key for the other processes (a charge,
    /// marked from its receipt, is not marked again by its write). A mark that cannot be written
    /// is logged, and the request goes on: the mark only makes lookups more precise.
    pub async fn enter(
        &self,
        db: &Db,
        mall_id: &str,
        endpoint: Endpoint,
        shop_transaction_id: &str,
    ) -> Entered {
        let (mut entered, first) = self.enter_here(mall_id, endpoint, shop_transaction_id);
        if first && matches!(db.backend(), Backend::Postgres) {
            entered.mark = SharedMark::write(db, &entered.scope, &self.removals).await;
        }
        entered
    }

    /// The guard, and whether it is the only request of its key in this process.
    fn enter_here(
        &self,
        mall_id: &str,
        endpoint: Endpoint,
        shop_transaction_id: &str,
    ) -> (Entered, bool) {
        let scope = (mall_id.to_owned(), endpoint, shop_transaction_id.to_owned());
        let count = {
            let mut requests = self.lock();
            let count = requests.entry(scope.clone()).or_default();
            *count += 1;
            *count
        };
        let entered = Entered {
            in_flight: self.clone(),
            scope,
            mark: None,
        };
        (entered, count == 1)
    }

    /// Whether a request under this key, on one of `endpoints`, is being worked on by this
    /// process or (on PostgreSQL) by another.
    pub async fn any(
        &self,
        db: &Db,
        mall_id: &str,
        endpoints: &[Endpoint],
        shop_transaction_id: &str,
    ) -> Result<bool, sqlx::Error> {
        if self.any_here(mall_id, endpoints, shop_transaction_id) {
            return Ok(true);
        }
        match db.backend() {
            Backend::Sqlite => Ok(false),
            Backend::Postgres => marked(db, mall_id, endpoints, shop_transaction_id).await,
        }
    }

    fn any_here(&self, mall_id: &str, endpoints: &[Endpoint], shop_transaction_id: &str) -> bool {
        let requests = self.lock();
        endpoints.iter().any(|endpoint| {
            requests.contains_key(&(
                mall_id.to_owned(),
                *endpoint,
                shop_transaction_id.to_owned(),
            ))
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Scope, usize>> {
        // A panic while holding the lock leaves the counts consistent (each change is one step).
        self.requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A request in flight; dropping it (answered, failed or abandoned) ends that.
pub struct Entered {
    in_flight: InFlight,
    scope: Scope,
    mark: Option<SharedMark>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        let mut requests = self.in_flight.lock();
        if let Some(count) = requests.get_mut(&self.scope) {
            *count -= 1;
            if *count == 0 {
                requests.remove(&self.scope);
            }
        }
        // Removed in the background: an answer that was committed is found before any mark is
        // looked at, so a mark that stays a moment longer changes no lookup's answer.
        if let (Some(mark), Ok(runtime)) = (self.mark.take(), tokio::runtime::Handle::try_current())
        {
            runtime.spawn(mark.remove());
        }
    }
}

/// A request's row in `requests_in_flight`.
struct SharedMark {
    db: Db,
    entry_id: String,
    removals: Arc<AtomicU64>,
}

impl SharedMark {
    async fn write(
        db: &Db,
        (mall_id, endpoint, shop_transaction_id): &Scope,
        removals: &Arc<AtomicU64>,
    ) -> Option<Self> {
        let entry_id = ids::new_token();
        let lapses_at = Utc::now() + LEASE;
        let written = sqlx::query(
            "INSERT INTO requests_in_flight \
             (entry_id, mall_id, endpoint, shop_transaction_id, lapses_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&entry_id)
        .bind(mall_id)
        .bind(endpoint.as_str())
        .bind(shop_transaction_id)
        .bind(lapses_at.timestamp_millis())
        .execute(db.pool())
        .await;
        match written {
            Ok(_) => Some(SharedMark {
                db: db.clone(),
                entry_id,
                removals: removals.clone(),
            }),
            Err(error) => {
                tracing::warn!(%error, "could not mark a request in flight for other processes");
                None
            }
        }
    }

    /// Removes the mark (by its key: one index look-up); every [`SWEEP_EVERY`]th removal also
    /// removes the marks that lapsed (their processes died), which takes a scan of the table.
    async fn remove(self) {
        let removed = sqlx::query("DELETE FROM requests_in_flight WHERE entry_id = $1")
            .bind(&self.entry_id)
            .execute(self.db.pool())
            .await;
        if let Err(error) = removed {
            tracing::warn!(%error, "could not remove a request's in-flight mark; it lapses");
        }
        if self.removals.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == 0 {
            let swept = sqlx::query("DELETE FROM requests_in_flight WHERE lapses_at < $1")
                .bind(Utc::now().timestamp_millis())
                .execute(self.db.pool())
                .await;
            if let Err(error) = swept {
                tracing::warn!(%error, "could not remove lapsed in-flight marks");
            }
        }
    }
}

async fn marked(
    db: &Db,
    mall_id: &str,
    endpoints: &[Endpoint],
    shop_transaction_id: &str,
) -> Result<bool, sqlx::Error> {
    let placeholders: Vec<String> = (4..4 + endpoints.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT COUNT(*) FROM requests_in_flight \
         WHERE mall_id = $1 AND shop_transaction_id = $2 AND lapses_at >= $3 \
         AND endpoint IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as::<_, (i64,)>(&sql)
        .bind(mall_id)
        .bind(shop_transaction_id)
        .bind(Utc::now().timestamp_millis());
    for endpoint in endpoints {
        query = query.bind(endpoint.as_str());
    }
    let (found,) = query.fetch_one(db.pool()).await?;
    Ok(found > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_in_flight_until_its_last_request_ends() {
        let in_flight = InFlight::default();
        let charges = [Endpoint::CardBatchApproval];
        let (first, only) = in_flight.enter_here("M1", Endpoint::CardBatchApproval, "k");
        let (second, also_only) = in_flight.enter_here("M1", Endpoint::CardBatchApproval, "k");
        assert!(only && !also_only);
        assert!(in_flight.any_here("M1", &charges, "k"));
        assert!(!in_flight.any_here("M2", &charges, "k"));
        assert!(!in_flight.any_here("M1", &[Endpoint::CardRevise], "k"));
        drop(first);
        assert!(in_flight.any_here("M1", &charges, "k"));
        drop(second);
        assert!(!in_flight.any_here("M1", &charges, "k"));
    }
}
