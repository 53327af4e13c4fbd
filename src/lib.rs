//! mxknock: tells whether an email address really exists by asking its mail server.
//!
//! The library holds the verification engine ([`engine`]: DNS, the SMTP wire, sessions, the
//! scheduler with its per-host limits, retry budget ([`engine::host_health`]), first-session
//! trials ([`engine::host_trial`]) and the port-25 breaker ([`engine::port_breaker`]), the
//! verdicts, and transcript lines with their one text form ([`engine::transcript`])), address
//! parsing ([`address`]), the invisible characters nothing may show or send and the one
//! sanitiser for terminals ([`text`]), configuration ([`config`], with the SOCKS5 proxy address
//! in [`proxy_url`]), list loading with the one address key and BOM rule ([`input`]), result
//! writing ([`export`]: one writer per format; [`annotate`]), the doctor's checks ([`doctor`]),
//! exit codes ([`exit`]), the embedded lab of scripted DNS and SMTP servers ([`lab`]), the
//! headless front end ([`cli`]: check, batch, annotate, doctor, completions) and the terminal
//! UI ([`tui`]), which shares the engine, export, doctor and text modules with the commands but
//! imports nothing of [`cli`]. The binary in `main.rs` only parses arguments and dispatches.

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
