//! Rows a batch inserts together (PostgreSQL): instead of one statement per row, a section in a
//! shared batch leaves its new rows here, and before the batch commits each table gets **one**
//! multi-row `INSERT … ON CONFLICT … RETURNING`. A row that was not inserted (its order number, key
//! or identifier already taken, possibly by another row of the same batch) marks its section as
//! conflicted: the batch is rolled back and that section runs again alone, the careful way, with a
//! statement per row as before (see [`super::batch`]).
//!
//! A section may also leave the check that its merchant is active (a create or a `find` for a
//! merchant last found active, see [`crate::service::merchant_gate::SeenActive`]): one `SELECT`
//! checks every section's merchant before the inserts, and a section whose merchant is not active
//! is sent back the same way, to be refused alone (`M001`, `M002`).
//!
//! Only rows whose insertion the section does not need to read back before it answers are
//! deferred: a section answers as if its rows went in, and the flush proves it or sends it back.
//! Nothing else in the batch can depend on them, because nobody outside knows the new identifiers
//! (a `pgCno`, a page token) before the batch commits and answers.

use std::collections::HashSet;

use sqlx::any::AnyArguments;
use sqlx::{Arguments, Row};

use super::Conn;

/// A table that takes deferred rows, and how it settles a row that is already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// `order_numbers`: a taken number is a conflict (decision 15).
    OrderNumbers,
    /// `payments`: a taken `pgCno`, page token or order number is a conflict.
    Payments,
    /// `idempotency_keys`: a key still in its day is a conflict; a key whose day is over is reused.
    IdempotencyKeys,
}

impl Table {
    /// Inserted in this order, the order a section's own statements would have run in.
    const ALL: [Table; 3] = [Table::OrderNumbers, Table::Payments, Table::IdempotencyKeys];

    fn insert_into(self) -> &'static str {
        match self {
            Table::OrderNumbers => super::order_numbers::INSERT_INTO,
            Table::Payments => super::payments::INSERT_INTO,
            Table::IdempotencyKeys => super::idempotency::INSERT_INTO,
        }
    }

    fn on_conflict(self) -> &'static str {
        match self {
            Table::OrderNumbers => "ON CONFLICT DO NOTHING RETURNING mall_id, scope, shop_order_no",
            Table::Payments => "ON CONFLICT DO NOTHING RETURNING pg_cno",
            Table::IdempotencyKeys => super::idempotency::ON_CONFLICT_REUSE_EXPIRED_RETURNING,
        }
    }
}

/// One value of a deferred row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    OptionalText(Option<String>),
    Integer(i64),
    OptionalInteger(Option<i64>),
}

/// A row waiting for its table's statement: `identity` is the text of the columns the statement
/// returns, in order, which tells whether it went in.
#[derive(Debug)]
struct PendingRow {
    section: usize,
    identity: Vec<String>,
    values: Vec<Value>,
}

/// The rows a batch's sections left, by table, and the merchants they need active.
#[derive(Debug, Default)]
pub struct DeferredRows {
    rows: Vec<(Table, PendingRow)>,
    merchants: Vec<(usize, String)>,
}

impl DeferredRows {
    /// The section's request is for `mall_id`, which must name an active merchant.
    pub fn require_active_merchant(&mut self, section: usize, mall_id: &str) {
        self.merchants.push((section, mall_id.to_owned()));
    }

    pub fn push(
        &mut self,
        table: Table,
        section: usize,
        identity: Vec<String>,
        values: Vec<Value>,
    ) {
        self.rows.push((
            table,
            PendingRow {
                section,
                identity,
                values,
            },
        ));
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty() && self.merchants.is_empty()
    }

    /// Checks the merchants in one statement, then inserts every row, a statement per table, and
    /// returns the sections (ascending) whose merchant is not active or with a row that did not go
    /// in. With any, the transaction must not commit.
    pub async fn flush(self, conn: &mut Conn) -> Result<Vec<usize>, sqlx::Error> {
        let mut conflicted = inactive_merchants(conn, self.merchants).await?;
        if !conflicted.is_empty() {
            // The batch is rolled back: its rows need not be inserted.
            conflicted.sort_unstable();
            conflicted.dedup();
            return Ok(conflicted);
        }
        let mut rows = self.rows;
        for table in Table::ALL {
            let (of_table, rest): (Vec<_>, Vec<_>) = rows
                .into_iter()
                .partition(|(row_table, _)| *row_table == table);
            rows = rest;
            let pending: Vec<PendingRow> = of_table.into_iter().map(|(_, row)| row).collect();
            conflicted.extend(insert_together(conn, table, pending).await?);
        }
        conflicted.sort_unstable();
        conflicted.dedup();
        Ok(conflicted)
    }
}

