//! A pre-pass over JSON text for the one thing Python's `json` module accepts and serde_json
//! refuses: `\uXXXX` escapes of lone UTF-16 surrogates, such as `"\ud83d"` left behind when a
//! program cut a string inside an emoji and wrote it with `json.dumps` (whose default
//! `ensure_ascii=True` escapes every non-ASCII character).
//!
//! Python reads such an escape as a lone surrogate in a `str`, which it cannot write as UTF-8
//! without an error handler. Here it becomes `\ufffd`, the escape of U+FFFD REPLACEMENT CHARACTER,
//! which is what a lossy UTF-8 decoder shows for the same broken text; every replacement is
//! reported with its line and field, so the import can warn about it. The rewrite keeps byte
//! offsets (both escapes are six bytes), so serde_json's error columns stay right.
//!
//! What stays as it is:
//! - a valid pair, a high surrogate escape directly followed by a low one (`\ud83d\ude00`);
//! - an escaped backslash followed by `u` (`\\ud83d` is the text `\ud83d`, not an escape);
//! - everything outside strings, and malformed JSON, which serde_json then reports.
//!
//! The scan also follows the document's structure, to name the field of each replacement
//! (`transcript`, `meta.speakers[2]`) and, when the top level is an array, the line each element
//! starts on.

use std::borrow::Cow;

/// One lone surrogate escape, replaced by `\ufffd`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Replaced {
    /// The 1-based line it is on (counted from the `first_line` given to [`scan`]).
    pub line: usize,
    /// The 0-based index of the top-level array element it is in, when the document is an array.
    pub element: Option<usize>,
    /// Where in the record: object keys joined by `.`, array indexes as `[n]`; empty at the top.
    pub field: String,
    /// The escape as written, e.g. `\ud83d`.
    pub escape: String,
}

/// The scanned text and what the scan found.
#[derive(Debug)]
pub(crate) struct Scanned<'a> {
    /// The text with lone surrogate escapes replaced (borrowed when there were none).
    pub text: Cow<'a, str>,
    /// Every replacement, in text order.
    pub replaced: Vec<Replaced>,
    /// When the top level is an array: the line each element starts on, in order.
    pub element_lines: Vec<usize>,
}

/// A container the scan is inside.
enum Frame {
    Object {
        /// The key of the value being read (`None` while reading a key).
        key: Option<String>,
        /// True between `{` or `,` and the `:` that ends a key.
        expecting_key: bool,
    },
    Array {
        index: usize,
        /// Whether the element at `index` has started.
        started: bool,
    },
}

const REPLACEMENT_ESCAPE: &str = "\\ufffd";

