//! Text from outside evalgate: what child processes print (command systems, external metrics),
//! HTTP response bodies and transport errors (OpenAI-compatible servers, the GitHub API), URLs,
//! and ids read from files other programs wrote.
//!
//! Such text passes through [`admit`] once, where it enters, before it is kept in a message that
//! ends up in results.json, junit.xml, the console or the PR comment. `admit`:
//!
//! 1. **removes secrets** ([`Secrets`]): the values evalgate knows are secret (the API key it
//!    sends, values of secret-looking environment variables its children see, see
//!    [`is_secret_name`]; the GitHub token), credentials in URLs (`user:password@`), and tokens
//!    shaped like well-known keys (`sk-…`, `ghp_…`, `Bearer …`); each becomes [`REDACTED`].
//!    A secret cut in half where text was shortened (`…`) is redacted too;
//! 2. **bounds** the text per line and in total ([`Bound`]); longer text is cut and ends in `…`;
//! 3. **makes it inert** ([`inert`]): terminal escape sequences and control characters are
//!    removed, line breaks become `\n`, characters XML cannot hold become `U+FFFD`, and GitHub
//!    Actions workflow commands (`::name::` at the start of a line, `##[name]` anywhere) are
//!    broken with an invisible word joiner, so a runner printing the text does not execute them.
//!
//! Readers of child processes' pipes must not buffer unbounded lines either: see
//! `crate::process::read_lines`, which reads in bounded chunks.
//!
//! [`inert`] alone is applied again where text is written into XML ([`xml_text`]); it is
//! idempotent and leaves evalgate's own messages unchanged.

use std::borrow::Cow;
use std::fmt;

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Values shorter than this are not treated as secrets: replacing `1` or `true` everywhere would
/// garble every message, and so short a value protects nothing.
pub const MIN_SECRET_CHARS: usize = 6;

/// The shortest beginning of a secret that is redacted where text was cut right after it.
const MIN_PARTIAL_CHARS: usize = 4;

/// Words that make an environment variable name secret-looking (case-insensitive, anywhere in
/// the name): `OPENAI_API_KEY`, `HF_TOKEN`, `DB_PASSWORD`, `GITHUB_TOKEN`, `AWS_CREDS`, ...
pub const SECRET_NAME_WORDS: &[&str] = &[
    "KEY",
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "CREDENTIAL",
    "CREDS",
    "AUTH",
    "COOKIE",
];

/// True when an environment variable name looks like it holds a secret (see
/// [`SECRET_NAME_WORDS`]). The one definition used for fingerprints (value hidden) and for
/// redaction (value removed from outside text).
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_NAME_WORDS.iter().any(|word| upper.contains(word))
}

/// True for a valid environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_env_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Why `text` cannot be the NAME of an environment variable holding a key, or `None` when it
/// can. The reason never quotes `text`, which may be a pasted key.
pub fn env_name_problem(text: &str) -> Option<&'static str> {
    if text.is_empty() {
        Some("is empty")
    } else if looks_like_key(text) {
        Some("looks like a key, not the name of an environment variable")
    } else if !is_env_name(text) {
        Some(
            "is not a variable name (letters, digits and `_`, not starting with a digit), so it \
             is not the name of an environment variable",
        )
    } else {
        None
    }
}

/// Well-known key prefixes and the shortest length (in characters, prefix included) of a token
/// that is taken for such a key. Case-sensitive.
const KEY_PREFIXES: &[(&str, usize)] = &[
    ("sk-", 20),      // OpenAI (sk-…, sk-proj-…), Anthropic (sk-ant-…), DeepSeek, ...
    ("sk_live_", 20), // Stripe
    ("sk_test_", 20),
    ("rk_live_", 20),
    ("ghp_", 30), // GitHub personal, OAuth, user, server and refresh tokens
    ("gho_", 30),
    ("ghu_", 30),
    ("ghs_", 30),
    ("ghr_", 30),
    ("github_pat_", 30),
    ("glpat-", 20), // GitLab
    ("xoxb-", 15),  // Slack
    ("xoxp-", 15),
    ("xoxa-", 15),
    ("xoxr-", 15),
    ("xoxs-", 15),
    ("xapp-", 15),
    ("AIza", 30), // Google API keys
    ("hf_", 24),  // Hugging Face
    ("AKIA", 20), // AWS access key ids
    ("ASIA", 20),
    ("npm_", 30),
    ("pypi-", 30),
    ("r8_", 24),  // Replicate
    ("gsk_", 30), // Groq
];

