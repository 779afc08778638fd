//! The prompts of drafting (sync, pure): what the writer is asked (the type's schema
//! docs, the theory, two examples, the stories to avoid, a skeleton with valid beats),
//! the repair request with `fabula check`'s own findings, and the validator's review.
//! Their wording is in `templates/draft_*.md`, versioned like every prompt.

use super::similar;
use crate::document::Document;
use crate::model::{Task, TaskType, Theory};
use crate::path::Path;
use crate::prompt;
use crate::scaffold::TASK_MODELINE;
use crate::schema::{self, SchemaKind};
use crate::template::render;
use serde_json::{Value, json};

/// Most entries of the "stories already in the benchmark" list, and most characters of
/// each: enough to steer away from them without crowding out the rest of the prompt.
pub const MAX_AVOID: usize = 120;
const AVOID_CHARS: usize = 160;

/// What the writer's first prompt is made of.
pub struct WriteInput<'a> {
    /// `2 of 5`: drafts on the same theory get different prompts.
    pub draft: &'a str,
    pub task_type: TaskType,
    pub theory: &'a Theory,
    /// Up to two existing tasks of the type (their files).
    pub examples: &'a [&'a Document],
    /// Existing tasks and drafts, and this session's clean drafts: `(title, task)`.
    pub avoid: &'a [(&'a str, &'a Task)],
    /// The skeleton text (`crate::scaffold`) on this theory.
    pub skeleton: &'a str,
}

/// The writer's first prompt.
pub fn write(input: &WriteInput<'_>) -> String {
    let ty = input.task_type.as_str();
    let examples = if input.examples.is_empty() {
        "(none in this project yet)".to_owned()
    } else {
        input
            .examples
            .iter()
            .map(|d| format!("```yaml\n{}\n```", without_modeline(&d.text).trim_end()))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let avoid = if input.avoid.is_empty() {
        "(none yet)".to_owned()
    } else {
        input
            .avoid
            .iter()
            .take(MAX_AVOID)
            .map(|(title, task)| {
                let story = similar::story_text(task);
                let short: String = story.chars().take(AVOID_CHARS).collect();
                let more = if story.chars().count() > AVOID_CHARS {
                    "…"
                } else {
                    ""
                };
                format!("- {title}: {short}{more}")
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    render(
        "draft_write",
        &[
            ("draft", input.draft),
            ("task_type", ty),
            ("type_description", type_description(input.task_type)),
            ("theory", &input.theory.id),
            ("theory_name", &input.theory.name),
            ("theory_summary", input.theory.summary.trim()),
            ("beats", prompt::all_beats(input.theory).trim_end()),
            ("fields", &fields(input.task_type)),
            ("examples", &examples),
            ("avoid", &avoid),
            ("skeleton", without_modeline(input.skeleton).trim_end()),
        ],
    )
}

/// The repair request: `fabula check`'s findings as it prints them.
pub fn repair(diagnostics: &str, round: u32, rounds: u32) -> String {
    render(
        "draft_repair",
        &[
            ("diagnostics", diagnostics),
            ("round", &round.to_string()),
            ("rounds", &rounds.to_string()),
        ],
    )
}

/// The validator's prompt, with the draft fenced.
pub fn validate(task_type: TaskType, theory: &Theory, draft: &str) -> String {
    // The fence must stay a fence: a draft cannot close it early.
    let fenced = draft.replace(">>>", "> > >");
    render(
        "draft_validate",
        &[
            ("task_type", task_type.as_str()),
            ("type_description", type_description(task_type)),
            ("theory", &theory.id),
            ("theory_name", &theory.name),
            ("theory_summary", theory.summary.trim()),
            ("task", without_modeline(&fenced).trim()),
        ],
    )
}

/// The text without a leading `yaml-language-server` modeline.
pub fn without_modeline(text: &str) -> &str {
    match text.strip_prefix(TASK_MODELINE) {
        Some(rest) => rest.trim_start_matches(['\r', '\n']),
        None => text,
    }
}

/// The type's description in the task schema (`$defs/<type>.description`).
fn type_description(ty: TaskType) -> &'static str {
    schema::schema_json(SchemaKind::Task)
        .pointer(&format!("/$defs/{}/description", ty.as_str()))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The fields of a task of type `ty`, from the schema: `- name (required): description`,
/// with the fields of nested objects and list items indented below their parent.
pub fn fields(ty: TaskType) -> String {
    let document = json!({ "type": ty.as_str() });
    let mut out = String::new();
    field_lines(&document, &Path::root(), 0, &mut out);
    out.trim_end().to_owned()
}

fn field_lines(document: &Value, at: &Path, depth: usize, out: &mut String) {
    let Some(slot) = schema::slot(SchemaKind::Task, document, at) else {
        return;
    };
    let required = required_at(document, at);
    for (name, doc) in slot.properties {
        let path = at.clone().key(name);
        let mark = if required.iter().any(|r| r == name) {
            " (required)"
        } else {
            ""
        };
        let doc = doc.map_or_else(String::new, |d| format!(": {d}"));
        out.push_str(&format!(
            "{:indent$}- {name}{mark}{doc}\n",
            "",
            indent = depth * 2
        ));
        if depth >= 3 {
            continue;
        }
        let node = schema::node_at(SchemaKind::Task, document, &path);
        let is_list = node.is_some_and(|n| n.get("items").is_some());
        let child = if is_list { path.index(0) } else { path };
        let nested = schema::node_at(SchemaKind::Task, document, &child)
            .is_some_and(|n| n.get("properties").is_some());
        if nested {
            field_lines(document, &child, depth + 1, out);
        }
    }
}

/// The `required` names that apply at `at`: the node's own and, at the root, those of
/// the task type's branch.
fn required_at(document: &Value, at: &Path) -> Vec<String> {
    let root = schema::schema_json(SchemaKind::Task);
    let mut nodes = Vec::new();
    if at.segments().is_empty() {
        nodes.push(root);
        if let Some(ty) = document.get("type").and_then(Value::as_str)
            && let Some(def) = root.pointer(&format!("/$defs/{ty}"))
        {
            nodes.push(def);
        }
    } else if let Some(node) = schema::node_at(SchemaKind::Task, document, at) {
        nodes.push(node);
    }
    nodes
        .iter()
        .filter_map(|n| n.get("required").and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_docs_cover_the_type_and_its_nested_fields() {
        let f = fields(TaskType::MultiBeatSynthesis);
        assert!(f.contains("- premise (required): The situation"), "{f}");
        assert!(
            f.contains("- links (required): Cross-beat constraints"),
            "{f}"
        );
        assert!(f.contains("  - kind (required): What sort of link."), "{f}");
        assert!(
            f.contains("  - requirements (required): What this beat's section must contain."),
            "{f}"
        );
        assert!(f.contains("- id (required): Stable identifier"), "{f}");
        assert!(f.contains("- notes: Author notes"), "{f}");
        assert!(!f.contains("opening"), "another type's field: {f}");
        let f = fields(TaskType::BeatInterpolation);
        assert!(
            f.contains("- before (required): The beat that comes before"),
            "{f}"
        );
        assert!(
            f.contains("  - text (required): The beat, written out as prose."),
            "{f}"
        );
        assert!(
            f.contains("  - must_include: Elements, events or phrases"),
            "{f}"
        );
    }
}
