//! A scripted SMTP server on a loopback port. It records every command it receives (so tests
//! can count sessions and prove DATA never arrives) and answers as its [`Script`] says.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::script::{Greeting, Mailboxes, Script, special_rcpt_reply};
use crate::engine::net::BoxIo;
use crate::engine::smtp::reply::read_line;

/// One command a lab server received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// The server's host name.
    pub server: &'static str,
    /// Which connection to that server (counting from 0).
    pub connection: u64,
    /// The command line as received (sanitised).
    pub line: String,
    /// The code of the reply the server gave (None while unanswered).
    pub reply: Option<u16>,
}

/// Commands the log keeps: the most recent ones. Tests send far fewer; a demo or bench over a
/// million addresses would otherwise keep every command it ever sent in memory.
pub const LOG_CAPACITY: usize = 100_000;

/// Everything every lab server received, shared: the last [`LOG_CAPACITY`] commands, and
/// exact counts of connections.
#[derive(Debug, Default)]
pub struct ServerLog {
    entries: Mutex<Entries>,
    connections: Mutex<HashMap<&'static str, u64>>,
    concurrency: Mutex<HashMap<&'static str, (u64, u64)>>,
}

/// The kept commands, and where each connection's last one is.
#[derive(Debug, Default)]
struct Entries {
    kept: std::collections::VecDeque<Received>,
    /// How many commands were dropped from the front (so `kept[i]` is command `i + dropped`).
    dropped: usize,
    /// The number of each connection's last command.
    last: HashMap<(&'static str, u64), usize>,
}

/// Counts a connection as open until dropped.
struct OpenConnection<'a> {
    log: &'a ServerLog,
    server: &'static str,
}

impl Drop for OpenConnection<'_> {
    fn drop(&mut self) {
        if let Some((open, _)) = self
            .log
            .concurrency
            .lock()
            .expect("log lock")
            .get_mut(self.server)
        {
            *open -= 1;
        }
    }
}

impl ServerLog {
    /// The commands received (the last [`LOG_CAPACITY`]), in order.
    pub fn received(&self) -> Vec<Received> {
        self.entries
            .lock()
            .expect("log lock")
            .kept
            .iter()
            .cloned()
            .collect()
    }

    /// How many connections `server` accepted.
    pub fn connections(&self, server: &str) -> u64 {
        self.connections
            .lock()
            .expect("log lock")
            .get(server)
            .copied()
            .unwrap_or(0)
    }

    /// How many connections all servers accepted.
    pub fn total_connections(&self) -> u64 {
        self.connections.lock().expect("log lock").values().sum()
    }

    /// The most connections `server` ever had open at the same time.
    pub fn max_concurrent(&self, server: &str) -> u64 {
        self.concurrency
            .lock()
            .expect("log lock")
            .get(server)
            .map_or(0, |(_, max)| *max)
    }

    /// Per connection of `server`: how many RCPTs it received and how many it refused (4xx/5xx).
    pub fn rcpts_per_connection(&self, server: &str) -> Vec<(u64, usize, usize)> {
        let mut counts: std::collections::BTreeMap<u64, (usize, usize)> = Default::default();
        for r in self.received().iter().filter(|r| r.server == server) {
            if r.line.to_ascii_uppercase().starts_with("RCPT") {
                let entry = counts.entry(r.connection).or_default();
                entry.0 += 1;
                if r.reply.is_some_and(|code| code >= 400) {
                    entry.1 += 1;
                }
            }
        }
        counts
            .into_iter()
            .map(|(c, (n, refused))| (c, n, refused))
            .collect()
    }

    /// Whether any server received a command starting with `verb` (case-insensitive).
    pub fn saw_verb(&self, verb: &str) -> bool {
        self.received().iter().any(|r| {
            r.line
                .split([' ', ':'])
                .next()
                .is_some_and(|v| v.eq_ignore_ascii_case(verb))
        })
    }

    fn connected(&self, server: &'static str) -> (u64, OpenConnection<'_>) {
        let mut map = self.connections.lock().expect("log lock");
        let count = map.entry(server).or_insert(0);
        *count += 1;
        let mut concurrency = self.concurrency.lock().expect("log lock");
        let (open, max) = concurrency.entry(server).or_insert((0, 0));
        *open += 1;
        *max = (*max).max(*open);
        (*count - 1, OpenConnection { log: self, server })
    }

    fn answered(&self, server: &'static str, connection: u64, code: u16) {
        let mut entries = self.entries.lock().expect("log lock");
        let Some(&number) = entries.last.get(&(server, connection)) else {
            return;
        };
        let Some(index) = number.checked_sub(entries.dropped) else {
            return;
        };
        if let Some(last) = entries.kept.get_mut(index)
            && last.reply.is_none()
        {
            last.reply = Some(code);
        }
    }

