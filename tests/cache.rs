//! The output cache and the generation runner: hits start no process, corrupted entries are
//! regenerated, concurrent runs do not duplicate work, results do not depend on concurrency,
//! locks left by interrupted runs are taken over, live ones are waited on.

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use evalgate::unstable::cache::{CacheKey, CacheLookup, LockOwner, OutputCache};
use evalgate::unstable::fsutil::sha256_hex;
use evalgate::unstable::generate::{GenerateOptions, GeneratedItem, GenerationStats, generate_all};
use evalgate::unstable::systems::command::CommandSystem;
use evalgate::unstable::systems::{Generation, System, SystemRequest};
use serde_json::{Value, json};

const INPUTS: [(&str, &str); 4] = [
    ("a", "first transcript"),
    ("b", "second transcript"),
    ("c", "third transcript"),
    ("d", "fourth transcript"),
];

struct Items {
    metadata: Value,
    hashes: Vec<String>,
}

impl Items {
    fn new() -> Self {
        Items {
            metadata: json!({"title": "t"}),
            hashes: INPUTS
                .iter()
                .map(|(_, i)| sha256_hex(i.as_bytes()))
                .collect(),
        }
    }

    /// The cache key of item `index` for a system with `fingerprint`.
    fn key(&self, fingerprint: &Value, index: usize) -> CacheKey {
        OutputCache::key(fingerprint, &self.requests()[index], &self.hashes[index])
    }

    fn requests(&self) -> Vec<SystemRequest<'_>> {
        INPUTS
            .iter()
            .map(|(id, input)| SystemRequest {
                item_id: id,
                input,
                metadata: &self.metadata,
                sample: 0,
                samples: 1,
                seed: 0,
            })
            .collect()
    }
}

/// The fixture command system in `mode` with a fresh cache, counting its starts.
struct Fixture {
    dir: tempfile::TempDir,
    cache: OutputCache,
    system: CommandSystem,
}

impl Fixture {
    fn new(mode: &str, batch: bool) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "command = [\"sh\", \"tests/fixtures/fake_system.sh\", \"{mode}\"]\nbatch = {batch}\n\
             env = {{ COUNT_FILE = \"{}\" }}",
            dir.path().join("count").display()
        );
        let table: toml::Table = toml::from_str(&text).unwrap();
        let system =
            CommandSystem::from_config("summ", &table, Path::new(env!("CARGO_MANIFEST_DIR")), &[])
                .unwrap();
        let cache = OutputCache::new(dir.path().join("cache"));
        Fixture { dir, cache, system }
    }

    /// How many processes the system started.
    fn starts(&self) -> usize {
        support::line_count(&self.dir.path().join("count"))
    }
}

fn run(
    system: &dyn System,
    items: &Items,
    cache: Option<&OutputCache>,
    refresh: bool,
    concurrency: usize,
) -> (Vec<GeneratedItem>, GenerationStats) {
    let options = GenerateOptions {
        cache,
        refresh_cache: refresh,
        concurrency,
        progress_label: "test::summ",
        limiter: None,
    };
    let (results, stats) = generate_all(
        system,
        &system.fingerprint(),
        &items.requests(),
        &items.hashes,
        &options,
    );
    let results = results.into_iter().map(|r| r.unwrap()).collect();
    (results, stats)
}

fn outputs(items: &[GeneratedItem]) -> Vec<&str> {
    items.iter().map(|i| i.generation.output.as_str()).collect()
}

#[test]
fn second_run_starts_no_process_and_gives_identical_results() {
    let f = Fixture::new("json", false);
    let items = Items::new();

    let (first, stats) = run(&f.system, &items, Some(&f.cache), false, 2);
    assert_eq!(f.starts(), 4);
    assert_eq!((stats.hits, stats.misses), (0, 4));
    assert!(
        first
            .iter()
            .all(|i| !i.cached && i.generation.latency_ms.is_some())
    );
    assert_eq!(
        outputs(&first),
        [
            "json summary of a",
            "json summary of b",
            "json summary of c",
            "json summary of d"
        ]
    );

    let (second, stats) = run(&f.system, &items, Some(&f.cache), false, 2);
    assert_eq!(f.starts(), 4, "a fully cached run starts no process");
    assert_eq!((stats.hits, stats.misses), (4, 0));
    assert!(stats.warnings.is_empty(), "{:?}", stats.warnings);
    assert!(second.iter().all(|i| i.cached));
    for (a, b) in first.iter().zip(&second) {
        // Same output, usage, cost and the original latency measurement.
        assert_eq!(a.generation, b.generation);
    }
    let saved: f64 = first.iter().map(|i| i.generation.latency_ms.unwrap()).sum();
    assert!((stats.saved_ms - saved).abs() < 1e-9);
}