/// Characters of a key-shaped token.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// A token with a well-known key prefix, long enough, with letters and digits after the prefix.
fn has_key_prefix(token: &str) -> bool {
    KEY_PREFIXES.iter().any(|(prefix, min_len)| {
        token.len() >= *min_len
            && token.strip_prefix(prefix).is_some_and(|rest| {
                rest.chars().all(is_token_char)
                    && rest.chars().any(|c| c.is_ascii_digit())
                    && rest.chars().any(|c| c.is_ascii_alphabetic())
            })
    })
}

/// A long random-looking run of letters and digits (between `_`, `-` or `.`): 20 characters or
/// more with letters and digits, mixing upper and lower case, or a quarter of them digits, or
/// nearly all of them different.
fn has_high_entropy_run(text: &str) -> bool {
    text.split(['_', '-', '.']).any(|run| {
        let len = run.chars().count();
        if len < 20 || !run.chars().all(|c| c.is_ascii_alphanumeric()) {
            return false;
        }
        let digits = run.chars().filter(char::is_ascii_digit).count();
        let lower = run.chars().any(|c| c.is_ascii_lowercase());
        let upper = run.chars().any(|c| c.is_ascii_uppercase());
        if digits == 0 || digits == len {
            return false;
        }
        (lower && upper) || digits * 4 >= len || shannon_bits(run) >= 4.0
    })
}

/// Shannon entropy of the characters of `text`, in bits per character.
fn shannon_bits(text: &str) -> f64 {
    let mut counts = std::collections::BTreeMap::new();
    let mut total = 0usize;
    for c in text.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        total += 1;
    }
    counts
        .values()
        .map(|&n| {
            let p = n as f64 / total as f64;
            -p * p.log2()
        })
        .sum()
}

/// True when `text` looks like a credential rather than a name: an `Authorization` value
/// (`Bearer …`, `Basic …`, `token …`), a well-known key shape (`sk-…`, `sk-proj-…`,
/// `sk-ant-…`, `ghp_…`, `github_pat_…`, `xoxb-…`, `AIza…`, `hf_…`, `AKIA…`, ...), a JSON Web
/// Token, or a long high-entropy token.
pub fn looks_like_key(text: &str) -> bool {
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    if ["bearer ", "basic ", "token "]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
    {
        return true;
    }
    if text.starts_with("eyJ") && text.matches('.').count() == 2 && text.len() >= 30 {
        return true;
    }
    // A pasted key may be cut short; the random part still has digits (a name rarely does).
    let relaxed = KEY_PREFIXES.iter().any(|(prefix, _)| {
        text.strip_prefix(prefix).is_some_and(|rest| {
            rest.len() >= 8
                && rest.chars().all(is_token_char)
                && rest.chars().any(|c| c.is_ascii_digit())
        })
    });
    relaxed || has_key_prefix(text) || has_high_entropy_run(text)
}

/// The secret values evalgate knows of where a piece of outside text enters: the API key it
/// sent, the values of secret-looking environment variables its children see, a token. Its
/// `Debug` output never shows them.
#[derive(Clone, Default)]
pub struct Secrets {
    /// Every form a secret can take in text (as is, JSON-escaped, percent-encoded), longest
    /// first.
    forms: Vec<String>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets({} forms)", self.forms.len())
    }
}

impl Secrets {
    /// No known secrets (key shapes and URL credentials are still redacted).
    pub fn none() -> Self {
        Secrets::default()
    }

