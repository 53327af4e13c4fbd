//! Unit tests of the seams between the loop and the `App`: the viewport it is told, mouse
//! actions through `update`, and the answers to a question through the keymap.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

use super::*;
use crate::tui::keymap::Question;

fn app_with(n: usize) -> App {
    let mut app = App::new(Keymap::default());
    app.add_addresses((0..n).map(|i| (format!("user{i}@lab.test"), 1)));
    app
}

/// A 120x30 screen: the list on the left, the detail over the transcript on the right.
fn wide() -> Viewport {
    Viewport {
        screen: Rect::new(0, 0, 120, 30),
        list: Rect::new(0, 0, 54, 28),
        detail: Rect::new(54, 0, 66, 12),
        transcript: Rect::new(54, 12, 66, 16),
    }
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// The answer `code` gives to the open question, carried out as the loop does.
fn answer(app: &mut App, question: Question, code: KeyCode) -> Vec<Effect> {
    let action = app
        .keymap
        .answer(question, &key(code))
        .unwrap_or_else(|| panic!("{code:?} answers {question:?}"));
    app.update(action)
}

#[test]
fn set_viewport_sets_the_page_sizes_refreshes_the_view_and_measures_the_detail() {
    let mut app = app_with(100);
    assert!(app.view_dirty, "rows were added");
    let mut measured = None;
    app.set_viewport(wide(), |app, detail| {
        measured = Some((app.view_dirty, detail));
        7
    });
    assert_eq!(app.viewport(), wide());
    assert_eq!(
        app.list_height(),
        25,
        "the list's border and header take 3 lines"
    );
    assert_eq!(
        app.transcript_height(),
        14,
        "the larger right pane, less its border"
    );
    assert_eq!(
        measured,
        Some((false, wide().detail)),
        "the detail is measured in its pane after the view is refreshed"
    );
    assert_eq!(app.detail_max_offset(), 7);
    app.update(Action::PageDown);
    assert_eq!(app.selected, 25, "a page is the list's height");
}

#[test]
fn set_viewport_keeps_the_selection_in_view_of_a_smaller_list() {
    let mut app = app_with(100);
    app.set_viewport(wide(), |_, _| 0);
    app.update(Action::PageDown);
    app.update(Action::PageDown);
    assert_eq!(app.selected, 50);
    let small = Viewport {
        list: Rect::new(0, 0, 54, 8),
        ..wide()
    };
    app.view_dirty = true;
    app.set_viewport(small, |_, _| 0);
    assert_eq!(app.list_height(), 5);
    assert!(app.offset <= 50 && 50 < app.offset + 5, "{}", app.offset);
}

#[test]
fn a_click_on_a_list_row_selects_it_and_elsewhere_focuses_the_pane() {
    let mut app = app_with(100);
    app.set_viewport(wide(), |_, _| 0);
    app.focus = Pane::Transcript;
    // The list's first row is under its top border and header line.
    assert!(
        app.update(Action::Click {
            column: 5,
            row: 2 + 4
        })
        .is_empty()
    );
    assert_eq!((app.focus, app.selected), (Pane::List, 4));
    app.update(Action::Click { column: 5, row: 1 });
    assert_eq!(app.selected, 4, "the header selects nothing");
    app.update(Action::Click { column: 5, row: 27 });
    assert_eq!(app.selected, 4, "nor the bottom border");
    app.update(Action::Click { column: 60, row: 3 });
    assert_eq!((app.focus, app.selected), (Pane::Detail, 4));
    app.update(Action::Click {
        column: 60,
        row: 20,
    });
    assert_eq!(app.focus, Pane::Transcript);
}

#[test]
fn a_click_below_the_last_row_focuses_the_list_and_selects_nothing() {
    let mut app = app_with(3);
    app.set_viewport(wide(), |_, _| 0);
    app.focus = Pane::Detail;
    app.update(Action::Click { column: 5, row: 20 });
    assert_eq!((app.focus, app.selected), (Pane::List, 0));
}

#[test]
fn the_wheel_scrolls_the_pane_under_the_pointer() {
    let mut app = app_with(100);
    app.set_viewport(wide(), |_, _| 4);
    let wheel = |column, row, down| Action::Wheel { column, row, down };
    app.update(wheel(5, 10, true));
    assert_eq!((app.focus, app.selected), (Pane::List, 3));
    app.update(wheel(5, 10, false));
    assert_eq!(app.selected, 0);
    app.update(wheel(60, 3, true));
    assert_eq!(app.focus, Pane::Detail);
    assert_eq!(
        (app.selected, app.detail_offset),
        (0, 3),
        "the detail scrolled, not the list"
    );
    app.update(wheel(60, 3, true));
    assert_eq!(app.detail_offset, 4, "within the measured limit");
    app.update(wheel(119, 29, true));
    assert_eq!(
        app.focus,
        Pane::Detail,
        "off the panes the focused pane scrolls"
    );
}

#[test]
fn the_mouse_leaves_the_banner_as_it_is() {
    let mut app = app_with(10);
    app.set_viewport(wide(), |_, _| 0);
    app.info("exported");
    app.update(Action::Click { column: 5, row: 3 });
    app.update(Action::Wheel {
        column: 5,
        row: 3,
        down: true,
    });
    assert!(app.banner.is_some(), "a key would have taken it away");
    app.update(Action::Down);
    assert!(app.banner.is_none());
}

#[test]
fn the_quit_question_through_the_keymap() {
    for (code, quits) in [
        (KeyCode::Char('y'), true),
        (KeyCode::Enter, true),
        (KeyCode::Char('n'), false),
        (KeyCode::Esc, false),
    ] {
        let mut app = app_with(2);
        app.update(Action::Quit);
        assert_eq!(app.mode, Mode::ConfirmQuit);
        let effects = answer(&mut app, Question::Quit, code);
        assert_eq!(app.mode, Mode::Normal, "{code:?} closes the question");
        assert_eq!(app.quit, quits, "{code:?}");
        assert_eq!(effects.contains(&Effect::Quit), quits, "{code:?}");
    }
    let mut app = app_with(2);
    app.update(Action::Quit);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    let action = app.keymap.answer(Question::Quit, &ctrl_c);
    assert_eq!(action, Some(Action::Confirm(true)));
    assert_eq!(app.update(Action::Confirm(true)), [Effect::Quit]);
}

#[test]
fn the_overwrite_question_through_the_keymap() {
    let write = Effect::Export {
        path: "out.csv".into(),
        overwrite: false,
    };
    for code in [KeyCode::Char('n'), KeyCode::Enter, KeyCode::Esc] {
        let mut app = app_with(1);
        app.ask_overwrite(write.clone());
        assert!(answer(&mut app, Question::Overwrite, code).is_empty());
        assert_eq!(app.mode, Mode::Normal, "{code:?}");
        assert_eq!(app.banner.clone().unwrap().text, "not written");
    }
    let mut app = app_with(1);
    app.ask_overwrite(write);
    assert_eq!(
        answer(&mut app, Question::Overwrite, KeyCode::Char('Y')),
        [Effect::Export {
            path: "out.csv".into(),
            overwrite: true,
        }]
    );
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn an_answer_without_a_question_does_nothing() {
    let mut app = app_with(2);
    app.info("kept");
    assert!(app.update(Action::Confirm(true)).is_empty());
    assert!(app.update(Action::Cancel).is_empty());
    assert!(!app.quit);
    assert_eq!(app.mode, Mode::Normal);
    assert!(app.banner.is_some());
}

/// The rows the view shows, position by position.
fn shown(app: &App) -> Vec<usize> {
    (0..app.view_len()).filter_map(|p| app.row_at(p)).collect()
}

#[test]
fn a_filtered_view_kept_up_by_merging_matches_a_rebuild_while_results_stream_in() {
    use crate::engine::judge::verdict::{Reason, Report};
    use crate::tui::rows::build_view;
    const N: usize = 400;
    let reasons = [
        Reason::Ok,
        Reason::NoSuchUser,
        Reason::AcceptAll,
        Reason::Greylisted,
    ];
    for filter in Filter::CYCLE {
        let mut app = app_with(N);
        for row in 0..N {
            app.bind_job(row, JobId(row as u64));
        }
        app.update(Action::Top);
        while app.filter != filter {
            app.update(Action::CycleFilter);
        }
        app.refresh_view();
        // Finish rows in a scrambled order, a few per frame, some twice (a re-check with a
        // new verdict), comparing the merged view with a full rebuild after every frame.
        let mut step = 0usize;
        for frame in 0..120 {
            for _ in 0..(1 + frame % 7) {
                step += 1;
                let row = (step * 7919) % N;
                let reason = reasons[(step * 31 + row) % reasons.len()];
                let report = Report::new(format!("user{row}@lab.test"), reason, "test");
                app.apply(EngineEvent {
                    job: JobId(row as u64),
                    kind: EventKind::Finished(Box::new(report)),
                });
            }
            app.refresh_view();
            let rebuilt: Vec<usize> = build_view(&app.rows, app.filter, app.sort, &app.providers)
                .into_iter()
                .map(|i| i as usize)
                .collect();
            if filter == Filter::All {
                assert_eq!(app.view_len(), N);
            } else {
                assert_eq!(shown(&app), rebuilt, "{filter:?} after frame {frame}");
            }
            assert!(app.selected < app.view_len().max(1));
        }
    }
}
