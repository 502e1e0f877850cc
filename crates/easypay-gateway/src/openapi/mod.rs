//! The OpenAPI 3.1 document at `GET /openapi.json`, generated from the wire types (the request and
//! answer types of `easypay-api`, the gateway's own answers in [`wire`]) with `schemars`, and the
//! API reference page rendered from it ([`reference`]).
//!
//! Adding an endpoint: one [`Op`] line in [`operations`]; a test checks that every route of the
//! router is documented.

pub mod reference;
pub mod wire;

use std::sync::OnceLock;

use easypay_api::ResCode;
use easypay_api::{
    billing, billing_key, card_batch, card_revise, notification, retrieve, wechat, wechat_revise,
};
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{json, Map, Value};

/// How an operation's successful answer is described.
enum Answer {
    /// HTTP 200 with this schema, or with any other resCd in the error envelope.
    Api(Value),
    /// Not an EasyPay answer (health, metrics).
    Plain(Value, &'static str),
}

/// One operation of the document.
struct Op {
    method: &'static str,
    path: &'static str,
    tag: &'static str,
    id: &'static str,
    summary: &'static str,
    description: &'static str,
    request: Option<(Value, bool)>,
    answer: Answer,
    /// Needs HTTP Basic `mallId:secretKey`.
    basic_auth: bool,
    params: Vec<Value>,
}

impl Op {
    fn new(method: &'static str, path: &'static str, tag: &'static str, id: &'static str) -> Op {
        Op {
            method,
            path,
            tag,
            id,
            summary: "",
            description: "",
            request: None,
            answer: Answer::Plain(json!({}), "application/json"),
            basic_auth: false,
            params: Vec::new(),
        }
    }

    fn text(mut self, summary: &'static str, description: &'static str) -> Op {
        self.summary = summary;
        self.description = description;
        self
    }

    fn body<T: JsonSchema>(mut self, generator: &mut SchemaGenerator, required: bool) -> Op {
        self.request = Some((generator.subschema_for::<T>().to_value(), required));
        self
    }

    fn answers<T: JsonSchema>(mut self, generator: &mut SchemaGenerator) -> Op {
        self.answer = Answer::Api(generator.subschema_for::<T>().to_value());
        self
    }

    fn answers_any(mut self, schemas: Vec<Value>) -> Op {
        self.answer = Answer::Api(json!({"anyOf": schemas}));
        self
    }

    fn plain(mut self, schema: Value, media: &'static str) -> Op {
        self.answer = Answer::Plain(schema, media);
        self
    }

    fn path_param(mut self, name: &str, schema: Value, description: &str) -> Op {
        self.params.push(json!({
            "name": name, "in": "path", "required": true, "schema": schema, "description": description
        }));
        self
    }

    fn query_param(mut self, name: &str, schema: Value, description: &str) -> Op {
        self.params.push(json!({
            "name": name, "in": "query", "required": false, "schema": schema, "description": description
        }));
        self
    }

