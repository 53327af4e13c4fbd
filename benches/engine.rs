//! `cargo bench --bench engine`: the scheduler against the naive strategy on the embedded lab.
//!
//! The lab answers every SMTP reply after a fixed latency (25 ms; one round trip per pipelined
//! burst). The list has 10,000 addresses over 20 domains: in each domain 70% exist (`ok*`) and
//! 30% do not (`no*`); two domains are catch-all, two greylist new recipients for 1 s. Run (a)
//! is the engine's scheduler with default limits; run (b) is the naive strategy (one connection
//! and one catch-all probe per address, same global concurrency). Figures only; no assertions.
//! Then the peak memory of `mxknock batch` over 100,000 addresses (a child process).

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mxknock::config::Config;
use mxknock::engine::{Engine, EventKind, Strategy};
use mxknock::lab::{Lab, LabOptions};

const LATENCY: Duration = Duration::from_millis(25);
const DOMAINS: usize = 20;
const PER_DOMAIN: usize = 500;

fn list() -> Vec<String> {
    let mut list = Vec::with_capacity(DOMAINS * PER_DOMAIN);
    for n in 0..PER_DOMAIN {
        for d in 0..DOMAINS {
            let local = if n % 10 < 7 {
                format!("ok{n}")
            } else {
                format!("no{n}")
            };
            list.push(format!("{local}@{}", mxknock::lab::zone::bulk_domain(d)));
        }
    }
    list
}

fn config() -> Config {
    let mut config = Config::default();
    config.smtp.helo = Some("bench.lab.test".into());
    config.engine.greylist_schedule = vec![1.5];
    config.engine.greylist_max_wait = 10.0;
    config
}

struct Figures {
    wall: Duration,
    sessions: u64,
    rcpts: u64,
    verdicts: [usize; 4],
}

async fn run(strategy: Strategy, list: &[String]) -> Figures {
    let options = LabOptions {
        latency: LATENCY,
        greylist_delay: Duration::from_secs(1),
        bulk_domains: DOMAINS,
        ..LabOptions::fast()
    };
    let lab = Lab::start(options).await.expect("lab starts");
    let net = lab.net(Duration::from_secs(5)).expect("lab DNS");
    let started = Instant::now();
    let (handle, mut events) = Engine::start_with(Arc::new(config()), net, strategy);
    let stats = handle.stats_source();
    for address in list {
        handle.submit(address.clone());
    }
    drop(handle);
    let mut verdicts = [0usize; 4];
    while let Some(event) = events.recv().await {
        if let EventKind::Finished(report) = event.kind {
            verdicts[report.verdict as usize] += 1;
        }
    }
    let snapshot = stats.snapshot();
    Figures {
        wall: started.elapsed(),
        sessions: snapshot.sessions_opened,
        rcpts: snapshot.rcpts_sent,
        verdicts,
    }
}

/// The fastest any scheduler could be under the same latency and limits, even knowing every
/// answer in advance. Each domain needs enough sessions for its RCPT cap and its rejected-RCPT
/// cap (a greylisting domain rejects every address once, then answers the re-checks); a
/// session costs at least the round trips of greeting, EHLO, STARTTLS, EHLO, then MAIL
/// pipelined with its RCPTs in batches of 16, and QUIT. A domain runs at most `per_host`
/// sessions at once; all domains together at most `concurrency`.
fn lower_bound(config: &Config) -> Duration {
    let e = &config.engine;
    let rtt = LATENCY.as_secs_f64();
    let (mut total_session_secs, mut longest_domain) = (0.0f64, 0.0f64);
    for d in 0..DOMAINS {
        let catch_all = d % 10 == 0;
        let greylisted = d % 10 == 1;
        let unknown = PER_DOMAIN * 3 / 10;
        let (rcpts, rejected) = match (catch_all, greylisted) {
            (true, _) => (PER_DOMAIN + 1, 0),
            (_, true) => (2 * PER_DOMAIN + 1, PER_DOMAIN + unknown + 1),
            _ => (PER_DOMAIN + 1, unknown + 1),
        };
        let sessions = rcpts
            .div_ceil(e.rcpts_per_session)
            .max(rejected.div_ceil(e.rejected_per_session));
        let per_session = rcpts.div_ceil(sessions);
        let session_secs = (4 + per_session.div_ceil(16) + 1) as f64 * rtt;
        let mut domain_secs = sessions as f64 * session_secs / e.per_host.min(sessions) as f64;
        if greylisted {
            domain_secs = domain_secs.max(e.greylist_schedule[0] + session_secs);
        }
        total_session_secs += sessions as f64 * session_secs;
        longest_domain = longest_domain.max(domain_secs);
    }
    Duration::from_secs_f64(longest_domain.max(total_session_secs / e.concurrency as f64))
}

