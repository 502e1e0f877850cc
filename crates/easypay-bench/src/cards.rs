//! Billing keys issued before the load starts, end to end over HTTP as a merchant and its
//! customer would: open the registration window, fill it in (no browser: its form is plain HTML),
//! read the return form, issue the key. Also points the merchant's card notifications (`notiUrl`)
//! at the tool's receiver.

use anyhow::{bail, Context};
use easypay_client::billing::CertType;
use easypay_client::return_url::BillingReturn;
use easypay_client::Client;
use serde_json::json;

use crate::bodies::{MALL_ID, SECRET_KEY};
use crate::ids::Ids;

/// A Luhn-valid card the sandbox issuer approves.
const CARD: &str = "4111111111111111";

/// Sends the sandbox merchant's card notifications (`notiType` 10) to `noti_url`.
pub async fn set_noti_url(base_url: &str, noti_url: &str) -> anyhow::Result<()> {
    let answer: serde_json::Value = reqwest::Client::new()
        .put(format!("{base_url}/_sandbox/merchants/{MALL_ID}"))
        .json(&json!({"secretKey": SECRET_KEY, "notiUrl": noti_url}))
        .send()
        .await?
        .json()
        .await?;
    if answer["resCd"] != "0000" {
        bail!("PUT /_sandbox/merchants/{MALL_ID}: {answer}");
    }
    Ok(())
}

/// Issues `count` billing keys on the sandbox merchant; answers them.
pub async fn issue_keys(base_url: &str, ids: &Ids, count: usize) -> anyhow::Result<Vec<String>> {
    let client = Client::new(base_url, MALL_ID, SECRET_KEY)?;
    let mut keys = Vec::with_capacity(count);
    for _ in 0..count {
        keys.push(issue_key(&client, ids).await?);
    }
    Ok(keys)
}

async fn issue_key(client: &Client, ids: &Ids) -> anyhow::Result<String> {
    let shop_order_no = ids.order_no();
    let auth_page_url = client
        .open_billing_window(
            &shop_order_no,
            "Monthly plan",
            "https://shop.example/billing/return",
        )
        .cert_type(CertType::NumberAndExpiry)
        .send()
        .await
        .context("opening the registration window")?;
    let browser = reqwest::Client::new();
    let window = browser.get(&auth_page_url).send().await?.text().await?;
    let form_token = hidden_fields(&window)
        .into_iter()
        .find(|(name, _)| name == "formToken")
        .context("the window has no formToken")?
        .1;
    let done = browser
        .post(&auth_page_url)
        .form(&[
            ("formToken", form_token.as_str()),
            ("cardNo", CARD),
            ("expiry", "1239"),
        ])
        .send()
        .await?
        .text()
        .await?;
    let posted: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(hidden_fields(&done))
        .finish();
    let back = BillingReturn::parse(posted.as_bytes()).context("the window's return form")?;
    let authorization_id = back
        .authorization_id()
        .context("the window returned no authorizationId")?;
    let key = client
        .issue_billing_key(authorization_id, &shop_order_no)
        .await
        .context("issuing the billing key")?;
    Ok(key.batch_key)
}

/// `name="…" value="…"` pairs of a page's hidden inputs, unescaped.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .filter_map(|input| {
            let name = between(input, "name=\"", "\"")?;
            let value = between(input, "value=\"", "\"")?;
            Some((unescape(name), unescape(value)))
        })
        .collect()
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let to = from + text[from..].find(end)?;
    Some(&text[from..to])
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
