//! Re-parsing only the entry an edit stayed inside.
//!
//! A one-character edit to a 20,000-line task should not cost a parse of 20,000 lines. When
//! the edit lies inside one block entry (a `- ` sequence item or a `key:` pair), and that
//! entry's text is the same kind of entry before and after, the entry is parsed on its own
//! and its value replaces the old one in the value tree.
//!
//! Equivalence with a full parse rests on YAML's block structure: the text before the
//! entry is unchanged, so a parser reaches the entry in the same state; every line of the
//! entry but its first is indented deeper than the entry's column, and the first line
//! after it is not, so the entry ends where it ended before; the text after it is
//! unchanged, so it parses as before. Two things could still make one entry's text mean
//! something elsewhere, and both turn this path off: anchors and aliases (a value defined
//! in one place, used in another) and directives or extra documents. Every guess is
//! checked: the entry's old text, parsed alone, must equal the old value found at the
//! path, and the new text must parse as one entry of the same kind and key. Anything else
//! answers `None`, and the caller parses the whole text.

use crate::path::{Path, Segment};
use crate::syntax::{Parsed, parse_value};
use crate::text::TextRange;
use serde_json::Value;
use std::ops::Range;

/// Below this size a whole parse is fast enough; splicing is not tried. A 1,000-line task
/// (about 30 KB) is well above it: parsing it whole, and building its positions again for
/// its findings, took 5 to 15 ms an edit.
pub const MIN_BYTES: usize = 4 * 1024;

/// How many enclosing entries to try, innermost first, before giving up.
const MAX_TRIES: usize = 4;

/// An entry re-parsed after an edit.
#[derive(Debug)]
pub struct Splice {
    /// Where the entry's value lives in the value tree.
    pub path: Path,
    /// The entry's new value.
    pub value: Value,
    /// The entry's text in the new text, from the start of its first line.
    pub fragment: Range<usize>,
    /// What the span tree of the entry is built from (with `fragment.start` as its base):
    /// the entry's text with everything before its column on its first line blanked, then,
    /// unless the entry ends the file, a stand-in sibling, so that the entry ends as it
    /// does in context (tree-sitter ends a block scalar differently at the end of a file).
    pub text: String,
    pub change: Change,
}

/// The entry of `new` that differs from `old` (whose value is `old_value`), parsed alone;
/// `None` when the edit is not inside one entry or any check fails.
pub fn find(old: &str, new: &str, old_value: &Value) -> Option<Splice> {
    let change = changed(old, new)?;
    let Change {
        start,
        old_end,
        new_end,
    } = change;
    let first = line_start(new, start);
    // The lowest indentation on the changed lines below the first, before and after.
    let mut bound = usize::MAX;
    for (text, end) in [(old, old_end), (new, new_end)] {
        for line in lines_from(text, first).skip(1) {
            if line.start > end {
                break;
            }
            match indent(line_text(text, line.start)) {
                Indent::Tab => return None,
                Indent::Content(n) => bound = bound.min(n),
                Indent::Blank => {}
            }
        }
    }
    let mut tries = 0;
    let mut at = first;
    loop {
        let line = line_text(new, at);
        match indent(line) {
            Indent::Tab => return None,
            Indent::Blank => {}
            Indent::Content(n) => {
                let old_line = line_text(old, at);
                // The first line's entries count only if they begin before the edit.
                let found: Vec<Entry> = entries(line)
                    .into_iter()
                    .rev()
                    .filter(|e| e.col < bound && (at > first || at + e.col <= start))
                    .collect();
                for entry in found {
                    tries += 1;
                    if tries > MAX_TRIES {
                        return None;
                    }
                    if let Some(s) = try_entry((old, new), old_value, at, &entry, change) {
                        return Some(s);
                    }
                }
                bound = bound.min(n);
                if at == first
                    && let Indent::Content(o) = indent(old_line)
                {
                    bound = bound.min(o);
                }
                if bound == 0 {
                    return None;
                }
            }
        }
        if at == 0 {
            return None;
        }
        at = line_start(new, at - 1);
    }
}