/// Rewrites the lone surrogate escapes of `text`, a JSON document whose first line is
/// `first_line`, to `\ufffd`.
pub(crate) fn scan(text: &str, first_line: usize) -> Scanned<'_> {
    let b = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut replaced = Vec::new();
    let mut element_lines = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut line = first_line;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'"' => {
                let is_key = matches!(
                    stack.last(),
                    Some(Frame::Object {
                        expecting_key: true,
                        ..
                    })
                );
                if !is_key {
                    value_starts(&mut stack, &mut element_lines, line);
                }
                let start = i;
                i += 1;
                while i < b.len() {
                    match b[i] {
                        b'"' => {
                            i += 1;
                            break;
                        }
                        b'\\' if b.get(i + 1) == Some(&b'u') => {
                            let Some(unit) = hex4(b, i + 2) else {
                                i += 2;
                                continue;
                            };
                            let lone = match unit {
                                0xD800..=0xDBFF => {
                                    let pair = b.get(i + 6) == Some(&b'\\')
                                        && b.get(i + 7) == Some(&b'u')
                                        && hex4(b, i + 8)
                                            .is_some_and(|low| (0xDC00..=0xDFFF).contains(&low));
                                    if pair {
                                        i += 12;
                                        continue;
                                    }
                                    true
                                }
                                0xDC00..=0xDFFF => true,
                                _ => false,
                            };
                            if lone {
                                let out = out.get_or_insert_with(|| String::with_capacity(b.len()));
                                out.push_str(&text[copied..i]);
                                out.push_str(REPLACEMENT_ESCAPE);
                                copied = i + 6;
                                let (element, field) = path(&stack);
                                replaced.push(Replaced {
                                    line,
                                    element,
                                    field,
                                    escape: text[i..i + 6].to_string(),
                                });
                            }
                            i += 6;
                        }
                        b'\\' => {
                            // Any other escape is two bytes, `\\` included: the byte after it
                            // never starts an escape.
                            if b.get(i + 1) == Some(&b'\n') {
                                line += 1;
                            }
                            i += 2;
                        }
                        b'\n' => {
                            // Not valid JSON; serde_json reports it.
                            line += 1;
                            i += 1;
                        }
                        _ => i += 1,
                    }
                }
                if is_key {
                    let raw = &text[start..i.min(b.len())];
                    let key = serde_json::from_str::<String>(&cleaned(raw))
                        .unwrap_or_else(|_| raw.trim_matches('"').to_string());
                    if let Some(Frame::Object { key: slot, .. }) = stack.last_mut() {
                        *slot = Some(key);
                    }
                }
            }
            b'{' => {
                value_starts(&mut stack, &mut element_lines, line);
                stack.push(Frame::Object {
                    key: None,
                    expecting_key: true,
                });
                i += 1;
            }
            b'[' => {
                value_starts(&mut stack, &mut element_lines, line);
                stack.push(Frame::Array {
                    index: 0,
                    started: false,
                });
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                i += 1;
            }
            b':' => {
                if let Some(Frame::Object { expecting_key, .. }) = stack.last_mut() {
                    *expecting_key = false;
                }
                i += 1;
            }
            b',' => {
                match stack.last_mut() {
                    Some(Frame::Object { key, expecting_key }) => {
                        *key = None;
                        *expecting_key = true;
                    }
                    Some(Frame::Array { index, started }) => {
                        *index += 1;
                        *started = false;
                    }
                    None => {}
                }
                i += 1;
            }
            _ => {
                // A number, `true`, `false`, `null` (or something serde_json will refuse).
                value_starts(&mut stack, &mut element_lines, line);
                i += 1;
            }
        }
    }
    let text = match out {
        Some(mut out) => {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
        None => Cow::Borrowed(text),
    };
    Scanned {
        text,
        replaced,
        element_lines,
    }
}

/// A key's JSON string with lone surrogate escapes replaced, so it decodes.
fn cleaned(raw: &str) -> Cow<'_, str> {
    if raw.contains("\\u") && raw.len() < 10_000 {
        // Keys are short; a nested scan of just the key is simplest.
        let wrapped = format!("[{raw}]");
        let scanned = scan(&wrapped, 1);
        let text = scanned.text.into_owned();
        Cow::Owned(text[1..text.len() - 1].to_string())
    } else {
        Cow::Borrowed(raw)
    }
}

/// Notes that a value starts: the top-level array's element starts on `line`.
fn value_starts(stack: &mut [Frame], element_lines: &mut Vec<usize>, line: usize) {
    let depth = stack.len();
    if let Some(Frame::Array { started, .. }) = stack.last_mut()
        && !*started
    {
        *started = true;
        if depth == 1 {
            element_lines.push(line);
        }
    }
}

/// The top-level element index (for an array document) and the field path within the record.
fn path(stack: &[Frame]) -> (Option<usize>, String) {
    let (element, inner) = match stack.first() {
        Some(Frame::Array { index, .. }) => (Some(*index), &stack[1..]),
        _ => (None, stack),
    };
    let mut field = String::new();
    for frame in inner {
        match frame {
            Frame::Object { key: Some(key), .. } => {
                if !field.is_empty() {
                    field.push('.');
                }
                field.push_str(key);
            }
            Frame::Object { key: None, .. } => {}
            Frame::Array { index, .. } => field.push_str(&format!("[{index}]")),
        }
    }
    (element, field)
}

