//! Bounded SMTP reply reader and parser.
//!
//! A mail server is untrusted input. This module reads its replies line by line without ever
//! buffering more than [`MAX_LINE`] bytes of a line or [`MAX_REPLY`] bytes of a reply, turns every
//! line into text that is safe to print on a terminal ([`sanitize`]), and assembles multi-line
//! replies (RFC 5321 §4.2) with their basic and enhanced status codes (RFC 3463, RFC 2034).
//!
//! The reader ([`read_line`]) and the assembler ([`ReplyAssembler`]) are separate so that the
//! caller can show every line the moment it arrives, and so that the parser is a pure function
//! that tests can drive without any I/O.

use std::fmt;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// Most bytes in one reply line, the line ending (CRLF or LF) excluded.
pub const MAX_LINE: usize = 4096;

/// Most bytes in one (multi-line) reply, counting each line with a two-byte line ending.
pub const MAX_REPLY: usize = 65536;

/// Bytes a line ending adds to a reply's size.
const LINE_ENDING: usize = 2;

/// An enhanced mail system status code (RFC 3463), such as `5.1.1`.
///
/// Displays and serializes as the dotted string, e.g. `"5.1.1"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EnhancedCode {
    /// Class: 2 (success), 4 (persistent transient failure) or 5 (permanent failure).
    pub class: u8,
    /// Subject: 0 other, 1 addressing, 2 mailbox, 3 mail system, 4 network, 5 protocol,
    /// 6 content, 7 security or policy.
    pub subject: u16,
    /// Detail within the subject.
    pub detail: u16,
}

impl EnhancedCode {
    /// Parses an enhanced code at the start of `text`: `class.subject.detail` with class 2, 4 or
    /// 5 and one to three digits each for subject and detail, followed by a space or the end.
    /// Returns the code and the text after it (leading spaces removed).
    fn parse_prefix(text: &str) -> Option<(EnhancedCode, &str)> {
        let (code, rest) = text.split_once(' ').unwrap_or((text, ""));
        let mut parts = code.split('.');
        let class = match parts.next()? {
            "2" => 2,
            "4" => 4,
            "5" => 5,
            _ => return None,
        };
        let subject = parse_short_number(parts.next()?)?;
        let detail = parse_short_number(parts.next()?)?;
        if parts.next().is_some() {
            return None;
        }
        let code = EnhancedCode {
            class,
            subject,
            detail,
        };
        Some((code, rest.trim_start_matches(' ')))
    }
}

/// Parses one to three ASCII digits.
fn parse_short_number(digits: &str) -> Option<u16> {
    let valid = (1..=3).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    if valid { digits.parse().ok() } else { None }
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

impl serde::Serialize for EnhancedCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for EnhancedCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match EnhancedCode::parse_prefix(&text) {
            Some((code, "")) => Ok(code),
            _ => Err(serde::de::Error::custom(format!(
                "{text:?} is not an enhanced status code"
            ))),
        }
    }
}

/// One complete server reply, possibly assembled from several lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The basic status code, e.g. 250 or 550.
    pub code: u16,
    /// The enhanced status code of the first line, when it has one whose class matches the
    /// basic code's first digit.
    pub enhanced: Option<EnhancedCode>,
    /// The text of each line after the code and its separator (`"250-"` / `"250 "`), sanitized;
    /// the enhanced code, if any, is kept as the server wrote it.
    pub lines: Vec<String>,
}

impl Reply {
    /// The first digit of the code: 2, 3, 4 or 5 for any reply the assembler produced.
    pub fn class(&self) -> u8 {
        u8::try_from(self.code / 100).unwrap_or(u8::MAX)
    }

    /// A 2xx reply: the command succeeded.
    pub fn is_positive(&self) -> bool {
        self.class() == 2
    }

    /// A 3xx reply: the server waits for more (only DATA and AUTH expect one).
    pub fn is_intermediate(&self) -> bool {
        self.class() == 3
    }

    /// A 4xx reply: a transient failure, worth trying again later.
    pub fn is_transient(&self) -> bool {
        self.class() == 4
    }

    /// A 5xx reply: a permanent failure.
    pub fn is_permanent(&self) -> bool {
        self.class() == 5
    }

    /// The lines' texts joined by a space, enhanced codes included as the server wrote them.
    pub fn text(&self) -> String {
        join_non_empty(self.lines.iter().map(String::as_str))
    }