fn print(name: &str, f: &Figures, n: usize) {
    let secs = f.wall.as_secs_f64();
    println!(
        "{name:<22} wall {secs:>7.2} s  {:>7.0} addr/s  sessions/addr {:.3}  RCPTs/addr {:.3}  deliverable {} risky {} unknown {} undeliverable {}",
        n as f64 / secs,
        f.sessions as f64 / n as f64,
        f.rcpts as f64 / n as f64,
        f.verdicts[0],
        f.verdicts[1],
        f.verdicts[2],
        f.verdicts[3]
    );
}

fn batch_peak_memory() {
    let Some(binary) = option_env!("CARGO_BIN_EXE_mxknock") else {
        println!("batch memory: the mxknock binary is not available to this bench");
        return;
    };
    let dir = std::env::temp_dir().join(format!("mxknock-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let input = dir.join("list.txt");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&input).expect("list file"));
    for n in 0..5_000 {
        for d in 0..DOMAINS {
            let local = if n % 10 < 7 {
                format!("ok{n}")
            } else {
                format!("no{n}")
            };
            writeln!(file, "{local}@{}", mxknock::lab::zone::bulk_domain(d)).expect("write list");
        }
    }
    drop(file);
    let output = dir.join("out.jsonl");
    let started = Instant::now();
    let mut child = std::process::Command::new(binary)
        .args([
            "batch",
            "--demo",
            "--helo",
            "bench.lab.test",
            "--greylist-wait",
            "0",
            "--concurrency",
            "64",
        ])
        .arg(&input)
        .arg("--output")
        .arg(&output)
        .env("MXKNOCK_LAB_LATENCY_MS", "1")
        .env("MXKNOCK_LAB_BULK_DOMAINS", DOMAINS.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("batch runs");
    // The child's own high-water mark, read while it runs: getrusage(RUSAGE_CHILDREN) would
    // also count this process's size at the fork.
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let status = loop {
        if let Some(hwm) = std::fs::read_to_string(&status_file).ok().and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        }) {
            peak_kb = peak_kb.max(hwm);
        }
        if let Some(status) = child.try_wait().expect("wait for batch") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let lines = std::fs::read_to_string(&output)
        .map(|t| t.lines().count())
        .unwrap_or(0);
    println!(
        "batch over 100,000 addresses: exit code {} (worst verdict), {lines} results in {:.1} s, peak RSS {:.1} MB",
        status.code().map_or("none".to_string(), |c| c.to_string()),
        started.elapsed().as_secs_f64(),
        peak_kb as f64 / 1024.0
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let list = list();
    let n = list.len();
    println!(
        "{n} addresses over {DOMAINS} domains; lab latency {} ms per reply round trip",
        LATENCY.as_millis()
    );
    let scheduled = runtime.block_on(run(Strategy::Scheduled, &list));
    print("(a) scheduler", &scheduled, n);
    let naive = runtime.block_on(run(Strategy::PerAddress, &list));
    print("(b) naive", &naive, n);
    let bound = lower_bound(&config());
    println!(
        "speed-up b/a: {:.1}x   lower bound for (a): {:.2} s   (a) / bound: {:.2}",
        naive.wall.as_secs_f64() / scheduled.wall.as_secs_f64(),
        bound.as_secs_f64(),
        scheduled.wall.as_secs_f64() / bound.as_secs_f64()
    );
    println!("(b) does not re-check greylisting: its greylisted addresses stay unknown");
    batch_peak_memory();
}
