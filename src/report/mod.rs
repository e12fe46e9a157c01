//! Reports read from the results file: the PR comment, the job summary, shard merges, the
//! GitHub poster, the webhook alert, the HTML dashboard and the history charts. Reports get plain
//! data (a [`crate::results::RunResults`]) and compute nothing of their own; the
//! `evalgate report ...` and `evalgate alert` commands call them.

pub mod alert;
pub mod chart;
pub mod console;
pub mod github;
pub mod html;
pub mod markdown;
pub mod merge;
pub mod pr_comment;
pub mod sections;
pub mod summary;
