//! The JSON Schemas of `schema/` (the published formats), compiled once, and their
//! errors turned into diagnostics that underline the offending key or value.

use crate::diagnostic::Diagnostic;
use crate::path::{Path, Segment};
use crate::suggest;
use crate::syntax::{SpanKind, SpanTree};
use crate::text::TextRange;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// Which format a file is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SchemaKind {
    Task,
    Theory,
    Config,
    Slop,
}

impl SchemaKind {
    pub const ALL: [SchemaKind; 4] = [
        SchemaKind::Task,
        SchemaKind::Theory,
        SchemaKind::Config,
        SchemaKind::Slop,
    ];

    /// The schema's file name in `schema/`.
    pub fn file_name(self) -> &'static str {
        match self {
            SchemaKind::Task => "task.schema.json",
            SchemaKind::Theory => "theory.schema.json",
            SchemaKind::Config => "fabula.schema.json",
            SchemaKind::Slop => "slop.schema.json",
        }
    }

    /// The schema text, as committed in `schema/`.
    pub fn source(self) -> &'static str {
        match self {
            SchemaKind::Task => include_str!("../../../schema/task.schema.json"),
            SchemaKind::Theory => include_str!("../../../schema/theory.schema.json"),
            SchemaKind::Config => include_str!("../../../schema/fabula.schema.json"),
            SchemaKind::Slop => include_str!("../../../schema/slop.schema.json"),
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A compiled schema with what diagnostics need from it.
struct Compiled {
    schema: Value,
    validator: jsonschema::Validator,
    /// Every property name the schema defines, for "did you mean" on unknown keys.
    property_names: BTreeSet<String>,
}

fn compiled(kind: SchemaKind) -> &'static Compiled {
    static CELLS: [OnceLock<Compiled>; 4] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    CELLS[kind.index()].get_or_init(|| {
        // The schemas are part of the binary and tested; failing here is a build defect.
        let schema: Value =
            serde_json::from_str(kind.source()).expect("committed schema is valid JSON");
        let validator = jsonschema::draft202012::options()
            .build(&schema)
            .expect("committed schema compiles");
        let mut property_names = BTreeSet::new();
        collect_property_names(&schema, &mut property_names);
        Compiled {
            schema,
            validator,
            property_names,
        }
    })
}

/// The parsed schema document (for hover docs and completion).
pub fn schema_json(kind: SchemaKind) -> &'static Value {
    &compiled(kind).schema
}

/// Whether `value` satisfies the schema of `kind` (the fast path: no error details).
pub fn is_valid(kind: SchemaKind, value: &Value) -> bool {
    compiled(kind).validator.is_valid(value)
}

