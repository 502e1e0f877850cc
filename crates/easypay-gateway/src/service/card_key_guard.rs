//! Card data is stored only under the database's current card key (docs/cards.md §9).

use crate::http::error::ApiError;
use crate::store::{card_key_check, Backend, Conn};
use crate::vault::CardVault;

/// Why a process still on a rotated-out key stores no card data (logged with the `E500`).
pub const ROTATED_AWAY: &str = "this database's card key was rotated (`easypay card-key rotate`) \
    and this process still holds the old one: restart it with the new key";

/// Refuses, inside the transaction about to store card data sealed by `vault`, if `vault` no
/// longer holds the database's key: such data could not be opened by any up-to-date process.
pub async fn refuse_a_rotated_key(
    conn: &mut Conn,
    backend: Backend,
    vault: &CardVault,
) -> Result<(), ApiError> {
    if card_key_check::still_holds(conn, backend, vault).await? {
        Ok(())
    } else {
        Err(ApiError::internal(ROTATED_AWAY))
    }
}
