//! The scheduler against the lab, counted at the server side: session reuse, the
//! rejected-RCPT cap, 452 handling, the per-host cap, catch-all once per domain, greylisting
//! re-checks after a real delay.

use std::sync::Arc;
use std::time::Duration;

use mxknock::config::Config;
use mxknock::engine::judge::verdict::{Reason, Report, Verdict};
use mxknock::engine::{Engine, EventKind, Stage};
use mxknock::lab::{Lab, LabOptions};

struct Run {
    reports: Vec<Report>,
    events: Vec<Vec<EventKind>>,
    sessions: u64,
    rcpts: u64,
}

async fn run(lab: &Lab, config: Config, addresses: &[String]) -> Run {
    let net = lab.net(Duration::from_secs(2)).unwrap();
    let (handle, mut rx) = Engine::start(Arc::new(config), net);
    let stats = handle.stats_source();
    for address in addresses {
        handle.submit(address.clone());
    }
    drop(handle);
    let mut events: Vec<Vec<EventKind>> = vec![Vec::new(); addresses.len()];
    while let Some(event) = rx.recv().await {
        events[event.job.0 as usize].push(event.kind);
    }
    let reports = events
        .iter()
        .map(|events| match events.last() {
            Some(EventKind::Finished(report)) => (**report).clone(),
            other => panic!("the last event of a job must be Finished, got {other:?}"),
        })
        .collect();
    let snapshot = stats.snapshot();
    Run {
        reports,
        events,
        sessions: snapshot.sessions_opened,
        rcpts: snapshot.rcpts_sent,
    }
}

fn config() -> Config {
    let mut config = Config::default();
    config.smtp.helo = Some("verifier.lab.test".into());
    config.engine.greylist_max_wait = 0.0;
    config
}

/// The defaults, but one session per host at a time: what one session can do is visible.
fn one_session_per_host() -> Config {
    let mut config = config();
    config.engine.per_host = 1;
    config
}

fn addresses(prefix: &str, domain: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}@{domain}")).collect()
}

fn lab_options(latency_ms: u64) -> LabOptions {
    LabOptions {
        latency: Duration::from_millis(latency_ms),
        ..LabOptions::fast()
    }
}

#[tokio::test]
async fn many_addresses_of_a_domain_share_one_session() {
    let lab = Lab::start(lab_options(2)).await.unwrap();
    let list = addresses("ok", "lab.test", 30);
    let run = run(&lab, one_session_per_host(), &list).await;
    assert!(
        run.reports.iter().all(|r| r.reason == Reason::Ok),
        "{:?}",
        run.reports.iter().map(|r| r.reason).collect::<Vec<_>>()
    );
    assert_eq!(
        lab.log.connections("mx1.lab.test"),
        1,
        "one session for 30 addresses"
    );
    assert_eq!(run.sessions, 1);
    assert_eq!(run.rcpts, 31, "30 addresses and one catch-all probe");
    let rcpts: usize = lab
        .log
        .rcpts_per_connection("mx1.lab.test")
        .iter()
        .map(|(_, n, _)| n)
        .sum();
    assert_eq!(rcpts, 31);
    let reused = run
        .events
        .iter()
        .filter(|events| {
            events.iter().any(
                |e| matches!(e, EventKind::Line(l) if l.text.starts_with("reusing the session")),
            )
        })
        .count();
    assert_eq!(
        reused, 29,
        "every address but the first says which session it joined"
    );
}

#[tokio::test]
async fn with_default_limits_thirty_addresses_take_at_most_two_sessions() {
    let lab = Lab::start(lab_options(2)).await.unwrap();
    let run = run(&lab, config(), &addresses("ok", "lab.test", 30)).await;
    assert!(run.reports.iter().all(|r| r.reason == Reason::Ok));
    assert!(run.sessions <= 2, "{} sessions", run.sessions);
    assert_eq!(run.rcpts, 31);
}

#[tokio::test]
async fn rejected_rcpts_per_session_are_capped() {
    let lab = Lab::start(lab_options(1)).await.unwrap();
    let list = addresses("no", "lab.test", 40);
    let run = run(&lab, config(), &list).await;
    assert!(run.reports.iter().all(|r| r.reason == Reason::NoSuchUser));
    let per_connection = lab.log.rcpts_per_connection("mx1.lab.test");
    assert!(
        per_connection.len() >= 5,
        "40 rejections need at least 5 sessions: {per_connection:?}"
    );
    for (connection, _, refused) in &per_connection {
        assert!(
            *refused <= 8,
            "connection {connection} had {refused} refused RCPTs"
        );
    }
}

