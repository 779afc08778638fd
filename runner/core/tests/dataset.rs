//! Every file of the shipped project (fabula.yaml, theories, tasks, slop list) is a test
//! case: it must load with zero diagnostics. And the dataset must cover what SPEC.md
//! promises: the five theories, at least 40 tasks, every task type on 2+ theories.

mod support;

use fabula_core::check;
use fabula_core::model::{TaskBody, TaskType};
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn every_project_file_loads_clean() {
    let ws = support::load_project();
    let mut problems = Vec::new();
    for doc in ws.documents() {
        assert!(
            doc.model.is_some() || !doc.diagnostics.is_empty(),
            "{} has no model",
            doc.path
        );
        for d in check::diagnostics(&ws, doc) {
            problems.push(format!(
                "{}: {}[{}] {}",
                doc.path,
                d.severity.as_str(),
                d.code,
                d.message
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn dataset_covers_every_type_and_theory() {
    let ws = support::load_project();
    let theories = [
        "heros_journey",
        "save_the_cat",
        "story_circle",
        "freytag",
        "three_act",
    ];
    let beat_counts = [12, 15, 8, 5, 3];
    for (id, count) in theories.iter().zip(beat_counts) {
        let (_, theory) = ws
            .theory(id)
            .unwrap_or_else(|| panic!("theory {id} missing"));
        assert_eq!(theory.beats.len(), count, "{id}");
        for beat in &theory.beats {
            assert!(
                beat.definition.split_whitespace().count() >= 25,
                "{id}/{}: definition too thin",
                beat.id
            );
            assert!(
                beat.elements.len() >= 3,
                "{id}/{}: needs 3+ elements",
                beat.id
            );
        }
    }
    let tasks: Vec<_> = ws.tasks().collect();
    assert!(tasks.len() >= 40, "only {} tasks", tasks.len());
    let mut theories_by_type: BTreeMap<TaskType, BTreeSet<&str>> = BTreeMap::new();
    let mut used_theories = BTreeSet::new();
    for (_, task) in &tasks {
        theories_by_type
            .entry(task.task_type())
            .or_default()
            .insert(&task.theory);
        used_theories.insert(task.theory.as_str());
        if let TaskBody::TheoryConversion(t) = &task.body {
            used_theories.insert(t.source.theory.as_str());
        }
    }
    for ty in TaskType::ALL {
        let n = theories_by_type.get(&ty).map_or(0, BTreeSet::len);
        assert!(n >= 2, "{ty} uses {n} theories; needs 2+");
    }
    for id in theories {
        assert!(used_theories.contains(id), "no task uses {id}");
    }
    let controls = tasks
        .iter()
        .filter(|(_, t)| matches!(&t.body, TaskBody::BeatRevision(r) if r.control))
        .count();
    assert!(controls >= 1, "no flawless beat_revision control task");
}
