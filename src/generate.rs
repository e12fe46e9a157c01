//! Generating outputs for a dataset: runs a system over all items.
//! (Placeholder runner; the full runner with cache, concurrency and progress replaces it.)

use crate::error::Result;
use crate::systems::{Generation, System, SystemRequest};

/// Options for [`generate_all`].
pub struct GenerateOptions<'a> {
    /// Label for progress output.
    pub progress_label: &'a str,
    /// Maximum items generated at once.
    pub concurrency: usize,
}

/// One generated output.
pub struct GeneratedItem {
    /// The output and what it cost.
    pub generation: Generation,
    /// Whether it came from the cache.
    pub cached: bool,
}

/// Cache statistics of a generation run.
#[derive(Debug, Clone, Default)]
pub struct GenerationStats {
    /// Cache hits.
    pub hits: usize,
    /// Cache misses.
    pub misses: usize,
    /// Milliseconds saved by hits.
    pub saved_ms: f64,
    /// Warnings (corrupted cache entries, ...).
    pub warnings: Vec<String>,
}

/// Generates the output of every request, in request order.
pub fn generate_all(
    system: &dyn System,
    _system_fingerprint: &serde_json::Value,
    requests: &[SystemRequest<'_>],
    _input_hashes: &[String],
    _options: &GenerateOptions<'_>,
) -> (Vec<Result<GeneratedItem>>, GenerationStats) {
    let out = requests
        .iter()
        .map(|r| {
            let start = std::time::Instant::now();
            system.generate(r).map(|mut g| {
                g.latency_ms
                    .get_or_insert(start.elapsed().as_secs_f64() * 1000.0);
                GeneratedItem {
                    generation: g,
                    cached: false,
                }
            })
        })
        .collect();
    (
        out,
        GenerationStats {
            misses: requests.len(),
            ..Default::default()
        },
    )
}
