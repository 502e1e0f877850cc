//! Card data at rest (decision 20): the card number and expiry are sealed with AES-256-GCM before
//! they reach the database, bound to the row they belong to, and opened only to decide a charge.
//!
//! The key comes from `--card-key` (base64 of 32 bytes), else from a key file: `--card-key-file`,
//! or `{SQLite file}.card-key` beside the database, or `./easypay-card.key` for PostgreSQL. A
//! missing file is created with mode 0600 on first start.

use std::io::Write;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{bail, Context};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use easypay_api::card_input::{CardExpiry, CardNumber};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Marks the format of a sealed value, so a later format can sit beside this one.
const VERSION: &str = "v1:";
const NONCE_BYTES: usize = 12;

/// The card data a billing key stands for. Never logged: `Debug` shows the masked number only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardSecret {
    pub number: CardNumber,
    pub expiry: CardExpiry,
}

/// A [`CardSecret`] as stored: `v1:` and base64 of the nonce and the ciphertext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedCard(String);

impl SealedCard {
    pub fn from_stored(text: String) -> Self {
        SealedCard(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, thiserror::Error)]
#[error("stored card data could not be opened (wrong card key, or the row was altered)")]
pub struct OpenError;

#[derive(Clone)]
pub struct CardVault {
    cipher: Aes256Gcm,
    /// Names the key without revealing it: SHA-256 over a fixed label and the key.
    fingerprint: String,
    /// Keys the card numbers' hashes (`cardnoHash`): derived from the card key with its own label.
    number_hash_key: [u8; 32],
}

impl std::fmt::Debug for CardVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardVault(..)")
    }
}

impl CardVault {
    pub fn from_key(key: &[u8; 32]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"easypay card key fingerprint v1\0");
        hasher.update(key);
        let mut number_hash_key = Sha256::new();
        number_hash_key.update(b"easypay card number hash key v1\0");
        number_hash_key.update(key);
        CardVault {
            cipher: Aes256Gcm::new(key.into()),
            fingerprint: hex::encode(hasher.finalize()),
            number_hash_key: number_hash_key.finalize().into(),
        }
    }

    /// `cardnoHash` (KICC's card notification, 44 characters): the same card number always gives
    /// the same value under one card key, so a merchant can tell one card behind several billing
    /// keys, and the number cannot be read back from it. Base64 of HMAC-SHA256 of the digits, keyed
    /// (PCI DSS asks a hashed card number to be keyed), so it changes when the card key is rotated.
    pub fn card_number_hash(&self, number: &CardNumber) -> String {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.number_hash_key)
            .expect("HMAC takes a key of any length");
        mac.update(number.digits().as_bytes());
        STANDARD.encode(mac.finalize().into_bytes())
    }

    /// The key's fingerprint, to check that every process on one database has the same key.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The vault for a gateway: the key given inline, else the key file (created if missing).
    pub fn load(
        inline_key: Option<&str>,
        key_file: Option<&Path>,
        database_url: &str,
    ) -> anyhow::Result<Self> {
        KeySource::find(inline_key, key_file, database_url)?.open()
    }

    /// The vault of a key that must exist already: the key given inline, else the key file, which
    /// is read, never created (a command that needs the database's current key).
    pub fn load_existing(
        inline_key: Option<&str>,
        key_file: Option<&Path>,
        database_url: &str,
    ) -> anyhow::Result<Self> {
        match KeySource::find(inline_key, key_file, database_url)? {
            KeySource::Known(key) => Ok(CardVault::from_key(&key)),
            KeySource::NewFile(path) => bail!(
                "no card key file at {}: give the current key with --card-key or --card-key-file",
                path.display()
            ),
        }
    }

    /// Seals `card` for the row named by `context` (e.g. `billing_key:{batchKey}`): ciphertext
    /// moved to another row does not open.
    pub fn seal(&self, card: &CardSecret, context: &str) -> SealedCard {
        let mut nonce = [0u8; NONCE_BYTES];
        OsRng.fill_bytes(&mut nonce);
        let plain = format!("{}|{}", card.number.digits(), card.expiry.mmyy());
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .expect("AES-GCM encrypts any message this short");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        SealedCard(format!("{VERSION}{}", STANDARD.encode(bytes)))
    }

    pub fn open(&self, sealed: &SealedCard, context: &str) -> Result<CardSecret, OpenError> {
        let bytes = sealed
            .0
            .strip_prefix(VERSION)
            .and_then(|encoded| STANDARD.decode(encoded).ok())
            .filter(|bytes| bytes.len() > NONCE_BYTES)
            .ok_or(OpenError)?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| OpenError)?;
        let text = String::from_utf8(plain).map_err(|_| OpenError)?;
        let (number, expiry) = text.split_once('|').ok_or(OpenError)?;
        Ok(CardSecret {
            number: CardNumber::parse(number).map_err(|_| OpenError)?,
            expiry: CardExpiry::from_mmyy(expiry).ok_or(OpenError)?,
        })
    }
}

