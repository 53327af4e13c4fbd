//! Loading address lists: plain text (one address per line, `#` comments) or CSV (the column
//! named email / e-mail / address / mail, any case, else the first column). A UTF-8 BOM, CRLF
//! and CSV quoting are handled; duplicates collapse with a count; bad rows are reported with
//! their line numbers and never abort the load.

use std::collections::HashMap;
use std::path::Path;

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

/// Reads a list file: CSV when the name ends in .csv, else a text list.
pub fn load_file(path: &Path) -> Result<LoadedList, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    Ok(if is_csv {
        parse_csv(&text)
    } else {
        parse_text(&text)
    })
}

/// Parses a plain list: one address per line, blank lines and `#` comments skipped.
pub fn parse_text(text: &str) -> LoadedList {
    let mut list = Collector::default();
    for (index, raw) in strip_bom(text).split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw).trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        list.add(line, index + 1);
    }
    list.finish()
}

/// Parses CSV with a header row; picks the address column by name, else the first column.
pub fn parse_csv(text: &str) -> LoadedList {
    let mut list = Collector::default();
    // The csv crate reports the line of a record that follows a CRLF one line short.
    let text = strip_bom(text).replace("\r\n", "\n");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let column = reader.headers().map(address_column).unwrap_or(0);
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
                match record.get(column).map(str::trim) {
                    Some(value) if !value.is_empty() => list.add(value, line),
                    Some(_) => list.bad(line, "empty address cell".into()),
                    None => list.bad(line, format!("row has no column {}", column + 1)),
                }
            }
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                list.bad(line, format!("unreadable CSV row: {e}"));
            }
        }
    }
    list.finish()
}

/// Parses a list of unknown kind (standard input): CSV when [`looks_like_csv`], else text.
pub fn parse_sniffed(text: &str) -> LoadedList {
    if looks_like_csv(text) {
        // Blank the comments above the header (keeping their lines, so numbers stay right).
        let mut in_header = true;
        let text: Vec<&str> = strip_bom(text)
            .split('\n')
            .map(|line| {
                let trimmed = line.trim();
                if in_header && (trimmed.is_empty() || trimmed.starts_with('#')) {
                    ""
                } else {
                    in_header = false;
                    line
                }
            })
            .collect();
        parse_csv(&text.join("\n"))
    } else {
        parse_text(text)
    }
}

/// Whether the first line that is not blank or a `#` comment is a CSV header: it has a comma
/// and a cell named like an address column (email, e-mail, address ...).
pub fn looks_like_csv(text: &str) -> bool {
    let Some(first) = strip_bom(text)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
    else {
        return false;
    };
    first.contains(',')
        && first
            .split(',')
            .any(|cell| is_address_header(cell.trim().trim_matches('"')))
}

/// The column of a CSV header that holds the addresses: the first one named email, e-mail,
/// email address, address or mail (any case), else the first column.
pub fn address_column(headers: &csv::StringRecord) -> usize {
    headers.iter().position(is_address_header).unwrap_or(0)
}

/// A header cell that names the address column (any case).
fn is_address_header(cell: &str) -> bool {
    let cell = cell.trim().to_ascii_lowercase();
    matches!(
        cell.as_str(),
        "email" | "e-mail" | "email address" | "address" | "mail"
    )
}

fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

#[derive(Default)]
struct Collector {
    list: LoadedList,
    seen: HashMap<String, usize>,
}

impl Collector {
    fn add(&mut self, address: &str, line: usize) {
        if let Some((position, c)) = address.chars().enumerate().find(|(_, c)| c.is_control()) {
            self.bad(
                line,
                format!(
                    "control character U+{:04X} at position {} (not an address; a binary file?)",
                    c as u32,
                    position + 1
                ),
            );
            return;
        }
        let key = address.to_lowercase();
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

    #[test]
    fn bad_csv_rows_are_reported_with_line_numbers_and_do_not_abort() {
        let list = parse_csv("email,name\nok@x.test,a\n,empty\n\"broken,b\nlater@x.test,c\n");
        assert_eq!(list.entries[0].address, "ok@x.test");
        assert!(
            list.bad_rows
                .iter()
                .any(|b| b.line == 3 && b.message.contains("empty")),
            "{:?}",
            list.bad_rows
        );
    }
}
