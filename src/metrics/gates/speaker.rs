//! `speaker_label_leak` and `speaker_name_leak`: transcript structure or speaker identities in
//! the output.
//!
//! - `speaker_label_leak` fails an item whose output has a line starting with a speaker label
//!   (an all-caps `MAYA:`, or capitalised words such as `Maya:` / `Maya Chen:` that are a known
//!   speaker's name or label two or more lines; a one-off `Key Takeaways:` heading is not a
//!   label; see [`text::SpeakerLabels::for_output`]) or contains a timestamp (`[00:12:34]`,
//!   `(12:34)`, bare `h:mm:ss`).
//! - `speaker_name_leak` fails an item whose output names one of the full names in the item's
//!   `speakers` metadata. Many summaries name speakers on purpose, so suites are expected to run
//!   it as a warning; `allow_speaker_names: true` switches it off for an item, and items without
//!   `speakers` are `None`.

use super::{Gate, expectation, flag, no_params, rate_definition};
use crate::error::Result;
use crate::metrics::{MetricDef, ScoringItem, ScoringOptions};
use crate::text;

/// The speaker-label/timestamp leak gate.
#[derive(Debug, Clone, Copy, Default)]
pub struct SpeakerLabelLeak;

/// The speaker-name leak gate.
#[derive(Debug, Clone, Copy, Default)]
pub struct SpeakerNameLeak;

impl Gate for SpeakerLabelLeak {
    type Params = ();

    fn definition(&self) -> MetricDef {
        rate_definition(
            "speaker_label_leak",
            "share of outputs with a speaker label at a line start or a timestamp",
        )
    }

    fn params(&self, options: &ScoringOptions) -> Result<()> {
        no_params(options, "speaker_label_leak")
    }

    fn value(&self, item: &ScoringItem<'_>, _: &()) -> Result<Option<f64>> {
        Ok(Some(flag(has_label_or_timestamp(
            item.prediction,
            &text::metadata_speakers(item.metadata),
        ))))
    }
}

/// True when `output` has a speaker label at a line start or a timestamp anywhere.
pub fn has_label_or_timestamp(output: &str, speakers: &[String]) -> bool {
    if text::contains_timestamp(output) {
        return true;
    }
    let labels = text::SpeakerLabels::for_output(output, speakers);
    output.lines().any(|line| labels.split(line).is_some())
}

impl Gate for SpeakerNameLeak {
    type Params = ();

    fn definition(&self) -> MetricDef {
        rate_definition(
            "speaker_name_leak",
            "share of outputs naming a speaker's full name (a warning by default)",
        )
    }

    fn params(&self, options: &ScoringOptions) -> Result<()> {
        no_params(options, "speaker_name_leak")
    }

    fn value(&self, item: &ScoringItem<'_>, _: &()) -> Result<Option<f64>> {
        if expectation(item, "allow_speaker_names")? {
            return Ok(None);
        }
        let speakers = text::metadata_speakers(item.metadata);
        if speakers.is_empty() {
            return Ok(None);
        }
        let leaked = speakers
            .iter()
            .any(|name| text::contains_phrase(item.prediction, name));
        Ok(Some(flag(leaked)))
    }
}
