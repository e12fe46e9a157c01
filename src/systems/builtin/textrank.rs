//! `textrank`: a TextRank extractive summary (Mihalcea & Tarau, 2004) of the cleaned transcript.
//!
//! Sentences are graph nodes; the edge weight between two sentences is the number of content
//! words (lowercased tokens minus [`STOPWORDS`]) they share divided by
//! `ln(|S_i|) + ln(|S_j|)` (content-word counts; 0 when that sum is not positive). Weighted
//! PageRank with damping 0.85 runs until no score moves by more than 1e-9 (at most 200
//! iterations). The N best-scoring sentences (ties: earlier first) are returned in their
//! original order, joined by spaces.
//!
//! # Memory and time on long transcripts
//!
//! A transcript of any length costs memory linear in its text plus a graph of bounded size, and
//! time linear in its text plus a bounded amount for the graph (the dense n × n version took
//! 2.4 GB for a 1 MB transcript and aborted on 50 MB):
//!
//! - **Sparse graph.** Content words are interned to integers and an inverted index (word →
//!   sentences containing it) yields exactly the pairs of sentences that share a word; only those
//!   pairs are edges, each stored once (row `a` holds its neighbours `b > a`), never an n × n
//!   matrix. PageRank sums every node's inflow and out-weight over its neighbours in ascending
//!   order, as the dense computation did, so the scores are the same to the last bit.
//! - **Capped graph.** At most [`MAX_GRAPH_SENTENCES`] sentences enter the graph. When the
//!   transcript has more, they are the [`MAX_GRAPH_SENTENCES`] with the most distinct content
//!   words (ties: earlier first), wherever they are in the transcript; the others (mostly short
//!   turns such as "Yeah, OK." that TextRank would hardly pick) score 0 and are picked only when N
//!   exceeds the graph. So the graph has at most [`MAX_GRAPH_EDGES`] edges of 20 bytes
//!   ([`MAX_GRAPH_BYTES`], 42 MB), however long the transcript.
//! - **Streamed tokens.** Content words are read token by token (no token list per sentence), so
//!   one huge sentence costs its word ids, not a `String` per word.
//!
//! Up to [`MAX_GRAPH_SENTENCES`] sentences (every shipped dataset, every QMSum meeting
//! transcript: at most 1,225 sentences) the output is that of plain TextRank over all sentences.
//! `cargo bench --bench textrank` times the QMSum transcripts and generated 1 MB and 50 MB
//! inputs; `tests/textrank_memory.rs` bounds the peak allocation.

use std::sync::{Arc, LazyLock};

use foldhash::{HashMap, HashMapExt, HashSet};

use serde_json::{Value, json};

use super::cleaner::clean_transcript;
use super::{BuiltinParams, fingerprint};
use crate::error::Result;
use crate::systems::{Generation, System, SystemRequest};
use crate::text;

/// Default number of sentences.
pub const DEFAULT_SENTENCES: usize = 3;
/// PageRank damping factor.
pub const DAMPING: f64 = 0.85;
/// Convergence threshold on the largest score change.
pub const TOLERANCE: f64 = 1e-9;
/// Iteration cap.
pub const MAX_ITERATIONS: usize = 200;
/// The most sentences that enter the graph (see the module docs).
pub const MAX_GRAPH_SENTENCES: usize = 2048;
/// The most edges the graph can have.
pub const MAX_GRAPH_EDGES: usize = MAX_GRAPH_SENTENCES * (MAX_GRAPH_SENTENCES - 1) / 2;
/// The most bytes the graph's edges can take: per edge a `u32` neighbour and two `f64`
/// normalised weights (one per direction).
pub const MAX_GRAPH_BYTES: usize = MAX_GRAPH_EDGES * 20;

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
    /// Built-ins run in-process and are deterministic: faster than a cache read.
    fn cacheable(&self) -> bool {
        false
    }

    fn fingerprint(&self) -> Value {
        fingerprint("textrank", json!({ "sentences": self.sentences }))
    }

    fn generate(&self, request: &SystemRequest<'_>) -> Result<Generation> {
        let speakers = text::metadata_speakers(request.metadata);
        Ok(Generation::text(self.summarize(request.input, &speakers)))
    }
}

/// The size of the graph TextRank ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphStats {
    /// Sentences in the text.
    pub sentences: usize,
    /// Sentences in the graph: all of them, or [`MAX_GRAPH_SENTENCES`].
    pub nodes: usize,
    /// Pairs of graph sentences that share a content word (undirected edges).
    pub edges: usize,
    /// PageRank iterations run.
    pub iterations: usize,
}

