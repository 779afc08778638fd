//! The in-memory formats: theories, tasks, the project config, the slop list and the
//! result records.
//!
//! They deserialize from a value tree that already passed the JSON Schemas in `schema/`,
//! which are the published contract; these types only read it.

mod config;
mod record;
mod slop;
mod task;
mod theory;

pub use config::{
    BATCH_DIALECTS, BATCH_PRICE_FACTOR, Config, Dialect, ModelConfig, Price, ProviderConfig,
    ProviderKind, Reasoning, Settings, TokenBudget,
};
pub use record::{
    Actor, Breakdown, CriterionVerdict, EvaluationRecord, FailureKind, FinishReason,
    GenerationRecord, GenerationSummary, HumanRanking, ItemVerdict, PairSide, PairVerdict,
    PairwiseRecord, Preference, ProgrammaticScores, Question, RECORD_SCHEMA, RECORD_VERSION,
    RankedGeneration, Role, SlopHit, Status, Turn, Usage,
};
pub use slop::SlopList;
pub use task::{
    BeatInterpolation, BeatList, BeatRevision, BeatUse, ConstrainedContinuation,
    ConstraintDiscovery, Constraints, CritiqueImprovement, Flaw, HiddenConstraint,
    IterativeRevision, Link, MultiBeatSynthesis, PlanningExecution, SequenceTask, Step,
    SynthesisBeat, Task, TaskBody, TaskType, TheoryConversion, WordRange, WrittenBeat,
};
pub use theory::{Beat, Theory};
