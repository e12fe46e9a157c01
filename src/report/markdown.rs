//! Markdown escaping and number formatting for reports.
//!
//! Everything in a results file is untrusted: a pull request controls dataset ids, item ids,
//! metric names and messages. [`text`] turns such a string into inert Markdown: HTML is escaped
//! into entities, Markdown punctuation is backslash-escaped (so `|` cannot break a table cell and
//! backticks cannot open code), line breaks become spaces, control characters are dropped,
//! `@mentions` are defused and overly long strings are cut.

/// Longest untrusted string kept in a report (in characters); longer ones end with `…`.
pub const MAX_TEXT_CHARS: usize = 300;

/// Escapes untrusted text for use anywhere in GitHub-flavoured Markdown (paragraphs, list items,
/// table cells, `<summary>` elements), cutting it to [`MAX_TEXT_CHARS`] characters.
pub fn text(raw: &str) -> String {
    text_limited(raw, MAX_TEXT_CHARS)
}

/// Like [`text`], with an explicit character limit.
pub fn text_limited(raw: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(raw.len() + 8);
    for (n, c) in raw.chars().enumerate() {
        if n == max_chars {
            out.push('…');
            break;
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' | '\r' | '\t' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '{' | '}' | '#' | '|' | '~' | '!'
            | '$' => {
                out.push('\\');
                out.push(c);
            }
            // A word joiner after `@` keeps GitHub from turning `@name` into a mention.
            '@' => out.push_str("@\u{2060}"),
            c if c.is_control() => {}
            _ => out.push(c),
        }
    }
    out
}

/// Untrusted text as an inline code span when that is safe (no backtick, `|`, line break or
/// control character, at most [`MAX_TEXT_CHARS`] characters); otherwise escaped like [`text`].
/// Code spans show their content literally, so HTML and Markdown in it stay inert.
pub fn code(raw: &str) -> String {
    let safe = !raw.is_empty()
        && raw.chars().count() <= MAX_TEXT_CHARS
        && !raw.chars().any(|c| c == '`' || c == '|' || c.is_control());
    if safe { format!("`{raw}`") } else { text(raw) }
}

/// Formats a metric value compactly: 4 significant digits below 1, 3 decimals below 100, one
/// decimal above; `NaN` and infinities spelled out.
pub fn number(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "∞" } else { "-∞" }.to_string();
    }
    let a = v.abs();
    let s = if a == 0.0 {
        "0".to_string()
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.3}")
    } else {
        // 4 significant digits: 0.4231, 0.01234, 0.001234.
        let digits = (-a.log10().floor()) as usize + 3;
        format!("{v:.digits$}", digits = digits.min(12))
    };
    trim_trailing_zeros(&s)
}

/// A change with an explicit sign (`+0.02`, `-1.5`, `0`).
pub fn signed(v: f64) -> String {
    let s = number(v);
    if v > 0.0 && v.is_finite() {
        format!("+{s}")
    } else {
        s
    }
}

/// A relative change in percent with sign (`+2.9%`), or `None` when the base is zero.
pub fn percent_change(delta: f64, base: f64) -> Option<String> {
    if base == 0.0 || !base.is_finite() || !delta.is_finite() {
        return None;
    }
    let pct = delta / base.abs() * 100.0;
    let s = format!("{pct:+.1}%");
    Some(if s == "+0.0%" || s == "-0.0%" {
        "±0.0%".to_string()
    } else {
        s
    })
}

fn trim_trailing_zeros(s: &str) -> String {
    if !s.contains('.') {
        return s.to_string();
    }
    let t = s.trim_end_matches('0').trim_end_matches('.');
    if t.is_empty() || t == "-" {
        "0".to_string()
    } else {
        t.to_string()
    }
}

/// Size-bounded Markdown document: a fixed head and tail, and body blocks added in order until
/// the budget is spent; dropped blocks are counted and a truncation note says so.
#[derive(Debug, Default)]
pub struct BoundedDocument {
    head: String,
    blocks: Vec<String>,
    tail: String,
}

