//! Quick fixes the server adds to the core's: a missing required field gets a line of
//! its own, indented like its siblings (this needs the text, which the core's schema
//! layer does not see).

use fabula_core::diagnostic::{Diagnostic, Edit, Fix};
use fabula_core::text::TextRange;

/// For a `missing-field` diagnostic, a fix that adds `name: ` to the mapping.
pub fn missing_field(text: &str, d: &Diagnostic) -> Option<Fix> {
    if d.code != "missing-field" {
        return None;
    }
    let name = d.message.split('`').nth(1)?;
    let start = (d.range.start as usize).min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line = &text[line_start..line_end];
    let indent_of = |l: &str| l.len() - l.trim_start().len();
    // The owner is a nested mapping's key (one line); the root's range spans the file.
    let owner_is_key = line.trim_end().ends_with(':') && d.range.end as usize <= line_end;
    let indent = if owner_is_key {
        text[line_end..]
            .lines()
            .find(|l| !l.trim().is_empty())
            .map_or(indent_of(line) + 2, indent_of)
    } else {
        indent_of(line)
    };
    let insert = format!("\n{}{name}: ", " ".repeat(indent));
    Some(Fix {
        title: format!("add `{name}`"),
        edits: vec![Edit {
            range: TextRange::empty(line_end),
            replacement: insert,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_the_field_at_the_mapping_indentation() {
        let text = "before:\n  text: a\nid: x\n";
        let d = Diagnostic::error(
            "missing-field",
            TextRange::new(0, 6),
            "missing required field `beat` in `before`",
        );
        let fix = missing_field(text, &d).unwrap();
        assert_eq!(fix.edits[0].replacement, "\n  beat: ");
        assert_eq!(fix.edits[0].range, TextRange::empty(7));
    }
}
