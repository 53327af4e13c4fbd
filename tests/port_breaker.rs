//! The port-25 circuit breaker against the lab: a network that drops port 25 ends a list of 200
//! domains within about one connect timeout, every address `unknown/port_blocked`; dead servers
//! on a network where port 25 works are those domains' own problem; one reachable domain
//! disarms the breaker.

use std::time::Duration;

use mxknock::config::Config;
use mxknock::engine::judge::verdict::{Reason, Report};
use mxknock::lab::{Lab, LabOptions};

mod common;

/// Connect timeout of these runs, in seconds.
const CONNECT_TIMEOUT: f64 = 2.0;

fn config(probe_domains: &[&str]) -> Config {
    let mut config = Config::default();
    config.smtp.helo = Some("verifier.lab.test".into());
    config.smtp.connect_timeout = CONNECT_TIMEOUT;
    config.engine.greylist_max_wait = 0.0;
    config.engine.probe_domains = probe_domains.iter().map(|d| d.to_string()).collect();
    config
}

async fn run(lab: &Lab, config: Config, addresses: &[String]) -> (Vec<Report>, Duration) {
    let run = common::engine::run_engine(lab, config, addresses).await;
    (run.reports, run.elapsed)
}

fn lab_options() -> LabOptions {
    LabOptions {
        latency: Duration::from_millis(1),
        ..LabOptions::fast()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_port_ends_200_domains_within_one_connect_timeout() {
    let lab = Lab::start(LabOptions {
        bulk_domains: 200,
        port25_blocked: true,
        ..lab_options()
    })
    .await
    .unwrap();
    let addresses: Vec<String> = (0..200).map(|i| format!("ok1@bulk{i}.test")).collect();
    let (reports, elapsed) = run(&lab, config(&["probe.test"]), &addresses).await;
    for report in &reports {
        assert_eq!(
            report.reason,
            Reason::PortBlocked,
            "{}: {}",
            report.address,
            report.detail
        );
        assert!(
            report
                .detail
                .contains("outbound port 25 looks blocked from here"),
            "{}",
            report.detail
        );
        assert!(report.detail.contains("--proxy"), "{}", report.detail);
    }
    assert!(
        reports[0]
            .detail
            .contains("different mail servers timed out, none succeeded"),
        "{}",
        reports[0].detail
    );
    assert_eq!(lab.smtp_connections(), 0, "no connection ever got through");
    // A hang guard, not a timing assertion: without the breaker this takes 200 / 16 timeouts.
    assert!(
        elapsed < Duration::from_secs_f64(CONNECT_TIMEOUT * 6.0),
        "took {elapsed:?}"
    );
    eprintln!("port blocked: 200 domains in {elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_dead_servers_on_a_working_network_do_not_trip_it() {
    let lab = Lab::start(LabOptions {
        dead_domains: 10,
        ..lab_options()
    })
    .await
    .unwrap();
    let mut addresses: Vec<String> = (0..10).map(|i| format!("someone@dead{i}.test")).collect();
    addresses.extend(["alice@lab.test", "nobody@lab.test", "bob@lab.test"].map(String::from));
    let (reports, _) = run(&lab, config(&["probe.test"]), &addresses).await;
    for report in &reports[..10] {
        assert_eq!(
            report.reason,
            Reason::ConnectionFailed,
            "{}: {}",
            report.address,
            report.detail
        );
    }
    assert_eq!(reports[10].reason, Reason::Ok, "{}", reports[10].detail);
    assert_eq!(reports[11].reason, Reason::NoSuchUser);
    assert_eq!(reports[12].reason, Reason::Ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_servers_with_no_check_host_answering_trip_it() {
    let lab = Lab::start(LabOptions {
        dead_domains: 10,
        ..lab_options()
    })
    .await
    .unwrap();
    let addresses: Vec<String> = (0..10).map(|i| format!("someone@dead{i}.test")).collect();
    let (reports, _) = run(&lab, config(&["nosuch.test"]), &addresses).await;
    let blocked = reports
        .iter()
        .filter(|r| r.reason == Reason::PortBlocked)
        .count();
    assert_eq!(
        blocked,
        10,
        "a failure waits for the dials under way and the check hosts: {:?}",
        reports.iter().map(|r| r.reason).collect::<Vec<_>>()
    );
    let refused = reports
        .iter()
        .find(|r| r.reason == Reason::PortBlocked)
        .unwrap();
    assert!(
        refused.detail.contains("were refused or unreachable"),
        "{}",
        refused.detail
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_reachable_domain_disarms_it_and_the_others_time_out_on_their_own() {
    let lab = Lab::start(LabOptions {
        hole_domains: 20,
        ..lab_options()
    })
    .await
    .unwrap();
    let mut addresses = vec!["alice@lab.test".to_string()];
    addresses.extend((0..20).map(|i| format!("someone@hole{i}.test")));
    // No check host at all: only the success of lab.test keeps the breaker from tripping.
    // Every domain gets a session slot at once, so lab.test is surely dialled before the holes
    // time out (with 16 slots, all of them could go to holes first, and then tripping is right).
    let mut all_at_once = config(&[]);
    all_at_once.engine.concurrency = 32;
    let (reports, _) = run(&lab, all_at_once, &addresses).await;
    assert_eq!(reports[0].reason, Reason::Ok, "{}", reports[0].detail);
    for report in &reports[1..] {
        assert_eq!(
            report.reason,
            Reason::Timeout,
            "{}: {}",
            report.address,
            report.detail
        );
    }

    // The same holes without the reachable domain: the breaker trips.
    let (reports, _) = run(&lab, config(&[]), &addresses[1..]).await;
    assert!(
        reports.iter().all(|r| r.reason == Reason::PortBlocked),
        "{:?}",
        reports.iter().map(|r| r.reason).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_threshold_of_zero_turns_it_off() {
    let lab = Lab::start(LabOptions {
        dead_domains: 10,
        ..lab_options()
    })
    .await
    .unwrap();
    let addresses: Vec<String> = (0..10).map(|i| format!("someone@dead{i}.test")).collect();
    let mut config = config(&[]);
    config.engine.port_block_after = 0;
    let (reports, _) = run(&lab, config, &addresses).await;
    assert!(
        reports.iter().all(|r| r.reason == Reason::ConnectionFailed),
        "{:?}",
        reports.iter().map(|r| r.reason).collect::<Vec<_>>()
    );
}

#[test]
fn check_and_batch_say_it_once_on_standard_error_and_exit_unknown() {
    let env = [("MXKNOCK_LAB_PORT_BLOCKED", "1")];
    let (code, stdout, stderr) = common::mxknock_with_env(
        &[
            "check",
            "--demo",
            "--timeout",
            "1",
            "alice@lab.test",
            "bob@catchall.test",
            "carol@greylist.test",
            "dave@blocked.test",
        ],
        &env,
    );
    assert_eq!(code, 4, "{stdout}{stderr}");
    assert_eq!(
        stderr
            .matches("outbound port 25 looks blocked from here")
            .count(),
        1,
        "said once: {stderr}"
    );
    assert_eq!(stdout.matches("port_blocked").count(), 4, "{stdout}");

    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    let addresses: Vec<String> = (0..30).map(|i| format!("user{i}@lab.test")).collect();
    let mut lines = addresses.clone();
    lines.extend(["x@catchall.test", "y@greylist.test", "z@slow.test"].map(String::from));
    std::fs::write(&list, lines.join("\n")).unwrap();
    let (code, stdout, stderr) = common::mxknock_with_env(
        &["batch", "--demo", "--timeout", "1", list.to_str().unwrap()],
        &env,
    );
    assert_eq!(code, 4, "{stderr}");
    assert_eq!(
        stderr
            .matches("mxknock: outbound port 25 looks blocked from here")
            .count(),
        1,
        "one stderr line: {stderr}"
    );
    assert!(
        stderr.contains("port 25            blocked from here"),
        "the summary says it: {stderr}"
    );
    assert_eq!(stdout.matches(",port_blocked,").count(), 33, "{stdout}");
}
