//! Every lab scenario through the built binary: `mxknock check --demo --json ADDR`.

mod common;

use common::{mxknock, mxknock_with_env};
use serde_json::Value;

/// Checks one address in the lab and returns its JSON report.
fn check(address: &str, extra: &[&str]) -> Value {
    let mut args = vec!["check", "--demo", "--json", "--helo", "verifier.lab.test"];
    args.extend_from_slice(extra);
    args.push(address);
    let (_, stdout, stderr) = mxknock(&args);
    let line = stdout
        .lines()
        .next()
        .unwrap_or_else(|| panic!("no output; stderr: {stderr}"));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("bad JSON {line:?}: {e}"))
}

fn assert_verdict(report: &Value, verdict: &str, reason: &str) {
    assert_eq!(report["verdict"], verdict, "{report:#}");
    assert_eq!(report["reason"], reason, "{report:#}");
}

macro_rules! scenario {
    ($name:ident, $address:expr, $verdict:expr, $reason:expr) => {
        scenario!($name, $address, [], $verdict, $reason);
    };
    ($name:ident, $address:expr, [$($extra:expr),*], $verdict:expr, $reason:expr) => {
        #[test]
        fn $name() {
            let report = check($address, &[$($extra),*]);
            assert_verdict(&report, $verdict, $reason);
        }
    };
}

scenario!(existing_user, "alice@lab.test", "deliverable", "ok");
scenario!(
    unknown_user,
    "nobody@lab.test",
    "undeliverable",
    "no_such_user"
);
scenario!(mailbox_full, "carol@lab.test", "risky", "mailbox_full");
scenario!(
    mailbox_disabled,
    "dave@lab.test",
    "undeliverable",
    "mailbox_disabled"
);
scenario!(greylisted, "alice@greylist.test", "unknown", "greylisted");
scenario!(our_ip_blocked, "alice@blocked.test", "unknown", "blocked");
scenario!(helo_only_server, "alice@helo.test", "deliverable", "ok");
scenario!(slow_server, "alice@slow.test", "deliverable", "ok");
scenario!(
    tarpit_times_out,
    "alice@tarpit.test",
    ["--timeout", "1"],
    "unknown",
    "timeout"
);
scenario!(
    dropped_connection,
    "alice@drop.test",
    "unknown",
    "connection_failed"
);
scenario!(null_mx, "alice@nullmx.test", "undeliverable", "null_mx");
scenario!(
    nxdomain,
    "alice@nxdomain.test",
    "undeliverable",
    "no_such_domain"
);
scenario!(
    no_mail_server,
    "alice@nomail.test",
    "undeliverable",
    "no_mail_server"
);
scenario!(
    servfail,
    "alice@servfail.test",
    "unknown",
    "temporary_failure"
);
scenario!(
    invalid_syntax,
    "not-an-address",
    "undeliverable",
    "invalid_syntax"
);
scenario!(
    hostile_server,
    "alice@hostile.test",
    "unknown",
    "protocol_error"
);
scenario!(
    starttls_required_by_server_but_never_used,
    "alice@tlsonly.test",
    ["--starttls", "never"],
    "unknown",
    "tls_failed"
);
scenario!(
    starttls_required_by_us_but_not_offered,
    "alice@helo.test",
    ["--starttls", "required"],
    "unknown",
    "tls_failed"
);

#[test]
fn catch_all_domain() {
    let report = check("anyone@catchall.test", &[]);
    assert_verdict(&report, "risky", "accept_all");
    assert_eq!(report["catch_all"], true);
    assert_eq!(report["flags"]["accept_all"], true);
}

#[test]
fn catch_all_is_false_when_the_random_address_is_refused() {
    let report = check("bob@lab.test", &[]);
    assert_verdict(&report, "deliverable", "ok");
    assert_eq!(report["catch_all"], false);
}

