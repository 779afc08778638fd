//! Pieces of prompts shared by the task kinds and the judge: beat lists with their
//! definitions, constraint blocks, lists, word ranges. Each piece is a template part
//! (`templates/parts.yaml`); these functions only pick the part and fill it.

use crate::model::{Constraints, Task, Theory};
use crate::template::render;

/// One line per beat id, in the given order: id, name, definition and elements.
pub fn beats(theory: &Theory, ids: &[String]) -> String {
    ids.iter()
        .map(|id| match theory.beats.iter().find(|b| &b.id == id) {
            Some(b) => render(
                "beat_line",
                &[
                    ("id", &b.id),
                    ("name", &b.name),
                    ("definition", b.definition.trim()),
                    ("elements", &b.elements.join("; ")),
                ],
            ),
            None => render("beat_line_unknown", &[("id", id)]),
        })
        .collect()
}

/// Every beat of a theory.
pub fn all_beats(theory: &Theory) -> String {
    let ids: Vec<String> = theory.beats.iter().map(|b| b.id.clone()).collect();
    beats(theory, &ids)
}

/// `Name (id)` of a theory.
pub fn theory_name(theory: &Theory) -> String {
    render("theory_name", &[("name", &theory.name), ("id", &theory.id)])
}

/// The constraints as a block of labelled lists; empty when there are none.
pub fn constraints(c: &Constraints) -> String {
    let mut out = String::new();
    if !c.must_include.is_empty() {
        out.push_str(&render(
            "constraints_must_include",
            &[("items", &list(&c.must_include))],
        ));
    }
    if !c.must_not_include.is_empty() {
        out.push_str(&render(
            "constraints_must_not_include",
            &[("items", &list(&c.must_not_include))],
        ));
    }
    if let Some(t) = &c.tone {
        out.push_str(&render("constraints_tone", &[("tone", t)]));
    }
    if let Some(e) = &c.ending {
        out.push_str(&render("constraints_ending", &[("ending", e)]));
    }
    out
}

/// A `- item` list.
pub fn list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| render("list_item", &[("item", i)]))
        .collect()
}

/// The premise as its own block, when the task has one.
pub fn premise_block(premise: Option<&str>) -> String {
    premise
        .map(|p| render("premise_block", &[("premise", p)]))
        .unwrap_or_default()
}

pub fn min(task: &Task) -> String {
    task.words.min.to_string()
}

pub fn max(task: &Task) -> String {
    task.words.max.to_string()
}
