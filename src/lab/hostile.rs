//! A scripted hostile SMTP server for the test suite: one loopback listener that misbehaves in
//! one chosen way ([`Behaviour`]) and records, at the server side, what the client did.
//!
//! What it records ([`Connection`], one per accepted TCP connection): every byte the client
//! sent (the first [`MAX_RECORDED`] kept, all counted), the command lines, whether DATA or
//! BDAT ever came, and how many bytes came after a `QUIT` line. Tests assert on these rather
//! than on what the client says about itself.
//!
//! Every connection runs the same loop: an opening ([`opening`]: a greeting, or silence, a
//! trickle, a flood), then commands read as raw chunks ("everything available") and split into
//! lines; each line goes through [`Conn::on_command`], a table of (behaviour, verb) to an
//! [`Action`]. Whatever the table does not override gets the answer of a small, well-behaved
//! Postfix-like server ([`Conn::normal`]): local parts starting with `user` exist, every other
//! one is `550 5.1.1`; DATA and BDAT are refused.
//!
//! After QUIT the server answers 221, half-closes (so the client sees the end of the stream at
//! once) and keeps reading until the client closes: a byte the client sends after QUIT is
//! counted, never lost.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// The name the server gives in its greeting and EHLO reply.
pub const SERVER_NAME: &str = "mx.hostile.test";

/// Bytes of each connection kept for inspection; the rest is counted, not stored.
pub const MAX_RECORDED: usize = 256 * 1024;

/// Command lines of each connection kept for inspection.
const MAX_COMMANDS: usize = 1000;

/// Longest command line kept (the rest of a longer one is counted, not stored).
const MAX_COMMAND_LINE: usize = 1024;

/// The reply of a server that is going away (RFC 5321 §3.8).
const TEMPFAIL: &str = "421 4.7.0 try again later";

/// The positive reply to STARTTLS.
const TLS_READY: &str = "220 2.0.0 Ready to start TLS";

/// How big the line without CRLF of [`Behaviour::HugeLine`] is.
const HUGE_LINE: usize = 10 * 1024 * 1024;

/// Most bytes [`Behaviour::EndlessMultiline`] writes before it gives up on the client ever
/// going away (a client without a reply limit would read them all).
const ENDLESS_LIMIT: usize = 1024 * 1024 * 1024;

/// How the server misbehaves. Everything a variant does not mention is answered normally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// No misbehaviour at all: the control case.
    Normal,
    /// RCPT: `421 4.7.0 try again later`, then close.
    RcptTempfailThenClose,
    /// RCPT: `421 4.7.0 try again later`, and the connection stays open; from then on every
    /// command but QUIT gets 421 again.
    RcptTempfailStayOpen,
    /// STARTTLS (offered): 421, then close.
    StartTlsTempfailThenClose,
    /// STARTTLS (offered): 421, and the connection stays open; every command but QUIT gets
    /// 421 from then on.
    StartTlsTempfailStayOpen,
    /// RCPT: `2x0 ok`, a reply code that is no code.
    MalformedRcptCode,
    /// RCPT: `250-a` then `251 b`, the code changing inside one multiline reply.
    CodeChangeInReply,
    /// RCPT: read it, then close without a reply.
    CloseAfterRcpt,
    /// RCPT: `250-partial`, then close in the middle of the reply.
    CloseMidReply,
    /// Advertises PIPELINING, but of everything a read brings in answers only the first
    /// complete command line and ignores the rest.
    PartialPipelining,
    /// Accepts the connection and never says a word (reads until the client leaves).
    NoGreeting,
    /// The greeting comes one byte per second.
    Trickle,
    /// EHLO: `250-x` lines forever (until the client goes away).
    EndlessMultiline,
    /// The greeting is a 10 MB line without CRLF.
    HugeLine,
    /// NUL, ESC (terminal escape sequences), C1 bytes and invalid UTF-8 in the greeting, the
    /// EHLO reply and every RCPT reply; the answers themselves are normal.
    ControlBytes,
    /// RCPT gets this line as its reply (`354 go ahead`, `999 what`, `25`, `abc` ...).
    WrongRcptCode(&'static str),
    /// RCPT: the connection is reset (SO_LINGER 0, then dropped: a TCP RST).
    ResetOnRcpt,
    /// STARTTLS (offered): 220, then bytes that are not TLS.
    StartTlsThenGarbage,
    /// STARTTLS (offered): 220, then close.
    StartTlsThenClose,
    /// 250 to everything (a catch-all), and each RCPT's 250 is followed by an unsolicited
    /// `354 go ahead`.
    UnsolicitedGoAhead,
    /// Greeting, EHLO reply, MAIL reply and a 250 RCPT reply all written in one burst at
    /// connect, before reading anything. Once it reads, it answers every RCPT `550 5.1.1`: no
    /// address was ever accepted after the server saw it.
    BurstAtConnect,
}

