//! Byte ranges into a file's text, and a line index to turn them into lines and columns.
//!
//! Everything in the core speaks byte offsets. Lines and UTF-8 columns are for renderers
//! (the CLI); the language server converts to the client's encoding in its own module.

use std::fmt;

/// A half-open byte range `start..end` into a file's text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct TextRange {
    pub start: u32,
    pub end: u32,
}

impl TextRange {
    pub fn new(start: usize, end: usize) -> Self {
        let start = u32::try_from(start).unwrap_or(u32::MAX);
        let end = u32::try_from(end).unwrap_or(u32::MAX).max(start);
        Self { start, end }
    }

    pub fn empty(at: usize) -> Self {
        Self::new(at, at)
    }

    pub fn len(self) -> u32 {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn contains(self, offset: u32) -> bool {
        self.start <= offset && offset <= self.end
    }

    pub fn as_usize(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

impl fmt::Display for TextRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// Zero-based line and UTF-8 byte column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// Start offsets of every line of a text, for offset → line/column conversion.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<u32>,
    len: u32,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| u32::try_from(i + 1).unwrap_or(u32::MAX)),
        );
        Self {
            starts,
            len: u32::try_from(text.len()).unwrap_or(u32::MAX),
        }
    }

    /// Line and byte column of `offset` (clamped to the text).
    pub fn line_col(&self, offset: u32) -> LineCol {
        let offset = offset.min(self.len);
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        LineCol {
            line: line as u32,
            col: offset - self.starts[line],
        }
    }

    /// Byte offset of a zero-based line and byte column (clamped to the text).
    pub fn offset(&self, at: LineCol) -> u32 {
        match self.starts.get(at.line as usize) {
            Some(start) => (start + at.col).min(self.len),
            None => self.len,
        }
    }

    /// Byte range of line `line`, without its line break.
    pub fn line_range(&self, line: u32, text: &str) -> TextRange {
        let start = self.offset(LineCol { line, col: 0 }) as usize;
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let end = if end > start && text.as_bytes()[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        TextRange::new(start, end)
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

/// A short, single-line excerpt of `text` for messages: control characters become spaces,
/// and past `max` characters it is cut with an ellipsis.
pub fn excerpt(text: &str, max: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let flat = flat.trim();
    if flat.chars().count() <= max {
        flat.to_string()
    } else {
        let cut: String = flat.chars().take(max).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_round_trips() {
        let text = "a: 1\r\nbé: 2\n\nlast";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() as u32 {
            let lc = index.line_col(offset);
            assert_eq!(index.offset(lc), offset);
        }
        assert_eq!(index.line_col(6), LineCol { line: 1, col: 0 });
        assert_eq!(index.line_range(0, text), TextRange::new(0, 4));
        assert_eq!(index.line_range(3, text), TextRange::new(14, 18));
        assert_eq!(index.line_count(), 4);
    }
}
