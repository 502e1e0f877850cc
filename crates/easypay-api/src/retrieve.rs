//! Transaction status, `POST /api/trades/retrieveTransaction` (kicc-api §3.7): the answer of an
//! earlier issuance, charge or card cancel, found by its `shopTransactionId` and the Seoul date it
//! was sent.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::reader::ObjectReader;
use crate::rules::{FieldError, Rule};
use crate::seoul_time;
use crate::values::{MallId, ShopTransactionId};

/// `transactionDate` of a lookup: a `yyyyMMdd` that is today or yesterday in Seoul.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LookupDate(String);

impl LookupDate {
    /// A real calendar date as `yyyyMMdd` (`V014`) that is today or yesterday in Seoul at `now`
    /// (`V016`: older transactions cannot be queried, later ones do not exist yet).
    pub fn parse(path: &str, raw: &str, now: DateTime<Utc>) -> Result<Self, FieldError> {
        if !seoul_time::is_date(raw) {
            return Err(FieldError::new(
                path,
                Rule::BadFormat {
                    expected: "a date as yyyyMMdd",
                },
            ));
        }
        let today = now.with_timezone(&seoul_time::seoul()).date_naive();
        let yesterday = today.pred_opt().unwrap_or(today);
        let given = NaiveDate::parse_from_str(raw, "%Y%m%d").ok();
        if given != Some(today) && given != Some(yesterday) {
            let format = |date: NaiveDate| date.format("%Y%m%d").to_string();
            return Err(FieldError::new(
                path,
                Rule::NotRecent {
                    today: format(today),
                    yesterday: format(yesterday),
                    in_future: given > Some(today),
                },
            ));
        }
        Ok(LookupDate(raw.to_owned()))
    }

    /// The date as sent, `yyyyMMdd`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(feature = "schema")]
crate::values::schema_of!(LookupDate, {
    "type": "string", "pattern": "^[0-9]{8}$",
    "description": "yyyyMMdd (V014): the Seoul date the original request was first sent, today or yesterday (V016).",
    "examples": ["20261121"]
});

/// A parsed retrieveTransaction request. Its `shopTransactionId` names the original request; it is
/// not a new idempotency key (the lookup changes nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RetrieveRequest {
    /// `mallId`: the merchant ID KICC assigned; at most 8 bytes, required (`M001`, `M002`).
    pub mall_id: MallId,
    /// `shopTransactionId`: the key of the issuance, charge or card cancel to find; at most 60
    /// bytes, required.
    pub shop_transaction_id: ShopTransactionId,
    /// `transactionDate`: the Seoul date that request was first sent, `yyyyMMdd` (`V014`); today
    /// or yesterday (`V016`), required.
    pub transaction_date: LookupDate,
}

impl RetrieveRequest {
    /// Checks `mallId`, `shopTransactionId` and `transactionDate` (today or yesterday in Seoul at
    /// `now`) in that order; the first broken rule is reported.
    pub fn parse(body: &Map<String, Value>, now: DateTime<Utc>) -> Result<Self, FieldError> {
        let root = ObjectReader::root(body);
        let mall_id = root.required("mallId", MallId::parse)?;
        let shop_transaction_id = root.required("shopTransactionId", ShopTransactionId::parse)?;
        let transaction_date =
            root.required("transactionDate", |p, r| LookupDate::parse(p, r, now))?;
        Ok(RetrieveRequest {
            mall_id,
            shop_transaction_id,
            transaction_date,
        })
    }
}

// Read leniently: only `resCd` is required.
/// The answer when nothing matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RetrieveNotFoundResponse {
    /// `resCd`: `F003`: no billing-key issuance, charge or card cancel of the merchant used this
    /// key on that date.
    pub res_cd: String,
    /// `resMsg`: what `resCd` means, in words.
    #[serde(default)]
    pub res_msg: String,
    /// `shopTransactionId`: the key looked up, echoed.
    #[serde(default)]
    pub shop_transaction_id: String,
    /// `mallId`: the merchant, echoed.
    #[serde(default)]
    pub mall_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn only_today_and_yesterday_in_seoul() {
        // 2026-03-12 08:00 in Seoul.
        let now = at("2026-03-11T23:00:00Z");
        assert!(LookupDate::parse("transactionDate", "20260312", now).is_ok());
        assert!(LookupDate::parse("transactionDate", "20260311", now).is_ok());
        assert_eq!(
            LookupDate::parse("transactionDate", "20260310", now)
                .unwrap_err()
                .to_string(),
            "transactionDate: must be today (20260312) or yesterday (20260311) in Seoul; older transactions cannot be queried"
        );
        assert_eq!(
            LookupDate::parse("transactionDate", "20260313", now)
                .unwrap_err()
                .to_string(),
            "transactionDate: must be today (20260312) or yesterday (20260311) in Seoul; a later date has no transactions yet"
        );
        assert!(matches!(
            LookupDate::parse("transactionDate", "2026-03-12", now)
                .unwrap_err()
                .rule,
            Rule::BadFormat { .. }
        ));
    }
}