#[test]
fn corrupted_entry_is_reported_and_regenerated() {
    let f = Fixture::new("plain", false);
    let items = Items::new();
    let (first, _) = run(&f.system, &items, Some(&f.cache), false, 1);

    // Truncate the entry of item `b`, and edit the output inside the entry of item `c`.
    let fp = f.system.fingerprint();
    let key_b = items.key(&fp, 1);
    let path_b = f.cache.entry_path(&key_b);
    let bytes = std::fs::read(&path_b).unwrap();
    std::fs::write(&path_b, &bytes[..bytes.len() / 2]).unwrap();
    let key_c = items.key(&fp, 2);
    let path_c = f.cache.entry_path(&key_c);
    let text = std::fs::read_to_string(&path_c).unwrap();
    std::fs::write(&path_c, text.replace("summary of c", "summary of X")).unwrap();
    assert!(matches!(f.cache.get(&key_b), CacheLookup::Corrupt(_)));
    assert!(matches!(f.cache.get(&key_c), CacheLookup::Corrupt(_)));

    let (second, stats) = run(&f.system, &items, Some(&f.cache), false, 1);
    assert_eq!((stats.hits, stats.misses), (2, 2));
    assert_eq!(stats.warnings.len(), 2, "{:?}", stats.warnings);
    assert!(
        stats
            .warnings
            .iter()
            .all(|w| w.contains("corrupted") && w.contains("regenerating"))
    );
    assert_eq!(f.starts(), 6);
    assert_eq!(outputs(&first), outputs(&second));
    assert!(!second[1].cached && !second[2].cached);
    // The regenerated entries are valid again.
    assert!(matches!(f.cache.get(&key_b), CacheLookup::Hit(_)));
    assert!(matches!(f.cache.get(&key_c), CacheLookup::Hit(_)));
}

#[test]
fn refresh_and_bypass_regenerate() {
    let f = Fixture::new("plain", false);
    let items = Items::new();
    run(&f.system, &items, Some(&f.cache), false, 4);
    let (_, stats) = run(&f.system, &items, Some(&f.cache), true, 4);
    assert_eq!((stats.hits, stats.misses), (0, 4));
    assert_eq!(f.starts(), 8);
    let (_, stats) = run(&f.system, &items, None, false, 4);
    assert_eq!((stats.hits, stats.misses), (0, 4));
    assert_eq!(f.starts(), 12);
}

#[test]
fn batch_system_is_cached_too() {
    let f = Fixture::new("batch", true);
    let items = Items::new();
    let (first, _) = run(&f.system, &items, Some(&f.cache), false, 4);
    assert_eq!(f.starts(), 1);
    let (second, stats) = run(&f.system, &items, Some(&f.cache), false, 4);
    assert_eq!(f.starts(), 1);
    assert_eq!(stats.hits, 4);
    assert_eq!(outputs(&first), outputs(&second));
}

#[test]
fn failures_are_errors_and_are_not_cached() {
    let f = Fixture::new("crash", false);
    let items = Items::new();
    let options = GenerateOptions {
        cache: Some(&f.cache),
        refresh_cache: false,
        concurrency: 2,
        progress_label: "test::crash",
        limiter: None,
    };
    for _ in 0..2 {
        let (results, stats) = generate_all(
            &f.system,
            &f.system.fingerprint(),
            &items.requests(),
            &items.hashes,
            &options,
        );
        assert_eq!(stats.misses, 4);
        for (result, (id, _)) in results.iter().zip(INPUTS) {
            let message = result.as_ref().unwrap_err().to_string();
            assert!(message.contains(&format!("item `{id}`")), "{message}");
        }
    }
    assert_eq!(f.starts(), 8);
}

/// An in-process system that counts calls and takes a little time, so runs overlap.
struct Counting {
    calls: AtomicUsize,
}

