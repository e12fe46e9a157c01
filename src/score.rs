//! `evalgate score`: scores prediction/reference pairs from a JSON-lines file with the reference
//! metrics (ROUGE, BLEU, chrF, WER family) and, on request, the embedding metrics
//! (`semantic_similarity`, `coherence`: group `semantic`), per line or over the whole corpus.
//!
//! Contract: input lines are `{"id", "prediction", "reference"}` (other fields ignored, blank
//! lines skipped); output is one JSON object per input line in input order, or with `--corpus` a
//! single object with corpus-level `bleu`, `chrf`, `wer`, `cer`, `mer`, `wil`. A value that does
//! not apply (`coherence` of a one-sentence prediction, or of every prediction with `--corpus`)
//! is `null`. Bad input is an error naming the file and line (the command exits with status 2);
//! so is `semantic_similarity_min` named without `--corpus`.

use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::{Map, Value};

use crate::metrics::rouge::{RougeScore, RougeScorer};
use crate::metrics::{bleu, chrf, wer};

/// What `evalgate score` scores and how.
#[derive(Debug, Clone, Default)]
pub struct ScoreArgs {
    /// JSON lines `{"id": str, "prediction": str, "reference": str}`.
    pub input: PathBuf,
    /// Apply the Porter stemmer in ROUGE (rouge-score's `use_stemmer=True`).
    pub stemmer: bool,
    /// One object with corpus-level BLEU, chrF and WER-family values instead of one per line.
    pub corpus: bool,
    /// Metric ids or groups (`rouge`, `bleu`, `chrf`, `wer`, `semantic`); `None`: all of ROUGE,
    /// `bleu`, `chrf`, `wer`, `cer`, `mer`, `wil`.
    pub metrics: Option<Vec<String>>,
    /// The sentence-transformers model folder of the embedding metrics; `None`: the
    /// `EVALGATE_EMBEDDING_MODEL` environment variable, else the default folder
    /// ([`crate::metrics::embedding::default_model_folder`]).
    pub embedding_model: Option<PathBuf>,
    /// The base URL of an OpenAI-compatible `/v1/embeddings` server to embed with instead of a
    /// local model (`--embedding-endpoint`); takes precedence over `embedding_model`.
    pub embedding_endpoint: Option<String>,
    /// The model name sent to `embedding_endpoint` (required with it).
    pub embedding_endpoint_model: Option<String>,
    /// The NAME of the environment variable holding `embedding_endpoint`'s API key.
    pub embedding_api_key_env: Option<String>,
    /// Write to this file instead of standard output.
    pub output: Option<PathBuf>,
}

/// One input line.
#[derive(Debug)]
struct Pair {
    id: Value,
    prediction: String,
    reference: String,
}

const ROUGE_IDS: [&str; 12] = [
    "rouge1_precision",
    "rouge1_recall",
    "rouge1_f1",
    "rouge2_precision",
    "rouge2_recall",
    "rouge2_f1",
    "rougeL_precision",
    "rougeL_recall",
    "rougeL_f1",
    "rougeLsum_precision",
    "rougeLsum_recall",
    "rougeLsum_f1",
];
const WER_IDS: [&str; 4] = ["wer", "cer", "mer", "wil"];
const EXTRA_IDS: [&str; 3] = ["chrf_pp", "wer_norm", "cer_norm"];
/// The embedding metrics (group `semantic`), on request only. Per line `semantic_similarity` is
/// the pair's cosine similarity and `coherence` the prediction's (null under two sentences); with
/// `--corpus` their means, plus `semantic_similarity_min`.
const SEMANTIC_IDS: [&str; 3] = [
    "semantic_similarity",
    "semantic_similarity_min",
    "coherence",
];

/// The ids that only `--corpus` computes (per line they have no value of their own).
const CORPUS_ONLY_IDS: [&str; 1] = ["semantic_similarity_min"];

