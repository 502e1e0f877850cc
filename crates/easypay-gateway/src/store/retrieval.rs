//! Finds the stored answer of an earlier request by its key and the Seoul date it was first sent
//! (retrieveTransaction). The idempotency tables already keep every answer, byte for byte: the
//! keys' own, and those of keys since reused on a later day.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use easypay_api::seoul_time::{key_expiry, seoul};
use sqlx::{Any, Executor, FromRow};

use super::idempotency::Endpoint;

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Found {
    pub endpoint: String,
    pub response_body: String,
    pub created_at: i64,
}

/// The first finished answer under (`mall_id`, one of `endpoints`, `shop_transaction_id`) whose
/// key was first used on `date` in Seoul, or in the first minutes after it: a request sent then
/// may carry `date` as its own request date (decision 5), and KICC's lookup date is the request's
/// date. KICC looks a transaction up by its key and date alone; where a merchant used one key on
/// two card operations that day (an issuance, then a charge), the key names the transaction it
/// named first, which a later reuse cannot hide.
pub async fn find_answer<'e>(
    db: impl Executor<'e, Database = Any>,
    mall_id: &str,
    endpoints: [Endpoint; 3],
    shop_transaction_id: &str,
    date: NaiveDate,
) -> Result<Option<(Endpoint, String)>, sqlx::Error> {
    let start = seoul_midnight(date);
    // The day, and the grace after it in which a request may still carry its date: exactly as
    // long as a key first used at that midnight counts.
    let end = key_expiry(start);
    // A key reused on a later day moved this day's answer to `idempotency_replaced`.
    let found: Option<Found> = sqlx::query_as(
        "SELECT endpoint, response_body, created_at FROM idempotency_keys \
         WHERE mall_id = $1 AND shop_transaction_id = $2 AND endpoint IN ($3, $4, $5) \
         AND response_status <> 0 AND created_at >= $6 AND created_at < $7 \
         UNION ALL \
         SELECT endpoint, response_body, created_at FROM idempotency_replaced \
         WHERE mall_id = $1 AND shop_transaction_id = $2 AND endpoint IN ($3, $4, $5) \
         AND response_status <> 0 AND created_at >= $6 AND created_at < $7 \
         ORDER BY created_at ASC LIMIT 1",
    )
    .bind(mall_id)
    .bind(shop_transaction_id)
    .bind(endpoints[0].as_str())
    .bind(endpoints[1].as_str())
    .bind(endpoints[2].as_str())
    .bind(start.timestamp_millis())
    .bind(end.timestamp_millis())
    .fetch_optional(db)
    .await?;
    Ok(found.and_then(|found| {
        endpoints
            .into_iter()
            .find(|endpoint| endpoint.as_str() == found.endpoint)
            .map(|endpoint| (endpoint, found.response_body))
    }))
}

fn seoul_midnight(date: NaiveDate) -> DateTime<Utc> {
    seoul()
        .from_local_datetime(&date.and_time(NaiveTime::MIN))
        .single()
        .expect("a fixed offset has no ambiguous local times")
        .with_timezone(&Utc)
}
