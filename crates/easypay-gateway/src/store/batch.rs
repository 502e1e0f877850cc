//! Group commit by batching: requests' write sections queue here, and an executor runs every section
//! that is waiting in **one** transaction with one commit (and, on SQLite files, one shared fsync).
//! Each request is answered only after that commit, so an answered `"0000"` means what it always did.
//!
//! Batches are optimistic: if a section fails (an error, a lock timeout, a deadlock), the whole
//! transaction is rolled back, that section runs again alone in its own transaction, exactly as
//! without batching, and the others are batched again; if the transaction itself cannot be opened
//! or committed, every section runs alone. That is why a section must be re-runnable: it may only
//! act on the database through its transaction. On PostgreSQL a shared transaction waits for a row
//! lock at most [`super::SHARED_ROW_LOCK_WAIT`], so that two batches locking rows in opposite
//! orders part within it instead of after PostgreSQL's one-second deadlock check.

use std::future::Future;
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Mutex};

use super::{Committed, Db, StoreError, WriteTx};

/// At most this many sections share the one writer's transaction (SQLite): bounds a batch's time.
const MAX_BATCH_ONE_WRITER: usize = 64;

/// At most this many sections share a transaction when several executors run (PostgreSQL): a burst
/// is spread over the executors instead of one taking it all while the others wait idle (at 64
/// connections this cut create's p99 from 52–66 ms to 39–54 ms with no change in throughput), and
/// a batch holds fewer row locks.
const MAX_BATCH_OF_MANY: usize = 16;

/// A boxed future borrowing the transaction it runs on.
pub type SectionFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How a section's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ran {
    /// Its writes may commit; its outcome is kept.
    Succeeded,
    /// It failed (its outcome, an error, is kept): its transaction must not commit.
    Failed,
    /// Its transaction must be rolled back and the section run again, alone.
    Again,
}

/// A section is run at most this many times alone (`Again` is for a rare second path, not a loop).
const RUNS_ALONE: usize = 3;

/// A row a section locks until its transaction ends (on PostgreSQL: a billing key charged or
/// removed, a payment cancelled or paid), named by its table and its unique key (`batchKey`,
/// `pgCno`). A batch runs its sections in ascending order of these, so every transaction takes such
/// rows in one order, in every gateway process: two batches never wait for each other's rows in a
/// cycle (which only the shared lock bound, or PostgreSQL's deadlock check, would end); one waits
/// for the other's commit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LockedRow {
    table: &'static str,
    key: String,
    /// Locked by many requests at once: its sections go to one executor (see [`Batcher`]). Last,
    /// so that the order is the table's and the key's.
    hot: bool,
}

impl LockedRow {
    /// A row one request at a time locks, as a rule (a payment's approval, then its cancels).
    pub fn new(table: &'static str, key: &str) -> LockedRow {
        LockedRow {
            table,
            key: key.to_owned(),
            hot: false,
        }
    }

    /// A row many requests lock at once (a billing key: every charge of a plan, and its retries).
    pub fn hot(table: &'static str, key: &str) -> LockedRow {
        LockedRow {
            hot: true,
            ..LockedRow::new(table, key)
        }
    }
}

/// One request's writes, as the batcher sees them.
pub trait BatchJob: Send {
    /// Runs the section in `tx` and keeps its outcome.
    fn run<'a>(&'a mut self, tx: &'a mut WriteTx) -> SectionFuture<'a, Ran>;

    /// The row the section locks, if any (at most one: see [`LockedRow`]).
    fn locks(&self) -> Option<&LockedRow>;

    /// Answers the request: its kept outcome once `committed` is `Ok`, otherwise the commit's error.
    fn deliver(self: Box<Self>, committed: Result<(), StoreError>);
}

/// A write section without an idempotency key (a wallet event, a notification's bookkeeping): a
/// plain function of its transaction and its input, so that it can run again.
pub type Section<I, T, E> = for<'a> fn(&'a mut WriteTx, &'a I) -> SectionFuture<'a, Result<T, E>>;

/// Runs `section` on `input` in the next batch and returns its result once its commit is on disk
/// (an error writes nothing); `locks` is the row it locks, if any.
pub async fn write<I, T, E>(
    db: &Db,
    locks: Option<LockedRow>,
    input: I,
    section: Section<I, T, E>,
) -> Result<T, E>
where
    I: Send + Sync + 'static,
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    let (reply, answer) = oneshot::channel();
    db.run(Box::new(FnJob {
        locks,
        input,
        section,
        outcome: None,
        reply,
    }))
    .await;
    answer
        .await
        .unwrap_or_else(|_| Err(StoreError::Unsettled(0).into()))
}

