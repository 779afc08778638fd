//! Fingerprints cover every byte that shapes a request, and nothing else: changing a
//! template, a criteria entry, a model parameter or a provider's dialect changes exactly
//! the fingerprints it should (table-driven, over the whole shipped dataset).
//!
//! Regression (issue 11.1): the criterion questions, the judge-only blocks, the section
//! headings a judge reads, the beat-line and constraint-block formats were written in
//! Rust and outside every fingerprint, and `dialect:` changed requests without changing
//! fingerprints. Each of them is a row below.

use fabula_core::criteria;
use fabula_core::document::Document;
use fabula_core::model::{Config, TaskType};
use fabula_core::template;
use fabula_core::workspace::Workspace;
use fabula_eval::fingerprint::Current;
use fabula_eval::prepared::{self, PreparedTask};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn project() -> Workspace {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = vec![root.join("fabula.yaml")];
    let mut stack = vec![root.join("dataset")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                files.push(path);
            }
        }
    }
    Workspace::new(
        files
            .iter()
            .map(|f| {
                let name = f
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                Document::from_bytes(&name, &std::fs::read(f).unwrap())
            })
            .collect(),
    )
}

/// What a fingerprint belongs to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    /// task, writer
    Generation(String, String),
    /// task, writer, judge
    Evaluation(String, String, String),
}

const WRITERS: [&str; 2] = ["sim-writer-a", "sim-writer-b"];
const JUDGES: [&str; 2] = ["sim-judge-1", "sim-judge-2"];

fn prints(
    config: &Config,
    tasks: &[PreparedTask],
    dialects: &BTreeMap<String, String>,
) -> BTreeMap<Key, String> {
    let current = Current::new(config, &[], dialects);
    let mut out = BTreeMap::new();
    for t in tasks {
        for w in WRITERS {
            let g = current.generation(t, w).unwrap();
            for j in JUDGES {
                let e = current.evaluation(t, &g, j).unwrap();
                out.insert(Key::Evaluation(t.id().into(), w.into(), j.into()), e);
            }
            out.insert(Key::Generation(t.id().into(), w.into()), g);
        }
    }
    out
}

