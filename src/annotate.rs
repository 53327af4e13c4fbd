//! `mxknock annotate`: the results of a `batch` run joined back onto the list they came
//! from. Every row of the list is written again, in its order and with all its columns,
//! followed by the result columns of its address (empty when the run has no result for it).
//!
//! Pure functions over text, so the joining is tested without files; `cli::annotate` does the
//! reading and writing.

use std::collections::HashMap;

use crate::export::CSV_COLUMNS;
use crate::input::{BOM, address_column, address_key, strip_bom};

/// The result columns a row gets: batch's CSV columns but the address, which the row has.
pub fn result_columns() -> impl Iterator<Item = &'static str> {
    CSV_COLUMNS.into_iter().filter(|c| *c != "address")
}

/// `batch`'s CSV output, by address.
#[derive(Debug, Default)]
pub struct Results {
    /// The result cells of each address (by [`address_key`]), in [`result_columns`] order.
    by_address: HashMap<String, Vec<String>>,
}

impl Results {
    /// Reads `batch --format csv` output (complete rows only: the caller cuts off an
    /// unfinished last row). Errors name the line when it is not that.
    pub fn parse(bytes: &[u8]) -> Result<Results, String> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(strip_bom(bytes));
        let headers = reader
            .headers()
            .map_err(|e| format!("unreadable CSV header: {e}"))?
            .clone();
        let position = |name: &str| headers.iter().position(|h| h == name);
        let (Some(address), Some(_)) = (position("address"), position("verdict")) else {
            return Err(
                "line 1: not the CSV output of `mxknock batch` (no address and verdict columns)"
                    .into(),
            );
        };
        let columns: Vec<Option<usize>> = result_columns().map(position).collect();
        let mut results = Results::default();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                format!("line {line}: unreadable CSV row: {e}")
            })?;
            let key = address_key(record.get(address).unwrap_or(""));
            if key.is_empty() {
                continue;
            }
            let cells = columns
                .iter()
                .map(|c| c.and_then(|i| record.get(i)).unwrap_or("").to_string())
                .collect();
            results.by_address.entry(key).or_insert(cells);
        }
        Ok(results)
    }

    /// How many addresses have a result.
    pub fn len(&self) -> usize {
        self.by_address.len()
    }

    /// Whether there is no result at all.
    pub fn is_empty(&self) -> bool {
        self.by_address.is_empty()
    }

    fn cells(&self, address: &str) -> Option<&[String]> {
        self.by_address
            .get(&address_key(address))
            .map(Vec::as_slice)
    }
}

/// The annotated list and what joining found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Annotated {
    /// The CSV to write: the list's header and the result columns, then every row.
    pub csv: Vec<u8>,
    /// Rows written.
    pub rows: usize,
    /// Lines of rows whose address has no result (written with empty result cells).
    pub without_result: Vec<usize>,
    /// Lines of rows with an empty address cell (written with empty result cells; batch
    /// reports them as bad rows and never checks them).
    pub without_address: Vec<usize>,
    /// Lines of the list that could not be read as CSV, with the reason (not written).
    pub unreadable: Vec<(usize, String)>,
}

/// Joins `results` onto a CSV list: its header and rows as they are, byte for byte (any
/// encoding, CRLF inside quoted cells), the result columns after. Rows wider than the header
/// widen it with unnamed columns, so the result columns always line up. A result column whose
/// name the list already has is written as `mxknock_NAME`. A byte-order mark is kept, and
/// the list's `delimiter` is used for reading and writing.
pub fn annotate_csv(list: &[u8], delimiter: u8, results: &Results) -> Annotated {
    let body = strip_bom(list);
    // The record starts at the first byte from `byte` that is not a line break (after a CRLF
    // the csv crate's position can point at the LF).
    let line_at = |byte: u64| {
        let mut start = (byte as usize).min(body.len());
        while start < body.len() && matches!(body[start], b'\r' | b'\n') {
            start += 1;
        }
        1 + body[..start].iter().filter(|&&b| b == b'\n').count()
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(body);
    let headers = reader.byte_headers().cloned().unwrap_or_default();
    let column = address_column(&csv::StringRecord::from_byte_record_lossy(headers.clone()));
    let mut records = Vec::new();
    let mut unreadable = Vec::new();
    for record in reader.byte_records() {
        match record {
            Ok(record) => {
                let line = record.position().map_or(0, |p| line_at(p.byte()));
                records.push((line, record));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| line_at(p.byte()));
                unreadable.push((line, format!("unreadable CSV row: {e}")));
            }
        }
    }
    let width = records
        .iter()
        .map(|(_, r)| r.len())
        .chain([headers.len()])
        .max()
        .unwrap_or(0);
    let taken: Vec<String> = headers
        .iter()
        .map(|h| String::from_utf8_lossy(h).to_lowercase())
        .collect();
    let mut header: Vec<Vec<u8>> = headers.iter().map(<[u8]>::to_vec).collect();
    header.resize(width, Vec::new());
    header.extend(result_columns().map(|name| {
        if taken.iter().any(|t| t == name) {
            format!("mxknock_{name}").into_bytes()
        } else {
            name.as_bytes().to_vec()
        }
    }));
    let mut out = Output::new(header, list.starts_with(BOM), delimiter);
    out.annotated.unreadable = unreadable;
    for (line, record) in records {
        let mut cells: Vec<Vec<u8>> = record.iter().map(<[u8]>::to_vec).collect();
        cells.resize(width, Vec::new());
        let address = String::from_utf8_lossy(record.get(column).unwrap_or_default()).into_owned();
        out.row(line, cells, &address, results);
    }
    out.finish()
}

