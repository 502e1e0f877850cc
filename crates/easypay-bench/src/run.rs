//! `easypay-bench run`: the echo ceiling, then the scenario mix against one gateway (and, with
//! `--instances N`, against N gateway processes on one database), each figure beside its ratio to
//! the ceiling.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use serde::Serialize;

use crate::echo::EchoProcess;
use crate::gateway::{BackendKind, Database, Gateway, GatewayBin, DEFAULT_POSTGRES_URL};
use crate::ids::Ids;
use crate::load::{self, Mix, Phase, World, DEFAULT_MIX};
use crate::receiver::Receiver;
use crate::report::{self, Machine};
use crate::stats::{Endpoint, Summary};
use crate::{cards, parse_duration};

#[derive(clap::Args, Clone)]
pub struct RunArgs {
    /// Start the gateway itself on a fresh database of this kind (the default: sqlite).
    #[arg(long, conflicts_with = "target")]
    spawn: Option<BackendKind>,
    /// A running gateway's base URL instead (repeat it to spread the load over several).
    #[arg(long)]
    target: Vec<String>,
    /// With --spawn postgres: also measure this many gateway processes on one database.
    #[arg(long, default_value_t = 1)]
    instances: usize,
    /// How long each measured phase lasts.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// Load sent before each measured phase and not recorded.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    warmup: Duration,
    /// Keep-alive connections (one request in flight on each).
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// A fixed arrival rate in requests per second (total); without it, as fast as possible.
    #[arg(long)]
    rate: Option<f64>,
    /// Scenario weights: create, approve (sandbox wallet), find, charge (billing key), cancel
    /// (partial). `--mix create` measures create alone.
    #[arg(long, default_value = DEFAULT_MIX)]
    mix: Mix,
    /// How long the echo ceiling is measured.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    echo_duration: Duration,
    /// Billing keys issued before the load, for charges.
    #[arg(long, default_value_t = 8)]
    keys: usize,
    /// Also write the report as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// The gateway binary: a path, or `self` (this binary acting as the gateway). Default: the
    /// workspace's target/release/easypay.
    #[arg(long)]
    gateway_bin: Option<String>,
    /// PostgreSQL server on which each run creates (and then drops) its own database.
    #[arg(long, env = "EASYPAY_BENCH_POSTGRES_URL", default_value = DEFAULT_POSTGRES_URL)]
    postgres_url: String,
    /// Another flag for `easypay serve` (repeatable), e.g. --gateway-arg=--order-ttl=30m.
    #[arg(long = "gateway-arg", allow_hyphen_values = true)]
    gateway_args: Vec<String>,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
}

#[derive(Serialize)]
struct Report {
    tool: &'static str,
    started_at: String,
    machine: Machine,
    settings: Settings,
    /// The ceiling: a bare axum + serde JSON echo, as fast as it goes.
    echo: Summary,
    /// With --rate: the echo at the same arrival rate (latency ratios use it).
    #[serde(skip_serializing_if = "Option::is_none")]
    echo_at_rate: Option<Summary>,
    phases: Vec<PhaseReport>,
}

#[derive(Serialize)]
struct Settings {
    target: String,
    gateway_bin: Option<String>,
    connections: usize,
    duration_s: f64,
    warmup_s: f64,
    rate: Option<f64>,
    mix: String,
    body_bytes: usize,
    billing_keys: usize,
    debug_build: bool,
}

#[derive(Serialize)]
struct PhaseReport {
    label: String,
    instances: usize,
    elapsed_s: f64,
    endpoints: Vec<Summary>,
    total: Summary,
    /// Resident memory of each gateway process before and after the measured load (KiB).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    gateway_rss_kib: Vec<(Option<u64>, Option<u64>)>,
    /// Notifications the tool's receiver acknowledged during the measured load.
    notifications_received: u64,
}

pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    if cfg!(debug_assertions) {
        eprintln!(
            "warning: easypay-bench is a debug build; measure with `cargo run --release -p easypay-bench`"
        );
    }
    let spawn = match (&args.spawn, args.target.is_empty()) {
        (Some(kind), _) => Some(*kind),
        (None, true) => Some(BackendKind::Sqlite),
        (None, false) => None,
    };
    if args.instances == 0 || args.connections == 0 {
        bail!("--instances and --connections must be at least 1");
    }
    if args.instances > 1 && spawn == Some(BackendKind::Sqlite) {
        bail!("--instances > 1 needs --spawn postgres: SQLite is one process's database");
    }
    let bin = match spawn {
        Some(_) => Some(GatewayBin::resolve(args.gateway_bin.as_deref())?),
        None => None,
    };
    let client = load::client(args.connections)?;
    let machine = Machine::detect();
    let started_at = chrono::Utc::now().to_rfc3339();
    eprintln!("machine: {}", machine.line());

    // 1. The ceiling.
    let echo_process = EchoProcess::start().await?;
    let echo_phase = |label: &str, duration: Duration, rate: Option<f64>| Phase {
        label: label.into(),
        connections: args.connections,
        duration,
        rate,
        mix: Mix(vec![(Endpoint::Echo, 1)]),
        targets: vec![echo_process.base_url.clone()],
        progress: !args.no_progress,
    };
    let nobody = Arc::new(World::new(Ids::new(), String::new(), Vec::new()));
    let warmup = args.warmup.min(args.echo_duration);
    load::run_phase(&echo_phase("echo warm-up", warmup, None), nobody.clone(), &client).await?;
    let (stats, elapsed) = load::run_phase(
        &echo_phase("echo ceiling", args.echo_duration, None),
        nobody.clone(),
        &client,
    )
    .await?;
    let echo = stats.summarize(elapsed).1.with_ratio_self();
    let echo_at_rate = match args.rate {
        Some(rate) => {
            let phase = echo_phase("echo at rate", args.echo_duration, Some(rate));
            let (stats, elapsed) = load::run_phase(&phase, nobody, &client).await?;
            Some(stats.summarize(elapsed).1.with_ratio(&echo))
        }
        None => None,
    };
    echo_process.stop().await;
    let latency_ceiling = echo_at_rate.clone().unwrap_or_else(|| echo.clone());

    // 2. The gateway(s).
    let receiver = Receiver::start(false).await?;
    let mut phases = Vec::new();
    let instance_counts: Vec<usize> = match spawn {
        Some(_) if args.instances > 1 => vec![1, args.instances],
        Some(_) => vec![1],
        None => vec![args.target.len()],
    };
    for instances in instance_counts {
        let phase = gateway_phase(
            &args,
            spawn,
            bin.as_ref(),
            instances,
            &receiver,
            &client,
            &echo,
            &latency_ceiling,
        )
        .await?;
        phases.push(phase);
    }

    // 3. The report.
    let target = match spawn {
        Some(kind) => format!("spawned, {}", kind.as_str()),
        None => args.target.join(", "),
    };
    let body_bytes = load::echo_body().len();
    let mode = match args.rate {
        Some(rate) => format!("{rate} req/s arrival rate"),
        None => "as fast as possible".into(),
    };
    println!(
        "\neasypay-bench run: {target}; {} connections, {mode}, {:?} per phase after {:?} warm-up; mix {}",
        args.connections,
        args.duration,
        args.warmup,
        args.mix.describe()
    );
    println!("machine: {}", machine.line());
    println!(
        "\nceiling: bare axum + serde JSON echo, {body_bytes}-byte body, same client and connections"
    );
    let mut rows = vec![&echo];
    if let Some(at_rate) = &echo_at_rate {
        rows.push(at_rate);
    }
    print!("{}", report::table(&rows));
    for phase in &phases {
        println!("\n{}", phase.label);
        let mut rows: Vec<&Summary> = phase.endpoints.iter().collect();
        rows.push(&phase.total);
        print!("{}", report::table(&rows));
        println!(
            "notifications acknowledged by the tool's receiver meanwhile: {}",
            phase.notifications_received
        );
        for (index, (before, after)) in phase.gateway_rss_kib.iter().enumerate() {
            if let (Some(before), Some(after)) = (before, after) {
                println!(
                    "gateway {} resident memory: {:.1} MiB before, {:.1} MiB after",
                    index + 1,
                    *before as f64 / 1024.0,
                    *after as f64 / 1024.0
                );
            }
        }
    }
    println!(
        "\n%echo: throughput as a share of the echo's; ×echo: latency as a multiple of the echo's{}.",
        if args.rate.is_some() {
            " at the same rate"
        } else {
            ""
        }
    );
    let report = Report {
        tool: concat!("easypay-bench ", env!("CARGO_PKG_VERSION")),
        started_at,
        machine,
        settings: Settings {
            target,
            gateway_bin: bin.as_ref().map(GatewayBin::describe),
            connections: args.connections,
            duration_s: args.duration.as_secs_f64(),
            warmup_s: args.warmup.as_secs_f64(),
            rate: args.rate,
            mix: args.mix.describe(),
            body_bytes,
            billing_keys: args.keys,
            debug_build: cfg!(debug_assertions),
        },
        echo,
        echo_at_rate,
        phases,
    };
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)? + "\n")?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn gateway_phase(
    args: &RunArgs,
    spawn: Option<BackendKind>,
    bin: Option<&GatewayBin>,
    instances: usize,
    receiver: &Receiver,
    client: &reqwest::Client,
    echo: &Summary,
    latency_ceiling: &Summary,
) -> anyhow::Result<PhaseReport> {
    let mut database = None;
    let mut gateways = Vec::new();
    let targets = match (spawn, bin) {
        (Some(kind), Some(bin)) => {
            let db = Database::fresh(kind, &args.postgres_url).await?;
            for index in 0..instances {
                gateways.push(Gateway::start(index + 1, bin, &db, &args.gateway_args).await?);
            }
            database = Some(db);
            gateways.iter().map(|g| g.base_url.clone()).collect()
        }
        _ => args.target.clone(),
    };
    let label = match spawn {
        Some(kind) => format!(
            "{} gateway process{} on {}",
            instances,
            if instances == 1 { "" } else { "es" },
            kind.as_str()
        ),
        None => format!("running gateway(s): {}", targets.join(", ")),
    };
    let outcome = async {
        let ids = Ids::new();
        let batch_keys = if args.mix.has(Endpoint::Charge) && args.keys > 0 {
            cards::set_noti_url(&targets[0], &receiver.url).await?;
            cards::issue_keys(&targets[0], &ids, args.keys).await?
        } else {
            Vec::new()
        };
        let world = Arc::new(World::new(ids, receiver.url.clone(), batch_keys));
        let phase = |label: String, duration: Duration| Phase {
            label,
            connections: args.connections,
            duration,
            rate: args.rate,
            mix: args.mix.clone(),
            targets: targets.clone(),
            progress: !args.no_progress,
        };
        if !args.warmup.is_zero() {
            load::run_phase(&phase(format!("{instances}× warm-up"), args.warmup), world.clone(), client)
                .await?;
        }
        let before: Vec<Option<u64>> = gateways.iter().map(Gateway::rss_kib).collect();
        let notified = receiver.total();
        let (stats, elapsed) =
            load::run_phase(&phase(label.clone(), args.duration), world.clone(), client).await?;
        let after: Vec<Option<u64>> = gateways.iter().map(Gateway::rss_kib).collect();
        let (endpoints, total) = stats.summarize(elapsed);
        let endpoints = endpoints
            .into_iter()
            .map(|summary| ratio(summary, echo, latency_ceiling))
            .collect();
        anyhow::Ok(PhaseReport {
            label: label.clone(),
            instances,
            elapsed_s: elapsed.as_secs_f64(),
            endpoints,
            total: ratio(total, echo, latency_ceiling),
            gateway_rss_kib: before.into_iter().zip(after).collect(),
            notifications_received: receiver.total() - notified,
        })
    }
    .await;
    for gateway in &mut gateways {
        let _ = gateway.kill_9().await;
    }
    if let Some(database) = database {
        database.remove().await;
    }
    outcome
}

/// Throughput against the echo's maximum, latency against the echo's at the same load.
fn ratio(summary: Summary, echo: &Summary, latency_ceiling: &Summary) -> Summary {
    let throughput = summary.clone().with_ratio(echo).ratio_to_echo;
    let mut summary = summary.with_ratio(latency_ceiling);
    if let (Some(ratio), Some(throughput)) = (summary.ratio_to_echo.as_mut(), throughput) {
        ratio.throughput = throughput.throughput;
    }
    summary
}

impl Summary {
    fn with_ratio_self(self) -> Summary {
        let copy = self.clone();
        self.with_ratio(&copy)
    }
}