/// True when nothing in `text` can tie one place of the document to another: no anchor,
/// alias or tag where a node starts, no directive, no second document.
pub fn is_safe(text: &str) -> bool {
    for (n, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.starts_with('%') || line.starts_with("...") {
            return false;
        }
        if line.starts_with("---") && (n > 0 || line.len() > 3) {
            return false;
        }
        let mut prev = None;
        for c in line.chars() {
            if matches!(c, '&' | '*' | '!')
                && matches!(prev, None | Some('-' | ':' | ',' | '[' | '{' | '?'))
            {
                return false;
            }
            if c == '#' && matches!(prev, None | Some(' ')) {
                break;
            }
            if !c.is_whitespace() {
                prev = Some(c);
            }
        }
    }
    true
}

/// A block sequence under a top-level `key:` (`steps:` then `  - ...` items), the shape
/// that makes a task file long.
pub(crate) struct TopSequence {
    /// Where the key's line starts.
    pub key_line: usize,
    /// Where each item's line starts.
    pub items: Vec<usize>,
    /// Where the sequence's block ends (the next top-level line, or the end of the text).
    pub end: usize,
    /// The items' column.
    pub col: usize,
}

/// The largest top-level block sequence, if it holds most of `text` and its items are all
/// plain `- ` lines at one column deeper than zero.
pub(crate) fn top_sequence(text: &str) -> Option<TopSequence> {
    let mut best: Option<TopSequence> = None;
    let mut current: Option<TopSequence> = None;
    let mut broken = false;
    let mut finish = |seq: Option<TopSequence>, end: usize, broken: bool| {
        if let Some(mut seq) = seq
            && !broken
            && !seq.items.is_empty()
        {
            seq.end = end;
            if best
                .as_ref()
                .is_none_or(|b| b.end - b.key_line < end - seq.key_line)
            {
                best = Some(seq);
            }
        }
    };
    for line in lines_from(text, 0) {
        let l = line_text(text, line.start);
        let n = match indent(l) {
            Indent::Tab => return None,
            Indent::Blank => continue,
            Indent::Content(n) => n,
        };
        if n == 0 {
            finish(current.take(), line.start, broken);
            broken = false;
            let es = entries(l);
            if let [
                Entry {
                    kind: Kind::Key(_),
                    open: true,
                    ..
                },
            ] = es[..]
            {
                current = Some(TopSequence {
                    key_line: line.start,
                    items: Vec::new(),
                    end: 0,
                    col: 0,
                });
            }
            continue;
        }
        let Some(seq) = current.as_mut() else {
            continue;
        };
        if seq.items.is_empty() {
            seq.col = n;
        }
        if n < seq.col {
            broken = true;
        } else if n == seq.col {
            match entries(l).first() {
                Some(Entry {
                    kind: Kind::Item,
                    col,
                    ..
                }) if *col == n => {
                    seq.items.push(line.start);
                }
                _ => broken = true,
            }
        }
    }
    finish(current.take(), text.len(), broken);
    best.filter(|b| (b.end - b.key_line) * 2 > text.len())
}

/// The changed bytes: `start..old_end` of the old text became `start..new_end`.
#[derive(Clone, Copy, Debug)]
pub struct Change {
    pub start: usize,
    pub old_end: usize,
    pub new_end: usize,
}

impl Change {
    /// Where an offset of the old text is in the new one: before the change it stays,
    /// after it moves with it, inside it goes to the change's start.
    pub fn shift(&self, at: u32) -> u32 {
        let at_usize = at as usize;
        if at_usize <= self.start {
            at
        } else if at_usize >= self.old_end {
            u32::try_from(at_usize + self.new_end - self.old_end).unwrap_or(u32::MAX)
        } else {
            u32::try_from(self.start).unwrap_or(u32::MAX)
        }
    }

    pub fn range(&self, r: TextRange) -> TextRange {
        TextRange {
            start: self.shift(r.start),
            end: self.shift(r.end),
        }
    }
}

