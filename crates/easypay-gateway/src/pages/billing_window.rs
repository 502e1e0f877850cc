//! The card registration window at `authPageUrl` (decision 19): `GET /billing/window/{token}`,
//! `POST …/{token}` (the card) and `POST …/{token}/cancel`.
//!
//! Cross-site form posts are refused twice over: each POST must carry the window's own random
//! form token (only its page has it), and a POST whose `Origin` is not the gateway is refused.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use easypay_api::billing::{CertType, DeviceType, LangFlag};
use easypay_api::card_input::{
    BirthDate, CardExpiry, CardField, CardNumber, CardPassword, InputError, Problem,
};
use easypay_api::ResCode;

use super::billing_text::WindowText;
use super::billing_view::{form_page, message_page, outcome, outcome_page, WindowPage};
use super::layout::path_segment;
use super::origin::from_own_site;
use crate::app::AppState;
use crate::domain::billing_registration::{Registration, RegistrationState};
use crate::http::error::ApiError;
use crate::service::registration::{self, WindowAction};
use crate::service::{card_key_guard, merchant_gate};
use crate::store::card_key_check;
use crate::vault::CardSecret;

/// The window as it stands; `?refused=cardNo.luhn,expiry.past` (where a refused card sends the
/// browser, see [`submit`]) marks those fields while the form is still open.
pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    match registration::load(&state, &token).await {
        Ok(Some(found)) => {
            if let Err(page) = accepting(&state, &found).await {
                return page.into_response();
            }
            let refused = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .find(|(name, _)| name == "refused")
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default();
            show(&found, false, &refused_from_query(&refused)).into_response()
        }
        Ok(None) => not_found().into_response(),
        Err(error) => failed(&error, LangFlag::Kor, DeviceType::Pc).into_response(),
    }
}

pub async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Form::read(&body);
    let current = match checked(&state, &token, &headers, &form).await {
        Ok(current) => current,
        Err(page) => return page.into_response(),
    };
    let now = Utc::now();
    let state_now = current.state_at(now);
    if outcome(&current, state_now).is_some() {
        // The customer pressed Register on a window that expired meanwhile: the return goes at
        // once, as after any action of theirs. A window that had already ended otherwise shows
        // where it stands, its return behind a button.
        let auto = state_now == RegistrationState::Expired;
        return show(&current, auto, &[]).into_response();
    }
    if let Err(page) = accepting(&state, &current).await {
        return page.into_response();
    }
    match card_inputs(&form, current.request.cert_type, now) {
        Ok(card) => act(&state, current, WindowAction::Complete(card)).await,
        // Post/redirect/get: the form with its errors is a page of its own, so that Back or a
        // reload shows it (or the window as it stands by then) instead of resending the card. The
        // redirect names the refused fields and why, never what was typed.
        Err(errors) => Redirect::to(&format!(
            "{}?refused={}",
            path_segment(&token),
            refused_query(&errors)
        ))
        .into_response(),
    }
}

/// `cardNo.luhn,expiry.past`: each refused field with its problem.
fn refused_query(errors: &[InputError]) -> String {
    errors
        .iter()
        .map(|error| format!("{}.{}", error.field.name(), error.problem.name()))
        .collect::<Vec<_>>()
        .join(",")
}

/// The refused fields a query names; anything it cannot read is left out.
fn refused_from_query(raw: &str) -> Vec<InputError> {
    raw.split(',')
        .filter_map(|part| {
            let (field, problem) = part.split_once('.')?;
            Some(InputError {
                field: CardField::from_name(field)?,
                problem: Problem::from_name(problem)?,
            })
        })
        .collect()
}

pub async fn cancel(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = Form::read(&body);
    match checked(&state, &token, &headers, &form).await {
        Ok(current) => act(&state, current, WindowAction::Cancel).await,
        Err(page) => page.into_response(),
    }
}

/// After the customer's own action the return to the merchant is submitted at once; if the
/// registration had moved on meanwhile, the window shows where it stands.
async fn act(state: &AppState, current: Registration, action: WindowAction) -> Response {
    let (lang, device) = (current.request.lang, current.request.device_type);
    match registration::act(state, current, &action).await {
        Ok(Ok(next)) => show(&next, true, &[]).into_response(),
        Ok(Err((current, _refused))) => show(&current, false, &[]).into_response(),
        // Deactivated between the form and the card: nothing was registered.
        Err(error) if error.code() == ResCode::MerchantInactive => {
            not_accepting(lang, device).into_response()
        }
        Err(error) => failed(&error, lang, device).into_response(),
    }
}

/// An open window of a deactivated merchant takes no card: the page says so (HTTP 403, as the
/// other refusals), in the window's language.
async fn accepting(state: &AppState, registration: &Registration) -> Result<(), WindowPage> {
    // A closed window only shows its outcome.
    if outcome(registration, registration.state_at(Utc::now())).is_some() {
        return Ok(());
    }
    let (lang, device) = (registration.request.lang, registration.request.device_type);
    let fail = |error: &ApiError| failed(error, lang, device);
    let mall_id = registration.request.mall_id.as_str();
    if !merchant_gate::is_taking_payments(&state.db, mall_id)
        .await
        .map_err(|error| fail(&error))?
    {
        return Err(not_accepting(lang, device));
    }
    // A process left on a rotated-out card key could store no card: said before one is typed.
    match holds_the_card_key(state).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(fail(&ApiError::internal(card_key_guard::ROTATED_AWAY))),
        Err(error) => Err(fail(&error)),
    }
}

