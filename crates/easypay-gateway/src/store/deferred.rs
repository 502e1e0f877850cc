//! Rows a batch inserts together (PostgreSQL): instead of one statement per row, a section in a
//! shared batch leaves its new rows here, and before the batch commits each table gets **one**
//! multi-row `INSERT … ON CONFLICT … RETURNING`, all of them (and the merchants' check) parts of
//! one `WITH` statement: one round trip for the batch's rows. A row that was not inserted (its
//! order number, key or identifier already taken, possibly by another row of the same batch) marks
//! its section as conflicted: the batch is rolled back and that section runs again alone, the
//! careful way, with a statement per row as before (see [`super::batch`]).
//!
//! A section may also leave the check that its merchant is active (a create or a `find` for a
//! merchant last found active, see [`crate::service::merchant_gate::SeenActive`]): one `SELECT`,
//! the statement's first part, checks every section's merchant, and a section whose merchant is
//! not active is sent back the same way, to be refused alone (`M001`, `M002`).
//!
//! Only rows whose insertion the section does not need to read back before it answers are
//! deferred: a section answers as if its rows went in, and the flush proves it or sends it back.
//! Nothing else in the batch can depend on them, because nobody outside knows the new identifiers
//! (a `pgCno`, a page token) before the batch commits and answers.

use std::collections::HashSet;
use std::fmt::Write;
use std::sync::OnceLock;

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
    /// `idempotency_keys`: a key already there is a conflict (reused after its day by `claim`).
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

    /// The insert of `tuples`; `claims` names the part of the same statement that claimed the
    /// batch's order numbers, if any.
    fn insert(self, tuples: &str, claims: Option<&str>) -> String {
        match (self, claims) {
            (Table::Payments, Some(claims)) => super::payments::insert_claimed(tuples, claims),
            (Table::OrderNumbers | Table::Payments | Table::IdempotencyKeys, _) => format!(
                "{} VALUES {tuples} {}",
                self.insert_into(),
                self.on_conflict()
            ),
        }
    }

    fn on_conflict(self) -> &'static str {
        match self {
            Table::OrderNumbers => {
                "ON CONFLICT DO NOTHING RETURNING mall_id AS c0, scope AS c1, shop_order_no AS c2"
            }
            Table::Payments => "ON CONFLICT DO NOTHING RETURNING pg_cno AS c0",
            Table::IdempotencyKeys => super::idempotency::ON_CONFLICT_KEEP_RETURNING,
        }
    }

    /// How many columns [`Table::on_conflict`] returns: a row's identity.
    fn returned_columns(self) -> usize {
        match self {
            Table::OrderNumbers | Table::IdempotencyKeys => 3,
            Table::Payments => 1,
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

    /// Checks the merchants and inserts every row, a multi-row `INSERT` per table, all in **one**
    /// statement (one round trip, where a statement each took four), and returns the sections
    /// (ascending) whose merchant is not active or with a row that did not go in. With any, the
    /// transaction must not commit (its rows are then rolled back with it).
    pub async fn flush(self, conn: &mut Conn) -> Result<Vec<usize>, sqlx::Error> {
        let mut conflicted = Vec::new();
        let mut parts: Vec<Part> = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        if !self.merchants.is_empty() {
            parts.push(active_merchants(self.merchants, &mut values));
        }
        let mut rows = self.rows;
        let mut claims_part: Option<usize> = None;
        for table in Table::ALL {
            let (of_table, rest): (Vec<_>, Vec<_>) = rows
                .into_iter()
                .partition(|(row_table, _)| *row_table == table);
            rows = rest;
            // A section already sent back needs none of its other rows inserted.
            let pending: Vec<PendingRow> = of_table
                .into_iter()
                .map(|(_, row)| row)
                .filter(|row| !conflicted.contains(&row.section))
                .collect();
            let (kept, duplicates) = first_of_each_identity(pending);
            conflicted.extend(duplicates);
            if kept.is_empty() {
                continue;
            }
            let claims = claims_part.map(|part| format!("p{part}"));
            if table == Table::OrderNumbers {
                claims_part = Some(parts.len());
            }
            parts.push(insert_together(table, kept, &mut values, claims.as_deref()));
        }
        if parts.is_empty() {
            return Ok(conflicted);
        }
        let returned = sqlx::query_with(&statement(&parts), arguments(&values)?)
            .fetch_all(&mut *conn)
            .await?;
        let mut found: Vec<HashSet<Vec<String>>> = vec![HashSet::new(); parts.len()];
        for row in returned {
            let part = usize::try_from(row.try_get::<i32, _>(0)?).unwrap_or(usize::MAX);
            let Some(of_part) = parts.get(part) else {
                return Err(sqlx::Error::Protocol(format!("flush: no part {part}")));
            };
            let identity = (1..=of_part.identity_columns)
                .map(|column| row.try_get::<String, _>(column))
                .collect::<Result<Vec<_>, _>>()?;
            found[part].insert(identity);
        }
        for (part, found) in parts.into_iter().zip(found) {
            conflicted.extend(part.missing(&found));
        }
        conflicted.sort_unstable();
        conflicted.dedup();
        Ok(conflicted)
    }
}

/// One part of the flush's statement: a `WITH` query whose rows name what it found or inserted,
/// and the sections that need a given row among them.
struct Part {
    /// `SELECT …` or `INSERT … RETURNING …`.
    query: String,
    /// The text columns it returns.
    identity_columns: usize,
    /// Each section with the identity it needs returned.
    expected: Vec<(usize, Vec<String>)>,
}

impl Part {
    /// The sections whose identity was not returned.
    fn missing<'a>(self, found: &'a HashSet<Vec<String>>) -> impl Iterator<Item = usize> + 'a {
        self.expected
            .into_iter()
            .filter(|(_, identity)| !found.contains(identity))
            .map(|(section, _)| section)
    }
}