    /// Like [`Reply::text`], but with the leading enhanced code of each line removed.
    pub fn message(&self) -> String {
        join_non_empty(self.lines.iter().map(|line| self.strip_enhanced(line)))
    }

    /// `line` without its leading enhanced code, when it has one of this reply's class.
    fn strip_enhanced<'a>(&self, line: &'a str) -> &'a str {
        match EnhancedCode::parse_prefix(line) {
            Some((code, rest)) if code.class == self.class() => rest,
            _ => line,
        }
    }
}

/// Joins the non-empty texts with single spaces.
fn join_non_empty<'a>(texts: impl Iterator<Item = &'a str>) -> String {
    texts
        .filter(|text| !text.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl fmt::Display for Reply {
    /// One line: the code, the first line's text, and how many lines follow, e.g.
    /// `550 5.1.1 User unknown` or `250 mx.example Hello (+4 more lines)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(first) = self.lines.first().filter(|text| !text.is_empty()) {
            write!(f, " {first}")?;
        }
        match self.lines.len().saturating_sub(1) {
            0 => Ok(()),
            1 => write!(f, " (+1 more line)"),
            more => write!(f, " (+{more} more lines)"),
        }
    }
}

/// Why no reply could be read.
#[derive(Debug, thiserror::Error)]
pub enum ReplyError {
    /// A line went on past [`MAX_LINE`] bytes.
    #[error("reply line longer than {limit} bytes")]
    LineTooLong {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// A multi-line reply went on past [`MAX_REPLY`] bytes.
    #[error("reply longer than {limit} bytes")]
    ReplyTooLong {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// A line that is not `ddd`, `ddd text` or `ddd-text` with a valid reply code.
    #[error("malformed reply line: \"{line}\"")]
    Malformed {
        /// The offending line, sanitized.
        line: String,
    },
    /// A continuation line carried another code than the reply's first line.
    #[error("reply code changed from {first} to {then} within one reply")]
    CodeMismatch {
        /// The code of the reply's first line.
        first: u16,
        /// The code of the line that differed.
        then: u16,
    },
    /// The server closed the connection, possibly in the middle of a line.
    #[error("connection closed by the server")]
    Closed,
    /// The connection failed.
    #[error("network error: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads one line (up to LF; a CR before it is dropped; a bare LF also ends a line), never buffering
/// more than [`MAX_LINE`] bytes of it: past that, [`ReplyError::LineTooLong`]. Returns the line
/// [sanitized](sanitize).
///
/// End of stream before the LF, even in the middle of a line, is [`ReplyError::Closed`]. After
/// `LineTooLong` the rest of that line is still unread, so the connection should be dropped.
pub async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> Result<String, ReplyError> {
    // The content may be MAX_LINE bytes plus the CR of its CRLF.
    const MAX_BUFFERED: usize = MAX_LINE + 1;
    let mut line = Vec::new();
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Err(ReplyError::Closed);
        }
        let newline = available.iter().position(|&b| b == b'\n');
        let chunk = &available[..newline.unwrap_or(available.len())];
        if line.len() + chunk.len() > MAX_BUFFERED {
            let seen = chunk.len();
            reader.consume(seen);
            return Err(ReplyError::LineTooLong { limit: MAX_LINE });
        }
        line.extend_from_slice(chunk);
        let used = chunk.len() + usize::from(newline.is_some());
        reader.consume(used);
        if newline.is_some() {
            return finish_line(line);
        }
    }
}

/// Drops the CR of a CRLF, checks the length and sanitizes.
fn finish_line(mut line: Vec<u8>) -> Result<String, ReplyError> {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    if line.len() > MAX_LINE {
        return Err(ReplyError::LineTooLong { limit: MAX_LINE });
    }
    Ok(sanitize(&line))
}

/// One parsed reply line.
struct Line<'a> {
    code: u16,
    last: bool,
    text: &'a str,
}

