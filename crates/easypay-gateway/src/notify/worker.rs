//! The delivery worker inside `easypay serve`: claims due notifications with a lease, sends each on
//! its own task (at most `concurrency` at once, so one slow receiver never holds up the others),
//! records every attempt, and schedules the next one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::{watch, Notify, Semaphore};
use tokio::task::{JoinHandle, JoinSet};

use super::deliver::{self, Outcome};
use super::target::GuardedResolver;
use super::{Kind, NotifySettings};
use crate::domain::ids;
use crate::observe::metrics::{Metrics, QueueDepth};
use crate::store::notifications::{self, AfterAttempt, Attempt, Claimed, Due};
use crate::store::{Db, StoreError};

/// A lease outlives the attempt's timeout by this much before another worker may take the row.
const LEASE_MARGIN: Duration = Duration::from_secs(30);
/// The most a sandbox flush takes on at once.
const FLUSH_LIMIT: i64 = 10_000;
/// How often the worker samples the queue depth for `/metrics`.
const QUEUE_SAMPLE_EVERY: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub struct Notifier {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    http: reqwest::Client,
    settings: NotifySettings,
    /// Identifies this process's leases.
    owner: String,
    wake: Arc<Notify>,
    permits: Arc<Semaphore>,
    metrics: Arc<Metrics>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FlushReport {
    pub delivered: usize,
    pub failed: usize,
}

impl Notifier {
    pub fn new(db: Db, settings: NotifySettings, metrics: Arc<Metrics>) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                policy: Arc::new(settings.policy.clone()),
            }))
            .user_agent(concat!("easypay-notifier/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Notifier {
            inner: Arc::new(Inner {
                wake: db.outbox_written(),
                db,
                http,
                permits: Arc::new(Semaphore::new(settings.concurrency.max(1))),
                settings,
                owner: format!("worker_{}", ids::new_token()),
                metrics,
            }),
        })
    }

    /// Runs the worker until `shutdown` turns true, then waits for attempts in flight.
    pub fn spawn(&self, mut shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
        let inner = self.inner.clone();
        tokio::spawn(async move {
            let mut sampled_at: Option<Instant> = None;
            while !*shutdown.borrow() {
                if let Err(error) = dispatch_due(&inner).await {
                    tracing::warn!(%error, "could not claim notifications");
                }
                if sampled_at.is_none_or(|at| at.elapsed() >= QUEUE_SAMPLE_EVERY) {
                    sampled_at = Some(Instant::now());
                    match notifications::queue_depth(inner.db.pool()).await {
                        Ok((pending, failed)) => inner
                            .metrics
                            .set_queue_depth(QueueDepth { pending, failed }),
                        Err(error) => tracing::warn!(%error, "could not count notifications"),
                    }
                }
                tokio::select! {
                    _ = inner.wake.notified() => {}
                    _ = tokio::time::sleep(inner.settings.poll_interval) => {}
                    _ = shutdown.changed() => {}
                }
            }
            let all = inner.settings.concurrency.max(1) as u32;
            let drained = inner.permits.acquire_many(all);
            let _ = tokio::time::timeout(inner.settings.timeout + LEASE_MARGIN, drained).await;
            tracing::info!("notification worker stopped");
        })
    }

    /// Notification attempts being made now.
    pub fn in_flight(&self) -> usize {
        let all = self.inner.settings.concurrency.max(1);
        all.saturating_sub(self.inner.permits.available_permits())
    }

    /// Attempts every undelivered notification now, whatever its schedule, and reports the outcome.
    pub async fn flush(&self) -> Result<FlushReport, StoreError> {
        let inner = &self.inner;
        let now = Utc::now();
        let claimed = notifications::claim(
            &inner.db,
            &inner.owner,
            Due::Everything,
            now,
            lease_end(inner),
            FLUSH_LIMIT,
        )
        .await?;
        let mut attempts = JoinSet::new();
        for notification in claimed {
            let permit = inner
                .permits
                .clone()
                .acquire_owned()
                .await
                .expect("never closed");
            let inner = self.inner.clone();
            attempts.spawn(async move {
                let delivered = attempt(&inner, notification).await;
                drop(permit);
                delivered
            });
        }
        let mut report = FlushReport::default();
        while let Some(delivered) = attempts.join_next().await {
            match delivered {
                Ok(true) => report.delivered += 1,
                Ok(false) | Err(_) => report.failed += 1,
            }
        }
        Ok(report)
    }
}

