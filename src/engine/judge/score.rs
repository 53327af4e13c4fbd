//! The quality score: one number, 0-100, for sorting and thresholds ("keep everything above
//! 70"). It is a summary of the report, never a second opinion: the verdict decides, the score
//! orders addresses within and across verdicts.
//!
//! ```text
//! score = clamp(base(reason) + evidence + flags, 0, 100)
//!
//! base:      ok 90 | accept_all 50, 40 when the provider accepts every RCPT | mailbox_full 28
//!            | disposable 15 | greylisted 45 | temporary_failure 40 | timeout,
//!            connection_failed, tls_failed 35 | blocked, port_blocked, protocol_error 30
//!            | mailbox_disabled 5 | no_such_user 3 | no_mail_server 2
//!            | invalid_syntax, no_such_domain, null_mx 0
//! evidence:  +6 the catch-all probe was refused (acceptance means something here)
//!            +2 the deciding session ran over TLS
//!            -8 the domain has no MX record (implicit MX: its A/AAAA record)
//! flags:     -15 role account   -5 free provider   -20 a typo of a provider domain
//! ```
//!
//! Flags and evidence only move an address that could receive mail (deliverable, risky or
//! unknown); an undeliverable address keeps its base. The ordering the formula must keep is
//! tested: a deliverable personal address at an honest provider scores above the same at a
//! catch-all domain, above a role address, above an address at a provider that accepts every
//! RCPT, above unknown, above undeliverable.

use super::verdict::{Reason, Report, Verdict};

/// The base score of a reason (see the module doc).
fn base(reason: Reason, accepts_any: bool) -> i32 {
    use Reason::*;
    match reason {
        Ok => 90,
        AcceptAll if accepts_any => 40,
        AcceptAll => 50,
        MailboxFull => 28,
        Disposable => 15,
        Greylisted => 45,
        TemporaryFailure => 40,
        Timeout | ConnectionFailed | TlsFailed => 35,
        Blocked | PortBlocked | ProtocolError => 30,
        MailboxDisabled => 5,
        NoSuchUser => 3,
        NoMailServer => 2,
        InvalidSyntax | NoSuchDomain | NullMx => 0,
    }
}

/// The score of a finished report, 0-100.
pub fn score(report: &Report) -> u8 {
    // The provider rule "accepts every RCPT" shows as accept_all without a catch-all probe.
    let accepts_any = report.reason == Reason::AcceptAll
        && report.flags.accept_all
        && report.catch_all != Some(true);
    let mut total = base(report.reason, accepts_any);
    if report.verdict != Verdict::Undeliverable {
        if report.catch_all == Some(false) {
            total += 6;
        }
        if report.smtp.as_ref().is_some_and(|s| s.tls.is_some()) {
            total += 2;
        }
        if report.mx.first().is_some_and(|mx| mx.implicit) {
            total -= 8;
        }
        if report.flags.role_account {
            total -= 15;
        }
        if report.flags.free_provider {
            total -= 5;
        }
        if report.suggestion.is_some() {
            total -= 20;
        }
    }
    total.clamp(0, 100) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::judge::verdict::{MxRecord, SmtpFacts, TlsFacts};

    fn report(reason: Reason) -> Report {
        let mut report = Report::new("someone@example.test", reason, "");
        report.mx = vec![MxRecord {
            host: "mx.example.test".into(),
            preference: 10,
            implicit: false,
        }];
        report
    }

    fn honest_personal() -> Report {
        let mut r = report(Reason::Ok);
        r.catch_all = Some(false);
        r.smtp = Some(SmtpFacts {
            tls: Some(TlsFacts::default()),
            ..SmtpFacts::default()
        });
        r
    }

    fn catch_all_domain() -> Report {
        let mut r = report(Reason::AcceptAll);
        r.catch_all = Some(true);
        r.flags.accept_all = true;
        r
    }

    fn provider_accepts_any_role() -> Report {
        let mut r = report(Reason::AcceptAll);
        r.flags.accept_all = true;
        r.flags.role_account = true;
        r
    }

    #[test]
    fn the_documented_ordering_holds() {
        let deliverable_role = {
            let mut r = honest_personal();
            r.flags.role_account = true;
            r
        };
        let provider_accepts_any_personal = {
            let mut r = provider_accepts_any_role();
            r.flags.role_account = false;
            r
        };
        let ladder = [
            (
                "deliverable, personal, honest provider",
                score(&honest_personal()),
            ),
            ("deliverable, not probed", score(&report(Reason::Ok))),
            ("deliverable role address", score(&deliverable_role)),
            ("catch-all domain", score(&catch_all_domain())),
            ("greylisted", score(&report(Reason::Greylisted))),
            (
                "personal address at a provider accepting every RCPT",
                score(&provider_accepts_any_personal),
            ),
            ("blocked", score(&report(Reason::Blocked))),
            ("mailbox full", score(&report(Reason::MailboxFull))),
            (
                "role address at a provider accepting every RCPT",
                score(&provider_accepts_any_role()),
            ),
            ("disposable", score(&report(Reason::Disposable))),
            ("no such user", score(&report(Reason::NoSuchUser))),
            ("invalid syntax", score(&report(Reason::InvalidSyntax))),
        ];
        for pair in ladder.windows(2) {
            assert!(
                pair[0].1 > pair[1].1,
                "{} ({}) should score above {} ({})",
                pair[0].0,
                pair[0].1,
                pair[1].0,
                pair[1].1
            );
        }
    }

    #[test]
    fn the_issues_example_a_role_address_at_an_accept_all_provider_scores_below_a_personal_one() {
        let personal = score(&honest_personal());
        let role = score(&provider_accepts_any_role());
        assert!(role < personal, "{role} < {personal}");
        assert_eq!(personal, 98);
        assert_eq!(role, 25);
    }

    #[test]
    fn flags_do_not_move_an_undeliverable_address() {
        let mut r = report(Reason::NoSuchUser);
        r.flags.role_account = true;
        r.flags.free_provider = true;
        r.suggestion = Some("someone@gmail.com".into());
        assert_eq!(score(&r), 3);
    }

    #[test]
    fn scores_stay_in_range_and_typos_and_implicit_mx_cost() {
        let mut r = report(Reason::Ok);
        assert_eq!(score(&r), 90);
        r.suggestion = Some("a@gmail.com".into());
        assert_eq!(score(&r), 70);
        r.mx[0].implicit = true;
        assert_eq!(score(&r), 62);
        let mut worst = report(Reason::Disposable);
        worst.flags.role_account = true;
        worst.flags.free_provider = true;
        worst.suggestion = Some("x".into());
        assert_eq!(score(&worst), 0, "clamped at 0");
    }
}
