//! The CSV dialect of a list: which delimiter separates its cells. Spreadsheet exports write
//! `;` (where the decimal mark is a comma) or tabs as often as commas, so the delimiter is
//! sniffed from the header row unless the user forces one (`--delimiter`).
//!
//! The sniff is a small rule, not a statistical guess: the first of `,` `;` tab `|` that
//! splits the header into a cell named like an address column (email, e-mail, address ...)
//! wins; failing that, the one the header holds most often; failing that, a comma.

use super::is_address_header;

/// The delimiters a header is sniffed for, in order of preference.
pub const CANDIDATES: [char; 4] = [',', ';', '\t', '|'];

/// How to read a list's CSV.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// The delimiter to use; `None` sniffs it from the header.
    pub delimiter: Option<char>,
}

/// The delimiter of a CSV list whose header row is `header`.
pub fn sniff(header: &str) -> char {
    address_delimiter(header)
        .or_else(|| {
            CANDIDATES
                .iter()
                .map(|&d| (header.matches(d).count(), d))
                .filter(|&(count, _)| count > 0)
                .max_by_key(|&(count, d)| (count, std::cmp::Reverse(rank(d))))
                .map(|(_, d)| d)
        })
        .unwrap_or(',')
}

/// The first candidate that splits `header` into a cell naming the address column, if any:
/// then `header` is a CSV header for sure.
pub fn address_delimiter(header: &str) -> Option<char> {
    CANDIDATES
        .into_iter()
        .find(|&d| names_address_column(header, d))
}

/// Whether `delimiter` splits `header` into a cell naming the address column.
pub fn names_address_column(header: &str, delimiter: char) -> bool {
    header.contains(delimiter)
        && header
            .split(delimiter)
            .any(|cell| is_address_header(cell.trim().trim_matches('"')))
}

/// A candidate's place in [`CANDIDATES`] (earlier wins a tie).
fn rank(d: char) -> usize {
    CANDIDATES
        .iter()
        .position(|&c| c == d)
        .unwrap_or(usize::MAX)
}

/// Reads a `--delimiter` value: one character (`;`), `\t`, or a name (comma, semicolon, tab,
/// pipe). Quotes, line breaks and other controls cannot separate cells.
pub fn parse_delimiter(value: &str) -> Result<char, String> {
    let named = match value.to_ascii_lowercase().as_str() {
        "comma" => Some(','),
        "semicolon" => Some(';'),
        "tab" | "\\t" => Some('\t'),
        "pipe" => Some('|'),
        _ => None,
    };
    let mut chars = value.chars();
    let delimiter = match (named, chars.next(), chars.next()) {
        (Some(d), _, _) => d,
        (None, Some(c), None) => c,
        _ => {
            return Err(format!(
                "{value:?} is not a delimiter: give one character, or comma, semicolon, tab, pipe"
            ));
        }
    };
    if delimiter == '"' || !delimiter.is_ascii() || (delimiter.is_control() && delimiter != '\t') {
        return Err(format!(
            "{delimiter:?} cannot separate CSV cells (an ASCII character, not a quote or a control)"
        ));
    }
    Ok(delimiter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_tells_the_delimiter() {
        let cases = [
            ("email,name", ','),
            ("email;name", ';'),
            ("name\temail", '\t'),
            ("id|e-mail|name", '|'),
            ("\"E-Mail\";\"Name, first\"", ';'),
            // A comma inside a name does not fool it: the address column decides.
            ("Name, first;Email;Phone", ';'),
            // No address column: the commonest candidate, then a comma.
            ("a;b;c,d", ';'),
            ("a,b;c", ','),
            ("addresses", ','),
        ];
        for (header, delimiter) in cases {
            assert_eq!(sniff(header), delimiter, "{header:?}");
        }
        assert_eq!(address_delimiter("a;b"), None);
    }

    #[test]
    fn delimiter_values_by_character_or_name() {
        for (value, delimiter) in [
            (";", ';'),
            ("tab", '\t'),
            ("\\t", '\t'),
            ("\t", '\t'),
            ("Semicolon", ';'),
            ("|", '|'),
        ] {
            assert_eq!(parse_delimiter(value), Ok(delimiter), "{value:?}");
        }
        for bad in ["", ";;", "\"", "\n", "semi", "§"] {
            assert!(parse_delimiter(bad).is_err(), "{bad:?}");
        }
    }
}
