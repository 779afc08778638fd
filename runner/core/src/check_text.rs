//! Diagnostics as text, the way `fabula check` shows them to people: each with its source
//! line and carets under the range. Shared by `fabula check`'s human format and by
//! `fabula draft`, which sends a model's draft back with exactly this text.
//!
//! ```text
//! error[unknown-beat]: `brake_into_two` is not a beat of Save the Cat; did you mean `break_into_two`?
//!   --> dataset/tasks/beat_interpolation/x.yaml:7:11
//!    |
//!  7 | target: brake_into_two
//!    |         ^^^^^^^^^^^^^^
//! ```

use crate::diagnostic::{Diagnostic, Severity};
use crate::document::Document;
use crate::text::{LineIndex, TextRange};
use crate::workspace::Workspace;
use std::io::{self, Write};

/// The diagnostics of `doc` as plain text (no colour), one block each.
pub fn render(ws: &Workspace, doc: &Document, diagnostics: &[Diagnostic]) -> String {
    let index = LineIndex::new(&doc.text);
    let mut out = Vec::new();
    for d in diagnostics {
        // Writing into a Vec cannot fail.
        let _ = write_diagnostic(&mut out, ws, &doc.path, &doc.text, &index, d, false);
    }
    String::from_utf8_lossy(&out).trim_end().to_owned()
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
    let line_start = index.offset(crate::text::LineCol {
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

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// Writes one diagnostic of the file at `path` (its `text` and line `index`): the
/// message, the location, the source line with carets, related places and fixes.
pub fn write_diagnostic(
    out: &mut dyn Write,
    ws: &Workspace,
    path: &str,
    text: &str,
    index: &LineIndex,
    d: &Diagnostic,
    color: bool,
) -> io::Result<()> {
    let style = Style { on: color };
    let (label, color) = match d.severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
        Severity::Info => ("note", "1;36"),
    };
    writeln!(
        out,
        "{}: {}",
        style.paint(color, &format!("{label}[{}]", d.code)),
        style.paint("1", &d.message)
    )?;
    let (start, end) = positions(index, text, d.range);
    writeln!(out, "  --> {path}:{}:{}", start.line, start.column)?;
    let line_range = index.line_range(start.line - 1, text);
    let line_text: String = text
        .get(line_range.as_usize())
        .unwrap_or("")
        .chars()
        .map(printable)
        .collect();
    let gutter = start.line.to_string().len();
    let pad = " ".repeat(gutter);
    let bar = style.paint("1;34", "|");
    writeln!(out, "{pad} {bar}")?;
    let last_col = if end.line == start.line {
        end.column
    } else {
        line_text.chars().count() as u32 + 1
    };
    let (shown, caret_at) = window(&line_text, start.column as usize - 1);
    writeln!(
        out,
        "{} {bar} {shown}",
        style.paint("1;34", &start.line.to_string())
    )?;
    let width = last_col.saturating_sub(start.column).max(1) as usize;
    let carets = "^".repeat(width.min(WINDOW.saturating_sub(caret_at)).max(1));
    writeln!(
        out,
        "{pad} {bar} {}{}",
        " ".repeat(caret_at),
        style.paint(color, &carets)
    )?;
    for related in &d.related {
        let where_ = ws
            .document(&related.path)
            .map(|doc| {
                let (p, _) = positions(&LineIndex::new(&doc.text), &doc.text, related.range);
                format!("{}:{}:{}", related.path, p.line, p.column)
            })
            .unwrap_or_else(|| related.path.clone());
        writeln!(out, "{pad} = note: {}: {where_}", related.message)?;
    }
    for fix in &d.fixes {
        writeln!(out, "{pad} = help: {}", fix.title)?;
    }
    writeln!(out)
}

const WINDOW: usize = 160;

/// A window of a long line (minified or garbage input) around column `at`, and where the
/// caret goes in it.
fn window(line: &str, at: usize) -> (String, usize) {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= WINDOW {
        return (line.to_owned(), at);
    }
    let start = at.saturating_sub(WINDOW / 4);
    let end = (start + WINDOW).min(chars.len());
    let mut shown = String::new();
    let mut caret = at - start;
    if start > 0 {
        shown.push('…');
        caret += 1;
    }
    shown.extend(&chars[start..end]);
    if end < chars.len() {
        shown.push('…');
    }
    (shown, caret)
}

/// Control characters must not reach the terminal (binary input could move the cursor or
/// change colours); they are shown as `�`. Tabs become spaces so carets line up.
fn printable(c: char) -> char {
    match c {
        '\t' => ' ',
        c if c.is_control() => '\u{fffd}',
        c => c,
    }
}
