//! Byte offsets in the suite text to 1-based line numbers, for messages.

/// Maps byte offsets to 1-based line numbers.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    pub(crate) fn line(&self, offset: usize) -> u32 {
        (self.starts.partition_point(|&s| s <= offset)) as u32
    }
}

/// A TOML syntax or shape error as `<file>:<line>: invalid <what>: <message>`, the line taken
/// from the error's span (1 when the parser gives none).
pub(crate) fn syntax_error(
    file: &str,
    lines: &LineIndex,
    what: &str,
    error: &toml::de::Error,
) -> crate::error::ConfigError {
    let line = error.span().map_or(1, |span| lines.line(span.start));
    let message = error.message().trim_end();
    crate::error::ConfigError::at(file, line, format!("invalid {what}: {message}"))
}
