//! The client: where EasyPay is, who the merchant is, and how patient to be.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use easypay_api::values::MallId;

use crate::error::Error;
use crate::retry::RetryPolicy;

/// KICC's test host (`testpgapi.easypay.co.kr`).
pub const TEST_URL: &str = "https://testpgapi.easypay.co.kr";
/// KICC's production host (`pgapi.easypay.co.kr`).
pub const PRODUCTION_URL: &str = "https://pgapi.easypay.co.kr";
/// How long one attempt may take: KICC asks merchants for a 30-second read timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A merchant's connection to EasyPay: KICC's hosts or any gateway speaking the same API, such as
/// `easypay serve`. Cheap to clone; clones share one connection pool.
///
/// ```
/// use easypay_client::{Client, TEST_URL};
///
/// let client = Client::new(TEST_URL, "T5102001", "my-secret-key")?;
/// assert_eq!(client.mall_id(), "T5102001");
/// // The secret key never appears in debug output.
/// assert!(!format!("{client:?}").contains("my-secret-key"));
/// # Ok::<(), easypay_client::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: Arc<str>,
    pub(crate) mall_id: Arc<str>,
    pub(crate) secret_key: Arc<str>,
    pub(crate) retry: RetryPolicy,
}

impl Client {
    /// A client with the default timeout (30 s) and retry policy.
    pub fn new(base_url: &str, mall_id: &str, secret_key: &str) -> Result<Client, Error> {
        Client::builder(base_url, mall_id, secret_key).build()
    }

    /// A client to configure before use.
    ///
    /// ```
    /// use std::time::Duration;
    /// use easypay_client::{Client, RetryPolicy};
    ///
    /// let client = Client::builder("http://127.0.0.1:8080", "T5102001", "easypay-sandbox-secret")
    ///     .timeout(Duration::from_secs(10))
    ///     .retry(RetryPolicy::none())
    ///     .build()?;
    /// assert_eq!(client.base_url(), "http://127.0.0.1:8080");
    /// # Ok::<(), easypay_client::Error>(())
    /// ```
    pub fn builder(base_url: &str, mall_id: &str, secret_key: &str) -> ClientBuilder {
        ClientBuilder {
            base_url: base_url.to_owned(),
            mall_id: mall_id.to_owned(),
            secret_key: secret_key.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
        }
    }

    /// The merchant's `mallId`.
    pub fn mall_id(&self) -> &str {
        &self.mall_id
    }

    /// The base URL requests go to, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.base_url)
            .field("mall_id", &self.mall_id)
            .field("secret_key", &"<redacted>")
            .field("retry", &self.retry)
            .finish()
    }
}

/// Settings of a [`Client`] before it is built; see [`Client::builder`].
#[derive(Clone)]
pub struct ClientBuilder {
    base_url: String,
    mall_id: String,
    secret_key: String,
    timeout: Duration,
    retry: RetryPolicy,
}

impl ClientBuilder {
    /// How long one attempt may take, from connecting to the end of the answer (default 30 s,
    /// KICC's). A call makes up to [`RetryPolicy::max_attempts`] attempts, so the longest a call
    /// can take is about that many timeouts plus the backoff between them.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// When and how often to retry (default [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Checks the settings: the base URL must be an absolute `http`/`https` URL, the `mallId`
    /// must pass KICC's rule (at most 8 bytes of plain text), the secret key must not be empty.
    ///
    /// ```
    /// use easypay_client::Client;
    /// assert!(Client::new("not a url", "T5102001", "k").is_err());
    /// assert!(Client::new("https://pg.example", "TOO-LONG-MALL", "k").is_err());
    /// assert!(Client::new("https://pg.example", "T5102001", "").is_err());
    /// ```
    pub fn build(self) -> Result<Client, Error> {
        let url = url::Url::parse(&self.base_url)
            .map_err(|error| Error::Config(format!("base URL {:?}: {error}", self.base_url)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::Config(format!(
                "base URL {:?}: not http or https",
                self.base_url
            )));
        }
        MallId::parse("mallId", &self.mall_id)?;
        if self.secret_key.is_empty() {
            return Err(Error::Config("the secret key is empty".into()));
        }
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .user_agent(concat!("easypay-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| Error::Config(format!("HTTP client: {error}")))?;
        Ok(Client {
            http,
            base_url: self.base_url.trim_end_matches('/').into(),
            mall_id: self.mall_id.into(),
            secret_key: self.secret_key.into(),
            retry: RetryPolicy {
                max_attempts: self.retry.max_attempts.max(1),
                ..self.retry
            },
        })
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("mall_id", &self.mall_id)
            .field("secret_key", &"<redacted>")
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish()
    }
}
