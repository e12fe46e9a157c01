//! Posting the PR comment against a fake GitHub REST API on loopback: create once, then update
//! the same comment; never touch another user's marked comment; follow pagination; surface
//! 4xx/5xx clearly without leaking the token.

mod report_support;
mod support;

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use evalgate::unstable::report::github::{DEFAULT_COMMENT_AUTHOR, GitHubClient, PostOutcome};
use evalgate::unstable::report::pr_comment::{self, COMMENT_MARKER, CommentOptions};
use report_support::scenario;
use serde_json::{Value, json};
use support::{Reply, Server};

const TOKEN: &str = "ghs_test_token_do_not_print";
const REPO: &str = "acme/podcasts";
const BOT: &str = DEFAULT_COMMENT_AUTHOR;

#[derive(Debug, Clone)]
struct Comment {
    id: u64,
    pr: u64,
    login: String,
    body: String,
}

#[derive(Debug, Default)]
struct State {
    comments: Vec<Comment>,
    next_id: u64,
    /// Largest page the fake serves, whatever `per_page` asks (to force pagination).
    page_size: usize,
    /// When set, every request answers this status and message.
    fail: Option<(u16, String)>,
    head_sha: String,
    /// `METHOD path?query` of every request received.
    requests: Vec<String>,
}

/// A fake GitHub API on 127.0.0.1, served until dropped.
struct FakeGitHub {
    server: Server,
    state: Arc<Mutex<State>>,
}

impl FakeGitHub {
    fn start(page_size: usize) -> Self {
        let state = Arc::new(Mutex::new(State {
            next_id: 1000,
            page_size,
            head_sha: "abc123".into(),
            ..State::default()
        }));
        let server = {
            let state = Arc::clone(&state);
            Server::start(move |request| {
                let (status, link, response) = handle(
                    &state,
                    &request.server_url,
                    &request.method,
                    &request.target,
                    request.header("authorization").unwrap_or_default(),
                    &request.text(),
                );
                let reply = Reply::json(status, response.to_string());
                match link {
                    Some(link) => reply.header("Link", link),
                    None => reply,
                }
            })
        };
        FakeGitHub { server, state }
    }

    fn seed(&self, pr: u64, login: &str, body: &str) -> u64 {
        let mut s = self.state.lock().unwrap();
        s.next_id += 1;
        let id = s.next_id;
        s.comments.push(Comment {
            id,
            pr,
            login: login.into(),
            body: body.into(),
        });
        id
    }

    fn comments(&self, pr: u64) -> Vec<Comment> {
        let s = self.state.lock().unwrap();
        s.comments.iter().filter(|c| c.pr == pr).cloned().collect()
    }

    fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }

    fn client(&self) -> GitHubClient {
        GitHubClient::new(self.server.url(), REPO, TOKEN).unwrap()
    }
}

fn handle(
    state: &Mutex<State>,
    base: &str,
    method: &str,
    target: &str,
    authorization: &str,
    body: &str,
) -> (u16, Option<String>, Value) {
    let mut s = state.lock().unwrap();
    s.requests.push(format!("{method} {target}"));
    if authorization != format!("Bearer {TOKEN}") {
        return (401, None, json!({"message": "Bad credentials"}));
    }
    if let Some((status, message)) = s.fail.clone() {
        return (status, None, json!({"message": message}));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query_param = |name: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse::<usize>().ok())
    };
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let repo_ok = segments.len() > 2 && format!("{}/{}", segments[1], segments[2]) == REPO;
    if !repo_ok {
        return (404, None, json!({"message": "Not Found"}));
    }
    let comment_json =
        |c: &Comment| json!({"id": c.id, "body": c.body, "user": {"login": c.login}});
    match (method, &segments[3..]) {
        ("GET", ["issues", pr, "comments"]) => {
            let pr: u64 = pr.parse().unwrap();
            let per_page = query_param("per_page").unwrap_or(30).min(s.page_size);
            let page = query_param("page").unwrap_or(1);
            let all: Vec<&Comment> = s.comments.iter().filter(|c| c.pr == pr).collect();
            let start = (page - 1) * per_page;
            let slice: Vec<Value> = all
                .iter()
                .skip(start)
                .take(per_page)
                .map(|c| comment_json(c))
                .collect();
            let link = (start + per_page < all.len()).then(|| {
                format!(
                    "<{base}{path}?per_page={per_page}&page={}>; rel=\"next\", <{base}{path}?per_page={per_page}&page=1>; rel=\"first\"",
                    page + 1
                )
            });
            (200, link, Value::Array(slice))
        }
        ("POST", ["issues", pr, "comments"]) => {
            let pr: u64 = pr.parse().unwrap();
            let body: Value = serde_json::from_str(body).unwrap();
            s.next_id += 1;
            let c = Comment {
                id: s.next_id,
                pr,
                login: BOT.into(),
                body: body["body"].as_str().unwrap().into(),
            };
            let out = comment_json(&c);
            s.comments.push(c);
            (201, None, out)
        }
        ("PATCH", ["issues", "comments", id]) => {
            let id: u64 = id.parse().unwrap();
            let body: Value = serde_json::from_str(body).unwrap();
            match s.comments.iter_mut().find(|c| c.id == id) {
                Some(c) if c.login == BOT => {
                    c.body = body["body"].as_str().unwrap().into();
                    let out = comment_json(c);
                    (200, None, out)
                }
                Some(_) => (403, None, json!({"message": "Must have admin rights"})),
                None => (404, None, json!({"message": "Not Found"})),
            }
        }
        ("GET", ["pulls", _pr]) => (200, None, json!({"head": {"sha": s.head_sha}})),
        _ => (404, None, json!({"message": "Not Found"})),
    }
}

