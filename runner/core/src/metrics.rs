//! The programmatic part of a score: pure functions over the text, with every formula
//! and constant here, in one place (SPEC.md, "Scoring").
//!
//! | metric | weight | formula |
//! |---|---|---|
//! | word count | 40% | 1 inside `[min, max]`; below, `1 - (min - n) / min`; above, `1 - (n - max) / max`; floored at 0 |
//! | repetition | 35% | `r` = share of word 4-grams that repeat an earlier 4-gram; `1 - r / 0.15`, floored at 0 |
//! | slop | 25% | `d` = stock phrases from `dataset/slop.yaml` per 1,000 words; `1 - d / 5`, floored at 0 |
//!
//! Words are counted by [`crate::text_rules::word_count`]; phrases are matched as whole
//! words ignoring case (as [`crate::text_rules::count_term`] does). Every score is in 0..=1.
//! A text without a word scores 0 on every part: nothing is not free of repetition and
//! stock phrases, it is nothing.

use crate::model::WordRange;
use crate::text_rules::{FnvBuild, token_hashes, word_count, word_hash};
use std::collections::{HashMap, HashSet};

pub const WEIGHT_WORDS: f64 = 0.40;
pub const WEIGHT_REPETITION: f64 = 0.35;
pub const WEIGHT_SLOP: f64 = 0.25;
/// Length of the word n-grams checked for repetition.
pub const REPEAT_N: usize = 4;
/// Share of repeated n-grams at which the repetition score reaches 0.
pub const REPEAT_CEILING: f64 = 0.15;
/// Stock phrases per 1,000 words at which the slop score reaches 0.
pub const SLOP_CEILING: f64 = 5.0;

/// What stored programmatic scores depend on: the constants above, the slop list and the
/// word range. A stored score whose key differs is recomputed.
pub fn cache_key(range: WordRange, slop: &[String]) -> String {
    use std::hash::Hasher;
    let mut h = crate::text_rules::Fnv::default();
    let constants = format!(
        "v2 {WEIGHT_WORDS} {WEIGHT_REPETITION} {WEIGHT_SLOP} {REPEAT_N} {REPEAT_CEILING} {SLOP_CEILING} {} {}",
        range.min, range.max
    );
    h.write(constants.as_bytes());
    for p in slop {
        h.write(p.as_bytes());
        h.write(&[0]);
    }
    format!("{:016x}", h.finish())
}

/// The programmatic part and its pieces.
#[derive(Clone, Debug, PartialEq)]
pub struct Programmatic {
    pub words: usize,
    pub word_score: f64,
    /// Share of repeated n-grams.
    pub repetition: f64,
    pub repetition_score: f64,
    /// Stock phrases per 1,000 words.
    pub slop_density: f64,
    pub slop_score: f64,
    /// Each stock phrase found and how often, in the slop list's order.
    pub slop_hits: Vec<(String, usize)>,
    /// 0.40 × word + 0.35 × repetition + 0.25 × slop.
    pub total: f64,
}

impl Programmatic {
    /// The stored form ([`crate::model::Breakdown`]).
    pub fn breakdown(&self) -> crate::model::Breakdown {
        crate::model::Breakdown {
            words: self.words as u64,
            word_score: self.word_score,
            repetition: self.repetition,
            repetition_score: self.repetition_score,
            slop_density: self.slop_density,
            slop_score: self.slop_score,
            slop_hits: self
                .slop_hits
                .iter()
                .map(|(phrase, count)| crate::model::SlopHit {
                    phrase: phrase.clone(),
                    count: *count as u64,
                })
                .collect(),
            total: self.total,
        }
    }
}

pub fn word_score(words: usize, range: WordRange) -> f64 {
    let n = words as f64;
    let (min, max) = (f64::from(range.min), f64::from(range.max));
    let s = if n < min {
        1.0 - (min - n) / min.max(1.0)
    } else if n > max {
        1.0 - (n - max) / max.max(1.0)
    } else {
        1.0
    };
    s.clamp(0.0, 1.0)
}

