//! The doctor's window (key D): whether it has run, its report, the window's scroll, and the
//! banner that says how it went when the window is closed.

use super::{App, Effect, Mode};
use crate::doctor::DoctorReport;
use crate::tui::action::Action;

/// Where the doctor (`mxknock doctor`, key D) is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum DoctorView {
    /// Not run in this session yet.
    #[default]
    NotRun,
    /// Running in the background.
    Running,
    /// Its report.
    Done(Box<DoctorReport>),
    /// It cannot run here, and why.
    Unavailable(String),
}

impl App {
    /// Starts the doctor (unless it is running already) and returns the effect that does.
    pub fn run_doctor(&mut self) -> Vec<Effect> {
        if self.doctor == DoctorView::Running {
            return Vec::new();
        }
        self.doctor = DoctorView::Running;
        self.doctor_offset = 0;
        vec![Effect::RunDoctor]
    }

    /// The doctor's report came in. Shown at once when its window is open; otherwise a
    /// banner says how it went.
    pub fn doctor_finished(&mut self, report: DoctorReport) {
        if self.mode != Mode::Doctor {
            let text = format!(
                "doctor: {}; press {} to see it",
                crate::doctor::human::count_line(&report),
                self.keymap
                    .keys_for(Action::Doctor)
                    .first()
                    .map_or("D", String::as_str)
            );
            if report.status == crate::doctor::Status::Pass {
                self.info(text);
            } else {
                self.error(text);
            }
        }
        self.doctor = DoctorView::Done(Box::new(report));
    }

    /// The doctor cannot run (no network to run it over, or its task failed).
    pub fn doctor_unavailable(&mut self, why: impl Into<String>) {
        self.doctor = DoctorView::Unavailable(why.into());
    }

    /// Closes the doctor's window (it keeps running, and its report is kept).
    pub fn close_doctor(&mut self) {
        if self.mode == Mode::Doctor {
            self.mode = Mode::Normal;
        }
    }

    /// Scrolls the doctor's report by `delta` lines (the view clamps it).
    pub fn scroll_doctor(&mut self, delta: isize) {
        let lines = match &self.doctor {
            DoctorView::Done(report) => report.checks.len() + 2,
            _ => 0,
        };
        self.doctor_offset = self
            .doctor_offset
            .saturating_add_signed(delta)
            .min(lines.saturating_sub(1));
    }

    /// Opens the doctor's window, running the doctor the first time.
    pub(super) fn open_doctor(&mut self) -> Vec<Effect> {
        self.mode = Mode::Doctor;
        if matches!(self.doctor, DoctorView::NotRun) {
            return self.run_doctor();
        }
        Vec::new()
    }

    /// Where to look next when the problem is us: the doctor's key.
    pub(super) fn doctor_hint(&self) -> String {
        match self.keymap.keys_for(Action::Doctor).first() {
            Some(key) => format!("press {key} for the machine check (doctor)"),
            None => "run `mxknock doctor` to see why".to_string(),
        }
    }
}
