//! Hover text: a beat's definition and elements, a theory's outline, a task's scores,
//! else the schema's documentation of the field under the cursor (read off the text when
//! the file has never parsed); and, above it, what each diagnostic under the cursor means
//! (its check's doc, the text `fabula check --explain` prints).

use super::Target;
use fabula_core::diagnostic::Diagnostic;
use fabula_core::document::Document;
use fabula_core::schema;
use fabula_core::syntax::Place;
use fabula_core::text::TextRange;
use fabula_core::workspace::Workspace;
use fabula_eval::agreement::RankingAgreement;
use fabula_eval::scores::ModelScore;
use std::fmt::Write as _;

pub fn hover(
    ws: &Workspace,
    doc: &Document,
    offset: u32,
    scores: &[ModelScore],
    people: &[RankingAgreement],
) -> Option<(String, TextRange)> {
    if let Some((target, range)) = super::target_at(doc, offset) {
        let text = match &target {
            Target::Beat { theory, beat } => beat_text(ws, theory, beat),
            Target::Theory(id) => theory_text(ws, id),
            Target::TaskId(id) => {
                Some(scores_text(id, scores) + &people_text(people) + &links_text(id))
            }
        };
        if let Some(text) = text {
            return Some((text, range));
        }
    }
    if doc.value.is_none() {
        return from_text(doc, offset);
    }
    let spans = doc.spans()?;
    let (path, place) = spans.locate(offset);
    let kind = doc.kind?;
    let value = doc.value.as_ref()?;
    let text = schema::field_doc(kind, value, &path)?;
    let node = spans.find(&path).0;
    let range = match place {
        Place::Key => node.key_or_value(),
        Place::Value => node.value,
    };
    let name = path.to_string();
    Some((format!("**{name}**\n\n{text}"), range))
}

/// Field docs for a file with no tree to look in (it has never parsed): the key under the
/// cursor, its path read off the indentation above it.
fn from_text(doc: &Document, offset: u32) -> Option<(String, TextRange)> {
    let kind = doc.kind?;
    let text = &doc.text;
    let at = (offset as usize).min(text.len());
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = &text[line_start..line_end];
    let body = line.trim_start();
    let mut start = line_start + (line.len() - body.len());
    let body = match body.strip_prefix("- ") {
        Some(rest) => {
            start += 2;
            rest
        }
        None => body,
    };
    let (key, _) = body.split_once(':')?;
    let key = key.trim_end();
    let plain = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    if key.is_empty() || !key.chars().all(plain) {
        return None;
    }
    let end = start + key.len();
    if at < start || at > end {
        return None;
    }
    let cx = super::completion::context(text, start);
    let mut path = cx.parent;
    if cx.item {
        path = path.index(0);
    }
    let path = path.key(key);
    // The task type picks the schema branch; it is on a top-level line of its own.
    let instance = text
        .lines()
        .find_map(|l| l.strip_prefix("type:"))
        .map(|t| serde_json::json!({ "type": t.trim() }))
        .unwrap_or_default();
    let docs = schema::field_doc(kind, &instance, &path)?;
    let range = TextRange::new(start, end);
    Some((format!("**{path}**\n\n{docs}"), range))
}

/// What the diagnostics in `found` mean, one paragraph per code.
pub fn explanations<'a>(found: impl Iterator<Item = &'a Diagnostic>) -> String {
    let mut out = String::new();
    let mut seen = Vec::new();
    for d in found {
        if seen.contains(&d.code) {
            continue;
        }
        seen.push(d.code);
        if let Some(text) = fabula_core::check::explain(d.code) {
            let _ = write!(out, "**`{}`**: {text}\n\n", d.code);
        }
    }
    out
}

fn beat_text(ws: &Workspace, theory: &str, beat: &str) -> Option<String> {
    let (_, t) = ws.theory(theory)?;
    let i = t.beats.iter().position(|b| b.id == beat)?;
    let b = &t.beats[i];
    let mut s = format!(
        "**{}** (`{}`): beat {} of {} in {}\n\n{}\n\n**Must contain:**\n",
        b.name,
        b.id,
        i + 1,
        t.beats.len(),
        t.name,
        b.definition.trim()
    );
    for e in &b.elements {
        let _ = writeln!(s, "- {e}");
    }
    Some(s)
}

fn theory_text(ws: &Workspace, id: &str) -> Option<String> {
    let (_, t) = ws.theory(id)?;
    let mut s = format!("**{}** (`{}`)\n\n{}\n\n", t.name, t.id, t.summary.trim());
    for (i, b) in t.beats.iter().enumerate() {
        let _ = writeln!(s, "{}. {} (`{}`)", i + 1, b.name, b.id);
    }
    Some(s)
}

