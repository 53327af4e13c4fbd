//! The SMTP session state machine over in-memory streams: timeouts (with paused tokio time),
//! STARTTLS injection, floods, HELO fallback.

use std::time::Duration;

use mxknock::engine::emit::Emitter;
use mxknock::engine::event::{EngineEvent, EventKind, JobId};
use mxknock::engine::smtp::command::Command;
use mxknock::engine::smtp::session::{MAX_SHOWN_LINES, Session, SessionError, Timeouts};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::mpsc;

const TIMEOUTS: Timeouts = Timeouts {
    greeting: Duration::from_secs(30),
    command: Duration::from_secs(10),
};

fn pair() -> (
    Box<DuplexStream>,
    DuplexStream,
    Emitter,
    mpsc::Receiver<EngineEvent>,
) {
    let (client, server) = tokio::io::duplex(1 << 20);
    let (tx, rx) = mpsc::channel(100_000);
    (Box::new(client), server, Emitter::new(JobId(0), tx), rx)
}

fn lines(rx: &mut mpsc::Receiver<EngineEvent>) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(event) = rx.try_recv() {
        if let EventKind::Line(line) = event.kind {
            out.push(format!("{} {}", line.mark(), line.text));
        }
    }
    out
}

#[tokio::test(start_paused = true)]
async fn a_server_that_never_greets_times_out() {
    let (client, _server, emit, _rx) = pair();
    let started = tokio::time::Instant::now();
    let result = Session::open(client, emit, TIMEOUTS).await;
    assert!(matches!(result, Err(SessionError::Timeout { .. })));
    assert_eq!(started.elapsed(), TIMEOUTS.greeting);
}

#[tokio::test(start_paused = true)]
async fn a_server_that_trickles_bytes_forever_times_out() {
    let (client, mut server, emit, _rx) = pair();
    server.write_all(b"220 hi\r\n").await.unwrap();
    let (mut session, _) = Session::open(client, emit, TIMEOUTS).await.unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 64];
        let _ = server.read(&mut buf).await;
        loop {
            if server.write_all(b"2").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    });
    let started = tokio::time::Instant::now();
    let result = session.send(&Command::Noop).await;
    assert!(
        matches!(result, Err(SessionError::Timeout { .. })),
        "{result:?}"
    );
    assert_eq!(started.elapsed(), TIMEOUTS.command);
}

#[tokio::test]
async fn data_after_the_starttls_reply_is_refused_as_injection() {
    let (client, mut server, emit, _rx) = pair();
    server.write_all(b"220 hi\r\n").await.unwrap();
    let (mut session, _) = Session::open(client, emit, TIMEOUTS).await.unwrap();
    let server_task = tokio::spawn(async move {
        let mut buf = [0u8; 64];
        let _ = server.read(&mut buf).await;
        server
            .write_all(b"220 go ahead\r\n250 injected\r\n")
            .await
            .unwrap();
        server
    });
    let reply = session.send(&Command::StartTls).await.unwrap();
    assert_eq!(reply.code, 220);
    let _server = server_task.await.unwrap();
    let result = session.upgrade("mx.test").await;
    assert!(matches!(result, Err(SessionError::StartTlsInjection)));
}

#[tokio::test]
async fn a_flood_of_reply_lines_is_bounded_in_memory_and_on_screen() {
    let (client, mut server, emit, mut rx) = pair();
    let mut flood = Vec::new();
    for _ in 0..20_000 {
        flood.extend_from_slice(b"250-x\r\n");
    }
    flood.extend_from_slice(b"250 end\r\n");
    tokio::spawn(async move {
        let _ = server.write_all(b"220 hi\r\n").await;
        let mut buf = vec![0u8; 1024];
        let _ = server.read(&mut buf).await;
        let _ = server.write_all(&flood).await;
    });
    let (mut session, _) = Session::open(client, emit, TIMEOUTS).await.unwrap();
    let result = session.send(&Command::Noop).await;
    assert!(
        matches!(result, Err(SessionError::Reply(_))),
        "64 KiB reply limit: {result:?}"
    );
    let shown = lines(&mut rx).len();
    assert!(
        shown <= MAX_SHOWN_LINES + 3,
        "{shown} lines reached the front end"
    );
}

