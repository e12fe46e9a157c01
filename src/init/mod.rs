//! `evalgate init`: sets evalgate up in an existing crate.
//!
//! It writes, relative to the crate's folder:
//!
//! - `evalgate.toml`: one tier pair (`smoke`, and `full` for the nightly run), the example
//!   dataset, one built-in system and a few checks, with comments ([`suite_toml`]);
//! - `tests/benchmarks.rs` and `tests/datasets.rs`: this repository's own files, byte for byte
//!   ([`BENCHMARKS_RS`], [`DATASETS_RS`]);
//! - `datasets/example_v1/`: three short items, written and hashed by
//!   [`dataset::import::create`](crate::dataset::import::create) like any imported dataset;
//! - with `--ci`: `.github/workflows/*.yml` and `.config/nextest.toml`, which are this
//!   repository's own files with one substitution (see [`render_workflow`]);
//! - in `Cargo.toml` (edited with `toml_edit`, so the rest of the file keeps its formatting and
//!   comments): the `evalgate` and `datatest-stable` dev-dependencies unless already there,
//!   `[[test]]` targets `benchmarks` and `datasets` with `harness = false`, and
//!   `[profile.dev.package."*"] opt-level = 2` (profiles do not carry over from a dependency;
//!   evalgate's metrics and built-in systems are hot loops, and the embedding metrics run a
//!   neural network in candle, a dependency that is tens of times slower unoptimised).
//!
//! Every target is checked before anything is written: a file that exists or a `[[test]]` of
//! the same name is a conflict, all conflicts are listed, and nothing is written. Each file is
//! written atomically; `Cargo.toml` is written last.

use std::path::{Component, Path, PathBuf};

use toml_edit::{ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value};

use crate::dataset::import::{self, NewItem};
use crate::fsutil::write_atomic;

/// `tests/benchmarks.rs` as `init` writes it: this repository's own.
pub const BENCHMARKS_RS: &str = include_str!("../../tests/benchmarks.rs");

/// `tests/datasets.rs` as `init` writes it: this repository's own.
pub const DATASETS_RS: &str = include_str!("../../tests/datasets.rs");

/// `.config/nextest.toml` (the `ci` profile the nightly workflow uses): this repository's own.
pub const NEXTEST_TOML: &str = include_str!("../../.config/nextest.toml");

/// This repository's workflows, which are the templates `init --ci` renders: (file name, text).
pub const WORKFLOWS: &[(&str, &str)] = &[
    (
        "benchmark-smoke.yml",
        include_str!("../../.github/workflows/benchmark-smoke.yml"),
    ),
    (
        "benchmark-comment.yml",
        include_str!("../../.github/workflows/benchmark-comment.yml"),
    ),
    (
        "benchmark-nightly.yml",
        include_str!("../../.github/workflows/benchmark-nightly.yml"),
    ),
];

/// The command in this repository's workflows that installs the evalgate command (from this
/// checkout); the one thing [`render_workflow`] replaces.
pub const REPO_INSTALL: &str = "cargo install --locked --path .";

/// The suite template; `@SUITE_NAME@` becomes the crate's name.
const SUITE_TEMPLATE: &str = include_str!("evalgate.toml");

/// The example dataset's id (and folder name under `datasets/`).
pub const EXAMPLE_DATASET: &str = "example_v1";

/// The `datatest-stable` requirement written for `tests/datasets.rs`: the version this
/// repository's own `tests/datasets.rs` is built with.
pub const DATATEST_STABLE: &str = "0.3.3";

/// Where the crate's evalgate dev-dependency comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A folder with evalgate's source (`evalgate = { path = "..." }`).
    Path(PathBuf),
    /// A git repository (`evalgate = { git = "...", tag = "..." }`).
    Git {
        /// The repository URL.
        url: String,
        /// The tag, revision or branch; `None` follows the default branch.
        reference: Option<GitRef>,
    },
    /// A registry version requirement (`evalgate = "0.1"`): only ever read from a dependency
    /// that is already there; evalgate is not published, so `init` never writes one.
    Registry(String),
}

