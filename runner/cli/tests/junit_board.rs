//! `fabula leaderboard --format junit` (issue 20): a run against a local fake server
//! whose writers answer with texts of chosen lengths and whose judge passes everything,
//! so every score is worked out by hand; the XML is snapshotted, parsed, and its cases
//! fail exactly below `--fail-under`.

pub mod support;

use fabula_fake_server::{FakeServer, Reply, chat, model_reply};
use std::time::Duration;
use support::*;

const CONFIG: &str = "\
version: 1
providers:
  local:
    kind: openai
    dialect: openai
    base_url: http://127.0.0.1:9/unused
    base_url_env: FABULA_TEST_BASE_URL
    api_key_env: FABULA_TEST_KEY
    concurrency: 4
    max_retries: 0
    timeout_secs: 10
models:
  writer-a: {provider: local, model: test/writer-a}
  writer-b: {provider: local, model: test/writer-b}
  judge-1: {provider: local, model: test/judge-1}
judges: [judge-1]
";

/// orbit-find (beat_interpolation) asks for 400-700 words, kiln-midpoint-control
/// (beat_revision) for 280-480.
const TASKS: &[&str] = &[
    "beat_interpolation/orbit-find.yaml",
    "beat_revision/kiln-midpoint-control.yaml",
];

/// `n` different made-up words: no 4-gram repeats, no stock phrase.
fn words(n: usize) -> String {
    let letters = |i: usize| char::from(b'a' + (i % 26) as u8);
    (0..n)
        .map(|i| format!("z{}{}", letters(i / 26), letters(i)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The judge passes every criterion (judge part 1). Writer A writes 400 words for
/// orbit-find and 140 for kiln; writer B 100 and 70.
fn reply(_: usize, seen: &fabula_fake_server::Seen) -> Reply {
    let body = &seen.body;
    if body.contains("test/judge-1") {
        return model_reply(body);
    }
    let orbit = body.contains("relay station");
    let n = match (body.contains("test/writer-a"), orbit) {
        (true, true) => 400,
        (true, false) => 140,
        (false, true) => 100,
        (false, false) => 70,
    };
    Reply::ok(chat(&words(n), "stop"))
}

// By hand. An item scores 50 × programmatic + 50 × judge part; the judge part is 1, the
// texts repeat nothing and hold no stock phrase, so programmatic = 0.40 × word score +
// 0.35 + 0.25, and the word score below the range is n / min:
//
// | writer | orbit-find (min 400) | kiln (min 280) |
// |---|---|---|
// | A | 400 words: 1 → 100 | 140: 0.5 → 50 × 0.8 + 50 = 90 |
// | B | 100: 0.25 → 50 × 0.7 + 50 = 85 | 70: 0.25 → 85 |
//
// A's score is the mean over tasks, 95; its bootstrap resamples the two tasks, so its
// means are 90, 95 or 100 (a quarter, half, a quarter of the time) and the 95% interval
// is 90-100. B's is 85 (85-85). The intervals do not overlap: A ranks 1, B 2. Every item
// passes (judge part 1 ≥ 0.6). Per type each model has one item: its score, interval
// that score. Against 90: A passes overall (95), on beat_interpolation (100) and on
// beat_revision (90 is not below 90); B fails all three (85).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_case_per_model_and_type_against_fail_under_with_hand_worked_numbers() {
    let server = FakeServer::start(Duration::ZERO, reply).await;
    let dir = project(CONFIG, TASKS);
    let p = dir.path();
    let o = run_local(p, &server, &["run", "--quiet"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let o = run_local(
        p,
        &server,
        &["leaderboard", "--format", "junit", "--fail-under", "90"],
    )
    .await;
    assert_eq!(o.status.code(), Some(1), "B is below 90: {}", text(&o));
    let xml = String::from_utf8(o.stdout).unwrap();
    assert_eq!(
        cases(&xml),
        [
            ("writer-a", "overall", None),
            ("writer-a", "beat_interpolation", None),
            ("writer-a", "beat_revision", None),
            ("writer-b", "overall", Some("score 85.0 is below 90")),
            (
                "writer-b",
                "beat_interpolation",
                Some("score 85.0 is below 90")
            ),
            ("writer-b", "beat_revision", Some("score 85.0 is below 90")),
        ]
        .map(|(m, n, f)| (m.to_string(), n.to_string(), f.map(str::to_string)))
    );
    insta::assert_snapshot!("leaderboard_junit", xml);

    // Without a threshold every case passes, carrying its numbers; exit 0.
    let o = run_local(p, &server, &["leaderboard", "--format", "junit"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let xml = String::from_utf8(o.stdout).unwrap();
    assert!(cases(&xml).iter().all(|c| c.2.is_none()), "{xml}");
    assert!(xml.contains(r#"tests="6" failures="0" errors="0" skipped="0""#));
    assert!(xml.contains(
        "<system-out>score 85.0 (95% CI 85.0-85.0) over 2 items, rank 2, coverage 2/2 items, pass rate 100%</system-out>"
    ));
}

/// `(model, case, failure message)` per test case; the counts agree with the cases.
fn cases(xml: &str) -> Vec<(String, String, Option<String>)> {
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
            let model = c.attribute("classname").unwrap();
            let failure = c
                .children()
                .find(|n| n.has_tag_name("failure"))
                .map(|f| f.attribute("message").unwrap().to_string());
            (
                model
                    .strip_prefix("fabula.leaderboard.")
                    .unwrap()
                    .to_string(),
                c.attribute("name").unwrap().to_string(),
                failure,
            )
        })
        .collect();
    let failures = cases.iter().filter(|c| c.2.is_some()).count().to_string();
    let tests = cases.len().to_string();
    for node in [root, suite] {
        assert_eq!(node.attribute("tests"), Some(tests.as_str()));
        assert_eq!(node.attribute("failures"), Some(failures.as_str()));
    }
    cases
}