/// Scores of every sentence and the size of the graph behind them.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    /// The TextRank score of every sentence; 0 for sentences left out of the graph.
    pub scores: Vec<f64>,
    /// The graph's size.
    pub stats: GraphStats,
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

/// The TextRank score of every sentence (0 for sentences left out of the graph).
pub fn scores(sentences: &[String]) -> Vec<f64> {
    rank(sentences).scores
}

static STOPWORD_SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| STOPWORDS.iter().copied().collect());

/// The distinct content words (tokens minus [`STOPWORDS`]) of every sentence, as sorted word
/// ids.
fn content_words(sentences: &[String]) -> Vec<Vec<u32>> {
    let mut ids: HashMap<String, u32> = HashMap::new();
    sentences
        .iter()
        .map(|sentence| {
            let mut words = Vec::new();
            text::each_token(sentence, |token| {
                if STOPWORD_SET.contains(token) {
                    return;
                }
                let id = match ids.get(token) {
                    Some(&id) => id,
                    None => {
                        // Past 2^32 distinct words (a 16 GB text) the rest share one id.
                        let id = u32::try_from(ids.len()).unwrap_or(u32::MAX);
                        ids.insert(token.to_string(), id);
                        id
                    }
                };
                words.push(id);
            });
            words.sort_unstable();
            words.dedup();
            words.shrink_to_fit();
            words
        })
        .collect()
}

/// The sentences that enter the graph, in original order: all of them, or the
/// [`MAX_GRAPH_SENTENCES`] with the most distinct content words (ties: earlier first).
fn graph_sentences(content: &[Vec<u32>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..content.len()).collect();
    if content.len() <= MAX_GRAPH_SENTENCES {
        return order;
    }
    order.select_nth_unstable_by(MAX_GRAPH_SENTENCES - 1, |&a, &b| {
        content[b].len().cmp(&content[a].len()).then(a.cmp(&b))
    });
    order.truncate(MAX_GRAPH_SENTENCES);
    order.sort_unstable();
    order
}

/// The sparse sentence graph: row `a` lists its neighbours `b > a` with the weight of the
/// edge normalised by the out-weight of `a` (flow `a → b`) and of `b` (flow `b → a`).
struct Graph {
    /// `rows[a]..rows[a + 1]` index the edges of row `a`.
    rows: Vec<usize>,
    /// The neighbour `b` of each edge.
    to: Vec<u32>,
    /// `w(a, b) / out(a)`.
    forward: Vec<f64>,
    /// `w(a, b) / out(b)`.
    backward: Vec<f64>,
}

impl Graph {
    /// Builds the graph of sentences given by their content words (the graph's nodes, in
    /// order).
    fn new(content: &[&[u32]]) -> Graph {
        let ln_len: Vec<f64> = content.iter().map(|c| (c.len() as f64).ln()).collect();
        let vocabulary = content
            .iter()
            .filter_map(|c| c.last())
            .max()
            .map_or(0, |&w| w as usize + 1);
        let mut postings: Vec<Vec<u32>> = vec![Vec::new(); vocabulary];
        for (a, words) in content.iter().enumerate() {
            for &w in words.iter() {
                postings[w as usize].push(a as u32);
            }
        }
        // Shared-word counts of row `a` with every later sentence, found through the postings
        // of its words; `cursor[w]` is where `a` sits in `postings[w]`.
        let n = content.len();
        let mut cursor = vec![0usize; postings.len()];
        let mut shared = vec![0u32; n];
        let mut touched: Vec<u32> = Vec::new();
        let mut rows = Vec::with_capacity(n + 1);
        let mut to: Vec<u32> = Vec::new();
        let mut weight: Vec<f64> = Vec::new();
        rows.push(0);
        for (a, words) in content.iter().enumerate() {
            for &w in words.iter() {
                let list = &postings[w as usize];
                let at = cursor[w as usize];
                cursor[w as usize] += 1;
                for &b in &list[at + 1..] {
                    if shared[b as usize] == 0 {
                        touched.push(b);
                    }
                    shared[b as usize] += 1;
                }
            }
            touched.sort_unstable();
            for &b in &touched {
                let count = std::mem::take(&mut shared[b as usize]);
                // As `similarity(content[a], content[b])` with a < b: both sets are non-empty
                // since they share a word.
                let denominator = ln_len[a] + ln_len[b as usize];
                if denominator > 0.0 {
                    to.push(b);
                    weight.push(count as f64 / denominator);
                }
            }
            touched.clear();
            rows.push(to.len());
        }
        drop(postings);
        // Out-weights, summed over each node's neighbours in ascending order: the neighbours
        // below `x` arrive while their rows are visited, then row `x` adds those above.
        let mut out = vec![0.0f64; n];
        for a in 0..n {
            for e in rows[a]..rows[a + 1] {
                out[to[e] as usize] += weight[e];
                out[a] += weight[e];
            }
        }
        let mut backward = Vec::with_capacity(weight.len());
        for a in 0..n {
            for e in rows[a]..rows[a + 1] {
                backward.push(weight[e] / out[to[e] as usize]);
                weight[e] /= out[a];
            }
        }
        Graph {
            rows,
            to,
            forward: weight,
            backward,
        }
    }

