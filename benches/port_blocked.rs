//! `cargo bench --bench port_blocked`: how long a list takes to come back when outbound port 25
//! is blocked. The lab drops every connect (each waits out the connect timeout of 10 s, as
//! behind a firewall that drops SYNs); 200 addresses over 200 domains, default concurrency (16).
//! Run (a) has the port-25 breaker on (the default), run (b) off (`port_block_after = 0`), as
//! mxknock was before it. Figures only; no assertions.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mxknock::config::Config;
use mxknock::engine::judge::verdict::Reason;
use mxknock::engine::{Engine, EventKind};
use mxknock::lab::{Lab, LabOptions};

const DOMAINS: usize = 200;

async fn run(lab: &Lab, breaker: bool) -> (Duration, usize) {
    let mut config = Config::default();
    config.smtp.helo = Some("bench.lab.test".into());
    config.smtp.connect_timeout = 10.0;
    config.engine.greylist_max_wait = 0.0;
    if !breaker {
        config.engine.port_block_after = 0;
    }
    let net = lab.net(Duration::from_secs(5)).expect("lab DNS");
    let started = Instant::now();
    let (handle, mut events) = Engine::start(Arc::new(config), net);
    for i in 0..DOMAINS {
        handle.submit(format!("ok1@bulk{i}.test"));
    }
    drop(handle);
    let mut port_blocked = 0;
    while let Some(event) = events.recv().await {
        if let EventKind::Finished(report) = event.kind
            && report.reason == Reason::PortBlocked
        {
            port_blocked += 1;
        }
    }
    (started.elapsed(), port_blocked)
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let lab = Lab::start(LabOptions {
            bulk_domains: DOMAINS,
            port25_blocked: true,
            ..LabOptions::fast()
        })
        .await
        .expect("lab starts");
        let (with, blocked) = run(&lab, true).await;
        println!(
            "(a) breaker on:  {DOMAINS} addresses over {DOMAINS} domains in {:.2} s, {blocked} unknown/port_blocked",
            with.as_secs_f64()
        );
        let (without, blocked) = run(&lab, false).await;
        println!(
            "(b) breaker off: {DOMAINS} addresses over {DOMAINS} domains in {:.2} s, {blocked} unknown/port_blocked",
            without.as_secs_f64()
        );
        println!(
            "(b) / (a) = {:.1}x",
            without.as_secs_f64() / with.as_secs_f64()
        );
    });
}
