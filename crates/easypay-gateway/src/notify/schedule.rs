//! Retry schedules (decision 23): the delays between a failed attempt and the next one.

use std::time::Duration;

/// `delays[i]` is the wait after failed attempt `i + 1`; after the last delay's attempt fails the
/// notification is given up (marked failed), so there are `delays.len() + 1` tries in a cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule {
    delays: Vec<Duration>,
}

impl RetrySchedule {
    /// WeChat: up to 15 resends on a growing schedule, about a day in all.
    pub fn wechat_default() -> Self {
        RetrySchedule::parse("10s,30s,1m,2m,5m,10m,20m,30m,1h,1h,2h,2h,4h,4h,6h").expect("valid")
    }

    /// Card notifications: every 3 minutes, up to 10 resends (KICC's online webhook rule).
    pub fn card_default() -> Self {
        RetrySchedule::parse("3m*10").expect("valid")
    }

    /// A comma-separated list of delays like `10s,1m,2h`; `3m*10` repeats a delay. An empty
    /// schedule means one try and no resend.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut delays = Vec::new();
        if raw.trim().is_empty() {
            return Ok(RetrySchedule { delays });
        }
        for item in raw.split(',').map(str::trim) {
            if item.is_empty() {
                return Err(format!(
                    "{raw:?}: an empty delay (a schedule is delays like 10s,1m,2h)"
                ));
            }
            let (delay, times) = match item.split_once('*') {
                Some((delay, times)) => (
                    delay,
                    times
                        .trim()
                        .parse::<usize>()
                        .map_err(|_| format!("{item:?}: bad repeat count"))?,
                ),
                None => (item, 1),
            };
            let delay = crate::cli::parse_duration(delay.trim())?;
            if !(1..=100).contains(&times) {
                return Err(format!("{item:?}: 1 to 100 repeats"));
            }
            delays.extend(std::iter::repeat_n(delay, times));
        }
        Ok(RetrySchedule { delays })
    }

    /// Tries per cycle, the first one included.
    pub fn max_attempts(&self) -> usize {
        self.delays.len() + 1
    }

    /// The wait after `attempts_done` failed attempts, or `None` when the cycle is used up.
    pub fn delay_after(&self, attempts_done: usize) -> Option<Duration> {
        attempts_done
            .checked_sub(1)
            .and_then(|index| self.delays.get(index))
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_kicc_try_counts() {
        assert_eq!(RetrySchedule::wechat_default().max_attempts(), 16);
        assert_eq!(RetrySchedule::card_default().max_attempts(), 11);
        assert_eq!(
            RetrySchedule::card_default().delay_after(1),
            Some(Duration::from_secs(180))
        );
    }

    #[test]
    fn delays_follow_the_list_then_stop() {
        let schedule = RetrySchedule::parse("1s, 2m*2").unwrap();
        assert_eq!(schedule.delay_after(1), Some(Duration::from_secs(1)));
        assert_eq!(schedule.delay_after(2), Some(Duration::from_secs(120)));
        assert_eq!(schedule.delay_after(3), Some(Duration::from_secs(120)));
        assert_eq!(schedule.delay_after(4), None);
        assert_eq!(RetrySchedule::parse("").unwrap().max_attempts(), 1);
        assert!(RetrySchedule::parse("1x").is_err());
        assert!(RetrySchedule::parse("1s*x").is_err());
        assert!(RetrySchedule::parse("10s,,5m").is_err());
        assert!(RetrySchedule::parse("3m*0").is_err());
    }
}
