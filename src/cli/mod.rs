//! The headless front end: `check` and `batch`. Consumes engine events and writes text
//! or JSON; shares the engine with the TUI. `annotate` joins batch results onto their list;
//! `doctor` checks whether this machine is fit to verify at all.

pub mod annotate;
pub mod args;
pub mod batch;
pub mod check;
pub mod doctor;
pub mod output;
pub mod resume;
