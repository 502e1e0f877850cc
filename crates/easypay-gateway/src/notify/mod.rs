//! Notifications to merchants (decisions 22–24): written to the outbox in the transaction of the
//! state change that causes them ([`outbox`]), delivered by a worker with bounded concurrency and
//! leases ([`worker`]), signed with Standard Webhooks headers ([`deliver`]), retried on a schedule
//! ([`schedule`]) and only to permitted addresses ([`target`]).

pub mod deliver;
pub mod outbox;
pub mod schedule;
pub mod target;
pub mod worker;

use std::time::Duration;

use schedule::RetrySchedule;
use target::TargetPolicy;

pub use worker::{FlushReport, Notifier};

/// Each kind of notification the gateway sends. Adding one: a variant here and a function in
/// [`outbox`] that builds its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// WeChat Pay approval, to the order's `notifyUrl` (kicc-api §2.2).
    WechatApproval,
    /// WeChat Pay cancel result, to the cancel's `notifyUrl` or the order's (kicc-api §2.5).
    WechatCancel,
    /// Card cancel (`notiType` `20`), to the merchant's registered URL (kicc-api §1.6, §3.8).
    CardCancel,
    /// Card approval (`notiType` `10`), to the merchant's registered `notiUrl` (kicc-api §1.6).
    CardApproval,
}

/// Which retry schedule a kind follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Wechat,
    Card,
}

impl Kind {
    pub const ALL: [Kind; 4] = [
        Kind::WechatApproval,
        Kind::WechatCancel,
        Kind::CardApproval,
        Kind::CardCancel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::WechatApproval => "wechat.approval",
            Kind::WechatCancel => "wechat.cancel",
            Kind::CardApproval => "card.approval",
            Kind::CardCancel => "card.cancel",
        }
    }

    pub fn parse(raw: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }

    pub fn family(self) -> Family {
        match self {
            Kind::WechatApproval | Kind::WechatCancel => Family::Wechat,
            Kind::CardApproval | Kind::CardCancel => Family::Card,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NotifySettings {
    pub wechat_schedule: RetrySchedule,
    pub card_schedule: RetrySchedule,
    /// How long a merchant has to answer one attempt.
    pub timeout: Duration,
    /// Deliveries in flight at once, across all merchants.
    pub concurrency: usize,
    /// How often the worker looks for due notifications written by other processes.
    pub poll_interval: Duration,
    pub policy: TargetPolicy,
}

impl NotifySettings {
    pub fn defaults(sandbox: bool) -> Self {
        NotifySettings {
            wechat_schedule: RetrySchedule::wechat_default(),
            card_schedule: RetrySchedule::card_default(),
            timeout: Duration::from_secs(10),
            concurrency: 32,
            poll_interval: Duration::from_millis(500),
            policy: TargetPolicy {
                allow_internal: sandbox,
                allowlist: Vec::new(),
            },
        }
    }

    pub fn schedule(&self, family: Family) -> &RetrySchedule {
        match family {
            Family::Wechat => &self.wechat_schedule,
            Family::Card => &self.card_schedule,
        }
    }
}