    fn basic_auth(mut self) -> Op {
        self.basic_auth = true;
        self
    }
}

fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Value {
    generator.subschema_for::<T>().to_value()
}

/// Every documented operation. `sandbox`: include the `/_sandbox/` control plane.
fn operations(g: &mut SchemaGenerator, sandbox: bool) -> Vec<Op> {
    let pg_cno = json!({"type": "string", "maxLength": 60});
    let mut ops = vec![
        Op::new("post", "/api/trades/wechatpay", "WeChat Pay", "createWechat")
            .text(
                "Create Transaction (seed 000)",
                "Creates a WeChat Pay order. `tradeType` `native` answers a code URL \
                 (`weixin://wxpay/bizpayurl?pr=…`) to show as a QR code; `mweb` answers the \
                 gateway's mobile-web cashier URL. Idempotent by `shopTransactionId`.",
            )
            .body::<wechat::CreateWechatRequest>(g, true)
            .answers::<wechat::CreateWechatResponse>(g),
        Op::new("post", "/api/trades/wechatpay/find", "WeChat Pay", "findWechat")
            .text(
                "Check Payment Status (seed 004)",
                "The payment's status (`statusCd` TS01 approved, TS02 cancelled, TS06 partly \
                 cancelled, TS12 voided; W001–W004 while not approved), or with `cancelPgCno` the \
                 status of one of its cancels. Idempotent: use a new `shopTransactionId` per poll.",
            )
            .body::<wechat::FindWechatRequest>(g, true)
            .answers_any(vec![
                schema::<wechat::FindWechatResponse>(g),
                schema::<wechat_revise::FindWechatCancelResponse>(g),
            ]),
        Op::new("post", "/api/trades/wechatpay/revise", "WeChat Pay", "reviseWechat")
            .text(
                "Cancel a WeChat payment in full (40) or in part (32)",
                "`msgAuthValue` is the hex HMAC-SHA256 of `pgCno|shopTransactionId` keyed with the \
                 merchant's secret key (C009). The result also follows as the cancel notification.",
            )
            .body::<wechat_revise::ReviseWechatRequest>(g, true)
            .answers::<wechat_revise::ReviseWechatResponse>(g),
        Op::new("post", "/api/ep9/trades/webpay", "Cards", "webpay")
            .text(
                "Open Registration Window (seed 003)",
                "Answers `authPageUrl`, the card registration window. The window posts \
                 `resCd`, `resMsg`, `shopOrderNo`, `authorizationId`, `shopValue1..7` to `returnUrl`.",
            )
            .body::<billing::WebpayWire>(g, true)
            .answers::<billing::WebpayResponse>(g),
        Op::new("post", "/api/ep9/trades/approval", "Cards", "issueBillingKey")
            .text(
                "Issue a billing key",
                "Turns the window's `authorizationId` into a billing key \
                 (`paymentInfo.cardInfo.cardNo`). `msgAuthValue` is HMAC-SHA256 of \
                 `pgCno|0|transactionDate`.",
            )
            .body::<billing_key::IssueKeyRequest>(g, true)
            .answers::<billing_key::IssueKeyResponse>(g),
        Op::new("post", "/api/trades/approval/batch", "Cards", "chargeBillingKey")
            .text(
                "Charge a billing key",
                "The sandbox issuer approves (`statusCode` TS03) or declines with KICC's codes \
                 (8521, 8035, 8314, 8311, 8350, 8373) by magic card and amount. An approval \
                 queues the card notification (notiType 10).",
            )
            .body::<card_batch::BatchApprovalWire>(g, true)
            .answers::<card_batch::BatchApprovalResponse>(g),
        Op::new("post", "/api/trades/removeBatchKey", "Cards", "removeBillingKey")
            .text("Remove a billing key", "A removed key answers B006 when charged or removed again.")
            .body::<billing_key::RemoveKeyRequest>(g, true)
            .answers::<billing_key::RemoveKeyResponse>(g),
        Op::new("post", "/api/trades/retrieveTransaction", "Cards", "retrieveTransaction")
            .text(
                "Retrieve a lost answer",
                "The original answer of a billing-key issuance, a charge or a card cancel from today \
                 or yesterday (Seoul), without `msgAuthValue`; F003 when there is none, D003 while that \
                 request is still being processed.",
            )
            .body::<retrieve::RetrieveRequest>(g, true)
            .answers_any(vec![
                schema::<billing_key::IssueKeyResponse>(g),
                schema::<card_batch::BatchApprovalResponse>(g),
                schema::<card_revise::ReviseCardResponse>(g),
                schema::<retrieve::RetrieveNotFoundResponse>(g),
            ]),
        Op::new("post", "/api/trades/revise", "Cards", "reviseCard")
            .text(
                "Cancel a card charge in full (40) or in part (32)",
                "`msgAuthValue` is the hex HMAC-SHA256 of `pgCno|shopTransactionId` keyed with the \
                 merchant's secret key (C009). `amount` is required for a partial cancel; on a \
                 full cancel, when sent, it must be what remains (C008). `remainAmount`, when \
                 sent, must be what remains after the cancel (C008). The result also \
                 follows as the card cancel notification (notiType 20).",
            )
            .body::<card_revise::ReviseCardRequest>(g, true)
            .answers::<card_revise::ReviseCardResponse>(g),
        Op::new("get", "/api/notifications", "Notifications", "listNotifications")
            .text(
                "List the merchant's notifications",
                "Newest first, with their delivery status. HTTP Basic `mallId:secretKey`.",
            )
            .query_param(
                "status",
                json!({"type": "string", "enum": ["pending", "delivered", "failed", "withdrawn"]}),
                "Only notifications with this status (V009 otherwise).",
            )
            .query_param(
                "limit",
                json!({"type": "integer", "minimum": 1, "maximum": 500, "default": 50}),
                "At most this many (clamped to 1…500).",
            )
            .basic_auth()
            .answers::<wire::NotificationListAnswer>(g),
        Op::new("get", "/api/notifications/{id}", "Notifications", "showNotification")
            .text("One notification with every attempt", "F002 if the merchant has no such notification.")
            .path_param("id", json!({"type": "string"}), "The notification's id (`msg_…`).")
            .basic_auth()
            .answers::<wire::NotificationAnswer>(g),
        Op::new("post", "/api/notifications/{id}/resend", "Notifications", "resendNotification")
            .text("Send a notification again", "Starts a new cycle of tries now (KICC's manual resend).")
            .path_param("id", json!({"type": "string"}), "The notification's id (`msg_…`).")
            .basic_auth()
            .answers::<wire::ResendAnswer>(g),
        Op::new("get", "/healthz", "Operations", "healthz")
            .text("Liveness", "200 while the process serves HTTP.")
            .plain(schema::<wire::Health>(g), "application/json"),
        Op::new("get", "/readyz", "Operations", "readyz")
            .text(
                "Readiness",
                "200 when the database answers; 503 when it does not or the gateway is stopping.",
            )
            .plain(schema::<wire::Health>(g), "application/json"),
        Op::new("get", "/metrics", "Operations", "metrics")
            .text("Prometheus metrics", "The text exposition format; see docs/operations.md.")
            .plain(json!({"type": "string"}), "text/plain"),
        Op::new("get", "/openapi.json", "Operations", "openapi")
            .text("This document", "OpenAPI 3.1, generated from the gateway's wire types.")
            .plain(json!({"type": "object"}), "application/json"),
    ];
    if sandbox {
        ops.extend([
            Op::new("post", "/_sandbox/wechat/{pgCno}/{action}", "Sandbox", "sandboxWalletAction")
                .text(
                    "Play the WeChat wallet",
                    "approve (optional body `{\"amount\": N}` to approve another amount), decline, \
                     expire, or void an approved payment (TS12). S001 when the action does not \
                     apply to the order's state; F001 for an unknown pgCno; E404 for another action.",
                )
                .path_param("pgCno", pg_cno, "The order's pgCno.")
                .path_param(
                    "action",
                    json!({"type": "string", "enum": ["approve", "decline", "expire", "void"]}),
                    "What the wallet does.",
                )
                .body::<wire::SandboxApproveRequest>(g, false)
                .answers::<wire::SandboxActionAnswer>(g),
            Op::new("put", "/_sandbox/merchants/{mallId}", "Sandbox", "sandboxUpsertMerchant")
                .text(
                    "Create or update a merchant",
                    "Sets the secret key, notiUrl and webhook secret; a field left out keeps its value.",
                )
                .path_param("mallId", json!({"type": "string", "maxLength": 8}), "The merchant ID.")
                .body::<wire::SandboxMerchantRequest>(g, true)
                .answers::<wire::SandboxMerchantAnswer>(g),
            Op::new("post", "/_sandbox/notifications/flush", "Sandbox", "sandboxFlushNotifications")
                .text(
                    "Attempt every undelivered notification now",
                    "Whatever their schedule; answers when done.",
                )
                .answers::<wire::FlushAnswer>(g),
        ]);
    }
    ops
}

/// `resCd`: every code the gateway answers, with its meaning.
fn res_cd_schema() -> Value {
    let codes: Vec<Value> = ResCode::ALL
        .iter()
        .map(|code| {
            json!({
                "const": code.as_str(),
                "title": code.as_str(),
                "description": format!("HTTP {}. {}", code.http_status(), code.meaning()),
            })
        })
        .collect();
    json!({
        "type": "string",
        "description": "The response code: `0000` is success; every other code is an answer too.",
        "oneOf": codes,
    })
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "headers": {"x-request-id": {"$ref": "#/components/headers/RequestId"}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorAnswer"}}}
    })
}

