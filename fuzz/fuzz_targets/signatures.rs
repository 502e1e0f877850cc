//! `msgAuthValue` and Standard Webhooks verification: never panic on any input, accept what was
//! signed, and refuse a signature made with another key.
#![no_main]

use easypay_api::{msg_auth, webhook_signature};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, &str, &str, i64, &[u8])| {
    let (secret, field, given, timestamp, body) = input;
    let parts = [field, "1000", "20260101000000"];
    let _ = msg_auth::verify(secret, &parts, given);
    let signed = msg_auth::sign(secret, &parts);
    assert!(msg_auth::verify(secret, &parts, &signed));
    assert!(!msg_auth::verify(&format!("{secret}x"), &parts, &signed));

    let _ = webhook_signature::verify(secret, field, timestamp, body, given);
    let key = webhook_signature::encode_secret(secret.as_bytes());
    if let Some(header) = webhook_signature::sign(&key, field, timestamp, body) {
        assert!(webhook_signature::verify(&key, field, timestamp, body, &header));
    }
});