/// Validates `value` against the schema of `kind`; every error becomes a diagnostic whose
/// range is found through `spans`.
pub fn validate(kind: SchemaKind, value: &Value, spans: &SpanTree) -> Vec<Diagnostic> {
    let compiled = compiled(kind);
    let mut out: Vec<Diagnostic> = Vec::new();
    for error in compiled.validator.iter_errors(value) {
        let path = to_path(error.instance_path().segments());
        let instance = error.instance();
        match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected }
            | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
                for key in unexpected {
                    let range = spans.key_range(&path.clone().key(key));
                    let mut d = Diagnostic::error(
                        "unknown-field",
                        range,
                        format!("unknown field `{key}`{}", where_(&path)),
                    );
                    let candidates = compiled.property_names.iter().map(String::as_str);
                    if let Some(near) = suggest::closest(key, candidates) {
                        d.message.push_str(&format!("; did you mean `{near}`?"));
                        d = d.with_replacement(format!("rename to `{near}`"), near);
                    }
                    out.push(d);
                }
            }
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                out.push(Diagnostic::error(
                    "missing-field",
                    owner_range(spans, &path),
                    format!("missing required field `{name}`{}", where_(&path)),
                ));
            }
            ValidationErrorKind::Not { schema } => {
                let forbidden = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .and_then(|r| r.first())
                    .and_then(Value::as_str);
                let (range, message) = match forbidden {
                    Some(name) => (
                        spans.key_range(&path.clone().key(name)),
                        format!("field `{name}` is not allowed here{}", where_(&path)),
                    ),
                    None => (
                        spans.value_range(&path),
                        format!("value is not allowed here{}", where_(&path)),
                    ),
                };
                out.push(Diagnostic::error("forbidden-field", range, message));
            }
            ValidationErrorKind::Type { kind } => {
                let expected = match kind {
                    TypeKind::Single(t) => t.to_string(),
                    TypeKind::Multiple(set) => set
                        .iter()
                        .map(|t| t.to_string())
                        .collect::<Vec<_>>()
                        .join(" or "),
                };
                out.push(Diagnostic::error(
                    "wrong-type",
                    value_range(spans, &path),
                    format!(
                        "expected {} {expected}, found {}{}",
                        article(&expected),
                        describe(instance),
                        where_(&path)
                    ),
                ));
            }
            ValidationErrorKind::Enum { options } => {
                let options: Vec<&str> = options
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let got = instance.as_str().unwrap_or_default();
                let mut d = Diagnostic::error(
                    "invalid-value",
                    value_range(spans, &path),
                    format!(
                        "{} is not one of {}{}",
                        show(instance),
                        list(&options),
                        where_(&path)
                    ),
                );
                if let Some(near) = suggest::closest(got, options.iter().copied()) {
                    d.message.push_str(&format!("; did you mean `{near}`?"));
                    d = d.with_replacement(format!("replace with `{near}`"), near);
                }
                out.push(d);
            }
            ValidationErrorKind::Constant { expected_value } => out.push(Diagnostic::error(
                "invalid-value",
                value_range(spans, &path),
                format!(
                    "expected {}, found {}{}",
                    show(expected_value),
                    show(instance),
                    where_(&path)
                ),
            )),
            ValidationErrorKind::Pattern { pattern } => out.push(Diagnostic::error(
                "invalid-format",
                value_range(spans, &path),
                format!(
                    "{} does not match the pattern `{pattern}`{}",
                    show(instance),
                    where_(&path)
                ),
            )),
            ValidationErrorKind::PropertyNames { error } => {
                let key = error.instance().as_str().unwrap_or_default().to_owned();
                let range = spans.key_range(&path.clone().key(&key));
                let reason = match error.kind() {
                    ValidationErrorKind::Enum { options } => {
                        let options: Vec<&str> = options
                            .as_array()
                            .map(|a| a.iter().filter_map(Value::as_str).collect())
                            .unwrap_or_default();
                        let near = suggest::closest(&key, options.iter().copied())
                            .map(|n| format!("; did you mean `{n}`?"))
                            .unwrap_or_default();
                        format!("is not one of {}{near}", list(&options))
                    }
                    ValidationErrorKind::Pattern { pattern } => {
                        format!("does not match the pattern `{pattern}`")
                    }
                    _ => "is not allowed".to_owned(),
                };
                out.push(Diagnostic::error(
                    "invalid-key",
                    range,
                    format!("key `{key}` {reason}{}", where_(&path)),
                ));
            }
            ValidationErrorKind::UniqueItems => out.push(Diagnostic::error(
                "duplicate-item",
                value_range(spans, &path),
                format!("items must be unique{}", where_(&path)),
            )),
            kind @ (ValidationErrorKind::MinLength { .. }
            | ValidationErrorKind::MaxLength { .. }
            | ValidationErrorKind::Minimum { .. }
            | ValidationErrorKind::Maximum { .. }
            | ValidationErrorKind::ExclusiveMinimum { .. }
            | ValidationErrorKind::ExclusiveMaximum { .. }
            | ValidationErrorKind::MinItems { .. }
            | ValidationErrorKind::MaxItems { .. }
            | ValidationErrorKind::MinProperties { .. }
            | ValidationErrorKind::MaxProperties { .. }) => out.push(Diagnostic::error(
                "out-of-range",
                value_range(spans, &path),
                format!("{}{}", limit_message(kind, instance), where_(&path)),
            )),
            _ => out.push(Diagnostic::error(
                "schema",
                value_range(spans, &path),
                format!("{}{}", error.masked(), where_(&path)),
            )),
        }
    }
    out.sort_by(|a, b| (a.range, &a.message).cmp(&(b.range, &b.message)));
    out.dedup();
    out
}

fn to_path<'a>(segments: impl Iterator<Item = LocationSegment<'a>>) -> Path {
    Path(
        segments
            .map(|s| match s {
                LocationSegment::Property(p) => Segment::Key(p.into_owned()),
                LocationSegment::Index(i) => Segment::Index(i),
            })
            .collect(),
    )
}

/// What to underline for a problem with a whole value: the value itself, unless it is a
/// block (mapping or sequence), where its key is tidier.
fn value_range(spans: &SpanTree, path: &Path) -> TextRange {
    let (node, _) = spans.find(path);
    match node.kind {
        SpanKind::Mapping | SpanKind::Sequence => node.key_or_value(),
        _ => node.value,
    }
}

