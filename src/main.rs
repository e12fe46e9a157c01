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
    /// Reports built from a results file (PR comment, job summary, shard merge).
    #[command(subcommand)]
    Report(evalgate::report::ReportCommand),
    /// The run history (append-only JSON lines).
    #[command(subcommand)]
    History(evalgate::history::HistoryCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Command::Score(args) => evalgate::score::run(args),
        Command::Report(cmd) => evalgate::report::run(cmd),
        Command::History(cmd) => evalgate::history::run(cmd),
    }
}