fn body(name: &str) -> String {
    pr_comment::render(&scenario(name), &CommentOptions::default())
}

#[test]
fn first_post_creates_second_updates_the_same_comment() {
    let gh = FakeGitHub::start(100);
    let client = gh.client();
    let first = client
        .upsert_comment(7, &body("all_clear"), COMMENT_MARKER, BOT, None)
        .unwrap();
    let PostOutcome::Created { id } = first else {
        panic!("expected a new comment, got {first:?}")
    };
    let second = client
        .upsert_comment(7, &body("error_regression"), COMMENT_MARKER, BOT, None)
        .unwrap();
    assert_eq!(second, PostOutcome::Updated { id });
    let comments = gh.comments(7);
    assert_eq!(comments.len(), 1, "exactly one comment: {comments:?}");
    assert_eq!(comments[0].id, id);
    assert!(
        comments[0]
            .body
            .starts_with("❌ **evalgate: 1 regression**")
    );
}

#[test]
fn another_users_marked_comment_is_not_touched() {
    let gh = FakeGitHub::start(100);
    let foreign_body = format!("quoting the bot\n{COMMENT_MARKER}\n");
    let foreign = gh.seed(7, "mallory", &foreign_body);
    gh.seed(8, BOT, &format!("other PR\n{COMMENT_MARKER}\n"));
    let client = gh.client();
    let created = client
        .upsert_comment(7, &body("warning"), COMMENT_MARKER, BOT, None)
        .unwrap();
    let PostOutcome::Created { id } = created else {
        panic!("expected a new comment, got {created:?}")
    };
    assert_ne!(id, foreign);
    let updated = client
        .upsert_comment(7, &body("all_clear"), COMMENT_MARKER, BOT, None)
        .unwrap();
    assert_eq!(updated, PostOutcome::Updated { id });
    let comments = gh.comments(7);
    assert_eq!(comments.len(), 2);
    let mallory = comments.iter().find(|c| c.id == foreign).unwrap();
    assert_eq!(mallory.body, foreign_body);
    assert!(
        !gh.requests()
            .iter()
            .any(|r| r.contains(&format!("comments/{foreign}")))
    );
    assert_eq!(
        gh.comments(8)[0].body,
        format!("other PR\n{COMMENT_MARKER}\n")
    );
}

#[test]
fn pagination_is_followed_to_find_our_comment() {
    let gh = FakeGitHub::start(2);
    for i in 0..5 {
        gh.seed(7, "reviewer", &format!("comment {i}"));
    }
    let ours = gh.seed(7, BOT, &format!("old numbers\n{COMMENT_MARKER}\n"));
    gh.seed(7, "reviewer", "later comment");
    let outcome = gh
        .client()
        .upsert_comment(7, &body("all_clear"), COMMENT_MARKER, BOT, None)
        .unwrap();
    assert_eq!(outcome, PostOutcome::Updated { id: ours });
    assert_eq!(gh.comments(7).len(), 7);
    let pages: Vec<String> = gh
        .requests()
        .into_iter()
        .filter(|r| r.starts_with("GET /repos/acme/podcasts/issues/7/comments"))
        .collect();
    assert_eq!(pages.len(), 4, "{pages:?}");
    assert!(pages[3].contains("page=4"), "{pages:?}");
}