    fn nodes(&self) -> usize {
        self.rows.len() - 1
    }

    fn edges(&self) -> usize {
        self.to.len()
    }

    /// Weighted PageRank from all-ones scores; returns the scores and the iterations run.
    fn pagerank(&self) -> (Vec<f64>, usize) {
        let n = self.nodes();
        let mut score = vec![1.0f64; n];
        let mut flow = vec![0.0f64; n];
        let mut iterations = 0;
        while iterations < MAX_ITERATIONS {
            iterations += 1;
            flow.fill(0.0);
            // Each node's inflow is summed over its neighbours in ascending order (see `new`):
            // `flow[a]` already holds the flow from the rows above `a` and row `a` adds the rest,
            // in a local so that the additions do not wait on memory.
            for a in 0..n {
                let mut inflow = flow[a];
                for e in self.rows[a]..self.rows[a + 1] {
                    let b = self.to[e] as usize;
                    flow[b] += self.forward[e] * score[a];
                    inflow += self.backward[e] * score[b];
                }
                flow[a] = inflow;
            }
            let mut change = 0.0f64;
            for (s, f) in score.iter_mut().zip(&flow) {
                let next = (1.0 - DAMPING) + DAMPING * f;
                change = change.max((next - *s).abs());
                *s = next;
            }
            if change < TOLERANCE {
                break;
            }
        }
        (score, iterations)
    }
}