/// The change from `old` to `new` when it lies wholly in the comment and blank lines at
/// the head of the file, in both texts: no value changed, only positions moved.
pub fn head_comment_change(old: &str, new: &str) -> Option<Change> {
    let change = changed(old, new)?;
    let head_only = |text: &str, end: usize| {
        // Every line up to the one holding `end` (that one included).
        let stop = text[end..].find('\n').map_or(text.len(), |i| end + i);
        text[..stop].split('\n').all(|line| {
            let t = line.trim_start_matches([' ', '\t', '\r']);
            t.is_empty() || t.starts_with('#')
        })
    };
    (head_only(old, change.old_end) && head_only(new, change.new_end)).then_some(change)
}

fn try_entry(
    (old, new): (&str, &str),
    old_value: &Value,
    at: usize,
    entry: &Entry,
    change: Change,
) -> Option<Splice> {
    let Change {
        old_end, new_end, ..
    } = change;
    let new_stop = entry_end(new, at, entry.col)?;
    let old_stop = entry_end(old, at, entry.col)?;
    // The edit must end inside the entry, and the text after it must be the old text's.
    if new_stop < new_end || old_stop < old_end || new.len() - new_stop != old.len() - old_stop {
        return None;
    }
    if new_stop - at > new.len() / 2 {
        return None; // as big as the document: a whole parse is as cheap
    }
    let path = path_of(new, at, entry)?;
    let old_text = blanked(old, at, entry.col, old_stop);
    let new_text = blanked(new, at, entry.col, new_stop);
    if !is_safe(&new_text) {
        return None;
    }
    let was = alone(&old_text, &entry.kind)?;
    if path.lookup(old_value) != Some(&was) {
        return None;
    }
    let value = alone(&new_text, &entry.kind)?;
    let mut text = new_text;
    if new_stop < new.len() {
        text.extend(std::iter::repeat_n(' ', entry.col));
        text.push_str(match entry.kind {
            Kind::Item => "- ~\n",
            Kind::Key(_) => "end_: ~\n",
        });
    }
    Some(Splice {
        path,
        value,
        fragment: at..new_stop,
        text,
        change,
    })
}

/// The entry's text parsed as a document of its own: its one item, or its key's value.
fn alone(text: &str, kind: &Kind) -> Option<Value> {
    let Parsed::Value(value) = parse_value(text) else {
        return None;
    };
    match (kind, value) {
        (Kind::Item, Value::Array(mut items)) if items.len() == 1 => items.pop(),
        (Kind::Key(key), Value::Object(mut map)) if map.len() == 1 => map.remove(key.as_str()),
        _ => None,
    }
}

/// `text[at..stop]` with the first line's bytes before `col` turned into spaces (a `- `
/// in front of a key), so the entry keeps its column.
fn blanked(text: &str, at: usize, col: usize, stop: usize) -> String {
    let mut out = String::with_capacity(stop - at);
    out.extend(std::iter::repeat_n(' ', col));
    out.push_str(&text[at + col..stop]);
    out
}

/// Where the entry at column `col` on the line starting at `at` ends: the start of the
/// next line with content indented `col` or less (comments and blank lines belong to the
/// entry), or the end of the text.
fn entry_end(text: &str, at: usize, col: usize) -> Option<usize> {
    for line in lines_from(text, at).skip(1) {
        match indent(line_text(text, line.start)) {
            Indent::Tab => return None,
            Indent::Content(n) if n <= col => return Some(line.start),
            _ => {}
        }
    }
    Some(text.len())
}

