//! Latency histograms (HdrHistogram, microseconds) and answer codes per endpoint, and their summary.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// What a request exercised: one of the gateway's endpoints, or the echo ceiling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Endpoint {
    Echo,
    Create,
    Approve,
    Find,
    Charge,
    Cancel,
}

impl Endpoint {
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Echo => "echo",
            Endpoint::Create => "create",
            Endpoint::Approve => "approve",
            Endpoint::Find => "find",
            Endpoint::Charge => "charge",
            Endpoint::Cancel => "cancel",
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Echo => "POST /echo",
            Endpoint::Create => "POST /api/trades/wechatpay",
            Endpoint::Approve => "POST /_sandbox/wechat/{pgCno}/approve",
            Endpoint::Find => "POST /api/trades/wechatpay/find",
            Endpoint::Charge => "POST /api/trades/approval/batch",
            Endpoint::Cancel => "POST /api/trades/wechatpay/revise (32)",
        }
    }
}

/// Latencies from 1 µs to 120 s, 3 significant digits.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 120_000_000, 3).expect("valid bounds")
}

pub struct EndpointStats {
    pub latency: Histogram<u64>,
    /// Every answer's `resCd` (or `io` for a transport error, `http-NNN` for an answer that is
    /// not the JSON envelope).
    pub codes: BTreeMap<String, u64>,
}

impl EndpointStats {
    fn new() -> EndpointStats {
        EndpointStats {
            latency: histogram(),
            codes: BTreeMap::new(),
        }
    }

    fn merge(&mut self, other: &EndpointStats) {
        self.latency.add(&other.latency).expect("same bounds");
        for (code, count) in &other.codes {
            *self.codes.entry(code.clone()).or_default() += count;
        }
    }
}

#[derive(Default)]
pub struct Stats {
    pub by_endpoint: BTreeMap<Endpoint, EndpointStats>,
}

impl Stats {
    pub fn record(&mut self, endpoint: Endpoint, latency: Duration, code: &str) {
        let stats = self
            .by_endpoint
            .entry(endpoint)
            .or_insert_with(EndpointStats::new);
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        stats.latency.saturating_record(micros.max(1));
        match stats.codes.get_mut(code) {
            Some(count) => *count += 1,
            None => {
                stats.codes.insert(code.to_owned(), 1);
            }
        }
    }

    pub fn merge(&mut self, other: &Stats) {
        for (endpoint, stats) in &other.by_endpoint {
            self.by_endpoint
                .entry(*endpoint)
                .or_insert_with(EndpointStats::new)
                .merge(stats);
        }
    }

    /// One summary per endpoint, then the total over all of them.
    pub fn summarize(&self, elapsed: Duration) -> (Vec<Summary>, Summary) {
        let endpoints: Vec<Summary> = self
            .by_endpoint
            .iter()
            .map(|(endpoint, stats)| Summary::of(endpoint.name(), endpoint.path(), stats, elapsed))
            .collect();
        let mut all = EndpointStats::new();
        for stats in self.by_endpoint.values() {
            all.merge(stats);
        }
        (
            endpoints,
            Summary::of("total", "all requests", &all, elapsed),
        )
    }
}

/// Throughput and latency of one endpoint over a measured phase.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub endpoint: String,
    pub path: String,
    pub requests: u64,
    /// Requests not answered `"0000"`.
    pub errors: u64,
    /// Requests per second over the phase.
    pub throughput: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The count of every answer that was not `"0000"`, by `resCd` (`io`: no answer).
    pub errors_by_res_cd: BTreeMap<String, u64>,
    /// The same figures divided by the echo ceiling's (filled in once the echo is known).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio_to_echo: Option<Ratio>,
}

/// `throughput` is a fraction of the echo's requests per second; latencies are multiples of the
/// echo's.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Ratio {
    pub throughput: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

impl Summary {
    fn of(name: &str, path: &str, stats: &EndpointStats, elapsed: Duration) -> Summary {
        let requests = stats.latency.len();
        let errors_by_res_cd: BTreeMap<String, u64> = stats
            .codes
            .iter()
            .filter(|(code, _)| code.as_str() != "0000")
            .map(|(code, count)| (code.clone(), *count))
            .collect();
        let latency = &stats.latency;
        Summary {
            endpoint: name.to_owned(),
            path: path.to_owned(),
            requests,
            errors: errors_by_res_cd.values().sum(),
            throughput: requests as f64 / elapsed.as_secs_f64().max(1e-9),
            p50_ms: ms(latency.value_at_quantile(0.50)),
            p95_ms: ms(latency.value_at_quantile(0.95)),
            p99_ms: ms(latency.value_at_quantile(0.99)),
            max_ms: ms(latency.max()),
            errors_by_res_cd,
            ratio_to_echo: None,
        }
    }

    pub fn with_ratio(mut self, echo: &Summary) -> Summary {
        let div = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        self.ratio_to_echo = Some(Ratio {
            throughput: div(self.throughput, echo.throughput),
            p50: div(self.p50_ms, echo.p50_ms),
            p95: div(self.p95_ms, echo.p95_ms),
            p99: div(self.p99_ms, echo.p99_ms),
            max: div(self.max_ms, echo.max_ms),
        });
        self
    }
}
