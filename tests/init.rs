//! `evalgate init` in a temp crate: what it writes, how it edits Cargo.toml (formatting and
//! comments kept, nothing duplicated), that it refuses to overwrite anything, that what it writes
//! works (the suite loads and runs green, the dataset verifies), and that the workflows it writes
//! are this repository's own with one substitution.
//!
//! Not here, because it builds evalgate a second time with the user's profile (minutes): a real
//! `cargo test` in the generated crate. `generated_crate_passes_cargo_test` does it when asked
//! (`cargo test --test init -- --ignored`).

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use evalgate::unstable::config::Suite;
use evalgate::unstable::init::{self, REPO_INSTALL, WORKFLOWS};
use evalgate::unstable::metrics::MetricRegistry;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A user's Cargo.toml with comments, odd spacing and a dependency.
const USER_MANIFEST: &str = r#"# My crate. These comments and the odd spacing below must survive `evalgate init`.
[package]
name    = "my_summarizer"   # the name
version = "0.3.0"
edition = "2021"

[dependencies]
serde = { version = "1", features = ["derive"] }   # keep me

[dev-dependencies]
# for the unit tests
fastrand = "2"

[features]
default = []
"#;

/// A temp crate with `manifest` and a src/lib.rs.
fn user_crate(manifest: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), "").unwrap();
    dir
}

fn evalgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .args(args)
        .output()
        .unwrap()
}