impl Behaviour {
    /// Whether the EHLO reply offers STARTTLS.
    fn offers_starttls(self) -> bool {
        matches!(
            self,
            Behaviour::StartTlsTempfailThenClose
                | Behaviour::StartTlsTempfailStayOpen
                | Behaviour::StartTlsThenGarbage
                | Behaviour::StartTlsThenClose
        )
    }
}

/// What the server saw on one connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Connection {
    /// The first [`MAX_RECORDED`] bytes the client sent.
    pub received: Vec<u8>,
    /// How many bytes the client sent in all.
    pub bytes: u64,
    /// The command lines received, without CRLF, lossily decoded (the first 1000).
    pub commands: Vec<String>,
    /// A `QUIT` line came.
    pub quit: bool,
    /// Bytes that came after the `QUIT` line.
    pub bytes_after_quit: u64,
    /// A DATA or BDAT command came.
    pub data: bool,
    /// The server still has the connection open.
    pub open: bool,
    /// The unfinished line at the end of what came so far (its first [`MAX_COMMAND_LINE`]
    /// bytes).
    partial: Vec<u8>,
}

impl Connection {
    /// Takes bytes from the client; returns the command lines they complete (without CRLF),
    /// except those after QUIT, which are only counted.
    fn take(&mut self, chunk: &[u8]) -> Vec<Vec<u8>> {
        self.bytes += chunk.len() as u64;
        let room = MAX_RECORDED.saturating_sub(self.received.len());
        self.received
            .extend_from_slice(&chunk[..chunk.len().min(room)]);
        let mut lines = Vec::new();
        for &byte in chunk {
            if self.quit {
                self.bytes_after_quit += 1;
                continue;
            }
            if byte != b'\n' {
                if self.partial.len() < MAX_COMMAND_LINE {
                    self.partial.push(byte);
                }
                continue;
            }
            let mut line = std::mem::take(&mut self.partial);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let text = String::from_utf8_lossy(&line).into_owned();
            match verb(&text).as_str() {
                "DATA" | "BDAT" => self.data = true,
                "QUIT" => self.quit = true,
                _ => {}
            }
            if self.commands.len() < MAX_COMMANDS {
                self.commands.push(text);
            }
            lines.push(line);
        }
        lines
    }

    /// How many RCPT commands came.
    pub fn rcpts(&self) -> usize {
        self.commands.iter().filter(|c| verb(c) == "RCPT").count()
    }
}

/// The verb of a command line, uppercase ("RCPT" of "rcpt to:<a@b>").
fn verb(line: &str) -> String {
    line.split([' ', ':'])
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase()
}

/// Every connection's record, in the order they were accepted.
#[derive(Debug, Default)]
struct Log {
    connections: Mutex<Vec<Connection>>,
}

impl Log {
    fn accepted(&self) -> usize {
        let mut connections = self.connections.lock().expect("log lock");
        connections.push(Connection {
            open: true,
            ..Connection::default()
        });
        connections.len() - 1
    }

    fn take(&self, id: usize, chunk: &[u8]) -> Vec<Vec<u8>> {
        self.connections.lock().expect("log lock")[id].take(chunk)
    }

    fn closed(&self, id: usize) {
        self.connections.lock().expect("log lock")[id].open = false;
    }
}

/// A running hostile server. Dropping it stops the listener and every connection.
pub struct HostileServer {
    addr: SocketAddr,
    behaviour: Behaviour,
    log: Arc<Log>,
    task: JoinHandle<()>,
}

