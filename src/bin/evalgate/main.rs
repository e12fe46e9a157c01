//! The `evalgate` command line: scoring files, maintaining datasets, and the reports and history
//! CI builds from a results file. The benchmarks themselves run under `cargo test`.
//!
//! Every subcommand reports an error as `evalgate <subcommand>: error: <message>` on standard
//! error and exits with:
//! - 0 when it did its job;
//! - 1 when it could not reach or was refused by a remote service (posting the PR comment);
//! - 2 when its input or arguments are wrong (a missing or malformed file, a bad option) — the
//!   message names the file and line where it can.

mod report;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use evalgate::unstable::outside::inert;
use evalgate::unstable::{dataset, history, results::RunResults, score};

/// evalgate: ML output quality as `cargo test` results.
#[derive(Debug, Parser)]
#[command(name = "evalgate", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Score prediction/reference evaluations (ROUGE, BLEU, chrF, WER family) from a JSON-lines file.
    Score(ScoreArgs),
    /// Dataset maintenance.
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// Reports built from a results file (PR comment, job summary, shard merge).
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// The run history (append-only JSON lines).
    #[command(subcommand)]
    History(HistoryCommand),
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
    /// Comma-separated metric ids or groups (`rouge`, `bleu`, `chrf`, `wer`); default: all of
    /// ROUGE, `bleu`, `chrf`, `wer`, `cer`, `mer`, `wil`. `chrf_pp`, `wer_norm` and `cer_norm` are
    /// available on request.
    #[arg(long, value_delimiter = ',')]
    metrics: Option<Vec<String>>,
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
        Command::Score(args) => ("score", score_command(args)),
        Command::Dataset(cmd) => ("dataset", dataset_command(cmd)),
        Command::Report(cmd) => ("report", report::run(cmd)),
        Command::History(cmd) => ("history", history_command(cmd)),
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

fn score_command(args: &ScoreArgs) -> Result<(), Failure> {
    score::run(&score::ScoreArgs {
        input: args.input.clone(),
        stemmer: args.stemmer,
        corpus: args.corpus,
        metrics: args.metrics.clone(),
        output: args.output.clone(),
    })
    .map_err(Failure::Input)
}

fn dataset_command(cmd: &DatasetCommand) -> Result<(), Failure> {
    let mut failures = Vec::new();
    match cmd {
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
