//! Frames of the TUI rendered to a `TestBackend` from hand-built `App`s, as insta snapshots.

use std::time::{Duration, Instant};

use mxknock::engine::event::{EngineEvent, EventKind, JobId, Stage};
use mxknock::engine::judge::verdict::{MxRecord, Reason, Report, SmtpFacts};
use mxknock::engine::smtp::reply::EnhancedCode;
use mxknock::engine::transcript::{Direction, TranscriptLine};
use mxknock::tui::action::Action;
use mxknock::tui::app::{App, Effect, Mode};
use mxknock::tui::keymap::Keymap;
use mxknock::tui::prompt::{Prompt, PromptKind};
use mxknock::tui::theme::Theme;
use mxknock::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn render(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    mxknock::tui::fit_viewport(app, ratatui::layout::Rect::new(0, 0, width, height));
    terminal
        .draw(|frame| view::draw(frame, app, &Theme::mono()))
        .unwrap();
    terminal.backend().to_string()
}

const DEMO: &[&str] = &[
    "alice@lab.test",
    "nobody@lab.test",
    "carol@lab.test",
    "anyone@catchall.test",
    "alice@greylist.test",
    "alice@blocked.test",
    "alice@nullmx.test",
    "alice@slow.test",
    "bob@lab.test",
];

fn report(
    address: &str,
    reason: Reason,
    code: u16,
    enhanced: (u8, u16, u16),
    message: &str,
) -> Report {
    let domain = address.rsplit_once('@').unwrap().1;
    let host = format!("mx.{domain}");
    let mut report = Report::new(address, reason, format!("{code} {message}"));
    report.normalized = Some(address.into());
    report.mx = vec![MxRecord {
        host: host.clone(),
        preference: 10,
        implicit: false,
    }];
    report.smtp = Some(SmtpFacts {
        host,
        ip: "127.0.0.11".into(),
        port: 25,
        code: Some(code),
        enhanced_code: Some(EnhancedCode {
            class: enhanced.0,
            subject: enhanced.1,
            detail: enhanced.2,
        }),
        message: Some(message.into()),
        tls: None,
        extensions: vec!["PIPELINING".into(), "STARTTLS".into()],
    });
    report.duration_ms = 320;
    report.score = mxknock::engine::judge::score::score(&report);
    report
}

fn line(at_ms: u64, direction: Direction, text: &str, response_ms: Option<u64>) -> EventKind {
    EventKind::Line(TranscriptLine {
        at: Duration::from_millis(at_ms),
        direction,
        tls: false,
        text: text.into(),
        response_time: response_ms.map(Duration::from_millis),
    })
}

/// The demo list part-way: six finished, one mid-session with a streaming transcript.
fn demo_mid_run() -> App {
    let mut app = App::new(Keymap::default());
    let effects = app.add_addresses(DEMO.iter().map(|a| (a.to_string(), 1)));
    for (i, effect) in effects.into_iter().enumerate() {
        let Effect::Check { row, .. } = effect else {
            unreachable!()
        };
        app.bind_job(row, JobId(i as u64));
    }
    let start = Instant::now();
    app.started = Some(start);
    app.now = start + Duration::from_secs(2);
    let finished = [
        report("alice@lab.test", Reason::Ok, 250, (2, 1, 5), "Ok"),
        report(
            "nobody@lab.test",
            Reason::NoSuchUser,
            550,
            (5, 1, 1),
            "User unknown",
        ),
        report(
            "carol@lab.test",
            Reason::MailboxFull,
            552,
            (5, 2, 2),
            "Mailbox full",
        ),
        report(
            "anyone@catchall.test",
            Reason::AcceptAll,
            250,
            (2, 1, 5),
            "Ok",
        ),
        report(
            "alice@greylist.test",
            Reason::Greylisted,
            450,
            (4, 7, 1),
            "Greylisted",
        ),
        report(
            "alice@blocked.test",
            Reason::Blocked,
            554,
            (5, 7, 1),
            "blocked using zen.spamhaus.org",
        ),
    ];
    for (job, report) in finished.into_iter().enumerate() {
        app.apply(EngineEvent {
            job: JobId(job as u64),
            kind: EventKind::Finished(Box::new(report)),
        });
    }
    let null = Report::new(
        "alice@nullmx.test",
        Reason::NullMx,
        "nullmx.test publishes a null MX",
    );
    app.apply(EngineEvent {
        job: JobId(6),
        kind: EventKind::Finished(Box::new(null)),
    });
    let live = JobId(7);
    let events = [
        EventKind::Stage(Stage::Connecting("mx.slow.test".into())),
        line(1, Direction::Info, "resolving MX for slow.test", None),
        line(3, Direction::Info, "MX 10 mx.slow.test", None),
        line(
            4,
            Direction::Info,
            "connecting to mx.slow.test[127.0.0.17]:25",
            None,
        ),
        line(
            405,
            Direction::Received,
            "220 mx.slow.test ESMTP mxknock-lab",
            Some(401),
        ),
        line(405, Direction::Sent, "EHLO verifier.lab.test", None),
        line(806, Direction::Received, "250-mx.slow.test", Some(401)),
        line(806, Direction::Received, "250 PIPELINING", None),
        line(806, Direction::Sent, "MAIL FROM:<>", None),
        line(1207, Direction::Received, "250 2.1.0 Ok", Some(401)),
        line(1207, Direction::Sent, "RCPT TO:<alice@slow.test>", None),
        EventKind::Stage(Stage::RcptTo),
    ];
    for kind in events {
        app.apply(EngineEvent { job: live, kind });
    }
    app.selected = 7;
    app.open_sessions = 1;
    app
}

