//! The list's rows, kept compact (one [`Row`] per address, well under 300 bytes with its heap),
//! and the view over them: which rows pass the filter, in which order.

use crate::engine::event::{JobId, Stage};
use crate::engine::judge::verdict::{Reason, Report, Verdict};

/// Where a row's check is, in one byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Waiting for a free worker (or paused).
    Queued,
    /// Looking up MX.
    Resolving,
    /// Resolved; waiting for a session to its mail server.
    Waiting,
    /// Connecting to an MX host.
    Connecting,
    /// Waiting for the greeting.
    Greeting,
    /// EHLO/HELO.
    Ehlo,
    /// STARTTLS.
    StartTls,
    /// MAIL FROM.
    MailFrom,
    /// RCPT TO.
    RcptTo,
    /// Catch-all probe.
    Probe,
    /// QUIT.
    Quit,
    /// Waiting for a greylisting re-check.
    Greylisted,
    /// Finished.
    Done,
}

impl Progress {
    /// The progress a stage event means.
    pub fn from_stage(stage: &Stage) -> Progress {
        match stage {
            Stage::Resolving => Progress::Resolving,
            Stage::Waiting => Progress::Waiting,
            Stage::Connecting(_) => Progress::Connecting,
            Stage::Greeting => Progress::Greeting,
            Stage::Ehlo => Progress::Ehlo,
            Stage::StartTls => Progress::StartTls,
            Stage::MailFrom => Progress::MailFrom,
            Stage::RcptTo => Progress::RcptTo,
            Stage::CatchAllProbe => Progress::Probe,
            Stage::Quit => Progress::Quit,
            Stage::Greylisted(_) => Progress::Greylisted,
        }
    }

    /// A word for the list.
    pub fn label(self) -> &'static str {
        match self {
            Progress::Queued => "queued",
            Progress::Resolving => "resolving",
            Progress::Waiting => "waiting",
            Progress::Connecting => "connecting",
            Progress::Greeting => "greeting",
            Progress::Ehlo => "EHLO",
            Progress::StartTls => "STARTTLS",
            Progress::MailFrom => "MAIL",
            Progress::RcptTo => "RCPT",
            Progress::Probe => "catch-all probe",
            Progress::Quit => "QUIT",
            Progress::Greylisted => "greylisted",
            Progress::Done => "done",
        }
    }

    /// Whether the check is under way (an SMTP session may be open).
    pub fn is_active(self) -> bool {
        !matches!(
            self,
            Progress::Queued | Progress::Waiting | Progress::Done | Progress::Greylisted
        )
    }
}

/// One address in the list.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The address as loaded.
    pub address: Box<str>,
    /// The job checking it now (or last).
    pub job: Option<JobId>,
    /// Where the check is.
    pub progress: Progress,
    /// The verdict, once finished.
    pub verdict: Option<Verdict>,
    /// The reason, once finished.
    pub reason: Option<Reason>,
    /// The MX host that answered (or was tried last).
    pub mx_host: Option<Box<str>>,
    /// Duration of the check in milliseconds.
    pub duration_ms: u32,
    /// How many times the address appeared in the loaded list.
    pub count: u32,
    /// When a greylisting re-check is due.
    pub retry_at: Option<std::time::Instant>,
    /// The mail provider, as an index into the list's [`ProviderIds`].
    pub provider: Option<u16>,
    /// The quality score of the finished check (0-100).
    pub score: u8,
}

impl Row {
    /// A new, queued row.
    pub fn new(address: impl Into<Box<str>>, count: u32) -> Row {
        Row {
            address: address.into(),
            job: None,
            progress: Progress::Queued,
            verdict: None,
            reason: None,
            mx_host: None,
            duration_ms: 0,
            count,
            retry_at: None,
            provider: None,
            score: 0,
        }
    }

    /// Takes the summary of a finished report; `provider` is the report's provider interned
    /// in the list's [`ProviderIds`].
    pub fn finish(&mut self, report: &Report, provider: Option<u16>) {
        self.provider = provider;
        self.score = report.score;
        self.progress = Progress::Done;
        self.retry_at = None;
        self.verdict = Some(report.verdict);
        self.reason = Some(report.reason);
        self.mx_host = report
            .smtp
            .as_ref()
            .map(|s| s.host.clone().into_boxed_str())
            .or_else(|| report.mx.first().map(|m| m.host.clone().into_boxed_str()));
        self.duration_ms = u32::try_from(report.duration_ms).unwrap_or(u32::MAX);
    }

    /// The live state for the list's verdict and reason columns while the check runs:
    /// ("queued", ""), ("checking", the SMTP stage) or ("greylisted", the countdown).
    pub fn live_cells(&self, now: std::time::Instant) -> (&'static str, String) {
        match (self.progress, self.retry_at) {
            (Progress::Greylisted, Some(at)) => match at.saturating_duration_since(now).as_secs() {
                0 => ("greylisted", "re-check due".to_string()),
                secs => ("greylisted", format!("re-check in {secs} s")),
            },
            (Progress::Queued, _) => ("queued", String::new()),
            (Progress::Waiting, _) => ("waiting", "for a session".to_string()),
            (Progress::Greylisted, None) => ("greylisted", String::new()),
            (progress, _) => ("checking", progress.label().to_string()),
        }
    }

