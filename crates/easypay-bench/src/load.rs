//! The load generator: a bounded number of keep-alive connections, each a worker that sends one
//! request at a time, either as fast as it is answered (closed loop) or on a fixed arrival schedule
//! (open loop: latency counts from the moment a request was due, so a slow server cannot hide
//! its queue). Every phase ends by itself after its duration.

use std::collections::VecDeque;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::time::Instant;

use crate::bodies::{self, AnswerFields, CANCEL_AMOUNT, ORDER_AMOUNT};
use crate::ids::Ids;
use crate::stats::{Endpoint, Stats};

/// The most orders the tool remembers for later approvals, cancels and finds.
const POOL_LIMIT: usize = 100_000;

/// A weighted scenario mix, e.g. `create=40,approve=20,find=20,charge=10,cancel=10`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Mix(pub Vec<(Endpoint, u32)>);

pub const DEFAULT_MIX: &str = "create=40,approve=20,find=20,charge=10,cancel=10";

impl FromStr for Mix {
    type Err = String;

    fn from_str(raw: &str) -> Result<Mix, String> {
        let mut parts = Vec::new();
        for part in raw
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
        {
            let (name, weight) = match part.split_once('=') {
                Some((name, weight)) => (
                    name.trim(),
                    weight
                        .trim()
                        .parse::<u32>()
                        .map_err(|_| format!("{part:?}: the weight is not a whole number"))?,
                ),
                None => (part, 1),
            };
            let endpoint = match name {
                "create" => Endpoint::Create,
                "approve" => Endpoint::Approve,
                "find" => Endpoint::Find,
                "charge" => Endpoint::Charge,
                "cancel" => Endpoint::Cancel,
                "echo" => Endpoint::Echo,
                other => {
                    return Err(format!(
                        "unknown scenario {other:?}: use create, approve, find, charge, cancel"
                    ))
                }
            };
            if weight > 0 {
                parts.push((endpoint, weight));
            }
        }
        if parts.is_empty() {
            return Err("the mix is empty".into());
        }
        Ok(Mix(parts))
    }
}

impl Mix {
    fn pick(&self, rng: &mut StdRng) -> Endpoint {
        let total: u32 = self.0.iter().map(|(_, weight)| weight).sum();
        let mut roll = rng.gen_range(0..total);
        for (endpoint, weight) in &self.0 {
            if roll < *weight {
                return *endpoint;
            }
            roll -= weight;
        }
        self.0[0].0
    }

    pub fn has(&self, endpoint: Endpoint) -> bool {
        self.0.iter().any(|(e, _)| *e == endpoint)
    }

    pub fn describe(&self) -> String {
        self.0
            .iter()
            .map(|(endpoint, weight)| format!("{}={weight}", endpoint.name()))
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// What the scenarios share: identifiers, the notification receiver, billing keys, and the
/// orders created so far (to approve, cancel and find).
pub struct World {
    pub ids: Ids,
    pub notify_url: String,
    pub batch_keys: Vec<String>,
    pending: Mutex<VecDeque<String>>,
    /// Approved payments and what remains to cancel.
    approved: Mutex<VecDeque<(String, u64)>>,
    findable: Mutex<Vec<String>>,
}

impl World {
    pub fn new(ids: Ids, notify_url: String, batch_keys: Vec<String>) -> World {
        World {
            ids,
            notify_url,
            batch_keys,
            pending: Mutex::default(),
            approved: Mutex::default(),
            findable: Mutex::default(),
        }
    }
}

fn push_bounded<T>(queue: &Mutex<VecDeque<T>>, item: T) {
    let mut queue = queue.lock().expect("not poisoned");
    if queue.len() >= POOL_LIMIT {
        queue.pop_front();
    }
    queue.push_back(item);
}

/// A request ready to go, and what to do with its answer.
enum Prepared {
    Echo,
    Create,
    Approve(String),
    Find,
    Cancel(String, u64),
    Charge,
}

/// A keep-alive HTTP/1.1 client for at most `connections` concurrent requests.
pub fn client(connections: usize) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .tcp_nodelay(true)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?)
}

/// Sends one request; answers the HTTP status and body, or the transport error.
pub async fn send(
    client: &reqwest::Client,
    url: &str,
    body: String,
) -> Result<(u16, axum::body::Bytes), reqwest::Error> {
    let response = client
        .post(url)
        .header("content-type", "application/json; charset=utf-8")
        .body(body)
        .send()
        .await?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await?;
    Ok((status, bytes))
}

