//! The `evalgate` command line: scoring files, maintaining datasets, and the reports and history
//! CI builds from a results file. The benchmarks themselves run under `cargo test`.
//!
//! Every subcommand reports an error as `evalgate <subcommand>: error: <message>` on standard
//! error and exits with:
//! - 0 when it did its job;
//! - 1 when it could not reach or was refused by a remote service (posting the PR comment);
//! - 2 when its input or arguments are wrong (a missing or malformed file, a bad option) — the
//!   message names the file and line where it can.
//!
//! `evalgate alert` only warns when it cannot send its message (exit 0, see `alert.rs`).

mod alert;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use evalgate::unstable::dataset::{self, import};
use evalgate::unstable::outside::inert;
use evalgate::unstable::{history, results::RunResults, score};

/// evalgate: ML output quality as `cargo test` results.
#[derive(Debug, Parser)]
#[command(name = "evalgate", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Set evalgate up in an existing crate: evalgate.toml, tests/benchmarks.rs,
    /// tests/datasets.rs, an example dataset, the Cargo.toml entries and, with --ci, the GitHub
    /// workflows. Checks every target first and never overwrites anything.
    Init(InitArgs),
    /// Score prediction/reference evaluations (ROUGE, BLEU, chrF, WER family) from a JSON-lines file.
    Score(ScoreArgs),
    /// Dataset maintenance.
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// Reports built from a results file (PR comment, job summary, HTML dashboard, history chart,
    /// shard merge).
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// The run history (append-only JSON lines).
    #[command(subcommand)]
    History(HistoryCommand),
    /// Post one message (Slack, Discord or JSON webhook) when the run has regressions that the
    /// previous run in the history did not have; run it on the default branch only.
    Alert(alert::AlertArgs),
}

/// Arguments of `evalgate init`.
#[derive(Debug, clap::Args)]
struct InitArgs {
    /// The crate's folder (with its Cargo.toml).
    #[arg(long, value_name = "DIR", default_value = ".")]
    path: PathBuf,
    /// Depend on the evalgate source in this folder: `evalgate = { path = "..." }` (relative
    /// when it is inside the crate, absolute otherwise). Default: the checkout this evalgate
    /// command was installed from (`cargo install --path`), when it is still there.
    #[arg(long, value_name = "PATH", conflicts_with = "evalgate_git")]
    evalgate_path: Option<PathBuf>,
    /// Depend on evalgate from this git repository: `evalgate = { git = "...", tag = "..." }`.
    #[arg(long, value_name = "URL")]
    evalgate_git: Option<String>,
    /// The git tag to depend on (with --evalgate-git).
    #[arg(long, requires = "evalgate_git", conflicts_with_all = ["rev", "branch"])]
    tag: Option<String>,
    /// The git revision to depend on (with --evalgate-git).
    #[arg(long, requires = "evalgate_git", conflicts_with = "branch")]
    rev: Option<String>,
    /// The git branch to depend on (with --evalgate-git).
    #[arg(long, requires = "evalgate_git")]
    branch: Option<String>,
    /// Also write the GitHub Actions workflows (smoke benchmarks on pull requests, the PR
    /// comment, the nightly full tier) and .config/nextest.toml.
    #[arg(long)]
    ci: bool,
}

