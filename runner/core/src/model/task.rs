//! Tasks: one evaluation item of one of the ten task types.

use crate::path;
use crate::path::Path;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The ten task types. Each tests one skill (SPEC.md, "Task types").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskType {
    BeatInterpolation,
    BeatRevision,
    ConstrainedContinuation,
    TheoryConversion,
    MultiBeatSynthesis,
    Sequence,
    AgenticConstraintDiscovery,
    AgenticPlanningExecution,
    AgenticIterativeRevision,
    CritiqueImprovement,
}

impl TaskType {
    pub const ALL: [TaskType; 10] = [
        TaskType::BeatInterpolation,
        TaskType::BeatRevision,
        TaskType::ConstrainedContinuation,
        TaskType::TheoryConversion,
        TaskType::MultiBeatSynthesis,
        TaskType::Sequence,
        TaskType::AgenticConstraintDiscovery,
        TaskType::AgenticPlanningExecution,
        TaskType::AgenticIterativeRevision,
        TaskType::CritiqueImprovement,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskType::BeatInterpolation => "beat_interpolation",
            TaskType::BeatRevision => "beat_revision",
            TaskType::ConstrainedContinuation => "constrained_continuation",
            TaskType::TheoryConversion => "theory_conversion",
            TaskType::MultiBeatSynthesis => "multi_beat_synthesis",
            TaskType::Sequence => "sequence",
            TaskType::AgenticConstraintDiscovery => "agentic_constraint_discovery",
            TaskType::AgenticPlanningExecution => "agentic_planning_execution",
            TaskType::AgenticIterativeRevision => "agentic_iterative_revision",
            TaskType::CritiqueImprovement => "critique_improvement",
        }
    }

    pub fn parse(s: &str) -> Option<TaskType> {
        TaskType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Multi-turn types.
    pub fn is_agentic(self) -> bool {
        matches!(
            self,
            TaskType::Sequence
                | TaskType::AgenticConstraintDiscovery
                | TaskType::AgenticPlanningExecution
                | TaskType::AgenticIterativeRevision
                | TaskType::CritiqueImprovement
        )
    }
}

impl fmt::Display for TaskType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug)]
pub struct Task {
    pub id: String,
    pub title: String,
    pub theory: String,
    pub words: WordRange,
    pub budget: Option<super::TokenBudget>,
    pub rubric: Option<BTreeMap<String, u32>>,
    pub tags: Vec<String>,
    pub notes: Option<String>,
    pub body: TaskBody,
}

/// The fields every task has, and its type, read first ([`Task::from_value`]).
#[derive(Deserialize)]
struct Head {
    id: String,
    title: String,
    theory: String,
    words: WordRange,
    #[serde(default)]
    budget: Option<super::TokenBudget>,
    #[serde(default)]
    rubric: Option<BTreeMap<String, u32>>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    notes: Option<String>,
    #[serde(rename = "type")]
    ty: TaskType,
}

