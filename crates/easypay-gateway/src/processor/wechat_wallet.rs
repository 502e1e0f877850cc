//! The simulated WeChat wallet: what happens to an order when the customer pays or cancels in the
//! cashier, or when the sandbox control plane acts for the wallet.

use chrono::Utc;
use easypay_api::ResCode;

use crate::domain::wechat_payment::{PaymentState, WalletEvent, WechatPayment};
use crate::http::error::ApiError;
use crate::notify::outbox;
use crate::store::payments;
use crate::store::Db;

/// Optimistic updates retried this many times when another event changed the order first.
const ATTEMPTS: usize = 5;

/// Which order an event is for.
#[derive(Clone, Copy)]
pub enum OrderRef<'a> {
    PgCno(&'a str),
    PageToken(&'a str),
}

/// Applies `event` to the order and stores the result; an approval queues the merchant's
/// notification in the same transaction. Repeating an event the order already went through is
/// refused with `S001`, naming the current state.
pub async fn apply(
    db: &Db,
    order: OrderRef<'_>,
    event: impl Fn(&WechatPayment) -> WalletEvent,
) -> Result<WechatPayment, ApiError> {
    for _ in 0..ATTEMPTS {
        let current = load(db, order).await?;
        let now = Utc::now();
        let next = current.apply(event(&current), now).map_err(|refused| {
            ApiError::new(ResCode::TransitionNotAllowed, refused.to_string())
                .echo("pgCno", &current.pg_cno)
        })?;
        let mut tx = db.begin_write().await?;
        if payments::update_state(&mut tx, &next).await? {
            if next.state == PaymentState::Approved {
                outbox::wechat_approval(&mut tx, &next, now).await?;
            }
            tx.commit().await?;
            return Ok(next);
        }
    }
    Err(ApiError::internal(
        "the order kept changing while an event was applied",
    ))
}

pub async fn load(db: &Db, order: OrderRef<'_>) -> Result<WechatPayment, ApiError> {
    let found = match order {
        OrderRef::PgCno(pg_cno) => payments::find_by_pg_cno(db.pool(), pg_cno).await?,
        OrderRef::PageToken(token) => payments::find_by_token(db.pool(), token).await?,
    };
    found.ok_or_else(|| match order {
        OrderRef::PgCno(pg_cno) => ApiError::new(
            ResCode::TransactionNotFound,
            format!("pgCno: no WeChat order {pg_cno}"),
        )
        .echo("pgCno", pg_cno),
        OrderRef::PageToken(_) => ApiError::new(
            ResCode::TransactionNotFound,
            "no WeChat order for this page",
        ),
    })
}
