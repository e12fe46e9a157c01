//! The "product" under test: a meeting-notes summarizer that keeps the longest speaker turns.
//! `tests/benchmarks.rs` wraps it as an `evalgate::System` and gates its quality.

/// A summary of `transcript` (lines `Speaker: text`): the `turns` longest turns, without their
/// speaker labels, in the order they were spoken.
pub fn summarize(transcript: &str, turns: usize) -> String {
    let said: Vec<&str> = transcript
        .lines()
        .map(|line| line.split_once(": ").map_or(line, |(_, text)| text).trim())
        .filter(|text| !text.is_empty())
        .collect();
    let mut longest: Vec<usize> = (0..said.len()).collect();
    longest.sort_by_key(|&i| std::cmp::Reverse(said[i].split_whitespace().count()));
    longest.truncate(turns);
    longest.sort_unstable();
    longest
        .into_iter()
        .map(|i| said[i])
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_the_longest_turns_in_order_without_labels() {
        let transcript =
            "A: Hi.\nB: We ship the new parser on Friday.\nA: Ok.\nC: Docs follow next week then.";
        assert_eq!(
            super::summarize(transcript, 2),
            "We ship the new parser on Friday. Docs follow next week then."
        );
    }
}