struct FnJob<I, T, E> {
    locks: Option<LockedRow>,
    input: I,
    section: Section<I, T, E>,
    outcome: Option<Result<T, E>>,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<I, T, E> BatchJob for FnJob<I, T, E>
where
    I: Send + Sync + 'static,
    T: Send + 'static,
    E: From<StoreError> + Send + 'static,
{
    fn run<'a>(&'a mut self, tx: &'a mut WriteTx) -> SectionFuture<'a, Ran> {
        Box::pin(async move {
            let outcome = (self.section)(tx, &self.input).await;
            let ran = if outcome.is_ok() {
                Ran::Succeeded
            } else {
                Ran::Failed
            };
            self.outcome = Some(outcome);
            ran
        })
    }

    fn locks(&self) -> Option<&LockedRow> {
        self.locks.as_ref()
    }

    fn deliver(self: Box<Self>, committed: Result<(), StoreError>) {
        let answer = match (committed, self.outcome) {
            (Ok(()), Some(outcome)) => outcome,
            (Ok(()), None) => Err(StoreError::Unsettled(0).into()),
            (Err(error), _) => Err(error.into()),
        };
        let _ = self.reply.send(answer);
    }
}

/// A job with the id of the request that queued it, which its section runs within.
struct InRequest {
    request_id: Option<String>,
    job: Box<dyn BatchJob>,
}

impl BatchJob for InRequest {
    fn run<'a>(&'a mut self, tx: &'a mut WriteTx) -> SectionFuture<'a, Ran> {
        let request_id = self.request_id.clone();
        Box::pin(crate::observe::within_request(request_id, self.job.run(tx)))
    }

    fn locks(&self) -> Option<&LockedRow> {
        self.job.locks()
    }

    fn deliver(self: Box<Self>, committed: Result<(), StoreError>) {
        self.job.deliver(committed);
    }
}

type Queue = mpsc::UnboundedSender<Box<dyn BatchJob>>;
type Receiver = mpsc::UnboundedReceiver<Box<dyn BatchJob>>;

/// The queues of write sections and their counters.
#[derive(Clone)]
pub struct Batcher {
    /// Sections any executor may take.
    queue: Queue,
    /// With several executors, one queue each: a section that locks a hot row goes to the
    /// executor its row names, so that every section locking one billing key runs on one
    /// connection, in one batch or the next, and never waits for another executor's commit to get
    /// the row. Other rows are not routed: an executor stalled on a row the other process holds
    /// would hold up every section routed to it.
    routed: Arc<[Queue]>,
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    sections: AtomicU64,
    batches: AtomicU64,
    reruns: AtomicU64,
}

impl Counts {
    /// One transaction committed `sections` sections.
    fn committed(&self, sections: usize) {
        self.sections.fetch_add(sections as u64, Ordering::Relaxed);
        self.batches.fetch_add(1, Ordering::Relaxed);
    }
}

/// What the batcher has done so far: sections committed in shared transactions, how many
/// transactions that took, and how many batches were rolled back and run again one by one.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchCounts {
    pub sections: u64,
    pub batches: u64,
    pub reruns: u64,
}

impl Batcher {
    /// Starts the executors taking batches from the queues (see [`Executors`]).
    pub fn start(db: &Db, executors: Executors) -> Batcher {
        let (queue, receiver) = mpsc::unbounded_channel();
        let shared = Arc::new(Mutex::new(receiver));
        let counts = Arc::new(Counts::default());
        let runtime = tokio::runtime::Handle::current();
        let mut routed = Vec::new();
        match executors {
            Executors::Tasks(count) => {
                let max_batch = if count > 1 {
                    MAX_BATCH_OF_MANY
                } else {
                    MAX_BATCH_ONE_WRITER
                };
                for _ in 0..count {
                    let executor = Executor {
                        db: db.clone(),
                        counts: counts.clone(),
                        answers: runtime.clone(),
                        max_batch,
                    };
                    let own = (count > 1).then(|| {
                        let (queue, receiver) = mpsc::unbounded_channel();
                        routed.push(queue);
                        receiver
                    });
                    tokio::spawn(executor.run(shared.clone(), own));
                }
            }
            Executors::OwnThread => {
                let executor = Executor {
                    db: db.clone(),
                    counts: counts.clone(),
                    answers: runtime,
                    max_batch: MAX_BATCH_ONE_WRITER,
                };
                let own = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("the writer's runtime starts");
                std::thread::Builder::new()
                    .name("sqlite-writer".into())
                    .spawn(move || own.block_on(executor.run(shared, None)))
                    .expect("the writer thread starts");
            }
        }
        Batcher {
            queue,
            routed: routed.into(),
            counts,
        }
    }

