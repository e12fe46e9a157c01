//! Text helpers shared by the built-in systems and the gate metrics: words, tokens, sentences,
//! timestamps and speaker labels in podcast transcripts.
//!
//! Everything here is a plain, deterministic heuristic (no regex engine, no models) so that the
//! built-in systems are reproducible floors and the gates explain exactly what they flag.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Whitespace-separated tokens that contain at least one letter or digit (the "words" that
/// length statistics and ratios count; lone punctuation such as `-` is not a word).
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
}

/// Number of [`words`] in `text`.
pub fn word_count(text: &str) -> usize {
    words(text).count()
}

/// Lowercased runs of letters and digits (apostrophes inside a word are kept, so `don't` is one
/// token). Used for n-grams and sentence similarity.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    each_token(text, |t| out.push(t.to_string()));
    out
}

/// Calls `f` with each of the [`tokens`] of `text` in order, without collecting them (memory
/// stays that of the longest token, however long the text).
pub fn each_token(text: &str, mut f: impl FnMut(&str)) {
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let inner_apostrophe = (c == '\'' || c == '’')
            && !current.is_empty()
            && chars.peek().is_some_and(|n| n.is_alphanumeric());
        if c.is_ascii_alphanumeric() {
            current.push(c.to_ascii_lowercase());
        } else if c.is_alphanumeric() || inner_apostrophe {
            current.extend(c.to_lowercase());
        } else if !current.is_empty() {
            f(&current);
            current.clear();
        }
    }
    if !current.is_empty() {
        f(&current);
    }
}

/// Collapses every run of whitespace to one space and trims the ends.
pub fn normalize_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Abbreviations whose trailing period does not end a sentence (compared lowercased).
const ABBREVIATIONS: &[&str] = &[
    "mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "jr.", "sr.", "vs.", "etc.", "e.g.", "i.e.",
    "u.s.", "u.k.", "inc.", "co.", "no.", "approx.", "dept.", "mt.",
];

/// Splits text into sentences. A sentence ends at `.`, `!`, `?` or `…` (possibly followed by
/// closing quotes or brackets) when the next word starts with an uppercase letter, a digit or an
/// opening quote, unless the word ending there is a known abbreviation (`Dr.`, `e.g.`, ...). Line
/// breaks always end a sentence. Sentences are returned trimmed with inner whitespace collapsed;
/// no other character is lost.
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let mut current: Vec<&str> = Vec::new();
        for (i, word) in words.iter().enumerate() {
            current.push(word);
            let next = words.get(i + 1);
            if next.is_some_and(|n| ends_sentence(word, n)) {
                out.push(current.join(" "));
                current.clear();
            }
        }
        if !current.is_empty() {
            out.push(current.join(" "));
        }
    }
    out
}

/// True when a sentence ends after `word`, given the `next` word.
fn ends_sentence(word: &str, next: &str) -> bool {
    let core = word.trim_end_matches(['"', '\'', '”', '’', ')', ']']);
    let terminal = core.ends_with(['.', '!', '?', '…']);
    if !terminal {
        return false;
    }
    if core.ends_with('.') && !core.ends_with("..") {
        let lower = core.to_lowercase();
        let bare = lower.trim_start_matches(['"', '\'', '“', '‘', '(', '[']);
        if ABBREVIATIONS.contains(&bare) {
            return false;
        }
        // A single initial such as the "J." in "Mary J. Blige".
        let letters: Vec<char> = bare.chars().filter(|c| c.is_alphabetic()).collect();
        if letters.len() == 1 && bare.len() == 2 && letters[0].is_uppercase() {
            return false;
        }
    }
    next.chars()
        .next()
        .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit() || "\"“'‘([".contains(c))
}

