//! The engine against the embedded lab, in process: event order, safety, and the real
//! hickory-resolver path against the lab's DNS server on loopback.

use std::sync::Arc;
use std::time::Duration;

use mxknock::config::Config;
use mxknock::engine::dns::{Dns, DnsFailure, DnsServers, MailHosts};
use mxknock::engine::judge::verdict::{Reason, Report};
use mxknock::engine::{Engine, EventKind};
use mxknock::lab::{Lab, LabOptions};

const ALL_SCENARIOS: &[&str] = &[
    "alice@lab.test",
    "nobody@lab.test",
    "carol@lab.test",
    "dave@lab.test",
    "jörg@lab.test",
    "anyone@catchall.test",
    "throwaway@mailinator.com",
    "alice@greylist.test",
    "alice@blocked.test",
    "alice@tlsonly.test",
    "alice@helo.test",
    "alice@slow.test",
    "alice@drop.test",
    "alice@aonly.test",
    "alice@backup.test",
    "alice@hostile.test",
    "alice@nullmx.test",
    "alice@nomail.test",
    "alice@servfail.test",
    "alice@nxdomain.test",
];

async fn run(lab: &Lab, config: Config, addresses: &[&str]) -> Vec<(Vec<EventKind>, Report)> {
    let net = lab.net(Duration::from_secs(2)).unwrap();
    let (handle, mut rx) = Engine::start(Arc::new(config), net);
    let ids: Vec<_> = addresses.iter().map(|a| handle.submit(*a)).collect();
    drop(handle);
    let mut per_job: Vec<Vec<EventKind>> = vec![Vec::new(); ids.len()];
    while let Some(event) = rx.recv().await {
        per_job[event.job.0 as usize].push(event.kind);
    }
    per_job
        .into_iter()
        .map(|events| {
            let report = match events.last() {
                Some(EventKind::Finished(report)) => (**report).clone(),
                other => panic!("last event is not Finished: {other:?}"),
            };
            (events, report)
        })
        .collect()
}

fn test_config() -> Config {
    let mut config = Config::default();
    config.smtp.helo = Some("verifier.lab.test".into());
    config.smtp.command_timeout = 5.0;
    config.smtp.greeting_timeout = 5.0;
    config.engine.greylist_max_wait = 0.0;
    config
}

#[tokio::test]
async fn no_scenario_ever_sends_data() {
    let lab = Lab::start(LabOptions::fast()).await.unwrap();
    let results = run(&lab, test_config(), ALL_SCENARIOS).await;
    assert_eq!(results.len(), ALL_SCENARIOS.len());
    let received = lab.log.received();
    assert!(
        received.iter().any(|r| r.line.starts_with("RCPT TO:")),
        "the lab saw RCPTs"
    );
    for verb in ["DATA", "BDAT", "VRFY", "EXPN"] {
        assert!(!lab.log.saw_verb(verb), "a server received {verb}");
    }
    // And in the other mode of TLS and without the catch-all probe.
    let mut config = test_config();
    config.smtp.starttls = mxknock::config::StartTlsMode::Never;
    config.smtp.catch_all_probe = false;
    run(&lab, config, ALL_SCENARIOS).await;
    assert!(!lab.log.saw_verb("DATA"));
}

#[tokio::test]
async fn each_job_streams_queued_then_lines_then_one_finished() {
    let lab = Lab::start(LabOptions::fast()).await.unwrap();
    let results = run(
        &lab,
        test_config(),
        &["alice@lab.test", "nobody@lab.test", "bad address"],
    )
    .await;
    for (events, _) in &results {
        assert!(
            matches!(events.first(), Some(EventKind::Queued { .. })),
            "{events:?}"
        );
        let finished = events
            .iter()
            .filter(|e| matches!(e, EventKind::Finished(_)))
            .count();
        assert_eq!(finished, 1);
    }
    let (events, report) = &results[0];
    assert_eq!(report.reason, Reason::Ok);
    let lines = events
        .iter()
        .filter(|e| matches!(e, EventKind::Line(_)))
        .count();
    assert!(lines > 15, "a full transcript streamed: {lines} lines");
    let stages = events
        .iter()
        .filter(|e| matches!(e, EventKind::Stage(_)))
        .count();
    assert!(stages >= 6, "stages streamed: {stages}");
}

#[tokio::test]
async fn control_bytes_in_an_address_are_refused_before_any_dns_or_tcp() {
    let lab = Lab::start(LabOptions::fast()).await.unwrap();
    let evil = [
        "alice@lab.test\r\nDATA",
        "alice@lab.test>\r\nRCPT TO:<bob@lab.test",
        "ali\nce@lab.test",
        "alice\0@lab.test",
        "alice@lab.test\r",
        "al\x1bice@lab.test",
        "alice\t@lab.test",
        "\"ali\r\nce\"@lab.test",
        "alice@lab\x7f.test",
    ];
    let results = run(&lab, test_config(), &evil).await;
    for ((_, report), input) in results.iter().zip(evil) {
        assert_eq!(report.reason, Reason::InvalidSyntax, "{input:?}");
        assert!(
            report.detail.to_lowercase().contains("control"),
            "{input:?}: {}",
            report.detail
        );
    }
    assert_eq!(lab.dns_queries(), 0, "no DNS query was made");
    assert_eq!(lab.smtp_connections(), 0, "no SMTP connection was made");
}

#[tokio::test]
async fn hickory_resolves_the_lab_zone_over_loopback() {
    let lab = Lab::start(LabOptions::fast()).await.unwrap();
    let dns = Dns::new(
        &DnsServers::Given(vec![lab.dns_addr]),
        Duration::from_secs(2),
    )
    .unwrap();
    match dns.mail_hosts("backup.test").await {
        MailHosts::Hosts(hosts) => {
            let names: Vec<_> = hosts
                .iter()
                .map(|h| (h.preference, h.host.as_str()))
                .collect();
            assert_eq!(names, [(10, "dead.backup.test"), (20, "live.backup.test")]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(dns.mail_hosts("nullmx.test").await, MailHosts::NullMx);
    assert_eq!(
        dns.mail_hosts("nxdomain.test").await,
        MailHosts::NoSuchDomain
    );
    assert_eq!(dns.mail_hosts("nomail.test").await, MailHosts::NoMailServer);
    assert!(matches!(
        dns.mail_hosts("servfail.test").await,
        MailHosts::Failed(DnsFailure::Server(_))
    ));
    match dns.mail_hosts("aonly.test").await {
        MailHosts::Hosts(hosts) => assert!(hosts[0].implicit && hosts[0].host == "aonly.test"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        dns.host_ips("mx1.lab.test").await.unwrap(),
        vec!["127.0.0.11".parse::<std::net::IpAddr>().unwrap()]
    );
    assert!(lab.dns_queries() >= 7);
}

#[tokio::test]
async fn a_dns_server_that_never_answers_is_a_timeout() {
    // A UDP socket on loopback that reads nothing: queries go unanswered.
    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let dns = Dns::new(
        &DnsServers::UdpOnly(vec![silent.local_addr().unwrap()]),
        Duration::from_millis(300),
    )
    .unwrap();
    match dns.mail_hosts("lab.test").await {
        MailHosts::Failed(DnsFailure::Timeout) => {}
        other => panic!("expected a timeout, got {other:?}"),
    }
}