/// A git reference of a [`Source::Git`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitRef {
    /// `tag = "..."`.
    Tag(String),
    /// `rev = "..."`.
    Rev(String),
    /// `branch = "..."`.
    Branch(String),
}

impl GitRef {
    fn key(&self) -> &'static str {
        match self {
            GitRef::Tag(_) => "tag",
            GitRef::Rev(_) => "rev",
            GitRef::Branch(_) => "branch",
        }
    }

    fn value(&self) -> &str {
        match self {
            GitRef::Tag(v) | GitRef::Rev(v) | GitRef::Branch(v) => v,
        }
    }
}

/// What `init` is asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// The crate's folder (with its `Cargo.toml`).
    pub dir: PathBuf,
    /// Where evalgate comes from; `None`: the source this evalgate command was built from, when
    /// that is a folder that still holds it (see [`built_from`]).
    pub source: Option<Source>,
    /// Also write the GitHub Actions workflows and `.config/nextest.toml`.
    pub ci: bool,
}

/// What `init` did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Files and folders written, relative to the crate's folder, in the order written.
    pub written: Vec<String>,
    /// What was added to `Cargo.toml`, one entry each.
    pub cargo_added: Vec<String>,
    /// What `Cargo.toml` already had and was kept as it was.
    pub cargo_kept: Vec<String>,
    /// The evalgate dev-dependency line (as written, or as found when kept).
    pub dependency: String,
    /// The command that installs the evalgate command from the same source.
    pub install: String,
    /// Things to know (version differences, workspaces, where the workflows must go).
    pub notes: Vec<String>,
}

/// Why `init` wrote nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitError {
    /// Targets that exist already, each with what it is.
    Conflicts(Vec<String>),
    /// Anything else: a missing or malformed `Cargo.toml`, an unusable source, a failed write.
    Other(String),
}

impl std::fmt::Display for InitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InitError::Conflicts(conflicts) => {
                writeln!(
                    f,
                    "nothing written: {} target(s) already exist and init never overwrites:",
                    conflicts.len()
                )?;
                for c in conflicts {
                    writeln!(f, "  {c}")?;
                }
                write!(
                    f,
                    "move or remove them first, or add the rest by hand (README: Use it in your \
                     own repository)"
                )
            }
            InitError::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for InitError {}

impl From<crate::error::Error> for InitError {
    fn from(e: crate::error::Error) -> Self {
        InitError::Other(e.to_string())
    }
}

fn other(message: impl Into<String>) -> InitError {
    InitError::Other(message.into())
}

/// The folder this evalgate command was built from, when it still holds evalgate's source of
/// the same version and is a checkout rather than cargo's own cache (`cargo install --git`
/// builds in `$CARGO_HOME/git/checkouts/…`, a cache that is no place to depend on). It is a
/// path on the machine that built the command, so it is right for `cargo install --path
/// <checkout>` on the same machine, and `None` anywhere else.
pub fn built_from() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if in_cargo_cache(&dir) {
        return None;
    }
    let (name, version) = package_of(&dir)?;
    (name == "evalgate" && version == env!("CARGO_PKG_VERSION")).then_some(dir)
}

/// Whether `dir` is inside cargo's registry or git cache.
fn in_cargo_cache(dir: &Path) -> bool {
    if let Some(home) = std::env::var_os("CARGO_HOME")
        && !home.is_empty()
        && dir.starts_with(&home)
    {
        return true;
    }
    let parts: Vec<&std::ffi::OsStr> = dir
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(p),
            _ => None,
        })
        .collect();
    parts.iter().any(|p| *p == ".cargo")
        || parts.windows(2).any(|w| {
            (w[0] == "git" && w[1] == "checkouts") || (w[0] == "registry" && w[1] == "src")
        })
}

/// (name, version) of the package whose manifest is in `dir`.
fn package_of(dir: &Path) -> Option<(String, String)> {
    let text = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
    let doc: DocumentMut = text.parse().ok()?;
    let package = doc.get("package")?;
    let name = package.get("name")?.as_str()?.to_string();
    let version = package
        .get("version")
        .and_then(Item::as_str)
        .unwrap_or("")
        .to_string();
    Some((name, version))
}