fn operation_object(op: &Op) -> Value {
    let mut responses = Map::new();
    match &op.answer {
        Answer::Api(schema) => {
            responses.insert(
                "200".into(),
                json!({
                    "description": "Understood: the operation's answer, or any other resCd (validation, refusal, decline) in the error envelope.",
                    "headers": {"x-request-id": {"$ref": "#/components/headers/RequestId"}},
                    "content": {"application/json": {"schema": {
                        "anyOf": [schema, {"$ref": "#/components/schemas/ErrorAnswer"}]
                    }}}
                }),
            );
            responses.insert(
                "400".into(),
                error_response("V001: the body is not a JSON object."),
            );
            if op.basic_auth {
                responses.insert(
                    "401".into(),
                    error_response(
                        "A001: HTTP Basic mallId:secretKey of an active merchant is needed.",
                    ),
                );
            }
            responses.insert(
                "404".into(),
                error_response("E404: no endpoint at this path."),
            );
            responses.insert(
                "405".into(),
                error_response("E405: the endpoint does not take this method."),
            );
            responses.insert(
                "413".into(),
                error_response("V013: the body is larger than 64 KiB."),
            );
            responses.insert(
                "500".into(),
                error_response(
                    "E500: internal fault; nothing was committed, retry with the same key.",
                ),
            );
        }
        Answer::Plain(schema, media) => {
            responses.insert(
                "200".into(),
                json!({"description": "OK", "content": {*media: {"schema": schema}}}),
            );
            if op.path == "/readyz" {
                responses.insert(
                    "503".into(),
                    json!({"description": "Not ready: the database did not answer, or the gateway is stopping.",
                           "content": {"application/json": {"schema": schema}}}),
                );
            }
            responses.insert(
                "405".into(),
                error_response("E405: the endpoint does not take this method."),
            );
        }
    }
    let mut operation = json!({
        "operationId": op.id,
        "tags": [op.tag],
        "summary": op.summary,
        "description": op.description,
        "responses": responses,
    });
    if !op.params.is_empty() {
        operation["parameters"] = Value::from(op.params.clone());
    }
    if let Some((schema, required)) = &op.request {
        operation["requestBody"] = json!({
            "required": required,
            "content": {"application/json": {"schema": schema}}
        });
    }
    if op.basic_auth {
        operation["security"] = json!([{"merchantBasic": []}]);
    }
    operation
}

