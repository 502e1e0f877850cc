//! EasyPay wire protocol: request parsing with KICC's field rules, response types, response codes,
//! Seoul time formats and `msgAuthValue`. Pure functions only: no I/O, shared by the gateway and SDK.
//!
//! How the field docs read:
//!
//! - Each field starts with its name on the wire, e.g. `shopOrderNo`; a nested one may give its
//!   path, e.g. `orderInfo.goodsName`.
//! - Lengths are EUC-KR bytes: ASCII counts 1, a Hangul syllable 2 (`V004` when longer). A
//!   character EUC-KR (KS X 1001) cannot represent, such as an emoji, is `V005`.
//! - *Free text* has none of `'` `"` `<` `>` `\` `;` `|` and no control characters (`V006`).
//! - *Required*: absent, `null`, `""` or only spaces is `V002`; an optional field sent as `""`
//!   counts as absent. A value of the wrong JSON type is `V003`. Unknown fields are ignored.
//! - Amounts are integers in the currency's minor unit (won; USD cents), sent as JSON numbers
//!   or digit strings.
//! - Times are Seoul time: timestamps `yyyyMMddHHmmss`, dates `yyyyMMdd`.
//! - On an answer, "on success" means when `resCd` is `0000`; other answers leave most fields
//!   out.

#![warn(missing_docs)]

pub mod billing;
pub mod billing_key;
pub mod card_batch;
pub mod card_input;
pub mod card_revise;
pub mod codes;
pub mod euc_kr;
pub mod lenient;
pub mod msg_auth;
pub mod notification;
pub mod reader;
pub mod retrieve;
pub mod rules;
pub mod seoul_time;
pub mod values;
pub mod webhook_signature;
pub mod wechat;
pub mod wechat_revise;

pub use codes::ResCode;
pub use rules::{FieldError, Rule};
