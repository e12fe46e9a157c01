//! The project files a `command` system's output may depend on, with their content hashes.
//!
//! A command system runs a program from the project (a script and the modules it imports, its
//! prompts, a config file), so its fingerprint — and therefore its output-cache key and what its
//! baseline records — covers those files. Which files:
//!
//! - **Default** (no `inputs` key): every file git tracks in the project (the folder of the suite
//!   file and below) plus the untracked, not-ignored files under the command's `workdir`; except
//!   the datasets folder, the baselines folder, the output-cache folder and the suite file itself
//!   (their content is fingerprinted separately, or does not determine outputs), and Python's
//!   compiled files (`__pycache__/`, `*.pyc`), which follow the sources. Files modified in
//!   the working tree count as they are on disk: users edit and run before they commit.
//! - **`inputs = ["summarizer/**/*.py", "prompts/*.txt"]`**: exactly the files matching these glob
//!   patterns (relative to the project root; `**` spans folders; a pattern naming a folder takes
//!   every file below it), tracked, untracked or git-ignored alike. Each pattern must match at
//!   least one file.
//!
//! Hashes are git blob ids (`git:<sha1>`, from the index for unmodified tracked files, from `git
//! hash-object` otherwise, so a file keeps its hash when it is committed). Outside a git work
//! tree, or without git, the default set is every file below the project root except hidden
//! folders and `target/`, hashed with SHA-256 (`sha256:<hex>`).
//!
//! What no file fingerprint can see: programs and packages outside the project (the Python
//! interpreter, a pip package, a system library) and remote models. For those, put a version
//! string in the system's `params` or run with `EVALGATE_CACHE=refresh`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{ConfigError, Error, Result, SystemError};
use crate::fsutil::sha256_hex;

/// Most files the fallback walk (no git) fingerprints before asking for `inputs`.
pub const MAX_WALKED_FILES: usize = 20_000;

/// Where to look for a command system's input files.
#[derive(Debug, Clone)]
pub struct InputScope<'a> {
    /// The project root (folder of the suite file).
    pub root: &'a Path,
    /// The command's working folder (untracked files below it count by default).
    pub workdir: &'a Path,
    /// The `inputs` glob patterns, when the system sets them.
    pub patterns: Option<&'a [String]>,
    /// Files and folders left out of the default set (datasets, baselines, cache, suite file).
    pub exclude: &'a [PathBuf],
}

/// The files of `scope` with their hashes, keyed by path relative to the project root (`/`
/// separators). Errors name the pattern that matched nothing, or the git command that failed.
pub fn input_files(scope: &InputScope<'_>) -> Result<BTreeMap<String, String>> {
    let git = Git::at(scope.root);
    match scope.patterns {
        Some(patterns) => pattern_files(scope, patterns, git.as_ref()),
        None => match &git {
            Some(git) => default_git_files(scope, git),
            None => walked_files(scope),
        },
    }
}

/// A git work tree containing the project root.
struct Git {
    root: PathBuf,
}

/// What `git -C <dir> rev-parse <args>` prints, trimmed; `None` when git does not run or fails
/// (no git, or `dir` outside a work tree).
pub(crate) fn rev_parse(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .arg("rev-parse")
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The top folder of the git work tree holding `dir` (`git rev-parse --show-toplevel`), when
/// git runs and `dir` is inside a work tree.
pub fn work_tree_root(dir: &Path) -> Option<PathBuf> {
    rev_parse(dir, &["--show-toplevel"])
        .filter(|top| !top.is_empty())
        .map(PathBuf::from)
}

impl Git {
    /// `Some` when `git` runs and `root` is inside a work tree.
    fn at(root: &Path) -> Option<Git> {
        (rev_parse(root, &["--is-inside-work-tree"]).as_deref() == Some("true")).then(|| Git {
            root: root.to_path_buf(),
        })
    }

    /// Runs `git -C <root> <args>` and returns stdout; an error names the command.
    fn run(&self, args: &[&str], stdin: Option<&[u8]>) -> Result<Vec<u8>> {
        let shown = format!("git {}", args.join(" "));
        let failed = |why: String| {
            Error::System(SystemError::new(format!(
                "cannot list the files a command system reads: `{shown}` in {} {why}; set \
                 `inputs` on the system to name its files",
                self.root.display()
            )))
        };
        let mut child = Command::new("git")
            .arg("-C")
            .arg(&self.root)
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| failed(format!("could not start: {e}")))?;
        if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
            let bytes = bytes.to_vec();
            // Written from a thread so a large answer on stdout cannot deadlock the write.
            std::thread::spawn(move || {
                let _ = pipe.write_all(&bytes);
            });
        }
        let out = child
            .wait_with_output()
            .map_err(|e| failed(format!("failed: {e}")))?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            return Err(failed(format!(
                "failed ({}): {}",
                out.status,
                stderr.lines().next().unwrap_or("")
            )));
        }
        Ok(out.stdout)
    }

    /// NUL-separated paths printed by `git ls-files -z ...`, relative to the root.
    fn list(&self, args: &[&str]) -> Result<Vec<String>> {
        let out = self.run(args, None)?;
        Ok(out
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect())
    }

    /// Blob ids of files on disk as git would store them (`git hash-object --stdin-paths`,
    /// filters applied), in the order given.
    fn hash_objects(&self, paths: &[String]) -> Result<Vec<String>> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let mut stdin = paths.join("\n");
        stdin.push('\n');
        let out = self.run(&["hash-object", "--stdin-paths"], Some(stdin.as_bytes()))?;
        let ids: Vec<String> = String::from_utf8_lossy(&out)
            .lines()
            .map(|l| format!("git:{}", l.trim()))
            .collect();
        if ids.len() != paths.len() {
            return Err(Error::System(SystemError::new(format!(
                "`git hash-object` answered {} hashes for {} files in {}",
                ids.len(),
                paths.len(),
                self.root.display()
            ))));
        }
        Ok(ids)
    }
}

