//! Text → `serde_json::Value` through serde-saphyr, with resource budgets, so that bad
//! input (alias bombs, deep nesting, huge files, binary garbage) is an error, not a hang.

use crate::diagnostic::Diagnostic;
use crate::text::TextRange;
use serde_json::Value;

/// Files larger than this are not parsed; one diagnostic says so. A 20,000-line task is
/// about 1 MB, so this leaves room while keeping memory bounded.
pub const MAX_FILE_BYTES: usize = 8 * 1024 * 1024;

/// Structural nesting allowed. Fabula's formats nest at most 6 levels deep.
const MAX_DEPTH: usize = 48;

/// The result of parsing one YAML text.
#[derive(Debug)]
pub enum Parsed {
    /// A document (an empty text is `Value::Null`).
    Value(Value),
    /// Not valid YAML, or over a budget; the diagnostic says where.
    Invalid(Diagnostic),
}

/// Parses `text` (BOM already removed by the caller) into a value tree.
pub fn parse_value(text: &str) -> Parsed {
    if text.len() > MAX_FILE_BYTES {
        return Parsed::Invalid(too_large());
    }
    if let Some(at) = text.find('\0') {
        return Parsed::Invalid(Diagnostic::error(
            "yaml-syntax",
            TextRange::new(at, at + 1),
            "file contains a NUL byte; is it binary?",
        ));
    }
    let mut budget = serde_saphyr::budget::Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.flow_nesting_limit = MAX_DEPTH;
    budget.max_aliases = MAX_ALIASES;
    budget.max_nodes = MAX_NODES;
    budget.max_documents = 1;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    // YAML 1.1 read `y`, `no`, `on` as booleans; authors writing prose mean strings.
    options.strict_booleans = true;
    options.alias_limits.max_total_replayed_events = MAX_REPLAYED;
    options.alias_limits.max_alias_expansions_per_anchor = 1_000;
    match serde_saphyr::from_str_with_options::<Option<Value>>(text, options) {
        Ok(value) => Parsed::Value(value.unwrap_or(Value::Null)),
        Err(err) => Parsed::Invalid(syntax_diagnostic(text, &err)),
    }
}

/// The diagnostic for a file over [`MAX_FILE_BYTES`]. It names no size: a front end that
/// reads at most one byte past the limit and one that holds the whole text must say the
/// same thing.
pub fn too_large() -> Diagnostic {
    let mib = MAX_FILE_BYTES / (1024 * 1024);
    Diagnostic::error(
        "file-too-large",
        TextRange::empty(0),
        format!("file is larger than {mib} MiB; Fabula reads YAML files up to {mib} MiB"),
    )
}

fn syntax_diagnostic(text: &str, err: &serde_saphyr::Error) -> Diagnostic {
    let range = err
        .location()
        .map(|loc| location_range(text, &loc))
        .unwrap_or_default();
    let message = match original(err) {
        serde_saphyr::Error::Budget { breach, .. } => budget_message(breach),
        _ => clean_message(&err.to_string()),
    };
    Diagnostic::error("yaml-syntax", range, message)
}

/// The error under any alias or snippet wrappers.
fn original(mut err: &serde_saphyr::Error) -> &serde_saphyr::Error {
    while let serde_saphyr::Error::AliasError { error, .. }
    | serde_saphyr::Error::WithSnippet { error, .. } = err
    {
        err = error;
    }
    err
}

fn too_deep() -> String {
    format!("nesting is too deep; Fabula reads at most {MAX_DEPTH} levels")
}

/// One plain sentence per budget (serde-saphyr's own text is a Rust debug string).
fn budget_message(breach: &serde_saphyr::budget::BudgetBreach) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    match breach {
        B::Depth { .. } | B::InclusionDepth { .. } | B::SequenceUnbalanced => too_deep(),
        B::Aliases { .. }
        | B::Anchors { .. }
        | B::AliasAnchorRatio { .. }
        | B::MergeKeys { .. }
        | B::RecordedAnchorEvents { .. } => alias_bomb(),
        B::Documents { .. } => {
            "more than one YAML document (`---`); Fabula reads one document per file".to_owned()
        }
        B::Events { .. } | B::Nodes { .. } => {
            format!("too many YAML nodes; Fabula reads at most {MAX_NODES} values per file")
        }
        _ => format!(
            "file is too large to read; Fabula reads YAML files up to {} MiB",
            MAX_FILE_BYTES / (1024 * 1024)
        ),
    }
}

