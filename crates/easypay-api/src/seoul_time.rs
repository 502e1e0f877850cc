//! EasyPay times are Korea Standard Time (UTC+9, no daylight saving): `yyyyMMddHHmmss` timestamps
//! and `yyyyMMdd` dates.

use chrono::{DateTime, Days, FixedOffset, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};

/// Korea Standard Time, UTC+09:00.
pub fn seoul() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("+09:00 is a valid offset")
}

/// `yyyyMMddHHmmss` in Seoul time.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.with_timezone(&seoul())
        .format("%Y%m%d%H%M%S")
        .to_string()
}

/// RFC 3339 in Seoul time (`2026-12-08T09:15:02.123+09:00`): the times the gateway's own APIs and
/// tools show, beside KICC's `yyyyMMddHHmmss` ones.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.with_timezone(&seoul())
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}

/// `yyyyMMdd` in Seoul time.
pub fn date(at: DateTime<Utc>) -> String {
    at.with_timezone(&seoul()).format("%Y%m%d").to_string()
}

/// How long after midnight yesterday's date still counts as a request date (decision 5).
pub const YESTERDAY_GRACE_MINUTES: u32 = 10;

/// The first midnight in Seoul strictly after `at`.
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

/// When a key first used at `at` stops counting: the end of the grace after the next midnight in
/// Seoul. KICC keeps keys for the day (decision 9); a retry sent just after midnight may still
/// carry that day's request date (decision 5), so it must still find its key and replay its
/// answer instead of acting a second time.
pub fn key_expiry(at: DateTime<Utc>) -> DateTime<Utc> {
    next_midnight(at) + chrono::Duration::minutes(i64::from(YESTERDAY_GRACE_MINUTES))
}

/// Decision 5: a request date (`approvalReqDate`, `cancelReqDate`, `removeReqDate`) must be
/// today in Seoul, or yesterday during the first 10 minutes after midnight.
pub fn is_valid_request_date(raw: &str, now: DateTime<Utc>) -> bool {
    let Ok(given) = NaiveDate::parse_from_str(raw, "%Y%m%d") else {
        return false;
    };
    let local = now.with_timezone(&seoul());
    let today = local.date_naive();
    let just_after_midnight = local.hour() == 0 && local.minute() < YESTERDAY_GRACE_MINUTES;
    given == today || (just_after_midnight && today.pred_opt() == Some(given))
}

/// `yyyyMMdd` of a request date: eight digits forming a real calendar date.
pub fn is_date(raw: &str) -> bool {
    raw.len() == 8 && NaiveDate::parse_from_str(raw, "%Y%m%d").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_dates_are_today_or_yesterday_just_after_midnight() {
        // 00:05 in Seoul on 2023-03-12.
        let just_after = utc("2023-03-11T15:05:00Z");
        assert!(is_valid_request_date("20230312", just_after));
        assert!(is_valid_request_date("20230311", just_after));
        assert!(!is_valid_request_date("20230310", just_after));
        // 00:10 in Seoul: yesterday no longer counts.
        let later = utc("2023-03-11T15:10:00Z");
        assert!(!is_valid_request_date("20230311", later));
        assert!(!is_valid_request_date("20230313", later));
        assert!(!is_valid_request_date("2023-03-12", later));
        assert!(is_date("20240229") && !is_date("20230229") && !is_date("2023031"));
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn keys_count_until_the_grace_after_midnight_ends() {
        // 23:59 in Seoul on 2023-03-11: the key counts until 00:10 on 2023-03-12.
        assert_eq!(
            key_expiry(utc("2023-03-11T14:59:00Z")),
            utc("2023-03-11T15:10:00Z")
        );
        // 00:05 on 2023-03-12: until 00:10 on 2023-03-13.
        assert_eq!(
            key_expiry(utc("2023-03-11T15:05:00Z")),
            utc("2023-03-12T15:10:00Z")
        );
    }

    #[test]
    fn formats_in_seoul_time() {
        let at = utc("2023-03-11T15:05:12Z");
        assert_eq!(timestamp(at), "20230312000512");
        assert_eq!(date(at), "20230312");
    }

    #[test]
    fn next_midnight_is_seoul_midnight() {
        // 23:59:59 in Seoul on the 12th: midnight is one second away.
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
