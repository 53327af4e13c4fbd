//! The real event loop, driven by scripted keys against the lab engine, on a TestBackend.

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::StreamExt;
use mxknock::config::Config;
use mxknock::engine::Engine;
use mxknock::engine::judge::verdict::Verdict;
use mxknock::lab::{Lab, LabOptions};
use mxknock::tui::app::App;
use mxknock::tui::keymap::Keymap;
use mxknock::tui::theme::Theme;
use mxknock::tui::{carry_out, run_loop};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

fn key(c: char) -> std::io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

fn special(code: KeyCode) -> std::io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

#[tokio::test]
async fn scripted_keys_add_filter_and_quit_against_the_lab() {
    let lab = Lab::start(LabOptions::fast()).await.unwrap();
    let mut config = Config::default();
    config.smtp.helo = Some("verifier.lab.test".into());
    config.engine.greylist_max_wait = 0.0;
    let (engine, events) =
        Engine::start(Arc::new(config), lab.net(Duration::from_secs(2)).unwrap());
    let mut app = App::new(Keymap::default());
    let initial = app.add_addresses(
        ["alice@lab.test", "nobody@lab.test", "alice@greylist.test"].map(|a| (a.to_string(), 1)),
    );
    carry_out(&mut app, &engine, initial);

    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.csv");
    std::fs::write(
        &list,
        "\u{feff}Name,Email\r\nDave,dave@lab.test\r\nBad,\r\nAgain,DAVE@lab.test\r\n",
    )
    .unwrap();
    let list_path = list.to_str().unwrap().to_string();
    let (keys, input) = mpsc::unbounded_channel();
    let script = tokio::spawn(async move {
        let send = |e| keys.send(e).unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        send(key('a'));
        for c in "carol@lab.test".chars() {
            send(key(c));
        }
        send(special(KeyCode::Enter));
        tokio::time::sleep(Duration::from_millis(300)).await;
        send(key('o'));
        for c in list_path.chars() {
            send(key(c));
        }
        send(special(KeyCode::Enter));
        tokio::time::sleep(Duration::from_millis(1500)).await;
        send(key('4')); // undeliverable only
        send(key('g'));
        tokio::time::sleep(Duration::from_millis(200)).await;
        send(key('q'));
        keys
    });
    let input = tokio_stream_from(input);
    let mut terminal = Terminal::new(TestBackend::new(110, 24)).unwrap();
    tokio::time::timeout(
        Duration::from_secs(20),
        run_loop(
            &mut terminal,
            &mut app,
            &engine,
            events,
            input,
            &Theme::mono(),
        ),
    )
    .await
    .expect("the loop ends on q")
    .unwrap();
    let _keys = script.await.unwrap();

    assert!(app.quit);
    assert_eq!(
        app.rows.len(),
        5,
        "the added address and the loaded one are in the list"
    );
    assert_eq!(app.rows[4].address.as_ref(), "dave@lab.test");
    assert_eq!(app.rows[4].count, 2, "the duplicate collapsed");
    let banner = app.banner.clone().expect("the load left a banner");
    assert!(
        banner.text.contains("line 3"),
        "the bad row is named: {banner:?}"
    );
    assert_eq!(app.done, 5);
    assert_eq!(app.counts[Verdict::Deliverable as usize], 1);
    assert_eq!(app.counts[Verdict::Undeliverable as usize], 2);
    assert_eq!(app.counts[Verdict::Risky as usize], 1);
    assert_eq!(app.counts[Verdict::Unknown as usize], 1);
    let frame = terminal.backend().to_string();
    assert!(
        frame.contains("2 of 5 addresses · filter undeliverable"),
        "{frame}"
    );
    assert!(frame.contains("nobody@lab.test"), "{frame}");
    assert!(!frame.contains("carol@lab.test  "), "filtered out: {frame}");
    assert!(
        frame.contains("550 5.1.1"),
        "the transcript of the selected row: {frame}"
    );
    assert!(!lab.log.saw_verb("DATA"));
}

/// An unbounded receiver as a Stream, without pulling in tokio-stream.
fn tokio_stream_from(
    mut rx: mpsc::UnboundedReceiver<std::io::Result<Event>>,
) -> impl futures::Stream<Item = std::io::Result<Event>> + Unpin {
    Box::pin(futures::stream::poll_fn(move |cx| rx.poll_recv(cx))).boxed()
}