/// Which keys changed between two sets of fingerprints.
fn changed(before: &BTreeMap<Key, String>, after: &BTreeMap<Key, String>) -> BTreeSet<Key> {
    before
        .iter()
        .filter(|(k, v)| after.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Every key of tasks of `types` (generations and their evaluations), or only the
/// evaluations.
fn of_types(
    all: &BTreeMap<Key, String>,
    tasks: &[PreparedTask],
    types: &[TaskType],
    evaluations_only: bool,
) -> BTreeSet<Key> {
    let ids: BTreeSet<&str> = tasks
        .iter()
        .filter(|t| types.contains(&t.task.task_type()))
        .map(|t| t.id())
        .collect();
    all.keys()
        .filter(|k| match k {
            Key::Generation(t, _) => !evaluations_only && ids.contains(t.as_str()),
            Key::Evaluation(t, _, _) => ids.contains(t.as_str()),
        })
        .cloned()
        .collect()
}

#[test]
fn editing_a_template_or_a_criterion_changes_exactly_what_it_shaped() {
    use TaskType::*;
    let ws = project();
    let (_, config) = ws.config().unwrap();
    let tasks = prepared::tasks(&ws, config);
    let dialects = BTreeMap::from([("sim".to_string(), "sim".to_string())]);
    let base = prints(config, &tasks, &dialects);
    let every: Vec<TaskType> = TaskType::ALL.to_vec();
    // (template, types whose generations and evaluations change, types whose
    // evaluations only change)
    let templates: &[(&str, &[TaskType], &[TaskType])] = &[
        ("system", &every, &[]),
        ("beat_interpolation", &[BeatInterpolation], &[]),
        ("oracle", &[AgenticConstraintDiscovery], &[]),
        ("critic", &[CritiqueImprovement], &[]),
        ("sequence_next", &[Sequence], &[]),
        // Shared pieces (the beat line, the constraint block) are hashed into every kind.
        ("beat_line", &every, &[]),
        ("constraints_must_include", &every, &[]),
        // Feedback wording reaches iterative revision's prompts only.
        ("feedback_slop_once", &[AgenticIterativeRevision], &[]),
        // What only judges read, and the headings of a judge's view.
        ("judge", &[], &every),
        ("judge_flaw", &[BeatRevision], &[]),
        ("view_step", &[Sequence], &[]),
        ("view_questions", &[AgenticConstraintDiscovery], &[]),
        (
            "view_final",
            &[AgenticIterativeRevision, CritiqueImprovement],
            &[],
        ),
    ];
    for (name, both, evaluations) in templates {
        let edited = format!("{} (edited)", template::text(name));
        let after = template::overriding(name, &edited, || prints(config, &tasks, &dialects));
        let mut expected = of_types(&base, &tasks, both, false);
        expected.extend(of_types(&base, &tasks, evaluations, true));
        let got = changed(&base, &after);
        assert!(!expected.is_empty(), "{name}: the table names no records");
        assert_eq!(
            got.len(),
            expected.len(),
            "{name}: {} changed, {} expected; first unexpected: {:?}; first missed: {:?}",
            got.len(),
            expected.len(),
            got.difference(&expected).next(),
            expected.difference(&got).next(),
        );
        assert_eq!(got, expected, "{name}");
    }
    // Criteria data: a question, a weight, a pass rule, a scale: judging only, of the
    // one type.
    type CriteriaEdit = (&'static str, TaskType, fn(&mut criteria::TypeCriteria));
    let criteria_edits: &[CriteriaEdit] = &[
        ("question", ConstrainedContinuation, |c| {
            c.criteria[3].question.push_str(" Really?");
        }),
        ("weight", TheoryConversion, |c| {
            c.criteria[0].weight -= 5;
            c.criteria[1].weight += 5;
        }),
        ("scale", BeatRevision, |c| {
            c.criteria[0].scale = criteria::Scale::Five;
        }),
    ];
    for (what, ty, edit) in criteria_edits {
        let after = criteria::overriding(
            |all| edit(all.get_mut(ty).unwrap()),
            || prints(config, &tasks, &dialects),
        );
        assert_eq!(
            changed(&base, &after),
            of_types(&base, &tasks, &[*ty], true),
            "{what} of {ty}"
        );
    }
}

#[test]
fn model_parameters_and_dialects_change_their_own_records() {
    let ws = project();
    let (_, config) = ws.config().unwrap();
    let tasks = prepared::tasks(&ws, config);
    let sim = BTreeMap::from([("sim".to_string(), "sim".to_string())]);
    let base = prints(config, &tasks, &sim);
    // A writer's temperature: its generations and their evaluations.
    let mut hot = config.clone();
    hot.models.get_mut("sim-writer-a").unwrap().temperature = Some(0.3);
    let got = changed(&base, &prints(&hot, &tasks, &sim));
    assert!(!got.is_empty());
    assert!(got.iter().all(|k| match k {
        Key::Generation(_, w) | Key::Evaluation(_, w, _) => w == "sim-writer-a",
    }));
    assert_eq!(got.len(), tasks.len() * (1 + JUDGES.len()));
    // A judge's parameters: its evaluations only.
    let mut strict = config.clone();
    strict.models.get_mut("sim-judge-2").unwrap().max_tokens = Some(900);
    let got = changed(&base, &prints(&strict, &tasks, &sim));
    assert!(
        got.iter()
            .all(|k| matches!(k, Key::Evaluation(_, _, j) if j == "sim-judge-2"))
    );
    assert_eq!(got.len(), tasks.len() * WRITERS.len());
    // The provider's wire dialect: everything its models shaped.
    let other = BTreeMap::from([("sim".to_string(), "openai".to_string())]);
    assert_eq!(
        changed(&base, &prints(config, &tasks, &other)).len(),
        base.len()
    );
}

#[test]
fn what_no_prompt_shows_changes_nothing() {
    let ws = project();
    let (_, config) = ws.config().unwrap();
    let sim = BTreeMap::from([("sim".to_string(), "sim".to_string())]);
    let tasks = prepared::tasks(&ws, config);
    let base = prints(config, &tasks, &sim);
    let mut edited = tasks.clone();
    for t in &mut edited {
        t.task.title.push_str(" (retitled)");
        t.task.tags.push("new-tag".into());
        t.task.notes = Some("an author's note".into());
    }
    assert!(changed(&base, &prints(config, &edited, &sim)).is_empty());
    // A revision's hidden flaw is read by judges only.
    let mut flawed = tasks.clone();
    let mut touched = BTreeSet::new();
    for t in &mut flawed {
        if let fabula_core::model::TaskBody::BeatRevision(r) = &mut t.task.body
            && let Some(f) = &mut r.flaw
        {
            f.description.push_str(" And more.");
            touched.insert(t.task.id.clone());
        }
    }
    let got = changed(&base, &prints(config, &flawed, &sim));
    assert!(!got.is_empty());
    assert!(
        got.iter()
            .all(|k| matches!(k, Key::Evaluation(t, _, _) if touched.contains(t)))
    );
}
