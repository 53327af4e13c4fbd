//! mxknock: tells whether an email address really exists by asking its mail server.
//!
//! # Module map
//! ```text
//! address/     parse + normalise an address (RFC 5321/5322/6531, IDN A-label); typo hints
//! input/       list loading (text, CSV dialects, BOM, CRLF, bad rows), the one address_key(),
//!              shard.rs (batch --shard K/N by domain)
//! export.rs    one writer per format (CSV, JSONL), for the TUI and batch; annotate.rs
//! config/      schema and layering (mod.rs), validation (validate.rs), where a value came
//!              from (origin.rs: file line, environment variable, flag); proxy_url.rs: the
//!              SOCKS5 address it accepts
//! engine/      the verification engine, no terminal code:
//!   mod.rs       Engine::start -> (EngineHandle, events); admission.rs: the bounded window
//!   prepare.rs   syntax, flags, MX (dns/), the provider, the report skeleton
//!   scheduler/   queues per domain, priorities (gate.rs), greylisting re-checks, workers
//!   session/     THE conversation: open.rs (permit, slot, connect .. MAIL), rcpts.rs
//!                (pipelined RCPT batches .. QUIT), probe.rs (catch-all), slot.rs (global slots)
//!   smtp/        the wire: commands, bounded reply reader, TLS
//!   hosts/       per server IP: limit (the only per-host gate, with the first-session
//!                trial), health (retry budget, refused us), port_breaker (port 25 blocked)
//!   judge/       classify a reply (status-code registry + phrases) -> outcome -> verdict (the
//!                public contract) -> score
//!   knowledge/   disposable / free / role lists; providers (assets/providers.toml and the
//!                config's [[providers]]): who runs the MX hosts, and their rules
//!   net.rs, proxy.rs   resolver and dialer (direct, SOCKS5, bind, embedded lab)
//!   event.rs, emit.rs, tap.rs, transcript.rs, stats.rs, notice.rs, context.rs
//! history/     the verification history in SQLite: store (open, migrate, queries), the
//!              recorder (one writer fed by the engine's tap), reuse in prepare, run
//! doctor/      the doctor's checks (the `doctor` command and the TUI's D key)
//! lab/         embedded lab: in-process DNS and scripted SMTP servers (demo, tests, benches)
//! cli/         args/ (mod: Cli and Command; commands; settings: option groups, clap env,
//!              origins), check, batch, annotate, doctor, history, config
//!              path|show|template and man (config_command), and their output
//! logging.rs   -v/-vv: tracing to standard error or --log-file, never onto the TUI
//! tui/         mod.rs (terminal, loop), action, keymap, app/ (state in parts), view/ (a file
//!              per pane), theme; it imports nothing of cli/. The selected address's stored
//!              checks and transcripts: the app asks (app/past.rs), the loop reads them
//!              through a history connection of its own
//! text.rs      the invisible characters nothing may show or send; the terminal sanitiser
//! exit.rs, signal.rs   exit codes; SIGINT/SIGTERM/SIGHUP for the TUI and batch
//! ```
//!
//! # Event flow
//! 1. A front end submits addresses to [`engine::EngineHandle`]; at most
//!    `engine.max_in_flight` are in flight, the rest wait as compact entries.
//! 2. Each admitted address is prepared (syntax, a fresh enough result from the history,
//!    lists, MX, provider) and queued for its domain.
//! 3. A worker opens a session (per-IP permit, then a global slot) and sends RCPT batches.
//! 4. Every command, reply and stage goes out as an [`engine::EngineEvent`] on one bounded
//!    channel, the job's `Finished(Report)` last.
//! 5. The TUI (`App::apply`) and the commands' writers consume the same stream; the
//!    history's recorder hears of each asked job through the emitters' tap (engine/tap.rs):
//!    one event with the report and its conversation as capped text, not one per line.

pub mod address;
pub mod annotate;
pub mod cli;
pub mod config;
pub mod doctor;
pub mod engine;
pub mod exit;
pub mod export;
pub mod history;
pub mod input;
pub mod lab;
pub mod logging;
pub mod proxy_url;
pub mod signal;
pub mod text;
pub mod tui;
