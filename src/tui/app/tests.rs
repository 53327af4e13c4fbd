//! Unit tests of `App::update` and `App::apply`, including the window arithmetic on a
//! million synthetic rows.

use std::time::Duration;

use super::*;
use crate::engine::event::Stage;
use crate::engine::judge::verdict::{Reason, Report, Verdict};
use crate::engine::transcript::{Direction, TranscriptLine};
use crate::tui::rows::Progress;

fn app_with(n: usize) -> App {
    let mut app = App::new(Keymap::default());
    let effects = app.add_addresses((0..n).map(|i| (format!("user{i}@domain{}.test", i % 50), 1)));
    assert_eq!(effects.len(), n);
    for (i, effect) in effects.into_iter().enumerate() {
        let Effect::Check { row, .. } = effect else {
            panic!("{effect:?}")
        };
        app.bind_job(row, JobId(i as u64));
    }
    app.list_height = 40;
    app.transcript_height = 10;
    app.refresh_view();
    app
}

fn finish(app: &mut App, job: u64, reason: Reason) {
    let address = app
        .job_rows
        .get(JobId(job))
        .map(|row| app.rows[row].address.to_string())
        .unwrap_or_default();
    app.apply(EngineEvent {
        job: JobId(job),
        kind: EventKind::Finished(Box::new(Report::new(address, reason, "test"))),
    });
}

fn line(app: &mut App, job: u64, text: &str) {
    app.apply(EngineEvent {
        job: JobId(job),
        kind: EventKind::Line(TranscriptLine {
            at: Duration::from_millis(5),
            direction: Direction::Received,
            tls: false,
            text: text.into(),
            response_time: None,
        }),
    });
}

#[test]
fn window_arithmetic_on_a_million_rows() {
    let mut app = app_with(1_000_000);
    assert_eq!(app.view_len(), 1_000_000);
    app.update(Action::PageDown);
    assert_eq!((app.selected, app.offset), (40, 1));
    app.update(Action::Bottom);
    assert_eq!(app.selected, 999_999);
    assert_eq!(app.offset, 999_960);
    app.update(Action::Down);
    assert_eq!(app.selected, 999_999, "no moving past the end");
    app.update(Action::PageUp);
    assert_eq!((app.selected, app.offset), (999_959, 999_959));
    app.update(Action::Top);
    assert_eq!((app.selected, app.offset), (0, 0));
    app.update(Action::Up);
    assert_eq!(app.selected, 0, "no moving before the start");
    for _ in 0..45 {
        app.update(Action::Down);
    }
    assert_eq!((app.selected, app.offset), (45, 6));
}

#[test]
fn filters_on_a_million_rows_keep_the_selection_and_count() {
    let mut app = app_with(1_000_000);
    for job in (0..1_000_000).step_by(10) {
        finish(&mut app, job, Reason::NoSuchUser);
    }
    assert_eq!(app.counts[Verdict::Undeliverable as usize], 100_000);
    assert_eq!(app.done, 100_000);
    app.selected = 500_000;
    app.update(Action::FilterUndeliverable);
    assert_eq!(app.view_len(), 100_000);
    assert_eq!(
        app.selected_row(),
        Some(500_000),
        "the selected row stays selected"
    );
    assert_eq!(app.selected, 50_000);
    app.update(Action::FilterAll);
    assert_eq!(app.view_len(), 1_000_000);
    assert_eq!(app.selected_row(), Some(500_000));
    app.update(Action::CycleFilter);
    assert_eq!(app.filter, Filter::Verdict(Verdict::Deliverable));
    assert_eq!(app.view_len(), 0);
}

#[test]
fn search_is_incremental_and_n_moves_between_matches() {
    let mut app = app_with(1_000);
    app.update(Action::Search);
    for c in "user99@".chars() {
        if let Mode::Prompt(p) = &mut app.mode {
            p.key(&crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Char(c),
                crossterm::event::KeyModifiers::NONE,
            ));
        }
        app.prompt_changed();
    }
    assert_eq!(app.selected_row(), Some(99));
    assert!(app.prompt_submitted().is_empty());
    assert_eq!(app.search.as_deref(), Some("user99@"));
    app.search = Some("user9".into());
    app.update(Action::SearchNext);
    assert_eq!(app.selected_row(), Some(900));
    app.update(Action::SearchPrev);
    assert_eq!(app.selected_row(), Some(99));
    app.search = Some("nobody".into());
    app.update(Action::SearchNext);
    assert!(app.search_failed);
    assert_eq!(
        app.selected_row(),
        Some(99),
        "a failed search does not move"
    );
}

