//! The report: a table on stdout and the same figures as JSON.

use std::fmt::Write;

use serde::Serialize;

use crate::stats::Summary;

/// What the figures were taken on.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub cpu: String,
    pub memory_gib: f64,
    pub kernel: String,
    pub note: String,
}

impl Machine {
    pub fn detect() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|line| line.strip_prefix("model name"))
            .map(|rest| rest.trim_start_matches([' ', '\t', ':']).trim().to_owned())
            .unwrap_or_else(|| "unknown".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory_kib: f64 = meminfo
            .lines()
            .find_map(|line| line.strip_prefix("MemTotal:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0.0);
        Machine {
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            cpu,
            memory_gib: (memory_kib / 1024.0 / 1024.0 * 10.0).round() / 10.0,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap_or_default()
                .trim()
                .to_owned(),
            note: "load generator, echo server, gateway(s) and database on the same machine".into(),
        }
    }

    pub fn line(&self) -> String {
        format!(
            "{} cores ({}), {} GiB, Linux {}; {}",
            self.cores, self.cpu, self.memory_gib, self.kernel, self.note
        )
    }
}

fn ms(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

fn codes(summary: &Summary) -> String {
    if summary.errors_by_res_cd.is_empty() {
        return "-".into();
    }
    summary
        .errors_by_res_cd
        .iter()
        .map(|(code, count)| format!("{code}:{count}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One table: a row per summary, each figure followed by its ratio to the echo's.
pub fn table(rows: &[&Summary]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<9} {:>9} {:>9} {:>7} {:>15} {:>15} {:>15} {:>15}  not 0000 (resCd:count)",
        "endpoint",
        "requests",
        "req/s",
        "%echo",
        "p50 ms (×echo)",
        "p95 ms (×echo)",
        "p99 ms (×echo)",
        "max ms (×echo)"
    );
    for row in rows {
        let ratio = row.ratio_to_echo;
        let with = |value: f64, times: Option<f64>| match times {
            Some(times) => format!("{} (×{:.1})", ms(value), times),
            None => ms(value),
        };
        let _ = writeln!(
            out,
            "{:<9} {:>9} {:>9.0} {:>7} {:>15} {:>15} {:>15} {:>15}  {}",
            row.endpoint,
            row.requests,
            row.throughput,
            ratio.map_or("-".into(), |r| format!("{:.1}%", r.throughput * 100.0)),
            with(row.p50_ms, ratio.map(|r| r.p50)),
            with(row.p95_ms, ratio.map(|r| r.p95)),
            with(row.p99_ms, ratio.map(|r| r.p99)),
            with(row.max_ms, ratio.map(|r| r.max)),
            codes(row)
        );
    }
    out
}