#[tokio::test]
async fn too_many_recipients_starts_a_new_transaction() {
    let lab = Lab::start(lab_options(1)).await.unwrap();
    let list = addresses("ok", "limited.test", 12);
    let run = run(&lab, one_session_per_host(), &list).await;
    assert!(
        run.reports.iter().all(|r| r.reason == Reason::Ok),
        "{:?}",
        run.reports
            .iter()
            .map(|r| (&r.address, r.reason, &r.detail))
            .collect::<Vec<_>>()
    );
    let received = lab.log.received();
    let lines: Vec<&str> = received
        .iter()
        .filter(|r| r.server == "mx.limited.test")
        .map(|r| r.line.as_str())
        .collect();
    assert!(
        lines.contains(&"RSET"),
        "a new transaction was opened: {lines:?}"
    );
    let mut in_transaction = 0;
    for r in received.iter().filter(|r| r.server == "mx.limited.test") {
        if r.line.starts_with("MAIL") {
            in_transaction = 0;
        } else if r.line.starts_with("RCPT") && r.reply == Some(250) {
            in_transaction += 1;
            assert!(in_transaction <= 5);
        }
    }
    assert_eq!(
        lab.log.connections("mx.limited.test"),
        1,
        "452 needs a new transaction, not a new session"
    );
}

#[tokio::test]
async fn the_per_host_session_cap_is_never_exceeded() {
    let lab = Lab::start(lab_options(3)).await.unwrap();
    let mut list = addresses("ok", "lab.test", 150);
    list.extend(addresses("no", "lab.test", 150));
    let mut config = config();
    config.engine.rcpts_per_session = 10;
    let first = run(&lab, config.clone(), &list).await;
    assert_eq!(first.reports.len(), 300);
    let max = lab.log.max_concurrent("mx1.lab.test");
    assert_eq!(
        max, 2,
        "the default cap of 2 sessions per host was used and never exceeded"
    );
    assert!(lab.log.connections("mx1.lab.test") >= 30);

    let lab = Lab::start(lab_options(3)).await.unwrap();
    config.engine.per_host = 1;
    run(&lab, config, &list[..60]).await;
    assert_eq!(lab.log.max_concurrent("mx1.lab.test"), 1);
}

#[tokio::test]
async fn the_per_host_cap_counts_every_domain_whose_mx_shares_the_server_ip() {
    // sameip.test's MX has another name but the same address as lab.test's: one server.
    let lab = Lab::start(lab_options(3)).await.unwrap();
    let mut list = addresses("ok", "lab.test", 100);
    list.extend(addresses("ok", "sameip.test", 100));
    let mut config = config();
    config.engine.rcpts_per_session = 10;
    let run = run(&lab, config, &list).await;
    assert!(
        run.reports
            .iter()
            .all(|r| r.verdict == Verdict::Deliverable),
        "every address is answered"
    );
    assert_eq!(
        lab.log.max_concurrent("mx1.lab.test"),
        2,
        "two domains, two MX names, one IP: still at most 2 sessions at once"
    );
}

#[tokio::test]
async fn catch_all_is_probed_once_per_domain() {
    let lab = Lab::start(lab_options(2)).await.unwrap();
    let mut list = addresses("someone", "catchall.test", 25);
    list.extend(addresses("ok", "lab.test", 25));
    let mut config = config();
    config.engine.rcpts_per_session = 6; // several sessions per domain, in parallel
    let run = run(&lab, config, &list).await;
    for report in &run.reports[..25] {
        assert_eq!(report.reason, Reason::AcceptAll);
        assert_eq!(report.catch_all, Some(true));
    }
    for report in &run.reports[25..] {
        assert_eq!(report.reason, Reason::Ok);
        assert_eq!(report.catch_all, Some(false));
    }
    let probes = |server: &str, ours: &str| {
        lab.log
            .received()
            .iter()
            .filter(|r| r.server == server && r.line.starts_with("RCPT") && !r.line.contains(ours))
            .count()
    };
    assert_eq!(
        probes("mx.catchall.test", "<someone"),
        1,
        "one probe for catchall.test"
    );
    assert_eq!(probes("mx1.lab.test", "<ok"), 1, "one probe for lab.test");
    assert!(lab.log.connections("mx.catchall.test") >= 3);
}