fn webhook(ack: &Value, summary: &str, body: Value) -> Value {
    json!({"post": {
        "summary": summary,
        "description": "Signed with Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature). \
                        Delivered when the merchant answers HTTP 2xx with {\"resCd\": \"0000\"}; anything else is retried.",
        "parameters": [
            {"name": "webhook-id", "in": "header", "required": true,
             "description": "The notification's id (msg_…), the same on every attempt: drop duplicates by it.",
             "schema": {"type": "string", "pattern": "^msg_"}},
            {"name": "webhook-timestamp", "in": "header", "required": true,
             "description": "Unix seconds of this attempt.",
             "schema": {"type": "string", "pattern": "^[0-9]+$"}},
            {"name": "webhook-signature", "in": "header", "required": true,
             "description": "v1, + base64 of HMAC-SHA256 over {webhook-id}.{webhook-timestamp}.{body}, keyed with the merchant's webhook secret.",
             "schema": {"type": "string", "pattern": "^v1,"}}
        ],
        "requestBody": {"required": true, "content": {"application/json": {"schema": body}}},
        "responses": {"200": {"description": "Acknowledged when resCd is 0000.",
            "content": {"application/json": {"schema": ack}}}}
    }})
}

/// The fields every `"0000"` answer of an operation carries, beyond those every answer of its shape
/// carries. A refusal in the same shape (`W001`, `D001`, a decline…) has only what it says.
/// `msgAuthValue` is not among them: `retrieveTransaction` answers the same shapes without it.
const SUCCESS_FIELDS: &[(&str, &[&str])] = &[
    (
        "CreateWechatResponse",
        &["shopTransactionId", "mallId", "pgCno", "paymentPageUrl"],
    ),
    (
        "FindWechatResponse",
        &[
            "mallId",
            "shopOrderNo",
            "pgCno",
            "approvalDate",
            "statusCd",
            "amountInfo",
        ],
    ),
    (
        "FindWechatCancelResponse",
        &["transactionDate", "cancelStatus", "amountInfo"],
    ),
    (
        "ReviseWechatResponse",
        &["cancelPgCno", "reviseTypeCode", "amountInfo"],
    ),
    ("WebpayResponse", &["authPageUrl"]),
    (
        "IssueKeyResponse",
        &[
            "pgCno",
            "amount",
            "transactionDate",
            "escrowUsed",
            "paymentInfo",
        ],
    ),
    (
        "BatchApprovalResponse",
        &[
            "pgCno",
            "amount",
            "transactionDate",
            "statusCode",
            "statusMessage",
            "escrowUsed",
            "paymentInfo",
        ],
    ),
    (
        "ReviseCardResponse",
        &[
            "shopOrderNo",
            "oriPgCno",
            "cancelPgCno",
            "transactionDate",
            "statusCode",
            "statusMessage",
            "escrowUsed",
            "cancelAmount",
            "remainAmount",
            "reviseInfo",
        ],
    ),
];