#[tokio::test]
async fn replies_sent_ahead_of_a_command_are_never_taken_for_its_answer() {
    let (client, mut server, emit, _rx) = pair();
    tokio::spawn(async move {
        server
            .write_all(b"220 hi\r\n250 ok\r\n250 2.1.5 you exist\r\n")
            .await
            .unwrap();
        let mut buf = vec![0u8; 1024];
        let _ = server.read(&mut buf).await;
    });
    let (mut session, _) = Session::open(client, emit, TIMEOUTS).await.unwrap();
    assert!(session.has_unsolicited());
    let result = session.send(&Command::RcptTo("a@b.test".into())).await;
    assert!(
        matches!(result, Err(SessionError::Unsolicited(n)) if n > 0),
        "{result:?}"
    );
}

#[tokio::test]
async fn ehlo_refused_falls_back_to_helo() {
    let (client, mut server, emit, mut rx) = pair();
    tokio::spawn(async move {
        server.write_all(b"220 old.example\r\n").await.unwrap();
        let mut buf = vec![0u8; 256];
        let n = server.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"EHLO "));
        server
            .write_all(b"502 5.5.2 Error: command not recognized\r\n")
            .await
            .unwrap();
        let n = server.read(&mut buf).await.unwrap();
        assert!(buf[..n].starts_with(b"HELO me.example"));
        server.write_all(b"250 old.example\r\n").await.unwrap();
        let _ = server.read(&mut buf).await;
    });
    let (mut session, _) = Session::open(client, emit, TIMEOUTS).await.unwrap();
    let reply = session.ehlo("me.example").await.unwrap();
    assert_eq!(reply.code, 250);
    assert!(session.extensions().is_empty());
    assert!(!session.offers("STARTTLS"));
    let seen = lines(&mut rx);
    assert_eq!(
        seen,
        [
            "<- 220 old.example",
            "-> EHLO me.example",
            "<** 502 5.5.2 Error: command not recognized",
            "-> HELO me.example",
            "<- 250 old.example",
        ]
    );
}

#[tokio::test]
async fn ehlo_keywords_are_recorded() {
    let (client, mut server, emit, _rx) = pair();
    tokio::spawn(async move {
        server.write_all(b"220 mx.example ESMTP\r\n").await.unwrap();
        let mut buf = vec![0u8; 256];
        let _ = server.read(&mut buf).await.unwrap();
        server
            .write_all(b"250-mx.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-starttls\r\n250 SMTPUTF8\r\n")
            .await
            .unwrap();
        let _ = server.read(&mut buf).await;
    });
    let (mut session, greeting) = Session::open(client, emit, TIMEOUTS).await.unwrap();
    assert_eq!(greeting.code, 220);
    session.ehlo("me.example").await.unwrap();
    assert_eq!(
        session.extensions(),
        ["PIPELINING", "SIZE 1000", "starttls", "SMTPUTF8"]
    );
    assert!(session.offers("STARTTLS"));
    assert!(session.offers("size"));
    assert!(!session.offers("CHUNKING"));
}

#[tokio::test]
async fn a_server_closing_mid_session_is_reported_as_closed() {
    let (client, mut server, emit, _rx) = pair();
    server.write_all(b"220 hi\r\n").await.unwrap();
    let (mut session, _) = Session::open(client, emit, TIMEOUTS).await.unwrap();
    drop(server);
    let result = session.send(&Command::Noop).await;
    assert!(
        matches!(result, Err(SessionError::Closed) | Err(SessionError::Io(_))),
        "{result:?}"
    );
}

/// A server that answers QUIT, then closes after `close_after` (or never, with None).
async fn quit_against(close_after: Option<Duration>) -> Duration {
    let (client, mut server, emit, _rx) = pair();
    server.write_all(b"220 hi\r\n").await.unwrap();
    let (session, _) = Session::open(client, emit, TIMEOUTS).await.unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 64];
        let _ = server.read(&mut buf).await;
        server.write_all(b"221 2.0.0 Bye\r\n").await.unwrap();
        match close_after {
            Some(delay) => {
                tokio::time::sleep(delay).await;
                drop(server);
            }
            None => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                drop(server);
            }
        }
    });
    let started = tokio::time::Instant::now();
    session.quit().await;
    started.elapsed()
}

#[tokio::test(start_paused = true)]
async fn quit_waits_for_the_server_to_close_so_its_slot_is_really_free() {
    let waited = quit_against(Some(Duration::from_millis(300))).await;
    assert_eq!(
        waited,
        Duration::from_millis(300),
        "quit returns when the server has closed its side, not on the 221 alone"
    );
}

#[tokio::test(start_paused = true)]
async fn quit_gives_up_on_a_server_that_never_closes() {
    let waited = quit_against(None).await;
    assert_eq!(
        waited,
        Duration::from_secs(2),
        "a server that keeps the connection after 221 costs at most 2 s"
    );
}
