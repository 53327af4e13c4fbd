//! The SMTP client state machine over any byte stream: greeting, EHLO (HELO when EHLO is
//! refused), STARTTLS, MAIL, RCPT, RSET, QUIT. Every line sent and received is emitted as a
//! transcript line the moment it happens. Every wait has a timeout; every reply is bounded.

use std::time::{Duration, Instant};

use tokio::io::{AsyncWriteExt, BufReader};

use super::command::{Command, UnsafeCommand};
use super::reply::{Reply, ReplyAssembler, ReplyError, read_line};
use super::tls;
use crate::engine::emit::Emitter;
use crate::engine::judge::verdict::TlsFacts;
use crate::engine::net::{BoxIo, CloseWatch, drain_until_closed};
use crate::engine::transcript::Direction;

/// At most this many lines of one reply are shown; the rest are counted, not streamed, so a
/// hostile server cannot flood the front end.
pub const MAX_SHOWN_LINES: usize = 100;

/// The verb of a command line ("RCPT" of "RCPT TO:<a@b>").
fn verb_of(line: &str) -> String {
    line.split([' ', ':'])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// How long to wait for what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// For the greeting.
    pub greeting: Duration,
    /// For each reply to a command.
    pub command: Duration,
}

/// Why a session could not go on.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Nothing came in time.
    #[error("timed out after {after:?} waiting for the reply to {waiting_for}")]
    Timeout {
        /// What we were waiting for.
        waiting_for: String,
        /// How long we waited.
        after: Duration,
    },
    /// The server closed the connection.
    #[error("connection closed by the server")]
    Closed,
    /// The server broke the reply syntax or its limits.
    #[error("bad reply: {0}")]
    Reply(ReplyError),
    /// A socket error.
    #[error("network error: {0}")]
    Io(#[from] std::io::Error),
    /// The TLS handshake failed.
    #[error("TLS handshake failed: {0}")]
    Tls(String),
    /// The server sent bytes after its STARTTLS reply, before the handshake (an injection).
    #[error("server sent data after its STARTTLS reply; refusing to start TLS")]
    StartTlsInjection,
    /// We refused to send a command holding control bytes.
    #[error(transparent)]
    Unsafe(#[from] UnsafeCommand),
    /// The server sent bytes nobody asked for (replies ahead of their commands, or after the
    /// last one): what comes next could be taken for the answer to a command it never read.
    #[error("server sent {0} bytes before the command they would answer; refusing to go on")]
    Unsolicited(usize),
}

impl From<ReplyError> for SessionError {
    fn from(e: ReplyError) -> Self {
        match e {
            ReplyError::Closed => SessionError::Closed,
            ReplyError::Io(io) => SessionError::Io(io),
            other => SessionError::Reply(other),
        }
    }
}

/// An open SMTP session.
pub struct Session {
    io: BufReader<BoxIo>,
    emit: Emitter,
    tls: bool,
    timeouts: Timeouts,
    extensions: Vec<String>,
    close_watch: Option<CloseWatch>,
}

impl Session {
    /// Takes over a connected stream and reads the greeting.
    pub async fn open(
        io: BoxIo,
        emit: Emitter,
        timeouts: Timeouts,
    ) -> Result<(Session, Reply), SessionError> {
        let mut session = Session {
            io: BufReader::new(io),
            emit,
            tls: false,
            timeouts,
            extensions: Vec::new(),
            close_watch: None,
        };
        let greeting = session
            .read_reply("the greeting", timeouts.greeting, Instant::now())
            .await?;
        Ok((session, greeting))
    }

    /// After QUIT, also waits for the TCP connection under the stream to close (see
    /// [`CloseWatch`]): under TLS the stream ends at the server's close_notify, a moment before
    /// the server has finished the session.
    pub fn watching_close(mut self, watch: CloseWatch) -> Session {
        self.close_watch = Some(watch);
        self
    }

    /// Whether the session runs inside TLS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The EHLO keywords of the last successful EHLO, uppercase (e.g. "STARTTLS", "SIZE 10240000").
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// Whether the server advertised `keyword` (case-insensitive, first word only).
    pub fn offers(&self, keyword: &str) -> bool {
        self.extensions.iter().any(|ext| {
            ext.split_whitespace()
                .next()
                .is_some_and(|k| k.eq_ignore_ascii_case(keyword))
        })
    }

    /// From now on, transcript lines go to `emit` (a session serving many addresses hands the
    /// transcript to the address whose command it is sending).
    pub fn set_emitter(&mut self, emit: Emitter) {
        self.emit = emit;
    }

    /// Sends one command and reads its reply.
    pub async fn send(&mut self, command: &Command) -> Result<Reply, SessionError> {
        if !matches!(command, Command::Quit) {
            self.refuse_unsolicited()?;
        }
        let sent_at = Instant::now();
        let bytes = command.to_wire()?;
        let line = command.line();
        self.emit
            .line(Direction::Sent, self.tls, line.clone(), None)
            .await;
        self.write_bytes(&bytes, &line).await?;
        let verb = verb_of(&line);
        self.read_reply(&verb, self.timeouts.command, sent_at).await
    }

    /// RFC 2920 pipelining: writes every command at once, then reads the replies in order.
    /// Each command's lines (sent and received) go to its own emitter. After the first error,
    /// or a 421 (the server is closing), the remaining commands get no reply: the reply vector
    /// is shorter than the batch.
    pub async fn send_pipelined(
        &mut self,
        batch: &[(Command, Emitter)],
    ) -> (Vec<Reply>, Option<SessionError>) {
        if let Err(e) = self.refuse_unsolicited() {
            return (Vec::new(), Some(e));
        }
        let sent_at = Instant::now();
        let mut bytes = Vec::new();
        for (command, emit) in batch {
            match command.to_wire() {
                Ok(wire) => bytes.extend_from_slice(&wire),
                Err(e) => return (Vec::new(), Some(e.into())),
            }
            emit.line(Direction::Sent, self.tls, command.line(), None)
                .await;
        }
        if let Err(e) = self.write_bytes(&bytes, "a pipelined batch").await {
            return (Vec::new(), Some(e));
        }
        let mut replies = Vec::with_capacity(batch.len());
        for (command, emit) in batch {
            self.emit = emit.clone();
            let verb = verb_of(&command.line());
            match self.read_reply(&verb, self.timeouts.command, sent_at).await {
                // 421: the server is closing; the commands after it get no reply.
                Ok(reply) if reply.code == 421 => {
                    replies.push(reply);
                    break;
                }
                Ok(reply) => replies.push(reply),
                Err(e) => return (replies, Some(e)),
            }
        }
        (replies, None)
    }

    /// Whether the server has sent bytes that answer nothing we sent (so far as they have been
    /// read): its last reply cannot be trusted either.
    pub fn has_unsolicited(&self) -> bool {
        !self.io.buffer().is_empty()
    }

    /// Every reply so far has been read: anything already buffered was sent ahead of a
    /// command the server had not seen, and must not be taken for that command's answer.
    fn refuse_unsolicited(&self) -> Result<(), SessionError> {
        match self.io.buffer().len() {
            0 => Ok(()),
            early => Err(SessionError::Unsolicited(early)),
        }
    }

    async fn write_bytes(&mut self, bytes: &[u8], what: &str) -> Result<(), SessionError> {
        let write = async {
            self.io.get_mut().write_all(bytes).await?;
            self.io.get_mut().flush().await
        };
        match tokio::time::timeout(self.timeouts.command, write).await {
            Ok(result) => Ok(result?),
            Err(_) => Err(SessionError::Timeout {
                waiting_for: format!("sending {what}"),
                after: self.timeouts.command,
            }),
        }
    }

    /// EHLO, falling back to HELO when EHLO is refused as unknown (5xx). Records extensions.
    pub async fn ehlo(&mut self, name: &str) -> Result<Reply, SessionError> {
        let reply = self.send(&Command::Ehlo(name.to_string())).await?;
        if reply.is_positive() {
            self.extensions = reply
                .lines
                .iter()
                .skip(1)
                .map(|l| l.trim().to_string())
                .collect();
            return Ok(reply);
        }
        self.extensions.clear();
        if reply.is_permanent() && matches!(reply.code, 500 | 502 | 504 | 550) {
            return self.send(&Command::Helo(name.to_string())).await;
        }
        Ok(reply)
    }

    /// After a positive reply to STARTTLS: runs the handshake and returns the session inside
    /// TLS (extensions forgotten, as RFC 3207 demands).
    pub async fn upgrade(self, host: &str) -> Result<(Session, TlsFacts), SessionError> {
        if !self.io.buffer().is_empty() {
            return Err(SessionError::StartTlsInjection);
        }
        let Session {
            io,
            emit,
            timeouts,
            close_watch,
            ..
        } = self;
        let handshake = tls::handshake(io.into_inner(), host);
        let (io, facts) = match tokio::time::timeout(timeouts.command, handshake).await {
            Ok(Ok(done)) => done,
            Ok(Err(e)) => return Err(SessionError::Tls(e)),
            Err(_) => {
                return Err(SessionError::Timeout {
                    waiting_for: "the TLS handshake".into(),
                    after: timeouts.command,
                });
            }
        };
        let session = Session {
            io: BufReader::new(io),
            emit,
            tls: true,
            timeouts,
            extensions: Vec::new(),
            close_watch,
        };
        Ok((session, facts))
    }

    /// Sends QUIT and waits briefly for its reply; errors do not matter any more.
    pub async fn quit(mut self) {
        let short = Timeouts {
            command: self.timeouts.command.min(Duration::from_secs(5)),
            ..self.timeouts
        };
        self.timeouts = short;
        let _ = self.send(&Command::Quit).await;
        let _ = self.io.get_mut().shutdown().await;
        self.await_close().await;
    }

    /// After QUIT, waits (briefly, reading at most a few KiB) for the server to close its side.
    /// A server counts the session until it has seen our close and closed its own (Postfix
    /// logs the disconnect then), so a per-host slot is only free once that has happened: a
    /// new session opened on the 221 alone would briefly be one too many at the server.
    async fn await_close(&mut self) {
        const LINGER: Duration = Duration::from_secs(2);
        const MAX_DRAINED: usize = 4096;
        let drain = async {
            drain_until_closed(&mut self.io, MAX_DRAINED).await;
            if let Some(watch) = &mut self.close_watch {
                watch.closed(MAX_DRAINED).await;
            }
        };
        let _ = tokio::time::timeout(LINGER.min(self.timeouts.command), drain).await;
    }

    async fn read_reply(
        &mut self,
        waiting_for: &str,
        timeout: Duration,
        sent_at: Instant,
    ) -> Result<Reply, SessionError> {
        let read = async {
            let mut assembler = ReplyAssembler::new();
            let mut count = 0usize;
            loop {
                let line = read_line(&mut self.io).await?;
                count += 1;
                let reply = assembler.push(&line)?;
                if count <= MAX_SHOWN_LINES {
                    let direction = match line.as_bytes().first() {
                        Some(b'2' | b'3') => Direction::Received,
                        _ => Direction::Unexpected,
                    };
                    let response_time = (count == 1).then(|| sent_at.elapsed());
                    self.emit
                        .line(direction, self.tls, line, response_time)
                        .await;
                }
                if let Some(reply) = reply {
                    if count > MAX_SHOWN_LINES {
                        let hidden = count - MAX_SHOWN_LINES;
                        self.emit
                            .info(format!("({hidden} more reply lines not shown)"))
                            .await;
                    }
                    return Ok::<Reply, SessionError>(reply);
                }
            }
        };
        match tokio::time::timeout(timeout, read).await {
            Ok(result) => result,
            Err(_) => Err(SessionError::Timeout {
                waiting_for: waiting_for.to_string(),
                after: timeout,
            }),
        }
    }
}