    /// The live state in one short word for a narrow list: the stage, or "grey 42s".
    pub fn live_label_compact(&self, now: std::time::Instant) -> String {
        match (self.progress, self.retry_at) {
            (Progress::Greylisted, Some(at)) => {
                let secs = at.saturating_duration_since(now).as_secs();
                format!("grey {secs}s")
            }
            (progress, _) => progress.label().to_string(),
        }
    }

    /// The domain part (after the last '@'), lowercase comparison is the caller's.
    pub fn domain(&self) -> &str {
        self.address.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

/// Which rows are shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Filter {
    /// Every row.
    #[default]
    All,
    /// Rows with this verdict.
    Verdict(Verdict),
    /// Rows not finished yet.
    Pending,
    /// Rows whose mail provider is this one (an index into [`ProviderIds`]).
    Provider(u16),
}

impl Filter {
    /// The cycle order of `f`.
    pub const CYCLE: [Filter; 6] = [
        Filter::All,
        Filter::Verdict(Verdict::Deliverable),
        Filter::Verdict(Verdict::Risky),
        Filter::Verdict(Verdict::Unknown),
        Filter::Verdict(Verdict::Undeliverable),
        Filter::Pending,
    ];

    /// Whether `row` passes.
    pub fn accepts(self, row: &Row) -> bool {
        match self {
            Filter::All => true,
            Filter::Verdict(v) => row.verdict == Some(v),
            Filter::Pending => row.verdict.is_none(),
            Filter::Provider(p) => row.provider == Some(p),
        }
    }

    /// The filter after this one.
    pub fn next(self) -> Filter {
        let i = Self::CYCLE.iter().position(|f| *f == self).unwrap_or(0);
        Self::CYCLE[(i + 1) % Self::CYCLE.len()]
    }

    /// A word for the status bar.
    pub fn label(self) -> &'static str {
        match self {
            Filter::All => "all",
            Filter::Verdict(v) => v.as_str(),
            Filter::Pending => "pending",
            Filter::Provider(_) => "provider",
        }
    }
}

/// The list order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    /// As loaded.
    #[default]
    Input,
    /// Worst verdict first, pending last.
    Verdict,
    /// By domain, then address.
    Domain,
    /// By mail provider (by id; none last), then domain and address.
    Provider,
    /// Best score first, pending last.
    Score,
}

impl Sort {
    /// The order after this one.
    pub fn next(self) -> Sort {
        match self {
            Sort::Input => Sort::Verdict,
            Sort::Verdict => Sort::Domain,
            Sort::Domain => Sort::Provider,
            Sort::Provider => Sort::Score,
            Sort::Score => Sort::Input,
        }
    }

    /// A word for the status bar.
    pub fn label(self) -> &'static str {
        match self {
            Sort::Input => "input order",
            Sort::Verdict => "verdict",
            Sort::Domain => "domain",
            Sort::Provider => "provider",
            Sort::Score => "score",
        }
    }
}

/// `text`'s bytes with ASCII letters lowercased, for comparing without regard to case
/// (domains are ASCII A-labels; no allocation per comparison).
fn caseless(text: &str) -> impl Iterator<Item = u8> + '_ {
    text.bytes().map(|b| b.to_ascii_lowercase())
}

/// The mail providers seen in the list, interned: a row keeps a two-byte index instead of
/// the id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProviderIds {
    ids: Vec<Box<str>>,
}

impl ProviderIds {
    /// The index of `id`, added when new (ids beyond `u16::MAX` distinct ones are not kept).
    pub fn intern(&mut self, id: &str) -> Option<u16> {
        if let Some(i) = self.ids.iter().position(|known| &**known == id) {
            return Some(i as u16);
        }
        let i = u16::try_from(self.ids.len()).ok()?;
        self.ids.push(id.into());
        Some(i)
    }

    /// The id at `index`.
    pub fn id(&self, index: u16) -> Option<&str> {
        self.ids.get(index as usize).map(|id| &**id)
    }

    /// How many providers were seen.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether none was seen.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// For each index, its place in the alphabetical order of the ids.
    fn alphabetical_ranks(&self) -> Vec<u16> {
        let mut order: Vec<usize> = (0..self.ids.len()).collect();
        order.sort_by(|&a, &b| self.ids[a].cmp(&self.ids[b]));
        let mut ranks = vec![0; self.ids.len()];
        for (rank, index) in order.into_iter().enumerate() {
            ranks[index] = rank as u16;
        }
        ranks
    }
}

