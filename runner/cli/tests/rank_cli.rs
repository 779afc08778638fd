//! `fabula rank` and `fabula agreement` end to end on a new project's `sim` models: a
//! blind sheet is exported (no model name, config or fingerprint in it; each rater's
//! own order and ids), filled, imported as ranking records, and `fabula agreement`
//! prints the tau-b worked out by hand from the judges' scores. A sheet whose ids do not
//! match is refused naming the row; a ranking goes stale when what it ranked changes.

pub mod support;

use fabula_eval::sheet;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use support::{fabula, text};

const TASK: &str = "night-market-break";

/// A new project with a third sim writer, run on one task.
fn project() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let o = fabula(dir.path(), &["init", "bench"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let p = dir.path().join("bench");
    let config = std::fs::read_to_string(p.join("fabula.yaml")).unwrap();
    std::fs::write(
        p.join("fabula.yaml"),
        config.replace(
            "  sim-writer-b:\n",
            "  sim-writer-c:\n    provider: sim\n    model: sim/writer-c\n    temperature: 0.3\n  sim-writer-b:\n",
        ),
    )
    .unwrap();
    let o = fabula(&p, &["run", "--quiet", "--task", TASK], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    (dir, p)
}

/// Each model's item score on the task, from `fabula export` (the leaderboard's score).
fn scores(p: &Path) -> BTreeMap<String, f64> {
    let o = fabula(p, &["export", "--format", "jsonl"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let mut out = BTreeMap::new();
    for line in String::from_utf8_lossy(&o.stdout).lines() {
        let row: Value = serde_json::from_str(line).unwrap();
        if row["task"] == TASK
            && let Some(s) = row["final_score"].as_f64()
        {
            out.insert(row["model"].as_str().unwrap().to_string(), s);
        }
    }
    out
}

/// The generation record name of `model` on the task (one sample).
fn record(p: &Path, model: &str) -> String {
    let dir = p.join("results").join(model).join(TASK);
    let gens: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("gen-"))
        .collect();
    assert_eq!(gens.len(), 1, "{gens:?}");
    format!("{model}/{TASK}/{}", gens[0])
}

/// A sheet written for `rater`, read back.
fn export(p: &Path, rater: &str) -> (String, Vec<sheet::Row>) {
    let file = p.join(format!("{rater}.csv"));
    let o = fabula(
        p,
        &["rank", "--export", file.to_str().unwrap(), "--rater", rater],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let csv = std::fs::read_to_string(&file).unwrap();
    let rows = sheet::parse(&csv).unwrap();
    (csv, rows)
}

/// The sheet `rows` with `rank(model)` filled in, and a note on the first row.
fn filled(p: &Path, rows: &[sheet::Row], rank: impl Fn(&str) -> u32) -> String {
    let seed = sheet::seed(rows).unwrap();
    let by_id: BTreeMap<String, String> = ["sim-writer-a", "sim-writer-b", "sim-writer-c"]
        .iter()
        .map(|m| {
            (
                sheet::output_id(&seed, TASK, 0, &record(p, m)),
                m.to_string(),
            )
        })
        .collect();
    let mut out = String::from("sheet,task,sample,output,rank,note\n");
    for (i, r) in rows.iter().enumerate() {
        let model = &by_id[&r.output];
        let note = if i == 0 {
            "\"close call, \"\"really\"\"\""
        } else {
            ""
        };
        out.push_str(&format!(
            "{},{},{},{},{},{note}\n",
            r.sheet,
            r.task,
            r.sample,
            r.output,
            rank(model)
        ));
    }
    out
}

fn import(p: &Path, rater: &str, csv: &str) -> std::process::Output {
    let file = p.join(format!("{rater}-filled.csv"));
    std::fs::write(&file, csv).unwrap();
    fabula(
        p,
        &["rank", "--import", file.to_str().unwrap(), "--rater", rater],
        &[],
    )
}

fn agreement(p: &Path) -> Value {
    let o = fabula(p, &["agreement", "--format", "json"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn rankings(p: &Path) -> Vec<PathBuf> {
    support::files(&p.join("results/rankings"))
}

#[test]
fn export_fill_import_and_agreement_with_a_hand_computed_tau() {
    let (_dir, p) = project();
    let scores = scores(&p);
    assert_eq!(scores.len(), 3, "{scores:?}");
    // The models by the judges' median score, best first (s0 > s1 > s2).
    let mut by_score: Vec<(&str, f64)> = scores.iter().map(|(m, s)| (m.as_str(), *s)).collect();
    by_score.sort_by(|a, b| b.1.total_cmp(&a.1));
    assert!(
        by_score[0].1 > by_score[1].1 && by_score[1].1 > by_score[2].1,
        "the sim writers score apart: {by_score:?}"
    );
    let (s0, s1, s2) = (by_score[0].0, by_score[1].0, by_score[2].0);

    // Blind: no model name, model id, provider setting or fingerprint in the sheet.
    let (csv, ann_rows) = export(&p, "ann@example.org");
    assert_eq!(ann_rows.len(), 3);
    assert!(
        csv.starts_with("sheet,task,sample,output,rank,note,text\r\n"),
        "{csv}"
    );
    for leak in [
        "sim-writer",
        "sim/writer",
        "sim-judge",
        "temperature",
        "provider",
    ] {
        assert!(!csv.contains(leak), "{leak} in the sheet:\n{csv}");
    }
    for m in ["sim-writer-a", "sim-writer-b", "sim-writer-c"] {
        let name = record(&p, m);
        let fingerprint = name.rsplit('-').next().unwrap().trim_end_matches(".json");
        assert!(!csv.contains(fingerprint), "a fingerprint in the sheet");
    }
    // Another rater: another seed, other ids.
    let (_, bob_rows) = export(&p, "bob@example.org");
    assert_ne!(ann_rows[0].sheet, bob_rows[0].sheet);
    for r in &bob_rows {
        assert!(
            ann_rows.iter().all(|a| a.output != r.output),
            "ids are per sheet"
        );
    }

    // Ann: s0 first, s1 and s2 tied. Against the median order s0 > s1 > s2: (s0,s1) and
    // (s0,s2) concordant, (s1,s2) tied for ann only. n0 = 3, n1 = 1, n2 = 0, C = 2,
    // D = 0: tau-b = 2 / sqrt((3 - 1)(3 - 0)) = 2 / sqrt(6) = 0.8165.
    let ann = filled(&p, &ann_rows, |m| if m == s0 { 1 } else { 2 });
    let o = import(&p, "ann@example.org", &ann);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("Saved 1 ranking(s) by ann@example.org"),
        "{}",
        text(&o)
    );
    let saved = rankings(&p);
    assert_eq!(saved.len(), 1, "{saved:?}");
    let record_json: Value = serde_json::from_str(
        &std::fs::read_to_string(p.join("results/rankings").join(&saved[0])).unwrap(),
    )
    .unwrap();
    assert_eq!(record_json["rater"], "ann@example.org");
    assert_eq!(record_json["note"], "close call, \"really\"");
    assert_eq!(record_json["ranks"][0][0]["model"], s0);
    assert_eq!(record_json["ranks"][1].as_array().unwrap().len(), 2);

    let o = fabula(&p, &["status"], &[]);
    assert!(
        text(&o).contains("1 human ranking(s) by 1 rater(s) under results/rankings/"),
        "{}",
        text(&o)
    );
    let a = agreement(&p);
    let median = a["rows"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(median["median"], true);
    let hand = 2.0 / 6f64.sqrt();
    assert!(
        (median["tau"].as_f64().unwrap() - hand).abs() < 1e-9,
        "{median}"
    );
    assert_eq!(a["counted"], 1);
    let o = fabula(&p, &["agreement"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let table = String::from_utf8_lossy(&o.stdout).into_owned();
    let row = table
        .lines()
        .find(|l| l.contains("judges' median"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(row.contains("+0.82"), "{table}");
    // The leaderboard carries the same figure: in its JSON, and in the table's footer.
    let o = fabula(&p, &["leaderboard", "--format", "json"], &[]);
    let board: Value = serde_json::from_slice(&o.stdout).unwrap();
    let human = board["human"]["rows"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(human["median"], true);
    assert!(
        (human["tau"].as_f64().unwrap() - hand).abs() < 1e-9,
        "{human}"
    );
    let o = fabula(&p, &["leaderboard"], &[]);
    let table = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        table.contains("the judges' median order has Kendall's tau-b +0.82 against 1 human ranking(s) over 1 task(s)"),
        "{table}"
    );
    // And the report, in its agreement section.
    let o = fabula(&p, &["report", "--out", "page.html"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let page = std::fs::read_to_string(p.join("page.html")).unwrap();
    let people = &page[page.find("id=\"people-table\"").expect("a people section")..];
    let median_row = &people[people
        .find("judges&#x27; median")
        .or_else(|| people.find("judges' median"))
        .unwrap()..];
    assert!(
        median_row[..median_row.find("</tr>").unwrap()].contains(">0.82<"),
        "{people:.600}"
    );

    // Bob reverses the median order. Bob against the median: every pair discordant: -1.
    // The median row: one task, mean of (0.8165, -1) = -0.0918. Ann against Bob: (s0,s1)
    // and (s0,s2) discordant, (s1,s2) tied for ann: -2 / sqrt(6) = -0.8165.
    let bob = filled(&p, &bob_rows, |m| {
        if m == s2 {
            1
        } else if m == s1 {
            2
        } else {
            3
        }
    });
    let o = import(&p, "bob@example.org", &bob);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let a = agreement(&p);
    let median = a["rows"].as_array().unwrap().last().unwrap().clone();
    assert!(
        (median["tau"].as_f64().unwrap() - (hand - 1.0) / 2.0).abs() < 1e-9,
        "{median}"
    );
    let raters = &a["inter_rater"];
    assert!(
        (raters["tau"].as_f64().unwrap() + hand).abs() < 1e-9,
        "{raters}"
    );
    assert_eq!(a["disagreements"][0]["task"], TASK);
    assert_eq!(a["disagreements"][0]["rater"], "bob@example.org");

    // Ann ranks again: her newer ranking replaces her older one (the old file stays).
    let o = import(
        &p,
        "ann@example.org",
        &filled(&p, &ann_rows, |m| if m == s2 { 1 } else { 2 }),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(rankings(&p).len(), 3);
    let a = agreement(&p);
    assert_eq!(
        (a["counted"].as_u64(), a["stale"].as_u64()),
        (Some(2), Some(1))
    );

    // A ranked output changes (its config): every ranking of it is stale.
    let config = std::fs::read_to_string(p.join("fabula.yaml")).unwrap();
    std::fs::write(
        p.join("fabula.yaml"),
        config.replace(
            "model: sim/writer-c\n    temperature: 0.3",
            "model: sim/writer-c\n    temperature: 0.4",
        ),
    )
    .unwrap();
    let a = agreement(&p);
    assert_eq!(
        (a["counted"].as_u64(), a["stale"].as_u64()),
        (Some(0), Some(3)),
        "{a}"
    );
    assert!(a["rows"][0]["tau"].is_null());
}

#[test]
fn a_sheet_that_does_not_match_is_refused_naming_the_row_and_nothing_is_saved() {
    let (_dir, p) = project();
    let (_, rows) = export(&p, "ann@example.org");
    let good = filled(&p, &rows, |m| if m == "sim-writer-a" { 1 } else { 2 });
    // The second data row (spreadsheet row 3) gets an id of no output.
    let third = good.lines().nth(2).unwrap().to_string();
    let id = &rows[1].output;
    let bad = good.replace(&third, &third.replace(id.as_str(), "zzzzzzzz"));
    let o = import(&p, "ann@example.org", &bad);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("row 3: output `zzzzzzzz`"),
        "{}",
        text(&o)
    );
    // A sheet from another export: its ids are another seed's.
    let (_, other) = export(&p, "bob@example.org");
    let mixed = good.replace(&rows[0].output, &other[0].output);
    let o = import(&p, "ann@example.org", &mixed);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("row 2: output"), "{}", text(&o));
    // Not CSV at all, not UTF-8.
    let o = import(&p, "ann@example.org", "\"never closed\n");
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("row 1: a quoted field is never closed"),
        "{}",
        text(&o)
    );
    let file = p.join("latin1.csv");
    std::fs::write(&file, b"sheet,task\n\xe9\n").unwrap();
    let o = fabula(
        &p,
        &["rank", "--import", file.to_str().unwrap(), "--rater", "ann"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("not UTF-8"), "{}", text(&o));
    assert!(rankings(&p).is_empty(), "nothing saved");
    // The good sheet imports.
    let o = import(&p, "ann@example.org", &good);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(rankings(&p).len(), 1);
}

#[test]
fn the_rater_comes_from_git_or_must_be_given() {
    let dir = tempfile::tempdir().unwrap();
    let o = fabula(dir.path(), &["init", "bench"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let p = dir.path().join("bench");
    let home = dir.path().to_str().unwrap();
    let no_git = [
        ("HOME", home),
        ("XDG_CONFIG_HOME", home),
        ("GIT_CONFIG_GLOBAL", "/dev/null"),
        ("GIT_CONFIG_NOSYSTEM", "1"),
        ("GIT_CEILING_DIRECTORIES", home),
    ];
    let o = fabula(&p, &["rank", "--export", "s.csv"], &no_git);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("pass --rater"), "{}", text(&o));
    // With a git identity: the rater is known; nothing has run, so nothing to rank.
    let global = dir.path().join("gitconfig");
    std::fs::write(&global, "[user]\n\temail = cat@example.org\n").unwrap();
    let with_git = [
        ("HOME", home),
        ("XDG_CONFIG_HOME", home),
        ("GIT_CONFIG_GLOBAL", global.to_str().unwrap()),
        ("GIT_CONFIG_NOSYSTEM", "1"),
        ("GIT_CEILING_DIRECTORIES", home),
    ];
    let o = fabula(&p, &["rank", "--export", "s.csv"], &with_git);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("nothing to rank"), "{}", text(&o));
    // Neither or both of --export and --import: a usage error from clap.
    let o = fabula(&p, &["rank", "--rater", "ann"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = fabula(&p, &["rank", "--export", "a.csv", "--import", "b.csv"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    // No ranking yet: agreement says how to make one.
    let o = fabula(&p, &["agreement"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("fabula rank --export"), "{}", text(&o));
}
