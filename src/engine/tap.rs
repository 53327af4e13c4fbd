//! What the history's recorder hears of the jobs, through the emitters: that a job will be
//! asked (its address), its greylisting re-checks, and its report with its conversation. The
//! conversation is written into a capped text as its lines are emitted, so the recorder gets
//! one event per check instead of one per line.
//!
//! A finished check takes a permit before its report goes; the recorder gives it back when
//! the report is committed. So at most [`Tap::uncommitted`]'s permits' worth of finished
//! checks can be lost when the process is killed.

use std::sync::{Arc, Mutex};

use tokio::sync::{Semaphore, mpsc};

use super::event::JobId;
use super::judge::verdict::Report;
use super::transcript::TranscriptLine;

/// Transcript lines kept per check; a longer conversation is cut, with a note.
pub const MAX_TRANSCRIPT_LINES: usize = 400;

/// Transcript bytes kept per check.
pub const MAX_TRANSCRIPT_BYTES: usize = 64 * 1024;

/// What the recorder is told.
#[derive(Debug)]
pub enum TapEvent {
    /// The job will be asked (it was not answered from the history).
    Queued { job: JobId, address: String },
    /// The job was greylisted; its re-check is due in `secs`.
    Greylisted { job: JobId, secs: u64 },
    /// The job finished: its report, and its conversation's text when transcripts are kept.
    Finished {
        job: JobId,
        report: Box<Report>,
        transcript: Option<String>,
    },
}

/// The recorder's end of the emitters.
#[derive(Clone, Debug)]
pub struct Tap {
    /// The events.
    pub events: mpsc::Sender<TapEvent>,
    /// One permit per report that may be on its way and not yet committed.
    pub uncommitted: Arc<Semaphore>,
    /// Keep each check's conversation (`history.transcripts`).
    pub transcripts: bool,
}

/// A conversation's text form as it is emitted: one line each, cut after
/// [`MAX_TRANSCRIPT_LINES`] lines or [`MAX_TRANSCRIPT_BYTES`] bytes, with a last line saying so.
#[derive(Debug, Default)]
pub struct CappedTranscript {
    text: String,
    lines: usize,
    cut: bool,
}

impl CappedTranscript {
    /// Adds a line, unless the cap was reached.
    pub fn push(&mut self, line: &TranscriptLine) {
        if self.cut {
            return;
        }
        let before = self.text.len();
        line.write_text_form(&mut self.text);
        if self.lines == MAX_TRANSCRIPT_LINES || self.text.len() + 1 > MAX_TRANSCRIPT_BYTES {
            self.text.truncate(before);
            self.text
                .push_str("  (transcript cut here: the history keeps the start of a long one)\n");
            self.cut = true;
            return;
        }
        self.text.push('\n');
        self.lines += 1;
    }

    /// The text so far (None when no line came).
    pub fn take(&mut self) -> Option<String> {
        (!self.text.is_empty()).then(|| std::mem::take(&mut self.text))
    }
}

/// One job's tap: the recorder's channel, and the job's conversation so far (shared by the
/// emitter's clones).
#[derive(Clone, Debug)]
pub struct JobTap {
    pub tap: Tap,
    pub transcript: Option<Arc<Mutex<CappedTranscript>>>,
}

impl JobTap {
    /// The tap for a new job.
    pub fn new(tap: Tap) -> JobTap {
        let transcript = tap.transcripts.then(Arc::default);
        JobTap { tap, transcript }
    }

    /// Keeps a line of the conversation.
    pub fn line(&self, line: &TranscriptLine) {
        if let Some(transcript) = &self.transcript {
            transcript.lock().expect("transcript lock").push(line);
        }
    }

    /// Sends an event to the recorder (waits while it is behind).
    pub async fn send(&self, event: TapEvent) {
        let _ = self.tap.events.send(event).await;
    }

    /// Sends the report, with the conversation, once a permit is free.
    pub async fn finished(&self, job: JobId, report: Box<Report>) {
        if let Ok(permit) = self.tap.uncommitted.acquire().await {
            // Given back by the recorder once the report is committed.
            permit.forget();
        }
        let transcript = self
            .transcript
            .as_ref()
            .and_then(|t| t.lock().expect("transcript lock").take());
        self.send(TapEvent::Finished {
            job,
            report,
            transcript,
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::engine::transcript::Direction;

    fn line(text: &str) -> TranscriptLine {
        TranscriptLine {
            at: Duration::from_millis(41),
            direction: Direction::Received,
            tls: false,
            text: text.into(),
            response_time: Some(Duration::from_millis(3)),
        }
    }

    #[test]
    fn a_transcript_is_its_lines_text_forms_then_cut_with_a_note() {
        let mut capped = CappedTranscript::default();
        assert_eq!(capped.take(), None);
        capped.push(&line("220 hi"));
        capped.push(&line("250 ok"));
        let text = capped.take().unwrap();
        assert_eq!(
            text,
            format!(
                "{}\n{}\n",
                line("220 hi").text_form(),
                line("250 ok").text_form()
            )
        );
        let mut long = CappedTranscript::default();
        for i in 0..MAX_TRANSCRIPT_LINES + 50 {
            long.push(&line(&format!("250-line {i}")));
        }
        let text = long.take().unwrap();
        assert_eq!(text.lines().count(), MAX_TRANSCRIPT_LINES + 1);
        assert!(text.ends_with("the history keeps the start of a long one)\n"));
        let mut wide = CappedTranscript::default();
        for _ in 0..100 {
            wide.push(&line(&"x".repeat(4000)));
        }
        let text = wide.take().unwrap();
        assert!(text.len() <= MAX_TRANSCRIPT_BYTES + 100, "{}", text.len());
        assert!(text.contains("transcript cut here"));
    }
}
