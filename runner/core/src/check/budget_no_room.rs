//! `budget-no-room`: a token budget whose reasoning allowance is not smaller than its
//! total (`max_tokens` ≤ `max_reasoning`), in a task, in `fabula.yaml`'s per-type budgets,
//! or in a model's reasoning budget against its `max_tokens`.
//!
//! Why: reasoning tokens count against the total; with no room left the answer is cut
//! off (finish reason `length`) and the generation fails.

use super::{Check, Context, On, Reads};
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::model::TokenBudget;
use crate::path;
use crate::path::Path;

pub const CHECK: Check = Check {
    code: "budget-no-room",
    doc: "max_tokens is not larger than max_reasoning; reasoning counts against the total, so the answer would be cut off.",
    on: On::TASKS.with_config(),
    reads: Reads::NOTHING,
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    if let Some(task) = cx.task() {
        if let Some(b) = task.budget {
            check(cx, b, &path!["budget"], "max_reasoning", out);
        }
    } else if let Some(config) = cx.config() {
        for (ty, b) in &config.settings.budgets {
            check(
                cx,
                *b,
                &path!["settings", "budgets", ty.as_str()],
                "max_reasoning",
                out,
            );
        }
        for (name, model) in &config.models {
            let reasoning = model.reasoning.as_ref().and_then(|r| r.max_tokens);
            let b = TokenBudget {
                max_tokens: model.max_tokens,
                max_reasoning: reasoning,
            };
            let at = path!["models", name.as_str()];
            if let (Some(total), Some(reasoning)) = (b.max_tokens, b.max_reasoning)
                && total <= reasoning
            {
                out.push(Diagnostic::error(
                    CHECK.code,
                    cx.value(&at.clone().key("max_tokens")),
                    format!("max_tokens {total} leaves no room for the answer after reasoning.max_tokens {reasoning}"),
                ));
            }
        }
    }
}

fn check(
    cx: &Context<'_>,
    b: TokenBudget,
    at: &Path,
    reasoning_key: &str,
    out: &mut Vec<Diagnostic>,
) {
    let (Some(total), Some(reasoning)) = (b.max_tokens, b.max_reasoning) else {
        return;
    };
    if total > reasoning {
        return;
    }
    let total_range = cx.value(&at.clone().key("max_tokens"));
    let reasoning_range = cx.value(&at.clone().key(reasoning_key));
    let mut d = Diagnostic::error(
        CHECK.code,
        total_range,
        format!("max_tokens {total} leaves no room for the answer after max_reasoning {reasoning}"),
    );
    if total < reasoning {
        d = d.with_fix(Fix {
            title: "swap max_tokens and max_reasoning".to_owned(),
            edits: vec![
                Edit {
                    range: total_range,
                    replacement: reasoning.to_string(),
                },
                Edit {
                    range: reasoning_range,
                    replacement: total.to_string(),
                },
            ],
        });
    }
    out.push(d);
}
