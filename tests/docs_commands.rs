//! Every command the documentation and the workflows show is one that works today:
//!
//! - `evalgate …` (also as `cargo run -- …` or `./target/debug/evalgate …`): the subcommand and
//!   every flag exist — the command is run with `--help` appended, which the argument parser
//!   accepts only when everything before it is valid (file names need not exist);
//! - `cargo test [--locked] [--no-run] --test <target> [-- <args>]`: the target is one of this
//!   crate's test targets, and for `benchmarks` the libtest arguments select at least one trial
//!   of this repository's suite (listed in-process, nothing runs) — except in the guides of the
//!   tour, which `tests/guides.rs` runs for real in a new crate of their own;
//! - `cargo install`: of evalgate, only the documented forms (`--locked` with `--path DIR`, or
//!   `--git URL [--tag|--rev|--branch X] evalgate`), else one of the known tools (cargo-insta,
//!   cargo-nextest);
//! - `scripts/…` and `.ci/…`: an executable file of this repository;
//! - other programs (`git`, `cargo new`, `cargo insta`, `cargo nextest`, `python3`, `printf`,
//!   `cat`, `sed`, `grep`, `cd`, `export`) are the user's tools and only have to be known here, so a new
//!   kind of command is a deliberate addition to this test. The guides' commands also run for
//!   real, in a new crate, in `tests/guides.rs`.
//!
//! Commands come from the `sh`/`bash` code blocks of README.md and docs/**/*.md, and from the
//! `run:` steps of .github/workflows/*.yml.

mod support;

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Markdown files that show commands.
fn markdown_files() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md")];
    let mut stack = vec![root().join("docs")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Shell lines of a text: continuation lines joined, comments and prompts dropped, and the body
/// of a here-document (`<<'EOF'` … `EOF`) skipped: it is data for the command, not commands.
fn shell_lines(lines: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut heredoc_end: Option<String> = None;
    for line in lines {
        let line = line.trim();
        if let Some(end) = &heredoc_end {
            if line == end {
                heredoc_end = None;
            }
            continue;
        }
        if let Some((_, tag)) = line.split_once("<<") {
            let tag = tag.trim_start_matches('-').trim();
            let tag = tag.split_whitespace().next().unwrap_or("");
            heredoc_end = Some(tag.trim_matches(|c| c == '\'' || c == '"').to_string());
        }
        let line = line.strip_prefix("$ ").unwrap_or(line);
        if current.is_empty() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(start) => {
                current.push_str(start);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                let command = match current.find(" # ") {
                    Some(at) => current[..at].trim_end().to_string(),
                    None => current.trim_end().to_string(),
                };
                out.push(command);
                current.clear();
            }
        }
    }
    out
}

/// (file, command) for every command in the docs' shell blocks.
fn documented_commands() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let shown = file.strip_prefix(root()).unwrap().display().to_string();
        let mut block: Option<Vec<&str>> = None;
        for line in text.lines() {
            match (&mut block, line.trim_start()) {
                (None, fence) if fence == "```sh" || fence == "```bash" => block = Some(Vec::new()),
                (Some(lines), "```") => {
                    for command in shell_lines(lines) {
                        out.push((shown.clone(), command));
                    }
                    block = None;
                }
                (Some(lines), _) => lines.push(line),
                (None, _) => {}
            }
        }
    }
    out
}

/// (file, command) for every command of the workflows' `run:` steps that calls evalgate or cargo.
fn workflow_commands() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let dir = root().join(".github/workflows");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let shown = path.strip_prefix(root()).unwrap().display().to_string();
        for command in shell_lines(&lines) {
            let command = command.trim_start_matches("run:").trim().to_string();
            let first = words(&command).into_iter().next().unwrap_or_default();
            if first == "evalgate" || first.ends_with("/evalgate") || first == "cargo" {
                out.push((shown.clone(), command));
            }
        }
    }
    out
}

