//! `fabula leaderboard`: scores from the results store, in the format asked for. The
//! exit code's gate is the models' overall scores against `--fail-under`, whatever the
//! format (JUnit's per-type cases are shown, not gated).

use super::session::Session;
use crate::Outcome;
use crate::args::{BoardFormat, LeaderboardArgs};
use crate::render::{board, junit_board};
use anyhow::Context as _;
use fabula_engine::store::Detail;
use fabula_eval::leaderboard::{self, Board, Options};
use std::io::Write;
use std::path::Path;

pub fn run(args: &LeaderboardArgs) -> anyhow::Result<Outcome> {
    let session = Session::open(&args.project)?;
    let work = crate::args::WorkArgs {
        models: args.models.clone(),
        judges: args.judges.clone(),
        ..super::all_work()
    };
    let board = print(
        &session,
        &session.writers(&work)?,
        &session.judges(&work)?,
        args.format,
        args.write.as_deref(),
        args.allow_partial,
        args.fail_under,
    )?;
    if let Some(min) = args.fail_under {
        let under: Vec<String> = board
            .rows
            .iter()
            .filter(|r| r.score.is_none_or(|e| e.score < min))
            .map(|r| {
                format!(
                    "{} ({})",
                    r.model,
                    r.score
                        .map_or("unscored".into(), |e| format!("{:.1}", e.score))
                )
            })
            .collect();
        if !under.is_empty() {
            let mut err = std::io::stderr().lock();
            writeln!(err, "below {min}: {}", under.join(", "))?;
            return Ok(Outcome::Findings);
        }
    }
    Ok(Outcome::Success)
}

/// Computes and prints the leaderboard of `models` (JUnit judged against `fail_under`);
/// also writes Markdown to `write`.
pub fn print(
    session: &Session,
    models: &[String],
    judges: &[String],
    format: BoardFormat,
    write: Option<&Path>,
    allow_partial: bool,
    fail_under: Option<f64>,
) -> anyhow::Result<Board> {
    let tasks = session.all_tasks();
    let loaded = session.store.load_with(Detail::Scores);
    let board = leaderboard::compute(
        &session.current(),
        &tasks,
        &loaded,
        models,
        judges,
        &Options {
            allow_partial,
            ..Options::default()
        },
    );
    let mut out = std::io::stdout().lock();
    let written = match format {
        BoardFormat::Table => board::table(&mut out, &board),
        BoardFormat::Markdown => board::markdown(&mut out, &board),
        BoardFormat::Json => board::json(&mut out, &board),
        BoardFormat::Csv => board::csv(&mut out, &board),
        BoardFormat::Junit => junit_board::write(&mut out, &board, fail_under),
    };
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other?,
    }
    if let Some(path) = write {
        let mut text = Vec::new();
        board::markdown(&mut text, &board)?;
        std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(board)
}
