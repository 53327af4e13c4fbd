//! `mxknock annotate` through the built binary: a CSV list checked by `batch --demo`, then
//! joined back onto the list; a partial run says which rows lack a result, `--resume`
//! finishes it; inputs are never overwritten.

mod common;

use std::path::Path;

use common::mxknock;

const CONTACTS: &str = "\
name,Email,company,verdict
Alice,alice@lab.test,Acme,their own
Nobody,nobody@lab.test,\"Foo, Inc\",
Carol,carol@lab.test,X,
Bad,not an address,Y,
Alice again,ALICE@lab.test,Acme,
No address,,Z,
Catch,anyone@catchall.test,C,
";

fn rows(csv_text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv_text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_string()
}

#[test]
fn the_annotated_list_keeps_every_row_and_column_in_order_with_its_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let contacts = path(dir.path(), "contacts.csv");
    let results = path(dir.path(), "results.csv");
    std::fs::write(&contacts, CONTACTS).unwrap();
    let (code, _, stderr) = mxknock(&["batch", "--demo", &contacts, "--output", &results]);
    assert_eq!(code, 5, "{stderr}");

    let (code, stdout, stderr) = mxknock(&["annotate", &contacts, &results]);
    assert_eq!(code, 0, "{stderr}");
    let rows = rows(&stdout);
    let header = &rows[0];
    assert_eq!(
        header[..5],
        ["name", "Email", "company", "verdict", "normalized"]
    );
    let ours = header.iter().position(|h| h == "mxknock_verdict").unwrap();
    let reason = header.iter().position(|h| h == "reason").unwrap();
    let names: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        names,
        [
            "Alice",
            "Nobody",
            "Carol",
            "Bad",
            "Alice again",
            "No address",
            "Catch"
        ]
    );
    let got: Vec<(&str, &str)> = rows[1..]
        .iter()
        .map(|r| (r[ours].as_str(), r[reason].as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("deliverable", "ok"),
            ("undeliverable", "no_such_user"),
            ("risky", "mailbox_full"),
            ("undeliverable", "invalid_syntax"),
            ("deliverable", "ok"),
            ("", ""),
            ("risky", "accept_all"),
        ]
    );
    assert_eq!(
        rows[1][3], "their own",
        "the list's own verdict column is kept"
    );
    assert_eq!(rows[2][2], "Foo, Inc");
    assert!(rows.iter().all(|r| r.len() == header.len()));
    assert!(
        stderr.contains("7 rows written, 6 with a result, 1 without"),
        "{stderr}"
    );
    assert!(stderr.contains("no address on lines 7"), "{stderr}");
}

#[test]
fn a_partial_run_names_the_rows_without_a_result_and_resume_completes_them() {
    let dir = tempfile::tempdir().unwrap();
    let contacts = path(dir.path(), "contacts.csv");
    let results = path(dir.path(), "results.csv");
    let annotated = path(dir.path(), "annotated.csv");
    std::fs::write(&contacts, CONTACTS).unwrap();
    mxknock(&["batch", "--demo", &contacts, "--output", &results]);
    // Keep the header and two results, as an interrupted run would have left it.
    let full = std::fs::read_to_string(&results).unwrap();
    let partial: String = full
        .lines()
        .filter(|l| {
            l.starts_with("address,") || l.starts_with("nobody@") || l.starts_with("not an")
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(partial.lines().count(), 3, "{full}");
    std::fs::write(&results, partial).unwrap();

    let (code, stdout, stderr) = mxknock(&["annotate", &contacts, &results, "-o", &annotated]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("2 with a result, 5 without"), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    let empty_verdicts = rows(&std::fs::read_to_string(&annotated).unwrap())[1..]
        .iter()
        .filter(|r| r[5].is_empty())
        .count();
    assert_eq!(
        empty_verdicts, 5,
        "four not checked yet and the row without an address"
    );

    mxknock(&[
        "batch", "--demo", &contacts, "--output", &results, "--resume",
    ]);
    let (_, _, stderr) = mxknock(&["annotate", &contacts, &results, "-o", &annotated]);
    assert!(stderr.contains("6 with a result, 1 without"), "{stderr}");
    assert!(!stderr.contains("--resume"), "{stderr}");
}

#[test]
fn inputs_are_never_overwritten_and_wrong_results_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let contacts = path(dir.path(), "contacts.csv");
    std::fs::write(&contacts, CONTACTS).unwrap();
    let (code, stdout, stderr) = mxknock(&["annotate", &contacts, &contacts, "-o", &contacts]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("is an input of annotate"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&contacts).unwrap(), CONTACTS);

    let (code, _, stderr) = mxknock(&["annotate", &contacts, &contacts]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("contacts.csv: line 1: not a CSV written by mxknock batch"),
        "{stderr}"
    );
    let missing = path(dir.path(), "missing.csv");
    let (code, _, stderr) = mxknock(&["annotate", &contacts, &missing]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("cannot read") && stderr.contains("missing.csv"),
        "{stderr}"
    );
}

#[test]
fn annotate_needs_no_valid_config() {
    let dir = tempfile::tempdir().unwrap();
    let list = path(dir.path(), "list.txt");
    let results = path(dir.path(), "results.csv");
    let config = path(dir.path(), "broken.toml");
    std::fs::write(&list, "alice@lab.test\n").unwrap();
    std::fs::write(&config, "[smtp\n").unwrap();
    mxknock(&["batch", "--demo", &list, "--output", &results]);
    // annotate takes no settings: a broken file named by MXKNOCK_CONFIG does not stop it.
    let (code, stdout, stderr) = common::mxknock_with_env(
        &["annotate", &list, &results],
        &[("MXKNOCK_CONFIG", config.as_str())],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(rows(&stdout)[1][0], "alice@lab.test");
    assert_eq!(rows(&stdout)[1][2], "deliverable");
}

#[test]
fn a_cut_off_last_result_row_is_not_taken_for_a_result() {
    let dir = tempfile::tempdir().unwrap();
    let contacts = path(dir.path(), "contacts.csv");
    let results = path(dir.path(), "results.csv");
    std::fs::write(&contacts, CONTACTS).unwrap();
    mxknock(&["batch", "--demo", &contacts, "--output", &results]);
    let full = std::fs::read_to_string(&results).unwrap();
    let (head, carol) = full
        .lines()
        .partition::<Vec<&str>, _>(|l| !l.starts_with("carol@"));
    // Every row but Carol's, then the first 30 bytes of hers, as a kill mid-write leaves it.
    let mut cut = head.join("\n");
    cut.push('\n');
    cut.push_str(&carol[0][..30]);
    std::fs::write(&results, cut).unwrap();

    let (code, stdout, stderr) = mxknock(&["annotate", &contacts, &results]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("an unfinished last row is left out"),
        "{stderr}"
    );
    assert!(
        stderr.contains("no result for the rows on lines 4"),
        "{stderr}"
    );
    let rows = rows(&stdout);
    let reason = rows[0].iter().position(|h| h == "reason").unwrap();
    assert_eq!(rows[3][0], "Carol");
    assert_eq!(rows[3][reason], "", "no half-written result");
}
