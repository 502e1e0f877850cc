//! Issue 7: request ids (echoed, in the notifications they caused), metrics, health and readiness,
//! graceful shutdown, the OpenAPI document and its reference page.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};

use crate::card_flow::{billing_key, charge_body};
use crate::helpers::{create_body, spawn_app, spawn_with, Backend, TestApp, MALL_ID};
use crate::on_both_backends;

/// Runs one query on the test's database and answers the first column of every row.
async fn column(app: &TestApp, sql: &str) -> Vec<Option<String>> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    let rows: Vec<(Option<String>,)> = sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap();
    rows.into_iter().map(|(value,)| value).collect()
}

async fn request_ids_are_echoed_and_remembered_by_the_notifications_they_cause(backend: Backend) {
    let app = spawn_app(backend).await;
    // A plain id from the caller is kept; a strange one is replaced; none gets a new one.
    let create = |id: Option<&'static str>| {
        let mut request = app.client.post(app.url("/api/trades/wechatpay"));
        if let Some(id) = id {
            request = request.header("x-request-id", id);
        }
        request.json(&create_body("native")).send()
    };
    let kept = create(Some("shop-req_42.a:b")).await.unwrap();
    assert_eq!(kept.headers()["x-request-id"], "shop-req_42.a:b");
    let replaced = create(Some("no spaces <please>")).await.unwrap();
    let generated = replaced.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(generated.starts_with("req_"), "{generated}");
    let fresh = create(None).await.unwrap();
    assert!(fresh.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .starts_with("req_"));
    assert_ne!(
        fresh.headers()["x-request-id"],
        replaced.headers()["x-request-id"]
    );
    let answer: Value = kept.json().await.unwrap();
    let pg_cno = answer["pgCno"].as_str().unwrap();
    // Errors carry it too.
    let unknown = app.get("/no/such/path").await;
    assert_eq!(unknown.status(), 404);
    assert!(unknown.headers().contains_key("x-request-id"));

    let approved = app
        .client
        .post(app.url(&format!("/_sandbox/wechat/{pg_cno}/approve")))
        .header("x-request-id", "approve-7")
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 200);
    let ids = column(
        &app,
        &format!("SELECT request_id FROM notifications WHERE pg_cno = '{pg_cno}'"),
    )
    .await;
    assert_eq!(ids, vec![Some("approve-7".to_owned())]);

    // A keyed request's notification too (its write section runs on the batcher's task).
    let cancelled = app
        .client
        .post(app.url("/api/trades/wechatpay/revise"))
        .header("x-request-id", "cancel-9")
        .json(&crate::wechat_cancel::cancel_body(pg_cno, "40", None))
        .send()
        .await
        .unwrap();
    let cancelled: Value = cancelled.json().await.unwrap();
    assert_eq!(cancelled["resCd"], "0000", "{cancelled}");
    let ids = column(
        &app,
        &format!(
            "SELECT request_id FROM notifications WHERE pg_cno = '{pg_cno}' ORDER BY created_at, request_id"
        ),
    )
    .await;
    assert_eq!(
        ids,
        vec![Some("approve-7".to_owned()), Some("cancel-9".to_owned())]
    );
}

