//! `easypay-bench run`: the echo ceiling, then the scenario mix against one gateway (and, with
//! `--instances N`, against N gateway processes on one database), each figure beside its ratio to
//! the ceiling. `easypay-bench suite`: the fixed set of runs docs/performance.md reports.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use serde::Serialize;

use crate::cpu::{self, CpuUse};
use crate::echo::EchoProcess;
use crate::gateway::{BackendKind, Database, Gateway, GatewayBin, DEFAULT_POSTGRES_URL};
use crate::ids::Ids;
use crate::load::{self, Mix, Phase, World, DEFAULT_MIX};
use crate::receiver::Receiver;
use crate::report::{self, Machine};
use crate::stats::{Endpoint, Summary};
use crate::{cards, parse_duration};

/// Flags shared by `run` and `suite`.
#[derive(clap::Args, Clone)]
pub struct CommonArgs {
    /// How long each measured phase lasts.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// Load sent before each measured phase and not recorded.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    warmup: Duration,
    /// Keep-alive connections (one request in flight on each).
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// How long each round of the echo ceiling is measured.
    #[arg(long, default_value = "3s", value_parser = parse_duration)]
    echo_duration: Duration,
    /// Rounds of the echo ceiling, one after another; the best is the ceiling. On a shared
    /// virtual machine one round can come out a third below the next.
    #[arg(long, default_value_t = 3)]
    echo_rounds: usize,
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
    /// A fixed arrival rate in requests per second (total); without it, as fast as possible.
    #[arg(long)]
    rate: Option<f64>,
    /// Scenario weights: create, approve (sandbox wallet), find, charge (billing key), cancel
    /// (partial). `--mix create` measures create alone.
    #[arg(long, default_value = DEFAULT_MIX)]
    mix: Mix,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(clap::Args, Clone)]
pub struct SuiteArgs {
    /// Leave out the PostgreSQL runs.
    #[arg(long)]
    no_postgres: bool,
    /// Also write the figures as Markdown tables to this file (for docs/performance.md).
    #[arg(long)]
    markdown: Option<PathBuf>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Serialize)]
struct Report {
    tool: &'static str,
    started_at: String,
    machine: Machine,
    settings: Settings,
    /// The ceiling: a bare axum + serde JSON echo, as fast as it goes (its best round).
    echo: Summary,
    /// Requests per second of each round of the ceiling.
    echo_rounds_rps: Vec<f64>,
    /// The echo at the fixed arrival rates used (latency ratios of those runs use it).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    echo_at_rate: Vec<Summary>,
    phases: Vec<PhaseReport>,
}

#[derive(Serialize)]
struct Settings {
    gateway_bin: Option<String>,
    connections: usize,
    duration_s: f64,
    warmup_s: f64,
    echo_duration_s: f64,
    echo_rounds: usize,
    body_bytes: usize,
    billing_keys: usize,
    debug_build: bool,
}

#[derive(Serialize)]
struct PhaseReport {
    label: String,
    target: String,
    instances: usize,
    mix: String,
    rate: Option<f64>,
    elapsed_s: f64,
    endpoints: Vec<Summary>,
    total: Summary,
    /// Resident memory of each gateway process before and after the measured load (KiB).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    gateway_rss_kib: Vec<(Option<u64>, Option<u64>)>,
    /// Resident memory of each gateway process sampled during the measured load: seconds into
    /// the phase, then KiB per process (at least 10 samples, at most one a second).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    gateway_rss_samples: Vec<(f64, Vec<Option<u64>>)>,
    /// Notifications the tool's receiver acknowledged during the measured load.
    notifications_received: u64,
    /// Average cores used during the measured load, by whom.
    cpu: CpuUse,
}

/// One measured phase against gateways.
#[derive(Clone)]
struct Scenario {
    label: String,
    /// Spawned gateways on this database, or `None` for `--target`s.
    spawn: Option<BackendKind>,
    instances: usize,
    mix: Mix,
    rate: Option<f64>,
}

