//! Moving around the list and the panes: the shown rows (filter and sort), the selection, the
//! list's scroll, paging, the focus, and the detail and transcript scroll positions.

use super::{App, Pane};
use crate::tui::rows::{Filter, Sort, build_view, scroll_to_show};

impl App {
    /// Number of shown rows.
    pub fn view_len(&self) -> usize {
        self.view.as_ref().map_or(self.rows.len(), Vec::len)
    }

    /// The row index at view position `position`.
    pub fn row_at(&self, position: usize) -> Option<usize> {
        match &self.view {
            Some(view) => view.get(position).map(|&i| i as usize),
            None => (position < self.rows.len()).then_some(position),
        }
    }

    /// The selected row index.
    pub fn selected_row(&self) -> Option<usize> {
        self.row_at(self.selected)
    }

    /// Recomputes the view if rows or filter changed; keeps the same row selected when it can.
    /// Called once per frame (by [`App::set_viewport`]), never by render.
    pub fn refresh_view(&mut self) {
        if !self.view_dirty && self.merge_view_changes() {
            return;
        }
        self.view_changes.clear();
        self.view_dirty = false;
        let keep = self.selected_row();
        self.view = if self.filter == Filter::All && self.sort == Sort::Input {
            None
        } else {
            Some(build_view(
                &self.rows,
                self.filter,
                self.sort,
                &self.providers,
            ))
        };
        if let (Some(row), Some(view)) = (keep, &self.view) {
            if let Some(pos) = view.iter().position(|&i| i as usize == row) {
                self.selected = pos;
            }
        } else if let (Some(row), None) = (keep, &self.view) {
            self.selected = row;
        }
        self.clamp_selection();
    }

    /// Brings an input-order view up to date with the rows that entered or left it since the
    /// last frame, in one linear merge instead of testing every row again (the difference
    /// between about 1 ms and 15 ms a frame at a million rows while results stream in). False
    /// when the view must be rebuilt instead.
    fn merge_view_changes(&mut self) -> bool {
        if self.view_changes.is_empty() {
            return true;
        }
        let keep = self.selected_row();
        let (Some(view), Sort::Input) = (&mut self.view, self.sort) else {
            return false;
        };
        let ViewChanges { entered, left } = &mut self.view_changes;
        entered.sort_unstable();
        left.sort_unstable();
        let merged = merge_sorted(view, entered, left);
        *view = merged;
        self.view_changes.clear();
        if let Some(row) = keep {
            let view = self.view.as_ref().expect("merged above");
            self.selected = match view.binary_search(&(row as u32)) {
                Ok(position) | Err(position) => position,
            };
        }
        self.clamp_selection();
        true
    }

    /// Row `row` finished: it may now pass the filter, or no longer pass it.
    pub(super) fn row_changed(&mut self, row: usize, passed_before: bool) {
        if self.view_dirty || self.view.is_none() {
            return;
        }
        let passes = self.filter.accepts(&self.rows[row]);
        match (passed_before, passes) {
            (false, true) => self.view_changes.entered.push(row as u32),
            (true, false) => self.view_changes.left.push(row as u32),
            _ => return,
        }
        if self.sort != Sort::Input {
            self.view_dirty = true;
        }
    }

    /// Keeps the selection inside the view and the list scrolled so that it shows.
    pub(super) fn clamp_selection(&mut self) {
        let len = self.view_len();
        self.selected = self.selected.min(len.saturating_sub(1));
        self.offset = scroll_to_show(
            self.selected,
            self.offset.min(len.saturating_sub(1)),
            self.list_height,
        );
    }

    /// Selects view position `position`; another row's transcript follows from its end.
    pub(super) fn select(&mut self, position: usize) {
        let before = self.selected_row();
        self.selected = position;
        self.clamp_selection();
        if self.selected_row() != before {
            self.follow = true;
            self.unseen_lines = 0;
            self.detail_offset = 0;
        }
    }

    /// A click on list line `line` (0 = first shown row): focuses the list and selects it.
    pub(super) fn click_list(&mut self, line: usize) {
        self.focus = Pane::List;
        let position = self.offset + line;
        if position < self.view_len() {
            self.select(position);
        }
    }

    /// Mouse wheel over the focused pane.
    pub(super) fn wheel(&mut self, down: bool) {
        self.scroll(if down { 3 } else { -3 });
    }

    /// Lines one page moves in the focused pane.
    pub(super) fn page(&self) -> usize {
        match self.focus {
            Pane::List => self.list_height.max(1),
            _ => self.transcript_height.max(1),
        }
    }

