//! Human rendering: each diagnostic with its source line and carets under the range
//! (`fabula_core::check_text`, shared with `fabula draft`), then a summary line.
//!
//! ```text
//! error[unknown-beat]: `brake_into_two` is not a beat of Save the Cat; did you mean `break_into_two`?
//!   --> dataset/tasks/beat_interpolation/x.yaml:7:11
//!    |
//!  7 | target: brake_into_two
//!    |         ^^^^^^^^^^^^^^
//! ```

use super::{FileReport, Summary, plural};
use fabula_core::check_text;
use fabula_core::text::LineIndex;
use fabula_core::workspace::Workspace;
use std::io::{self, Write};

pub fn write(
    out: &mut dyn Write,
    ws: &Workspace,
    results: &[FileReport<'_>],
    summary: &Summary,
    color: bool,
) -> io::Result<()> {
    for report in results {
        let index = LineIndex::new(&report.doc.text);
        for d in &report.diagnostics {
            check_text::write_diagnostic(
                out,
                ws,
                &report.doc.path,
                &report.doc.text,
                &index,
                d,
                color,
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
