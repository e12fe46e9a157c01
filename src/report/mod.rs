//! `evalgate report ...` and `evalgate history ...`: PR comments, job summaries, shard merges and
//! the run history, all read from the results file.

use std::process::ExitCode;

/// `evalgate report` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ReportCommand {
    /// Markdown for the job summary.
    Summary {
        /// results.json to read.
        #[arg(long)]
        results: std::path::PathBuf,
    },
}

/// Runs an `evalgate report` subcommand.
pub fn run(command: &ReportCommand) -> ExitCode {
    eprintln!("evalgate report: not built yet ({command:?})");
    ExitCode::from(2)
}
