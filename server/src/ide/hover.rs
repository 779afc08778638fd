//! Hover text: a beat's definition and elements, a theory's outline, a task's scores,
//! else the schema's documentation of the field under the cursor.

use super::Target;
use fabula_core::document::Document;
use fabula_core::schema;
use fabula_core::syntax::Place;
use fabula_core::text::TextRange;
use fabula_core::workspace::Workspace;
use fabula_engine::scores::ModelScore;
use std::fmt::Write as _;

pub fn hover(
    ws: &Workspace,
    doc: &Document,
    offset: u32,
    scores: &[ModelScore],
) -> Option<(String, TextRange)> {
    if let Some((target, range)) = super::target_at(doc, offset) {
        let text = match &target {
            Target::Beat { theory, beat } => beat_text(ws, theory, beat),
            Target::Theory(id) => theory_text(ws, id),
            Target::TaskId(id) => Some(scores_text(id, scores)),
        };
        if let Some(text) = text {
            return Some((text, range));
        }
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
        let two = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.2}"));
        let _ = write!(
            s,
            "**{}**{}: final **{}** (programmatic {} · judges {}) · {} · ${:.4} · {}",
            m.model,
            if m.simulated { " (sim)" } else { "" },
            two(m.final_score.map(|f| f / 100.0)),
            two(m.programmatic),
            two(m.judge),
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
