//! The published schemas: valid draft 2020-12, documented field by field (the language
//! server shows the descriptions on hover), and reachable from every dataset file through
//! its `# yaml-language-server: $schema=` modeline.

use fabula_core::document::kind_from_path;
use fabula_core::model::RECORD_SCHEMA;
use fabula_core::schema::SchemaKind;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every published schema: the four that check project files, and the result records'.
fn all_schemas() -> Vec<(&'static str, &'static str)> {
    let mut all: Vec<_> = SchemaKind::ALL
        .iter()
        .map(|k| (k.file_name(), k.source()))
        .collect();
    all.push(("result.schema.json", RECORD_SCHEMA));
    all
}

#[test]
fn schemas_are_valid_draft_2020_12() {
    for (file_name, source) in all_schemas() {
        let schema: Value = serde_json::from_str(source).unwrap();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        if let Err(e) = jsonschema::meta::validate(&schema) {
            panic!("{file_name} is not a valid schema: {e}");
        }
        // The embedded text is the committed file, byte for byte.
        let on_disk = std::fs::read_to_string(repo_root().join("schema").join(file_name)).unwrap();
        assert_eq!(on_disk, source);
    }
}

/// Resolves a local `$ref` (`#/$defs/…`).
fn resolve<'a>(root: &'a Value, reference: &str) -> &'a Value {
    let pointer = reference.strip_prefix('#').expect("local refs only");
    root.pointer(pointer)
        .unwrap_or_else(|| panic!("dangling $ref {reference}"))
}

fn documented(root: &Value, schema: &Value) -> bool {
    match schema {
        Value::Bool(true) => true, // common fields allowed in a type's branch; documented at the top
        Value::Object(map) => {
            map.contains_key("description")
                || map
                    .get("$ref")
                    .and_then(Value::as_str)
                    .is_some_and(|r| documented(root, resolve(root, r)))
        }
        _ => false,
    }
}

#[test]
fn every_field_has_a_description() {
    let mut missing = Vec::new();
    for (file_name, source) in all_schemas() {
        let root: Value = serde_json::from_str(source).unwrap();
        let mut stack = vec![(String::new(), &root)];
        while let Some((at, node)) = stack.pop() {
            match node {
                Value::Object(map) => {
                    if let Some(Value::Object(props)) = map.get("properties") {
                        for (name, prop) in props {
                            // Conditions (`if`, `$defs/is/*`) only match values; they define no field.
                            let condition = at.contains("/$defs/is") || at.ends_with("/if");
                            if !condition && !documented(&root, prop) {
                                missing.push(format!("{file_name}: {at}/properties/{name}"));
                            }
                        }
                    }
                    for (k, v) in map {
                        stack.push((format!("{at}/{k}"), v));
                    }
                }
                Value::Array(items) => {
                    for (i, v) in items.iter().enumerate() {
                        stack.push((format!("{at}/{i}"), v));
                    }
                }
                _ => {}
            }
        }
    }
    assert!(
        missing.is_empty(),
        "fields without a description:\n{}",
        missing.join("\n")
    );
}

#[test]
fn dataset_modelines_point_at_the_right_schema() {
    let root = repo_root();
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
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let first = text.lines().next().unwrap_or("");
        let target = first
            .strip_prefix("# yaml-language-server: $schema=")
            .unwrap_or_else(|| {
                panic!("{}: first line must be the schema modeline", file.display())
            });
        let resolved = file.parent().unwrap().join(target);
        let name = file
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let kind = kind_from_path(&name).unwrap_or_else(|| panic!("{name}: not a project file"));
        assert!(
            resolved.is_file(),
            "{name}: modeline points at missing {}",
            resolved.display()
        );
        assert_eq!(
            resolved.file_name().unwrap().to_string_lossy(),
            kind.file_name(),
            "{name}"
        );
    }
}