/// Splits a command line into words, honouring simple quotes; a redirection ends the command.
fn words(command: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut has = false;
    for c in command.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                has = true;
            }
            (None, ' ') => {
                if has || !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                has = false;
            }
            (None, '>' | '|' | '&' | ';') => break,
            (None, c) => word.push(c),
        }
    }
    if has || !word.is_empty() {
        out.push(word);
    }
    out
}

/// The arguments after the program when `words` call the evalgate CLI (`evalgate ...`,
/// `./target/debug/evalgate ...`, or `cargo run -- ...` in this repository).
fn evalgate_args(words: &[String]) -> Option<Vec<String>> {
    let at = if words.len() > 2 && words[0] == "cargo" && words[1] == "run" {
        words.iter().position(|w| w == "--")?
    } else if words[0] == "evalgate" || words[0].ends_with("/evalgate") {
        0
    } else {
        return None;
    };
    Some(words[at + 1..].to_vec())
}

/// A documented word as a value the parser accepts: optional-part brackets dropped
/// (`[--stemmer]`), and placeholders (`N`, `RUN_URL`, `DIR...`, `$pr`, `${{ … }}`) replaced by
/// `1`, which every option taking a value accepts.
fn placeholder_filled(word: &str) -> String {
    let word = word.trim_start_matches('[').trim_end_matches(']');
    let placeholder = word.contains('$')
        || (word.starts_with(|c: char| c.is_ascii_uppercase())
            && word
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '.'));
    if placeholder {
        "1".to_string()
    } else {
        word.to_string()
    }
}

/// `evalgate ARGS --help`.
fn run_help(args: &[String]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_evalgate"))
        .args(args)
        .arg("--help")
        .output()
        .unwrap()
}

/// For clap's "invalid value '1' for '--opt <X>'" error (a placeholder given to an option with
/// fixed values): the option and the first of the `[possible values: a, b, ...]` it lists.
fn first_possible_value(stderr: &str) -> Option<(String, String)> {
    let option = stderr.split("invalid value '1' for '").nth(1)?;
    let option = option.split([' ', '\'']).next()?.to_string();
    let list = stderr.split("[possible values: ").nth(1)?;
    let first = list.split([',', ']']).next()?.trim();
    (!first.is_empty()).then(|| (option, first.to_string()))
}

/// Programs whose commands the docs may show without this test running them.
const USER_TOOLS: &[&[&str]] = &[
    &["git"],
    &["python3"],
    &["printf"],
    &["cat"],
    &["sed"],
    &["grep"],
    &["cd"],
    &["export"],
    &["cargo", "new"],
    &["cargo", "insta"],
    &["cargo", "nextest"],
    &["cargo", "fmt"],
    &["cargo", "clippy"],
    &["pip"],
];

