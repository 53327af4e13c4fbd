//! CSV records from bounded lines (RFC 4180): cells split on the delimiter (a comma unless
//! the dialect says otherwise, see `dialect`), a cell that starts with `"` is quoted (`""` inside it is a quote) and may go on over several lines.
//!
//! A quote that never closes must not swallow the rest of the list, so a record may span at
//! most [`MAX_LINE`] bytes, and a record that is malformed, or whose quote is still open at the
//! end of the list, at that limit, or at an unreadable line, is a bad row at its first line:
//! reading starts again at the line after it, so every later row is still read.

use std::collections::VecDeque;
use std::io::{self, BufRead};

use super::lines::{BoundedLines, Content, MAX_LINE, RawLine, decode, too_long};

/// One record of the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Record {
    /// The cells of a record that starts at `line`.
    Cells { line: usize, cells: Vec<String> },
    /// A record (or line) that cannot be read, and why.
    Bad { line: usize, message: String },
}

/// A physical line, decoded.
#[derive(Clone, Debug)]
enum Line {
    Text { number: usize, text: String },
    Bad { number: usize, message: String },
}

impl Line {
    fn from_raw(raw: RawLine) -> Line {
        let number = raw.number;
        let decoded = match raw.content {
            Content::TooLong(length) => Err(too_long(length)),
            Content::Bytes(bytes) => decode(bytes),
        };
        match decoded {
            Ok(text) => Line::Text { number, text },
            Err(message) => Line::Bad { number, message },
        }
    }
}

/// The records of a list, blank lines between them skipped.
pub(super) struct Records<R> {
    lines: BoundedLines<R>,
    delimiter: char,
    /// Lines taken by a record that turned out bad, to be read again.
    replay: VecDeque<Line>,
}

impl<R: BufRead> Records<R> {
    pub fn new(lines: BoundedLines<R>, delimiter: char) -> Self {
        Records {
            lines,
            delimiter,
            replay: VecDeque::new(),
        }
    }

    /// The next record, or None at the end of the list.
    pub fn next_record(&mut self) -> io::Result<Option<Record>> {
        loop {
            match self.next_line()? {
                None => return Ok(None),
                Some(Line::Bad { number, message }) => {
                    return Ok(Some(Record::Bad {
                        line: number,
                        message,
                    }));
                }
                Some(Line::Text { text, .. }) if text.trim().is_empty() => continue,
                Some(Line::Text { number, text }) => return self.assemble(number, &text).map(Some),
            }
        }
    }

    fn next_line(&mut self) -> io::Result<Option<Line>> {
        if let Some(line) = self.replay.pop_front() {
            return Ok(Some(line));
        }
        Ok(self.lines.next_line()?.map(Line::from_raw))
    }

    /// The record that starts with `text` on line `first`, taking more lines while a quoted
    /// cell is open.
    fn assemble(&mut self, first: usize, text: &str) -> io::Result<Record> {
        let mut cells = Cells::new(self.delimiter);
        let mut taken = Vec::new();
        let mut size = text.len();
        let mut scan = cells.feed(text);
        loop {
            let why = match scan {
                Scan::Complete(cells) => return Ok(Record::Cells { line: first, cells }),
                Scan::Malformed(message) => message,
                Scan::Open => match self.next_line()? {
                    Some(Line::Text { number, text }) if size + 1 + text.len() <= MAX_LINE => {
                        size += 1 + text.len();
                        scan = cells.feed(&text);
                        taken.push(Line::Text { number, text });
                        continue;
                    }
                    Some(line) => {
                        let why = unclosed_before(&line);
                        taken.push(line);
                        why
                    }
                    None => "the quote opened on this line is never closed".to_string(),
                },
            };
            self.read_again(taken);
            return Ok(Record::Bad {
                line: first,
                message: why,
            });
        }
    }

    /// Puts the lines a bad record took back in front, in their order.
    fn read_again(&mut self, taken: Vec<Line>) {
        for line in taken.into_iter().rev() {
            self.replay.push_front(line);
        }
    }
}

/// Why an open quote gave up at `line`: the record would grow past the cap, or the line is bad.
fn unclosed_before(line: &Line) -> String {
    match line {
        Line::Text { .. } => {
            format!("the quote opened on this line is never closed (not within {MAX_LINE} bytes)")
        }
        Line::Bad { number, .. } => format!(
            "the quote opened on this line is not closed before line {number}, which cannot be read"
        ),
    }
}

/// Where the scanner is within a record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum State {
    /// At the start of a cell.
    #[default]
    CellStart,
    /// In a cell that does not start with a quote: quotes in it are plain characters.
    Unquoted,
    /// In a quoted cell.
    Quoted,
    /// Just after a quote in a quoted cell: the closing quote, or the first of `""`.
    QuoteInQuoted,
    /// After the closing quote, where only spaces may come before the comma.
    AfterQuoted,
}

/// The outcome of feeding a line.
#[derive(Debug, PartialEq, Eq)]
enum Scan {
    /// The record ended with this line.
    Complete(Vec<String>),
    /// A quoted cell is still open: the record goes on with the next line.
    Open,
    /// The record cannot be CSV.
    Malformed(String),
}

/// Splits one record into cells, fed a line at a time.
#[derive(Debug)]
struct Cells {
    delimiter: char,
    cells: Vec<String>,
    cell: String,
    state: State,
}

