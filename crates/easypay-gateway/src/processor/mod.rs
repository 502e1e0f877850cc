//! Simulated processors, so every flow runs end to end on one machine.

pub mod card_bins;
pub mod card_issuer;
pub mod wechat_wallet;
