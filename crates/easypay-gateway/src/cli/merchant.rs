//! `easypay merchant add|list|show|activate|deactivate` (decision 27). Secret keys are printed in
//! full only by `add`, once.

use std::time::Duration;

use anyhow::bail;
use chrono::Utc;
use clap::Subcommand;
use easypay_api::values::{HttpUrl, MallId, Text};

use super::DatabaseArg;
use crate::domain::ids;
use crate::domain::merchant::Merchant;
use crate::store::{merchants, Db};

#[derive(Subcommand)]
pub enum MerchantCommand {
    /// Add a merchant and print its secret key (the only time it is shown in full).
    Add {
        /// The merchant ID (mallId): 1–8 ASCII letters, digits, '-' or '_', e.g. T5102002.
        mall_id: String,
        /// A display name (default: the mallId).
        #[arg(long)]
        name: Option<String>,
        /// Use this secret key instead of a generated one.
        #[arg(long)]
        secret_key: Option<String>,
        /// URL that receives this merchant's card notifications.
        #[arg(long)]
        noti_url: Option<String>,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// List merchants (secret keys masked).
    List {
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Show one merchant (secret key masked).
    Show {
        mall_id: String,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Let a deactivated merchant transact again.
    Activate {
        mall_id: String,
        #[command(flatten)]
        database: DatabaseArg,
    },
    /// Refuse the merchant's requests with M002 until it is activated again.
    Deactivate {
        mall_id: String,
        #[command(flatten)]
        database: DatabaseArg,
    },
}

async fn open(database: &DatabaseArg) -> anyhow::Result<Db> {
    super::progress::step(
        "opening the database",
        Db::connect_existing(&database.database_url, Duration::from_secs(10)),
    )
    .await
}

pub async fn run(command: MerchantCommand) -> anyhow::Result<()> {
    match command {
        MerchantCommand::Add {
            mall_id,
            name,
            secret_key,
            noti_url,
            database,
        } => {
            let mall_id = MallId::parse_new("mallId", &mall_id)?;
            let name = Text::parse("--name", name.as_deref().unwrap_or(mall_id.as_str()), 50)?;
            // The sandbox's PUT /_sandbox/merchants takes a secret key under the same rule.
            let secret_key = match secret_key.as_deref() {
                Some("") => bail!("--secret-key: is required (got an empty string)"),
                Some(raw) => Some(Text::parse("--secret-key", raw, 200)?.to_string()),
                None => None,
            };
            let noti_url = noti_url
                .map(|url| HttpUrl::parse("--noti-url", &url, 256))
                .transpose()?;
            let merchant = Merchant {
                mall_id: mall_id.to_string(),
                name: name.to_string(),
                secret_key: secret_key.unwrap_or_else(ids::new_secret_key),
                webhook_secret: ids::new_webhook_secret(),
                noti_url: noti_url.map(|url| url.to_string()),
                active: true,
                created_at: Utc::now(),
            };
            let db = open(&database).await?;
            if !merchants::insert(db.pool(), &merchant).await? {
                bail!("merchant {mall_id} already exists (see `easypay merchant show {mall_id}`)");
            }
            println!("added merchant {}", merchant.mall_id);
            println!("secret key: {}", merchant.secret_key);
            println!("webhook secret: {}", merchant.webhook_secret);
            println!("keep them now: they are never shown in full again");
        }
        MerchantCommand::List { database } => {
            let db = open(&database).await?;
            println!(
                "{:<8}  {:<8}  {:<12}  {:<30}  name",
                "mallId", "status", "secretKey", "notiUrl"
            );
            for merchant in merchants::list(db.pool()).await? {
                println!(
                    "{:<8}  {:<8}  {:<12}  {:<30}  {}",
                    merchant.mall_id,
                    status(&merchant),
                    merchant.masked_secret_key(),
                    merchant.noti_url.as_deref().unwrap_or("-"),
                    merchant.name
                );
            }
        }
        MerchantCommand::Show { mall_id, database } => {
            let db = open(&database).await?;
            let Some(merchant) = merchants::find(db.pool(), &mall_id).await? else {
                bail!("no merchant {mall_id}");
            };
            println!("mallId:     {}", merchant.mall_id);
            println!("name:       {}", merchant.name);
            println!("status:     {}", status(&merchant));
            println!("secretKey:  {}", merchant.masked_secret_key());
            println!("webhookSecret: {}", merchant.masked_webhook_secret());
            println!(
                "notiUrl:    {}",
                merchant.noti_url.as_deref().unwrap_or("-")
            );
            println!("created:    {}", merchant.created_at.to_rfc3339());
        }
        MerchantCommand::Activate { mall_id, database } => {
            set_active(&database, &mall_id, true).await?;
        }
        MerchantCommand::Deactivate { mall_id, database } => {
            set_active(&database, &mall_id, false).await?;
        }
    }
    Ok(())
}

async fn set_active(database: &DatabaseArg, mall_id: &str, active: bool) -> anyhow::Result<()> {
    let db = open(database).await?;
    if !merchants::set_active(db.pool(), mall_id, active, Utc::now()).await? {
        bail!("no merchant {mall_id}");
    }
    println!(
        "merchant {mall_id} is now {}",
        if active { "active" } else { "inactive" }
    );
    Ok(())
}

fn status(merchant: &Merchant) -> &'static str {
    if merchant.active {
        "active"
    } else {
        "inactive"
    }
}
