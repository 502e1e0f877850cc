//! `POST /api/trades/wechatpay` (seed 000).

use serde_json::{json, Value};

use crate::helpers::{create_body, new_key, spawn_app, Backend, MALL_ID};
use crate::on_both_backends;

async fn native_order_answers_a_code_url_and_pg_cno(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = create_body("native");
    let answer = app.create(&body).await;
    assert_eq!(answer["resCd"], "0000");
    assert_eq!(answer["resMsg"], "Success");
    assert_eq!(answer["mallId"], MALL_ID);
    assert_eq!(answer["shopTransactionId"], body["shopTransactionId"]);
    let pg_cno = answer["pgCno"].as_str().unwrap();
    assert_eq!(pg_cno.len(), 20);
    assert!(pg_cno.bytes().all(|b| b.is_ascii_digit()));
    let url = answer["paymentPageUrl"].as_str().unwrap();
    let token = url.strip_prefix("weixin://wxpay/bizpayurl?pr=").expect(url);
    // A millisecond time prefix (12 hex) and 128 random bits (32 hex).
    assert_eq!(token.len(), 44, "{token}");
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()), "{token}");
}

async fn mweb_order_answers_the_cashier_url(backend: Backend) {
    let app = spawn_app(backend).await;
    let answer = app.create(&create_body("mweb")).await;
    assert_eq!(answer["resCd"], "0000");
    let url = answer["paymentPageUrl"].as_str().unwrap();
    assert!(url.starts_with(&app.url("/wechat/cashier/")), "{url}");
    assert_eq!(
        app.get(url.strip_prefix(&app.base_url).unwrap())
            .await
            .status(),
        200
    );
}

async fn each_order_gets_its_own_pg_cno(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.create_ok(&create_body("native")).await;
    let second = app.create_ok(&create_body("native")).await;
    assert_ne!(first, second);
}

/// Another process on the same database draws `pgCno`s from its own range of the sequence; if this
/// process's range runs into it, the create jumps elsewhere instead of failing.
async fn a_pg_cno_range_taken_by_another_process_is_jumped_over(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.create_ok(&create_body("native")).await;
    let position: u32 = first[12..].parse().unwrap();
    // The next 400 numbers of this second and the next five, as another process would hold them
    // (parallel tests draw from the same sequence meanwhile, hence the margin).
    let db = app.gateway().db.pool();
    let mut tx = db.begin().await.unwrap();
    let now = chrono::Utc::now();
    for second in 0..6 {
        let at = now + chrono::Duration::seconds(second);
        let stamp = &easypay_api::seoul_time::timestamp(at)[2..];
        for step in 1..=400u32 {
            let pg_cno = format!("{stamp}{:08}", (position + step) % 100_000_000);
            sqlx::query(
                "INSERT INTO payments (pg_cno, mall_id, shop_order_no, method, page_token, \
                 trade_type, goods_name, currency, amount, return_url, notify_url, state, \
                 created_at, expires_at) VALUES ($1, $2, $3, 'wechat', $4, 'native', 'held', \
                 'KRW', 1000, 'https://shop.example/r', 'https://shop.example/n', 'pending', \
                 $5, $5)",
            )
            .bind(&pg_cno)
            .bind(MALL_ID)
            .bind(format!("held-{pg_cno}"))
            .bind(format!("held-{pg_cno}"))
            .bind(at.timestamp_millis())
            .execute(&mut *tx)
            .await
            .unwrap();
        }
    }
    tx.commit().await.unwrap();
    // Five draws in a row inside the taken range would answer "could not draw a unique pgCno".
    let next = app.create_ok(&create_body("native")).await;
    assert_eq!(next.len(), 20);
    assert_ne!(next, first);
}

async fn reusing_an_order_number_under_a_new_key_is_a_duplicate_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let body = create_body("native");
    app.create_ok(&body).await;
    let mut again = body.clone();
    again["shopTransactionId"] = json!(new_key());
    let answer = app.create(&again).await;
    assert_eq!(answer["resCd"], "D001", "{answer}");
    assert!(answer["resMsg"]
        .as_str()
        .unwrap()
        .starts_with("shopOrderNo:"));
    assert_eq!(answer["shopTransactionId"], again["shopTransactionId"]);
    assert!(answer.get("pgCno").is_none());
}

