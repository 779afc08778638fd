//! GitHub Actions rendering: one workflow command per diagnostic, so findings appear as
//! annotations on the pull request.

use super::{FileReport, positions};
use fabula_core::diagnostic::Severity;
use fabula_core::text::LineIndex;
use std::io::{self, Write};

pub fn write(out: &mut dyn Write, results: &[FileReport<'_>]) -> io::Result<()> {
    for report in results {
        let index = LineIndex::new(&report.doc.text);
        for d in &report.diagnostics {
            let (start, end) = positions(&index, &report.doc.text, d.range);
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            writeln!(
                out,
                "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                escape_property(&report.doc.path),
                start.line,
                start.column,
                end.line,
                end.column,
                escape_property(d.code),
                escape_data(&d.message)
            )?;
        }
    }
    Ok(())
}

/// Workflow-command escaping for the message part.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Workflow-command escaping for properties (also `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