/// The code a request counts under: its `resCd`, `http-NNN` without one, `io` without an answer.
pub fn code_of(
    answer: &Result<(u16, axum::body::Bytes), reqwest::Error>,
) -> (String, AnswerFields) {
    match answer {
        Err(_) => ("io".into(), AnswerFields::default()),
        Ok((status, body)) => match AnswerFields::parse(body) {
            Some(fields) => (
                fields
                    .res_cd
                    .clone()
                    .unwrap_or_else(|| format!("http-{status}")),
                fields,
            ),
            None => (format!("http-{status}"), AnswerFields::default()),
        },
    }
}

/// How a phase sends its requests.
#[derive(Clone)]
pub struct Phase {
    pub label: String,
    pub connections: usize,
    pub duration: Duration,
    /// Requests per second in total, or as fast as possible.
    pub rate: Option<f64>,
    pub mix: Mix,
    /// Base URLs; connection `i` goes to `targets[i % len]`.
    pub targets: Vec<String>,
    pub progress: bool,
}

/// Runs a phase to its end; answers the recorded stats and the measured wall time.
pub async fn run_phase(
    phase: &Phase,
    world: Arc<World>,
    client: &reqwest::Client,
) -> anyhow::Result<(Stats, Duration)> {
    if phase.targets.is_empty() || phase.connections == 0 {
        bail!("nothing to load: no target or no connection");
    }
    let started = Instant::now();
    let end = started + phase.duration;
    let tickets = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let bar = progress_bar(phase);
    let ticker = {
        let (bar, done, failed) = (bar.clone(), done.clone(), failed.clone());
        let total_ms = phase.duration.as_millis() as u64;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let elapsed = started.elapsed();
                let count = done.load(Ordering::Relaxed);
                bar.set_position((elapsed.as_millis() as u64).min(total_ms));
                bar.set_message(format!(
                    "{count} req, {:.0} req/s, {} not 0000",
                    count as f64 / elapsed.as_secs_f64().max(1e-3),
                    failed.load(Ordering::Relaxed)
                ));
            }
        })
    };
    let mut workers = Vec::with_capacity(phase.connections);
    for index in 0..phase.connections {
        let worker = Worker {
            base_url: phase.targets[index % phase.targets.len()].clone(),
            mix: phase.mix.clone(),
            rate: phase.rate,
            started,
            end,
            tickets: tickets.clone(),
            done: done.clone(),
            failed: failed.clone(),
            world: world.clone(),
            client: client.clone(),
        };
        workers.push(tokio::spawn(worker.run()));
    }
    let mut stats = Stats::default();
    for worker in workers {
        stats.merge(&worker.await.context("a load worker panicked")?);
    }
    let elapsed = started.elapsed();
    ticker.abort();
    bar.finish_and_clear();
    Ok((stats, elapsed))
}

