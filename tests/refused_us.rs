//! A server that refuses us (our IP, rDNS, HELO, a blocklist), not a mailbox, is not asked
//! again: every address still waiting for it finishes at once as `unknown/blocked` with the
//! same refusal, and the run names the host. A per-recipient policy refusal stays per address.

use mxknock::config::Config;
use mxknock::engine::judge::verdict::{Reason, Report};
use mxknock::lab::{Lab, LabOptions};

mod common;

async fn run(lab: &Lab, addresses: &[String]) -> (Vec<Report>, Vec<String>, u64) {
    let mut config = Config::default();
    config.smtp.helo = Some("verifier.lab.test".into());
    config.engine.greylist_max_wait = 0.0;
    let run = common::engine::run_engine(lab, config, addresses).await;
    let sessions = run.stats.snapshot().sessions_opened;
    (run.reports, run.stats.hosts_refused_us(), sessions)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_addresses_at_a_server_that_blocks_us_cost_one_session() {
    let lab = Lab::start(LabOptions::fast()).await.unwrap();
    let addresses: Vec<String> = (0..100).map(|i| format!("user{i}@blocked.test")).collect();
    let (reports, refused, sessions) = run(&lab, &addresses).await;
    for report in &reports {
        assert_eq!(
            report.reason,
            Reason::Blocked,
            "{}: {}",
            report.address,
            report.detail
        );
        assert!(
            report.detail.contains("spamhaus"),
            "the refusal is the detail: {}",
            report.detail
        );
    }
    assert_eq!(
        lab.log.connections("mx.blocked.test"),
        1,
        "one session at the server that refused us"
    );
    assert_eq!(sessions, 1);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].starts_with("mx.blocked.test["), "{refused:?}");
    let not_asked = reports
        .iter()
        .filter(|r| r.detail.contains("refused us earlier in this run"))
        .count();
    assert!(
        not_asked > 50,
        "{not_asked} addresses were finished without a RCPT"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_per_recipient_policy_refusal_stays_with_its_address() {
    let lab = Lab::start(LabOptions::fast()).await.unwrap();
    let addresses: Vec<String> = ["denied@lab.test", "alice@lab.test", "bob@lab.test"]
        .map(String::from)
        .to_vec();
    let (reports, refused, _) = run(&lab, &addresses).await;
    assert_eq!(reports[0].reason, Reason::Blocked, "{}", reports[0].detail);
    assert!(reports[0].detail.contains("Recipient address rejected"));
    assert_eq!(reports[1].reason, Reason::Ok, "{}", reports[1].detail);
    assert_eq!(reports[2].reason, Reason::Ok, "{}", reports[2].detail);
    assert!(refused.is_empty(), "{refused:?}");
}
