//! A small Prometheus registry, one per gateway (so two gateways in one process, as in the tests,
//! never mix their numbers), rendered in the text exposition format at `GET /metrics`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::AnsweredCode;

/// Upper bounds (seconds) of the request latency histogram.
const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Default)]
struct Histogram {
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        for (bucket, bound) in self.buckets.iter_mut().zip(LATENCY_BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        self.count += 1;
        self.sum += seconds;
    }
}

/// How many notifications wait, as last sampled by the worker.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct QueueDepth {
    pub pending: i64,
    pub failed: i64,
}

/// Database pool use and group commit's counters, read when metrics are scraped.
#[derive(Debug, Default, Clone, Copy)]
pub struct PoolUse {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
    /// Write sections committed (keyed requests, wallet events, notification attempts), and in how
    /// many transactions.
    pub sections: u64,
    pub batches: u64,
    /// Batches rolled back because one section failed, their sections then run one by one.
    pub reruns: u64,
    /// SQLite files: fsyncs of the WAL, each making every commit before it durable.
    pub wal_fsyncs: u64,
    /// SQLite's heap in this process (page caches, prepared statements), in bytes.
    pub sqlite_memory_bytes: i64,
}

#[derive(Default)]
pub struct Metrics {
    /// (route, method, status, resCd) → count.
    requests: Mutex<BTreeMap<(String, String, u16, String), u64>>,
    /// (route, method) → latency.
    latency: Mutex<BTreeMap<(String, String), Histogram>>,
    in_flight: AtomicI64,
    /// (kind, outcome) → count.
    attempts: Mutex<BTreeMap<(String, String), u64>>,
    /// (kind, result) → count; result is `delivered` or `failed` (every try of the cycle failed).
    finished: Mutex<BTreeMap<(String, String), u64>>,
    queue: Mutex<Option<QueueDepth>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Metrics {
    pub fn request_started(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    pub fn request_finished(&self) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
    }

    /// Requests being handled now (graceful shutdown waits for them).
    pub fn in_flight(&self) -> i64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    pub fn record_request(
        &self,
        route: &str,
        method: &str,
        status: u16,
        code: Option<AnsweredCode>,
        elapsed: Duration,
    ) {
        let code = code.map_or(String::new(), |code| code.as_str().to_owned());
        *lock(&self.requests)
            .entry((route.to_owned(), method.to_owned(), status, code))
            .or_default() += 1;
        lock(&self.latency)
            .entry((route.to_owned(), method.to_owned()))
            .or_default()
            .observe(elapsed.as_secs_f64());
    }

    pub fn record_attempt(&self, kind: &str, outcome: &str) {
        *lock(&self.attempts)
            .entry((kind.to_owned(), outcome.to_owned()))
            .or_default() += 1;
    }

    pub fn record_finished(&self, kind: &str, delivered: bool) {
        let result = if delivered { "delivered" } else { "failed" };
        *lock(&self.finished)
            .entry((kind.to_owned(), result.to_owned()))
            .or_default() += 1;
    }

    pub fn set_queue_depth(&self, depth: QueueDepth) {
        *lock(&self.queue) = Some(depth);
    }

    /// The text exposition format (version 0.0.4).
    pub fn render(&self, pool: PoolUse, notifications_in_flight: usize) -> String {
        let mut out = String::new();
        let _ = self.render_into(&mut out, pool, notifications_in_flight);
        out
    }

    fn render_into(
        &self,
        out: &mut String,
        pool: PoolUse,
        notifications_in_flight: usize,
    ) -> std::fmt::Result {
        writeln!(
            out,
            "# HELP easypay_build_info The gateway's version.\n# TYPE easypay_build_info gauge"
        )?;
        writeln!(
            out,
            "easypay_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        )?;

        header(
            out,
            "easypay_http_requests_total",
            "counter",
            "HTTP requests answered, by route template, method, HTTP status and resCd (empty for pages).",
        )?;
        for ((route, method, status, code), count) in lock(&self.requests).iter() {
            writeln!(
                out,
                "easypay_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{status}\",res_cd=\"{}\"}} {count}",
                label(route),
                label(method),
                label(code)
            )?;
        }

        header(
            out,
            "easypay_http_request_duration_seconds",
            "histogram",
            "Time from receiving a request to its answer, by route template and method.",
        )?;
        for ((route, method), histogram) in lock(&self.latency).iter() {
            let labels = format!("route=\"{}\",method=\"{}\"", label(route), label(method));
            for (bound, count) in LATENCY_BUCKETS.iter().zip(histogram.buckets) {
                writeln!(
                    out,
                    "easypay_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {count}"
                )?;
            }
            writeln!(
                out,
                "easypay_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                histogram.count
            )?;
            writeln!(
                out,
                "easypay_http_request_duration_seconds_sum{{{labels}}} {}",
                histogram.sum
            )?;
            writeln!(
                out,
                "easypay_http_request_duration_seconds_count{{{labels}}} {}",
                histogram.count
            )?;
        }

        header(
            out,
            "easypay_http_requests_in_flight",
            "gauge",
            "Requests being handled now.",
        )?;
        writeln!(out, "easypay_http_requests_in_flight {}", self.in_flight())?;

        header(
            out,
            "easypay_notification_attempts_total",
            "counter",
            "Notification delivery attempts, by kind and outcome (acknowledged, http_status, timeout…).",
        )?;
        for ((kind, outcome), count) in lock(&self.attempts).iter() {
            writeln!(
                out,
                "easypay_notification_attempts_total{{kind=\"{}\",outcome=\"{}\"}} {count}",
                label(kind),
                label(outcome)
            )?;
        }

        header(
            out,
            "easypay_notifications_finished_total",
            "counter",
            "Notifications that ended a delivery cycle: delivered, or failed after the last try.",
        )?;
        for ((kind, result), count) in lock(&self.finished).iter() {
            writeln!(
                out,
                "easypay_notifications_finished_total{{kind=\"{}\",result=\"{}\"}} {count}",
                label(kind),
                label(result)
            )?;
        }

        header(
            out,
            "easypay_notifications_queued",
            "gauge",
            "Notifications waiting (pending: to be tried; failed: every try failed), sampled by the worker.",
        )?;
        if let Some(depth) = *lock(&self.queue) {
            writeln!(
                out,
                "easypay_notifications_queued{{status=\"pending\"}} {}",
                depth.pending
            )?;
            writeln!(
                out,
                "easypay_notifications_queued{{status=\"failed\"}} {}",
                depth.failed
            )?;
        }

        header(
            out,
            "easypay_notifications_in_flight",
            "gauge",
            "Notification attempts being made now.",
        )?;
        writeln!(
            out,
            "easypay_notifications_in_flight {notifications_in_flight}"
        )?;

        header(
            out,
            "easypay_db_pool_connections",
            "gauge",
            "Database pool connections: open (idle + in use), idle, in use, and the pool's maximum.",
        )?;
        for (state, value) in [
            ("open", pool.size),
            ("idle", pool.idle),
            ("in_use", pool.size.saturating_sub(pool.idle)),
            ("max", pool.max),
        ] {
            writeln!(
                out,
                "easypay_db_pool_connections{{state=\"{state}\"}} {value}"
            )?;
        }

        for (name, help, value) in [
            (
                "easypay_db_write_sections_total",
                "Write sections committed (keyed requests, wallet events, notification attempts): group commit.",
                pool.sections,
            ),
            (
                "easypay_db_write_batches_total",
                "Transactions that committed those sections: sections / batches is the mean batch size.",
                pool.batches,
            ),
            (
                "easypay_db_write_batch_reruns_total",
                "Batches rolled back because one section failed; their sections then ran one by one.",
                pool.reruns,
            ),
            (
                "easypay_db_wal_fsyncs_total",
                "SQLite files: fsyncs of the WAL, each making every commit before it durable (0 on PostgreSQL).",
                pool.wal_fsyncs,
            ),
        ] {
            header(out, name, "counter", help)?;
            writeln!(out, "{name} {value}")?;
        }

        header(
            out,
            "easypay_sqlite_memory_bytes",
            "gauge",
            "SQLite's heap in this process (page caches, prepared statements), held near SQLite's soft heap limit (0 on PostgreSQL).",
        )?;
        writeln!(
            out,
            "easypay_sqlite_memory_bytes {}",
            pool.sqlite_memory_bytes
        )?;
        Ok(())
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) -> std::fmt::Result {
    writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}")
}

/// A label value escaped as the exposition format requires.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_gauges() {
        let metrics = Metrics::default();
        metrics.record_request(
            "/api/trades/wechatpay",
            "POST",
            200,
            AnsweredCode::new("0000"),
            Duration::from_millis(3),
        );
        metrics.record_request(
            "/api/trades/wechatpay",
            "POST",
            200,
            AnsweredCode::new("V002"),
            Duration::from_millis(700),
        );
        metrics.record_attempt("wechat.approval", "acknowledged");
        metrics.record_finished("wechat.approval", true);
        metrics.set_queue_depth(QueueDepth {
            pending: 3,
            failed: 1,
        });
        let text = metrics.render(
            PoolUse {
                size: 4,
                idle: 3,
                max: 8,
                sections: 12,
                batches: 5,
                reruns: 1,
                wal_fsyncs: 3,
                sqlite_memory_bytes: 4096,
            },
            2,
        );
        for line in [
            r#"easypay_http_requests_total{route="/api/trades/wechatpay",method="POST",status="200",res_cd="0000"} 1"#,
            r#"easypay_http_requests_total{route="/api/trades/wechatpay",method="POST",status="200",res_cd="V002"} 1"#,
            r#"easypay_http_request_duration_seconds_bucket{route="/api/trades/wechatpay",method="POST",le="0.005"} 1"#,
            r#"easypay_http_request_duration_seconds_bucket{route="/api/trades/wechatpay",method="POST",le="1"} 2"#,
            r#"easypay_http_request_duration_seconds_count{route="/api/trades/wechatpay",method="POST"} 2"#,
            r#"easypay_notification_attempts_total{kind="wechat.approval",outcome="acknowledged"} 1"#,
            r#"easypay_notifications_finished_total{kind="wechat.approval",result="delivered"} 1"#,
            r#"easypay_notifications_queued{status="pending"} 3"#,
            r#"easypay_notifications_in_flight 2"#,
            r#"easypay_db_pool_connections{state="in_use"} 1"#,
            r#"easypay_db_write_sections_total 12"#,
            r#"easypay_db_write_batches_total 5"#,
            r#"easypay_db_write_batch_reruns_total 1"#,
            r#"easypay_db_wal_fsyncs_total 3"#,
            r#"easypay_sqlite_memory_bytes 4096"#,
        ] {
            assert!(text.lines().any(|l| l == line), "{line}\n{text}");
        }
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
