//! Pairwise judging: which pair comparisons a compare must run, and what the stored ones
//! say. Judges see two configs' generations of the same task sample and pick the better
//! per criterion ([`fabula_core::pairwise`]); every pair is judged in **both orders**, so
//! a judge that favours a position favours each config once.
//!
//! - A comparison counts when its fingerprint is today's ([`Current::pairwise`]) and the
//!   texts it read are the generations' (`generation_sha` = `view_sha`), as evaluations
//!   do. A failed comparison counts as done (it is not retried by every compare) but
//!   says nothing.
//! - Per judge and criterion, the two orders are turned into the configs' terms (+1 B
//!   better, −1 A better, 0 tie). When they agree that is the judge's answer; when they
//!   disagree (position bias, or a coin flip), it is a tie and is counted as an order
//!   disagreement. A judge's overall answer in one order is the sign of the
//!   rubric-weighted sum of its criterion answers; the orders combine the same way.
//! - Per item, the median over the judges that answered in both orders, then its sign:
//!   B wins, ties or loses the item. An item no judge answered in both orders is not
//!   counted.
//! - B's win rate counts a tie as half a win; its interval and p-value (against 50%)
//!   come from [`stats::bootstrap_ci`] and [`stats::sign_flip`] over the items, grouped by
//!   task, like every other number here.
//! - With more than two configs, a Bradley–Terry ranking ([`stats::bradley_terry`]) from
//!   every item outcome of every pair of configs, on an Elo-like scale (1000 + 400 ·
//!   log₁₀ of the strength: 400 points apart is 10 to 1 odds), with bootstrap
//!   intervals; configs whose intervals overlap share a rank.
//! - The length difference is recorded with every comparison: the report gives each
//!   side's mean words and how often the longer output won a decided item.

use crate::fingerprint::Current;
use crate::prepared::PreparedTask;
use crate::records::{Index, Records};
use crate::stats::{self, Meeting, PValue};
use fabula_core::criteria;
use fabula_core::judge;
use fabula_core::model::{GenerationSummary, PairwiseRecord, Preference, Status, TaskType};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

/// One generation of a pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contender {
    pub model: String,
    /// Its record in the store: the engine reads the whole generation from it.
    pub path: PathBuf,
    pub fingerprint: String,
    /// The hash of its judge view: what the judge must be shown.
    pub view_sha: String,
}

/// One comparison to run: `judge` compares `first` (shown first) with `second`.
#[derive(Clone, Debug)]
pub struct PairJob {
    pub task: Arc<PreparedTask>,
    pub sample: u32,
    pub judge: String,
    pub first: Contender,
    pub second: Contender,
    /// Today's fingerprint of this comparison.
    pub fingerprint: String,
}

/// What a compare must run.
#[derive(Clone, Debug, Default)]
pub struct PairPlan {
    pub jobs: Vec<PairJob>,
    /// Comparisons already stored with today's fingerprints (failed ones included).
    pub done: usize,
    /// Of those, failed.
    pub failed: usize,
    /// Items (per pair of configs) where a side has no usable generation today: nothing
    /// to compare until `fabula run` makes one.
    pub unpaired: usize,
}

/// What to compare: every pair of `models` (in order: the earlier is A) on `tasks` ×
/// `samples`, judged by `judges`.
#[derive(Clone, Copy, Debug)]
pub struct Selection<'a> {
    pub models: &'a [String],
    pub judges: &'a [String],
    pub tasks: &'a [Arc<PreparedTask>],
    pub samples: u32,
}

/// Samples per task to compare `models` on: the configured count, or more when the
/// store holds more (as the leaderboard and the paired comparison count them).
pub fn samples(
    current: &Current<'_>,
    tasks: &[Arc<PreparedTask>],
    records: &Records,
    models: &[String],
) -> u32 {
    crate::leaderboard::sample_count(current, tasks, records, models)
}

