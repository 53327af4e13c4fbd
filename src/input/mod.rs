//! Loading address lists: plain text (one address per line, `#` comments) or CSV (the column
//! named email / e-mail / address / mail, any case, else the first column), its delimiter
//! (`,` `;` tab `|`) sniffed from the header unless forced (module `dialect`). A UTF-8 BOM,
//! CRLF and CSV quoting are handled; duplicates collapse with a count; bad rows are reported with
//! their line numbers and never abort the load.
//!
//! A list is untrusted input: it is read a line at a time (module `lines`), never holding
//! more than [`MAX_LINE`] bytes of one, and every line that cannot be an address is a bad row
//! rather than something silently changed or dropped: a line over the cap, invalid UTF-8
//! (never replaced by U+FFFD), a NUL byte, a control character in the address, or a CSV quote
//! that never closes (module `records`, which then reads on from the next line).

mod bom;
mod dialect;
mod key;
mod lines;
mod records;
pub mod shard;

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use lines::{BoundedLines, Content, RawLine, decode, too_long};
use records::{Record, Records};

pub use bom::{BOM, strip_bom};
pub use dialect::{ListOptions, parse_delimiter, sniff as sniff_delimiter};
pub use key::address_key;
pub use lines::MAX_LINE;
pub use shard::{Shard, parse_shard};

/// One address of a list, with where it first appeared and how often.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListEntry {
    /// The address as written (trimmed).
    pub address: String,
    /// 1-based line of its first appearance.
    pub line: usize,
    /// How many times it appeared (case-insensitively).
    pub count: u32,
}

/// A row that could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRow {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong.
    pub message: String,
}

/// What a list holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadedList {
    /// Distinct addresses in order of first appearance.
    pub entries: Vec<ListEntry>,
    /// Rows that could not be read, with their line numbers.
    pub bad_rows: Vec<BadRow>,
    /// Addresses seen more than once, counted beyond the first.
    pub duplicates: usize,
}

/// Why a whole list could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
}

/// Reads a list file: CSV when the name ends in .csv or .tsv (tab-separated unless a
/// delimiter is forced), else like standard input ([`read_sniffed`]): CSV when its first line
/// is an address header, a text list otherwise.
pub fn load_file(path: &Path, options: ListOptions) -> Result<LoadedList, LoadError> {
    let read_error = |source| LoadError::Read {
        path: path.display().to_string(),
        source,
    };
    let reader = BufReader::with_capacity(64 * 1024, File::open(path).map_err(read_error)?);
    let extension = |want: &str| {
        path.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case(want))
    };
    if extension("tsv") {
        let delimiter = options.delimiter.unwrap_or('\t');
        read_csv(
            reader,
            ListOptions {
                delimiter: Some(delimiter),
            },
        )
    } else if extension("csv") {
        read_csv(reader, options)
    } else {
        read_sniffed(reader, options)
    }
    .map_err(read_error)
}

/// Reads a plain list: one address per line, blank lines and `#` comments skipped.
pub fn read_text(reader: impl BufRead) -> io::Result<LoadedList> {
    collect_text(BoundedLines::new(reader))
}

/// Reads CSV with a header row; picks the address column by name, else the first column.
/// The delimiter is `options`', else sniffed from the header.
pub fn read_csv(reader: impl BufRead, options: ListOptions) -> io::Result<LoadedList> {
    let mut lines = BoundedLines::new(reader);
    let Some(first) = first_content_line(&mut lines, blank)? else {
        return Ok(LoadedList::default());
    };
    let delimiter = options
        .delimiter
        .unwrap_or_else(|| header_text(&first).map_or(',', dialect::sniff));
    lines.push_back(first);
    collect_csv(Records::new(lines, delimiter))
}

/// Reads a list of unknown kind (standard input): CSV when its first line that is not blank
/// or a `#` comment is an address header (with any of the sniffed delimiters, or the forced
/// one), else text.
pub fn read_sniffed(reader: impl BufRead, options: ListOptions) -> io::Result<LoadedList> {
    let mut lines = BoundedLines::new(reader);
    let Some(first) = first_content_line(&mut lines, is_blank_or_comment)? else {
        return Ok(LoadedList::default());
    };
    let delimiter = header_text(&first).and_then(|header| match options.delimiter {
        Some(forced) => dialect::names_address_column(header, forced).then_some(forced),
        None => dialect::address_delimiter(header),
    });
    lines.push_back(first);
    match delimiter {
        Some(delimiter) => collect_csv(Records::new(lines, delimiter)),
        None => collect_text(lines),
    }
}

