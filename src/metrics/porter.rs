//! The Porter stemmer exactly as NLTK's `PorterStemmer()` in its default `NLTK_EXTENSIONS` mode
//! (the stemmer rouge-score uses with `use_stemmer=True`).
//!
//! It works on bytes and is meant for the lowercase ASCII tokens (`[a-z0-9]+`) that the ROUGE
//! tokenizer produces; ASCII capitals are lowercased first, as NLTK does. Conformance with NLTK
//! is checked word by word in `tests/conformance_rouge.rs`.

/// Stems one word (NLTK `PorterStemmer().stem(word)`, default mode).
pub fn stem(word: &str) -> String {
    let mut buf = Vec::with_capacity(word.len() + 2);
    stem_into(word.as_bytes(), &mut buf);
    // Only ASCII bytes are ever added or removed at ASCII boundaries, so UTF-8 stays valid for
    // ASCII input; anything else is converted lossily rather than panicking.
    match String::from_utf8(buf) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Stems `word` into `out` (cleared first), without other allocations.
pub fn stem_into(word: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend(word.iter().map(u8::to_ascii_lowercase));
    if let Some(irregular) = irregular_form(out) {
        out.clear();
        out.extend_from_slice(irregular.as_bytes());
        return;
    }
    if word.len() <= 2 {
        return;
    }
    step1a(out);
    step1b(out);
    step1c(out);
    step2(out);
    step3(out);
    step4(out);
    step5a(out);
    step5b(out);
}

/// NLTK's table of irregular forms (checked before any rule).
fn irregular_form(word: &[u8]) -> Option<&'static str> {
    Some(match word {
        b"sky" | b"skies" => "sky",
        b"dying" => "die",
        b"lying" => "lie",
        b"tying" => "tie",
        b"news" => "news",
        b"innings" | b"inning" => "inning",
        b"outings" | b"outing" => "outing",
        b"cannings" | b"canning" => "canning",
        b"howe" => "howe",
        b"proceed" => "proceed",
        b"exceed" => "exceed",
        b"succeed" => "succeed",
        _ => return None,
    })
}

fn is_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// Porter's consonant test: not a vowel, and `y` only when not preceded by a consonant.
fn is_consonant(word: &[u8], i: usize) -> bool {
    if is_vowel(word[i]) {
        return false;
    }
    if word[i] != b'y' {
        return true;
    }
    let mut i = i;
    let mut negate = false;
    while i > 0 && word[i] == b'y' {
        negate = !negate;
        i -= 1;
    }
    is_vowel(word[i]) == negate
}

/// Porter's measure `m` of a stem: the number of vowel→consonant transitions.
fn measure(stem: &[u8]) -> usize {
    let mut count = 0;
    let mut prev_consonant = true; // no "vc" can start before the first letter
    for (i, &b) in stem.iter().enumerate() {
        let consonant = if is_vowel(b) {
            false
        } else if b == b'y' {
            i == 0 || !prev_consonant
        } else {
            true
        };
        if consonant && i > 0 && !prev_consonant {
            count += 1;
        }
        prev_consonant = consonant;
    }
    count
}

fn contains_vowel(stem: &[u8]) -> bool {
    (0..stem.len()).any(|i| !is_consonant(stem, i))
}

/// Condition `*d`: ends with a double consonant.
fn ends_double_consonant(word: &[u8]) -> bool {
    let n = word.len();
    n >= 2 && word[n - 1] == word[n - 2] && is_consonant(word, n - 1)
}

/// Condition `*o`: ends consonant-vowel-consonant, the last not w/x/y (plus NLTK's two-letter
/// vowel-consonant case).
fn ends_cvc(word: &[u8]) -> bool {
    let n = word.len();
    (n >= 3
        && is_consonant(word, n - 3)
        && !is_consonant(word, n - 2)
        && is_consonant(word, n - 1)
        && !matches!(word[n - 1], b'w' | b'x' | b'y'))
        || (n == 2 && !is_consonant(word, 0) && is_consonant(word, 1))
}

