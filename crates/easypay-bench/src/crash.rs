//! `easypay-bench crash`: payments under load while the gateway is `kill -9`ed and restarted
//! several times; every request whose answer was lost is retried with the same
//! `shopTransactionId` and body. Then the books are reconciled:
//!
//! 1. every keyed request (create, partial cancel, card charge) ends answered `"0000"`, and
//!    replaying it with the same key answers the same bytes;
//! 2. `find` reports each payment as its answered history says (approved, partly cancelled);
//! 3. in the database, each key made exactly one effect: one payment per created order, one
//!    cancel row per cancel key, one card payment per charge, one notification per effect, and
//!    the cancelled amounts add up;
//! 4. every approval, cancel and card charge's notification reached the tool's receiver, with a
//!    valid signature.
//!
//! Any violation is listed and the command exits non-zero.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use sqlx::Connection;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::bodies::{self, AnswerFields, CANCEL_AMOUNT, ORDER_AMOUNT};
use crate::gateway::{BackendKind, Database, Gateway, GatewayBin, DEFAULT_POSTGRES_URL};
use crate::ids::Ids;
use crate::receiver::Receiver;
use crate::{cards, load, parse_duration};

/// Fast notification retries and a short timeout, so the suite settles quickly; a notification
/// leased by a killed process is taken over after the timeout plus the gateway's 30 s margin.
const GATEWAY_FLAGS: [&str; 6] = [
    "--wechat-notify-schedule",
    "250ms*100",
    "--card-notify-schedule",
    "250ms*100",
    "--notify-timeout",
    "2s",
];

#[derive(clap::Args, Clone)]
pub struct CrashArgs {
    /// The database the gateway runs on (a fresh one).
    #[arg(long, default_value = "sqlite")]
    spawn: BackendKind,
    /// How many times the gateway is killed with SIGKILL (and restarted) during the load.
    #[arg(long, default_value_t = 3)]
    kills: u32,
    /// How long new payments are started; kills are spread over this time.
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    duration: Duration,
    /// Concurrent payment flows (keep-alive connections).
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Billing keys issued before the load, for card charges.
    #[arg(long, default_value_t = 2)]
    keys: usize,
    /// The longest wait, after the load, for notifications still owed (a notification whose
    /// attempt died with a killed gateway is retried once its lease, timeout + 30 s, runs out).
    #[arg(long, default_value = "75s", value_parser = parse_duration)]
    settle: Duration,
    /// Also write the outcome as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// The gateway binary: a path, or `self` (this binary acting as the gateway). Default: the
    /// workspace's target/release/easypay.
    #[arg(long)]
    gateway_bin: Option<String>,
    /// PostgreSQL server on which the run creates (and then drops) its own database.
    #[arg(long, env = "EASYPAY_BENCH_POSTGRES_URL", default_value = DEFAULT_POSTGRES_URL)]
    postgres_url: String,
    /// Another flag for `easypay serve` (repeatable), e.g. --gateway-arg=--lock-wait=2s.
    #[arg(long = "gateway-arg", allow_hyphen_values = true)]
    gateway_args: Vec<String>,
    /// Keep the database (and the gateway's log) when a violation is found.
    #[arg(long)]
    keep: bool,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Create,
    Approve,
    Cancel,
    Charge,
}

/// One request as sent (the same bytes on every retry) and its final answer.
#[derive(Clone, Debug)]
struct Sent {
    kind: Kind,
    path: String,
    key: Option<String>,
    body: String,
    /// The payment it concerns (for a create: from its answer).
    pg_cno: Option<String>,
    answer: Option<(u16, String)>,
    attempts: u32,
}

impl Sent {
    fn fields(&self) -> AnswerFields {
        self.answer
            .as_ref()
            .and_then(|(_, body)| AnswerFields::parse(body.as_bytes()))
            .unwrap_or_default()
    }

    fn code(&self) -> String {
        match &self.answer {
            None => "no answer".into(),
            Some((status, _)) => self
                .fields()
                .res_cd
                .unwrap_or_else(|| format!("http-{status}")),
        }
    }

