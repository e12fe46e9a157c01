//! Posting the PR comment through GitHub's REST API: list the pull request's comments (following
//! pagination), update the one that carries the marker and was written by our bot user, create
//! one only when there is none. The token is sent only to the configured API origin and never
//! appears in messages.

use std::time::Duration;

use serde_json::Value;

use crate::error::{Error, ReportError, Result};
use crate::outside::{Bound, Secrets, admit};

/// The login of the bot that `GITHUB_TOKEN` comments as in GitHub Actions.
pub const DEFAULT_COMMENT_AUTHOR: &str = "github-actions[bot]";

/// Comments requested per page (GitHub's maximum).
const PER_PAGE: u32 = 100;

/// Pages followed at most when listing comments (10,000 comments).
const MAX_PAGES: usize = 100;

/// Timeout for one whole request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A comment on an issue or pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueComment {
    /// Comment id.
    pub id: u64,
    /// Login of the author.
    pub author: String,
    /// Markdown body.
    pub body: String,
}

/// What posting did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostOutcome {
    /// No comment of ours existed; this one was created.
    Created {
        /// New comment id.
        id: u64,
    },
    /// Our existing comment was updated in place.
    Updated {
        /// Comment id.
        id: u64,
    },
    /// Nothing was posted; the reason says why (e.g. the PR moved on to another commit).
    Skipped {
        /// Why nothing was posted.
        reason: String,
    },
}

/// A minimal GitHub REST client for issue comments.
pub struct GitHubClient {
    api_url: String,
    repo: String,
    token: String,
    agent: ureq::Agent,
}

impl std::fmt::Debug for GitHubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitHubClient")
            .field("api_url", &self.api_url)
            .field("repo", &self.repo)
            .field("token", &"***")
            .finish()
    }
}

