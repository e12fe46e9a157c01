//! The output cache: system outputs stored on disk, content-addressed by what determines them.
//!
//! Key: SHA-256 of the system fingerprint (canonical JSON, keys sorted), the item's input hash,
//! its id and its metadata (canonical JSON) — everything a system is given for an item — and, for
//! sample k ≥ 1 of an item (a system with `samples = N`), k. Entry:
//! `<dir>/<first two hex digits>/<key hex>.json`, a JSON object with the format tag, the key,
//! the generation and a checksum over both, so a truncated or edited entry is detected,
//! reported and regenerated. Writes are atomic (temporary file + rename).
//!
//! Concurrent runs sharing a cache coordinate with a per-key lock file (`<key hex>.lock`,
//! created with `create_new`): the run holding it generates; others wait for the entry instead
//! of generating the same output again. The lock file says who holds it (`pid N` and
//! `host NAME` lines, see [`LockOwner`]). A lock is taken to be abandoned by an interrupted run,
//! and is taken over:
//!
//! - at once when it was written on this machine (same host name) and its pid is no longer a
//!   running process (Unix: `kill(pid, 0)` fails with `ESRCH`);
//! - otherwise once it is older than [`OutputCache::stale_lock_after`] (10 minutes by default):
//!   a lock from another machine sharing the cache folder, one without a host line (older
//!   evalgate versions), or one whose process is running (it could be a reused pid).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result, SystemError};
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
    took_over: Option<String>,
}

impl CacheLock {
    /// When taking the lock meant taking over one left by another run: what it was and why it
    /// was judged abandoned.
    pub fn took_over(&self) -> Option<&str> {
        self.took_over.as_deref()
    }
}

/// Who holds a lock, as its lock file says (`pid N` and `host NAME` lines; either may be missing
/// in files written by older versions or cut short).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockOwner {
    /// Process id of the run holding the lock.
    pub pid: Option<u32>,
    /// Host name of the machine it runs on.
    pub host: Option<String>,
}

impl LockOwner {
    /// This process on this machine.
    pub fn current() -> Self {
        LockOwner {
            pid: Some(std::process::id()),
            host: this_host().map(str::to_owned),
        }
    }

    /// Reads the lines of a lock file; unknown lines are ignored.
    pub fn parse(text: &str) -> Self {
        let mut owner = LockOwner::default();
        for line in text.lines() {
            if let Some(pid) = line.strip_prefix("pid ") {
                owner.pid = pid.trim().parse().ok();
            } else if let Some(host) = line.strip_prefix("host ") {
                owner.host = Some(host.trim().to_string()).filter(|h| !h.is_empty());
            }
        }
        owner
    }

    /// The lock file's text.
    fn to_text(&self) -> String {
        let mut text = String::new();
        if let Some(pid) = self.pid {
            text.push_str(&format!("pid {pid}\n"));
        }
        if let Some(host) = &self.host {
            text.push_str(&format!("host {host}\n"));
        }
        text
    }

    /// Whether the owner is a process of this machine that is no longer running: `Some(true)`
    /// only when that is certain; `None` when it cannot be told from here.
    fn is_gone(&self) -> Option<bool> {
        let here = this_host()?;
        if self.host.as_deref() != Some(here) {
            return None;
        }
        process_is_running(self.pid?).map(|running| !running)
    }
}

impl std::fmt::Display for LockOwner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.pid, &self.host) {
            (Some(pid), Some(host)) => write!(f, "pid {pid} on host `{host}`"),
            (Some(pid), None) => write!(f, "pid {pid} (host unknown)"),
            (None, Some(host)) => write!(f, "a run on host `{host}` (pid unknown)"),
            (None, None) => write!(f, "a run that did not say who it is"),
        }
    }
}

/// A lock held by a live (or not provably dead) run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    /// Who it says it is.
    pub owner: LockOwner,
    /// How long ago the lock file was written.
    pub age: Duration,
}

/// What a lock file says.
enum LockState {
    /// No lock file.
    Free,
    /// Held by a run that may be alive.
    Held(LockHolder),
    /// Left by a run that is gone: why we think so.
    Abandoned(String),
}

/// This machine's host name, when it can be read.
fn this_host() -> Option<&'static str> {
    static HOST: OnceLock<Option<String>> = OnceLock::new();
    HOST.get_or_init(|| {
        #[cfg(unix)]
        let name = rustix::system::uname()
            .nodename()
            .to_string_lossy()
            .into_owned();
        #[cfg(not(unix))]
        let name = std::env::var("COMPUTERNAME").unwrap_or_default();
        let name = name.trim().to_string();
        (!name.is_empty() && !name.contains(['\n', '\r'])).then_some(name)
    })
    .as_deref()
}

