//! Open Registration Window, `POST /api/ep9/trades/webpay` (seed 003): registers a customer's card
//! registration and answers the window URL (`authPageUrl`). No `shopTransactionId` here (KICC
//! documents no idempotency for this call); `shopOrderNo` is unique among registrations instead.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::reader::ObjectReader;
use crate::rules::{FieldError, Rule};
use crate::values::{HttpUrl, MallId, ShopOrderNo, Text};
use crate::wechat::CustomerInfo;

fn not_one_of(path: &str, allowed: &'static [&'static str], got: &str) -> FieldError {
    FieldError::new(
        path,
        Rule::NotOneOf {
            allowed,
            got: got.chars().take(40).collect(),
        },
    )
}

/// Generates a closed list of string codes: the enum, its wire value and its parser.
macro_rules! code_list {
    ($(#[$doc:meta])* $name:ident {
        $($(#[$variant_doc:meta])* $variant:ident => $wire:literal),+ $(,)?
    }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
        pub enum $name {
            $(
                #[doc = concat!("`\"", $wire, "\"` on the wire.")]
                $(#[$variant_doc])*
                #[serde(rename = $wire)]
                $variant
            ),+
        }

        impl $name {
            /// The wire values, as a `V009` message lists them.
            pub const ALLOWED: &'static [&'static str] = &[$($wire),+];

            /// The value on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }

            /// Exactly one of the wire values, case-sensitive (`V009` otherwise).
            pub fn parse(path: &str, raw: &str) -> Result<Self, FieldError> {
                match raw {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(not_one_of(path, Self::ALLOWED, raw)),
                }
            }
        }
    };
}

code_list!(
    /// `deviceTypeCode`: the window's layout.
    DeviceType {
        /// A desktop browser: a 720-pixel window.
        Pc => "pc",
        /// A phone: full width, large inputs.
        Mobile => "mobile",
    }
);
code_list!(
    /// `langFlag`: the window's language (Korean when absent).
    LangFlag {
        /// Korean, the default.
        Kor => "KOR",
        /// English.
        Eng => "ENG",
        /// Japanese.
        Jpn => "JPN",
        /// Chinese.
        Chn => "CHN",
    }
);
code_list!(
    /// `payMethodInfo.billKeyMethodInfo.certType`: what the window asks for (seed 003). `Full`
    /// (`"0"`): card number, expiry, date of birth and the card PIN's first 2 digits;
    /// `WithBirthDate` (`"1"`): number, expiry and date of birth; `NumberAndExpiry` (`"2"`):
    /// number and expiry only.
    CertType {
        /// Card number, expiry, birth date and the first 2 digits of the card password.
        Full => "0",
        /// Card number, expiry and birth date.
        WithBirthDate => "1",
        /// Card number and expiry only.
        NumberAndExpiry => "2",
    }
);
code_list!(
    /// `orderInfo.goodsTypeCode`: physical goods or digital content.
    GoodsType {
        /// Physical goods.
        Physical => "0",
        /// Digital goods or content.
        Digital => "1",
    }
);
code_list!(
    /// `payMethodTypeCode` of the registration window: recurring payment only.
    RegistrationMethod {
        /// Recurring payment: the window registers a card for a billing key.
        Recurring => "81",
    }
);
code_list!(
    /// `currency` of card and billing APIs: KRW only (decision 8).
    CardCurrency {
        /// Korean won.
        Krw => "00",
    }
);
code_list!(
    /// `clientTypeCode`: the integrated window only.
    ClientType {
        /// KICC's integrated window.
        Integrated => "00",
    }
);

impl CertType {
    /// `0` and `1` ask for the holder's birth date.
    pub fn asks_birth_date(self) -> bool {
        match self {
            CertType::Full | CertType::WithBirthDate => true,
            CertType::NumberAndExpiry => false,
        }
    }

    /// Only `0` asks for the first two digits of the card password.
    pub fn asks_password(self) -> bool {
        match self {
            CertType::Full => true,
            CertType::WithBirthDate | CertType::NumberAndExpiry => false,
        }
    }
}

/// `shopValueInfo.value1..7`, echoed to `returnUrl` as `shopValue1..7`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopValues(pub [Option<Text>; 7]);

impl ShopValues {
    /// Byte limits of `value1..value7` (seed 003).
    pub const LIMITS: [usize; 7] = [64, 64, 32, 32, 64, 64, 64];

    fn read(object: &ObjectReader<'_>) -> Result<Self, FieldError> {
        let mut values: [Option<Text>; 7] = Default::default();
        for (index, (slot, max)) in values.iter_mut().zip(Self::LIMITS).enumerate() {
            *slot = object
                .optional_str(&format!("value{}", index + 1))?
                .map(|(path, raw)| Text::parse(&path, raw, max))
                .transpose()?;
        }
        Ok(ShopValues(values))
    }

    /// `shopValue{n}` for n in 1..=7, `""` where the merchant sent nothing.
    pub fn get(&self, n: usize) -> &str {
        self.0
            .get(n.wrapping_sub(1))
            .and_then(Option::as_ref)
            .map_or("", Text::as_str)
    }
}

/// A parsed registration request. Serialised, it is what the gateway keeps of the registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebpayRequest {
    /// `mallId`: the merchant ID KICC assigned; at most 8 bytes, required (`M001`, `M002`).
    pub mall_id: MallId,
    /// `shopOrderNo`: the registration's order number, unique among the merchant's registrations
    /// (`D001`); letters, digits, `_` and `-` (`V014`), at most 40 bytes, required. Billing-key
    /// issuance sends it again.
    pub shop_order_no: ShopOrderNo,
    /// `returnUrl`: where the window posts its result (`resCd`, `resMsg`, `shopOrderNo`,
    /// `authorizationId`, `shopValue1..7`, form-encoded); absolute http(s) URL (`V011`), at most
    /// 256 bytes, required.
    pub return_url: HttpUrl,
    /// `deviceTypeCode`: the window's layout, `pc` or `mobile`, required (`V009`).
    pub device_type: DeviceType,
    /// `langFlag`: the window's language, `KOR` (also when absent), `ENG`, `JPN` or `CHN` (`V009`).
    pub lang: LangFlag,
    /// `mallName`: shown in the window instead of the merchant's registered name; free text, at
    /// most 40 bytes, optional (from an older KICC page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mall_name: Option<Text>,
    /// `orderInfo.goodsName`: the product name shown in the window; free text, at most 50 bytes
    /// (Hangul allowed, 2 bytes each), required.
    pub goods_name: Text,
    /// `orderInfo.goodsTypeCode`: `0` physical goods or `1` digital content, optional (`V009`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goods_type: Option<GoodsType>,
    /// `orderInfo.customerInfo`: the customer, optional (`None` when every field is absent or
    /// empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_info: Option<CustomerInfo>,
    /// `payMethodInfo.billKeyMethodInfo.certType`: what the window asks for (`V009`); required
    /// once `payMethodInfo` is sent, [`CertType::Full`] (`0`) without it.
    pub cert_type: CertType,
    /// `shopValueInfo.value1..7`: the merchant's own values, echoed to `returnUrl` as
    /// `shopValue1..7`; all empty without `shopValueInfo`.
    #[serde(default)]
    pub shop_values: ShopValues,
}

impl WebpayRequest {
    /// Checks every field in the order of seed 003's tables; the first broken rule is reported.
    /// `amount` must be 0 (`V010`), `payMethodTypeCode` `81`, `currency` `00` and
    /// `clientTypeCode` `00` (`V009`): they are checked, not kept.
    pub fn parse(body: &Map<String, Value>) -> Result<Self, FieldError> {
        let root = ObjectReader::root(body);
        let mall_id = root.required("mallId", MallId::parse)?;
        let shop_order_no = root.required("shopOrderNo", ShopOrderNo::parse)?;
        let (path, amount) = root.required_integer("amount")?;
        if amount != 0 {
            return Err(FieldError::new(path, Rule::OutOfRange { min: 0, max: 0 }));
        }
        let (path, raw) = root.required_str("payMethodTypeCode")?;
        RegistrationMethod::parse(&path, raw)?;
        let (path, raw) = root.required_str("currency")?;
        CardCurrency::parse(&path, raw)?;
        let return_url = root.required("returnUrl", |p, r| HttpUrl::parse(p, r, 256))?;
        let device_type = root.required("deviceTypeCode", DeviceType::parse)?;
        let (path, raw) = root.required_str("clientTypeCode")?;
        ClientType::parse(&path, raw)?;
        let lang = root
            .optional("langFlag", LangFlag::parse)?
            .unwrap_or(LangFlag::Kor);
        let mall_name = root.optional("mallName", |p, r| Text::parse(p, r, 40))?;
        let order = root.required_object("orderInfo")?;
        let goods_name = order.required("goodsName", |p, r| Text::parse(p, r, 50))?;
        let goods_type = order.optional("goodsTypeCode", GoodsType::parse)?;
        let customer_info = order
            .optional_object("customerInfo")?
            .map(|customer| CustomerInfo::read(&customer))
            .transpose()?
            .filter(|info| *info != CustomerInfo::default());
        // Without payMethodInfo the window asks for everything (certType 0), KICC's strongest check.
        let cert_type = match root.optional_object("payMethodInfo")? {
            None => CertType::Full,
            Some(method) => {
                let (path, raw) = method
                    .required_object("billKeyMethodInfo")?
                    .required_str("certType")?;
                CertType::parse(&path, raw)?
            }
        };
        let shop_values = root
            .optional_object("shopValueInfo")?
            .map(|values| ShopValues::read(&values))
            .transpose()?
            .unwrap_or_default();
        Ok(WebpayRequest {
            mall_id,
            shop_order_no,
            return_url,
            device_type,
            lang,
            mall_name,
            goods_name,
            goods_type,
            customer_info,
            cert_type,
            shop_values,
        })
    }
}

// Read leniently: only `resCd` is required.
/// Answer of the registration call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct WebpayResponse {
    /// `resCd`: `0000` when the window is open; otherwise why not (e.g. `D001`: the `shopOrderNo`
    /// belongs to another registration).
    pub res_cd: String,
    /// `resMsg`: what `resCd` means, in words.
    #[serde(default)]
    pub res_msg: String,
    /// `authPageUrl`: the window's URL, on success always: open it in the customer's browser. The
    /// same request sent again answers the same URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_page_url: Option<String>,
}