/// The suite file for a crate named `crate_name`.
pub fn suite_toml(crate_name: &str) -> String {
    SUITE_TEMPLATE.replace("@SUITE_NAME@", &Value::from(crate_name).to_string())
}

/// The items of the example dataset: three short news-like texts with a one-sentence human
/// summary each, written for evalgate.
pub fn example_items() -> Vec<NewItem> {
    let item = |id: &str, input: &str, reference: &str| NewItem {
        id: id.to_string(),
        input: format!("{input}\n"),
        references: vec![format!("{reference}\n")],
        metadata: serde_json::Map::new(),
    };
    vec![
        item(
            "app_release",
            "The team shipped the new version of the mobile app on Tuesday. It adds an offline \
             mode and a dark theme. Crash reports fell by a third in the first week. The next \
             release will focus on accessibility.",
            "The new mobile app version shipped on Tuesday with an offline mode and a dark \
             theme, and crash reports fell by a third.",
        ),
        item(
            "library_sundays",
            "The city library will open on Sundays from March. Opening hours on weekdays stay \
             the same. The change is paid for by a grant from the regional arts fund. Volunteers \
             will run a reading club for children on Sunday mornings.",
            "From March the city library opens on Sundays, paid for by a regional arts grant, \
             with a reading club for children run by volunteers.",
        ),
        item(
            "harbour_bike_lanes",
            "The council voted to build four kilometres of protected bike lanes on Harbour \
             Street. Work starts in May and should take ten weeks. Shop owners asked for loading \
             zones, which the plan now includes. Cyclists welcomed the vote.",
            "The council approved four kilometres of protected bike lanes on Harbour Street, \
             with work from May and loading zones for the shops.",
        ),
    ]
}

/// A workflow of this repository as it is written into a crate whose evalgate command is
/// installed with `install`: every `run: cargo install --locked --path .` line ([`REPO_INSTALL`])
/// becomes `run: <install>`, with its indentation. Nothing else changes, so the workflows a user
/// gets are the ones this repository runs and lints (a test checks that the substitution
/// touches those lines only).
pub fn render_workflow(text: &str, install: &str) -> String {
    let anchor = format!("run: {REPO_INSTALL}");
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        if body.trim_start() == anchor {
            let indent = &body[..body.len() - body.trim_start().len()];
            out.push_str(indent);
            out.push_str("run: ");
            out.push_str(install);
            out.push_str(&line[body.len()..]);
        } else {
            out.push_str(line);
        }
    }
    out
}

/// `cargo install` of the evalgate command from `source` (`path` as written in Cargo.toml).
pub fn install_command(source: &Source, path_as_written: Option<&str>) -> String {
    match source {
        Source::Path(p) => {
            let shown = path_as_written
                .map(str::to_string)
                .unwrap_or_else(|| p.display().to_string());
            format!("cargo install --locked --path {}", shell_word(&shown))
        }
        Source::Git { url, reference } => {
            let mut cmd = format!("cargo install --locked --git {}", shell_word(url));
            if let Some(r) = reference {
                cmd.push_str(&format!(" --{} {}", r.key(), shell_word(r.value())));
            }
            cmd.push_str(" evalgate");
            cmd
        }
        Source::Registry(version) => {
            format!(
                "cargo install --locked evalgate --version {}",
                shell_word(version)
            )
        }
    }
}

/// Characters a word may have to go into a workflow `run:` line and a shell unquoted.
fn plain_word(word: &str) -> bool {
    !word.is_empty()
        && !word.starts_with('-')
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._~:/@%+=,-".contains(c))
}

