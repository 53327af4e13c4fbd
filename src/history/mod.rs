//! The verification history: every finished check kept in a SQLite database on this machine
//! (rusqlite, SQLite bundled), so that a list checked again tomorrow is answered from what is
//! known, and "it was deliverable last week, why 550 now?" has an answer.
//!
//! - [`store`]: the database (WAL, busy timeout, versioned schema in [`schema`]), its writes
//!   and queries; a file that is not a history is moved aside, never overwritten.
//! - [`recorder`]: the one writer, fed by the engine's event tap, committing in small batches.
//! - [`run`]: the history as one command's run uses it (on or off, fresh, the recorder to
//!   wait for at the end).
//! - [`Reuse`]: the engine's read side: the freshest result of an address younger than
//!   `history.reuse_for`, never an unknown one; and the greylisting re-check an earlier run
//!   left pending, which a new check of the address waits for.
//!
//! Transcripts are kept capped (at most [`recorder::MAX_TRANSCRIPT_LINES`] lines and
//! [`recorder::MAX_TRANSCRIPT_BYTES`] bytes of their text form), not compressed: SQLite pages
//! compress nothing, but a capped conversation of a check is a few KiB.

pub mod recorder;
pub mod run;
pub mod schema;
pub mod store;

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use recorder::Recorder;
pub use run::RunHistory;
pub use store::{History, HistoryError, Opened, Record, SenderSetup, StoredCheck};

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// A time in ms since the epoch as RFC 3339, to the second (`2026-12-02T14:05:09Z`).
pub fn rfc3339(ms: i64) -> String {
    let at = UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_seconds(at).to_string()
}

/// Milliseconds since the epoch of an RFC 3339 time, if it is one.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let at = humantime::parse_rfc3339_weak(text).ok()?;
    at.duration_since(UNIX_EPOCH)
        .ok()
        .map(|d| d.as_millis() as i64)
}

/// How long ago `ms` was, in the largest unit that fits: `40 s`, `12 min`, `3 h`, `5 days`.
pub fn age(ms: i64, now: i64) -> String {
    let secs = (now - ms).max(0) / 1000;
    match secs {
        0..=89 => format!("{secs} s"),
        90..=5399 => format!("{} min", (secs + 30) / 60),
        5400..=129_599 => format!("{} h", (secs + 1800) / 3600),
        _ => format!("{} days", (secs + 43_200) / 86_400),
    }
}

/// The engine's read side of the history: which results may stand in for a new check.
///
/// Its lookups share one read transaction, renewed every [`READ_SNAPSHOT`] lookups or
/// [`READ_SNAPSHOT_AGE`]: a statement outside a transaction takes and drops SQLite's WAL read
/// lock (file-lock system calls) each time, which cost more than the lookup itself over a
/// list answered from the history. Renewing it keeps checkpoints (which wait for readers)
/// going and lets results recorded meanwhile be seen.
pub struct Reuse {
    /// The re-checks earlier runs left pending, by address key, read once at the start (a
    /// re-check this run schedules is its own to make): each is taken by the first check of
    /// its address.
    earlier_rechecks: Mutex<std::collections::HashMap<String, i64>>,
    /// How long each kind of fact stands in for asking.
    ages: ReuseAges,
    /// The "refused us" facts of the domains asked so far in this run (one query a domain).
    refusals: Mutex<std::collections::HashMap<String, Option<(String, i64)>>>,
    /// One connection per worker thread or so: a lookup takes whichever is free, so lookups
    /// on different threads do not wait for each other.
    readers: Vec<Mutex<Reader>>,
    next: std::sync::atomic::AtomicUsize,
}

/// How long the history's facts stand in for asking again; zero: never.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReuseAges {
    /// A result (`history.reuse_for`).
    pub results: Duration,
    /// A domain's catch-all result (`history.catch_all_for`).
    pub catch_all: Duration,
    /// A domain's server refusing us (`history.refused_us_for`).
    pub refused_us: Duration,
}

/// The connection and its read transaction.
struct Reader {
    history: History,
    lookups: u32,
    since: std::time::Instant,
}

/// Lookups in one read transaction.
const READ_SNAPSHOT: u32 = 5_000;

/// Longest life of one read transaction.
const READ_SNAPSHOT_AGE: Duration = Duration::from_millis(500);

