//! `cargo bench --bench tui`: the TUI with 1,000,000 rows. Reports frame render time, filter
//! switch time, search time and heap bytes per row (counted by a wrapping global allocator).
//! Goals (issue "The TUI"): a frame under 10 ms, a filter switch under 100 ms, under 300 bytes
//! per row. Figures only: nothing here asserts a timing.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use mxknock::engine::event::{EngineEvent, EventKind, JobId};
use mxknock::engine::judge::verdict::{MxRecord, Reason, Report, SmtpFacts};
use mxknock::tui::action::Action;
use mxknock::tui::app::{App, Effect};
use mxknock::tui::keymap::Keymap;
use mxknock::tui::theme::Theme;
use mxknock::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const ROWS: usize = 1_000_000;

const REASONS: [Reason; 6] = [
    Reason::Ok,
    Reason::Ok,
    Reason::NoSuchUser,
    Reason::AcceptAll,
    Reason::Greylisted,
    Reason::Ok,
];

fn report(address: String, i: usize) -> Report {
    let domain = format!("domain{}.example", i % 500);
    let mut report = Report::new(address, REASONS[i % REASONS.len()], "synthetic");
    report.mx = vec![MxRecord {
        host: format!("mx.{domain}"),
        preference: 10,
        implicit: false,
    }];
    report.smtp = Some(SmtpFacts {
        host: format!("mx.{domain}"),
        code: Some(250),
        ..SmtpFacts::default()
    });
    report.duration_ms = (i % 900) as u64;
    report
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let before = LIVE.load(Ordering::Relaxed);
    let mut app = App::new(Keymap::default());
    let effects =
        app.add_addresses((0..ROWS).map(|i| (format!("user{i}@domain{}.example", i % 500), 1)));
    for effect in effects {
        if let Effect::Check { row, address, .. } = effect {
            app.bind_job(row, JobId(row as u64));
            let report = report(address, row);
            app.apply(EngineEvent {
                job: JobId(row as u64),
                kind: EventKind::Finished(Box::new(report)),
            });
        }
    }
    app.refresh_view();
    let after = LIVE.load(Ordering::Relaxed);
    let kept = mxknock::tui::app::DETAIL_CAPACITY;
    println!("rows: {ROWS} (all finished; full reports kept for the last {kept})");
    println!(
        "memory: {:.0} bytes per row ({:.1} MB in all)",
        (after - before) as f64 / ROWS as f64,
        (after - before) as f64 / 1e6
    );

    let mut terminal = Terminal::new(TestBackend::new(160, 50)).unwrap();
    let theme = Theme::color();
    let mut frames = Vec::new();
    for i in 0..200 {
        app.update(if i % 2 == 0 {
            Action::PageDown
        } else {
            Action::Down
        });
        let start = Instant::now();
        terminal
            .draw(|frame| view::draw(frame, &app, &theme))
            .unwrap();
        frames.push(start.elapsed());
    }
    app.update(Action::Bottom);
    let start = Instant::now();
    terminal
        .draw(|frame| view::draw(frame, &app, &theme))
        .unwrap();
    let bottom = start.elapsed();
    println!(
        "frame render (160x50, scrolling): median {:?}, max {:?}; at the last row {:?}",
        median(frames.clone()),
        frames.iter().max().unwrap(),
        bottom
    );

    let mut switches = Vec::new();
    for action in [
        Action::FilterUndeliverable,
        Action::FilterUnknown,
        Action::FilterRisky,
        Action::FilterDeliverable,
        Action::FilterAll,
        Action::CycleSort,
    ] {
        let start = Instant::now();
        app.update(action);
        switches.push(start.elapsed());
    }
    println!(
        "filter switch: median {:?}, max {:?} (incl. one sort switch)",
        median(switches.clone()),
        switches.iter().max().unwrap()
    );

    app.update(Action::Top);
    let mut searches = Vec::new();
    for needle in ["user999999@", "nothing-matches", "user500000@"] {
        app.search = Some(needle.to_string());
        let start = Instant::now();
        app.update(Action::SearchNext);
        searches.push(start.elapsed());
    }
    println!(
        "search over {ROWS} rows: median {:?}, max {:?}",
        median(searches.clone()),
        searches.iter().max().unwrap()
    );
}
