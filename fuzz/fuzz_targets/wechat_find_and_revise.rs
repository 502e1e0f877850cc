//! `find` and `revise` parsing never panic, and a parsed request round-trips.
#![no_main]

use easypay_api::wechat::FindWechatRequest;
use easypay_api::wechat_revise::ReviseWechatRequest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(serde_json::Value::Object(body)) = serde_json::from_slice(data) else { return };
    if let Ok(request) = FindWechatRequest::parse(&body) {
        let canonical = serde_json::to_value(&request).unwrap();
        assert_eq!(FindWechatRequest::parse(canonical.as_object().unwrap()).unwrap(), request);
    }
    let now = chrono::Utc::now();
    if let Ok(request) = ReviseWechatRequest::parse(&body, now) {
        let canonical = serde_json::to_value(&request).unwrap();
        assert_eq!(ReviseWechatRequest::parse(canonical.as_object().unwrap(), now).unwrap(), request);
    }
});
