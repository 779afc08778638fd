//! `fabula report` end to end with the real binary: a sim run, records rewritten with
//! hostile text, then the page read back as a browser would get it. The browser half
//! (nothing runs, no console error) is `runner/cli/e2e/`; this checks the file itself:
//! one script and one stylesheet allowed by hash, nothing loaded from anywhere, model
//! text escaped in every task's packed drill-down.

mod support;

use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;
use support::*;

const HOSTILE: &str = "<script>window.__pwned=1</script></textarea><img src=x onerror=alert(2)> \
                       <a href=\"javascript:alert(3)\">x</a> {{ 7*7 }}";

/// Rewrites the generation of `model` on `task` (its output and last turn) and its
/// evaluations' evidence with `text`, keeping the judged hash so the records still count.
fn plant(results: &Path, model: &str, task: &str, text: &str) {
    for entry in std::fs::read_dir(results.join(model).join(task)).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut r: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        if name.starts_with("gen-") {
            r["output"] = text.into();
            if let Some(last) = r["transcript"].as_array_mut().unwrap().last_mut() {
                last["content"] = text.into();
            }
        } else {
            for c in r["criteria"].as_array_mut().unwrap() {
                c["evidence"] = text.into();
                c["reason"] = text.into();
            }
        }
        std::fs::write(&path, serde_json::to_vec_pretty(&r).unwrap()).unwrap();
    }
}

/// The drill-downs of a page: each data block base64-decoded and gunzipped.
fn details(page: &str) -> Vec<String> {
    page.split("<script type=\"application/octet-stream\" id=\"fabula-task-")
        .skip(1)
        .map(|rest| {
            let body = &rest[rest.find('>').unwrap() + 1..rest.find("</script>").unwrap()];
            let gz = base64::engine::general_purpose::STANDARD
                .decode(body.trim())
                .unwrap();
            let mut html = String::new();
            flate2::read::GzDecoder::new(gz.as_slice())
                .read_to_string(&mut html)
                .unwrap();
            html
        })
        .collect()
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> &'a str {
    let from = s.find(start).unwrap_or_else(|| panic!("no {start}")) + start.len();
    &s[from..from + s[from..].find(end).unwrap()]
}

fn sha(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes()))
}