/// The sections whose merchant is unknown or deactivated, found in one statement.
async fn inactive_merchants(
    conn: &mut Conn,
    merchants: Vec<(usize, String)>,
) -> Result<Vec<usize>, sqlx::Error> {
    if merchants.is_empty() {
        return Ok(Vec::new());
    }
    let mut mall_ids: Vec<&str> = merchants
        .iter()
        .map(|(_, mall_id)| mall_id.as_str())
        .collect();
    mall_ids.sort_unstable();
    mall_ids.dedup();
    let sql = format!(
        "SELECT mall_id FROM merchants WHERE active <> 0 AND mall_id IN ({})",
        placeholders(0, mall_ids.len())
    );
    let values: Vec<Value> = mall_ids
        .iter()
        .map(|mall_id| Value::Text((*mall_id).to_owned()))
        .collect();
    let active: HashSet<String> = sqlx::query_with(&sql, arguments(&values)?)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| row.try_get::<String, _>(0))
        .collect::<Result<_, _>>()?;
    Ok(merchants
        .into_iter()
        .filter(|(_, mall_id)| !active.contains(mall_id))
        .map(|(section, _)| section)
        .collect())
}

/// One multi-row statement for `rows`; returns the sections whose row did not go in.
async fn insert_together(
    conn: &mut Conn,
    table: Table,
    rows: Vec<PendingRow>,
) -> Result<Vec<usize>, sqlx::Error> {
    let (mut rows, mut conflicted) = first_of_each_identity(rows);
    if rows.is_empty() {
        return Ok(conflicted);
    }
    // Every flush takes the unique-index entries it inserts in the same order, so two batches
    // inserting the same keys wait for each other instead of deadlocking.
    rows.sort_by(|a, b| a.identity.cmp(&b.identity));
    let columns = rows[0].values.len();
    let tuples: Vec<String> = (0..rows.len())
        .map(|index| format!("({})", placeholders(index * columns, columns)))
        .collect();
    let sql = format!(
        "{} VALUES {} {}",
        table.insert_into(),
        tuples.join(", "),
        table.on_conflict()
    );
    let values: Vec<Value> = rows
        .iter()
        .flat_map(|row| {
            debug_assert_eq!(
                row.values.len(),
                columns,
                "a table's rows have the same columns"
            );
            row.values.iter().cloned()
        })
        .collect();
    let arguments = arguments(&values)?;
    let returned = sqlx::query_with(&sql, arguments)
        .fetch_all(&mut *conn)
        .await?;
    let mut inserted = HashSet::with_capacity(returned.len());
    for row in returned {
        let identity = (0..row.len())
            .map(|column| row.try_get::<String, _>(column))
            .collect::<Result<Vec<_>, _>>()?;
        inserted.insert(identity);
    }
    conflicted.extend(
        rows.into_iter()
            .filter(|row| !inserted.contains(&row.identity))
            .map(|row| row.section),
    );
    Ok(conflicted)
}

/// `$n` placeholders for `count` columns after the first `before`: `$3, $4` for (2, 2).
pub fn placeholders(before: usize, count: usize) -> String {
    (before + 1..=before + count)
        .map(|number| format!("${number}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The values bound in order.
pub fn arguments(values: &[Value]) -> Result<AnyArguments<'static>, sqlx::Error> {
    let mut arguments = AnyArguments::default();
    for value in values {
        match value {
            Value::Text(text) => arguments.add(text.clone()),
            Value::OptionalText(text) => arguments.add(text.clone()),
            Value::Integer(number) => arguments.add(*number),
            Value::OptionalInteger(number) => arguments.add(*number),
        }
        .map_err(sqlx::Error::Encode)?;
    }
    Ok(arguments)
}

/// Keeps the first row of each identity; the sections of the others conflict (one statement cannot
/// insert a row twice, and PostgreSQL refuses to update one row twice).
fn first_of_each_identity(rows: Vec<PendingRow>) -> (Vec<PendingRow>, Vec<usize>) {
    let mut seen = HashSet::with_capacity(rows.len());
    let mut conflicted = Vec::new();
    let mut kept = Vec::with_capacity(rows.len());
    for row in rows {
        if seen.insert(row.identity.clone()) {
            kept.push(row);
        } else {
            conflicted.push(row.section);
        }
    }
    (kept, conflicted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(section: usize, identity: &str) -> PendingRow {
        PendingRow {
            section,
            identity: vec![identity.to_owned()],
            values: vec![Value::Text(identity.to_owned())],
        }
    }

    #[test]
    fn placeholders_number_on_from_the_columns_before() {
        assert_eq!(placeholders(0, 3), "$1, $2, $3");
        assert_eq!(placeholders(4, 2), "$5, $6");
    }

    #[test]
    fn a_second_row_with_the_same_identity_conflicts() {
        let (kept, conflicted) =
            first_of_each_identity(vec![row(0, "a"), row(1, "b"), row(2, "a"), row(3, "a")]);
        let kept: Vec<usize> = kept.iter().map(|row| row.section).collect();
        assert_eq!(kept, [0, 1]);
        assert_eq!(conflicted, [2, 3]);
    }
}
