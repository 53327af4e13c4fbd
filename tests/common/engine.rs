//! Running the engine against the lab from an integration test: every address submitted, the
//! handle dropped, and each job's report collected within a hard limit (a hang fails the test
//! instead of hanging CI).

use std::sync::Arc;
use std::time::{Duration, Instant};

use mxknock::config::Config;
use mxknock::engine::judge::verdict::Report;
use mxknock::engine::stats::Stats;
use mxknock::engine::{Engine, EventKind};
use mxknock::lab::Lab;

/// A run that has not ended by then hangs.
pub const HARD_LIMIT: Duration = Duration::from_secs(120);

/// What a run gave: one report per address, in list order.
pub struct Run {
    pub reports: Vec<Report>,
    pub stats: Arc<Stats>,
    pub elapsed: Duration,
}

/// Checks `addresses` with `config` over the lab's DNS and dialer.
pub async fn run_engine(lab: &Lab, config: Config, addresses: &[String]) -> Run {
    let net = lab.net(Duration::from_secs(2)).expect("lab DNS");
    let started = Instant::now();
    let (handle, mut rx) = Engine::start(Arc::new(config), net);
    let stats = handle.stats_source();
    for address in addresses {
        handle.submit(address.clone());
    }
    drop(handle);
    let mut reports: Vec<Option<Report>> = vec![None; addresses.len()];
    let collect = async {
        while let Some(event) = rx.recv().await {
            if let EventKind::Finished(report) = event.kind {
                reports[event.job.0 as usize] = Some(*report);
            }
        }
    };
    tokio::time::timeout(HARD_LIMIT, collect)
        .await
        .expect("the run ends");
    Run {
        reports: reports
            .into_iter()
            .map(|r| r.expect("every job finishes"))
            .collect(),
        stats,
        elapsed: started.elapsed(),
    }
}