/// The first line that `skip` does not pass over, or None at the end.
fn first_content_line<R: BufRead>(
    lines: &mut BoundedLines<R>,
    skip: impl Fn(&Content) -> bool,
) -> io::Result<Option<RawLine>> {
    loop {
        match lines.next_line()? {
            None => return Ok(None),
            Some(line) if skip(&line.content) => continue,
            Some(line) => return Ok(Some(line)),
        }
    }
}

/// A line's text, when it is readable UTF-8.
fn header_text(line: &RawLine) -> Option<&str> {
    match &line.content {
        Content::Bytes(bytes) => std::str::from_utf8(bytes).ok(),
        Content::TooLong(_) => None,
    }
}

/// A line with nothing but white space.
fn blank(content: &Content) -> bool {
    matches!(content, Content::Bytes(bytes) if bytes.trim_ascii().is_empty())
}

/// [`read_text`] over text in memory.
pub fn parse_text(text: &str) -> LoadedList {
    read_text(text.as_bytes()).expect("reading from memory cannot fail")
}

/// [`read_csv`] over text in memory, the delimiter sniffed.
pub fn parse_csv(text: &str) -> LoadedList {
    read_csv(text.as_bytes(), ListOptions::default()).expect("reading from memory cannot fail")
}

/// [`read_sniffed`] over text in memory, the delimiter sniffed.
pub fn parse_sniffed(text: &str) -> LoadedList {
    read_sniffed(text.as_bytes(), ListOptions::default()).expect("reading from memory cannot fail")
}

/// Each line that is not blank or a comment is an address or a bad row.
fn collect_text(mut lines: BoundedLines<impl BufRead>) -> io::Result<LoadedList> {
    let mut list = Collector::default();
    while let Some(RawLine { number, content }) = lines.next_line()? {
        if is_blank_or_comment(&content) {
            continue;
        }
        match content {
            Content::TooLong(length) => list.bad(number, too_long(length)),
            Content::Bytes(bytes) => match decode(bytes) {
                Ok(text) => list.add(text.trim(), number),
                Err(message) => list.bad(number, message),
            },
        }
    }
    Ok(list.finish())
}

/// A line with nothing but white space, or whose first other character is `#`. A comment is
/// skipped whatever it holds (so a Latin-1 comment is not a bad row); a line over the cap is
/// never taken for one.
fn is_blank_or_comment(content: &Content) -> bool {
    let Content::Bytes(bytes) = content else {
        return false;
    };
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            let text = text.trim();
            text.is_empty() || text.starts_with('#')
        }
        Err(_) => bytes.trim_ascii_start().starts_with(b"#"),
    }
}

/// The first record is the header; each later one gives its address cell or a bad row.
fn collect_csv(mut records: Records<impl BufRead>) -> io::Result<LoadedList> {
    let mut list = Collector::default();
    let column = match records.next_record()? {
        None => return Ok(list.finish()),
        Some(Record::Cells { cells, .. }) => address_column(&csv::StringRecord::from(cells)),
        Some(Record::Bad { line, message }) => {
            list.bad(line, format!("header: {message}"));
            0
        }
    };
    while let Some(record) = records.next_record()? {
        match record {
            Record::Bad { line, message } => list.bad(line, message),
            Record::Cells { line, cells } => match cells.get(column).map(|c| c.trim()) {
                Some(value) if !value.is_empty() => list.add(value, line),
                Some(_) => list.bad(line, "empty address cell".into()),
                None => list.bad(line, format!("row has no column {}", column + 1)),
            },
        }
    }
    Ok(list.finish())
}

/// Whether the first line that is not blank or a `#` comment is a CSV header: it has a
/// delimiter and a cell named like an address column (email, e-mail, address ...).
pub fn looks_like_csv(text: &str) -> bool {
    // The mark is one whole character, so what is left starts on a character boundary.
    let text = &text[text.len() - strip_bom(text.as_bytes()).len()..];
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .is_some_and(is_csv_header)
}

/// A line with a delimiter and a cell named like an address column.
fn is_csv_header(line: &str) -> bool {
    dialect::address_delimiter(line).is_some()
}

/// The column of a CSV header that holds the addresses: the first one named email, e-mail,
/// email address, address or mail (any case), else the first column.
pub fn address_column(headers: &csv::StringRecord) -> usize {
    headers.iter().position(is_address_header).unwrap_or(0)
}

/// A header cell that names the address column (any case).
pub(crate) fn is_address_header(cell: &str) -> bool {
    let cell = cell.trim().to_ascii_lowercase();
    matches!(
        cell.as_str(),
        "email" | "e-mail" | "email address" | "address" | "mail"
    )
}

