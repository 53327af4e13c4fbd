//! Writing results: CSV (one row per address, the documented columns) or JSON lines (the full
//! report). One writer per format ([`CsvWriter`], [`JsonlWriter`], both [`ReportWriter`]s)
//! writes them for the TUI's export, `batch` and `check --json`, so the bytes are the same
//! whichever front end wrote them.

use std::io::{self, Write};
use std::path::Path;

use crate::engine::judge::verdict::Report;

pub use crate::engine::judge::schema::JSON_SCHEMA_VERSION;

/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 19] = [
    "address",
    "normalized",
    "verdict",
    "reason",
    "detail",
    "disposable",
    "role_account",
    "free_provider",
    "accept_all",
    "catch_all",
    "mx_host",
    "smtp_code",
    "enhanced_code",
    "smtp_message",
    "duration_ms",
    "provider",
    "score",
    "checked_at",
    "from_history",
];

/// The output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

impl Format {
    /// The format a path's extension asks for (.csv, .jsonl / .json / .ndjson), if any.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "json" | "ndjson" => Some(Format::Jsonl),
            _ => None,
        }
    }
}

/// The CSV cells of one report.
pub fn csv_record(report: &Report) -> Vec<String> {
    let smtp = report.smtp.as_ref();
    let bool_cell = |b: bool| if b { "true" } else { "false" }.to_string();
    vec![
        report.address.clone(),
        report.normalized.clone().unwrap_or_default(),
        report.verdict.to_string(),
        report.reason.to_string(),
        spreadsheet_safe(&report.detail),
        bool_cell(report.flags.disposable),
        bool_cell(report.flags.role_account),
        bool_cell(report.flags.free_provider),
        bool_cell(report.flags.accept_all),
        report.catch_all.map(bool_cell).unwrap_or_default(),
        smtp.map(|s| s.host.clone())
            .or_else(|| report.mx.first().map(|m| m.host.clone()))
            .unwrap_or_default(),
        smtp.and_then(|s| s.code)
            .map(|c| c.to_string())
            .unwrap_or_default(),
        smtp.and_then(|s| s.enhanced_code)
            .map(|c| c.to_string())
            .unwrap_or_default(),
        spreadsheet_safe(smtp.and_then(|s| s.message.as_deref()).unwrap_or_default()),
        report.duration_ms.to_string(),
        report
            .provider
            .as_ref()
            .map(|p| p.id.clone())
            .unwrap_or_default(),
        report.score.to_string(),
        report.checked_at.clone().unwrap_or_default(),
        bool_cell(report.from_history),
    ]
}

