//! `easypay card-key rotate`: moves every stored card to a new card key (docs/cards.md §9).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Subcommand;

use super::DatabaseArg;
use crate::store::{card_key_check, Db};
use crate::vault::{decode_key, CardVault};

#[derive(clap::Args)]
pub struct CardKeyArgs {
    #[command(flatten)]
    database: DatabaseArg,
    #[command(subcommand)]
    command: CardKeyCommand,
}

#[derive(Subcommand)]
pub enum CardKeyCommand {
    /// Re-seal every stored card (billing keys, completed registrations) under a new card key, in
    /// one transaction, and record the new key as the database's.
    ///
    /// Gateways may keep running: until restarted with the new key they answer E500 to charges
    /// of stored keys and refuse to store new cards. The old key is not deleted: keep it until
    /// every gateway runs with the new one.
    Rotate {
        /// The current key, base64 of 32 bytes (as given to `serve`).
        #[arg(long, env = "EASYPAY_CARD_KEY", hide_env_values = true)]
        card_key: Option<String>,
        /// The current key's file (as given to `serve`; default: beside the SQLite file, or
        /// ./easypay-card.key for PostgreSQL).
        #[arg(long, env = "EASYPAY_CARD_KEY_FILE")]
        card_key_file: Option<PathBuf>,
        /// The new key, base64 of 32 bytes (prefer the environment variable).
        #[arg(
            long,
            env = "EASYPAY_NEW_CARD_KEY",
            hide_env_values = true,
            required_unless_present = "new_card_key_file",
            conflicts_with = "new_card_key_file"
        )]
        new_card_key: Option<String>,
        /// The new key's file; a missing one is created (mode 0600) with a fresh random key
        /// before anything is re-sealed.
        #[arg(long)]
        new_card_key_file: Option<PathBuf>,
    },
}

pub async fn run(args: CardKeyArgs) -> anyhow::Result<()> {
    match args.command {
        CardKeyCommand::Rotate {
            card_key,
            card_key_file,
            new_card_key,
            new_card_key_file,
        } => {
            let url = &args.database.database_url;
            let new_inline = new_card_key
                .as_deref()
                .map(|key| {
                    decode_key(key)
                        .context("--new-card-key (EASYPAY_NEW_CARD_KEY) must be base64 of 32 bytes")
                })
                .transpose()?;
            if let Some(directory) = new_card_key_file
                .as_deref()
                .and_then(Path::parent)
                .filter(|parent| !parent.as_os_str().is_empty() && !parent.is_dir())
            {
                bail!(
                    "--new-card-key-file: cannot create the new card key file there: the \
                     directory {} does not exist",
                    directory.display()
                );
            }
            // The database first: without one there is no current key to look for.
            let db = super::progress::step(
                "opening the database",
                Db::connect_existing(url, Duration::from_secs(10)),
            )
            .await?;
            let current =
                CardVault::load_existing(card_key.as_deref(), card_key_file.as_deref(), url)?;
            // Everything that can be refused is, before a new key file is made.
            card_key_check::check_current(&db, &current).await?;
            let new = match (new_inline, &new_card_key_file) {
                (Some(key), _) => CardVault::from_key(&key),
                // clap requires one of the two.
                (None, file) => CardVault::load(None, file.as_deref(), url)?,
            };
            let rotated = card_key_check::rotate(&db, &current, &new).await?;
            let start_with = match &new_card_key_file {
                Some(file) => format!("--card-key-file {}", file.display()),
                None => "--card-key (EASYPAY_CARD_KEY) set to the new key".to_owned(),
            };
            println!(
                "re-sealed {} billing keys and {} registrations under the new card key \
                 (fingerprint {}…)\nnow restart every gateway on this database with \
                 {start_with}; keep the old key until all of them run with the new one",
                rotated.billing_keys,
                rotated.registrations,
                &new.fingerprint()[..12],
            );
            Ok(())
        }
    }
}
