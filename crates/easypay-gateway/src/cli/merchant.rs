//! `easypay merchant add|list|show|update|activate|deactivate` (decision 27). Secrets are printed
//! in full only when they are made (`add`, or `update` asked for a new one), once.

use std::time::Duration;

use anyhow::bail;
use chrono::Utc;
use clap::Subcommand;
use easypay_api::seoul_time;
use easypay_api::values::{HttpUrl, MallId, Text};

use super::DatabaseArg;
use crate::domain::ids;
use crate::domain::merchant::Merchant;
use crate::sandbox::{PublicSecrets, SANDBOX_SECRET_KEY};
use crate::store::{merchants, Db};

/// A secret key set by hand must be at least this long: it is the HMAC key of `msgAuthValue`.
const MIN_SECRET_KEY_BYTES: usize = 16;

#[derive(clap::Args)]
pub struct MerchantArgs {
    #[command(flatten)]
    database: DatabaseArg,
    #[command(subcommand)]
    command: MerchantCommand,
}

#[derive(Subcommand)]
pub enum MerchantCommand {
    /// Add a merchant and print its secret key (the only time it is shown in full).
    Add {
        /// The merchant ID (mallId): 1–8 ASCII letters, digits, '-' or '_', e.g. T5102002.
        mall_id: String,
        /// A display name (default: the mallId).
        #[arg(long)]
        name: Option<String>,
        /// Use this secret key (at least 16 bytes) instead of a generated one.
        #[arg(long)]
        secret_key: Option<String>,
        /// URL that receives this merchant's card notifications.
        #[arg(long)]
        noti_url: Option<String>,
    },
    /// List merchants (secret keys masked).
    List,
    /// Show one merchant (secret key masked).
    Show { mall_id: String },
    /// Change a merchant's name, notification URL or secrets.
    ///
    /// What is not named stays as it is. Takes effect at once, also for a running gateway:
    /// notifications already queued are signed with the new webhook secret from their next try,
    /// and card notifications go to the new notiUrl from their next try (WeChat notifications go
    /// to their order's notifyUrl).
    Update {
        mall_id: String,
        /// A new display name.
        #[arg(long)]
        name: Option<String>,
        /// A new secret key (at least 16 bytes): the key of msgAuthValue from now on.
        #[arg(long, conflicts_with = "new_secret_key")]
        secret_key: Option<String>,
        /// Generate a new secret key and print it (the only time it is shown in full).
        #[arg(long)]
        new_secret_key: bool,
        /// Generate a new webhook secret (Standard Webhooks signatures) and print it.
        #[arg(long)]
        new_webhook_secret: bool,
        /// A new URL for this merchant's card notifications.
        #[arg(long, conflicts_with = "no_noti_url")]
        noti_url: Option<String>,
        /// Send this merchant no card notifications any more.
        #[arg(long)]
        no_noti_url: bool,
    },
    /// Let a deactivated merchant transact again (refused while it has a public sandbox secret).
    Activate { mall_id: String },
    /// Refuse the merchant's requests with M002, and its customers' payments, until it is
    /// activated again.
    Deactivate { mall_id: String },
}

async fn open(database: &DatabaseArg) -> anyhow::Result<Db> {
    super::progress::step(
        "opening the database",
        Db::connect_existing(&database.database_url, Duration::from_secs(10)),
    )
    .await
}

