//! Pieces of prompts shared by the task types and the judge: beat lists with their
//! definitions, constraint blocks, word ranges. Each task type's full prompt is a
//! template (`templates/`); these fill its variables.

use fabula_core::model::{Constraints, Task, Theory};

/// `- `id` (Name): definition Must contain: …` for each beat id, in the given order.
pub fn beats(theory: &Theory, ids: &[String]) -> String {
    let mut out = String::new();
    for id in ids {
        match theory.beats.iter().find(|b| &b.id == id) {
            Some(b) => {
                out.push_str(&format!(
                    "- `{}` ({}): {} Must contain: {}.\n",
                    b.id,
                    b.name,
                    b.definition.trim(),
                    b.elements.join("; ")
                ));
            }
            None => out.push_str(&format!("- `{id}`\n")),
        }
    }
    out
}

/// Every beat of a theory.
pub fn all_beats(theory: &Theory) -> String {
    let ids: Vec<String> = theory.beats.iter().map(|b| b.id.clone()).collect();
    beats(theory, &ids)
}

/// `Name (id)` of a theory.
pub fn theory_name(theory: &Theory) -> String {
    format!("{} (`{}`)", theory.name, theory.id)
}

/// The constraints as a block of labelled lists; empty when there are none.
pub fn constraints(c: &Constraints) -> String {
    let mut out = String::new();
    if !c.must_include.is_empty() {
        out.push_str("\nMust include:\n");
        for t in &c.must_include {
            out.push_str(&format!("- {t}\n"));
        }
    }
    if !c.must_not_include.is_empty() {
        out.push_str("\nMust not include:\n");
        for t in &c.must_not_include {
            out.push_str(&format!("- {t}\n"));
        }
    }
    if let Some(t) = &c.tone {
        out.push_str(&format!("\nTone: {t}\n"));
    }
    if let Some(e) = &c.ending {
        out.push_str(&format!("\nEnding: {e}\n"));
    }
    out
}

/// A `- item` list.
pub fn list(items: &[String]) -> String {
    items.iter().map(|i| format!("- {i}\n")).collect()
}

pub fn min(task: &Task) -> String {
    task.words.min.to_string()
}

pub fn max(task: &Task) -> String {
    task.words.max.to_string()
}