/// Tracked files (index blob ids), with modified and untracked ones hashed from disk.
fn default_git_files(scope: &InputScope<'_>, git: &Git) -> Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    let staged = git.run(&["ls-files", "-s", "-z"], None)?;
    for entry in staged.split(|b| *b == 0).filter(|e| !e.is_empty()) {
        // `<mode> <object> <stage>\t<path>`
        let entry = String::from_utf8_lossy(entry);
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let mut fields = meta.split(' ');
        let mode = fields.next().unwrap_or_default();
        let object = fields.next().unwrap_or_default();
        // Git records a symbolic link's target path, not what it points at: a link to a module
        // elsewhere counts by the content it reaches.
        let hash = if mode == "120000" {
            linked_content_hash(&scope.root.join(path))?
        } else {
            None
        };
        files.insert(
            path.to_string(),
            hash.unwrap_or_else(|| format!("git:{object}")),
        );
    }
    let mut dirty = git.list(&["ls-files", "-m", "-z"])?;
    let workdir = scope
        .workdir
        .strip_prefix(scope.root)
        .ok()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .filter(|p| !p.is_empty());
    let mut untracked_args = vec!["ls-files", "-o", "--exclude-standard", "-z"];
    if let Some(dir) = &workdir {
        untracked_args.extend(["--", dir.as_str()]);
    }
    if scope.workdir.starts_with(scope.root) {
        dirty.extend(git.list(&untracked_args)?);
    }
    dirty.sort();
    dirty.dedup();
    let mut to_hash = Vec::new();
    for path in dirty {
        let on_disk = scope.root.join(&path);
        match std::fs::symlink_metadata(&on_disk) {
            // Deleted in the working tree: the program cannot read it.
            Err(_) => {
                files.remove(&path);
            }
            // A submodule or folder: keep the recorded commit.
            Ok(meta) if meta.is_dir() => {}
            Ok(_) if path.contains('\n') => {
                let bytes = std::fs::read(&on_disk).map_err(|e| Error::read(&on_disk, e))?;
                files.insert(path, sha256_hex(&bytes));
            }
            Ok(_) => to_hash.push(path),
        }
    }
    let hashes = git.hash_objects(&to_hash)?;
    files.extend(to_hash.into_iter().zip(hashes));
    files.retain(|path, _| !excluded(scope, &scope.root.join(path)));
    Ok(files)
}

/// Every file below the root (no git): hidden folders, `target/` and exclusions left out.
fn walked_files(scope: &InputScope<'_>) -> Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    let walker = walkdir::WalkDir::new(scope.root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let hidden = e.depth() > 0 && e.file_name().to_string_lossy().starts_with('.');
            let target = e.depth() == 1 && e.file_name() == "target";
            !hidden && !target && !excluded(scope, e.path())
        });
    for entry in walker {
        let entry = entry.map_err(|e| {
            Error::System(SystemError::new(format!(
                "cannot list the files of {}: {e}; set `inputs` on the system to name its files",
                scope.root.display()
            )))
        })?;
        let is_linked_file = entry.file_type().is_symlink() && entry.path().is_file();
        if !entry.file_type().is_file() && !is_linked_file {
            continue;
        }
        if files.len() >= MAX_WALKED_FILES {
            return Err(Error::Config(ConfigError::new(format!(
                "{} holds more than {MAX_WALKED_FILES} files and is not a git work tree, so \
                 evalgate cannot tell which of them a command system reads; set `inputs = \
                 [\"src/**/*.py\", ...]` on the system",
                scope.root.display()
            ))));
        }
        let bytes = std::fs::read(entry.path()).map_err(|e| Error::read(entry.path(), e))?;
        files.insert(relative(scope.root, entry.path()), sha256_hex(&bytes));
    }
    Ok(files)
}

