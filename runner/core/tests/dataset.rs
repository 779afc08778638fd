//! Every file of the shipped project (fabula.yaml, theories, tasks, slop list) is a test
//! case: it must load with zero diagnostics. And the dataset must cover what SPEC.md
//! promises: the five theories, at least 40 tasks, every task type on 2+ theories. And
//! `fabula new`'s skeletons, made on the shipped project, are valid tasks whose only
//! findings are their placeholders.

mod support;

use fabula_core::check;
use fabula_core::document::Document;
use fabula_core::model::{TaskBody, TaskType};
use fabula_core::scaffold::{self, NewTask, PLACEHOLDER, ScaffoldError};
use fabula_core::workspace::Workspace;
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

/// Replaces every placeholder string (`"TODO: …"`) with a distinct piece of prose.
fn fill_placeholders(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    let mut n = 0;
    let open = format!("\"{PLACEHOLDER}");
    while let Some(at) = rest.find(&open) {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let end = after.find('"').expect("placeholders are quoted");
        n += 1;
        out.push_str(&format!("\"replaced text number {n}\""));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn skeletons_have_only_placeholder_findings_until_filled() {
    let ws = support::load_project();
    let mut theories: Vec<&str> = ws.theory_ids().collect();
    theories.sort_unstable();
    for ty in TaskType::ALL {
        for theory in &theories {
            let skeleton = scaffold::new_task(
                &ws,
                &NewTask {
                    task_type: ty.as_str(),
                    theory,
                    ..NewTask::default()
                },
            )
            .unwrap_or_else(|e| panic!("{ty} on {theory}: {e}"));
            assert_eq!(
                skeleton.path,
                format!(
                    "dataset/tasks/{ty}/{}-{}.yaml",
                    ty.as_str().replace('_', "-"),
                    theory.replace('_', "-")
                )
            );
            let doc = Document::load(&skeleton.path, &skeleton.text);
            assert!(
                doc.diagnostics.is_empty(),
                "{ty} on {theory}: {:?}\n{}",
                doc.diagnostics,
                skeleton.text
            );
            let mut docs: Vec<Document> = ws.documents().iter().map(|d| (**d).clone()).collect();
            docs.push(doc);
            let with = Workspace::new(docs);
            let doc = with.document(&skeleton.path).unwrap();
            let found = check::diagnostics(&with, doc);
            assert!(
                !found.is_empty(),
                "{ty} on {theory}: no placeholder flagged"
            );
            let other: Vec<_> = found.iter().filter(|d| d.code != "placeholder").collect();
            assert!(
                other.is_empty(),
                "{ty} on {theory}: {other:?}\n{}",
                skeleton.text
            );

            let filled = Document::load(&skeleton.path, &fill_placeholders(&skeleton.text));
            let mut docs: Vec<Document> = ws.documents().iter().map(|d| (**d).clone()).collect();
            docs.push(filled);
            let with = Workspace::new(docs);
            let found = check::diagnostics(&with, with.document(&skeleton.path).unwrap());
            assert!(found.is_empty(), "{ty} on {theory} filled: {found:?}");
        }
    }
}

#[test]
fn skeleton_requests_fail_clearly() {
    let ws = support::load_project();
    let new = |task_type, theory, id| {
        scaffold::new_task(
            &ws,
            &NewTask {
                task_type,
                theory,
                id,
                source_theory: None,
            },
        )
    };
    let err = new("beat_interpolaton", "three_act", None).unwrap_err();
    assert!(err.to_string().starts_with("unknown task type `beat_interpolaton` (did you mean `beat_interpolation`?); task types: beat_interpolation, "), "{err}");
    let err = new("sequence", "three_acts", None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown theory `three_acts` (did you mean `three_act`?); theories: freytag, heros_journey, save_the_cat, story_circle, three_act"
    );
    let err = new("sequence", "three_act", Some("Bad Id")).unwrap_err();
    assert!(matches!(err, ScaffoldError::BadId(_)), "{err}");
    let err = new("sequence", "three_act", Some("blue-door-control")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "task id `blue-door-control` is already used by dataset/tasks/beat_revision/blue-door-control.yaml"
    );
    let err = scaffold::new_task(
        &ws,
        &NewTask {
            task_type: "theory_conversion",
            theory: "freytag",
            id: None,
            source_theory: Some("freytag"),
        },
    )
    .unwrap_err();
    assert_eq!(err, ScaffoldError::SameTheory("freytag".into()));
}
