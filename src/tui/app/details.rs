//! The details cache: full reports and transcripts of the most recent jobs (and the selected
//! one), looked up by job. Older jobs keep only their row summary, so a list of a million
//! stays small.

use std::collections::{HashMap, VecDeque};

use super::App;
use crate::engine::event::JobId;
use crate::engine::judge::verdict::Report;
use crate::engine::transcript::TranscriptLine;

/// Full reports and transcripts are kept for this many most recent jobs (and the selected one);
/// older ones keep only their row summary, so a list of a million stays small.
pub const DETAIL_CAPACITY: usize = 20_000;

/// Transcript lines kept per job.
pub const MAX_TRANSCRIPT_LINES: usize = 2_000;

/// What is kept for a recent job.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobDetail {
    /// Its transcript so far.
    pub lines: Vec<TranscriptLine>,
    /// Lines dropped beyond [`MAX_TRANSCRIPT_LINES`].
    pub dropped_lines: usize,
    /// Its report, once finished.
    pub report: Option<Box<Report>>,
    /// The host it is connecting to or speaking with.
    pub host: Option<String>,
}

/// The details of at most [`DETAIL_CAPACITY`] jobs, the oldest forgotten first.
#[derive(Debug, Default)]
pub(super) struct DetailCache {
    kept: HashMap<JobId, JobDetail>,
    /// Kept jobs, oldest first.
    order: VecDeque<JobId>,
}

impl DetailCache {
    /// The detail of `job`, if kept.
    pub(super) fn get(&self, job: JobId) -> Option<&JobDetail> {
        self.kept.get(&job)
    }

    /// The detail of `job`, kept from now on; beyond capacity the oldest go, except `keep`
    /// (the selected job), which moves to the back.
    pub(super) fn entry(&mut self, job: JobId, keep: Option<JobId>) -> &mut JobDetail {
        if !self.kept.contains_key(&job) {
            self.order.push_back(job);
            while self.order.len() > DETAIL_CAPACITY {
                if let Some(old) = self.order.pop_front() {
                    if Some(old) == keep {
                        self.order.push_back(old);
                    } else {
                        self.kept.remove(&old);
                    }
                }
            }
        }
        self.kept.entry(job).or_default()
    }
}

impl App {
    /// Detail of the selected row's job, if kept.
    pub fn selected_detail(&self) -> Option<&JobDetail> {
        self.details.get(self.selected_job()?)
    }

    /// Detail of a job, if kept.
    pub fn detail(&self, job: JobId) -> Option<&JobDetail> {
        self.details.get(job)
    }

    /// The report to export for a finished row: the full one when kept, else one rebuilt from
    /// the row's summary. None while the row is unfinished.
    pub fn report_for_export(&self, row: usize) -> Option<Report> {
        let r = &self.rows[row];
        if let Some(report) = r
            .job
            .and_then(|j| self.details.get(j))
            .and_then(|d| d.report.as_deref())
        {
            return Some(report.clone());
        }
        let mut report = Report::new(r.address.to_string(), r.reason?, "details no longer kept");
        report.duration_ms = u64::from(r.duration_ms);
        Some(report)
    }

    /// The job of the selected row, if it has one.
    pub(super) fn selected_job(&self) -> Option<JobId> {
        self.rows.get(self.selected_row()?)?.job
    }

    /// The detail of `job`, kept from now on (the selected job's is never the one forgotten).
    pub(super) fn detail_mut(&mut self, job: JobId) -> &mut JobDetail {
        let keep = self.selected_job();
        self.details.entry(job, keep)
    }

    /// A transcript line of `job` (the job of `row`) arrived: kept up to
    /// [`MAX_TRANSCRIPT_LINES`], and counted as unseen while the selected transcript is
    /// scrolled back.
    pub(super) fn line_received(&mut self, row: usize, job: JobId, line: TranscriptLine) {
        let selected = self.selected_row() == Some(row);
        let detail = self.detail_mut(job);
        if detail.lines.len() < MAX_TRANSCRIPT_LINES {
            detail.lines.push(line);
        } else {
            detail.dropped_lines += 1;
        }
        if selected && !self.follow {
            self.unseen_lines += 1;
        }
    }
}
