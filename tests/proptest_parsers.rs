//! Property tests of the three parsers that read untrusted input: the SMTP reply reader and
//! assembler (a server's bytes), the address parser (a user's text) and the list loader (a
//! file's bytes). Each runs a fixed number of cases from a fixed seed, so `cargo test` stays
//! fast and every run sees the same inputs.

use std::collections::HashSet;
use std::io;

use mxknock::address::Address;
use mxknock::engine::smtp::reply::{
    MAX_LINE as MAX_REPLY_LINE, MAX_REPLY, Reply, ReplyAssembler, ReplyError, read_line, sanitize,
};
use mxknock::input::{self, LoadedList, MAX_LINE};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, RngSeed};

/// 256 cases from a fixed seed, no regression files.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(0x6d78_6b6e_6f63_6b21),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// No character of `text` can move the cursor, recolour, reorder or hide text.
fn is_terminal_safe(text: &str) -> bool {
    !text.chars().any(|c| {
        c.is_control()
            || matches!(
                c,
                '\u{61c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}'
                    | '\u{feff}'
            )
    })
}

// ---------------------------------------------------------------------------------------------
// SMTP replies
// ---------------------------------------------------------------------------------------------

/// What reading `input` line by line should give, from RFC 5321 framing alone: each line up to
/// LF, one CR before it dropped, sanitised; a line over the cap ends the reading with
/// `LineTooLong`, the end of the input with `Closed` (a last line without LF is not a line).
fn expected_lines(input: &[u8]) -> (Vec<String>, bool) {
    let mut lines = Vec::new();
    let mut segments: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    let unterminated = segments.pop().unwrap_or_default();
    for segment in segments {
        let content = segment.strip_suffix(b"\r").unwrap_or(segment);
        if content.len() > MAX_REPLY_LINE {
            return (lines, true);
        }
        lines.push(sanitize(content));
    }
    // Without an LF, the reader gives up once it holds more than the line and a CR.
    (lines, unterminated.len() > MAX_REPLY_LINE + 1)
}

/// Reads `input` with `read_line` through a buffer of `capacity` bytes until it fails.
fn read_all_lines(input: &[u8], capacity: usize) -> (Vec<String>, ReplyError) {
    let mut reader = tokio::io::BufReader::with_capacity(capacity, input);
    let mut lines = Vec::new();
    futures::executor::block_on(async {
        loop {
            match read_line(&mut reader).await {
                Ok(line) => lines.push(line),
                Err(e) => return (lines, e),
            }
        }
    })
}

/// Server output: replies (short, multi-line up to past MAX_REPLY, or with a line at the cap)
/// mixed with raw bytes.
fn server_bytes() -> impl Strategy<Value = Vec<u8>> {
    let short = prop_oneof![
        2 => vec(any::<u8>(), 0..40),
        1 => "(5\\.1\\.1 |2\\.0\\.0 |4\\.7\\.1 )?[ -~]{0,30}".prop_map(String::into_bytes),
    ];
    let filler =
        |lengths: std::ops::Range<usize>| (lengths, 0x20u8..0x7f).prop_map(|(n, b)| vec![b; n]);
    let texts = prop_oneof![
        8 => vec(short, 1..8),
        2 => vec(filler(1500..2100), 28..40),
        1 => filler(MAX_REPLY_LINE - 6..MAX_REPLY_LINE + 3).prop_map(|text| vec![text]),
    ];
    let reply = (code(), texts, prop::bool::ANY).prop_map(|(code, texts, crlf)| {
        let mut bytes = Vec::new();
        let last = texts.len() - 1;
        for (i, text) in texts.into_iter().enumerate() {
            let separator = if i == last { " " } else { "-" };
            bytes.extend_from_slice(format!("{code}{separator}").as_bytes());
            bytes.extend_from_slice(&text);
            bytes.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        }
        bytes
    });
    let chunk = prop_oneof![4 => reply, 1 => vec(any::<u8>(), 0..64)];
    vec(chunk, 0..6).prop_map(|chunks| chunks.concat())
}

/// A reply code: first digit 2 to 5, second 0 to 5.
fn code() -> impl Strategy<Value = u16> {
    (2u16..=5, 0u16..=5, 0u16..=9).prop_map(|(a, b, c)| a * 100 + b * 10 + c)
}

/// Every reply the assembler builds from `lines`, until the first error.
fn assemble(lines: &[String]) -> Vec<Reply> {
    let mut assembler = ReplyAssembler::new();
    let mut replies = Vec::new();
    for line in lines {
        match assembler.push(line) {
            Ok(Some(reply)) => replies.push(reply),
            Ok(None) => {}
            Err(_) => break,
        }
    }
    replies
}