/// Length in bytes of a clock reading (`12:34`, `1:02:03`, `00:12:34.5`) starting at byte `i`,
/// with the number of colon-separated groups.
fn clock_at(bytes: &[u8], i: usize) -> Option<(usize, usize)> {
    let digits = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let first = digits(i);
    if first == 0 || first > 2 {
        return None;
    }
    let mut end = i + first;
    let mut groups = 1;
    while groups < 3 && bytes.get(end) == Some(&b':') && digits(end + 1) == 2 {
        end += 3;
        groups += 1;
    }
    if groups < 2 {
        return None;
    }
    if bytes.get(end) == Some(&b'.') && digits(end + 1) > 0 {
        end += 1 + digits(end + 1);
    }
    if bytes
        .get(end)
        .is_some_and(|b| b.is_ascii_digit() || *b == b':')
    {
        return None;
    }
    Some((end - i, groups))
}

/// Byte ranges of the timestamps in `text`: a clock reading in brackets or parentheses
/// (`[00:12:34]`, `[12:34]`, `(1:02:03)`), or a bare `h:mm:ss` reading (three groups, not part of
/// a longer number). A bare `10:30` is not a timestamp: summaries may quote times of day.
pub fn timestamp_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'[' || b == b'(' {
            let close = if b == b'[' { b']' } else { b')' };
            let mut start = i + 1;
            while bytes.get(start) == Some(&b' ') {
                start += 1;
            }
            if let Some((len, _)) = clock_at(bytes, start) {
                let mut end = start + len;
                while bytes.get(end) == Some(&b' ') {
                    end += 1;
                }
                if bytes.get(end) == Some(&close) {
                    out.push(i..end + 1);
                    i = end + 1;
                    continue;
                }
            }
        } else if b.is_ascii_digit() && (i == 0 || !(bytes[i - 1].is_ascii_digit())) {
            let after_colon = i > 0 && bytes[i - 1] == b':';
            if let Some((len, groups)) = clock_at(bytes, i)
                && groups == 3
                && !after_colon
            {
                out.push(i..i + len);
                i += len;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// True when `text` contains a timestamp (see [`timestamp_ranges`]).
pub fn contains_timestamp(text: &str) -> bool {
    !timestamp_ranges(text).is_empty()
}

/// `text` with every timestamp removed (the surrounding whitespace is left for the caller to
/// normalise).
pub fn strip_timestamps(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for range in timestamp_ranges(text) {
        out.push_str(&text[last..range.start]);
        out.push(' ');
        last = range.end;
    }
    out.push_str(&text[last..]);
    out
}

/// The shape of a speaker-label candidate at the start of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelShape {
    /// All capitals, e.g. `MAYA:` or `DR. NAIR:`.
    AllCaps,
    /// Two to four capitalised words, e.g. `Maya Chen:`.
    CapitalisedWords,
    /// One capitalised word, e.g. `Maya:` (also the shape of `Note:`, so it needs support).
    SingleWord,
}

/// Splits a line into a speaker-label candidate and the rest: up to 40 characters before the
/// first `:`, one to four words each starting with an uppercase letter and made of letters, `.`,
/// `'` or `-`, and the colon followed by whitespace or the end of the line (so `https://` and
/// `10:30` are never labels). Leading timestamps are skipped. Returns the label, its shape and the
/// text after the colon.
pub fn label_candidate(line: &str) -> Option<(&str, LabelShape, &str)> {
    let mut start = line.trim_start();
    while let Some(range) = timestamp_ranges(start).first().cloned() {
        if range.start != 0 {
            break;
        }
        start = start[range.end..].trim_start();
    }
    let colon = start.find(':')?;
    if colon == 0 || colon > 40 {
        return None;
    }
    let rest = &start[colon + 1..];
    if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
        return None;
    }
    let label = start[..colon].trim_end();
    let label_words: Vec<&str> = label.split_whitespace().collect();
    if label_words.is_empty() || label_words.len() > 4 {
        return None;
    }
    for w in &label_words {
        let mut chars = w.chars();
        let first_ok = chars.next().is_some_and(char::is_uppercase);
        let rest_ok = w.chars().all(|c| c.is_alphabetic() || ".'’-".contains(c));
        if !first_ok || !rest_ok {
            return None;
        }
    }
    let letters: Vec<char> = label.chars().filter(|c| c.is_alphabetic()).collect();
    let shape = if letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase()) {
        LabelShape::AllCaps
    } else if label_words.len() >= 2 {
        LabelShape::CapitalisedWords
    } else {
        LabelShape::SingleWord
    };
    Some((label, shape, rest))
}