impl HostileServer {
    /// Binds 127.0.0.1 on a port the OS picks and serves `behaviour` until dropped.
    pub async fn start(behaviour: Behaviour) -> std::io::Result<HostileServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let log = Arc::new(Log::default());
        let task_log = log.clone();
        let task = tokio::spawn(async move {
            // Owned by the accept loop: aborting the loop aborts every connection too.
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let id = task_log.accepted();
                        connections.spawn(serve(stream, task_log.clone(), id, behaviour));
                    }
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        });
        Ok(HostileServer {
            addr,
            behaviour,
            log,
            task,
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The behaviour it serves.
    pub fn behaviour(&self) -> Behaviour {
        self.behaviour
    }

    /// How many TCP connections it accepted.
    pub fn connections(&self) -> usize {
        self.log.connections.lock().expect("log lock").len()
    }

    /// How many connections it still has open.
    pub fn open_connections(&self) -> usize {
        self.log
            .connections
            .lock()
            .expect("log lock")
            .iter()
            .filter(|c| c.open)
            .count()
    }

    /// A copy of every connection's record.
    pub fn records(&self) -> Vec<Connection> {
        self.log.connections.lock().expect("log lock").clone()
    }

    /// Whether any connection sent DATA or BDAT.
    pub fn saw_data(&self) -> bool {
        self.records().iter().any(|c| c.data)
    }

    /// Bytes sent after QUIT, over all connections.
    pub fn bytes_after_quit(&self) -> u64 {
        self.records().iter().map(|c| c.bytes_after_quit).sum()
    }

    /// RCPT commands received, over all connections.
    pub fn rcpts(&self) -> usize {
        self.records().iter().map(Connection::rcpts).sum()
    }

    /// Waits (at most `limit`) until no connection is open; returns whether none is.
    pub async fn settle(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while self.open_connections() > 0 {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves connection `id`, then marks it closed (whoever closed it).
async fn serve(stream: TcpStream, log: Arc<Log>, id: usize, behaviour: Behaviour) {
    let _ = stream.set_nodelay(true);
    let mut conn = Conn {
        stream,
        log: log.clone(),
        id,
        behaviour,
        said_421: false,
    };
    let _ = conn.run().await;
    drop(conn);
    log.closed(id);
}

/// What the server does at connect, before reading anything.
enum Opening {
    /// Write these bytes, then read commands.
    Write(Vec<u8>),
    /// Say nothing; read until the client leaves.
    Silent,
    /// Write these bytes one per second, then read commands.
    Trickle(Vec<u8>),
    /// Write `220 ` and then [`HUGE_LINE`] bytes without a line end; read until the client leaves.
    HugeLine,
}

/// The opening of `behaviour`.
fn opening(behaviour: Behaviour) -> Opening {
    let greeting = format!("220 {SERVER_NAME} ESMTP mxknock-hostile");
    match behaviour {
        Behaviour::NoGreeting => Opening::Silent,
        Behaviour::Trickle => Opening::Trickle(lines(&[&format!(
            "220 {SERVER_NAME} ESMTP, one byte per second"
        )])),
        Behaviour::HugeLine => Opening::HugeLine,
        Behaviour::ControlBytes => {
            let mut bytes = b"220 ".to_vec();
            bytes.extend_from_slice(SERVER_NAME.as_bytes());
            bytes.extend_from_slice(
                b" \x00\x1b[2J\x1b]0;pwned\x07 ESMTP \xe2\x80\xaegnp.exe \x9b31m \xff\xfe\xc3(\r\n",
            );
            Opening::Write(bytes)
        }
        Behaviour::BurstAtConnect => {
            let mut bytes = lines(&[&greeting]);
            bytes.extend(ehlo_reply(behaviour));
            bytes.extend(lines(&["250 2.1.0 Ok", "250 2.1.5 Ok"]));
            Opening::Write(bytes)
        }
        _ => Opening::Write(lines(&[&greeting])),
    }
}

/// What the server does about one command line.
enum Action {
    /// Write these bytes, then read on.
    Reply(Vec<u8>),
    /// Write these bytes, then close.
    ReplyThenClose(Vec<u8>),
    /// Close without a word.
    Close,
    /// Reset the connection: SO_LINGER 0, then close (a TCP RST).
    Reset,
    /// 221, half-close, then read (and count) until the client closes.
    Quit,
    /// `250-x` lines until the client goes away.
    EndlessMultiline,
    /// Write these bytes, then (a moment later) bytes that are not TLS; read until the client
    /// leaves.
    ReplyThenGarbage(Vec<u8>),
}

/// Lines with CRLF after each.
fn lines(texts: &[&str]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for text in texts {
        bytes.extend_from_slice(text.as_bytes());
        bytes.extend_from_slice(b"\r\n");
    }
    bytes
}

/// The EHLO reply of `behaviour`.
fn ehlo_reply(behaviour: Behaviour) -> Vec<u8> {
    if behaviour == Behaviour::ControlBytes {
        let mut bytes = format!("250-{SERVER_NAME} \x1b[31mhello\x1b[0m\r\n").into_bytes();
        bytes.extend_from_slice(b"250-PIPELINING\r\n250-X-\x00\x9b\xff\x1b]8;;http://x\x07\r\n");
        bytes.extend_from_slice(b"250 8BITMIME\r\n");
        return bytes;
    }
    let first = format!("250-{SERVER_NAME}");
    let mut texts = vec![first.as_str()];
    if behaviour.offers_starttls() {
        texts.push("250-STARTTLS");
    }
    texts.extend(["250-PIPELINING", "250-8BITMIME", "250 ENHANCEDSTATUSCODES"]);
    lines(&texts)
}

/// The local part of the address in a RCPT line, lowercase.
fn rcpt_local_part(line: &str) -> String {
    line.split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .and_then(|(address, _)| address.rsplit_once('@'))
        .map(|(local, _)| local.to_ascii_lowercase())
        .unwrap_or_default()
}

/// One connection being served.
struct Conn {
    stream: TcpStream,
    log: Arc<Log>,
    id: usize,
    behaviour: Behaviour,
    /// A stay-open 421 was given: every command but QUIT gets 421 from now on.
    said_421: bool,
}

impl Conn {
    async fn run(&mut self) -> std::io::Result<()> {
        match opening(self.behaviour) {
            Opening::Write(bytes) => self.write(&bytes).await?,
            Opening::Silent => return self.drain().await,
            Opening::Trickle(bytes) => self.trickle(&bytes).await?,
            Opening::HugeLine => return self.huge_line().await,
        }
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = self.stream.read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            let mut commands = self.log.take(self.id, &buf[..n]);
            if self.behaviour == Behaviour::PartialPipelining {
                commands.truncate(1);
            }
            for line in commands {
                match self.on_command(&String::from_utf8_lossy(&line)) {
                    Action::Reply(bytes) => self.write(&bytes).await?,
                    Action::ReplyThenClose(bytes) => return self.write(&bytes).await,
                    Action::Close => return Ok(()),
                    Action::Reset => return self.stream.set_zero_linger(),
                    Action::Quit => {
                        self.write(&lines(&["221 2.0.0 Bye"])).await?;
                        self.stream.shutdown().await?;
                        return self.drain().await;
                    }
                    Action::EndlessMultiline => return self.endless_multiline().await,
                    Action::ReplyThenGarbage(bytes) => {
                        self.write(&bytes).await?;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        self.write(b"this is not TLS\r\n\x00\xff\x1b[2J\r\n")
                            .await?;
                        return self.drain().await;
                    }
                }
            }
        }
    }

    /// The table: how `behaviour` answers `line`.
    fn on_command(&mut self, line: &str) -> Action {
        use Behaviour::*;
        let verb = verb(line);
        if verb == "QUIT" {
            return Action::Quit;
        }
        if self.said_421 {
            return Action::Reply(lines(&[TEMPFAIL]));
        }
        match (self.behaviour, verb.as_str()) {
            (RcptTempfailThenClose, "RCPT") | (StartTlsTempfailThenClose, "STARTTLS") => {
                Action::ReplyThenClose(lines(&[TEMPFAIL]))
            }
            (RcptTempfailStayOpen, "RCPT") | (StartTlsTempfailStayOpen, "STARTTLS") => {
                self.said_421 = true;
                Action::Reply(lines(&[TEMPFAIL]))
            }
            (MalformedRcptCode, "RCPT") => Action::Reply(lines(&["2x0 ok"])),
            (CodeChangeInReply, "RCPT") => Action::Reply(lines(&["250-a", "251 b"])),
            (CloseAfterRcpt, "RCPT") => Action::Close,
            (CloseMidReply, "RCPT") => Action::ReplyThenClose(lines(&["250-partial"])),
            (EndlessMultiline, "EHLO") => Action::EndlessMultiline,
            (WrongRcptCode(reply), "RCPT") => Action::Reply(lines(&[reply])),
            (ResetOnRcpt, "RCPT") => Action::Reset,
            (StartTlsThenGarbage, "STARTTLS") => Action::ReplyThenGarbage(lines(&[TLS_READY])),
            (StartTlsThenClose, "STARTTLS") => Action::ReplyThenClose(lines(&[TLS_READY])),
            (UnsolicitedGoAhead, "RCPT") => Action::Reply(lines(&["250 2.1.5 Ok", "354 go ahead"])),
            (UnsolicitedGoAhead, "EHLO") => Action::Reply(ehlo_reply(self.behaviour)),
            (UnsolicitedGoAhead, _) => Action::Reply(lines(&["250 2.0.0 Ok"])),
            (BurstAtConnect, "RCPT") => Action::Reply(lines(&["550 5.1.1 no such user here"])),
            _ => Action::Reply(self.normal(&verb, line)),
        }
    }

    /// The answer of a well-behaved server.
    fn normal(&self, verb: &str, line: &str) -> Vec<u8> {
        match verb {
            "EHLO" => ehlo_reply(self.behaviour),
            "HELO" => lines(&[&format!("250 {SERVER_NAME}")]),
            "MAIL" => lines(&["250 2.1.0 Ok"]),
            "RCPT" => self.rcpt_reply(line),
            "RSET" | "NOOP" => lines(&["250 2.0.0 Ok"]),
            "DATA" | "BDAT" => lines(&["554 5.5.1 mxknock-hostile refuses DATA"]),
            "STARTTLS" => lines(&["454 4.7.0 TLS not available"]),
            _ => lines(&["502 5.5.2 command not recognized"]),
        }
    }

    /// `user*` exists, nobody else does.
    fn rcpt_reply(&self, line: &str) -> Vec<u8> {
        let exists = rcpt_local_part(line).starts_with("user");
        let mut text = if exists {
            b"250 2.1.5 Ok".to_vec()
        } else {
            b"550 5.1.1 Recipient address rejected: User unknown".to_vec()
        };
        if self.behaviour == Behaviour::ControlBytes {
            text.extend_from_slice(b" \x1b[1;1H\x1b]0;pwned\x07\x00 \x9b2J \xc0\xaf\xff");
        }
        text.extend_from_slice(b"\r\n");
        text
    }

    async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    /// Reads (and records) until the client closes.
    async fn drain(&mut self) -> std::io::Result<()> {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = self.stream.read(&mut buf).await?;
            if n == 0 {
                return Ok(());
            }
            self.log.take(self.id, &buf[..n]);
        }
    }

    /// Writes `bytes` one per second; stops when the client closes.
    async fn trickle(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let mut buf = vec![0u8; 4096];
        for byte in bytes {
            tokio::select! {
                read = self.stream.read(&mut buf) => {
                    let n = read?;
                    if n == 0 {
                        return Err(std::io::ErrorKind::UnexpectedEof.into());
                    }
                    self.log.take(self.id, &buf[..n]);
                }
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            self.write(std::slice::from_ref(byte)).await?;
        }
        Ok(())
    }

    /// `220 ` and 10 MB without CRLF, then waits for the client to leave.
    async fn huge_line(&mut self) -> std::io::Result<()> {
        self.write(b"220 ").await?;
        let chunk = vec![b'A'; 64 * 1024];
        let mut sent = 0;
        while sent < HUGE_LINE {
            self.write(&chunk).await?;
            sent += chunk.len();
        }
        self.drain().await
    }

    /// `250-x` lines until the client goes away (or [`ENDLESS_LIMIT`] bytes).
    async fn endless_multiline(&mut self) -> std::io::Result<()> {
        let chunk = b"250-x\r\n".repeat(64 * 1024 / 7);
        let mut sent = 0;
        while sent < ENDLESS_LIMIT {
            self.write(&chunk).await?;
            sent += chunk.len();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_lines_data_and_bytes_after_quit() {
        let mut c = Connection::default();
        let first = c.take(b"EHLO me\r\nMAIL FROM:<>\r\nRC");
        assert_eq!(first, [b"EHLO me".to_vec(), b"MAIL FROM:<>".to_vec()]);
        let second = c.take(b"PT TO:<a@b>\r\nDATA\r\nQUIT\r\nxyz");
        assert_eq!(second.len(), 3);
        assert_eq!(c.rcpts(), 1);
        assert!(c.data && c.quit);
        assert_eq!(c.bytes_after_quit, 3);
        assert_eq!(c.bytes, 53);
        assert_eq!(c.received.len(), 53);
    }

    #[test]
    fn bdat_counts_as_data_and_quit_must_be_the_verb() {
        let mut c = Connection::default();
        c.take(b"NOOP QUIT\r\nbdat 10 LAST\r\n");
        assert!(c.data);
        assert!(!c.quit);
    }

    #[test]
    fn long_lines_are_cut_when_kept() {
        let mut c = Connection::default();
        let mut input = vec![b'x'; 5000];
        input.extend_from_slice(b"\r\n");
        let lines = c.take(&input);
        assert_eq!(lines[0].len(), MAX_COMMAND_LINE);
        assert_eq!(c.bytes, 5002);
    }

    #[test]
    fn local_parts() {
        assert_eq!(rcpt_local_part("RCPT TO:<User7@hostile.test>"), "user7");
        assert_eq!(rcpt_local_part("RCPT TO:<>"), "");
    }
}
