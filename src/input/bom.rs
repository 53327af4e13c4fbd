//! The UTF-8 byte-order mark some tools (Excel's "CSV UTF-8", Notepad) put before a list.

/// The UTF-8 byte-order mark (U+FEFF encoded).
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `bytes` without a UTF-8 byte-order mark at their very start; unchanged when there is none.
/// Only one mark is taken off, and only at the start: a U+FEFF anywhere else is text.
///
/// Every reader of a list or of `batch` output goes through this one function: the list
/// loader (on the first line), `looks_like_csv`, and `annotate` (which writes the mark back).
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_leading_mark_is_taken_off() {
        assert_eq!(strip_bom(b"\xEF\xBB\xBFemail\n"), b"email\n");
        assert_eq!(strip_bom(b"email\n"), b"email\n");
        assert_eq!(strip_bom(b""), b"");
        assert_eq!(strip_bom(BOM), b"");
        assert_eq!(strip_bom(b"\xEF\xBB\xBF\xEF\xBB\xBFx"), b"\xEF\xBB\xBFx");
        assert_eq!(strip_bom(b"a\xEF\xBB\xBFb"), b"a\xEF\xBB\xBFb");
        assert_eq!(
            strip_bom(b"\xEF\xBBx"),
            b"\xEF\xBBx",
            "half a mark is not one"
        );
        assert_eq!(strip_bom("\u{feff}a".as_bytes()), b"a");
    }
}
