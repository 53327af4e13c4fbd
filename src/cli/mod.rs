//! The headless front end: `check` and `batch`. Consumes engine events and writes text
//! or JSON (through [`crate::export`]'s writers); shares the engine with the TUI. `annotate`
//! joins batch results onto their list; `doctor` runs [`crate::doctor`]'s checks of whether
//! this machine is fit to verify at all and prints them; `config_command` prints the
//! configuration (path, show, template) and the man page; `history` lists and imports past
//! checks. Exit codes are [`crate::exit`]'s.

pub mod annotate;
pub mod args;
pub mod batch;
pub mod check;
pub mod config_command;
pub mod doctor;
pub mod history;
pub mod output;
pub mod resume;