/// The files matching the `inputs` patterns.
fn pattern_files(
    scope: &InputScope<'_>,
    patterns: &[String],
    git: Option<&Git>,
) -> Result<BTreeMap<String, String>> {
    let paths = matched_paths(scope.root, patterns)?;
    let linked = paths.iter().any(|p| {
        std::fs::symlink_metadata(scope.root.join(p)).is_ok_and(|m| m.file_type().is_symlink())
    });
    let hashes = match git {
        Some(git) if !linked && paths.iter().all(|p| !p.contains('\n')) => {
            git.hash_objects(&paths)?
        }
        _ => paths
            .iter()
            .map(|p| {
                let path = scope.root.join(p);
                std::fs::read(&path)
                    .map(|bytes| sha256_hex(&bytes))
                    .map_err(|e| Error::read(&path, e))
            })
            .collect::<Result<Vec<_>>>()?,
    };
    Ok(paths.into_iter().zip(hashes).collect())
}

/// Checks that every `inputs` pattern is valid and matches at least one file below `root`,
/// without reading the files (for validating a suite when it loads). The error says which
/// pattern and why, in words that follow the key: `pattern `x` matches no file ...`.
pub fn check_patterns(root: &Path, patterns: &[String]) -> Result<()> {
    matched_paths(root, patterns).map(|_| ())
}

/// The files the patterns match, relative to `root`, sorted, each once.
fn matched_paths(root: &Path, patterns: &[String]) -> Result<Vec<String>> {
    let mut paths = Vec::new();
    for pattern in patterns {
        let full = root.join(pattern);
        let matches = glob::glob(&full.to_string_lossy()).map_err(|e| {
            Error::Config(ConfigError::new(format!(
                "pattern `{pattern}` is not a valid glob pattern: {e}"
            )))
        })?;
        let before = paths.len();
        for found in matches {
            let found = found.map_err(|e| {
                let path = e.path().to_path_buf();
                Error::read(&path, e.into())
            })?;
            if found.is_dir() {
                for entry in walkdir::WalkDir::new(&found).sort_by_file_name() {
                    let entry = entry.map_err(|e| {
                        Error::System(SystemError::new(format!(
                            "cannot list {}: {e}",
                            found.display()
                        )))
                    })?;
                    if entry.file_type().is_file() {
                        paths.push(relative(root, entry.path()));
                    }
                }
            } else if found.is_file() {
                paths.push(relative(root, &found));
            }
        }
        if paths.len() == before {
            return Err(Error::Config(ConfigError::new(format!(
                "pattern `{pattern}` matches no file under {}; fix the pattern (it is relative \
                 to the project root) or remove it",
                root.display()
            ))));
        }
    }
    paths.sort();
    paths.dedup();
    Ok(paths)
}

/// `sha256:` of the file a symbolic link reaches; `None` when it reaches no file.
fn linked_content_hash(link: &Path) -> Result<Option<String>> {
    if link.is_file() {
        crate::fsutil::sha256_file(link).map(Some)
    } else {
        Ok(None)
    }
}

fn excluded(scope: &InputScope<'_>, path: &Path) -> bool {
    scope.exclude.iter().any(|e| path.starts_with(e)) || is_build_artifact(path)
}

/// Files an interpreter writes next to the sources it runs (Python's `__pycache__/*.pyc`): they
/// follow the sources, and would differ between a developer's checkout and CI's.
fn is_build_artifact(path: &Path) -> bool {
    path.components().any(|c| c.as_os_str() == "__pycache__")
        || path.extension().is_some_and(|e| e == "pyc" || e == "pyo")
}