fn check(file: &str, command: &str) -> Result<(), String> {
    let words = words(command);
    let fail = |why: String| Err(format!("{file}: `{command}`: {why}"));
    if words.is_empty() {
        return Ok(());
    }
    if let Some(args) = evalgate_args(&words) {
        let mut args: Vec<String> = args.iter().map(|w| placeholder_filled(w)).collect();
        let mut out = run_help(&args);
        // A placeholder for an option with fixed values (`--format "$ALERT_FORMAT"`) stands for
        // one of them: take the first value the parser lists, for placeholders only.
        for _ in 0..args.len() {
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            let Some((option, fixed)) = first_possible_value(&stderr) else {
                break;
            };
            let Some(at) = args.windows(2).position(|w| w[0] == option && w[1] == "1") else {
                break;
            };
            args[at + 1] = fixed;
            out = run_help(&args);
        }
        if !out.status.success() {
            return fail(format!(
                "the evalgate command line refuses it: {}",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .next()
                    .unwrap_or("")
            ));
        }
        return Ok(());
    }
    if words[0] == "cargo" && words.get(1).is_some_and(|w| w == "test") {
        // The guide tour's commands run in its own new crate (tests/guides.rs), whose trials are
        // not this repository's: there, a filter is checked by running it.
        let own_suite = !tests_guides_tour()
            .iter()
            .any(|g| file == format!("docs/guides/{g}.md"));
        return check_cargo_test(&words, own_suite)
            .map_err(|why| format!("{file}: `{command}`: {why}"));
    }
    if words[0] == "cargo" && words.get(1).is_some_and(|w| w == "install") {
        return check_cargo_install(&words[2..])
            .map_err(|why| format!("{file}: `{command}`: {why}"));
    }
    if let Some(script) = words[0]
        .strip_prefix("scripts/")
        .or_else(|| words[0].strip_prefix(".ci/"))
    {
        // One of this repository's scripts: it exists and can be run as shown.
        let path = root().join(&words[0]);
        let executable = std::fs::metadata(&path).is_ok_and(|m| {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                m.is_file() && m.permissions().mode() & 0o111 != 0
            }
            #[cfg(not(unix))]
            {
                m.is_file()
            }
        });
        if !executable {
            return fail(format!(
                "{script}: no executable file {} in the repository",
                words[0]
            ));
        }
        return Ok(());
    }
    if USER_TOOLS
        .iter()
        .any(|tool| tool.iter().zip(&words).all(|(a, b)| a == b) && words.len() >= tool.len())
    {
        return Ok(());
    }
    fail("an unknown kind of command: run it in this test, or add its tool to USER_TOOLS".into())
}

/// This crate's test targets: `tests/*.rs` (the ones without harness are targets too).
fn test_targets() -> Vec<String> {
    std::fs::read_dir(root().join("tests"))
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            (path.extension()? == "rs")
                .then(|| path.file_stem().unwrap().to_string_lossy().into_owned())
        })
        .collect()
}

/// The guides `tests/guides.rs` runs in order in a new crate (its `TOUR`).
fn tests_guides_tour() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("tests/guides.rs")).unwrap();
    let start = text
        .find("const TOUR: &[&str] = &[")
        .expect("tests/guides.rs has TOUR");
    let end = start + text[start..].find("];").unwrap();
    text[start..end]
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// `cargo test [--locked] [--no-run] [--test TARGET] [-- ARGS]`; with `own_suite`, the
/// benchmarks' arguments must select a trial of this repository's suite.
fn check_cargo_test(words: &[String], own_suite: bool) -> Result<(), String> {
    let sep = words.iter().position(|w| w == "--").unwrap_or(words.len());
    let mut target = None;
    let mut flags = words[2..sep].iter();
    while let Some(flag) = flags.next() {
        match flag.as_str() {
            "--locked" | "--no-run" => {}
            "--test" => target = flags.next().cloned(),
            other => {
                return Err(format!(
                    "`{other}` is not a cargo test flag the docs may use"
                ));
            }
        }
    }
    let Some(target) = target else {
        return if sep == words.len() {
            Ok(())
        } else {
            Err("libtest arguments without `--test TARGET`".into())
        };
    };
    if !test_targets().contains(&target) {
        return Err(format!("there is no test target `{target}`"));
    }
    if !own_suite && target == "benchmarks" {
        return Ok(());
    }
    if sep == words.len() || target != "benchmarks" {
        return if sep == words.len() {
            Ok(())
        } else {
            Err(format!(
                "only the benchmarks' libtest arguments are checked, not `{target}`'s"
            ))
        };
    }
    let mut args: Vec<&str> = words[sep + 1..].iter().map(String::as_str).collect();
    args.push("--list");
    let out_dir = tempfile::tempdir().unwrap();
    evalgate::Harness::new()
        .config(root().join("evalgate.toml"))
        .output_dir(out_dir.path())
        .run(&support::quiet_args(out_dir.path(), &args))
        .map_err(|e| e.to_string())?;
    let listed = std::fs::read_to_string(out_dir.path().join("libtest.log")).unwrap();
    if !listed.lines().any(|l| l.ends_with(": test")) {
        return Err("its filter selects no trial".into());
    }
    Ok(())
}

