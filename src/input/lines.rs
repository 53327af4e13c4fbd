//! Reading a list one line at a time without ever holding more than [`MAX_LINE`] bytes of a
//! line: a longer line is skipped as it is read and only its length is kept, so a list with a
//! 50 MB line costs no more memory than one with short lines.

use std::io::{self, BufRead};

use super::bom::{BOM, strip_bom};

/// Most bytes in one line of a list, the line ending (LF or CRLF) and a byte-order mark
/// excluded. Longer lines are bad rows; the same cap holds for a CSV record over several lines.
pub const MAX_LINE: usize = 4096;

/// One physical line of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RawLine {
    /// 1-based line number.
    pub number: usize,
    /// What the line holds.
    pub content: Content,
}

/// The bytes of a line without its line ending, or only its length when it is over the cap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Content {
    /// At most [`MAX_LINE`] bytes.
    Bytes(Vec<u8>),
    /// The line's length in bytes: more than [`MAX_LINE`]; its bytes were not kept.
    TooLong(usize),
}

/// The lines of a reader, numbered from 1, each at most [`MAX_LINE`] bytes in memory.
pub(super) struct BoundedLines<R> {
    reader: R,
    /// Lines read so far.
    number: usize,
    /// A line handed back with [`BoundedLines::push_back`].
    pushed_back: Option<RawLine>,
    /// The reader is exhausted.
    done: bool,
}

impl<R: BufRead> BoundedLines<R> {
    /// Lines of `reader`; a UTF-8 BOM at its very start is dropped.
    pub fn new(reader: R) -> Self {
        BoundedLines {
            reader,
            number: 0,
            pushed_back: None,
            done: false,
        }
    }

    /// The next line, or None at the end. A last line without a line ending counts; an empty
    /// reader has no lines.
    pub fn next_line(&mut self) -> io::Result<Option<RawLine>> {
        if let Some(line) = self.pushed_back.take() {
            return Ok(Some(line));
        }
        if self.done {
            return Ok(None);
        }
        let Some(read) = self.read_capped()? else {
            self.done = true;
            return Ok(None);
        };
        self.done = !read.ended;
        self.number += 1;
        Ok(Some(RawLine {
            number: self.number,
            content: read.content(self.number == 1),
        }))
    }

    /// Hands `line` back: the next [`BoundedLines::next_line`] returns it again.
    pub fn push_back(&mut self, line: RawLine) {
        debug_assert!(self.pushed_back.is_none(), "one line of push-back");
        self.pushed_back = Some(line);
    }

    /// Reads up to and including the next LF, keeping at most `MAX_LINE + 1` bytes (room for
    /// the CR of a CRLF) plus the BOM; None when the reader is at its end.
    fn read_capped(&mut self) -> io::Result<Option<CappedLine>> {
        let keep = MAX_LINE + 1 + if self.number == 0 { BOM.len() } else { 0 };
        let mut line = CappedLine::default();
        let mut seen_any = false;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                return Ok(seen_any.then_some(line));
            }
            seen_any = true;
            let newline = available.iter().position(|&b| b == b'\n');
            let chunk = &available[..newline.unwrap_or(available.len())];
            line.take(chunk, keep);
            let used = chunk.len() + usize::from(newline.is_some());
            self.reader.consume(used);
            if newline.is_some() {
                line.ended = true;
                return Ok(Some(line));
            }
        }
    }
}

/// A line being read: its first bytes, its full length and its last byte.
#[derive(Default)]
struct CappedLine {
    kept: Vec<u8>,
    length: usize,
    last: Option<u8>,
    /// It ended with an LF (rather than the end of the reader).
    ended: bool,
}

impl CappedLine {
    /// Adds a chunk of the line, keeping no more than `keep` bytes in all.
    fn take(&mut self, chunk: &[u8], keep: usize) {
        let room = keep.saturating_sub(self.kept.len());
        self.kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
        self.length += chunk.len();
        if let Some(&last) = chunk.last() {
            self.last = Some(last);
        }
    }

