//! Checks every answer passes before the SDK hands it over: the echoes are what was sent, and
//! signed answers carry a valid `msgAuthValue`.

use easypay_api::msg_auth;

use easypay_api::FieldError;

use crate::error::{Error, Integrity};

/// An echoed field must be what was sent; an absent or empty echo is accepted (KICC does not
/// promise all, and answers read an absent one as `""`).
pub(crate) fn echo(field: &'static str, sent: &str, got: Option<&str>) -> Result<(), Error> {
    match got {
        Some(got) if !got.is_empty() && got != sent => {
            Err(Error::untrusted(Integrity::EchoMismatch {
                field,
                sent: sent.to_owned(),
                got: got.to_owned(),
            }))
        }
        _ => Ok(()),
    }
}

/// A field a success answer must carry.
pub(crate) fn present<T>(field: &'static str, value: Option<T>) -> Result<T, Error> {
    value.ok_or_else(|| Error::untrusted(Integrity::MissingField(field)))
}

/// The transaction fields a signed answer (billing-key issuance, charge) must carry.
pub(crate) struct Signed<'a> {
    pub(crate) pg_cno: Option<&'a str>,
    pub(crate) amount: Option<u64>,
    pub(crate) transaction_date: Option<&'a str>,
    pub(crate) msg_auth_value: Option<&'a str>,
}

/// `msgAuthValue` must be the HMAC-SHA256 of `pgCno|amount|transactionDate` with the merchant's
/// secret key (kicc-api §1.4): anything else is a forged or altered answer.
pub(crate) fn signature(secret_key: &str, signed: &Signed<'_>) -> Result<(), Error> {
    let given = signed
        .msg_auth_value
        .ok_or_else(|| Error::untrusted(Integrity::MissingMsgAuthValue))?;
    let pg_cno = present("pgCno", signed.pg_cno)?;
    let amount = present("amount", signed.amount)?.to_string();
    let date = present("transactionDate", signed.transaction_date)?;
    if msg_auth::verify(secret_key, &[pg_cno, &amount, date], given) {
        Ok(())
    } else {
        Err(Error::untrusted(Integrity::BadMsgAuthValue))
    }
}

/// A value of an answer read under a request field's rule: one that breaks it makes the answer
/// unreadable (the request was sent; nothing about it was invalid).
pub(crate) fn answer_field<T>(read: Result<T, FieldError>) -> Result<T, Error> {
    read.map_err(|error| Error::Decode {
        status: 200,
        message: format!("the answer's {error}"),
        shop_transaction_id: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed<'a>(amount: u64, value: &'a str) -> Signed<'a> {
        Signed {
            pg_cno: Some("26031200000012345678"),
            amount: Some(amount),
            transaction_date: Some("20260312000000"),
            msg_auth_value: Some(value),
        }
    }

    #[test]
    fn a_valid_signature_passes_and_any_change_fails() {
        let value = msg_auth::sign(
            "secret",
            &["26031200000012345678", "9900", "20260312000000"],
        );
        assert!(signature("secret", &signed(9900, &value)).is_ok());
        assert!(matches!(
            signature("secret", &signed(9901, &value)),
            Err(Error::Integrity {
                problem: Integrity::BadMsgAuthValue,
                ..
            })
        ));
        assert!(signature("other", &signed(9900, &value)).is_err());
        let mut unsigned = signed(9900, &value);
        unsigned.msg_auth_value = None;
        assert!(matches!(
            signature("secret", &unsigned),
            Err(Error::Integrity {
                problem: Integrity::MissingMsgAuthValue,
                ..
            })
        ));
    }

    #[test]
    fn echoes_must_match_when_present() {
        assert!(echo("mallId", "T5102001", None).is_ok());
        assert!(echo("mallId", "T5102001", Some("")).is_ok());
        assert!(echo("mallId", "T5102001", Some("T5102001")).is_ok());
        assert!(echo("mallId", "T5102001", Some("T0000000")).is_err());
    }
}
