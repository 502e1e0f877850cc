//! WeChat Pay: Create Transaction (`POST /api/trades/wechatpay`) and Check Payment Status
//! (`POST /api/trades/wechatpay/find`).

use easypay_api::wechat::{
    CreateWechatRequest, CreateWechatResponse, Currency, FindWechatRequest, FindWechatResponse,
    TradeType,
};
use serde_json::json;

use crate::client::Client;
use crate::customer::Customer;
use crate::error::Error;
use crate::keys::new_shop_transaction_id;
use crate::money::Money;
use crate::transport::{wire_body, Envelope, Key};
use crate::verify::{answer_field, echo, present};

/// A WeChat order being prepared; see [`Client::create_wechat`].
#[derive(Debug, Clone)]
#[must_use = "nothing is sent until .send()"]
pub struct CreateWechat<'c> {
    client: &'c Client,
    trade_type: TradeType,
    shop_order_no: String,
    goods_name: String,
    amount: Money,
    return_url: Option<String>,
    notify_url: Option<String>,
    customer: Option<Customer>,
    shop_transaction_id: Option<String>,
}

/// A created WeChat order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WechatOrder {
    /// KICC's transaction number: keep it with the order, to find, confirm and cancel it.
    pub pg_cno: String,
    /// `native`: a code URL (`weixin://wxpay/bizpayurl?pr=…`) to show as a QR code; `mweb`: the
    /// cashier URL to send the customer's browser to.
    pub payment_page_url: String,
    /// The idempotency key the order was created under.
    pub shop_transaction_id: String,
    /// The whole answer.
    pub response: CreateWechatResponse,
}

impl Client {
    /// Prepares a WeChat order: `native` for a QR code on a PC, `mweb` for a mobile browser.
    /// `returnUrl` and `notifyUrl` are required; the key is generated unless given.
    ///
    /// ```no_run
    /// use easypay_client::{Client, Customer, Money, TradeType};
    ///
    /// # async fn run() -> Result<(), easypay_client::Error> {
    /// let client = Client::new("http://127.0.0.1:8080", "T5102001", "easypay-sandbox-secret")?;
    /// let order = client
    ///     .create_wechat(TradeType::Native, "ORDER-1001", "Green tea", Money::krw(1000))
    ///     .return_url("https://shop.example/return")
    ///     .notify_url("https://shop.example/notify")
    ///     .customer(Customer::default().name("John Doe"))
    ///     .send()
    ///     .await?;
    /// println!("show {} as a QR code; pgCno {}", order.payment_page_url, order.pg_cno);
    /// # Ok(())
    /// # }
    /// ```
    pub fn create_wechat(
        &self,
        trade_type: TradeType,
        shop_order_no: &str,
        goods_name: &str,
        amount: Money,
    ) -> CreateWechat<'_> {
        CreateWechat {
            client: self,
            trade_type,
            shop_order_no: shop_order_no.to_owned(),
            goods_name: goods_name.to_owned(),
            amount,
            return_url: None,
            notify_url: None,
            customer: None,
            shop_transaction_id: None,
        }
    }

    /// The status of a WeChat payment. Each call uses a new key: KICC's `find` is idempotent,
    /// so a reused key would replay an old status.
    ///
    /// An order that is not paid is not an error: it is [`WechatStatus::Pending`],
    /// [`WechatStatus::Declined`], [`WechatStatus::Expired`] or
    /// [`WechatStatus::CancelledByCustomer`].
    ///
    /// ```no_run
    /// # async fn run(client: easypay_client::Client) -> Result<(), easypay_client::Error> {
    /// use easypay_client::WechatStatus;
    /// match client.find_wechat("26031212000012345678").await?.status {
    ///     WechatStatus::Approved(approval) => println!("paid {}", approval.amount),
    ///     WechatStatus::Pending => println!("not paid yet"),
    ///     other => println!("{other:?}"),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn find_wechat(&self, pg_cno: &str) -> Result<WechatPayment, Error> {
        let key = new_shop_transaction_id();
        let body = wire_body(json!({
            "mallId": &*self.mall_id,
            "shopTransactionId": key,
            "pgCno": pg_cno,
        }));
        FindWechatRequest::parse(&body)?;
        let envelope = self
            .post("/api/trades/wechatpay/find", &body, Key::Idempotent(&key))
            .await?;
        WechatPayment::read(envelope, &key, pg_cno)
            .map_err(|error| error.in_call(&key, Some(pg_cno)))
    }
}

