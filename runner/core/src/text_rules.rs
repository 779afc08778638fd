//! Text rules shared by the rule-based feedback and the programmatic metrics: how words
//! are counted, how a required or forbidden term is found, and how beat markers look.
//! Deterministic and documented here, in one place.

/// A beat marker line: `[beat: <id>]`, alone on its line.
pub fn beat_marker(line: &str) -> Option<&str> {
    line.trim()
        .strip_prefix("[beat:")
        .and_then(|r| r.strip_suffix(']'))
        .map(str::trim)
}

/// Words of a text: whitespace-separated tokens holding at least one letter or digit.
/// Beat marker lines do not count.
pub fn word_count(text: &str) -> usize {
    text.lines()
        .filter(|l| beat_marker(l).is_none())
        .flat_map(str::split_whitespace)
        .filter(|t| t.chars().any(char::is_alphanumeric))
        .count()
}

/// Whether `term` occurs in `text`, ignoring case, at word boundaries: `fog` matches
/// "Fog," but not "foggy". Runs of whitespace in the term match any whitespace.
pub fn contains_term(text: &str, term: &str) -> bool {
    count_term(text, term) > 0
}

/// How many times `term` occurs (as in [`contains_term`]), without overlaps.
pub fn count_term(text: &str, term: &str) -> usize {
    count_term_in(&tokens(text), term)
}

/// [`count_term`] over a text already split by [`tokens`] (to match many terms against
/// one text without splitting it again).
pub fn count_term_in(tokens: &[String], term: &str) -> usize {
    let words: Vec<String> = term.split_whitespace().map(str::to_lowercase).collect();
    if words.is_empty() {
        return 0;
    }
    let mut n = 0;
    let mut i = 0;
    while i + words.len() <= tokens.len() {
        if tokens[i..i + words.len()]
            .iter()
            .zip(&words)
            .all(|(t, w)| t == w)
        {
            n += 1;
            i += words.len();
        } else {
            i += 1;
        }
    }
    n
}

/// Lowercase word tokens with surrounding punctuation removed (inner apostrophes and
/// hyphens kept: "didn't", "well-known").
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::with_capacity(text.len() / 5);
    for raw in text.split(|c: char| c.is_whitespace() || matches!(c, '—' | '–' | '/' | '…')) {
        let t = raw.trim_matches(|c: char| !c.is_alphanumeric());
        if t.is_empty() {
            continue;
        }
        out.push(if t.is_ascii() {
            t.to_ascii_lowercase()
        } else {
            t.to_lowercase()
        });
    }
    out
}

/// [`tokens`] as 64-bit hashes of the lowercase words, without allocating a string per
/// word: what the metrics compare (equal words, equal hashes; a collision between two
/// different words is a 1-in-2^64 event per pair).
pub fn token_hashes(text: &str) -> Vec<u64> {
    let mut out = Vec::with_capacity(text.len() / 5);
    for raw in text.split(|c: char| c.is_whitespace() || matches!(c, '—' | '–' | '/' | '…')) {
        let t = raw.trim_matches(|c: char| !c.is_alphanumeric());
        if !t.is_empty() {
            out.push(word_hash(t));
        }
    }
    out
}

/// The hash [`token_hashes`] gives the word `w` (already trimmed).
pub fn word_hash(w: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    if w.is_ascii() {
        for b in w.bytes() {
            eat(b.to_ascii_lowercase());
        }
    } else {
        let mut buf = [0u8; 4];
        for c in w.chars().flat_map(char::to_lowercase) {
            for b in c.encode_utf8(&mut buf).bytes() {
                eat(b);
            }
        }
    }
    h
}

/// A small, fast, deterministic hasher (FNV-1a) for the metrics' word tables: the keys
/// are our own text, not attacker-chosen, so SipHash's protection buys nothing here.
#[derive(Clone, Copy, Debug)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u128(&mut self, n: u128) {
        // One multiply per 64-bit half: n-gram keys are hashed by the million.
        for half in [n as u64, (n >> 64) as u64] {
            self.0 = (self.0 ^ half).wrapping_mul(0x0100_0000_01b3);
            self.0 ^= self.0 >> 29;
        }
    }
}

pub type FnvBuild = std::hash::BuildHasherDefault<Fnv>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_words_not_punctuation_or_markers() {
        assert_eq!(word_count("[beat: setup]\nShe ran — fast, and  far.\n"), 5);
        assert_eq!(word_count(""), 0);
        assert_eq!(word_count("1911 was cold"), 3);
    }

    #[test]
    fn terms_match_whole_words_ignoring_case() {
        assert!(contains_term("The FOG rolled in.", "fog"));
        assert!(!contains_term("A foggy night.", "fog"));
        assert!(contains_term(
            "past the pilot\nladder, down",
            "pilot ladder"
        ));
        assert!(contains_term("She didn't look.", "didn't"));
        assert_eq!(count_term("Suddenly, suddenly; SUDDENLY", "suddenly"), 3);
        assert!(!contains_term("anything", ""));
    }

    #[test]
    fn token_hashes_match_tokens() {
        let text = "The FOG, the fog — Ünïcode ÜNÏCODE didn't";
        let t = tokens(text);
        let h = token_hashes(text);
        assert_eq!(t.len(), h.len());
        for (a, b) in t.iter().zip(&h) {
            assert_eq!(word_hash(a), *b);
        }
        assert_eq!(h[0], h[2]);
        assert_eq!(h[1], h[3]);
        assert_eq!(h[4], h[5]);
    }

    #[test]
    fn markers() {
        assert_eq!(
            beat_marker("  [beat: break_into_two] "),
            Some("break_into_two")
        );
        assert_eq!(beat_marker("[beat:setup]"), Some("setup"));
        assert_eq!(beat_marker("beat: setup"), None);
    }
}
