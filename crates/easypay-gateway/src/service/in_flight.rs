//! The keyed card requests this process is still working on, for `retrieveTransaction`. A charge
//! is in flight from the moment it is received: the sandbox's slow card waits for its issuer before
//! the write transaction begins, and nothing of it is in the database until that commits. A lookup
//! meanwhile must answer "still being processed" (`D003`), not "no such transaction" (`F003`): a
//! merchant following KICC's recovery procedure would otherwise take a charge that then succeeds
//! for one never made. Only this process's requests are known here (see docs/cards.md §7).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::store::idempotency::Endpoint;

type Scope = (String, Endpoint, String);

/// How many requests of each (`mallId`, endpoint, `shopTransactionId`) are being worked on.
#[derive(Clone, Default)]
pub struct InFlight(Arc<Mutex<HashMap<Scope, usize>>>);

impl InFlight {
    /// Counts a request in flight until the returned guard is dropped.
    pub fn enter(&self, mall_id: &str, endpoint: Endpoint, shop_transaction_id: &str) -> Entered {
        let scope = (mall_id.to_owned(), endpoint, shop_transaction_id.to_owned());
        *self.lock().entry(scope.clone()).or_default() += 1;
        Entered {
            in_flight: self.clone(),
            scope,
        }
    }

    /// Whether a request under this key, on one of `endpoints`, is being worked on.
    pub fn any(&self, mall_id: &str, endpoints: &[Endpoint], shop_transaction_id: &str) -> bool {
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
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A request in flight; dropping it (answered, failed or abandoned) ends that.
pub struct Entered {
    in_flight: InFlight,
    scope: Scope,
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_in_flight_until_its_last_request_ends() {
        let in_flight = InFlight::default();
        let charges = [Endpoint::CardBatchApproval];
        let first = in_flight.enter("M1", Endpoint::CardBatchApproval, "k");
        let second = in_flight.enter("M1", Endpoint::CardBatchApproval, "k");
        assert!(in_flight.any("M1", &charges, "k"));
        assert!(!in_flight.any("M2", &charges, "k"));
        assert!(!in_flight.any("M1", &[Endpoint::CardRevise], "k"));
        drop(first);
        assert!(in_flight.any("M1", &charges, "k"));
        drop(second);
        assert!(!in_flight.any("M1", &charges, "k"));
    }
}
