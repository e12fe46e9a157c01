//! The output cache: system outputs stored on disk, content-addressed by what determines them.
//!
//! Key: SHA-256 of the system fingerprint (canonical JSON, keys sorted), the item's input hash,
//! its id and its metadata (canonical JSON) — everything a system is given for an item. Entry:
//! `<dir>/<first two hex digits>/<key hex>.json`, a JSON object with the format tag, the key,
//! the generation and a checksum over both, so a truncated or edited entry is detected,
//! reported and regenerated. Writes are atomic (temporary file + rename).
//!
//! Concurrent runs sharing a cache coordinate with a per-key lock file (`<key hex>.lock`,
//! created with `create_new`): the run holding it generates; others wait for the entry instead
//! of generating the same output again. A lock older than [`OutputCache::stale_lock_after`] is
//! taken to be left by a crashed run and is taken over.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::fsutil::{sha256_hex, write_atomic};
use crate::systems::{Generation, SystemRequest};

/// Format tag written in every entry.
pub const CACHE_FORMAT: &str = "evalgate.cache/v1";

/// A cache of system outputs in one folder.
#[derive(Debug, Clone)]
pub struct OutputCache {
    dir: PathBuf,
    stale_lock_after: Duration,
}

/// The address of one output in the cache (64 lowercase hex digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CacheKey(String);

impl CacheKey {
    /// The key as hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a lookup found.
#[derive(Debug, Clone, PartialEq)]
pub enum CacheLookup {
    /// A valid entry.
    Hit(Generation),
    /// No entry.
    Miss,
    /// An entry that is truncated, edited or unreadable; the message says which file and why.
    /// Treat as a miss (the entry is overwritten when regenerated).
    Corrupt(String),
}

/// A held per-key lock; released (file removed) when dropped.
#[derive(Debug)]
pub struct CacheLock {
    path: PathBuf,
}

impl Drop for CacheLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[derive(Serialize, Deserialize)]
struct Entry {
    format: String,
    key: String,
    /// The generation as JSON text, kept as text so the checksum covers exact bytes.
    generation: String,
    checksum: String,
}

impl OutputCache {
    /// A cache in `dir` (created on first write). The default place is
    /// `<target dir>/evalgate-cache`; CI can keep the folder between runs with a cache action.
    pub fn new(dir: PathBuf) -> Self {
        OutputCache {
            dir,
            stale_lock_after: Duration::from_secs(600),
        }
    }

    /// The default cache folder: `evalgate-cache` in Cargo's target folder (`CARGO_TARGET_DIR`
    /// when set, taken relative to `project_root` if relative; else `<project_root>/target`).
    pub fn default_dir(project_root: &Path) -> PathBuf {
        let target = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) if !dir.is_empty() => project_root.join(dir),
            _ => project_root.join("target"),
        };
        target.join("evalgate-cache")
    }

    /// Sets the age after which another run's lock is considered abandoned (default 10 min).
    pub fn with_stale_lock_after(mut self, age: Duration) -> Self {
        self.stale_lock_after = age;
        self
    }

    /// The age after which another run's lock is considered abandoned.
    pub fn stale_lock_after(&self) -> Duration {
        self.stale_lock_after
    }

    /// The cache folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The key of one item's output from one system.
    pub fn key(
        system_fingerprint: &Value,
        request: &SystemRequest<'_>,
        input_hash: &str,
    ) -> CacheKey {
        let material = format!(
            "{CACHE_FORMAT}\nsystem={}\ninput={input_hash}\nid={}\nmetadata={}",
            canonical_json(system_fingerprint),
            request.item_id,
            canonical_json(request.metadata)
        );
        let hash = sha256_hex(material.as_bytes());
        CacheKey(hash.trim_start_matches("sha256:").to_string())
    }

    /// The entry file of a key.
    pub fn entry_path(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(&key.0[..2]).join(format!("{}.json", key.0))
    }

    fn lock_path(&self, key: &CacheKey) -> PathBuf {
        self.dir.join(&key.0[..2]).join(format!("{}.lock", key.0))
    }

    /// Looks a key up.
    pub fn get(&self, key: &CacheKey) -> CacheLookup {
        let path = self.entry_path(key);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return CacheLookup::Miss,
            Err(e) => {
                return CacheLookup::Corrupt(format!(
                    "cache entry {} cannot be read ({e}); regenerating it",
                    path.display()
                ));
            }
        };
        let corrupt = |why: &str| {
            CacheLookup::Corrupt(format!(
                "cache entry {} is corrupted ({why}); regenerating it",
                path.display()
            ))
        };
        let entry: Entry = match serde_json::from_slice(&bytes) {
            Ok(e) => e,
            Err(e) => return corrupt(&format!("not a valid entry: {e}")),
        };
        if entry.format != CACHE_FORMAT {
            return corrupt(&format!(
                "format `{}`, expected `{CACHE_FORMAT}`",
                entry.format
            ));
        }
        if entry.key != key.0 {
            return corrupt("it holds another key");
        }
        if entry.checksum != checksum(&entry.key, &entry.generation) {
            return corrupt("checksum mismatch");
        }
        match serde_json::from_str::<Generation>(&entry.generation) {
            Ok(generation) => CacheLookup::Hit(generation),
            Err(e) => corrupt(&format!("generation does not parse: {e}")),
        }
    }

    /// Stores an output atomically.
    pub fn put(&self, key: &CacheKey, generation: &Generation) -> Result<()> {
        let text = serde_json::to_string(generation)
            .map_err(|e| Error::System(format!("cannot encode cache entry: {e}")))?;
        let entry = Entry {
            format: CACHE_FORMAT.to_string(),
            key: key.0.clone(),
            checksum: checksum(&key.0, &text),
            generation: text,
        };
        let bytes = serde_json::to_vec_pretty(&entry)
            .map_err(|e| Error::System(format!("cannot encode cache entry: {e}")))?;
        write_atomic(&self.entry_path(key), &bytes)
    }

    /// Takes the key's lock; `Ok(None)` when another run holds it (and it is not stale).
    pub fn try_lock(&self, key: &CacheKey) -> Result<Option<CacheLock>> {
        let path = self.lock_path(key);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, e))?;
        }
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    let _ = writeln!(file, "pid {}", std::process::id());
                    return Ok(Some(CacheLock { path }));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if self.lock_is_stale(&path) {
                        let _ = std::fs::remove_file(&path);
                        continue;
                    }
                    return Ok(None);
                }
                Err(e) => return Err(Error::write(&path, e)),
            }
        }
        Ok(None)
    }

    /// True while another run holds the key's lock (and it is not stale).
    pub fn is_locked(&self, key: &CacheKey) -> bool {
        let path = self.lock_path(key);
        path.exists() && !self.lock_is_stale(&path)
    }

    fn lock_is_stale(&self, path: &Path) -> bool {
        let Ok(meta) = std::fs::metadata(path) else {
            return false;
        };
        let Ok(modified) = meta.modified() else {
            return false;
        };
        SystemTime::now()
            .duration_since(modified)
            .map(|age| age > self.stale_lock_after)
            .unwrap_or(false)
    }
}

fn checksum(key: &str, generation_json: &str) -> String {
    sha256_hex(format!("{key}\n{generation_json}").as_bytes())
}

/// JSON text with object keys sorted at every level, so equal values give equal text whatever
/// order their keys were inserted in.
pub fn canonical_json(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut out = serde_json::Map::new();
                for k in keys {
                    out.insert(k.clone(), sorted(&map[k]));
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}