/// Arguments of `evalgate score`.
#[derive(Debug, clap::Args)]
struct ScoreArgs {
    /// JSON lines `{"id": str, "prediction": str, "reference": str}`.
    #[arg(long)]
    input: PathBuf,
    /// Apply the Porter stemmer in ROUGE (rouge-score's `use_stemmer=True`). Off by default, as
    /// in rouge-score; a suite's `[suite] stemmer` is on by default, so pass --stemmer to
    /// reproduce a suite's ROUGE numbers.
    #[arg(long)]
    stemmer: bool,
    /// Print one object with corpus-level BLEU, chrF and WER-family values instead of one per line.
    #[arg(long)]
    corpus: bool,
    /// Comma-separated metric ids or groups (`rouge`, `bleu`, `chrf`, `wer`, `semantic`);
    /// default: all of ROUGE, `bleu`, `chrf`, `wer`, `cer`, `mer`, `wil`. `chrf_pp`, `wer_norm`,
    /// `cer_norm` and the embedding metrics (`semantic_similarity`, `semantic_similarity_min`,
    /// `coherence`) are available on request; `semantic_similarity_min` (the worst pair) only
    /// with `--corpus`.
    #[arg(long, value_delimiter = ',')]
    metrics: Option<Vec<String>>,
    /// The sentence-transformers model folder for the `semantic` metrics (default: the
    /// EVALGATE_EMBEDDING_MODEL environment variable, else
    /// ~/.cache/evalgate/models/all-MiniLM-L6-v2).
    #[arg(long, conflicts_with = "embedding_endpoint")]
    embedding_model: Option<PathBuf>,
    /// Embed with an OpenAI-compatible /v1/embeddings server instead of a local model: its base
    /// URL (e.g. http://127.0.0.1:8000/v1); needs --embedding-endpoint-model. Vectors are cached
    /// like the local model's.
    #[arg(long, requires = "embedding_endpoint_model")]
    embedding_endpoint: Option<String>,
    /// The model name sent to --embedding-endpoint.
    #[arg(long, requires = "embedding_endpoint")]
    embedding_endpoint_model: Option<String>,
    /// The NAME of the environment variable holding --embedding-endpoint's API key (sent as
    /// `Authorization: Bearer`); without it no key is sent.
    #[arg(long, requires = "embedding_endpoint")]
    embedding_api_key_env: Option<String>,
    /// Write to this file instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum DatasetCommand {
    /// Write fresh SHA-256 hashes of every input and reference into `<DIR>/dataset.json`.
    /// Run it when you make a new dataset version; loading verifies them.
    Hash {
        /// Dataset folders (each with a dataset.json).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
    /// Load and verify datasets (structure and hashes) without running anything.
    Verify {
        /// Dataset folders (each with a dataset.json).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
    /// Make a new dataset version from a JSON-lines, JSON (array) or CSV file of records: item
    /// texts as files, dataset.json with hashes, verified. Never overwrites a folder.
    Import(Box<ImportArgs>),
    /// Copy a dataset to its next version (`<name>_v1` → `<name>_v2` beside it), with the
    /// version bumped and fresh hashes. Never overwrites a folder.
    New {
        /// The dataset folder to copy (with a dataset.json).
        dir: PathBuf,
    },
}

/// Arguments of `evalgate dataset import`.
#[derive(Debug, clap::Args)]
struct ImportArgs {
    /// The file of records: `.jsonl` (one JSON object a line), `.json` (an array of objects) or
    /// `.csv` (a header row, then one record a row).
    file: PathBuf,
    /// The file's format, when its extension does not say it.
    #[arg(long, value_parser = ["jsonl", "json", "csv"])]
    format: Option<String>,
    /// The field holding each item's id (a string or a whole number, unique).
    #[arg(long, value_name = "FIELD", default_value = "id")]
    id_field: String,
    /// The field holding each item's input text.
    #[arg(long, value_name = "FIELD")]
    input_field: String,
    /// A field holding a reference text or an array of them; repeat for several fields. Leave
    /// it out for a reference-free dataset (gates, latency, cost and judge metrics only: ROUGE,
    /// BLEU, chrF and WER need references).
    #[arg(long = "reference-field", value_name = "FIELD")]
    reference_fields: Vec<String>,
    /// A field copied into each item's metadata; repeat for several.
    #[arg(long = "metadata-field", value_name = "FIELD")]
    metadata_fields: Vec<String>,
    /// The dataset folder to create; its name is the dataset id (`datasets/<name>_v1`).
    /// Default: `datasets/<--id>`.
    #[arg(long, required_unless_present = "id")]
    out: Option<PathBuf>,
    /// The dataset id (the folder name).
    #[arg(long)]
    id: Option<String>,
    /// The dataset version. Default: the N of an id ending in `_vN`, else 1.
    #[arg(long)]
    version: Option<u32>,
    /// The dataset's task, e.g. `summarization` or `transcript_cleaning`.
    #[arg(long, default_value = "summarization")]
    task: String,
    /// What the dataset is for. Default: a line naming the file and the fields.
    #[arg(long)]
    description: Option<String>,
}

#[derive(Debug, Subcommand)]
enum HistoryCommand {
    /// Append one run record to the history file (created when missing).
    Append {
        /// results.json of the run (merged, for sharded runs).
        #[arg(long)]
        results: PathBuf,
        /// The JSON-lines history file.
        #[arg(long)]
        history: PathBuf,
    },
}

/// Why a subcommand failed, which decides its exit status.
enum Failure {
    /// Wrong input or arguments: exit 2.
    Input(String),
    /// A remote service failed or refused: exit 1.
    Remote(String),
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Input(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (name, outcome) = match &cli.command {
        Command::Init(args) => ("init", init_command(args)),
        Command::Score(args) => ("score", score_command(args)),
        Command::Dataset(cmd) => ("dataset", dataset_command(cmd)),
        Command::Report(cmd) => ("report", report::run(cmd)),
        Command::History(cmd) => ("history", history_command(cmd)),
        Command::Alert(args) => ("alert", alert::run(args)),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(message)) => {
            eprintln!("evalgate {name}: error: {}", inert(&message));
            ExitCode::from(2)
        }
        Err(Failure::Remote(message)) => {
            eprintln!("evalgate {name}: error: {}", inert(&message));
            ExitCode::from(1)
        }
    }
}

fn init_command(args: &InitArgs) -> Result<(), Failure> {
    use evalgate::unstable::init::{self, GitRef, Source};
    let source = match (&args.evalgate_path, &args.evalgate_git) {
        (Some(path), _) => Some(Source::Path(path.clone())),
        (None, Some(url)) => Some(Source::Git {
            url: url.clone(),
            reference: match (&args.tag, &args.rev, &args.branch) {
                (Some(tag), _, _) => Some(GitRef::Tag(tag.clone())),
                (_, Some(rev), _) => Some(GitRef::Rev(rev.clone())),
                (_, _, Some(branch)) => Some(GitRef::Branch(branch.clone())),
                _ => None,
            },
        }),
        (None, None) => None,
    };
    let report = init::init(&init::Options {
        dir: args.path.clone(),
        source,
        ci: args.ci,
    })?;
    let at = args.path.display();
    println!("evalgate init: set up evalgate in {at}");
    println!();
    println!("wrote:");
    for file in &report.written {
        println!("  {file}");
    }
    println!();
    println!("Cargo.toml:");
    for added in &report.cargo_added {
        println!("  added {added}");
    }
    for kept in &report.cargo_kept {
        println!("  kept  {kept}");
    }
    for note in &report.notes {
        println!();
        println!("note: {}", inert(note));
    }
    println!();
    println!("next steps:");
    let cd = if args.path == std::path::Path::new(".") {
        String::new()
    } else {
        format!("cd {at} && ")
    };
    println!(
        "  1. install the evalgate command from the same source (once): {}",
        report.install
    );
    println!("  2. run the benchmarks: {cd}cargo test --test benchmarks");
    println!(
        "     (the first run has no baseline: its vs-baseline tests are ignored and it writes \
         baselines/*.snap.new)"
    );
    println!("  3. accept the first baselines and commit them: cargo insta accept");
    println!("     (cargo-insta: cargo install cargo-insta)");
    Ok(())
}

fn score_command(args: &ScoreArgs) -> Result<(), Failure> {
    score::run(&score::ScoreArgs {
        input: args.input.clone(),
        stemmer: args.stemmer,
        corpus: args.corpus,
        metrics: args.metrics.clone(),
        embedding_model: args.embedding_model.clone(),
        embedding_endpoint: args.embedding_endpoint.clone(),
        embedding_endpoint_model: args.embedding_endpoint_model.clone(),
        embedding_api_key_env: args.embedding_api_key_env.clone(),
        output: args.output.clone(),
    })
    .map_err(Failure::Input)
}

fn dataset_command(cmd: &DatasetCommand) -> Result<(), Failure> {
    let mut failures = Vec::new();
    match cmd {
        DatasetCommand::Import(args) => return import_command(args),
        DatasetCommand::New { dir } => return new_command(dir),
        DatasetCommand::Hash { dirs } => {
            for dir in dirs {
                match dataset::write_hashes(dir) {
                    Ok(changed) => println!("{}: {changed} item(s) re-hashed", dir.display()),
                    Err(e) => failures.push(e.to_string()),
                }
            }
        }
        DatasetCommand::Verify { dirs } => {
            for dir in dirs {
                match dataset::Dataset::load(dir) {
                    Ok(d) => println!(
                        "{}: ok, {} items, {}",
                        dir.display(),
                        d.items.len(),
                        d.content_hash
                    ),
                    Err(e) => failures.push(e.to_string()),
                }
            }
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Failure::Input(failures.join("\n")))
    }
}

fn import_command(args: &ImportArgs) -> Result<(), Failure> {
    let out = match (&args.out, &args.id) {
        (Some(out), _) => out.clone(),
        (None, Some(id)) => PathBuf::from("datasets").join(id),
        (None, None) => unreachable!("clap requires --out or --id"),
    };
    let options = import::ImportOptions {
        file: args.file.clone(),
        format: args.format.as_deref().and_then(import::Format::from_name),
        id_field: args.id_field.clone(),
        input_field: args.input_field.clone(),
        reference_fields: args.reference_fields.clone(),
        metadata_fields: args.metadata_fields.clone(),
        out,
        id: args.id.clone(),
        version: args.version,
        task: args.task.clone(),
        description: args.description.clone(),
    };
    let written = import::import(&options)?;
    print_warnings(&written.warnings);
    let d = &written.dataset;
    let references: usize = d.items.iter().map(|i| i.references.len()).sum();
    let references = if d.is_reference_free() {
        "no references: a reference-free dataset".to_string()
    } else {
        format!("{references} references")
    };
    println!(
        "wrote {}: dataset `{}` version {}, task `{}`, {} items ({references}), {}",
        d.dir.display(),
        d.id,
        d.version,
        d.task,
        d.items.len(),
        d.content_hash
    );
    if d.is_reference_free() {
        println!(
            "  its items have no references: gates, latency, cost and metrics that need no \
             reference run on it; reference-based metrics (ROUGE, BLEU, chrF, WER, \
             numbers_retained, coverage_ratio) are refused when the suite loads"
        );
    }
    print_next_steps(d, false);
    Ok(())
}

fn new_command(dir: &std::path::Path) -> Result<(), Failure> {
    let written = import::new_version(dir)?;
    print_warnings(&written.warnings);
    let d = &written.dataset;
    println!(
        "wrote {}: dataset `{}` version {}, {} items, copied from {} with fresh hashes",
        d.dir.display(),
        d.id,
        d.version,
        d.items.len(),
        dir.display()
    );
    print_next_steps(d, true);
    Ok(())
}

/// Warnings on standard error: the first 20, then how many more.
fn print_warnings(warnings: &[String]) {
    const SHOWN: usize = 20;
    for warning in warnings.iter().take(SHOWN) {
        eprintln!("evalgate dataset: warning: {}", inert(warning));
    }
    if warnings.len() > SHOWN {
        eprintln!(
            "evalgate dataset: warning: … and {} more like these",
            warnings.len() - SHOWN
        );
    }
}

/// What to do with a new dataset version.
fn print_next_steps(d: &dataset::Dataset, copied: bool) {
    let dir = d.dir.display();
    let id = &d.id;
    // Without `path`, the suite looks for `<datasets_dir>/<id>`, by default `datasets/<id>`.
    let in_default_place = d
        .dir
        .parent()
        .is_some_and(|p| p == std::path::Path::new("datasets"));
    println!();
    println!("next steps:");
    let mut step = 1;
    if copied {
        println!(
            "  {step}. edit the items in {dir} (dataset.json, inputs/, references/), then write \
             their hashes with `evalgate dataset hash {dir}`"
        );
        step += 1;
    }
    let rename = if copied {
        ", in place of the old version's table and tier entry"
    } else {
        ""
    };
    println!("  {step}. add it to the suite (evalgate.toml) and to a tier's `datasets`{rename}:");
    println!();
    println!("       [datasets.{id}]");
    if !in_default_place {
        println!("       path = \"{}\"", dir.to_string().replace('\\', "/"));
    }
    println!("       systems = [\"<system>\"]");
    if d.is_reference_free() {
        // Without a list the dataset takes `suite.metrics`, which may need references.
        println!(
            "       metrics = [\"truncation\", \"short_output\", \"repetition\", \
             \"latency_p95_ms\"]  # no references: no ROUGE, BLEU, chrF or WER"
        );
    }
    println!();
    step += 1;
    println!(
        "  {step}. check it with `evalgate dataset verify {dir}`; the suite's first run on it has \
         no baseline: accept one with `cargo insta review`"
    );
}

fn history_command(cmd: &HistoryCommand) -> Result<(), Failure> {
    match cmd {
        HistoryCommand::Append { results, history } => {
            let results = RunResults::read(results)?;
            match history::append(&results, history)? {
                history::AppendOutcome::Appended { records } => eprintln!(
                    "evalgate history: appended the run to {} ({records} runs recorded)",
                    history.display()
                ),
                history::AppendOutcome::AlreadyRecorded => eprintln!(
                    "evalgate history: {} already records this run; nothing appended",
                    history.display()
                ),
            }
            Ok(())
        }
    }
}
