//! Create Transaction parsing: any bytes either parse into a request or name the rule they broke,
//! and a parsed request survives a round trip through its canonical JSON unchanged.
#![no_main]

use easypay_api::wechat::CreateWechatRequest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(serde_json::Value::Object(body)) = serde_json::from_slice(data) else { return };
    match CreateWechatRequest::parse(&body) {
        Ok(request) => {
            let canonical = serde_json::to_value(&request).expect("serialises");
            let again = CreateWechatRequest::parse(canonical.as_object().unwrap())
                .expect("a parsed request parses again");
            assert_eq!(again, request);
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
});
