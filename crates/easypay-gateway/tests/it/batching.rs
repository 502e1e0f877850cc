//! Group commit by batching: concurrent keyed requests share transactions, and a section that fails
//! takes nothing of its own and nothing of the others' with it.

use std::collections::HashSet;
use std::sync::Arc;

use easypay_gateway::store::batch::{BatchJob, LockedRow, Ran, SectionFuture};
use easypay_gateway::store::{Db, StoreError, WriteTx};
use serde_json::{json, Value};
use tokio::sync::{oneshot, Notify};

use crate::helpers::{create_body, new_key, spawn_app, Backend, MALL_ID};
use crate::on_both_backends;

on_both_backends!(
    concurrent_requests_share_transactions_and_each_gets_its_own_answer,
    creates_queued_together_that_share_order_numbers_and_keys_settle_one_at_a_time,
    a_batch_refuses_the_sections_of_a_merchant_deactivated_meanwhile
);

/// 64 creates, plus 8 reuses of a key for another body (D002, which fails its section), at once.
async fn concurrent_requests_share_transactions_and_each_gets_its_own_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    let used = create_body("native");
    assert_eq!(app.create(&used).await["resCd"], "0000");
    let before = app.gateway().db.batch_counts().expect("batcher");
    let fresh: Vec<Value> = (0..64).map(|_| create_body("native")).collect();
    let reused: Vec<Value> = (0..8)
        .map(|_| {
            let mut body = create_body("native");
            body["shopTransactionId"] = used["shopTransactionId"].clone();
            body
        })
        .collect();
    let (fresh_answers, reused_answers) = tokio::join!(
        futures_util::future::join_all(fresh.iter().map(|body| app.create(body))),
        futures_util::future::join_all(reused.iter().map(|body| app.create(body))),
    );
    let after = app.gateway().db.batch_counts().unwrap();
    let pg_cnos: HashSet<&str> = fresh_answers
        .iter()
        .zip(&fresh)
        .map(|(answer, body)| {
            assert_eq!(answer["resCd"], "0000", "{answer}");
            assert_eq!(answer["shopTransactionId"], body["shopTransactionId"]);
            answer["pgCno"].as_str().unwrap()
        })
        .collect();
    assert_eq!(pg_cnos.len(), 64);
    for answer in &reused_answers {
        assert_eq!(answer["resCd"], "D002", "{answer}");
    }
    // Each answered order exists, under its own key.
    for (answer, body) in fresh_answers.iter().zip(&fresh) {
        let (_, found) = app
            .post(
                "/api/trades/wechatpay/find",
                &json!({"mallId": body["mallId"], "shopTransactionId": new_key(), "pgCno": answer["pgCno"]}),
            )
            .await;
        assert_eq!(found["resCd"], "W001", "{found}");
        assert_eq!(
            app.create(body).await,
            *answer,
            "the key replays its answer"
        );
    }
    let sections = after.sections - before.sections;
    let batches = after.batches - before.batches;
    assert_eq!(
        sections, 64,
        "64 creates committed (the D002s wrote nothing)"
    );
    assert!(
        batches < sections,
        "{batches} transactions for {sections} sections: none was shared"
    );
}

/// With the executors held, 24 creates for 8 order numbers (3 keys each) and a retry of each first
/// key queue up, then run in shared batches, where PostgreSQL inserts their rows a statement per
/// table: the rows that collide send their sections back to run alone. Each order number is
/// created once (the others answer D001), each retry replays its key's answer, and each key keeps
/// replaying it afterwards.
async fn creates_queued_together_that_share_order_numbers_and_keys_settle_one_at_a_time(
    backend: Backend,
) {
    let executors = executor_count(&backend);
    let app = spawn_app(backend).await;
    let db = &app.gateway().db;
    let (gates, held) = hold_executors(db, executors).await;
    let before = db.batch_counts().unwrap();
    let mut bodies = Vec::new();
    for _ in 0..8 {
        let first = create_body("native");
        for _ in 0..2 {
            let mut other = create_body("native");
            other["shopOrderNo"] = first["shopOrderNo"].clone();
            bodies.push(other);
        }
        bodies.push(first.clone());
        bodies.push(first);
    }
    let (answers, ()) = tokio::join!(
        futures_util::future::join_all(bodies.iter().map(|body| app.create(body))),
        release_soon(&gates)
    );
    for answer in held {
        assert_eq!(answer.await.unwrap(), Ok(true));
    }
    for group in answers.chunks(4).zip(bodies.chunks(4)) {
        let (answers, bodies) = group;
        let created: Vec<&Value> = answers
            .iter()
            .filter(|answer| answer["resCd"] == "0000")
            .collect();
        let pg_cnos: HashSet<&str> = created
            .iter()
            .map(|answer| answer["pgCno"].as_str().unwrap())
            .collect();
        assert_eq!(pg_cnos.len(), 1, "one order per order number: {answers:?}");
        for answer in answers {
            assert!(
                answer["resCd"] == "0000" || answer["resCd"] == "D001",
                "{answer}"
            );
        }
        assert_eq!(answers[2], answers[3], "the retry replays its key's answer");
        for (answer, body) in answers.iter().zip(bodies) {
            assert_eq!(app.create(body).await, *answer, "the key keeps its answer");
        }
    }
    let after = db.batch_counts().unwrap();
    assert!(
        after.reruns > before.reruns,
        "colliding sections ran again alone"
    );
}