/// Joins `results` onto a plain list (one address per line, `#` comments): an `address`
/// column, then the result columns.
pub fn annotate_text(list: &[u8], results: &Results) -> Annotated {
    let header = std::iter::once("address")
        .chain(result_columns())
        .map(|c| c.as_bytes().to_vec())
        .collect();
    let mut out = Output::new(header, false, b',');
    let text = String::from_utf8_lossy(strip_bom(list));
    for (index, raw) in text.split('\n').enumerate() {
        let address = raw.strip_suffix('\r').unwrap_or(raw).trim();
        if address.is_empty() || address.starts_with('#') {
            continue;
        }
        out.row(
            index + 1,
            vec![address.as_bytes().to_vec()],
            address,
            results,
        );
    }
    out.finish()
}

/// Builds the CSV row by row.
struct Output {
    writer: csv::Writer<Vec<u8>>,
    annotated: Annotated,
}

impl Output {
    /// A CSV output with `header`, the list's byte-order mark if it had one, and the list's
    /// delimiter (so a `;` list comes back `;`-separated, as its spreadsheet expects).
    fn new(header: Vec<Vec<u8>>, bom: bool, delimiter: u8) -> Output {
        let start = if bom { BOM.to_vec() } else { Vec::new() };
        let mut writer = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .from_writer(start);
        writer
            .write_record(&header)
            .expect("writing to memory cannot fail");
        Output {
            writer,
            annotated: Annotated::default(),
        }
    }

    fn row(&mut self, line: usize, mut cells: Vec<Vec<u8>>, address: &str, results: &Results) {
        match results.cells(address) {
            Some(result) => cells.extend(result.iter().map(|c| c.as_bytes().to_vec())),
            None => {
                cells.extend(result_columns().map(|_| Vec::new()));
                if address.trim().is_empty() {
                    self.annotated.without_address.push(line);
                } else {
                    self.annotated.without_result.push(line);
                }
            }
        }
        self.writer
            .write_record(&cells)
            .expect("rows are padded to one width");
        self.annotated.rows += 1;
    }

    fn finish(mut self) -> Annotated {
        self.annotated.csv = self
            .writer
            .into_inner()
            .expect("writing to memory cannot fail");
        self.annotated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESULTS: &str = "\
address,normalized,verdict,reason,detail,disposable,role_account,free_provider,accept_all,catch_all,mx_host,smtp_code,enhanced_code,smtp_message,duration_ms
alice@lab.test,alice@lab.test,deliverable,ok,\"250 2.1.5 Ok\",false,false,false,false,false,mx1.lab.test,250,2.1.5,Ok,312
nobody@lab.test,nobody@lab.test,undeliverable,no_such_user,\"550 5.1.1 User unknown, sorry\",false,false,false,false,,mx1.lab.test,550,5.1.1,\"User unknown, sorry\",280
";

    fn results() -> Results {
        Results::parse(RESULTS.as_bytes()).unwrap()
    }

    fn rows(annotated: &Annotated) -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(strip_bom(&annotated.csv))
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect()
    }

    #[test]
    fn every_csv_row_keeps_its_columns_and_order_and_gets_its_result() {
        let list = "name,Email,company\nAlice,ALICE@lab.test,Acme\nNo One,nobody@lab.test,\"Foo, Inc\"\nLater,later@lab.test,X\nAlice again,alice@lab.test,Acme\n";
        let annotated = annotate_csv(list.as_bytes(), b',', &results());
        let rows = rows(&annotated);
        assert_eq!(rows.len(), 5);
        assert_eq!(rows[0][..4], ["name", "Email", "company", "normalized"]);
        assert_eq!(rows[0].len(), 3 + CSV_COLUMNS.len() - 1);
        let verdict = rows[0].iter().position(|c| c == "verdict").unwrap();
        let message = rows[0].iter().position(|c| c == "smtp_message").unwrap();
        assert_eq!(rows[1][..3], ["Alice", "ALICE@lab.test", "Acme"]);
        assert_eq!(rows[1][verdict], "deliverable");
        assert_eq!(rows[2][2], "Foo, Inc");
        assert_eq!(rows[2][verdict], "undeliverable");
        assert_eq!(rows[2][message], "User unknown, sorry");
        assert_eq!(rows[3][verdict], "", "no result yet");
        assert_eq!(
            rows[4][verdict], "deliverable",
            "a duplicate gets the result too"
        );
        assert_eq!(annotated.rows, 4);
        assert_eq!(annotated.without_result, [4]);
        assert!(annotated.unreadable.is_empty());
    }