/// Builds the view: indices of the rows that pass `filter`, ordered by `sort` (`providers`
/// names the rows' provider indices, for the provider order).
pub fn build_view(rows: &[Row], filter: Filter, sort: Sort, providers: &ProviderIds) -> Vec<u32> {
    let mut view: Vec<u32> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| filter.accepts(r))
        .map(|(i, _)| i as u32)
        .collect();
    match sort {
        Sort::Input => {}
        Sort::Verdict => view.sort_by_key(|&i| {
            let rank = rows[i as usize].verdict.map(|v| 3 - v as u8).unwrap_or(4);
            (rank, i)
        }),
        Sort::Domain => view.sort_by(|&a, &b| by_domain(&rows[a as usize], &rows[b as usize])),
        Sort::Score => view.sort_by_key(|&i| {
            let row = &rows[i as usize];
            let score = row.verdict.map_or(0, |_| u16::from(row.score) + 1);
            (std::cmp::Reverse(score), i)
        }),
        Sort::Provider => {
            let ranks = providers.alphabetical_ranks();
            let rank = |row: &Row| row.provider.map_or(u16::MAX, |p| ranks[p as usize]);
            view.sort_by(|&a, &b| {
                let (ra, rb) = (&rows[a as usize], &rows[b as usize]);
                rank(ra).cmp(&rank(rb)).then_with(|| by_domain(ra, rb))
            })
        }
    }
    view
}

/// Domain, then address, without regard to case.
fn by_domain(a: &Row, b: &Row) -> std::cmp::Ordering {
    caseless(a.domain())
        .cmp(caseless(b.domain()))
        .then_with(|| caseless(&a.address).cmp(caseless(&b.address)))
}

/// Keeps `selected` inside a window of `height` rows starting at `offset`; returns the new offset.
pub fn scroll_to_show(selected: usize, offset: usize, height: usize) -> usize {
    let height = height.max(1);
    if selected < offset {
        selected
    } else if selected >= offset + height {
        selected + 1 - height
    } else {
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(address: &str, verdict: Option<Verdict>) -> Row {
        let mut r = Row::new(address, 1);
        r.verdict = verdict;
        r
    }

    #[test]
    fn filters_and_sorts_build_the_view() {
        let rows = vec![
            row("a@z.test", Some(Verdict::Deliverable)),
            row("b@y.test", Some(Verdict::Undeliverable)),
            row("c@x.test", None),
            row("d@y.test", Some(Verdict::Risky)),
        ];
        let none = ProviderIds::default();
        assert_eq!(
            build_view(&rows, Filter::All, Sort::Input, &none),
            [0, 1, 2, 3]
        );
        assert_eq!(
            build_view(&rows, Filter::Verdict(Verdict::Risky), Sort::Input, &none),
            [3]
        );
        assert_eq!(build_view(&rows, Filter::Pending, Sort::Input, &none), [2]);
        assert_eq!(
            build_view(&rows, Filter::All, Sort::Verdict, &none),
            [1, 3, 0, 2]
        );
        assert_eq!(
            build_view(&rows, Filter::All, Sort::Domain, &none),
            [2, 1, 3, 0]
        );
    }

    #[test]
    fn the_score_sort_puts_the_best_first_and_pending_last() {
        let mut rows = vec![
            row("a@x.test", Some(Verdict::Risky)),
            row("b@x.test", None),
            row("c@x.test", Some(Verdict::Deliverable)),
            row("d@x.test", Some(Verdict::Undeliverable)),
        ];
        rows[0].score = 50;
        rows[2].score = 98;
        rows[3].score = 0;
        let none = ProviderIds::default();
        assert_eq!(
            build_view(&rows, Filter::All, Sort::Score, &none),
            [2, 0, 3, 1]
        );
    }

    #[test]
    fn rows_filter_and_sort_by_provider_in_the_ids_alphabetical_order() {
        let mut providers = ProviderIds::default();
        let yahoo = providers.intern("yahoo");
        let google = providers.intern("google");
        assert_eq!(providers.intern("yahoo"), yahoo, "interned once");
        assert_eq!(providers.id(google.unwrap()), Some("google"));
        let mut rows = vec![
            row("a@y.test", None),
            row("b@g.test", None),
            row("c@own.test", None),
            row("d@g.test", None),
        ];
        rows[0].provider = yahoo;
        rows[1].provider = google;
        rows[3].provider = google;
        assert_eq!(
            build_view(&rows, Filter::All, Sort::Provider, &providers),
            [1, 3, 0, 2],
            "google, yahoo, then no provider"
        );
        assert_eq!(
            build_view(
                &rows,
                Filter::Provider(google.unwrap()),
                Sort::Input,
                &providers
            ),
            [1, 3]
        );
    }

    #[test]
    fn the_window_follows_the_selection() {
        assert_eq!(scroll_to_show(0, 0, 10), 0);
        assert_eq!(scroll_to_show(9, 0, 10), 0);
        assert_eq!(scroll_to_show(10, 0, 10), 1);
        assert_eq!(scroll_to_show(3, 5, 10), 3);
        assert_eq!(scroll_to_show(999_999, 0, 40), 999_960);
        assert_eq!(scroll_to_show(5, 2, 0), 5);
    }

    #[test]
    fn filters_cycle_through_every_verdict_and_back() {
        let mut f = Filter::All;
        let mut seen = vec![f];
        for _ in 0..5 {
            f = f.next();
            seen.push(f);
        }
        assert_eq!(seen, Filter::CYCLE);
        assert_eq!(f.next(), Filter::All);
    }
}
