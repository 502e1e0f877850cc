//! The EUC-KR length rule: every accepted character counts one or two bytes, never more.
#![no_main]

use easypay_api::euc_kr::byte_len;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(bytes) = byte_len(text) {
        let chars = text.chars().count();
        assert!(bytes >= chars && bytes <= 2 * chars);
        let ascii = text.chars().filter(char::is_ascii).count();
        assert_eq!(bytes, ascii + 2 * (chars - ascii));
    }
});
