//! Exit codes of every front end (the headless commands, the doctor, the TUI): the worst
//! verdict wins.

use crate::engine::judge::verdict::Verdict;

/// Every address deliverable (or nothing checked).
pub const OK: i32 = 0;
/// mxknock itself failed.
pub const FAILURE: i32 = 1;
/// Usage or configuration error (clap uses 2 too).
pub const USAGE: i32 = 2;

/// The exit code for one verdict.
pub fn for_verdict(verdict: Verdict) -> i32 {
    match verdict {
        Verdict::Deliverable => OK,
        Verdict::Risky => 3,
        Verdict::Unknown => 4,
        Verdict::Undeliverable => 5,
    }
}

/// The exit code for a run: that of the worst verdict.
pub fn for_verdicts(verdicts: impl IntoIterator<Item = Verdict>) -> i32 {
    verdicts.into_iter().map(for_verdict).max().unwrap_or(OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_verdict_wins() {
        use Verdict::*;
        assert_eq!(for_verdicts([]), 0);
        assert_eq!(for_verdicts([Deliverable, Deliverable]), 0);
        assert_eq!(for_verdicts([Deliverable, Risky]), 3);
        assert_eq!(for_verdicts([Unknown, Risky]), 4);
        assert_eq!(for_verdicts([Risky, Undeliverable, Unknown]), 5);
    }
}
