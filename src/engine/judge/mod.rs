//! From a reply to a verdict: [`classify`] reads a reply (code, enhanced status, text) as a
//! class, [`outcome`] turns a class or a failure into a decision, and [`verdict`] holds the
//! public contract (verdicts, reasons, the report).

pub mod classify;
pub mod outcome;
pub mod verdict;