/// Parses `ddd`, `ddd text` or `ddd-text`: first digit 2-5, then two digits. RFC 5321's
/// grammar has only 0-5 for the second digit, but servers send `571 5.7.1` and the like, and
/// §4.2.1 asks a client to read a code it does not know by its first digit, so any second
/// digit is taken ([`crate::engine::judge::status_codes::standard_equivalent`] reads it).
fn parse_line(line: &str) -> Option<Line<'_>> {
    let bytes = line.as_bytes();
    let digits = bytes.get(..3)?;
    let valid_code = matches!(digits[0], b'2'..=b'5')
        && digits[1].is_ascii_digit()
        && digits[2].is_ascii_digit();
    if !valid_code {
        return None;
    }
    let code = digits
        .iter()
        .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    let last = match bytes.get(3) {
        None | Some(b' ') => true,
        Some(b'-') => false,
        Some(_) => return None,
    };
    let text = line.get(4..).unwrap_or("");
    Some(Line { code, last, text })
}

/// Pure assembler of multi-line replies: feed it lines one at a time.
#[derive(Debug, Default)]
pub struct ReplyAssembler {
    code: Option<u16>,
    enhanced: Option<EnhancedCode>,
    lines: Vec<String>,
    bytes: usize,
}

impl ReplyAssembler {
    /// An assembler waiting for the first line of a reply.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ok(None) while the reply continues (`250-...`), Ok(Some(reply)) on its last line
    /// (`250 ...` or bare `250`), errors for malformed lines, a code change, or more than
    /// [`MAX_REPLY`] bytes in all. After Some, and after any error, it is reset.
    ///
    /// The text is sanitized again, so lines that did not come from [`read_line`] are safe too.
    pub fn push(&mut self, line: &str) -> Result<Option<Reply>, ReplyError> {
        let result = self.accept(line);
        if !matches!(result, Ok(None)) {
            *self = Self::default();
        }
        result
    }

    fn accept(&mut self, line: &str) -> Result<Option<Reply>, ReplyError> {
        let Some(parsed) = parse_line(line) else {
            return Err(ReplyError::Malformed {
                line: sanitize(line.as_bytes()),
            });
        };
        self.bytes += line.len() + LINE_ENDING;
        if self.bytes > MAX_REPLY {
            return Err(ReplyError::ReplyTooLong { limit: MAX_REPLY });
        }
        match self.code {
            Some(first) if first != parsed.code => {
                return Err(ReplyError::CodeMismatch {
                    first,
                    then: parsed.code,
                });
            }
            Some(_) => {}
            None => self.start(&parsed),
        }
        self.lines.push(sanitize(parsed.text.as_bytes()));
        if !parsed.last {
            return Ok(None);
        }
        Ok(Some(Reply {
            code: parsed.code,
            enhanced: self.enhanced,
            lines: std::mem::take(&mut self.lines),
        }))
    }

    /// Records the code and the enhanced code of a reply's first line.
    fn start(&mut self, first: &Line<'_>) {
        let class = u8::try_from(first.code / 100).unwrap_or(u8::MAX);
        self.code = Some(first.code);
        self.enhanced = EnhancedCode::parse_prefix(first.text)
            .map(|(code, _)| code)
            .filter(|code| code.class == class);
    }
}

