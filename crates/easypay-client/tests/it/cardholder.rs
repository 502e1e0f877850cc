//! The customer's side of a card registration: opens the window, types a card, and is sent back
//! to the merchant's `returnUrl` with the form the window auto-submits.

use easypay_client::billing::CertType;
use easypay_client::return_url::BillingReturn;
use easypay_client::Client;

use crate::gateway::order_no;

/// A Luhn-valid card that the sandbox issuer approves.
pub const CARD: &str = "4111111111111111";

/// The sandbox issuer's slow card: approved after 3 seconds, every time.
pub const SLOW_CARD: &str = "4579730000030002";

/// Opens a window, registers [`CARD`] in it, and reads the return POST as the merchant would.
/// Answers the registration's `shopOrderNo` and the return.
pub async fn register_card(client: &Client) -> (String, BillingReturn) {
    register_card_number(client, CARD).await
}

/// Registers `card` and issues its billing key; answers the key.
pub async fn billing_key_for(client: &Client, card: &str) -> String {
    let (shop_order_no, back) = register_card_number(client, card).await;
    client
        .issue_billing_key(back.authorization_id().unwrap(), &shop_order_no)
        .await
        .unwrap()
        .batch_key
}

/// [`register_card`] with another card number.
pub async fn register_card_number(client: &Client, card: &str) -> (String, BillingReturn) {
    let shop_order_no = order_no("REG");
    let auth_page_url = client
        .open_billing_window(
            &shop_order_no,
            "Monthly plan",
            "https://shop.example/billing/return",
        )
        .cert_type(CertType::NumberAndExpiry)
        .shop_value(1, "plan-basic")
        .send()
        .await
        .expect("the window opens");
    let browser = reqwest::Client::new();
    let window = browser
        .get(&auth_page_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form_token = hidden_fields(&window)
        .into_iter()
        .find(|(name, _)| name == "formToken")
        .expect("the window has its form token")
        .1;
    let done = browser
        .post(&auth_page_url)
        .form(&[
            ("formToken", form_token.as_str()),
            ("cardNo", card),
            ("expiry", "1239"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let posted: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(hidden_fields(&done))
        .finish();
    let back = BillingReturn::parse(posted.as_bytes()).expect("the return form");
    (shop_order_no, back)
}

/// `name="…" value="…"` pairs of the hidden inputs of a page, unescaped.
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