/// The conditions used by the rule tables.
#[derive(Clone, Copy)]
enum Cond {
    Always,
    /// m(stem) > 0
    PositiveMeasure,
    /// m(stem) > 1
    MeasureAbove1,
    /// m(stem) > 1 and stem ends in s or t (step 4 `ion`).
    MeasureAbove1AndST,
    /// m(word without its last three letters) > 0 (NLTK's `logi` rule).
    LogiStem,
}

fn holds(cond: Cond, word: &[u8], stem: &[u8]) -> bool {
    match cond {
        Cond::Always => true,
        Cond::PositiveMeasure => measure(stem) > 0,
        Cond::MeasureAbove1 => measure(stem) > 1,
        Cond::MeasureAbove1AndST => {
            measure(stem) > 1 && matches!(stem.last(), Some(b's') | Some(b't'))
        }
        Cond::LogiStem => measure(&word[..word.len() - 3]) > 0,
    }
}

/// NLTK `_apply_rule_list`: the first rule whose suffix matches decides; when its condition
/// fails the word is left unchanged.
fn apply_rules(word: &mut Vec<u8>, rules: &[(&[u8], &[u8], Cond)]) {
    for &(suffix, replacement, cond) in rules {
        if word.ends_with(suffix) {
            let stem_len = word.len() - suffix.len();
            if holds(cond, word, &word[..stem_len]) {
                word.truncate(stem_len);
                word.extend_from_slice(replacement);
            }
            return;
        }
    }
}

fn step1a(word: &mut Vec<u8>) {
    if word.ends_with(b"ies") && word.len() == 4 {
        word.truncate(3);
        return;
    }
    apply_rules(
        word,
        &[
            (b"sses", b"ss", Cond::Always),
            (b"ies", b"i", Cond::Always),
            (b"ss", b"ss", Cond::Always),
            (b"s", b"", Cond::Always),
        ],
    );
}

fn step1b(word: &mut Vec<u8>) {
    if word.ends_with(b"ied") {
        let keep = if word.len() == 4 { 2 } else { 1 };
        let n = word.len();
        word.truncate(n - 3 + keep);
        return;
    }
    if word.ends_with(b"eed") {
        let n = word.len();
        if measure(&word[..n - 3]) > 0 {
            word.truncate(n - 1);
        }
        return;
    }
    let mut succeeded = false;
    for suffix in [&b"ed"[..], &b"ing"[..]] {
        if word.ends_with(suffix) {
            let stem_len = word.len() - suffix.len();
            if contains_vowel(&word[..stem_len]) {
                word.truncate(stem_len);
                succeeded = true;
                break;
            }
        }
    }
    if !succeeded {
        return;
    }
    // `word` is now NLTK's `intermediate_stem`.
    for (suffix, replacement) in [(&b"at"[..], &b"ate"[..]), (b"bl", b"ble"), (b"iz", b"ize")] {
        if word.ends_with(suffix) {
            let n = word.len();
            word.truncate(n - suffix.len());
            word.extend_from_slice(replacement);
            return;
        }
    }
    if ends_double_consonant(word) {
        let last = word[word.len() - 1];
        if !matches!(last, b'l' | b's' | b'z') {
            word.pop();
        }
        return;
    }
    if measure(word) == 1 && ends_cvc(word) {
        word.push(b'e');
    }
}

fn step1c(word: &mut [u8]) {
    if word.ends_with(b"y") {
        let stem_len = word.len() - 1;
        if stem_len > 1 && is_consonant(word, stem_len - 1) {
            word[stem_len] = b'i';
        }
    }
}