    fn describe(&self) -> String {
        format!(
            "{:?} {} key={} after {} attempt(s)",
            self.kind,
            self.path,
            self.key.as_deref().unwrap_or("-"),
            self.attempts
        )
    }
}

#[derive(Serialize, Default)]
struct Outcome {
    backend: String,
    kills: u32,
    gateway_starts: u32,
    requests: BTreeMap<String, usize>,
    load_seconds: f64,
    retried_requests: usize,
    retries: u64,
    /// Wallet approvals whose answer was lost to a kill after they took effect (the retry
    /// answered `S001` "the order is approved").
    approvals_applied_before_a_kill: usize,
    payments_created: usize,
    payments_approved: usize,
    cancels: usize,
    charges: usize,
    replayed: usize,
    notifications_expected: usize,
    notifications_received: usize,
    duplicate_deliveries: u64,
    settle_seconds: f64,
    violations: Vec<String>,
}

pub async fn run(args: CrashArgs) -> anyhow::Result<bool> {
    let bin = GatewayBin::resolve(args.gateway_bin.as_deref())?;
    let receiver = Receiver::start(true).await?;
    let database = Database::fresh(args.spawn, &args.postgres_url).await?;
    let mut flags: Vec<String> = GATEWAY_FLAGS.iter().map(|flag| flag.to_string()).collect();
    flags.extend(args.gateway_args.iter().cloned());
    let gateway = match Gateway::start(1, &bin, &database, &flags).await {
        Ok(gateway) => gateway,
        Err(error) => {
            database.remove().await;
            return Err(error);
        }
    };
    eprintln!(
        "crash reconcile: {} on {}, {} kill(s) over {:?}, {} connections (gateway: {})",
        args.spawn.as_str(),
        database.url,
        args.kills,
        args.duration,
        args.connections,
        bin.describe()
    );
    let result = drive(&args, &database, gateway, &receiver).await;
    let keep = args.keep && !matches!(&result, Ok(outcome) if outcome.violations.is_empty());
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(error) => {
            if keep {
                let dir = database.dir.keep();
                eprintln!("kept {} and its logs in {}", database.url, dir.display());
            } else {
                database.remove().await;
            }
            return Err(error);
        }
    };
    print_outcome(&outcome);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&outcome)? + "\n")?;
        eprintln!("wrote {}", path.display());
    }
    if keep {
        let url = database.url.clone();
        let dir = database.dir.keep();
        eprintln!("kept {url} and the gateway's log in {}", dir.display());
    } else {
        database.remove().await;
    }
    Ok(outcome.violations.is_empty())
}

struct Shared {
    base_url: String,
    ids: Ids,
    notify_url: String,
    batch_keys: Vec<String>,
    client: reqwest::Client,
    /// No request is retried past this instant (bounds the whole run).
    give_up: Instant,
    ledger: Mutex<Vec<Sent>>,
    retries: std::sync::atomic::AtomicU64,
}