/// Decides which label candidates in a text are real speaker labels.
///
/// In a transcript ([`SpeakerLabels::new`]) all-caps labels (`MAYA:`) and multi-word capitalised
/// labels (`Maya Chen:`) always count. A single capitalised word (`Maya:`) counts only when it is
/// part of a known speaker name (from the item's `speakers` metadata) or when the same label
/// starts at least two lines of the text, so a lone `Note:` or `Summary:` heading is left alone.
///
/// In a system output ([`SpeakerLabels::for_output`]) the rule is stricter for multi-word labels
/// too, so headings such as `Key Takeaways:` are not mistaken for speakers: they count only when
/// they are a known speaker's name or recur on two or more lines.
#[derive(Debug, Clone, Default)]
pub struct SpeakerLabels {
    /// Labels (lowercased) accepted whatever their shape.
    supported: BTreeSet<String>,
    /// Whether multi-word capitalised labels need support too.
    strict_multiword: bool,
}

impl SpeakerLabels {
    /// Label rules for a raw transcript: learns the recurring labels of `text` and the names in
    /// `speakers`.
    pub fn new(text: &str, speakers: &[String]) -> Self {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for line in text.lines() {
            if let Some((label, _, _)) = label_candidate(&strip_timestamps(line)) {
                *counts.entry(label.to_lowercase()).or_default() += 1;
            }
        }
        let mut supported: BTreeSet<String> = counts
            .into_iter()
            .filter(|(_, n)| *n >= 2)
            .map(|(label, _)| label)
            .collect();
        for name in speakers {
            supported.insert(name.to_lowercase());
            for part in name.split_whitespace() {
                supported.insert(part.to_lowercase());
            }
        }
        SpeakerLabels {
            supported,
            strict_multiword: false,
        }
    }

    /// Label rules for a system output (see the type docs).
    pub fn for_output(text: &str, speakers: &[String]) -> Self {
        SpeakerLabels {
            strict_multiword: true,
            ..SpeakerLabels::new(text, speakers)
        }
    }

    /// When `line` starts with a speaker label, the label and the text after it.
    pub fn split<'a>(&self, line: &'a str) -> Option<(&'a str, &'a str)> {
        let (label, shape, rest) = label_candidate(line)?;
        let accepted = match shape {
            LabelShape::AllCaps => true,
            LabelShape::CapitalisedWords if !self.strict_multiword => true,
            LabelShape::CapitalisedWords | LabelShape::SingleWord => {
                self.supported.contains(&label.to_lowercase())
            }
        };
        accepted.then_some((label, rest))
    }
}

