//! rouge-score's default tokenizer (`rouge_score.tokenize.tokenize`), reproduced byte for byte.
//!
//! rouge-score lowercases the whole text with Python's `str.lower()`, replaces every run of
//! characters outside `[a-z0-9]` by a space, splits on whitespace and drops empty tokens. So
//! every non-ASCII character is a separator, except the only two whose Python lowercase
//! contains ASCII letters: KELVIN SIGN `K` (U+212A) lowercases to `k` and stays inside the
//! token, and `İ` (U+0130) lowercases to `i` + U+0307, so it gives an `i` that ends the token.
//! (Checked against every code point with Python 3.11's Unicode 14 tables.)

/// Walks the tokens of a text, reporting for each token the line it is on (lines are split on
/// `\n` only, like rouge-score's `rougeLsum` sentence split).
pub struct Tokens<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
    token: Vec<u8>,
}

impl<'a> Tokens<'a> {
    /// Starts at the beginning of `text`.
    pub fn new(text: &'a str) -> Self {
        Tokens {
            bytes: text.as_bytes(),
            pos: 0,
            line: 0,
            token: Vec::with_capacity(32),
        }
    }

    /// The next token (lowercase ASCII `[a-z0-9]+`) and its 0-based line number.
    pub fn next_token(&mut self) -> Option<(&[u8], usize)> {
        self.token.clear();
        let bytes = self.bytes;
        let mut line = self.line;
        while self.pos < bytes.len() {
            let b = bytes[self.pos];
            match b {
                b'a'..=b'z' | b'0'..=b'9' => {
                    if self.token.is_empty() {
                        line = self.line;
                    }
                    self.token.push(b);
                    self.pos += 1;
                }
                b'A'..=b'Z' => {
                    if self.token.is_empty() {
                        line = self.line;
                    }
                    self.token.push(b.to_ascii_lowercase());
                    self.pos += 1;
                }
                // KELVIN SIGN (U+212A) lowercases to ASCII `k`.
                0xE2 if bytes[self.pos..].starts_with(&[0xE2, 0x84, 0xAA]) => {
                    if self.token.is_empty() {
                        line = self.line;
                    }
                    self.token.push(b'k');
                    self.pos += 3;
                }
                // LATIN CAPITAL LETTER I WITH DOT ABOVE lowercases to `i` + U+0307 (a
                // separator): the token ends after the `i`.
                0xC4 if bytes.get(self.pos + 1) == Some(&0xB0) => {
                    if self.token.is_empty() {
                        line = self.line;
                    }
                    self.token.push(b'i');
                    self.pos += 2;
                    return Some((&self.token, line));
                }
                _ => {
                    self.pos += 1;
                    if b == b'\n' {
                        self.line += 1;
                    }
                    if !self.token.is_empty() {
                        return Some((&self.token, line));
                    }
                }
            }
        }
        if self.token.is_empty() {
            None
        } else {
            Some((&self.token, line))
        }
    }
}

/// Tokenizes `text` like `rouge_score.tokenize.tokenize(text, stemmer)`: lowercase ASCII
/// alphanumeric tokens, Porter-stemmed (NLTK) when `stemmer` is set and the token is longer
/// than 3 characters.
pub fn tokenize(text: &str, stemmer: bool) -> Vec<String> {
    let mut tokens = Tokens::new(text);
    let mut out = Vec::new();
    while let Some((token, _)) = tokens.next_token() {
        // Tokens are ASCII by construction.
        let token = String::from_utf8_lossy(token).into_owned();
        if stemmer && token.len() > 3 {
            let stemmed = super::porter::stem(&token);
            if !stemmed.is_empty() {
                out.push(stemmed);
            }
        } else {
            out.push(token);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<String> {
        tokenize(text, false)
    }

    #[test]
    fn rouge_score_tokenize_test_cases() {
        assert_eq!(toks("one Two three"), ["one", "two", "three"]);
        assert_eq!(toks("one\n Two \nthree"), ["one", "two", "three"]);
    }

    #[test]
    fn punctuation_and_non_ascii_are_separators() {
        assert_eq!(toks("Hello, world!"), ["hello", "world"]);
        assert_eq!(toks("don't"), ["don", "t"]);
        assert_eq!(toks("café naïve"), ["caf", "na", "ve"]);
        assert_eq!(toks("straße"), ["stra", "e"]);
        assert_eq!(toks("東京 2024年"), ["2024"]);
        assert_eq!(toks("a\u{a0}b\tc\r\nd"), ["a", "b", "c", "d"]);
        assert!(toks("").is_empty());
        assert!(toks(" \n\t ...!?").is_empty());
    }

    #[test]
    fn kelvin_sign_and_dotted_capital_i_follow_python_lower() {
        // U+212A KELVIN SIGN -> "k", inside the token.
        assert_eq!(toks("5\u{212A}m \u{212A}ELVIN"), ["5km", "kelvin"]);
        // U+0130 -> "i" + combining dot (a separator).
        assert_eq!(toks("\u{130}STANBUL"), ["i", "stanbul"]);
        assert_eq!(toks("D\u{130}YARBAKIR"), ["di", "yarbakir"]);
    }

    #[test]
    fn line_numbers_follow_newlines_only() {
        let mut t = Tokens::new("a b\r\nc\n\n d\re");
        let mut seen = Vec::new();
        while let Some((tok, line)) = t.next_token() {
            seen.push((String::from_utf8(tok.to_vec()).unwrap(), line));
        }
        let expected = [("a", 0), ("b", 0), ("c", 1), ("d", 3), ("e", 3)];
        let expected: Vec<(String, usize)> =
            expected.iter().map(|(s, l)| (s.to_string(), *l)).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn stemming_only_above_three_characters() {
        assert_eq!(
            tokenize("Was cats running skies dies", true),
            ["was", "cat", "run", "sky", "die"]
        );
    }
}