#[test]
fn apply_tracks_progress_counts_and_active_sessions() {
    let mut app = app_with(3);
    app.apply(EngineEvent {
        job: JobId(1),
        kind: EventKind::Stage(Stage::Connecting("mx.test".into())),
    });
    assert_eq!(app.rows[1].progress, Progress::Connecting);
    assert_eq!(app.active, 1);
    app.apply(EngineEvent {
        job: JobId(1),
        kind: EventKind::Stage(Stage::RcptTo),
    });
    assert_eq!(app.active, 1);
    finish(&mut app, 1, Reason::Ok);
    assert_eq!(app.active, 0);
    assert_eq!(app.rows[1].verdict, Some(Verdict::Deliverable));
    assert_eq!(app.counts, [1, 0, 0, 0]);
    assert_eq!(app.pending(), 2);
}

#[test]
fn recheck_replaces_the_job_and_ignores_the_old_one() {
    let mut app = app_with(2);
    finish(&mut app, 0, Reason::Greylisted);
    assert_eq!(app.counts[Verdict::Unknown as usize], 1);
    let effects = app.update(Action::RecheckUnknown);
    assert_eq!(
        effects,
        [Effect::Check {
            row: 0,
            address: "user0@domain0.test".into(),
            fresh: true,
        }]
    );
    assert_eq!(app.counts, [0; 4]);
    app.bind_job(0, JobId(7));
    finish(&mut app, 0, Reason::NoSuchUser);
    assert_eq!(
        app.rows[0].verdict, None,
        "events of the superseded job are ignored"
    );
    finish(&mut app, 7, Reason::Ok);
    assert_eq!(app.rows[0].verdict, Some(Verdict::Deliverable));
    assert_eq!(app.done, 1);
}

#[test]
fn quit_asks_while_checks_run() {
    let mut app = app_with(2);
    assert!(app.update(Action::Quit).is_empty());
    assert_eq!(app.mode, Mode::ConfirmQuit);
    assert!(app.confirm_quit(false).is_empty());
    assert!(!app.quit);
    assert_eq!(app.update(Action::ForceQuit), [Effect::Quit]);
    let mut idle = App::new(Keymap::default());
    assert_eq!(idle.update(Action::Quit), [Effect::Quit]);
}

#[test]
fn transcript_follows_until_scrolled_up_then_counts_new_lines() {
    let mut app = app_with(1);
    for i in 0..30 {
        line(&mut app, 0, &format!("250-line {i}"));
    }
    app.focus = Pane::Transcript;
    assert!(app.follow);
    app.update(Action::Up);
    assert!(!app.follow);
    assert_eq!(app.transcript_offset, 19);
    line(&mut app, 0, "250 late");
    line(&mut app, 0, "250 later");
    assert_eq!(app.unseen_lines, 2);
    app.update(Action::Bottom);
    assert!(app.follow);
    assert_eq!(app.unseen_lines, 0);
}

#[test]
fn details_are_evicted_beyond_capacity_but_rows_keep_their_summary() {
    let mut app = app_with(DETAIL_CAPACITY + 10);
    for job in 0..(DETAIL_CAPACITY + 10) as u64 {
        finish(&mut app, job, Reason::Ok);
    }
    assert!(
        app.detail(JobId(0)).is_some(),
        "the selected row's detail is kept"
    );
    assert!(app.detail(JobId(1)).is_none(), "old details are evicted");
    assert!(app.detail(JobId((DETAIL_CAPACITY + 9) as u64)).is_some());
    assert_eq!(app.rows[1].verdict, Some(Verdict::Deliverable));
    let report = app.report_for_export(1).unwrap();
    assert_eq!(report.reason, Reason::Ok);
}

