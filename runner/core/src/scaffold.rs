//! Task skeletons: the text `fabula new` writes and the language server's
//! `fabula.server.newTask` creates, and the starting form `fabula draft` hands a model.
//!
//! A skeleton has every required field of its type, beat ids taken from the theory in
//! the order and adjacency that type's checks need, and a placeholder (a string starting
//! with [`PLACEHOLDER`]) wherever an author must write. The `placeholder` check flags
//! each one until it is replaced, so a skeleton never runs by accident; with all of them
//! replaced the task has no diagnostics.

use crate::document::is_draft_path;
use crate::model::{TaskType, Theory};
use crate::suggest;
use crate::workspace::Workspace;
use std::fmt::Write as _;

/// How a placeholder starts: `"TODO: the premise"`.
pub const PLACEHOLDER: &str = "TODO:";

/// Whether a string value is a placeholder still to be written.
pub fn is_placeholder(text: &str) -> bool {
    text.trim_start().starts_with(PLACEHOLDER)
}

/// What to scaffold.
#[derive(Clone, Debug, Default)]
pub struct NewTask<'a> {
    /// The task type as the user typed it (`beat_interpolation`).
    pub task_type: &'a str,
    /// The theory id (for theory conversion: the target theory).
    pub theory: &'a str,
    /// The task id; default: `<type>-<theory>`, numbered when taken.
    pub id: Option<&'a str>,
    /// For theory conversion: the theory the source story is told in; default: the
    /// first other theory of the workspace, by id.
    pub source_theory: Option<&'a str>,
}

/// A skeleton and where it belongs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skeleton {
    pub id: String,
    pub task_type: TaskType,
    /// Project-relative: `dataset/tasks/<type>/<id>.yaml`.
    pub path: String,
    pub text: String,
    /// How many placeholders the text holds.
    pub placeholders: usize,
}

/// Why no skeleton could be made. Each message says what would work.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScaffoldError {
    #[error("unknown task type `{given}`{}; task types: {}", did_you_mean(.suggestion.as_deref()), TaskType::ALL.map(TaskType::as_str).join(", "))]
    UnknownType {
        given: String,
        suggestion: Option<String>,
    },
    #[error("unknown theory `{given}`{}; theories: {}", did_you_mean(.suggestion.as_deref()), .known.join(", "))]
    UnknownTheory {
        given: String,
        suggestion: Option<String>,
        known: Vec<String>,
    },
    #[error(
        "a theory conversion needs a source theory other than `{0}`, and the project has no other"
    )]
    NoSourceTheory(String),
    #[error("the source theory must differ from the target theory `{0}`")]
    SameTheory(String),
    #[error(
        "`{0}` is not a task id: use lowercase letters, digits, `-` and `_`, starting with a letter or digit (at most 80)"
    )]
    BadId(String),
    #[error("task id `{id}` is already used by {path}")]
    IdTaken { id: String, path: String },
}

fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion.map_or_else(String::new, |s| format!(" (did you mean `{s}`?)"))
}

/// The task type named `given`, or an error with the nearest type.
pub fn task_type(given: &str) -> Result<TaskType, ScaffoldError> {
    TaskType::parse(given).ok_or_else(|| ScaffoldError::UnknownType {
        given: given.to_owned(),
        suggestion: suggest::closest(given, TaskType::ALL.map(TaskType::as_str)).map(str::to_owned),
    })
}

/// The theory named `given` in `ws`, or an error with the nearest id.
pub fn theory<'w>(ws: &'w Workspace, given: &str) -> Result<&'w Theory, ScaffoldError> {
    if let Some((_, t)) = ws.theory(given) {
        return Ok(t);
    }
    let mut known: Vec<String> = ws.theory_ids().map(str::to_owned).collect();
    known.sort();
    Err(ScaffoldError::UnknownTheory {
        given: given.to_owned(),
        suggestion: suggest::closest(given, known.iter().map(String::as_str)).map(str::to_owned),
        known,
    })
}

