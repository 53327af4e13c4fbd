//! One line of an SMTP conversation as the engine saw it, how it is marked (swaks style), and
//! its one text form ([`TranscriptLine::text_form`]), which `check --transcript` prints and
//! the TUI's "save transcript" writes.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Which way a transcript line went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptLine {
    /// Time since the check started.
    #[serde(
        rename = "at_ms",
        serialize_with = "as_millis",
        deserialize_with = "from_millis"
    )]
    pub at: Duration,
    /// Direction of the line.
    pub direction: Direction,
    /// Whether the line travelled inside TLS.
    pub tls: bool,
    /// The line itself, without CRLF.
    pub text: String,
    /// For replies: time from the command (or connect) to this reply's first line.
    #[serde(
        rename = "response_ms",
        serialize_with = "opt_as_millis",
        deserialize_with = "opt_from_millis"
    )]
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

    /// Appends the line's text form (as [`Self::text_form`] shows it) to `out`: for writing
    /// many lines without a string per piece.
    pub fn write_text_form(&self, out: &mut String) {
        use std::fmt::Write;
        let _ = write!(out, "{:>8.3}s  {:<3} ", self.at.as_secs_f64(), self.mark());
        crate::text::push_terminal_safe(out, &self.text);
        if let Some(t) = self.response_time {
            let _ = write!(out, "  ({} ms)", t.as_millis());
        }
    }

    /// The line's one text form, `   1.234s  <-  250 2.1.5 Ok  (12 ms)`: the time since the
    /// check started, the mark and the text (terminal-safe), and the response time.
    pub fn text_form(&self) -> TextForm {
        TextForm {
            at: format!("{:>8.3}s", self.at.as_secs_f64()),
            body: format!(
                "{:<3} {}",
                self.mark(),
                crate::text::terminal_safe(&self.text)
            ),
            timing: self
                .response_time
                .map(|t| format!("  ({} ms)", t.as_millis()))
                .unwrap_or_default(),
        }
    }
}

/// The pieces of a transcript line's text form, so a front end can colour each; shown with
/// `Display` they are the plain line: `{at}  {body}{timing}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextForm {
    /// `   1.234s`
    pub at: String,
    /// `<-  250 2.1.5 Ok`: the mark, padded, and the text.
    pub body: String,
    /// `  (12 ms)`, or empty when the line has no response time.
    pub timing: String,
}

impl std::fmt::Display for TextForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}  {}{}", self.at, self.body, self.timing)
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

fn from_millis<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    u64::deserialize(d).map(Duration::from_millis)
}

fn opt_from_millis<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    Option::<u64>::deserialize(d).map(|ms| ms.map(Duration::from_millis))
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

    #[test]
    fn the_text_form_shows_time_mark_text_and_response_time() {
        let mut received = line(Direction::Received, true);
        received.text = "250 2.1.5 Ok".into();
        assert_eq!(
            received.text_form().to_string(),
            "   1.500s  <~  250 2.1.5 Ok  (12 ms)"
        );
        let mut sent = line(Direction::Sent, false);
        sent.response_time = None;
        sent.text = "RCPT TO:<\u{1b}[2J@x.test>".into();
        assert_eq!(
            sent.text_form().to_string(),
            r"   1.500s  ->  RCPT TO:<\x1b[2J@x.test>"
        );
        // Written in place, the same text.
        for l in [&received, &sent] {
            let mut out = String::from("x");
            l.write_text_form(&mut out);
            assert_eq!(out, format!("x{}", l.text_form()));
        }
    }
}