/// The value path of an entry, found by walking up to its parents and counting the items
/// before it. Only block structure is followed: a parent must open a block (`key:` or
/// `- ` with nothing after it) or hold the entry on its own line (`- key:`, `- - x`).
fn path_of(text: &str, at: usize, entry: &Entry) -> Option<Path> {
    let mut segments = Vec::new();
    let (mut at, mut entry) = (at, entry.clone());
    loop {
        let on_line = entries(line_text(text, at));
        let pos = on_line.iter().position(|e| e.col == entry.col)?;
        let mut index = 0;
        let parent = if pos > 0 {
            Some((at, on_line[pos - 1].clone()))
        } else {
            let mut parent = None;
            let mut up = at;
            while up > 0 {
                up = line_start(text, up - 1);
                let line = line_text(text, up);
                let n = match indent(line) {
                    Indent::Tab => return None,
                    Indent::Blank => continue,
                    Indent::Content(n) => n,
                };
                if n > entry.col {
                    continue;
                }
                let es = entries(line);
                match es.iter().position(|e| e.col == entry.col) {
                    Some(p) => match (&entry.kind, &es[p].kind) {
                        (Kind::Item, Kind::Item) | (Kind::Key(_), Kind::Key(_)) => {
                            if matches!(entry.kind, Kind::Item) {
                                index += 1;
                            }
                            if p > 0 {
                                parent = Some((up, es[p - 1].clone()));
                                break;
                            }
                        }
                        // `key:` then `- item` at the key's own column.
                        (Kind::Item, Kind::Key(_)) if p + 1 == es.len() && es[p].open => {
                            parent = Some((up, es[p].clone()));
                            break;
                        }
                        _ => return None,
                    },
                    None if n < entry.col => {
                        let last = es.last()?;
                        if last.col >= entry.col || !last.open {
                            return None;
                        }
                        parent = Some((up, last.clone()));
                        break;
                    }
                    None => return None,
                }
            }
            parent
        };
        segments.push(match &entry.kind {
            Kind::Item => Segment::Index(index),
            Kind::Key(k) => Segment::Key(k.clone()),
        });
        match parent {
            Some((line, e)) => (at, entry) = (line, e),
            None => break,
        }
    }
    segments.reverse();
    Some(Path(segments))
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    /// `- `
    Item,
    /// `key:` (a plain key)
    Key(String),
}

/// An entry starting on a line.
#[derive(Clone, Debug)]
struct Entry {
    col: usize,
    kind: Kind,
    /// Nothing but a comment follows on the line: the content is a block below.
    open: bool,
}

/// The entries a line starts: any `- ` items, then at most one plain `key:`.
fn entries(line: &str) -> Vec<Entry> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut i = bytes.iter().take_while(|b| **b == b' ').count();
    let rest_open = |j: usize| {
        let rest = line[j..].trim_start_matches(' ');
        rest.is_empty() || rest.starts_with('#')
    };
    while i < bytes.len() && bytes[i] == b'-' && matches!(bytes.get(i + 1), None | Some(b' ')) {
        let col = i;
        i += 1;
        while i < bytes.len() && bytes[i] == b' ' {
            i += 1;
        }
        out.push(Entry {
            col,
            kind: Kind::Item,
            open: rest_open(col + 1),
        });
    }
    let key_len = bytes[i..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        .count();
    if key_len > 0
        && bytes[i].is_ascii_alphanumeric()
        && bytes.get(i + key_len) == Some(&b':')
        && matches!(bytes.get(i + key_len + 1), None | Some(b' '))
    {
        out.push(Entry {
            col: i,
            kind: Kind::Key(line[i..i + key_len].to_owned()),
            open: rest_open(i + key_len + 1),
        });
    }
    out
}

enum Indent {
    /// Empty, spaces only, or a comment.
    Blank,
    Content(usize),
    /// A tab in the indentation: not followed.
    Tab,
}

fn indent(line: &str) -> Indent {
    let n = line.bytes().take_while(|b| *b == b' ').count();
    match line.as_bytes().get(n) {
        None | Some(b'#') => Indent::Blank,
        Some(b'\t') => Indent::Tab,
        Some(_) => Indent::Content(n),
    }
}