/// The wire shape of `POST /api/ep9/trades/webpay`, for the OpenAPI document: [`WebpayRequest`]
/// is the parsed, flattened form. A test in the gateway parses this shape's example.
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema)]
#[schemars(rename = "WebpayRequest")]
#[serde(rename_all = "camelCase")]
pub struct WebpayWire {
    /// `mallId`: the merchant ID KICC assigned; at most 8 bytes, required; must name an active
    /// merchant (`M001`, `M002`).
    pub mall_id: MallId,
    /// Unique among the merchant's registrations (D001).
    pub shop_order_no: ShopOrderNo,
    /// Always 0 for a card registration (V010).
    #[schemars(schema_with = "zero_amount")]
    pub amount: u64,
    /// `81`: billing-key registration.
    pub pay_method_type_code: RegistrationMethod,
    /// `00`: KRW.
    pub currency: CardCurrency,
    /// Where the window posts its result (resCd, resMsg, shopOrderNo, authorizationId, shopValue1..7).
    #[schemars(length(max = 256))]
    pub return_url: HttpUrl,
    /// The window's layout.
    pub device_type_code: DeviceType,
    /// `00`.
    pub client_type_code: ClientType,
    /// The window's language; absent: KOR.
    pub lang_flag: Option<LangFlag>,
    /// Shown in the window; absent: the merchant's registered name.
    #[schemars(length(max = 40))]
    pub mall_name: Option<Text>,
    /// `orderInfo`: the product and the customer, required.
    pub order_info: WebpayOrderInfoWire,
    /// Absent: certType 0, the strongest check.
    pub pay_method_info: Option<WebpayPayMethodInfoWire>,
    /// `shopValueInfo`: the merchant's own values, echoed to returnUrl as shopValue1..7; optional.
    /// No personal data.
    pub shop_value_info: Option<ShopValueInfoWire>,
}

