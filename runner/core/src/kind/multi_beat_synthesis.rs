//! Multi-beat synthesis: write three consecutive beats with per-beat requirements and
//! setups planted in one beat and paid off in another.

use super::{Dialogue, Single, TaskInput, TaskKind, body, common_items};
use crate::criteria::Per;
use crate::model::TaskType;
use crate::prompt;
use crate::template::render;

pub(super) struct Kind;

fn prompt_text(input: TaskInput<'_>) -> String {
    let t = body!(input, MultiBeatSynthesis);
    let mut requirements = String::new();
    for b in &t.beats {
        requirements.push_str(&prompt::beats(input.theory, std::slice::from_ref(&b.beat)));
        for r in &b.requirements {
            requirements.push_str(&render("requirement_line", &[("requirement", r)]));
        }
    }
    let links: String = t
        .links
        .iter()
        .map(|l| {
            render(
                "link_line",
                &[
                    ("kind", &l.kind.replace('_', " ")),
                    ("from", &l.from),
                    ("to", &l.to),
                    ("description", l.description.trim()),
                ],
            )
        })
        .collect();
    render(
        "multi_beat_synthesis",
        &[
            ("theory", &prompt::theory_name(input.theory)),
            ("premise", &t.premise),
            ("beat_requirements", &requirements),
            ("links", &links),
            ("min", &prompt::min(input.task)),
            ("max", &prompt::max(input.task)),
        ],
    )
}

impl TaskKind for Kind {
    fn task_type(&self) -> TaskType {
        TaskType::MultiBeatSynthesis
    }
    fn label(&self) -> &'static str {
        "multi"
    }
    fn templates(&self) -> &'static [&'static str] {
        &[
            "multi_beat_synthesis",
            "requirement_line",
            "link_line",
            "item_requirement",
            "item_link",
        ]
    }
    fn dialogue<'a>(&self, input: TaskInput<'a>) -> Box<dyn Dialogue + 'a> {
        Single::new(Ok(prompt_text(input)))
    }
    fn judge_brief(&self, input: TaskInput<'_>) -> String {
        prompt_text(input)
    }
    fn items(&self, input: TaskInput<'_>, per: Per, _criterion: &str) -> Vec<String> {
        let t = body!(input, MultiBeatSynthesis);
        match per {
            Per::Requirements => t
                .beats
                .iter()
                .flat_map(|b| {
                    b.requirements.iter().map(|r| {
                        render("item_requirement", &[("beat", &b.beat), ("requirement", r)])
                    })
                })
                .collect(),
            Per::Links => t
                .links
                .iter()
                .map(|l| {
                    render(
                        "item_link",
                        &[
                            ("kind", &l.kind.replace('_', " ")),
                            ("from", &l.from),
                            ("to", &l.to),
                            ("description", l.description.trim()),
                        ],
                    )
                })
                .collect(),
            other => {
                let beats: Vec<String> = t.beats.iter().map(|b| b.beat.clone()).collect();
                common_items(input, other, &beats)
            }
        }
    }
}
