//! Identifiers unique to one run: keys and order numbers carry the run's random prefix and a counter.

use std::sync::atomic::{AtomicU64, Ordering};

use rand::RngCore;

/// `bytes` random bytes as lowercase hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buffer);
    hex::encode(buffer)
}

/// Hands out `shopTransactionId`s and `shopOrderNo`s that no other run (or process) uses.
pub struct Ids {
    pub run: String,
    next: AtomicU64,
}

impl Ids {
    pub fn new() -> Ids {
        Ids {
            run: random_hex(5),
            next: AtomicU64::new(1),
        }
    }

    fn next(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    /// A fresh `shopTransactionId` (≤ 60 bytes).
    pub fn key(&self) -> String {
        format!("bench-{}-{}", self.run, self.next())
    }

    /// A fresh `shopOrderNo` (≤ 40 bytes; letters, digits, `-`).
    pub fn order_no(&self) -> String {
        format!("B-{}-{}", self.run, self.next())
    }

    /// The `shopOrderNo` prefix of this run, for finding its rows in the database.
    pub fn order_prefix(&self) -> String {
        format!("B-{}-", self.run)
    }
}