pub async fn run(args: MerchantArgs) -> anyhow::Result<()> {
    match args.command {
        MerchantCommand::Add {
            mall_id,
            name,
            secret_key,
            noti_url,
        } => {
            let mall_id = MallId::parse_new("mallId", &mall_id)?;
            let name = parse_name(name.as_deref().unwrap_or(mall_id.as_str()))?;
            let secret_key = secret_key.as_deref().map(parse_secret_key).transpose()?;
            let noti_url = noti_url.as_deref().map(parse_noti_url).transpose()?;
            let merchant = Merchant {
                mall_id: mall_id.to_string(),
                name,
                secret_key: secret_key.unwrap_or_else(ids::new_secret_key),
                webhook_secret: ids::new_webhook_secret(),
                noti_url,
                active: true,
                created_at: Utc::now(),
            };
            let db = open(&args.database).await?;
            if !merchants::insert(db.pool(), &merchant).await? {
                bail!("merchant {mall_id} already exists (see `easypay merchant show {mall_id}`)");
            }
            println!("added merchant {}", merchant.mall_id);
            println!("secret key: {}", merchant.secret_key);
            println!("webhook secret: {}", merchant.webhook_secret);
            println!("keep them now: they are never shown in full again");
        }
        MerchantCommand::List => {
            let db = open(&args.database).await?;
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
        MerchantCommand::Show { mall_id } => {
            let db = open(&args.database).await?;
            let Some(merchant) = merchants::find(db.pool(), &mall_id).await? else {
                bail!("no merchant {mall_id}");
            };
            print_merchant(&merchant);
        }
        MerchantCommand::Update {
            mall_id,
            name,
            secret_key,
            new_secret_key,
            new_webhook_secret,
            noti_url,
            no_noti_url,
        } => {
            // Every value is checked before the database is opened: a bad one changes nothing.
            let name = name.as_deref().map(parse_name).transpose()?;
            let secret_key = match (secret_key.as_deref(), new_secret_key) {
                (Some(raw), _) => Some(parse_secret_key(raw)?),
                (None, true) => Some(ids::new_secret_key()),
                (None, false) => None,
            };
            let webhook_secret = new_webhook_secret.then(ids::new_webhook_secret);
            let noti_url = match (noti_url.as_deref(), no_noti_url) {
                (Some(raw), _) => Some(Some(parse_noti_url(raw)?)),
                (None, true) => Some(None),
                (None, false) => None,
            };
            if name.is_none()
                && secret_key.is_none()
                && webhook_secret.is_none()
                && noti_url.is_none()
            {
                bail!(
                    "nothing to change: give --name, --secret-key, --new-secret-key, \
                     --new-webhook-secret, --noti-url or --no-noti-url"
                );
            }
            let db = open(&args.database).await?;
            let Some(mut merchant) = merchants::find(db.pool(), &mall_id).await? else {
                bail!("no merchant {mall_id}");
            };
            if let Some(name) = name {
                merchant.name = name;
            }
            if let Some(url) = noti_url {
                merchant.noti_url = url;
            }
            if let Some(key) = &secret_key {
                merchant.secret_key.clone_from(key);
            }
            if let Some(secret) = &webhook_secret {
                merchant.webhook_secret.clone_from(secret);
            }
            if !merchants::update(db.pool(), &merchant, Utc::now()).await? {
                bail!("no merchant {mall_id}");
            }
            println!("updated merchant {mall_id}");
            print_merchant(&merchant);
            if new_secret_key {
                println!("secret key: {}", merchant.secret_key);
            }
            if new_webhook_secret {
                println!("webhook secret: {}", merchant.webhook_secret);
            }
            match (new_secret_key, new_webhook_secret) {
                (true, true) => println!("keep them now: they are never shown in full again"),
                (true, false) | (false, true) => {
                    println!("keep it now: it is never shown in full again")
                }
                (false, false) => {}
            }
        }
        MerchantCommand::Activate { mall_id } => {
            set_active(&args.database, &mall_id, true).await?;
        }
        MerchantCommand::Deactivate { mall_id } => {
            set_active(&args.database, &mall_id, false).await?;
        }
    }
    Ok(())
}

fn parse_name(raw: &str) -> anyhow::Result<String> {
    if raw.trim().is_empty() {
        bail!("--name: must not be empty or only spaces (got {raw:?})");
    }
    Ok(Text::parse("--name", raw, 50)?.to_string())
}

/// The sandbox's `PUT /_sandbox/merchants` takes any non-empty key (tests use short ones); a
/// merchant administered here gets a key long enough to be one.
fn parse_secret_key(raw: &str) -> anyhow::Result<String> {
    if raw.is_empty() {
        bail!("--secret-key: is required (got an empty string)");
    }
    let key = Text::parse("--secret-key", raw, 200)?.to_string();
    if key == SANDBOX_SECRET_KEY {
        bail!(
            "--secret-key: is the sandbox's public key (in the README); leave it out for a \
             generated one"
        );
    }
    if key.len() < MIN_SECRET_KEY_BYTES {
        bail!(
            "--secret-key: at least {MIN_SECRET_KEY_BYTES} bytes (got {}); leave it out for a \
             generated one",
            key.len()
        );
    }
    Ok(key)
}

fn parse_noti_url(raw: &str) -> anyhow::Result<String> {
    Ok(HttpUrl::parse("--noti-url", raw, 256)?.to_string())
}

fn print_merchant(merchant: &Merchant) {
    println!("mallId:        {}", merchant.mall_id);
    println!("name:          {}", merchant.name);
    println!("status:        {}", status(merchant));
    println!("secretKey:     {}", merchant.masked_secret_key());
    println!("webhookSecret: {}", merchant.masked_webhook_secret());
    println!(
        "notiUrl:       {}",
        merchant.noti_url.as_deref().unwrap_or("-")
    );
    println!(
        "created:       {}",
        seoul_time::rfc3339(merchant.created_at)
    );
}

async fn set_active(database: &DatabaseArg, mall_id: &str, active: bool) -> anyhow::Result<()> {
    let db = open(database).await?;
    if active {
        let Some(merchant) = merchants::find(db.pool(), mall_id).await? else {
            bail!("no merchant {mall_id}");
        };
        if merchant.active {
            println!("merchant {mall_id} is already active");
            return Ok(());
        }
        // The CLI administers real gateways: a public secret would let anyone sign requests or
        // forge notifications. (Sandbox mode makes its own merchant; it never needs this.)
        let public = PublicSecrets::of(&merchant);
        if public.any() {
            bail!(
                "merchant {mall_id} still has the public sandbox {names} (README, \
                 docs/notifications.md): rotate first with `easypay merchant update {mall_id} \
                 {flags}`, then activate it",
                names = public.names(),
                flags = public.rotate_flags(),
            );
        }
    }
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