/// Expands `--metrics` into ids in output order.
fn selected(list: Option<&[String]>) -> Result<Vec<&'static str>, String> {
    let default_order: Vec<&'static str> = ROUGE_IDS
        .iter()
        .copied()
        .chain(["bleu", "chrf"])
        .chain(WER_IDS)
        .collect();
    let Some(list) = list else {
        return Ok(default_order);
    };
    let mut wanted: Vec<&'static str> = Vec::new();
    for raw in list {
        let name = raw.trim();
        let ids: Vec<&'static str> = match name {
            "rouge" => ROUGE_IDS.to_vec(),
            "wer" => WER_IDS.to_vec(),
            "bleu" => vec!["bleu"],
            "chrf" => vec!["chrf"],
            "semantic" => SEMANTIC_IDS.to_vec(),
            other => match default_order
                .iter()
                .chain(EXTRA_IDS.iter())
                .chain(SEMANTIC_IDS.iter())
                .find(|id| **id == other)
            {
                Some(id) => vec![*id],
                None => {
                    return Err(format!(
                        "unknown metric `{other}` in --metrics; use ids ({}, {}, {}) or groups \
                         (rouge, bleu, chrf, wer, semantic)",
                        default_order.join(", "),
                        EXTRA_IDS.join(", "),
                        SEMANTIC_IDS.join(", ")
                    ));
                }
            },
        };
        for id in ids {
            if !wanted.contains(&id) {
                wanted.push(id);
            }
        }
    }
    // Output order is fixed, whatever the order on the command line.
    let order: Vec<&'static str> = default_order
        .iter()
        .chain(EXTRA_IDS.iter())
        .chain(SEMANTIC_IDS.iter())
        .copied()
        .collect();
    wanted.sort_by_key(|id| order.iter().position(|o| o == id));
    Ok(wanted)
}

fn read_pairs(path: &Path) -> Result<Vec<Pair>, String> {
    let text = crate::fsutil::read_text(path).map_err(|e| e.to_string())?;
    let mut pairs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let at = format!("{}:{}", path.display(), n + 1);
        if line.trim().is_empty() {
            continue;
        }
        let value: Value =
            serde_json::from_str(line).map_err(|e| format!("{at}: not valid JSON: {e}"))?;
        let Value::Object(mut obj) = value else {
            return Err(format!(
                "{at}: expected a JSON object with id, prediction, reference"
            ));
        };
        let id = obj
            .remove("id")
            .ok_or_else(|| format!("{at}: missing field `id`"))?;
        let mut text_field = |name: &str| match obj.remove(name) {
            Some(Value::String(s)) => Ok(s),
            Some(other) => Err(format!(
                "{at}: field `{name}` must be a string, found {other}"
            )),
            None => Err(format!("{at}: missing field `{name}`")),
        };
        let prediction = text_field("prediction")?;
        let reference = text_field("reference")?;
        pairs.push(Pair {
            id,
            prediction,
            reference,
        });
    }
    Ok(pairs)
}

fn put_rouge(out: &mut Map<String, Value>, prefix: &str, s: &RougeScore, wanted: &[&str]) {
    for (suffix, v) in [
        ("precision", s.precision),
        ("recall", s.recall),
        ("f1", s.f1),
    ] {
        let key = format!("{prefix}_{suffix}");
        if wanted.contains(&key.as_str()) {
            out.insert(key, Value::from(v));
        }
    }
}

