//! Fuzz target: any answer a judge might give, parsed against the rubrics of tasks of
//! every kind (criteria judged whole, per item, on both scales), must never panic; a
//! parse that succeeds must hold exactly the rubric's criteria and items, every score in
//! 0..=1. The generation's fence neutraliser must never panic either, and never leave a
//! run of three angle brackets.
#![no_main]

use fabula_core::document::Document;
use fabula_core::judge;
use fabula_core::kind::TaskInput;
use fabula_core::model::{TaskBody, TokenBudget};
use fabula_core::workspace::Workspace;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const THEORIES: [(&str, &str); 5] = [
    ("story_circle", include_str!("../../dataset/theories/story_circle.yaml")),
    ("three_act", include_str!("../../dataset/theories/three_act.yaml")),
    ("save_the_cat", include_str!("../../dataset/theories/save_the_cat.yaml")),
    ("heros_journey", include_str!("../../dataset/theories/heros_journey.yaml")),
    ("freytag", include_str!("../../dataset/theories/freytag.yaml")),
];
const TASKS: [(&str, &str); 4] = [
    (
        "dataset/tasks/constrained_continuation/c.yaml",
        include_str!("../../dataset/tasks/constrained_continuation/dumpling-house-circle.yaml"),
    ),
    (
        "dataset/tasks/sequence/s.yaml",
        include_str!("../../dataset/tasks/sequence/podcast-sequence.yaml"),
    ),
    (
        "dataset/tasks/beat_revision/r.yaml",
        include_str!("../../dataset/tasks/beat_revision/blue-door-control.yaml"),
    ),
    (
        "dataset/tasks/theory_conversion/t.yaml",
        include_str!("../../dataset/tasks/theory_conversion/beekeeper-three-to-circle.yaml"),
    ),
];

fn workspace() -> &'static Workspace {
    static WS: OnceLock<Workspace> = OnceLock::new();
    WS.get_or_init(|| {
        let mut docs: Vec<Document> = THEORIES
            .iter()
            .map(|(id, text)| Document::load(&format!("dataset/theories/{id}.yaml"), text))
            .collect();
        docs.extend(TASKS.iter().map(|(path, text)| Document::load(path, text)));
        Workspace::new(docs)
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    let Ok(answer) = std::str::from_utf8(bytes) else { return };
    let ws = workspace();
    let tasks: Vec<_> = ws.tasks().map(|(_, t)| t).collect();
    let task = tasks[selector as usize % tasks.len()];
    let Some((_, theory)) = ws.theory(&task.theory) else { return };
    let source = match &task.body {
        TaskBody::TheoryConversion(c) => ws.theory(&c.source.theory).map(|(_, t)| t),
        _ => None,
    };
    let input = TaskInput {
        task,
        theory,
        source_theory: source,
        slop: &[],
        budget: TokenBudget::default(),
    };
    let rubric = judge::rubric(input);
    if let Ok(verdicts) = judge::parse(answer, &rubric) {
        assert_eq!(verdicts.len(), rubric.entries.len());
        for (v, e) in verdicts.iter().zip(&rubric.entries) {
            assert_eq!(v.criterion, e.id());
            assert_eq!(v.items.len(), e.items.len());
            assert!((0.0..=1.0).contains(&v.score), "{v:?}");
            for i in &v.items {
                assert!((0.0..=1.0).contains(&i.score), "{i:?}");
            }
        }
    }
    let safe = judge::neutralise(answer);
    assert!(!safe.contains(">>>") && !safe.contains("<<<"), "{safe:?}");
});
