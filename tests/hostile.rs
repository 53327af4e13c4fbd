//! The engine against hostile SMTP servers ([`mxknock::lab::hostile`]), judged at the server
//! side: how many connections it took, that DATA/BDAT never came, that nothing came after QUIT,
//! that every connection was closed; and on the engine side that the run ended within a hard
//! limit, that reports and transcripts stayed small and printable, and what each address's
//! verdict and reason were.
//!
//! The connection bounds are the retry budget's: an address takes part in at most
//! [`MAX_SESSIONS_PER_ADDRESS`] sessions without an answer, and a host whose sessions keep
//! failing is given up on after [`HOST_FAILURES_MAX`] failed sessions in a row. A run that
//! goes past [`RUNAWAY`] connections is stopped at once (it would never end) and fails.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mxknock::config::{Config, StartTlsMode};
use mxknock::engine::judge::verdict::{Reason, Report, Verdict};
use mxknock::engine::net::Net;
use mxknock::engine::{Engine, EventKind};
use mxknock::lab::hostile::{Behaviour, HostileServer};

/// Connect, greeting and command timeouts, in seconds.
const TIMEOUT: f64 = 2.0;

/// A run that has not ended by then hangs: it fails instead of hanging CI.
const HARD_LIMIT: Duration = Duration::from_secs(60);

/// Connections after which a run is stopped as a runaway: far past every bound below.
const RUNAWAY: usize = 100;

/// `engine.max_sessions_per_address`.
const MAX_SESSIONS_PER_ADDRESS: usize = 3;

/// `engine.host_failures_max`.
const HOST_FAILURES_MAX: usize = 4;

/// `engine.per_host`: sessions to one host at a time.
const PER_HOST: usize = 2;

/// Connections a host that fails every session may see: it is given up on after
/// [`HOST_FAILURES_MAX`] failures in a row, plus the sessions already under way (one per
/// other `per_host` slot) when the last one failed.
const GIVE_UP_BOUND: usize = HOST_FAILURES_MAX + PER_HOST;

/// Connections for 20 addresses (half of them refused) at a server that answers: two sessions
/// at a time take them all (8 refusals a session), with room for one more round and for a
/// session that finds pipelining broken and falls back to one command at a time.
const ANSWERING_BOUND: usize = 4;

/// Connections when STARTTLS breaks: the failure is remembered for the host, so one failed
/// TLS attempt per concurrent session at most, then plain-text sessions as for a server that
/// answers.
const TLS_FALLBACK_BOUND: usize = PER_HOST + ANSWERING_BOUND;

/// Connections when the server answers only part of a pipelined batch: one timed-out
/// pipelined session per concurrent slot, then sessions one command at a time as for a server
/// that answers.
const PIPELINING_FALLBACK_BOUND: usize = PER_HOST + ANSWERING_BOUND;

/// How many addresses most tests check.
const ADDRESSES: usize = 20;

/// Most transcript bytes (line texts) one address may collect.
const TRANSCRIPT_CAP: usize = 256 * 1024;

/// Most bytes of one report as JSON.
const REPORT_CAP: usize = 64 * 1024;

/// How long the server may take to see every connection closed after the run.
const SETTLE: Duration = Duration::from_secs(5);

fn config(port: u16, starttls: StartTlsMode) -> Config {
    let mut config = Config::default();
    config.smtp.helo = Some("verifier.hostile.test".into());
    config.smtp.server = Some("127.0.0.1".into());
    config.smtp.port = port;
    config.smtp.starttls = starttls;
    config.smtp.connect_timeout = TIMEOUT;
    config.smtp.greeting_timeout = TIMEOUT;
    config.smtp.command_timeout = TIMEOUT;
    config.engine.greylist_max_wait = 0.0;
    config.engine.per_host = PER_HOST;
    config.engine.max_sessions_per_address = MAX_SESSIONS_PER_ADDRESS;
    config.engine.host_failures_max = HOST_FAILURES_MAX;
    config.engine.retry_backoff = 0.05;
    config
}

/// `user0@hostile.test` ... : all exist at a server that answers.
fn users(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("user{i}@hostile.test")).collect()
}

