//! A billing key (`batchKey`) and its state machine.
//!
//! ```text
//! Active ──charge──▶ Active
//!    └──remove──▶ Removed
//! ```
//! A removed key is kept (so that charging it answers "removed", not "unknown") but can do nothing.

use chrono::{DateTime, Utc};
use easypay_api::values::MallId;
use rand::Rng;

use crate::vault::SealedCard;

/// Characters of a billing key: printable ASCII without space and without every character KICC
/// blocks in request values (`' " < > \ ; |`, `&`, and `,` on its older page), since the merchant
/// sends the key back in `cardNo`. Exactly 85 symbols are left, so 20 of them carry 128 bits
/// (decision 6).
const KEY_ALPHABET: &[u8] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%()*+-./:=?@[]^_`{}~";
const KEY_LENGTH: usize = 20;

/// A new billing key: 20 characters drawn uniformly from [`KEY_ALPHABET`] (≥ 128 bits).
pub fn new_batch_key() -> String {
    // The thread's cryptographically secure generator (see `ids::new_token`), not a system call
    // per character.
    let mut rng = rand::thread_rng();
    (0..KEY_LENGTH)
        .map(|_| char::from(KEY_ALPHABET[rng.gen_range(0..KEY_ALPHABET.len())]))
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    Active,
    Removed,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Active => "active",
            KeyState::Removed => "removed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [KeyState::Active, KeyState::Removed]
            .into_iter()
            .find(|state| state.as_str() == raw)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyEvent {
    Charge,
    Remove,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the billing key was removed")]
pub struct KeyRemoved;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingKey {
    pub batch_key: String,
    pub mall_id: MallId,
    pub authorization_id: String,
    /// The issuance transaction.
    pub pg_cno: String,
    pub card: SealedCard,
    pub card_mask_no: String,
    pub state: KeyState,
    pub created_at: DateTime<Utc>,
    pub removed_at: Option<DateTime<Utc>>,
    pub version: i64,
}

impl BillingKey {
    /// The context its card is sealed under: ciphertext copied to another key does not open.
    pub fn seal_context(batch_key: &str) -> String {
        format!("billing_key:{batch_key}")
    }

    /// The key after `event`: a charge leaves an active key as it is; only an active key can act.
    pub fn apply(&self, event: KeyEvent, now: DateTime<Utc>) -> Result<Self, KeyRemoved> {
        let mut next = self.clone();
        match (self.state, event) {
            (KeyState::Active, KeyEvent::Charge) => {}
            (KeyState::Active, KeyEvent::Remove) => {
                next.state = KeyState::Removed;
                next.removed_at = Some(now);
                next.version += 1;
            }
            (KeyState::Removed, KeyEvent::Charge | KeyEvent::Remove) => return Err(KeyRemoved),
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_twenty_characters_of_an_85_symbol_alphabet() {
        assert_eq!(KEY_ALPHABET.len(), 85);
        assert!(85f64.powi(20).log2() >= 128.0);
        let key = new_batch_key();
        assert_eq!(key.len(), 20);
        assert!(key.bytes().all(|b| KEY_ALPHABET.contains(&b)));
        let kicc_blocked = b"'\"<>\\;|&, ";
        assert!(KEY_ALPHABET.iter().all(|b| !kicc_blocked.contains(b)));
        assert!(KEY_ALPHABET.iter().all(u8::is_ascii_graphic));
        assert!(easypay_api::values::Text::parse("batchKey", &key, 60).is_ok());
        assert_ne!(key, new_batch_key());
    }

    #[test]
    fn a_removed_key_can_do_nothing() {
        let now = Utc::now();
        let key = BillingKey {
            batch_key: "k".into(),
            mall_id: MallId::from_trusted("T5102001"),
            authorization_id: "a".into(),
            pg_cno: "1".into(),
            card: SealedCard::from_stored("v1:x".into()),
            card_mask_no: "546465********41".into(),
            state: KeyState::Active,
            created_at: now,
            removed_at: None,
            version: 0,
        };
        assert_eq!(key.apply(KeyEvent::Charge, now).unwrap(), key);
        let removed = key.apply(KeyEvent::Remove, now).unwrap();
        assert_eq!(
            (removed.state, removed.removed_at),
            (KeyState::Removed, Some(now))
        );
        assert_eq!(removed.apply(KeyEvent::Charge, now), Err(KeyRemoved));
        assert_eq!(removed.apply(KeyEvent::Remove, now), Err(KeyRemoved));
    }
}
