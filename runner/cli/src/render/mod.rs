//! Rendering check results: the core returns diagnostics with byte ranges; this turns
//! them into text for people (human), machines (json) and GitHub Actions (github).

pub mod board;
pub mod github;
pub mod human;
pub mod json;
pub mod report;

use fabula_core::diagnostic::{Diagnostic, Severity};
use fabula_core::document::Document;
use fabula_core::text::{LineIndex, TextRange};
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

/// A one-based line and one-based column counted in characters, as editors show them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// Start and end positions of `range` in `text`.
pub fn positions(index: &LineIndex, text: &str, range: TextRange) -> (Position, Position) {
    (
        position(index, text, range.start),
        position(index, text, range.end),
    )
}

fn position(index: &LineIndex, text: &str, offset: u32) -> Position {
    let lc = index.line_col(offset);
    let line_start = index.offset(fabula_core::text::LineCol {
        line: lc.line,
        col: 0,
    }) as usize;
    let end = (line_start + lc.col as usize).min(text.len());
    let column = text
        .get(line_start..end)
        .map_or(lc.col as usize, |s| s.chars().count());
    Position {
        line: lc.line + 1,
        column: column as u32 + 1,
    }
}

pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}