/// Ranks `sentences` (see the module docs).
pub fn rank(sentences: &[String]) -> Ranking {
    let content = content_words(sentences);
    let nodes = graph_sentences(&content);
    let graph = Graph::new(
        &nodes
            .iter()
            .map(|&i| content[i].as_slice())
            .collect::<Vec<_>>(),
    );
    drop(content);
    let (node_scores, iterations) = graph.pagerank();
    let mut scores = vec![0.0f64; sentences.len()];
    for (&i, s) in nodes.iter().zip(node_scores) {
        scores[i] = s;
    }
    Ranking {
        scores,
        stats: GraphStats {
            sentences: sentences.len(),
            nodes: graph.nodes(),
            edges: graph.edges(),
            iterations,
        },
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The dense n × n computation this module replaced, kept as the reference.
    fn dense_scores(sentences: &[String]) -> Vec<f64> {
        let content: Vec<BTreeSet<String>> = sentences
            .iter()
            .map(|s| {
                text::tokens(s)
                    .into_iter()
                    .filter(|t| !STOPWORDS.contains(&t.as_str()))
                    .collect()
            })
            .collect();
        let similarity = |a: &BTreeSet<String>, b: &BTreeSet<String>| {
            let denominator = (a.len() as f64).ln() + (b.len() as f64).ln();
            if a.is_empty() || b.is_empty() || denominator <= 0.0 {
                return 0.0;
            }
            a.intersection(b).count() as f64 / denominator
        };
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

    /// `count` sentences of 1 to `max_words` words over a vocabulary of `vocabulary` content
    /// words mixed with stopwords.
    fn generated(seed: u64, count: usize, vocabulary: u64, max_words: u64) -> Vec<String> {
        let mut rng = fastrand::Rng::with_seed(seed);
        (0..count)
            .map(|_| {
                (0..rng.u64(1..=max_words))
                    .map(|_| match rng.u64(0..4) {
                        0 => STOPWORDS[rng.usize(0..STOPWORDS.len())].to_string(),
                        _ => format!("w{}", rng.u64(0..vocabulary)),
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    fn assert_same_bits(sentences: &[String], what: &str) {
        let sparse = scores(sentences);
        let dense = dense_scores(sentences);
        let sparse_bits: Vec<u64> = sparse.iter().map(|s| s.to_bits()).collect();
        let dense_bits: Vec<u64> = dense.iter().map(|s| s.to_bits()).collect();
        assert_eq!(sparse_bits, dense_bits, "{what}: {sparse:?} vs {dense:?}");
    }

    #[test]
    fn the_sparse_graph_scores_the_shipped_transcripts_like_the_dense_one_to_the_bit() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets");
        let mut checked = 0;
        for dataset in [
            "podcast_summaries_v1",
            "podcast_summaries_full_v1",
            "transcript_cleaning_v1",
            "transcript_cleaning_full_v1",
        ] {
            let dir = root.join(dataset);
            let manifest: Value =
                serde_json::from_str(&std::fs::read_to_string(dir.join("dataset.json")).unwrap())
                    .unwrap();
            for item in manifest["items"].as_array().unwrap() {
                let raw = std::fs::read_to_string(dir.join(item["input_path"].as_str().unwrap()))
                    .unwrap();
                let speakers = text::metadata_speakers(&item["metadata"]);
                let sentences = text::sentences(&clean_transcript(&raw, &speakers));
                assert!(sentences.len() > 1);
                assert_same_bits(&sentences, &format!("{dataset}/{}", item["id"]));
                checked += 1;
            }
        }
        assert!(checked >= 40, "only {checked} transcripts checked");
    }

    #[test]
    fn the_sparse_graph_scores_generated_texts_like_the_dense_one_to_the_bit() {
        for seed in 1..=12u64 {
            // From dense graphs full of ties (tiny vocabulary) to sparse ones with isolated
            // sentences and one-word sentences (zero denominators).
            let vocabulary = [3, 20, 400][seed as usize % 3];
            let max_words = [2, 12, 40][(seed as usize / 3) % 3];
            let sentences = generated(seed, 150 + 10 * seed as usize, vocabulary, max_words);
            assert_same_bits(&sentences, &format!("seed {seed}"));
        }
        assert_same_bits(&[], "no sentences");
        assert_same_bits(&["Just one.".to_string()], "one sentence");
    }

    #[test]
    fn a_huge_text_ranks_a_capped_graph_of_its_richest_sentences() {
        // 60,000 sentences over a 50-word vocabulary: the dense graph would hold 3.6e9 weights
        // (29 GB); almost every pair shares a word.
        let sentences = generated(7, 60_000, 50, 30);
        let ranking = rank(&sentences);
        let stats = ranking.stats;
        assert_eq!(stats.sentences, 60_000);
        assert_eq!(stats.nodes, MAX_GRAPH_SENTENCES);
        assert!(stats.edges <= MAX_GRAPH_EDGES, "{stats:?}");
        assert!(
            stats.edges > MAX_GRAPH_EDGES / 2,
            "a dense graph: {stats:?}"
        );
        let distinct = |s: &String| {
            text::tokens(s)
                .into_iter()
                .filter(|t| !STOPWORDS.contains(&t.as_str()))
                .collect::<BTreeSet<_>>()
                .len()
        };
        let in_graph: Vec<usize> = (0..sentences.len())
            .filter(|&i| ranking.scores[i] > 0.0)
            .collect();
        assert_eq!(in_graph.len(), MAX_GRAPH_SENTENCES);
        let poorest_in = in_graph.iter().map(|&i| distinct(&sentences[i])).min();
        let richest_out = (0..sentences.len())
            .filter(|i| ranking.scores[*i] == 0.0)
            .map(|i| distinct(&sentences[i]))
            .max();
        assert!(
            poorest_in >= richest_out,
            "{poorest_in:?} < {richest_out:?}"
        );
        assert_eq!(pick(&sentences, 3).len(), 3);
    }

    #[test]
    fn the_graph_cap_prefers_rich_sentences_anywhere_and_breaks_ties_by_position() {
        // Short filler first, then more rich sentences than the cap allows.
        let mut sentences: Vec<String> = (0..500).map(|i| format!("Yeah w{i}.")).collect();
        sentences.extend(
            (0..MAX_GRAPH_SENTENCES + 100)
                .map(|i| format!("Topic alpha beta gamma delta w{} v{}.", i % 97, i % 89)),
        );
        let ranking = rank(&sentences);
        assert_eq!(ranking.stats.nodes, MAX_GRAPH_SENTENCES);
        assert!(ranking.scores[..500].iter().all(|s| *s == 0.0));
        // Equally rich sentences: the earlier ones are in the graph.
        let rich = &ranking.scores[500..];
        assert!(
            rich[..MAX_GRAPH_SENTENCES]
                .iter()
                .all(|s| *s >= 1.0 - DAMPING)
        );
        assert!(rich[MAX_GRAPH_SENTENCES..].iter().all(|s| *s == 0.0));
    }
}
