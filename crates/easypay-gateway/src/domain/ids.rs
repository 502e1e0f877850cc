//! Identifiers the gateway hands out: `pgCno` (20 digits) and unguessable tokens.
//!
//! Identifiers that key a table's index grow with time (a `pgCno`'s sequence, a page token's time
//! prefix): each new row lands beside the last one instead of on a random page of the index, so a
//! batch of creates dirties a few pages, not one more per row (docs/performance.md).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use easypay_api::seoul_time;
use rand::rngs::OsRng;
use rand::{Rng, RngCore};

/// `pgCno`'s last 8 digits count modulo this.
const PG_CNO_SEQUENCE_SPAN: u32 = 100_000_000;

/// This process's `pgCno` sequence: it starts at a random point, so that processes sharing a
/// database (or a restart within the same second) draw from different ranges.
static PG_CNO_SEQUENCE: LazyLock<AtomicU32> =
    LazyLock::new(|| AtomicU32::new(random_sequence_start()));

fn random_sequence_start() -> u32 {
    OsRng.gen_range(0..PG_CNO_SEQUENCE_SPAN)
}

/// The `pgCno`s to try, in turn, for one new row (take as many as the caller allows): the Seoul
/// time `yyMMddHHmmss` then the next 8 digits of this process's sequence, 20 ASCII digits in all.
/// Uniqueness is enforced by the database; each draw after the first means the one before was
/// taken (another process's range), so the sequence first jumps to a new random point.
pub fn pg_cno_draws(now: DateTime<Utc>) -> impl Iterator<Item = String> {
    (0..).map(move |attempt: u32| {
        if attempt > 0 {
            PG_CNO_SEQUENCE.store(random_sequence_start(), Ordering::Relaxed);
        }
        next_pg_cno(now)
    })
}

fn next_pg_cno(now: DateTime<Utc>) -> String {
    let stamp = &seoul_time::timestamp(now)[2..];
    let next = PG_CNO_SEQUENCE.fetch_add(1, Ordering::Relaxed) % PG_CNO_SEQUENCE_SPAN;
    format!("{stamp}{next:08}")
}

/// 128 random bits as 32 lowercase hex characters. Drawn from the thread's generator (ChaCha,
/// seeded and reseeded from the operating system, cryptographically secure), not from the OS for
/// each token: a `getrandom` call per token was two system calls per create.
pub fn new_token() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A token that keys an index (a payment's page token, a notification's id): the Unix time in
/// milliseconds as 12 hex characters, then 128 random bits as 32 (44 lowercase hex characters). The
/// random part makes it unguessable (decision 6); the prefix makes new tokens sort after older ones.
pub fn new_time_ordered_token(now: DateTime<Utc>) -> String {
    let millis = u64::try_from(now.timestamp_millis()).unwrap_or_default() & 0xffff_ffff_ffff;
    format!("{millis:012x}{}", new_token())
}

/// A Standard Webhooks secret (`whsec_…`) for signing notifications: 256 random bits.
pub fn new_webhook_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    easypay_api::webhook_signature::encode_secret(&bytes)
}

/// A merchant secret for `msgAuthValue`: 192 random bits.
pub fn new_secret_key() -> String {
    let mut bytes = [0u8; 24];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pg_cno_is_twenty_digits_starting_with_the_seoul_time() {
        let now = DateTime::parse_from_rfc3339("2023-03-11T15:05:12Z")
            .unwrap()
            .to_utc();
        let pg_cno = next_pg_cno(now);
        assert_eq!(pg_cno.len(), 20);
        assert!(pg_cno.bytes().all(|b| b.is_ascii_digit()));
        assert!(pg_cno.starts_with("230312000512"));
    }

    #[test]
    fn pg_cnos_of_one_second_follow_each_other_and_a_collision_moves_the_sequence() {
        let now = Utc::now();
        let first = pg_cno_draws(now).next().unwrap();
        let second = pg_cno_draws(now).next().unwrap();
        assert_eq!(first[..12], second[..12]);
        let (a, b): (u32, u32) = (first[12..].parse().unwrap(), second[12..].parse().unwrap());
        // Other tests draw in parallel: later, not necessarily next.
        assert!(
            (b + PG_CNO_SEQUENCE_SPAN - a) % PG_CNO_SEQUENCE_SPAN < 1_000,
            "{first} {second}"
        );
        // Draws after the first of one row: each after a jump.
        let jumps: Vec<u32> = pg_cno_draws(now)
            .skip(1)
            .take(4)
            .map(|pg_cno| pg_cno[12..].parse().unwrap())
            .collect();
        assert!(
            jumps
                .iter()
                .any(|jump| (jump + PG_CNO_SEQUENCE_SPAN - b) % PG_CNO_SEQUENCE_SPAN > 1_000),
            "{jumps:?} all follow {b}"
        );
    }

    #[test]
    fn time_ordered_tokens_sort_by_time_and_keep_128_random_bits() {
        let earlier = DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
            .unwrap()
            .to_utc();
        let later = earlier + chrono::Duration::milliseconds(1);
        let (a, b) = (
            new_time_ordered_token(earlier),
            new_time_ordered_token(later),
        );
        assert_eq!(a.len(), 44);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)));
        assert_eq!(&a[..12], format!("{:012x}", earlier.timestamp_millis()));
        assert!(a < b);
        assert_ne!(a[12..], new_time_ordered_token(earlier)[12..]);
    }

    #[test]
    fn tokens_are_128_bit_hex_and_differ() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