fn lease_end(inner: &Inner) -> chrono::DateTime<Utc> {
    Utc::now() + inner.settings.timeout + LEASE_MARGIN
}

/// Claims as many due notifications as there are free delivery slots and starts them.
async fn dispatch_due(inner: &Arc<Inner>) -> Result<(), StoreError> {
    loop {
        let free = inner.permits.available_permits();
        if free == 0 {
            return Ok(());
        }
        let claimed = notifications::claim(
            &inner.db,
            &inner.owner,
            Due::BySchedule,
            Utc::now(),
            lease_end(inner),
            free as i64,
        )
        .await?;
        if claimed.is_empty() {
            return Ok(());
        }
        for notification in claimed {
            let permit = inner
                .permits
                .clone()
                .acquire_owned()
                .await
                .expect("never closed");
            let inner = inner.clone();
            tokio::spawn(async move {
                attempt(&inner, notification).await;
                drop(permit);
                inner.wake.notify_one();
            });
        }
    }
}

/// One attempt, recorded with its consequence. `true` if the merchant acknowledged it.
async fn attempt(inner: &Inner, notification: Claimed) -> bool {
    let started_at = Utc::now();
    let clock = Instant::now();
    let delivery = deliver::send(
        &inner.http,
        &inner.settings.policy,
        &notification,
        inner.settings.timeout,
    )
    .await;
    let acknowledged = delivery.outcome == Outcome::Acknowledged;
    let finished = Utc::now();
    let after = if acknowledged {
        AfterAttempt::Delivered
    } else {
        let family = Kind::parse(&notification.kind).map(Kind::family);
        let schedule = family.map(|family| inner.settings.schedule(family));
        let done = notification.attempts_in_cycle as usize + 1;
        match schedule.and_then(|schedule| schedule.delay_after(done)) {
            Some(delay) => AfterAttempt::RetryAt(finished + delay),
            None => AfterAttempt::GiveUp,
        }
    };
    let record = Attempt {
        attempt: notification.attempts_total + 1,
        target_url: Some(notification.target_url.clone()),
        started_at: started_at.timestamp_millis(),
        latency_ms: clock.elapsed().as_millis() as i64,
        http_status: delivery.http_status.map(i64::from),
        outcome: delivery.outcome.as_str().into(),
        response_excerpt: delivery.excerpt,
    };
    inner
        .metrics
        .record_attempt(&notification.kind, &record.outcome);
    match after {
        AfterAttempt::Delivered => inner.metrics.record_finished(&notification.kind, true),
        AfterAttempt::GiveUp => inner.metrics.record_finished(&notification.kind, false),
        AfterAttempt::RetryAt(_) => {}
    }
    tracing::info!(
        id = %notification.id,
        mall_id = %notification.mall_id,
        kind = %notification.kind,
        request_id = notification.request_id.as_deref().unwrap_or(""),
        attempt = record.attempt,
        outcome = %record.outcome,
        http_status = record.http_status,
        latency_ms = record.latency_ms,
        cause = delivery.cause.as_deref(),
        "notification attempt"
    );
    if let Err(error) =
        notifications::finish_attempt(&inner.db, &notification, &record, after, finished).await
    {
        // The lease runs out and the notification is tried again: at least once, never lost.
        tracing::error!(
            %error,
            id = %notification.id,
            request_id = notification.request_id.as_deref().unwrap_or(""),
            "could not record a notification attempt"
        );
    }
    acknowledged
}