fn progress_bar(phase: &Phase) -> ProgressBar {
    if !phase.progress {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(
        Some(phase.duration.as_millis() as u64),
        ProgressDrawTarget::stderr_with_hz(5),
    );
    bar.set_style(
        ProgressStyle::with_template("{prefix:>22} [{bar:30}] {elapsed:>3}/{duration} {msg}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix(phase.label.clone());
    bar
}

struct Worker {
    base_url: String,
    mix: Mix,
    rate: Option<f64>,
    started: Instant,
    end: Instant,
    tickets: Arc<AtomicU64>,
    done: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
    world: Arc<World>,
    client: reqwest::Client,
}

impl Worker {
    async fn run(self) -> Stats {
        let mut stats = Stats::default();
        let mut rng = StdRng::from_entropy();
        loop {
            let due = match self.rate {
                Some(rate) => {
                    let ticket = self.tickets.fetch_add(1, Ordering::Relaxed);
                    let due = self.started + Duration::from_secs_f64(ticket as f64 / rate);
                    if due >= self.end {
                        break;
                    }
                    tokio::time::sleep_until(due).await;
                    due
                }
                None => {
                    let now = Instant::now();
                    if now >= self.end {
                        break;
                    }
                    now
                }
            };
            let (endpoint, code) = self.one(&mut rng).await;
            stats.record(endpoint, due.elapsed(), &code);
            self.done.fetch_add(1, Ordering::Relaxed);
            if code != "0000" {
                self.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
        stats
    }

    /// Picks a scenario (falling back to a create when its precondition is missing), sends it,
    /// and feeds the pools from the answer.
    async fn one(&self, rng: &mut StdRng) -> (Endpoint, String) {
        let world = &self.world;
        let prepared = match self.mix.pick(rng) {
            Endpoint::Echo => Prepared::Echo,
            Endpoint::Create => Prepared::Create,
            Endpoint::Approve => match world.pending.lock().expect("not poisoned").pop_front() {
                Some(pg_cno) => Prepared::Approve(pg_cno),
                None => Prepared::Create,
            },
            Endpoint::Find => {
                if world.findable.lock().expect("not poisoned").is_empty() {
                    Prepared::Create
                } else {
                    Prepared::Find
                }
            }
            Endpoint::Cancel => match world.approved.lock().expect("not poisoned").pop_front() {
                Some((pg_cno, remaining)) => Prepared::Cancel(pg_cno, remaining),
                None => Prepared::Create,
            },
            Endpoint::Charge if !world.batch_keys.is_empty() => Prepared::Charge,
            Endpoint::Charge => Prepared::Create,
        };
        let base = &self.base_url;
        let (endpoint, url, body) = match &prepared {
            Prepared::Echo => (
                Endpoint::Echo,
                format!("{base}{}", bodies::ECHO_PATH),
                echo_body(),
            ),
            Prepared::Create => (
                Endpoint::Create,
                format!("{base}{}", bodies::CREATE_PATH),
                bodies::create(&world.ids.key(), &world.ids.order_no(), &world.notify_url),
            ),
            Prepared::Approve(pg_cno) => (
                Endpoint::Approve,
                format!("{base}{}", bodies::approve_path(pg_cno)),
                String::new(),
            ),
            Prepared::Find => {
                let pg_cno = {
                    let findable = world.findable.lock().expect("not poisoned");
                    findable[rng.gen_range(0..findable.len())].clone()
                };
                (
                    Endpoint::Find,
                    format!("{base}{}", bodies::FIND_PATH),
                    bodies::find(&world.ids.key(), &pg_cno),
                )
            }
            Prepared::Cancel(pg_cno, _) => (
                Endpoint::Cancel,
                format!("{base}{}", bodies::CANCEL_PATH),
                bodies::partial_cancel(&world.ids.key(), pg_cno, &bodies::seoul_today()),
            ),
            Prepared::Charge => {
                let batch_key = &world.batch_keys[rng.gen_range(0..world.batch_keys.len())];
                (
                    Endpoint::Charge,
                    format!("{base}{}", bodies::CHARGE_PATH),
                    bodies::charge(
                        &world.ids.key(),
                        &world.ids.order_no(),
                        batch_key,
                        &bodies::seoul_today(),
                    ),
                )
            }
        };
        let answer = send(&self.client, &url, body).await;
        let (code, fields) = code_of(&answer);
        let ok = code == "0000";
        match prepared {
            Prepared::Create if ok => {
                if let Some(pg_cno) = fields.pg_cno {
                    push_bounded(&world.pending, pg_cno);
                }
            }
            Prepared::Approve(pg_cno) if ok => {
                {
                    let mut findable = world.findable.lock().expect("not poisoned");
                    if findable.len() < POOL_LIMIT {
                        findable.push(pg_cno.clone());
                    }
                }
                push_bounded(&world.approved, (pg_cno, ORDER_AMOUNT));
            }
            Prepared::Cancel(pg_cno, remaining) if ok => {
                let remaining = remaining - CANCEL_AMOUNT;
                if remaining >= CANCEL_AMOUNT {
                    push_bounded(&world.approved, (pg_cno, remaining));
                }
            }
            _ => {}
        }
        (endpoint, code)
    }
}

/// The echo's body: the same ~600-byte create request (with a `resCd`, so that the echo's
/// answer counts as a success like the gateway's).
pub fn echo_body() -> String {
    let mut body: serde_json::Value = serde_json::from_str(&bodies::create(
        "bench-echo-0000000000-1",
        "B-echo000000-1",
        "http://127.0.0.1:40000/notify",
    ))
    .expect("JSON");
    body["resCd"] = serde_json::json!("0000");
    body.to_string()
}
