//! `cargo bench --bench tui_live`: the TUI with 1,000,000 addresses loaded and being checked by
//! the engine against the embedded lab (20 bulk domains, 1 ms per reply round trip, default
//! limits). It takes the loop's own steps: the list loads through `Effect::Load` and
//! `carry_out` (as at start-up), engine events are drained with `recv_many` into `App::apply`,
//! and each frame is `fit_viewport` + `view::draw` on a 160x50 TestBackend; filter keys go
//! through `handle_input`. Reports the time until the list is on screen, frame times and filter
//! switch times while results stream in, rows finished, and the peak RSS of the process.
//! Goals (issue "One conversation layer"): list on screen within 3 s, a frame under 10 ms, a
//! filter switch under 100 ms, peak RSS under 400 MB. Figures only: nothing here asserts.

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use mxknock::config::Config;
use mxknock::engine::Engine;
use mxknock::lab::{Lab, LabOptions};
use mxknock::tui::app::{App, Effect};
use mxknock::tui::keymap::Keymap;
use mxknock::tui::theme::Theme;
use mxknock::tui::{carry_out, fit_viewport, handle_input, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

const ROWS: usize = 1_000_000;
const DOMAINS: usize = 20;
/// How long results stream in while frames and filter switches are timed (seconds; env
/// `TUI_LIVE_SECS`, e.g. 600 to check the whole list). The run stops early once every row is done.
fn checking() -> Duration {
    let secs = std::env::var("TUI_LIVE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    Duration::from_secs(secs)
}
const FRAME: Duration = Duration::from_millis(33);

fn peak_rss_mb() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the zeroed struct we own.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    usage.ru_maxrss as f64 / 1024.0
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * p) as usize]
}

fn key(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn draw(terminal: &mut Terminal<TestBackend>, app: &mut App, theme: &Theme) -> Duration {
    let started = Instant::now();
    fit_viewport(app, Rect::new(0, 0, 160, 50));
    terminal
        .draw(|frame| view::draw(frame, app, theme))
        .unwrap();
    started.elapsed()
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(bench());
}

async fn bench() {
    let dir = std::env::temp_dir().join(format!("mxknock-tui-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let list = dir.join("list.txt");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&list).expect("list file"));
    for n in 0..ROWS {
        let local = if n % 10 < 7 { "ok" } else { "no" };
        let domain = mxknock::lab::zone::bulk_domain(n % DOMAINS);
        writeln!(file, "{local}{n}@{domain}").expect("write list");
    }
    drop(file);
    let lab = Lab::start(LabOptions {
        latency: Duration::from_millis(1),
        bulk_domains: DOMAINS,
        ..LabOptions::fast()
    })
    .await
    .expect("lab");
    let mut config = Config::default();
    config.smtp.helo = Some("bench.lab.test".into());
    config.engine.greylist_max_wait = 0.0;
    let rss_before = peak_rss_mb();

    let started = Instant::now();
    let (engine, mut events) = Engine::start(
        Arc::new(config),
        lab.net(Duration::from_secs(2)).expect("lab DNS"),
    );
    let theme = Theme::color();
    let mut terminal = Terminal::new(TestBackend::new(160, 50)).unwrap();
    let mut app = App::new(Keymap::default());
    carry_out(&mut app, &engine, vec![Effect::Load(list.clone())]);
    draw(&mut terminal, &mut app, &theme);
    let on_screen = started.elapsed();
    let rss_loaded = peak_rss_mb();
    println!(
        "{ROWS} addresses over {DOMAINS} lab domains: list on screen after {:.2} s (peak RSS {:.0} MB; {:.0} MB before the load)",
        on_screen.as_secs_f64(),
        rss_loaded,
        rss_before
    );

    let mut frames = Vec::new();
    let mut switches = Vec::new();
    let mut batch = Vec::with_capacity(1024);
    let filters = ['1', '2', '3', '4', '0'];
    let checking_from = Instant::now();
    let mut next_frame = Instant::now();
    let mut next_switch = Instant::now() + Duration::from_secs(1);
    let mut switch = 0usize;
    let checking = checking();
    while checking_from.elapsed() < checking && app.pending() > 0 {
        let deadline = tokio::time::Instant::from_std(next_frame.min(next_switch));
        tokio::select! {
            received = events.recv_many(&mut batch, 1024) => {
                if received == 0 {
                    break;
                }
                for event in batch.drain(..) {
                    app.apply(event);
                }
            }
            () = tokio::time::sleep_until(deadline) => {
                let now = Instant::now();
                if now >= next_switch {
                    let started = Instant::now();
                    let effects = handle_input(&mut app, key(filters[switch % filters.len()]));
                    carry_out(&mut app, &engine, effects);
                    draw(&mut terminal, &mut app, &theme);
                    switches.push(started.elapsed());
                    switch += 1;
                    next_switch = now + Duration::from_millis(500);
                } else {
                    frames.push(draw(&mut terminal, &mut app, &theme));
                    next_frame = now + FRAME;
                }
            }
        }
    }
    let finished = engine.stats().rcpts_sent;
    let done = ROWS - app.pending();
    println!(
        "checking for {:.0} s: {done} rows finished ({:.0}/s, {finished} RCPTs sent), {} frames, {} filter switches",
        checking_from.elapsed().as_secs_f64(),
        done as f64 / checking_from.elapsed().as_secs_f64(),
        frames.len(),
        switches.len()
    );
    println!(
        "frame (fit_viewport + draw, 160x50) while checking: median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&mut frames, 0.5).as_secs_f64() * 1e3,
        percentile(&mut frames, 0.99).as_secs_f64() * 1e3,
        frames.iter().max().unwrap().as_secs_f64() * 1e3
    );
    println!(
        "filter switch (key -> update -> frame) while checking: median {:.1} ms, max {:.1} ms",
        percentile(&mut switches, 0.5).as_secs_f64() * 1e3,
        switches.iter().max().unwrap().as_secs_f64() * 1e3
    );
    println!("peak RSS: {:.0} MB", peak_rss_mb());
    let _ = std::fs::remove_dir_all(&dir);
}