impl Counting {
    fn new() -> Counting {
        Counting {
            calls: AtomicUsize::new(0),
        }
    }
}

impl System for Counting {
    fn fingerprint(&self) -> Value {
        json!({"kind": "counting", "version": 1})
    }

    fn generate(&self, request: &SystemRequest<'_>) -> evalgate::Result<Generation> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(30));
        Ok(Generation::text(request.input.to_uppercase()))
    }
}

#[test]
fn results_do_not_depend_on_concurrency() {
    let items = Items::new();
    let system = Counting::new();
    let (one, _) = run(&system, &items, None, false, 1);
    let (many, _) = run(&system, &items, None, false, 8);
    assert_eq!(outputs(&one), outputs(&many));
    assert_eq!(outputs(&one)[3], "FOURTH TRANSCRIPT");
}

#[test]
fn concurrent_runs_sharing_a_cache_generate_each_item_once() {
    let dir = tempfile::tempdir().unwrap();
    let cache_dir: PathBuf = dir.path().join("cache");
    let items = Items::new();
    let system = Counting::new();
    let runs: Vec<Vec<GeneratedItem>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let cache = OutputCache::new(cache_dir.clone());
                let (system, items) = (&system, &items);
                scope.spawn(move || run(system, items, Some(&cache), false, 2).0)
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        system.calls.load(Ordering::SeqCst),
        4,
        "each item generated once"
    );
    for r in &runs {
        assert_eq!(outputs(r), outputs(&runs[0]));
    }
    let leftover_locks = support::files_under(&cache_dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "lock"))
        .count();
    assert_eq!(leftover_locks, 0);
}

#[test]
fn a_run_waits_for_an_item_another_run_is_generating() {
    let dir = tempfile::tempdir().unwrap();
    let cache = OutputCache::new(dir.path().join("cache"));
    let items = Items::new();
    let system = Counting::new();
    let key = items.key(&system.fingerprint(), 0);
    let lock = cache.try_lock(&key).unwrap().expect("lock is free");
    assert!(
        cache.try_lock(&key).unwrap().is_none(),
        "held locks are exclusive"
    );
    let (results, stats) = std::thread::scope(|scope| {
        let handle = scope.spawn(|| run(&system, &items, Some(&cache), false, 1));
        std::thread::sleep(Duration::from_millis(300));
        // The "other run" finishes item `a` and releases its lock.
        let mut done = Generation::text("made by the other run");
        done.latency_ms = Some(1234.0);
        cache.put(&key, &done).unwrap();
        drop(lock);
        handle.join().unwrap()
    });
    assert_eq!(system.calls.load(Ordering::SeqCst), 3);
    assert_eq!(results[0].generation.output, "made by the other run");
    assert!(results[0].cached);
    assert_eq!(results[0].generation.latency_ms, Some(1234.0));
    assert_eq!((stats.hits, stats.misses), (1, 3));
}

#[test]
fn a_stale_lock_is_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let cache = OutputCache::new(dir.path().join("cache")).with_stale_lock_after(Duration::ZERO);
    let items = Items::new();
    let key = items.key(&json!({}), 0);
    let abandoned = cache.try_lock(&key).unwrap().unwrap();
    std::mem::forget(abandoned); // a crashed run never removes its lock
    std::thread::sleep(Duration::from_millis(20));
    assert!(cache.try_lock(&key).unwrap().is_some());
}

