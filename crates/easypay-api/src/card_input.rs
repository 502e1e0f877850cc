//! What a customer types into the registration window (decision 19): card number, expiry, birth
//! date and the first two password digits. Their `Debug` never shows more than the masked number
//! (decision 20), so a stray `{:?}` cannot leak them.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::seoul_time::seoul;

/// The window's inputs, by their form names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardField {
    /// `cardNo`: the card number.
    CardNo,
    /// `expiry`: the expiry, `MMYY`.
    Expiry,
    /// `birthDate`: the holder's birth date, `YYMMDD` (`certType` `0` and `1`).
    BirthDate,
    /// `cardPassword`: the first two digits of the card password (`certType` `0`).
    CardPassword,
}

impl CardField {
    /// The input's form name (`name=`), stable for merchants' browser tests: `cardNo`, `expiry`,
    /// `birthDate`, `cardPassword`.
    pub fn name(self) -> &'static str {
        match self {
            CardField::CardNo => "cardNo",
            CardField::Expiry => "expiry",
            CardField::BirthDate => "birthDate",
            CardField::CardPassword => "cardPassword",
        }
    }

    /// The field of [`CardField::name`].
    pub fn from_name(name: &str) -> Option<CardField> {
        [
            CardField::CardNo,
            CardField::Expiry,
            CardField::BirthDate,
            CardField::CardPassword,
        ]
        .into_iter()
        .find(|field| field.name() == name)
    }
}

/// Why an input was refused; the window words it in the customer's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// Nothing was typed.
    Missing,
    /// Not the digits the field takes (card number 13–19 digits, MMYY, YYMMDD, 2 digits).
    BadShape,
    /// The card number fails the Luhn check: a typing mistake.
    Luhn,
    /// The expiry month is over.
    Past,
    /// The birth date is not a day of the calendar.
    Impossible,
}

impl Problem {
    const ALL: [Problem; 5] = [
        Problem::Missing,
        Problem::BadShape,
        Problem::Luhn,
        Problem::Past,
        Problem::Impossible,
    ];

    /// A short name for the problem (the card window's redirect names it).
    pub fn name(self) -> &'static str {
        match self {
            Problem::Missing => "missing",
            Problem::BadShape => "shape",
            Problem::Luhn => "luhn",
            Problem::Past => "past",
            Problem::Impossible => "impossible",
        }
    }

    /// The problem of [`Problem::name`].
    pub fn from_name(name: &str) -> Option<Problem> {
        Problem::ALL
            .into_iter()
            .find(|problem| problem.name() == name)
    }
}

/// A refused window input: which field, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputError {
    /// The input refused.
    pub field: CardField,
    /// Why it was refused.
    pub problem: Problem,
}

fn refuse<T>(field: CardField, problem: Problem) -> Result<T, InputError> {
    Err(InputError { field, problem })
}

/// Digits of `raw` once the spaces and dashes people type are removed; `None` if anything else.
fn digits(raw: &str, separators: &[char]) -> Option<String> {
    let kept: String = raw
        .chars()
        .filter(|c| !separators.contains(c) && !c.is_whitespace())
        .collect();
    kept.bytes().all(|b| b.is_ascii_digit()).then_some(kept)
}

/// A card number that passed the Luhn check.
#[derive(Clone, PartialEq, Eq)]
pub struct CardNumber(String);

impl CardNumber {
    /// 13 to 19 digits once spaces and `-` are removed ([`Problem::BadShape`]), with a right Luhn
    /// check digit ([`Problem::Luhn`]); blank is [`Problem::Missing`].
    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let field = CardField::CardNo;
        if raw.trim().is_empty() {
            return refuse(field, Problem::Missing);
        }
        let Some(number) = digits(raw, &['-']) else {
            return refuse(field, Problem::BadShape);
        };
        if !(13..=19).contains(&number.len()) {
            return refuse(field, Problem::BadShape);
        }
        if !luhn_valid(&number) {
            return refuse(field, Problem::Luhn);
        }
        Ok(CardNumber(number))
    }

    /// The digits, for encryption only.
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// The first six digits (the issuer's BIN).
    pub fn bin(&self) -> &str {
        &self.0[..6]
    }

    /// `cardMaskNo` (decision 20): the first 6 and last 2 digits, `*` between.
    pub fn masked(&self) -> String {
        let len = self.0.len();
        format!(
            "{}{}{}",
            &self.0[..6],
            "*".repeat(len - 8),
            &self.0[len - 2..]
        )
    }
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardNumber({})", self.masked())
    }
}

