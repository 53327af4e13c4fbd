//! The headless front end: `check` and `batch`. Consumes engine events and writes text
//! or JSON; shares the engine with the TUI.

pub mod args;
pub mod batch;
pub mod check;
pub mod exit;
pub mod output;
pub mod resume;