#[test]
fn empty() {
    let mut app = App::new(Keymap::default());
    insta::assert_snapshot!(render(&mut app, 100, 20));
}

#[test]
fn demo_list_mid_run_with_streaming_transcript() {
    let mut app = demo_mid_run();
    insta::assert_snapshot!(render(&mut app, 120, 30));
}

#[test]
fn wide_list_shows_reason_mx_time_and_live_stages() {
    let mut app = demo_mid_run();
    app.apply(EngineEvent {
        job: JobId(8),
        kind: EventKind::Stage(Stage::Greylisted(45)),
    });
    insta::assert_snapshot!(render(&mut app, 200, 16));
}

#[test]
fn filter_applied() {
    let mut app = demo_mid_run();
    app.update(Action::FilterUnknown);
    insta::assert_snapshot!(render(&mut app, 120, 24));
}

#[test]
fn search() {
    let mut app = demo_mid_run();
    app.update(Action::Top);
    app.mode = Mode::Prompt(Prompt::with_text(PromptKind::Search, "catch"));
    app.prompt_changed();
    let frame = render(&mut app, 120, 24);
    assert_eq!(app.selected_row(), Some(3));
    insta::assert_snapshot!(frame);
}

#[test]
fn help() {
    let mut app = demo_mid_run();
    app.update(Action::Help);
    insta::assert_snapshot!(render(&mut app, 100, 42));
}

#[test]
fn help_on_an_80x24_terminal_shows_every_key_in_two_columns() {
    let mut app = demo_mid_run();
    app.update(Action::Help);
    let frame = render(&mut app, 80, 24);
    for (keys, what) in app.keymap.help() {
        assert!(frame.contains(what), "{keys} {what} missing:\n{frame}");
    }
    insta::assert_snapshot!(frame);
}

#[test]
fn small_terminal_60x15() {
    let mut app = demo_mid_run();
    insta::assert_snapshot!(render(&mut app, 60, 15));
}

#[test]
fn error_banner() {
    let mut app = demo_mid_run();
    app.error("cannot read missing.csv: No such file or directory (os error 2)");
    insta::assert_snapshot!(render(&mut app, 100, 20));
}

#[test]
fn detail_of_a_finished_address() {
    let mut app = demo_mid_run();
    app.selected = 5;
    insta::assert_snapshot!(render(&mut app, 120, 30));
}

#[test]
fn escape_sequences_in_server_text_are_shown_escaped() {
    let mut app = demo_mid_run();
    let sanitized = mxknock::engine::smtp::reply::sanitize(b"220 \x1b[2J\x1b]0;pwned\x07 hi");
    app.apply(EngineEvent {
        job: JobId(7),
        kind: line(1300, Direction::Received, &sanitized, Some(1)),
    });
    let frame = render(&mut app, 120, 30);
    assert!(frame.contains("\\x1b[2J"), "{frame}");
    assert!(!frame.contains('\x1b'));
}

#[test]
fn the_list_title_names_the_server_asked_instead_of_the_mx_hosts() {
    let mut app = demo_mid_run();
    app.server = Some("mx1.lab.test".into());
    let frame = render(&mut app, 180, 16);
    assert!(frame.contains("· --server mx1.lab.test"), "{frame}");
}