/// Gathers entries (collapsing duplicates) and bad rows.
#[derive(Default)]
struct Collector {
    list: LoadedList,
    seen: HashMap<String, usize>,
}

impl Collector {
    /// Adds the address of `line`, or a bad row when it holds what no address can.
    fn add(&mut self, address: &str, line: usize) {
        if let Some(message) = unusable_character(address) {
            self.bad(line, message);
            return;
        }
        let key = address_key(address);
        if let Some(&index) = self.seen.get(&key) {
            self.list.entries[index].count += 1;
            self.list.duplicates += 1;
            return;
        }
        self.seen.insert(key, self.list.entries.len());
        self.list.entries.push(ListEntry {
            address: address.to_string(),
            line,
            count: 1,
        });
    }

    fn bad(&mut self, line: usize, message: String) {
        self.list.bad_rows.push(BadRow { line, message });
    }

    fn finish(self) -> LoadedList {
        self.list
    }
}

/// What is wrong with an address holding a control character or U+FFFD (the mark of text
/// already damaged by a lossy conversion), if it does.
fn unusable_character(address: &str) -> Option<String> {
    let (position, c) = address
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() || *c == char::REPLACEMENT_CHARACTER)?;
    let why = if c.is_control() {
        "control character"
    } else {
        "replacement character"
    };
    let hint = if c.is_control() {
        "not an address; a binary file?"
    } else {
        "the list lost characters when it was converted"
    };
    Some(format!(
        "{why} U+{:04X} at position {} ({hint})",
        c as u32,
        position + 1
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_control_characters_are_bad_rows_with_their_line() {
        let list = parse_text("alice@lab.test\n\u{1b}[2Jevil@lab.test\nbo\u{7}b@lab.test\n");
        assert_eq!(list.entries.len(), 1);
        assert_eq!(list.bad_rows.len(), 2);
        assert_eq!(list.bad_rows[0].line, 2);
        assert!(list.bad_rows[0].message.contains("U+001B at position 1"));
        assert!(list.bad_rows[1].message.contains("U+0007 at position 3"));
    }

    #[test]
    fn text_lists_skip_comments_and_blanks_and_keep_line_numbers() {
        let list =
            parse_text("\u{feff}# header\r\nalice@a.test\r\n\r\n  bob@b.test  \n#x\ncarol@c.test");
        let got: Vec<_> = list
            .entries
            .iter()
            .map(|e| (e.address.as_str(), e.line))
            .collect();
        assert_eq!(
            got,
            [("alice@a.test", 2), ("bob@b.test", 4), ("carol@c.test", 6)]
        );
    }

    #[test]
    fn duplicates_collapse_with_a_count() {
        let list = parse_text("a@x.test\nA@X.test\nb@x.test\na@x.test\n");
        assert_eq!(list.entries.len(), 2);
        assert_eq!(list.entries[0].count, 3);
        assert_eq!(list.duplicates, 2);
    }

    #[test]
    fn csv_picks_the_email_column_by_name() {
        let list =
            parse_csv("Name,E-Mail,Age\n\"Doe, Jane\",jane@x.test,40\r\nBob,\"bob@x.test\",3\n");
        let got: Vec<_> = list
            .entries
            .iter()
            .map(|e| (e.address.as_str(), e.line))
            .collect();
        assert_eq!(got, [("jane@x.test", 2), ("bob@x.test", 3)]);
    }

    #[test]
    fn csv_without_a_named_column_uses_the_first() {
        let list = parse_csv("who,age\nann@x.test,1\n");
        assert_eq!(list.entries[0].address, "ann@x.test");
    }

    #[test]
    fn standard_input_is_csv_only_when_it_starts_with_an_address_header() {
        assert!(looks_like_csv("# list\n\nName,\"Email\"\nann,ann@x.test\n"));
        assert!(!looks_like_csv("email@x.test\nbob@x.test\n"));
        assert!(!looks_like_csv("who,age\nann@x.test,1\n"));
        assert!(!looks_like_csv(""));
        let list = parse_sniffed("# list\n\nName,Email\nann,ann@x.test\n");
        assert_eq!(list.entries.len(), 1, "{list:?}");
        assert_eq!(list.entries[0].address, "ann@x.test");
        assert_eq!(list.entries[0].line, 4);
        let list = parse_sniffed("\u{feff}name,email\nann,ann@x.test\n");
        assert_eq!(list.entries[0].address, "ann@x.test");
        assert_eq!(list.entries[0].line, 2);
        let list = parse_sniffed("# x\nann@x.test\n");
        assert_eq!(list.entries[0].address, "ann@x.test");
    }

    /// (line, message) of every bad row.
    fn bad(list: &LoadedList) -> Vec<(usize, &str)> {
        list.bad_rows
            .iter()
            .map(|b| (b.line, b.message.as_str()))
            .collect()
    }

    fn addresses(list: &LoadedList) -> Vec<&str> {
        list.entries.iter().map(|e| e.address.as_str()).collect()
    }

    #[test]
    fn invalid_utf8_is_a_bad_row_and_never_replaced() {
        let bytes = b"a@x.test\nu\xe9@x.test\n# caf\xe9 comments are skipped\nb@x.test\n";
        let list = read_text(&bytes[..]).unwrap();
        assert_eq!(addresses(&list), ["a@x.test", "b@x.test"]);
        let rows = bad(&list);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, 2);
        assert!(
            rows[0]
                .1
                .starts_with("invalid UTF-8 at byte offset 1 of the line"),
            "{rows:?}"
        );
        let list = read_csv(
            &b"email,name\na@x.test,Jos\xe9\nb@x.test,B\n"[..],
            ListOptions::default(),
        )
        .unwrap();
        assert_eq!(addresses(&list), ["b@x.test"]);
        assert_eq!(bad(&list)[0].0, 2);
    }

    #[test]
    fn long_lines_and_nul_bytes_are_bad_rows() {
        let long = "x".repeat(MAX_LINE + 1);
        let text = format!("a@x.test\n{long}\nb\0@x.test\n# {long}\nc@x.test");
        let list = parse_text(&text);
        assert_eq!(addresses(&list), ["a@x.test", "c@x.test"]);
        assert_eq!(
            bad(&list),
            [
                (2, "line is 4097 bytes, longer than 4096"),
                (3, "NUL byte at byte offset 1 of the line (a binary file?)"),
                (4, "line is 4099 bytes, longer than 4096"),
            ]
        );
        let csv = format!("email\n\"{long}\"\nb@x.test\n");
        let list = parse_csv(&csv);
        assert_eq!(addresses(&list), ["b@x.test"]);
        assert_eq!(bad(&list), [(2, "line is 4099 bytes, longer than 4096")]);
    }

    #[test]
    fn an_unclosed_quote_is_a_bad_row_and_the_next_rows_are_read() {
        let list =
            parse_csv("email,name\na@x.test,a\nb@x.test,\"never closed\nc@x.test,c\nd@x.test\n");
        assert_eq!(addresses(&list), ["a@x.test", "c@x.test", "d@x.test"]);
        assert_eq!(
            bad(&list),
            [(3, "the quote opened on this line is never closed")]
        );
        let list = parse_csv("\"email\nx@y.test\n");
        assert_eq!(
            addresses(&list),
            ["x@y.test"],
            "an unreadable header: column 1"
        );
        assert!(bad(&list)[0].1.starts_with("header: "), "{list:?}");
    }

    #[test]
    fn replacement_characters_are_bad_rows() {
        let list = parse_text("u\u{fffd}@x.test\nok@x.test\n");
        assert_eq!(addresses(&list), ["ok@x.test"]);
        assert!(
            bad(&list)[0]
                .1
                .starts_with("replacement character U+FFFD at position 2")
        );
    }

    #[test]
    fn standard_input_is_sniffed_from_its_first_line_that_is_not_a_comment() {
        let list = read_sniffed(
            &b"# caf\xe9\n\nemail,name\na@x.test,\xff\nb@x.test,b\n"[..],
            ListOptions::default(),
        )
        .unwrap();
        assert_eq!(addresses(&list), ["b@x.test"]);
        assert_eq!(bad(&list)[0].0, 4);
        let list = read_sniffed(&b"\xff@x.test\nemail,name\n"[..], ListOptions::default()).unwrap();
        assert_eq!(
            addresses(&list),
            ["email,name"],
            "text: the first line is not a header"
        );
        assert_eq!(bad(&list)[0].0, 1);
        assert_eq!(
            read_sniffed(&b"# only\n\n"[..], ListOptions::default()).unwrap(),
            LoadedList::default()
        );
    }

    #[test]
    fn bad_csv_rows_are_reported_with_line_numbers_and_do_not_abort() {
        let list = parse_csv("email,name\nok@x.test,a\n,empty\n\"broken,b\nlater@x.test,c\n");
        assert_eq!(addresses(&list), ["ok@x.test", "later@x.test"]);
        assert!(
            list.bad_rows
                .iter()
                .any(|b| b.line == 4 && b.message.contains("never closed")),
            "{:?}",
            list.bad_rows
        );
        assert!(
            list.bad_rows
                .iter()
                .any(|b| b.line == 3 && b.message.contains("empty")),
            "{:?}",
            list.bad_rows
        );
    }
}