#[test]
fn catch_all_is_null_when_not_probed() {
    let report = check("bob@lab.test", &["--no-catch-all"]);
    assert_eq!(report["catch_all"], Value::Null);
    let report = check("nobody@lab.test", &[]);
    assert_eq!(
        report["catch_all"],
        Value::Null,
        "no probe after a rejected RCPT"
    );
}

#[test]
fn disposable_domain_is_risky_and_flagged() {
    let report = check("throwaway@mailinator.com", &[]);
    assert_verdict(&report, "risky", "disposable");
    assert_eq!(report["flags"]["disposable"], true);
}

#[test]
fn role_account_is_flagged() {
    let report = check("postmaster@lab.test", &[]);
    assert_verdict(&report, "deliverable", "ok");
    assert_eq!(report["flags"]["role_account"], true);
    assert_eq!(check("alice@lab.test", &[])["flags"]["role_account"], false);
}

#[test]
fn server_requiring_starttls_gets_it_and_tls_is_recorded() {
    let report = check("alice@tlsonly.test", &[]);
    assert_verdict(&report, "deliverable", "ok");
    let tls = &report["smtp"]["tls"];
    assert!(
        tls["version"].as_str().unwrap().starts_with("TLSv1."),
        "{tls}"
    );
    assert!(!tls["cipher"].as_str().unwrap().is_empty());
    assert_eq!(tls["verified"], false, "the lab certificate is self-signed");
    assert!(tls["subject"].as_str().is_some());
}

#[test]
fn implicit_mx_from_a_record() {
    let report = check("alice@aonly.test", &[]);
    assert_verdict(&report, "deliverable", "ok");
    assert_eq!(report["mx"][0]["host"], "aonly.test");
    assert_eq!(report["mx"][0]["implicit"], true);
}

#[test]
fn dead_primary_falls_back_to_backup() {
    let report = check("alice@backup.test", &[]);
    assert_verdict(&report, "deliverable", "ok");
    assert_eq!(report["mx"][0]["host"], "dead.backup.test");
    assert_eq!(report["mx"][0]["preference"], 10);
    assert_eq!(report["mx"][1]["host"], "live.backup.test");
    assert_eq!(report["smtp"]["host"], "live.backup.test");
    assert_eq!(report["attempts"].as_array().unwrap().len(), 2);
}

#[test]
fn smtputf8_local_part_is_checked_with_smtputf8() {
    let (_, stdout, _) = mxknock(&["check", "--demo", "--transcript", "jörg@lab.test"]);
    assert!(stdout.contains("MAIL FROM:<> SMTPUTF8"), "{stdout}");
    assert!(stdout.contains("deliverable"), "{stdout}");
}

#[test]
fn json_has_the_documented_fields() {
    let report = check("alice@lab.test", &["--transcript"]);
    for key in [
        "address",
        "verdict",
        "reason",
        "flags",
        "mx",
        "smtp",
        "catch_all",
        "duration_ms",
        "transcript",
    ] {
        assert!(report.get(key).is_some(), "missing {key}: {report:#}");
    }
    let smtp = &report["smtp"];
    for key in [
        "host",
        "ip",
        "port",
        "code",
        "enhanced_code",
        "message",
        "tls",
    ] {
        assert!(smtp.get(key).is_some(), "missing smtp.{key}: {smtp:#}");
    }
    assert_eq!(smtp["code"], 250);
    assert_eq!(smtp["enhanced_code"], "2.1.5");
    assert_eq!(smtp["host"], "mx1.lab.test");
    assert_eq!(report["mx"][0]["preference"], 10);
    assert!(report["transcript"].as_array().unwrap().len() > 10);
}