impl Cells {
    fn new(delimiter: char) -> Self {
        Cells {
            delimiter,
            cells: Vec::new(),
            cell: String::new(),
            state: State::default(),
        }
    }

    /// Takes the next line of the record (without its line ending).
    fn feed(&mut self, line: &str) -> Scan {
        for c in line.chars() {
            if let Err(message) = self.step(c) {
                return Scan::Malformed(message);
            }
        }
        if self.state == State::Quoted {
            self.cell.push('\n');
            return Scan::Open;
        }
        self.end_cell();
        Scan::Complete(std::mem::take(&mut self.cells))
    }

    fn step(&mut self, c: char) -> Result<(), String> {
        use State::*;
        let delimiter = c == self.delimiter;
        self.state = match (self.state, c) {
            (CellStart, '"') => Quoted,
            (CellStart | Unquoted | QuoteInQuoted | AfterQuoted, _) if delimiter => {
                self.end_cell();
                CellStart
            }
            (CellStart | Unquoted, c) => {
                self.cell.push(c);
                Unquoted
            }
            (Quoted, '"') => QuoteInQuoted,
            (QuoteInQuoted, '"') | (Quoted, _) => {
                self.cell.push(c);
                Quoted
            }
            (QuoteInQuoted | AfterQuoted, ' ' | '\t') => AfterQuoted,
            (QuoteInQuoted | AfterQuoted, _) => {
                return Err(format!(
                    "text after the closing quote of cell {} (a quote inside a quoted cell \
                     is written \"\")",
                    self.cells.len() + 1
                ));
            }
        };
        Ok(())
    }

    fn end_cell(&mut self) {
        self.cells.push(std::mem::take(&mut self.cell));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(input: &str) -> Vec<Record> {
        let mut records = Records::new(BoundedLines::new(input.as_bytes()), ',');
        let mut all = Vec::new();
        while let Some(record) = records.next_record().unwrap() {
            all.push(record);
        }
        all
    }

    fn cells(line: usize, cells: &[&str]) -> Record {
        Record::Cells {
            line,
            cells: cells.iter().map(|c| c.to_string()).collect(),
        }
    }

    fn bad_line(record: &Record) -> Option<usize> {
        match record {
            Record::Bad { line, .. } => Some(*line),
            Record::Cells { .. } => None,
        }
    }

    #[test]
    fn cells_are_split_on_commas_and_quotes_are_honoured() {
        let got =
            records("a,b\n\"x, y\",\"say \"\"hi\"\"\"\n\n,\"\" ,z\"q\n  \n\"two\nlines\",2\n");
        assert_eq!(
            got,
            [
                cells(1, &["a", "b"]),
                cells(2, &["x, y", "say \"hi\""]),
                cells(4, &["", "", "z\"q"]),
                cells(6, &["two\nlines", "2"]),
            ]
        );
    }

    #[test]
    fn an_unclosed_quote_is_a_bad_row_and_reading_goes_on_at_the_next_line() {
        let got = records("a,\"never closed\nb,1\nc,2\n");
        assert_eq!(bad_line(&got[0]), Some(1));
        let Record::Bad { message, .. } = &got[0] else {
            unreachable!()
        };
        assert!(message.contains("never closed"), "{message}");
        assert_eq!(&got[1..], [cells(2, &["b", "1"]), cells(3, &["c", "2"])]);
    }

    #[test]
    fn a_quote_closed_by_a_later_malformed_line_resynchronises_too() {
        // Line 1's quote would close at line 2's quote, followed by text: malformed.
        let got = records("a,\"open\nb,\"x\"y\nc,3\n");
        assert_eq!(bad_line(&got[0]), Some(1));
        assert_eq!(bad_line(&got[1]), Some(2));
        assert_eq!(got[2], cells(3, &["c", "3"]));
    }

    #[test]
    fn an_open_quote_stops_at_the_cap_and_at_an_unreadable_line() {
        let filler = "x".repeat(1000);
        let input = format!("a,\"open\n{filler}\n{filler}\n{filler}\n{filler}\n{filler}\nb,1\n");
        let got = records(&input);
        assert_eq!(bad_line(&got[0]), Some(1));
        assert_eq!(
            got.len(),
            7,
            "every line after the bad one is read: {got:?}"
        );
        assert_eq!(got[6], cells(7, &["b", "1"]));

        let mut input = b"a,\"open\nmore\n".to_vec();
        input.extend_from_slice(b"\xff\nb,1\n");
        let mut records = Records::new(BoundedLines::new(&input[..]), ',');
        let mut got = Vec::new();
        while let Some(record) = records.next_record().unwrap() {
            got.push(record);
        }
        let Record::Bad { message, .. } = &got[0] else {
            panic!("{got:?}")
        };
        assert!(message.contains("before line 3"), "{message}");
        assert_eq!(got[1], cells(2, &["more"]));
        assert_eq!(bad_line(&got[2]), Some(3));
        assert_eq!(got[3], cells(4, &["b", "1"]));
    }

    #[test]
    fn spaces_may_follow_a_closing_quote() {
        assert_eq!(records("\"a\" ,b\n"), [cells(1, &["a", "b"])]);
        assert_eq!(bad_line(&records("\"a\"b,c\n")[0]), Some(1));
    }
}
