//! Result records: one JSON file per generation, per evaluation, per pairwise
//! comparison and per human ranking under `results/`.
//!
//! The records are the durable output of a run, so their format is versioned
//! ([`RECORD_VERSION`]) and published as `schema/result.schema.json`. Readers accept any
//! record whose `format_version` they know; writers always write the current one. A test
//! serializes fully populated records and validates them against the schema, so a field
//! added here without the schema (or the other way round) fails the build.

use super::task::TaskType;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The record format version written today. Pairwise records and human rankings were
/// added in version 2 without changing the other kinds: each a kind of its own (its own
/// file prefix), so no stored record had to become unreadable for them.
pub const RECORD_VERSION: u32 = 2;

/// The published JSON Schema of result records (`schema/result.schema.json`).
pub const RECORD_SCHEMA: &str = include_str!("../../../../schema/result.schema.json");

/// Whether the work a record describes succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    Failed,
}

/// Why a model stopped writing, normalised across providers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// A natural end (OpenAI `stop`, Anthropic `end_turn` / `stop_sequence`).
    Stop,
    /// Cut off by the token limit.
    Length,
    /// Refused or filtered by the provider.
    ContentFilter,
    /// Anything else (tool calls, unknown values, an error mid-stream).
    Other,
}

impl FinishReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::ContentFilter => "content_filter",
            FinishReason::Other => "other",
        }
    }
}

/// Why work failed, in classes that decide what the failure means for a score
/// (SPEC.md, "Numbers"): a *model* failure is the model's own doing and scores 0; an
/// *infrastructure* failure says nothing about the model and leaves the item incomplete.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// Model: cut off by the token limit.
    Length,
    /// Model: refused or filtered.
    ContentFilter,
    /// Model: stopped for another reason (tool call, unknown finish reason).
    OtherFinish,
    /// Model: an empty or whitespace-only answer.
    Empty,
    /// Model: an answer larger than the provider's response cap.
    TooLarge,
    /// Model: did not follow the task's protocol (e.g. an agentic turn it must take).
    Protocol,
    /// Model or judge: an answer that could not be parsed (a judge's, after retries).
    Unparsable,
    /// Infrastructure: the oracle or critic of the harness failed or answered nonsense.
    Helper,
    /// Infrastructure: the provider failed (HTTP errors after retries, timeouts, the
    /// circuit breaker).
    Provider,
    /// Infrastructure: the configuration cannot serve the call (no oracle, no room).
    Config,
}

impl FailureKind {
    /// A failure of the model under test: it scores 0 and counts.
    pub fn is_model(self) -> bool {
        matches!(
            self,
            FailureKind::Length
                | FailureKind::ContentFilter
                | FailureKind::OtherFinish
                | FailureKind::Empty
                | FailureKind::TooLarge
                | FailureKind::Protocol
                | FailureKind::Unparsable
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Length => "length",
            FailureKind::ContentFilter => "content_filter",
            FailureKind::OtherFinish => "other_finish",
            FailureKind::Empty => "empty",
            FailureKind::TooLarge => "too_large",
            FailureKind::Protocol => "protocol",
            FailureKind::Unparsable => "unparsable",
            FailureKind::Helper => "helper",
            FailureKind::Provider => "provider",
            FailureKind::Config => "config",
        }
    }

    /// The failure of a writer turn that ended with `finish` other than a normal stop.
    pub fn of_finish(finish: FinishReason) -> Option<FailureKind> {
        match finish {
            FinishReason::Stop => None,
            FinishReason::Length => Some(FailureKind::Length),
            FinishReason::ContentFilter => Some(FailureKind::ContentFilter),
            FinishReason::Other => Some(FailureKind::OtherFinish),
        }
    }
}

/// Token usage of one or more calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Part of `completion_tokens` spent reasoning, where the provider reports it.
    pub reasoning_tokens: u64,
}

impl Usage {
    pub fn add(&mut self, other: Usage) {
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
        self.reasoning_tokens += other.reasoning_tokens;
    }
}

/// Who spoke a turn of a transcript.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// Which part a turn plays in a task: the model under test, or a helper of the harness.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    /// The harness's prompt to the model under test.
    Harness,
    /// The model under test.
    Writer,
    /// The oracle answering constraint-discovery questions.
    Oracle,
    /// The critic of a critique-improvement task.
    Critic,
    /// The deterministic rule-based feedback of an iterative-revision task.
    Feedback,
}

/// One turn of a transcript. Calls to models carry their usage, latency and finish.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Turn {
    pub role: Role,
    pub actor: Actor,
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish: Option<FinishReason>,
}