/// Each answer shape requires its success fields when `resCd` is `"0000"` (JSON Schema `if`/`then`),
/// and the error envelope never carries `"0000"`: a success missing `pgCno` or `amountInfo` does not
/// validate, though every field stays optional for the refusals that share the shape.
fn require_on_success(schemas: &mut Map<String, Value>) {
    for (name, fields) in SUCCESS_FIELDS {
        let schema = schemas
            .get_mut(*name)
            .unwrap_or_else(|| panic!("{name} is an answer schema"));
        schema["if"] = json!({"properties": {"resCd": {"const": "0000"}}, "required": ["resCd"]});
        schema["then"] = json!({"required": fields});
    }
    let error = schemas
        .get_mut("ErrorAnswer")
        .expect("the error envelope is a schema");
    error["properties"]["resCd"]["not"] = json!({"const": "0000"});
}

/// The document without `servers` (the same for every gateway of this build and mode).
fn build(sandbox: bool) -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|settings| {
            settings.definitions_path = "/components/schemas".into();
            settings.meta_schema = None;
        })
        .into_generator();
    let ops = operations(&mut generator, sandbox);
    generator.subschema_for::<wire::ErrorAnswer>();
    let ack = schema::<notification::NotificationAck>(&mut generator);
    let webhooks = json!({
        "wechat.approval": webhook(&ack, "WeChat approval (kicc-api §2.2), to the order's notifyUrl",
            schema::<notification::WechatApprovalNotification>(&mut generator)),
        "wechat.cancel": webhook(&ack, "WeChat cancel (kicc-api §2.5), to the cancel's notifyUrl or the order's",
            schema::<notification::WechatCancelNotification>(&mut generator)),
        "card.approval": webhook(&ack, "Card approval, notiType 10 (kicc-api §1.6), to the merchant's notiUrl",
            schema::<notification::CardApprovalNotification>(&mut generator)),
        "card.cancel": webhook(&ack, "Card cancel, notiType 20 (kicc-api §1.6), to the merchant's notiUrl",
            schema::<notification::CardCancelNotification>(&mut generator)),
    });
    let mut schemas = generator.take_definitions(true);
    for (name, schema) in schemas.iter_mut() {
        // The parsed request types document how they are used inside; the wire needs none of it.
        let internal = schema["description"]
            .as_str()
            .is_some_and(|text| text.starts_with("A parsed"));
        if internal {
            if let Some(map) = schema.as_object_mut() {
                map.remove("description");
            }
        }
        if name != "NotificationAck" {
            use_res_cd_schema(schema);
        }
        mark_byte_lengths(schema);
    }
    schemas.insert("ResCd".into(), res_cd_schema());
    require_on_success(&mut schemas);
    let mut paths = Map::new();
    for op in &ops {
        let item = paths.entry(op.path.to_owned()).or_insert_with(|| json!({}));
        item[op.method] = operation_object(op);
    }
    for item in paths.values_mut() {
        for operation in item
            .as_object_mut()
            .into_iter()
            .flat_map(|o| o.values_mut())
        {
            mark_byte_lengths(operation);
        }
    }
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "easypay — KICC EasyPay gateway",
            "version": env!("CARGO_PKG_VERSION"),
            "description": DESCRIPTION,
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}
        },
        "tags": [
            {"name": "WeChat Pay", "description": "QR code (native) and mobile-web (mweb) payments."},
            {"name": "Cards", "description": "Recurring card payments with billing keys."},
            {"name": "Notifications", "description": "The merchant's notifications and their attempts."},
            {"name": "Sandbox", "description": "The control plane of sandbox mode (absent with --no-sandbox)."},
            {"name": "Operations", "description": "Health, readiness, metrics, this document."}
        ],
        "paths": paths,
        "webhooks": webhooks,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"merchantBasic": {"type": "http", "scheme": "basic",
                "description": "mallId as the user name, the merchant's secret key as the password."}},
            "headers": {"RequestId": {"description": "The request's id: the caller's x-request-id when it was plain (letters, digits, - _ . :, at most 128), else a new one. It is in the gateway's log lines and in the notifications the request queued.",
                "schema": {"type": "string"}}}
        }
    })
}

