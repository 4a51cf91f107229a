//! Counts failed sign-ins per key (account, client address) in fixed windows, on the
//! injected clock. In-process: with several nodes each node throttles on its own.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};

#[derive(Default, Debug)]
pub(crate) struct Throttle {
    entries: Mutex<HashMap<String, (u32, DateTime<Utc>)>>,
}

impl Throttle {
    /// Seconds until `key` may try again, if it has reached `max` failures in its window.
    pub(crate) fn blocked_for(&self, key: &str, max: u32, now: DateTime<Utc>) -> Option<u64> {
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(key) {
            Some((count, until)) if *count >= max && *until > now => {
                Some(((*until - now).num_seconds().max(1)) as u64)
            }
            _ => None,
        }
    }

    /// Records a failure for `key`; a window starts with the first failure.
    pub(crate) fn record_failure(&self, key: &str, window: chrono::Duration, now: DateTime<Utc>) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (_, until)| *until > now);
        }
        let e = map.entry(key.to_string()).or_insert((0, now + window));
        if e.1 <= now {
            *e = (0, now + window);
        }
        e.0 += 1;
    }

    /// Forgets the failures of `key` (after a successful sign-in).
    pub(crate) fn clear(&self, key: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn blocks_after_max_failures_until_the_window_ends() {
        let t = Throttle::default();
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let w = chrono::Duration::minutes(15);
        for _ in 0..3 {
            assert_eq!(t.blocked_for("a", 3, start), None);
            t.record_failure("a", w, start);
        }
        assert_eq!(t.blocked_for("a", 3, start), Some(900));
        assert_eq!(t.blocked_for("b", 3, start), None);
        let later = start + chrono::Duration::minutes(10);
        assert_eq!(t.blocked_for("a", 3, later), Some(300));
        assert_eq!(t.blocked_for("a", 3, start + w), None);
        t.record_failure("a", w, start + w);
        assert_eq!(t.blocked_for("a", 3, start + w), None, "new window");
        t.clear("a");
        assert_eq!(t.blocked_for("a", 1, start + w), None);
    }
}