fn score_line(pair: &Pair, wanted: &[&str], rouge: &RougeScorer) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("id".into(), pair.id.clone());
    let (p, r) = (pair.prediction.as_str(), pair.reference.as_str());
    if wanted.iter().any(|w| w.starts_with("rouge")) {
        let s = rouge.score(r, p);
        put_rouge(&mut out, "rouge1", &s.rouge1, wanted);
        put_rouge(&mut out, "rouge2", &s.rouge2, wanted);
        put_rouge(&mut out, "rougeL", &s.rouge_l, wanted);
        put_rouge(&mut out, "rougeLsum", &s.rouge_lsum, wanted);
    }
    // MER and WIL come from the same word alignment as WER: align once.
    let words = wanted
        .iter()
        .any(|w| matches!(*w, "wer" | "mer" | "wil"))
        .then(|| wer::word_counts(r, p));
    for id in wanted {
        let v = match (*id, &words) {
            ("bleu", _) => bleu::sentence_bleu(p, &[r]),
            ("chrf", _) => chrf::sentence_chrf(p, &[r], 0),
            ("chrf_pp", _) => chrf::sentence_chrf(p, &[r], 2),
            ("wer", Some(w)) => w.wer(),
            ("mer", Some(w)) => w.mer(),
            ("wil", Some(w)) => w.wil(),
            // The error rate needs only the edit distance, not an alignment choice.
            ("cer", _) => wer::char_errors(r, p).rate(),
            ("wer_norm", _) => wer::normalized_word_counts(r, p).wer(),
            ("cer_norm", _) => wer::normalized_char_counts(r, p).wer(),
            _ => continue,
        };
        out.insert(id.to_string(), Value::from(v));
    }
    out
}

fn score_corpus(pairs: &[Pair], wanted: &[&str], stemmer: bool) -> Map<String, Value> {
    let preds: Vec<&str> = pairs.iter().map(|p| p.prediction.as_str()).collect();
    let refs: Vec<&str> = pairs.iter().map(|p| p.reference.as_str()).collect();
    let mut out = Map::new();
    // ROUGE has no corpus form in rouge-score: its corpus value is the mean over lines, given
    // only when asked for by name.
    let rouge_wanted: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|w| w.starts_with("rouge"))
        .collect();
    if !rouge_wanted.is_empty() {
        let lines: Vec<Map<String, Value>> = pairs
            .par_iter()
            .map_init(
                || RougeScorer::new(stemmer),
                |scorer, p| score_line(p, &rouge_wanted, scorer),
            )
            .collect();
        for id in &rouge_wanted {
            let sum: f64 = lines.iter().map(|l| l[*id].as_f64().unwrap_or(0.0)).sum();
            out.insert(id.to_string(), Value::from(sum / lines.len().max(1) as f64));
        }
    }
    // Per-pair statistics in parallel; they are integer counts summed in input order, so the
    // corpus values do not depend on the thread count.
    let want = |id: &str| wanted.contains(&id);
    let words_wanted = wanted.iter().any(|w| matches!(*w, "wer" | "mer" | "wil"));
    let stats: Vec<CorpusStats> = preds
        .par_iter()
        .zip(&refs)
        .map(|(p, r)| {
            let refs = [*r];
            CorpusStats {
                bleu: want("bleu").then(|| bleu::segment_stats(p, &refs)),
                chrf: want("chrf").then(|| chrf::segment_stats(p, &refs, 0)),
                chrf_pp: want("chrf_pp").then(|| chrf::segment_stats(p, &refs, 2)),
                words: words_wanted.then(|| wer::word_counts(r, p)),
                chars: want("cer").then(|| wer::char_errors(r, p)),
                norm_words: want("wer_norm").then(|| wer::normalized_word_counts(r, p)),
                norm_chars: want("cer_norm").then(|| wer::normalized_char_counts(r, p)),
            }
        })
        .collect();
    let mut total = CorpusStats::default();
    for s in &stats {
        total.add(s);
    }
    for id in wanted {
        let v = match *id {
            "bleu" => total.bleu.map(|b| b.score(false)),
            "chrf" => total.chrf.as_ref().map(chrf::ChrfStats::score),
            "chrf_pp" => total.chrf_pp.as_ref().map(chrf::ChrfStats::score),
            "wer" => total.words.map(|w| w.wer()),
            "mer" => total.words.map(|w| w.mer()),
            "wil" => total.words.map(|w| w.wil()),
            "cer" => total.chars.map(|c| c.rate()),
            "wer_norm" => total.norm_words.map(|w| w.wer()),
            "cer_norm" => total.norm_chars.map(|c| c.wer()),
            _ => continue,
        };
        let v = v.expect("statistics are computed for every wanted corpus metric");
        out.insert(id.to_string(), Value::from(v));
    }
    out
}