#[tokio::test]
async fn greylisting_is_rechecked_after_a_real_delay() {
    let options = LabOptions {
        greylist_delay: Duration::from_millis(800),
        ..lab_options(1)
    };
    let lab = Lab::start(options).await.unwrap();
    let mut config = config();
    config.engine.greylist_schedule = vec![1.0, 1.0];
    config.engine.greylist_max_wait = 5.0;
    let list = vec![
        "alice@greylist.test".to_string(),
        "nobody@greylist.test".to_string(),
    ];
    let started = std::time::Instant::now();
    let run = run(&lab, config, &list).await;
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "a real delay passed"
    );
    assert_eq!(
        run.reports[0].reason,
        Reason::Ok,
        "{:?}",
        run.reports[0].detail
    );
    assert_eq!(run.reports[1].reason, Reason::NoSuchUser);
    for events in &run.events {
        assert!(
            events
                .iter()
                .any(|e| matches!(e, EventKind::Stage(Stage::Greylisted(1)))),
            "the wait was announced"
        );
    }
    let rcpts_for_alice = lab
        .log
        .received()
        .iter()
        .filter(|r| r.line == "RCPT TO:<alice@greylist.test>")
        .count();
    assert_eq!(rcpts_for_alice, 2, "asked once, deferred, asked again");
}

#[tokio::test]
async fn greylisting_beyond_the_maximum_wait_stays_unknown() {
    let lab = Lab::start(lab_options(1)).await.unwrap();
    let mut config = config();
    config.engine.greylist_schedule = vec![0.2];
    config.engine.greylist_max_wait = 1.0;
    let run = run(&lab, config, &["alice@greylist.test".to_string()]).await;
    assert_eq!(run.reports[0].verdict, Verdict::Unknown);
    assert_eq!(run.reports[0].reason, Reason::Greylisted);
    assert!(
        run.reports[0]
            .detail
            .contains("still greylisted after 1 re-checks"),
        "{}",
        run.reports[0].detail
    );
}

#[tokio::test]
async fn a_domain_whose_server_hangs_up_costs_one_session_not_one_per_address() {
    let lab = Lab::start(lab_options(1)).await.unwrap();
    let list = addresses("ok", "drop.test", 20);
    let run = run(&lab, config(), &list).await;
    assert!(
        run.reports
            .iter()
            .all(|r| r.reason == Reason::ConnectionFailed)
    );
    assert!(
        lab.log.connections("mx.drop.test") <= 2,
        "{}",
        lab.log.connections("mx.drop.test")
    );
    assert!(
        run.reports[1..]
            .iter()
            .all(|r| r.detail.contains("not checked on its own")
                || r.detail.contains("connection closed"))
    );
}

#[tokio::test]
async fn two_domains_on_one_ip_never_hold_the_session_slots_a_third_server_could_use() {
    // lab.test and sameip.test: two MX names, one IP, one session at a time between them.
    // aonly.test has a server of its own. With two global slots, the shared server's waiting
    // session must wait without a slot, so aonly.test runs beside it the whole time.
    let lab = Lab::start(lab_options(15)).await.unwrap();
    let mut list = addresses("ok", "lab.test", 30);
    list.extend(addresses("ok", "sameip.test", 30));
    list.extend(addresses("ok", "aonly.test", 30));
    let mut config = one_session_per_host();
    config.engine.concurrency = 2;
    config.engine.rcpts_per_session = 5;
    config.smtp.catch_all_probe = false;
    let net = lab.net(Duration::from_secs(2)).unwrap();
    let started = std::time::Instant::now();
    let (handle, mut rx) = Engine::start(Arc::new(config), net);
    for address in &list {
        handle.submit(address.clone());
    }
    drop(handle);
    let mut finished_at = vec![None; list.len()];
    while let Some(event) = rx.recv().await {
        if let EventKind::Finished(report) = event.kind {
            assert_eq!(report.verdict, Verdict::Deliverable, "{}", report.address);
            finished_at[event.job.0 as usize] = Some(started.elapsed());
        }
    }
    let last = |range: std::ops::Range<usize>| {
        finished_at[range]
            .iter()
            .map(|t| t.expect("every address finishes"))
            .max()
            .unwrap()
    };
    let shared = last(0..60);
    let own = last(60..90);
    assert_eq!(lab.log.max_concurrent("mx1.lab.test"), 1);
    // The shared server needs 12 sessions one after another and aonly.test 6 beside them:
    // aonly.test is done in about half the time. Had a session waiting for the shared IP held
    // the second slot, aonly.test would have waited for it and finished near the end.
    assert!(
        own.as_secs_f64() < shared.as_secs_f64() * 0.75,
        "aonly.test finished after {own:?}, the shared server after {shared:?}"
    );
}
