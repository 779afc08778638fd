//! Finding a judge's quoted evidence in the text it judged, so the page can highlight
//! it. Judges quote loosely: a quote matches when its words occur in order with any
//! whitespace between them, ignoring ASCII case and the quotation marks around it; an
//! ellipsis (`...`, `…`) splits it into parts found one by one.

use std::ops::Range;

/// A text prepared for quote searches.
pub struct Finder<'a> {
    text: &'a str,
    /// `text` with ASCII letters lowercased: the same bytes at the same offsets.
    lower: String,
}

/// Parts shorter than this (after trimming) are not looked for: they would match
/// anywhere.
const MIN_PART: usize = 4;

impl<'a> Finder<'a> {
    pub fn new(text: &'a str) -> Finder<'a> {
        Finder {
            text,
            lower: text.to_ascii_lowercase(),
        }
    }

    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The byte ranges of `quote`'s parts in the text (the first occurrence of each);
    /// empty when no part is found.
    pub fn find(&self, quote: &str) -> Vec<Range<usize>> {
        quote
            .split("...")
            .flat_map(|p| p.split('…'))
            .map(|p| p.trim_matches(|c: char| c.is_whitespace() || QUOTES.contains(&c)))
            .filter(|p| p.len() >= MIN_PART)
            .filter_map(|p| self.find_part(p))
            .collect()
    }

    fn find_part(&self, part: &str) -> Option<Range<usize>> {
        let words: Vec<String> = part
            .split_whitespace()
            .map(str::to_ascii_lowercase)
            .collect();
        let (first, rest) = words.split_first()?;
        let bytes = self.lower.as_bytes();
        'next: for (start, _) in self.lower.match_indices(first.as_str()) {
            let mut at = start + first.len();
            for w in rest {
                let gap = self.lower[at..]
                    .find(|c: char| !c.is_whitespace())
                    .unwrap_or(bytes.len() - at);
                if gap == 0 || !self.lower[at + gap..].starts_with(w.as_str()) {
                    continue 'next;
                }
                at += gap + w.len();
            }
            return Some(start..at);
        }
        None
    }
}

const QUOTES: &[char] = &['"', '\'', '“', '”', '‘', '’', '«', '»', '`'];

/// A piece of text and the quotes (by number) that cover it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Segment {
    pub text: String,
    pub quotes: Vec<usize>,
}

/// `text` cut at the edges of `ranges` (quote number, byte range), each piece with the
/// quotes that cover it. Ranges past the end of `text` are clipped.
pub fn segments(text: &str, ranges: &[(usize, Range<usize>)]) -> Vec<Segment> {
    let clip = |i: usize| {
        let mut i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let ranges: Vec<(usize, Range<usize>)> = ranges
        .iter()
        .map(|(n, r)| (*n, clip(r.start)..clip(r.end)))
        .filter(|(_, r)| r.start < r.end)
        .collect();
    let mut cuts: Vec<usize> = vec![0, text.len()];
    for (_, r) in &ranges {
        cuts.push(r.start);
        cuts.push(r.end);
    }
    cuts.sort_unstable();
    cuts.dedup();
    let mut out: Vec<Segment> = Vec::new();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        if a == b {
            continue;
        }
        let mut quotes: Vec<usize> = ranges
            .iter()
            .filter(|(_, r)| r.start <= a && b <= r.end)
            .map(|(n, _)| *n)
            .collect();
        quotes.sort_unstable();
        quotes.dedup();
        match out.last_mut() {
            Some(last) if last.quotes == quotes => last.text.push_str(&text[a..b]),
            _ => out.push(Segment {
                text: text[a..b].to_string(),
                quotes,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_match_across_whitespace_and_case() {
        let text = "The lamp was lit\nat dusk, and Nobody   came.";
        let f = Finder::new(text);
        let r = f.find("“the LAMP was lit at dusk”");
        assert_eq!(r, vec![0..24]);
        assert_eq!(&text[r[0].clone()], "The lamp was lit\nat dusk");
        assert_eq!(f.find("nobody came"), vec![30..43]);
        assert!(f.find("nobody went").is_empty());
        assert!(f.find("  ").is_empty());
    }

    #[test]
    fn an_ellipsis_splits_a_quote_into_parts() {
        let f = Finder::new("one two three four five six");
        assert_eq!(f.find("one two ... five six"), vec![0..7, 19..27]);
        assert_eq!(f.find("one two…five six"), vec![0..7, 19..27]);
    }

    #[test]
    fn a_word_must_follow_whitespace_not_glue() {
        let f = Finder::new("lamplight and lamp light");
        assert_eq!(f.find("lamp light"), vec![14..24]);
    }

    #[test]
    fn non_ascii_text_keeps_its_offsets() {
        let text = "Ärger: café Über alles";
        let f = Finder::new(text);
        let r = f.find("Café Über");
        assert_eq!(&text[r[0].clone()], "café Über");
        // Only ASCII letters fold: `ü` is not `Ü`.
        assert!(f.find("café über").is_empty());
    }

    #[test]
    fn segments_carry_the_quotes_over_them() {
        let s = segments("abcdefghij", &[(1, 2..6), (2, 4..8), (3, 20..30)]);
        let got: Vec<(&str, Vec<usize>)> = s
            .iter()
            .map(|s| (s.text.as_str(), s.quotes.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("ab", vec![]),
                ("cd", vec![1]),
                ("ef", vec![1, 2]),
                ("gh", vec![2]),
                ("ij", vec![]),
            ]
        );
        assert_eq!(segments("", &[]), vec![]);
        // Clipped inside a multi-byte character: back to its start.
        let s = segments("aé", &[(1, 0..2)]);
        assert_eq!(s[0].text, "a");
    }
}
