//! `evalgate report ...`: the PR comment, the job summary and shard merges, all read from the
//! results file. The workflows in `.github/workflows/` only call these commands.

use std::path::PathBuf;

use evalgate::unstable::fsutil::write_atomic;
use evalgate::unstable::report::{github, merge, pr_comment, summary};
use evalgate::unstable::results::RunResults;

use super::Failure;

/// `evalgate report` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ReportCommand {
    /// Markdown for the pull-request comment (PR vs baseline); with --post, posts or updates it.
    PrComment(PrCommentArgs),
    /// Markdown for the job summary ($GITHUB_STEP_SUMMARY).
    Summary {
        /// results.json to read.
        #[arg(long)]
        results: PathBuf,
        /// Write the Markdown here instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Merge shard or part results (files, or folders of *.json) into one results file.
    Merge {
        /// Results files or folders holding them.
        #[arg(required = true, value_name = "SHARD_RESULTS")]
        inputs: Vec<PathBuf>,
        /// Where to write the merged results.
        #[arg(long)]
        output: PathBuf,
    },
}

/// Arguments of `evalgate report pr-comment`.
#[derive(Debug, clap::Args)]
pub struct PrCommentArgs {
    /// results.json to read.
    #[arg(long)]
    pub results: PathBuf,
    /// Write the Markdown here (otherwise it goes to standard output when not posting).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Post the comment to pull request --pr through the GitHub REST API (GITHUB_API_URL,
    /// GITHUB_REPOSITORY, GITHUB_TOKEN), updating evalgate's earlier comment if there is one.
    #[arg(long, requires = "pr")]
    pub post: bool,
    /// Pull request number.
    #[arg(long)]
    pub pr: Option<u64>,
    /// Post only while the PR's head commit is this SHA (guards against a PR number taken from
    /// an untrusted artifact, and against stale runs).
    #[arg(long, requires = "post")]
    pub head_sha: Option<String>,
    /// Login whose marked comment is updated (the bot GITHUB_TOKEN writes as).
    #[arg(long, default_value = github::DEFAULT_COMMENT_AUTHOR)]
    pub comment_author: String,
    /// Link to the run, shown in the comment (http or https).
    #[arg(long)]
    pub details_url: Option<String>,
    /// Link to the run's HTML dashboard (`evalgate report html`), shown in the comment (http or
    /// https), e.g. the smoke run's `evalgate-report` artifact.
    #[arg(long)]
    pub report_url: Option<String>,
}

/// Runs an `evalgate report` subcommand.
pub fn run(command: &ReportCommand) -> Result<(), Failure> {
    match command {
        ReportCommand::PrComment(args) => pr_comment_command(args),
        ReportCommand::Summary { results, output } => {
            let markdown = summary::render(&RunResults::read(results)?);
            emit(&markdown, output.as_deref())
        }
        ReportCommand::Merge { inputs, output } => {
            let files = merge::expand_inputs(inputs)?;
            let merged = merge::merge_files(&files)?;
            merged.write(output)?;
            eprintln!(
                "evalgate report merge: {} files → {} ({} evaluations, {} passed, {} failed, {} warned, \
                 {} ignored)",
                files.len(),
                output.display(),
                merged.evaluations.len(),
                merged.summary.passed,
                merged.summary.failed,
                merged.summary.warned,
                merged.summary.ignored
            );
            Ok(())
        }
    }
}

fn pr_comment_command(args: &PrCommentArgs) -> Result<(), Failure> {
    for (flag, url) in [
        ("--details-url", &args.details_url),
        ("--report-url", &args.report_url),
    ] {
        if let Some(url) = url
            && !pr_comment::is_plain_url(url)
        {
            return Err(Failure::Input(format!(
                "{flag} `{}` is not a plain http(s) URL",
                evalgate::unstable::outside::redact_url_credentials(url)
            )));
        }
    }
    let results = RunResults::read(&args.results)?;
    let options = pr_comment::CommentOptions {
        details_url: args.details_url.clone(),
        report_url: args.report_url.clone(),
    };
    let markdown = pr_comment::render(&results, &options);
    if !args.post {
        return emit(&markdown, args.output.as_deref());
    }
    if let Some(path) = &args.output {
        write_atomic(path, markdown.as_bytes())?;
    }
    let pr = args.pr.expect("clap requires --pr with --post");
    let client = github::GitHubClient::from_env()?;
    let outcome = client
        .upsert_comment(
            pr,
            &markdown,
            pr_comment::COMMENT_MARKER,
            &args.comment_author,
            args.head_sha.as_deref(),
        )
        .map_err(|e| Failure::Remote(e.to_string()))?;
    match outcome {
        github::PostOutcome::Created { id } => {
            eprintln!("evalgate report pr-comment: created comment {id} on PR #{pr}")
        }
        github::PostOutcome::Updated { id } => {
            eprintln!("evalgate report pr-comment: updated comment {id} on PR #{pr}")
        }
        github::PostOutcome::Skipped { reason } => {
            eprintln!("evalgate report pr-comment: skipped: {reason}")
        }
    }
    Ok(())
}

fn emit(markdown: &str, output: Option<&std::path::Path>) -> Result<(), Failure> {
    match output {
        Some(path) => Ok(write_atomic(path, markdown.as_bytes())?),
        None => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(markdown.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|e| Failure::Input(format!("cannot write to standard output: {e}")))
        }
    }
}
