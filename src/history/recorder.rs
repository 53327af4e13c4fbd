//! The history's one writer: a thread of its own that takes what the engine's emitters tell
//! it (see [`crate::engine::tap`]: that a job will be asked, its greylisting re-checks, its
//! report with its conversation already in text form) and commits the finished checks in
//! small batches: whatever has arrived when it gets to write, at most [`BATCH`] rows per
//! transaction, then, when it has caught up, a pause of [`GATHER`] for the next to gather. A
//! kill loses the checks not yet committed, at most [`UNCOMMITTED`] (one batch): a finished
//! check waits for a permit before its report goes to the writer, and the permit comes back
//! with the commit. A write that fails (a full disk) is reported once, and recording stops;
//! the run and its output go on (the permits still come back).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::{Semaphore, mpsc};

use super::store::{History, Record, SenderSetup, Write};
use crate::engine::event::JobId;
use crate::engine::tap::{Tap, TapEvent};

/// Most rows in one transaction.
pub const BATCH: usize = 1024;

/// Events the tap may hold before the engine waits for the writer (a check sends one or two,
/// and its report waits for a permit besides).
pub const TAP_BUFFER: usize = 4_096;

/// Finished checks that may be sent to the writer and not yet committed: a report waits for
/// a permit before it goes, and the permit comes back when it is committed. So a kill loses at
/// most this many from the database: the last batch, not committed.
pub const UNCOMMITTED: usize = BATCH;

/// When the writer has caught up (the tap ran dry and the batch was small), it lets events
/// gather this long before it looks again: one wake-up per pause instead of one per event,
/// which on a busy machine cost more than the writing. Behind, it does not pause.
const GATHER: std::time::Duration = std::time::Duration::from_millis(25);

pub use crate::engine::tap::{MAX_TRANSCRIPT_BYTES, MAX_TRANSCRIPT_LINES};

/// The running writer.
pub struct Recorder {
    thread: JoinHandle<Written>,
    failure: Arc<Mutex<Option<String>>>,
}

/// What the writer did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Checks stored.
    pub rows: u64,
    /// Transactions committed.
    pub batches: u64,
    /// The error that stopped recording, if one did.
    pub failure: Option<String>,
}

impl Recorder {
    /// Starts the writer on `history`; returns it and the tap to give the engine.
    pub fn start(history: History, sender: SenderSetup, keep_transcripts: bool) -> (Recorder, Tap) {
        let (tap, events) = mpsc::channel(TAP_BUFFER);
        let uncommitted = Arc::new(Semaphore::new(UNCOMMITTED));
        let failure = Arc::new(Mutex::new(None));
        let shared = failure.clone();
        let permits = uncommitted.clone();
        let thread = std::thread::Builder::new()
            .name("mxknock-history".into())
            .spawn(move || {
                let feed = Feed { events, permits };
                write_all(history, feed, sender, shared)
            })
            .expect("a thread for the history writer");
        let tap = Tap {
            events: tap,
            uncommitted,
            transcripts: keep_transcripts,
        };
        (Recorder { thread, failure }, tap)
    }

    /// The error that stopped recording, once there is one.
    pub fn failure(&self) -> Option<String> {
        self.failure.lock().expect("failure lock").clone()
    }

    /// Waits until every event sent to the tap is stored (the tap's senders, held by the
    /// engine, must be gone: the engine's event stream has ended).
    pub fn finish(self) -> Written {
        self.thread.join().unwrap_or_else(|_| Written {
            failure: Some("the history writer stopped".into()),
            ..Written::default()
        })
    }
}

/// What the writer reads: the tap's events, and the permits it gives back per committed report.
struct Feed {
    events: mpsc::Receiver<TapEvent>,
    permits: Arc<Semaphore>,
}

/// Closes the permits when the writer ends however it ends (a panic too): a check finishing
/// after that waits for no permit, so the engine never hangs on a writer that is gone.
struct ClosePermits(Arc<Semaphore>);