const DESCRIPTION: &str =
    "A self-hostable implementation of KICC's EasyPay API. Every API call is \
POST with a UTF-8 JSON object and answers JSON with `resCd` and `resMsg`. A request that was \
understood gets HTTP 200 whatever its outcome (`0000` is success); a body that is not a JSON \
object gets 400 (V001), a body over 64 KiB 413 (V013), an unknown path 404 (E404), an internal \
fault 500 (E500). **Lengths (`maxLength`, also given as `x-maxBytes`) count EUC-KR bytes: a Hangul \
syllable counts 2.** Free text refuses ' \" < > \\ ; | and control characters. Unknown fields are \
ignored; null and (for optional fields) \"\" count as absent. Amounts are integers in the \
currency's minor unit, as JSON numbers or digit strings. Required fields are checked in KICC's \
order and the first broken rule is answered.";

/// `resCd` properties of answers refer to the list of codes.
fn use_res_cd_schema(schema: &mut Value) {
    if let Some(property) = schema.pointer_mut("/properties/resCd") {
        *property = json!({"$ref": "#/components/schemas/ResCd"});
    }
}

/// Every `maxLength` is in EUC-KR bytes: say so beside it, machine-readably.
fn mark_byte_lengths(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(max) = map.get("maxLength").cloned() {
                map.insert("x-maxBytes".into(), max);
            }
            for child in map.values_mut() {
                mark_byte_lengths(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mark_byte_lengths),
        _ => {}
    }
}

/// The document as served by a gateway at `public_url`.
pub fn document(public_url: &str, sandbox: bool) -> Value {
    static WITH_SANDBOX: OnceLock<Value> = OnceLock::new();
    static WITHOUT_SANDBOX: OnceLock<Value> = OnceLock::new();
    let cell = if sandbox {
        &WITH_SANDBOX
    } else {
        &WITHOUT_SANDBOX
    };
    let mut document = cell.get_or_init(|| build(sandbox)).clone();
    document["servers"] = json!([{"url": public_url, "description": "this gateway"}]);
    document
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_enums_and_codes_are_in_the_document() {
        let doc = document("http://127.0.0.1:8080", true);
        let schemas = &doc["components"]["schemas"];
        let create = &schemas["CreateWechatRequest"];
        assert_eq!(create["properties"]["goodsName"]["maxLength"], 100);
        assert_eq!(create["properties"]["goodsName"]["x-maxBytes"], 100);
        assert_eq!(create["properties"]["mallId"]["maxLength"], 8);
        let customer = &schemas["CustomerInfo"]["properties"];
        assert_eq!(customer["customerName"]["maxLength"], 20, "{customer}");
        assert_eq!(customer["customerAddr"]["maxLength"], 200);
        assert_eq!(schemas["TradeType"]["enum"], json!(["native", "mweb"]));
        let webpay = &schemas["WebpayRequest"]["properties"];
        assert_eq!(
            webpay["orderInfo"]["$ref"],
            "#/components/schemas/WebpayOrderInfo"
        );
        assert_eq!(
            schemas["ShopValueInfo"]["properties"]["value3"]["maxLength"],
            32
        );
        let codes = schemas["ResCd"]["oneOf"].as_array().unwrap();
        assert_eq!(codes.len(), ResCode::ALL.len());
        assert!(codes.iter().any(|c| c["const"] == "8521"));
        assert_eq!(
            schemas["CreateWechatResponse"]["properties"]["resCd"]["$ref"],
            "#/components/schemas/ResCd"
        );
        assert!(doc["paths"]["/_sandbox/notifications/flush"]["post"].is_object());
        assert!(document("http://x", false)["paths"]["/_sandbox/notifications/flush"].is_null());
    }
}