/// Even ones exist (`user0`), odd ones do not (`nobody1`).
fn mixed(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            if i % 2 == 0 {
                format!("user{i}@hostile.test")
            } else {
                format!("nobody{i}@hostile.test")
            }
        })
        .collect()
}

/// The real answer of the hostile server's mailbox table.
fn real_answer(address: &str) -> Reason {
    if address.starts_with("user") {
        Reason::Ok
    } else {
        Reason::NoSuchUser
    }
}

#[derive(Debug, PartialEq, Eq)]
enum End {
    /// Every job finished.
    Finished,
    /// Stopped after [`RUNAWAY`] connections.
    Runaway,
    /// Stopped after [`HARD_LIMIT`].
    TimedOut,
}

struct Run {
    addresses: Vec<String>,
    /// Per job; None when the run was stopped before the job finished.
    reports: Vec<Option<Report>>,
    /// Per job: bytes of transcript text, and every line's text.
    transcripts: Vec<(usize, Vec<String>)>,
    elapsed: Duration,
    end: End,
    connections: usize,
    settled: bool,
}

async fn run(server: &HostileServer, config: Config, addresses: &[String]) -> Run {
    let net = Net::from_config(&config).expect("net");
    let started = Instant::now();
    let (handle, mut rx) = Engine::start(Arc::new(config), net);
    for address in addresses {
        handle.submit(address.clone());
    }
    drop(handle);
    let mut reports = vec![None; addresses.len()];
    let mut transcripts = vec![(0usize, Vec::new()); addresses.len()];
    let deadline = tokio::time::sleep(HARD_LIMIT);
    tokio::pin!(deadline);
    let mut watch = tokio::time::interval(Duration::from_millis(50));
    let end = loop {
        tokio::select! {
            event = rx.recv() => {
                let Some(event) = event else { break End::Finished };
                let job = event.job.0 as usize;
                match event.kind {
                    EventKind::Line(line) => {
                        let (bytes, lines) = &mut transcripts[job];
                        *bytes += line.text.len();
                        if lines.len() < 10_000 {
                            lines.push(line.text);
                        }
                    }
                    EventKind::Finished(report) => reports[job] = Some(*report),
                    _ => {}
                }
            }
            _ = watch.tick() => {
                if server.connections() > RUNAWAY {
                    break End::Runaway;
                }
            }
            _ = &mut deadline => break End::TimedOut,
        }
    };
    let elapsed = started.elapsed();
    drop(rx);
    let connections = server.connections();
    let settled = end == End::Finished && server.settle(SETTLE).await;
    Run {
        addresses: addresses.to_vec(),
        reports,
        transcripts,
        elapsed,
        end,
        connections,
        settled,
    }
}

