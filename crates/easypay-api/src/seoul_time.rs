//! EasyPay times are Korea Standard Time (UTC+9, no daylight saving): `yyyyMMddHHmmss` timestamps
//! and `yyyyMMdd` dates.

use chrono::{DateTime, Days, FixedOffset, NaiveTime, TimeZone, Utc};

pub fn seoul() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("+09:00 is a valid offset")
}

/// `yyyyMMddHHmmss` in Seoul time.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.with_timezone(&seoul())
        .format("%Y%m%d%H%M%S")
        .to_string()
}

/// `yyyyMMdd` in Seoul time.
pub fn date(at: DateTime<Utc>) -> String {
    at.with_timezone(&seoul()).format("%Y%m%d").to_string()
}

/// The first midnight in Seoul strictly after `at`: when an idempotency key stops counting.
pub fn next_midnight(at: DateTime<Utc>) -> DateTime<Utc> {
    let local_day = at.with_timezone(&seoul()).date_naive();
    let next_day = local_day
        .checked_add_days(Days::new(1))
        .expect("dates this far out are not reachable");
    seoul()
        .from_local_datetime(&next_day.and_time(NaiveTime::MIN))
        .single()
        .expect("a fixed offset has no ambiguous local times")
        .with_timezone(&Utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn formats_in_seoul_time() {
        let at = utc("2023-03-11T15:05:12Z");
        assert_eq!(timestamp(at), "20230312000512");
        assert_eq!(date(at), "20230312");
    }

    #[test]
    fn next_midnight_is_seoul_midnight() {
        // 23:59:59 in Seoul on the 12th: the key lasts one more second.
        assert_eq!(
            next_midnight(utc("2023-03-12T14:59:59Z")),
            utc("2023-03-12T15:00:00Z")
        );
        // Exactly midnight in Seoul starts a new day that lasts until the next midnight.
        assert_eq!(
            next_midnight(utc("2023-03-12T15:00:00Z")),
            utc("2023-03-13T15:00:00Z")
        );
    }
}