    /// The line without the CR of a CRLF (and, on the `first` line, without a BOM), or its
    /// length when that is over the cap.
    fn content(mut self, first: bool) -> Content {
        let bom = if first {
            self.kept.len() - strip_bom(&self.kept).len()
        } else {
            0
        };
        let length = self.length - usize::from(self.last == Some(b'\r')) - bom;
        if length > MAX_LINE {
            return Content::TooLong(length);
        }
        self.kept.truncate(bom + length);
        self.kept.drain(..bom);
        Content::Bytes(self.kept)
    }
}

/// The text of a line that holds valid UTF-8 and no NUL byte, or what is wrong with it.
pub(super) fn decode(bytes: Vec<u8>) -> Result<String, String> {
    let text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "invalid UTF-8 at byte offset {} of the line (save the list as UTF-8)",
            e.utf8_error().valid_up_to()
        )
    })?;
    if let Some(offset) = text.bytes().position(|b| b == 0) {
        return Err(format!(
            "NUL byte at byte offset {offset} of the line (a binary file?)"
        ));
    }
    Ok(text)
}

/// The message of a bad row for a line over the cap.
pub(super) fn too_long(length: usize) -> String {
    format!("line is {length} bytes, longer than {MAX_LINE}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line of `input` read through a buffer of `capacity` bytes.
    fn lines(input: &[u8], capacity: usize) -> Vec<(usize, Content)> {
        let mut lines = BoundedLines::new(io::BufReader::with_capacity(capacity, input));
        let mut all = Vec::new();
        while let Some(line) = lines.next_line().unwrap() {
            all.push((line.number, line.content));
        }
        all
    }

    fn bytes(text: &str) -> Content {
        Content::Bytes(text.as_bytes().to_vec())
    }

    #[test]
    fn lines_are_numbered_and_lose_their_line_endings_and_the_bom() {
        for capacity in [1, 3, 8192] {
            let got = lines(b"\xef\xbb\xbfa\r\n\nb\rc\nlast", capacity);
            let expected = [
                (1, bytes("a")),
                (2, bytes("")),
                (3, bytes("b\rc")),
                (4, bytes("last")),
            ];
            assert_eq!(got, expected, "capacity {capacity}");
        }
        assert_eq!(lines(b"", 8), []);
        assert_eq!(lines(b"\n", 8), [(1, bytes(""))]);
        assert_eq!(lines(b"x\n", 8), [(1, bytes("x"))]);
    }

    #[test]
    fn lines_over_the_cap_keep_only_their_length() {
        let at_cap = "x".repeat(MAX_LINE);
        for capacity in [7, 8192] {
            let input = format!("{at_cap}\r\n{at_cap}y\r\n\u{feff}{at_cap}\nz");
            let got = lines(input.as_bytes(), capacity);
            let expected = [
                (1, bytes(&at_cap)),
                (2, Content::TooLong(MAX_LINE + 1)),
                (3, Content::TooLong(MAX_LINE + 3)),
                (4, bytes("z")),
            ];
            assert_eq!(got, expected, "capacity {capacity}");
        }
        let with_bom = format!("\u{feff}{at_cap}\r\n");
        assert_eq!(lines(with_bom.as_bytes(), 5), [(1, bytes(&at_cap))]);
    }

    #[test]
    fn push_back_returns_the_line_again() {
        let mut lines = BoundedLines::new(&b"a\nb\n"[..]);
        let first = lines.next_line().unwrap().unwrap();
        lines.push_back(first.clone());
        assert_eq!(lines.next_line().unwrap(), Some(first));
        assert_eq!(lines.next_line().unwrap().unwrap().number, 2);
        assert_eq!(lines.next_line().unwrap(), None);
    }

    #[test]
    fn decode_names_the_offset_of_invalid_utf8_and_nul() {
        assert_eq!(decode(b"caf\xc3\xa9".to_vec()).unwrap(), "café");
        let error = decode(b"u\xe9@x.test".to_vec()).unwrap_err();
        assert!(
            error.starts_with("invalid UTF-8 at byte offset 1 of the line"),
            "{error}"
        );
        let error = decode(b"ab\0c".to_vec()).unwrap_err();
        assert!(error.starts_with("NUL byte at byte offset 2"), "{error}");
    }
}