/// The comparisons of `selection` the store lacks.
pub fn plan(current: &Current<'_>, selection: Selection<'_>, records: &Records) -> PairPlan {
    let stored = Stored::new(records);
    let mut plan = PairPlan::default();
    for_each_item(current, selection, records, |item| {
        let Item {
            task,
            sample,
            a: Some(a),
            b: Some(b),
            ..
        } = item
        else {
            plan.unpaired += 1;
            return;
        };
        for judge in selection.judges {
            for (first, second) in [(&a, &b), (&b, &a)] {
                let Some(fingerprint) =
                    current.pairwise(task, &first.fingerprint, &second.fingerprint, judge)
                else {
                    continue;
                };
                match stored.get(task.id(), sample, judge, first, second, &fingerprint) {
                    Some(r) => {
                        plan.done += 1;
                        plan.failed += usize::from(r.status != Status::Ok);
                    }
                    None => plan.jobs.push(PairJob {
                        task: Arc::clone(task),
                        sample,
                        judge: judge.clone(),
                        first: first.clone(),
                        second: second.clone(),
                        fingerprint,
                    }),
                }
            }
        }
    });
    plan
}

/// B's record against A.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Record {
    pub wins: usize,
    pub ties: usize,
    pub losses: usize,
}

impl Record {
    fn add(&mut self, outcome: i8) {
        match outcome {
            1 => self.wins += 1,
            -1 => self.losses += 1,
            _ => self.ties += 1,
        }
    }

    /// Wins plus half the ties, over all; None for none.
    pub fn win_rate(&self) -> Option<f64> {
        let n = self.wins + self.ties + self.losses;
        (n > 0).then(|| (self.wins as f64 + self.ties as f64 / 2.0) / n as f64)
    }
}

/// B's win rate over items, with its interval and its test against 50%.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WinRate {
    /// 0..=1 (ties count half), mean over tasks of the mean over samples.
    pub rate: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub p: PValue,
}

/// One criterion of one task type, over the items both sides were compared on.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CriterionRecord {
    pub task_type: String,
    pub criterion: String,
    pub record: Record,
    /// Judge answers on this criterion whose two orders disagreed (made ties).
    pub order_disagreements: usize,
}

/// How a judge's answers depend on the order the outputs were shown in.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Position {
    /// Judge × item answers (overall) available in both orders.
    pub judgements: usize,
    /// Of those, the two orders disagreed: made a tie.
    pub disagreements: usize,
    /// Single-order overall answers that picked an output, and how many picked the one
    /// shown first: a share far from half is position bias (cancelled by the two orders).
    pub decided: usize,
    pub first_won: usize,
}

/// The outputs' lengths over the compared items.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Lengths {
    pub mean_words_a: f64,
    pub mean_words_b: f64,
    /// Decided items whose outputs differ in length, and how many the longer one won.
    pub decided: usize,
    pub longer_won: usize,
}

/// One pair of configs: B against A.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Matchup {
    pub a: String,
    pub b: String,
    /// Items with a generation of each side today.
    pub items: usize,
    /// Of those, compared in both orders by at least one judge: the ones counted.
    pub compared: usize,
    pub record: Record,
    pub win_rate: Option<WinRate>,
    pub position: Position,
    pub lengths: Lengths,
    pub by_criterion: Vec<CriterionRecord>,
}

/// A config's Bradley–Terry rating.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rating {
    pub model: String,
    /// 1000 + 400 · log₁₀(strength), strengths with geometric mean 1.
    pub rating: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// 1-based; overlapping intervals share a rank.
    pub rank: Option<usize>,
}

/// What the stored comparisons say.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub models: Vec<String>,
    pub judges: Vec<String>,
    pub matchups: Vec<Matchup>,
    /// With more than two configs; best first.
    pub ranking: Vec<Rating>,
}

