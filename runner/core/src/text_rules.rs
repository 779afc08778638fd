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
    let words: Vec<String> = term.split_whitespace().map(str::to_lowercase).collect();
    if words.is_empty() {
        return 0;
    }
    let tokens = tokens(text);
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
    text.split(|c: char| c.is_whitespace() || matches!(c, '—' | '–' | '/' | '…'))
        .map(|t| {
            t.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|t| !t.is_empty())
        .collect()
}

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
    fn markers() {
        assert_eq!(
            beat_marker("  [beat: break_into_two] "),
            Some("break_into_two")
        );
        assert_eq!(beat_marker("[beat:setup]"), Some("setup"));
        assert_eq!(beat_marker("beat: setup"), None);
    }
}