    /// The values of the secret-looking variables ([`is_secret_name`]) in evalgate's own
    /// environment, which every child process inherits (`GITHUB_TOKEN`, `OPENAI_API_KEY`, ...),
    /// and of the variables the suite names as holding a key ([`declare_secret_env`]), whatever
    /// their names.
    pub fn from_env() -> Self {
        let declared = declared_secret_envs();
        let mut secrets = Secrets::none();
        for (name, value) in std::env::vars_os() {
            if let (Some(name), Some(value)) = (name.to_str(), value.to_str())
                && (is_secret_name(name) || declared.contains(name))
            {
                secrets.add(value);
            }
        }
        secrets
    }

    /// Adds one secret value (ignored when shorter than [`MIN_SECRET_CHARS`]).
    pub fn with(mut self, value: &str) -> Self {
        self.add(value);
        self
    }

    /// Adds the values of the secret-looking names of an environment table (a command system's
    /// or an external metric's `env`).
    pub fn with_env<'a>(mut self, env: impl IntoIterator<Item = (&'a String, &'a String)>) -> Self {
        for (name, value) in env {
            if is_secret_name(name) {
                self.add(value);
            }
        }
        self
    }

    /// Adds the user and password of every URL in `text` (`https://user:password@host/`), and
    /// the HTTP Basic credential an HTTP client makes of them (`base64(user:password)`).
    pub fn with_url_credentials(mut self, text: &str) -> Self {
        use base64::Engine as _;
        for (start, end) in url_userinfo_spans(text) {
            let userinfo = &text[start..end];
            for part in userinfo.split(':') {
                self.add(part);
            }
            let decoded = percent_decode(userinfo);
            self.add(&base64::engine::general_purpose::STANDARD.encode(decoded.as_bytes()));
        }
        self
    }

    /// True when no secret value is known.
    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    fn add(&mut self, value: &str) {
        let value = value.trim();
        if value.chars().count() < MIN_SECRET_CHARS {
            return;
        }
        let mut forms = vec![value.to_string()];
        if let Ok(json) = serde_json::to_string(value) {
            forms.push(json[1..json.len() - 1].to_string());
        }
        if value.contains('/') {
            forms.push(value.replace('/', "\\/"));
        }
        forms.push(percent_encode(value));
        for form in forms {
            if !self.forms.contains(&form) {
                self.forms.push(form);
            }
        }
        self.forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    }

    /// Length in bytes of the longest form of a secret.
    fn longest(&self) -> usize {
        self.forms.first().map_or(0, String::len)
    }

    /// Replaces every known secret, credentials in URLs and key-shaped tokens with
    /// [`REDACTED`], and the beginning of a known secret cut off by a `…`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = Cow::Borrowed(text);
        for form in &self.forms {
            if out.contains(form.as_str()) {
                out = Cow::Owned(out.replace(form.as_str(), REDACTED));
            }
        }
        let out = redact_url_credentials(&out).into_owned();
        let out = redact_query_secrets(&out).into_owned();
        let out = redact_key_shapes(&out);
        self.redact_cut(&out)
    }

    /// Redacts the beginning (at least [`MIN_PARTIAL_CHARS`] characters) of a known secret right
    /// before a `…`, where text was cut in the middle of it.
    fn redact_cut(&self, text: &str) -> String {
        if self.forms.is_empty() || !text.contains('…') {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = rest.find('…') {
            let before = &rest[..at];
            match self.cut_secret_len(before) {
                Some(len) => {
                    out.push_str(&before[..before.len() - len]);
                    out.push_str(REDACTED);
                }
                None => out.push_str(before),
            }
            out.push('…');
            rest = &rest[at + '…'.len_utf8()..];
        }
        out.push_str(rest);
        out
    }

    /// The byte length of the longest proper beginning of a secret that `text` ends with.
    fn cut_secret_len(&self, text: &str) -> Option<usize> {
        self.forms
            .iter()
            .flat_map(|form| {
                form.char_indices()
                    .skip(MIN_PARTIAL_CHARS)
                    .map(move |(end, _)| &form[..end])
            })
            .filter(|prefix| text.ends_with(prefix))
            .map(str::len)
            .max()
    }
}

