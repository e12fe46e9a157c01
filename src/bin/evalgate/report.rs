//! `evalgate report ...`: the PR comment, the job summary, shard merges, the HTML dashboard and
//! the history charts, all read from the results file (and the history file). The workflows in `.github/workflows/` only call these commands.

use std::path::PathBuf;

use evalgate::unstable::fsutil::write_atomic;
use evalgate::unstable::history;
use evalgate::unstable::report::{chart, github, html, merge, pr_comment, summary};
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
        /// The run history (JSON lines): each failing metric gets a text sparkline of its last
        /// values.
        #[arg(long)]
        history: Option<PathBuf>,
    },
    /// A self-contained HTML dashboard (one file, works offline): summary, metrics vs baseline,
    /// per-item drill-down with diffs, and optionally a comparison and history charts.
    Html(HtmlArgs),
    /// An SVG chart of one metric over the run history.
    Chart(ChartArgs),
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
    /// https), e.g. the smoke run's `evalgate-report` artifact. Empty means none, so a workflow
    /// expression that may be empty can be passed as it is.
    #[arg(long)]
    pub report_url: Option<String>,
}

/// Arguments of `evalgate report html`.
#[derive(Debug, clap::Args)]
pub struct HtmlArgs {
    /// results.json to show.
    #[arg(long)]
    pub results: PathBuf,
    /// The run history (JSON lines, `evalgate history append`): adds one chart per metric per
    /// dataset × system.
    #[arg(long)]
    pub history: Option<PathBuf>,
    /// Another run's results.json to compare with (two models or prompts on the same data).
    #[arg(long)]
    pub compare: Option<PathBuf>,
    /// The folder the results' paths (predictions files, baselines, the suite configuration)
    /// are relative to: the project root.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub root: PathBuf,
    /// Where to write the page.
    #[arg(short, long)]
    pub output: PathBuf,
}

/// Arguments of `evalgate report chart`.
#[derive(Debug, clap::Args)]
pub struct ChartArgs {
    /// The run history (JSON lines).
    #[arg(long)]
    pub history: PathBuf,
    /// The metric to draw.
    #[arg(long)]
    pub metric: String,
    /// Only this dataset × system (`dataset/system`); without it, one line per pair that has
    /// the metric, with a legend.
    #[arg(long, value_name = "DATASET/SYSTEM")]
    pub pair: Option<String>,
    /// Where to write the chart (an `.svg` file).
    #[arg(short, long)]
    pub output: PathBuf,
}

/// Runs an `evalgate report` subcommand.
pub fn run(command: &ReportCommand) -> Result<(), Failure> {
    match command {
        ReportCommand::PrComment(args) => pr_comment_command(args),
        ReportCommand::Summary {
            results,
            output,
            history,
        } => {
            let results = RunResults::read(results)?;
            let markdown = match history {
                Some(path) => summary::render_with_history(&results, &history::read(path)?),
                None => summary::render(&results),
            };
            emit(&markdown, output.as_deref())
        }
        ReportCommand::Html(args) => html_command(args),
        ReportCommand::Chart(args) => chart_command(args),
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

fn html_command(args: &HtmlArgs) -> Result<(), Failure> {
    let results = RunResults::read(&args.results)?;
    let compare = match &args.compare {
        Some(path) => Some((path.display().to_string(), RunResults::read(path)?)),
        None => None,
    };
    let history = match &args.history {
        Some(path) => Some(history::read(path)?),
        None => None,
    };
    let dashboard = html::gather(&html::Sources {
        results: &results,
        root: &args.root,
        compare: compare.as_ref().map(|(label, r)| (label.as_str(), r)),
        history: history.as_deref(),
    });
    let page = html::render(&dashboard)?;
    write_atomic(&args.output, page.as_bytes())?;
    eprintln!(
        "evalgate report html: wrote {} ({} evaluations, {} charts, {} notes)",
        args.output.display(),
        dashboard.evaluations.len(),
        dashboard.charts.len(),
        dashboard.notes.len()
    );
    for note in &dashboard.notes {
        eprintln!("evalgate report html: note: {note}");
    }
    Ok(())
}

fn chart_command(args: &ChartArgs) -> Result<(), Failure> {
    let is_svg = args
        .output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    if !is_svg {
        return Err(Failure::Input(format!(
            "--output {}: only SVG charts are written (name the file `*.svg`); PNG would need \
             system fonts",
            args.output.display()
        )));
    }
    let pair = match &args.pair {
        Some(pair) => match pair.split_once('/') {
            Some((dataset, system)) if !dataset.is_empty() && !system.is_empty() => {
                Some((dataset, system))
            }
            _ => {
                return Err(Failure::Input(format!(
                    "--pair `{pair}`: expected `dataset/system`"
                )));
            }
        },
        None => None,
    };
    let records = history::read(&args.history)?;
    let series = chart::trend_series(&records, Some(&args.metric), pair);
    if series.is_empty() {
        let mut known: Vec<String> = chart::trend_series(&records, None, None)
            .iter()
            .filter(|s| pair.is_none_or(|(d, sys)| s.dataset == d && s.system == sys))
            .map(|s| s.metric.clone())
            .collect();
        known.sort();
        known.dedup();
        return Err(Failure::Input(format!(
            "{}: no values of metric `{}`{}; metrics recorded: {}",
            args.history.display(),
            args.metric,
            args.pair
                .as_deref()
                .map(|p| format!(" for `{p}`"))
                .unwrap_or_default(),
            if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            }
        )));
    }
    let title = match &args.pair {
        Some(pair) => format!("{} · {pair}", args.metric),
        None if series.len() == 1 => format!("{} · {}", args.metric, series[0].pair()),
        None => args.metric.clone(),
    };
    let svg = chart::render_svg(&title, &series, 800, 400)?;
    write_atomic(&args.output, svg.as_bytes())?;
    let points: usize = series.iter().map(|s| s.points.len()).sum();
    eprintln!(
        "evalgate report chart: wrote {} ({} series, {points} points)",
        args.output.display(),
        series.len()
    );
    Ok(())
}

fn pr_comment_command(args: &PrCommentArgs) -> Result<(), Failure> {
    let given = |url: &Option<String>| url.clone().filter(|u| !u.trim().is_empty());
    let (details_url, report_url) = (given(&args.details_url), given(&args.report_url));
    for (flag, url) in [("--details-url", &details_url), ("--report-url", &report_url)] {
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
        details_url,
        report_url,
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
