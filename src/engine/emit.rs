//! The per-job event sender: stamps transcript lines with their time offset and job id, and
//! logs each event through `tracing` for `-v` (finished checks at info, the engine's own
//! `===` lines at debug, the wire at trace).

use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::event::{EngineEvent, EventKind, JobId, Stage};
use super::tap::{JobTap, Tap, TapEvent};
use super::transcript::{Direction, TranscriptLine};

/// Sends one job's events. Sending waits when the consumer is behind (backpressure); a
/// consumer that has gone away is ignored.
#[derive(Clone, Debug)]
pub struct Emitter {
    job: JobId,
    tx: mpsc::Sender<EngineEvent>,
    /// What the history's recorder is told (see [`super::tap`]).
    tap: Option<JobTap>,
    start: Instant,
}

impl Emitter {
    /// An emitter for `job` whose time offsets count from now.
    pub fn new(job: JobId, tx: mpsc::Sender<EngineEvent>) -> Self {
        Emitter {
            job,
            tx,
            tap: None,
            start: Instant::now(),
        }
    }

    /// The same, telling the history's recorder through `tap` as well.
    pub fn with_tap(mut self, tap: Option<Tap>) -> Self {
        self.tap = tap.map(JobTap::new);
        self
    }

    /// An emitter whose lines go nowhere: for a shared session's own commands when no address
    /// is left to carry them.
    pub fn detached() -> Self {
        let (tx, _) = mpsc::channel(1);
        Emitter::new(JobId(u64::MAX), tx)
    }

    /// Time since the job started.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Sends any event kind (and logs it for `-v`: see [`log`]); the recorder hears of the
    /// job's lines, its greylisting re-checks and its report (see [`super::tap`]).
    pub async fn send(&self, kind: EventKind) {
        self.deliver(kind, true).await;
    }

    /// Sends an event the history's recorder does not hear of (a job answered from the
    /// history costs the recorder nothing).
    pub async fn send_untapped(&self, kind: EventKind) {
        self.deliver(kind, false).await;
    }

    /// Tells only the history's recorder (if there is one) that the job will be asked.
    pub async fn tap_queued(&self, address: &str) {
        if let Some(tap) = &self.tap {
            tap.send(TapEvent::Queued {
                job: self.job,
                address: address.to_string(),
            })
            .await;
        }
    }

    async fn deliver(&self, kind: EventKind, tapped: bool) {
        log(self.job, &kind);
        if tapped && let Some(tap) = &self.tap {
            match &kind {
                EventKind::Line(line) => tap.line(line),
                EventKind::Stage(Stage::Greylisted(secs)) => {
                    let secs = *secs;
                    tap.send(TapEvent::Greylisted {
                        job: self.job,
                        secs,
                    })
                    .await;
                }
                EventKind::Finished(report) => tap.finished(self.job, report.clone()).await,
                _ => {}
            }
        }
        let _ = self
            .tx
            .send(EngineEvent {
                job: self.job,
                kind,
            })
            .await;
    }

    /// The job entered a stage.
    pub async fn stage(&self, stage: Stage) {
        self.send(EventKind::Stage(stage)).await;
    }

    /// An info line (`===`).
    pub async fn info(&self, text: impl Into<String>) {
        self.line(Direction::Info, false, text.into(), None).await;
    }

    /// An info line that the history's recorder does not see: for a job that ends with a
    /// result from the history, which is not recorded again.
    pub async fn info_unrecorded(&self, text: impl Into<String>) {
        let line = TranscriptLine {
            at: self.elapsed(),
            direction: Direction::Info,
            tls: false,
            text: text.into(),
            response_time: None,
        };
        self.deliver(EventKind::Line(line), false).await;
    }

    /// A transcript line.
    pub async fn line(
        &self,
        direction: Direction,
        tls: bool,
        text: String,
        response_time: Option<Duration>,
    ) {
        let line = TranscriptLine {
            at: self.elapsed(),
            direction,
            tls,
            text,
            response_time,
        };
        self.send(EventKind::Line(line)).await;
    }
}

/// Logs an event: `-v` shows each finished address, `-vv` what the engine did and learnt,
/// `-vvv` every line on the wire. Addresses and server text go through the terminal sanitiser,
/// since the log may be a terminal.
fn log(job: JobId, kind: &EventKind) {
    use crate::text::terminal_safe;
    match kind {
        EventKind::Finished(report) => tracing::info!(
            job = job.0,
            "{}: {} ({}): {}",
            terminal_safe(&report.address),
            report.verdict.as_str(),
            report.reason.as_str(),
            terminal_safe(&report.detail)
        ),
        EventKind::Line(line) if line.direction == Direction::Info => {
            tracing::debug!(job = job.0, "{}", line.text)
        }
        EventKind::Line(line) => tracing::trace!(
            job = job.0,
            "{} {}",
            match line.direction {
                Direction::Sent => "->",
                Direction::Unexpected => "<**",
                _ => "<-",
            },
            line.text
        ),
        EventKind::Stage(stage) => tracing::trace!(job = job.0, "stage {stage:?}"),
        _ => {}
    }
}