#[cfg(feature = "schema")]
fn zero_amount(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "anyOf": [{"type": "integer", "const": 0}, {"type": "string", "const": "0"}],
        "description": "Exactly 0 (a JSON number or the string \"0\"); anything else is V010."
    })
}

/// `orderInfo` of `webpay`.
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema)]
#[schemars(rename = "WebpayOrderInfo")]
#[serde(rename_all = "camelCase")]
pub struct WebpayOrderInfoWire {
    /// Shown in the window (Hangul allowed, 2 bytes each).
    #[schemars(length(max = 50))]
    pub goods_name: Text,
    /// `0` physical goods, `1` digital content; optional.
    pub goods_type_code: Option<GoodsType>,
    /// The customer; optional.
    pub customer_info: Option<CustomerInfo>,
}

/// `payMethodInfo` of `webpay`.
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema)]
#[schemars(rename = "WebpayPayMethodInfo")]
#[serde(rename_all = "camelCase")]
pub struct WebpayPayMethodInfoWire {
    /// Required once `payMethodInfo` is sent.
    pub bill_key_method_info: BillKeyCertWire,
}

/// `payMethodInfo.billKeyMethodInfo` of `webpay`.
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema)]
#[schemars(rename = "WebpayBillKeyMethodInfo")]
#[serde(rename_all = "camelCase")]
pub struct BillKeyCertWire {
    /// What the window asks: 0 number, expiry, birth date, password; 1 without the password; 2
    /// number and expiry only.
    pub cert_type: CertType,
}