impl GitHubClient {
    /// A client for `repo` (`owner/name`) at `api_url` (e.g. `https://api.github.com`).
    pub fn new(api_url: &str, repo: &str, token: &str) -> Result<Self> {
        let api_url = api_url.trim_end_matches('/').to_string();
        let (scheme_ok, loopback) = match api_url.split_once("://") {
            Some(("https", _)) => (true, false),
            Some(("http", rest)) => {
                let host = rest.split(['/', ':']).next().unwrap_or("");
                let loopback = matches!(host, "127.0.0.1" | "localhost");
                (loopback, loopback)
            }
            _ => (false, false),
        };
        if !scheme_ok {
            return Err(Error::Report(ReportError::new(format!(
                "GITHUB_API_URL `{}` must be an https:// URL (plain http only on \
                 127.0.0.1/localhost, for tests)",
                admit(&api_url, &Secrets::none(), Bound::SNIPPET)
            ))));
        }
        let repo_ok = repo.split_once('/').is_some_and(|(owner, name)| {
            let ok = |s: &str| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            };
            ok(owner) && ok(name)
        });
        if !repo_ok {
            return Err(Error::Report(ReportError::new(format!(
                "GITHUB_REPOSITORY `{}` is not `owner/name`",
                admit(repo, &Secrets::none(), Bound::SNIPPET)
            ))));
        }
        if token.trim().is_empty() {
            return Err(Error::Report(ReportError::new(
                "GITHUB_TOKEN is empty; pass the workflow's token in the environment",
            )));
        }
        Ok(GitHubClient {
            api_url,
            repo: repo.to_string(),
            token: token.to_string(),
            agent: crate::http::service_agent(REQUEST_TIMEOUT, loopback),
        })
    }

    /// A client from `GITHUB_API_URL` (default `https://api.github.com`), `GITHUB_REPOSITORY`
    /// and `GITHUB_TOKEN`.
    pub fn from_env() -> Result<Self> {
        let api_url = std::env::var("GITHUB_API_URL")
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "https://api.github.com".to_string());
        let repo = std::env::var("GITHUB_REPOSITORY").map_err(|_| {
            Error::Report(ReportError::new(
                "GITHUB_REPOSITORY is not set (expected `owner/name`)",
            ))
        })?;
        let token = std::env::var("GITHUB_TOKEN").map_err(|_| {
            Error::Report(ReportError::new(
                "GITHUB_TOKEN is not set; add `env: GITHUB_TOKEN: ${{ github.token }}` to the \
                 posting step",
            ))
        })?;
        GitHubClient::new(&api_url, &repo, &token)
    }

    /// Every comment on pull request `pr`, oldest first, following `Link: rel="next"` pages.
    pub fn list_comments(&self, pr: u64) -> Result<Vec<IssueComment>> {
        let mut url = format!(
            "{}/repos/{}/issues/{pr}/comments?per_page={PER_PAGE}",
            self.api_url, self.repo
        );
        let mut comments = Vec::new();
        for _ in 0..MAX_PAGES {
            let response = self.send("GET", &url, None)?;
            let page: Value = parse_json(&response.body, "GET", &url)?;
            let Some(items) = page.as_array() else {
                return Err(Error::Report(ReportError::new(format!(
                    "GitHub API: GET {} returned something other than a list of comments",
                    self.path_of(&url)
                ))));
            };
            for item in items {
                comments.push(comment_from_json(item).ok_or_else(|| {
                    Error::Report(ReportError::new(format!(
                        "GitHub API: GET {} returned a comment without id, body or user.login",
                        self.path_of(&url)
                    )))
                })?);
            }
            match response.link.as_deref().and_then(next_link) {
                Some(next) => {
                    if !next.starts_with(&format!("{}/", self.api_url)) {
                        return Err(Error::Report(ReportError::new(format!(
                            "GitHub API: the next page of comments points outside {} ({}); \
                             refusing to send the token there",
                            self.api_url,
                            self.scrub(&next)
                        ))));
                    }
                    url = next;
                }
                None => return Ok(comments),
            }
        }
        Err(Error::Report(ReportError::new(format!(
            "GitHub API: PR #{pr} has more than {} pages of comments; giving up",
            MAX_PAGES
        ))))
    }

    /// Creates a comment on pull request `pr`; returns its id.
    pub fn create_comment(&self, pr: u64, body: &str) -> Result<u64> {
        let url = format!("{}/repos/{}/issues/{pr}/comments", self.api_url, self.repo);
        let payload = serde_json::json!({ "body": body }).to_string();
        let response = self.send("POST", &url, Some(&payload))?;
        let value: Value = parse_json(&response.body, "POST", &url)?;
        value["id"].as_u64().ok_or_else(|| {
            Error::Report(ReportError::new(format!(
                "GitHub API: POST {} answered without a comment id",
                self.path_of(&url)
            )))
        })
    }

    /// Replaces the body of comment `id`.
    pub fn update_comment(&self, id: u64, body: &str) -> Result<()> {
        let url = format!("{}/repos/{}/issues/comments/{id}", self.api_url, self.repo);
        let payload = serde_json::json!({ "body": body }).to_string();
        self.send("PATCH", &url, Some(&payload))?;
        Ok(())
    }

    /// The head commit SHA of pull request `pr`.
    pub fn pull_head_sha(&self, pr: u64) -> Result<String> {
        let url = format!("{}/repos/{}/pulls/{pr}", self.api_url, self.repo);
        let response = self.send("GET", &url, None)?;
        let value: Value = parse_json(&response.body, "GET", &url)?;
        value["head"]["sha"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| {
                Error::Report(ReportError::new(format!(
                    "GitHub API: GET {} answered without head.sha",
                    self.path_of(&url)
                )))
            })
    }

    /// Posts `body` as the evalgate comment on pull request `pr`: updates the first comment by
    /// `author` containing `marker` on a line of its own, or creates one when there is none.
    /// With `expected_head`, posts only while the PR's head commit is that SHA.
    pub fn upsert_comment(
        &self,
        pr: u64,
        body: &str,
        marker: &str,
        author: &str,
        expected_head: Option<&str>,
    ) -> Result<PostOutcome> {
        if !has_marker_line(body, marker) {
            return Err(Error::Report(ReportError::new(format!(
                "the comment body lacks the marker line `{marker}`; without it the next post \
                 would add a second comment"
            ))));
        }
        if let Some(expected) = expected_head {
            let head = self.pull_head_sha(pr)?;
            if !head.eq_ignore_ascii_case(expected) {
                return Ok(PostOutcome::Skipped {
                    reason: format!(
                        "PR #{pr} is at commit {head}, not {expected} that these results are \
                         for (a newer push, or results from another PR); not posting"
                    ),
                });
            }
        }
        let ours = self
            .list_comments(pr)?
            .into_iter()
            .find(|c| c.author == author && has_marker_line(&c.body, marker));
        match ours {
            Some(comment) => {
                self.update_comment(comment.id, body)?;
                Ok(PostOutcome::Updated { id: comment.id })
            }
            None => Ok(PostOutcome::Created {
                id: self.create_comment(pr, body)?,
            }),
        }
    }

    /// The part of `url` after the API origin, for messages (a next-page URL comes from a
    /// response header, so it is admitted).
    fn path_of(&self, url: &str) -> String {
        admit(
            url.strip_prefix(&self.api_url).unwrap_or(url),
            &Secrets::none(),
            Bound::SNIPPET,
        )
    }

    /// What the API or the transport said, for an error message: admitted, with the token and
    /// the secret-looking environment values redacted.
    fn scrub(&self, text: &str) -> String {
        admit(
            text,
            &Secrets::from_env().with(&self.token),
            Bound::one_line(300),
        )
    }

    fn send(&self, method: &str, url: &str, body: Option<&str>) -> Result<RawResponse> {
        let auth = format!("Bearer {}", self.token);
        let result = match (method, body) {
            ("GET", _) => self
                .agent
                .get(url)
                .header("Authorization", &auth)
                .header("Accept", "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28")
                .call(),
            ("POST", Some(b)) => self
                .agent
                .post(url)
                .header("Authorization", &auth)
                .header("Accept", "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28")
                .header("Content-Type", "application/json")
                .send(b),
            ("PATCH", Some(b)) => self
                .agent
                .patch(url)
                .header("Authorization", &auth)
                .header("Accept", "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28")
                .header("Content-Type", "application/json")
                .send(b),
            _ => unreachable!("internal: unsupported request {method}"),
        };
        let mut response = result.map_err(|e| {
            Error::Report(ReportError::new(format!(
                "GitHub API: {method} {} failed: {}; check GITHUB_API_URL and the network",
                self.path_of(url),
                self.scrub(&e.to_string())
            )))
        })?;
        let status = response.status().as_u16();
        let link = response
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = response.body_mut().read_to_string().unwrap_or_default();
        if !(200..300).contains(&status) {
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["message"].as_str().map(str::to_string))
                .unwrap_or_else(|| text.clone());
            return Err(Error::Report(ReportError::new(format!(
                "GitHub API: {method} {} failed with HTTP {status}: {}. {}",
                self.path_of(url),
                self.scrub(&message),
                status_hint(status)
            ))));
        }
        Ok(RawResponse { body: text, link })
    }
}