/// A yes/no question of a constraint-discovery task and the oracle's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub question: String,
    pub answer: String,
    /// Ids of the hidden constraints the oracle said the question touched.
    #[serde(default)]
    pub reveals: Vec<String>,
}

/// One model config's output for one task sample (for agentic tasks, the whole run).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenerationRecord {
    pub format_version: u32,
    pub task: String,
    pub task_type: TaskType,
    /// Model config name in `fabula.yaml`.
    pub model: String,
    /// Provider's model id.
    pub model_id: String,
    pub provider: String,
    /// True when the provider is the offline simulator.
    pub simulated: bool,
    pub sample: u32,
    /// Hash of everything that shaped the requests; a different one today means stale.
    pub fingerprint: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What kind of failure `error` is (set whenever `status` is failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailureKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish: Option<FinishReason>,
    /// SHA-256 (32 hex digits) of the text judges read for this generation; every
    /// evaluation records the hash of the text it judged, so an evaluation can never be
    /// attached to a text its judge did not see.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_sha: Option<String>,
    /// The final text that is scored.
    pub output: String,
    /// Earlier drafts, in order (iterative revision, critique improvement).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drafts: Vec<String>,
    /// The plan (planning → execution).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// The answer to each step (sequence), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<String>,
    /// The questions asked (constraint discovery).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<Question>,
    pub transcript: Vec<Turn>,
    pub usage: Usage,
    /// `usage` split by role: `writer`, `oracle`, `critic`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub usage_by_role: BTreeMap<String, Usage>,
    /// The programmatic scores, computed when the record was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub programmatic: Option<ProgrammaticScores>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    pub latency_ms: u64,
    /// The provider batch its calls were answered in (`fabula run --batch`); absent for
    /// calls sent one by one. `latency_ms` is then the batch's wall time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
    /// RFC 3339 UTC time the record was written.
    pub created_at: String,
}

/// Programmatic scores stored with a generation, so that leaderboards need not recompute
/// them and readers can see what is behind them. Valid only while `key` equals today's
/// [`crate::metrics::cache_key`] (the metric constants, the slop list and the task's word
/// range); otherwise they are recomputed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProgrammaticScores {
    pub key: String,
    /// The score of each draft in order, then of the final output (0..=1).
    pub trajectory: Vec<f64>,
    /// The parts of the final output's score.
    pub breakdown: Breakdown,
}

/// The parts of a programmatic score ([`crate::metrics`] defines each).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    pub words: u64,
    pub word_score: f64,
    /// Share of word 4-grams that repeat an earlier one.
    pub repetition: f64,
    pub repetition_score: f64,
    /// Stock phrases per 1,000 words.
    pub slop_density: f64,
    pub slop_score: f64,
    /// Each stock phrase found, with how often.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slop_hits: Vec<SlopHit>,
    pub total: f64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlopHit {
    pub phrase: String,
    pub count: u64,
}

/// The part of a generation record that status, planning and leaderboards read. Loading
/// it skips the transcript, drafts and plan without allocating them.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct GenerationSummary {
    pub format_version: u32,
    pub task: String,
    pub task_type: TaskType,
    pub model: String,
    pub simulated: bool,
    pub sample: u32,
    pub fingerprint: String,
    pub status: Status,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub failure: Option<FailureKind>,
    #[serde(default)]
    pub view_sha: Option<String>,
    #[serde(default)]
    pub output: String,
    #[serde(default)]
    pub questions: Vec<Question>,
    pub usage: Usage,
    #[serde(default)]
    pub usage_by_role: BTreeMap<String, Usage>,
    #[serde(default)]
    pub programmatic: Option<ProgrammaticScores>,
    #[serde(default)]
    pub cost_usd: Option<f64>,
    #[serde(default)]
    pub latency_ms: u64,
    #[serde(default)]
    pub created_at: String,
}

/// A judge's verdict on one criterion: one verdict for the whole text, or one per item
/// of the criterion's list (`per` in `criteria.yaml`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CriterionVerdict {
    pub criterion: String,
    /// Normalised to 0..=1 (pass 1, partial 0.5, fail 0; a 1–5 score maps to 0..=1); for
    /// a criterion judged per item, the mean of the items' scores.
    pub score: f64,
    /// The judge's own answer: `pass`, `partial`, `fail`, or `1`..`5`; empty when the
    /// criterion is judged per item.
    #[serde(default)]
    pub verdict: String,
    #[serde(default)]
    pub evidence: String,
    #[serde(default)]
    pub reason: String,
    /// One verdict per item, in the order of the list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemVerdict>,
}

