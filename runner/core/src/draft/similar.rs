//! Near-duplicate detection (sync, pure): a draft whose story is too close to an existing
//! task's is rejected before any validator call, so no money is spent judging a copy.
//!
//! The measure is the Jaccard similarity of the two stories' sets of word trigrams
//! (lowercased words of letters and digits): |A ∩ B| / |A ∪ B|. Trigrams see word order,
//! so two stories that merely share a vocabulary score low, while a copy with a few
//! words changed keeps most of its trigrams. At or above [`THRESHOLD`] (0.5) a draft is a
//! near-duplicate. With N trigrams and k changed words far apart (each breaks three
//! trigrams on each side), J = (N − 3k) / (N + 3k), which is ≥ 0.5 while k ≤ N/9: a copy
//! with up to one word in nine changed is caught. No two tasks of the shipped dataset
//! come near it (a test checks).

use crate::model::{Task, TaskBody};
use std::collections::HashSet;

/// Similarity at or above which a draft is a near-duplicate.
pub const THRESHOLD: f64 = 0.5;

/// The prose of a task that makes its story: premise, opening, segment, written beats,
/// the source story, the steps' briefs, the hidden constraints. Beat ids, numbers and
/// type-specific labels are left out: every task of a type shares them.
pub fn story_text(task: &Task) -> String {
    let mut parts: Vec<&str> = Vec::new();
    match &task.body {
        TaskBody::BeatInterpolation(t) => {
            parts.extend([t.premise.as_str(), &t.before.text, &t.after.text]);
        }
        TaskBody::BeatRevision(t) => {
            parts.extend(t.premise.as_deref());
            parts.push(&t.segment);
        }
        TaskBody::ConstrainedContinuation(t) => parts.push(&t.opening),
        TaskBody::TheoryConversion(t) => {
            parts.extend(t.source.story.iter().map(|w| w.text.as_str()))
        }
        TaskBody::MultiBeatSynthesis(t) => parts.push(&t.premise),
        TaskBody::Sequence(t) => {
            parts.extend(t.premise.as_deref());
            parts.extend(t.steps.iter().map(|s| s.brief.as_str()));
        }
        TaskBody::AgenticConstraintDiscovery(t) => {
            parts.push(&t.premise);
            parts.extend(t.hidden_constraints.iter().map(|h| h.description.as_str()));
        }
        TaskBody::AgenticPlanningExecution(t) => parts.push(&t.premise),
        TaskBody::AgenticIterativeRevision(t) => parts.push(&t.premise),
        TaskBody::CritiqueImprovement(t) => parts.push(&t.premise),
    }
    parts
        .iter()
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A story's word trigrams, hashed.
#[derive(Clone, Debug)]
pub struct Shingles(HashSet<u64>);

impl Shingles {
    pub fn of(text: &str) -> Shingles {
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        let set = if words.len() < 3 {
            // A story this short is compared as one shingle: equal or not.
            std::iter::once(hash(&words)).collect()
        } else {
            words.windows(3).map(hash).collect()
        };
        Shingles(set)
    }

    /// Jaccard similarity, in 0..=1.
    pub fn similarity(&self, other: &Shingles) -> f64 {
        let shared = self.0.intersection(&other.0).count();
        let all = self.0.len() + other.0.len() - shared;
        if all == 0 {
            return 0.0;
        }
        shared as f64 / all as f64
    }
}

fn hash(words: &[String]) -> u64 {
    // FNV-1a: stable, fast, and collisions among a few thousand trigrams are negligible.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for w in words {
        for b in w.bytes().chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The most similar of `known` (`(name, shingles)`) to `draft`, if it reaches the
/// threshold: `(name, similarity)`.
pub fn near_duplicate<'k>(
    draft: &Shingles,
    known: impl IntoIterator<Item = (&'k str, &'k Shingles)>,
) -> Option<(&'k str, f64)> {
    known
        .into_iter()
        .map(|(name, s)| (name, draft.similarity(s)))
        .filter(|(_, sim)| *sim >= THRESHOLD)
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STORY: &str = "Oksana, a retired tram driver in Lviv, lives alone and keeps to a strict routine of bread, crosswords and the evening news, until the new neighbours paint their door blue and a child's drawing of a tram appears on it.";

    #[test]
    fn identical_is_one_and_unrelated_is_near_zero() {
        let a = Shingles::of(STORY);
        assert_eq!(a.similarity(&a), 1.0);
        let b = Shingles::of(
            "A lighthouse keeper on the Faroe Islands finds a letter addressed to her dead brother and must decide whether to open it before the supply boat arrives.",
        );
        assert!(a.similarity(&b) < 0.05, "{}", a.similarity(&b));
        // Case and punctuation do not matter.
        let shouted = Shingles::of(&STORY.to_uppercase().replace(',', " ;"));
        assert_eq!(a.similarity(&shouted), 1.0);
    }

    #[test]
    fn a_copy_with_a_few_words_changed_is_a_near_duplicate() {
        // STORY has 41 words ("child's" is two), so N = 39 trigrams, all distinct.
        // Two words changed, far apart: J = (39 - 6) / (39 + 6) = 33/45.
        let two = "Oksana, a retired tram driver in Kyiv, lives alone and keeps to a strict routine of bread, crosswords and the evening news, until the new neighbours paint their door green and a child's drawing of a tram appears on it.";
        let sim = Shingles::of(STORY).similarity(&Shingles::of(two));
        assert_eq!(sim, 33.0 / 45.0);
        // Four changed (tram twice, evening, door): J = (39 - 12) / (39 + 12) = 27/51,
        // still a copy (4 ≤ 39/9).
        let four = "Oksana, a retired bus driver in Lviv, lives alone and keeps to a strict routine of bread, crosswords and the morning news, until the new neighbours paint their gate blue and a child's drawing of a bus appears on it.";
        let sim = Shingles::of(STORY).similarity(&Shingles::of(four));
        assert_eq!(sim, 27.0 / 51.0);
        assert!(sim >= THRESHOLD);
        // Five (and Lviv): J = (39 - 15) / (39 + 15) = 24/54, below the threshold.
        let five = "Oksana, a retired bus driver in Kyiv, lives alone and keeps to a strict routine of bread, crosswords and the morning news, until the new neighbours paint their gate blue and a child's drawing of a bus appears on it.";
        let sim = Shingles::of(STORY).similarity(&Shingles::of(five));
        assert_eq!(sim, 24.0 / 54.0);
        assert!(sim < THRESHOLD);
    }

    #[test]
    fn the_nearest_match_above_the_threshold_is_named() {
        let a = Shingles::of(STORY);
        let same = Shingles::of(STORY);
        let other = Shingles::of("An entirely different story about a glacier guide.");
        let known = [("other", &other), ("blue-door", &same)];
        assert_eq!(near_duplicate(&a, known), Some(("blue-door", 1.0)));
        assert_eq!(near_duplicate(&a, [("other", &other)]), None);
    }
}