    /// Queues a section, to run within the current request (see [`crate::observe`]); `Err` gives
    /// the job back if the executors are gone.
    pub fn submit(&self, job: Box<dyn BatchJob>) -> Result<(), Box<dyn BatchJob>> {
        let job = Box::new(InRequest {
            request_id: crate::observe::current_request_id(),
            job,
        });
        let queue = match job.locks() {
            Some(row) if row.hot && !self.routed.is_empty() => {
                let mut hasher = std::hash::DefaultHasher::new();
                row.hash(&mut hasher);
                &self.routed[(hasher.finish() % self.routed.len() as u64) as usize]
            }
            _ => &self.queue,
        };
        queue.send(job).map_err(|refused| refused.0)
    }

    pub fn counts(&self) -> BatchCounts {
        BatchCounts {
            sections: self.counts.sections.load(Ordering::Relaxed),
            batches: self.counts.batches.load(Ordering::Relaxed),
            reruns: self.counts.reruns.load(Ordering::Relaxed),
        }
    }
}

/// Where batches run.
#[derive(Debug, Clone, Copy)]
pub enum Executors {
    /// This many tasks on the async runtime, each with a connection of its own (PostgreSQL:
    /// batches on different connections commit in parallel).
    Tasks(usize),
    /// One thread of its own (the SQLite writer, whose statements run on the thread that runs the
    /// section: they take no turn on the async runtime's workers, and wait for none).
    OwnThread,
}

/// One executor: takes every section waiting (up to its `max_batch`) and runs them as one batch.
struct Executor {
    db: Db,
    counts: Arc<Counts>,
    /// Where the answers wait for their commit to be durable, off the executor.
    answers: tokio::runtime::Handle,
    max_batch: usize,
}

impl Executor {
    /// Takes batches until every queue is closed (the database handle was dropped): what was
    /// routed to this executor (`own`) first, then what is waiting in the shared queue.
    async fn run(self, shared: Arc<Mutex<Receiver>>, mut own: Option<Receiver>) {
        loop {
            let mut jobs = Vec::new();
            if let Some(receiver) = &mut own {
                self.take_waiting(receiver, &mut jobs);
                if let Ok(mut receiver) = shared.try_lock() {
                    self.take_waiting(&mut receiver, &mut jobs);
                }
            }
            if jobs.is_empty() && !self.wait_for_jobs(&shared, &mut own, &mut jobs).await {
                return;
            }
            in_lock_order(&mut jobs);
            self.run_batch(jobs).await;
        }
    }

