//! `batch --resume`: what an interrupted run left in its output file.
//!
//! Every row is written whole and flushed, but a kill or a crash can still leave the file
//! ending in part of a row. [`scan`] finds the rows that are complete (and the addresses they
//! hold) and how many bytes they take; [`open`] cuts off anything after them before appending,
//! so the file never holds a broken row or a duplicate.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::export::{CSV_COLUMNS, Format};
use crate::input::address_key;

/// The complete rows found in an earlier run's output.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Previous {
    /// The addresses already written, by [`address_key`] (duplicates in lists collapse the same way).
    pub addresses: HashSet<String>,
    /// How many result rows were found.
    pub rows: usize,
    /// The length of the complete rows (and header), in bytes: anything after is unfinished.
    pub keep: u64,
    /// Whether the CSV header is there (always false for JSON lines).
    pub has_header: bool,
}

/// The output file opened for appending after an earlier run.
pub struct Resumed {
    /// The file, positioned at its end.
    pub file: File,
    /// What the earlier run wrote.
    pub previous: Previous,
    /// How many bytes of an unfinished row were cut off the end.
    pub dropped: u64,
}

/// Opens `path` to carry on writing `format`: reads the rows already there, cuts off an
/// unfinished last row and returns the file ready to append. A missing file starts empty.
/// Errors (in words, without the path) when the file is not output of this format.
pub fn open(path: &Path, format: Format) -> Result<Resumed, String> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(format!("cannot read it: {e}")),
    };
    let previous = scan(&bytes, format)?;
    let dropped = bytes.len() as u64 - previous.keep;
    if dropped > 0 {
        OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|file| file.set_len(previous.keep))
            .map_err(|e| format!("cannot cut off its unfinished last row: {e}"))?;
    }
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| format!("cannot open it to append: {e}"))?;
    Ok(Resumed {
        file,
        previous,
        dropped,
    })
}

/// Reads an earlier run's output from memory.
pub fn scan(bytes: &[u8], format: Format) -> Result<Previous, String> {
    match format {
        Format::Csv => scan_csv(bytes),
        Format::Jsonl => scan_jsonl(bytes),
    }
}

/// One CSV record as read: where it ends and whether it is whole.
struct CsvRow {
    line: u64,
    start: u64,
    end: u64,
    complete: bool,
    address: String,
}

fn scan_csv(bytes: &[u8]) -> Result<Previous, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut previous = Previous::default();
    // A row is judged when the next one is read: only the last may be unfinished.
    let mut pending: Option<CsvRow> = None;
    loop {
        let read = reader
            .read_byte_record(&mut record)
            .map_err(|e| format!("unreadable CSV: {e}"))?;
        if !read {
            break;
        }
        let position = record
            .position()
            .cloned()
            .unwrap_or_else(csv::Position::new);
        let end = reader.position().byte();
        let terminated = end > 0 && matches!(bytes[end as usize - 1], b'\n' | b'\r');
        let row = CsvRow {
            line: position.line(),
            start: position.byte(),
            end,
            complete: terminated && record.len() == CSV_COLUMNS.len(),
            address: String::from_utf8_lossy(record.get(0).unwrap_or_default()).into_owned(),
        };
        if !previous.has_header && pending.is_none() {
            // The first record: the header.
            if row.complete && record.iter().eq(CSV_COLUMNS.iter().map(|c| c.as_bytes())) {
                previous.has_header = true;
                previous.keep = row.end;
                continue;
            }
            if row.complete || !header_line().starts_with(&bytes[row.start as usize..]) {
                return Err(format!(
                    "line {}: not a CSV written by mxknock batch (the header should be {})",
                    row.line,
                    CSV_COLUMNS.join(",")
                ));
            }
            // A header cut short: the file holds nothing yet.
            return Ok(previous);
        }
        if let Some(earlier) = pending.replace(row) {
            accept_csv_row(&mut previous, earlier)?;
        }
    }
    if let Some(last) = pending
        && last.complete
    {
        accept_csv_row(&mut previous, last)?;
    }
    Ok(previous)
}

fn accept_csv_row(previous: &mut Previous, row: CsvRow) -> Result<(), String> {
    if !row.complete {
        return Err(format!(
            "line {}: a broken row before the end, not {} columns; not output of mxknock batch?",
            row.line,
            CSV_COLUMNS.len()
        ));
    }
    previous.addresses.insert(address_key(&row.address));
    previous.rows += 1;
    previous.keep = row.end;
    Ok(())
}

/// The header as batch writes it.
fn header_line() -> Vec<u8> {
    crate::export::csv_header()
}