/// A judge's verdict on one item of a criterion's list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemVerdict {
    /// 1-based position in the list.
    pub item: u32,
    pub score: f64,
    pub verdict: String,
    #[serde(default)]
    pub evidence: String,
    #[serde(default)]
    pub reason: String,
}

/// One judge's structured verdict on one generation (or one round's draft of it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvaluationRecord {
    pub format_version: u32,
    pub task: String,
    pub task_type: TaskType,
    pub model: String,
    pub sample: u32,
    /// Judge model config name.
    pub judge: String,
    pub simulated: bool,
    /// Fingerprint of the generation judged.
    pub generation_fingerprint: String,
    /// The generation's `view_sha`: the hash of the exact text this judge read.
    pub generation_sha: String,
    /// Fingerprint of the judging itself (rubric, judge template, judge config).
    pub fingerprint: String,
    /// Draft index for trajectory scoring; absent for the final output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<u32>,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What kind of failure `error` is: `unparsable` (the judge answered, unusably) or an
    /// infrastructure kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailureKind>,
    #[serde(default)]
    pub criteria: Vec<CriterionVerdict>,
    /// The judge's raw answer, kept when it could not be parsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    pub usage: Usage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    pub latency_ms: u64,
    /// The provider batch its calls were answered in (`fabula run --batch`); absent for
    /// calls sent one by one. `latency_ms` is then the batch's wall time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
    pub created_at: String,
}

/// Which of two outputs a pairwise judge found better on a criterion, by the position it
/// was shown in (the record's `first` and `second`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preference {
    First,
    Second,
    Tie,
}

/// One of the two generations a pairwise judge compared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairSide {
    /// Model config name of the generation.
    pub model: String,
    pub generation_fingerprint: String,
    /// The generation's `view_sha`: the hash of the exact text the judge read.
    pub generation_sha: String,
    /// Words of that text: the length difference of the two is recorded with the verdict.
    pub words: u64,
}

/// A pairwise judge's answer on one criterion.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairVerdict {
    pub criterion: String,
    pub preferred: Preference,
    #[serde(default)]
    pub evidence: String,
    #[serde(default)]
    pub reason: String,
}

/// One judge's comparison of two models' generations of the same task sample, shown in
/// one order. Each pair is judged in both orders, each its own record; the two are
/// combined when read (see `fabula_eval::pairwise`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairwiseRecord {
    pub format_version: u32,
    pub task: String,
    pub task_type: TaskType,
    pub sample: u32,
    /// Judge model config name.
    pub judge: String,
    pub simulated: bool,
    /// The generation shown first (OUTPUT 1) and second (OUTPUT 2).
    pub first: PairSide,
    pub second: PairSide,
    /// Fingerprint of the pairwise judging: both generations' fingerprints in this order,
    /// the rendered pairwise prompt, the answer schema, the judge config.
    pub fingerprint: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailureKind>,
    #[serde(default)]
    pub criteria: Vec<PairVerdict>,
    /// The judge's raw answer, kept when it could not be parsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    pub usage: Usage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    pub latency_ms: u64,
    pub created_at: String,
}

/// One generation a person ranked: which record, and the exact text they read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankedGeneration {
    /// Model config name of the generation.
    pub model: String,
    /// The generation record's name in the store: its path relative to `results/`, with
    /// `/` between components.
    pub record: String,
    /// Fingerprint of the generation; a different one today makes the ranking stale.
    pub generation_fingerprint: String,
    /// The generation's `view_sha`: the hash of the exact text the rater read.
    pub generation_sha: String,
}

/// One person's ranking of several models' generations of the same task sample, best
/// first, with ties. A ranking counts while every generation it ranks is today's and
/// holds the text the rater read; several raters per task are normal, and a rater's
/// newer ranking of a sample replaces their older one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HumanRanking {
    pub format_version: u32,
    pub task: String,
    pub task_type: TaskType,
    pub sample: u32,
    /// Who ranked: a setting, `git config user.email`, or `--rater`.
    pub rater: String,
    /// The generations in rank groups, best first; the generations of one group are tied.
    pub ranks: Vec<Vec<RankedGeneration>>,
    /// The rater's note.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
    /// The seed the outputs were shuffled with for this rater (blind, in an order of
    /// their own), as 16 hex digits.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub seed: String,
    /// RFC 3339 UTC time the ranking was saved.
    pub created_at: String,
}

impl HumanRanking {
    /// Every ranked generation, best first.
    pub fn generations(&self) -> impl Iterator<Item = &RankedGeneration> {
        self.ranks.iter().flatten()
    }
}
