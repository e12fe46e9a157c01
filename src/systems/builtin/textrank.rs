//! `textrank`: a TextRank extractive summary (Mihalcea & Tarau, 2004) of the cleaned transcript.
//!
//! Sentences are graph nodes; the edge weight between two sentences is the number of content
//! words (lowercased tokens minus [`STOPWORDS`]) they share divided by
//! `ln(|S_i|) + ln(|S_j|)` (content-word counts; 0 when that sum is not positive). Weighted
//! PageRank with damping 0.85 runs until no score moves by more than 1e-9 (at most 200
//! iterations). The N best-scoring sentences (ties: earlier first) are returned in their
//! original order, joined by spaces.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Value, json};

use super::cleaner::clean_transcript;
use super::text;
use super::{BuiltinParams, fingerprint};
use crate::error::Result;
use crate::systems::{Generation, System, SystemRequest};

/// Default number of sentences.
pub const DEFAULT_SENTENCES: usize = 3;
/// PageRank damping factor.
pub const DAMPING: f64 = 0.85;
/// Convergence threshold on the largest score change.
pub const TOLERANCE: f64 = 1e-9;
/// Iteration cap.
pub const MAX_ITERATIONS: usize = 200;

/// Words ignored when comparing sentences (common English function words and podcast fillers).
pub const STOPWORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
    "because", "been", "but", "by", "can", "could", "did", "do", "does", "don't", "for", "from",
    "get", "got", "had", "has", "have", "he", "her", "here", "him", "his", "how", "i", "i'm", "if",
    "in", "into", "is", "it", "it's", "its", "just", "kind", "know", "like", "me", "mean", "more",
    "my", "no", "not", "of", "oh", "okay", "on", "one", "or", "our", "out", "really", "right",
    "so", "some", "that", "that's", "the", "their", "them", "then", "there", "these", "they",
    "this", "those", "to", "too", "uh", "um", "up", "us", "very", "was", "we", "we're", "were",
    "what", "when", "which", "who", "will", "with", "would", "yeah", "yes", "you", "you're",
    "your",
];

/// The TextRank summariser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextRank {
    /// How many sentences to keep.
    pub sentences: usize,
}

impl TextRank {
    /// Builds it from `{"sentences": N}` (default 3).
    pub fn from_params(params: &Value) -> Result<Arc<dyn System>> {
        let p = BuiltinParams::parse("textrank", params, &["sentences"])?;
        let sentences = p.positive_int("sentences", DEFAULT_SENTENCES)?;
        Ok(Arc::new(TextRank { sentences }))
    }

    /// The summary of a raw transcript (cleaned first).
    pub fn summarize(&self, raw: &str, speakers: &[String]) -> String {
        let cleaned = clean_transcript(raw, speakers);
        let sentences = text::sentences(&cleaned);
        let picked = pick(&sentences, self.sentences);
        picked
            .into_iter()
            .map(|i| sentences[i].as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl System for TextRank {
    fn fingerprint(&self) -> Value {
        fingerprint("textrank", json!({ "sentences": self.sentences }))
    }

    fn generate(&self, request: &SystemRequest<'_>) -> Result<Generation> {
        let speakers = text::metadata_speakers(request.metadata);
        Ok(Generation::text(self.summarize(request.input, &speakers)))
    }
}

/// Indices of the `n` best sentences by TextRank score, in original order.
pub fn pick(sentences: &[String], n: usize) -> Vec<usize> {
    let scores = scores(sentences);
    let mut order: Vec<usize> = (0..sentences.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    order.truncate(n);
    order.sort_unstable();
    order
}

/// The TextRank score of every sentence.
pub fn scores(sentences: &[String]) -> Vec<f64> {
    let content: Vec<BTreeSet<String>> = sentences
        .iter()
        .map(|s| {
            text::tokens(s)
                .into_iter()
                .filter(|t| !STOPWORDS.contains(&t.as_str()))
                .collect()
        })
        .collect();
    let n = sentences.len();
    let mut weights = vec![vec![0.0f64; n]; n];
    for i in 0..n {
        for j in (i + 1)..n {
            let w = similarity(&content[i], &content[j]);
            weights[i][j] = w;
            weights[j][i] = w;
        }
    }
    let out_sums: Vec<f64> = weights.iter().map(|row| row.iter().sum()).collect();
    // Incoming edges of each node as (source, normalised weight), so an iteration only visits
    // the edges that exist.
    let incoming: Vec<Vec<(usize, f64)>> = (0..n)
        .map(|i| {
            (0..n)
                .filter(|&j| weights[j][i] > 0.0)
                .map(|j| (j, weights[j][i] / out_sums[j]))
                .collect()
        })
        .collect();
    let mut score = vec![1.0f64; n];
    for _ in 0..MAX_ITERATIONS {
        let next: Vec<f64> = incoming
            .iter()
            .map(|edges| {
                let flow: f64 = edges.iter().map(|(j, w)| w * score[*j]).sum();
                (1.0 - DAMPING) + DAMPING * flow
            })
            .collect();
        let change = next
            .iter()
            .zip(&score)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        score = next;
        if change < TOLERANCE {
            break;
        }
    }
    score
}

/// Shared content words over `ln|a| + ln|b|`.
fn similarity(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let denominator = (a.len() as f64).ln() + (b.len() as f64).ln();
    if a.is_empty() || b.is_empty() || denominator <= 0.0 {
        return 0.0;
    }
    a.intersection(b).count() as f64 / denominator
}
