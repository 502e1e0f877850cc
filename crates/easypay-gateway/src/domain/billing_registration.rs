//! A card registration opened by `webpay` and its state machine (decision 19).
//!
//! ```text
//! Open ──card entered──▶ Completed ──billing key issued──▶ Issued
//!   ├──customer cancels──▶ Cancelled
//!   └──30 minutes pass──▶ Expired          Completed ──30 minutes pass──▶ Lapsed
//! ```
//! `Expired` and `Lapsed` are what time makes of an open window and of an unused `authorizationId`;
//! they need no stored event.

use chrono::{DateTime, Duration, Utc};
use easypay_api::billing::WebpayRequest;

use crate::vault::SealedCard;

/// How long a window stays open, and how long its `authorizationId` stays usable (decision 6).
pub const WINDOW_LIFETIME: Duration = Duration::minutes(30);
pub const AUTHORIZATION_LIFETIME: Duration = Duration::minutes(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationState {
    Open,
    Completed,
    Issued,
    Cancelled,
    Expired,
    Lapsed,
}

impl RegistrationState {
    const ALL: [RegistrationState; 6] = [
        RegistrationState::Open,
        RegistrationState::Completed,
        RegistrationState::Issued,
        RegistrationState::Cancelled,
        RegistrationState::Expired,
        RegistrationState::Lapsed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationState::Open => "open",
            RegistrationState::Completed => "completed",
            RegistrationState::Issued => "issued",
            RegistrationState::Cancelled => "cancelled",
            RegistrationState::Expired => "expired",
            RegistrationState::Lapsed => "lapsed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == raw)
    }
}

/// Something the customer or the merchant does to a registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationEvent {
    /// The customer entered a valid card in the window.
    Complete {
        authorization_id: String,
        card: SealedCard,
        card_mask_no: String,
    },
    /// The customer pressed cancel in the window.
    Cancel,
    /// The merchant issued a billing key with the `authorizationId`.
    Issue,
}

