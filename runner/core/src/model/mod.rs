//! The in-memory formats: theories, tasks, the project config and the slop list.
//!
//! They deserialize from a value tree that already passed the JSON Schemas in `schema/`,
//! which are the published contract; these types only read it.

mod config;
mod rubric;
mod slop;
mod task;
mod theory;

pub use config::{
    Config, ModelConfig, Price, ProviderConfig, ProviderKind, Reasoning, Settings, TokenBudget,
};
pub use rubric::default_rubric;
pub use slop::SlopList;
pub use task::{
    BeatInterpolation, BeatList, BeatRevision, BeatUse, ConstrainedContinuation,
    ConstraintDiscovery, Constraints, CritiqueImprovement, Flaw, HiddenConstraint,
    IterativeRevision, Link, MultiBeatSynthesis, PlanningExecution, SequenceTask, Step,
    SynthesisBeat, Task, TaskBody, TaskType, TheoryConversion, WordRange, WrittenBeat,
};
pub use theory::{Beat, Theory};