    fn record(&self, server: &'static str, connection: u64, line: &str) {
        let mut entries = self.entries.lock().expect("log lock");
        if entries.kept.len() == LOG_CAPACITY {
            entries.kept.pop_front();
            entries.dropped += 1;
        }
        let number = entries.dropped + entries.kept.len();
        entries.last.insert((server, connection), number);
        entries.kept.push_back(Received {
            server,
            connection,
            line: line.to_string(),
            reply: None,
        });
    }
}

/// Shared state of one server across its connections.
struct ServerState {
    script: Script,
    latency: Duration,
    log: Arc<ServerLog>,
    tls: TlsAcceptor,
    first_seen: Mutex<HashMap<String, Instant>>,
}

/// Binds 127.0.0.1:0 and serves `script` until the task is aborted.
pub async fn start(
    script: Script,
    latency: Duration,
    log: Arc<ServerLog>,
    tls: TlsAcceptor,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = Arc::new(ServerState {
        script,
        latency,
        log,
        tls,
        first_seen: Mutex::new(HashMap::new()),
    });
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                continue;
            };
            // Replies are small writes: without this, Nagle's algorithm and delayed ACKs add
            // ~40 ms to every reply after the first of a pipelined burst.
            let _ = stream.set_nodelay(true);
            let state = state.clone();
            tokio::spawn(async move {
                let _ = serve(state, Box::new(stream), peer.ip()).await;
            });
        }
    });
    Ok((addr, task))
}

/// The per-connection protocol state.
struct Conn {
    io: BufReader<BoxIo>,
    /// Replies to pipelined commands after the first of a burst come without added latency,
    /// as on a real network (one round trip per burst).
    in_burst: bool,
    rcpts_in_transaction: usize,
    tls: bool,
    mail: bool,
    id: u64,
    /// The client's address, as the server sees it (named in the EHLO reply).
    peer: std::net::IpAddr,
}

async fn serve(state: Arc<ServerState>, io: BoxIo, peer: std::net::IpAddr) -> std::io::Result<()> {
    let script = &state.script;
    let (id, open) = state.log.connected(script.name);
    let mut conn = Conn {
        io: BufReader::new(io),
        in_burst: false,
        rcpts_in_transaction: 0,
        tls: false,
        mail: false,
        id,
        peer,
    };
    match script.greeting {
        Greeting::Never => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return Ok(());
        }
        Greeting::Hostile => {
            reply(
                &state,
                &mut conn,
                "220 \x1b[2J\x1b]0;pwned\x07 hostile ESMTP \u{202e}gnp.exe",
            )
            .await?;
        }
        Greeting::Busy => {
            let text = "421 4.3.2 too many concurrent connections, try again later";
            reply(&state, &mut conn, text).await?;
            return Ok(());
        }
        Greeting::Normal => {
            let text = format!("220 {} ESMTP mxknock-lab", script.name);
            reply(&state, &mut conn, &text).await?;
        }
    }
    loop {
        let Ok(line) = read_line(&mut conn.io).await else {
            return Ok(());
        };
        state.log.record(script.name, conn.id, &line);
        let upper = line.to_ascii_uppercase();
        let verb = upper
            .split([' ', ':'])
            .next()
            .unwrap_or_default()
            .to_string();
        match verb.as_str() {
            "EHLO" if script.helo_only => {
                reply(&state, &mut conn, "502 5.5.2 Error: command not recognized").await?
            }
            "EHLO" => ehlo(&state, &mut conn, line.get(5..).unwrap_or_default().trim()).await?,
            "HELO" => reply(&state, &mut conn, &format!("250 {}", script.name)).await?,
            "STARTTLS" if script.starttls && !conn.tls => {
                reply(&state, &mut conn, "220 2.0.0 Ready to start TLS").await?;
                let raw = std::mem::replace(
                    &mut conn.io,
                    BufReader::new(Box::new(tokio::io::join(
                        tokio::io::empty(),
                        tokio::io::sink(),
                    ))),
                )
                .into_inner();
                let tls = state.tls.accept(raw).await?;
                conn.io = BufReader::new(Box::new(tls));
                conn.tls = true;
                conn.mail = false;
            }
            "MAIL" if script.requires_tls && !conn.tls => {
                reply(
                    &state,
                    &mut conn,
                    "530 5.7.0 Must issue a STARTTLS command first",
                )
                .await?
            }
            "MAIL" => {
                conn.mail = true;
                conn.rcpts_in_transaction = 0;
                reply(&state, &mut conn, "250 2.1.0 Ok").await?
            }
            "RCPT" if !conn.mail => {
                reply(&state, &mut conn, "503 5.5.1 Error: need MAIL command").await?
            }
            "RCPT"
                if script
                    .max_rcpts_per_transaction
                    .is_some_and(|max| conn.rcpts_in_transaction >= max) =>
            {
                reply(&state, &mut conn, "452 4.5.3 Error: too many recipients").await?
            }
            "RCPT" => {
                conn.rcpts_in_transaction += 1;
                let text = rcpt_reply(&state, &line);
                reply(&state, &mut conn, &text).await?
            }
            "RSET" => {
                conn.mail = false;
                conn.rcpts_in_transaction = 0;
                reply(&state, &mut conn, "250 2.0.0 Ok").await?
            }
            "NOOP" => reply(&state, &mut conn, "250 2.0.0 Ok").await?,
            "QUIT" => {
                // The client may reconnect as soon as it reads 221: stop counting this one first.
                drop(open);
                reply(&state, &mut conn, "221 2.0.0 Bye").await?;
                return Ok(());
            }
            "DATA" | "BDAT" => {
                reply(
                    &state,
                    &mut conn,
                    "554 5.5.1 mxknock-lab refuses DATA: nothing may be delivered",
                )
                .await?
            }
            _ => reply(&state, &mut conn, "502 5.5.2 Error: command not recognized").await?,
        }
        if verb == "EHLO" && script.drops_after_ehlo {
            return Ok(());
        }
    }
}

