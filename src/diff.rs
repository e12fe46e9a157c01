//! Word-level diffs of a baseline prediction against the current one, for the messages and
//! results of vs-baseline trials that fail, warn or are inconclusive.
//!
//! The format, one line (in git's `--word-diff=plain` style):
//! - texts are compared word by word (split on whitespace; whitespace itself is not compared
//!   and is shown as one space);
//! - removed words are shown as `[-removed words-]`, added words as `{+added words+}`, a
//!   replacement as `[-old-]{+new+}`;
//! - unchanged runs keep [`CONTEXT_WORDS`] words next to each change and are shortened with `…`
//!   (`… the cat sat [-on-]{+under+} the mat …`);
//! - the whole diff is cut at [`MAX_CHARS`] characters, ending with `…` when cut.
//!
//! Texts with the same words give no diff (`None`). The markers are not escaped: a text that
//! itself contains `[-` or `{+` reads ambiguously.

use similar::{Algorithm, DiffOp};

/// Unchanged words kept on each side of a change.
pub const CONTEXT_WORDS: usize = 3;

/// Longest diff, in characters (including a final `…` when cut).
pub const MAX_CHARS: usize = 300;

/// The word diff of `old` → `new` (see the [module docs](self) for the format); `None` when both
/// have the same words.
pub fn word_diff(old: &str, new: &str) -> Option<String> {
    let old_words: Vec<&str> = old.split_whitespace().collect();
    let new_words: Vec<&str> = new.split_whitespace().collect();
    if old_words == new_words {
        return None;
    }
    // Bounded in time for very long texts; a late result is coarser, never wrong.
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(200);
    let ops = similar::capture_diff_slices_deadline(
        Algorithm::Myers,
        &old_words,
        &new_words,
        Some(deadline),
    );
    let segments = segments(&ops, &old_words, &new_words);
    let last = segments.len().saturating_sub(1);
    let mut parts: Vec<String> = Vec::new();
    for (n, segment) in segments.iter().enumerate() {
        match segment {
            Segment::Same(words) => parts.push(shorten(words, n == 0, n == last)),
            Segment::Changed { removed, added } => {
                let mut part = String::new();
                if !removed.is_empty() {
                    part.push_str(&format!("[-{}-]", removed.join(" ")));
                }
                if !added.is_empty() {
                    part.push_str(&format!("{{+{}+}}", added.join(" ")));
                }
                parts.push(part);
            }
        }
    }
    Some(bound(&parts.join(" ")))
}

/// One run of a full word diff: words both texts share, or words only the old (baseline) or
/// only the new (current) text has. Words of a run are joined by one space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WordChange {
    /// Words in both texts.
    Same(String),
    /// Words only in the old text.
    Removed(String),
    /// Words only in the new text.
    Added(String),
}