/// The report of `selection` from the stored comparisons.
pub fn report(
    current: &Current<'_>,
    selection: Selection<'_>,
    records: &Records,
    resamples: usize,
) -> Report {
    let stored = Stored::new(records);
    let n = selection.models.len();
    let mut matchups: BTreeMap<(usize, usize), Tally> = BTreeMap::new();
    // Per task, per sample: every matchup's outcome on that item (Bradley–Terry).
    let mut meetings: BTreeMap<&str, BTreeMap<u32, Vec<Meeting>>> = BTreeMap::new();
    for_each_item(current, selection, records, |item| {
        let tally = matchups.entry((item.i, item.j)).or_default();
        let (Some(a), Some(b)) = (&item.a, &item.b) else {
            return;
        };
        tally.items += 1;
        let rubric = judge::rubric(item.task.input(current.slop));
        let weights: HashMap<&str, f64> = rubric
            .entries
            .iter()
            .map(|e| (e.id(), f64::from(e.weight)))
            .collect();
        let mut overall: Vec<i8> = Vec::new();
        // (A's words, B's words) as the first judge to compare the item recorded them.
        let mut words: Option<(u64, u64)> = None;
        let mut per_criterion: BTreeMap<&str, Vec<i8>> = BTreeMap::new();
        for judge in selection.judges {
            let read = |first: &Contender, second: &Contender| {
                let fp =
                    current.pairwise(item.task, &first.fingerprint, &second.fingerprint, judge)?;
                stored
                    .get(item.task.id(), item.sample, judge, first, second, &fp)
                    .filter(|r| r.status == Status::Ok)
            };
            let orders = [(read(a, b), 1i8), (read(b, a), -1i8)];
            let terms = |r, flip| terms(r, flip, &weights);
            let weighted = |t: &[(&str, i8)]| weighted(t, &weights);
            for (r, flip) in orders.iter().filter_map(|(r, f)| Some((r.as_ref()?, *f))) {
                let said = weighted(&terms(r, flip));
                if said != 0 {
                    tally.position.decided += 1;
                    // B first (flip −1) and B better, or A first and A better.
                    tally.position.first_won += usize::from(said == -flip);
                }
            }
            let [(Some(ab), _), (Some(ba), _)] = orders else {
                continue;
            };
            let (t1, t2) = (terms(ab, 1), terms(ba, -1));
            let (o1, o2) = (weighted(&t1), weighted(&t2));
            tally.position.judgements += 1;
            tally.position.disagreements += usize::from(o1 != o2);
            overall.push(if o1 == o2 { o1 } else { 0 });
            for (c, v1) in &t1 {
                let Some((_, v2)) = t2.iter().find(|(c2, _)| c2 == c) else {
                    continue;
                };
                if v1 != v2 {
                    *tally
                        .criterion_disagreements
                        .entry(criterion_key(item.task, c))
                        .or_default() += 1;
                }
                per_criterion
                    .entry(c)
                    .or_default()
                    .push(if v1 == v2 { *v1 } else { 0 });
            }
            words.get_or_insert((ab.first.words, ab.second.words));
        }
        let Some(outcome) = median_sign(&overall) else {
            return;
        };
        tally.compared_items += 1;
        tally.record.add(outcome);
        let value = (f64::from(outcome) + 1.0) / 2.0;
        tally.values.entry(item.task.id()).or_default().push(value);
        if let Some(w) = words {
            tally.words.push(w);
        }
        if let Some((wa, wb)) = words
            && outcome != 0
            && wa != wb
        {
            tally.lengths.decided += 1;
            tally.lengths.longer_won += usize::from((wb > wa) == (outcome > 0));
        }
        for (c, values) in per_criterion {
            if let Some(o) = median_sign(&values) {
                tally
                    .criteria
                    .entry(criterion_key(item.task, c))
                    .or_default()
                    .add(o);
            }
        }
        meetings
            .entry(item.task.id())
            .or_default()
            .entry(item.sample)
            .or_default()
            .push(Meeting {
                a: item.j,
                b: item.i,
                score_a: value,
            });
    });
    let models = selection.models;
    let matchups: Vec<Matchup> = matchups
        .into_iter()
        .map(|((i, j), t)| t.finish(&models[i], &models[j], resamples))
        .collect();
    let ranking = if n > 2 {
        let groups: Vec<Vec<Vec<Meeting>>> = meetings
            .into_values()
            .map(|by_sample| by_sample.into_values().collect())
            .collect();
        let all: Vec<Meeting> = groups.iter().flatten().flatten().copied().collect();
        let theta = stats::bradley_terry(n, &all);
        let ci = stats::bradley_terry_ci(n, &groups, resamples, stats::SEED);
        let elo = |t: f64| 1000.0 + 400.0 * t / std::f64::consts::LN_10;
        let mut ratings: Vec<Rating> = models
            .iter()
            .zip(theta.iter().zip(&ci))
            .filter_map(|(m, (t, ci))| {
                let (lo, hi) = (*ci)?;
                Some(Rating {
                    model: m.clone(),
                    rating: elo((*t)?),
                    ci_low: elo(lo),
                    ci_high: elo(hi),
                    rank: None,
                })
            })
            .collect();
        let intervals: Vec<Option<(f64, f64)>> = ratings
            .iter()
            .map(|r| Some((r.ci_low, r.ci_high)))
            .collect();
        for (r, rank) in ratings.iter_mut().zip(stats::ranks(&intervals)) {
            r.rank = rank;
        }
        ratings.sort_by(|x, y| y.rating.total_cmp(&x.rating).then(x.model.cmp(&y.model)));
        ratings
    } else {
        Vec::new()
    };
    Report {
        models: models.to_vec(),
        judges: selection.judges.to_vec(),
        matchups,
        ranking,
    }
}

