//! Systems under test: the trait every system implements (built-in, command, HTTP, replay, or a
//! user's in-process Rust type) and the data they exchange with the harness.

use serde::{Deserialize, Serialize};

use crate::error::Result;

pub mod builtin;
pub mod changes;
pub mod command;
pub mod factory;
pub mod inputs;
pub mod openai;
pub mod replay;

/// What a system gets for one dataset item (one sample of it, when the system's
/// `samples = N` asks for several outputs per item).
///
/// With `samples = N` every item is requested N times, with `sample` 0 to N − 1 and a `seed`
/// that differs per sample; each sample is generated, cached and scored on its own. A system
/// whose output is random (a sampled LLM, ASR with temperature) should draw it from `seed`, so
/// that sample k is reproducible; a deterministic system may ignore both fields.
#[derive(Debug, Clone, Copy)]
pub struct SystemRequest<'a> {
    /// Dataset item id.
    pub item_id: &'a str,
    /// The item's input text (e.g. a transcript).
    pub input: &'a str,
    /// The item's metadata from the dataset.
    pub metadata: &'a serde_json::Value,
    /// Which sample of the item this is: 0-based, below `samples` (always 0 with one sample).
    pub sample: u32,
    /// How many samples of each item the run asks for (the system's `samples`, default 1).
    pub samples: u32,
    /// The seed of this sample: the sample index k. Kinds with a seed setting of their own add
    /// it (an `openai` system sends its `seed` + k when `samples` > 1).
    pub seed: u64,
}

impl<'a> SystemRequest<'a> {
    /// The request for an item's only sample (sample 0 of 1, seed 0).
    pub fn new(item_id: &'a str, input: &'a str, metadata: &'a serde_json::Value) -> Self {
        SystemRequest {
            item_id,
            input,
            metadata,
            sample: 0,
            samples: 1,
            seed: 0,
        }
    }

    /// The request for sample `sample` of `samples` of an item, with the seed `sample`.
    pub fn sampled(self, sample: u32, samples: u32) -> Self {
        SystemRequest {
            sample,
            samples,
            seed: u64::from(sample),
            ..self
        }
    }

    /// The id that names this output in messages and scoring: the item id with one sample,
    /// `<id>@<k>` with several.
    pub fn output_id(&self) -> String {
        output_id(self.item_id, self.sample, self.samples)
    }
}

/// The id naming sample `sample` of `samples` of item `item_id`: the item id itself with one
/// sample, `<id>@<k>` with several.
pub fn output_id(item_id: &str, sample: u32, samples: u32) -> String {
    if samples > 1 {
        format!("{item_id}@{sample}")
    } else {
        item_id.to_string()
    }
}

/// Token usage reported by a provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Completion tokens.
    pub output_tokens: u64,
}

/// One system output with what it cost to make.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Generation {
    /// The output text (the prediction that metrics score).
    pub output: String,
    /// Wall-clock time of generation in milliseconds, when measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// Provider-reported token usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Cost in US dollars, when the system reports it directly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    /// Problems met while producing this output that did not stop it (a retried HTTP call), for
    /// the console and the reports. Not cached: a cache hit met no problem.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

impl Generation {
    /// A plain text output with nothing else measured.
    pub fn text(output: impl Into<String>) -> Self {
        Generation {
            output: output.into(),
            ..Default::default()
        }
    }
}

/// A system under test.
pub trait System: Send + Sync {
    /// Everything that determines this system's output (kind, parameters, model, prompts, the
    /// hashes of the files it reads, evalgate's version for built-ins), never secrets, as a JSON
    /// object. It keys the output cache, and the baseline keeps it, so a run reports what changed
    /// since the baseline key by key (`params.sentences 3 → 2`). Keep it stable across machines
    /// (no absolute paths, no timestamps).
    fn fingerprint(&self) -> serde_json::Value;

    /// True when [`System::fingerprint`] changes whenever the system's code does — it names a
    /// version you bump with every change, or hashes the code. When false (the default), the
    /// output cache of a Rust system registered with [`crate::Harness::system`] is also keyed on
    /// a hash of the running test executable, so rebuilding with edited code never serves
    /// outputs cached before the edit; the price is a cache miss after any rebuild. (Built-in,
    /// command, openai and replay systems fingerprint their code or files themselves.)
    fn fingerprint_covers_code(&self) -> bool {
        false
    }

    /// Produces the output for one item, or one sample of it: `request.sample` and
    /// `request.seed` say which (see [`SystemRequest`]); a system with random outputs should
    /// seed its randomness with `request.seed`.
    fn generate(&self, request: &SystemRequest<'_>) -> Result<Generation>;

    /// Produces the outputs for several items, one result per request in the same order.
    /// The default calls [`System::generate`] for each item in turn and measures its latency
    /// when the system did not report one. Systems that load a model once (a command in batch
    /// mode) override it.
    fn generate_batch(&self, requests: &[SystemRequest<'_>]) -> Vec<Result<Generation>> {
        requests
            .iter()
            .map(|request| {
                let started = std::time::Instant::now();
                let mut generation = self.generate(request)?;
                if generation.latency_ms.is_none() {
                    generation.latency_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
                }
                Ok(generation)
            })
            .collect()
    }

    /// True when the runner should hand all uncached items to [`System::generate_batch`] in one
    /// call instead of calling [`System::generate`] concurrently.
    fn prefers_batch(&self) -> bool {
        false
    }

    /// The most items this system should generate at once (e.g. a provider's rate limit);
    /// `None` leaves it to the runner's setting.
    fn max_concurrency(&self) -> Option<usize> {
        None
    }

    /// The model name used to look up prices in the pricing table, when the system has one.
    fn model(&self) -> Option<&str> {
        None
    }

    /// False when outputs are not worth caching (e.g. replayed from a file already).
    fn cacheable(&self) -> bool {
        true
    }

    /// Checks, before generating, that the system can serve exactly these dataset items (a
    /// replay file must hold one prediction per item). The default accepts any items.
    fn check_items(&self, _dataset_item_ids: &[&str]) -> Result<()> {
        Ok(())
    }
}