/// Where to report something missing from the mapping at `path`: its key, or for the
/// document root its first key (an empty document: its start).
fn owner_range(spans: &SpanTree, path: &Path) -> TextRange {
    if path.segments().is_empty() {
        return spans
            .keys(path)
            .first()
            .map_or(TextRange::empty(0), |(_, r)| *r);
    }
    spans.key_range(path)
}

fn where_(path: &Path) -> String {
    if path.segments().is_empty() {
        String::new()
    } else {
        format!(" (at `{path}`)")
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// A short rendering of a value for messages (long strings are cut).
fn show(value: &Value) -> String {
    match value {
        Value::String(s) if s.chars().count() > 40 => {
            format!("`{}…`", s.chars().take(40).collect::<String>())
        }
        Value::String(s) => format!("`{s}`"),
        Value::Array(_) | Value::Object(_) => describe(value).to_owned(),
        other => format!("`{other}`"),
    }
}

fn list(options: &[&str]) -> String {
    let shown: Vec<String> = options.iter().map(|o| format!("`{o}`")).collect();
    shown.join(", ")
}

fn limit_message(kind: &ValidationErrorKind, instance: &Value) -> String {
    let count = match instance {
        Value::String(s) => s.chars().count(),
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        _ => 0,
    };
    match kind {
        ValidationErrorKind::MinLength { limit } => {
            format!("text is {count} characters long; at least {limit} needed")
        }
        ValidationErrorKind::MaxLength { limit } => {
            format!("text is {count} characters long; at most {limit} allowed")
        }
        ValidationErrorKind::Minimum { limit } => {
            format!("{} is less than the minimum {limit}", show(instance))
        }
        ValidationErrorKind::Maximum { limit } => {
            format!("{} is more than the maximum {limit}", show(instance))
        }
        ValidationErrorKind::ExclusiveMinimum { limit } => {
            format!("{} must be more than {limit}", show(instance))
        }
        ValidationErrorKind::ExclusiveMaximum { limit } => {
            format!("{} must be less than {limit}", show(instance))
        }
        ValidationErrorKind::MinItems { limit } => {
            format!("list has {count} items; at least {limit} needed")
        }
        ValidationErrorKind::MaxItems { limit } => {
            format!("list has {count} items; at most {limit} allowed")
        }
        ValidationErrorKind::MinProperties { limit } => {
            format!("mapping has {count} entries; at least {limit} needed")
        }
        ValidationErrorKind::MaxProperties { limit } => {
            format!("mapping has {count} entries; at most {limit} allowed")
        }
        _ => "value is out of range".to_owned(),
    }
}

fn collect_property_names(schema: &Value, out: &mut BTreeSet<String>) {
    let mut stack = vec![schema];
    while let Some(node) = stack.pop() {
        match node {
            Value::Object(map) => {
                if let Some(Value::Object(props)) = map.get("properties") {
                    out.extend(props.keys().cloned());
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
}

/// The schema node that describes the value at `path` in a document of `kind`, following
/// `$ref`, `properties`, `items`, `additionalProperties` and (for tasks) the `allOf` branch
/// whose `if` matches `document`. For hover docs and completion.
pub fn node_at(kind: SchemaKind, document: &Value, path: &Path) -> Option<&'static Value> {
    lookup(kind, document, path).map(|(_, node)| node)
}

/// The description of the field at `path`: the property's own, else its definition's.
pub fn field_doc(kind: SchemaKind, document: &Value, path: &Path) -> Option<&'static str> {
    let (raw, node) = lookup(kind, document, path)?;
    raw.get("description")
        .or_else(|| node.get("description"))
        .and_then(Value::as_str)
}

/// What the schema says about the value at `path`: for completion.
#[derive(Clone, Debug, Default)]
pub struct Slot {
    /// Keys the value may have (a mapping), with their descriptions.
    pub properties: Vec<(&'static str, Option<&'static str>)>,
    /// The values it may take (`enum`, `const`, booleans).
    pub values: Vec<Value>,
    /// The definition it names, for references: `beat_id`, `theory_id`, `name`. For a
    /// list, its items'.
    pub reference: Option<&'static str>,
}

/// The slot at `path` of a document of `kind`, following the task type's branch.
pub fn slot(kind: SchemaKind, document: &Value, path: &Path) -> Option<Slot> {
    let root = schema_json(kind);
    let (raw, node) = if path.segments().is_empty() {
        (root, root)
    } else {
        lookup(kind, document, path)?
    };
    let instance = path.lookup(document);
    let mut slot = Slot::default();
    for branch in branches(root, node, instance) {
        for (name, prop) in branch
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if slot.properties.iter().any(|(n, _)| n == name) {
                continue;
            }
            let doc = prop
                .get("description")
                .or_else(|| deref(root, prop).get("description"))
                .and_then(Value::as_str);
            slot.properties.push((name.as_str(), doc));
        }
    }
    if let Some(values) = node.get("enum").and_then(Value::as_array) {
        slot.values.extend(values.iter().cloned());
    }
    if let Some(c) = node.get("const") {
        slot.values.push(c.clone());
    }
    if node.get("type").and_then(Value::as_str) == Some("boolean") {
        slot.values.extend([Value::Bool(true), Value::Bool(false)]);
    }
    let items = node.get("items");
    slot.reference = [Some(raw), Some(node), items]
        .into_iter()
        .flatten()
        .find_map(|n| n.get("$ref").and_then(Value::as_str))
        .and_then(|r| r.strip_prefix("#/$defs/"))
        .and_then(|name| {
            // A list definition names its items' definition (`beat_list` → `beat_id`).
            let def = root.get("$defs")?.get(name)?;
            let inner = def
                .get("items")
                .and_then(|i| i.get("$ref"))
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/$defs/"));
            Some(inner.unwrap_or(name))
        });
    Some(slot)
}

/// `(property as written, property with $ref resolved)` at `path`.
fn lookup(
    kind: SchemaKind,
    document: &Value,
    path: &Path,
) -> Option<(&'static Value, &'static Value)> {
    let root = schema_json(kind);
    let mut raw = root;
    let mut node = root;
    let mut instance = Some(document);
    for seg in path.segments() {
        let candidates = branches(root, node, instance);
        let specific = candidates.iter().find_map(|n| match seg {
            Segment::Key(k) => n
                .get("properties")
                .and_then(|p| p.get(k))
                .filter(|s| !s.is_boolean())
                .or_else(|| n.get("additionalProperties").filter(|s| s.is_object())),
            Segment::Index(_) => n.get("items"),
        });
        raw = specific?;
        node = deref(root, raw);
        instance = instance.and_then(|v| seg.get(v));
    }
    Some((raw, node))
}

/// The node itself plus the `then` branches of its `allOf` whose `if` matches `instance`.
fn branches<'a>(root: &'a Value, node: &'a Value, instance: Option<&Value>) -> Vec<&'a Value> {
    let mut out = vec![node];
    for entry in node
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(cond), Some(then)) = (entry.get("if"), entry.get("then")) else {
            continue;
        };
        let cond = deref(root, cond);
        let matches = instance.is_some_and(|v| condition_holds(cond, v));
        if matches {
            out.push(deref(root, then));
        }
    }
    out
}

/// Evaluates the simple `if` conditions Fabula's schemas use: `properties` with `const`.
fn condition_holds(cond: &Value, instance: &Value) -> bool {
    let Some(props) = cond.get("properties").and_then(Value::as_object) else {
        return false;
    };
    props.iter().all(|(k, sub)| match sub.get("const") {
        Some(c) => instance.get(k) == Some(c),
        None => true,
    })
}

fn deref<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..8 {
        match node
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
        {
            Some(pointer) => match root.pointer(pointer) {
                Some(target) => node = target,
                None => break,
            },
            None => break,
        }
    }
    node
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path;
    use serde_json::json;

    #[test]
    fn field_docs_follow_refs_and_task_type_branches() {
        let task = json!({"type": "beat_interpolation", "before": {"beat": "x"}});
        let doc = |p: &Path| field_doc(SchemaKind::Task, &task, p).unwrap_or("");
        assert!(doc(&path!["target"]).starts_with("Id of the beat the model must write"));
        assert!(doc(&path!["before"]).starts_with("The beat that comes before"));
        assert!(doc(&path!["before", "text"]).starts_with("The beat, written out"));
        assert!(doc(&path!["theory"]).starts_with("Id of the theory"));
        assert!(doc(&path!["constraints", "must_include"]).starts_with("Elements, events"));
        let config = json!({"models": {"m": {}}});
        let d = field_doc(
            SchemaKind::Config,
            &config,
            &path!["models", "m", "temperature"],
        );
        assert!(
            d.is_some_and(|d| d.starts_with("Sampling temperature.")),
            "{d:?}"
        );
    }
}