#[test]
fn client_errors_and_server_errors_are_clear_and_hide_the_token() {
    let gh = FakeGitHub::start(100);
    gh.state.lock().unwrap().fail = Some((403, "Resource not accessible by integration".into()));
    let err = gh
        .client()
        .upsert_comment(7, &body("all_clear"), COMMENT_MARKER, BOT, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("HTTP 403"), "{err}");
    assert!(
        err.contains("Resource not accessible by integration"),
        "{err}"
    );
    assert!(err.contains("pull-requests: write"), "{err}");
    assert!(
        err.contains("/repos/acme/podcasts/issues/7/comments"),
        "{err}"
    );
    assert!(!err.contains(TOKEN));

    gh.state.lock().unwrap().fail = Some((502, "Server Error".into()));
    let err = gh
        .client()
        .upsert_comment(7, &body("all_clear"), COMMENT_MARKER, BOT, None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("HTTP 502") && err.contains("Server Error"),
        "{err}"
    );
    assert!(!err.contains(TOKEN));
    assert!(gh.comments(7).is_empty());

    let bad = GitHubClient::new(gh.server.url(), REPO, "wrong-token").unwrap();
    gh.state.lock().unwrap().fail = None;
    let err = bad
        .upsert_comment(7, &body("all_clear"), COMMENT_MARKER, BOT, None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("HTTP 401") && err.contains("Bad credentials"),
        "{err}"
    );
    assert!(!err.contains("wrong-token"), "{err}");
}

#[test]
fn unreachable_api_is_an_error_not_a_hang() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = GitHubClient::new(&format!("http://127.0.0.1:{port}"), REPO, TOKEN).unwrap();
    let err = client.list_comments(1).unwrap_err().to_string();
    assert!(
        err.contains("GitHub API: GET /repos/acme/podcasts/issues/1/comments"),
        "{err}"
    );
    assert!(!err.contains(TOKEN));
}

#[test]
fn a_moved_head_skips_posting() {
    let gh = FakeGitHub::start(100);
    let outcome = gh
        .client()
        .upsert_comment(7, &body("all_clear"), COMMENT_MARKER, BOT, Some("def456"))
        .unwrap();
    assert!(
        matches!(outcome, PostOutcome::Skipped { .. }),
        "{outcome:?}"
    );
    assert!(gh.comments(7).is_empty());
    let outcome = gh
        .client()
        .upsert_comment(7, &body("all_clear"), COMMENT_MARKER, BOT, Some("ABC123"))
        .unwrap();
    assert!(
        matches!(outcome, PostOutcome::Created { .. }),
        "{outcome:?}"
    );
}

#[test]
fn a_body_without_the_marker_is_refused() {
    let gh = FakeGitHub::start(100);
    let err = gh
        .client()
        .upsert_comment(7, "no marker here", COMMENT_MARKER, BOT, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("marker"), "{err}");
    assert!(gh.requests().is_empty());
}

#[test]
fn command_posts_twice_and_leaves_one_updated_comment() {
    let gh = FakeGitHub::start(100);
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.json");
    let post = |name: &str, token: &str| {
        scenario(name).write(&results).unwrap();
        std::process::Command::new(env!("CARGO_BIN_EXE_evalgate"))
            .args(["report", "pr-comment", "--results"])
            .arg(&results)
            .args(["--post", "--pr", "7", "--head-sha", "abc123"])
            .env("GITHUB_API_URL", gh.server.url())
            .env("GITHUB_REPOSITORY", REPO)
            .env("GITHUB_TOKEN", token)
            .output()
            .unwrap()
    };
    let first = post("all_clear", TOKEN);
    let stderr = String::from_utf8_lossy(&first.stderr).to_string();
    assert!(first.status.success(), "{stderr}");
    assert!(stderr.contains("created comment"), "{stderr}");
    let second = post("error_regression", TOKEN);
    let stderr = String::from_utf8_lossy(&second.stderr).to_string();
    assert!(second.status.success(), "{stderr}");
    assert!(stderr.contains("updated comment"), "{stderr}");
    let comments = gh.comments(7);
    assert_eq!(comments.len(), 1);
    assert!(comments[0].body.contains("❌ **regression**"));
    assert!(comments[0].body.lines().any(|l| l == COMMENT_MARKER));
    for out in [&first, &second] {
        assert!(!String::from_utf8_lossy(&out.stdout).contains(TOKEN));
        assert!(!String::from_utf8_lossy(&out.stderr).contains(TOKEN));
    }

    let denied = post("all_clear", "ghs_wrong_secret");
    assert_eq!(denied.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&denied.stderr);
    assert!(stderr.contains("HTTP 401"), "{stderr}");
    assert!(!stderr.contains("ghs_wrong_secret"), "{stderr}");
    assert_eq!(gh.comments(7).len(), 1);
}