#[test]
fn the_page_loads_nothing_and_escapes_what_models_wrote() {
    let dir = shipped_project();
    let p = dir.path();
    let tasks = ["chasqui-road-back", "ferry-hidden-rules", "census-critique"];
    let mut args = vec!["run", "--quiet"];
    for t in &tasks {
        args.extend(["--task", t]);
    }
    let run = fabula(p, &args, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    plant(&p.join("results"), "sim-writer-a", tasks[0], HOSTILE);

    let o = fabula(p, &["report", "--out", "out.html"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("Wrote out.html"), "{}", text(&o));
    let page = std::fs::read_to_string(p.join("out.html")).unwrap();

    // One inline script and one stylesheet, both allowed by their hash; nothing else.
    // The attribute as the browser reads it (the template escapes `'` and `/`).
    let csp = between(
        &page,
        "http-equiv=\"Content-Security-Policy\" content=\"",
        "\"",
    )
    .replace("&#x27;", "'")
    .replace("&#x2f;", "/");
    let script = between(&page, "<script>", "</script>");
    let style = between(&page, "<style>", "</style>");
    assert_eq!(
        csp,
        format!(
            "default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; img-src data:; \
             base-uri 'none'; form-action 'none'",
            sha(script),
            sha(style)
        )
    );
    assert_eq!(page.matches("<script>").count(), 1);
    assert_eq!(page.matches("<style>").count(), 1);
    // Nothing that loads, no inline style or handler (the policy would block them).
    let outside_svg = page.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for never in [
        " src=", "<link", "<iframe", "<object", "<embed", "http://", "https://", " style=",
    ] {
        assert!(!outside_svg.contains(never), "the page has {never:?}");
    }
    let handler = page.split(" on").skip(1).any(|rest| {
        let name: String = rest.chars().take_while(char::is_ascii_lowercase).collect();
        !name.is_empty() && rest[name.len()..].starts_with('=')
    });
    assert!(!handler, "the page has an inline event handler");

    // Every task has a drill-down (those not run say so); the hostile text is escaped
    // wherever it shows.
    let details = details(&page);
    assert_eq!(details.len(), count_files(&p.join("dataset/tasks")));
    let hostile = details
        .iter()
        .find(|d| d.contains("data-task=\"chasqui-road-back\""))
        .unwrap();
    assert!(!hostile.contains("<script"), "a script tag came through");
    assert!(!hostile.contains("<img"), "an img tag came through");
    assert!(
        !hostile.contains("</textarea>"),
        "a textarea end came through"
    );
    assert!(
        !hostile.contains("href=\"javascript"),
        "a javascript: link came through"
    );
    assert!(hostile.contains("&lt;script&gt;window.__pwned=1&lt;&#x2f;script&gt;"));
    assert!(
        hostile.contains("{{ 7*7 }}"),
        "template syntax in data is data"
    );
    // The agentic tasks carry their conversations.
    let discovery = details
        .iter()
        .find(|d| d.contains("data-task=\"ferry-hidden-rules\""))
        .unwrap();
    assert!(discovery.contains("class=\"turn oracle\""));
    assert!(
        page.contains("data-chart=\"improvement\""),
        "critique rounds are charted"
    );
}

#[test]
fn an_empty_store_makes_a_page_that_says_so_and_bad_selections_are_usage_errors() {
    let dir = shipped_project();
    let p = dir.path();
    let o = fabula(p, &["report"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let page = std::fs::read_to_string(p.join("report.html")).unwrap();
    assert!(
        page.contains("No model has a score yet"),
        "no recommendation without scores"
    );
    assert!(
        page.contains("incomplete: not generated"),
        "items are listed as not generated"
    );

    let o = fabula(p, &["report", "--task-type", "haiku"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("--task-type haiku: not a task type"),
        "{}",
        text(&o)
    );
    let o = fabula(p, &["report", "--model", "nobody"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("--model nobody"), "{}", text(&o));
    let o = fabula(p, &["report", "--out", "no/such/folder/r.html"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("cannot write no/such/folder/r.html"),
        "{}",
        text(&o)
    );
}

/// The text of the Compare section's block for B against A.
fn pair_block<'a>(page: &'a str, a: &str, b: &str) -> &'a str {
    let start = format!("<div class=\"pair\" data-a=\"{a}\" data-b=\"{b}\"");
    let from = page
        .find(&start)
        .unwrap_or_else(|| panic!("no block for {b} against {a}"));
    &page[from..from + page[from..].find("</div><!-- pair -->").unwrap()]
}

/// A p-value as the page prints it (`fabula compare`'s form, HTML-escaped).
fn p_shown(p: f64, exact: bool) -> String {
    let mark = if exact { "" } else { "~" };
    if p < 0.001 {
        format!("{mark}&lt;0.001")
    } else {
        format!("{mark}{p:.3}")
    }
}

fn diff_cells(d: &serde_json::Value, p: f64) -> Vec<String> {
    let f = |k: &str| d[k].as_f64().unwrap();
    vec![
        format!("<td class=\"num\">{}</td>", d["pairs"]),
        format!("<td class=\"num\">{:.1}</td>", f("a")),
        format!("<td class=\"num\">{:.1}</td>", f("b")),
        format!("{:+.1}", f("diff")),
        format!("<td>{:+.1} to {:+.1}</td>", f("ci_low"), f("ci_high")),
        p_shown(p, d["p"]["exact"].as_bool().unwrap()),
        format!(
            "<td class=\"num\">{} / {} / {}</td>",
            d["wins"], d["ties"], d["losses"]
        ),
    ]
}

#[test]
fn the_compare_section_shows_what_fabula_compare_computes() {
    let dir = shipped_project();
    let p = dir.path();
    let mut args = vec!["run", "--quiet", "--samples", "3"];
    for t in [
        "chasqui-road-back",
        "day-zero-confrontation",
        "census-critique",
        "ferry-hidden-rules",
    ] {
        args.extend(["--task", t]);
    }
    let run = fabula(p, &args, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let o = fabula(p, &["report", "--out", "out.html"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let page = std::fs::read_to_string(p.join("out.html")).unwrap();
    assert!(page.contains("<h2 id=\"compare\">Compare two models</h2>"));
    // Both orders of the two sim writers, nothing else; the first is shown without script.
    assert_eq!(page.matches("<div class=\"pair\" ").count(), 2);
    assert!(page.contains("<div class=\"pair\" data-a=\"sim-writer-a\" data-b=\"sim-writer-b\">"));

    for (a, b) in [
        ("sim-writer-a", "sim-writer-b"),
        ("sim-writer-b", "sim-writer-a"),
    ] {
        let o = fabula(p, &["compare", a, b, "--format", "json"], &[]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let cli: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let c = &cli["comparisons"][0];
        let block = pair_block(&page, a, b);
        let overall = &c["overall"];
        assert!(overall.is_object(), "{c}");
        let row = &block[block.find("<tr class=\"overall\">").unwrap()..];
        let row = &row[..row.find("</tr>").unwrap()];
        for cell in diff_cells(overall, overall["p"]["p"].as_f64().unwrap()) {
            assert!(row.contains(&cell), "{b} against {a}: {cell} not in {row}");
        }
        let types = c["by_type"].as_array().unwrap();
        assert_eq!(types.len(), 3, "{c}");
        for t in types {
            let start = format!("<tr data-type=\"{}\">", t["task_type"].as_str().unwrap());
            let row = &block[block.find(&start).unwrap()..];
            let row = &row[..row.find("</tr>").unwrap()];
            // Per type, p adjusted across the types (Holm), as `fabula compare` prints it.
            let d = &t["diff"];
            for cell in diff_cells(d, d["p_holm"].as_f64().unwrap()) {
                assert!(
                    row.contains(&cell),
                    "{}: {cell} not in {row}",
                    t["task_type"]
                );
            }
        }
        // The items that moved most, as many as the CLI lists, the first the same.
        let moved = c["moved"].as_array().unwrap();
        assert_eq!(block.matches("<tr data-task=").count(), moved.len());
        if let Some(m) = moved.first() {
            assert!(block.contains(&format!(
                "<tr data-task=\"{}\"><td>{}</td><td class=\"num\">{}</td>",
                m["task"].as_str().unwrap(),
                m["task"].as_str().unwrap(),
                m["sample"].as_u64().unwrap() + 1
            )));
        }
    }
    // Worked by hand from the pairing: the reverse order negates the difference and its
    // interval and swaps wins and losses.
    let cells = |a, b| {
        let block = pair_block(&page, a, b);
        let row = &block[block.find("<tr class=\"overall\">").unwrap()..];
        row[..row.find("</tr>").unwrap()].to_string()
    };
    let ab = cells("sim-writer-a", "sim-writer-b");
    let ba = cells("sim-writer-b", "sim-writer-a");
    let num =
        |row: &str, nth: usize| -> String { row.split("<td").nth(nth + 1).unwrap().to_string() };
    let diff = |row: &str| -> f64 {
        let cell = num(row, 4);
        let v = &cell[cell.find("<strong>").unwrap() + 8..cell.find("</strong>").unwrap()];
        v.parse().unwrap()
    };
    assert_eq!(diff(&ab), -diff(&ba), "{ab}\n{ba}");
    let wtl = |row: &str| num(row, 7);
    let (w, l) = {
        let s = wtl(&ab);
        let parts: Vec<&str> = s
            .trim_start_matches(" class=\"num\">")
            .trim_end_matches("</td>")
            .split(" / ")
            .collect();
        (parts[0].to_string(), parts[2].to_string())
    };
    assert!(
        wtl(&ba).contains(&format!(">{l} / ")) && wtl(&ba).contains(&format!(" / {w}<")),
        "{ab}\n{ba}"
    );
}
