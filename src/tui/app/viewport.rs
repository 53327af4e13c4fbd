//! The screen as the loop last laid it out: the panes' rectangles, the page sizes they give,
//! how far the detail can scroll, and what a mouse click or wheel at a cell hits.

use ratatui::layout::{Position, Rect};

use super::{App, Pane};

/// The terminal and the panes' rectangles of the last frame, told to the app by the loop
/// through [`App::set_viewport`] (a hidden pane is zero-sized).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Viewport {
    /// The whole terminal.
    pub screen: Rect,
    /// The address list.
    pub list: Rect,
    /// The detail pane.
    pub detail: Rect,
    /// The transcript pane.
    pub transcript: Rect,
}

impl Default for Viewport {
    /// An 80x24 terminal before its first frame is laid out (no pane to hit yet).
    fn default() -> Viewport {
        Viewport {
            screen: Rect::new(0, 0, 80, 24),
            list: Rect::default(),
            detail: Rect::default(),
            transcript: Rect::default(),
        }
    }
}

impl App {
    /// The loop laid a frame out as `viewport`: the list and transcript page sizes follow
    /// from it, the view is brought up to date for them, and `detail_max_offset` (the view's
    /// measure of how far the detail's lines overrun a pane of that size) records how far the
    /// detail can scroll. The one way the loop tells the app its size.
    pub fn set_viewport(
        &mut self,
        viewport: Viewport,
        detail_max_offset: impl FnOnce(&App, Rect) -> usize,
    ) {
        self.viewport = viewport;
        self.list_height = viewport.list.height.saturating_sub(3) as usize;
        self.transcript_height = viewport
            .transcript
            .height
            .max(viewport.detail.height)
            .saturating_sub(2) as usize;
        self.refresh_view();
        self.detail_max_offset = detail_max_offset(self, viewport.detail);
    }

    /// The screen as last laid out.
    pub fn viewport(&self) -> Viewport {
        self.viewport
    }

    /// Rows the list pane shows.
    pub fn list_height(&self) -> usize {
        self.list_height
    }

    /// Lines the transcript (or, when it is hidden, the detail) pane shows.
    pub fn transcript_height(&self) -> usize {
        self.transcript_height
    }

    /// The largest useful detail scroll for the selected row at the current pane size.
    pub fn detail_max_offset(&self) -> usize {
        self.detail_max_offset
    }

    /// The pane under a cell, if any.
    fn pane_at(&self, column: u16, row: u16) -> Option<Pane> {
        let at = Position::new(column, row);
        let Viewport {
            list,
            detail,
            transcript,
            ..
        } = self.viewport;
        [
            (list, Pane::List),
            (detail, Pane::Detail),
            (transcript, Pane::Transcript),
        ]
        .into_iter()
        .find(|(area, _)| area.contains(at))
        .map(|(_, pane)| pane)
    }

    /// A left click: on a list row it selects that row; elsewhere in a pane it focuses it.
    pub(super) fn click(&mut self, column: u16, row: u16) {
        let list = self.viewport.list;
        if column >= list.x
            && column < list.right()
            && row >= list.y + 2
            && row < list.bottom().saturating_sub(1)
        {
            self.click_list((row - list.y - 2) as usize);
        } else if let Some(pane) = self.pane_at(column, row) {
            self.focus = pane;
        }
    }

    /// The wheel scrolls the pane under the pointer, which takes the focus.
    pub(super) fn wheel_at(&mut self, column: u16, row: u16, down: bool) {
        if let Some(pane) = self.pane_at(column, row) {
            self.focus = pane;
        }
        self.wheel(down);
    }
}
