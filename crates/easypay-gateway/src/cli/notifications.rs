//! `easypay notifications list|show|resend`: what was sent to merchants, every attempt, and a way
//! to send again.

use std::time::Duration;

use anyhow::bail;
use chrono::Utc;
use clap::Subcommand;
use easypay_api::seoul_time;

use super::DatabaseArg;
use crate::store::merchants::from_millis;
use crate::store::notifications::{self, DeliveryStatus, Resent, VOIDED_APPROVAL_NOT_RESENT};
use crate::store::Db;

#[derive(clap::Args)]
pub struct NotificationsArgs {
    #[command(flatten)]
    database: DatabaseArg,
    #[command(subcommand)]
    command: NotificationsCommand,
}

#[derive(Subcommand)]
pub enum NotificationsCommand {
    /// List notifications, newest first.
    List {
        /// Only this merchant's.
        #[arg(long)]
        mall_id: Option<String>,
        /// Only those with this status: pending, delivered, failed or withdrawn.
        #[arg(long, value_parser = parse_status)]
        status: Option<DeliveryStatus>,
        /// How many (1–500, as the notifications API allows).
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=500))]
        limit: i64,
    },
    /// Show one notification with its body and every attempt.
    Show { id: String },
    /// Send it again now, starting a new cycle of tries (the running gateway delivers it).
    #[command(override_usage = "easypay notifications resend <ID>\n       \
                                easypay notifications resend --failed [--mall-id <MALL_ID>]")]
    Resend {
        /// The notification (`msg_…`); or `--failed` for every failed one.
        id: Option<String>,
        /// Resend every failed notification (of `--mall-id` only, when given).
        #[arg(long, conflicts_with = "id")]
        failed: bool,
        /// With `--failed` only: that merchant's failed notifications.
        // Not `requires = "failed"`: clap's message for it would not say which forms are valid.
        #[arg(long, conflicts_with = "id")]
        mall_id: Option<String>,
    },
}

/// What `resend` sends again.
#[derive(Debug, PartialEq, Eq)]
enum ResendTarget {
    One(String),
    Failed { mall_id: Option<String> },
}

const RESEND_FORMS: &str = "use `easypay notifications resend <ID>` or \
                            `easypay notifications resend --failed [--mall-id <MALL_ID>]`";

impl ResendTarget {
    fn parse(
        id: Option<String>,
        failed: bool,
        mall_id: Option<String>,
    ) -> anyhow::Result<ResendTarget> {
        match (id, failed, mall_id) {
            (Some(id), false, None) => Ok(ResendTarget::One(id)),
            (None, true, mall_id) => Ok(ResendTarget::Failed { mall_id }),
            (None, false, Some(_)) => bail!("--mall-id: only narrows --failed; {RESEND_FORMS}"),
            (None, false, None) => bail!("nothing to resend: {RESEND_FORMS}"),
            // clap refuses these first (`conflicts_with`); said here too for any other caller.
            (Some(_), true, _) | (Some(_), false, Some(_)) => {
                bail!("a notification ID goes alone: {RESEND_FORMS}")
            }
        }
    }
}

fn parse_status(raw: &str) -> Result<DeliveryStatus, String> {
    DeliveryStatus::parse(raw)
        .ok_or_else(|| format!("{raw:?}: use pending, delivered, failed or withdrawn"))
}

async fn open(database: &DatabaseArg) -> anyhow::Result<Db> {
    super::progress::step(
        "opening the database",
        Db::connect_existing(&database.database_url, Duration::from_secs(10)),
    )
    .await
}

pub async fn run(args: NotificationsArgs) -> anyhow::Result<()> {
    match args.command {
        NotificationsCommand::List {
            mall_id,
            status,
            limit,
        } => list(&open(&args.database).await?, mall_id, status, limit).await,
        NotificationsCommand::Show { id } => show(&open(&args.database).await?, &id).await,
        NotificationsCommand::Resend {
            id,
            failed,
            mall_id,
        } => {
            // Read before the database is opened: a wrong combination touches nothing.
            let target = ResendTarget::parse(id, failed, mall_id)?;
            resend(&open(&args.database).await?, target).await
        }
    }
}