impl Drop for ClosePermits {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// The writer's loop: block for an event, take what else has arrived, commit.
fn write_all(
    mut history: History,
    feed: Feed,
    sender: SenderSetup,
    failure: Arc<Mutex<Option<String>>>,
) -> Written {
    let mut written = Written::default();
    let mut jobs: HashMap<JobId, Job> = HashMap::new();
    let mut batch = Vec::with_capacity(BATCH);
    let Feed {
        mut events,
        permits,
    } = feed;
    let _release = ClosePermits(permits.clone());
    while let Some(first) = events.blocking_recv() {
        let mut next = Some(first);
        let mut dry = false;
        // Every report taken holds a permit, recorded or not (one from the history is not).
        let mut reports = 0;
        while let Some(event) = next.take() {
            reports += usize::from(matches!(event, TapEvent::Finished { .. }));
            if let Some(write) = take(event, &mut jobs, &sender) {
                batch.push(write);
            }
            if batch.len() < BATCH {
                next = events.try_recv().ok();
                dry = next.is_none();
            }
        }
        let caught_up = dry && batch.len() < BATCH / 8;
        if batch.is_empty() || written.failure.is_some() {
            batch.clear();
            permits.add_permits(reports);
            if caught_up {
                std::thread::sleep(GATHER);
            }
            continue;
        }
        match history.write(&batch) {
            Ok(()) => {
                written.rows += batch
                    .iter()
                    .filter(|w| matches!(w, Write::Check(_)))
                    .count() as u64;
                written.batches += 1;
            }
            Err(e) => {
                let message = format!("{e}; results from here on are not recorded");
                tracing::warn!("{message}");
                *failure.lock().expect("failure lock") = Some(message.clone());
                written.failure = Some(message);
            }
        }
        batch.clear();
        permits.add_permits(reports);
        if caught_up {
            std::thread::sleep(GATHER);
        }
    }
    written
}

/// What the writer keeps of a job until it ends.
#[derive(Default)]
struct Job {
    /// The address as given (from its `Queued` event).
    address: String,
    /// Greylisting re-checks scheduled.
    rechecks: u32,
}

/// Keeps what a job's events say, and turns them into writes: a pending re-check when it is
/// greylisted, a record when it finishes (not one answered from the history).
fn take(event: TapEvent, jobs: &mut HashMap<JobId, Job>, sender: &SenderSetup) -> Option<Write> {
    match event {
        TapEvent::Queued { job, address } => {
            jobs.entry(job).or_default().address = address;
            None
        }
        TapEvent::Greylisted { job, secs } => {
            let job = jobs.entry(job).or_default();
            job.rechecks += 1;
            Some(Write::Pending {
                address: job.address.clone(),
                due_at_ms: super::now_ms() + secs as i64 * 1000,
                tries: job.rechecks,
            })
        }
        TapEvent::Finished {
            job,
            report,
            transcript,
        } => {
            jobs.remove(&job);
            if report.from_history {
                return None;
            }
            Some(Write::Check(Box::new(Record {
                checked_at_ms: super::now_ms(),
                transcript,
                report: *report,
                sender: sender.clone(),
            })))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::judge::verdict::{Reason, Report};

    #[tokio::test]
    async fn reports_wait_for_permits_that_commits_give_back_and_an_ended_writer_closes_them() {
        let dir = tempfile::tempdir().unwrap();
        let history = History::open(&dir.path().join("h.sqlite")).unwrap().history;
        let (recorder, tap) = Recorder::start(history, SenderSetup::default(), true);
        let permits = tap.uncommitted.clone();
        assert_eq!(permits.available_permits(), UNCOMMITTED);
        let job = crate::engine::tap::JobTap::new(tap.clone());
        for i in 0..3 {
            let report = Report::new(format!("a{i}@x.test"), Reason::Ok, "250");
            job.finished(JobId(i), Box::new(report)).await;
        }
        // Committed within a gather or two: every permit is back.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while permits.available_permits() < UNCOMMITTED {
            assert!(
                std::time::Instant::now() < deadline,
                "permits not given back"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        drop((job, tap));
        let written = tokio::task::spawn_blocking(move || recorder.finish())
            .await
            .unwrap();
        assert_eq!(written.rows, 3);
        assert!(
            permits.is_closed(),
            "a check finishing now waits for nothing"
        );
    }
}