/// Environment variable names the suite declares as holding a secret (an openai system's
/// `api_key_env`), whatever they are called.
static DECLARED_SECRET_ENVS: std::sync::RwLock<std::collections::BTreeSet<String>> =
    std::sync::RwLock::new(std::collections::BTreeSet::new());

/// Declares that the environment variable `name` holds a secret: its value is redacted from
/// outside text like the values of secret-looking names ([`Secrets::from_env`]).
pub fn declare_secret_env(name: &str) {
    DECLARED_SECRET_ENVS
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .insert(name.to_string());
}

fn declared_secret_envs() -> std::collections::BTreeSet<String> {
    DECLARED_SECRET_ENVS
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
}

/// A configuration value (a system's fingerprint) without the secrets it may hold: credentials
/// and secret-named query parameters of URLs and key-shaped tokens in every string, and the
/// string value of every key with a secret-looking name (`"<secret>"`). What changes when a
/// password changes is not the system's output, so nothing is lost for comparing or caching.
pub fn scrub_config(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => {
            let s = redact_url_credentials(s);
            let s = redact_query_secrets(&s);
            Value::String(redact_key_shapes(&s))
        }
        Value::Array(items) => Value::Array(items.iter().map(scrub_config).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(_) if is_secret_name(k) => Value::String("<secret>".into()),
                        other => scrub_config(other),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// URL query parameters whose names look secret (`token`, `api_key`, `sig`, `password`, ...)
/// with their values replaced by [`REDACTED`]: `?token=abc&page=2` → `?token=[redacted]&page=2`.
pub fn redact_query_secrets(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut last = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if matches!(bytes[i], b'?' | b'&') {
            let name_start = i + 1;
            let name_end = text[name_start..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .map_or(text.len(), |e| name_start + e);
            if name_end < text.len() && bytes[name_end] == b'=' && name_end > name_start {
                let name = &text[name_start..name_end];
                let upper = name.to_ascii_uppercase();
                let secret = is_secret_name(name)
                    || ["SIG", "SIGNATURE", "PASS", "PWD", "APIKEY"]
                        .iter()
                        .any(|w| upper == *w || upper.ends_with(w));
                let value_start = name_end + 1;
                let value_end = text[value_start..]
                    .find(|c: char| {
                        c.is_whitespace() || matches!(c, '&' | '#' | '"' | '\'' | '`' | '<' | '>')
                    })
                    .map_or(text.len(), |e| value_start + e);
                if secret && value_end > value_start && &text[value_start..value_end] != REDACTED {
                    out.push_str(&text[last..value_start]);
                    out.push_str(REDACTED);
                    last = value_end;
                    i = value_end;
                    continue;
                }
            }
        }
        i += 1;
    }
    if last == 0 {
        Cow::Borrowed(text)
    } else {
        out.push_str(&text[last..]);
        Cow::Owned(out)
    }
}

/// `%XX` sequences decoded (invalid ones kept as they are).
fn percent_decode(text: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((high * 16 + low) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes everything but unreserved URL characters.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Byte spans of the `user:password` parts of URLs (`scheme://user:password@host`) in `text`.
fn url_userinfo_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find("://") {
        let start = from + found + 3;
        let authority_end = text[start..]
            .find(|c: char| {
                c.is_whitespace()
                    || matches!(
                        c,
                        '/' | '?' | '#' | '`' | '"' | '\'' | '<' | '>' | '(' | ')'
                    )
            })
            .map_or(text.len(), |i| start + i);
        if let Some(at) = text[start..authority_end].rfind('@')
            && at > 0
        {
            spans.push((start, start + at));
        }
        from = start;
    }
    spans
}

/// `scheme://user:password@host/...?token=...` with the credentials and the values of
/// secret-named query parameters ([`redact_query_secrets`]) replaced by [`REDACTED`], for every
/// URL in `text`.
pub fn redact_url_credentials(text: &str) -> Cow<'_, str> {
    match userinfo_redacted(text) {
        Cow::Borrowed(text) => redact_query_secrets(text),
        Cow::Owned(text) => Cow::Owned(redact_query_secrets(&text).into_owned()),
    }
}

fn userinfo_redacted(text: &str) -> Cow<'_, str> {
    let spans = url_userinfo_spans(text);
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (start, end) in spans {
        out.push_str(&text[last..start]);
        out.push_str(REDACTED);
        last = end;
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

/// Redacts tokens shaped like well-known keys, and the credential after `Bearer ` or `Basic `.
fn redact_key_shapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        // The next run of token characters.
        let start = rest.find(is_token_char).unwrap_or(rest.len());
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find(|c| !is_token_char(c)).unwrap_or(rest.len());
        let token = &rest[..end];
        let scheme = token.eq_ignore_ascii_case("bearer") || token.eq_ignore_ascii_case("basic");
        if has_key_prefix(token) {
            out.push_str(REDACTED);
        } else {
            out.push_str(token);
        }
        rest = &rest[end..];
        if scheme && let Some(after) = rest.strip_prefix(' ') {
            let len = after
                .find(|c: char| !(is_token_char(c) || matches!(c, '.' | '~' | '+' | '/' | '=')))
                .unwrap_or(after.len());
            let credential = &after[..len];
            let digits = credential.chars().any(|c| c.is_ascii_digit());
            if (len >= 8 && digits) || len >= 24 {
                out.push(' ');
                out.push_str(REDACTED);
                rest = &after[len..];
            }
        }
    }
    out
}

/// How much of a piece of outside text is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    /// Longest line kept, in characters; a longer line is cut and ends with `…`.
    pub line_chars: usize,
    /// Most characters kept in all (line breaks included); the rest is cut, marked by `…`.
    pub total_chars: usize,
    /// Line breaks shown as `⏎`, so the text stays on one line (for quoting inside a message).
    pub one_line: bool,
}

