//! A temp project, and harness runs on it.

use std::path::{Path, PathBuf};
use std::process::Command;

use evalgate::Harness;
use evalgate::results::RunResults;
use evalgate::unstable::harness::RunOutcome;

/// A project in a temp folder, removed when dropped. The project is `<temp>/project`; the temp
/// folder around it holds [`Project::scratch`] files, which are outside the project (a command
/// system's input files are the project's files, so a counter it writes must not be one).
///
/// ```ignore
/// let p = Project::new(SUITE);
/// p.dataset("demo_v1", ITEMS);
/// let out = p.run(&["smoke"]);
/// assert_eq!(p.accept(), 1);
/// ```
///
/// Runs write `out/results.json`, `out/junit.xml` and `out/libtest.log` (libtest's report) and
/// leave pending baselines in `baselines/*.snap.new`.
pub struct Project {
    tmp: tempfile::TempDir,
    /// The project folder, with `evalgate.toml`.
    pub root: PathBuf,
}

impl Project {
    /// An empty project folder.
    pub fn empty() -> Project {
        let tmp = tempfile::tempdir().expect("create a temp folder");
        let root = tmp.path().join("project");
        std::fs::create_dir_all(&root).expect("create the project folder");
        Project { tmp, root }
    }

    /// A project whose `evalgate.toml` is `suite`.
    pub fn new(suite: &str) -> Project {
        let p = Project::empty();
        p.write("evalgate.toml", suite);
        p
    }

    /// `<root>/<rel>`.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// A path in the temp folder beside the project, outside it.
    pub fn scratch(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// Writes `<root>/<rel>`, creating its folders; returns its path.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {rel}: {e}"));
        path
    }

    /// Copies the file `from` (with its permissions) to `<root>/<rel>`; returns its path.
    pub fn copy(&self, from: &Path, rel: &str) -> PathBuf {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::copy(from, &path).unwrap_or_else(|e| panic!("copy to {rel}: {e}"));
        path
    }

    /// Reads `<root>/<rel>`.
    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// Replaces `from` by `to` in `<root>/<rel>`, which must contain it.
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert!(text.contains(from), "`{from}` is not in {rel}:\n{text}");
        self.write(rel, text.replace(from, to));
    }

    /// Writes `datasets/<id>/dataset.json` (version 1, task `summarization`) with `items`, a
    /// JSON array, and no hashes; returns the dataset folder.
    pub fn manifest(&self, id: &str, items: &str) -> PathBuf {
        let file = self.write(
            &format!("datasets/{id}/dataset.json"),
            format!(r#"{{"id": "{id}", "version": 1, "task": "summarization", "items": {items}}}"#),
        );
        file.parent().unwrap().to_path_buf()
    }

    /// [`Project::manifest`], then the hashes, as `evalgate dataset hash` writes them (files an
    /// item names by `input_path` must be written first); returns the dataset folder.
    pub fn dataset(&self, id: &str, items: &str) -> PathBuf {
        let dir = self.manifest(id, items);
        evalgate::unstable::dataset::write_hashes(&dir)
            .unwrap_or_else(|e| panic!("hash dataset {id}: {e}"));
        dir
    }

    /// Makes the project a git repository.
    pub fn git_init(&self) {
        self.git(&["init", "-q"]);
    }

    /// Runs `git <args>` in the project (with a committer identity), which must succeed.
    pub fn git(&self, args: &[&str]) {
        let ok = Command::new("git")
            .arg("-C")
            .arg(&self.root)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    }

    /// Commits everything.
    pub fn commit(&self) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", "change"]);
    }

    /// `<root>/out`: where runs write.
    pub fn out_dir(&self) -> PathBuf {
        self.root.join("out")
    }

    /// A harness on this project's `evalgate.toml`, writing into `out/`; add plugins to it and
    /// pass it to [`Project::run_with`].
    pub fn harness(&self) -> Harness {
        Harness::new()
            .config(self.path("evalgate.toml"))
            .output_dir(self.out_dir())
    }

    /// Runs `harness` with the libtest arguments `args` (report in `out/libtest.log`).
    pub fn run_with(&self, harness: Harness, args: &[&str]) -> evalgate::Result<RunOutcome> {
        harness.run(&super::quiet_args(&self.out_dir(), args))
    }

    /// Runs [`Project::harness`]; panics on a setup error.
    pub fn run(&self, args: &[&str]) -> RunOutcome {
        self.run_with(self.harness(), args)
            .unwrap_or_else(|e| panic!("the run failed to start: {e}"))
    }

    /// The setup error of a run of [`Project::harness`], which must fail to start.
    pub fn run_err(&self, args: &[&str]) -> String {
        match self.run_with(self.harness(), args) {
            Ok(_) => panic!("expected a setup error, the run started"),
            Err(e) => e.to_string(),
        }
    }

    /// The results of a run of [`Project::harness`].
    pub fn results(&self, args: &[&str]) -> RunResults {
        self.run(args).results.expect("results (not a --list run)")
    }

    /// `out/results.json` as written.
    pub fn results_json(&self) -> String {
        self.read("out/results.json")
    }

    /// `out/junit.xml` as written.
    pub fn junit_xml(&self) -> String {
        self.read("out/junit.xml")
    }

    /// What `cargo insta accept` does: every pending `baselines/*.snap.new` becomes the
    /// baseline. Returns how many.
    pub fn accept(&self) -> usize {
        let pending = self.pending();
        for path in &pending {
            let accepted = path.with_extension("");
            std::fs::rename(path, accepted).unwrap();
        }
        pending.len()
    }

    /// The pending baselines, `baselines/*.snap.new`.
    pub fn pending(&self) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(self.path("baselines")) else {
            return Vec::new();
        };
        let mut pending: Vec<PathBuf> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "new"))
            .collect();
        pending.sort();
        pending
    }
}
