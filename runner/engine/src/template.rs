//! Prompt templates, kept as text files in `runner/engine/templates/` and embedded at
//! build time. A template's version is a hash of its text, and every fingerprint
//! includes the versions of the templates its task type uses, so editing a prompt makes
//! the results it shaped stale, with no version number to forget to bump.
//!
//! Syntax: `{{name}}` is replaced by the variable `name`. Rendering a template with a
//! variable missing is a bug in the engine and panics in tests (debug builds).

use sha2::{Digest, Sha256};

macro_rules! templates {
    ($($name:ident),* $(,)?) => {
        /// Every template, by name.
        pub const ALL: &[(&str, &str)] = &[
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
    draft_write,
    draft_repair,
    draft_validate,
);

/// The text of template `name`.
pub fn text(name: &str) -> &'static str {
    ALL.iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .unwrap_or_else(|| panic!("no template `{name}`"))
}

/// Short hash of a template's text: its version.
pub fn version(name: &str) -> String {
    let digest = Sha256::digest(text(name).as_bytes());
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// Renders template `name` with `vars`.
pub fn render(name: &str, vars: &[(&str, &str)]) -> String {
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
    out.trim_end().to_string()
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
    fn every_template_is_non_empty_and_versions_differ() {
        let mut seen = std::collections::BTreeSet::new();
        for (name, text) in ALL {
            assert!(!text.trim().is_empty(), "{name}");
            assert!(seen.insert(version(name)), "{name} shares a version");
        }
    }
}
