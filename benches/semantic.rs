//! Speed of the in-process sentence embeddings (issue 14): all-MiniLM-L6-v2 over 1,000 texts of
//! about 60 words, cold (every text through the model) and from the embedding cache.
//!
//! `cargo bench --bench semantic` uses the model in `EVALGATE_EMBEDDING_MODEL` or where
//! `.ci/install-tools` unpacks it; without one it says so and exits. Texts are made from the
//! reference texts of `tests/data/semantic_reference.json` (sentences shuffled together to ~60
//! words each), so they are real English, not random tokens. Prints texts per second; with
//! `EVALGATE_BENCH_TEXTS=FILE` also writes the texts (a JSON array) there, for
//! `scripts/bench/semantic_speed.sh`, which times sentence-transformers on the same texts.

use std::time::Instant;

use evalgate::unstable::metrics::embedding::cache::{EmbeddingCache, embed_cached};
use evalgate::unstable::metrics::embedding::{EmbeddingModel, MODEL_ENV, default_model_folder};

fn main() {
    let folder = std::env::var_os(MODEL_ENV)
        .filter(|p| !p.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(default_model_folder)
        .filter(|f| f.join("model.safetensors").is_file());
    let Some(folder) = folder else {
        eprintln!("semantic bench: no model; set {MODEL_ENV} or run .ci/install-tools");
        return;
    };
    let count: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1000);
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/semantic_reference.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let words: Vec<&str> = reference["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| [p["a"].as_str().unwrap(), p["b"].as_str().unwrap()])
        .flat_map(str::split_whitespace)
        .collect();
    let texts: Vec<String> = (0..count)
        .map(|n| {
            (0..60)
                .map(|k| words[(n * 7919 + k * 104_729) % words.len()])
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    // The same texts for the sentence-transformers side of scripts/bench/semantic_speed.sh.
    if let Some(path) = std::env::var_os("EVALGATE_BENCH_TEXTS") {
        std::fs::write(&path, serde_json::to_string(&texts).unwrap()).unwrap();
    }

    let start = Instant::now();
    let model = EmbeddingModel::load(&folder).unwrap();
    println!(
        "load the model (read + hash + build): {:.2?}",
        start.elapsed()
    );

    let dir = tempfile::tempdir().unwrap();
    let cache = EmbeddingCache::new(dir.path().to_path_buf());
    let start = Instant::now();
    let cold = embed_cached(&model, Some(&cache), &refs).unwrap();
    let took = start.elapsed().as_secs_f64();
    println!(
        "cold: {count} texts of ~60 words in {took:.2} s = {:.0} texts/s ({} threads)",
        count as f64 / took,
        rayon::current_num_threads()
    );
    let start = Instant::now();
    let warm = embed_cached(&model, Some(&cache), &refs).unwrap();
    let took = start.elapsed().as_secs_f64();
    println!(
        "cached: {count} texts in {:.1} ms = {:.0} texts/s",
        took * 1e3,
        count as f64 / took
    );
    assert_eq!(cold, warm);
}