async fn drive(
    args: &CrashArgs,
    database: &Database,
    mut gateway: Gateway,
    receiver: &Receiver,
) -> anyhow::Result<Outcome> {
    let base_url = gateway.base_url.clone();
    let ids = Ids::new();
    let batch_keys = if args.keys > 0 {
        cards::set_noti_url(&base_url, &receiver.url).await?;
        cards::issue_keys(&base_url, &ids, args.keys).await?
    } else {
        Vec::new()
    };
    let started = Instant::now();
    let end = started + args.duration;
    let shared = Arc::new(Shared {
        base_url: base_url.clone(),
        ids,
        notify_url: receiver.url.clone(),
        batch_keys,
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(args.connections)
            .no_proxy()
            .timeout(Duration::from_secs(15))
            .build()?,
        give_up: end + Duration::from_secs(90),
        ledger: Mutex::default(),
        retries: Default::default(),
    });
    let bar = if args.no_progress {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::with_draw_target(
            Some(args.duration.as_millis() as u64),
            ProgressDrawTarget::stderr_with_hz(5),
        );
        bar.set_style(
            ProgressStyle::with_template("{prefix:>12} [{bar:30}] {elapsed:>3} {msg}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix("under load");
        bar
    };

    // The load: payment flows until `end`.
    let mut workers = JoinSet::new();
    for _ in 0..args.connections {
        let shared = shared.clone();
        workers.spawn(async move {
            let mut rng = StdRng::from_entropy();
            while Instant::now() < end {
                flow(&shared, &mut rng).await;
            }
        });
    }

    // The killer: `kills` SIGKILLs spread over the load, each followed by a restart.
    let kills_done = Arc::new(AtomicBool::new(false));
    let killer = {
        let bar = bar.clone();
        let kills = args.kills;
        let duration = args.duration;
        let kills_done = kills_done.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            let mut rng = StdRng::from_entropy();
            for kill in 1..=kills {
                let at = started + duration.mul_f64(f64::from(kill) / f64::from(kills + 1));
                let jitter = Duration::from_millis(rng.gen_range(0..250));
                tokio::time::sleep_until(at + jitter).await;
                let answered = shared.ledger.lock().expect("not poisoned").len();
                gateway.kill_9().await?;
                bar.set_message(format!("kill -9 #{kill} after {answered} answers"));
                tokio::time::sleep(Duration::from_millis(rng.gen_range(50..400))).await;
                gateway.restart().await?;
            }
            kills_done.store(true, Ordering::Relaxed);
            anyhow::Ok(gateway)
        })
    };
    let ticker = {
        let bar = bar.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                bar.set_position(started.elapsed().as_millis() as u64);
            }
        })
    };
    while let Some(joined) = workers.join_next().await {
        joined.context("a load worker panicked")?;
    }
    ticker.abort();
    bar.finish_and_clear();
    let gateway = killer.await.context("the killer panicked")??;
    let load_seconds = started.elapsed().as_secs_f64();
    let ledger = std::mem::take(&mut *shared.ledger.lock().expect("not poisoned"));
    eprintln!(
        "load over after {load_seconds:.1} s: {} requests answered or given up, {} kill(s); reconciling",
        ledger.len(),
        args.kills
    );

    let mut outcome = Outcome {
        backend: args.spawn.as_str().into(),
        kills: args.kills,
        gateway_starts: gateway.starts,
        retries: shared.retries.load(Ordering::Relaxed),
        load_seconds,
        retried_requests: ledger.iter().filter(|sent| sent.attempts > 1).count(),
        approvals_applied_before_a_kill: ledger
            .iter()
            .filter(|sent| sent.kind == Kind::Approve && sent.code() == "S001" && approved(sent))
            .count(),
        ..Outcome::default()
    };
    for sent in &ledger {
        *outcome
            .requests
            .entry(format!("{:?}", sent.kind).to_lowercase())
            .or_default() += 1;
    }
    let books = Books::from_ledger(&ledger, &mut outcome);
    replay(&shared, &ledger, &mut outcome).await;
    check_finds(&shared, &books, &mut outcome).await;
    let settle_started = Instant::now();
    check_notifications(args.settle, receiver, &books, &mut outcome).await;
    let deadline = settle_started + args.settle;
    check_database(database, &shared.ids, &books, deadline, &mut outcome).await?;
    outcome.settle_seconds = settle_started.elapsed().as_secs_f64();
    let mut gateway = gateway;
    let _ = gateway.kill_9().await;
    Ok(outcome)
}

/// Sends until answered: a transport error, HTTP 5xx or `D003` is retried with the same bytes.
async fn send_until_answered(shared: &Shared, sent: &mut Sent) {
    let url = format!("{}{}", shared.base_url, sent.path);
    loop {
        sent.attempts += 1;
        let answer = load::send(&shared.client, &url, sent.body.clone()).await;
        let (code, _) = load::code_of(&answer);
        if let Ok((status, body)) = answer {
            if status < 500 && code != "D003" {
                sent.answer = Some((status, String::from_utf8_lossy(&body).into_owned()));
                return;
            }
        }
        if Instant::now() > shared.give_up {
            return;
        }
        shared.retries.fetch_add(1, Ordering::Relaxed);
        let backoff = Duration::from_millis(20 * u64::from(sent.attempts.min(10)));
        tokio::time::sleep(backoff).await;
    }
}