/// `path` relative to `root` with `/` separators (the path itself when outside the root).
fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(root: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    }

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn repo() -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        git(root, &["init", "-q"]);
        write(root, "summarize.py", "import helpers\n");
        write(root, "helpers.py", "def f(): pass\n");
        write(root, "datasets/d/dataset.json", "{}");
        write(root, "baselines/d__s.snap", "x");
        write(root, "evalgate.toml", "[suite]");
        write(root, ".gitignore", "ignored/\n");
        write(root, "ignored/big.bin", "weights");
        git(root, &["add", "-A"]);
        git(
            root,
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "commit",
                "-q",
                "-m",
                "init",
            ],
        );
        tmp
    }

    fn default_scope<'a>(root: &'a Path, exclude: &'a [PathBuf]) -> InputScope<'a> {
        InputScope {
            root,
            workdir: root,
            patterns: None,
            exclude,
        }
    }

    #[test]
    fn default_set_is_tracked_and_untracked_files_outside_datasets_and_baselines() {
        let tmp = repo();
        let root = tmp.path();
        let exclude = [
            root.join("datasets"),
            root.join("baselines"),
            root.join("evalgate.toml"),
        ];
        let scope = default_scope(root, &exclude);
        let first = input_files(&scope).unwrap();
        let names: Vec<&str> = first.keys().map(String::as_str).collect();
        assert_eq!(names, [".gitignore", "helpers.py", "summarize.py"]);
        assert!(first["helpers.py"].starts_with("git:"));

        // An uncommitted edit counts as it is on disk; an untracked file joins the set.
        write(root, "helpers.py", "def f(): return 1\n");
        write(root, "prompt.txt", "Summarise.");
        let second = input_files(&scope).unwrap();
        assert_ne!(first["helpers.py"], second["helpers.py"]);
        assert_eq!(first["summarize.py"], second["summarize.py"]);
        assert!(second.contains_key("prompt.txt"));

        // Committing changes no hash: the index holds the same blob ids.
        git(root, &["add", "-A"]);
        assert_eq!(input_files(&scope).unwrap(), second);

        // Edits under datasets/ or baselines/ and ignored files are not inputs.
        write(root, "datasets/d/README.md", "docs");
        write(root, "ignored/big.bin", "other weights");
        assert_eq!(input_files(&scope).unwrap(), second);

        // A deleted file is gone from the set.
        std::fs::remove_file(root.join("prompt.txt")).unwrap();
        assert!(!input_files(&scope).unwrap().contains_key("prompt.txt"));
    }

    #[cfg(unix)]
    #[test]
    fn links_count_by_what_they_reach_and_compiled_python_not_at_all() {
        let tmp = repo();
        let root = tmp.path();
        let outside = tempfile::tempdir().unwrap();
        write(outside.path(), "shared.py", "N = 5\n");
        std::os::unix::fs::symlink(outside.path().join("shared.py"), root.join("linked.py"))
            .unwrap();
        git(root, &["add", "-A"]);
        let exclude = [root.join("datasets"), root.join("baselines")];
        let scope = default_scope(root, &exclude);
        let before = input_files(&scope).unwrap();
        assert!(before["linked.py"].starts_with("sha256:"), "{before:?}");
        write(outside.path(), "shared.py", "N = 15\n");
        let after = input_files(&scope).unwrap();
        assert_ne!(
            before["linked.py"], after["linked.py"],
            "an edit through the link counts"
        );

        write(root, "__pycache__/helpers.cpython-311.pyc", "bytecode");
        write(root, "old.pyc", "bytecode");
        let files = input_files(&scope).unwrap();
        assert!(!files.keys().any(|k| k.contains("pyc")), "{files:?}");
    }

    #[test]
    fn patterns_narrow_or_widen_and_must_match() {
        let tmp = repo();
        let root = tmp.path();
        let patterns = vec!["*.py".to_string(), "ignored".to_string()];
        let scope = InputScope {
            root,
            workdir: root,
            patterns: Some(&patterns),
            exclude: &[],
        };
        let files = input_files(&scope).unwrap();
        let names: Vec<&str> = files.keys().map(String::as_str).collect();
        assert_eq!(names, ["helpers.py", "ignored/big.bin", "summarize.py"]);

        let bad = vec!["prompts/*.txt".to_string()];
        let err = input_files(&InputScope {
            patterns: Some(&bad),
            ..scope
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("pattern `prompts/*.txt` matches no file"),
            "{err}"
        );
    }

    #[test]
    fn without_git_every_file_but_hidden_and_target_counts() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        write(root, "run.sh", "echo hi");
        write(root, "lib/util.sh", "x");
        write(root, ".venv/lib.py", "x");
        write(root, "target/debug/out", "x");
        write(root, "datasets/d/dataset.json", "{}");
        let exclude = [root.join("datasets")];
        let files = input_files(&default_scope(root, &exclude)).unwrap();
        let names: Vec<&str> = files.keys().map(String::as_str).collect();
        assert_eq!(names, ["lib/util.sh", "run.sh"]);
        assert!(files["run.sh"].starts_with("sha256:"));
    }
}
