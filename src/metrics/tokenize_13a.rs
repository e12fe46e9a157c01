//! The `13a` tokenizer of sacrebleu 2.6.0 (mteval-v13a.pl as used by WMT), reproduced exactly:
//! the same replacements in the same order, with Python regex substitution semantics
//! (left to right, non-overlapping) and Python's notion of whitespace.

use super::python_text::py_split;

/// Tokenizes one line the way sacrebleu's `Tokenizer13a` does and returns the tokens joined by
/// single spaces.
///
/// Steps: drop `<skipped>`; join `-\n` hyphenation; turn `\n` into a space; unescape
/// `&quot; &amp; &lt; &gt;` (in that order); pad ASCII punctuation other than `' , - .` with
/// spaces; split `.` and `,` off non-digits; split `-` off a preceding digit; collapse
/// whitespace.
pub fn tokenize_13a(line: &str) -> String {
    let mut line = line.replace("<skipped>", "");
    line = line.replace("-\n", "");
    line = line.replace('\n', " ");
    if line.contains('&') {
        line = line.replace("&quot;", "\"");
        line = line.replace("&amp;", "&");
        line = line.replace("&lt;", "<");
        line = line.replace("&gt;", ">");
    }
    let padded: Vec<char> = std::iter::once(' ')
        .chain(line.chars())
        .chain(std::iter::once(' '))
        .collect();
    regexp_post_tokenize(&padded)
}

/// sacrebleu's `TokenizerRegexp` applied to an already padded line (as chars).
fn regexp_post_tokenize(line: &[char]) -> String {
    // 1. `([\{-\~\[-\` -\&\(-\+\:-\@\/])` -> ` \1 `
    let mut step1 = Vec::with_capacity(line.len() * 2);
    for &c in line {
        if is_13a_symbol(c) {
            step1.extend([' ', c, ' ']);
        } else {
            step1.push(c);
        }
    }
    // 2. `([^0-9])([\.,])` -> `\1 \2 `
    let step2 = substitute_pairs(
        &step1,
        |a, b| !is_ascii_digit(a) && is_period_or_comma(b),
        |a, b, out| out.extend([a, ' ', b, ' ']),
    );
    // 3. `([\.,])([^0-9])` -> ` \1 \2`
    let step3 = substitute_pairs(
        &step2,
        |a, b| is_period_or_comma(a) && !is_ascii_digit(b),
        |a, b, out| out.extend([' ', a, ' ', b]),
    );
    // 4. `([0-9])(-)` -> `\1 \2 `
    let step4 = substitute_pairs(
        &step3,
        |a, b| is_ascii_digit(a) && b == '-',
        |a, b, out| out.extend([a, ' ', b, ' ']),
    );
    let text: String = step4.into_iter().collect();
    let mut out = String::with_capacity(text.len());
    for (i, token) in py_split(&text).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(token);
    }
    out
}

/// Emulates `re.sub` for a pattern of two single-character classes: scans left to right and,
/// where the pair at the cursor matches, writes the replacement and skips both characters.
fn substitute_pairs(
    text: &[char],
    matches: impl Fn(char, char) -> bool,
    replace: impl Fn(char, char, &mut Vec<char>),
) -> Vec<char> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 2);
    let mut i = 0;
    while i < text.len() {
        if i + 1 < text.len() && matches(text[i], text[i + 1]) {
            replace(text[i], text[i + 1], &mut out);
            i += 2;
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    out
}

/// The character class `[\{-\~\[-\` -\&\(-\+\:-\@\/]`: ASCII space and punctuation except
/// `'`, `,`, `-` and `.`.
fn is_13a_symbol(c: char) -> bool {
    matches!(c, '{'..='~' | '['..='`' | ' '..='&' | '('..='+' | ':'..='@' | '/')
}

fn is_ascii_digit(c: char) -> bool {
    c.is_ascii_digit()
}

fn is_period_or_comma(c: char) -> bool {
    c == '.' || c == ','
}

#[cfg(test)]
mod tests {
    use super::tokenize_13a;

    #[test]
    fn splits_punctuation_but_keeps_numbers_together() {
        assert_eq!(tokenize_13a("Hello, world!"), "Hello , world !");
        assert_eq!(
            tokenize_13a("It costs 3.14 or 1,000."),
            "It costs 3.14 or 1,000 ."
        );
        assert_eq!(tokenize_13a("a.b a,b 5, .5"), "a . b a , b 5 , . 5");
        assert_eq!(tokenize_13a("pre-war 1990-2000"), "pre-war 1990 - 2000");
        assert_eq!(tokenize_13a("don't"), "don't");
    }

    #[test]
    fn unescapes_entities_joins_hyphenation_and_drops_skipped() {
        assert_eq!(
            tokenize_13a("a &quot;b&quot; &amp; &lt;c&gt;"),
            "a \" b \" & < c >"
        );
        assert_eq!(tokenize_13a("&amp;quot;"), "& quot ;");
        assert_eq!(tokenize_13a("recog-\nnition\nnext"), "recognition next");
        assert_eq!(tokenize_13a("<skipped> x"), "x");
    }

    #[test]
    fn symbols_are_padded_and_unicode_is_left_alone() {
        assert_eq!(
            tokenize_13a("a{b}c~d|e^f`g\\h"),
            "a { b } c ~ d | e ^ f ` g \\ h"
        );
        assert_eq!(tokenize_13a("«quoted» café"), "«quoted» café");
        assert_eq!(tokenize_13a("10\u{a0}km\u{2009}x"), "10 km x");
        assert_eq!(tokenize_13a(""), "");
        assert_eq!(tokenize_13a("   "), "");
    }

    #[test]
    fn regex_substitutions_do_not_overlap() {
        // `([^0-9])([\.,])` consumes "a." so the following "," is handled by the next rule.
        assert_eq!(tokenize_13a("a.,b"), "a . , b");
        assert_eq!(tokenize_13a("..."), ". . .");
        assert_eq!(tokenize_13a("1.,2"), "1 . , 2");
    }
}