/// The Luhn (mod 10) check every card number carries in its last digit.
pub fn luhn_valid(number: &str) -> bool {
    let sum: u32 = number
        .bytes()
        .rev()
        .enumerate()
        .map(|(index, byte)| {
            let digit = u32::from(byte - b'0');
            match (index % 2, digit * 2) {
                (0, _) => digit,
                (_, doubled) if doubled > 9 => doubled - 9,
                (_, doubled) => doubled,
            }
        })
        .sum();
    sum % 10 == 0
}

/// A card's expiry: valid through the last day of `month`/`year`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CardExpiry {
    month: u32,
    year: i32,
}

impl CardExpiry {
    /// `MMYY` (a `/` between is tolerated), not before this month in Seoul.
    pub fn parse(raw: &str, now: DateTime<Utc>) -> Result<Self, InputError> {
        let field = CardField::Expiry;
        if raw.trim().is_empty() {
            return refuse(field, Problem::Missing);
        }
        let expiry = match digits(raw, &['/']) {
            Some(text) if text.len() == 4 => {
                let month: u32 = text[..2].parse().unwrap_or(0);
                let year = 2000 + text[2..].parse::<i32>().unwrap_or(0);
                CardExpiry { month, year }
            }
            _ => return refuse(field, Problem::BadShape),
        };
        if !(1..=12).contains(&expiry.month) {
            return refuse(field, Problem::BadShape);
        }
        if expiry.is_past(now) {
            return refuse(field, Problem::Past);
        }
        Ok(expiry)
    }

    /// Whether the card's last valid month is over at `now` (Seoul time).
    pub fn is_past(self, now: DateTime<Utc>) -> bool {
        let today = now.with_timezone(&seoul()).date_naive();
        (self.year, self.month) < (today.year(), today.month())
    }

    /// `MMYY`, for encryption only.
    pub fn mmyy(self) -> String {
        format!("{:02}{:02}", self.month, self.year % 100)
    }

    /// Reads back a stored `MMYY` (written by [`CardExpiry::mmyy`]).
    pub fn from_mmyy(text: &str) -> Option<Self> {
        let month: u32 = text.get(..2)?.parse().ok()?;
        let year = 2000 + text.get(2..4)?.parse::<i32>().ok()?;
        (text.len() == 4 && (1..=12).contains(&month)).then_some(CardExpiry { month, year })
    }
}