/// The EHLO reply; its first line greets the client by the name it gave and the address it
/// comes from, as Exim, Outlook and Gmail do (`250-mx1.lab.test Hello NAME [127.0.0.1]`).
async fn ehlo(state: &ServerState, conn: &mut Conn, name: &str) -> std::io::Result<()> {
    let script = &state.script;
    if script.greeting == Greeting::Hostile {
        let long = format!("250 {}", "A".repeat(5000));
        return reply(state, conn, &long).await;
    }
    let mut lines = vec![
        format!("250-{} Hello {name} [{}]", script.name, conn.peer),
        "250-PIPELINING".to_string(),
        "250-SIZE 10240000".to_string(),
    ];
    if script.starttls && !conn.tls {
        lines.push("250-STARTTLS".to_string());
    }
    lines.push("250-ENHANCEDSTATUSCODES".to_string());
    lines.push("250-8BITMIME".to_string());
    lines.push("250 SMTPUTF8".to_string());
    reply(state, conn, &lines.join("\r\n")).await
}

/// `ok` and digits (`ok0`, `ok417`): the mailboxes lab lists and benchmarks make by the
/// thousand. Only digits, so a random catch-all probe (20 letters and digits) is never one
/// by chance (before, one probe in 1296 began with "ok" and made the domain a catch-all).
fn is_numbered_ok(local: &str) -> bool {
    local
        .strip_prefix("ok")
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
}

fn rcpt_reply(state: &ServerState, line: &str) -> String {
    let script = &state.script;
    let address = line
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(addr, _)| addr.to_string())
        .unwrap_or_default();
    let local = address
        .rsplit_once('@')
        .map(|(l, _)| l.to_lowercase())
        .unwrap_or_default();
    if script.blocks_us {
        return "554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org".into();
    }
    if let Some(delay) = script.greylist {
        let mut seen = state.first_seen.lock().expect("greylist lock");
        let first = *seen
            .entry(address.to_lowercase())
            .or_insert_with(Instant::now);
        if first.elapsed() < delay {
            return format!(
                "450 4.7.1 <{address}>: Recipient address rejected: Greylisted, please retry in {} seconds",
                (delay - first.elapsed()).as_secs().max(1)
            );
        }
    }
    match &script.mailboxes {
        Mailboxes::CatchAll => "250 2.1.5 Ok".into(),
        Mailboxes::Users(users) => {
            if let Some(special) = special_rcpt_reply(&local, &address) {
                special
            } else if users.iter().any(|u| *u == local) || is_numbered_ok(&local) {
                "250 2.1.5 Ok".into()
            } else {
                format!(
                    "550 5.1.1 <{address}>: Recipient address rejected: User unknown in virtual mailbox table"
                )
            }
        }
    }
}

async fn reply(state: &ServerState, conn: &mut Conn, text: &str) -> std::io::Result<()> {
    let delay = state.latency + state.script.slow;
    let more_buffered = !conn.io.buffer().is_empty();
    if !delay.is_zero() && !conn.in_burst {
        tokio::time::sleep(delay).await;
    }
    conn.in_burst = more_buffered;
    if let Ok(code) = text.get(..3).unwrap_or_default().parse::<u16>() {
        state.log.answered(state.script.name, conn.id, code);
    }
    let mut bytes = text
        .replace("\r\n", "\n")
        .replace('\n', "\r\n")
        .into_bytes();
    bytes.extend_from_slice(b"\r\n");
    conn.io.get_mut().write_all(&bytes).await?;
    conn.io.get_mut().flush().await
}

#[cfg(test)]
mod tests {
    use super::is_numbered_ok;

    #[test]
    fn numbered_ok_mailboxes_exist_and_random_probes_do_not_match_by_chance() {
        assert!(is_numbered_ok("ok0") && is_numbered_ok("ok417"));
        assert!(!is_numbered_ok("ok"));
        assert!(
            !is_numbered_ok("okx9q2m4tz0b7c1d8e3f"),
            "a probe that begins with ok"
        );
        assert!(!is_numbered_ok("nobody"));
    }
}
