//! `customerInfo`: who pays, every field optional.

use serde_json::{json, Value};

/// The customer of a WeChat order, card registration or charge (`customerInfo`). Every field is
/// optional; KICC's rules apply when the request is sent, and a value that breaks one refuses the
/// whole request before anything is sent: lengths in EUC-KR bytes (name and id ≤ 20, a Hangul
/// syllable counting 2), contact number digits only (≤ 11), and text only of what EUC-KR holds,
/// without `' " < > \ ; |`. EUC-KR has Hangul, Latin letters and the Hanja of KS X 1001 but not
/// simplified Chinese: `张伟` is refused, so leave a WeChat shopper's name out, or write it in
/// Latin letters (`Zhang Wei`); `O'Brien` is refused too (`OBrien`).
///
/// ```
/// use easypay_client::Customer;
/// let customer = Customer::default().name("John Doe").mail("john@example.com");
/// assert_eq!(customer.name.as_deref(), Some("John Doe"));
/// assert_eq!(customer.contact_no, None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Customer {
    /// `customerId` (≤ 20 bytes).
    pub id: Option<String>,
    /// `customerName` (≤ 20 bytes).
    pub name: Option<String>,
    /// `customerMail`, an e-mail address (≤ 50 bytes).
    pub mail: Option<String>,
    /// `customerContactNo`, digits only (≤ 11).
    pub contact_no: Option<String>,
    /// `customerAddr` (≤ 200 bytes).
    pub addr: Option<String>,
}

impl Customer {
    /// The merchant's own customer id (`customerId`).
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// `customerName`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// `customerMail`.
    pub fn mail(mut self, mail: impl Into<String>) -> Self {
        self.mail = Some(mail.into());
        self
    }

    /// `customerContactNo`, digits only.
    pub fn contact_no(mut self, contact_no: impl Into<String>) -> Self {
        self.contact_no = Some(contact_no.into());
        self
    }

    /// `customerAddr`.
    pub fn addr(mut self, addr: impl Into<String>) -> Self {
        self.addr = Some(addr.into());
        self
    }

    pub(crate) fn to_json(&self) -> Value {
        json!({
            "customerId": self.id,
            "customerName": self.name,
            "customerMail": self.mail,
            "customerContactNo": self.contact_no,
            "customerAddr": self.addr,
        })
    }
}
