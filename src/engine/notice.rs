//! What a front end must tell the user once per run, not once per address: today, that the
//! port-25 breaker tripped (outbound port 25 looks blocked from here). Front ends feed every
//! finished report to a [`RunNotices`] and show what it returns, once, prominently.

use super::judge::verdict::{Reason, Report};

/// Remembers which run-wide notices were already given.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunNotices {
    port_blocked: Option<String>,
}

impl RunNotices {
    /// The notice `report` brings that has not been given yet, if any.
    pub fn see(&mut self, report: &Report) -> Option<String> {
        if report.reason != Reason::PortBlocked || self.port_blocked.is_some() {
            return None;
        }
        let detail = report.detail.clone();
        self.port_blocked = Some(detail.clone());
        Some(detail)
    }

    /// The port-25 breaker's detail, once it tripped in this run.
    pub fn port_blocked(&self) -> Option<&str> {
        self.port_blocked.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_port_block_is_told_once() {
        let mut notices = RunNotices::default();
        let ok = Report::new("a@b.test", Reason::Ok, "fine");
        let blocked = Report::new("c@d.test", Reason::PortBlocked, "port 25 looks blocked");
        assert_eq!(notices.see(&ok), None);
        assert_eq!(
            notices.see(&blocked).as_deref(),
            Some("port 25 looks blocked")
        );
        assert_eq!(notices.see(&blocked), None);
        assert_eq!(notices.port_blocked(), Some("port 25 looks blocked"));
    }
}