impl BoundedDocument {
    /// A document starting with `head` (always kept).
    pub fn new(head: String) -> Self {
        BoundedDocument {
            head,
            blocks: Vec::new(),
            tail: String::new(),
        }
    }

    /// Adds a self-contained block (every HTML element it opens is closed in it).
    pub fn push(&mut self, block: String) {
        self.blocks.push(block);
    }

    /// Sets the closing text (always kept).
    pub fn set_tail(&mut self, tail: String) {
        self.tail = tail;
    }

    /// Renders the document within `max_units` UTF-16 code units (GitHub counts characters;
    /// UTF-16 units are never fewer, so the bound is conservative). Blocks are
    /// kept in order while they fit; once one does not, it and all later blocks are left out and
    /// a note (`truncation_note`, given the number left out) takes their place.
    pub fn render(&self, max_units: usize, truncation_note: impl Fn(usize) -> String) -> String {
        let fixed = units(&self.head) + units(&self.tail);
        let note_reserve = units(&truncation_note(self.blocks.len())) + 4;
        let mut out = self.head.clone();
        let mut used = fixed;
        let total: usize = fixed + self.blocks.iter().map(|b| units(b) + 1).sum::<usize>();
        let budget = if total <= max_units {
            max_units
        } else {
            max_units.saturating_sub(note_reserve)
        };
        let mut omitted = 0;
        for (i, block) in self.blocks.iter().enumerate() {
            let len = units(block) + 1;
            if used + len > budget {
                omitted = self.blocks.len() - i;
                break;
            }
            out.push_str(block);
            out.push('\n');
            used += len;
        }
        if omitted > 0 {
            out.push_str(&truncation_note(omitted));
            out.push_str("\n\n");
        }
        out.push_str(&self.tail);
        out
    }
}

/// Length in UTF-16 code units.
pub fn units(s: &str) -> usize {
    s.encode_utf16().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html_and_markdown() {
        assert_eq!(
            text("<script>alert(1)</script>"),
            "&lt;script&gt;alert\\(1\\)&lt;/script&gt;"
        );
        assert_eq!(text("a|b"), "a\\|b");
        assert_eq!(text("`code`"), "\\`code\\`");
        assert_eq!(text("line\nbreak"), "line break");
        assert_eq!(text("x\u{7}y"), "xy");
        assert_eq!(text("@octocat"), "@\u{2060}octocat");
        assert_eq!(text("a & b"), "a &amp; b");
        assert_eq!(code("baselines/a.snap"), "`baselines/a.snap`");
        assert_eq!(code("a`b|c"), "a\\`b\\|c");
    }

    #[test]
    fn cuts_long_text() {
        let long = "x".repeat(1000);
        let out = text(&long);
        assert_eq!(out.chars().count(), MAX_TEXT_CHARS + 1);
        assert!(out.ends_with('…'));
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(number(0.42314), "0.4231");
        assert_eq!(number(0.012345), "0.01235");
        assert_eq!(number(1.5), "1.5");
        assert_eq!(number(1234.56), "1234.6");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(-0.04), "-0.04");
        assert_eq!(signed(0.02), "+0.02");
        assert_eq!(signed(-0.02), "-0.02");
        assert_eq!(percent_change(0.01, 0.5).as_deref(), Some("+2.0%"));
        assert_eq!(percent_change(0.01, 0.0), None);
    }

    #[test]
    fn bounded_document_truncates_with_note() {
        let mut doc = BoundedDocument::new("head\n".into());
        for i in 0..10 {
            doc.push(format!("block {i} {}", "y".repeat(50)));
        }
        doc.set_tail("tail\n".into());
        let out = doc.render(200, |n| format!("({n} omitted)"));
        assert!(units(&out) <= 200, "{}", units(&out));
        assert!(out.starts_with("head\n"));
        assert!(out.ends_with("tail\n"));
        assert!(out.contains("omitted)"));
        let full = doc.render(10_000, |n| format!("({n} omitted)"));
        assert!(!full.contains("omitted"));
        assert!(full.contains("block 9"));
    }
}