/// Writes a lock file for `key` as another run would, saying `text`.
fn plant_lock(cache: &OutputCache, key: &CacheKey, text: &str) {
    let path = cache.entry_path(key).with_extension("lock");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The pid of a process that has exited and been reaped.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

fn this_host() -> String {
    LockOwner::current()
        .host
        .expect("this machine has a host name")
}

#[test]
fn a_lock_says_which_process_on_which_host_holds_it() {
    let dir = tempfile::tempdir().unwrap();
    let cache = OutputCache::new(dir.path().join("cache"));
    let items = Items::new();
    let key = items.key(&json!({}), 0);
    let lock = cache.try_lock(&key).unwrap().unwrap();
    assert_eq!(lock.took_over(), None);
    let text = std::fs::read_to_string(cache.entry_path(&key).with_extension("lock")).unwrap();
    assert_eq!(
        text,
        format!("pid {}\nhost {}\n", std::process::id(), this_host())
    );
    assert_eq!(LockOwner::parse(&text), LockOwner::current());
    let holder = cache.lock_holder(&key).expect("held by this live process");
    assert_eq!(holder.owner, LockOwner::current());
}

#[test]
fn a_lock_left_by_a_dead_process_of_this_host_is_taken_over_at_once() {
    let dir = tempfile::tempdir().unwrap();
    // The default stale age (10 minutes): only the dead pid can free the lock in time.
    let cache = OutputCache::new(dir.path().join("cache"));
    let items = Items::new();
    let system = Counting::new();
    let key = items.key(&system.fingerprint(), 1);
    let pid = dead_pid();
    plant_lock(&cache, &key, &format!("pid {pid}\nhost {}\n", this_host()));
    assert_eq!(cache.lock_holder(&key), None, "a dead owner holds nothing");

    let (results, stats) = run(&system, &items, Some(&cache), false, 1);
    assert_eq!(
        system.calls.load(Ordering::SeqCst),
        4,
        "item `b` generated here"
    );
    assert!(!results[1].cached);
    assert_eq!(stats.warnings.len(), 1, "{:?}", stats.warnings);
    let warning = &stats.warnings[0];
    assert!(
        warning.starts_with("item `b`: took over the cache lock"),
        "{warning}"
    );
    assert!(
        warning.contains(&format!(
            "pid {pid} on host `{}`, is no longer running",
            this_host()
        )),
        "{warning}"
    );
    assert!(!warning.contains("waited"), "{warning}");
    assert_eq!(cache.lock_holder(&key), None, "our lock was released");
    assert!(matches!(cache.get(&key), CacheLookup::Hit(_)));
}

#[test]
fn a_lock_of_a_running_process_is_waited_on_until_the_process_dies() {
    let dir = tempfile::tempdir().unwrap();
    let cache = OutputCache::new(dir.path().join("cache"));
    let items = Items::new();
    let system = Counting::new();
    let key = items.key(&system.fingerprint(), 0);
    // Another "run": a live process of this host that holds item `a`, then is killed (SIGKILL,
    // so it cannot clean up) before it stores anything.
    let mut owner = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .unwrap();
    let pid = owner.id();
    plant_lock(&cache, &key, &format!("pid {pid}\nhost {}\n", this_host()));
    let holder = cache
        .lock_holder(&key)
        .expect("a live owner holds the lock");
    assert_eq!(holder.owner.pid, Some(pid));

    let (results, stats) = std::thread::scope(|scope| {
        let handle = scope.spawn(|| run(&system, &items, Some(&cache), false, 1));
        // Items b, c, d are generated; `a` waits for its owner.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while system.calls.load(Ordering::SeqCst) < 3 {
            assert!(
                std::time::Instant::now() < deadline,
                "items b, c, d not generated"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(
            system.calls.load(Ordering::SeqCst),
            3,
            "item `a` was not waited for"
        );
        assert!(cache.lock_holder(&key).is_some());
        owner.kill().unwrap();
        owner.wait().unwrap();
        handle.join().unwrap()
    });
    assert_eq!(system.calls.load(Ordering::SeqCst), 4);
    assert_eq!(results[0].generation.output, "FIRST TRANSCRIPT");
    let waited = stats
        .warnings
        .iter()
        .find(|w| w.starts_with("waited "))
        .unwrap_or_else(|| panic!("no wait recorded: {:?}", stats.warnings));
    assert!(waited.contains("item `a`"), "{waited}");
    assert!(
        waited.contains(&format!("held by pid {pid} on host")),
        "{waited}"
    );
    assert!(
        stats
            .warnings
            .iter()
            .any(|w| w.starts_with("item `a`: took over") && w.contains("no longer running")),
        "{:?}",
        stats.warnings
    );
}

#[test]
fn locks_from_other_hosts_or_without_a_host_are_judged_by_age_only() {
    let dir = tempfile::tempdir().unwrap();
    let cache = OutputCache::new(dir.path().join("cache"));
    let items = Items::new();
    let key = items.key(&json!({}), 0);
    let pid = dead_pid();
    for text in [
        format!("pid {pid}\nhost another-machine.example\n"),
        format!("pid {pid}\n"),
        String::new(),
    ] {
        plant_lock(&cache, &key, &text);
        let holder = cache
            .lock_holder(&key)
            .unwrap_or_else(|| panic!("`{text}` was judged by a local pid"));
        assert_eq!(holder.owner, LockOwner::parse(&text));
        assert!(cache.try_lock(&key).unwrap().is_none(), "{text}");

        let aged = cache.clone().with_stale_lock_after(Duration::ZERO);
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(aged.lock_holder(&key), None);
        let lock = aged
            .try_lock(&key)
            .unwrap()
            .expect("an old lock is taken over");
        let note = lock.took_over().unwrap();
        assert!(note.contains("older than the 0 s"), "{note}");
        drop(lock);
    }
}

#[test]
fn key_depends_on_fingerprint_input_and_metadata() {
    let items = Items::new();
    let requests = items.requests();
    let base = OutputCache::key(&json!({"a": 1, "b": 2}), &requests[0], &items.hashes[0]);
    // Key order in the fingerprint does not matter.
    assert_eq!(
        base,
        OutputCache::key(&json!({"b": 2, "a": 1}), &requests[0], &items.hashes[0])
    );
    assert_ne!(
        base,
        OutputCache::key(&json!({"a": 1, "b": 3}), &requests[0], &items.hashes[0])
    );
    assert_ne!(
        base,
        OutputCache::key(&json!({"a": 1, "b": 2}), &requests[0], &items.hashes[1])
    );
    let other_meta = json!({"title": "u"});
    let mut changed = requests[0];
    changed.metadata = &other_meta;
    assert_ne!(
        base,
        OutputCache::key(&json!({"a": 1, "b": 2}), &changed, &items.hashes[0])
    );
}

/// Records the most calls in flight at once.
struct InFlight {
    now: AtomicUsize,
    max: AtomicUsize,
    limit: Option<usize>,
}

impl System for InFlight {
    fn fingerprint(&self) -> Value {
        json!({"kind": "in_flight"})
    }

    fn generate(&self, request: &SystemRequest<'_>) -> evalgate::Result<Generation> {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(100));
        self.now.fetch_sub(1, Ordering::SeqCst);
        Ok(Generation::text(request.item_id))
    }

    fn max_concurrency(&self) -> Option<usize> {
        self.limit
    }
}

#[test]
fn concurrency_is_the_systems_own_setting_else_the_option() {
    let items = Items::new();
    // A system's own setting wins in both directions (a command or openai system's
    // `concurrency = 8` is not capped by the runner's default of 4).
    for (option, limit, expected) in [(8, Some(2), 2), (3, None, 3), (1, Some(4), 4)] {
        let system = InFlight {
            now: AtomicUsize::new(0),
            max: AtomicUsize::new(0),
            limit,
        };
        let (results, _) = run(&system, &items, None, false, option);
        assert_eq!(outputs(&results), ["a", "b", "c", "d"]);
        let max = system.max.load(Ordering::SeqCst);
        let case = format!("concurrency {option}, system limit {limit:?}: {max} in flight");
        assert!(max <= expected, "{case}");
        // Parallel where allowed (exact counts could flake on a loaded machine).
        assert!(max >= expected.min(2), "{case}");
    }
}

#[test]
fn a_shared_limiter_holds_a_systems_concurrency_across_datasets() {
    // Two evaluations of one system at the same time (two datasets), its limit 1 in all.
    let system = InFlight {
        now: AtomicUsize::new(0),
        max: AtomicUsize::new(0),
        limit: Some(1),
    };
    let limiter = evalgate::unstable::generate::Limiter::new(1);
    let items = Items::new();
    std::thread::scope(|scope| {
        for label in ["a::sys", "b::sys"] {
            let (system, items, limiter) = (&system, &items, &limiter);
            scope.spawn(move || {
                let options = GenerateOptions {
                    cache: None,
                    refresh_cache: false,
                    concurrency: 4,
                    progress_label: label,
                    limiter: Some(limiter),
                };
                let (results, _) = generate_all(
                    system,
                    &system.fingerprint(),
                    &items.requests(),
                    &items.hashes,
                    &options,
                );
                assert!(results.iter().all(|r| r.is_ok()));
            });
        }
    });
    assert_eq!(system.max.load(Ordering::SeqCst), 1);
}