/// `word`, single-quoted for a shell unless it is a [`plain_word`].
fn shell_word(word: &str) -> String {
    if plain_word(word) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// One file `init` writes.
struct Planned {
    /// Relative to the crate's folder, with `/`.
    rel: String,
    contents: String,
}

/// Runs `evalgate init` (see the module documentation).
pub fn init(options: &Options) -> Result<Report, InitError> {
    let dir = &options.dir;
    let manifest_path = dir.join("Cargo.toml");
    let manifest_text = match std::fs::read_to_string(&manifest_path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(other(format!(
                "{} has no Cargo.toml: run evalgate init in a crate's folder (make one with \
                 `cargo new --lib NAME`), or pass --path DIR",
                dir.display()
            )));
        }
        Err(e) => return Err(crate::error::Error::read(&manifest_path, e).into()),
    };
    let mut doc: DocumentMut = manifest_text.parse().map_err(|e| {
        other(format!(
            "{}: not valid TOML, so init cannot edit it: {e}",
            manifest_path.display()
        ))
    })?;
    let crate_name = doc
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(Item::as_str)
        .map(str::to_string)
        .ok_or_else(|| {
            other(format!(
                "{} has no [package] name: init sets up a package (in a workspace, run it in the \
                 member crate's folder)",
                manifest_path.display()
            ))
        })?;
    let crate_dir = dir
        .canonicalize()
        .map_err(|e| crate::error::Error::read(dir, e))?;

    let mut report = Report::default();

    // Where evalgate comes from: the dependency the crate already has, else the options.
    let kept = existing_evalgate(&doc, &crate_dir);
    let (source, dependency, path_as_written) = match kept.as_ref().and_then(|k| k.2.clone()) {
        Some((source, written)) => {
            if options.source.as_ref().is_some_and(|s| *s != source) {
                report.notes.push(
                    "--evalgate-path/--evalgate-git ignored: Cargo.toml already names evalgate's \
                     source, and init keeps it"
                        .into(),
                );
            }
            (source, None, written)
        }
        None => {
            let source = match &options.source {
                Some(s) => s.clone(),
                None => Source::Path(built_from().ok_or_else(|| {
                    other(
                        "cannot tell where your crate should get evalgate from (this evalgate \
                         command was not built from a checkout on this machine): pass \
                         --evalgate-git URL [--tag TAG | --rev REV] or --evalgate-path PATH (a \
                         checkout of evalgate)",
                    )
                })?),
            };
            let (dependency, written) = dependency_value(&source, &crate_dir, &mut report)?;
            (source, Some(dependency), written)
        }
    };
    report.install = install_command(&source, path_as_written.as_deref());

    // Everything to write, then every conflict, before writing anything.
    let mut files = vec![
        Planned {
            rel: "evalgate.toml".into(),
            contents: suite_toml(&crate_name),
        },
        Planned {
            rel: "tests/benchmarks.rs".into(),
            contents: BENCHMARKS_RS.into(),
        },
        Planned {
            rel: "tests/datasets.rs".into(),
            contents: DATASETS_RS.into(),
        },
    ];
    if options.ci {
        check_ci_source(&source, path_as_written.as_deref(), &report.install)?;
        for (name, text) in WORKFLOWS {
            files.push(Planned {
                rel: format!(".github/workflows/{name}"),
                contents: render_workflow(text, &report.install),
            });
        }
        files.push(Planned {
            rel: ".config/nextest.toml".into(),
            contents: NEXTEST_TOML.into(),
        });
    }
    let dataset_rel = format!("datasets/{EXAMPLE_DATASET}");
    let mut conflicts = Vec::new();
    for rel in files
        .iter()
        .map(|f| f.rel.as_str())
        .chain([dataset_rel.as_str()])
    {
        if std::fs::symlink_metadata(dir.join(rel)).is_ok() {
            conflicts.push(format!("{rel} exists"));
        }
    }
    for name in ["benchmarks", "datasets"] {
        if declares_test(&doc, name) {
            conflicts.push(format!(
                "Cargo.toml already declares a [[test]] named `{name}`"
            ));
        }
    }
    if !conflicts.is_empty() {
        return Err(InitError::Conflicts(conflicts));
    }

    let kept = kept.map(|(section, shown, _)| (section, shown));
    edit_manifest(&mut doc, &crate_dir, dependency, kept, &mut report)?;

    // Write: the example dataset first (hashed and verified where it is made), then the files,
    // then Cargo.toml.
    let header = crate::dataset::DatasetManifest {
        id: EXAMPLE_DATASET.into(),
        version: 1,
        task: "summarization".into(),
        description: "Three short example items written by `evalgate init`: replace them with \
                      your own data (`evalgate dataset import`)."
            .into(),
        items: Vec::new(),
    };
    let dataset = import::create(
        &dir.join(&dataset_rel),
        &header,
        &example_items(),
        "remove it or move it away first",
    )?;
    report.written.push(format!(
        "{dataset_rel}/ ({} items, {})",
        dataset.items.len(),
        dataset.content_hash
    ));
    for file in &files {
        write_atomic(&dir.join(&file.rel), file.contents.as_bytes())?;
        report.written.push(file.rel.clone());
    }
    write_atomic(&manifest_path, doc.to_string().as_bytes())?;
    report.written.push("Cargo.toml".into());
    if options.ci {
        let repo_root = crate_dir.join(".git").exists()
            || !crate_dir
                .ancestors()
                .skip(1)
                .any(|a| a.join(".git").exists());
        if !repo_root {
            report.notes.push(
                "this crate is not at the root of its git repository: GitHub reads workflows \
                 from the repository root only, and they run cargo there; move .github/ up and \
                 give the jobs a `defaults.run.working-directory`"
                    .into(),
            );
        }
    }
    Ok(report)
}

