//! What the engine tells its consumers (TUI, `check`, `batch`), in order, per job.

use serde::Serialize;

use super::judge::verdict::Report;
use super::transcript::TranscriptLine;

/// Identifies one submitted address for the life of an engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct JobId(pub u64);

/// Where a running check is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "stage", content = "host")]
pub enum Stage {
    /// Looking up MX and host addresses.
    Resolving,
    /// Resolved; waiting for a session to its mail server (the per-host and global limits).
    Waiting,
    /// Opening TCP to an MX host.
    Connecting(String),
    /// Waiting for the server's greeting.
    Greeting,
    /// EHLO / HELO.
    Ehlo,
    /// STARTTLS and the TLS handshake.
    StartTls,
    /// MAIL FROM.
    MailFrom,
    /// RCPT TO for the address itself.
    RcptTo,
    /// RCPT TO for a random address, to detect catch-all.
    CatchAllProbe,
    /// QUIT.
    Quit,
    /// Greylisted: checked again in this many seconds.
    Greylisted(u64),
}

/// One event about one job.
#[derive(Clone, Debug, PartialEq)]
pub struct EngineEvent {
    /// The job it is about.
    pub job: JobId,
    /// What happened.
    pub kind: EventKind,
}

/// The kinds of event. For each job: `Queued`, then any number of `Stage` and `Line`, then
/// exactly one `Finished`.
#[derive(Clone, Debug, PartialEq)]
pub enum EventKind {
    /// The job was accepted; `address` is the input as given.
    Queued { address: String },
    /// The job moved to a new stage.
    Stage(Stage),
    /// A transcript line.
    Line(TranscriptLine),
    /// The job is done.
    Finished(Box<Report>),
}
