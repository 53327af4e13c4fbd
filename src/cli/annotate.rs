//! `mxknock annotate LIST RESULTS [--output PATH]`: reads the list and a batch run's CSV
//! results, writes the list again with the result columns joined on (see [`crate::annotate`]),
//! and says on standard error which rows have no result yet. Needs no network and no config.

use std::io::Write;
use std::path::Path;

use super::args::AnnotateArgs;
use super::batch::same_file;
use super::resume;
use crate::annotate::{Results, annotate_csv, annotate_text};
use crate::exit;
use crate::export::Format;
use crate::input::{sniff_delimiter, strip_bom};

/// How many line numbers of rows without a result are listed.
const LINES_SHOWN: usize = 10;

/// Runs `annotate` and returns the exit code: 0 when written, 2 for bad input, 1 when the
/// output cannot be written.
pub fn run(args: &AnnotateArgs) -> i32 {
    let list_name = args.list.display().to_string();
    let results_name = args.results.display().to_string();
    if let Some(output) = &args.output
        && (same_file(output, &args.list) || same_file(output, &args.results))
    {
        eprintln!(
            "mxknock: {} is an input of annotate; write the annotated list elsewhere",
            output.display()
        );
        return exit::USAGE;
    }
    let (list, results) = match (read(&args.list), read(&args.results)) {
        (Ok(list), Ok(results)) => (list, results),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("mxknock: {e}");
            return exit::USAGE;
        }
    };
    // Only complete rows count: an interrupted run can leave a cut-off last row, which
    // batch --resume drops too.
    let complete = match resume::scan(&results, Format::Csv) {
        Ok(previous) => &results[..previous.keep as usize],
        Err(e) => {
            eprintln!("mxknock: {results_name}: {e}");
            return exit::USAGE;
        }
    };
    if complete.len() < results.len() {
        eprintln!("mxknock: {results_name}: an unfinished last row is left out");
    }
    let results = match Results::parse(complete) {
        Ok(results) => results,
        Err(e) => {
            eprintln!("mxknock: {results_name}: {e}");
            return exit::USAGE;
        }
    };
    let extension = |want: &str| {
        args.list
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case(want))
    };
    let annotated = if extension("csv") || extension("tsv") {
        let header = String::from_utf8_lossy(strip_bom(&list));
        let header = header.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let delimiter = match args.reading.delimiter {
            Some(forced) => forced,
            None if extension("tsv") => '\t',
            None => sniff_delimiter(header),
        };
        // parse_delimiter and the sniff only give ASCII delimiters.
        annotate_csv(&list, u8::try_from(delimiter).unwrap_or(b','), &results)
    } else {
        annotate_text(&list, &results)
    };
    for (line, message) in &annotated.unreadable {
        eprintln!("mxknock: {list_name}:{line}: {message}; row left out");
    }
    if let Err(e) = write(args.output.as_deref(), &annotated.csv) {
        eprintln!("mxknock: {e}");
        return exit::FAILURE;
    }
    let missing = &annotated.without_result;
    let empty = &annotated.without_address;
    eprintln!(
        "mxknock annotate: {} rows written, {} with a result, {} without",
        annotated.rows,
        annotated.rows - missing.len() - empty.len(),
        missing.len() + empty.len()
    );
    if !empty.is_empty() {
        eprintln!(
            "mxknock: {list_name}: no address on lines {}",
            line_list(empty)
        );
    }
    if !missing.is_empty() {
        eprintln!(
            "mxknock: {list_name}: no result for the rows on lines {}; run the same batch \
             command again with --resume to finish, then annotate again",
            line_list(missing)
        );
    }
    exit::OK
}

/// "2, 5, 9" (the first few, then "...").
fn line_list(lines: &[usize]) -> String {
    let mut shown: Vec<String> = lines
        .iter()
        .take(LINES_SHOWN)
        .map(ToString::to_string)
        .collect();
    if lines.len() > LINES_SHOWN {
        shown.push("...".into());
    }
    shown.join(", ")
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn write(path: Option<&Path>, csv: &[u8]) -> Result<(), String> {
    match path {
        Some(path) => {
            std::fs::write(path, csv).map_err(|e| format!("cannot write {}: {e}", path.display()))
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(csv)
                .and_then(|()| out.flush())
                .map_err(|e| format!("cannot write the annotated list: {e}"))
        }
    }
}