/// The arguments of `cargo install`: a known tool, or evalgate in a documented form.
fn check_cargo_install(args: &[String]) -> Result<(), String> {
    const TOOLS: &[&str] = &["cargo-insta", "cargo-nextest"];
    let source = args
        .iter()
        .any(|a| a == "--path" || a == "--git" || a == "--version");
    if !source && args.iter().any(|a| TOOLS.contains(&a.as_str())) {
        return Ok(());
    }
    let mut locked = false;
    let mut path = None;
    let mut git = None;
    let mut refs = 0;
    let mut positional = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--locked" => locked = true,
            "--path" => path = it.next(),
            "--git" => git = it.next(),
            "--tag" | "--rev" | "--branch" => {
                refs += 1;
                it.next();
            }
            other if other.starts_with('-') => return Err(format!("unknown flag `{other}`")),
            other => positional.push(other),
        }
    }
    if !locked {
        return Err(
            "install evalgate with --locked (the versions its Cargo.lock was tested with)".into(),
        );
    }
    match (path, git) {
        (Some(_), None) if refs == 0 && positional.is_empty() => Ok(()),
        (None, Some(_)) if refs <= 1 && positional == ["evalgate"] => Ok(()),
        _ => Err(
            "the documented forms are `cargo install --locked --path DIR` and `cargo install \
                  --locked --git URL [--tag TAG|--rev REV] evalgate`"
                .into(),
        ),
    }
}

#[test]
fn every_documented_command_works() {
    let commands: Vec<(String, String)> = documented_commands()
        .into_iter()
        .chain(workflow_commands())
        .collect();
    assert!(
        commands.len() >= 15,
        "found only {} commands; did the docs' code fences change?",
        commands.len()
    );
    let evalgate = commands
        .iter()
        .filter(|(_, c)| evalgate_args(&words(c)).is_some())
        .count();
    assert!(evalgate >= 8, "only {evalgate} evalgate commands found");
    let failures: Vec<String> = commands
        .iter()
        .filter_map(|(file, command)| check(file, command).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_checker_catches_a_wrong_flag_and_an_empty_filter() {
    assert!(check("x.md", "evalgate report summary --results r.json").is_ok());
    let wrong = check("x.md", "evalgate report summary --result r.json").unwrap_err();
    assert!(wrong.contains("refuses it"), "{wrong}");
    assert!(check("x.md", "cargo run -- dataset verify datasets/x").is_ok());
    assert!(check("x.md", "cargo run -- dataset check datasets/x").is_err());
    assert!(check("x.md", "cargo test --test benchmarks -- smoke").is_ok());
    let none = check("x.md", "cargo test --test benchmarks -- nosuchtier").unwrap_err();
    assert!(none.contains("selects no trial"), "{none}");
    assert!(check("x.md", "rm -rf /").is_err());
    assert!(check("x.md", "cargo test --locked --test benchmarks --no-run").is_ok());
    assert!(check("x.md", "cargo test --test datasets").is_ok());
    assert!(check("x.md", "cargo test --test nosuchtarget").is_err());
    assert!(check("x.md", "cargo install --locked --path .").is_ok());
    assert!(
        check(
            "x.md",
            "cargo install --locked --git URL --tag v0.1.0 evalgate"
        )
        .is_ok()
    );
    assert!(
        check("x.md", "cargo install --path .").is_err(),
        "without --locked"
    );
    assert!(
        check("x.md", "cargo install --locked --git URL").is_err(),
        "no package"
    );
    assert!(check("x.md", "cargo install cargo-insta").is_ok());
    assert!(check("x.md", "cargo install --locked cargo-insta").is_ok());
}