#[test]
fn long_transcript_lines_wrap_under_their_text_and_lose_nothing() {
    let mut app = demo_mid_run();
    let reply = "550 5.1.1 <alice@slow.test>: Recipient address rejected: User unknown in virtual mailbox table END";
    app.apply(EngineEvent {
        job: JobId(7),
        kind: line(1610, Direction::Unexpected, reply, Some(403)),
    });
    let frame = render(&mut app, 100, 30);
    let rows: Vec<&str> = frame.lines().collect();
    let first = rows
        .iter()
        .position(|r| r.contains("1.610s <** 550 5.1.1"))
        .expect("the reply's first row");
    assert!(
        rows[first + 1].contains("             ") && rows[first + 1].contains("ected"),
        "the continuation is indented under the text:\n{frame}"
    );
    let joined: String = rows[first..first + 4]
        .iter()
        .map(|r| r.rsplit('│').nth(1).unwrap_or("").trim())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        joined.contains("END"),
        "the end of the reply is shown: {joined}"
    );
    assert!(joined.contains("(403 ms)"), "{joined}");
}

#[test]
fn the_detail_pane_names_the_provider_with_its_note_and_the_wide_list_has_its_column() {
    let mut app = demo_mid_run();
    let provider = mxknock::engine::knowledge::providers::Providers::builtin()
        .of_host("mta5.am0.yahoodns.net")
        .unwrap()
        .tag();
    let note = provider.note.clone().expect("yahoo has a note");
    let mut yahoo = report("alice@yahoo.test", Reason::AcceptAll, 250, (2, 1, 5), "Ok");
    yahoo.provider = Some(provider);
    yahoo.score = mxknock::engine::judge::score::score(&yahoo);
    app.apply(EngineEvent {
        job: JobId(0),
        kind: EventKind::Finished(Box::new(yahoo)),
    });
    app.selected = 0;
    let frame = render(&mut app, 250, 40); // the list pane is wider than 110 columns
    assert!(frame.contains("provider  Yahoo Mail (and AOL)"), "{frame}");
    assert!(frame.contains(&note[..40]), "the note starts: {frame}");
    assert!(frame.contains(" provider "), "the list's column: {frame}");
    assert!(frame.contains(" yahoo "), "the row's provider id: {frame}");
    assert!(
        frame.contains(
            "catch-all not probed: a probe tells nothing at Yahoo Mail (and AOL) (provider rule)"
        ),
        "{frame}"
    );
    let rows: Vec<&str> = frame.lines().collect();
    let note_row = rows
        .iter()
        .position(|r| r.contains(&note[..40]))
        .expect("the note's first row");
    let detail_part = |row: &str| row.split('│').nth(3).unwrap_or("").to_string();
    let next = detail_part(rows[note_row + 1]);
    assert!(
        next.starts_with("          ") && !next.trim().is_empty(),
        "the note goes on indented under the value, not under the label: {next:?}\n{frame}"
    );
}

/// The selected address's stored checks in the detail pane, and its newest stored
/// conversation in the transcript pane (key H), as the loop would have read them.
#[test]
fn history_in_the_detail_and_a_stored_transcript() {
    use mxknock::engine::judge::verdict::Verdict;
    use mxknock::tui::app::{HistoryRead, PastCheck};
    let mut app = demo_mid_run();
    app.set_history_available(true);
    render(&mut app, 160, 36);
    let Some(HistoryRead::Past(address)) = app.history_wanted() else {
        panic!("the selected address's past is asked for")
    };
    let now = 1_796_220_309_000;
    let past = vec![
        PastCheck {
            id: 9,
            checked_at_ms: now - 3 * 3_600_000,
            verdict: Verdict::Deliverable,
            reason: Reason::Ok,
            reply: Some("250 2.1.5".into()),
            has_transcript: true,
        },
        PastCheck {
            id: 4,
            checked_at_ms: now - 8 * 86_400_000,
            verdict: Verdict::Undeliverable,
            reason: Reason::NoSuchUser,
            reply: Some("550 5.1.1".into()),
            has_transcript: false,
        },
    ];
    app.past_loaded(&address, Ok(past), now);
    app.update(Action::StoredTranscripts);
    assert_eq!(app.history_wanted(), Some(HistoryRead::Transcript(9)));
    let text = "   0.041s  <-  220 mx.lab.test ESMTP  (41 ms)\n   0.042s  ->  EHLO verifier.example\n   0.090s  ->  RCPT TO:<alice@lab.test>\n   0.131s  <-  250 2.1.5 Ok  (41 ms)\n";
    app.stored_transcript_loaded(9, Ok(Some(text.into())));
    let frame = render(&mut app, 160, 36);
    assert!(
        frame.contains("3 h ago  deliverable (ok) 250 2.1.5  <- changed (was undeliverable)"),
        "{frame}"
    );
    assert!(
        frame.contains("8 days ago  undeliverable (no_such_user) 550 5.1.1"),
        "{frame}"
    );
    assert!(
        frame.contains("stored transcript 1/1 · 3 h ago · deliverable (ok)"),
        "{frame}"
    );
    assert!(frame.contains("RCPT TO:<alice@lab.test>"), "{frame}");
    insta::assert_snapshot!(frame);
}
