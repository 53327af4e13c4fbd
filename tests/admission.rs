//! The engine's admission window: any number of submissions, at most `engine.max_in_flight`
//! of them in flight, the rest queued in order, nothing lost, and the stream ending once the
//! handle is dropped and the queue has drained.

use std::sync::Arc;
use std::time::Duration;

use mxknock::config::Config;
use mxknock::engine::{Engine, EventKind};
use mxknock::lab::{Lab, LabOptions};

fn config(window: usize) -> Config {
    let mut config = Config::default();
    config.smtp.helo = Some("verifier.lab.test".into());
    config.engine.greylist_max_wait = 0.0;
    config.engine.max_in_flight = window;
    config
}

#[tokio::test]
async fn a_flood_of_submissions_keeps_only_the_window_in_flight_and_loses_nothing() {
    const WINDOW: usize = 8;
    const FLOOD: usize = 3_000;
    let lab = Lab::start(LabOptions::fast()).await.unwrap();
    let net = lab.net(Duration::from_secs(2)).unwrap();
    let (handle, mut events) = Engine::start(Arc::new(config(WINDOW)), net);
    // Half the flood exists, half is a syntax error that finishes without a session.
    let addresses: Vec<String> = (0..FLOOD)
        .map(|i| {
            if i % 2 == 0 {
                format!("user{i}@lab.test")
            } else {
                format!("not an address {i}")
            }
        })
        .collect();
    for address in &addresses {
        handle.submit(address.clone());
    }
    let (in_flight, queued) = handle.admission();
    assert!(in_flight <= WINDOW, "{in_flight} in flight");
    assert!(
        queued >= FLOOD - WINDOW,
        "the flood waits in the queue, not in tasks: {queued} queued"
    );
    let mut finished = vec![false; FLOOD];
    let mut done = 0usize;
    let mut most_in_flight = 0usize;
    let run = async {
        while let Some(event) = events.recv().await {
            // Job ids count in submission order: a job can only have started once all but
            // WINDOW - 1 of the jobs before it have finished.
            assert!(
                (event.job.0 as usize) < done + WINDOW,
                "job {} seen with {done} finished: more than the window in flight",
                event.job.0
            );
            most_in_flight = most_in_flight.max(handle.admission().0);
            if let EventKind::Finished(report) = event.kind {
                let index = event.job.0 as usize;
                assert!(!finished[index], "job {index} finished twice");
                assert_eq!(report.address, addresses[index].trim());
                finished[index] = true;
                done += 1;
                if done == FLOOD {
                    break;
                }
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the flood drains");
    assert!(finished.iter().all(|f| *f), "every submission finished");
    assert!(
        most_in_flight <= WINDOW,
        "{most_in_flight} in flight at most"
    );
    assert_eq!(handle.admission(), (0, 0));
    drop(handle);
    let end = tokio::time::timeout(Duration::from_secs(10), events.recv()).await;
    assert!(
        matches!(end, Ok(None)),
        "the stream ends once the handle is gone"
    );
}

#[tokio::test]
async fn dropping_the_handle_with_a_full_queue_still_checks_every_address() {
    let lab = Lab::start(LabOptions::fast()).await.unwrap();
    let net = lab.net(Duration::from_secs(2)).unwrap();
    let (handle, mut events) = Engine::start(Arc::new(config(3)), net);
    for i in 0..40 {
        handle.submit(format!("user{i}@lab.test"));
    }
    drop(handle);
    let mut finished = 0;
    let run = async {
        while let Some(event) = events.recv().await {
            if matches!(event.kind, EventKind::Finished(_)) {
                finished += 1;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("the stream ends");
    assert_eq!(finished, 40);
}

#[test]
fn a_window_of_zero_is_refused_with_the_setting_named() {
    let config = Config::from_toml(
        "[engine]\nmax_in_flight = 0\n",
        std::path::Path::new("test.toml"),
    )
    .expect("it parses");
    let error = config.validate().expect_err("0 is refused").to_string();
    assert!(error.contains("engine.max_in_flight"), "{error}");
}
