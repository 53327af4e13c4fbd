//! Unit tests of what the app asks of the history and how it shows the answers: the past of
//! the selected address, its stored conversations (H, [ and ]), and the re-read after a check.

use std::time::Duration;

use super::*;
use crate::engine::judge::verdict::{Reason, Report, Verdict};

fn app_with_history(addresses: &[&str]) -> App {
    let mut app = App::new(Keymap::default());
    let effects = app.add_addresses(addresses.iter().map(|a| (a.to_string(), 1)));
    for (i, effect) in effects.into_iter().enumerate() {
        let Effect::Check { row, .. } = effect else {
            panic!("{effect:?}")
        };
        app.bind_job(row, JobId(i as u64));
    }
    app.refresh_view();
    app.set_history_available(true);
    app
}

fn check(id: i64, verdict: Verdict, reason: Reason, has_transcript: bool) -> PastCheck {
    PastCheck {
        id,
        checked_at_ms: 1_000 * id,
        verdict,
        reason,
        reply: None,
        has_transcript,
    }
}

fn answer_past(app: &mut App, checks: Vec<PastCheck>) -> String {
    let Some(HistoryRead::Past(address)) = app.history_wanted() else {
        panic!("expected a past read, got {:?}", app.history_wanted())
    };
    app.past_loaded(&address, Ok(checks), 10_000_000);
    address
}

#[test]
fn without_a_history_nothing_is_asked_and_h_says_why() {
    let mut app = app_with_history(&["a@x.test"]);
    app.set_history_available(false);
    assert_eq!(app.history_wanted(), None);
    app.update(Action::StoredTranscripts);
    assert!(app.past.stored.is_none());
    assert!(
        app.banner
            .as_ref()
            .unwrap()
            .text
            .contains("no history here")
    );
}

#[test]
fn the_selected_address_past_is_read_once_and_again_when_the_selection_moves() {
    let mut app = app_with_history(&["a@x.test", "b@x.test"]);
    assert_eq!(app.selected_past(), None);
    let address = answer_past(
        &mut app,
        vec![check(1, Verdict::Deliverable, Reason::Ok, true)],
    );
    assert_eq!(address, "a@x.test");
    assert_eq!(app.history_wanted(), None, "read once");
    assert_eq!(app.selected_past().unwrap().len(), 1);
    app.update(Action::Down);
    assert_eq!(app.selected_past(), None, "a's past is not b's");
    assert_eq!(answer_past(&mut app, Vec::new()), "b@x.test");
    assert_eq!(app.selected_past(), Some(&[][..]));
}

#[test]
fn a_finished_check_of_the_selected_address_reads_its_past_again_a_moment_later() {
    let mut app = app_with_history(&["a@x.test", "b@x.test"]);
    answer_past(&mut app, Vec::new());
    let now = app.now;
    app.apply(EngineEvent {
        job: JobId(0),
        kind: EventKind::Finished(Box::new(Report::new("a@x.test", Reason::Ok, "test"))),
    });
    assert_eq!(
        app.history_wanted(),
        None,
        "not before the recorder commits"
    );
    app.tick(now + Duration::from_millis(400), 0);
    assert_eq!(
        app.history_wanted(),
        Some(HistoryRead::Past("a@x.test".into()))
    );
    // Another row finishing asks nothing.
    answer_past(&mut app, Vec::new());
    app.apply(EngineEvent {
        job: JobId(1),
        kind: EventKind::Finished(Box::new(Report::new("b@x.test", Reason::Ok, "test"))),
    });
    app.tick(now + Duration::from_secs(2), 0);
    assert_eq!(app.history_wanted(), None);
}

#[test]
fn h_opens_the_stored_transcripts_newest_first_and_brackets_step_through_them() {
    let mut app = app_with_history(&["a@x.test"]);
    answer_past(
        &mut app,
        vec![
            check(3, Verdict::Deliverable, Reason::Ok, true),
            check(2, Verdict::Unknown, Reason::Greylisted, false),
            check(1, Verdict::Undeliverable, Reason::NoSuchUser, true),
        ],
    );
    app.update(Action::StoredTranscripts);
    assert_eq!(app.focus, Pane::Transcript);
    let (shown, position, count) = app.shown_stored_check().unwrap();
    assert_eq!(
        (shown.id, position, count),
        (3, 1, 2),
        "only checks that kept one"
    );
    assert_eq!(app.history_wanted(), Some(HistoryRead::Transcript(3)));
    assert_eq!(app.stored_transcript_lines(), None, "until read");
    app.stored_transcript_loaded(
        3,
        Ok(Some("  0.001s  ->  EHLO a\n  0.002s  <-  250 ok\n".into())),
    );
    assert_eq!(app.stored_transcript_lines().unwrap().len(), 2);
    assert_eq!(app.history_wanted(), None);

    app.update(Action::OlderStoredTranscript);
    assert_eq!(app.shown_stored_check().unwrap().0.id, 1);
    assert_eq!(app.history_wanted(), Some(HistoryRead::Transcript(1)));
    app.stored_transcript_loaded(1, Ok(None));
    assert!(app.stored_transcript_missing());
    app.update(Action::OlderStoredTranscript);
    assert_eq!(
        app.shown_stored_check().unwrap().0.id,
        1,
        "stops at the oldest"
    );
    app.update(Action::NewerStoredTranscript);
    assert_eq!(app.shown_stored_check().unwrap().0.id, 3);

    app.update(Action::Dismiss);
    assert!(
        app.past.stored.is_none(),
        "Esc goes back to the live transcript"
    );
    assert!(app.follow);
    app.update(Action::StoredTranscripts);
    app.update(Action::StoredTranscripts);
    assert!(app.past.stored.is_none(), "H again too");
}

#[test]
fn h_on_an_address_with_no_stored_conversation_says_so() {
    let mut app = app_with_history(&["a@x.test"]);
    answer_past(
        &mut app,
        vec![check(1, Verdict::Deliverable, Reason::Ok, false)],
    );
    app.update(Action::StoredTranscripts);
    assert!(app.past.stored.is_none());
    assert!(
        app.banner
            .as_ref()
            .unwrap()
            .text
            .contains("keeps no conversation of a@x.test")
    );
}

#[test]
fn the_stored_view_follows_the_selection_from_its_newest() {
    let mut app = app_with_history(&["a@x.test", "b@x.test"]);
    answer_past(
        &mut app,
        vec![
            check(2, Verdict::Deliverable, Reason::Ok, true),
            check(1, Verdict::Deliverable, Reason::Ok, true),
        ],
    );
    app.update(Action::StoredTranscripts);
    app.update(Action::OlderStoredTranscript);
    app.focus = Pane::List;
    app.update(Action::Down);
    answer_past(
        &mut app,
        vec![check(7, Verdict::Risky, Reason::AcceptAll, true)],
    );
    let (shown, position, _) = app.shown_stored_check().unwrap();
    assert_eq!((shown.id, position), (7, 1));
    assert_eq!(app.history_wanted(), Some(HistoryRead::Transcript(7)));
}

#[test]
fn a_read_error_is_shown_and_stops_further_reads() {
    let mut app = app_with_history(&["a@x.test"]);
    let Some(HistoryRead::Past(address)) = app.history_wanted() else {
        panic!()
    };
    app.past_loaded(&address, Err("disk I/O error".into()), 0);
    assert!(app.banner.as_ref().unwrap().error);
    assert_eq!(app.history_wanted(), None);
}
