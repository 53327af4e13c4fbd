//! Mail providers through the binary: named from MX host names that carry the providers' real
//! suffixes (the lab's `ID.providers.test` domains), and each kind of provider rule changing
//! what a check does, for built-in entries and for `[[providers]]` in a config file.

mod common;

use std::collections::HashMap;

use common::mxknock;
use mxknock::engine::knowledge::providers::Providers;
use mxknock::lab::zone::PROVIDER_DOMAINS;
use serde_json::Value;

/// `check --demo --json --transcript ARGS ADDRESSES`: the reports by address.
fn check(args: &[&str], addresses: &[&str]) -> HashMap<String, Value> {
    let mut all = vec![
        "check",
        "--demo",
        "--json",
        "--transcript",
        "--helo",
        "verifier.lab.test",
    ];
    all.extend_from_slice(args);
    all.extend_from_slice(addresses);
    let (_, stdout, stderr) = mxknock(&all);
    let reports: HashMap<String, Value> = stdout
        .lines()
        .map(|line| {
            let report: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("bad JSON {line:?}: {e}"));
            (report["address"].as_str().unwrap().to_string(), report)
        })
        .collect();
    assert_eq!(reports.len(), addresses.len(), "stderr: {stderr}");
    reports
}

fn one(args: &[&str], address: &str) -> Value {
    check(args, &[address]).remove(address).unwrap()
}

/// The transcript's lines as text.
fn transcript(report: &Value) -> Vec<String> {
    report["transcript"]
        .as_array()
        .expect("transcript")
        .iter()
        .map(|line| line["text"].as_str().unwrap().to_string())
        .collect()
}

fn rcpts_sent(report: &Value) -> usize {
    report["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|line| {
            line["direction"] == "sent" && line["text"].as_str().unwrap().starts_with("RCPT TO:")
        })
        .count()
}

/// A config file in a fresh temporary directory.
fn config_file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).unwrap();
    let path = path.to_str().unwrap().to_string();
    (dir, path)
}

#[test]
fn every_builtin_provider_is_named_from_its_real_mx_suffix() {
    let table = Providers::builtin();
    for provider in table.all() {
        assert!(
            PROVIDER_DOMAINS
                .iter()
                .any(|&(_, _, _, id)| id == provider.id),
            "no lab domain for provider {}",
            provider.id
        );
    }
    let addresses: Vec<String> = PROVIDER_DOMAINS
        .iter()
        .map(|&(domain, ..)| format!("alice@{domain}"))
        .collect();
    let addresses: Vec<&str> = addresses.iter().map(String::as_str).collect();
    let reports = check(&["--timeout", "5"], &addresses);
    for &(domain, host, _, id) in PROVIDER_DOMAINS {
        let report = &reports[&format!("alice@{domain}")];
        assert_eq!(report["mx"][0]["host"], host, "{report:#}");
        assert_eq!(report["provider"]["id"], id, "{domain}: {report:#}");
        let name = table
            .all()
            .iter()
            .find(|p| p.id == id)
            .unwrap()
            .name
            .clone();
        assert_eq!(report["provider"]["name"], name.as_str());
        assert_eq!(
            report["provider"].as_object().unwrap().len(),
            2,
            "provider is {{id, name}}"
        );
    }
    // Named from DNS alone: the dead host's domain was never spoken to.
    let dead = &reports["alice@dead.providers.test"];
    assert_eq!(dead["reason"], "connection_failed", "{dead:#}");
    assert_eq!(dead["provider"]["id"], "proofpoint");
    // A domain of no known provider has null.
    let own = one(&[], "alice@lab.test");
    assert!(own["provider"].is_null(), "{own:#}");
}

#[test]
fn with_server_the_servers_name_tells_the_provider() {
    let report = one(&["--server", "aspmx.l.google.com"], "alice@lab.test");
    assert_eq!(report["provider"]["id"], "google", "{report:#}");
    assert_eq!(report["verdict"], "deliverable");
}