/// Whether `id` is a valid task id (the schema's pattern and length).
pub fn valid_id(id: &str) -> bool {
    let mut bytes = id.bytes();
    id.len() <= 80
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// The skeleton for `request` in `ws`: validates the type, theories and id (an id that a
/// task or draft of `ws` already has is refused; without `--id`, the default is numbered
/// past the taken ones).
pub fn new_task(ws: &Workspace, request: &NewTask<'_>) -> Result<Skeleton, ScaffoldError> {
    let ty = task_type(request.task_type)?;
    let target = theory(ws, request.theory)?;
    let source = if ty == TaskType::TheoryConversion {
        Some(match request.source_theory {
            Some(s) if s == target.id => return Err(ScaffoldError::SameTheory(s.to_owned())),
            Some(s) => theory(ws, s)?,
            None => {
                let mut others: Vec<&str> = ws.theory_ids().filter(|t| *t != target.id).collect();
                others.sort_unstable();
                let first = others
                    .first()
                    .ok_or_else(|| ScaffoldError::NoSourceTheory(target.id.clone()))?;
                theory(ws, first)?
            }
        })
    } else {
        None
    };
    let taken = |id: &str| {
        ws.tasks_with_id(id)
            .chain(ws.drafts_with_id(id))
            .next()
            .map(|d| d.path.clone())
    };
    let id = match request.id {
        Some(id) if !valid_id(id) => return Err(ScaffoldError::BadId(id.to_owned())),
        Some(id) => match taken(id) {
            Some(path) => {
                return Err(ScaffoldError::IdTaken {
                    id: id.to_owned(),
                    path,
                });
            }
            None => id.to_owned(),
        },
        None => {
            let base = format!("{}-{}", ty.as_str(), target.id).replace('_', "-");
            (1..)
                .map(|n| {
                    if n == 1 {
                        base.clone()
                    } else {
                        format!("{base}-{n}")
                    }
                })
                .find(|id| taken(id).is_none())
                .unwrap_or(base)
        }
    };
    let path = format!("dataset/tasks/{}/{id}.yaml", ty.as_str());
    debug_assert!(!is_draft_path(&path));
    let yaml = skeleton_text(ty, &id, target, source);
    Ok(Skeleton {
        id,
        task_type: ty,
        path,
        text: yaml.text,
        placeholders: yaml.placeholders,
    })
}

/// The modeline every task file starts with (`dataset/tasks/<type>/` and
/// `dataset/drafts/<type>/` are both three folders below the schemas' `schema/`).
pub const TASK_MODELINE: &str = "# yaml-language-server: $schema=../../../schema/task.schema.json";

/// Word ranges a new task of each type starts with (the dataset's usual ranges).
fn words(ty: TaskType) -> (u32, u32) {
    match ty {
        TaskType::BeatInterpolation => (300, 600),
        TaskType::BeatRevision => (200, 400),
        TaskType::ConstrainedContinuation => (600, 1000),
        TaskType::TheoryConversion => (600, 1200),
        TaskType::MultiBeatSynthesis => (600, 1000),
        TaskType::Sequence => (800, 1500),
        TaskType::AgenticConstraintDiscovery => (500, 900),
        TaskType::AgenticPlanningExecution => (800, 1400),
        TaskType::AgenticIterativeRevision => (500, 900),
        TaskType::CritiqueImprovement => (600, 1000),
    }
}

/// Builds the YAML text line by line; every string is written double-quoted (JSON string
/// syntax is valid YAML), so placeholders with colons stay one scalar.
struct Yaml {
    text: String,
    placeholders: usize,
}

impl Yaml {
    fn line(&mut self, indent: usize, text: &str) {
        let _ = writeln!(self.text, "{:indent$}{text}", "");
    }

    fn todo(&mut self, indent: usize, key: &str, hint: &str) {
        self.placeholders += 1;
        self.line(indent, &format!("{key}: {}", quoted(&todo(hint))));
    }

    fn todo_item(&mut self, indent: usize, hint: &str) {
        self.placeholders += 1;
        self.line(indent, &format!("- {}", quoted(&todo(hint))));
    }

    fn todo_list(&mut self, indent: usize, key: &str, hints: &[&str]) {
        self.line(indent, &format!("{key}:"));
        for hint in hints {
            self.todo_item(indent + 2, hint);
        }
    }
}

fn todo(hint: &str) -> String {
    format!("{PLACEHOLDER} {hint}")
}

fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// Three consecutive beats from the middle of the theory (every theory has at least 3).
fn middle_three(theory: &Theory) -> Vec<&str> {
    let n = theory.beats.len();
    let start = n.saturating_sub(3) / 2;
    theory.beats[start..(start + 3).min(n)]
        .iter()
        .map(|b| b.id.as_str())
        .collect()
}

/// The beats a whole story covers: all of a short theory, else five from the middle.
fn story_beats(theory: &Theory) -> Vec<&str> {
    let n = theory.beats.len();
    let (start, len) = if n <= 5 { (0, n) } else { ((n - 5) / 2, 5) };
    theory.beats[start..start + len]
        .iter()
        .map(|b| b.id.as_str())
        .collect()
}

fn beat_name<'t>(theory: &'t Theory, id: &'t str) -> &'t str {
    theory.beat(id).map_or(id, |b| b.name.as_str())
}

fn flow_list(items: &[&str]) -> String {
    format!("[{}]", items.join(", "))
}

fn skeleton_text(ty: TaskType, id: &str, theory: &Theory, source: Option<&Theory>) -> Yaml {
    let mut y = Yaml {
        text: String::new(),
        placeholders: 0,
    };
    y.line(0, TASK_MODELINE);
    y.line(
        0,
        &format!(
            "# A new {} task on {}. Replace every \"{PLACEHOLDER} …\" (fabula check flags them);",
            ty.as_str(),
            theory.name
        ),
    );
    y.line(
        0,
        "# hover a field for what it means. The beat ids are valid and in order already.",
    );
    y.line(0, &format!("id: {id}"));
    y.line(0, &format!("type: {}", ty.as_str()));
    y.todo(0, "title", "a short human title");
    y.line(0, &format!("theory: {}", theory.id));
    let (min, max) = words(ty);
    y.line(0, &format!("words: {{ min: {min}, max: {max} }}"));
    let premise = "the situation, characters and world the model writes in";
    match ty {
        TaskType::BeatInterpolation => {
            let b = middle_three(theory);
            y.todo(0, "premise", premise);
            y.line(0, "before:");
            y.line(2, &format!("beat: {}", b[0]));
            y.todo(
                2,
                "text",
                &format!("the {} beat, written out", beat_name(theory, b[0])),
            );
            y.line(0, &format!("target: {}", b[1]));
            y.line(0, "after:");
            y.line(2, &format!("beat: {}", b[2]));
            y.todo(
                2,
                "text",
                &format!("the {} beat, written out", beat_name(theory, b[2])),
            );
            y.todo(0, "voice", "how the main character speaks and thinks");
            y.line(0, "constraints:");
            y.todo_list(
                2,
                "must_include",
                &["an element the missing beat must contain"],
            );
            y.todo_list(
                2,
                "must_not_include",
                &["something the missing beat must avoid"],
            );
        }
        TaskType::BeatRevision => {
            let beat = theory.beats[theory.beats.len() / 2].id.as_str();
            y.todo(0, "premise", premise);
            y.line(0, &format!("beat: {beat}"));
            y.todo(
                0,
                "segment",
                &format!("the segment meant to execute {}", beat_name(theory, beat)),
            );
            y.todo_list(0, "must_preserve", &["a story fact the rewrite must keep"]);
            y.line(
                0,
                "# For a flawless control, set `control: true` and remove `flaw`.",
            );
            y.line(0, "control: false");
            y.line(0, "flaw:");
            y.line(
                2,
                "# missing_element, wrong_beat, premature, passive_protagonist, stakes_absent,",
            );
            y.line(2, "# causality_gap, tonal_break or told_not_shown");
            y.line(2, "category: missing_element");
            y.todo(2, "description", "what exactly is wrong, for the judges");
        }
        TaskType::ConstrainedContinuation => {
            y.todo(0, "opening", "the opening the model continues from");
            y.line(0, &format!("beats: {}", flow_list(&middle_three(theory))));
            y.line(0, "# 8 to 10 constraints in all.");
            y.line(0, "constraints:");
            y.todo_list(
                2,
                "must_include",
                &[
                    "a first element the text must contain",
                    "a second element",
                    "a third element",
                    "a fourth element",
                ],
            );
            y.todo_list(
                2,
                "must_not_include",
                &["something the text must avoid", "something else to avoid"],
            );
            y.todo(2, "tone", "the tone to hold throughout");
            y.todo(2, "ending", "how the text must end");
        }
        TaskType::TheoryConversion => {
            let source = source.expect("theory conversion has a source theory");
            y.line(0, "source:");
            y.line(2, &format!("theory: {}", source.id));
            y.line(2, "story:");
            for beat in &source.beats {
                y.line(4, &format!("- beat: {}", beat.id));
                y.todo(6, "text", &format!("the story's {} beat", beat.name));
            }
            y.todo_list(
                0,
                "preserve",
                &["a character, conflict, image or ending that must survive"],
            );
            y.todo(0, "tone", "the tone the re-telling should keep");
        }
        TaskType::MultiBeatSynthesis => {
            let b = middle_three(theory);
            y.todo(0, "premise", premise);
            y.line(0, "beats:");
            for beat in &b {
                y.line(2, &format!("- beat: {beat}"));
                y.todo_list(
                    4,
                    "requirements",
                    &[&format!(
                        "what the {} section must contain",
                        beat_name(theory, beat)
                    )],
                );
            }
            y.line(0, "links:");
            y.line(2, "- kind: setup_payoff");
            y.line(4, &format!("from: {}", b[0]));
            y.line(4, &format!("to: {}", b[2]));
            y.todo(4, "description", "what is planted and how it pays off");
        }
        TaskType::Sequence => {
            y.todo(0, "premise", premise);
            y.line(0, "steps:");
            let steps: [(&str, &str, &[&str], bool); 3] = [
                (
                    "concept",
                    "the first brief: a concept",
                    &["creativity", "conceptual_depth"],
                    false,
                ),
                (
                    "outline",
                    "the second brief: an outline by beat",
                    &["coherence", "brief_fulfilment"],
                    true,
                ),
                (
                    "scene",
                    "the third brief: one scene",
                    &["character_depth", "dialogue", "imagery"],
                    false,
                ),
            ];
            for (step, hint, criteria, with_beats) in steps {
                y.line(2, &format!("- id: {step}"));
                y.todo(4, "brief", hint);
                if with_beats {
                    y.line(4, &format!("beats: {}", flow_list(&story_beats(theory))));
                }
                y.line(4, &format!("criteria: {}", flow_list(criteria)));
            }
        }
        TaskType::AgenticConstraintDiscovery => {
            y.todo(0, "premise", premise);
            y.line(0, &format!("beats: {}", flow_list(&story_beats(theory))));
            y.line(0, "max_questions: 8");
            y.line(0, "hidden_constraints:");
            for n in 1..=3 {
                y.line(2, &format!("- id: constraint_{n}"));
                y.todo(
                    4,
                    "description",
                    "a hidden requirement yes/no questions can uncover",
                );
            }
        }
        TaskType::AgenticPlanningExecution => {
            y.todo(0, "premise", premise);
            y.line(0, &format!("beats: {}", flow_list(&story_beats(theory))));
            y.line(0, "constraints:");
            y.todo_list(2, "must_include", &["an element the story must contain"]);
            y.todo_list(2, "must_not_include", &["something the story must avoid"]);
        }
        TaskType::AgenticIterativeRevision => {
            y.todo(0, "premise", premise);
            y.line(0, &format!("beats: {}", flow_list(&story_beats(theory))));
            y.line(0, "rounds: 2");
            y.line(0, "beat_markers: true");
            y.line(0, "constraints:");
            y.todo_list(
                2,
                "must_include",
                &["a term the story must contain, checked literally"],
            );
            y.todo_list(
                2,
                "must_not_include",
                &["a term the story must avoid, checked literally"],
            );
        }
        TaskType::CritiqueImprovement => {
            y.todo(0, "premise", premise);
            y.line(0, &format!("beats: {}", flow_list(&story_beats(theory))));
            y.line(0, "rounds: 2");
            y.todo_list(0, "critic_focus", &["what the critic should watch most"]);
            y.line(0, "constraints:");
            y.todo_list(2, "must_include", &["an element the story must contain"]);
        }
    }
    y.todo(
        0,
        "notes",
        "why the task exists and what it catches (never shown to models)",
    );
    y
}