fn transcript_texts(report: &Value) -> Vec<String> {
    report["transcript"]
        .as_array()
        .expect("a transcript")
        .iter()
        .map(|line| line["text"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn server_flag_asks_the_given_host_instead_of_the_mx_records() {
    let without = check("alice@nxdomain.test", &[]);
    assert_verdict(&without, "undeliverable", "no_such_domain");

    let with = check(
        "alice@nxdomain.test",
        &["--server", "mx1.lab.test", "--transcript"],
    );
    assert_verdict(&with, "deliverable", "ok");
    assert_eq!(with["smtp"]["host"], "mx1.lab.test", "{with:#}");
    assert_eq!(with["smtp"]["ip"], "127.0.0.11", "{with:#}");
    assert_eq!(with["mx"], serde_json::json!([]), "no MX was looked up");
    let texts = transcript_texts(&with);
    assert!(
        texts
            .iter()
            .any(|t| t == "--server mx1.lab.test: MX lookup for nxdomain.test skipped"),
        "{texts:#?}"
    );
    assert!(
        !texts.iter().any(|t| t.starts_with("resolving MX")),
        "{texts:#?}"
    );
}

#[test]
fn server_flag_takes_an_ip_address_and_the_environment() {
    let report = check("nobody@elsewhere.test", &["--server", "127.0.0.11"]);
    assert_verdict(&report, "undeliverable", "no_such_user");
    assert_eq!(report["smtp"]["ip"], "127.0.0.11", "{report:#}");

    let (_, stdout, _) = mxknock_with_env(
        &["check", "--demo", "--json", "alice@nxdomain.test"],
        &[("MXKNOCK_SERVER", "mx1.lab.test")],
    );
    let report: Value = serde_json::from_str(&stdout).expect("one JSON report");
    assert_verdict(&report, "deliverable", "ok");
}

#[test]
fn server_flag_with_a_port_is_a_usage_error_that_points_at_smtp_port() {
    let (code, stdout, stderr) = mxknock(&[
        "check",
        "--demo",
        "--server",
        "mx1.lab.test:587",
        "a@lab.test",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("smtp.server"), "{stderr}");
    assert!(stderr.contains("--smtp-port"), "{stderr}");
}

#[test]
fn a_server_name_that_does_not_resolve_stops_before_any_check() {
    let (code, stdout, stderr) = mxknock(&[
        "check",
        "--demo",
        "--server",
        "mx.typo.test",
        "alice@lab.test",
    ]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stdout.is_empty(), "no results: {stdout}");
    assert!(
        stderr.contains("smtp.server: mx.typo.test: no such name"),
        "{stderr}"
    );
}

#[test]
fn bind_with_the_lab_is_refused_rather_than_ignored() {
    let (code, stdout, stderr) =
        mxknock(&["check", "--demo", "--bind", "127.0.0.1", "alice@lab.test"]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("smtp.bind") && stderr.contains("--demo"),
        "{stderr}"
    );
}

// Replies the status-code registry reads (issue: "553 5.1.3 came out as mailbox_full, a
// non-standard basic code as protocol_error, a 421 4.3.2 greeting as blocked").
scenario!(
    bad_address_syntax_is_invalid_syntax,
    "badsyntax@lab.test",
    "undeliverable",
    "invalid_syntax"
);
scenario!(
    microsoft_recipient_not_found_is_no_such_user,
    "notfound@lab.test",
    "undeliverable",
    "no_such_user"
);

#[test]
fn a_code_no_standard_defines_is_read_by_its_first_digit_and_explained() {
    let report = check("odd@lab.test", &[]);
    assert_verdict(&report, "undeliverable", "no_such_user");
    assert_eq!(report["smtp"]["code"], 559, "{report:#}");
    let detail = report["detail"].as_str().unwrap();
    assert!(
        detail.contains("(5.1.1: the mailbox does not exist)"),
        "the registry says what the server's text does not: {detail}"
    );
}

#[test]
fn a_busy_server_at_the_greeting_is_a_temporary_failure_not_a_refusal_of_us() {
    let report = check("alice@busy.test", &[]);
    assert_verdict(&report, "unknown", "temporary_failure");
    let detail = report["detail"].as_str().unwrap();
    assert!(detail.contains("421 4.3.2"), "{detail}");
}