/// What each address should end with.
enum Expect {
    /// Unknown, with one of these reasons.
    Unknown(&'static [Reason]),
    /// The server's real answer ([`real_answer`]).
    Real,
    /// The real answer, or unknown with one of these reasons.
    RealOr(&'static [Reason]),
    /// One of these reasons.
    OneOf(&'static [Reason]),
}

impl Expect {
    fn allows(&self, address: &str, reason: Reason) -> bool {
        match self {
            Expect::Unknown(reasons) => {
                reason.verdict() == Verdict::Unknown && reasons.contains(&reason)
            }
            Expect::Real => reason == real_answer(address),
            Expect::RealOr(reasons) => reason == real_answer(address) || reasons.contains(&reason),
            Expect::OneOf(reasons) => reasons.contains(&reason),
        }
    }
}

/// Text that a terminal may show as is: no ESC, no NUL, no other control character (C0, DEL,
/// C1), no bidi override or isolate.
fn printable(text: &str) -> bool {
    !text.chars().any(|c| {
        c.is_control()
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    })
}

/// Every string in a JSON value.
fn strings(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// Checks every bound and expectation; prints a summary line; panics with every failure.
fn check(name: &str, server: &HostileServer, run: &Run, max_connections: usize, expect: Expect) {
    pass(name, failures(name, server, run, max_connections, expect));
}

/// Panics with every failure, if there is any.
fn pass(name: &str, failures: Vec<String>) {
    if failures.is_empty() {
        return;
    }
    let shown: Vec<&str> = failures.iter().take(12).map(String::as_str).collect();
    panic!(
        "{name}: {} failures:\n  {}",
        failures.len(),
        shown.join("\n  ")
    );
}

/// Every bound and expectation not met; prints a summary line first.
fn failures(
    name: &str,
    server: &HostileServer,
    run: &Run,
    max_connections: usize,
    expect: Expect,
) -> Vec<String> {
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for report in &run.reports {
        let key = match report {
            Some(r) => format!("{}/{}", r.verdict, r.reason),
            None => "unfinished".into(),
        };
        *reasons.entry(key).or_default() += 1;
    }
    println!(
        "HOSTILE {name}: connections={} (bound {max_connections}) elapsed={:.1}s end={:?} rcpts={} reasons={reasons:?}",
        run.connections,
        run.elapsed.as_secs_f64(),
        run.end,
        server.rcpts(),
    );
    let mut failures = Vec::new();
    if run.end != End::Finished {
        failures.push(format!(
            "the run did not end: {:?} after {:.1}s and {} connections",
            run.end,
            run.elapsed.as_secs_f64(),
            run.connections
        ));
    }
    if run.connections > max_connections {
        failures.push(format!(
            "{} connections, more than {max_connections}",
            run.connections
        ));
    }
    if server.saw_data() {
        failures.push("the server received DATA or BDAT".into());
    }
    if server.bytes_after_quit() > 0 {
        failures.push(format!(
            "{} bytes came after QUIT",
            server.bytes_after_quit()
        ));
    }
    if run.end == End::Finished && !run.settled {
        failures.push(format!(
            "{} connections still open at the server {SETTLE:?} after the run",
            server.open_connections()
        ));
    }
    for (i, address) in run.addresses.iter().enumerate() {
        let (bytes, lines) = &run.transcripts[i];
        if *bytes > TRANSCRIPT_CAP {
            failures.push(format!("{address}: {bytes} bytes of transcript"));
        }
        if let Some(line) = lines.iter().find(|l| !printable(l)) {
            failures.push(format!("{address}: unprintable transcript line {line:?}"));
        }
        let Some(report) = &run.reports[i] else {
            continue;
        };
        let json = serde_json::to_string(report).expect("report serialises");
        if json.len() > REPORT_CAP {
            failures.push(format!("{address}: report of {} bytes", json.len()));
        }
        let mut texts = Vec::new();
        strings(&serde_json::to_value(report).expect("report"), &mut texts);
        if let Some(text) = texts.iter().find(|t| !printable(t)) {
            failures.push(format!("{address}: unprintable report text {text:?}"));
        }
        if report.verdict != report.reason.verdict() {
            failures.push(format!("{address}: verdict and reason disagree"));
        }
        if !expect.allows(address, report.reason) {
            failures.push(format!(
                "{address}: {}/{} ({})",
                report.verdict, report.reason, report.detail
            ));
        }
    }
    failures
}

/// Starts `behaviour`, runs `addresses` against it with the test config.
async fn against(
    behaviour: Behaviour,
    starttls: StartTlsMode,
    addresses: &[String],
) -> (HostileServer, Run) {
    let server = HostileServer::start(behaviour).await.expect("server");
    let config = config(server.port(), starttls);
    let run = run(&server, config, addresses).await;
    (server, run)
}

const NO_TLS: StartTlsMode = StartTlsMode::Never;
const MAY_TLS: StartTlsMode = StartTlsMode::Opportunistic;

#[tokio::test]
async fn control_a_well_behaved_server_gives_real_answers() {
    let (server, run) = against(Behaviour::Normal, NO_TLS, &mixed(ADDRESSES)).await;
    check("normal", &server, &run, ANSWERING_BOUND, Expect::Real);
}

#[tokio::test]
async fn rcpt_421_then_close_is_retried_a_bounded_number_of_times() {
    let (server, run) = against(Behaviour::RcptTempfailThenClose, NO_TLS, &users(ADDRESSES)).await;
    // The session of an address that got no reply closed because the server said 421.
    let reasons = &[Reason::TemporaryFailure, Reason::ConnectionFailed];
    check(
        "rcpt_421_close",
        &server,
        &run,
        GIVE_UP_BOUND,
        Expect::Unknown(reasons),
    );
}

#[tokio::test]
async fn rcpt_421_on_a_connection_kept_open_is_retried_a_bounded_number_of_times() {
    let (server, run) = against(Behaviour::RcptTempfailStayOpen, NO_TLS, &users(ADDRESSES)).await;
    check(
        "rcpt_421_open",
        &server,
        &run,
        GIVE_UP_BOUND,
        Expect::Unknown(&[Reason::TemporaryFailure]),
    );
}

#[tokio::test]
async fn starttls_421_then_close_is_retried_a_bounded_number_of_times() {
    let (server, run) = against(
        Behaviour::StartTlsTempfailThenClose,
        MAY_TLS,
        &mixed(ADDRESSES),
    )
    .await;
    // Retrying in plain text (and getting real answers) would be fine too.
    let reasons = &[Reason::TemporaryFailure, Reason::ConnectionFailed];
    check(
        "starttls_421_close",
        &server,
        &run,
        GIVE_UP_BOUND,
        Expect::RealOr(reasons),
    );
}

#[tokio::test]
async fn starttls_421_on_a_connection_kept_open_is_retried_a_bounded_number_of_times() {
    let (server, run) = against(
        Behaviour::StartTlsTempfailStayOpen,
        MAY_TLS,
        &mixed(ADDRESSES),
    )
    .await;
    // STARTTLS goes alone, so whatever came after it was sent after the 421: a server that
    // says 421 is closing the channel (RFC 5321 §3.8), there is no going on in plain text.
    let after: Vec<String> = server
        .records()
        .iter()
        .flat_map(|c| commands_after(&c.commands, "STARTTLS"))
        .filter(|command| !command.eq_ignore_ascii_case("QUIT"))
        .collect();
    let mut failures = failures(
        "starttls_421_open",
        &server,
        &run,
        GIVE_UP_BOUND,
        Expect::Unknown(&[Reason::TemporaryFailure]),
    );
    if !after.is_empty() {
        let shown: Vec<&String> = after.iter().take(3).collect();
        failures.insert(
            0,
            format!(
                "the client sent {} commands after a 421 to STARTTLS: {shown:?} ...",
                after.len()
            ),
        );
    }
    pass("starttls_421_open", failures);
}

/// The commands after the first one whose verb is `verb`.
fn commands_after(commands: &[String], verb: &str) -> Vec<String> {
    let is_verb = |c: &String| {
        c.split([' ', ':'])
            .next()
            .is_some_and(|v| v.eq_ignore_ascii_case(verb))
    };
    match commands.iter().position(is_verb) {
        Some(i) => commands[i + 1..].to_vec(),
        None => Vec::new(),
    }
}

#[tokio::test]
async fn a_malformed_rcpt_code_is_a_protocol_error() {
    let (server, run) = against(Behaviour::MalformedRcptCode, NO_TLS, &users(ADDRESSES)).await;
    check(
        "malformed_code",
        &server,
        &run,
        GIVE_UP_BOUND,
        Expect::Unknown(&[Reason::ProtocolError]),
    );
}

#[tokio::test]
async fn a_code_change_inside_a_multiline_reply_is_a_protocol_error() {
    let (server, run) = against(Behaviour::CodeChangeInReply, NO_TLS, &users(ADDRESSES)).await;
    check(
        "code_change",
        &server,
        &run,
        GIVE_UP_BOUND,
        Expect::Unknown(&[Reason::ProtocolError]),
    );
}

#[tokio::test]
async fn a_close_after_rcpt_without_reply_is_a_connection_failure() {
    let (server, run) = against(Behaviour::CloseAfterRcpt, NO_TLS, &users(ADDRESSES)).await;
    check(
        "close_after_rcpt",
        &server,
        &run,
        GIVE_UP_BOUND,
        Expect::Unknown(&[Reason::ConnectionFailed]),
    );
}

#[tokio::test]
async fn a_close_in_the_middle_of_a_reply_is_no_acceptance() {
    let (server, run) = against(Behaviour::CloseMidReply, NO_TLS, &users(ADDRESSES)).await;
    check(
        "close_mid_reply",
        &server,
        &run,
        GIVE_UP_BOUND,
        Expect::Unknown(&[Reason::ConnectionFailed, Reason::ProtocolError]),
    );
}

#[tokio::test]
async fn a_server_that_answers_only_the_first_pipelined_command_still_gets_real_answers() {
    let (server, run) = against(Behaviour::PartialPipelining, NO_TLS, &mixed(ADDRESSES)).await;
    check(
        "partial_pipelining",
        &server,
        &run,
        PIPELINING_FALLBACK_BOUND,
        Expect::Real,
    );
}

/// A host that makes every session wait out a timeout sees at most `per_host` connections
/// per timeout (plus the first round): the engine waits, it does not hammer.
fn paced(server: &HostileServer, run: &Run) -> Option<String> {
    let rounds = (run.elapsed.as_secs_f64() / TIMEOUT).floor() as usize + 1;
    (server.connections() > PER_HOST * rounds).then(|| {
        format!(
            "{} connections in {:.1}s: more than {PER_HOST} per {TIMEOUT}s timeout",
            server.connections(),
            run.elapsed.as_secs_f64()
        )
    })
}

#[tokio::test]
async fn a_server_that_never_greets_times_out() {
    let (server, run) = against(Behaviour::NoGreeting, NO_TLS, &users(ADDRESSES)).await;
    let mut failures = failures(
        "no_greeting",
        &server,
        &run,
        GIVE_UP_BOUND,
        Expect::Unknown(&[Reason::Timeout]),
    );
    failures.extend(paced(&server, &run));
    pass("no_greeting", failures);
}

#[tokio::test]
async fn a_greeting_at_one_byte_per_second_times_out() {
    let (server, run) = against(Behaviour::Trickle, NO_TLS, &users(ADDRESSES)).await;
    let mut failures = failures(
        "trickle",
        &server,
        &run,
        GIVE_UP_BOUND,
        Expect::Unknown(&[Reason::Timeout]),
    );
    failures.extend(paced(&server, &run));
    pass("trickle", failures);
}

#[tokio::test]
async fn an_endless_multiline_reply_is_cut_off() {
    let (server, run) = against(Behaviour::EndlessMultiline, NO_TLS, &users(ADDRESSES)).await;
    check(
        "endless_multiline",
        &server,
        &run,
        GIVE_UP_BOUND,
        Expect::Unknown(&[Reason::ProtocolError]),
    );
}

#[tokio::test]
async fn a_ten_megabyte_line_is_cut_off() {
    let (server, run) = against(Behaviour::HugeLine, NO_TLS, &users(ADDRESSES)).await;
    check(
        "huge_line",
        &server,
        &run,
        GIVE_UP_BOUND,
        Expect::Unknown(&[Reason::ProtocolError]),
    );
}

#[tokio::test]
async fn control_bytes_in_replies_never_reach_reports_or_transcripts() {
    let (server, run) = against(Behaviour::ControlBytes, NO_TLS, &mixed(ADDRESSES)).await;
    check(
        "control_bytes",
        &server,
        &run,
        ANSWERING_BOUND,
        Expect::Real,
    );
    // The escapes are shown, visibly, rather than dropped.
    let greeting_shown = run.transcripts[0]
        .1
        .iter()
        .any(|l| l.starts_with("220 ") && l.contains("\\x1b[2J") && l.contains("\\x00"));
    assert!(greeting_shown, "{:#?}", run.transcripts[0].1);
}

async fn wrong_rcpt_code(name: &str, reply: &'static str) {
    let (server, run) = against(Behaviour::WrongRcptCode(reply), NO_TLS, &users(ADDRESSES)).await;
    check(
        name,
        &server,
        &run,
        GIVE_UP_BOUND,
        Expect::Unknown(&[Reason::ProtocolError]),
    );
}

#[tokio::test]
async fn rcpt_answered_354_is_a_protocol_error() {
    wrong_rcpt_code("rcpt_354", "354 go ahead").await;
}

#[tokio::test]
async fn rcpt_answered_999_is_a_protocol_error() {
    wrong_rcpt_code("rcpt_999", "999 what").await;
}

#[tokio::test]
async fn rcpt_answered_a_two_digit_code_is_a_protocol_error() {
    wrong_rcpt_code("rcpt_25", "25").await;
}

#[tokio::test]
async fn rcpt_answered_letters_is_a_protocol_error() {
    wrong_rcpt_code("rcpt_abc", "abc").await;
}

#[tokio::test]
async fn a_reset_at_rcpt_is_a_connection_failure() {
    let (server, run) = against(Behaviour::ResetOnRcpt, NO_TLS, &users(ADDRESSES)).await;
    check(
        "reset_on_rcpt",
        &server,
        &run,
        GIVE_UP_BOUND,
        Expect::Unknown(&[Reason::ConnectionFailed]),
    );
}

/// STARTTLS is tried on at most `per_host` connections: after a failed handshake the host is
/// remembered as one where TLS does not work.
fn tls_tried_once_per_slot(server: &HostileServer) -> Option<String> {
    let tried = server
        .records()
        .iter()
        .filter(|c| {
            c.commands
                .iter()
                .any(|l| l.eq_ignore_ascii_case("STARTTLS"))
        })
        .count();
    (tried > PER_HOST).then(|| format!("STARTTLS tried on {tried} connections"))
}

#[tokio::test]
async fn starttls_220_then_garbage_falls_back_to_plain_text() {
    let (server, run) = against(Behaviour::StartTlsThenGarbage, MAY_TLS, &mixed(ADDRESSES)).await;
    let mut failures = failures(
        "starttls_garbage",
        &server,
        &run,
        TLS_FALLBACK_BOUND,
        Expect::RealOr(&[Reason::TlsFailed]),
    );
    failures.extend(tls_tried_once_per_slot(&server));
    pass("starttls_garbage", failures);
}

#[tokio::test]
async fn starttls_220_then_close_falls_back_to_plain_text() {
    let (server, run) = against(Behaviour::StartTlsThenClose, MAY_TLS, &mixed(ADDRESSES)).await;
    let mut failures = failures(
        "starttls_close",
        &server,
        &run,
        TLS_FALLBACK_BOUND,
        Expect::RealOr(&[Reason::TlsFailed]),
    );
    failures.extend(tls_tried_once_per_slot(&server));
    pass("starttls_close", failures);
}

#[tokio::test]
async fn starttls_220_then_garbage_when_tls_is_required_is_a_tls_failure() {
    let (server, run) = against(
        Behaviour::StartTlsThenGarbage,
        StartTlsMode::Required,
        &users(ADDRESSES),
    )
    .await;
    check(
        "starttls_garbage_required",
        &server,
        &run,
        GIVE_UP_BOUND,
        Expect::Unknown(&[Reason::TlsFailed]),
    );
}

#[tokio::test]
async fn an_unsolicited_354_after_rcpt_never_makes_an_address_deliverable() {
    let (server, run) = against(Behaviour::UnsolicitedGoAhead, NO_TLS, &users(ADDRESSES)).await;
    // The server accepts everything: acceptance proves nothing, and a reply stream that is
    // out of step with the commands proves nothing either.
    check(
        "unsolicited_354",
        &server,
        &run,
        GIVE_UP_BOUND,
        Expect::OneOf(&[Reason::AcceptAll, Reason::ProtocolError]),
    );
}

#[tokio::test]
async fn replies_sent_before_the_commands_never_make_an_address_deliverable() {
    let (server, run) = against(Behaviour::BurstAtConnect, NO_TLS, &users(ADDRESSES)).await;
    // The pre-sent `250` to RCPT answered no address; every RCPT the server read got 550.
    check(
        "burst_at_connect",
        &server,
        &run,
        GIVE_UP_BOUND,
        Expect::OneOf(&[Reason::ProtocolError, Reason::NoSuchUser]),
    );
}