/// Whether process `pid` of this machine is running; `None` when that cannot be told.
fn process_is_running(pid: u32) -> Option<bool> {
    #[cfg(unix)]
    {
        let pid = rustix::process::Pid::from_raw(i32::try_from(pid).ok()?)?;
        match rustix::process::test_kill_process(pid) {
            Ok(()) => Some(true),
            // It exists but belongs to another user.
            Err(rustix::io::Errno::PERM) => Some(true),
            Err(rustix::io::Errno::SRCH) => Some(false),
            Err(_) => None,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        None
    }
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

    /// The key of one item's output from one system. Each sample of an item
    /// ([`SystemRequest::sample`]) is an entry of its own: sample k ≥ 1 adds `sample=k` to the
    /// keyed material, while sample 0 keeps the key of a run with one sample, so raising a
    /// system's `samples` from 1 to N reuses the outputs already cached. (The number of samples
    /// is not part of the key: sample k is the same request whatever N is.)
    pub fn key(
        system_fingerprint: &Value,
        request: &SystemRequest<'_>,
        input_hash: &str,
    ) -> CacheKey {
        let mut material = format!(
            "{CACHE_FORMAT}\nsystem={}\ninput={input_hash}\nid={}\nmetadata={}",
            canonical_json(system_fingerprint),
            request.item_id,
            canonical_json(request.metadata)
        );
        if request.sample > 0 {
            material.push_str(&format!("\nsample={}", request.sample));
        }
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
        let text = serde_json::to_string(generation).map_err(|e| {
            Error::System(SystemError::new(format!("cannot encode cache entry: {e}")))
        })?;
        let entry = Entry {
            format: CACHE_FORMAT.to_string(),
            key: key.0.clone(),
            checksum: checksum(&key.0, &text),
            generation: text,
        };
        let bytes = serde_json::to_vec_pretty(&entry).map_err(|e| {
            Error::System(SystemError::new(format!("cannot encode cache entry: {e}")))
        })?;
        write_atomic(&self.entry_path(key), &bytes)
    }

    /// Takes the key's lock; `Ok(None)` when another run holds it. A lock left by a run that is
    /// gone (see the module docs) is taken over; [`CacheLock::took_over`] says so.
    pub fn try_lock(&self, key: &CacheKey) -> Result<Option<CacheLock>> {
        let path = self.lock_path(key);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, e))?;
        }
        let mut took_over = None;
        for _ in 0..3 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    let _ = file.write_all(LockOwner::current().to_text().as_bytes());
                    return Ok(Some(CacheLock { path, took_over }));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    match self.lock_state(&path) {
                        LockState::Held(_) => return Ok(None),
                        LockState::Free => {}
                        LockState::Abandoned(why) => {
                            let _ = std::fs::remove_file(&path);
                            took_over = Some(format!(
                                "took over the cache lock {} because {why}",
                                path.display()
                            ));
                        }
                    }
                }
                Err(e) => return Err(Error::write(&path, e)),
            }
        }
        Ok(None)
    }

    /// True while another run holds the key's lock (and has not abandoned it).
    pub fn is_locked(&self, key: &CacheKey) -> bool {
        self.lock_holder(key).is_some()
    }

    /// Who holds the key's lock, unless it is free or abandoned (see the module docs).
    pub fn lock_holder(&self, key: &CacheKey) -> Option<LockHolder> {
        match self.lock_state(&self.lock_path(key)) {
            LockState::Held(holder) => Some(holder),
            LockState::Free | LockState::Abandoned(_) => None,
        }
    }

    fn lock_state(&self, path: &Path) -> LockState {
        let text = match std::fs::read(path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return LockState::Free,
            // Unreadable: judged by its age alone.
            Err(_) => String::new(),
        };
        let owner = LockOwner::parse(&text);
        if owner.is_gone() == Some(true) {
            return LockState::Abandoned(format!("its owner, {owner}, is no longer running"));
        }
        let age = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| SystemTime::now().duration_since(modified).ok())
            .unwrap_or(Duration::ZERO);
        if age > self.stale_lock_after {
            return LockState::Abandoned(format!(
                "it is {} s old, older than the {} s after which a lock counts as abandoned \
                 (its owner, {owner}, cannot be checked from this machine or still runs)",
                age.as_secs(),
                self.stale_lock_after.as_secs()
            ));
        }
        LockState::Held(LockHolder { owner, age })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_sample_has_its_own_key_and_sample_0_keeps_the_unsampled_key() {
        let fingerprint = serde_json::json!({"kind": "command"});
        let meta = serde_json::json!({});
        let request = SystemRequest::new("ep01", "input", &meta);
        let key = |r: &SystemRequest<'_>| OutputCache::key(&fingerprint, r, "sha256:x");
        let unsampled = key(&request);
        assert_eq!(key(&request.sampled(0, 5)), unsampled);
        let keys: std::collections::BTreeSet<CacheKey> =
            (0..5).map(|k| key(&request.sampled(k, 5))).collect();
        assert_eq!(keys.len(), 5);
        // Sample k is the same request whatever the number of samples.
        assert_eq!(key(&request.sampled(2, 3)), key(&request.sampled(2, 5)));
    }
}