/// A comparison's criterion answers in B's terms: +1 B better, −1 A better, 0 tie.
/// `flip` is 1 when A was shown first (then `second` is B), −1 when B was. Answers on
/// criteria the rubric does not weigh are left out.
fn terms<'r>(r: &'r PairwiseRecord, flip: i8, weights: &HashMap<&str, f64>) -> Vec<(&'r str, i8)> {
    r.criteria
        .iter()
        .filter(|v| weights.contains_key(v.criterion.as_str()))
        .map(|v| {
            let said = match v.preferred {
                Preference::First => -1,
                Preference::Second => 1,
                Preference::Tie => 0,
            };
            (v.criterion.as_str(), said * flip)
        })
        .collect()
}

/// The overall answer: the sign of the rubric-weighted sum of the criterion answers.
fn weighted(terms: &[(&str, i8)], weights: &HashMap<&str, f64>) -> i8 {
    let sum: f64 = terms.iter().map(|(c, v)| weights[c] * f64::from(*v)).sum();
    if sum.abs() < 1e-9 {
        0
    } else {
        sum.signum() as i8
    }
}

/// The sign of the median of answers in {−1, 0, 1}; None for none.
fn median_sign(values: &[i8]) -> Option<i8> {
    let as_f64: Vec<f64> = values.iter().map(|v| f64::from(*v)).collect();
    let m = fabula_core::score::median(&as_f64)?;
    Some(if m.abs() < 1e-9 { 0 } else { m.signum() as i8 })
}

/// What a matchup gathers item by item.
#[derive(Default)]
struct Tally<'t> {
    items: usize,
    compared_items: usize,
    record: Record,
    values: BTreeMap<&'t str, Vec<f64>>,
    position: Position,
    lengths: Lengths,
    /// Words of (A, B) per compared item.
    words: Vec<(u64, u64)>,
    criteria: BTreeMap<CriterionKey, Record>,
    criterion_disagreements: BTreeMap<CriterionKey, usize>,
}

/// A criterion of a task type, ordered as the type lists its criteria.
type CriterionKey = (TaskType, usize, String);

fn criterion_key(task: &PreparedTask, id: &str) -> CriterionKey {
    let t = task.task.task_type();
    let at = criteria::of(t)
        .criteria
        .iter()
        .position(|c| c.id == id)
        .unwrap_or(usize::MAX);
    (t, at, id.to_string())
}