/// The sufficient statistics of the corpus metrics, for one pair or summed over the corpus
/// (`None` for metrics not asked for).
#[derive(Default)]
struct CorpusStats {
    bleu: Option<bleu::BleuStats>,
    chrf: Option<chrf::ChrfStats>,
    chrf_pp: Option<chrf::ChrfStats>,
    words: Option<wer::WerCounts>,
    chars: Option<wer::ErrorCount>,
    norm_words: Option<wer::WerCounts>,
    norm_chars: Option<wer::WerCounts>,
}

impl CorpusStats {
    /// Adds one pair's statistics (BLEU and chrF sum their n-gram counts, the WER family its
    /// hits and edits, as the corpus functions of each family do).
    fn add(&mut self, pair: &CorpusStats) {
        fn sum<T: Clone>(total: &mut Option<T>, pair: &Option<T>, add: impl Fn(&mut T, &T)) {
            if let Some(p) = pair {
                match total {
                    Some(t) => add(t, p),
                    None => *total = Some(p.clone()),
                }
            }
        }
        sum(&mut self.bleu, &pair.bleu, bleu::BleuStats::add);
        sum(&mut self.chrf, &pair.chrf, chrf::ChrfStats::add);
        sum(&mut self.chrf_pp, &pair.chrf_pp, chrf::ChrfStats::add);
        sum(&mut self.words, &pair.words, wer::WerCounts::add);
        sum(&mut self.chars, &pair.chars, wer::ErrorCount::add);
        sum(&mut self.norm_words, &pair.norm_words, wer::WerCounts::add);
        sum(&mut self.norm_chars, &pair.norm_chars, wer::WerCounts::add);
    }
}

/// One pair's embedding values: the cosine similarity, and the prediction's coherence (`None`
/// under two sentences).
type SemanticPair = (f64, Option<f64>);

/// Per pair, the cosine similarity of prediction and reference and the prediction's coherence,
/// when an embedding metric is wanted (`None` otherwise). The vectors come from
/// `args.embedding_endpoint` when set, else the model `args.embedding_model`, else as for a
/// suite without `model` (environment, default folder).
fn semantic_values(
    args: &ScoreArgs,
    pairs: &[Pair],
    wanted: &[&str],
) -> Result<Option<Vec<SemanticPair>>, String> {
    use crate::metrics::semantic::{self, COHERENCE, SEMANTIC_SIMILARITY};
    let ids: Vec<&str> = if wanted.contains(&COHERENCE) {
        vec![SEMANTIC_SIMILARITY, COHERENCE]
    } else {
        vec![SEMANTIC_SIMILARITY]
    };
    if !wanted.iter().any(|id| SEMANTIC_IDS.contains(id)) {
        return Ok(None);
    }
    let references: Vec<[String; 1]> = pairs.iter().map(|p| [p.reference.clone()]).collect();
    let items: Vec<crate::metrics::ScoringItem<'_>> = pairs
        .iter()
        .zip(&references)
        .map(|(p, r)| crate::metrics::ScoringItem {
            id: "",
            input: "",
            prediction: &p.prediction,
            references: r,
            metadata: &Value::Null,
            generation: None,
        })
        .collect();
    let cache = crate::metrics::embedding::cache::EmbeddingCache::default_location();
    let source = if let Some(base_url) = &args.embedding_endpoint {
        let mut table = serde_json::Map::new();
        table.insert("base_url".into(), Value::String(base_url.clone()));
        if let Some(model) = &args.embedding_endpoint_model {
            table.insert("model".into(), Value::String(model.clone()));
        }
        if let Some(var) = &args.embedding_api_key_env {
            table.insert("api_key_env".into(), Value::String(var.clone()));
        }
        let endpoint = crate::metrics::embedding_endpoint::EmbeddingEndpoint::from_params(
            &Value::Object(table),
            "--embedding-endpoint",
        )
        .map_err(|e| e.to_string())?;
        semantic::EmbeddingSource::Endpoint(Box::new(endpoint))
    } else {
        semantic::EmbeddingSource::Model(match &args.embedding_model {
            Some(folder) => folder.clone(),
            None => {
                semantic::model_folder(SEMANTIC_SIMILARITY, &Default::default()).map_err(|e| {
                    format!("{e}; or pass --embedding-model FOLDER or --embedding-endpoint URL")
                })?
            }
        })
    };
    let scored = source
        .score(cache.as_ref(), &items, &ids)
        .map_err(|e| e.to_string())?;
    let similarity = &scored.values[0].per_item;
    let coherence = scored.values.get(1).map(|v| v.per_item.clone());
    Ok(Some(
        similarity
            .iter()
            .enumerate()
            .map(|(n, s)| {
                (
                    s.expect("every pair has a reference"),
                    coherence.as_ref().and_then(|c| c[n]),
                )
            })
            .collect(),
    ))
}

