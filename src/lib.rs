//! mxknock: tells whether an email address really exists by asking its mail server.
//!
//! The library holds the verification engine ([`engine`]), address parsing ([`address`]),
//! configuration ([`config`]), the embedded lab of scripted DNS and SMTP servers ([`lab`]) and the
//! headless command-line front end ([`cli`]), and the terminal UI ([`tui`]). The binary in `main.rs` only parses arguments and
//! dispatches.

pub mod address;
pub mod annotate;
pub mod cli;
pub mod config;
pub mod engine;
pub mod export;
pub mod input;
pub mod lab;
pub mod text;
pub mod tui;