fn keyed(kind: Kind, path: &str, key: String, body: String, pg_cno: Option<String>) -> Sent {
    Sent {
        kind,
        path: path.into(),
        key: Some(key),
        body,
        pg_cno,
        answer: None,
        attempts: 0,
    }
}

/// One payment: create, approve in the sandbox wallet, sometimes a partial cancel, sometimes a
/// card charge. Stops after the first request that does not succeed.
async fn flow(shared: &Shared, rng: &mut StdRng) {
    let record = |sent: Sent| shared.ledger.lock().expect("not poisoned").push(sent);
    let key = shared.ids.key();
    let body = bodies::create(&key, &shared.ids.order_no(), &shared.notify_url);
    let mut create = keyed(Kind::Create, bodies::CREATE_PATH, key, body, None);
    send_until_answered(shared, &mut create).await;
    let pg_cno = create.fields().pg_cno;
    let created = create.code() == "0000";
    create.pg_cno = pg_cno.clone();
    record(create);
    let (true, Some(pg_cno)) = (created, pg_cno) else {
        return;
    };

    let mut approve = Sent {
        kind: Kind::Approve,
        path: bodies::approve_path(&pg_cno),
        key: None,
        body: String::new(),
        pg_cno: Some(pg_cno.clone()),
        answer: None,
        attempts: 0,
    };
    send_until_answered(shared, &mut approve).await;
    let approved = approved(&approve);
    record(approve);
    if !approved {
        return;
    }

    for _ in 0..rng.gen_range(0..=2) {
        let key = shared.ids.key();
        let body = bodies::partial_cancel(&key, &pg_cno, &bodies::seoul_today());
        let mut cancel = keyed(
            Kind::Cancel,
            bodies::CANCEL_PATH,
            key,
            body,
            Some(pg_cno.clone()),
        );
        send_until_answered(shared, &mut cancel).await;
        let ok = cancel.code() == "0000";
        record(cancel);
        if !ok {
            return;
        }
    }

    if !shared.batch_keys.is_empty() && rng.gen_ratio(1, 3) {
        let batch_key = &shared.batch_keys[rng.gen_range(0..shared.batch_keys.len())];
        let key = shared.ids.key();
        let body = bodies::charge(
            &key,
            &shared.ids.order_no(),
            batch_key,
            &bodies::seoul_today(),
        );
        let mut charge = keyed(Kind::Charge, bodies::CHARGE_PATH, key, body, None);
        send_until_answered(shared, &mut charge).await;
        charge.pg_cno = charge.fields().pg_cno;
        record(charge);
    }
}

/// The wallet's approval took effect: answered `0000`, or `S001` "already approved" on a retry
/// whose first attempt was cut by a kill after its commit.
fn approved(approve: &Sent) -> bool {
    let fields = approve.fields();
    match fields.res_cd.as_deref() {
        Some("0000") => true,
        Some("S001") => {
            approve.attempts > 1
                && fields
                    .res_msg
                    .as_deref()
                    .is_some_and(|msg| msg.starts_with("the order is approved;"))
        }
        _ => false,
    }
}

/// What the answered requests say happened.
#[derive(Default)]
struct Books {
    /// Created payments, and whether each was approved.
    payments: BTreeMap<String, bool>,
    /// Accepted cancels: cancelPgCno → (pgCno, key).
    cancels: BTreeMap<String, (String, String)>,
    /// Approved card charges' pgCno.
    charges: BTreeSet<String>,
}

