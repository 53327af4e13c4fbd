//! Finding addresses: the incremental search of the search prompt and n / N between matches.

use super::App;

impl App {
    /// n / N: the next (direction 1) or previous (-1) match of the last search.
    pub(super) fn search_again(&mut self, direction: isize) {
        match self.search.clone().filter(|s| !s.is_empty()) {
            Some(needle) => {
                self.find(&needle, direction, true);
                if self.search_failed {
                    self.error(format!("no address contains {needle:?}"));
                }
            }
            None => self.info("nothing to find yet: press / to search"),
        }
    }

    /// Moves to the next (direction 1) or previous (-1) row containing `needle`, starting at
    /// the selection (0: the selection itself counts, for incremental search).
    pub(super) fn find(&mut self, needle: &str, direction: isize, skip_current: bool) {
        if needle.is_empty() {
            self.search_failed = false;
            return;
        }
        let len = self.view_len();
        if len == 0 {
            self.search_failed = true;
            return;
        }
        let needle = needle.to_lowercase();
        let step = if direction < 0 { len - 1 } else { 1 };
        let mut position = if skip_current {
            (self.selected + step) % len
        } else {
            self.selected
        };
        for _ in 0..len {
            let row = self.row_at(position).expect("position in view");
            if contains_ignore_case(&self.rows[row].address, &needle) {
                self.search_failed = false;
                self.select(position);
                return;
            }
            position = (position + step) % len;
        }
        self.search_failed = true;
    }
}

/// Case-insensitive substring test without allocating for ASCII haystacks.
fn contains_ignore_case(haystack: &str, lowercase_needle: &str) -> bool {
    if haystack.is_ascii() && lowercase_needle.is_ascii() {
        let (h, n) = (haystack.as_bytes(), lowercase_needle.as_bytes());
        h.windows(n.len().max(1))
            .any(|w| w.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b))
    } else {
        haystack.to_lowercase().contains(lowercase_needle)
    }
}