impl RegistrationEvent {
    fn name(&self) -> &'static str {
        match self {
            RegistrationEvent::Complete { .. } => "complete",
            RegistrationEvent::Cancel => "cancel",
            RegistrationEvent::Issue => "issue",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the registration is {}; {} does not apply", from.as_str(), event)]
pub struct RegistrationRefused {
    pub from: RegistrationState,
    pub event: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The secret last segment of `authPageUrl`.
    pub window_token: String,
    pub request: WebpayRequest,
    /// The name the window shows: `mallName` if sent, else the merchant's registered name.
    pub display_name: String,
    /// Echoed by the window's forms; a POST without it is refused (cross-site form posts).
    pub form_token: String,
    /// The stored state; [`Registration::state_at`] adds what time did.
    pub state: RegistrationState,
    pub authorization_id: Option<String>,
    /// The entered card, sealed; dropped once a billing key holds it.
    pub card: Option<SealedCard>,
    pub card_mask_no: Option<String>,
    pub created_at: DateTime<Utc>,
    pub window_expires_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Bumped on every stored change, for optimistic concurrency.
    pub version: i64,
}

impl Registration {
    /// The context its card is sealed under: ciphertext moved to another row does not open.
    pub fn seal_context(&self) -> String {
        Self::seal_context_of(&self.window_token)
    }

    /// [`Registration::seal_context`] of the registration behind `window_token`.
    pub fn seal_context_of(window_token: &str) -> String {
        format!("registration:{window_token}")
    }

    pub fn state_at(&self, now: DateTime<Utc>) -> RegistrationState {
        match (self.state, self.completed_at) {
            (RegistrationState::Open, _) if now >= self.window_expires_at => {
                RegistrationState::Expired
            }
            (RegistrationState::Completed, Some(at)) if now >= at + AUTHORIZATION_LIFETIME => {
                RegistrationState::Lapsed
            }
            (state, _) => state,
        }
    }

    /// The registration after `event` at `now`, or why the event does not apply.
    pub fn apply(
        &self,
        event: RegistrationEvent,
        now: DateTime<Utc>,
    ) -> Result<Self, RegistrationRefused> {
        use RegistrationState::*;
        let from = self.state_at(now);
        let refused = RegistrationRefused {
            from,
            event: event.name(),
        };
        let mut next = self.clone();
        next.version += 1;
        match (from, event) {
            (
                Open,
                RegistrationEvent::Complete {
                    authorization_id,
                    card,
                    card_mask_no,
                },
            ) => {
                next.state = Completed;
                next.authorization_id = Some(authorization_id);
                next.card = Some(card);
                next.card_mask_no = Some(card_mask_no);
                next.completed_at = Some(now);
            }
            (Open, RegistrationEvent::Cancel) => {
                next.state = Cancelled;
                next.closed_at = Some(now);
            }
            (Completed, RegistrationEvent::Issue) => {
                next.state = Issued;
                next.card = None;
                next.closed_at = Some(now);
            }
            (
                Completed | Issued | Cancelled | Expired | Lapsed,
                RegistrationEvent::Complete { .. },
            )
            | (Completed | Issued | Cancelled | Expired | Lapsed, RegistrationEvent::Cancel)
            | (Open | Issued | Cancelled | Expired | Lapsed, RegistrationEvent::Issue) => {
                return Err(refused)
            }
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn registration(now: DateTime<Utc>) -> Registration {
        let body = json!({
            "mallId": "T5102001", "shopOrderNo": "REG-1", "amount": 0, "payMethodTypeCode": "81",
            "currency": "00", "clientTypeCode": "00", "returnUrl": "https://shop.example/r",
            "deviceTypeCode": "pc", "orderInfo": {"goodsName": "Plan"}
        });
        Registration {
            window_token: "token".into(),
            request: WebpayRequest::parse(body.as_object().unwrap()).unwrap(),
            display_name: "Shop".into(),
            form_token: "form".into(),
            state: RegistrationState::Open,
            authorization_id: None,
            card: None,
            card_mask_no: None,
            created_at: now,
            window_expires_at: now + WINDOW_LIFETIME,
            completed_at: None,
            closed_at: None,
            version: 0,
        }
    }

    fn complete() -> RegistrationEvent {
        RegistrationEvent::Complete {
            authorization_id: "auth".into(),
            card: SealedCard::from_stored("v1:x".into()),
            card_mask_no: "546465********41".into(),
        }
    }

    #[test]
    fn a_completed_registration_issues_once() {
        let now = Utc::now();
        let done = registration(now).apply(complete(), now).unwrap();
        assert_eq!(done.state, RegistrationState::Completed);
        assert_eq!(done.authorization_id.as_deref(), Some("auth"));
        let issued = done.apply(RegistrationEvent::Issue, now).unwrap();
        assert_eq!(
            (issued.state, issued.card.as_ref()),
            (RegistrationState::Issued, None)
        );
        let again = issued.apply(RegistrationEvent::Issue, now).unwrap_err();
        assert_eq!(
            again.to_string(),
            "the registration is issued; issue does not apply"
        );
    }

    #[test]
    fn time_expires_windows_and_authorizations() {
        let now = Utc::now();
        let open = registration(now);
        let late = now + WINDOW_LIFETIME;
        assert_eq!(open.state_at(late), RegistrationState::Expired);
        assert!(open.apply(complete(), late).is_err());
        assert!(open.apply(RegistrationEvent::Cancel, late).is_err());
        let done = open.apply(complete(), now).unwrap();
        let lapsed = now + AUTHORIZATION_LIFETIME;
        assert_eq!(done.state_at(lapsed), RegistrationState::Lapsed);
        assert_eq!(
            done.apply(RegistrationEvent::Issue, lapsed)
                .unwrap_err()
                .from,
            RegistrationState::Lapsed
        );
    }

    #[test]
    fn a_cancelled_window_takes_no_card() {
        let now = Utc::now();
        let cancelled = registration(now)
            .apply(RegistrationEvent::Cancel, now)
            .unwrap();
        assert_eq!(cancelled.state, RegistrationState::Cancelled);
        assert!(cancelled.apply(complete(), now).is_err());
        assert_eq!(
            RegistrationState::parse("cancelled"),
            Some(RegistrationState::Cancelled)
        );
    }
}