impl Task {
    /// Reads a task from its value tree. Unknown keys are ignored here: the schema, not
    /// serde, rejects them.
    ///
    /// By hand rather than a derive with `#[serde(flatten)]` over a body tagged by `type`:
    /// serde reads both by first copying every remaining entry into a buffer of its own,
    /// twice, and for a 20,000-line task that was a third of an edit's time.
    pub fn from_value(value: &serde_json::Value) -> Result<Task, serde_json::Error> {
        let head = Head::deserialize(value)?;
        Ok(Task {
            body: TaskBody::from_value(head.ty, value)?,
            id: head.id,
            title: head.title,
            theory: head.theory,
            words: head.words,
            budget: head.budget,
            rubric: head.rubric,
            tags: head.tags,
            notes: head.notes,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub struct WordRange {
    pub min: u32,
    pub max: u32,
}

/// The type-specific part of a task, chosen by `type`.
#[derive(Clone, Debug)]
pub enum TaskBody {
    BeatInterpolation(BeatInterpolation),
    BeatRevision(BeatRevision),
    ConstrainedContinuation(ConstrainedContinuation),
    TheoryConversion(TheoryConversion),
    MultiBeatSynthesis(MultiBeatSynthesis),
    Sequence(SequenceTask),
    AgenticConstraintDiscovery(ConstraintDiscovery),
    AgenticPlanningExecution(PlanningExecution),
    AgenticIterativeRevision(IterativeRevision),
    CritiqueImprovement(CritiqueImprovement),
}

impl TaskBody {
    /// The body of a task of type `ty`, read from the task's whole value tree.
    fn from_value(ty: TaskType, value: &serde_json::Value) -> Result<TaskBody, serde_json::Error> {
        fn read<'a, T: Deserialize<'a>>(
            value: &'a serde_json::Value,
        ) -> Result<T, serde_json::Error> {
            T::deserialize(value)
        }
        Ok(match ty {
            TaskType::BeatInterpolation => TaskBody::BeatInterpolation(read(value)?),
            TaskType::BeatRevision => TaskBody::BeatRevision(read(value)?),
            TaskType::ConstrainedContinuation => TaskBody::ConstrainedContinuation(read(value)?),
            TaskType::TheoryConversion => TaskBody::TheoryConversion(read(value)?),
            TaskType::MultiBeatSynthesis => TaskBody::MultiBeatSynthesis(read(value)?),
            TaskType::Sequence => TaskBody::Sequence(read(value)?),
            TaskType::AgenticConstraintDiscovery => {
                TaskBody::AgenticConstraintDiscovery(read(value)?)
            }
            TaskType::AgenticPlanningExecution => TaskBody::AgenticPlanningExecution(read(value)?),
            TaskType::AgenticIterativeRevision => TaskBody::AgenticIterativeRevision(read(value)?),
            TaskType::CritiqueImprovement => TaskBody::CritiqueImprovement(read(value)?),
        })
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Constraints {
    #[serde(default)]
    pub must_include: Vec<String>,
    #[serde(default)]
    pub must_not_include: Vec<String>,
    #[serde(default)]
    pub tone: Option<String>,
    #[serde(default)]
    pub ending: Option<String>,
}

impl Constraints {
    /// Number of separate constraints a judge checks.
    pub fn count(&self) -> usize {
        self.must_include.len()
            + self.must_not_include.len()
            + usize::from(self.tone.is_some())
            + usize::from(self.ending.is_some())
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct WrittenBeat {
    pub beat: String,
    pub text: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct BeatInterpolation {
    pub premise: String,
    pub before: WrittenBeat,
    pub target: String,
    pub after: WrittenBeat,
    #[serde(default)]
    pub voice: Option<String>,
    pub constraints: Constraints,
}

#[derive(Clone, Debug, Deserialize)]
pub struct BeatRevision {
    #[serde(default)]
    pub premise: Option<String>,
    pub beat: String,
    pub segment: String,
    pub must_preserve: Vec<String>,
    #[serde(default)]
    pub control: bool,
    #[serde(default)]
    pub flaw: Option<Flaw>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Flaw {
    pub category: String,
    pub description: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ConstrainedContinuation {
    pub opening: String,
    pub beats: Vec<String>,
    pub constraints: Constraints,
}

#[derive(Clone, Debug, Deserialize)]
pub struct TheoryConversion {
    pub source: ConversionSource,
    pub preserve: Vec<String>,
    #[serde(default)]
    pub tone: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ConversionSource {
    pub theory: String,
    pub story: Vec<WrittenBeat>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct MultiBeatSynthesis {
    pub premise: String,
    pub beats: Vec<SynthesisBeat>,
    pub links: Vec<Link>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SynthesisBeat {
    pub beat: String,
    pub requirements: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Link {
    pub kind: String,
    pub from: String,
    pub to: String,
    pub description: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SequenceTask {
    #[serde(default)]
    pub premise: Option<String>,
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Step {
    pub id: String,
    pub brief: String,
    #[serde(default)]
    pub beats: Vec<String>,
    pub criteria: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ConstraintDiscovery {
    pub premise: String,
    pub beats: Vec<String>,
    pub max_questions: u32,
    pub hidden_constraints: Vec<HiddenConstraint>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct HiddenConstraint {
    pub id: String,
    pub description: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct PlanningExecution {
    pub premise: String,
    pub beats: Vec<String>,
    #[serde(default)]
    pub constraints: Constraints,
}

#[derive(Clone, Debug, Deserialize)]
pub struct IterativeRevision {
    pub premise: String,
    pub beats: Vec<String>,
    pub rounds: u32,
    #[serde(default = "yes")]
    pub beat_markers: bool,
    pub constraints: Constraints,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Deserialize)]
pub struct CritiqueImprovement {
    pub premise: String,
    pub beats: Vec<String>,
    pub rounds: u32,
    #[serde(default)]
    pub critic_focus: Vec<String>,
    #[serde(default)]
    pub constraints: Constraints,
}

/// A list of beats that must follow the order of `theory`: each beat with its path.
#[derive(Clone, Debug)]
pub struct BeatList<'a> {
    pub theory: &'a str,
    pub items: Vec<(&'a str, Path)>,
}

fn beat_list<'a>(theory: &'a str, key: &str, beats: &'a [String]) -> BeatList<'a> {
    BeatList {
        theory,
        items: beats
            .iter()
            .enumerate()
            .map(|(i, b)| (b.as_str(), path![key, i]))
            .collect(),
    }
}

/// One place a task names a beat: which theory it must belong to, and where it is.
#[derive(Clone, Debug)]
pub struct BeatUse<'a> {
    pub theory: &'a str,
    pub beat: &'a str,
    pub path: Path,
}

impl Task {
    pub fn task_type(&self) -> TaskType {
        match &self.body {
            TaskBody::BeatInterpolation(_) => TaskType::BeatInterpolation,
            TaskBody::BeatRevision(_) => TaskType::BeatRevision,
            TaskBody::ConstrainedContinuation(_) => TaskType::ConstrainedContinuation,
            TaskBody::TheoryConversion(_) => TaskType::TheoryConversion,
            TaskBody::MultiBeatSynthesis(_) => TaskType::MultiBeatSynthesis,
            TaskBody::Sequence(_) => TaskType::Sequence,
            TaskBody::AgenticConstraintDiscovery(_) => TaskType::AgenticConstraintDiscovery,
            TaskBody::AgenticPlanningExecution(_) => TaskType::AgenticPlanningExecution,
            TaskBody::AgenticIterativeRevision(_) => TaskType::AgenticIterativeRevision,
            TaskBody::CritiqueImprovement(_) => TaskType::CritiqueImprovement,
        }
    }

    /// The task's constraints block, for the types that have one.
    pub fn constraints(&self) -> Option<&Constraints> {
        match &self.body {
            TaskBody::BeatInterpolation(t) => Some(&t.constraints),
            TaskBody::ConstrainedContinuation(t) => Some(&t.constraints),
            TaskBody::AgenticPlanningExecution(t) => Some(&t.constraints),
            TaskBody::AgenticIterativeRevision(t) => Some(&t.constraints),
            TaskBody::CritiqueImprovement(t) => Some(&t.constraints),
            _ => None,
        }
    }

    /// Every theory the task names, with where.
    pub fn theory_uses(&self) -> Vec<(&str, Path)> {
        let mut names = vec![(self.theory.as_str(), path!["theory"])];
        if let TaskBody::TheoryConversion(t) = &self.body {
            names.push((t.source.theory.as_str(), path!["source", "theory"]));
        }
        names
    }

    /// Every beat the task names, with the theory it must belong to.
    pub fn beat_uses<'a>(&'a self) -> Vec<BeatUse<'a>> {
        let theory = self.theory.as_str();
        let list = |key: &str, beats: &'a [String]| beat_list_uses(theory, key, beats);
        match &self.body {
            TaskBody::BeatInterpolation(t) => vec![
                BeatUse {
                    theory,
                    beat: &t.before.beat,
                    path: path!["before", "beat"],
                },
                BeatUse {
                    theory,
                    beat: &t.target,
                    path: path!["target"],
                },
                BeatUse {
                    theory,
                    beat: &t.after.beat,
                    path: path!["after", "beat"],
                },
            ],
            TaskBody::BeatRevision(t) => {
                vec![BeatUse {
                    theory,
                    beat: &t.beat,
                    path: path!["beat"],
                }]
            }
            TaskBody::ConstrainedContinuation(t) => list("beats", &t.beats),
            TaskBody::TheoryConversion(t) => t
                .source
                .story
                .iter()
                .enumerate()
                .map(|(i, w)| BeatUse {
                    theory: &t.source.theory,
                    beat: &w.beat,
                    path: path!["source", "story", i, "beat"],
                })
                .collect(),
            TaskBody::MultiBeatSynthesis(t) => {
                let mut uses: Vec<BeatUse<'_>> = t
                    .beats
                    .iter()
                    .enumerate()
                    .map(|(i, b)| BeatUse {
                        theory,
                        beat: &b.beat,
                        path: path!["beats", i, "beat"],
                    })
                    .collect();
                for (i, link) in t.links.iter().enumerate() {
                    uses.push(BeatUse {
                        theory,
                        beat: &link.from,
                        path: path!["links", i, "from"],
                    });
                    uses.push(BeatUse {
                        theory,
                        beat: &link.to,
                        path: path!["links", i, "to"],
                    });
                }
                uses
            }
            TaskBody::Sequence(t) => t
                .steps
                .iter()
                .enumerate()
                .flat_map(|(i, s)| {
                    s.beats.iter().enumerate().map(move |(j, b)| BeatUse {
                        theory,
                        beat: b,
                        path: path!["steps", i, "beats", j],
                    })
                })
                .collect(),
            TaskBody::AgenticConstraintDiscovery(t) => list("beats", &t.beats),
            TaskBody::AgenticPlanningExecution(t) => list("beats", &t.beats),
            TaskBody::AgenticIterativeRevision(t) => list("beats", &t.beats),
            TaskBody::CritiqueImprovement(t) => list("beats", &t.beats),
        }
    }

    /// Beat lists that must follow theory order.
    pub fn ordered_beat_lists(&self) -> Vec<BeatList<'_>> {
        let theory = self.theory.as_str();
        match &self.body {
            TaskBody::BeatInterpolation(t) => vec![BeatList {
                theory,
                items: vec![
                    (t.before.beat.as_str(), path!["before", "beat"]),
                    (t.target.as_str(), path!["target"]),
                    (t.after.beat.as_str(), path!["after", "beat"]),
                ],
            }],
            TaskBody::ConstrainedContinuation(t) => vec![beat_list(theory, "beats", &t.beats)],
            TaskBody::TheoryConversion(t) => vec![BeatList {
                theory: t.source.theory.as_str(),
                items: t
                    .source
                    .story
                    .iter()
                    .enumerate()
                    .map(|(i, w)| (w.beat.as_str(), path!["source", "story", i, "beat"]))
                    .collect(),
            }],
            TaskBody::MultiBeatSynthesis(t) => vec![BeatList {
                theory,
                items: t
                    .beats
                    .iter()
                    .enumerate()
                    .map(|(i, b)| (b.beat.as_str(), path!["beats", i, "beat"]))
                    .collect(),
            }],
            TaskBody::Sequence(t) => t
                .steps
                .iter()
                .enumerate()
                .map(|(i, s)| BeatList {
                    theory,
                    items: s
                        .beats
                        .iter()
                        .enumerate()
                        .map(|(j, b)| (b.as_str(), path!["steps", i, "beats", j]))
                        .collect(),
                })
                .collect(),
            TaskBody::AgenticConstraintDiscovery(t) => vec![beat_list(theory, "beats", &t.beats)],
            TaskBody::AgenticPlanningExecution(t) => vec![beat_list(theory, "beats", &t.beats)],
            TaskBody::AgenticIterativeRevision(t) => vec![beat_list(theory, "beats", &t.beats)],
            TaskBody::CritiqueImprovement(t) => vec![beat_list(theory, "beats", &t.beats)],
            TaskBody::BeatRevision(_) => Vec::new(),
        }
    }
}

fn beat_list_uses<'a>(theory: &'a str, key: &str, beats: &'a [String]) -> Vec<BeatUse<'a>> {
    beats
        .iter()
        .enumerate()
        .map(|(i, b)| BeatUse {
            theory,
            beat: b,
            path: path![key, i],
        })
        .collect()
}