/// What every phase of one invocation shares.
struct Bench {
    common: CommonArgs,
    bin: Option<GatewayBin>,
    targets: Vec<String>,
    client: reqwest::Client,
    receiver: Receiver,
    echo: Summary,
    echo_rounds_rps: Vec<f64>,
    echo_at_rate: Vec<Summary>,
}

impl Bench {
    async fn new(common: &CommonArgs, spawns: bool, targets: Vec<String>) -> anyhow::Result<Bench> {
        if cfg!(debug_assertions) {
            eprintln!(
                "warning: easypay-bench is a debug build; measure with `cargo run --release -p easypay-bench`"
            );
        }
        if common.connections == 0 {
            bail!("--connections must be at least 1");
        }
        let bin = match spawns {
            true => Some(GatewayBin::resolve(common.gateway_bin.as_deref())?),
            false => None,
        };
        let client = load::client(common.connections)?;
        eprintln!("machine: {}", Machine::detect().line());
        let (echo, echo_rounds_rps) = Self::echo(common, &client, None, None).await?;
        Ok(Bench {
            common: common.clone(),
            bin,
            targets,
            client,
            receiver: Receiver::start(false).await?,
            echo,
            echo_rounds_rps,
            echo_at_rate: Vec::new(),
        })
    }

    /// The echo in its own process, warmed up, then measured as fast as it goes (the best of
    /// `--echo-rounds`), or at `rate` (one round). Also answers each round's requests per second.
    async fn echo(
        common: &CommonArgs,
        client: &reqwest::Client,
        rate: Option<f64>,
        ceiling: Option<&Summary>,
    ) -> anyhow::Result<(Summary, Vec<f64>)> {
        let process = EchoProcess::start().await?;
        let phase = |label: &str, duration: Duration, rate: Option<f64>| Phase {
            label: label.into(),
            connections: common.connections,
            duration,
            rate,
            mix: Mix(vec![(Endpoint::Echo, 1)]),
            targets: vec![process.base_url.clone()],
            progress: !common.no_progress,
        };
        let nobody = Arc::new(World::new(Ids::new(), String::new(), Vec::new()));
        let warmup = common.warmup.min(common.echo_duration);
        if !warmup.is_zero() {
            load::run_phase(&phase("echo warm-up", warmup, rate), nobody.clone(), client).await?;
        }
        let label = match rate {
            Some(rate) => format!("echo at {rate:.0}/s"),
            None => "echo ceiling".into(),
        };
        // At a fixed rate one round: the rate is the rate. As fast as possible, the best round.
        let rounds = if rate.is_some() {
            1
        } else {
            common.echo_rounds.max(1)
        };
        let mut measured = Vec::new();
        for _ in 0..rounds {
            // On an error the process is killed as it is dropped, as after the warm-up's.
            let phase = phase(&label, common.echo_duration, rate);
            let (stats, elapsed) = load::run_phase(&phase, nobody.clone(), client).await?;
            measured.push(stats.summarize(elapsed).1);
        }
        process.stop().await;
        let throughputs: Vec<f64> = measured.iter().map(|round| round.throughput).collect();
        if rounds > 1 {
            eprintln!(
                "echo ceiling: {} req/s in {rounds} rounds; the best is the ceiling",
                throughputs
                    .iter()
                    .map(|rps| format!("{rps:.0}"))
                    .collect::<Vec<_>>()
                    .join(" / ")
            );
        }
        let best = measured
            .into_iter()
            .max_by(|a, b| a.throughput.total_cmp(&b.throughput));
        let mut summary = best.expect("at least one round");
        summary.endpoint = match rate {
            Some(rate) => format!("echo@{rate:.0}"),
            None => "echo".into(),
        };
        let copy = summary.clone();
        Ok((summary.with_ratio(ceiling.unwrap_or(&copy)), throughputs))
    }