/// How the judges' order of the task's outputs compares with each person's ranking.
pub fn people_text(people: &[RankingAgreement]) -> String {
    if people.is_empty() {
        return String::new();
    }
    let order = |groups: &[Vec<String>]| {
        groups
            .iter()
            .map(|g| {
                g.iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(" = ")
            })
            .collect::<Vec<_>>()
            .join(" > ")
    };
    let mut s = String::from("\n#### People's rankings against the judges\n\n");
    for r in people {
        let tau = r
            .median_tau
            .map_or_else(|| "-".to_owned(), |t| format!("{t:+.2}"));
        let _ = writeln!(
            s,
            "- {} (sample {}): {} · judges' median: {} · tau-b **{tau}**",
            escape_markdown(&r.rater),
            r.sample,
            order(&r.human),
            order(&r.median_order),
        );
    }
    s
}

/// Links to the task in the report and to a comparison of two models on it: `command:`
/// links to the extension's client commands (`protocol::command::OPEN_REPORT`,
/// `COMPARE_TASK`), which it trusts in hovers, and only these. Other editors show them as
/// plain links.
pub fn links_text(task: &str) -> String {
    let link = |command: &str| {
        let argument = serde_json::json!([crate::protocol::TaskLink {
            task: task.to_owned()
        }]);
        format!(
            "command:{command}?{}",
            percent_encode(&argument.to_string())
        )
    };
    format!(
        "\n[Open in report]({}) · [Compare two models on this task]({})\n",
        link(crate::protocol::command::OPEN_REPORT),
        link(crate::protocol::command::COMPARE_TASK),
    )
}

/// Everything but unreserved URI characters as `%XX`: the JSON argument of a `command:`
/// link, which VS Code decodes before parsing, can then hold no `)` or space to end the
/// Markdown link early.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A person's id shown as text, never as Markdown or HTML.
fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\`*_{}[]()#+-.!|<>&~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Each model's latest score with the judges' breakdown.
pub fn scores_text(task: &str, scores: &[ModelScore]) -> String {
    let mut s = format!("### Scores for `{task}`\n\n");
    if scores.is_empty() {
        s.push_str("No results yet. Run it with the code lens or `fabula run --task ");
        s.push_str(task);
        s.push_str("`.\n");
        return s;
    }
    for m in scores {
        // One scale everywhere: scores 0-100, as the leaderboard prints them.
        let one = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"));
        let two =
            |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{:.1}", v * 100.0));
        let _ = write!(
            s,
            "**{}**{}{}: final **{}** (programmatic {} · judges {}) · {} · ${:.4} · {}",
            m.model,
            if m.simulated { " (sim)" } else { "" },
            if m.judged_by_simulator {
                " (sim judges)"
            } else {
                ""
            },
            one(m.final_score),
            one(m.programmatic),
            one(m.judge),
            match m.pass {
                Some(true) => "pass",
                Some(false) => "fail",
                None => "no verdict",
            },
            m.cost_usd,
            m.created_at
                .get(..16)
                .unwrap_or(&m.created_at)
                .replace('T', " "),
        );
        if m.stale {
            s.push_str(" · **stale**: the task or its configuration changed since");
        }
        if m.failed_judges > 0 {
            let _ = write!(s, " · {} judge answer(s) failed", m.failed_judges);
        }
        match m.standing {
            fabula_eval::scoring::Standing::ModelFailed(kind) => {
                let _ = write!(
                    s,
                    " · **model failure** ({}: scores 0): {}",
                    kind.as_str(),
                    m.error.as_deref().unwrap_or("")
                );
            }
            fabula_eval::scoring::Standing::Unjudgeable => {
                s.push_str(" · no judge could score it: judge part 0");
            }
            fabula_eval::scoring::Standing::Incomplete(gap) => {
                let _ = write!(s, " · **incomplete**: {}", gap.describe());
                if let Some(e) = &m.error {
                    let _ = write!(s, " ({e})");
                }
            }
            fabula_eval::scoring::Standing::Scored => {}
        }
        s.push_str("\n\n");
        if m.criteria.is_empty() || m.judges.is_empty() {
            continue;
        }
        let _ = writeln!(
            s,
            "| criterion | weight | median | {} |",
            m.judges.join(" | ")
        );
        let _ = writeln!(s, "|---|---:|---:|{}", "---|".repeat(m.judges.len()));
        for c in &m.criteria {
            let verdicts: Vec<&str> = m
                .judges
                .iter()
                .map(|j| {
                    c.verdicts
                        .iter()
                        .find(|(name, _)| name == j)
                        .map_or("-", |(_, v)| v.as_str())
                })
                .collect();
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                c.criterion,
                c.weight,
                two(c.median),
                verdicts.join(" | ")
            );
        }
        s.push('\n');
    }
    s
}
