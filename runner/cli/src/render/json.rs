//! JSON rendering: every file and diagnostic with byte ranges and line/column positions,
//! and a summary. Stable field names; meant for scripts and editors.

use super::{FileReport, Position, Summary, positions};
use fabula_core::diagnostic::{Fix, Severity};
use fabula_core::text::{LineIndex, TextRange};
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct Output<'a> {
    files: Vec<FileOut<'a>>,
    summary: &'a Summary,
}

#[derive(Serialize)]
struct FileOut<'a> {
    path: &'a str,
    diagnostics: Vec<DiagnosticOut<'a>>,
}

#[derive(Serialize)]
struct DiagnosticOut<'a> {
    code: &'a str,
    severity: Severity,
    message: &'a str,
    range: TextRange,
    start: Position,
    end: Position,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    related: &'a [fabula_core::diagnostic::Related],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    fixes: &'a [Fix],
}

pub fn write(out: &mut dyn Write, results: &[FileReport<'_>], summary: &Summary) -> io::Result<()> {
    let files = results
        .iter()
        .map(|r| {
            let index = LineIndex::new(&r.doc.text);
            FileOut {
                path: &r.doc.path,
                diagnostics: r
                    .diagnostics
                    .iter()
                    .map(|d| {
                        let (start, end) = positions(&index, &r.doc.text, d.range);
                        DiagnosticOut {
                            code: d.code,
                            severity: d.severity,
                            message: &d.message,
                            range: d.range,
                            start,
                            end,
                            related: &d.related,
                            fixes: &d.fixes,
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &Output { files, summary })?;
    writeln!(out)
}