/// The `speakers` list from item metadata (full names); empty when absent or not strings.
pub fn metadata_speakers(metadata: &serde_json::Value) -> Vec<String> {
    metadata
        .get("speakers")
        .and_then(|v| v.as_array())
        .map(|names| {
            names
                .iter()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// True when `needle` occurs in `haystack` case-insensitively with word boundaries on both sides
/// (whitespace inside `needle` matches any run of whitespace).
pub fn contains_phrase(haystack: &str, needle: &str) -> bool {
    Phrases::new(&[needle]).found_in(haystack)
}

/// A list of phrases to look for with [`contains_phrase`]'s rules, tokenised once so that a
/// haystack is tokenised once for all of them.
#[derive(Debug, Clone)]
pub struct Phrases(Vec<Vec<String>>);

impl Phrases {
    /// The phrases `needles` (an empty one never matches).
    pub fn new(needles: &[&str]) -> Self {
        Phrases(needles.iter().map(|n| tokens(n)).collect())
    }

    /// True when one of the phrases occurs in `haystack`. The haystack's tokens are streamed
    /// through a window as long as the longest phrase, so a huge haystack costs no memory.
    pub fn found_in(&self, haystack: &str) -> bool {
        let longest = self.0.iter().map(Vec::len).max().unwrap_or(0);
        if longest == 0 {
            return false;
        }
        // The last `longest` tokens, oldest first.
        let mut window: VecDeque<String> = VecDeque::with_capacity(longest);
        let mut found = false;
        each_token(haystack, |token| {
            if found {
                return;
            }
            if window.len() == longest {
                let mut oldest = window.pop_front().unwrap_or_default();
                oldest.clear();
                oldest.push_str(token);
                window.push_back(oldest);
            } else {
                window.push_back(token.to_string());
            }
            found = self.0.iter().any(|pattern| {
                !pattern.is_empty()
                    && pattern.len() <= window.len()
                    && window
                        .iter()
                        .skip(window.len() - pattern.len())
                        .eq(pattern.iter())
            });
        });
        found
    }
}

/// True when `text` holds something a reader can see: a character that is not white space, a
/// control character or an invisible format character (zero-width space and joiners, the soft
/// hyphen, the byte-order mark, bidi controls: Unicode category Cf).
pub fn has_visible_text(text: &str) -> bool {
    text.chars()
        .any(|c| !c.is_whitespace() && !c.is_control() && !is_format_char(c))
}

/// Unicode's invisible format characters (general category Cf).
fn is_format_char(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}' | '\u{070F}' | '\u{08E2}'
        | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{110BD}'
        | '\u{110CD}' | '\u{13430}'..='\u{1343F}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0001}' | '\u{E0020}'..='\u{E007F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_found_in_brackets_and_bare_hms() {
        let t = "[00:12:34] hi (1:02) at 10:30 then 01:02:03 end 123:45:67";
        let found: Vec<&str> = timestamp_ranges(t).into_iter().map(|r| &t[r]).collect();
        assert_eq!(found, vec!["[00:12:34]", "(1:02)", "01:02:03"]);
    }

    #[test]
    fn sentences_respect_abbreviations() {
        let s = sentences("Dr. Nair said hi. It was 3.5 percent! Really? yes.\nNext line");
        assert_eq!(
            s,
            vec![
                "Dr. Nair said hi.",
                "It was 3.5 percent!",
                "Really? yes.",
                "Next line"
            ]
        );
    }

    #[test]
    fn label_shapes() {
        assert_eq!(
            label_candidate("[00:01:02] MAYA: hello").map(|(l, s, _)| (l, s)),
            Some(("MAYA", LabelShape::AllCaps))
        );
        assert_eq!(
            label_candidate("Maya Chen: hello").map(|(l, s, _)| (l, s)),
            Some(("Maya Chen", LabelShape::CapitalisedWords))
        );
        assert!(label_candidate("see https://x.org").is_none());
        assert!(label_candidate("the plan: go").is_none());
    }

    #[test]
    fn phrase_matching_uses_word_boundaries() {
        assert!(contains_phrase(
            "Thanks for   Listening!",
            "thanks for listening"
        ));
        assert!(!contains_phrase("Tomorrow", "tom"));
    }

    #[test]
    fn phrase_lists_match_like_single_phrases() {
        let phrases = Phrases::new(&["brought to you by", "", "back to it"]);
        assert!(phrases.found_in("This hour is BROUGHT to you\nby Acme."));
        assert!(phrases.found_in("and back to it"));
        assert!(phrases.found_in("brought to you, by the way"));
        assert!(!phrases.found_in("brought to us by"));
        assert!(!phrases.found_in("back to"));
        assert!(!phrases.found_in(""));
        assert!(!Phrases::new(&[""]).found_in("anything"));
        let long = "word ".repeat(100_000) + "brought to you by";
        assert!(phrases.found_in(&long));
        assert_eq!(
            tokens("Don't stop — it’s 3.5 o'clock 'quoted'"),
            ["don't", "stop", "it’s", "3", "5", "o'clock", "quoted"]
        );
    }
}