#[tokio::test]
async fn export_asks_before_replacing_a_file_and_only_yes_replaces_it() {
    use mxknock::tui::app::{Effect, Mode};
    use mxknock::tui::handle_input;
    let lab = Lab::start(LabOptions::fast()).await.unwrap();
    let mut config = Config::default();
    config.smtp.helo = Some("verifier.lab.test".into());
    let (engine, mut events) =
        Engine::start(Arc::new(config), lab.net(Duration::from_secs(2)).unwrap());
    let mut app = App::new(Keymap::default());
    let initial = app.add_addresses([("alice@lab.test".to_string(), 1)]);
    carry_out(&mut app, &engine, initial);
    while app.done < 1 {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .expect("the check finishes")
            .expect("an event");
        app.apply(event);
    }
    app.refresh_view();

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.csv");
    std::fs::write(&path, "keep me\n").unwrap();
    let export = || {
        vec![Effect::Export {
            path: path.clone(),
            overwrite: false,
        }]
    };
    carry_out(&mut app, &engine, export());
    assert!(
        matches!(app.mode, Mode::ConfirmOverwrite(_)),
        "{:?}",
        app.mode
    );
    let effects = handle_input(&mut app, key('n').unwrap());
    carry_out(&mut app, &engine, effects);
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me\n");

    carry_out(&mut app, &engine, export());
    let effects = handle_input(&mut app, key('y').unwrap());
    carry_out(&mut app, &engine, effects);
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(
        written.starts_with("address,normalized,verdict"),
        "{written}"
    );
    assert!(written.contains("alice@lab.test"), "{written}");
    let banner = app.banner.clone().expect("a banner");
    assert!(banner.text.contains("exported 1 address to"), "{banner:?}");
}

#[test]
fn the_wheel_and_clicks_act_on_the_pane_under_the_pointer() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    use mxknock::tui::app::Pane;
    use mxknock::tui::{handle_input, view};
    let mut app = App::new(Keymap::default());
    app.add_addresses((0..50).map(|i| (format!("user{i}@lab.test"), 1)));
    let screen = ratatui::layout::Rect::new(0, 0, 120, 30);
    mxknock::tui::fit_viewport(&mut app, screen);
    let areas = view::layout(screen, &app);
    let mouse = |kind, area: ratatui::layout::Rect| {
        Event::Mouse(MouseEvent {
            kind,
            column: area.x + area.width / 2,
            row: area.y + area.height / 2,
            modifiers: KeyModifiers::NONE,
        })
    };
    handle_input(
        &mut app,
        mouse(MouseEventKind::ScrollDown, areas.transcript),
    );
    assert_eq!(app.focus, Pane::Transcript);
    assert_eq!(app.selected, 0, "the list did not move");
    handle_input(&mut app, mouse(MouseEventKind::ScrollDown, areas.list));
    assert_eq!(app.focus, Pane::List);
    assert_eq!(app.selected, 3, "the wheel moves the list by 3");
    handle_input(
        &mut app,
        mouse(MouseEventKind::Down(MouseButton::Left), areas.detail),
    );
    assert_eq!(app.focus, Pane::Detail);
}

#[test]
fn a_bracketed_paste_is_never_read_as_keys() {
    use mxknock::tui::app::{Effect, Mode};
    use mxknock::tui::handle_input;
    let mut app = App::new(Keymap::default());
    app.add_addresses([("alice@lab.test".to_string(), 1)]);
    app.refresh_view();

    let effects = handle_input(&mut app, Event::Paste("eve@lab.test\r".into()));
    assert!(effects.is_empty(), "outside a prompt: {effects:?}");
    assert_eq!(app.mode, Mode::Normal, "the e did not open export");

    handle_input(&mut app, key('a').unwrap());
    let effects = handle_input(
        &mut app,
        Event::Paste("dave@lab.test\rerin@lab.test\rquinn@lab.test\r".into()),
    );
    let added: Vec<_> = effects
        .iter()
        .map(|e| match e {
            Effect::Check { address, .. } => address.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(added, ["dave@lab.test", "erin@lab.test", "quinn@lab.test"]);
    assert_eq!(app.rows.len(), 4);
    assert_eq!(app.mode, Mode::Normal);
    assert!(!app.quit, "the pasted q and Enter did not quit");
    assert_eq!(app.banner.clone().unwrap().text, "added 3 addresses");
}

#[tokio::test]
async fn a_signal_ends_the_loop_with_128_plus_its_number() {
    use mxknock::tui::{Ended, run_loop_until};
    let lab = Lab::start(LabOptions::fast()).await.unwrap();
    let (engine, events) = Engine::start(
        Arc::new(Config::default()),
        lab.net(Duration::from_secs(2)).unwrap(),
    );
    let mut app = App::new(Keymap::default());
    let (_keys, input) = mpsc::unbounded_channel();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let sigterm = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        15
    };
    let ended = tokio::time::timeout(
        Duration::from_secs(20),
        run_loop_until(
            &mut terminal,
            &mut app,
            &engine,
            events,
            tokio_stream_from(input),
            &Theme::mono(),
            sigterm,
        ),
    )
    .await
    .expect("the signal ends the loop")
    .unwrap();
    assert_eq!(ended, Ended::Signal(15));
    assert_eq!(ended.exit_code(), 143);
    assert_eq!(Ended::Quit.exit_code(), 0);
    assert!(!app.quit);
}