impl Books {
    fn from_ledger(ledger: &[Sent], outcome: &mut Outcome) -> Books {
        let mut books = Books::default();
        for sent in ledger {
            let code = sent.code();
            let fields = sent.fields();
            match sent.kind {
                Kind::Approve => {
                    if approved(sent) {
                        if let Some(pg_cno) = &sent.pg_cno {
                            books.payments.insert(pg_cno.clone(), true);
                        }
                    } else {
                        outcome.violations.push(format!(
                            "{}: the wallet's approval answered {code} ({})",
                            sent.describe(),
                            fields.res_msg.unwrap_or_default()
                        ));
                    }
                }
                _ if code != "0000" => outcome.violations.push(format!(
                    "{}: answered {code} ({}), not 0000",
                    sent.describe(),
                    fields.res_msg.unwrap_or_default()
                )),
                Kind::Create => {
                    if let Some(pg_cno) = &sent.pg_cno {
                        books.payments.entry(pg_cno.clone()).or_insert(false);
                    }
                }
                Kind::Cancel => match (fields.cancel_pg_cno, &sent.pg_cno, &sent.key) {
                    (Some(cancel_pg_cno), Some(pg_cno), Some(key)) => {
                        books
                            .cancels
                            .insert(cancel_pg_cno, (pg_cno.clone(), key.clone()));
                    }
                    _ => outcome
                        .violations
                        .push(format!("{}: 0000 without cancelPgCno", sent.describe())),
                },
                Kind::Charge => match &sent.pg_cno {
                    Some(pg_cno) => {
                        books.charges.insert(pg_cno.clone());
                    }
                    None => outcome
                        .violations
                        .push(format!("{}: 0000 without pgCno", sent.describe())),
                },
            }
        }
        outcome.payments_created = books.payments.len();
        outcome.payments_approved = books.payments.values().filter(|a| **a).count();
        outcome.cancels = books.cancels.len();
        outcome.charges = books.charges.len();
        books
    }

    fn cancelled(&self, pg_cno: &str) -> u64 {
        self.cancels
            .values()
            .filter(|(payment, _)| payment == pg_cno)
            .count() as u64
            * CANCEL_AMOUNT
    }
}

/// Every keyed request answered `0000` is sent again with the same key and body: the answer
/// must be the same, byte for byte.
async fn replay(shared: &Arc<Shared>, ledger: &[Sent], outcome: &mut Outcome) {
    let limit = Arc::new(Semaphore::new(8));
    let mut replays = JoinSet::new();
    for sent in ledger {
        if sent.key.is_none() || sent.code() != "0000" {
            continue;
        }
        let (shared, limit, sent) = (shared.clone(), limit.clone(), sent.clone());
        replays.spawn(async move {
            let _permit = limit.acquire_owned().await.expect("never closed");
            let url = format!("{}{}", shared.base_url, sent.path);
            let again = load::send(&shared.client, &url, sent.body.clone()).await;
            let again = again
                .map(|(status, body)| (status, String::from_utf8_lossy(&body).into_owned()));
            match again {
                Ok(answer) if Some(&answer) == sent.answer.as_ref() => None,
                Ok((status, body)) => {
                    let (first_status, first) = sent.answer.clone().unwrap_or_default();
                    Some(format!(
                        "{}: the replay answered {status} {}, the first answer was {first_status} {}",
                        sent.describe(),
                        clip(&body),
                        clip(&first)
                    ))
                }
                Err(error) => Some(format!("{}: replay failed: {error}", sent.describe())),
            }
        });
    }
    while let Some(joined) = replays.join_next().await {
        outcome.replayed += 1;
        match joined {
            Ok(Some(violation)) => outcome.violations.push(violation),
            Ok(None) => {}
            Err(error) => outcome
                .violations
                .push(format!("a replay panicked: {error}")),
        }
    }
}