impl CreateWechat<'_> {
    /// Where the customer's browser is sent after paying (`returnUrl`, required).
    pub fn return_url(mut self, url: impl Into<String>) -> Self {
        self.return_url = Some(url.into());
        self
    }

    /// Where the approval notification is POSTed (`notifyUrl`, required).
    pub fn notify_url(mut self, url: impl Into<String>) -> Self {
        self.notify_url = Some(url.into());
        self
    }

    /// `customerInfo`.
    pub fn customer(mut self, customer: Customer) -> Self {
        self.customer = Some(customer);
        self
    }

    /// Uses this idempotency key instead of a generated one, e.g. one stored with the order
    /// before sending, so that the call can be repeated after a crash.
    pub fn shop_transaction_id(mut self, key: impl Into<String>) -> Self {
        self.shop_transaction_id = Some(key.into());
        self
    }

    /// Checks every field with KICC's rules, then sends, retrying with the same key.
    pub async fn send(self) -> Result<WechatOrder, Error> {
        let key = self
            .shop_transaction_id
            .unwrap_or_else(new_shop_transaction_id);
        let client = self.client;
        let body = wire_body(json!({
            "mallId": &*client.mall_id,
            "shopTransactionId": key,
            "shopOrderNo": self.shop_order_no,
            "goodsName": self.goods_name,
            "returnUrl": self.return_url,
            "tradeType": self.trade_type.as_str(),
            "notifyUrl": self.notify_url,
            "amountInfo": {
                "currency": self.amount.currency.as_str(),
                "totalAmount": self.amount.amount,
            },
            "customerInfo": self.customer.as_ref().map(Customer::to_json),
        }));
        CreateWechatRequest::parse(&body)?;
        // Every error from here on names the key (and what the answer said), to resend or look up.
        let answered: Result<WechatOrder, Error> = async {
            let response: CreateWechatResponse = client
                .post("/api/trades/wechatpay", &body, Key::Idempotent(&key))
                .await?
                .success()?;
            echo(
                "shopTransactionId",
                &key,
                response.shop_transaction_id.as_deref(),
            )?;
            echo("mallId", &client.mall_id, response.mall_id.as_deref())?;
            Ok(WechatOrder {
                pg_cno: present("pgCno", response.pg_cno.clone())?,
                payment_page_url: present("paymentPageUrl", response.payment_page_url.clone())?,
                shop_transaction_id: key.clone(),
                response,
            })
        }
        .await;
        answered.map_err(|error| error.in_call(&key, None))
    }
}

/// A WeChat payment as `find` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WechatPayment {
    /// KICC's transaction number.
    pub pg_cno: String,
    /// The merchant's order number, as the gateway knows it.
    pub shop_order_no: Option<String>,
    /// Where the payment stands.
    pub status: WechatStatus,
    /// The whole answer.
    pub response: FindWechatResponse,
}

/// Where a WeChat payment stands (decision 18 of the gateway; `statusCd` of KICC's `find`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WechatStatus {
    /// Waiting for the customer to pay (`W001`).
    Pending,
    /// The wallet declined (`W002`), with WeChat's detail message when given.
    Declined {
        /// `resDetailMsg`, URL-decoded.
        detail: Option<String>,
    },
    /// The order expired unpaid (`W003`).
    Expired,
    /// The customer cancelled in the cashier (`W004`).
    CancelledByCustomer,
    /// Paid (`TS01`).
    Approved(Approval),
    /// Paid, then partly cancelled (`TS06`).
    PartiallyCancelled(Approval),
    /// Paid, then cancelled in full (`TS02`).
    Cancelled(Approval),
    /// Paid, then voided by the wallet (`TS12`, network cancel).
    Voided(Approval),
    /// A `statusCd` this SDK does not know (KICC may add some).
    Other {
        /// The `statusCd` as answered.
        status_cd: String,
    },
}

