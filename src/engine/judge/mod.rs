//! From a reply to a verdict: [`classify`] reads a reply (code, enhanced status, text) as a
//! class through the status-code registry ([`status_codes`]), [`outcome`] turns a class or a failure into a decision, [`verdict`] holds the public
//! contract (verdicts, reasons, the report), [`schema`] the version of its JSON form, and
//! [`score`] sums a finished report up as 0-100.

pub mod classify;
pub mod outcome;
pub mod schema;
pub mod score;
pub mod status_codes;
pub mod verdict;