/// `find` of every created payment says what its answered history says.
async fn check_finds(shared: &Arc<Shared>, books: &Books, outcome: &mut Outcome) {
    let limit = Arc::new(Semaphore::new(8));
    let mut finds = JoinSet::new();
    for (pg_cno, approved) in &books.payments {
        let cancelled = books.cancelled(pg_cno);
        let expected = match (approved, cancelled) {
            (false, _) => ("W001", None),
            (true, 0) => ("0000", Some("TS01")),
            (true, amount) if amount < ORDER_AMOUNT => ("0000", Some("TS06")),
            (true, _) => ("0000", Some("TS02")),
        };
        let (shared, limit, pg_cno) = (shared.clone(), limit.clone(), pg_cno.clone());
        finds.spawn(async move {
            let _permit = limit.acquire_owned().await.expect("never closed");
            let url = format!("{}{}", shared.base_url, bodies::FIND_PATH);
            let body = bodies::find(&shared.ids.key(), &pg_cno);
            let answer = load::send(&shared.client, &url, body).await;
            let (code, fields) = load::code_of(&answer);
            if (code.as_str(), fields.status_cd.as_deref()) == expected {
                None
            } else {
                Some(format!(
                    "find {pg_cno}: {code} statusCd {:?}, expected {} {:?}",
                    fields.status_cd, expected.0, expected.1
                ))
            }
        });
    }
    while let Some(joined) = finds.join_next().await {
        match joined {
            Ok(Some(violation)) => outcome.violations.push(violation),
            Ok(None) => {}
            Err(error) => outcome.violations.push(format!("a find panicked: {error}")),
        }
    }
}

/// Which notification a body is: (kind, the id it concerns).
fn notification_of(body: &serde_json::Value) -> Option<(&'static str, String)> {
    let text = |name: &str| body.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    if body.get("notiType").and_then(|v| v.as_str()) == Some("10") {
        return Some(("card.approval", text("pgCno")?));
    }
    if let Some(cancel_pg_cno) = text("cancelPgCno") {
        return Some(("wechat.cancel", cancel_pg_cno));
    }
    Some(("wechat.approval", text("pgCno")?))
}

