//! The report and compare requests, over the wire: `fabula/report` answers the page
//! `fabula report` writes (a file's policy by hash, or a webview's by nonce; opened at a
//! task; model text escaped in the packed drill-downs), `fabula/compare` pairs two models
//! on a task with `fabula compare`'s statistics, and the task hover links to both.

mod support;

use base64::Engine as _;
use serde_json::{Value, json};
use std::io::Read;
use std::path::Path;
use support::{Client, find_task, project, uri};

const TASK: &str = "chasqui-road-back";
const NONCE: &str = "c2VjcmV0LW5vbmNlLTEyMzQ1Njc4";
/// What VS Code's `webview.cspSource` is: a list of sources.
const SOURCE: &str = "'self' https://*.vscode-cdn.net";
const HOSTILE: &str = "<script>window.__pwned=1</script></textarea><img src=x onerror=alert(2)> \
                       <a href=\"javascript:alert(3)\">x</a>";

async fn run(client: &Client, model: &str) -> f64 {
    let done = client
        .request(
            "workspace/executeCommand",
            json!({"command": "fabula.server.run", "arguments": [{"task": TASK, "model": model}]}),
        )
        .await;
    done["final"].as_f64().unwrap_or_else(|| panic!("{done}"))
}

/// Rewrites the output of `model`'s generation of `task` with `text`; its evaluations
/// judged another text's hash, so the report shows the item as it is now (not scored),
/// the text included.
fn plant(results: &Path, model: &str, task: &str, text: &str) {
    for entry in std::fs::read_dir(results.join(model).join(task)).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("gen-") {
            continue;
        }
        let mut r: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        r["output"] = text.into();
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

/// The page's policy as a browser reads it (the template escapes `'` and `/`).
fn policy(page: &str) -> String {
    let start = "http-equiv=\"Content-Security-Policy\" content=\"";
    let from = page.find(start).unwrap() + start.len();
    page[from..from + page[from..].find('"').unwrap()]
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_is_the_pages_for_a_file_or_a_webview() {
    let (_dir, root) = project(&[TASK]);
    let client = Client::in_process();
    client.initialize(&root, json!({"trusted": true})).await;
    run(&client, "sim-writer-a").await;
    run(&client, "sim-writer-b").await;

    // The file's page: script and stylesheet by hash, no nonce, no focus.
    let file = client.request("fabula/report", json!({})).await;
    let html = file["html"].as_str().unwrap();
    assert!(
        policy(html).contains("script-src 'sha256-"),
        "{}",
        policy(html)
    );
    assert!(!html.contains("nonce"));
    assert!(!html.contains("<meta name=\"fabula-focus\""));
    assert_eq!(file["models"], 2, "{}", file["models"]);
    assert_eq!(file["tasks"], 1);
    assert_eq!(file["items"], 2);
    assert!(html.contains("sim-writer-a") && html.contains("id=\"leaderboard\""));

    // The webview's: the nonce on the one script and the one stylesheet, the webview's
    // source for styles and images, opened at the task.
    plant(&root.join("results"), "sim-writer-a", TASK, HOSTILE);
    let webview = client
        .request(
            "fabula/report",
            json!({"task": TASK, "webview": {"nonce": NONCE, "cspSource": SOURCE}}),
        )
        .await;
    let html = webview["html"].as_str().unwrap();
    assert_eq!(
        policy(html),
        format!(
            "default-src 'none'; script-src 'nonce-{NONCE}'; style-src {SOURCE} 'nonce-{NONCE}'; \
             img-src {SOURCE} data:; base-uri 'none'; form-action 'none'"
        )
    );
    assert!(!html.contains("sha256-"));
    assert_eq!(
        html.matches(&format!("<script nonce=\"{NONCE}\">")).count(),
        1
    );
    assert_eq!(
        html.matches(&format!("<style nonce=\"{NONCE}\">")).count(),
        1
    );
    assert_eq!(html.matches("<script>").count(), 0);
    assert!(html.contains(&format!("<meta name=\"fabula-focus\" content=\"{TASK}\">")));
    // Model text stays text in the webview's page too.
    let details = details(html);
    assert_eq!(details.len(), 1);
    let d = &details[0];
    assert!(
        d.contains("&lt;script&gt;window.__pwned=1&lt;&#x2f;script&gt;"),
        "{d}"
    );
    for never in ["<script", "<img", "</textarea>", "href=\"javascript"] {
        assert!(!d.contains(never), "{never} came through");
    }

    // A nonce or a source that could end a directive is refused, not escaped.
    for webview in [
        json!({"nonce": "short", "cspSource": SOURCE}),
        json!({"nonce": "abc'; script-src *; x", "cspSource": SOURCE}),
        json!({"nonce": NONCE, "cspSource": "https://x; script-src *"}),
        json!({"nonce": NONCE, "cspSource": "https://x, script-src *"}),
    ] {
        let refused = client
            .call("fabula/report", json!({"webview": webview}))
            .await;
        assert_eq!(refused["error"]["code"], -32602, "{refused}");
    }
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_pairs_two_models_on_a_task_and_the_hover_links_to_it() {
    let (_dir, root) = project(&[TASK]);
    let client = Client::in_process();
    client.initialize(&root, json!({"trusted": true})).await;
    let a = run(&client, "sim-writer-a").await;

    // B has not run: no pair, and the answer says why.
    let lonely = client
        .request(
            "fabula/compare",
            json!({"task": TASK, "a": "sim-writer-a", "b": "sim-writer-b"}),
        )
        .await;
    assert_eq!(lonely["pairs"], 0);
    assert!(lonely.get("overall").is_none(), "{lonely}");
    assert_eq!(lonely["missing"][0]["count"], 1, "{lonely}");
    assert!(
        lonely["missing"][0]["why"]
            .as_str()
            .unwrap()
            .starts_with("B:"),
        "{lonely}"
    );

    let b = run(&client, "sim-writer-b").await;
    let c = client
        .request(
            "fabula/compare",
            json!({"task": TASK, "a": "sim-writer-a", "b": "sim-writer-b"}),
        )
        .await;
    // One sample each (fabula.yaml: samples 1): one pair. Worked by hand: the mean
    // difference is B's final score minus A's; resampling one pair always gives it, so
    // the interval is that point; the sign-flip test has 2 patterns, both as extreme as
    // the observed one: p = 1, exactly.
    assert_eq!(c["items"], 1);
    assert_eq!(c["pairs"], 1);
    let o = &c["overall"];
    let close = |x: &Value, want: f64| (x.as_f64().unwrap() - want).abs() < 1e-9;
    assert!(close(&o["a"], a) && close(&o["b"], b), "{o} vs {a}, {b}");
    assert!(close(&o["diff"], b - a), "{o}");
    assert!(
        close(&o["ci_low"], b - a) && close(&o["ci_high"], b - a),
        "{o}"
    );
    assert!(close(&o["p"], 1.0) && o["exact"] == true, "{o}");
    let (wins, losses) = if b > a { (1, 0) } else { (0, 1) };
    assert_eq!(
        (o["wins"].clone(), o["losses"].clone()),
        (json!(wins), json!(losses))
    );
    assert_eq!(o["ties"], 0);
    let items = c["per_item"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{c}");
    assert_eq!(items[0]["sample"], 0);
    assert!(close(&items[0]["diff"], b - a));
    assert!(!items[0]["reason"].as_str().unwrap().is_empty());
    assert!(!c["criteria"].as_array().unwrap().is_empty(), "{c}");
    for d in c["criteria"].as_array().unwrap() {
        assert_eq!(d["diff"]["pairs"], 1, "{d}");
        assert!(d["diff"]["p_holm"].is_number(), "{d}");
    }

    // Refused: the same model twice, an unknown model, an unknown task.
    for (params, says) in [
        (
            json!({"task": TASK, "a": "sim-writer-a", "b": "sim-writer-a"}),
            "itself",
        ),
        (
            json!({"task": TASK, "a": "sim-writer-a", "b": "nobody"}),
            "no model nobody",
        ),
        (
            json!({"task": "nothing", "a": "sim-writer-a", "b": "sim-writer-b"}),
            "no task nothing",
        ),
    ] {
        let refused = client.call("fabula/compare", params).await;
        let message = refused["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{refused}");
    }

    // The task's hover links to the report at this task and to the comparison.
    let path = find_task(&root.join("dataset/tasks"), TASK).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    client.open(&path, &text);
    let at = text.find(&format!("id: {TASK}")).unwrap() + 4;
    let line = text[..at].matches('\n').count();
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1);
    let hover = client
        .request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri(&path)}, "position": {"line": line, "character": col}}),
        )
        .await;
    let md = hover["contents"]["value"].as_str().unwrap();
    let argument = "%5B%7B%22task%22%3A%22chasqui-road-back%22%7D%5D";
    assert!(
        md.contains(&format!(
            "[Open in report](command:fabula.openReport?{argument})"
        )),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "[Compare two models on this task](command:fabula.compareTask?{argument})"
        )),
        "{md}"
    );
    client.shutdown().await;
}