/// Scores the pairs of `args.input` and writes the result; the error names the file and line.
pub fn run(args: &ScoreArgs) -> Result<(), String> {
    let wanted = selected(args.metrics.as_deref())?;
    if !args.corpus {
        // Named on its own (not through the `semantic` group), a corpus-only id per line would
        // print lines without it.
        let named = |id: &str| args.metrics.iter().flatten().any(|m| m.trim() == id);
        if let Some(id) = CORPUS_ONLY_IDS.iter().find(|id| named(id)) {
            return Err(format!(
                "`{id}` is a corpus value (the worst pair), not a per-line one: add --corpus, or \
                 ask for `semantic_similarity` for each pair's value"
            ));
        }
    }
    let pairs = read_pairs(&args.input)?;
    let semantic = semantic_values(args, &pairs, &wanted)?;
    let mut text = String::new();
    if args.corpus {
        let wanted: Vec<&str> = if args.metrics.is_none() {
            ["bleu", "chrf"].into_iter().chain(WER_IDS).collect()
        } else {
            wanted
        };
        if pairs.is_empty() {
            return Err(format!("{}: no pairs to score", args.input.display()));
        }
        let mut corpus = score_corpus(&pairs, &wanted, args.stemmer);
        if let Some(values) = &semantic {
            let similarity: Vec<f64> = values.iter().map(|(s, _)| *s).collect();
            let coherence: Vec<Option<f64>> = values.iter().map(|(_, c)| *c).collect();
            for id in &wanted {
                let v = match *id {
                    "semantic_similarity" => crate::metrics::mean(&similarity),
                    "semantic_similarity_min" => {
                        similarity.iter().copied().fold(f64::INFINITY, f64::min)
                    }
                    // Coherence applies to no pair when every prediction is one sentence:
                    // null, as per line, never a mean of nothing.
                    "coherence" if coherence.iter().all(Option::is_none) => f64::NAN,
                    "coherence" => crate::metrics::mean_of(&coherence),
                    _ => continue,
                };
                // serde_json writes a non-finite number as null.
                corpus.insert(id.to_string(), Value::from(v));
            }
        }
        text.push_str(&Value::Object(corpus).to_string());
        text.push('\n');
    } else {
        // One ROUGE scorer per worker thread keeps each stem cache warm.
        let lines: Vec<String> = pairs
            .par_iter()
            .enumerate()
            .map_init(
                || RougeScorer::new(args.stemmer),
                |scorer, (n, p)| {
                    let mut line = score_line(p, &wanted, scorer);
                    if let Some(values) = &semantic {
                        let (similarity, coherence) = values[n];
                        for id in &wanted {
                            match *id {
                                "semantic_similarity" => {
                                    line.insert(id.to_string(), Value::from(similarity));
                                }
                                "coherence" => {
                                    line.insert(id.to_string(), Value::from(coherence));
                                }
                                _ => {}
                            }
                        }
                    }
                    Value::Object(line).to_string()
                },
            )
            .collect();
        for line in lines {
            text.push_str(&line);
            text.push('\n');
        }
    }
    match &args.output {
        Some(path) => crate::fsutil::write_atomic(path, text.as_bytes()).map_err(|e| e.to_string()),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .map_err(|e| format!("cannot write output: {e}"))
        }
    }
}
