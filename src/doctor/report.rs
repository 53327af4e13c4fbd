//! What `doctor` finds: one [`Check`] per question, each pass / warn / fail / skipped with a
//! one-line fix, gathered in a [`DoctorReport`]; and the exit code that follows from them.

use std::net::IpAddr;

use serde::Serialize;

/// How one check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// It could not run (no IP seen, no sender configured ...); the summary says why.
    Skipped,
    /// Fine.
    Pass,
    /// Worth fixing: some servers will mind.
    Warn,
    /// Verification from here will fail against some or all servers.
    Fail,
}

impl Status {
    /// The word shown: `pass`, `warn`, `fail`, `skip`.
    pub fn word(self) -> &'static str {
        match self {
            Status::Skipped => "skip",
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked: `port 25`, `IP seen`, `rDNS`, `HELO`, `blocklist`, `MAIL FROM`,
    /// `sender domain`, `SPF`.
    pub name: &'static str,
    /// How it came out.
    pub status: Status,
    /// One line: what was found (server text quoted as the server sent it, sanitised).
    pub summary: String,
    /// One line: what to do about it, when there is something to do.
    pub fix: Option<String>,
}

impl Check {
    /// A passed check.
    pub fn pass(name: &'static str, summary: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Pass,
            summary: summary.into(),
            fix: None,
        }
    }

    /// A warning with its fix.
    pub fn warn(name: &'static str, summary: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Warn,
            summary: summary.into(),
            fix: Some(fix.into()),
        }
    }

    /// A failure with its fix.
    pub fn fail(name: &'static str, summary: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Fail,
            summary: summary.into(),
            fix: Some(fix.into()),
        }
    }

    /// A check that could not run, and why.
    pub fn skipped(name: &'static str, why: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Skipped,
            summary: why.into(),
            fix: None,
        }
    }
}

/// Where the IP the servers see came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IpSource {
    /// A server named it in its greeting or EHLO reply (`Hello name [203.0.113.9]`).
    Server,
    /// The local address of the connection (no server named one).
    LocalAddress,
    /// The SOCKS5 proxy's address.
    Proxy,
}

/// What one probed mail server did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProbeSummary {
    /// The domain whose first MX it is (or the `--server`).
    pub domain: String,
    /// Other domains whose first MX it is too.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_for: Vec<String>,
    /// The host name.
    pub host: Option<String>,
    /// The address dialled.
    pub ip: Option<IpAddr>,
    /// `answered`, `refused_us`, `connection_refused`, `timed_out`, `error`, `no_mail_host`.
    pub outcome: &'static str,
    /// The greeting, as one line.
    pub greeting: Option<String>,
    /// The EHLO (or HELO) reply, as one line.
    pub ehlo: Option<String>,
    /// The reply to MAIL FROM, as one line, when it was sent.
    pub mail_from: Option<String>,
}

/// Everything `doctor` found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DoctorReport {
    /// The checks, in the order they are shown.
    pub checks: Vec<Check>,
    /// The IP the mail servers see, when it is known.
    pub ip_seen: Option<IpAddr>,
    /// Where [`DoctorReport::ip_seen`] came from.
    pub ip_source: Option<IpSource>,
    /// The EHLO name used.
    pub helo: String,
    /// The MAIL FROM address used ("" for the null sender).
    pub from: String,
    /// Each mail server probed.
    pub probes: Vec<ProbeSummary>,
    /// The worst status of all checks (`pass` when every check passed or was skipped).
    pub status: Status,
    /// The exit code `mxknock doctor` ends with.
    pub exit_code: i32,
}

impl DoctorReport {
    /// A report of `checks`, with its overall status and exit code worked out.
    pub fn new(checks: Vec<Check>) -> DoctorReport {
        DoctorReport {
            status: worst(&checks),
            exit_code: exit_code(&checks),
            checks,
            ip_seen: None,
            ip_source: None,
            helo: String::new(),
            from: String::new(),
            probes: Vec::new(),
        }
    }

    /// The report as pretty JSON with every control character escaped.
    pub fn to_json(&self) -> String {
        let json = serde_json::to_string_pretty(self).expect("a doctor report always serialises");
        crate::export::escape_json_controls(&json)
    }
}

/// The worst status among `checks`; skipped checks count as passed.
pub fn worst(checks: &[Check]) -> Status {
    checks
        .iter()
        .map(|c| c.status)
        .max()
        .map_or(Status::Pass, |s| s.max(Status::Pass))
}

/// Exit code with warnings (and no failure).
pub const EXIT_WARN: i32 = 4;
/// Exit code with at least one failure.
pub const EXIT_FAIL: i32 = 5;

/// 0 when every check passed (or was skipped), 4 with warnings, 5 with failures.
pub fn exit_code(checks: &[Check]) -> i32 {
    match worst(checks) {
        Status::Fail => EXIT_FAIL,
        Status::Warn => EXIT_WARN,
        Status::Pass | Status::Skipped => crate::exit::OK,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doctor_exit_code_is_the_worst_status() {
        let pass = Check::pass("a", "ok");
        let skip = Check::skipped("b", "no sender");
        let warn = Check::warn("c", "hm", "do x");
        let fail = Check::fail("d", "no", "do y");
        assert_eq!(exit_code(&[]), 0);
        assert_eq!(exit_code(&[pass.clone(), skip.clone()]), 0);
        assert_eq!(exit_code(std::slice::from_ref(&skip)), 0);
        assert_eq!(exit_code(&[pass.clone(), warn.clone(), skip]), 4);
        assert_eq!(exit_code(&[warn.clone(), fail.clone(), pass]), 5);
        assert_eq!(worst(&[warn, fail]), Status::Fail);
    }

    #[test]
    fn doctor_json_has_the_documented_shape() {
        let mut report = DoctorReport::new(vec![Check::warn("HELO", "x\u{85}", "fix it")]);
        report.ip_seen = Some("127.0.0.1".parse().unwrap());
        report.ip_source = Some(IpSource::Server);
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(json["checks"][0]["name"], "HELO");
        assert_eq!(json["checks"][0]["status"], "warn");
        assert_eq!(json["checks"][0]["fix"], "fix it");
        assert_eq!(json["ip_seen"], "127.0.0.1");
        assert_eq!(json["ip_source"], "server");
        assert_eq!(json["exit_code"], 4);
        assert!(report.to_json().contains("\\u0085"));
    }
}