/// Server text for a CSV cell: a cell that starts like a spreadsheet formula (`=`, `+`, `-`,
/// `@`, or a tab / CR before one) gets a leading `'`, so opening the export in a spreadsheet
/// never runs what a mail server wrote (OWASP's CSV injection advice). JSON is left as it is.
pub fn spreadsheet_safe(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

/// The report as one line of JSON, with [`escape_json_controls`] applied; it starts with
/// `"schema_version"` ([`JSON_SCHEMA_VERSION`]).
pub fn json_record(report: &Report) -> String {
    escape_json_controls(&serde_json::to_string(report).expect("a report always serialises"))
}

/// JSON text with every C1 control (U+0080..U+009F), the line and paragraph separators
/// (U+2028, U+2029) and the other invisible format characters written as `\uXXXX`:
/// serde_json escapes only C0. Outside strings JSON text is ASCII, so only string contents
/// change, and they decode to the same characters.
pub fn escape_json_controls(json: &str) -> String {
    if !json.chars().any(needs_json_escape) {
        return json.to_string();
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if needs_json_escape(c) {
            // Outside the BMP (tag characters), JSON wants the UTF-16 surrogate pair.
            for unit in c.encode_utf16(&mut [0; 2]) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// C1 controls and the characters that reorder, hide or break lines of text.
fn needs_json_escape(c: char) -> bool {
    matches!(c, '\u{80}'..='\u{9f}') || crate::text::is_format_control(c)
}

/// Writes reports in one format, each whole: the one writer of report CSV rows and JSON
/// lines, used by the TUI's export ([`write_reports`]), `batch` and `check --json`.
///
/// Every call hands the output one whole row (or line), newline included, in a single
/// `write_all`, so what an interrupted run leaves ends in at most one unfinished row.
pub trait ReportWriter {
    /// What starts a file: the CSV header; nothing for JSON lines.
    fn write_header(&mut self) -> io::Result<()>;
    /// One report: a CSV row ([`csv_record`]) or a JSON line ([`json_record`]).
    fn write_report(&mut self, report: &Report) -> io::Result<()>;
    /// Flushes what was written to the output.
    fn flush(&mut self) -> io::Result<()>;
}

/// Report CSV: the [`CSV_COLUMNS`] header, then one row per report.
pub struct CsvWriter<W> {
    out: W,
}

impl<W: Write> CsvWriter<W> {
    /// A writer over `out`; it writes nothing until asked.
    pub fn new(out: W) -> Self {
        CsvWriter { out }
    }
}

impl<W: Write> ReportWriter for CsvWriter<W> {
    fn write_header(&mut self) -> io::Result<()> {
        self.out.write_all(&csv_header())
    }

    fn write_report(&mut self, report: &Report) -> io::Result<()> {
        self.out.write_all(&csv_line(csv_record(report)))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// JSON lines: one [`json_record`] and a newline per report; no header.
pub struct JsonlWriter<W> {
    out: W,
}

impl<W: Write> JsonlWriter<W> {
    /// A writer over `out`.
    pub fn new(out: W) -> Self {
        JsonlWriter { out }
    }
}

impl<W: Write> ReportWriter for JsonlWriter<W> {
    fn write_header(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn write_report(&mut self, report: &Report) -> io::Result<()> {
        let mut line = json_record(report);
        line.push('\n');
        self.out.write_all(line.as_bytes())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The writer of `format` over `out`.
pub fn report_writer<'a, W: Write + Send + 'a>(
    out: W,
    format: Format,
) -> Box<dyn ReportWriter + Send + 'a> {
    match format {
        Format::Csv => Box::new(CsvWriter::new(out)),
        Format::Jsonl => Box::new(JsonlWriter::new(out)),
    }
}

/// The CSV header line, newline included, as [`CsvWriter`] writes it.
pub fn csv_header() -> Vec<u8> {
    csv_line(CSV_COLUMNS)
}

/// One CSV row with its newline (quoted where needed, as the csv crate does).
fn csv_line<I, T>(cells: I) -> Vec<u8>
where
    I: IntoIterator<Item = T>,
    T: AsRef<[u8]>,
{
    // The buffer size changes only how often the row is copied out, never its bytes.
    let mut writer = csv::WriterBuilder::new()
        .buffer_capacity(1024)
        .from_writer(Vec::with_capacity(256));
    writer
        .write_record(cells)
        .expect("writing to memory cannot fail");
    writer.into_inner().expect("writing to memory cannot fail")
}

/// Writes `reports` to `path` in the format its extension names; returns how many were written.
pub fn write_reports<'a>(
    path: &Path,
    reports: impl IntoIterator<Item = &'a Report>,
) -> Result<usize, String> {
    let format = Format::from_path(path)
        .ok_or_else(|| format!("{}: use a .csv or .jsonl file name", path.display()))?;
    let file = std::fs::File::create(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let mut writer = report_writer(io::BufWriter::new(file), format);
    writer.write_header().map_err(|e| e.to_string())?;
    let mut count = 0;
    for report in reports {
        writer.write_report(report).map_err(|e| e.to_string())?;
        count += 1;
    }
    writer.flush().map_err(|e| e.to_string())?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::judge::verdict::Reason;

    #[test]
    fn server_text_that_looks_like_a_formula_is_defused_in_csv_only() {
        let mut report = Report::new(
            "a@b.test",
            Reason::NoSuchUser,
            "=HYPERLINK(\"http://evil.example\",\"x\")",
        );
        report.smtp = Some(crate::engine::judge::verdict::SmtpFacts {
            message: Some("@SUM(1+1)".into()),
            ..Default::default()
        });
        let cells = csv_record(&report);
        let column = |name| CSV_COLUMNS.iter().position(|c| *c == name).unwrap();
        assert_eq!(
            cells[column("detail")],
            "'=HYPERLINK(\"http://evil.example\",\"x\")"
        );
        assert_eq!(cells[column("smtp_message")], "'@SUM(1+1)");
        assert_eq!(spreadsheet_safe("550 5.1.1 unknown"), "550 5.1.1 unknown");
        assert_eq!(spreadsheet_safe("-1"), "'-1");
        assert_eq!(spreadsheet_safe(""), "");
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["detail"], "=HYPERLINK(\"http://evil.example\",\"x\")");
    }

    #[test]
    fn json_escapes_c1_controls_and_separators_losslessly() {
        let address =
            "a\u{85}b\u{2028}c\u{2029}d\u{9b}\u{202e}\u{feff}\u{1b}\u{e0041}\u{ad}é@x.test";
        let line = json_record(&Report::new(address, Reason::InvalidSyntax, "\u{9f}"));
        for escaped in [
            r"\u0085",
            r"\u2028",
            r"\u2029",
            r"\u009b",
            r"\u202e",
            r"\ufeff",
            r"\u001b",
            r"\u009f",
            r"\udb40\udc41",
            r"\u00ad",
        ] {
            assert!(line.contains(escaped), "{escaped} not in {line}");
        }
        assert!(line.contains('é'), "printable text stays: {line}");
        assert!(!line.chars().any(needs_json_escape), "{line}");
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back["address"], address);
        assert_eq!(back["detail"], "\u{9f}");
    }

    #[test]
    fn csv_lines_are_quoted_and_end_in_a_newline() {
        assert_eq!(csv_line(["a", "b,c", "d\"e"]), b"a,\"b,c\",\"d\"\"e\"\n");
        assert_eq!(
            csv_header(),
            format!("{}\n", CSV_COLUMNS.join(",")).into_bytes()
        );
        let long = "x".repeat(5000);
        assert_eq!(csv_line([long.as_str()]), format!("{long}\n").into_bytes());
    }

    #[test]
    fn csv_and_jsonl_by_extension() {
        let dir = tempfile::tempdir().unwrap();
        let reports = vec![
            Report::new("a@b.test", Reason::Ok, "fine, \"quoted\""),
            Report::new("c@d.test", Reason::NoSuchUser, "gone"),
        ];
        let csv_path = dir.path().join("out.csv");
        assert_eq!(write_reports(&csv_path, &reports).unwrap(), 2);
        let mut reader = csv::Reader::from_path(&csv_path).unwrap();
        assert_eq!(
            reader.headers().unwrap().iter().collect::<Vec<_>>(),
            CSV_COLUMNS
        );
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(&rows[0][4], "fine, \"quoted\"");
        assert_eq!(&rows[1][2], "undeliverable");
        let json_path = dir.path().join("out.jsonl");
        write_reports(&json_path, &reports).unwrap();
        let text = std::fs::read_to_string(&json_path).unwrap();
        let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(first["reason"], "ok");
        assert!(
            write_reports(&dir.path().join("out.txt"), &reports)
                .unwrap_err()
                .contains(".csv")
        );
    }
}