    /// The echo's latency at `rate` (measured once per rate).
    async fn latency_ceiling(&mut self, rate: Option<f64>) -> anyhow::Result<Summary> {
        let Some(rate) = rate else {
            return Ok(self.echo.clone());
        };
        if let Some(known) = self
            .echo_at_rate
            .iter()
            .find(|echo| echo.endpoint == format!("echo@{rate:.0}"))
        {
            return Ok(known.clone());
        }
        let (echo, _) =
            Self::echo(&self.common, &self.client, Some(rate), Some(&self.echo)).await?;
        self.echo_at_rate.push(echo.clone());
        Ok(echo)
    }

    async fn measure(&mut self, scenario: &Scenario) -> anyhow::Result<PhaseReport> {
        let latency_ceiling = self.latency_ceiling(scenario.rate).await?;
        let common = &self.common;
        let mut database = None;
        let mut gateways = Vec::new();
        let targets = match (scenario.spawn, &self.bin) {
            (Some(kind), Some(bin)) => {
                let db = Database::fresh(kind, &common.postgres_url).await?;
                for index in 0..scenario.instances {
                    match Gateway::start(index + 1, bin, &db, &common.gateway_args).await {
                        Ok(gateway) => gateways.push(gateway),
                        Err(error) => {
                            db.remove().await;
                            return Err(error);
                        }
                    }
                }
                database = Some(db);
                gateways.iter().map(|g| g.base_url.clone()).collect()
            }
            _ => self.targets.clone(),
        };
        let outcome = self
            .load(scenario, &targets, &gateways, &latency_ceiling)
            .await;
        for gateway in &mut gateways {
            let _ = gateway.kill_9().await;
        }
        if let Some(database) = database {
            database.remove().await;
        }
        outcome
    }

    async fn load(
        &self,
        scenario: &Scenario,
        targets: &[String],
        gateways: &[Gateway],
        latency_ceiling: &Summary,
    ) -> anyhow::Result<PhaseReport> {
        let common = &self.common;
        let ids = Ids::new();
        let batch_keys = if scenario.mix.has(Endpoint::Charge) && common.keys > 0 {
            cards::set_noti_url(&targets[0], &self.receiver.url).await?;
            cards::issue_keys(&targets[0], &ids, common.keys).await?
        } else {
            Vec::new()
        };
        let world = Arc::new(World::new(ids, self.receiver.url.clone(), batch_keys));
        let phase = |label: String, duration: Duration| Phase {
            label,
            connections: common.connections,
            duration,
            rate: scenario.rate,
            mix: scenario.mix.clone(),
            targets: targets.to_vec(),
            progress: !common.no_progress,
        };
        if !common.warmup.is_zero() {
            let label = format!("{} (warm-up)", scenario.label);
            load::run_phase(&phase(label, common.warmup), world.clone(), &self.client).await?;
        }
        let before: Vec<Option<u64>> = gateways.iter().map(Gateway::rss_kib).collect();
        let notified = self.receiver.total();
        let pids: Vec<u32> = gateways.iter().filter_map(Gateway::pid).collect();
        let postgres = scenario.spawn != Some(BackendKind::Sqlite);
        let cpu_before = cpu::Sample::take(&pids, postgres);
        let measured = phase(scenario.label.clone(), common.duration);
        let samples = MemorySamples::default();
        let sampler = tokio::spawn(sample_memory(
            pids.clone(),
            common.duration,
            samples.clone(),
        ));
        let (stats, elapsed) = load::run_phase(&measured, world.clone(), &self.client).await?;
        sampler.abort();
        let gateway_rss_samples = samples.lock().expect("sampler lock").clone();
        let cpu = cpu_before.until(&cpu::Sample::take(&pids, postgres));
        let after: Vec<Option<u64>> = gateways.iter().map(Gateway::rss_kib).collect();
        let (endpoints, total) = stats.summarize(elapsed);
        let ratio = |summary: Summary| {
            let throughput = summary.clone().with_ratio(&self.echo).ratio_to_echo;
            let mut summary = summary.with_ratio(latency_ceiling);
            if let (Some(ratio), Some(throughput)) = (summary.ratio_to_echo.as_mut(), throughput) {
                ratio.throughput = throughput.throughput;
            }
            summary
        };
        Ok(PhaseReport {
            label: scenario.label.clone(),
            target: match scenario.spawn {
                Some(kind) => format!("spawned, {}", kind.as_str()),
                None => targets.join(", "),
            },
            instances: scenario.instances,
            mix: scenario.mix.describe(),
            rate: scenario.rate,
            elapsed_s: elapsed.as_secs_f64(),
            endpoints: endpoints.into_iter().map(ratio).collect(),
            total: ratio(total),
            gateway_rss_kib: before.into_iter().zip(after).collect(),
            gateway_rss_samples,
            notifications_received: self.receiver.total() - notified,
            cpu,
        })
    }

