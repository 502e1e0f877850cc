//! When to try a call again, and how long to wait first: capped exponential backoff with jitter.

use std::time::Duration;

use rand::Rng;

/// How many times a call is attempted and how long to wait between attempts.
///
/// A call is retried only when doing so is safe: for a call with an idempotency key
/// (`shopTransactionId`), after a connection error, a timeout, an HTTP 5xx or `resCd` `D003`
/// (request still in progress), every attempt carrying the same key, so the gateway does the
/// work at most once and replays its answer. The one call without a key (the card registration
/// window) is retried only when the connection could not be opened, i.e. nothing was sent.
///
/// ```
/// use std::time::Duration;
/// use easypay_client::RetryPolicy;
///
/// let policy = RetryPolicy {
///     max_attempts: 5,
///     initial_backoff: Duration::from_millis(100),
///     max_backoff: Duration::from_secs(2),
/// };
/// // The wait before the n-th retry is at most initial × 2^(n-1), capped.
/// assert!(policy.backoff(1) <= Duration::from_millis(100));
/// assert!(policy.backoff(10) <= Duration::from_secs(2));
/// assert_eq!(RetryPolicy::none().max_attempts, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// The longest wait before the first retry.
    pub initial_backoff: Duration,
    /// No wait is longer than this.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts, waiting up to 0.5 s, 1 s, then 2 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retry.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The wait before retry number `retry` (1 for the first retry): a random duration between
    /// half and all of `initial_backoff × 2^(retry-1)`, capped at `max_backoff`. The randomness
    /// keeps many clients that failed together from retrying together.
    pub fn backoff(&self, retry: u32) -> Duration {
        let doubling = 2u32.saturating_pow(retry.saturating_sub(1));
        let ceiling = self
            .initial_backoff
            .saturating_mul(doubling)
            .min(self.max_backoff);
        let half = ceiling / 2;
        let spread = u64::try_from((ceiling - half).as_micros()).unwrap_or(u64::MAX);
        half + Duration::from_micros(rand::thread_rng().gen_range(0..=spread))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_within_their_bounds_and_stop_at_the_cap() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(700),
        };
        for (retry, ceiling) in [(1, 100), (2, 200), (3, 400), (4, 700), (30, 700)] {
            let ceiling = Duration::from_millis(ceiling);
            for _ in 0..50 {
                let wait = policy.backoff(retry);
                assert!(wait >= ceiling / 2 && wait <= ceiling, "{retry}: {wait:?}");
            }
        }
    }

    #[test]
    fn zero_backoff_never_waits() {
        let policy = RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::ZERO,
            max_backoff: Duration::ZERO,
        };
        assert_eq!(policy.backoff(3), Duration::ZERO);
    }
}