/// Share of word n-grams (n = [`REPEAT_N`]) that repeat an earlier one.
pub fn repetition(text: &str) -> f64 {
    repetition_of(&token_hashes(text))
}

fn repetition_of(words: &[u64]) -> f64 {
    if words.len() < REPEAT_N {
        return 0.0;
    }
    let grams = words.len() - REPEAT_N + 1;
    let mut seen: HashSet<u128, FnvBuild> =
        HashSet::with_capacity_and_hasher(grams, FnvBuild::default());
    let mut repeats = 0usize;
    for w in words.windows(REPEAT_N) {
        // Two independent mixes of the n words: a 128-bit key per n-gram.
        let (mut a, mut b) = (0u64, 0x9E37_79B9_7F4A_7C15u64);
        for x in w {
            a = (a ^ x).wrapping_mul(0x0100_0000_01b3).rotate_left(17);
            b = (b.wrapping_add(*x))
                .wrapping_mul(0xBF58_476D_1CE4_E5B9)
                .rotate_left(29);
        }
        if !seen.insert((u128::from(a) << 64) | u128::from(b)) {
            repeats += 1;
        }
    }
    repeats as f64 / grams as f64
}

/// Stock phrases per 1,000 words.
pub fn slop_density(text: &str, phrases: &[String]) -> f64 {
    let tokens = token_hashes(text);
    let hits: usize = slop_hits(&tokens, phrases).iter().sum();
    density(hits, word_count(text))
}

fn density(hits: usize, words: usize) -> f64 {
    if words == 0 {
        0.0
    } else {
        hits as f64 * 1000.0 / words as f64
    }
}

/// How often each phrase occurs in `tokens` (matches of one phrase do not overlap).
fn slop_hits(tokens: &[u64], phrases: &[String]) -> Vec<usize> {
    // Index the phrases by first word, so the text is walked once, not once per phrase.
    let split: Vec<Vec<u64>> = phrases
        .iter()
        .map(|p| p.split_whitespace().map(word_hash).collect())
        .collect();
    let mut by_first: HashMap<u64, Vec<usize>, FnvBuild> = HashMap::default();
    for (k, words) in split.iter().enumerate() {
        if let Some(first) = words.first() {
            by_first.entry(*first).or_default().push(k);
        }
    }
    let mut hits = vec![0usize; split.len()];
    // Per phrase, the end of its last match: matches of one phrase do not overlap.
    let mut busy_until = vec![0usize; split.len()];
    for i in 0..tokens.len() {
        let Some(candidates) = by_first.get(&tokens[i]) else {
            continue;
        };
        for &k in candidates {
            let words = &split[k];
            let end = i + words.len();
            if end <= tokens.len() && i >= busy_until[k] && tokens[i..end] == words[..] {
                hits[k] += 1;
                busy_until[k] = end;
            }
        }
    }
    hits
}

