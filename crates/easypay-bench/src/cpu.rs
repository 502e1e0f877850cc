//! Where the CPU went during a phase (Linux `/proc`): the gateway processes, PostgreSQL's
//! processes, this load generator, and the whole machine (other people's work included).

use std::time::Instant;

use serde::Serialize;

/// Linux reports process times in clock ticks of 1/100 s (`CLK_TCK`).
const TICKS_PER_SECOND: f64 = 100.0;

/// Cumulative CPU ticks at one instant.
pub struct Sample {
    at: Instant,
    gateways: u64,
    postgres: u64,
    bench: u64,
    machine_busy: u64,
    load_average: f64,
}

/// Average cores in use over a phase (2.0 is all of a 2-core machine).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct CpuUse {
    pub gateways: f64,
    pub postgres: f64,
    pub load_generator: f64,
    pub machine: f64,
    /// The 1-minute load average at the end of the phase.
    pub load_average: f64,
}

/// `utime + stime` of a process.
fn process_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; the fields after it are space-separated.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn postgres_ticks() -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim() == "postgres")
        })
        .filter_map(process_ticks)
        .sum()
}

fn machine_busy() -> u64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = stat.lines().find(|line| line.starts_with("cpu ")) else {
        return 0;
    };
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|value| value.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal: all but idle and iowait.
    [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|&index| values.get(index))
        .sum()
}

fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}

impl Sample {
    pub fn take(gateway_pids: &[u32], postgres: bool) -> Sample {
        Sample {
            at: Instant::now(),
            gateways: gateway_pids
                .iter()
                .filter_map(|pid| process_ticks(*pid))
                .sum(),
            postgres: if postgres { postgres_ticks() } else { 0 },
            bench: process_ticks(std::process::id()).unwrap_or(0),
            machine_busy: machine_busy(),
            load_average: load_average(),
        }
    }

    /// The cores used on average from `self` to `later`.
    pub fn until(&self, later: &Sample) -> CpuUse {
        let seconds = later.at.duration_since(self.at).as_secs_f64().max(1e-3);
        let cores = |before: u64, after: u64| {
            let used = after.saturating_sub(before) as f64 / TICKS_PER_SECOND / seconds;
            (used * 100.0).round() / 100.0
        };
        CpuUse {
            gateways: cores(self.gateways, later.gateways),
            postgres: cores(self.postgres, later.postgres),
            load_generator: cores(self.bench, later.bench),
            machine: cores(self.machine_busy, later.machine_busy),
            load_average: later.load_average,
        }
    }
}
