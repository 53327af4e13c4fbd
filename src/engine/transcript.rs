//! One line of an SMTP conversation as the engine saw it, and how it is marked (swaks style).

use std::time::Duration;

use serde::Serialize;

/// Which way a transcript line went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// A command we sent.
    Sent,
    /// A reply line we received that was what we hoped for.
    Received,
    /// A reply line we received that was a refusal or otherwise unexpected.
    Unexpected,
    /// Something the engine did or learnt (DNS answers, connecting, TLS facts).
    Info,
}

/// One line of the conversation. `text` is already sanitised: it holds no control or escape
/// characters, so any front end may print it as is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TranscriptLine {
    /// Time since the check started.
    #[serde(rename = "at_ms", serialize_with = "as_millis")]
    pub at: Duration,
    /// Direction of the line.
    pub direction: Direction,
    /// Whether the line travelled inside TLS.
    pub tls: bool,
    /// The line itself, without CRLF.
    pub text: String,
    /// For replies: time from the command (or connect) to this reply's first line.
    #[serde(rename = "response_ms", serialize_with = "opt_as_millis")]
    pub response_time: Option<Duration>,
}

impl TranscriptLine {
    /// The swaks-style mark: `->` sent, `<-` reply, `<**` unexpected reply, `===` info, and
    /// `~>` / `<~` / `<~*` for the same inside TLS.
    pub fn mark(&self) -> &'static str {
        match (self.direction, self.tls) {
            (Direction::Sent, false) => "->",
            (Direction::Sent, true) => "~>",
            (Direction::Received, false) => "<-",
            (Direction::Received, true) => "<~",
            (Direction::Unexpected, false) => "<**",
            (Direction::Unexpected, true) => "<~*",
            (Direction::Info, _) => "===",
        }
    }
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

fn opt_as_millis<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&(d.as_millis() as u64)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(direction: Direction, tls: bool) -> TranscriptLine {
        TranscriptLine {
            at: Duration::from_millis(1500),
            direction,
            tls,
            text: "x".into(),
            response_time: Some(Duration::from_millis(12)),
        }
    }

    #[test]
    fn marks_follow_swaks() {
        assert_eq!(line(Direction::Sent, false).mark(), "->");
        assert_eq!(line(Direction::Sent, true).mark(), "~>");
        assert_eq!(line(Direction::Received, false).mark(), "<-");
        assert_eq!(line(Direction::Received, true).mark(), "<~");
        assert_eq!(line(Direction::Unexpected, false).mark(), "<**");
        assert_eq!(line(Direction::Unexpected, true).mark(), "<~*");
        assert_eq!(line(Direction::Info, true).mark(), "===");
    }

    #[test]
    fn serialises_times_in_milliseconds() {
        let json = serde_json::to_value(line(Direction::Sent, false)).unwrap();
        assert_eq!(json["at_ms"], 1500);
        assert_eq!(json["response_ms"], 12);
        assert_eq!(json["direction"], "sent");
    }
}
