//! Progress of the run: counts per verdict, checks in flight, what is pending, the rate and
//! the time left. Engine stages and finishes are counted here.

use std::time::{Duration, Instant};

use super::App;
use crate::engine::event::{JobId, Stage};
use crate::engine::judge::verdict::Report;
use crate::tui::rows::Progress;

impl App {
    /// Rows not finished yet.
    pub fn pending(&self) -> usize {
        self.rows.len() - self.done.min(self.rows.len())
    }

    /// Checks per second since the run started (up to the last finish once all are done).
    pub fn rate(&self) -> f64 {
        let Some(start) = self.started else {
            return 0.0;
        };
        let end = match self.last_finished {
            Some(last) if self.pending() == 0 => last,
            _ => self.now,
        };
        let secs = end.saturating_duration_since(start).as_secs_f64();
        if secs > 0.05 {
            self.done as f64 / secs
        } else {
            0.0
        }
    }

    /// The time left: the pending checks at the rate so far, but never before the last
    /// greylisting re-check is due. None when nothing is pending, nothing has finished yet, or
    /// the run is paused.
    pub fn eta(&self) -> Option<Duration> {
        let rate = self.rate();
        if self.paused || rate <= 0.0 || self.pending() == 0 {
            return None;
        }
        let at_rate = Duration::from_secs_f64(self.pending() as f64 / rate);
        let recheck = self
            .last_recheck_at
            .map_or(Duration::ZERO, |at| at.saturating_duration_since(self.now));
        Some(at_rate.max(recheck))
    }

    /// The loop's facts of this frame: the time (render reads it and never calls the clock)
    /// and the SMTP connections open now (from the engine's counters).
    pub fn tick(&mut self, now: Instant, open_sessions: u64) {
        self.now = now;
        self.open_sessions = open_sessions;
    }

    /// The job of `row` reached `stage`: its progress, the checks in flight, and when a
    /// greylisted address is re-checked.
    pub(super) fn stage_reached(&mut self, row: usize, job: JobId, stage: Stage) {
        let progress = Progress::from_stage(&stage);
        match (self.rows[row].progress.is_active(), progress.is_active()) {
            (false, true) => self.active += 1,
            (true, false) => self.active = self.active.saturating_sub(1),
            _ => {}
        }
        self.rows[row].progress = progress;
        self.rows[row].retry_at = match stage {
            Stage::Greylisted(secs) => {
                let at = self.now + Duration::from_secs(secs);
                self.last_recheck_at = self.last_recheck_at.max(Some(at));
                Some(at)
            }
            _ => None,
        };
        if let Stage::Connecting(host) = stage {
            self.detail_mut(job).host = Some(host);
        }
    }

    /// The job of `row` finished with `report`: counted under its verdict (instead of an
    /// earlier one), its report kept, a run-wide notice announced once.
    pub(super) fn finished(&mut self, row: usize, job: JobId, report: Box<Report>) {
        let passed_before = self.filter.accepts(&self.rows[row]);
        let r = &mut self.rows[row];
        if r.progress.is_active() {
            self.active = self.active.saturating_sub(1);
        }
        if let Some(old) = r.verdict {
            self.counts[old as usize] -= 1;
            self.done -= 1;
        }
        let provider = report
            .provider
            .as_ref()
            .and_then(|p| self.providers.intern(&p.id));
        let r = &mut self.rows[row];
        r.finish(&report, provider);
        if let Some(notice) = self.notices.see(&report) {
            self.error(format!("{notice}; {}", self.doctor_hint()));
        }
        self.counts[report.verdict as usize] += 1;
        self.done += 1;
        self.last_finished = Some(self.now);
        self.detail_mut(job).report = Some(report);
        self.past_changed(row);
        self.row_changed(row, passed_before);
    }
}