/// A create for a merchant found active before leaves the merchant check to its section (on
/// PostgreSQL, to one statement for the whole batch). With the executors held, creates for a
/// merchant deactivated since queue up beside creates for an active one: the first are refused
/// alone (`M002`, nothing stored), the others are created.
async fn a_batch_refuses_the_sections_of_a_merchant_deactivated_meanwhile(backend: Backend) {
    let executors = executor_count(&backend);
    let app = spawn_app(backend).await;
    let db = &app.gateway().db;
    let other = "T0000002";
    let response = app
        .client
        .put(app.url(&format!("/_sandbox/merchants/{other}")))
        .json(&json!({"secretKey": "other-secret"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let for_merchant = |mall_id: &str| {
        let mut body = create_body("native");
        body["mallId"] = json!(mall_id);
        body
    };
    // Both are found active once, so that their next requests leave the check to the batch.
    app.create_ok(&for_merchant(MALL_ID)).await;
    app.create_ok(&for_merchant(other)).await;
    // Deactivated before the executors are held: SQLite's writer, once held, holds the file's lock.
    easypay_gateway::store::merchants::set_active(db.pool(), MALL_ID, false, chrono::Utc::now())
        .await
        .unwrap();
    let (gates, held) = hold_executors(db, executors).await;
    let bodies: Vec<Value> = (0..16)
        .map(|index| for_merchant(if index % 2 == 0 { MALL_ID } else { other }))
        .collect();
    let before = crate::idempotency::count_orders(&app).await;
    let (answers, ()) = tokio::join!(
        futures_util::future::join_all(bodies.iter().map(|body| app.create(body))),
        release_soon(&gates)
    );
    for answer in held {
        assert_eq!(answer.await.unwrap(), Ok(true));
    }
    for (answer, body) in answers.iter().zip(&bodies) {
        let expected = if body["mallId"] == MALL_ID {
            "M002"
        } else {
            "0000"
        };
        assert_eq!(answer["resCd"], expected, "{answer}");
        assert_eq!(answer["shopTransactionId"], body["shopTransactionId"]);
    }
    assert_eq!(crate::idempotency::count_orders(&app).await, before + 8);
}

/// What a held section answers once let go.
type Held = oneshot::Receiver<Result<bool, String>>;

/// Occupies `count` executors, each inside a section that waits for its gate: sections queued
/// meanwhile form the next batches. Answers the gates and the held sections' answers.
async fn hold_executors(db: &Db, count: usize) -> (Vec<Arc<Notify>>, Vec<Held>) {
    hold_executors_with(db, count, |index, gate, entered| {
        let (mut blocker, answer) = Section::new(&format!("hold-{index}"), false);
        blocker.gate = Some(gate);
        blocker.entered = Some(entered);
        (blocker, answer)
    })
    .await
}

/// [`hold_executors`] with the sections `make` builds from their index, the gate they wait for
/// and the signal they give once running.
async fn hold_executors_with<J: BatchJob + 'static>(
    db: &Db,
    count: usize,
    make: impl Fn(usize, Arc<Notify>, Arc<Notify>) -> (Box<J>, Held),
) -> (Vec<Arc<Notify>>, Vec<Held>) {
    let mut gates = Vec::new();
    let mut held = Vec::new();
    for index in 0..count {
        let (gate, entered) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let (blocker, answer) = make(index, gate.clone(), entered.clone());
        assert!(db.submit(blocker).is_ok());
        entered.notified().await;
        gates.push(gate);
        held.push(answer);
    }
    (gates, held)
}

/// How many executors run batches: SQLite's one writer, PostgreSQL's four.
fn executor_count(backend: &Backend) -> usize {
    match backend {
        Backend::Sqlite => 1,
        Backend::Postgres { .. } => 4,
    }
}

/// Lets the held executors go once the requests sent meanwhile have had time to be parsed,
/// checked and queued behind them.
async fn release_soon(gates: &[Arc<Notify>]) {
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for gate in gates {
        gate.notify_one();
    }
}

/// A test section: claims one order number, then succeeds or fails.
struct Section {
    order_number: String,
    fails: bool,
    /// Holds the executor inside this section until notified.
    gate: Option<Arc<Notify>>,
    /// Notified when an executor has entered this section.
    entered: Option<Arc<Notify>>,
    ran: Option<bool>,
    answer: Option<oneshot::Sender<Result<bool, String>>>,
}

impl Section {
    fn new(
        order_number: &str,
        fails: bool,
    ) -> (Box<Section>, oneshot::Receiver<Result<bool, String>>) {
        let (answer, receiver) = oneshot::channel();
        let section = Section {
            order_number: order_number.into(),
            fails,
            gate: None,
            entered: None,
            ran: None,
            answer: Some(answer),
        };
        (Box::new(section), receiver)
    }
}

impl BatchJob for Section {
    fn run<'a>(&'a mut self, tx: &'a mut WriteTx) -> SectionFuture<'a, Ran> {
        Box::pin(async move {
            if let Some(entered) = &self.entered {
                entered.notify_one();
            }
            if let Some(gate) = &self.gate {
                gate.notified().await;
            }
            sqlx::query(
                "INSERT INTO order_numbers (mall_id, scope, shop_order_no, created_at) \
                 VALUES ('BATCHTEST', 'payment', $1, 0)",
            )
            .bind(&self.order_number)
            .execute(&mut **tx)
            .await
            .unwrap();
            self.ran = Some(!self.fails);
            if self.fails {
                Ran::Failed
            } else {
                Ran::Succeeded
            }
        })
    }

    fn locks(&self) -> Option<&LockedRow> {
        None
    }

    fn deliver(mut self: Box<Self>, committed: Result<(), StoreError>) {
        let outcome = committed
            .map(|()| self.ran.expect("delivered after running"))
            .map_err(|error| error.to_string());
        let _ = self.answer.take().unwrap().send(outcome);
    }
}

/// Three sections queued behind a busy executor run as one batch; the middle one fails after
/// writing, so the batch is rolled back, the failing one runs again alone (and fails again), and the
/// other two are batched again: the failing one's write is gone, the others' are there once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_section_is_set_aside_and_the_others_commit_together() {
    let app = spawn_app(Backend::Sqlite).await;
    let db = &app.gateway().db;
    let before = db.batch_counts().unwrap();
    let gate = Arc::new(Notify::new());
    let (mut blocker, blocked) = Section::new("gate", false);
    blocker.gate = Some(gate.clone());
    assert!(db.submit(blocker).is_ok());
    // The single SQLite executor is now inside the blocker; these three queue behind it.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let (first, first_answer) = Section::new("first", false);
    let (failing, failing_answer) = Section::new("failing", true);
    let (last, last_answer) = Section::new("last", false);
    for section in [first, failing, last] {
        assert!(db.submit(section).is_ok());
    }
    gate.notify_one();
    assert_eq!(blocked.await.unwrap(), Ok(true));
    assert_eq!(first_answer.await.unwrap(), Ok(true));
    assert_eq!(failing_answer.await.unwrap(), Ok(false));
    assert_eq!(last_answer.await.unwrap(), Ok(true));
    let stored: Vec<(String,)> = sqlx::query_as(
        "SELECT shop_order_no FROM order_numbers WHERE mall_id = 'BATCHTEST' ORDER BY shop_order_no",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let stored: Vec<&str> = stored.iter().map(|(number,)| number.as_str()).collect();
    assert_eq!(stored, ["first", "gate", "last"]);
    let after = db.batch_counts().unwrap();
    assert_eq!(
        after.reruns - before.reruns,
        1,
        "the batch of three was rolled back once"
    );
    assert_eq!(
        (
            after.sections - before.sections,
            after.batches - before.batches
        ),
        (3, 2),
        "the gate alone, then first and last together"
    );
}

/// A test section that locks one `order_numbers` row (by updating it): on its first run it signals
/// `entered`, waits for `wait`, and signals `locked` after the update; it keeps the code of any error
/// its update met.
struct Locker {
    row: String,
    /// The row as declared to the batcher (`None`: locked without saying so).
    declared: Option<LockedRow>,
    /// Holds the section after its update (the row locked) until notified, on its first run.
    hold: Option<Arc<Notify>>,
    entered: Option<Arc<Notify>>,
    wait: Option<Arc<Notify>>,
    locked: Option<Arc<Notify>>,
    runs: usize,
    errors: Arc<std::sync::Mutex<Vec<String>>>,
    answer: Option<oneshot::Sender<Result<bool, String>>>,
}

impl Locker {
    fn new(
        row: &str,
        errors: &Arc<std::sync::Mutex<Vec<String>>>,
    ) -> (Box<Locker>, oneshot::Receiver<Result<bool, String>>) {
        let (answer, receiver) = oneshot::channel();
        let locker = Locker {
            row: row.to_owned(),
            declared: None,
            hold: None,
            entered: None,
            wait: None,
            locked: None,
            runs: 0,
            errors: errors.clone(),
            answer: Some(answer),
        };
        (Box::new(locker), receiver)
    }
}

impl BatchJob for Locker {
    fn run<'a>(&'a mut self, tx: &'a mut WriteTx) -> SectionFuture<'a, Ran> {
        Box::pin(async move {
            self.runs += 1;
            if self.runs == 1 {
                if let Some(entered) = &self.entered {
                    entered.notify_one();
                }
                if let Some(wait) = &self.wait {
                    wait.notified().await;
                }
            }
            let locked = sqlx::query(
                "UPDATE order_numbers SET created_at = created_at + 1 \
                 WHERE mall_id = 'BATCHTEST' AND shop_order_no = $1",
            )
            .bind(&self.row)
            .execute(&mut **tx)
            .await;
            if let (Some(signal), 1) = (&self.locked, self.runs) {
                signal.notify_one();
            }
            if let (Some(hold), 1) = (&self.hold, self.runs) {
                hold.notified().await;
            }
            match locked {
                Ok(_) => Ran::Succeeded,
                Err(error) => {
                    let code = error
                        .as_database_error()
                        .and_then(|db| db.code())
                        .map(|code| code.into_owned())
                        .unwrap_or_else(|| error.to_string());
                    self.errors.lock().unwrap().push(code);
                    Ran::Failed
                }
            }
        })
    }

    fn locks(&self) -> Option<&LockedRow> {
        self.declared.as_ref()
    }

    fn deliver(mut self: Box<Self>, committed: Result<(), StoreError>) {
        let outcome = committed.map(|()| self.runs > 0).map_err(|e| e.to_string());
        let _ = self.answer.take().unwrap().send(outcome);
    }
}

/// PostgreSQL's executors take at most 16 sections each: 40 sections queued while all four are busy
/// are spread over the executors, in three transactions or more, instead of the first executor
/// free taking them all while the others wait idle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_is_spread_over_the_postgres_executors() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = spawn_app(backend).await;
    let db = &app.gateway().db;
    let (gates, mut answers) = hold_executors(db, 4).await;
    let before = db.batch_counts().unwrap();
    for index in 0..40 {
        let (section, answer) = Section::new(&format!("burst-{index:02}"), false);
        assert!(db.submit(section).is_ok());
        answers.push(answer);
    }
    for gate in &gates {
        gate.notify_one();
    }
    for answer in answers {
        assert_eq!(answer.await.unwrap(), Ok(true));
    }
    let after = db.batch_counts().unwrap();
    assert_eq!(after.sections - before.sections, 44);
    let burst_batches = after.batches - before.batches - 4;
    assert!(
        burst_batches >= 3,
        "40 queued sections committed in {burst_batches} transactions"
    );
}

/// Two PostgreSQL batches lock two rows in opposite orders (batch A: R1 then R2; batch B: R2 then
/// R1), a deadlock. The shared transactions' row-lock bound ends it, not PostgreSQL's deadlock
/// check a second later: the section that waited gets a lock timeout (55P03), never a deadlock
/// error (40P01), runs again alone, and every section commits once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_that_lock_rows_in_opposite_orders_give_up_within_the_shared_bound() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = spawn_app(backend).await;
    let db = &app.gateway().db;
    for row in ["R1", "R2", "G0", "G1", "G2", "G3"] {
        sqlx::query(
            "INSERT INTO order_numbers (mall_id, scope, shop_order_no, created_at) \
             VALUES ('BATCHTEST', 'payment', $1, 0)",
        )
        .bind(row)
        .execute(db.pool())
        .await
        .unwrap();
    }
    let errors = Arc::new(std::sync::Mutex::new(Vec::new()));
    // Occupy every executor (PostgreSQL has four), one gated section each, so that the next
    // batches form as chosen.
    let (gates, gated) = hold_executors_with(db, 4, |index, gate, entered| {
        let (mut blocker, answer) = Locker::new(&format!("G{index}"), &errors);
        blocker.wait = Some(gate);
        blocker.entered = Some(entered);
        (blocker, answer)
    })
    .await;
    let (a_holds_r1, b_holds_r2) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let (mut a1, a1_answer) = Locker::new("R1", &errors);
    a1.locked = Some(a_holds_r1.clone());
    let (mut a2, a2_answer) = Locker::new("R2", &errors);
    a2.wait = Some(b_holds_r2.clone());
    let (mut b1, b1_answer) = Locker::new("R2", &errors);
    b1.locked = Some(b_holds_r2);
    let (b2, b2_answer) = Locker::new("R1", &errors);
    // Batch A = [A1, A2] on the first executor freed; batch B = [B1, B2] on the second.
    assert!(db.submit(a1).is_ok() && db.submit(a2).is_ok());
    gates[0].notify_one();
    a_holds_r1.notified().await;
    assert!(db.submit(b1).is_ok() && db.submit(b2).is_ok());
    gates[1].notify_one();
    for answer in [a1_answer, a2_answer, b1_answer, b2_answer] {
        assert_eq!(answer.await.unwrap(), Ok(true));
    }
    for gate in &gates[2..] {
        gate.notify_one();
    }
    for answer in gated {
        assert_eq!(answer.await.unwrap(), Ok(true));
    }
    let errors = errors.lock().unwrap().clone();
    assert!(errors.contains(&"55P03".to_owned()), "{errors:?}");
    assert!(!errors.contains(&"40P01".to_owned()), "{errors:?}");
    // Each row was updated once by each batch, each update committed once.
    let stamps: Vec<(i64,)> = sqlx::query_as(
        "SELECT created_at FROM order_numbers WHERE mall_id = 'BATCHTEST' \
         AND shop_order_no IN ('R1', 'R2') ORDER BY shop_order_no",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    assert_eq!(stamps, [(2,), (2,)]);
}

/// Sections that lock one hot row (a billing key) go to one executor: while a batch holds the row,
/// the next section for it waits in that executor's queue (it does not start), instead of on
/// another executor's connection, blocked in the database for the row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sections_locking_one_row_wait_in_one_executors_queue() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = spawn_app(backend).await;
    let db = &app.gateway().db;
    sqlx::query(
        "INSERT INTO order_numbers (mall_id, scope, shop_order_no, created_at) \
         VALUES ('BATCHTEST', 'payment', 'R1', 0)",
    )
    .execute(db.pool())
    .await
    .unwrap();
    let errors = Arc::new(std::sync::Mutex::new(Vec::new()));
    let declared = |row: &str| {
        let (mut locker, answer) = Locker::new(row, &errors);
        locker.declared = Some(LockedRow::hot("order_numbers", row));
        (locker, answer)
    };
    let (first_holds_r1, release_first) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let (mut first, first_answer) = declared("R1");
    first.locked = Some(first_holds_r1.clone());
    first.hold = Some(release_first.clone());
    assert!(db.submit(first).is_ok());
    first_holds_r1.notified().await;

    let second_started = Arc::new(Notify::new());
    let (mut second, second_answer) = declared("R1");
    second.entered = Some(second_started.clone());
    assert!(db.submit(second).is_ok());
    let started = tokio::time::timeout(
        std::time::Duration::from_millis(300),
        second_started.notified(),
    )
    .await;
    assert!(
        started.is_err(),
        "the second section started while R1 was held"
    );

    release_first.notify_one();
    assert_eq!(first_answer.await.unwrap(), Ok(true));
    assert_eq!(second_answer.await.unwrap(), Ok(true));
    assert_eq!(errors.lock().unwrap().clone(), Vec::<String>::new());
}