pub fn programmatic(text: &str, range: WordRange, slop: &[String]) -> Programmatic {
    let words = word_count(text);
    let word_score = word_score(words, range);
    let tokens = token_hashes(text);
    let repetition = repetition_of(&tokens);
    let hits = slop_hits(&tokens, slop);
    let slop_density = density(hits.iter().sum(), words);
    let (repetition_score, slop_score) = if words == 0 {
        (0.0, 0.0)
    } else {
        (
            (1.0 - repetition / REPEAT_CEILING).clamp(0.0, 1.0),
            (1.0 - slop_density / SLOP_CEILING).clamp(0.0, 1.0),
        )
    };
    Programmatic {
        words,
        word_score,
        repetition,
        repetition_score,
        slop_density,
        slop_score,
        slop_hits: slop
            .iter()
            .zip(hits)
            .filter(|(_, n)| *n > 0)
            .map(|(p, n)| (p.clone(), n))
            .collect(),
        total: WEIGHT_WORDS * word_score
            + WEIGHT_REPETITION * repetition_score
            + WEIGHT_SLOP * slop_score,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RANGE: WordRange = WordRange { min: 100, max: 200 };

    #[test]
    fn word_score_is_flat_inside_and_falls_off_outside() {
        assert_eq!(word_score(150, RANGE), 1.0);
        assert_eq!(word_score(100, RANGE), 1.0);
        assert_eq!(word_score(200, RANGE), 1.0);
        assert!((word_score(50, RANGE) - 0.5).abs() < 1e-9);
        assert!((word_score(300, RANGE) - 0.5).abs() < 1e-9);
        assert_eq!(word_score(0, RANGE), 0.0);
        assert_eq!(word_score(10_000, RANGE), 0.0);
    }

    #[test]
    fn repetition_counts_repeated_four_grams() {
        assert_eq!(repetition("one two three four five six"), 0.0);
        // 9 words, 6 four-grams; the last repeats the first.
        let r = repetition("a b c d x a b c d");
        assert!((r - 1.0 / 6.0).abs() < 1e-9, "{r}");
        assert_eq!(repetition("too short"), 0.0);
        let looped = "the sea was grey and cold. ".repeat(20);
        assert!(repetition(&looped) > 0.9);
    }

    #[test]
    fn slop_density_per_thousand_words() {
        let phrases = vec!["a testament to".to_string()];
        let text = format!("It was a testament to patience. {}", "word ".repeat(194));
        let d = slop_density(&text, &phrases);
        assert!((d - 5.0).abs() < 1e-9, "{d}");
        let p = programmatic(&text, RANGE, &phrases);
        assert_eq!(p.slop_score, 0.0);
        assert_eq!(p.word_score, 1.0);
    }

    #[test]
    fn slop_matching_agrees_with_count_term() {
        let phrases: Vec<String> = ["a shiver ran down", "in that moment", "moment"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let text = "In that moment, a shiver ran down her arm. In that moment moment.";
        let expected: usize = phrases
            .iter()
            .map(|p| crate::text_rules::count_term(text, p))
            .sum();
        let words = word_count(text) as f64;
        assert!((slop_density(text, &phrases) - expected as f64 * 1000.0 / words).abs() < 1e-9);
        assert_eq!(expected, 2 + 1 + 3);
    }

    #[test]
    fn an_empty_text_scores_zero_on_every_part() {
        // Regression (issue 13.5): "" scored 0.6 (full marks for repetition and stock
        // phrases), so an empty answer scored 30/100.
        for text in ["", "   \n\t ", "— … !"] {
            let p = programmatic(text, RANGE, &["a testament to".to_string()]);
            assert_eq!(p.words, 0, "{text:?}");
            assert_eq!(
                (p.word_score, p.repetition_score, p.slop_score, p.total),
                (0.0, 0.0, 0.0, 0.0),
                "{text:?}"
            );
        }
    }

    #[test]
    fn stock_phrase_hits_are_listed() {
        let phrases: Vec<String> = ["in that moment", "a shiver ran down", "unused"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let text = "In that moment, a shiver ran down her arm. In that moment it ended.";
        let p = programmatic(text, RANGE, &phrases);
        assert_eq!(
            p.slop_hits,
            vec![
                ("in that moment".to_string(), 2),
                ("a shiver ran down".to_string(), 1)
            ]
        );
        // 14 words, 3 hits: 3000 / 14 per thousand.
        assert!((p.slop_density - 3000.0 / 14.0).abs() < 1e-9);
        assert_eq!(p.breakdown().slop_hits.len(), 2);
    }

    #[test]
    fn total_weights_sum_to_one() {
        assert!((WEIGHT_WORDS + WEIGHT_REPETITION + WEIGHT_SLOP - 1.0).abs() < 1e-12);
        let clean: String = (0..150).map(|i| format!("w{i} ")).collect();
        let p = programmatic(&clean, RANGE, &[]);
        assert!((p.total - 1.0).abs() < 1e-9);
    }
}