    #[test]
    fn result_columns_the_list_already_has_are_prefixed() {
        let list = "email,verdict,Reason\nalice@lab.test,mine,also mine\n";
        let rows = rows(&annotate_csv(list.as_bytes(), b',', &results()));
        assert!(
            rows[0].contains(&"mxknock_verdict".to_string()),
            "{:?}",
            rows[0]
        );
        assert!(
            rows[0].contains(&"mxknock_reason".to_string()),
            "{:?}",
            rows[0]
        );
        assert!(rows[0].contains(&"detail".to_string()));
        assert_eq!(rows[1][1], "mine");
        let ours = rows[0].iter().position(|c| c == "mxknock_verdict").unwrap();
        assert_eq!(rows[1][ours], "deliverable");
    }

    #[test]
    fn short_rows_are_padded_so_result_columns_line_up() {
        let list = "email,name,phone\nalice@lab.test\n,no address,123\n";
        let annotated = annotate_csv(list.as_bytes(), b',', &results());
        assert_eq!(annotated.without_address, [3]);
        assert!(annotated.without_result.is_empty());
        let rows = rows(&annotated);
        let verdict = rows[0].iter().position(|c| c == "verdict").unwrap();
        assert_eq!(rows[1].len(), rows[0].len());
        assert_eq!(rows[1][verdict], "deliverable");
    }

    #[test]
    fn text_lists_get_an_address_column_and_skip_comments() {
        let list = "# my list\r\nalice@lab.test\r\n\r\nnobody@lab.test\nmissing@lab.test\n";
        let annotated = annotate_text(list.as_bytes(), &results());
        let rows = rows(&annotated);
        assert_eq!(rows[0][0], "address");
        assert_eq!(rows[0][1], "normalized");
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[1][2], "deliverable");
        assert_eq!(rows[2][2], "undeliverable");
        assert_eq!(annotated.without_result, [5]);
    }

    #[test]
    fn rows_wider_than_the_header_widen_it_so_results_line_up() {
        let list = "email,name\nalice@lab.test,Alice,\nnobody@lab.test,No One,x,y\n";
        let annotated = annotate_csv(list.as_bytes(), b',', &results());
        let rows = rows(&annotated);
        assert_eq!(rows[0][..5], ["email", "name", "", "", "normalized"]);
        let verdict = rows[0].iter().position(|c| c == "verdict").unwrap();
        assert!(rows.iter().all(|r| r.len() == rows[0].len()));
        assert_eq!(rows[1][verdict], "deliverable");
        assert_eq!(rows[2][3], "y");
        assert_eq!(rows[2][verdict], "undeliverable");
    }

    #[test]
    fn other_encodings_crlf_cells_and_the_bom_pass_through_unchanged() {
        let mut list = BOM.to_vec();
        list.extend_from_slice(b"name,email\r\nJos\xe9,alice@lab.test\r\n\"two\r\nlines\",nobody@lab.test\r\nlast,later@lab.test\r\n");
        let annotated = annotate_csv(&list, b',', &results());
        assert!(annotated.csv.starts_with(BOM), "the BOM is kept");
        let text = &annotated.csv[BOM.len()..];
        assert!(text.starts_with(b"name,email,normalized"));
        assert!(
            text.windows(5).any(|w| w == b"Jos\xe9,"),
            "Latin-1 bytes are not replaced"
        );
        assert!(
            text.windows(11).any(|w| w == b"two\r\nlines\""),
            "CRLF inside a quoted cell is kept"
        );
        assert_eq!(
            annotated.without_result,
            [5],
            "line numbers count real lines"
        );
    }

    #[test]
    fn results_must_be_batch_csv_output() {
        let err = Results::parse(b"{\"address\":\"a@b.test\"}\n").unwrap_err();
        assert!(
            err.contains("line 1") && err.contains("mxknock batch"),
            "{err}"
        );
        assert_eq!(results().len(), 2);
        let only_header =
            Results::parse(&RESULTS.as_bytes()[..RESULTS.find('\n').unwrap() + 1]).unwrap();
        assert!(only_header.is_empty());
    }
}