/// `shopValueInfo`: returned unchanged to returnUrl as shopValue1..7.
#[cfg(feature = "schema")]
#[derive(schemars::JsonSchema)]
#[schemars(rename = "ShopValueInfo")]
pub struct ShopValueInfoWire {
    /// Free text, echoed as shopValue1.
    #[schemars(length(max = 64))]
    pub value1: Option<Text>,
    /// Free text, echoed as shopValue2.
    #[schemars(length(max = 64))]
    pub value2: Option<Text>,
    /// Free text, echoed as shopValue3.
    #[schemars(length(max = 32))]
    pub value3: Option<Text>,
    /// Free text, echoed as shopValue4.
    #[schemars(length(max = 32))]
    pub value4: Option<Text>,
    /// Free text, echoed as shopValue5.
    #[schemars(length(max = 64))]
    pub value5: Option<Text>,
    /// Free text, echoed as shopValue6.
    #[schemars(length(max = 64))]
    pub value6: Option<Text>,
    /// Free text, echoed as shopValue7.
    #[schemars(length(max = 64))]
    pub value7: Option<Text>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seed_example() -> Value {
        json!({
            "mallId": "T5102001",
            "shopOrderNo": "REG-0001",
            "amount": 0,
            "payMethodTypeCode": "81",
            "currency": "00",
            "clientTypeCode": "00",
            "returnUrl": "https://shop.example/return",
            "deviceTypeCode": "mobile",
            "orderInfo": {"goodsName": "Sample Product Name"}
        })
    }

    fn parse(value: Value) -> Result<WebpayRequest, FieldError> {
        WebpayRequest::parse(value.as_object().unwrap())
    }

    #[test]
    fn parses_the_seed_example_with_its_defaults() {
        let request = parse(seed_example()).unwrap();
        assert_eq!(request.device_type, DeviceType::Mobile);
        assert_eq!(request.lang, LangFlag::Kor);
        assert_eq!(request.cert_type, CertType::Full);
        assert_eq!(request.shop_values, ShopValues::default());
        assert_eq!(request.goods_name.as_str(), "Sample Product Name");
    }

    #[test]
    fn each_fixed_value_is_checked() {
        let cases: Vec<(&str, Value, &str)> = vec![
            ("/amount", json!(1000), "amount: must be 0"),
            (
                "/payMethodTypeCode",
                json!("11"),
                r#"payMethodTypeCode: must be one of "81" (got "11")"#,
            ),
            (
                "/currency",
                json!("KRW"),
                r#"currency: must be one of "00" (got "KRW")"#,
            ),
            (
                "/clientTypeCode",
                json!("10"),
                r#"clientTypeCode: must be one of "00" (got "10")"#,
            ),
            (
                "/deviceTypeCode",
                json!("tablet"),
                r#"deviceTypeCode: must be one of "pc", "mobile" (got "tablet")"#,
            ),
        ];
        for (pointer, value, message) in cases {
            let mut body = seed_example();
            *body.pointer_mut(pointer).unwrap() = value;
            assert_eq!(parse(body).unwrap_err().to_string(), message, "{pointer}");
        }
    }

    #[test]
    fn optional_objects_are_checked_when_sent() {
        let mut body = seed_example();
        body["langFlag"] = json!("FRA");
        assert_eq!(
            parse(body).unwrap_err().to_string(),
            r#"langFlag: must be one of "KOR", "ENG", "JPN", "CHN" (got "FRA")"#
        );
        let mut body = seed_example();
        body["payMethodInfo"] = json!({});
        assert_eq!(
            parse(body).unwrap_err().to_string(),
            "payMethodInfo.billKeyMethodInfo: is required"
        );
        let mut body = seed_example();
        body["payMethodInfo"] = json!({"billKeyMethodInfo": {"certType": "3"}});
        assert_eq!(
            parse(body).unwrap_err().to_string(),
            r#"payMethodInfo.billKeyMethodInfo.certType: must be one of "0", "1", "2" (got "3")"#
        );
        let mut body = seed_example();
        body["orderInfo"]["goodsTypeCode"] = json!("2");
        assert!(parse(body).is_err());
    }

    #[test]
    fn shop_values_have_their_own_limits_and_are_echoed_by_number() {
        let mut body = seed_example();
        body["shopValueInfo"] = json!({"value3": "a".repeat(32), "value7": "홍".repeat(32)});
        let request = parse(body.clone()).unwrap();
        assert_eq!(request.shop_values.get(3), "a".repeat(32));
        assert_eq!(request.shop_values.get(7), "홍".repeat(32));
        assert_eq!(request.shop_values.get(1), "");
        body["shopValueInfo"]["value4"] = json!("a".repeat(33));
        assert_eq!(
            parse(body).unwrap_err().to_string(),
            "shopValueInfo.value4: at most 32 bytes (got 33)"
        );
    }

    #[test]
    fn the_goods_name_allows_hangul_up_to_fifty_bytes() {
        let mut body = seed_example();
        body["orderInfo"]["goodsName"] = json!("정기결제".repeat(6) + "ab");
        assert!(parse(body.clone()).is_ok());
        body["orderInfo"]["goodsName"] = json!("정기결제".repeat(6) + "abc");
        assert_eq!(
            parse(body).unwrap_err().to_string(),
            "orderInfo.goodsName: at most 50 bytes (got 51)"
        );
    }
}