fn alias_bomb() -> String {
    format!(
        "aliases expand too far (an alias bomb?); Fabula allows at most {MAX_ALIASES} aliases and {MAX_REPLAYED} expanded nodes"
    )
}

const MAX_ALIASES: usize = 1_000;
const MAX_REPLAYED: usize = 100_000;

/// Values (mappings, sequences, scalars) one file may hold.
const MAX_NODES: usize = 1_000_000;

/// Byte range of a serde-saphyr location: its byte offset when known, else its line and
/// column; one character wide so editors can show it.
fn location_range(text: &str, loc: &serde_saphyr::Location) -> TextRange {
    let start = match loc.span().byte_offset() {
        Some(offset) => usize::try_from(offset).unwrap_or(text.len()),
        None => {
            let line = usize::try_from(loc.line().saturating_sub(1)).unwrap_or(0);
            let col = usize::try_from(loc.column().saturating_sub(1)).unwrap_or(0);
            let line_start = text
                .split_inclusive('\n')
                .take(line)
                .map(str::len)
                .sum::<usize>();
            let line_text = text[line_start.min(text.len())..]
                .split('\n')
                .next()
                .unwrap_or("");
            line_start
                + line_text
                    .char_indices()
                    .nth(col)
                    .map_or(line_text.len(), |(i, _)| i)
        }
    };
    let start = floor_char_boundary(text, start.min(text.len()));
    let end = text[start..]
        .chars()
        .next()
        .filter(|c| *c != '\n' && *c != '\r')
        .map_or(start, |c| start + c.len_utf8());
    TextRange::new(start, end)
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// serde-saphyr messages carry positions ("at line X column Y") and hints meant for
/// programmers; the range already says where, so keep the first clause, in plain words.
fn clean_message(message: &str) -> String {
    let first = message.lines().next().unwrap_or(message).trim();
    let cut = first
        .find(" at line ")
        .map_or(first, |i| first[..i].trim_end());
    let lower = cut.to_lowercase();
    if let Some(rest) = lower.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(',').next().unwrap_or(rest).trim();
        return format!("duplicate key `{key}`; each key may appear once in a mapping");
    }
    if lower.starts_with("alias replay limit exceeded")
        || lower.contains("alias expansion")
        || lower.contains("too many aliases")
    {
        return alias_bomb();
    }
    if lower.contains("recursion limit exceeded")
        || lower.contains("depth") && lower.contains("exceed")
    {
        return too_deep();
    }
    let mut out = cut.to_owned();
    if let Some(c) = out.get(..1) {
        let lower = c.to_lowercase();
        out.replace_range(..1, &lower);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(text: &str) -> Diagnostic {
        match parse_value(text) {
            Parsed::Invalid(d) => d,
            Parsed::Value(v) => panic!("expected an error, got {v}"),
        }
    }

    #[test]
    fn parses_plain_documents() {
        let Parsed::Value(v) = parse_value("a: 1\nb: [x, y]\n") else {
            panic!("should parse")
        };
        assert_eq!(v["b"][1], "y");
        assert!(matches!(parse_value(""), Parsed::Value(Value::Null)));
    }

    #[test]
    fn duplicate_keys_are_errors_with_a_location() {
        let d = invalid("a: 1\na: 2\n");
        assert_eq!(d.code, "yaml-syntax");
        assert!(d.message.contains("duplicate"), "{}", d.message);
        assert_eq!(d.range.start, 5);
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let d = invalid(&text);
        assert_eq!(d.code, "yaml-syntax");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = "[".repeat(10_000) + &"]".repeat(10_000);
        assert_eq!(invalid(&text).code, "yaml-syntax");
        let block: String = (0..1_000)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect();
        assert_eq!(invalid(&block).code, "yaml-syntax");
    }
}