/// The dev-dependency value for `source`, and the path as written for a path source.
fn dependency_value(
    source: &Source,
    crate_dir: &Path,
    report: &mut Report,
) -> Result<(InlineTable, Option<String>), InitError> {
    let mut table = InlineTable::new();
    match source {
        Source::Path(path) => {
            let canonical = path.canonicalize().map_err(|e| {
                other(format!(
                    "--evalgate-path {}: cannot use it ({e}); give the folder of an evalgate \
                     checkout (with its Cargo.toml)",
                    path.display()
                ))
            })?;
            match package_of(&canonical) {
                Some((name, version)) if name == "evalgate" => {
                    if version != env!("CARGO_PKG_VERSION") {
                        report.notes.push(format!(
                            "{} holds evalgate {version}, and this evalgate command is {}: \
                             install the command from the same source (below) so the two agree",
                            canonical.display(),
                            env!("CARGO_PKG_VERSION")
                        ));
                    }
                }
                _ => {
                    return Err(other(format!(
                        "--evalgate-path {}: no evalgate package there (its Cargo.toml must have \
                         [package] name = \"evalgate\")",
                        path.display()
                    )));
                }
            }
            // Inside the crate (a vendored copy or a submodule): relative, so it works in any
            // clone and in CI. Elsewhere: absolute.
            let written = match canonical.strip_prefix(crate_dir) {
                Ok(rel) if !rel.as_os_str().is_empty() => rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/"),
                _ => canonical.display().to_string(),
            };
            table.insert("path", Value::from(written.as_str()));
            Ok((table, Some(written)))
        }
        Source::Git { url, reference } => {
            table.insert("git", Value::from(url.as_str()));
            match reference {
                Some(r) => {
                    table.insert(r.key(), Value::from(r.value()));
                }
                None => report.notes.push(
                    "the git dependency follows the repository's default branch: pin it with \
                     --tag or --rev so the benchmarks and the evalgate command stay the same \
                     version"
                        .into(),
                ),
            }
            Ok((table, None))
        }
        Source::Registry(version) => {
            table.insert("version", Value::from(version.as_str()));
            Ok((table, None))
        }
    }
}

/// Refuses `--ci` with a source a CI runner cannot reach, or one a `run:` line cannot hold.
fn check_ci_source(
    source: &Source,
    path_as_written: Option<&str>,
    install: &str,
) -> Result<(), InitError> {
    if let (Source::Path(p), Some(written)) = (source, path_as_written) {
        let outside = Path::new(written).is_absolute()
            || Path::new(written)
                .components()
                .any(|c| matches!(c, Component::ParentDir));
        if outside {
            return Err(other(format!(
                "--ci: evalgate comes from {}, outside this crate, where a CI runner cannot find \
                 it: pass --evalgate-git URL --tag TAG (or put evalgate inside the repository, \
                 e.g. as a git submodule, and pass --evalgate-path to it)",
                p.display()
            )));
        }
    }
    let words: Vec<&str> = install.split(' ').collect();
    if install.contains('\'') || words.iter().any(|w| w.starts_with('#')) {
        return Err(other(format!(
            "--ci: the install command `{install}` has characters a workflow `run:` line should \
             not carry; use a plain URL, tag and path"
        )));
    }
    Ok(())
}

