//! Simulated processors, so every flow runs end to end on one machine.

pub mod wechat_wallet;