#[test]
fn adding_an_address_from_the_prompt_starts_a_check_and_selects_it() {
    let mut app = app_with(3);
    app.update(Action::Add);
    if let Mode::Prompt(p) = &mut app.mode {
        *p = crate::tui::prompt::Prompt::with_text(PromptKind::Add, " new@x.test ");
    }
    let effects = app.prompt_submitted();
    assert_eq!(
        effects,
        [Effect::Check {
            row: 3,
            address: "new@x.test".into(),
            fresh: false,
        }]
    );
    assert_eq!(app.selected_row(), Some(3));
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn pause_is_an_effect() {
    let mut app = app_with(1);
    assert_eq!(app.update(Action::TogglePause), [Effect::SetPaused(true)]);
    assert_eq!(app.update(Action::TogglePause), [Effect::SetPaused(false)]);
}

#[test]
fn a_click_selects_the_row_under_the_mouse_and_the_wheel_scrolls() {
    let mut app = app_with(100);
    app.update(Action::PageDown);
    app.focus = Pane::Transcript;
    app.click_list(3);
    assert_eq!(app.focus, Pane::List);
    assert_eq!(app.selected, app.offset + 3);
    app.click_list(500);
    assert_eq!(
        app.selected,
        app.offset + 3,
        "a click below the last row does nothing"
    );
    let before = app.selected;
    app.wheel(true);
    assert_eq!(app.selected, before + 3);
}

#[test]
fn greylisted_rows_count_down_to_their_recheck() {
    let mut app = app_with(1);
    app.apply(EngineEvent {
        job: JobId(0),
        kind: EventKind::Stage(Stage::RcptTo),
    });
    assert_eq!(app.active, 1);
    app.apply(EngineEvent {
        job: JobId(0),
        kind: EventKind::Stage(Stage::Greylisted(60)),
    });
    assert_eq!(app.rows[0].progress, Progress::Greylisted);
    assert_eq!(app.active, 0, "a greylisted address holds no session");
    let later = app.now + Duration::from_secs(18);
    assert_eq!(
        app.rows[0].live_cells(later),
        ("greylisted", "re-check in 42 s".to_string())
    );
    assert_eq!(app.rows[0].live_label_compact(later), "grey 42s");
    let overdue = app.now + Duration::from_secs(61);
    assert_eq!(
        app.rows[0].live_cells(overdue),
        ("greylisted", "re-check due".to_string())
    );
    finish(&mut app, 0, Reason::Ok);
    assert_eq!(app.rows[0].retry_at, None);
}

#[test]
fn the_detail_scrolls_within_its_content_and_end_then_down_is_safe() {
    let mut app = app_with(3);
    app.focus = Pane::Detail;
    app.detail_max_offset = 5;
    app.update(Action::Bottom);
    assert_eq!(app.detail_offset, 5);
    app.update(Action::Down);
    assert_eq!(app.detail_offset, 5, "no scrolling past the end");
    app.update(Action::Up);
    assert_eq!(app.detail_offset, 4, "Up moves back at once after End");
    app.update(Action::PageDown);
    assert_eq!(app.detail_offset, 5);
    app.update(Action::Top);
    app.update(Action::Up);
    assert_eq!(app.detail_offset, 0);
    app.detail_max_offset = 0;
    for _ in 0..3 {
        app.update(Action::Down);
    }
    assert_eq!(app.detail_offset, 0, "a detail that fits does not scroll");
}

#[test]
fn info_goes_with_the_next_key_and_an_error_stays_until_esc() {
    let mut app = app_with(3);
    app.info("exported");
    app.update(Action::Down);
    assert!(app.banner.is_none());
    app.error("cannot read x");
    app.update(Action::Down);
    app.update(Action::CycleFilter);
    assert!(app.banner.is_some(), "an error outlives ordinary keys");
    app.update(Action::Dismiss);
    assert!(app.banner.is_none());
}

#[test]
fn an_address_added_under_a_filter_that_hides_it_is_shown_and_selected() {
    let mut app = app_with(3);
    finish(&mut app, 0, Reason::Ok);
    app.update(Action::FilterDeliverable);
    app.refresh_view();
    assert_eq!(app.view_len(), 1);
    app.mode = Mode::Prompt(crate::tui::prompt::Prompt::with_text(
        crate::tui::prompt::PromptKind::Add,
        "zed@lab.test",
    ));
    let effects = app.prompt_submitted();
    assert_eq!(effects.len(), 1);
    assert_eq!(app.filter, Filter::All);
    assert_eq!(app.view_len(), 4);
    let selected = app.selected_row().unwrap();
    assert_eq!(app.rows[selected].address.as_ref(), "zed@lab.test");
    assert!(app.banner.as_ref().is_some_and(|b| !b.error));
}

#[test]
fn sorting_by_domain_ignores_case() {
    let mut app = App::new(Keymap::default());
    app.add_addresses(
        ["b@lab.test", "x@ZZZ.TEST", "Bob@Lab.Test", "a@aonly.test"].map(|a| (a.to_string(), 1)),
    );
    app.sort = Sort::Domain;
    app.view_dirty = true;
    app.refresh_view();
    let order: Vec<&str> = (0..app.view_len())
        .map(|p| app.rows[app.row_at(p).unwrap()].address.as_ref())
        .collect();
    assert_eq!(
        order,
        ["a@aonly.test", "b@lab.test", "Bob@Lab.Test", "x@ZZZ.TEST"]
    );
}

#[test]
fn the_eta_waits_for_the_last_recheck_and_hides_while_paused() {
    let mut app = app_with(2);
    finish(&mut app, 0, Reason::Ok);
    app.apply(EngineEvent {
        job: JobId(1),
        kind: EventKind::Stage(Stage::Greylisted(60)),
    });
    app.now += Duration::from_secs(1);
    let eta = app.eta().expect("one check pending");
    assert!(eta >= Duration::from_secs(58), "{eta:?}");
    app.paused = true;
    assert_eq!(app.eta(), None);
}

#[test]
fn counts_read_as_english() {
    assert_eq!(crate::tui::count(1, "address"), "1 address");
    assert_eq!(crate::tui::count(3, "address"), "3 addresses");
    assert_eq!(crate::tui::count(0, "bad row"), "0 bad rows");
    assert_eq!(crate::tui::count(1, "check"), "1 check");
}

#[test]
fn a_search_that_finds_nothing_says_so_after_enter_and_on_next() {
    let mut app = app_with(3);
    app.update(Action::SearchNext);
    assert!(
        app.banner
            .as_ref()
            .is_some_and(|b| b.text.contains("press /"))
    );
    app.update(Action::Search);
    if let Mode::Prompt(prompt) = &mut app.mode {
        *prompt =
            crate::tui::prompt::Prompt::with_text(crate::tui::prompt::PromptKind::Search, "zzz");
    }
    app.prompt_changed();
    app.prompt_submitted();
    let banner = app.banner.clone().expect("a banner");
    assert!(
        banner.error && banner.text.contains("\"zzz\""),
        "{banner:?}"
    );
    app.update(Action::Dismiss);
    app.update(Action::SearchNext);
    assert!(app.banner.as_ref().is_some_and(|b| b.text.contains("zzz")));
}

fn checks(effects: &[Effect]) -> Vec<(usize, &str)> {
    effects
        .iter()
        .map(|e| match e {
            Effect::Check { row, address, .. } => (*row, address.as_str()),
            other => panic!("not a check: {other:?}"),
        })
        .collect()
}

#[test]
fn a_paste_into_the_add_prompt_adds_every_address_it_holds() {
    let mut app = app_with(2);
    app.update(Action::Add);
    let effects = app.paste(" a@x.test\r\nb@x.test,c@x.test ;\n\n d@x.test\t e@x.test ;; \r");
    assert_eq!(
        checks(&effects),
        [
            (2, "a@x.test"),
            (3, "b@x.test"),
            (4, "c@x.test"),
            (5, "d@x.test"),
            (6, "e@x.test")
        ]
    );
    assert_eq!(app.rows.len(), 7);
    assert_eq!(app.mode, Mode::Normal, "the prompt is closed");
    assert_eq!(app.selected_row(), Some(2), "the first new one is selected");
    let banner = app.banner.clone().expect("a message");
    assert_eq!(banner.text, "added 5 addresses");
    assert!(!banner.error);
    assert!(!app.quit);
}

#[test]
fn a_paste_into_the_add_prompt_joins_what_was_typed() {
    let mut app = App::new(Keymap::default());
    app.mode = Mode::Prompt(Prompt::with_text(PromptKind::Add, "ali"));
    let effects = app.paste("ce@x.test\rbob@x.test");
    assert_eq!(checks(&effects), [(0, "alice@x.test"), (1, "bob@x.test")]);
    assert_eq!(app.banner.unwrap().text, "added 2 addresses");
}

#[test]
fn a_paste_under_a_filter_that_hides_the_new_rows_shows_all() {
    let mut app = app_with(3);
    finish(&mut app, 0, Reason::Ok);
    app.update(Action::FilterDeliverable);
    app.update(Action::Add);
    let effects = app.paste("new@x.test");
    assert_eq!(checks(&effects), [(3, "new@x.test")]);
    assert_eq!(app.filter, Filter::All);
    assert_eq!(app.selected_row(), Some(3));
    assert!(
        app.banner
            .unwrap()
            .text
            .starts_with("added 1 address; showing all")
    );
}

#[test]
fn a_paste_without_an_address_leaves_the_add_prompt_open() {
    let mut app = App::new(Keymap::default());
    app.update(Action::Add);
    assert!(app.paste(" ,;\r\n ").is_empty());
    assert!(app.rows.is_empty());
    assert!(matches!(&app.mode, Mode::Prompt(p) if p.kind == PromptKind::Add));
    assert_eq!(app.banner.unwrap().text, "the paste holds no address");
}

#[test]
fn a_paste_into_another_prompt_types_its_first_line_only() {
    let mut app = app_with(3);
    app.update(Action::Export);
    assert!(
        app.paste("\r\n  out/\u{1b}[31mlist.csv \r\nq\re")
            .is_empty()
    );
    let Mode::Prompt(prompt) = &app.mode else {
        panic!("{:?}", app.mode)
    };
    assert_eq!(
        prompt.text(),
        "out/[31mlist.csv",
        "the paste replaced the default"
    );
    assert!(!app.quit);

    app.mode = Mode::Prompt(Prompt::new(PromptKind::Open));
    app.paste("lists/a.txt\nlists/b.txt");
    assert!(matches!(&app.mode, Mode::Prompt(p) if p.text() == "lists/a.txt"));
    assert_eq!(app.prompt_submitted(), [Effect::Load("lists/a.txt".into())]);
}

#[test]
fn a_paste_into_the_search_prompt_searches_as_typing_would() {
    let mut app = app_with(1_000);
    app.update(Action::Search);
    app.paste("user99@\nuser5");
    assert_eq!(app.selected_row(), Some(99));
    assert!(matches!(&app.mode, Mode::Prompt(p) if p.text() == "user99@"));
}

#[test]
fn a_paste_outside_a_prompt_is_never_read_as_keys() {
    let mut app = app_with(3);
    let effects = app.paste("eq\ry\r");
    assert!(effects.is_empty());
    assert_eq!(app.mode, Mode::Normal);
    assert!(!app.quit);
    assert_eq!(
        app.banner.clone().unwrap().text,
        "paste ignored: press a to add addresses"
    );

    app.update(Action::Quit);
    assert_eq!(app.mode, Mode::ConfirmQuit, "checks are running");
    assert!(app.paste("y\r").is_empty());
    assert_eq!(app.mode, Mode::ConfirmQuit, "the paste did not answer");
    assert!(!app.quit);
}

#[test]
fn the_provider_filter_cycles_through_the_providers_seen_and_back_to_all() {
    use crate::engine::knowledge::providers::ProviderTag;
    let mut app = app_with(6);
    app.update(Action::CycleProviderFilter);
    assert_eq!(app.filter, Filter::All, "no provider known yet");
    assert!(app.banner.is_some(), "says why");
    for (job, id) in [
        (0, Some("google")),
        (1, Some("yahoo")),
        (2, None),
        (3, Some("google")),
    ] {
        let mut report = Report::new(app.rows[job].address.to_string(), Reason::Ok, "ok");
        report.provider = id.map(|id| ProviderTag {
            id: id.into(),
            name: id.to_uppercase(),
            note: None,
            skips_probe: false,
        });
        app.apply(EngineEvent {
            job: JobId(job as u64),
            kind: EventKind::Finished(Box::new(report)),
        });
    }
    app.update(Action::CycleProviderFilter);
    assert_eq!(app.filter_label(), "provider google");
    assert_eq!(app.view_len(), 2);
    app.update(Action::CycleProviderFilter);
    assert_eq!(app.filter_label(), "provider yahoo");
    assert_eq!(app.view_len(), 1);
    app.update(Action::CycleProviderFilter);
    assert_eq!(app.filter, Filter::All);
    assert_eq!(app.view_len(), 6);
    // Sorted by provider: google's two, yahoo's, then the rest in domain order.
    while app.sort != Sort::Provider {
        app.update(Action::CycleSort);
    }
    let order: Vec<usize> = (0..4).filter_map(|i| app.row_at(i)).collect();
    assert_eq!(&order[..3], &[0, 3, 1]);
}
