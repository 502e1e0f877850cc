//! The simulated WeChat wallet: what happens to an order when the customer pays or cancels in the
//! cashier, or when the sandbox control plane acts for the wallet.

use chrono::Utc;
use easypay_api::ResCode;
use sqlx::{Any, Executor};

use crate::domain::wechat_payment::{PaymentState, WalletEvent, WechatPayment};
use crate::http::error::ApiError;
use crate::notify::{outbox, Kind};
use crate::service::merchant_gate;
use crate::store::batch::{self, LockedRow};
use crate::store::{notifications, payments, Db, WriteTx};

/// Optimistic updates retried this many times when another event changed the order first.
const ATTEMPTS: usize = 5;

/// Which order an event is for.
#[derive(Clone, Copy)]
pub enum OrderRef<'a> {
    PgCno(&'a str),
    PageToken(&'a str),
}

/// What decides the event from the order as it is when the event is applied.
type Decide = Box<dyn Fn(&WechatPayment) -> WalletEvent + Send + Sync>;

/// A wallet event's write section: its order and what decides the event.
struct Event {
    pg_cno: Option<String>,
    page_token: Option<String>,
    decide: Decide,
}

/// Applies `event` to the order and stores the result; an approval queues the merchant's
/// notification in the same transaction (batched with other writes, see
/// [`crate::store::batch`]). Repeating an event the order already went through is refused with
/// `S001`, naming the current state.
pub async fn apply(
    db: &Db,
    order: OrderRef<'_>,
    event: impl Fn(&WechatPayment) -> WalletEvent + Send + Sync + 'static,
) -> Result<WechatPayment, ApiError> {
    let (pg_cno, page_token) = match order {
        OrderRef::PgCno(pg_cno) => (Some(pg_cno.to_owned()), None),
        OrderRef::PageToken(token) => (None, Some(token.to_owned())),
    };
    let event = Event {
        pg_cno,
        page_token,
        decide: Box::new(event),
    };
    // An order found by its page token is locked all the same, only not in the batch's order:
    // the rare cycle that leaves is ended by the shared lock bound.
    let locks = event
        .pg_cno
        .as_deref()
        .map(|pg_cno| LockedRow::new("payments", pg_cno));
    batch::write(db, locks, event, |tx, event| Box::pin(apply_in(tx, event))).await
}

async fn apply_in(tx: &mut WriteTx, event: &Event) -> Result<WechatPayment, ApiError> {
    let order = match (&event.pg_cno, &event.page_token) {
        (Some(pg_cno), _) => OrderRef::PgCno(pg_cno),
        (None, Some(token)) => OrderRef::PageToken(token),
        (None, None) => return Err(ApiError::internal("a wallet event names no order")),
    };
    for _ in 0..ATTEMPTS {
        let current = find(&mut **tx, order).await?;
        let now = Utc::now();
        let decided = (event.decide)(&current);
        // An approval of a payable order; a late one still voids as usual.
        if decided.pays() && current.state_at(now) == PaymentState::Pending {
            merchant_gate::takes_payments(tx, current.mall_id.as_str())
                .await
                .map_err(|refused| refused.echo("pgCno", &current.pg_cno))?;
        }
        let next = current.apply(decided, now).map_err(|refused| {
            ApiError::new(ResCode::TransitionNotAllowed, refused.to_string())
                .echo("pgCno", &current.pg_cno)
        })?;
        // Another connection's event came first (PostgreSQL): read the order again.
        if payments::update_state(tx, &next).await? {
            match next.state {
                PaymentState::Approved => outbox::wechat_approval(tx, &next, now).await?,
                // An approval notification not delivered yet would tell of money that was given
                // back: it is withdrawn, in the same transaction.
                PaymentState::Voided => {
                    notifications::withdraw_undelivered(tx, Kind::WechatApproval, &next.pg_cno)
                        .await?;
                }
                PaymentState::Pending
                | PaymentState::Declined
                | PaymentState::CancelledByCustomer
                | PaymentState::Expired
                | PaymentState::PartiallyCancelled
                | PaymentState::Cancelled => {}
            }
            return Ok(next);
        }
    }
    Err(ApiError::internal(
        "the order kept changing while an event was applied",
    ))
}

pub async fn load(db: &Db, order: OrderRef<'_>) -> Result<WechatPayment, ApiError> {
    find(&mut db.read().await?, order).await
}

async fn find<'e>(
    executor: impl Executor<'e, Database = Any>,
    order: OrderRef<'_>,
) -> Result<WechatPayment, ApiError> {
    let found = match order {
        OrderRef::PgCno(pg_cno) => payments::find_by_pg_cno(executor, pg_cno).await?,
        OrderRef::PageToken(token) => payments::find_by_token(executor, token).await?,
    };
    found.ok_or_else(|| match order {
        OrderRef::PgCno(pg_cno) => ApiError::new(
            ResCode::TransactionNotFound,
            format!("pgCno: no WeChat order {pg_cno:?}"),
        )
        .echo("pgCno", pg_cno),
        OrderRef::PageToken(_) => ApiError::new(
            ResCode::TransactionNotFound,
            "no WeChat order for this page",
        ),
    })
}
