//! The embedding cache: sentence embeddings on disk, content-addressed, so a re-run embeds
//! nothing.
//!
//! Key: SHA-256 of the source's identity hash ([`super::Embedder::cache_identity`]; for a local
//! model [`super::ModelIdentity::hash`]: the SHA-256 of `model.safetensors`, `tokenizer.json`
//! and `config.json`, the pooling modes, normalisation, `max_seq_length`, `do_lower_case` and
//! [`super::EMBEDDING_CODE_VERSION`]; for an `/v1/embeddings` endpoint its base URL and model
//! name) and the text — all that determines the vector, so an entry is never stale (an endpoint
//! is trusted to serve the same model under the same name). Entry:
//! `<dir>/<first two hex digits>/<key hex>.emb`, binary: the magic `EGEMB1\n`, one byte (1 when
//! the text was truncated), the vector's length (u32, little-endian), the float32 values
//! (little-endian) and the first 16 bytes of the SHA-256 of the key and everything before it, so
//! a truncated or edited entry is detected and recomputed. Writes are atomic (temporary file +
//! rename); a failed write only costs a recomputation next time.
//!
//! Folder: `EVALGATE_EMBEDDING_CACHE` when set (empty or `off`: no cache), else
//! `$XDG_CACHE_HOME/evalgate/embeddings`, else `$HOME/.cache/evalgate/embeddings`. Embeddings
//! depend on the model and the text only, so one folder serves every project of a user.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Embedder, Embedding};
use crate::error::Result;

/// Environment variable naming the cache folder (`off` or empty: no cache).
pub const CACHE_ENV: &str = "EVALGATE_EMBEDDING_CACHE";

const MAGIC: &[u8] = b"EGEMB1\n";

/// A folder of cached embeddings.
#[derive(Debug, Clone)]
pub struct EmbeddingCache {
    dir: PathBuf,
}

impl EmbeddingCache {
    /// A cache in `dir` (created when first written).
    pub fn new(dir: PathBuf) -> Self {
        EmbeddingCache { dir }
    }

    /// The default cache, per [`CACHE_ENV`] and the user's cache folder (see the module docs);
    /// `None` when switched off or no folder is known.
    pub fn default_location() -> Option<Self> {
        if let Some(dir) = std::env::var_os(CACHE_ENV) {
            if dir.is_empty() || dir == "off" {
                return None;
            }
            return Some(EmbeddingCache::new(PathBuf::from(dir)));
        }
        let base = super::user_cache_dir()?;
        Some(EmbeddingCache::new(
            base.join("evalgate").join("embeddings"),
        ))
    }

    /// The cache folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The key of `text` under the model with identity hash `model_hash` (64 hex digits).
    pub fn key(model_hash: &str, text: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"evalgate.embedding/v1\0");
        hasher.update(model_hash.as_bytes());
        hasher.update(b"\0");
        hasher.update(text.as_bytes());
        super::hex(&hasher.finalize())
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(&key[..2]).join(format!("{key}.emb"))
    }

    /// The cached embedding for `key`; `None` when absent or damaged (then recomputed and
    /// overwritten).
    pub fn get(&self, key: &str) -> Option<Embedding> {
        let bytes = std::fs::read(self.path(key)).ok()?;
        decode(key, &bytes)
    }

    /// Stores an embedding (atomically). Errors are I/O errors naming the file.
    pub fn put(&self, key: &str, embedding: &Embedding) -> Result<()> {
        crate::fsutil::write_atomic(&self.path(key), &encode(key, embedding))
    }
}