fn step2(word: &mut Vec<u8>) {
    if word.ends_with(b"alli") && measure(&word[..word.len() - 4]) > 0 {
        let n = word.len();
        word.truncate(n - 2); // "alli" -> "al"
        step2(word);
        return;
    }
    use Cond::PositiveMeasure as P;
    apply_rules(
        word,
        &[
            (b"ational", b"ate", P),
            (b"tional", b"tion", P),
            (b"enci", b"ence", P),
            (b"anci", b"ance", P),
            (b"izer", b"ize", P),
            (b"bli", b"ble", P),
            (b"alli", b"al", P),
            (b"entli", b"ent", P),
            (b"eli", b"e", P),
            (b"ousli", b"ous", P),
            (b"ization", b"ize", P),
            (b"ation", b"ate", P),
            (b"ator", b"ate", P),
            (b"alism", b"al", P),
            (b"iveness", b"ive", P),
            (b"fulness", b"ful", P),
            (b"ousness", b"ous", P),
            (b"aliti", b"al", P),
            (b"iviti", b"ive", P),
            (b"biliti", b"ble", P),
            (b"fulli", b"ful", P),
            (b"logi", b"log", Cond::LogiStem),
        ],
    );
}

fn step3(word: &mut Vec<u8>) {
    use Cond::PositiveMeasure as P;
    apply_rules(
        word,
        &[
            (b"icate", b"ic", P),
            (b"ative", b"", P),
            (b"alize", b"al", P),
            (b"iciti", b"ic", P),
            (b"ical", b"ic", P),
            (b"ful", b"", P),
            (b"ness", b"", P),
        ],
    );
}

fn step4(word: &mut Vec<u8>) {
    use Cond::MeasureAbove1 as M;
    apply_rules(
        word,
        &[
            (b"al", b"", M),
            (b"ance", b"", M),
            (b"ence", b"", M),
            (b"er", b"", M),
            (b"ic", b"", M),
            (b"able", b"", M),
            (b"ible", b"", M),
            (b"ant", b"", M),
            (b"ement", b"", M),
            (b"ment", b"", M),
            (b"ent", b"", M),
            (b"ion", b"", Cond::MeasureAbove1AndST),
            (b"ou", b"", M),
            (b"ism", b"", M),
            (b"ate", b"", M),
            (b"iti", b"", M),
            (b"ous", b"", M),
            (b"ive", b"", M),
            (b"ize", b"", M),
        ],
    );
}

fn step5a(word: &mut Vec<u8>) {
    if word.ends_with(b"e") {
        let stem = &word[..word.len() - 1];
        let m = measure(stem);
        if m > 1 || (m == 1 && !ends_cvc(stem)) {
            word.pop();
        }
    }
}

fn step5b(word: &mut Vec<u8>) {
    if word.ends_with(b"ll") && measure(&word[..word.len() - 1]) > 1 {
        word.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_and_nltk_examples() {
        for (word, expected) in [
            ("caresses", "caress"),
            ("ponies", "poni"),
            ("ties", "tie"),
            ("cats", "cat"),
            ("agreed", "agre"),
            ("plastered", "plaster"),
            ("motoring", "motor"),
            ("hopping", "hop"),
            ("falling", "fall"),
            ("filing", "file"),
            ("happy", "happi"),
            ("sky", "sky"),
            ("skies", "sky"),
            ("dying", "die"),
            ("relational", "relat"),
            ("generously", "gener"),
            ("generalization", "gener"),
            ("controlling", "control"),
            ("spied", "spi"),
            ("died", "die"),
            ("enjoy", "enjoy"),
            ("by", "by"),
        ] {
            assert_eq!(stem(word), expected, "stem({word})");
        }
    }

    #[test]
    fn measure_matches_the_paper() {
        for (w, m) in [
            ("tr", 0),
            ("ee", 0),
            ("tree", 0),
            ("y", 0),
            ("by", 0),
            ("trouble", 1),
            ("oats", 1),
            ("trees", 1),
            ("ivy", 1),
            ("troubles", 2),
            ("private", 2),
            ("oaten", 2),
            ("orrery", 2),
        ] {
            assert_eq!(measure(w.as_bytes()), m, "measure({w})");
        }
    }

    #[test]
    fn runs_of_y_do_not_misbehave() {
        let long = "y".repeat(10_000);
        let stemmed = stem(&long);
        assert!(stemmed.len() <= long.len());
        assert_eq!(stem("yyyy"), "yyyi");
    }
}
