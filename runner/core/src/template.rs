//! Prompt templates: every word a model or a judge reads. The long ones are Markdown files
//! in `runner/core/templates/`, the short pieces entries of `templates/parts.yaml`; both
//! are embedded at build time and share one namespace. A template's version is the hash
//! of its text, and fingerprints hash the prompts rendered from them, so editing any
//! wording makes exactly the results it shaped stale, with no version number to bump.
//!
//! Syntax: `{{name}}` is replaced by the variable `name`. A value is never expanded
//! again. Rendering with a variable missing is a bug in the caller: it panics in debug
//! builds (tests) and leaves the placeholder in release builds.

use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

macro_rules! templates {
    ($($name:ident),* $(,)?) => {
        /// The Markdown templates, by name.
        pub const FILES: &[(&str, &str)] = &[
            $((stringify!($name), include_str!(concat!("../templates/", stringify!($name), ".md")))),*
        ];
    };
}

templates!(
    system,
    beat_interpolation,
    beat_revision,
    constrained_continuation,
    theory_conversion,
    multi_beat_synthesis,
    sequence_first,
    sequence_next,
    discovery_intro,
    discovery_answer,
    discovery_write,
    oracle,
    story_brief,
    planning_plan,
    planning_write,
    revise_feedback,
    critic,
    revise_critique,
    judge,
    pairwise,
    draft_write,
    draft_repair,
    draft_validate,
);

const PARTS: &str = include_str!("../templates/parts.yaml");

fn parts() -> &'static BTreeMap<String, String> {
    static PARTS_MAP: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    PARTS_MAP.get_or_init(|| {
        // Embedded data, checked by a test: a failure here is a build mistake.
        serde_saphyr::from_str(PARTS).expect("templates/parts.yaml parses")
    })
}

/// Every template name: the files, then the parts.
pub fn names() -> Vec<&'static str> {
    FILES
        .iter()
        .map(|(n, _)| *n)
        .chain(parts().keys().map(String::as_str))
        .collect()
}

/// The text of template `name`.
pub fn text(name: &str) -> &'static str {
    if let Some(t) = OVERRIDES.with(|o| {
        o.borrow()
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, t)| *t)
    }) {
        return t;
    }
    if let Some((_, t)) = FILES.iter().find(|(n, _)| *n == name) {
        return t.strip_suffix('\n').unwrap_or(t);
    }
    match parts().get(name) {
        Some(t) => t.as_str(),
        None => panic!("no template `{name}`"),
    }
}

fn is_file(name: &str) -> bool {
    FILES.iter().any(|(n, _)| *n == name)
}

/// Short hash of a template's text: its version.
pub fn version(name: &str) -> String {
    let digest = Sha256::digest(text(name).as_bytes());
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

thread_local! {
    static USED: RefCell<Option<BTreeSet<String>>> = const { RefCell::new(None) };
    static OVERRIDES: RefCell<Vec<(String, &'static str)>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with template `name` reading `text` instead (on this thread): how tests
/// prove that editing a template makes exactly the right records stale. The text is
/// leaked; this is for tests.
pub fn overriding<R>(name: &str, text: &str, f: impl FnOnce() -> R) -> R {
    let leaked: &'static str = Box::leak(text.to_string().into_boxed_str());
    OVERRIDES.with(|o| o.borrow_mut().push((name.to_string(), leaked)));
    let result = f();
    OVERRIDES.with(|o| o.borrow_mut().pop());
    result
}

/// Runs `f` and returns what it returned with the names of the templates it rendered (on
/// this thread). Tests use it to prove a task kind declares every template it uses.
pub fn recording<R>(f: impl FnOnce() -> R) -> (R, BTreeSet<String>) {
    let outer = USED.with(|u| u.borrow_mut().replace(BTreeSet::new()));
    let result = f();
    let used = USED.with(|u| std::mem::replace(&mut *u.borrow_mut(), outer));
    (result, used.unwrap_or_default())
}

/// Renders template `name` with `vars`. A file template's result has no trailing white
/// space; a part's is exactly its text with the variables filled in.
pub fn render(name: &str, vars: &[(&str, &str)]) -> String {
    USED.with(|u| {
        if let Some(set) = u.borrow_mut().as_mut() {
            set.insert(name.to_string());
        }
    });
    let template = text(name);
    let mut out = String::with_capacity(template.len() + 1024);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let key = &after[..end];
        match vars.iter().find(|(k, _)| *k == key) {
            Some((_, v)) => out.push_str(v),
            None => {
                debug_assert!(false, "template `{name}` needs `{key}`");
                out.push_str(&rest[start..start + end + 4]);
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    if is_file(name) {
        out.truncate(out.trim_end().len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_variables_and_leaves_values_alone() {
        // A value that looks like a placeholder is not expanded again.
        let out = render(
            "discovery_answer",
            &[("answer", "YES {{remaining}}"), ("remaining", "3")],
        );
        assert!(out.starts_with("ANSWER: YES {{remaining}}"), "{out}");
        assert!(out.contains("(3 questions left.)"));
    }

    #[test]
    fn parts_keep_their_exact_text() {
        assert_eq!(render("list_item", &[("item", "fog")]), "- fog\n");
        assert_eq!(
            render("theory_name", &[("name", "Three-Act"), ("id", "three_act")]),
            "Three-Act (`three_act`)"
        );
        assert_eq!(
            render("step_words", &[("min", "1"), ("max", "2")]),
            "\nWrite between 1 and 2 words."
        );
        assert_eq!(
            render("requirement_line", &[("requirement", "x")]),
            "    - x\n"
        );
    }

    #[test]
    fn every_template_is_non_empty_and_versions_differ() {
        let mut seen = std::collections::BTreeMap::new();
        for name in names() {
            assert!(!text(name).trim().is_empty(), "{name}");
            if let Some(other) = seen.insert(version(name), name) {
                panic!("{name} shares a version with {other}");
            }
        }
        assert!(names().len() > 60, "parts are loaded: {}", names().len());
    }

    #[test]
    fn recording_names_what_was_rendered() {
        let (_, used) = recording(|| {
            render("list_item", &[("item", "a")]);
            render("system", &[]);
        });
        assert_eq!(
            used.into_iter().collect::<Vec<_>>(),
            vec!["list_item", "system"]
        );
        let (_, none) = recording(|| ());
        assert!(none.is_empty());
    }
}