fn scan_jsonl(bytes: &[u8]) -> Result<Previous, String> {
    let mut previous = Previous::default();
    let mut start = 0;
    let mut line_number = 0;
    // Only lines ending in a newline are complete; what follows the last one is unfinished.
    while let Some(length) = bytes[start..].iter().position(|&b| b == b'\n') {
        line_number += 1;
        let line = &bytes[start..start + length];
        start += length + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            previous.keep = start as u64;
            continue;
        }
        let value: serde_json::Value = serde_json::from_slice(line)
            .map_err(|e| format!("line {line_number}: not a JSON line ({e})"))?;
        let Some(address) = value.get("address").and_then(|a| a.as_str()) else {
            return Err(format!(
                "line {line_number}: a JSON line without an \"address\"; not output of mxknock batch?"
            ));
        };
        previous.addresses.insert(address_key(address));
        previous.rows += 1;
        previous.keep = start as u64;
    }
    let rest = &bytes[start..];
    if previous.rows == 0 && !rest.is_empty() && !rest.trim_ascii_start().starts_with(b"{") {
        return Err(format!("line {}: not a JSON line", line_number + 1));
    }
    Ok(previous)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A data row whose detail holds a comma, quotes and a newline; the columns after the
    /// first fifteen are left empty.
    fn row(address: &str) -> String {
        let empty = ",".repeat(CSV_COLUMNS.len() - 15);
        format!(
            "{address},{address},deliverable,ok,\"fine, \"\"really\"\"\nyes\",false,false,false,false,,mx,250,2.1.5,Ok,12{empty}\n"
        )
    }

    fn csv_file(rows: &[&str]) -> String {
        let mut text = format!("{}\n", CSV_COLUMNS.join(","));
        for address in rows {
            text.push_str(&row(address));
        }
        text
    }

    #[test]
    fn csv_rows_are_read_and_an_unfinished_last_row_is_cut_off() {
        let whole = csv_file(&["a@x.test", "B@x.test"]);
        let previous = scan(whole.as_bytes(), Format::Csv).unwrap();
        assert!(previous.has_header);
        assert_eq!(previous.rows, 2);
        assert_eq!(previous.keep, whole.len() as u64);
        assert!(previous.addresses.contains("b@x.test"));
        // Cut anywhere inside the last row, even right after a newline inside quotes.
        let two = csv_file(&["a@x.test"]).len();
        for cut in two..whole.len() {
            let previous = scan(&whole.as_bytes()[..cut], Format::Csv).unwrap();
            assert_eq!(previous.rows, 1, "cut at {cut}");
            assert_eq!(previous.keep, two as u64, "cut at {cut}");
        }
        let mut garbage = whole.clone();
        garbage.push_str("c@x.test,\"half");
        let previous = scan(garbage.as_bytes(), Format::Csv).unwrap();
        assert_eq!((previous.rows, previous.keep), (2, whole.len() as u64));
    }

    #[test]
    fn a_csv_header_cut_short_means_an_empty_file() {
        let header = header_line();
        for cut in 0..header.len() {
            let previous = scan(&header[..cut], Format::Csv).unwrap();
            assert_eq!((previous.keep, previous.has_header), (0, false), "{cut}");
        }
        let previous = scan(&header, Format::Csv).unwrap();
        assert_eq!(
            (previous.keep, previous.has_header),
            (header.len() as u64, true)
        );
    }

    #[test]
    fn files_that_are_not_batch_output_are_refused() {
        assert!(
            scan(b"name,email\nann,ann@x.test\n", Format::Csv)
                .unwrap_err()
                .contains("line 1")
        );
        assert!(scan(b"just some text", Format::Csv).is_err());
        let mut broken = csv_file(&["a@x.test"]);
        broken.push_str("oops,only,three\n");
        broken.push_str(&row("b@x.test"));
        assert!(scan(broken.as_bytes(), Format::Csv).is_err());
        assert!(scan(b"{\"address\":\"a@x.test\"}\nnot json\n", Format::Jsonl).is_err());
        assert!(scan(b"{\"verdict\":\"ok\"}\n", Format::Jsonl).is_err());
        assert!(scan(b"plain text", Format::Jsonl).is_err());
    }

    #[test]
    fn json_lines_are_read_and_an_unfinished_last_line_is_cut_off() {
        // Lines from before schema_version existed, and one with it.
        let text = "{\"address\":\"A@x.test\",\"verdict\":\"deliverable\"}\n\n{\"address\":\"b@x.test\"}\n{\"schema_version\":1,\"address\":\"c@x.test\"}\n";
        let previous = scan(text.as_bytes(), Format::Jsonl).unwrap();
        assert_eq!(previous.rows, 3);
        assert!(previous.addresses.contains("c@x.test"));
        assert_eq!(previous.keep, text.len() as u64);
        assert!(previous.addresses.contains("a@x.test"));
        let torn = format!("{text}{{\"address\":\"d@x.te");
        let previous = scan(torn.as_bytes(), Format::Jsonl).unwrap();
        assert_eq!((previous.rows, previous.keep), (3, text.len() as u64));
        assert_eq!(scan(b"{\"addr", Format::Jsonl).unwrap().keep, 0);
    }

    #[test]
    fn open_truncates_the_unfinished_row_and_appends() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let whole = csv_file(&["a@x.test"]);
        std::fs::write(&path, format!("{whole}b@x.test,b@x")).unwrap();
        let mut resumed = open(&path, Format::Csv).unwrap();
        assert_eq!(resumed.dropped, "b@x.test,b@x".len() as u64);
        assert_eq!(resumed.previous.rows, 1);
        resumed.file.write_all(b"more\n").unwrap();
        drop(resumed);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{whole}more\n")
        );
        let fresh = open(&dir.path().join("new.jsonl"), Format::Jsonl).unwrap();
        assert_eq!(fresh.previous, Previous::default());
    }
}