/// The line starting at `at`, without its line break.
fn line_text(text: &str, at: usize) -> &str {
    let rest = &text[at..];
    let line = rest.split('\n').next().unwrap_or("");
    line.strip_suffix('\r').unwrap_or(line)
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// The lines from the one starting at `at` to the end, as byte ranges.
fn lines_from(text: &str, at: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut next = Some(at);
    std::iter::from_fn(move || {
        let start = next?;
        match text[start..].find('\n') {
            Some(i) => {
                next = Some(start + i + 1).filter(|n| *n < text.len());
                Some(start..start + i)
            }
            None => {
                next = None;
                Some(start..text.len())
            }
        }
    })
}

/// The changed bytes, on character boundaries; `None` when the texts are equal.
fn changed(old: &str, new: &str) -> Option<Change> {
    if old == new {
        return None;
    }
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let mut start = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    while !old.is_char_boundary(start) || !new.is_char_boundary(start) {
        start -= 1;
    }
    let room = a.len().min(b.len()) - start;
    let mut tail = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(room)
        .take_while(|(x, y)| x == y)
        .count();
    while !old.is_char_boundary(a.len() - tail) || !new.is_char_boundary(b.len() - tail) {
        tail -= 1;
    }
    Some(Change {
        start,
        old_end: a.len() - tail,
        new_end: b.len() - tail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Value {
        match parse_value(text) {
            Parsed::Value(v) => v,
            Parsed::Invalid(d) => panic!("{}", d.message),
        }
    }

    fn spliced(old: &str, new: &str) -> Option<Splice> {
        find(old, new, &value(old))
    }

    const STEPS: &str = "id: x\nsteps:\n  - id: a\n    brief: >\n      First entry.\n    criteria: [c]\n  - id: b\n    brief: >\n      Second entry.\n\n    criteria: [c]\nrubric: r\n";

    #[test]
    fn an_edit_inside_a_block_scalar_reparses_its_key() {
        let new = STEPS.replace("Second entry.", "Second entries.");
        let s = spliced(STEPS, &new).unwrap();
        assert_eq!(s.path, crate::path!["steps", 1, "brief"]);
        assert_eq!(s.value, Value::from("Second entries.\n"));
        assert_eq!(
            &new[s.fragment.clone()],
            "    brief: >\n      Second entries.\n\n"
        );
    }

    #[test]
    fn an_edit_on_a_compact_key_reparses_that_key() {
        let new = STEPS.replace("id: b", "id: bb");
        let s = spliced(STEPS, &new).unwrap();
        assert_eq!(s.path, crate::path!["steps", 1, "id"]);
        assert_eq!(s.text, "    id: bb\n    end_: ~\n");
    }

    #[test]
    fn structure_changes_are_not_spliced() {
        for new in [
            STEPS.replace("    criteria: [c]\nrubric", "  criteria: [c]\nrubric"),
            STEPS.replace("  - id: b\n", "  - id: b\n  - id: c\n"),
            STEPS.replace("Second entry.", "Second &a entry.\n    other: *a"),
            STEPS.replace("rubric: r", "rubric: s"), // top level: no enclosing entry
            STEPS.to_owned(),
        ] {
            let got = spliced(STEPS, &new);
            assert!(got.is_none() || new.contains("rubric: s"), "{new}: {got:?}");
        }
    }

    #[test]
    fn safety_scan_finds_anchors_aliases_tags_and_documents() {
        assert!(is_safe("a: b & c\nd: 5 * 3\ne: \"x\" # &y\n"));
        assert!(is_safe("---\na: R&D and *stars*\n"));
        for bad in [
            "a: &x 1\n",
            "a: *x\n",
            "- !tag x\n",
            "%YAML 1.2\n",
            "a: 1\n---\nb: 2\n",
            "k: [*a]\n",
        ] {
            assert!(!is_safe(bad), "{bad}");
        }
    }

    #[test]
    fn entries_of_lines() {
        let e = entries("  - - key.x: # c");
        assert_eq!(e.iter().map(|e| e.col).collect::<Vec<_>>(), [2, 4, 6]);
        assert_eq!(e[2].kind, Kind::Key("key.x".into()));
        assert!(e[2].open);
        assert_eq!(entries("      Note: prose").len(), 1);
        assert!(entries("      Note that: prose").is_empty());
        assert!(entries("  -x: 1").is_empty());
        assert!(entries("  \"q\": 1").is_empty());
    }
}