/// Waits (bounded) until every approval, cancel and charge has its notification at the receiver.
async fn check_notifications(
    settle: Duration,
    receiver: &Receiver,
    books: &Books,
    outcome: &mut Outcome,
) {
    let mut expected: HashSet<(&'static str, String)> = HashSet::new();
    for (pg_cno, approved) in &books.payments {
        if *approved {
            expected.insert(("wechat.approval", pg_cno.clone()));
        }
    }
    for cancel_pg_cno in books.cancels.keys() {
        expected.insert(("wechat.cancel", cancel_pg_cno.clone()));
    }
    for pg_cno in &books.charges {
        expected.insert(("card.approval", pg_cno.clone()));
    }
    outcome.notifications_expected = expected.len();
    let deadline = Instant::now() + settle;
    let mut reported = Instant::now();
    let missing = loop {
        let received: HashSet<(&'static str, String)> = receiver
            .received()
            .iter()
            .filter_map(|(received, _)| notification_of(&received.body))
            .collect();
        let missing: Vec<_> = expected.difference(&received).cloned().collect();
        if missing.is_empty() || Instant::now() >= deadline {
            break missing;
        }
        if reported.elapsed() > Duration::from_secs(5) {
            eprintln!(
                "waiting for {} notification(s) (a delivery cut by a kill is retried when its lease runs out)",
                missing.len()
            );
            reported = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let received = receiver.received();
    outcome.notifications_received = received.len();
    outcome.duplicate_deliveries = received
        .iter()
        .map(|(_, times)| u64::from(times.saturating_sub(1)))
        .sum();
    let mut by_effect: HashMap<(&'static str, String), Vec<String>> = HashMap::new();
    for (notification, _) in &received {
        if let Some(effect) = notification_of(&notification.body) {
            by_effect
                .entry(effect)
                .or_default()
                .push(notification.webhook_id.clone());
        }
    }
    for ((kind, id), webhook_ids) in by_effect {
        if webhook_ids.len() > 1 {
            outcome.violations.push(format!(
                "{kind} {id}: {} distinct notifications ({}) for one effect",
                webhook_ids.len(),
                webhook_ids.join(", ")
            ));
        }
    }
    for (kind, id) in missing {
        outcome.violations.push(format!(
            "{kind} {id}: no notification reached the receiver within {settle:?}"
        ));
    }
    if receiver.bad_signatures() > 0 {
        outcome.violations.push(format!(
            "{} notification(s) with a bad Standard Webhooks signature",
            receiver.bad_signatures()
        ));
    }
}

/// The database agrees: one effect per key.
async fn check_database(
    database: &Database,
    ids: &Ids,
    books: &Books,
    deadline: Instant,
    outcome: &mut Outcome,
) -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    let mut db = sqlx::AnyConnection::connect(&database.url)
        .await
        .context("opening the database to reconcile")?;
    let prefix = format!("{}%", ids.order_prefix());
    let violations = &mut outcome.violations;

    let payments: Vec<(String, Option<i64>, i64)> = sqlx::query_as(
        "SELECT pg_cno, approved_amount, cancelled_amount FROM payments WHERE shop_order_no LIKE $1",
    )
    .bind(&prefix)
    .fetch_all(&mut db)
    .await?;
    let in_db: BTreeMap<String, (Option<i64>, i64)> = payments
        .into_iter()
        .map(|(pg_cno, approved, cancelled)| (pg_cno, (approved, cancelled)))
        .collect();
    for pg_cno in in_db.keys() {
        if !books.payments.contains_key(pg_cno) {
            violations.push(format!(
                "payment {pg_cno} is in the database but no create was answered with it"
            ));
        }
    }
    for (pg_cno, approved) in &books.payments {
        match in_db.get(pg_cno) {
            None => violations.push(format!(
                "payment {pg_cno} was answered 0000 but is not stored"
            )),
            Some((approved_amount, cancelled)) => {
                if approved_amount.is_some() != *approved {
                    violations.push(format!(
                        "payment {pg_cno}: approved_amount {approved_amount:?}, but the wallet's approval {}",
                        if *approved { "was answered" } else { "was not" }
                    ));
                }
                let expected = books.cancelled(pg_cno);
                if *cancelled as u64 != expected {
                    violations.push(format!(
                        "payment {pg_cno}: cancelled_amount {cancelled}, the answered cancels add up to {expected}"
                    ));
                }
            }
        }
    }

    let cancels: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT c.cancel_pg_cno, c.pg_cno, c.shop_transaction_id FROM cancels c \
         JOIN payments p ON p.pg_cno = c.pg_cno WHERE p.shop_order_no LIKE $1",
    )
    .bind(&prefix)
    .fetch_all(&mut db)
    .await?;
    let mut per_key: HashMap<&str, usize> = HashMap::new();
    for (cancel_pg_cno, pg_cno, key) in &cancels {
        *per_key.entry(key.as_str()).or_default() += 1;
        if books.cancels.get(cancel_pg_cno).map(|(p, _)| p) != Some(pg_cno) {
            violations.push(format!(
                "cancel {cancel_pg_cno} of {pg_cno} (key {key}) is stored but was never answered"
            ));
        }
    }
    for (key, count) in per_key {
        if count > 1 {
            violations.push(format!("cancel key {key} made {count} cancels"));
        }
    }
    let stored: HashSet<&str> = cancels.iter().map(|(c, _, _)| c.as_str()).collect();
    for cancel_pg_cno in books.cancels.keys() {
        if !stored.contains(cancel_pg_cno.as_str()) {
            violations.push(format!(
                "cancel {cancel_pg_cno} was answered 0000 but is not stored"
            ));
        }
    }

    let charges: Vec<(String,)> =
        sqlx::query_as("SELECT pg_cno FROM card_payments WHERE shop_order_no LIKE $1")
            .bind(&prefix)
            .fetch_all(&mut db)
            .await?;
    let stored: BTreeSet<String> = charges.into_iter().map(|(pg_cno,)| pg_cno).collect();
    if stored != books.charges {
        violations.push(format!(
            "card payments: {} stored, {} answered 0000 (stored only: {:?}; answered only: {:?})",
            stored.len(),
            books.charges.len(),
            stored.difference(&books.charges).collect::<Vec<_>>(),
            books.charges.difference(&stored).collect::<Vec<_>>()
        ));
    }

    // A delivery cut by a kill is recorded only when it is tried again, once its lease runs out.
    let notifications = loop {
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT kind, pg_cno, status FROM notifications")
                .fetch_all(&mut db)
                .await?;
        let undelivered = rows.iter().any(|(_, pg_cno, status)| {
            status != "delivered"
                && (books.payments.contains_key(pg_cno) || books.charges.contains(pg_cno))
        });
        if !undelivered || Instant::now() >= deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let mut per_effect: HashMap<(String, String), usize> = HashMap::new();
    for (kind, pg_cno, status) in &notifications {
        let ours = books.payments.contains_key(pg_cno) || books.charges.contains(pg_cno);
        if !ours {
            continue;
        }
        *per_effect
            .entry((kind.clone(), pg_cno.clone()))
            .or_default() += 1;
        if status != "delivered" {
            violations.push(format!("notification {kind} of {pg_cno} is {status}"));
        }
    }
    let count = |kind: &str, pg_cno: &str| {
        per_effect
            .get(&(kind.to_owned(), pg_cno.to_owned()))
            .copied()
            .unwrap_or(0)
    };
    for (pg_cno, approved) in &books.payments {
        let approvals = count("wechat.approval", pg_cno);
        if approvals != usize::from(*approved) {
            violations.push(format!(
                "payment {pg_cno}: {approvals} approval notification(s) queued"
            ));
        }
        let cancels = count("wechat.cancel", pg_cno);
        let expected = (books.cancelled(pg_cno) / CANCEL_AMOUNT) as usize;
        if cancels != expected {
            violations.push(format!(
                "payment {pg_cno}: {cancels} cancel notification(s) queued for {expected} cancel(s)"
            ));
        }
    }
    for pg_cno in &books.charges {
        let queued = count("card.approval", pg_cno);
        if queued != 1 {
            violations.push(format!(
                "card payment {pg_cno}: {queued} notification(s) queued"
            ));
        }
    }
    let _ = db.close().await;
    Ok(())
}

/// The start of an answer, for a violation's message.
fn clip(body: &str) -> String {
    match body.char_indices().nth(120) {
        Some((at, _)) => format!("{}…", &body[..at]),
        None => body.to_owned(),
    }
}

fn print_outcome(outcome: &Outcome) {
    println!(
        "\ncrash reconcile on {}: {} kill(s), gateway started {} time(s)",
        outcome.backend, outcome.kills, outcome.gateway_starts
    );
    println!(
        "requests in {:.1} s: {:?}; {} needed a retry ({} retries in all); {} wallet approval(s) \
         had taken effect before the kill that cut their answer",
        outcome.load_seconds,
        outcome.requests,
        outcome.retried_requests,
        outcome.retries,
        outcome.approvals_applied_before_a_kill
    );
    println!(
        "payments created {}, approved {}; partial cancels {}; card charges {}",
        outcome.payments_created, outcome.payments_approved, outcome.cancels, outcome.charges
    );
    println!(
        "replayed {} answered keys; notifications expected {}, distinct received {}, \
         duplicate deliveries {} (at least once); settled in {:.1} s",
        outcome.replayed,
        outcome.notifications_expected,
        outcome.notifications_received,
        outcome.duplicate_deliveries,
        outcome.settle_seconds
    );
    if outcome.violations.is_empty() {
        println!("reconciled: no violation");
    } else {
        println!("{} VIOLATION(S):", outcome.violations.len());
        for violation in outcome.violations.iter().take(20) {
            println!("  - {violation}");
        }
        if outcome.violations.len() > 20 {
            println!(
                "  … and {} more (see --json)",
                outcome.violations.len() - 20
            );
        }
    }
}