impl Reuse {
    /// Facts younger than their `ages` are reused; `Duration::ZERO` reuses none of a kind.
    /// `readers`: connections to the history (at least one).
    pub fn new(readers: Vec<History>, ages: ReuseAges) -> Reuse {
        let earlier = readers
            .first()
            .map(|h| h.pending_rechecks(now_ms()))
            .transpose()
            .unwrap_or_else(|e| {
                tracing::warn!("{e}");
                None
            })
            .unwrap_or_default();
        let readers = readers
            .into_iter()
            .map(|history| {
                Mutex::new(Reader {
                    history,
                    lookups: 0,
                    since: std::time::Instant::now(),
                })
            })
            .collect();
        Reuse {
            earlier_rechecks: Mutex::new(earlier),
            ages,
            refusals: Mutex::default(),
            readers,
            next: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// A free reader, else the next one in turn.
    fn reader(&self) -> std::sync::MutexGuard<'_, Reader> {
        for reader in &self.readers {
            if let Ok(guard) = reader.try_lock() {
                return guard;
            }
        }
        let turn = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.readers[turn % self.readers.len()]
            .lock()
            .expect("history lock")
    }

    /// A domain's catch-all result and when it was found (ms since the epoch), if the history
    /// has one younger than `history.catch_all_for`.
    pub fn catch_all_fact(&self, domain: &str) -> Option<(bool, i64)> {
        if self.ages.catch_all.is_zero() {
            return None;
        }
        let facts = {
            let reader = self.reader();
            reader.history.domain(domain)
        };
        let since = now_ms() - self.ages.catch_all.as_millis() as i64;
        match facts {
            Ok(facts) => facts.catch_all.filter(|(_, at)| *at >= since),
            Err(e) => {
                tracing::warn!("{e}");
                None
            }
        }
    }

    /// What a server of `domain` answered when it refused us, and when (ms since the epoch),
    /// if that is younger than `history.refused_us_for`: its addresses are not asked again
    /// until then. Read once per domain per run (a refusal in this run is the engine's own
    /// to handle).
    pub fn refused_us_fact(&self, domain: &str) -> Option<(String, i64)> {
        if self.ages.refused_us.is_zero() {
            return None;
        }
        let known = self
            .refusals
            .lock()
            .expect("refusals lock")
            .get(domain)
            .cloned();
        match known {
            Some(fact) => fact,
            None => {
                let since = now_ms() - self.ages.refused_us.as_millis() as i64;
                let found = self.reader().history.domain(domain);
                let fact = match found {
                    Ok(facts) => facts.refused_us.filter(|(_, at)| *at >= since),
                    Err(e) => {
                        tracing::warn!("{e}");
                        None
                    }
                };
                let fact = fact.map(|(detail, at)| (first_refusal(&detail).to_string(), at));
                self.refusals
                    .lock()
                    .expect("refusals lock")
                    .insert(domain.to_string(), fact.clone());
                fact
            }
        }
    }

    /// How long until the greylisting re-check an earlier run scheduled for `address` (as
    /// given) is due, when one is pending and not yet due; asked once per address.
    pub fn pending_wait(&self, address: &str) -> Option<Duration> {
        let due = self
            .earlier_rechecks
            .lock()
            .expect("pending lock")
            .remove(&store::address_key(address))?;
        let wait = due - now_ms();
        (wait > 0).then(|| Duration::from_millis(wait as u64))
    }

    /// The stored result that answers `address` (its normalised form), if one is young enough
    /// and not unknown. A read error is logged and means "no".
    pub fn lookup(&self, address: &str) -> Option<StoredCheck> {
        if self.ages.results.is_zero() {
            return None;
        }
        let since = now_ms() - self.ages.results.as_millis() as i64;
        let mut reader = self.reader();
        let renew = reader.lookups == 0
            || reader.lookups >= READ_SNAPSHOT
            || reader.since.elapsed() >= READ_SNAPSHOT_AGE;
        if renew {
            reader.history.renew_read_snapshot(reader.lookups > 0);
            reader.lookups = 0;
            reader.since = std::time::Instant::now();
        }
        reader.lookups += 1;
        let found = reader.history.fresh_raw(address, since);
        drop(reader);
        match found.map(|raw| raw.map(store::RawCheck::decode)) {
            Ok(Some(Ok(check))) => Some(check),
            Ok(None) => None,
            Ok(Some(Err(e))) => {
                tracing::warn!("history: a stored report does not read back: {e}");
                None
            }
            Err(e) => {
                tracing::warn!("{e}");
                None
            }
        }
    }
}

/// The server's own words in a "refused us" detail: addresses that waited for a server that
/// had refused us carry `HOST refused us earlier in this run, so it is not asked again: WHY`.
fn first_refusal(detail: &str) -> &str {
    detail
        .split_once(", so it is not asked again: ")
        .map_or(detail, |(_, why)| why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_in_the_largest_unit_that_fits() {
        let now = 10_000_000_000;
        assert_eq!(age(now - 40_000, now), "40 s");
        assert_eq!(age(now - 12 * 60_000, now), "12 min");
        assert_eq!(age(now - 3 * 3_600_000, now), "3 h");
        assert_eq!(age(now - 5 * 86_400_000, now), "5 days");
        assert_eq!(age(now + 5_000, now), "0 s", "a clock that went back");
    }

    #[test]
    fn times_go_to_rfc3339_and_back() {
        let ms = 1_796_220_309_000;
        let text = rfc3339(ms);
        assert_eq!(text, "2026-12-02T14:05:09Z");
        assert_eq!(parse_rfc3339(&text), Some(ms));
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}