impl Bound {
    /// One line a child wrote on stderr.
    pub const STDERR_LINE: Bound = Bound::one_line(400);
    /// A quoted piece of a program's output or of a response body.
    pub const SNIPPET: Bound = Bound::one_line(200);
    /// A multi-line description of a failure (an HTTP error with its body, a transport error).
    pub const MESSAGE: Bound = Bound {
        line_chars: 1000,
        total_chars: 2000,
        one_line: false,
    };

    /// At most `chars` characters on one line.
    pub const fn one_line(chars: usize) -> Bound {
        Bound {
            line_chars: chars,
            total_chars: chars,
            one_line: true,
        }
    }
}

/// The one step every piece of outside text takes before evalgate stores or prints it: secrets
/// redacted, bounded, made inert (see the module documentation). Trailing whitespace is dropped.
pub fn admit(raw: &str, secrets: &Secrets, bound: Bound) -> String {
    // Bound the work first: nothing past this can be kept, except the rest of a secret that
    // must be recognised to be redacted.
    let budget = bound
        .total_chars
        .saturating_mul(4)
        .saturating_add(secrets.longest())
        .saturating_add(64);
    let (raw, precut) = if raw.len() > budget {
        (&raw[..floor_char_boundary(raw, budget)], true)
    } else {
        (raw, false)
    };
    // Controls go before redaction, so a secret split by one is still seen whole.
    let mut plain = plain(raw).trim_end().to_string();
    if precut {
        plain.push('…');
    }
    let redacted = secrets.redact(&plain);
    let bounded = cut(&redacted, bound);
    let bounded = secrets.redact_cut(&bounded);
    neutralize(&bounded).into_owned()
}

