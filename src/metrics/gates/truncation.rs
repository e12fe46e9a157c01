//! `truncation`: outputs cut off mid-sentence or mid-word.
//!
//! The output is read from its end (trailing whitespace removed). An item fails (1) when one of
//! these holds, and passes (0) otherwise:
//!
//! 1. **empty**: the output has no words;
//! 2. **marker**: it ends with one of [`TRUNCATION_MARKERS`] (`...`, `…`, `[truncated]`,
//!    `(truncated)`; case-insensitive);
//! 3. **dangling dash**: it ends with `-`, `–` or `—` (`the state-of-the-`, `and then the —`);
//!    a last line made only of dashes (a Markdown rule) does not count;
//! 4. **dangling separator**: it ends with `,`, `;` or `:` (a list or clause that never came);
//! 5. **dangling word**: its last word, closing quotes and brackets removed, ends in a letter and
//!    is one of [`DANGLING_WORDS`] (articles, conjunctions, possessives: words an English
//!    sentence cannot end on) or a single lowercase letter (a word cut after its first letter);
//! 6. **long open sentence**: its last line is prose (not a list item, heading, table row or
//!    quote: it does not start with `-`, `*`, `+`, `•`, `#`, `|`, `>` or `1.`/`1)`), does not
//!    end with `.`, `!` or `?` (closing quotes, brackets and Markdown emphasis after them are
//!    allowed), and more than param `max_unpunctuated_words` words (default 8) follow the line's
//!    last word that ends a sentence.
//!
//! Human-written text ends its last sentence with terminal punctuation, and its unpunctuated
//! lines (headings, list items, a short sign-off) are short or marked up as lists, so it passes;
//! a cut that leaves a short unpunctuated fragment after a finished sentence, on a word that can
//! end a sentence, is not caught (there is no dictionary to tell `recomm` from a word).

use super::{Gate, GateParams, flag, rate_definition};
use crate::error::Result;
use crate::metrics::{MetricDef, ScoringItem, ScoringOptions};
use crate::text;

/// Endings that mark an output as cut off (compared case-insensitively).
pub const TRUNCATION_MARKERS: &[&str] = &["...", "…", "[truncated]", "(truncated)"];

/// Words an unpunctuated output cannot end on: articles, coordinating and subordinating
/// conjunctions, possessive determiners and `than` (compared lowercased). Prepositions are left
/// out on purpose: sentences end on them (`the plan they agreed on.`), and so do headings.
pub const DANGLING_WORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "nor", "because", "although", "whereas", "whether",
    "than", "whose", "my", "your", "our", "their", "its",
];

/// Default largest number of words an unpunctuated last sentence may have.
pub const DEFAULT_MAX_UNPUNCTUATED_WORDS: usize = 8;

/// Characters that may follow a sentence's terminal punctuation.
const CLOSERS: &[char] = &['"', '\'', '”', '’', ')', ']', '}', '*', '_', '`', '»'];

/// The truncation gate.
#[derive(Debug, Clone, Copy, Default)]
pub struct Truncation;

const ID: &str = "truncation";

impl Gate for Truncation {
    /// `max_unpunctuated_words`.
    type Params = usize;

    fn definition(&self) -> MetricDef {
        rate_definition(
            ID,
            "share of outputs cut off mid-sentence or mid-word (empty, a truncation marker, a dangling dash, separator or word, or a long unpunctuated last sentence)",
        )
    }

    fn params(&self, options: &ScoringOptions) -> Result<usize> {
        GateParams::read(options, ID, &["max_unpunctuated_words"])?.integer(
            "max_unpunctuated_words",
            DEFAULT_MAX_UNPUNCTUATED_WORDS,
            1,
        )
    }

    fn value(&self, item: &ScoringItem<'_>, max_open: &usize) -> Result<Option<f64>> {
        Ok(Some(flag(
            truncation_rule(item.prediction, *max_open).is_some(),
        )))
    }
}

/// Which rule of the module docs (`"empty"`, `"marker"`, `"dangling dash"`, `"dangling
/// separator"`, `"dangling word"`, `"long open sentence"`) flags `output` as cut off, if any,
/// with `max_open` the `max_unpunctuated_words` parameter.
pub fn truncation_rule(output: &str, max_open: usize) -> Option<&'static str> {
    let end = output.trim_end();
    if text::word_count(end) == 0 {
        return Some("empty");
    }
    let lower = end.to_lowercase();
    if TRUNCATION_MARKERS.iter().any(|m| lower.ends_with(m)) {
        return Some("marker");
    }
    let last_line = end.lines().next_back().unwrap_or("").trim();
    let only_dashes = last_line
        .chars()
        .all(|c| matches!(c, '-' | '–' | '—' | ' '));
    if end.ends_with(['-', '–', '—']) && !only_dashes {
        return Some("dangling dash");
    }
    if end.ends_with([',', ';', ':']) {
        return Some("dangling separator");
    }
    let last_word = end.split_whitespace().next_back().unwrap_or("");
    let core = last_word.trim_end_matches(CLOSERS);
    if core.chars().next_back().is_some_and(char::is_alphabetic) {
        let bare: String = core
            .trim_start_matches(|c: char| !c.is_alphanumeric())
            .to_string();
        let single_lowercase = bare.chars().count() == 1 && bare.chars().all(char::is_lowercase);
        if single_lowercase || DANGLING_WORDS.contains(&bare.to_lowercase().as_str()) {
            return Some("dangling word");
        }
    }
    if !is_markup_line(last_line) && open_words(last_line) > max_open {
        return Some("long open sentence");
    }
    None
}

/// True when `word` ends a sentence: `.`, `!` or `?`, then only closing characters.
fn ends_sentence(word: &str) -> bool {
    word.trim_end_matches(CLOSERS).ends_with(['.', '!', '?'])
}

/// The number of words of `line` after its last word that ends a sentence (0 when the line ends
/// with one).
fn open_words(line: &str) -> usize {
    text::words(line)
        .collect::<Vec<_>>()
        .iter()
        .rev()
        .take_while(|w| !ends_sentence(w))
        .count()
}

/// True for a list item, heading, table row or block quote (trimmed `line`).
fn is_markup_line(line: &str) -> bool {
    if line.starts_with(['-', '*', '+', '•', '#', '|', '>']) {
        return true;
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && line[digits..].starts_with(['.', ')'])
}
