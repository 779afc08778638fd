//! Human rendering: each diagnostic with its source line and carets under the range.
//!
//! ```text
//! error[unknown-beat]: `brake_into_two` is not a beat of Save the Cat; did you mean `break_into_two`?
//!   --> dataset/tasks/beat_interpolation/x.yaml:7:11
//!    |
//!  7 | target: brake_into_two
//!    |         ^^^^^^^^^^^^^^
//! ```

use super::{FileReport, Summary, plural, positions};
use fabula_core::diagnostic::{Diagnostic, Severity};
use fabula_core::text::LineIndex;
use fabula_core::workspace::Workspace;
use std::io::{self, Write};

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

pub fn write(
    out: &mut dyn Write,
    ws: &Workspace,
    results: &[FileReport<'_>],
    summary: &Summary,
    color: bool,
) -> io::Result<()> {
    let style = Style { on: color };
    for report in results {
        let index = LineIndex::new(&report.doc.text);
        for d in &report.diagnostics {
            write_one(
                out,
                ws,
                &report.doc.path,
                &report.doc.text,
                &index,
                d,
                &style,
            )?;
        }
    }
    let problems = summary.errors + summary.warnings + summary.infos;
    if problems == 0 {
        writeln!(
            out,
            "checked {}: no problems",
            plural(summary.files, "file")
        )
    } else {
        let mut parts = vec![
            plural(summary.errors, "error"),
            plural(summary.warnings, "warning"),
        ];
        if summary.infos > 0 {
            parts.push(plural(summary.infos, "note"));
        }
        writeln!(
            out,
            "checked {}: {}",
            plural(summary.files, "file"),
            parts.join(", ")
        )
    }
}

fn write_one(
    out: &mut dyn Write,
    ws: &Workspace,
    path: &str,
    text: &str,
    index: &LineIndex,
    d: &Diagnostic,
    style: &Style,
) -> io::Result<()> {
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