async fn holds_the_card_key(state: &AppState) -> Result<bool, ApiError> {
    let mut reader = state.db.read().await?;
    Ok(card_key_check::holds_now(&mut reader, &state.vault).await?)
}

fn not_accepting(lang: LangFlag, device: DeviceType) -> WindowPage {
    message_page(
        lang,
        device,
        |text: &WindowText| &text.not_accepting,
        StatusCode::FORBIDDEN,
    )
}

/// The registration as it stands: the form while open (`refused` marked), else its outcome and
/// the way back.
fn show(registration: &Registration, auto: bool, refused: &[InputError]) -> WindowPage {
    match outcome(registration, registration.state_at(Utc::now())) {
        None => form_page(registration, refused),
        Some(outcome) => outcome_page(registration, &outcome, auto),
    }
}

/// The fields of a urlencoded form body (whatever its Content-Type claims).
struct Form(Vec<(String, String)>);

impl Form {
    fn read(body: &[u8]) -> Self {
        Form(url::form_urlencoded::parse(body).into_owned().collect())
    }

    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(field, _)| field == name)
            .map_or("", |(_, value)| value.as_str())
    }
}

/// The registration a POST is for, if the POST came from its own window.
async fn checked(
    state: &AppState,
    token: &str,
    headers: &HeaderMap,
    form: &Form,
) -> Result<Registration, WindowPage> {
    let current = match registration::load(state, token).await {
        Ok(Some(current)) => current,
        Ok(None) => return Err(not_found()),
        Err(error) => return Err(failed(&error, LangFlag::Kor, DeviceType::Pc)),
    };
    let same_origin = from_own_site(&state.settings.public_url, headers);
    if !same_origin || !same_secret(form.get("formToken"), &current.form_token) {
        tracing::warn!("refused a registration window POST from another site");
        let request = &current.request;
        return Err(message_page(
            request.lang,
            request.device_type,
            |text| &text.refused,
            StatusCode::FORBIDDEN,
        ));
    }
    Ok(current)
}

/// Compares in time independent of where the values differ.
fn same_secret(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// The card from the form, checked as `certType` asks; every refused field is reported. The
/// birth date and password are checked and dropped here: they are never stored.
fn card_inputs(
    form: &Form,
    cert_type: CertType,
    now: DateTime<Utc>,
) -> Result<CardSecret, Vec<InputError>> {
    let number = CardNumber::parse(form.get("cardNo"));
    let expiry = CardExpiry::parse(form.get("expiry"), now);
    let mut errors: Vec<InputError> = Vec::new();
    if cert_type.asks_birth_date() {
        errors.extend(BirthDate::parse(form.get("birthDate"), now).err());
    }
    if cert_type.asks_password() {
        errors.extend(CardPassword::parse(form.get("cardPassword")).err());
    }
    match (number, expiry) {
        (Ok(number), Ok(expiry)) if errors.is_empty() => Ok(CardSecret { number, expiry }),
        (number, expiry) => {
            let mut all: Vec<InputError> = number.err().into_iter().chain(expiry.err()).collect();
            all.extend(errors);
            Err(all)
        }
    }
}

/// Without a registration there is no `langFlag`: Korean, KICC's default.
fn not_found() -> WindowPage {
    message_page(
        LangFlag::Kor,
        DeviceType::Pc,
        |text: &WindowText| &text.not_found,
        StatusCode::NOT_FOUND,
    )
}

/// A fault of ours, in the window's language when the registration is known (Korean otherwise).
fn failed(error: &ApiError, lang: LangFlag, device: DeviceType) -> WindowPage {
    tracing::error!(code = %error.code(), "the registration window failed");
    message_page(
        lang,
        device,
        |text: &WindowText| &text.failed,
        StatusCode::INTERNAL_SERVER_ERROR,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use easypay_api::card_input::{CardField, Problem};

    fn form(fields: &[(&str, &str)]) -> Form {
        Form(
            fields
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
        )
    }

    #[test]
    fn every_refused_field_is_reported_in_form_order() {
        let errors = card_inputs(
            &form(&[
                ("cardNo", "5464650012345642"),
                ("expiry", "0120"),
                ("cardPassword", "1"),
            ]),
            CertType::Full,
            Utc::now(),
        )
        .unwrap_err();
        let found: Vec<(CardField, Problem)> =
            errors.iter().map(|e| (e.field, e.problem)).collect();
        assert_eq!(
            found,
            vec![
                (CardField::CardNo, Problem::Luhn),
                (CardField::Expiry, Problem::Past),
                (CardField::BirthDate, Problem::Missing),
                (CardField::CardPassword, Problem::BadShape),
            ]
        );
    }

    #[test]
    fn cert_type_2_needs_only_number_and_expiry() {
        let card = card_inputs(
            &form(&[("cardNo", "5464650012345641"), ("expiry", "1299")]),
            CertType::NumberAndExpiry,
            Utc::now(),
        )
        .unwrap();
        assert_eq!(card.number.masked(), "546465********41");
    }

    #[test]
    fn refused_fields_go_through_the_query_and_nothing_else_does() {
        let errors = vec![
            InputError {
                field: CardField::CardNo,
                problem: Problem::Luhn,
            },
            InputError {
                field: CardField::Expiry,
                problem: Problem::Past,
            },
        ];
        let query = refused_query(&errors);
        assert_eq!(query, "cardNo.luhn,expiry.past");
        assert_eq!(refused_from_query(&query), errors);
        assert_eq!(
            refused_from_query("cardNo.luhn,<script>,cardNo.nonsense,,x.y"),
            errors[..1]
        );
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abd", "abc") && !same_secret("ab", "abc"));
    }
}