fn checksum(key: &str, body: &[u8]) -> [u8; 16] {
    let mut hasher = Sha256::new();
    hasher.update(key.as_bytes());
    hasher.update(body);
    let digest = hasher.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

fn encode(key: &str, embedding: &Embedding) -> Vec<u8> {
    let mut body = Vec::with_capacity(MAGIC.len() + 5 + 4 * embedding.vector.len() + 16);
    body.extend_from_slice(MAGIC);
    body.push(u8::from(embedding.truncated));
    body.extend_from_slice(&(embedding.vector.len() as u32).to_le_bytes());
    for x in &embedding.vector {
        body.extend_from_slice(&x.to_le_bytes());
    }
    let sum = checksum(key, &body);
    body.extend_from_slice(&sum);
    body
}

fn decode(key: &str, bytes: &[u8]) -> Option<Embedding> {
    let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(16)?)?;
    if checksum(key, body) != sum {
        return None;
    }
    let rest = body.strip_prefix(MAGIC)?;
    let (&flag, rest) = rest.split_first()?;
    let (len, rest) = rest.split_at_checked(4)?;
    let len = u32::from_le_bytes(len.try_into().ok()?) as usize;
    if rest.len() != len * 4 || flag > 1 {
        return None;
    }
    let vector = rest
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Some(Embedding {
        vector,
        truncated: flag == 1,
    })
}

/// Embeds `texts` with `model` (a local model or an endpoint), reading and writing `cache` when
/// given: one [`Embedding`] per text, in order. Equal texts are embedded once. Only the texts
/// missing from the cache go through the model, in one call; a cache write that fails is
/// ignored (the next run recomputes). Errors are the model's; an answer with another number of
/// vectors than texts asked is an error too.
pub fn embed_cached<E: Embedder + ?Sized>(
    model: &E,
    cache: Option<&EmbeddingCache>,
    texts: &[&str],
) -> Result<Vec<Embedding>> {
    use std::collections::HashMap;
    let model_hash = model.cache_identity();
    let mut unique: Vec<&str> = Vec::new();
    let mut index_of: HashMap<&str, usize> = HashMap::new();
    let slots: Vec<usize> = texts
        .iter()
        .map(|t| {
            *index_of.entry(t).or_insert_with(|| {
                unique.push(t);
                unique.len() - 1
            })
        })
        .collect();
    let keys: Vec<String> = unique
        .iter()
        .map(|t| EmbeddingCache::key(&model_hash, t))
        .collect();
    let mut found: Vec<Option<Embedding>> = match cache {
        Some(cache) => keys.iter().map(|k| cache.get(k)).collect(),
        None => vec![None; unique.len()],
    };
    let missing: Vec<usize> = (0..unique.len()).filter(|&i| found[i].is_none()).collect();
    if !missing.is_empty() {
        let wanted: Vec<&str> = missing.iter().map(|&i| unique[i]).collect();
        let computed = model.embeddings(&wanted)?;
        if computed.len() != wanted.len() {
            return Err(crate::error::Error::Metric(crate::error::MetricError::new(
                format!(
                    "the embedding source gave {} vectors for {} texts",
                    computed.len(),
                    wanted.len()
                ),
            )));
        }
        for (&i, embedding) in missing.iter().zip(computed) {
            if let Some(cache) = cache {
                let _ = cache.put(&keys[i], &embedding);
            }
            found[i] = Some(embedding);
        }
    }
    Ok(slots
        .into_iter()
        .map(|i| found[i].clone().expect("every unique text is embedded"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_damage_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let cache = EmbeddingCache::new(dir.path().to_path_buf());
        let key = EmbeddingCache::key("model", "text");
        assert_eq!(key.len(), 64);
        assert_ne!(key, EmbeddingCache::key("model2", "text"));
        assert!(cache.get(&key).is_none());
        let e = Embedding {
            vector: vec![0.5, -1.25, 3.0],
            truncated: true,
        };
        cache.put(&key, &e).unwrap();
        assert_eq!(cache.get(&key), Some(e.clone()));
        let path = cache.path(&key);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[MAGIC.len() + 6] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(cache.get(&key).is_none(), "an edited entry is a miss");
        std::fs::write(&path, &bytes[..10]).unwrap();
        assert!(cache.get(&key).is_none(), "a truncated entry is a miss");
        // Another key's entry copied over this one is a miss too.
        let other = EmbeddingCache::key("model", "other");
        cache.put(&other, &e).unwrap();
        std::fs::copy(cache.path(&other), &path).unwrap();
        assert!(cache.get(&key).is_none());
    }
}
