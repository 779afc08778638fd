//! `fabula check --format junit` (issue 20): the report parses as XML whatever the
//! project's text holds, has one test case per checked file, and fails exactly the files
//! with errors (warnings too under `--strict`), carrying their diagnostics.

pub mod support;

use std::path::Path;

/// A model named like a Windows device: a warning (reserved-name) on fabula.yaml.
const CONFIG: &str = "\
version: 1
providers:
  sim: {kind: sim}
models:
  con: {provider: sim, model: sim/judge}
judges: [con]
";

/// A term both required and forbidden, full of markup, quotes and a control character:
/// the error message quotes it.
const NASTY: &str = "a <b> & \\\"c\\\" 'd' ]]> \\x01";
const NASTY_DECODED: &str = "a <b> & \"c\" 'd' ]]> \u{FFFD}";

fn task(id: &str, conflict: bool) -> String {
    let terms = if conflict {
        format!("  must_include: [\"{NASTY}\"]\n  must_not_include: [\"{NASTY}\"]\n")
    } else {
        "  must_include: [the lamp]\n".to_string()
    };
    format!(
        "id: {id}\ntype: beat_interpolation\ntitle: A task\ntheory: three_act\nwords: {{min: 200, max: 400}}\n\
         premise: A lighthouse keeper, 1911.\nbefore: {{beat: setup, text: The lamp fails.}}\n\
         target: confrontation\nafter: {{beat: resolution, text: The ship is safe.}}\nconstraints:\n{terms}"
    )
}

/// The shipped theories, a clean task and a task with a nasty term conflict.
fn project() -> tempfile::TempDir {
    let dir = support::project(CONFIG, &[]);
    let tasks = dir.path().join("dataset/tasks/beat_interpolation");
    std::fs::create_dir_all(&tasks).unwrap();
    std::fs::write(tasks.join("clean.yaml"), task("clean", false)).unwrap();
    std::fs::write(tasks.join("nasty.yaml"), task("nasty", true)).unwrap();
    dir
}

fn junit(dir: &Path, extra: &[&str]) -> (i32, String) {
    let out = support::command(dir, &["check", "--format", "junit"], &[])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// `(name, failure text or None, system-out or None)` per test case.
fn cases(xml: &str) -> Vec<(String, Option<String>, Option<String>)> {
    let doc = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suite = root
        .children()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|c| {
            let child = |tag: &str| {
                c.children()
                    .find(|n| n.has_tag_name(tag))
                    .map(|n| n.text().unwrap_or_default().to_string())
            };
            assert_eq!(c.attribute("file"), c.attribute("name"));
            (
                c.attribute("name").unwrap().to_string(),
                child("failure"),
                child("system-out"),
            )
        })
        .collect();
    let failures = cases.iter().filter(|c| c.1.is_some()).count();
    for node in [root, suite] {
        assert_eq!(
            node.attribute("tests"),
            Some(cases.len().to_string().as_str())
        );
        assert_eq!(
            node.attribute("failures"),
            Some(failures.to_string().as_str())
        );
    }
    cases
}

#[test]
fn one_case_per_file_failing_on_errors_with_everything_escaped() {
    let dir = project();
    let (code, xml) = junit(dir.path(), &[]);
    assert_eq!(code, 1, "{xml}");
    let cases = cases(&xml);
    let mut files = support::files(dir.path());
    files.retain(|f| f.extension().is_some_and(|e| e == "yaml"));
    let names: Vec<&str> = cases.iter().map(|c| c.0.as_str()).collect();
    let expected: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    assert_eq!(names, expected, "one case per checked file");
    let case = |name: &str| cases.iter().find(|c| c.0 == name).unwrap();
    assert_eq!(case("dataset/tasks/beat_interpolation/clean.yaml").1, None);
    let failure = case("dataset/tasks/beat_interpolation/nasty.yaml")
        .1
        .as_deref()
        .unwrap();
    assert!(
        failure.contains(&format!(
            "dataset/tasks/beat_interpolation/nasty.yaml:12:22: error[term-conflict]: `{NASTY_DECODED}` is both required and forbidden"
        )),
        "{failure}"
    );
    // Warnings alone pass, listed as output.
    assert_eq!(case("fabula.yaml").1, None);
    let out = case("fabula.yaml").2.as_deref().unwrap();
    assert!(
        out.contains("fabula.yaml:5:3: warning[reserved-name]: model name `con`"),
        "{out}"
    );

    let doc = roxmltree::Document::parse(&xml).unwrap();
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert_eq!(failure.attribute("type"), Some("term-conflict"));
    assert!(
        failure.attribute("message").unwrap().starts_with(&format!(
            "1 error(s), 0 other finding(s); first: `{NASTY_DECODED}`"
        )),
        "{:?}",
        failure.attribute("message")
    );
}

#[test]
fn strict_fails_warnings_too() {
    let dir = project();
    let (code, xml) = junit(dir.path(), &["--strict"]);
    assert_eq!(code, 1);
    let cases = cases(&xml);
    let failing: Vec<&str> = cases
        .iter()
        .filter(|c| c.1.is_some())
        .map(|c| c.0.as_str())
        .collect();
    assert_eq!(
        failing,
        ["dataset/tasks/beat_interpolation/nasty.yaml", "fabula.yaml"]
    );
}