    fn finish(self, phases: Vec<PhaseReport>, started_at: String) -> anyhow::Result<Report> {
        let common = &self.common;
        let report = Report {
            tool: concat!("easypay-bench ", env!("CARGO_PKG_VERSION")),
            started_at,
            machine: Machine::detect(),
            settings: Settings {
                gateway_bin: self.bin.as_ref().map(GatewayBin::describe),
                connections: common.connections,
                duration_s: common.duration.as_secs_f64(),
                warmup_s: common.warmup.as_secs_f64(),
                echo_duration_s: common.echo_duration.as_secs_f64(),
                echo_rounds: common.echo_rounds,
                body_bytes: load::echo_body().len(),
                billing_keys: common.keys,
                debug_build: cfg!(debug_assertions),
            },
            echo: self.echo,
            echo_rounds_rps: self.echo_rounds_rps,
            echo_at_rate: self.echo_at_rate,
            phases,
        };
        print_report(&report);
        if let Some(path) = &common.json {
            std::fs::write(path, serde_json::to_string_pretty(&report)? + "\n")?;
            eprintln!("wrote {}", path.display());
        }
        Ok(report)
    }
}

pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    let spawn = match (&args.spawn, args.target.is_empty()) {
        (Some(kind), _) => Some(*kind),
        (None, true) => Some(BackendKind::Sqlite),
        (None, false) => None,
    };
    if args.instances == 0 {
        bail!("--instances must be at least 1");
    }
    if args.instances > 1 && spawn != Some(BackendKind::Postgres) {
        bail!("--instances > 1 needs --spawn postgres: SQLite is one process's database");
    }
    let started_at = chrono::Utc::now().to_rfc3339();
    let mut bench = Bench::new(&args.common, spawn.is_some(), args.target.clone()).await?;
    let instance_counts = match spawn {
        Some(_) if args.instances > 1 => vec![1, args.instances],
        Some(_) => vec![1],
        None => vec![args.target.len()],
    };
    let mut phases = Vec::new();
    for instances in instance_counts {
        let label = match spawn {
            Some(kind) => processes(instances, kind),
            None => format!("{instances} running gateway(s)"),
        };
        let scenario = Scenario {
            label,
            spawn,
            instances,
            mix: args.mix.clone(),
            rate: args.rate,
        };
        phases.push(bench.measure(&scenario).await?);
    }
    bench.finish(phases, started_at)?;
    Ok(())
}

fn processes(instances: usize, kind: BackendKind) -> String {
    format!(
        "{instances} gateway process{} on {}",
        if instances == 1 { "" } else { "es" },
        kind.as_str()
    )
}