/// The whole word diff of `old` → `new` as runs, for renderers that mark changes themselves
/// (the HTML dashboard): nothing shortened or cut, a replacement is a [`WordChange::Removed`]
/// then a [`WordChange::Added`]. Empty when both have the same words.
pub fn word_changes(old: &str, new: &str) -> Vec<WordChange> {
    let old_words: Vec<&str> = old.split_whitespace().collect();
    let new_words: Vec<&str> = new.split_whitespace().collect();
    if old_words == new_words {
        return Vec::new();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(200);
    let ops = similar::capture_diff_slices_deadline(
        Algorithm::Myers,
        &old_words,
        &new_words,
        Some(deadline),
    );
    let mut out = Vec::new();
    for segment in segments(&ops, &old_words, &new_words) {
        match segment {
            Segment::Same(words) => out.push(WordChange::Same(words.join(" "))),
            Segment::Changed { removed, added } => {
                if !removed.is_empty() {
                    out.push(WordChange::Removed(removed.join(" ")));
                }
                if !added.is_empty() {
                    out.push(WordChange::Added(added.join(" ")));
                }
            }
        }
    }
    out
}

/// A run of unchanged words, or removed and added words at one place.
enum Segment<'a> {
    Same(Vec<&'a str>),
    Changed {
        removed: Vec<&'a str>,
        added: Vec<&'a str>,
    },
}

/// The diff ops as alternating unchanged and changed runs (adjacent deletions and insertions
/// merged into one change).
fn segments<'a>(ops: &[DiffOp], old: &[&'a str], new: &[&'a str]) -> Vec<Segment<'a>> {
    let mut out: Vec<Segment<'a>> = Vec::new();
    for op in ops {
        let (tag, old_range, new_range) = op.as_tag_tuple();
        if tag == similar::DiffTag::Equal {
            if !old_range.is_empty() {
                out.push(Segment::Same(old[old_range].to_vec()));
            }
            continue;
        }
        let removed = &old[old_range];
        let added = &new[new_range];
        if let Some(Segment::Changed {
            removed: r,
            added: a,
        }) = out.last_mut()
        {
            r.extend_from_slice(removed);
            a.extend_from_slice(added);
        } else {
            out.push(Segment::Changed {
                removed: removed.to_vec(),
                added: added.to_vec(),
            });
        }
    }
    out
}

/// An unchanged run with only the words next to the changes: the last words at the start of the
/// text, the first at its end, both sides in the middle.
fn shorten(words: &[&str], first: bool, last: bool) -> String {
    let c = CONTEXT_WORDS;
    match (first, last) {
        (true, false) if words.len() > c => format!("… {}", words[words.len() - c..].join(" ")),
        (false, true) if words.len() > c => format!("{} …", words[..c].join(" ")),
        (false, false) if words.len() > 2 * c + 1 => format!(
            "{} … {}",
            words[..c].join(" "),
            words[words.len() - c..].join(" ")
        ),
        _ => words.join(" "),
    }
}

/// `text` cut at [`MAX_CHARS`] characters, ending with `…` when cut.
fn bound(text: &str) -> String {
    if text.chars().count() <= MAX_CHARS {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(MAX_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(old: &str, new: &str) -> String {
        word_diff(old, new).unwrap_or_else(|| "(no diff)".to_string())
    }

    #[test]
    fn changes_are_marked_word_by_word() {
        let cases = [
            ("insertion", "the cat sat", "the black cat sat"),
            ("deletion", "the black cat sat", "the cat sat"),
            (
                "replacement",
                "the cat sat on the mat",
                "the dog sat on the mat",
            ),
            ("at the start", "cats sleep a lot", "dogs sleep a lot"),
            ("at the end", "cats sleep a lot", "cats sleep a little"),
            ("everything", "alpha beta", "gamma delta"),
            (
                "long unchanged runs shortened",
                "one two three four five six seven eight nine ten eleven twelve thirteen \
                 fourteen fifteen sixteen seventeen eighteen nineteen twenty",
                "one two three four five six seven eight NINE ten eleven twelve thirteen \
                 fourteen fifteen sixteen seventeen eighteen nineteen twenty twenty-one",
            ),
            (
                "short unchanged runs between changes kept",
                "a b c d e f g",
                "a B c d e F g",
            ),
            ("empty baseline prediction", "", "a new summary"),
            ("empty current prediction", "the old summary", ""),
            ("whitespace only", "the  cat\nsat", "the cat sat"),
            ("identical", "same words", "same words"),
            (
                "unicode",
                "Der Bär isst Äpfel — 🍎 gut",
                "Der Bär isst Birnen — 🍐 gut",
            ),
            (
                "markup stays text",
                "see the <b>notes</b>",
                "see the <script>alert(1)</script> notes",
            ),
        ];
        let rendered: Vec<String> = cases
            .iter()
            .map(|(what, old, new)| format!("{what}:\n  {}", diff(old, new)))
            .collect();
        insta::assert_snapshot!(rendered.join("\n"));
    }

    #[test]
    fn a_long_diff_is_cut_at_the_bound() {
        let old: Vec<String> = (0..200).map(|n| format!("w{n}")).collect();
        let new: Vec<String> = (0..200).map(|n| format!("v{n}")).collect();
        let d = word_diff(&old.join(" "), &new.join(" ")).unwrap();
        assert_eq!(d.chars().count(), MAX_CHARS);
        assert!(d.ends_with('…'));
        insta::assert_snapshot!(d);
    }
}