impl fmt::Debug for CardExpiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CardExpiry(**/**)")
    }
}

/// The card holder's birth date (`YYMMDD`): checked, never stored.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BirthDate(NaiveDate);

impl BirthDate {
    /// `YYMMDD` of a real day; the century is the one that puts the day in the past.
    pub fn parse(raw: &str, now: DateTime<Utc>) -> Result<Self, InputError> {
        let field = CardField::BirthDate;
        if raw.trim().is_empty() {
            return refuse(field, Problem::Missing);
        }
        let text = raw.trim();
        if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return refuse(field, Problem::BadShape);
        }
        let number = |range: std::ops::Range<usize>| text[range].parse::<u32>().unwrap_or(0);
        let (yy, month, day) = (number(0..2) as i32, number(2..4), number(4..6));
        let today = now.with_timezone(&seoul()).date_naive();
        let recent = NaiveDate::from_ymd_opt(2000 + yy, month, day).filter(|date| *date <= today);
        match recent.or_else(|| NaiveDate::from_ymd_opt(1900 + yy, month, day)) {
            Some(date) => Ok(BirthDate(date)),
            None => refuse(field, Problem::Impossible),
        }
    }
}

impl fmt::Debug for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BirthDate(******)")
    }
}

/// The first two digits of the card password: checked, never stored.
#[derive(Clone, PartialEq, Eq)]
pub struct CardPassword(String);

impl CardPassword {
    /// Exactly 2 ASCII digits ([`Problem::BadShape`]); empty is [`Problem::Missing`].
    pub fn parse(raw: &str) -> Result<Self, InputError> {
        let field = CardField::CardPassword;
        if raw.is_empty() {
            return refuse(field, Problem::Missing);
        }
        if raw.len() != 2 || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return refuse(field, Problem::BadShape);
        }
        Ok(CardPassword(raw.to_owned()))
    }
}

impl fmt::Debug for CardPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CardPassword(**)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn problem<T: fmt::Debug>(result: Result<T, InputError>) -> Problem {
        result.unwrap_err().problem
    }

    #[test]
    fn card_numbers_need_digits_and_a_good_check_digit() {
        let card = CardNumber::parse("5464 6500-1234 5641").unwrap();
        assert_eq!(card.digits(), "5464650012345641");
        assert_eq!(card.masked(), "546465********41");
        assert_eq!(card.bin(), "546465");
        assert_eq!(format!("{card:?}"), "CardNumber(546465********41)");
        assert_eq!(
            problem(CardNumber::parse("5464650012345642")),
            Problem::Luhn
        );
        assert_eq!(
            problem(CardNumber::parse("5464x50012345641")),
            Problem::BadShape
        );
        assert_eq!(
            problem(CardNumber::parse("123456789012")),
            Problem::BadShape
        );
        assert_eq!(problem(CardNumber::parse("  ")), Problem::Missing);
        assert!(CardNumber::parse("378282246310005").is_ok());
    }

    #[test]
    fn expiry_is_mmyy_and_not_over() {
        // 2026-03-31 23:30 in Seoul.
        let now = at("2026-03-31T14:30:00Z");
        assert_eq!(CardExpiry::parse("0326", now).unwrap().mmyy(), "0326");
        assert_eq!(CardExpiry::parse("03/26", now).unwrap().mmyy(), "0326");
        assert_eq!(problem(CardExpiry::parse("0226", now)), Problem::Past);
        assert_eq!(problem(CardExpiry::parse("1325", now)), Problem::BadShape);
        assert_eq!(problem(CardExpiry::parse("326", now)), Problem::BadShape);
        // 2026-04-01 00:30 in Seoul: March is over.
        assert!(CardExpiry::parse("0326", at("2026-03-31T15:30:00Z")).is_err());
        let stored = CardExpiry::from_mmyy("1230").unwrap();
        assert!(!stored.is_past(now) && stored.is_past(at("2031-01-01T00:00:00Z")));
        assert_eq!(CardExpiry::from_mmyy("1330"), None);
    }

    #[test]
    fn birth_dates_are_real_days() {
        let now = at("2026-03-12T03:00:00Z");
        assert!(BirthDate::parse("900101", now).is_ok());
        assert!(BirthDate::parse("000229", now).is_ok());
        assert!(BirthDate::parse("260312", now).is_ok());
        // Later this year cannot be a birthday yet: read as 1926.
        assert_eq!(
            BirthDate::parse("261225", now).unwrap().0.to_string(),
            "1926-12-25"
        );
        assert_eq!(
            problem(BirthDate::parse("990230", now)),
            Problem::Impossible
        );
        assert_eq!(
            problem(BirthDate::parse("011301", now)),
            Problem::Impossible
        );
        assert_eq!(
            problem(BirthDate::parse("010229", now)),
            Problem::Impossible
        );
        assert_eq!(problem(BirthDate::parse("9001", now)), Problem::BadShape);
        assert_eq!(
            format!("{:?}", BirthDate::parse("900101", now).unwrap()),
            "BirthDate(******)"
        );
    }

    #[test]
    fn passwords_are_two_digits() {
        assert!(CardPassword::parse("12").is_ok());
        assert_eq!(problem(CardPassword::parse("1")), Problem::BadShape);
        assert_eq!(problem(CardPassword::parse("123")), Problem::BadShape);
        assert_eq!(problem(CardPassword::parse("1a")), Problem::BadShape);
        assert_eq!(problem(CardPassword::parse("")), Problem::Missing);
        assert_eq!(
            format!("{:?}", CardPassword::parse("12").unwrap()),
            "CardPassword(**)"
        );
    }
}
