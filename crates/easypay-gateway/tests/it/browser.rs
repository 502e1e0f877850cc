//! A real headless Chromium (Debian's `chromium` and `chromium-driver`), driven over WebDriver,
//! and a merchant `returnUrl` that records what the browser posts to it.

use std::collections::HashMap;
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use axum::extract::Query;
use axum::routing::{get, post};
use axum::{Form, Router};
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

const REQUIRE_BROWSER_VAR: &str = "EASYPAY_TEST_REQUIRE_BROWSER";

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// A headless Chromium with a `width`×`height` window, or `None` (said loudly) when Chromium is
    /// not installed and `EASYPAY_TEST_REQUIRE_BROWSER` is not `1`.
    pub async fn start(width: u32, height: u32) -> Option<Browser> {
        let installed = ["/usr/bin/chromium", "/usr/bin/chromedriver"]
            .iter()
            .all(|path| std::path::Path::new(path).exists());
        if !installed {
            assert!(
                std::env::var(REQUIRE_BROWSER_VAR).as_deref() != Ok("1"),
                "{REQUIRE_BROWSER_VAR}=1 but chromium/chromedriver are not installed"
            );
            static WARN: Once = Once::new();
            WARN.call_once(|| {
                let _ = writeln!(
                    std::io::stderr(),
                    "\n*** browser tests SKIPPED: apt-get install chromium chromium-driver to run them ***\n"
                );
            });
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut driver = Command::new("/usr/bin/chromedriver")
            .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--disable-dev-shm-usage",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }),
        );
        let webdriver = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            let connected = ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&webdriver)
                .await;
            if let Ok(client) = connected {
                return Some(Browser {
                    client,
                    driver,
                    _profile: profile,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = driver.kill();
        let _ = driver.wait();
        panic!("could not open a Chromium session through chromedriver");
    }

    /// Waits (at most 10 s) until the page's text contains `needle`.
    pub async fn wait_for_text(&self, needle: &str) -> String {
        let mut text = String::new();
        for _ in 0..100 {
            if let Ok(body) = self.client.find(fantoccini::Locator::Css("body")).await {
                text = body.text().await.unwrap_or_default();
                if text.contains(needle) {
                    return text;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page never showed {needle:?}; it shows:\n{text}");
    }

    /// Saves a PNG of the window under `docs/screenshots/` when `EASYPAY_SCREENSHOTS=1`.
    pub async fn screenshot(&self, name: &str) {
        if std::env::var("EASYPAY_SCREENSHOTS").as_deref() != Ok("1") {
            return;
        }
        let png = self.client.screenshot().await.expect("screenshot");
        let dir =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The merchant's layer page: the window in an iframe of KICC's minimum PC size.
async fn layer(Query(query): Query<HashMap<String, String>>) -> axum::response::Html<String> {
    let src = query["window"].replace('&', "&amp;").replace('"', "&quot;");
    axum::response::Html(format!(
        "<!DOCTYPE html><html><body><iframe id=\"layer\" src=\"{src}\" width=\"720\" \
         height=\"680\"></iframe></body></html>"
    ))
}

/// The fields of one form POST, in order.
type FormFields = Vec<(String, String)>;

/// A merchant's `returnUrl`: records each form POST it receives.
#[derive(Clone, Default)]
pub struct ReturnReceiver {
    pub url: String,
    posts: Arc<Mutex<Vec<FormFields>>>,
}

impl ReturnReceiver {
    pub async fn start() -> ReturnReceiver {
        let posts: Arc<Mutex<Vec<FormFields>>> = Arc::default();
        let recorded = posts.clone();
        let app = Router::new()
            .route(
                "/return",
                post(move |Form(fields): Form<FormFields>| async move {
                    recorded.lock().unwrap().push(fields);
                    axum::response::Html("<html><body>merchant received the return</body></html>")
                }),
            )
            .route("/layer", get(layer));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/return", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        ReturnReceiver { url, posts }
    }

    /// A page of the merchant's site that shows `window_url` in a layer (an iframe), as a merchant
    /// opening KICC's window on PC may.
    pub fn layer_url(&self, window_url: &str) -> String {
        let site = self.url.trim_end_matches("/return");
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("window", window_url)
            .finish();
        format!("{site}/layer?{query}")
    }

    /// Waits (at most 10 s) for the next POST and answers its fields in order.
    pub async fn next_post(&self) -> FormFields {
        for _ in 0..100 {
            if let Some(fields) = self.posts.lock().unwrap().pop() {
                return fields;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the browser never posted to the returnUrl");
    }

    /// `true` if no POST arrives within `wait`.
    pub async fn no_post_within(&self, wait: Duration) -> bool {
        tokio::time::sleep(wait).await;
        self.posts.lock().unwrap().is_empty()
    }
}