fn init_at(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["init", "--path", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    evalgate(&args)
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every file under `dir` with its bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().to_path_buf(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// Whether `lines` appear in `text` in this order (other lines may come between).
fn in_order(text: &str, lines: &[&str]) -> bool {
    let mut rest = text.lines();
    lines.iter().all(|want| rest.any(|l| l == *want))
}

#[test]
fn init_writes_a_working_setup_and_edits_cargo_toml_in_place() {
    let dir = user_crate(USER_MANIFEST);
    let out = init_at(dir.path(), &["--evalgate-path", repo().to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");

    // What it says: every file, and the next commands.
    for shown in [
        "evalgate.toml",
        "tests/benchmarks.rs",
        "tests/datasets.rs",
        "datasets/example_v1/ (3 items, sha256:",
        "Cargo.toml",
        "cargo install --locked --path ",
        "cargo test --test benchmarks",
        "cargo insta accept",
    ] {
        assert!(stdout.contains(shown), "`{shown}` missing from:\n{stdout}");
    }
    assert!(!stdout.contains(".github"), "no workflows without --ci");

    // The files.
    let d = dir.path();
    assert_eq!(
        std::fs::read_to_string(d.join("tests/benchmarks.rs")).unwrap(),
        std::fs::read_to_string(repo().join("tests/benchmarks.rs")).unwrap()
    );
    assert_eq!(
        std::fs::read_to_string(d.join("tests/datasets.rs")).unwrap(),
        std::fs::read_to_string(repo().join("tests/datasets.rs")).unwrap()
    );
    assert!(!d.join(".github").exists());

    // Cargo.toml: every original line still there, in order; each addition exactly once.
    let manifest = std::fs::read_to_string(d.join("Cargo.toml")).unwrap();
    let original: Vec<&str> = USER_MANIFEST.lines().collect();
    assert!(in_order(&manifest, &original), "{manifest}");
    let root = repo().canonicalize().unwrap();
    let dependency = format!(
        "evalgate = {{ path = {} }}",
        toml_edit::Value::from(root.to_str().unwrap())
    );
    assert_eq!(count(&manifest, &dependency), 1, "{manifest}");
    assert_eq!(count(&manifest, "evalgate ="), 1, "{manifest}");
    assert_eq!(
        count(&manifest, "datatest-stable = \"0.3.3\""),
        1,
        "{manifest}"
    );
    assert_eq!(count(&manifest, "[dev-dependencies]"), 1, "{manifest}");
    assert_eq!(count(&manifest, "name = \"benchmarks\""), 1, "{manifest}");
    assert_eq!(count(&manifest, "name = \"datasets\""), 1, "{manifest}");
    assert_eq!(
        count(&manifest, "[profile.dev.package.\"*\"]"),
        1,
        "{manifest}"
    );
    // The additions to [dev-dependencies] go into that table, after what it had.
    assert!(
        in_order(
            &manifest,
            &[
                "[dev-dependencies]",
                "fastrand = \"2\"",
                &dependency,
                "datatest-stable = \"0.3.3\"",
                "[features]",
            ]
        ),
        "{manifest}"
    );
    let parsed: toml::Table = toml::from_str(&manifest).unwrap();
    let tests = parsed["test"].as_array().unwrap();
    for name in ["benchmarks", "datasets"] {
        let t = tests
            .iter()
            .find(|t| t["name"].as_str() == Some(name))
            .unwrap();
        assert_eq!(t["harness"].as_bool(), Some(false));
    }
    assert_eq!(
        parsed["profile"]["dev"]["package"]["*"]["opt-level"].as_integer(),
        Some(2)
    );
    assert!(
        manifest.contains("# evalgate: its metrics and built-in systems run several times faster"),
        "the profile lines say why: {manifest}"
    );

    // The suite loads with the crate's own loader, and the dataset verifies.
    let suite = Suite::load(&d.join("evalgate.toml"), &MetricRegistry::builtin()).unwrap();
    assert_eq!(suite.name, "my_summarizer");
    assert!(suite.datasets.contains_key("example_v1"));
    let tiers: Vec<&str> = suite.tiers.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tiers, ["full", "smoke"]);
    evalgate::verify_dataset(&d.join("datasets/example_v1/dataset.json")).unwrap();
    let verify = evalgate(&[
        "dataset",
        "verify",
        d.join("datasets/example_v1").to_str().unwrap(),
    ]);
    assert!(verify.status.success(), "{:?}", text(&verify));

    // And the suite runs green: the smoke tier in-process, as `cargo test --test benchmarks`
    // would (no baseline yet: the vs-baseline trials are ignored and a pending one is written).
    let out_dir = d.join("target/evalgate");
    let outcome = evalgate::Harness::new()
        .config(d.join("evalgate.toml"))
        .output_dir(&out_dir)
        .run(&support::quiet_args(&out_dir, &["smoke"]))
        .unwrap();
    let log = std::fs::read_to_string(out_dir.join("libtest.log")).unwrap_or_default();
    let c = &outcome.conclusion;
    assert_eq!(c.num_failed, 0, "{log}");
    assert_eq!((c.num_passed, c.num_ignored), (3, 3), "{c:?}\n{log}");
    assert!(d.join("baselines/example_v1__lead1.snap.new").exists());
}

#[test]
fn rerun_refuses_listing_every_conflict_and_writes_nothing() {
    let dir = user_crate(USER_MANIFEST);
    let path = repo();
    let source = ["--evalgate-path", path.to_str().unwrap()];
    assert!(init_at(dir.path(), &source).status.success());
    let before = tree(dir.path());

    let out = init_at(dir.path(), &source);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    for conflict in [
        "evalgate.toml exists",
        "tests/benchmarks.rs exists",
        "tests/datasets.rs exists",
        "datasets/example_v1 exists",
        "Cargo.toml already declares a [[test]] named `benchmarks`",
        "Cargo.toml already declares a [[test]] named `datasets`",
    ] {
        assert!(
            stderr.contains(conflict),
            "`{conflict}` missing from:\n{stderr}"
        );
    }
    assert!(stderr.contains("nothing written: 6 target(s)"), "{stderr}");
    assert_eq!(tree(dir.path()), before, "a refused init changes nothing");
}

#[test]
fn one_conflict_is_enough_to_write_nothing() {
    let dir = user_crate(USER_MANIFEST);
    std::fs::create_dir_all(dir.path().join("tests")).unwrap();
    std::fs::write(dir.path().join("tests/datasets.rs"), "// mine\n").unwrap();
    let before = tree(dir.path());
    let out = init_at(dir.path(), &["--evalgate-path", repo().to_str().unwrap()]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("tests/datasets.rs exists"), "{stderr}");
    assert!(stderr.contains("nothing written: 1 target(s)"), "{stderr}");
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn an_evalgate_dependency_already_there_is_kept_not_duplicated() {
    let manifest = r#"[package]
name = "has_it"
version = "0.1.0"
edition = "2021"

[dev-dependencies.evalgate]
git = "https://example.invalid/evalgate.git"
tag = "v0.1.0"

[[test]]
name = "other"
path = "tests/other.rs"
"#;
    let dir = user_crate(manifest);
    let out = init_at(dir.path(), &["--evalgate-path", repo().to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("kept  [dev-dependencies] evalgate"),
        "{stdout}"
    );
    assert!(stdout.contains("already depends on evalgate"), "{stdout}");
    assert!(
        stdout.contains(
            "cargo install --locked --git https://example.invalid/evalgate.git --tag v0.1.0 evalgate"
        ),
        "the command comes from the kept source: {stdout}"
    );
    assert!(
        stdout.contains("--evalgate-path/--evalgate-git ignored"),
        "{stdout}"
    );
    let written = std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap();
    let original: Vec<&str> = manifest.lines().collect();
    assert!(in_order(&written, &original), "{written}");
    assert_eq!(count(&written, "evalgate ="), 0, "{written}");
    assert_eq!(
        count(&written, "[dev-dependencies.evalgate]"),
        1,
        "{written}"
    );
    assert_eq!(count(&written, "datatest-stable"), 1);
    let parsed: toml::Table = toml::from_str(&written).unwrap();
    let kept = parsed["dev-dependencies"]["evalgate"].as_table().unwrap();
    assert_eq!(kept.keys().collect::<Vec<_>>(), ["git", "tag"]);
    let names: Vec<&str> = parsed["test"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["other", "benchmarks", "datasets"]);
}

#[test]
fn a_git_source_with_ci_writes_this_repositorys_workflows_with_its_install_line() {
    let dir = user_crate(USER_MANIFEST);
    let url = "https://example.invalid/you/evalgate.git";
    let out = init_at(
        dir.path(),
        &["--evalgate-git", url, "--tag", "v0.1.0", "--ci"],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let install = format!("cargo install --locked --git {url} --tag v0.1.0 evalgate");
    assert!(stdout.contains(&install), "{stdout}");
    let manifest = std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains(&format!(
            "evalgate = {{ git = \"{url}\", tag = \"v0.1.0\" }}"
        )),
        "{manifest}"
    );
    for (name, template) in WORKFLOWS {
        let written =
            std::fs::read_to_string(dir.path().join(".github/workflows").join(name)).unwrap();
        assert_eq!(written, init::render_workflow(template, &install), "{name}");
        assert!(written.contains(&format!("run: {install}\n")), "{name}");
        assert!(!written.contains(REPO_INSTALL), "{name}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".config/nextest.toml")).unwrap(),
        std::fs::read_to_string(repo().join(".config/nextest.toml")).unwrap()
    );
}

#[test]
fn ci_with_a_path_outside_the_crate_is_refused() {
    let dir = user_crate(USER_MANIFEST);
    let before = tree(dir.path());
    let out = init_at(
        dir.path(),
        &["--evalgate-path", repo().to_str().unwrap(), "--ci"],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("where a CI runner cannot find it"),
        "{stderr}"
    );
    assert!(stderr.contains("--evalgate-git URL --tag TAG"), "{stderr}");
    assert_eq!(tree(dir.path()), before);
}

#[test]
fn by_default_the_dependency_is_the_checkout_this_command_was_built_from() {
    let dir = user_crate(USER_MANIFEST);
    let out = init_at(dir.path(), &[]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let manifest = std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap();
    let root = repo().canonicalize().unwrap();
    assert!(
        manifest.contains(&format!(
            "evalgate = {{ path = {} }}",
            toml_edit::Value::from(root.to_str().unwrap())
        )),
        "{manifest}"
    );
    assert!(
        stdout.contains(&format!("cargo install --locked --path {}", root.display())),
        "{stdout}"
    );
}

#[test]
fn a_vendored_evalgate_inside_the_crate_is_a_relative_path() {
    let dir = user_crate(USER_MANIFEST);
    // A stand-in for a submodule: a folder whose Cargo.toml names the evalgate package.
    let vendored = dir.path().join("vendor/evalgate");
    std::fs::create_dir_all(&vendored).unwrap();
    std::fs::write(
        vendored.join("Cargo.toml"),
        format!(
            "[package]\nname = \"evalgate\"\nversion = \"{}\"\n",
            env!("CARGO_PKG_VERSION")
        ),
    )
    .unwrap();
    let out = init_at(
        dir.path(),
        &["--evalgate-path", vendored.to_str().unwrap(), "--ci"],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let manifest = std::fs::read_to_string(dir.path().join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains("evalgate = { path = \"vendor/evalgate\" }"),
        "{manifest}"
    );
    let smoke =
        std::fs::read_to_string(dir.path().join(".github/workflows/benchmark-smoke.yml")).unwrap();
    assert!(smoke.contains("run: cargo install --locked --path vendor/evalgate\n"));
}

#[test]
fn bad_inputs_are_errors_that_say_what_to_do() {
    let empty = tempfile::tempdir().unwrap();
    let out = init_at(empty.path(), &["--evalgate-path", repo().to_str().unwrap()]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("has no Cargo.toml"), "{stderr}");
    assert!(stderr.contains("cargo new --lib"), "{stderr}");
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0);

    let dir = user_crate(USER_MANIFEST);
    let not_evalgate = user_crate("[package]\nname = \"other\"\nversion = \"1.0.0\"\n");
    let out = init_at(
        dir.path(),
        &["--evalgate-path", not_evalgate.path().to_str().unwrap()],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("no evalgate package there"), "{stderr}");

    let workspace = user_crate("[workspace]\nmembers = [\"a\"]\n");
    let out = init_at(
        workspace.path(),
        &["--evalgate-path", repo().to_str().unwrap()],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("has no [package] name"), "{stderr}");

    let out = evalgate(&["init", "--tag", "v1"]);
    assert_eq!(out.status.code(), Some(2), "--tag needs --evalgate-git");
}

#[test]
fn in_a_workspace_member_the_profile_lines_are_left_to_the_root() {
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(
        workspace.path().join("Cargo.toml"),
        "[workspace]\nmembers = [\"member\"]\nresolver = \"2\"\n",
    )
    .unwrap();
    let member = workspace.path().join("member");
    std::fs::create_dir_all(member.join("src")).unwrap();
    std::fs::write(member.join("Cargo.toml"), USER_MANIFEST).unwrap();
    let out = init_at(&member, &["--evalgate-path", repo().to_str().unwrap()]);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("member of the workspace at"), "{stdout}");
    let manifest = std::fs::read_to_string(member.join("Cargo.toml")).unwrap();
    assert!(!manifest.contains("[profile"), "{manifest}");
}

/// The no-drift design: the workflows `init --ci` writes are this repository's, compiled in with
/// `include_str!`, and rendering replaces the install line and nothing else.
#[test]
fn the_workflow_templates_are_this_repositorys_workflows_with_one_substitution() {
    let dir = repo().join(".github/workflows");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut templates: Vec<String> = WORKFLOWS.iter().map(|(n, _)| n.to_string()).collect();
    templates.sort();
    assert_eq!(
        on_disk, templates,
        "every workflow of this repository is a template"
    );

    let sentinel = "cargo install --locked --git https://example.invalid/x.git --tag v9 evalgate";
    for (name, template) in WORKFLOWS {
        assert_eq!(
            *template,
            std::fs::read_to_string(dir.join(name)).unwrap(),
            "{name}: the compiled-in copy is the file"
        );
        let rendered = init::render_workflow(template, sentinel);
        let (old, new): (Vec<&str>, Vec<&str>) =
            (template.lines().collect(), rendered.lines().collect());
        assert_eq!(old.len(), new.len());
        let changed: Vec<usize> = (0..old.len()).filter(|&i| old[i] != new[i]).collect();
        assert!(!changed.is_empty(), "{name}: no install line to substitute");
        for &i in &changed {
            assert_eq!(
                old[i].trim(),
                format!("run: {REPO_INSTALL}"),
                "{name}:{}",
                i + 1
            );
            assert_eq!(
                new[i].trim(),
                format!("run: {sentinel}"),
                "{name}:{}",
                i + 1
            );
        }
        // Nothing that assumes evalgate's source is the repository is left.
        for assumption in [
            "--path .",
            "target/debug/evalgate",
            "cargo build --locked --bin evalgate",
        ] {
            assert!(
                !rendered.contains(assumption),
                "{name}: `{assumption}` left"
            );
        }
        // Every job that runs the evalgate command installs it first.
        for (job, body) in jobs(template) {
            let runs = body.lines().position(|l| {
                let l = l.trim_start();
                l.starts_with("evalgate ") || l.starts_with("run: evalgate ")
            });
            if let Some(first_run) = runs {
                let install = body
                    .lines()
                    .position(|l| l.trim() == format!("run: {REPO_INSTALL}"));
                assert!(
                    install.is_some_and(|i| i < first_run),
                    "{name}: job `{job}` runs evalgate without installing it first"
                );
            }
        }
    }
}

/// (name, text) of each job of a workflow: the lines indented by two spaces under `jobs:`.
fn jobs(workflow: &str) -> Vec<(String, String)> {
    let after = workflow.split_once("\njobs:\n").expect("a jobs: section").1;
    let mut out: Vec<(String, String)> = Vec::new();
    for line in after.lines() {
        let is_job = line.starts_with("  ") && !line.starts_with("   ") && line.ends_with(':');
        if is_job {
            out.push((line.trim().trim_end_matches(':').to_string(), String::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

/// The rendered workflows pass actionlint (with shellcheck) like this repository's, when it is
/// installed (`.ci/install-tools`; CI installs it before the tests).
#[test]
fn rendered_workflows_pass_actionlint() {
    let available = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !available("actionlint") || !available("shellcheck") {
        eprintln!("actionlint or shellcheck is not installed; run .ci/install-tools");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let workflows = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    let install = "cargo install --locked --git https://example.invalid/you/evalgate.git --tag v0.1.0 evalgate";
    let mut files = Vec::new();
    for (name, template) in WORKFLOWS {
        let path = workflows.join(name);
        std::fs::write(&path, init::render_workflow(template, install)).unwrap();
        files.push(path);
    }
    let out = Command::new("actionlint")
        .arg("-no-color")
        .args(&files)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The check `tests/datasets.rs` runs on each `dataset.json` fails on a broken dataset.
#[test]
fn a_broken_dataset_fails_its_check() {
    let dir = user_crate(USER_MANIFEST);
    assert!(
        init_at(dir.path(), &["--evalgate-path", repo().to_str().unwrap()])
            .status
            .success()
    );
    let manifest = dir.path().join("datasets/example_v1/dataset.json");
    evalgate::verify_dataset(&manifest).unwrap();
    evalgate::verify_dataset(manifest.parent().unwrap()).unwrap();

    // An edited reference no longer matches its hash.
    let reference = dir
        .path()
        .join("datasets/example_v1/references/app_release.txt");
    std::fs::write(&reference, "Edited after hashing.\n").unwrap();
    let err = evalgate::verify_dataset(&manifest).unwrap_err().to_string();
    assert!(err.contains("app_release"), "{err}");
    assert!(err.contains("hash"), "{err}");

    // A missing input file.
    std::fs::remove_file(
        dir.path()
            .join("datasets/example_v1/inputs/library_sundays.txt"),
    )
    .unwrap();
    let err = evalgate::verify_dataset(&manifest).unwrap_err().to_string();
    assert!(err.contains("library_sundays"), "{err}");
}

/// The `datasets` test binary of this repository, when cargo built it beside this one.
fn datasets_test_binary() -> Option<PathBuf> {
    let deps = std::env::current_exe().ok()?.parent()?.to_path_buf();
    std::fs::read_dir(deps)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix("datasets-")
                .is_some_and(|hash| hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()))
        })
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
        .map(|e| e.path())
}

/// The real `tests/datasets.rs` binary, run in a folder with one good and one broken dataset:
/// each dataset is its own trial, and only the broken one fails.
#[test]
fn the_datasets_target_fails_the_broken_dataset_as_its_own_test() {
    // `cargo test` builds every test target before it runs any; with `--test init` alone, build
    // the datasets target first. Never a silent pass.
    let binary = datasets_test_binary().expect(
        "the datasets test binary is not built beside this one: run `cargo test`, or `cargo test \
         --test datasets --no-run` before `cargo test --test init`",
    );
    let dir = user_crate(USER_MANIFEST);
    assert!(
        init_at(dir.path(), &["--evalgate-path", repo().to_str().unwrap()])
            .status
            .success()
    );
    let green = Command::new(&binary)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let (stdout, stderr) = text(&green);
    assert!(green.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("dataset::example_v1/dataset.json ... ok"),
        "{stdout}"
    );
    assert!(!stdout.contains("FAILED"), "{stdout}");

    let out = evalgate(&[
        "dataset",
        "new",
        dir.path().join("datasets/example_v1").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{:?}", text(&out));
    std::fs::write(
        dir.path()
            .join("datasets/example_v2/inputs/harbour_bike_lanes.txt"),
        "Changed after hashing.\n",
    )
    .unwrap();
    let red = Command::new(&binary)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let (stdout, stderr) = text(&red);
    assert!(!red.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("dataset::example_v1/dataset.json ... ok"),
        "{stdout}"
    );
    assert!(
        stdout.contains("dataset::example_v2/dataset.json ... FAILED"),
        "{stdout}"
    );
    assert!(
        stdout.contains("harbour_bike_lanes"),
        "the failure says which item: {stdout}"
    );
}

/// A real `cargo test` of the generated crate, depending on this checkout by path: slow (it
/// builds evalgate with the crate's profile), so only on request:
/// `cargo test --test init -- --ignored`. Shares this repository's target folder.
#[test]
#[ignore = "builds evalgate again in a generated crate (minutes); run with --ignored"]
fn generated_crate_passes_cargo_test() {
    let dir = user_crate(
        "[package]\nname = \"fresh\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n",
    );
    let out = init_at(dir.path(), &["--evalgate-path", repo().to_str().unwrap()]);
    assert!(out.status.success(), "{:?}", text(&out));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"))
        .join("init-generated");
    for args in [
        &["test", "--test", "datasets"][..],
        &["test", "--test", "benchmarks"][..],
    ] {
        let out = Command::new(env!("CARGO"))
            .args(args)
            .current_dir(dir.path())
            .env("CARGO_TARGET_DIR", &target)
            .output()
            .unwrap();
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "cargo {args:?}:\n{stdout}\n{stderr}");
        assert!(!stdout.contains("FAILED"), "{stdout}");
    }
    assert!(
        dir.path()
            .join("baselines/example_v1__lead1.snap.new")
            .exists()
    );
}
