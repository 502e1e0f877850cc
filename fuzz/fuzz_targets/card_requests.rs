//! Card endpoint parsing (webpay, issuance, charge, removal, retrieval, cancel): any JSON object
//! either parses or names the field and rule it broke; nothing panics.
#![no_main]

use easypay_api::billing::WebpayRequest;
use easypay_api::billing_key::{IssueKeyRequest, RemoveKeyRequest};
use easypay_api::card_batch::BatchApprovalRequest;
use easypay_api::card_revise::ReviseCardRequest;
use easypay_api::retrieve::RetrieveRequest;
use easypay_api::FieldError;
use libfuzzer_sys::fuzz_target;

fn named(result: Result<impl Sized, FieldError>) {
    if let Err(error) = result {
        assert!(!error.field.is_empty() && !error.to_string().is_empty());
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(serde_json::Value::Object(body)) = serde_json::from_slice(data) else { return };
    let now = chrono::Utc::now();
    named(WebpayRequest::parse(&body));
    named(IssueKeyRequest::parse(&body, now));
    named(RemoveKeyRequest::parse(&body, now));
    named(BatchApprovalRequest::parse(&body, now));
    named(RetrieveRequest::parse(&body, now));
    named(ReviseCardRequest::parse(&body, now));
});