#[test]
fn skip_catch_all_sends_no_probe_and_says_so() {
    let google = one(&[], "alice@google.providers.test");
    assert_eq!(google["verdict"], "deliverable", "{google:#}");
    assert!(google["catch_all"].is_null(), "not probed: {google:#}");
    assert_eq!(rcpts_sent(&google), 1, "only the address itself");
    assert!(
        transcript(&google)
            .iter()
            .any(|t| t.starts_with("catch-all probe skipped: Google")),
        "{google:#}"
    );
    // The same server without the rule is probed.
    let own = one(&[], "alice@lab.test");
    assert_eq!(own["catch_all"], false, "{own:#}");
    assert_eq!(rcpts_sent(&own), 2);
}

#[test]
fn accepts_any_recipient_makes_a_250_risky_and_a_550_still_counts() {
    let reports = check(
        &[],
        &["alice@yahoo.providers.test", "nobody@yahoo.providers.test"],
    );
    let accepted = &reports["alice@yahoo.providers.test"];
    assert_eq!(accepted["verdict"], "risky", "{accepted:#}");
    assert_eq!(accepted["reason"], "accept_all");
    assert_eq!(accepted["flags"]["accept_all"], true);
    assert!(
        accepted["detail"]
            .as_str()
            .unwrap()
            .starts_with("Yahoo Mail (and AOL) accepts every address at RCPT"),
        "{accepted:#}"
    );
    assert_eq!(rcpts_sent(accepted), 1, "no probe: it would tell nothing");
    let refused = &reports["nobody@yahoo.providers.test"];
    assert_eq!(refused["verdict"], "undeliverable", "{refused:#}");
    assert_eq!(refused["reason"], "no_such_user");
}

#[test]
fn a_longer_command_timeout_lets_a_slow_provider_answer() {
    // Replies of the slow server take 400 ms; the config allows 200 ms per command.
    let (_dir, config) = config_file("[smtp]\ncommand_timeout = 0.2\n");
    let reports = check(
        &["--config", &config],
        &["alice@slow.test", "alice@spamexperts.providers.test"],
    );
    let plain = &reports["alice@slow.test"];
    assert_eq!(plain["reason"], "timeout", "{plain:#}");
    let ruled = &reports["alice@spamexperts.providers.test"];
    assert_eq!(ruled["verdict"], "deliverable", "{ruled:#}");
    assert!(
        transcript(ruled)
            .iter()
            .any(|t| t.contains("replies may take up to 45 s")),
        "{ruled:#}"
    );
}

#[test]
fn config_entries_add_providers_and_change_the_builtin_rules() {
    let (_dir, config) = config_file(
        r#"
[smtp]
command_timeout = 0.2

[[providers]]
id = "slowlab"
name = "The slow lab server"
mx = ["mx.slow.test"]
command_timeout = 5

[[providers]]
id = "google"
skip_catch_all = false
"#,
    );
    let reports = check(
        &["--config", &config],
        &["alice@slow.test", "alice@google.providers.test"],
    );
    let slow = &reports["alice@slow.test"];
    assert_eq!(slow["provider"]["id"], "slowlab", "{slow:#}");
    assert_eq!(slow["verdict"], "deliverable", "{slow:#}");
    let google = &reports["alice@google.providers.test"];
    assert_eq!(
        google["provider"]["name"],
        "Google (Gmail, Google Workspace)"
    );
    assert_eq!(google["catch_all"], false, "probed again: {google:#}");
}

#[test]
fn a_bad_provider_entry_is_a_clear_error() {
    let (_dir, config) = config_file("[[providers]]\nid = \"mine\"\nmx = [\"gw.example.test\"]\n");
    let (code, _, stderr) = mxknock(&["check", "--demo", "--config", &config, "a@lab.test"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("providers"), "{stderr}");
    assert!(stderr.contains("\"mine\" needs a name"), "{stderr}");
}

#[test]
fn csv_has_the_provider_id() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    std::fs::write(&list, "alice@google.providers.test\nalice@lab.test\n").unwrap();
    let out = dir.path().join("out.csv");
    let (code, _, stderr) = mxknock(&[
        "batch",
        "--demo",
        "--output",
        out.to_str().unwrap(),
        list.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let headers = reader.headers().unwrap().clone();
    let column = headers
        .iter()
        .position(|h| h == "provider")
        .expect("provider column");
    let providers: HashMap<String, String> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[column].to_string())
        })
        .collect();
    assert_eq!(providers["alice@google.providers.test"], "google");
    assert_eq!(providers["alice@lab.test"], "");
}
