//! Rendering check results: the core returns diagnostics with byte ranges; this turns
//! them into text for people (human), machines (json), GitHub Actions (github) and CI
//! test reports (junit); the leaderboard as a table (board) and as JUnit (junit_board).

pub mod agreement;
pub mod board;
pub mod compare;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod junit_board;

use fabula_core::diagnostic::{Diagnostic, Severity};
use fabula_core::document::Document;
use std::io::IsTerminal;

/// One checked file and what was found in it.
pub struct FileReport<'a> {
    pub doc: &'a Document,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Summary {
    pub files: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Summary {
    pub fn of(results: &[FileReport<'_>]) -> Summary {
        let mut s = Summary {
            files: results.len(),
            ..Summary::default()
        };
        for d in results.iter().flat_map(|r| &r.diagnostics) {
            match d.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Info => s.infos += 1,
            }
        }
        s
    }
}

/// Colour only on a terminal, and never when NO_COLOR is set.
pub fn color_wanted() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

pub use fabula_core::check_text::{Position, positions};

pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}
