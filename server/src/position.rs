//! Byte offsets (the core's) to LSP positions and back, in the encoding negotiated with
//! the client: UTF-16 code units unless the client offers UTF-8.

use fabula_core::text::{LineCol, LineIndex, TextRange};
use tower_lsp_server::ls_types::{Position, Range};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// Converts between byte offsets and positions of one text.
#[derive(Clone, Copy)]
pub struct Positions<'a> {
    pub text: &'a str,
    pub lines: &'a LineIndex,
    pub encoding: Encoding,
}

impl Positions<'_> {
    pub fn position(&self, offset: u32) -> Position {
        let offset = floor_char_boundary(self.text, offset as usize);
        let lc = self
            .lines
            .line_col(u32::try_from(offset).unwrap_or(u32::MAX));
        let character = match self.encoding {
            Encoding::Utf8 => lc.col,
            Encoding::Utf16 => {
                let start = offset - lc.col as usize;
                let units: usize = self.text[start..offset].chars().map(char::len_utf16).sum();
                u32::try_from(units).unwrap_or(u32::MAX)
            }
        };
        Position {
            line: lc.line,
            character,
        }
    }

    pub fn range(&self, range: TextRange) -> Range {
        Range {
            start: self.position(range.start),
            end: self.position(range.end),
        }
    }

    /// The byte offset of a position; past the end of a line clamps to the line's end,
    /// past the last line to the end of the text (as the protocol asks).
    pub fn offset(&self, position: Position) -> u32 {
        if position.line as usize >= self.lines.line_count() {
            return u32::try_from(self.text.len()).unwrap_or(u32::MAX);
        }
        let line = self.lines.line_range(position.line, self.text);
        let line_text = &self.text[line.as_usize()];
        let col = match self.encoding {
            Encoding::Utf8 => floor_char_boundary(line_text, position.character as usize),
            Encoding::Utf16 => {
                let mut units = 0u32;
                let mut bytes = line_text.len();
                for (i, c) in line_text.char_indices() {
                    if units >= position.character {
                        bytes = i;
                        break;
                    }
                    units += c.len_utf16() as u32;
                }
                bytes
            }
        };
        self.lines.offset(LineCol {
            line: position.line,
            col: u32::try_from(col).unwrap_or(u32::MAX),
        })
    }

    pub fn text_range(&self, range: Range) -> TextRange {
        let start = self.offset(range.start);
        let end = self.offset(range.end).max(start);
        TextRange::new(start as usize, end as usize)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Applies one `didChange` edit to `text`: a range edit, or the whole text when there is
/// no range.
pub fn apply_change(text: &mut String, range: Option<Range>, new_text: &str, encoding: Encoding) {
    match range {
        None => new_text.clone_into(text),
        Some(range) => {
            let lines = LineIndex::new(text);
            let at = Positions {
                text,
                lines: &lines,
                encoding,
            }
            .text_range(range);
            text.replace_range(at.as_usize(), new_text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn utf16_counts_surrogate_pairs_and_round_trips() {
        let text = "a: é😀x\nb: 1\n";
        let lines = LineIndex::new(text);
        let p = Positions {
            text,
            lines: &lines,
            encoding: Encoding::Utf16,
        };
        // "a: " 3, "é" 1 unit (2 bytes), "😀" 2 units (4 bytes).
        let x = text.find('x').unwrap() as u32;
        assert_eq!(p.position(x), pos(0, 6));
        assert_eq!(p.offset(pos(0, 6)), x);
        for offset in (0..=text.len() as u32).filter(|o| text.is_char_boundary(*o as usize)) {
            assert_eq!(p.offset(p.position(offset)), offset);
        }
        // Past the end of a line clamps to the line's end; past the last line, the text's.
        assert_eq!(p.offset(pos(1, 99)), text.find("1\n").unwrap() as u32 + 1);
        assert_eq!(p.offset(pos(9, 0)), text.len() as u32);
    }

    #[test]
    fn utf8_is_bytes() {
        let text = "é: 1";
        let lines = LineIndex::new(text);
        let p = Positions {
            text,
            lines: &lines,
            encoding: Encoding::Utf8,
        };
        assert_eq!(p.position(2), pos(0, 2));
        // Inside a character: floor to its start.
        assert_eq!(p.offset(pos(0, 1)), 0);
    }

    #[test]
    fn changes_apply_in_the_negotiated_encoding() {
        let mut text = String::from("id: 😀ab\n");
        let range = Range {
            start: pos(0, 6),
            end: pos(0, 7),
        };
        apply_change(&mut text, Some(range), "X", Encoding::Utf16);
        assert_eq!(text, "id: 😀Xb\n");
        apply_change(&mut text, None, "whole", Encoding::Utf16);
        assert_eq!(text, "whole");
    }
}