pub(crate) fn decode_key(encoded: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = STANDARD.decode(encoded.trim()).map_err(|error| {
        anyhow::anyhow!(
            "not base64 of 32 bytes ({error}); make one with `head -c 32 /dev/urandom | base64`"
        )
    })?;
    match <[u8; 32]>::try_from(bytes.as_slice()) {
        Ok(key) => Ok(key),
        Err(_) => bail!("the key is {} bytes, not 32", bytes.len()),
    }
}

/// Beside the SQLite file (`easypay.db` → `easypay.db.card-key`); in the working directory otherwise.
fn default_key_file(database_url: &str) -> PathBuf {
    let sqlite_file = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or_default())
        .filter(|file| !file.is_empty() && !file.contains(":memory:"));
    match sqlite_file {
        Some(file) => PathBuf::from(format!("{file}.card-key")),
        None => PathBuf::from("easypay-card.key"),
    }
}

/// Where a gateway's card key comes from, found without creating anything: a start that fails
/// later (say, on its listen address) must leave no new key file behind.
pub enum KeySource {
    /// Given inline, or read from an existing file.
    Known([u8; 32]),
    /// A key file to create, in a directory that exists.
    NewFile(PathBuf),
}

impl KeySource {
    pub fn find(
        inline_key: Option<&str>,
        key_file: Option<&Path>,
        database_url: &str,
    ) -> anyhow::Result<Self> {
        if let Some(encoded) = inline_key {
            return decode_key(encoded)
                .context("--card-key (EASYPAY_CARD_KEY) must be base64 of 32 bytes")
                .map(KeySource::Known);
        }
        let path = key_file.map_or_else(|| default_key_file(database_url), Path::to_path_buf);
        if let Some(key) = read_existing(&path)? {
            return Ok(KeySource::Known(key));
        }
        let directory = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty());
        if let Some(directory) = directory.filter(|directory| !directory.is_dir()) {
            bail!(
                "--card-key-file: cannot create the card key file {}: the directory {} does not \
                 exist",
                path.display(),
                directory.display()
            );
        }
        Ok(KeySource::NewFile(path))
    }

    /// The vault, creating the key file if it is new.
    pub fn open(self) -> anyhow::Result<CardVault> {
        let key = match self {
            KeySource::Known(key) => key,
            KeySource::NewFile(path) => read_or_create(&path)?,
        };
        Ok(CardVault::from_key(&key))
    }
}

/// The key in `path`, or `None` if there is no such file.
fn read_existing(path: &Path) -> anyhow::Result<Option<[u8; 32]>> {
    match std::fs::read_to_string(path) {
        Ok(text) => decode_key(&text)
            .with_context(|| format!("{} must hold base64 of 32 bytes", path.display()))
            .map(Some),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn read_or_create(path: &Path) -> anyhow::Result<[u8; 32]> {
    if let Some(key) = read_existing(path)? {
        return Ok(key);
    }
    let mut key = [0u8; 32];
    OsRng.fill_bytes(&mut key);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            writeln!(file, "{}", STANDARD.encode(key))
                .and_then(|()| file.sync_all())
                .with_context(|| format!("cannot write {}", path.display()))?;
            tracing::info!(path = %path.display(), "created a new card key file");
            Ok(key)
        }
        // Another process created it first: use theirs.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => read_or_create(path),
        Err(error) => Err(error).with_context(|| format!("cannot create {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> CardSecret {
        CardSecret {
            number: CardNumber::parse("5464650012345641").unwrap(),
            expiry: CardExpiry::from_mmyy("1230").unwrap(),
        }
    }

    #[test]
    fn sealed_cards_open_only_with_their_key_and_row() {
        let vault = CardVault::from_key(&[7; 32]);
        let sealed = vault.seal(&card(), "billing_key:a");
        assert!(sealed.as_str().starts_with("v1:"));
        assert!(!sealed.as_str().contains("5464650012345641"));
        assert_eq!(vault.open(&sealed, "billing_key:a").unwrap(), card());
        assert!(vault.open(&sealed, "billing_key:b").is_err());
        assert!(CardVault::from_key(&[8; 32])
            .open(&sealed, "billing_key:a")
            .is_err());
        assert_ne!(
            sealed,
            vault.seal(&card(), "billing_key:a"),
            "a fresh nonce every time"
        );
        assert!(!format!("{:?}", card()).contains("12345641"));
    }

    #[test]
    fn the_key_file_sits_beside_the_sqlite_database() {
        assert_eq!(
            default_key_file("sqlite:///var/lib/easypay.db?mode=rwc"),
            PathBuf::from("/var/lib/easypay.db.card-key")
        );
        assert_eq!(
            default_key_file("sqlite://easypay.db"),
            PathBuf::from("easypay.db.card-key")
        );
        assert_eq!(
            default_key_file("postgres://u@h/db"),
            PathBuf::from("easypay-card.key")
        );
    }

    #[test]
    fn a_new_key_file_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.card-key");
        let first = read_or_create(&path).unwrap();
        assert_eq!(read_or_create(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(CardVault::load(Some("too short"), None, "sqlite://x.db").is_err());
        let inline = STANDARD.encode([1u8; 32]);
        assert!(CardVault::load(Some(&inline), None, "sqlite://x.db").is_ok());
    }
}