struct RawResponse {
    body: String,
    link: Option<String>,
}

fn status_hint(status: u16) -> &'static str {
    match status {
        401 => "The token was rejected; is GITHUB_TOKEN set to the workflow's token?",
        403 => {
            "The token lacks permission; the posting job needs `pull-requests: write` (comments \
             cannot be written from a fork's pull_request run, which is why a workflow_run job \
             posts them)"
        }
        404 => "Check GITHUB_REPOSITORY and the PR number, and that the token can see the repo",
        422 => "GitHub refused the content (e.g. the body is too long)",
        429 => "Rate limited; retry later",
        s if s >= 500 => "GitHub is having trouble; rerun the job later",
        _ => "",
    }
}

fn parse_json(text: &str, method: &str, url: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| {
        Error::Report(ReportError::new(format!(
            "GitHub API: {method} {} returned invalid JSON ({e})",
            admit(url, &Secrets::none(), Bound::SNIPPET)
        )))
    })
}

fn comment_from_json(item: &Value) -> Option<IssueComment> {
    Some(IssueComment {
        id: item["id"].as_u64()?,
        author: item["user"]["login"].as_str()?.to_string(),
        body: item["body"].as_str().unwrap_or("").to_string(),
    })
}

/// True when `marker` stands on a line of its own in `body`.
pub fn has_marker_line(body: &str, marker: &str) -> bool {
    body.lines().any(|line| line.trim() == marker)
}

/// The `rel="next"` URL of a `Link` header.
pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        let url = url.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| url.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_next_link() {
        let header = "<https://api.github.com/repositories/1/issues/2/comments?page=2>; rel=\"next\", \
                      <https://api.github.com/repositories/1/issues/2/comments?page=5>; rel=\"last\"";
        assert_eq!(
            next_link(header).as_deref(),
            Some("https://api.github.com/repositories/1/issues/2/comments?page=2")
        );
        assert_eq!(
            next_link("<https://x/y?page=1>; rel=\"prev\", <https://x/y?page=1>; rel=\"first\""),
            None
        );
    }

    #[test]
    fn marker_must_be_on_its_own_line() {
        let marker = "<!-- m -->";
        assert!(has_marker_line("x\n<!-- m -->\ny", marker));
        assert!(!has_marker_line("quoting <!-- m --> inline", marker));
    }

    #[test]
    fn rejects_bad_configuration() {
        assert!(GitHubClient::new("http://example.com", "o/r", "t").is_err());
        assert!(GitHubClient::new("https://api.github.com", "nope", "t").is_err());
        assert!(GitHubClient::new("https://api.github.com", "o/r", " ").is_err());
        assert!(GitHubClient::new("http://127.0.0.1:9", "o/r", "t").is_ok());
        let debug = format!(
            "{:?}",
            GitHubClient::new("http://127.0.0.1:9", "o/r", "s3cr3t").unwrap()
        );
        assert!(!debug.contains("s3cr3t"));
    }
}