/// The evalgate dependency the manifest already has, in `[dependencies]` or
/// `[dev-dependencies]`: (section, the value shown on one line, the source it names with the
/// path as written, when it names one).
#[allow(clippy::type_complexity)]
fn existing_evalgate(
    doc: &DocumentMut,
    crate_dir: &Path,
) -> Option<(&'static str, String, Option<(Source, Option<String>)>)> {
    let (section, item) = ["dependencies", "dev-dependencies"]
        .into_iter()
        .find_map(|section| {
            let item = doc.get(section)?.as_table_like()?.get("evalgate")?;
            Some((section, item))
        })?;
    if let Some(version) = item.as_str() {
        return Some((
            section,
            Value::from(version).to_string(),
            Some((Source::Registry(version.to_string()), None)),
        ));
    }
    let table = item.as_table_like()?;
    let get = |key: &str| table.get(key).and_then(Item::as_str).map(str::to_string);
    let shown = format!(
        "{{ {} }}",
        table
            .iter()
            .map(|(k, v)| format!("{k} = {}", v.to_string().trim()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let source = if let Some(path) = get("path") {
        Some((Source::Path(crate_dir.join(&path)), Some(path)))
    } else if let Some(url) = get("git") {
        let reference = get("tag")
            .map(GitRef::Tag)
            .or_else(|| get("rev").map(GitRef::Rev))
            .or_else(|| get("branch").map(GitRef::Branch));
        Some((Source::Git { url, reference }, None))
    } else {
        get("version").map(|v| (Source::Registry(v), None))
    };
    Some((section, shown, source))
}

/// Whether the manifest has a `[[test]]` named `name`.
fn declares_test(doc: &DocumentMut, name: &str) -> bool {
    match doc.get("test") {
        Some(Item::ArrayOfTables(tests)) => tests
            .iter()
            .any(|t| t.get("name").and_then(Item::as_str) == Some(name)),
        Some(Item::Value(Value::Array(tests))) => tests.iter().any(|t| {
            t.as_inline_table()
                .and_then(|t| t.get("name"))
                .and_then(Value::as_str)
                == Some(name)
        }),
        _ => false,
    }
}

/// Adds the dev-dependencies, the test targets and the profile lines to the manifest.
fn edit_manifest(
    doc: &mut DocumentMut,
    crate_dir: &Path,
    dependency: Option<InlineTable>,
    kept: Option<(&'static str, String)>,
    report: &mut Report,
) -> Result<(), InitError> {
    if !doc.contains_key("dev-dependencies") {
        let mut table = Table::new();
        table.decor_mut().set_prefix("\n");
        doc.insert("dev-dependencies", Item::Table(table));
    }
    let dev = doc["dev-dependencies"].as_table_like_mut().ok_or_else(|| {
        other("Cargo.toml: `dev-dependencies` is not a table, so init cannot add to it")
    })?;
    match (kept, dependency) {
        (Some((section, shown)), _) => {
            report.dependency = format!("evalgate = {shown}");
            report
                .cargo_kept
                .push(format!("[{section}] evalgate = {shown}"));
            report.notes.push(format!(
                "Cargo.toml already depends on evalgate ([{section}] evalgate = {shown}); init \
                 kept it, and the evalgate command should come from that same source"
            ));
        }
        (None, Some(dependency)) => {
            let line = format!("evalgate = {}", Value::InlineTable(dependency.clone()));
            dev.insert("evalgate", Item::Value(Value::InlineTable(dependency)));
            report
                .cargo_added
                .push(format!("[dev-dependencies] {line}"));
            report.dependency = line;
        }
        (None, None) => unreachable!("a source without a dependency is a kept one"),
    }
    if dev.contains_key("datatest-stable") {
        report
            .cargo_kept
            .push("[dev-dependencies] datatest-stable".into());
    } else {
        dev.insert("datatest-stable", toml_edit::value(DATATEST_STABLE));
        report.cargo_added.push(format!(
            "[dev-dependencies] datatest-stable = \"{DATATEST_STABLE}\""
        ));
    }

    if doc.get("test").is_none() {
        doc.insert("test", Item::ArrayOfTables(ArrayOfTables::new()));
    }
    let tests = doc["test"].as_array_of_tables_mut().ok_or_else(|| {
        other("Cargo.toml: `test` is not an array of tables ([[test]]), so init cannot add to it")
    })?;
    for (name, why) in [
        (
            "benchmarks",
            "evalgate: the benchmark suite in evalgate.toml, one test per check",
        ),
        (
            "datasets",
            "evalgate: every datasets/**/dataset.json, one test each",
        ),
    ] {
        let mut table = Table::new();
        table.insert("name", toml_edit::value(name));
        table.insert("harness", toml_edit::value(false));
        table.decor_mut().set_prefix(format!("\n# {why}\n"));
        tests.push(table);
        report
            .cargo_added
            .push(format!("[[test]] name = \"{name}\", harness = false"));
    }

    // Profiles apply only in the workspace root's manifest.
    if let Some(root) = workspace_root_above(crate_dir) {
        report.notes.push(format!(
            "this crate is a member of the workspace at {}: profiles apply only there, so add \
             `[profile.dev.package.\"*\"]` with `opt-level = 2` to that Cargo.toml (evalgate and \
             its dependencies run many times faster optimised, see README)",
            root.display()
        ));
        return Ok(());
    }
    // `"*"` covers evalgate's dependencies too (candle runs the embedding model); a table for
    // `evalgate` alone, as earlier versions wrote, is left as it is and `"*"` added beside it.
    let has_profile = doc
        .get("profile")
        .and_then(|p| p.get("dev"))
        .and_then(|d| d.get("package"))
        .and_then(|p| p.get("*"))
        .is_some();
    if has_profile {
        report
            .cargo_kept
            .push("[profile.dev.package.\"*\"] (already set, not changed)".into());
        return Ok(());
    }
    let implicit = || {
        let mut t = Table::new();
        t.set_implicit(true);
        Item::Table(t)
    };
    let profile = doc.entry("profile").or_insert_with(implicit);
    let dev = profile
        .as_table_like_mut()
        .ok_or_else(|| other("Cargo.toml: `profile` is not a table"))?
        .entry("dev")
        .or_insert(implicit());
    let package = dev
        .as_table_like_mut()
        .ok_or_else(|| other("Cargo.toml: `profile.dev` is not a table"))?
        .entry("package")
        .or_insert(implicit());
    let mut table = Table::new();
    table.insert("opt-level", toml_edit::value(2));
    table.decor_mut().set_prefix(
        "\n# evalgate: its metrics and built-in systems run several times faster optimised, and\n\
         # the embedding metrics' model (candle) tens of times faster; a dependency's own profile\n\
         # does not carry over to your crate, so optimise the dependencies here (the first build\n\
         # takes longer; debug builds of your own code are unchanged).\n",
    );
    package
        .as_table_like_mut()
        .ok_or_else(|| other("Cargo.toml: `profile.dev.package` is not a table"))?
        .insert("*", Item::Table(table));
    report
        .cargo_added
        .push("[profile.dev.package.\"*\"] opt-level = 2".into());
    Ok(())
}

/// The folder of a workspace manifest above `crate_dir` (not `crate_dir` itself), if any.
fn workspace_root_above(crate_dir: &Path) -> Option<PathBuf> {
    crate_dir.ancestors().skip(1).find_map(|dir| {
        let text = std::fs::read_to_string(dir.join("Cargo.toml")).ok()?;
        let doc: DocumentMut = text.parse().ok()?;
        doc.contains_key("workspace").then(|| dir.to_path_buf())
    })
}