    /// Takes the sections already waiting in `receiver`, without waiting, up to a full batch.
    fn take_waiting(&self, receiver: &mut Receiver, jobs: &mut Vec<Box<dyn BatchJob>>) {
        while jobs.len() < self.max_batch {
            match receiver.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
    }

    /// Waits until either queue has sections and takes them; `false` once both are closed.
    async fn wait_for_jobs(
        &self,
        shared: &Mutex<Receiver>,
        own: &mut Option<Receiver>,
        jobs: &mut Vec<Box<dyn BatchJob>>,
    ) -> bool {
        let from_shared = || async {
            let mut receiver = shared.lock().await;
            let mut taken = Vec::new();
            let count = receiver.recv_many(&mut taken, self.max_batch).await;
            (count, taken)
        };
        let Some(receiver) = own else {
            let (count, taken) = from_shared().await;
            jobs.extend(taken);
            return count > 0;
        };
        // Both waits are cancel safe: the one that loses the race has taken nothing.
        tokio::select! {
            count = receiver.recv_many(jobs, self.max_batch) => {
                if count == 0 {
                    // Closed: the shared queue may still hold sections.
                    *own = None;
                    let (count, taken) = from_shared().await;
                    jobs.extend(taken);
                    return count > 0;
                }
                true
            }
            (count, taken) = from_shared() => {
                jobs.extend(taken);
                // Closed with nothing left: the own queue closes with it (one handle holds both).
                count > 0 || receiver.recv_many(jobs, self.max_batch).await > 0
            }
        }
    }

    async fn run_batch(&self, mut jobs: Vec<Box<dyn BatchJob>>) {
        let (db, counts) = (&self.db, &self.counts);
        // Each round either commits every section left or sets at least one aside, so this ends.
        while !jobs.is_empty() {
            match run_together(db, &mut jobs).await {
                Together::Committed(committed) => {
                    counts.committed(jobs.len());
                    // The executor goes on with the next batch while this one waits for its fsync;
                    // the next commit shares it or the one after.
                    self.answers.spawn(async move {
                        committed.durable().await;
                        for job in jobs {
                            job.deliver(Ok(()));
                        }
                    });
                    return;
                }
                Together::SectionFailed(index, Ran::Failed) if jobs.len() == 1 => {
                    // Alone already: its failure is its own. The kept outcome is its error.
                    jobs.remove(index).deliver(Ok(()));
                    return;
                }
                Together::SectionFailed(index, _) => {
                    // That section runs alone (and fails alone, or settles); the others batch again.
                    counts.reruns.fetch_add(1, Ordering::Relaxed);
                    let failed = jobs.remove(index);
                    if run_alone(db, failed).await {
                        counts.committed(1);
                    }
                }
                Together::RowsConflicted(conflicted) => {
                    // Each runs alone, the careful way, and settles; the others batch again.
                    counts
                        .reruns
                        .fetch_add(conflicted.len() as u64, Ordering::Relaxed);
                    for index in conflicted.into_iter().rev() {
                        let failed = jobs.remove(index);
                        if run_alone(db, failed).await {
                            counts.committed(1);
                        }
                    }
                }
                Together::TransactionFailed => {
                    counts.reruns.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            }
        }
        for job in jobs {
            if run_alone(db, job).await {
                counts.committed(1);
            }
        }
    }
}

/// Sections that lock no row first, then the locked rows in one order (see [`LockedRow`]); the
/// sort is stable, so arrival order stands among equals.
fn in_lock_order(jobs: &mut [Box<dyn BatchJob>]) {
    jobs.sort_by(|a, b| a.locks().cmp(&b.locks()));
}

enum Together {
    Committed(Committed),
    /// The section at this index did not succeed (how, the second field says); the transaction
    /// was rolled back.
    SectionFailed(usize, Ran),
    /// These sections' deferred rows (ascending indexes) did not all go in: their order number,
    /// key or identifier was taken. The transaction was rolled back.
    RowsConflicted(Vec<usize>),
    /// Opening or committing the shared transaction failed; it was rolled back.
    TransactionFailed,
}

async fn run_together(db: &Db, jobs: &mut [Box<dyn BatchJob>]) -> Together {
    let Ok(mut tx) = db.begin_batch(jobs.len()).await else {
        return Together::TransactionFailed;
    };
    for (index, job) in jobs.iter_mut().enumerate() {
        tx.enter_section(index);
        let ran = job.run(&mut tx).await;
        if ran != Ran::Succeeded {
            // Dropping the transaction rolls it back.
            return Together::SectionFailed(index, ran);
        }
    }
    match tx.flush_deferred().await {
        Ok(conflicted) if conflicted.is_empty() => {}
        Ok(conflicted) => return Together::RowsConflicted(conflicted),
        Err(_) => return Together::TransactionFailed,
    }
    match tx.commit_pending().await {
        Ok(committed) => Together::Committed(committed),
        Err(_) => Together::TransactionFailed,
    }
}

/// A section in a transaction of its own: committed if it succeeded (`true`), rolled back otherwise.
pub(super) async fn run_alone(db: &Db, mut job: Box<dyn BatchJob>) -> bool {
    for _ in 0..RUNS_ALONE {
        let mut tx = match db.begin_write().await {
            Ok(tx) => tx,
            Err(error) => {
                job.deliver(Err(error));
                return false;
            }
        };
        match job.run(&mut tx).await {
            Ran::Succeeded => {
                let committed = tx.commit().await;
                let done = committed.is_ok();
                job.deliver(committed);
                return done;
            }
            Ran::Failed => {
                drop(tx);
                // The kept outcome is the section's own error.
                job.deliver(Ok(()));
                return false;
            }
            // Dropping the transaction rolls it back before the next round.
            Ran::Again => drop(tx),
        }
    }
    job.deliver(Err(StoreError::Unsettled(RUNS_ALONE)));
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Locking(Option<LockedRow>);

    impl BatchJob for Locking {
        fn run<'a>(&'a mut self, _: &'a mut WriteTx) -> SectionFuture<'a, Ran> {
            Box::pin(async { Ran::Succeeded })
        }

        fn locks(&self) -> Option<&LockedRow> {
            self.0.as_ref()
        }

        fn deliver(self: Box<Self>, _: Result<(), StoreError>) {}
    }

    /// Every batch takes its rows in one order, whatever order its sections came in: two batches
    /// (of this process or another) cannot each hold a row the other waits for.
    #[test]
    fn a_batch_runs_unlocked_sections_first_then_its_rows_in_order() {
        let row = |table, key| Some(LockedRow::new(table, key));
        let arrived = [
            row("payments", "P2"),
            None,
            row("billing_keys", "K2"),
            row("billing_keys", "K1"),
            None,
            row("billing_keys", "K1"),
        ];
        let mut jobs: Vec<Box<dyn BatchJob>> = arrived
            .into_iter()
            .map(|row| Box::new(Locking(row)) as Box<dyn BatchJob>)
            .collect();
        in_lock_order(&mut jobs);
        let order: Vec<Option<&LockedRow>> = jobs.iter().map(|job| job.locks()).collect();
        assert_eq!(
            order,
            [
                None,
                None,
                row("billing_keys", "K1").as_ref(),
                row("billing_keys", "K1").as_ref(),
                row("billing_keys", "K2").as_ref(),
                row("payments", "P2").as_ref(),
            ]
        );
    }
}