    /// Moves the selection, or scrolls the focused pane, by `delta` lines.
    pub(super) fn scroll(&mut self, delta: isize) {
        match self.focus {
            Pane::List => {
                let target = (self.selected as isize + delta).max(0) as usize;
                self.select(target);
            }
            Pane::Detail => {
                let current = self.detail_offset.min(self.detail_max_offset);
                self.detail_offset = current
                    .saturating_add_signed(delta)
                    .min(self.detail_max_offset);
            }
            Pane::Transcript => {
                let total = self.transcript_len();
                let max_offset = total.saturating_sub(self.transcript_height);
                let current = if self.follow {
                    max_offset
                } else {
                    self.transcript_offset
                };
                let next = (current as isize + delta).clamp(0, max_offset as isize) as usize;
                self.transcript_offset = next;
                self.follow = next >= max_offset && delta > 0;
                if self.follow {
                    self.unseen_lines = 0;
                }
            }
        }
    }

    /// To the top or the bottom of the focused pane (the transcript's bottom follows).
    pub(super) fn scroll_to_end(&mut self, bottom: bool) {
        match self.focus {
            Pane::List => self.select(if bottom {
                self.view_len().saturating_sub(1)
            } else {
                0
            }),
            Pane::Detail => self.detail_offset = if bottom { self.detail_max_offset } else { 0 },
            Pane::Transcript => {
                self.follow = bottom;
                self.transcript_offset = 0;
                self.unseen_lines = 0;
            }
        }
    }

    /// Focuses the next pane (list, detail, transcript, list ...).
    pub(super) fn focus_next(&mut self) {
        self.focus = match self.focus {
            Pane::List => Pane::Detail,
            Pane::Detail => Pane::Transcript,
            Pane::Transcript => Pane::List,
        }
    }

    /// Focuses the previous pane.
    pub(super) fn focus_prev(&mut self) {
        self.focus = match self.focus {
            Pane::List => Pane::Transcript,
            Pane::Detail => Pane::List,
            Pane::Transcript => Pane::Detail,
        }
    }

    /// Shows only the rows `filter` lets through.
    pub(super) fn set_filter(&mut self, filter: Filter) {
        self.filter = filter;
        self.view_dirty = true;
        self.refresh_view();
    }

    /// Shows only the rows of the next mail provider seen (in the order they were seen), and
    /// after the last one all rows again.
    pub(super) fn cycle_provider_filter(&mut self) {
        let next = match self.filter {
            Filter::Provider(p) if (p as usize) + 1 < self.providers.len() => {
                Filter::Provider(p + 1)
            }
            Filter::Provider(_) => Filter::All,
            _ if self.providers.is_empty() => {
                self.error("no mail provider known yet: the filter needs a finished check of a provider's domain".to_string());
                return;
            }
            _ => Filter::Provider(0),
        };
        self.set_filter(next);
    }

    /// The filter in words for the list's title (`provider google` for a provider filter).
    pub fn filter_label(&self) -> String {
        match self.filter {
            Filter::Provider(p) => format!("provider {}", self.providers.id(p).unwrap_or("?")),
            other => other.label().to_string(),
        }
    }

    /// Sorts the rows the next way.
    pub(super) fn cycle_sort(&mut self) {
        self.sort = self.sort.next();
        self.view_dirty = true;
        self.refresh_view();
    }
}

/// Rows that entered or left the filtered view since it was last brought up to date.
#[derive(Default)]
pub struct ViewChanges {
    entered: Vec<u32>,
    left: Vec<u32>,
}

impl ViewChanges {
    fn is_empty(&self) -> bool {
        self.entered.is_empty() && self.left.is_empty()
    }

    fn clear(&mut self) {
        self.entered.clear();
        self.left.clear();
    }
}

/// `view` (sorted) without the rows in `left` and with those in `entered` (both sorted).
fn merge_sorted(view: &[u32], entered: &[u32], left: &[u32]) -> Vec<u32> {
    let mut merged = Vec::with_capacity(view.len() + entered.len());
    let mut left = left.iter().peekable();
    let mut entered = entered.iter().peekable();
    for &row in view {
        while let Some(&&new) = entered.peek() {
            if new >= row {
                break;
            }
            merged.push(new);
            entered.next();
        }
        while left.next_if(|&&gone| gone < row).is_some() {}
        if left.next_if(|&&gone| gone == row).is_some() {
            continue;
        }
        // A row already shown is not added twice.
        let _ = entered.next_if(|&&new| new == row);
        merged.push(row);
    }
    merged.extend(entered);
    merged
}

#[cfg(test)]
mod merge_tests {
    use super::merge_sorted;

    #[test]
    fn entered_rows_are_merged_in_order_and_left_rows_removed() {
        assert_eq!(
            merge_sorted(&[2, 5, 9], &[0, 3, 7, 12], &[5]),
            vec![0, 2, 3, 7, 9, 12]
        );
        assert_eq!(merge_sorted(&[], &[4, 8], &[]), vec![4, 8]);
        assert_eq!(merge_sorted(&[1, 2, 3], &[], &[1, 3]), vec![2]);
        assert_eq!(
            merge_sorted(&[1, 2], &[2], &[]),
            vec![1, 2],
            "no duplicates"
        );
    }
}
