//! mxknock: tells whether an email address really exists by asking its mail server.
//!
//! The library holds the verification engine ([`engine`]: DNS, the SMTP wire, sessions, the
//! scheduler with its per-host limits, retry budget ([`engine::host_health`]), first-session
//! trials ([`engine::host_trial`]) and the port-25 breaker ([`engine::port_breaker`]), and the
//! verdicts), address parsing ([`address`]), the invisible characters nothing may show or send
//! ([`text`]), configuration ([`config`]), list loading ([`input`]) and result writing
//! ([`export`], [`annotate`]), the embedded lab of scripted DNS and SMTP servers ([`lab`]),
//! the headless front end ([`cli`]: check, batch, annotate, doctor, completions) and the
//! terminal UI ([`tui`]). The binary in `main.rs` only parses arguments and dispatches.

pub mod address;
pub mod annotate;
pub mod cli;
pub mod config;
pub mod doctor;
pub mod engine;
pub mod exit;
pub mod export;
pub mod input;
pub mod lab;
pub mod proxy_url;
pub mod signal;
pub mod text;
pub mod tui;