/// `WITH p0 AS (…), p1 AS (…) SELECT 0, … FROM p0 UNION ALL SELECT 1, … FROM p1`: every part's
/// rows, each tagged with its part and padded to the widest part's columns. The parts run in order
/// (the merchants first, then the tables in [`Table::ALL`]'s order), as the statements they
/// replace did.
fn statement(parts: &[Part]) -> String {
    let width = parts
        .iter()
        .map(|part| part.identity_columns)
        .max()
        .unwrap_or(0);
    let with: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(index, part)| format!("p{index} AS ({})", part.query))
        .collect();
    let selects: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(index, part)| {
            let columns: Vec<String> = (0..width)
                .map(|column| {
                    if column < part.identity_columns {
                        format!("CAST(c{column} AS TEXT)")
                    } else {
                        "CAST(NULL AS TEXT)".to_owned()
                    }
                })
                .collect();
            format!(
                "SELECT CAST({index} AS INTEGER), {} FROM p{index}",
                columns.join(", ")
            )
        })
        .collect();
    format!("WITH {} {}", with.join(", "), selects.join(" UNION ALL "))
}

/// The part that finds which of the sections' merchants are active.
fn active_merchants(merchants: Vec<(usize, String)>, values: &mut Vec<Value>) -> Part {
    let mut mall_ids: Vec<&str> = merchants
        .iter()
        .map(|(_, mall_id)| mall_id.as_str())
        .collect();
    mall_ids.sort_unstable();
    mall_ids.dedup();
    let query = format!(
        "SELECT mall_id AS c0 FROM merchants WHERE active <> 0 AND mall_id IN ({})",
        placeholders(values.len(), mall_ids.len())
    );
    values.extend(
        mall_ids
            .iter()
            .map(|mall_id| Value::Text((*mall_id).to_owned())),
    );
    Part {
        query,
        identity_columns: 1,
        expected: merchants
            .into_iter()
            .map(|(section, mall_id)| (section, vec![mall_id]))
            .collect(),
    }
}

/// The part that inserts `rows` (one identity each) into `table` in one multi-row statement;
/// `claims` names the part that claimed the batch's order numbers, if any.
fn insert_together(
    table: Table,
    mut rows: Vec<PendingRow>,
    values: &mut Vec<Value>,
    claims: Option<&str>,
) -> Part {
    // Every flush takes the unique-index entries it inserts in the same order, so two batches
    // inserting the same keys wait for each other instead of deadlocking.
    rows.sort_by(|a, b| a.identity.cmp(&b.identity));
    let columns = rows[0].values.len();
    let tuples: Vec<String> = rows
        .iter()
        .map(|row| {
            debug_assert_eq!(
                row.values.len(),
                columns,
                "a table's rows have the same columns"
            );
            let tuple = format!("({})", placeholders(values.len(), columns));
            values.extend(row.values.iter().cloned());
            tuple
        })
        .collect();
    Part {
        query: table.insert(&tuples.join(", "), claims),
        identity_columns: table.returned_columns(),
        expected: rows
            .into_iter()
            .map(|row| (row.section, row.identity))
            .collect(),
    }
}

/// `$n` placeholders for `count` columns after the first `before`: `$3, $4` for (2, 2).
pub fn placeholders(before: usize, count: usize) -> String {
    let mut text = String::with_capacity(count * 5);
    for number in before + 1..=before + count {
        if number > before + 1 {
            text.push_str(", ");
        }
        write!(text, "${number}").expect("writing to a String cannot fail");
    }
    text
}

/// A one-row `INSERT` (`{head} VALUES ($1, …) {tail}`), its text built on first use: a create
/// runs two of them, and numbering the placeholders anew each time cost ~5 % of its instructions.
pub struct OneRowInsert {
    head: &'static str,
    tail: &'static str,
    sql: OnceLock<(usize, String)>,
}

impl OneRowInsert {
    pub const fn new(head: &'static str, tail: &'static str) -> Self {
        OneRowInsert {
            head,
            tail,
            sql: OnceLock::new(),
        }
    }

    /// The statement for `columns` values (always the same count for one statement).
    pub fn sql(&self, columns: usize) -> &str {
        let (built_for, sql) = self.sql.get_or_init(|| {
            let placeholders = placeholders(0, columns);
            (
                columns,
                format!("{} VALUES ({placeholders}) {}", self.head, self.tail),
            )
        });
        assert_eq!(*built_for, columns, "one statement, one column count");
        sql
    }
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
    fn a_one_row_insert_is_numbered_once() {
        static INSERT: OneRowInsert =
            OneRowInsert::new("INSERT INTO t (a, b)", "ON CONFLICT DO NOTHING");
        assert_eq!(
            INSERT.sql(2),
            "INSERT INTO t (a, b) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        );
        assert_eq!(
            INSERT.sql(2),
            "INSERT INTO t (a, b) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        );
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
