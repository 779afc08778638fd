//! The records of a results store as the evaluation layer reads them: generation
//! summaries, evaluations, pairwise comparisons and human rankings, each with the path it
//! was read from. The engine's store does the reading; everything here is in memory.

use fabula_core::model::{EvaluationRecord, GenerationSummary, HumanRanking, PairwiseRecord};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What a load of `results/` found.
#[derive(Debug, Default)]
pub struct Records {
    /// Generations, summarised (no transcript): the engine's store reads one whole.
    pub generations: Vec<(PathBuf, GenerationSummary)>,
    pub evaluations: Vec<(PathBuf, EvaluationRecord)>,
    /// Pairwise comparisons (`fabula compare --pairwise`).
    pub pairwise: Vec<(PathBuf, PairwiseRecord)>,
    /// People's rankings of a task sample's outputs (`fabula rank`).
    pub rankings: Vec<(PathBuf, HumanRanking)>,
    /// Files that are not readable records: path and why.
    pub problems: Vec<(PathBuf, String)>,
}

/// `(model, task, sample)`.
pub type ItemKey<'a> = (&'a str, &'a str, u32);

/// The records indexed for lookups by item and fingerprint.
pub struct Index<'a> {
    generations: HashMap<(ItemKey<'a>, &'a str), (&'a Path, &'a GenerationSummary)>,
    evaluations: HashMap<(ItemKey<'a>, &'a str), Vec<&'a EvaluationRecord>>,
}

impl<'a> Index<'a> {
    pub fn new(records: &'a Records) -> Index<'a> {
        let mut generations = HashMap::with_capacity(records.generations.len());
        for (path, g) in &records.generations {
            let key = (
                (g.model.as_str(), g.task.as_str(), g.sample),
                g.fingerprint.as_str(),
            );
            // Two files for one key happen only when a store was merged by hand; keep
            // the newer.
            let newer = generations
                .get(&key)
                .is_none_or(|(_, old): &(&Path, &GenerationSummary)| old.created_at < g.created_at);
            if newer {
                generations.insert(key, (path.as_path(), g));
            }
        }
        let mut evaluations: HashMap<_, Vec<&EvaluationRecord>> = HashMap::new();
        for (_, e) in &records.evaluations {
            evaluations
                .entry((
                    (e.model.as_str(), e.task.as_str(), e.sample),
                    e.generation_fingerprint.as_str(),
                ))
                .or_default()
                .push(e);
        }
        Index {
            generations,
            evaluations,
        }
    }

    /// The generation of an item with this fingerprint.
    pub fn generation(
        &self,
        model: &str,
        task: &str,
        sample: u32,
        fingerprint: &str,
    ) -> Option<(&'a Path, &'a GenerationSummary)> {
        lookup(&self.generations, &((model, task, sample), fingerprint)).copied()
    }

    /// The evaluations of a generation that count: `today(judge, fingerprint)` says the
    /// evaluation has today's fingerprint for its judge, and it judged the exact text the
    /// generation holds.
    pub fn evaluations(
        &self,
        g: &GenerationSummary,
        today: impl Fn(&str, &str) -> bool,
    ) -> Vec<&'a EvaluationRecord> {
        let key: ((&str, &str, u32), &str) = (
            (g.model.as_str(), g.task.as_str(), g.sample),
            g.fingerprint.as_str(),
        );
        let Some(all) = lookup(&self.evaluations, &key) else {
            return Vec::new();
        };
        all.iter()
            .copied()
            .filter(|e| e.round.is_none())
            .filter(|e| g.view_sha.as_deref() == Some(e.generation_sha.as_str()))
            .filter(|e| today(&e.judge, &e.fingerprint))
            .collect()
    }
}

/// A lookup with a key that borrows for less long than the map's keys: the map is
/// covariant in its key type, so it is viewed with the key's shorter lifetime.
fn lookup<'m, 'k, V>(
    map: &'m HashMap<((&'k str, &'k str, u32), &'k str), V>,
    key: &((&'k str, &'k str, u32), &'k str),
) -> Option<&'m V> {
    map.get(key)
}
