//! A merchant (`mallId`) and its keys.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merchant {
    pub mall_id: String,
    pub name: String,
    /// Key for `msgAuthValue`. Shown in full only when created.
    pub secret_key: String,
    /// Key of the Standard Webhooks signature on notifications (`whsec_…`). Shown in full only
    /// when created.
    pub webhook_secret: String,
    /// Where card notifications go (registered per merchant, not per request).
    pub noti_url: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl Merchant {
    /// The secret key with all but its last four characters hidden.
    pub fn masked_secret_key(&self) -> String {
        mask_secret(&self.secret_key)
    }

    pub fn masked_webhook_secret(&self) -> String {
        mask_secret(&self.webhook_secret)
    }
}

pub fn mask_secret(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    let shown = if chars.len() >= 12 { 4 } else { 0 };
    let tail: String = chars[chars.len() - shown..].iter().collect();
    format!("{}{tail}", "*".repeat(8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_hides_all_but_the_last_four_of_long_secrets() {
        assert_eq!(mask_secret("easypay-sandbox-secret"), "********cret");
        assert_eq!(mask_secret("short"), "********");
        assert_eq!(mask_secret(""), "********");
    }
}