/// [`admit`] for bytes that may not be UTF-8 (invalid sequences become `U+FFFD`).
pub fn admit_bytes(raw: &[u8], secrets: &Secrets, bound: Bound) -> String {
    admit(&String::from_utf8_lossy(raw), secrets, bound)
}

/// An id or name from outside, for quoting in a message: control characters and other invisible
/// characters escaped (`a\n::b` stays one visible line), bounded, inert.
pub fn escaped(text: &str, max_chars: usize) -> String {
    let escaped: String = text
        .chars()
        .map(|c| {
            if c.is_control() || needs_replacement(c) || is_invisible_control(c) || is_break(c) {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect();
    admit(&escaped, &Secrets::none(), Bound::one_line(max_chars))
}

/// Evalgate's own text or outside text already admitted, made safe to print or write as XML:
/// terminal escape sequences and control characters removed (tabs and line breaks kept, line
/// breaks as `\n`), characters XML cannot hold replaced by `U+FFFD`, workflow commands broken.
/// Idempotent; text that needs none of this is returned as is.
pub fn inert(text: &str) -> Cow<'_, str> {
    match plain(text) {
        Cow::Borrowed(text) => neutralize(text),
        Cow::Owned(text) => Cow::Owned(neutralize(&text).into_owned()),
    }
}

/// Text for an XML document (junit.xml): [`inert`], then only characters XML 1.0 allows.
pub fn xml_text(text: &str) -> String {
    inert(text)
        .chars()
        .map(|c| if is_xml_char(c) { c } else { '\u{FFFD}' })
        .collect()
}

/// True for characters XML 1.0 documents may contain.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Unicode noncharacters (`U+FFFE`, `U+FFFF` of every plane, `U+FDD0`–`U+FDEF`): not valid in
/// XML (`U+FFFE`, `U+FFFF`) and never meaningful text.
fn needs_replacement(c: char) -> bool {
    let code = c as u32;
    (0xFDD0..=0xFDEF).contains(&code) || code & 0xFFFE == 0xFFFE
}

/// Bidirectional embedding, override and isolate controls, which reorder how text is displayed.
fn is_invisible_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}')
}

/// Line and paragraph separators some readers break lines at.
fn is_break(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}' | '\u{0085}')
}

/// Removes terminal escape sequences and control characters; line breaks become `\n` (`\r\n`,
/// a lone `\r`, `U+0085`, `U+2028`, `U+2029`); tabs stay; noncharacters become `U+FFFD`.
fn plain(text: &str) -> Cow<'_, str> {
    let needs_work = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || needs_replacement(c)
            || is_invisible_control(c)
            || is_break(c)
    };
    if !text.chars().any(needs_work) {
        return Cow::Borrowed(text);
    }
    let stripped = console::strip_ansi_codes(text);
    let mut out = String::with_capacity(stripped.len());
    let mut chars = stripped.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\n' | '\t' => out.push(c),
            c if is_break(c) => out.push('\n'),
            c if c.is_control() || is_invisible_control(c) => {}
            c if needs_replacement(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Characters a GitHub Actions runner skips before looking for `::` at the start of a line
/// (whitespace, and invisible characters some runtimes count as whitespace).
fn is_blank(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{FEFF}')
}

/// The marker that breaks a workflow command: U+2060 WORD JOINER, invisible, not whitespace.
const BREAK: char = '\u{2060}';

/// Breaks workflow commands: `::` at the start of a line (after blanks) becomes `:⁠:`, and
/// `##[` anywhere becomes `#⁠#[` (the runner's legacy syntax is matched anywhere in a line).
fn neutralize(text: &str) -> Cow<'_, str> {
    let starts_command = |line: &str| line.trim_start_matches(is_blank).starts_with("::");
    if !text.contains("##[") && !text.split('\n').any(starts_command) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let line = line.replace("##[", "#\u{2060}#[");
        if starts_command(&line) {
            let blanks = line.len() - line.trim_start_matches(is_blank).len();
            out.push_str(&line[..blanks + 1]);
            out.push(BREAK);
            out.push_str(&line[blanks + 1..]);
        } else {
            out.push_str(&line);
        }
    }
    Cow::Owned(out)
}