/// The runs docs/performance.md reports: create alone and the mix, on SQLite and PostgreSQL (one
/// and two processes), then create at a fixed rate of half the throughput just measured.
pub async fn suite(args: SuiteArgs) -> anyhow::Result<()> {
    let started_at = chrono::Utc::now().to_rfc3339();
    let mut bench = Bench::new(&args.common, true, Vec::new()).await?;
    let create: Mix = "create".parse().expect("a valid mix");
    let mix: Mix = DEFAULT_MIX.parse().expect("a valid mix");
    let mut backends = vec![BackendKind::Sqlite];
    if !args.no_postgres {
        backends.push(BackendKind::Postgres);
    }
    let mut phases = Vec::new();
    for kind in backends {
        let counts: &[usize] = match kind {
            BackendKind::Sqlite => &[1],
            BackendKind::Postgres => &[1, 2],
        };
        for (name, scenario_mix) in [("create", &create), ("mix", &mix)] {
            for &instances in counts {
                let scenario = Scenario {
                    label: format!("{name}, {}", processes(instances, kind)),
                    spawn: Some(kind),
                    instances,
                    mix: scenario_mix.clone(),
                    rate: None,
                };
                phases.push(bench.measure(&scenario).await?);
            }
        }
        let create_max = phases
            .iter()
            .find(|phase| phase.mix == "create=1" && phase.target.ends_with(kind.as_str()))
            .map(|phase| phase.total.throughput)
            .unwrap_or(0.0);
        let rate = (create_max / 2.0).floor();
        if rate >= 1.0 {
            let scenario = Scenario {
                label: format!("create at {rate:.0}/s (half), {}", processes(1, kind)),
                spawn: Some(kind),
                instances: 1,
                mix: create.clone(),
                rate: Some(rate),
            };
            phases.push(bench.measure(&scenario).await?);
        }
    }
    let report = bench.finish(phases, started_at)?;
    if let Some(path) = &args.markdown {
        std::fs::write(path, markdown(&report))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn print_report(report: &Report) {
    let settings = &report.settings;
    println!(
        "\neasypay-bench: {} connections, {}s per phase after {}s warm-up",
        settings.connections, settings.duration_s, settings.warmup_s
    );
    println!("machine: {}", report.machine.line());
    println!(
        "\nceiling: bare axum + serde JSON echo, {}-byte body, same client and connections",
        settings.body_bytes
    );
    let mut rows = vec![&report.echo];
    rows.extend(report.echo_at_rate.iter());
    print!("{}", report::table(&rows));
    for phase in &report.phases {
        let mode = match phase.rate {
            Some(rate) => format!("{rate:.0} req/s arrival rate"),
            None => "as fast as possible".into(),
        };
        println!("\n{} — mix {}, {mode}", phase.label, phase.mix);
        let mut rows: Vec<&Summary> = phase.endpoints.iter().collect();
        if phase.endpoints.len() > 1 {
            rows.push(&phase.total);
        }
        print!("{}", report::table(&rows));
        println!(
            "notifications acknowledged by the tool's receiver meanwhile: {}",
            phase.notifications_received
        );
        println!("{}", cpu_line(&phase.cpu, report.machine.cores));
        for (index, (before, after)) in phase.gateway_rss_kib.iter().enumerate() {
            if let (Some(before), Some(after)) = (before, after) {
                println!(
                    "gateway {} resident memory: {:.1} MiB before, {:.1} MiB after; during the load: {}",
                    index + 1,
                    *before as f64 / 1024.0,
                    *after as f64 / 1024.0,
                    memory_samples(&phase.gateway_rss_samples, index)
                );
            }
        }
    }
    println!(
        "\n%echo: throughput as a share of the echo ceiling's; ×echo: latency as a multiple of the \
         echo's (at the same arrival rate for fixed-rate runs)."
    );
}

fn cpu_line(cpu: &CpuUse, cores: usize) -> String {
    format!(
        "CPU, in cores of {cores}: gateway {:.2}, PostgreSQL {:.2}, load generator {:.2}; whole \
         machine {:.2} (others' work included; load average {:.1})",
        cpu.gateways, cpu.postgres, cpu.load_generator, cpu.machine, cpu.load_average
    )
}

/// The suite's figures as Markdown tables.
fn markdown(report: &Report) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let settings = &report.settings;
    let _ = writeln!(
        out,
        "Measured {} with `{}`: {} keep-alive connections, {} s per phase after {} s of warm-up, \
         {}-byte create body. Machine: {}.\n",
        report.started_at.get(..10).unwrap_or(&report.started_at),
        report.tool,
        settings.connections,
        settings.duration_s,
        settings.warmup_s,
        settings.body_bytes,
        report.machine.line()
    );
    let _ = writeln!(
        out,
        "| run | endpoint | req/s | % of echo | p50 ms | p95 ms | p99 ms | max ms | p99 × echo | not `0000` |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
    let row = |out: &mut String, run: &str, summary: &Summary| {
        let ratio = summary.ratio_to_echo;
        let codes = if summary.errors_by_res_cd.is_empty() {
            "—".to_owned()
        } else {
            summary
                .errors_by_res_cd
                .iter()
                .map(|(code, count)| format!("`{code}` {count}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            out,
            "| {run} | {} | {:.0} | {} | {:.2} | {:.2} | {:.2} | {:.1} | {} | {codes} |",
            summary.endpoint,
            summary.throughput,
            ratio.map_or("—".into(), |r| format!("{:.1} %", r.throughput * 100.0)),
            summary.p50_ms,
            summary.p95_ms,
            summary.p99_ms,
            summary.max_ms,
            ratio.map_or("—".into(), |r| format!("{:.1}", r.p99)),
        );
    };
    row(&mut out, "echo ceiling", &report.echo);
    for echo in &report.echo_at_rate {
        row(&mut out, "echo at a fixed rate", echo);
    }
    for phase in &report.phases {
        for endpoint in &phase.endpoints {
            row(&mut out, &phase.label, endpoint);
        }
        if phase.endpoints.len() > 1 {
            row(&mut out, &phase.label, &phase.total);
        }
    }
    let _ = writeln!(out);
    for phase in &report.phases {
        let memory: Vec<String> = phase
            .gateway_rss_kib
            .iter()
            .filter_map(|(before, after)| {
                Some(format!(
                    "{:.1} → {:.1} MiB",
                    (*before)? as f64 / 1024.0,
                    (*after)? as f64 / 1024.0
                ))
            })
            .collect();
        let _ = writeln!(
            out,
            "- {}: gateway resident memory {}; {} notifications acknowledged during the phase; {}",
            phase.label,
            memory.join(", "),
            phase.notifications_received,
            cpu_line(&phase.cpu, report.machine.cores)
        );
    }
    out
}

/// Every tenth of `duration` (at most once a second), appends each process's resident memory to
/// `samples`, until aborted at the phase's end (or after twice `duration`, should that be missed).
async fn sample_memory(pids: Vec<u32>, duration: Duration, samples: MemorySamples) {
    let every = (duration / 10).max(Duration::from_secs(1));
    let start = std::time::Instant::now();
    let mut ticks = tokio::time::interval(every);
    while start.elapsed() < duration * 2 {
        ticks.tick().await;
        let sample = pids
            .iter()
            .map(|pid| crate::gateway::rss_kib(*pid))
            .collect();
        samples
            .lock()
            .expect("sampler lock")
            .push((start.elapsed().as_secs_f64(), sample));
    }
}

type MemorySamples = Arc<std::sync::Mutex<Vec<(f64, Vec<Option<u64>>)>>>;

/// One process's samples as "min–max MiB (n samples)".
fn memory_samples(samples: &[(f64, Vec<Option<u64>>)], index: usize) -> String {
    let values: Vec<u64> = samples
        .iter()
        .filter_map(|(_, per_process)| per_process.get(index).copied().flatten())
        .collect();
    match (values.iter().min(), values.iter().max()) {
        (Some(min), Some(max)) => format!(
            "{:.1}–{:.1} MiB over {} samples",
            *min as f64 / 1024.0,
            *max as f64 / 1024.0,
            values.len()
        ),
        _ => "not sampled".into(),
    }
}