impl Tally<'_> {
    fn finish(mut self, a: &str, b: &str, resamples: usize) -> Matchup {
        let groups: Vec<Vec<f64>> = self.values.into_values().collect();
        let centred: Vec<Vec<f64>> = groups
            .iter()
            .map(|g| g.iter().map(|v| v - 0.5).collect())
            .collect();
        let win_rate = (|| {
            let (ci_low, ci_high) = stats::bootstrap_ci(&groups, resamples, stats::SEED)?;
            Some(WinRate {
                rate: stats::mean_of_groups(&groups)?,
                ci_low,
                ci_high,
                p: stats::sign_flip(&centred, stats::SEED)?,
            })
        })();
        let words = &self.words;
        let mean = |f: fn(&(u64, u64)) -> u64| {
            stats::mean(&words.iter().map(|w| f(w) as f64).collect::<Vec<_>>()).unwrap_or(0.0)
        };
        self.lengths.mean_words_a = mean(|w| w.0);
        self.lengths.mean_words_b = mean(|w| w.1);
        let by_criterion = self
            .criteria
            .into_iter()
            .map(|(key, record)| CriterionRecord {
                order_disagreements: self.criterion_disagreements.get(&key).copied().unwrap_or(0),
                task_type: key.0.as_str().to_string(),
                criterion: key.2,
                record,
            })
            .collect();
        Matchup {
            a: a.to_string(),
            b: b.to_string(),
            items: self.items,
            compared: self.compared_items,
            record: self.record,
            win_rate,
            position: self.position,
            lengths: self.lengths,
            by_criterion,
        }
    }
}

/// One item of one pair of configs: their generations today, when usable.
struct Item<'t> {
    /// Indices of A and B in the selection's models.
    i: usize,
    j: usize,
    task: &'t Arc<PreparedTask>,
    sample: u32,
    a: Option<Contender>,
    b: Option<Contender>,
}

/// Calls `f` for every pair of configs × task × sample of `selection`.
fn for_each_item<'t>(
    current: &Current<'_>,
    selection: Selection<'t>,
    records: &Records,
    mut f: impl FnMut(Item<'t>),
) {
    let index = Index::new(records);
    current.warm(selection.tasks);
    let contender = |model: &str, task: &PreparedTask, sample: u32| -> Option<Contender> {
        let fingerprint = current.generation(task, model)?;
        let (path, g): (_, &GenerationSummary) =
            index.generation(model, task.id(), sample, &fingerprint)?;
        if g.status != Status::Ok {
            return None;
        }
        Some(Contender {
            model: model.to_string(),
            path: path.to_path_buf(),
            fingerprint,
            view_sha: g.view_sha.clone()?,
        })
    };
    let models = selection.models;
    for i in 0..models.len() {
        for j in i + 1..models.len() {
            for task in selection.tasks {
                for sample in 0..selection.samples {
                    f(Item {
                        i,
                        j,
                        task,
                        sample,
                        a: contender(&models[i], task, sample),
                        b: contender(&models[j], task, sample),
                    });
                }
            }
        }
    }
}

/// The stored comparisons by what they compared.
struct Stored<'a> {
    by_key: HashMap<(&'a str, u32, &'a str, &'a str, &'a str, &'a str), &'a PairwiseRecord>,
}

impl<'a> Stored<'a> {
    fn new(records: &'a Records) -> Stored<'a> {
        let mut by_key: HashMap<_, &PairwiseRecord> = HashMap::new();
        for (_, r) in &records.pairwise {
            let key = (
                r.task.as_str(),
                r.sample,
                r.judge.as_str(),
                r.first.model.as_str(),
                r.second.model.as_str(),
                r.fingerprint.as_str(),
            );
            // Two files for one key happen only when stores were merged by hand: the newer.
            if by_key
                .get(&key)
                .is_none_or(|old| old.created_at < r.created_at)
            {
                by_key.insert(key, r);
            }
        }
        Stored { by_key }
    }

    /// The comparison with this fingerprint that read exactly these two texts.
    fn get(
        &self,
        task: &str,
        sample: u32,
        judge: &str,
        first: &Contender,
        second: &Contender,
        fingerprint: &str,
    ) -> Option<&'a PairwiseRecord> {
        let key: (&str, u32, &str, &str, &str, &str) = (
            task,
            sample,
            judge,
            &first.model,
            &second.model,
            fingerprint,
        );
        let found = lookup(&self.by_key, &key)?;
        (found.first.generation_sha == first.view_sha
            && found.second.generation_sha == second.view_sha)
            .then_some(*found)
    }
}

type Key<'k> = (&'k str, u32, &'k str, &'k str, &'k str, &'k str);

/// A lookup with a key that borrows for less long than the map's keys (the map is
/// covariant in its key type).
fn lookup<'m, 'k, V>(map: &'m HashMap<Key<'k>, V>, key: &Key<'k>) -> Option<&'m V> {
    map.get(key)
}