async fn list(
    db: &Db,
    mall_id: Option<String>,
    status: Option<DeliveryStatus>,
    limit: i64,
) -> anyhow::Result<()> {
    if let Some(mall_id) = &mall_id {
        // An empty list must mean "no notifications", not "no such merchant".
        if crate::store::merchants::find(db.pool(), mall_id)
            .await?
            .is_none()
        {
            bail!("no merchant {mall_id}");
        }
    }
    let rows = notifications::list(db.pool(), mall_id.as_deref(), status, limit).await?;
    println!(
        "{:<48}  {:<8}  {:<16}  {:<9}  {:>8}  created",
        "id", "mallId", "kind", "status", "attempts"
    );
    for row in rows {
        println!(
            "{:<48}  {:<8}  {:<16}  {:<9}  {:>8}  {}",
            row.id,
            row.mall_id,
            row.kind,
            row.status,
            row.attempts_total,
            seoul_time::rfc3339(from_millis(row.created_at))
        );
    }
    Ok(())
}

async fn show(db: &Db, id: &str) -> anyhow::Result<()> {
    let Some(row) = notifications::find(db.pool(), id).await? else {
        bail!("no notification {id}");
    };
    println!("id:        {}", row.id);
    println!("mallId:    {}", row.mall_id);
    println!("kind:      {}", row.kind);
    println!("pgCno:     {}", row.pg_cno);
    println!("target:    {}", row.target_url);
    println!("status:    {}", row.status);
    println!(
        "created:   {}",
        seoul_time::rfc3339(from_millis(row.created_at))
    );
    if row.status == DeliveryStatus::Pending.as_str() {
        println!(
            "next try:  {}",
            seoul_time::rfc3339(from_millis(row.next_attempt_at))
        );
    }
    println!("body:      {}", row.body);
    println!("attempts:");
    for attempt in notifications::attempts(db.pool(), id).await? {
        println!(
            "  #{:<3} {}  {:<18} http {:<4} {:>6} ms  {}",
            attempt.attempt,
            seoul_time::rfc3339(from_millis(attempt.started_at)),
            attempt.outcome,
            attempt
                .http_status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into()),
            attempt.latency_ms,
            attempt
                .response_excerpt
                .unwrap_or_default()
                .replace('\n', " ")
        );
        if let Some(target) = attempt.target_url {
            println!("       to {target}");
        }
    }
    Ok(())
}

async fn resend(db: &Db, target: ResendTarget) -> anyhow::Result<()> {
    match target {
        ResendTarget::One(id) => {
            match notifications::resend(db.pool(), &id, Utc::now()).await? {
                Resent::Queued => {}
                Resent::NoSuchNotification => bail!("no notification {id}"),
                Resent::PaymentVoided => bail!("notification {id}: {VOIDED_APPROVAL_NOT_RESENT}"),
            }
            println!("notification {id} will be sent again now");
        }
        ResendTarget::Failed { mall_id } => {
            let failed = notifications::list(
                db.pool(),
                mall_id.as_deref(),
                Some(DeliveryStatus::Failed),
                i64::MAX,
            )
            .await?;
            let bar = super::progress::counter(failed.len() as u64, "resending");
            let mut queued = 0;
            for row in &failed {
                match notifications::resend(db.pool(), &row.id, Utc::now()).await? {
                    Resent::Queued => queued += 1,
                    // Voided or gone since the list: not sent, not counted.
                    Resent::PaymentVoided | Resent::NoSuchNotification => {}
                }
                bar.inc(1);
            }
            bar.finish_and_clear();
            println!("{queued} failed notification(s) will be sent again now");
        }
    }
    Ok(())
}
