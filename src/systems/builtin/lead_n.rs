//! `lead_n`: the first N sentences of the cleaned transcript, an honest floor for summarisation.

use std::sync::Arc;

use serde_json::{Value, json};

use super::cleaner::clean_transcript;
use super::{BuiltinParams, fingerprint};
use crate::error::Result;
use crate::systems::{Generation, System, SystemRequest};
use crate::text;

/// Default number of sentences.
pub const DEFAULT_SENTENCES: usize = 3;

/// The lead-N summariser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadN {
    /// How many sentences to keep.
    pub sentences: usize,
}

impl LeadN {
    /// Builds it from `{"sentences": N}` (default 3).
    pub fn from_params(params: &Value) -> Result<Arc<dyn System>> {
        let p = BuiltinParams::parse("lead_n", params, &["sentences"])?;
        let sentences = p.positive_int("sentences", DEFAULT_SENTENCES)?;
        Ok(Arc::new(LeadN { sentences }))
    }

    /// The summary of a raw transcript: the first N sentences after cleaning, joined by spaces.
    pub fn summarize(&self, raw: &str, speakers: &[String]) -> String {
        let cleaned = clean_transcript(raw, speakers);
        text::sentences(&cleaned)
            .into_iter()
            .take(self.sentences)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl System for LeadN {
    /// Built-ins run in-process and are deterministic: faster than a cache read.
    fn cacheable(&self) -> bool {
        false
    }

    fn fingerprint(&self) -> Value {
        fingerprint("lead_n", json!({ "sentences": self.sentences }))
    }

    fn generate(&self, request: &SystemRequest<'_>) -> Result<Generation> {
        let speakers = text::metadata_speakers(request.metadata);
        Ok(Generation::text(self.summarize(request.input, &speakers)))
    }
}