impl WechatStatus {
    /// The approval behind a paid status (whatever happened since).
    ///
    /// ```
    /// use easypay_client::{Approval, Money, WechatStatus};
    /// let approval = Approval { amount: Money::krw(1000), approval_date: "20260312101500".into() };
    /// assert_eq!(WechatStatus::Voided(approval.clone()).approval(), Some(&approval));
    /// assert_eq!(WechatStatus::Pending.approval(), None);
    /// ```
    pub fn approval(&self) -> Option<&Approval> {
        match self {
            WechatStatus::Approved(approval)
            | WechatStatus::PartiallyCancelled(approval)
            | WechatStatus::Cancelled(approval)
            | WechatStatus::Voided(approval) => Some(approval),
            _ => None,
        }
    }
}

/// What the wallet approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// The approved amount: compare it with the order's (KICC: cancel when they differ).
    pub amount: Money,
    /// `yyyyMMddHHmmss`, Seoul time.
    pub approval_date: String,
}

impl WechatPayment {
    fn read(envelope: Envelope, key: &str, pg_cno: &str) -> Result<WechatPayment, Error> {
        let status = match envelope.res_cd.as_str() {
            "0000" => None,
            "W001" => Some(WechatStatus::Pending),
            "W002" => Some(WechatStatus::Declined { detail: None }),
            "W003" => Some(WechatStatus::Expired),
            "W004" => Some(WechatStatus::CancelledByCustomer),
            _ => return Err(envelope.refused()),
        };
        let response: FindWechatResponse = envelope.decode()?;
        echo(
            "shopTransactionId",
            key,
            Some(response.shop_transaction_id.as_str()),
        )?;
        echo("pgCno", pg_cno, response.pg_cno.as_deref())?;
        let status = match status {
            Some(WechatStatus::Declined { .. }) => WechatStatus::Declined {
                detail: response.res_detail_msg.as_deref().map(url_decoded),
            },
            Some(status) => status,
            None => paid_status(&response)?,
        };
        Ok(WechatPayment {
            pg_cno: pg_cno.to_owned(),
            shop_order_no: response.shop_order_no.clone(),
            status,
            response,
        })
    }
}

fn paid_status(response: &FindWechatResponse) -> Result<WechatStatus, Error> {
    let status_cd = present("statusCd", response.status_cd.clone())?;
    let info = present("amountInfo", response.amount_info.as_ref())?;
    let currency = answer_field(Currency::parse("amountInfo.currency", &info.currency))?;
    let approval = Approval {
        amount: Money {
            currency,
            amount: info.tot_amount,
        },
        approval_date: present("approvalDate", response.approval_date.clone())?,
    };
    Ok(match status_cd.as_str() {
        "TS01" => WechatStatus::Approved(approval),
        "TS06" => WechatStatus::PartiallyCancelled(approval),
        "TS02" => WechatStatus::Cancelled(approval),
        "TS12" => WechatStatus::Voided(approval),
        _ => WechatStatus::Other { status_cd },
    })
}

/// `resDetailMsg` is URL-encoded (kicc-api §2.3).
fn url_decoded(raw: &str) -> String {
    url::form_urlencoded::parse(raw.as_bytes())
        .map(|(text, _)| text.into_owned())
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_messages_are_url_decoded() {
        assert_eq!(
            url_decoded("insufficient+balance%3A+NOTENOUGH"),
            "insufficient balance: NOTENOUGH"
        );
    }

    #[test]
    fn a_paid_answer_becomes_its_status() {
        let envelope = |status: &str| Envelope {
            res_cd: "0000".into(),
            res_msg: "Success".into(),
            body: json!({
                "resCd": "0000", "resMsg": "Success", "shopTransactionId": "k",
                "pgCno": "p", "statusCd": status, "approvalDate": "20260312101500",
                "amountInfo": {"currency": "USD", "totAmount": 1203}
            }),
        };
        let paid = WechatPayment::read(envelope("TS06"), "k", "p").unwrap();
        let approval = Approval {
            amount: Money::usd_cents(1203),
            approval_date: "20260312101500".into(),
        };
        assert_eq!(paid.status, WechatStatus::PartiallyCancelled(approval));
        assert!(matches!(
            WechatPayment::read(envelope("TS01"), "other-key", "p"),
            Err(Error::Integrity { .. })
        ));
        assert_eq!(
            WechatPayment::read(envelope("TS99"), "k", "p")
                .unwrap()
                .status,
            WechatStatus::Other {
                status_cd: "TS99".into()
            }
        );
    }
}
