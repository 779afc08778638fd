//! JUnit XML rendering, which CI systems (GitLab, Jenkins, Azure Pipelines, GitHub test
//! reporters) show natively: one test case per checked file. A file with errors (with
//! `--strict`, warnings too) fails, and its failure lists the diagnostics; a file with
//! only warnings passes and lists them as output.
//!
//! Everything from the project (paths, messages that quote YAML values) is escaped, and
//! characters XML 1.0 cannot hold at all (control characters) become U+FFFD.

use super::{FileReport, positions};
use fabula_core::diagnostic::{Diagnostic, Severity};
use fabula_core::text::LineIndex;
use std::io::{self, Write};

/// The suite's name, as CI systems show it.
const SUITE: &str = "fabula check";

pub fn write(out: &mut dyn Write, results: &[FileReport<'_>], strict: bool) -> io::Result<()> {
    let fails = |r: &FileReport<'_>| {
        r.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error || (strict && d.severity == Severity::Warning))
    };
    let failures = results.iter().filter(|r| fails(r)).count();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    let counts = format!(
        r#"tests="{}" failures="{failures}" errors="0" skipped="0""#,
        results.len()
    );
    writeln!(out, r#"<testsuites name="{SUITE}" {counts}>"#)?;
    writeln!(out, r#"  <testsuite name="{SUITE}" {counts}>"#)?;
    for report in results {
        let path = attribute(&report.doc.path);
        write!(
            out,
            r#"    <testcase classname="fabula.check" name="{path}" file="{path}""#
        )?;
        if report.diagnostics.is_empty() {
            writeln!(out, "/>")?;
            continue;
        }
        writeln!(out, ">")?;
        let lines = listing(report);
        if fails(report) {
            let errors = report
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            let warnings = report.diagnostics.len() - errors;
            let first = report
                .diagnostics
                .iter()
                .find(|d| d.severity == Severity::Error)
                .unwrap_or(&report.diagnostics[0]);
            writeln!(
                out,
                r#"      <failure message="{}" type="{}">{}</failure>"#,
                attribute(&format!(
                    "{errors} error(s), {warnings} other finding(s); first: {}",
                    first.message
                )),
                attribute(first.code),
                text(&lines)
            )?;
        } else {
            writeln!(out, "      <system-out>{}</system-out>", text(&lines))?;
        }
        writeln!(out, "    </testcase>")?;
    }
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}

/// `path:line:col: severity[code]: message`, one line per diagnostic.
fn listing(report: &FileReport<'_>) -> String {
    let index = LineIndex::new(&report.doc.text);
    let mut lines = String::new();
    for d in &report.diagnostics {
        let (start, _) = positions(&index, &report.doc.text, d.range);
        lines.push_str(&format!(
            "{}:{}:{}: {}[{}]: {}\n",
            report.doc.path,
            start.line,
            start.column,
            severity(d),
            d.code,
            d.message
        ));
    }
    lines
}

fn severity(d: &Diagnostic) -> &'static str {
    match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

/// Escaped for element content.
pub(super) fn text(s: &str) -> String {
    escape(s, false)
}

/// Escaped for a double-quoted attribute: also quotes, and line breaks and tabs as
/// character references (an attribute's raw whitespace is normalised to spaces).
pub(super) fn attribute(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\t' | '\n' => out.push(c),
            // Not allowed in XML 1.0 even as a reference.
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{attribute, text};

    #[test]
    fn escapes_markup_quotes_and_characters_xml_cannot_hold() {
        assert_eq!(text("a < b && c > d"), "a &lt; b &amp;&amp; c &gt; d");
        assert_eq!(text("say \"hi\"\n"), "say \"hi\"\n");
        assert_eq!(
            attribute("say \"hi\" 'x'\n\t"),
            "say &quot;hi&quot; &apos;x&apos;&#10;&#9;"
        );
        assert_eq!(text("bell\u{7}\u{0}\r"), "bell\u{FFFD}\u{FFFD}&#13;");
        assert_eq!(text("]]> \u{FFFF}"), "]]&gt; \u{FFFD}");
    }
}