/// The value of four hex digits at `at`.
fn hex4(b: &[u8], at: usize) -> Option<u32> {
    let digits = b.get(at..at + 4)?;
    let text = std::str::from_utf8(digits).ok()?;
    if !text.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(text, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> (serde_json::Value, Vec<Replaced>) {
        let scanned = scan(text, 1);
        let value = serde_json::from_str(&scanned.text).expect("parses after the scan");
        (value, scanned.replaced)
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let (value, replaced) = parsed(r#"{"id": "a", "text": "cut \ud83d", "low": "\ude00x"}"#);
        assert_eq!(value["text"], "cut \u{FFFD}");
        assert_eq!(value["low"], "\u{FFFD}x");
        let fields: Vec<&str> = replaced.iter().map(|r| r.field.as_str()).collect();
        assert_eq!(fields, ["text", "low"]);
        assert_eq!(replaced[0].escape, "\\ud83d");
    }

    #[test]
    fn pairs_escaped_backslashes_and_plain_text_stay() {
        let text =
            r#"{"pair": "\ud83d\ude00", "literal": "\\ud83d", "both": "\\\ud83d", "x": "\u00e9"}"#;
        let scanned = scan(text, 1);
        let value: serde_json::Value = serde_json::from_str(&scanned.text).unwrap();
        assert_eq!(value["pair"], "\u{1F600}");
        assert_eq!(value["literal"], "\\ud83d");
        assert_eq!(value["both"], "\\\u{FFFD}");
        assert_eq!(value["x"], "é");
        assert_eq!(scanned.replaced.len(), 1);
        assert_eq!(scanned.replaced[0].field, "both");
        let plain = r#"{"a": "no escapes here"}"#;
        assert!(matches!(scan(plain, 1).text, Cow::Borrowed(_)));
    }

    #[test]
    fn a_high_surrogate_before_a_pair_and_a_reversed_pair() {
        let (value, replaced) = parsed(r#"["\ud83d\ud83d\ude00", "\ude00\ud83d"]"#);
        assert_eq!(value[0], "\u{FFFD}\u{1F600}");
        assert_eq!(value[1], "\u{FFFD}\u{FFFD}");
        assert_eq!(replaced.len(), 3);
    }

    #[test]
    fn nested_fields_elements_and_lines_are_named() {
        let text = "[\n  {\"id\": 1, \"meta\": {\"names\": [\"ok\", \"bad \\udc00\"]}},\n  \
                    {\"id\": 2,\n   \"t\": \"\\ud800\"}\n]";
        let scanned = scan(text, 1);
        assert_eq!(scanned.element_lines, [2, 3]);
        let found: Vec<(usize, Option<usize>, &str)> = scanned
            .replaced
            .iter()
            .map(|r| (r.line, r.element, r.field.as_str()))
            .collect();
        assert_eq!(found, [(2, Some(0), "meta.names[1]"), (4, Some(1), "t")]);
    }

    /// The meaning Python gives a JSON string's escapes, as UTF-16 code units, made UTF-8 the
    /// lossy way (a lone surrogate becomes U+FFFD, a high one followed by a low one a pair).
    fn reference_decode(body: &str) -> String {
        let mut units = Vec::new();
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                let mut buf = [0u16; 2];
                units.extend_from_slice(c.encode_utf16(&mut buf));
                continue;
            }
            match chars.next().unwrap() {
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    units.push(u16::from_str_radix(&hex, 16).unwrap());
                }
                '\\' => units.push(u16::from(b'\\')),
                '"' => units.push(u16::from(b'"')),
                other => panic!("unexpected escape {other}"),
            }
        }
        String::from_utf16_lossy(&units)
    }

    #[test]
    fn random_strings_read_as_python_reads_them() {
        let pieces = [
            "a", "u", "d83d", "\\\\", "\\\"", "\\ud83d", "\\ude00", "\\udbff", "\\udc00",
            "\\u00e9", "\\u0041", "é", "😀",
        ];
        let mut rng = fastrand::Rng::with_seed(11);
        for _ in 0..2000 {
            let body: String = (0..rng.usize(0..12))
                .map(|_| pieces[rng.usize(0..pieces.len())])
                .collect();
            let json = format!("{{\"k\": \"{body}\"}}");
            let scanned = scan(&json, 1);
            let value: serde_json::Value =
                serde_json::from_str(&scanned.text).unwrap_or_else(|e| panic!("{json}: {e}"));
            let expected = reference_decode(&body);
            assert_eq!(value["k"], expected, "{json}");
            let replaced = expected.matches('\u{FFFD}').count();
            assert_eq!(scanned.replaced.len(), replaced, "{json}");
        }
    }

    #[test]
    fn malformed_json_is_left_to_serde() {
        for text in [
            r#"{"a": "\ud83"#,
            r#"{"a": "\"#,
            "{\"a\": [}",
            "\"\\u12",
            "]]}}",
        ] {
            let scanned = scan(text, 1);
            assert!(serde_json::from_str::<serde_json::Value>(&scanned.text).is_err());
        }
    }
}