fn metric(text: &str, line_start: &str) -> Option<f64> {
    text.lines()
        .find(|line| line.starts_with(line_start))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

async fn metrics_count_requests_by_route_and_res_cd(backend: Backend) {
    let receiver = crate::receiver::Receiver::start().await;
    let app = spawn_with(backend, crate::notifications::fast_retries).await;
    let mut body = create_body("native");
    body["notifyUrl"] = json!(receiver.url);
    let pg_cno = app.create_ok(&body).await;
    let mut broken = create_body("native");
    broken["goodsName"] = json!("");
    assert_eq!(app.create(&broken).await["resCd"], "V002");
    let (status, _) = app.post_raw("/api/trades/wechatpay", "[1]").await;
    assert_eq!(status, 400);
    app.sandbox(&pg_cno, "approve").await;
    app.find(&pg_cno).await;
    receiver.wait_for(1, Duration::from_secs(10)).await;

    // The worker records the attempt just after the receiver answers, and samples the queue.
    let mut text = String::new();
    for _ in 0..50 {
        text = app.get("/metrics").await.text().await.unwrap();
        let delivered = metric(
            &text,
            r#"easypay_notification_attempts_total{kind="wechat.approval",outcome="acknowledged"}"#,
        );
        if delivered == Some(1.0)
            && text.contains("easypay_notifications_queued{status=\"pending\"} 0")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let route = r#"route="/api/trades/wechatpay",method="POST""#;
    assert_eq!(
        metric(
            &text,
            &format!("easypay_http_requests_total{{{route},status=\"200\",res_cd=\"0000\"}}")
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            &format!("easypay_http_requests_total{{{route},status=\"200\",res_cd=\"V002\"}}")
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(
            &text,
            &format!("easypay_http_requests_total{{{route},status=\"400\",res_cd=\"V001\"}}")
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(
            &text,
            r#"easypay_http_requests_total{route="/_sandbox/wechat/{pg_cno}/{action}",method="POST",status="200",res_cd="0000"}"#
        ),
        Some(1.0),
        "route templates, never raw paths: {text}"
    );
    assert!(!text.contains(&pg_cno), "no raw path in a label");
    assert_eq!(
        metric(
            &text,
            &format!("easypay_http_request_duration_seconds_count{{{route}}}")
        ),
        Some(3.0)
    );
    assert_eq!(
        metric(
            &text,
            r#"easypay_notifications_finished_total{kind="wechat.approval",result="delivered"}"#
        ),
        Some(1.0)
    );
    assert!(
        text.contains("easypay_notifications_queued{status=\"pending\"} 0"),
        "{text}"
    );
    let open = metric(&text, r#"easypay_db_pool_connections{state="open"}"#).unwrap();
    let max = metric(&text, r#"easypay_db_pool_connections{state="max"}"#).unwrap();
    assert!(open >= 1.0 && max >= open, "{text}");
}

async fn health_and_readiness(backend: Backend) {
    let app = spawn_app(backend).await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    assert_eq!(
        health.json::<Value>().await.unwrap(),
        json!({"status": "ok"})
    );
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(
        ready.json::<Value>().await.unwrap(),
        json!({"status": "ready", "database": "ok", "cardKey": "ok"})
    );
    // A database that does not answer makes the gateway unready, but still alive.
    app.gateway().db.close().await;
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    assert_eq!(
        ready.json::<Value>().await.unwrap()["status"],
        "unavailable"
    );
    assert_eq!(app.get("/healthz").await.status(), 200);
}

/// A charge on the sandbox's slow card takes 3 s; stopping the gateway meanwhile lets it finish.
async fn shutdown_finishes_in_flight_requests(backend: Backend) {
    let mut app = spawn_app(backend).await;
    let key = billing_key(&app, "4579730000030002").await;
    let body = charge_body(&key, 1000);
    let client = app.client.clone();
    let url = app.url("/api/trades/approval/batch");
    let in_flight = tokio::spawn(async move {
        client
            .post(url)
            .json(&body)
            .send()
            .await
            .expect("answered before the gateway stopped")
            .json::<Value>()
            .await
            .unwrap()
    });
    for _ in 0..100 {
        if app.gateway().in_flight() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.gateway().in_flight(), 1, "the charge is in flight");
    let started = std::time::Instant::now();
    app.restart().await;
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "the stop waited for the charge"
    );
    let answer = in_flight.await.unwrap();
    assert_eq!(answer["resCd"], "0000", "{answer}");
}

on_both_backends!(
    request_ids_are_echoed_and_remembered_by_the_notifications_they_cause,
    metrics_count_requests_by_route_and_res_cd,
    health_and_readiness,
    shutdown_finishes_in_flight_requests,
);

/// The route paths a source file registers, with parameter names erased (`{}`).
fn routes_in(file: &str) -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut routes = Vec::new();
    for chunk in text.split(".route(").skip(1) {
        let Some(start) = chunk.find('"') else {
            continue;
        };
        let rest = &chunk[start + 1..];
        let end = rest.find('"').unwrap();
        routes.push(erase_params(&rest[..end]));
    }
    routes
}

fn erase_params(path: &str) -> String {
    let mut erased = String::new();
    let mut inside = false;
    for ch in path.chars() {
        match ch {
            '{' => {
                inside = true;
                erased.push_str("{}");
            }
            '}' => inside = false,
            _ if inside => {}
            other => erased.push(other),
        }
    }
    erased
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_covers_every_route_and_code() {
    let app = spawn_app(Backend::Sqlite).await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], app.base_url);
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(|path| erase_params(path))
        .collect();
    let mut routes = Vec::new();
    for file in ["src/http/mod.rs", "src/sandbox/mod.rs", "src/http/ops.rs"] {
        routes.extend(routes_in(file));
    }
    assert!(routes.len() >= 18, "{routes:?}");
    for route in routes {
        if route == "/docs/api" {
            continue; // the HTML rendering of this very document
        }
        assert!(
            documented.contains(&route),
            "{route} is not in /openapi.json"
        );
    }
    let codes: Vec<&str> = doc["components"]["schemas"]["ResCd"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|code| code["const"].as_str().unwrap())
        .collect();
    for code in easypay_api::ResCode::ALL {
        assert!(codes.contains(&code.as_str()), "{code}");
    }
    // Without the sandbox, no sandbox operations.
    let production = spawn_with(Backend::Sqlite, |config| {
        config.sandbox = false;
        config.notify.policy.allow_internal = false;
    })
    .await;
    let doc: Value = production.get("/openapi.json").await.json().await.unwrap();
    assert!(doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .all(|p| !p.starts_with("/_sandbox")));
}

/// A database that ran in sandbox mode, served without it: the sandbox merchant, whose secret key
/// is public, no longer takes payments.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_sandbox_mode_the_sandbox_merchant_is_retired() {
    let mut app = spawn_app(Backend::Sqlite).await;
    app.create_ok(&create_body("native")).await;
    app.restart_with(|config| config.sandbox = false).await;
    let answer = app.create(&create_body("native")).await;
    assert_eq!(answer["resCd"], "M002", "{answer}");
}

/// Each operation's `"0000"` answer carries every field its schema requires on success, and only
/// fields its schema knows; a refusal in the error envelope never says `"0000"`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn success_answers_carry_what_their_schemas_require() {
    let app = spawn_app(Backend::Sqlite).await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["ErrorAnswer"]["properties"]["resCd"]["not"],
        json!({"const": "0000"})
    );
    let check = |name: &str, answer: &Value| {
        assert_eq!(answer["resCd"], "0000", "{name}: {answer}");
        let schema = &schemas[name];
        assert_eq!(
            schema["if"]["properties"]["resCd"]["const"], "0000",
            "{name}"
        );
        for field in schema["then"]["required"].as_array().unwrap() {
            let field = field.as_str().unwrap();
            assert!(
                answer.get(field).is_some(),
                "{name} lacks {field}: {answer}"
            );
        }
        for field in answer.as_object().unwrap().keys() {
            assert!(
                schema["properties"].get(field).is_some(),
                "{name} does not document {field}"
            );
        }
    };
    let created = app.create(&create_body("native")).await;
    check("CreateWechatResponse", &created);
    let pg_cno = created["pgCno"].as_str().unwrap();
    app.sandbox(pg_cno, "approve").await;
    check("FindWechatResponse", &app.find(pg_cno).await);
    let (_, cancelled) = app
        .post(
            "/api/trades/wechatpay/revise",
            &crate::wechat_cancel::cancel_body(pg_cno, "32", Some(100)),
        )
        .await;
    check("ReviseWechatResponse", &cancelled);
    let find_cancel = json!({"mallId": MALL_ID, "shopTransactionId": crate::helpers::new_key(),
        "pgCno": pg_cno, "cancelPgCno": cancelled["cancelPgCno"]});
    let (_, found) = app.post("/api/trades/wechatpay/find", &find_cancel).await;
    check("FindWechatCancelResponse", &found);

    let (_, window) = app
        .post(
            "/api/ep9/trades/webpay",
            &crate::card_flow::webpay_body("https://shop.example/return"),
        )
        .await;
    check("WebpayResponse", &window);
    let (order, authorization) =
        crate::card_flow::registered(&app, crate::card_flow::GOOD_CARD).await;
    let issued =
        crate::card_flow::issue(&app, &crate::card_flow::issue_body(&order, &authorization)).await;
    check("IssueKeyResponse", &issued);
    let batch_key = issued["paymentInfo"]["cardInfo"]["cardNo"]
        .as_str()
        .unwrap();
    let charge = charge_body(batch_key, 5000);
    let charged = crate::card_flow::charge(&app, &charge).await;
    check("BatchApprovalResponse", &charged);
    let (_, retrieved) = app
        .post(
            "/api/trades/retrieveTransaction",
            &json!({"mallId": MALL_ID, "shopTransactionId": charge["shopTransactionId"],
                    "transactionDate": crate::card_flow::today()}),
        )
        .await;
    check("BatchApprovalResponse", &retrieved);
    let charged_pg_cno = charged["pgCno"].as_str().unwrap();
    let key = crate::helpers::new_key();
    let card_cancel = json!({
        "mallId": MALL_ID, "shopTransactionId": key, "pgCno": charged_pg_cno,
        "reviseTypeCode": "40", "cancelReqDate": crate::card_flow::today(),
        "msgAuthValue": easypay_api::msg_auth::sign(
            easypay_gateway::sandbox::SANDBOX_SECRET_KEY, &[charged_pg_cno, &key]),
        "clientIp": "127.0.0.1",
    });
    let (_, card_cancelled) = app.post("/api/trades/revise", &card_cancel).await;
    check("ReviseCardResponse", &card_cancelled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_page_shows_every_operation_field_limit_and_code() {
    let app = spawn_app(Backend::Sqlite).await;
    let page = app.get("/docs/api").await;
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = page.text().await.unwrap();
    for needle in [
        "/api/trades/wechatpay",
        "/api/trades/approval/batch",
        "/_sandbox/wechat/{pgCno}/{action}",
        "<code>customerInfo.customerName</code>",
        "<code>orderInfo.goodsName</code>",
        "<code>payMethodInfo.cardMethodInfo.installmentMonth</code>",
        "100 bytes",
        "EUC-KR",
        "<code>8521</code>",
        "<code>E500</code>",
        "card.approval",
    ] {
        assert!(html.contains(needle), "the reference page lacks {needle}");
    }
}

/// The document's limits are the parser's: at `maxLength` a field is accepted, one byte more is V004.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documented_lengths_are_the_parsers() {
    let app = spawn_app(Backend::Sqlite).await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let schemas = &doc["components"]["schemas"];
    let mut fields = Vec::new();
    for (prefix, schema) in [
        ("", "CreateWechatRequest"),
        ("customerInfo.", "CustomerInfo"),
    ] {
        for (name, property) in schemas[schema]["properties"].as_object().unwrap() {
            let property = property.get("anyOf").map_or(property, |any| &any[0]);
            if let Some(max) = property["maxLength"].as_u64() {
                fields.push((format!("{prefix}{name}"), max as usize));
            }
        }
    }
    assert!(fields.len() >= 11, "{fields:?}");
    for (path, max) in fields {
        let filler = |len: usize| -> String {
            match path.as_str() {
                "returnUrl" | "notifyUrl" => format!("https://a.example/{}", "p".repeat(len - 18)),
                "customerInfo.customerMail" => format!("{}@a.example", "m".repeat(len - 10)),
                "customerInfo.customerContactNo" => "1".repeat(len),
                _ => "a".repeat(len),
            }
        };
        for (len, too_long) in [(max, false), (max + 1, true)] {
            let mut body = create_body("native");
            let pointer = format!("/{}", path.replace('.', "/"));
            *body.pointer_mut(&pointer).unwrap() = json!(filler(len));
            let answer = app.create(&body).await;
            let code = answer["resCd"].as_str().unwrap();
            if too_long {
                assert_eq!(code, "V004", "{path} at {len} bytes: {answer}");
            } else {
                assert_ne!(code, "V004", "{path} at {len} bytes: {answer}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejections_of_paths_and_queries_are_the_json_envelope() {
    let app = spawn_app(Backend::Sqlite).await;
    let auth = |request: reqwest::RequestBuilder| {
        request.basic_auth(MALL_ID, Some("easypay-sandbox-secret"))
    };
    for (path, code) in [
        ("/api/notifications?status=null&status=null", "V009"),
        ("/api/notifications?limit=abc", "V010"),
        ("/api/notifications/%FF", "E404"),
    ] {
        let response = auth(app.client.get(app.url(path))).send().await.unwrap();
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["resCd"], code, "{path}: {answer}");
    }
}