async fn unknown_merchant_is_m001_and_inactive_is_m002(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = create_body("native");
    body["mallId"] = json!("T9999999");
    let answer = app.create(&body).await;
    assert_eq!(answer["resCd"], "M001", "{answer}");
    assert_eq!(answer["mallId"], "T9999999");

    // Found active once: on PostgreSQL the next requests check it inside their write section.
    app.create_ok(&create_body("native")).await;
    let orders = crate::idempotency::count_orders(&app).await;
    easypay_gateway::store::merchants::set_active(
        app.gateway().db.pool(),
        MALL_ID,
        false,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    for _ in 0..2 {
        let body = create_body("native");
        let answer = app.create(&body).await;
        assert_eq!(answer["resCd"], "M002", "{answer}");
        assert_eq!(answer["shopTransactionId"], body["shopTransactionId"]);
        let find = json!({"mallId": MALL_ID, "shopTransactionId": new_key(), "pgCno": "1"});
        assert_eq!(
            app.post("/api/trades/wechatpay/find", &find).await.1["resCd"],
            "M002"
        );
    }
    assert_eq!(crate::idempotency::count_orders(&app).await, orders);
}

async fn usd_amounts_and_digit_strings_are_accepted(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = create_body("native");
    body["amountInfo"] = json!({"currency": "USD", "totalAmount": "1203"});
    let pg_cno = app.create_ok(&body).await;
    app.sandbox(&pg_cno, "approve").await;
    let found = app.find(&pg_cno).await;
    assert_eq!(
        found["amountInfo"],
        json!({"currency": "USD", "totAmount": 1203})
    );
}

async fn customer_info_is_optional(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = create_body("mweb");
    body.as_object_mut().unwrap().remove("customerInfo");
    app.create_ok(&body).await;
}

/// Boundaries: exactly the limit passes, one byte more fails, Hangul counts two bytes.
async fn field_limits_hold_at_their_boundaries(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases: Vec<(&str, Value, Value, &str)> = vec![
        (
            "/shopOrderNo",
            json!("A".repeat(40)),
            json!("A".repeat(41)),
            "shopOrderNo: at most 40 bytes (got 41)",
        ),
        (
            "/goodsName",
            json!("g".repeat(100)),
            json!("g".repeat(101)),
            "goodsName: at most 100 bytes (got 101)",
        ),
        (
            "/shopTransactionId",
            json!("k".repeat(60)),
            json!("k".repeat(61)),
            "shopTransactionId: at most 60 bytes (got 61)",
        ),
        (
            "/customerInfo/customerName",
            json!("홍".repeat(10)),
            json!(format!("{}a", "홍".repeat(10))),
            "customerInfo.customerName: at most 20 bytes (got 21)",
        ),
        (
            "/customerInfo/customerId",
            json!("u".repeat(20)),
            json!("u".repeat(21)),
            "customerInfo.customerId: at most 20 bytes (got 21)",
        ),
        (
            "/customerInfo/customerContactNo",
            json!("0".repeat(11)),
            json!("0".repeat(12)),
            "customerInfo.customerContactNo: at most 11 bytes (got 12)",
        ),
        (
            "/customerInfo/customerAddr",
            json!("서".repeat(100)),
            json!(format!("{}1", "서".repeat(100))),
            "customerInfo.customerAddr: at most 200 bytes (got 201)",
        ),
        (
            "/customerInfo/customerMail",
            json!(format!("{}@example.com", "m".repeat(38))),
            json!(format!("{}@example.com", "m".repeat(39))),
            "customerInfo.customerMail: at most 50 bytes (got 51)",
        ),
        (
            "/returnUrl",
            json!(format!("https://a.example/{}", "p".repeat(238))),
            json!(format!("https://a.example/{}", "p".repeat(239))),
            "returnUrl: at most 256 bytes (got 257)",
        ),
        (
            "/notifyUrl",
            json!(format!("https://a.example/{}", "p".repeat(238))),
            json!(format!("https://a.example/{}", "p".repeat(239))),
            "notifyUrl: at most 256 bytes (got 257)",
        ),
        (
            "/amountInfo/totalAmount",
            json!(999_999_999_999u64),
            json!(1_000_000_000_000u64),
            "amountInfo.totalAmount: must be at most 999999999999",
        ),
    ];
    for (pointer, fits, too_long, message) in cases {
        let mut body = create_body("native");
        *body.pointer_mut(pointer).unwrap() = fits;
        let answer = app.create(&body).await;
        assert_eq!(answer["resCd"], "0000", "{pointer}: {answer}");

        let mut body = create_body("native");
        *body.pointer_mut(pointer).unwrap() = too_long;
        let answer = app.create(&body).await;
        assert_eq!(answer["resMsg"], message, "{pointer}");
        let code = if pointer.contains("totalAmount") {
            "V010"
        } else {
            "V004"
        };
        assert_eq!(answer["resCd"], code, "{pointer}");
    }
}

/// One specific code and message per rule, naming the field.
async fn each_rule_has_its_own_code(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases: Vec<(&str, Option<Value>, &str, &str)> = vec![
        ("/mallId", None, "V002", "mallId: is required"),
        ("/shopTransactionId", Some(json!("")), "V002", "shopTransactionId: is required (got an empty string)"),
        ("/goodsName", Some(json!(12)), "V003", "goodsName: must be a string"),
        ("/amountInfo", Some(json!("1000")), "V003", "amountInfo: must be an object"),
        ("/customerInfo/customerName", Some(json!("Kim 😀")), "V005", "customerInfo.customerName: character '😀' (U+1F600) cannot be represented in EUC-KR"),
        ("/customerInfo/customerAddr", Some(json!("Seoul <b>")), "V006", "customerInfo.customerAddr: character '<' is not allowed (forbidden: ' \" < > \\ ; | and control characters)"),
        ("/goodsName", Some(json!("한국 상품")), "V007", "goodsName: must be English only (printable ASCII), got '한'"),
        ("/customerInfo/customerContactNo", Some(json!("010-1234-5678")), "V008", "customerInfo.customerContactNo: must contain digits only"),
        ("/tradeType", Some(json!("NATIVE")), "V009", "tradeType: must be one of \"native\", \"mweb\" (got \"NATIVE\")"),
        ("/amountInfo/currency", Some(json!("CNY")), "V009", "amountInfo.currency: must be one of \"KRW\", \"USD\" (got \"CNY\")"),
        ("/amountInfo/totalAmount", Some(json!(-1000)), "V010", "amountInfo.totalAmount: must be greater than 0"),
        ("/amountInfo/totalAmount", Some(json!("10.5")), "V010", "amountInfo.totalAmount: must be an integer (a JSON number or a digit string)"),
        ("/returnUrl", Some(json!("ftp://shop.example/r")), "V011", "returnUrl: must be an absolute http or https URL (the scheme is not http or https)"),
        ("/notifyUrl", Some(json!("/notify")), "V011", "notifyUrl: must be an absolute http or https URL (not a valid absolute URL)"),
        ("/customerInfo/customerMail", Some(json!("not-an-email")), "V012", "customerInfo.customerMail: must be an e-mail address like name@example.com"),
        ("/shopOrderNo", Some(json!("ORDER#1")), "V014", "shopOrderNo: must be letters, digits, '_' and '-' only"),
    ];
    for (pointer, value, code, message) in cases {
        let mut body = create_body("native");
        match value {
            Some(value) => *body.pointer_mut(pointer).unwrap() = value,
            None => {
                body.as_object_mut().unwrap().remove(&pointer[1..]);
            }
        }
        let (status, answer) = app.post("/api/trades/wechatpay", &body).await;
        assert_eq!(status, 200, "{pointer}");
        assert_eq!(
            (
                answer["resCd"].as_str().unwrap(),
                answer["resMsg"].as_str().unwrap()
            ),
            (code, message),
            "{pointer}"
        );
        // The identifiers that were readable come back, so the refusal matches its request.
        let echoed = |field: &str| match pointer == format!("/{field}") {
            true => Value::Null,
            false => body[field].clone(),
        };
        assert_eq!(
            answer["shopTransactionId"],
            echoed("shopTransactionId"),
            "{pointer}"
        );
        assert_eq!(answer["mallId"], echoed("mallId"), "{pointer}");
    }
}

/// Refusals list `resCd` and `resMsg` first, then the echoed identifiers, as KICC's answers do.
async fn refusals_keep_kicc_field_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut body = create_body("native");
    body["goodsName"] = json!(12);
    let (_, text) = app.post_text("/api/trades/wechatpay", &body).await;
    let key = body["shopTransactionId"].as_str().unwrap();
    assert_eq!(
        text,
        format!(
            r#"{{"resCd":"V003","resMsg":"goodsName: must be a string","shopTransactionId":"{key}","mallId":"T5102001"}}"#
        )
    );

    let mut body = create_body("native");
    body["mallId"] = json!("T0000404");
    let (_, text) = app.post_text("/api/trades/wechatpay", &body).await;
    assert!(text.starts_with(r#"{"resCd":"M001","resMsg":"#), "{text}");
}

on_both_backends!(
    native_order_answers_a_code_url_and_pg_cno,
    mweb_order_answers_the_cashier_url,
    each_order_gets_its_own_pg_cno,
    a_pg_cno_range_taken_by_another_process_is_jumped_over,
    reusing_an_order_number_under_a_new_key_is_a_duplicate_order,
    unknown_merchant_is_m001_and_inactive_is_m002,
    usd_amounts_and_digit_strings_are_accepted,
    customer_info_is_optional,
    field_limits_hold_at_their_boundaries,
    each_rule_has_its_own_code,
    refusals_keep_kicc_field_order,
);