/// Cuts `text` to `bound`: each line to `line_chars`, all to `total_chars`, marking cuts with
/// `…`; in one-line mode line breaks become ` ⏎ `.
fn cut(text: &str, bound: Bound) -> String {
    let mut out = String::new();
    let mut total = 0usize;
    let mut lines = text.split('\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.trim_end();
        let room = bound.total_chars.saturating_sub(total);
        let limit = bound.line_chars.min(room);
        let (kept, was_cut) = take_chars(line, limit);
        out.push_str(kept);
        total += kept.chars().count();
        if was_cut {
            out.push('…');
            total += 1;
        }
        if lines.peek().is_none() {
            break;
        }
        if total >= bound.total_chars {
            if !out.ends_with('…') {
                out.push('…');
            }
            break;
        }
        if bound.one_line {
            out.push_str(" ⏎ ");
            total += 3;
        } else {
            out.push('\n');
            total += 1;
        }
    }
    out
}

/// The first `max` characters of `text`, and whether anything was left out.
fn take_chars(text: &str, max: usize) -> (&str, bool) {
    match text.char_indices().nth(max) {
        Some((end, _)) => (&text[..end], true),
        None => (text, false),
    }
}

/// The largest char boundary of `text` not above `index`.
fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut index = index.min(text.len());
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// Why an id read from a dataset cannot be used, or `None`: item ids are keys quoted in every
/// message, so they must be one line of printable text that [`inert`] leaves unchanged, at most
/// `max_chars` long.
pub fn id_problem(id: &str, max_chars: usize) -> Option<String> {
    if id.chars().any(|c| c.is_control() || is_break(c)) {
        return Some("holds a line break or another control character".into());
    }
    if id
        .chars()
        .any(|c| needs_replacement(c) || is_invisible_control(c))
    {
        return Some("holds a noncharacter or a bidirectional control character".into());
    }
    if inert(id) != id {
        return Some(
            "would be read as a GitHub Actions workflow command (`::` at its start, or `#` \
             followed by `#[`)"
                .into(),
        );
    }
    let len = id.chars().count();
    if len > max_chars {
        return Some(format!(
            "is {len} characters long; at most {max_chars} are allowed"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_passes_unchanged() {
        let own = "system `x`: item `a`: command `sh run.sh` exited with status 3; last lines \
                   of stderr:\n    Traceback (most recent call last):\n\tfile \"x.py\"";
        assert!(matches!(inert(own), Cow::Borrowed(_)));
        assert_eq!(admit(own, &Secrets::none(), Bound::MESSAGE), own);
    }

    #[test]
    fn inert_is_idempotent() {
        for text in [
            "a\n::error::x",
            "  ::warning::y\r::notice::z",
            "##[error]x ##[group]",
            "\u{1b}[31mred\u{1b}[0m \u{FFFF} \u{202E}",
        ] {
            let once = inert(text).into_owned();
            assert_eq!(inert(&once), once, "{text:?}");
        }
    }

    #[test]
    fn cut_marks_where_text_was_left_out() {
        let bound = Bound {
            line_chars: 5,
            total_chars: 12,
            one_line: false,
        };
        assert_eq!(cut("abcdefgh\nij\nklmnop\nq", bound), "abcde…\nij\nkl…");
        assert_eq!(cut("ab\ncd", Bound::one_line(20)), "ab ⏎ cd");
    }

    #[test]
    fn secret_names() {
        for name in [
            "OPENAI_API_KEY",
            "hf_token",
            "DB_PASSWORD",
            "GITHUB_TOKEN",
            "AWS_CREDS",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["MODEL", "PATH", "HOME", "LANG"] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn secrets_debug_hides_values() {
        let s = Secrets::none().with("hunter2-secret");
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
