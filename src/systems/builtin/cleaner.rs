//! `transcript_cleaner`: removes timestamps, speaker labels and sponsor/ad blocks from a raw
//! podcast transcript and normalises whitespace, keeping everything else verbatim.
//!
//! Heuristics, in order:
//! 1. **Timestamps**: bracketed clock readings (`[00:12:34]`, `[12:34]`, `(1:02:03)`) anywhere,
//!    and bare `h:mm:ss` readings (see [`text::timestamp_ranges`]).
//! 2. **Speaker labels**: a label at the start of a line once its timestamps are gone (`MAYA:`,
//!    `Maya Chen:`, `Maya:`, also `MAYA [00:01:02]:`), decided
//!    by [`text::SpeakerLabels`]; each labelled line (a *turn*) becomes one output line, and an
//!    unlabelled line continues the turn before it.
//! 3. **Sponsor blocks**: the turns are split into sentences. A block opens at the first sentence
//!    containing an opening phrase ([`SPONSOR_OPENINGS`], e.g. "this episode is brought to you
//!    by", "a word from our sponsor") and closes at the end of the first sentence, at most
//!    [`MAX_BLOCK_SENTENCES`] sentences later and no later than the turn after the opening one,
//!    containing a closing cue ([`SPONSOR_CLOSINGS`], e.g. "back to the show"); the search stops
//!    at another opening phrase. Without a closing cue the block ends with the turn in which it
//!    opened, except that questions ending that turn are kept (the host moving on without a
//!    cue). Every sentence of the block is dropped, and so are turns left empty.
//! 4. **Whitespace**: runs of whitespace inside a turn become one space; turns are joined with
//!    `\n`.

use std::sync::{Arc, LazyLock};

use serde_json::{Value, json};

use super::{BuiltinParams, fingerprint};
use crate::error::Result;
use crate::systems::{Generation, System, SystemRequest};
use crate::text::{self, Phrases, SpeakerLabels};

/// Phrases (case-insensitive, whole words) that open a sponsor or ad block.
pub const SPONSOR_OPENINGS: &[&str] = &[
    "brought to you by",
    "sponsored by",
    "word from our sponsor",
    "word from our sponsors",
    "support for this show comes from",
    "support for this podcast comes from",
    "support for this episode comes from",
    "this podcast is supported by",
    "this show is supported by",
    "this episode is supported by",
    "today's sponsor",
    "our sponsor today",
    "thanks to our sponsor",
    "quick break for our sponsor",
];

/// Phrases (case-insensitive, whole words) that close a sponsor or ad block.
pub const SPONSOR_CLOSINGS: &[&str] = &[
    "back to the show",
    "back to the episode",
    "back to the conversation",
    "back to our conversation",
    "back to our guest",
    "back to the interview",
    "back to it",
    "let's get back",
    "and we're back",
];

/// The longest a sponsor block may run, in sentences, while waiting for its closing cue.
pub const MAX_BLOCK_SENTENCES: usize = 20;

/// The transcript cleaner as a [`System`].
#[derive(Debug, Clone, Default)]
pub struct TranscriptCleaner;

impl TranscriptCleaner {
    /// Builds the cleaner; it takes no parameters.
    pub fn from_params(params: &Value) -> Result<Arc<dyn System>> {
        BuiltinParams::parse("transcript_cleaner", params, &[])?;
        Ok(Arc::new(TranscriptCleaner))
    }
}

impl System for TranscriptCleaner {
    /// Built-ins run in-process and are deterministic: faster than a cache read.
    fn cacheable(&self) -> bool {
        false
    }

    fn fingerprint(&self) -> Value {
        fingerprint("transcript_cleaner", json!({}))
    }

    fn generate(&self, request: &SystemRequest<'_>) -> Result<Generation> {
        let speakers = text::metadata_speakers(request.metadata);
        Ok(Generation::text(clean_transcript(request.input, &speakers)))
    }
}

/// Cleans a raw transcript (see the module docs); `speakers` are full names from metadata, used
/// to recognise single-word labels such as `Maya:`.
pub fn clean_transcript(raw: &str, speakers: &[String]) -> String {
    let turns = turns(raw, speakers);
    let kept = drop_sponsor_blocks(&turns);
    kept.join("\n")
}

/// The transcript as turns: timestamps and labels removed, whitespace normalised, empty turns
/// dropped.
fn turns(raw: &str, speakers: &[String]) -> Vec<String> {
    let labels = SpeakerLabels::new(raw, speakers);
    let mut turns: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in raw.lines() {
        let line = text::strip_timestamps(line);
        let (starts_turn, body) = match labels.split(&line) {
            Some((_, rest)) => (true, rest),
            None => (false, line.as_str()),
        };
        let body = text::normalize_whitespace(body);
        if (starts_turn || body.is_empty()) && !current.is_empty() {
            turns.push(std::mem::take(&mut current));
        }
        if !body.is_empty() {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(&body);
        }
    }
    if !current.is_empty() {
        turns.push(current);
    }
    turns
}

/// Removes sponsor blocks sentence by sentence and reassembles the turns.
fn drop_sponsor_blocks(turns: &[String]) -> Vec<String> {
    let sentences: Vec<(usize, String)> = turns
        .iter()
        .enumerate()
        .flat_map(|(t, turn)| text::sentences(turn).into_iter().map(move |s| (t, s)))
        .collect();
    let mut keep = vec![true; sentences.len()];
    let mut i = 0;
    while i < sentences.len() {
        if !has_any(&sentences[i].1, &OPENINGS) {
            i += 1;
            continue;
        }
        let end = block_end(&sentences, i);
        for k in keep.iter_mut().take(end + 1).skip(i) {
            *k = false;
        }
        i = end + 1;
    }
    let mut out: Vec<String> = vec![String::new(); turns.len()];
    for ((turn, sentence), kept) in sentences.iter().zip(&keep) {
        if *kept {
            if !out[*turn].is_empty() {
                out[*turn].push(' ');
            }
            out[*turn].push_str(sentence);
        }
    }
    out.retain(|t| !t.is_empty());
    out
}

/// The index of the last sentence of the sponsor block that opens at sentence `start`.
fn block_end(sentences: &[(usize, String)], start: usize) -> usize {
    let turn = sentences[start].0;
    // Look for the closing cue in the opening turn and the next one, never past another opening
    // phrase, at most MAX_BLOCK_SENTENCES away.
    for (j, (t, sentence)) in sentences
        .iter()
        .enumerate()
        .skip(start)
        .take(MAX_BLOCK_SENTENCES)
    {
        if *t > turn + 1 || (j > start && has_any(sentence, &OPENINGS)) {
            break;
        }
        if has_any(sentence, &CLOSINGS) {
            return j;
        }
    }
    // No cue: the block runs to the end of its turn, except a closing run of questions (the host
    // moving on to the next question without a cue).
    let mut end = start;
    while end + 1 < sentences.len() && sentences[end + 1].0 == turn {
        end += 1;
    }
    while end > start && sentences[end].1.ends_with('?') {
        end -= 1;
    }
    end
}

static OPENINGS: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(SPONSOR_OPENINGS));
static CLOSINGS: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(SPONSOR_CLOSINGS));

/// True when `sentence` contains one of `phrases`.
fn has_any(sentence: &str, phrases: &Phrases) -> bool {
    phrases.found_in(sentence)
}