/// A reply keeps the promises of the assembler: a valid code, at least one line, an enhanced
/// code of its class, printable text, and no more than MAX_REPLY bytes as the server sent it
/// (each line at least `ddd` plus its text, and a two-byte line ending). Sanitising made each
/// text at most `growth` times longer than the server's.
fn check_reply(reply: &Reply, growth: usize) -> Result<(), TestCaseError> {
    let [hundreds, tens] = [reply.code / 100, reply.code / 10 % 10];
    prop_assert!((2..=5).contains(&hundreds) && tens <= 5, "{}", reply.code);
    prop_assert!(!reply.lines.is_empty());
    if let Some(enhanced) = reply.enhanced {
        prop_assert_eq!(u16::from(enhanced.class), hundreds);
    }
    let sent: usize = reply
        .lines
        .iter()
        .map(|l| 3 + l.len().div_ceil(growth) + 2)
        .sum();
    prop_assert!(sent <= MAX_REPLY, "{sent} bytes in one reply");
    for text in reply.lines.iter().chain([&reply.text(), &reply.message()]) {
        prop_assert!(is_terminal_safe(text), "{text:?}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn read_line_over_any_bytes_is_bounded_and_exact(
        input in prop_oneof![server_bytes(), vec(any::<u8>(), 0..600)],
        capacity in prop_oneof![1 => 1usize..16, 3 => Just(8192)],
    ) {
        let (lines, error) = read_all_lines(&input, capacity);
        let (expected, too_long) = expected_lines(&input);
        prop_assert_eq!(&lines, &expected);
        match error {
            ReplyError::LineTooLong { limit } => {
                prop_assert!(too_long);
                prop_assert_eq!(limit, MAX_REPLY_LINE);
            }
            ReplyError::Closed => prop_assert!(!too_long),
            other => prop_assert!(false, "unexpected {other:?}"),
        }
        for line in &lines {
            // A sanitised byte takes at most four (`\x1b`).
            prop_assert!(line.len() <= 4 * MAX_REPLY_LINE);
            prop_assert!(is_terminal_safe(line), "{line:?}");
        }
    }

    #[test]
    fn replies_assembled_from_any_server_output_keep_their_bounds(input in server_bytes()) {
        let (lines, _) = read_all_lines(&input, 8192);
        // read_line's lines are sanitised already: the assembler's second pass changes nothing.
        for reply in assemble(&lines) {
            check_reply(&reply, 1)?;
        }
    }

    #[test]
    fn the_assembler_takes_any_text(lines in vec(any::<String>(), 1..12)) {
        // A sanitised character takes at most four times its bytes (`\x1b` for one byte).
        for reply in assemble(&lines) {
            check_reply(&reply, 4)?;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------------------------

/// Text near the attack surface: quotes, escapes, `@`, dots, controls, separators.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        r#"[a-z"\\@. \r\n\t\x00\x1b\x7f\x{85}\x{9b}\x{200b}\x{2028}\x{202e}\x{feff}é]{0,24}"#,
        r#""[a-z\\\r\n\x00 @]{0,8}"@[a-z]{1,6}\.[a-z\r\n]{2,5}"#,
        r"[a-z]{1,8}@[a-z]{1,8}\.(com|org)(\r\nRCPT TO:<[a-z]+@[a-z]+>)?",
    ]
}

/// Addresses that mostly parse: dot-atom and quoted local parts, ASCII, Unicode and A-label
/// domains, mixed case, full-width and ideographic dots, a root dot, UTS 46 mappings.
fn plausible_address() -> impl Strategy<Value = String> {
    let local = prop_oneof![
        r"[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,12}(\.[a-zA-Z0-9_-]{1,6}){0,2}",
        r"[a-zA-Z0-9éüßжσ中]{1,10}(\.[a-zé]{1,4})?",
        r#""([a-zA-Z0-9 @.,()é]|\\["\\ a]){1,12}""#,
    ];
    let label = prop_oneof![
        r"[a-zA-Z0-9]{1,6}(-[a-zA-Z0-9]{1,4})?",
        r"[a-zäöüßéжσςΣİK中Ａ-Ｚ]{1,6}",
        r"xn--[a-z0-9]{1,8}",
        Just("xn--bcher-kva".to_string()),
    ];
    let dot = prop_oneof![8 => Just("."), 1 => Just("。"), 1 => Just("．")];
    let domain =
        (vec((label, dot), 1..4), r"[a-zA-Z]{2,6}", r"\.?").prop_map(|(labels, tld, root)| {
            let mut domain: String = labels.into_iter().map(|(l, d)| format!("{l}{d}")).collect();
            domain.push_str(&tld);
            domain.push_str(&root);
            domain
        });
    (local, domain).prop_map(|(local, domain)| format!("{local}@{domain}"))
}

/// A control byte (C0 or DEL) or C1 control.
fn has_control(text: &str) -> bool {
    text.chars().any(char::is_control)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_text_parses_or_fails_and_an_smtp_path_never_holds_a_control(
        input in prop_oneof![hostile_text(), plausible_address()],
    ) {
        if let Ok(address) = Address::parse(&input) {
            let path = address.smtp_path();
            prop_assert!(!path.bytes().any(|b| b < 0x20 || b == 0x7f), "{path:?}");
            prop_assert!(!has_control(&path), "{path:?}");
            prop_assert!(!has_control(&address.to_string()), "{address}");
        }
    }

    #[test]
    fn a_parsed_address_round_trips_through_display_and_its_smtp_path(
        input in prop_oneof![plausible_address(), hostile_text()],
    ) {
        if let Ok(address) = Address::parse(&input) {
            let shown = address.to_string();
            let again = Address::parse(&shown);
            prop_assert_eq!(again.as_ref(), Ok(&address), "shown as {:?}", shown);
            let path = address.smtp_path();
            let again = Address::parse(&path);
            prop_assert_eq!(again.as_ref(), Ok(&address), "path {:?}", path);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------------------------

/// One line of a hostile list (it may itself hold LFs: the model splits the joined bytes).
fn list_line(quotes: bool) -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        4 => vec(any::<u8>(), 0..24),
        4 => r"[a-z]{1,6}@[a-z]{1,6}\.test(,[a-z ]{0,5})?".prop_map(String::into_bytes),
        3 => "[ #\t,\"a-z@.é\u{85}\u{fffd}\u{feff}\u{1b}\0\r]{0,16}".prop_map(String::into_bytes),
        1 => (MAX_LINE - 2..MAX_LINE + 3, any::<u8>()).prop_map(|(n, b)| vec![b; n]),
        1 => Just(b"\xef\xbb\xbfemail,name".to_vec()),
        1 => Just(b"u\xe9@x.test".to_vec()),
    ];
    line.prop_map(move |mut line| {
        if !quotes {
            line.iter_mut()
                .filter(|b| **b == b'"')
                .for_each(|b| *b = b'\'');
        }
        line
    })
}

/// A list: lines joined by LF or CRLF, with or without a last line ending.
fn list_bytes(quotes: bool) -> impl Strategy<Value = Vec<u8>> {
    let header = prop_oneof![Just(b"email,name".to_vec()), Just(b"name,E-Mail".to_vec())];
    (
        prop::option::of(header),
        vec((list_line(quotes), prop::bool::ANY), 0..24),
        prop::bool::ANY,
    )
        .prop_map(|(header, lines, end)| {
            let mut bytes = Vec::new();
            for (line, crlf) in header.map(|h| (h, false)).into_iter().chain(lines) {
                bytes.extend_from_slice(&line);
                bytes.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
            }
            if !end && bytes.last() == Some(&b'\n') {
                bytes.pop();
            }
            bytes
        })
}

/// The lines of `input` as the loader numbers them: split on LF (a last empty piece is no
/// line), one CR before the LF dropped, a BOM dropped from the first.
fn model_lines(input: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    for (i, line) in lines.iter_mut().enumerate() {
        *line = line.strip_suffix(b"\r").unwrap_or(line);
        if i == 0 {
            *line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
        }
    }
    lines
}

/// Blank: white space only (valid UTF-8). Comment: first other character `#`.
fn is_blank(line: &[u8]) -> bool {
    line.len() <= MAX_LINE && std::str::from_utf8(line).is_ok_and(|t| t.trim().is_empty())
}

fn is_comment(line: &[u8]) -> bool {
    line.len() <= MAX_LINE
        && match std::str::from_utf8(line) {
            Ok(text) => text.trim().starts_with('#'),
            Err(_) => line.trim_ascii_start().starts_with(b"#"),
        }
}

/// A line the loader can read as text: within the cap, UTF-8, no NUL.
fn is_readable(line: &[u8]) -> bool {
    line.len() <= MAX_LINE && std::str::from_utf8(line).is_ok() && !line.contains(&0)
}

/// Entries (with their duplicates) and bad rows: every row the loader accounted for.
fn accounted(list: &LoadedList) -> usize {
    list.entries.iter().map(|e| e.count as usize).sum::<usize>() + list.bad_rows.len()
}

/// Line numbers within the file, and entries that could safely reach the wire.
fn check_list(list: &LoadedList, line_count: usize) -> Result<(), TestCaseError> {
    for bad in &list.bad_rows {
        prop_assert!(
            (1..=line_count).contains(&bad.line),
            "{bad:?} of {line_count}"
        );
        prop_assert!(is_terminal_safe(&bad.message), "{bad:?}");
    }
    for entry in &list.entries {
        prop_assert!((1..=line_count).contains(&entry.line), "{entry:?}");
        prop_assert!(!entry.address.is_empty() && entry.address.trim() == entry.address);
        prop_assert!(!has_control(&entry.address), "{entry:?}");
        prop_assert!(!entry.address.contains('\u{fffd}'), "{entry:?}");
        prop_assert!(entry.address.len() <= MAX_LINE);
    }
    Ok(())
}

fn read(input: &[u8], read: fn(&[u8]) -> io::Result<LoadedList>) -> LoadedList {
    read(input).expect("reading from memory cannot fail")
}

/// Reads through a one-byte buffer, so every line arrives in pieces.
fn read_slowly(
    input: &[u8],
    read: fn(std::io::BufReader<&[u8]>) -> io::Result<LoadedList>,
) -> LoadedList {
    read(std::io::BufReader::with_capacity(1, input)).expect("reading from memory cannot fail")
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_text_list_accounts_for_every_line_that_is_not_blank_or_a_comment(
        input in list_bytes(true),
    ) {
        let list = read(&input, |i| input::read_text(i));
        let lines = model_lines(&input);
        check_list(&list, lines.len())?;
        let significant = lines.iter().filter(|l| !is_blank(l) && !is_comment(l)).count();
        prop_assert_eq!(accounted(&list), significant, "{:?}", list);
        for entry in &list.entries {
            let line = std::str::from_utf8(lines[entry.line - 1]).unwrap();
            prop_assert_eq!(line.trim(), entry.address.as_str());
        }
        prop_assert_eq!(read_slowly(&input, |r| input::read_text(r)), list);
    }

    #[test]
    fn a_csv_list_without_quotes_accounts_for_every_line_but_the_header(
        input in list_bytes(false),
    ) {
        let list = read(&input, |i| input::read_csv(i, Default::default()));
        let lines = model_lines(&input);
        check_list(&list, lines.len())?;
        // Every row after the header is an entry or a bad row; so is an unreadable header.
        let mut rows = lines.iter().filter(|l| !is_blank(l));
        let expected = match rows.next() {
            None => 0,
            Some(header) if is_readable(header) => rows.count(),
            Some(_) => rows.count() + 1,
        };
        prop_assert_eq!(accounted(&list), expected, "{:?}", list);
    }

    #[test]
    fn any_csv_list_stays_within_its_lines(input in list_bytes(true)) {
        let list = read(&input, |i| input::read_csv(i, Default::default()));
        let lines = model_lines(&input);
        check_list(&list, lines.len())?;
        prop_assert!(accounted(&list) <= lines.iter().filter(|l| !is_blank(l)).count());
        prop_assert_eq!(read_slowly(&input, |r| input::read_csv(r, Default::default())), list);
    }

    #[test]
    fn a_csv_line_is_only_ever_taken_into_a_quoted_cell_within_the_cap(input in list_bytes(true)) {
        let list = read(&input, |i| input::read_csv(i, Default::default()));
        // With duplicates, where a record started is not known.
        prop_assume!(list.entries.iter().all(|e| e.count == 1));
        let lines = model_lines(&input);
        let nonblank: Vec<usize> = (1..=lines.len()).filter(|&n| !is_blank(lines[n - 1])).collect();
        let Some((&header, rows)) = nonblank.split_first() else { return Ok(()) };
        let bad: HashSet<usize> = list.bad_rows.iter().map(|b| b.line).collect();
        let mut read_records: HashSet<usize> = list.entries.iter().map(|e| e.line).collect();
        if !bad.contains(&header) {
            read_records.insert(header);
        }
        let span = |from: usize, to: usize| -> usize {
            lines[from - 1..to].iter().map(|l| l.len()).sum::<usize>() + (to - from)
        };
        for &n in rows.iter().filter(|n| !read_records.contains(n) && !bad.contains(n)) {
            // Taken by a record that was read (a bad one gives its lines back), that starts
            // with a quote and spans at most MAX_LINE bytes up to this line.
            let taken = (1..n)
                .rev()
                .take_while(|&start| span(start, n) <= MAX_LINE)
                .any(|start| read_records.contains(&start) && lines[start - 1].contains(&b'"'));
            prop_assert!(taken, "line {} is lost: {:?}", n, list);
        }
    }

    #[test]
    fn any_list_on_standard_input_stays_within_its_lines(input in list_bytes(true)) {
        let list = read(&input, |i| input::read_sniffed(i, Default::default()));
        let lines = model_lines(&input);
        check_list(&list, lines.len())?;
        prop_assert!(accounted(&list) <= lines.iter().filter(|l| !is_blank(l)).count());
    }

    #[test]
    fn arbitrary_bytes_never_panic_any_loader(input in vec(any::<u8>(), 0..2048)) {
        let lines = model_lines(&input).len();
        for list in [
            read(&input, |i| input::read_text(i)),
            read(&input, |i| input::read_csv(i, Default::default())),
            read(&input, |i| input::read_sniffed(i, Default::default())),
        ] {
            check_list(&list, lines)?;
        }
    }
}