/// Lossy UTF-8 decode, then [`crate::text::terminal_safe`]: every control char (C0 incl.
/// TAB/CR/LF/ESC, DEL, C1 U+0080..U+009F) and every invisible format character or separator
/// replaced by a visible escape: `\x1b`, `\x7f`, `\u{85}`, `\u{202e}`. A literal backslash stays as
/// is. The result can be written to a terminal safely, and sanitizing it again changes nothing.
pub fn sanitize(bytes: &[u8]) -> String {
    crate::text::terminal_safe(&String::from_utf8_lossy(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tokio::io::{AsyncWriteExt, BufReader};

    /// Runs the assembler over `lines`; the last one must complete the reply.
    fn assemble(lines: &[&str]) -> Result<Reply, ReplyError> {
        let mut assembler = ReplyAssembler::new();
        let (last, init) = lines.split_last().expect("at least one line");
        for line in init {
            assert_eq!(assembler.push(line)?, None, "reply ended early at {line:?}");
        }
        Ok(assembler.push(last)?.expect("reply complete"))
    }

    /// Reads every line of `input` with `read_line` until it fails.
    async fn read_all(input: &[u8]) -> (Vec<String>, ReplyError) {
        let mut reader = BufReader::new(input);
        let mut lines = Vec::new();
        loop {
            match read_line(&mut reader).await {
                Ok(line) => lines.push(line),
                Err(e) => return (lines, e),
            }
        }
    }

    fn code(class: u8, subject: u16, detail: u16) -> Option<EnhancedCode> {
        Some(EnhancedCode {
            class,
            subject,
            detail,
        })
    }

    #[test]
    fn parses_replies() {
        struct Case {
            lines: &'static [&'static str],
            code: u16,
            enhanced: Option<EnhancedCode>,
            text: &'static str,
            message: &'static str,
        }
        let cases = [
            Case {
                lines: &["220 mx.example ESMTP Postfix"],
                code: 220,
                enhanced: None,
                text: "mx.example ESMTP Postfix",
                message: "mx.example ESMTP Postfix",
            },
            Case {
                lines: &[
                    "250-mx.example Hello",
                    "250-PIPELINING",
                    "250-SIZE 10240000",
                    "250-STARTTLS",
                    "250 8BITMIME",
                ],
                code: 250,
                enhanced: None,
                text: "mx.example Hello PIPELINING SIZE 10240000 STARTTLS 8BITMIME",
                message: "mx.example Hello PIPELINING SIZE 10240000 STARTTLS 8BITMIME",
            },
            Case {
                lines: &["550 5.1.1 <nobody@example.com>: User unknown"],
                code: 550,
                enhanced: code(5, 1, 1),
                text: "5.1.1 <nobody@example.com>: User unknown",
                message: "<nobody@example.com>: User unknown",
            },
            Case {
                lines: &["250 2.1.5 Ok"],
                code: 250,
                enhanced: code(2, 1, 5),
                text: "2.1.5 Ok",
                message: "Ok",
            },
            Case {
                lines: &["452 4.5.3 Too many recipients"],
                code: 452,
                enhanced: code(4, 5, 3),
                text: "4.5.3 Too many recipients",
                message: "Too many recipients",
            },
            Case {
                lines: &[
                    "550-5.1.1 The email account that you tried to reach does not exist.",
                    "550 5.1.1 https://support.google.com/mail/?p=NoSuchUser - gsmtp",
                ],
                code: 550,
                enhanced: code(5, 1, 1),
                text: "5.1.1 The email account that you tried to reach does not exist. \
                       5.1.1 https://support.google.com/mail/?p=NoSuchUser - gsmtp",
                message: "The email account that you tried to reach does not exist. \
                          https://support.google.com/mail/?p=NoSuchUser - gsmtp",
            },
            Case {
                lines: &["550 5.7.606 Access denied, banned sending IP [192.0.2.1]"],
                code: 550,
                enhanced: code(5, 7, 606),
                text: "5.7.606 Access denied, banned sending IP [192.0.2.1]",
                message: "Access denied, banned sending IP [192.0.2.1]",
            },
            Case {
                lines: &["550 No Such User Here"],
                code: 550,
                enhanced: None,
                text: "No Such User Here",
                message: "No Such User Here",
            },
            Case {
                // An enhanced code of another class than the reply is ignored.
                lines: &["250 5.1.1 odd"],
                code: 250,
                enhanced: None,
                text: "5.1.1 odd",
                message: "5.1.1 odd",
            },
            Case {
                // Not an enhanced code: four parts, letters, too many digits, no space after.
                lines: &["550 5.1.1.1 x"],
                code: 550,
                enhanced: None,
                text: "5.1.1.1 x",
                message: "5.1.1.1 x",
            },
            Case {
                lines: &["550 5.1234.1 x"],
                code: 550,
                enhanced: None,
                text: "5.1234.1 x",
                message: "5.1234.1 x",
            },
            Case {
                lines: &["550 5.1.1: x"],
                code: 550,
                enhanced: None,
                text: "5.1.1: x",
                message: "5.1.1: x",
            },
            Case {
                lines: &["550 3.1.1 x"],
                code: 550,
                enhanced: None,
                text: "3.1.1 x",
                message: "3.1.1 x",
            },
            Case {
                lines: &["554 5.7.1"],
                code: 554,
                enhanced: code(5, 7, 1),
                text: "5.7.1",
                message: "",
            },
            Case {
                lines: &["250"],
                code: 250,
                enhanced: None,
                text: "",
                message: "",
            },
            Case {
                lines: &["250-first", "250"],
                code: 250,
                enhanced: None,
                text: "first",
                message: "first",
            },
            Case {
                lines: &["250-", "250 "],
                code: 250,
                enhanced: None,
                text: "",
                message: "",
            },
        ];
        for case in cases {
            let reply = assemble(case.lines).unwrap_or_else(|e| panic!("{:?}: {e}", case.lines));
            assert_eq!(reply.code, case.code, "{:?}", case.lines);
            assert_eq!(reply.enhanced, case.enhanced, "{:?}", case.lines);
            assert_eq!(reply.lines.len(), case.lines.len(), "{:?}", case.lines);
            assert_eq!(reply.text(), case.text, "{:?}", case.lines);
            assert_eq!(reply.message(), case.message, "{:?}", case.lines);
        }
    }

    #[test]
    fn ehlo_lines_hold_the_keywords() {
        let reply = assemble(&["250-mx.example Hello", "250-PIPELINING", "250 8BITMIME"]).unwrap();
        assert_eq!(reply.lines, ["mx.example Hello", "PIPELINING", "8BITMIME"]);
    }

    #[test]
    fn classes() {
        let cases = [
            (220, 2, [true, false, false, false]),
            (354, 3, [false, true, false, false]),
            (451, 4, [false, false, true, false]),
            (550, 5, [false, false, false, true]),
        ];
        for (code, class, [positive, intermediate, transient, permanent]) in cases {
            let reply = Reply {
                code,
                enhanced: None,
                lines: vec![],
            };
            assert_eq!(reply.class(), class);
            assert_eq!(reply.is_positive(), positive);
            assert_eq!(reply.is_intermediate(), intermediate);
            assert_eq!(reply.is_transient(), transient);
            assert_eq!(reply.is_permanent(), permanent);
        }
    }

    #[test]
    fn rejects_malformed_lines() {
        let lines = [
            "",
            "abc",
            "25",
            "2",
            "650 x",
            "150 x",
            "2500 x",
            "250x",
            "25a ok",
            " 250 ok",
            "250\tok",
            "-250 ok",
            "２５０ ok",
        ];
        for line in lines {
            let error = ReplyAssembler::new().push(line);
            assert!(
                matches!(error, Err(ReplyError::Malformed { .. })),
                "{line:?} gave {error:?}"
            );
        }
    }

    #[test]
    fn codes_outside_the_standard_grammar_are_read_with_their_enhanced_code() {
        let reply = ReplyAssembler::new()
            .push("571 5.7.1 Delivery not authorized")
            .unwrap()
            .expect("one-line reply");
        assert_eq!((reply.code, reply.class()), (571, 5));
        assert_eq!(
            reply.enhanced.map(|code| code.to_string()).as_deref(),
            Some("5.7.1")
        );
        let reply = ReplyAssembler::new().push("299 fine").unwrap().unwrap();
        assert_eq!(reply.code, 299);
    }

    #[test]
    fn malformed_error_is_sanitized() {
        let error = ReplyAssembler::new().push("abc\u{1b}[2J").unwrap_err();
        assert_eq!(error.to_string(), r#"malformed reply line: "abc\x1b[2J""#);
    }

    #[test]
    fn rejects_code_change_and_resets() {
        let mut assembler = ReplyAssembler::new();
        assert_eq!(assembler.push("250-mx.example").unwrap(), None);
        let error = assembler.push("550 no");
        assert!(
            matches!(
                error,
                Err(ReplyError::CodeMismatch {
                    first: 250,
                    then: 550
                })
            ),
            "{error:?}"
        );
        let next = assembler.push("220 fresh start").unwrap().unwrap();
        assert_eq!(next.code, 220);
        assert_eq!(next.lines, ["fresh start"]);
    }

    #[test]
    fn resets_after_each_reply() {
        let mut assembler = ReplyAssembler::new();
        let first = assembler.push("250 2.1.0 Ok").unwrap().unwrap();
        let second = assembler.push("550 other").unwrap().unwrap();
        assert_eq!(first.enhanced, code(2, 1, 0));
        assert_eq!(second.code, 550);
        assert_eq!(second.enhanced, None);
        assert_eq!(second.lines, ["other"]);
    }

    #[test]
    fn rejects_replies_over_the_limit() {
        let line = format!("250-{}", "x".repeat(1000));
        let mut assembler = ReplyAssembler::new();
        let mut pushed = 0usize;
        let error = loop {
            match assembler.push(&line) {
                Ok(None) => pushed += 1,
                Ok(Some(_)) => panic!("continuation lines cannot end a reply"),
                Err(e) => break e,
            }
        };
        assert!(
            matches!(error, ReplyError::ReplyTooLong { limit: MAX_REPLY }),
            "{error:?}"
        );
        assert_eq!(pushed, MAX_REPLY / (line.len() + LINE_ENDING));
        // Just under the limit is fine.
        let mut assembler = ReplyAssembler::new();
        for _ in 0..pushed {
            assert_eq!(assembler.push(&line).unwrap(), None);
        }
        assert!(assembler.push("250 end").unwrap().is_some());
    }

    #[test]
    fn displays_on_one_line() {
        let cases: [(&[&str], &str); 4] = [
            (&["550 5.1.1 User unknown"], "550 5.1.1 User unknown"),
            (&["250"], "250"),
            (&["250-a", "250 b"], "250 a (+1 more line)"),
            (&["250-a", "250-b", "250 c"], "250 a (+2 more lines)"),
        ];
        for (lines, shown) in cases {
            assert_eq!(assemble(lines).unwrap().to_string(), shown);
        }
    }

    #[test]
    fn enhanced_code_displays_and_serializes_as_string() {
        let code = EnhancedCode {
            class: 5,
            subject: 1,
            detail: 10,
        };
        assert_eq!(code.to_string(), "5.1.10");
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"5.1.10\"");
    }

    #[tokio::test]
    async fn reads_lines() {
        let cases: [(&[u8], &[&str]); 7] = [
            (b"220 ok\r\n", &["220 ok"]),
            (b"220 ok\n250 bare lf\n", &["220 ok", "250 bare lf"]),
            (b"250-a\r\n250 b\r\n", &["250-a", "250 b"]),
            (b"\r\n\n", &["", ""]),
            (b"250 a\rb\r\n", &["250 a\\x0db"]),
            (b"250 tab\there\r\n", &["250 tab\\x09here"]),
            (
                b"250 caf\xc3\xa9 \xff\xfe\r\n",
                &["250 café \u{fffd}\u{fffd}"],
            ),
        ];
        for (input, expected) in cases {
            let (lines, end) = read_all(input).await;
            assert_eq!(lines, expected, "{input:?}");
            assert!(matches!(end, ReplyError::Closed), "{input:?}: {end:?}");
        }
    }

    #[tokio::test]
    async fn eof_mid_line_is_closed() {
        for input in [&b""[..], b"250 no newline", b"250 half\r"] {
            let (lines, end) = read_all(input).await;
            assert!(lines.is_empty());
            assert!(matches!(end, ReplyError::Closed), "{input:?}: {end:?}");
        }
    }

    #[tokio::test]
    async fn line_length_limit() {
        let exact = "x".repeat(MAX_LINE);
        let over = "x".repeat(MAX_LINE + 1);
        let cases = [
            (format!("{exact}\r\n"), true),
            (format!("{exact}\n"), true),
            (format!("{over}\r\n"), false),
            (format!("{over}\n"), false),
            (format!("{exact}\r\r\n"), false),
        ];
        for (input, fits) in cases {
            // A tiny buffer makes the line arrive in many chunks.
            for capacity in [7, 8192] {
                let mut reader = BufReader::with_capacity(capacity, input.as_bytes());
                let result = read_line(&mut reader).await;
                match result {
                    Ok(line) => {
                        assert!(fits, "{} bytes accepted", input.len());
                        assert_eq!(line, exact);
                    }
                    Err(ReplyError::LineTooLong { limit }) => {
                        assert!(!fits, "{} bytes refused", input.len());
                        assert_eq!(limit, MAX_LINE);
                    }
                    Err(e) => panic!("unexpected {e:?}"),
                }
            }
        }
    }

    #[tokio::test]
    async fn endless_line_stops_early() {
        let flood = vec![b'A'; 10 * 1024 * 1024];
        let mut reader = BufReader::new(&flood[..]);
        let error = read_line(&mut reader).await.unwrap_err();
        assert!(matches!(error, ReplyError::LineTooLong { limit: MAX_LINE }));
        let unread = reader.get_ref().len() + reader.buffer().len();
        assert!(
            flood.len() - unread <= MAX_LINE + 8192,
            "read {} bytes",
            flood.len() - unread
        );
    }

    #[tokio::test]
    async fn endless_line_over_a_stream() {
        let (mut server, client) = tokio::io::duplex(4096);
        let writer = tokio::spawn(async move {
            let chunk = [b'A'; 1024];
            let mut sent = 0usize;
            while sent < 10 * 1024 * 1024 {
                if server.write_all(&chunk).await.is_err() {
                    break;
                }
                sent += chunk.len();
            }
            sent
        });
        let mut reader = BufReader::new(client);
        let error = read_line(&mut reader).await.unwrap_err();
        assert!(matches!(error, ReplyError::LineTooLong { limit: MAX_LINE }));
        drop(reader);
        let sent = writer.await.unwrap();
        assert!(sent < 64 * 1024, "writer got {sent} bytes through");
    }

    #[tokio::test]
    async fn read_then_assemble() {
        let input = b"250-mx.example Hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n\
                      250-STARTTLS\r\n250 8BITMIME\r\n550 5.1.1 gone\n";
        let mut reader = BufReader::new(&input[..]);
        let mut assembler = ReplyAssembler::new();
        let mut replies = Vec::new();
        while let Ok(line) = read_line(&mut reader).await {
            if let Some(reply) = assembler.push(&line).unwrap() {
                replies.push(reply);
            }
        }
        assert_eq!(replies.len(), 2);
        assert_eq!(replies[0].lines.len(), 5);
        assert_eq!(replies[1].enhanced, code(5, 1, 1));
    }

    #[test]
    fn escapes_terminal_controls() {
        let cases: [(&[u8], &str); 9] = [
            (b"plain text", "plain text"),
            (b"\x1b[2Jcleared", "\\x1b[2Jcleared"),
            (b"bell\x07", "bell\\x07"),
            (b"del\x7f", "del\\x7f"),
            (b"\x00nul", "\\x00nul"),
            ("\u{202e}gnp.exe".as_bytes(), "\\u{202e}gnp.exe"),
            ("a\u{85}b\u{9b}c".as_bytes(), "a\\u{85}b\\u{9b}c"),
            (
                "\u{feff}\u{200b}\u{2066}x".as_bytes(),
                "\\u{feff}\\u{200b}\\u{2066}x",
            ),
            (b"back\\slash \\x1b stays", "back\\slash \\x1b stays"),
        ];
        for (input, expected) in cases {
            assert_eq!(sanitize(input), expected, "{input:?}");
        }
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(sanitize(b"a\xffb\xc3"), "a\u{fffd}b\u{fffd}");
        // A raw C1 byte is not valid UTF-8 either: it becomes U+FFFD, not a control.
        assert_eq!(sanitize(b"\x9b2J"), "\u{fffd}2J");
    }

    #[tokio::test]
    async fn read_line_escapes() {
        let (lines, _) = read_all("550 \x1b[31mred\x1b[0m \u{202e}x\r\n".as_bytes()).await;
        assert_eq!(lines, ["550 \\x1b[31mred\\x1b[0m \\u{202e}x"]);
    }

    /// No character of `text` can move the cursor, recolour, reorder or hide text.
    fn assert_terminal_safe(text: &str) {
        for c in text.chars() {
            let n = u32::from(c);
            assert!(n >= 0x20 && n != 0x7f, "C0/DEL {n:#x} in {text:?}");
            assert!(!(0x80..=0x9f).contains(&n), "C1 {n:#x} in {text:?}");
            let bidi = (0x200b..=0x200f).contains(&n)
                || (0x202a..=0x202e).contains(&n)
                || (0x2066..=0x2069).contains(&n)
                || n == 0xfeff;
            assert!(!bidi, "format control {n:#x} in {text:?}");
        }
    }

    proptest! {
        #[test]
        fn sanitize_any_bytes_is_safe(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let clean = sanitize(&bytes);
            assert_terminal_safe(&clean);
            prop_assert_eq!(sanitize(clean.as_bytes()), clean);
        }

        #[test]
        fn sanitize_any_text_is_safe(text in any::<String>()) {
            let clean = sanitize(text.as_bytes());
            assert_terminal_safe(&clean);
            prop_assert_eq!(sanitize(clean.as_bytes()), clean);
        }

        #[test]
        fn sanitize_keeps_printable_text(text in "[ -~]{0,200}") {
            prop_assert_eq!(sanitize(text.as_bytes()), text);
        }

        #[test]
        fn assembler_never_panics(lines in proptest::collection::vec(any::<String>(), 1..8)) {
            let mut assembler = ReplyAssembler::new();
            for line in &lines {
                if let Ok(Some(reply)) = assembler.push(line) {
                    prop_assert!((200..600).contains(&reply.code));
                    assert_terminal_safe(&reply.text());
                }
            }
        }
    }
}
