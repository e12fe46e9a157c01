//! The `evalgate` command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// evalgate: ML output quality as `cargo test` results.
#[derive(Debug, Parser)]
#[command(name = "evalgate", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Score prediction/reference pairs (ROUGE, BLEU, chrF, WER family) from a JSON-lines file.
    Score(evalgate::score::ScoreArgs),
    /// Dataset maintenance.
    #[command(subcommand)]
    Dataset(DatasetCommand),
    /// Reports built from a results file (PR comment, job summary, shard merge).
    #[command(subcommand)]
    Report(evalgate::report::ReportCommand),
    /// The run history (append-only JSON lines).
    #[command(subcommand)]
    History(evalgate::history::HistoryCommand),
}

#[derive(Debug, Subcommand)]
enum DatasetCommand {
    /// Write fresh SHA-256 hashes of every input and reference into `<DIR>/dataset.json`.
    /// Run it when you make a new dataset version; loading verifies them.
    Hash {
        /// Dataset folders (each with a dataset.json).
        #[arg(required = true)]
        dirs: Vec<std::path::PathBuf>,
    },
    /// Load and verify datasets (structure and hashes) without running anything.
    Verify {
        /// Dataset folders (each with a dataset.json).
        #[arg(required = true)]
        dirs: Vec<std::path::PathBuf>,
    },
}

fn dataset_command(cmd: &DatasetCommand) -> ExitCode {
    let mut status = ExitCode::SUCCESS;
    match cmd {
        DatasetCommand::Hash { dirs } => {
            for dir in dirs {
                match evalgate::dataset::write_hashes(dir) {
                    Ok(changed) => println!("{}: {changed} item(s) re-hashed", dir.display()),
                    Err(e) => {
                        eprintln!("evalgate: {e}");
                        status = ExitCode::from(2);
                    }
                }
            }
        }
        DatasetCommand::Verify { dirs } => {
            for dir in dirs {
                match evalgate::dataset::Dataset::load(dir) {
                    Ok(d) => println!(
                        "{}: ok, {} items, {}",
                        dir.display(),
                        d.items.len(),
                        d.content_hash
                    ),
                    Err(e) => {
                        eprintln!("evalgate: {e}");
                        status = ExitCode::from(2);
                    }
                }
            }
        }
    }
    status
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Command::Score(args) => evalgate::score::run(args),
        Command::Dataset(cmd) => dataset_command(cmd),
        Command::Report(cmd) => evalgate::report::run(cmd),
        Command::History(cmd) => evalgate::history::run(cmd),
    }
}
