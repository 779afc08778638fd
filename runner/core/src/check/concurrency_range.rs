//! `concurrency-range`: a provider's adaptive concurrency bounds disagree: the ceiling
//! (`concurrency_max`) is below the floor (`concurrency_min`), or the start
//! (`concurrency`) is outside them.
//!
//! Why: the runner cannot honour both; it raises the ceiling to the floor and moves the
//! start inside the bounds, which is probably not what was meant.

use super::{Check, Context, On, Reads};
use crate::diagnostic::Diagnostic;
use crate::path;

pub const CHECK: Check = Check {
    code: "concurrency-range",
    doc: "A provider's adaptive concurrency bounds disagree (concurrency_max below concurrency_min, or concurrency outside them); the runner raises the ceiling to the floor and moves the start inside.",
    on: On::CONFIG,
    reads: Reads::NOTHING,
    run,
};

fn run(cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let Some(config) = cx.config() else { return };
    for (name, p) in &config.providers {
        if !p.adaptive() {
            continue;
        }
        let (floor, ceiling, start) = p.adaptive_bounds();
        if let (Some(min), Some(max)) = (p.concurrency_min, p.concurrency_max)
            && max < min
        {
            out.push(Diagnostic::warning(
                CHECK.code,
                cx.value(&path!["providers", name.as_str(), "concurrency_max"]),
                format!(
                    "concurrency_max {max} is below concurrency_min {min}; the ceiling used is {ceiling}"
                ),
            ));
        } else if let Some(n) = p.concurrency
            && n != start
        {
            out.push(Diagnostic::warning(
                CHECK.code,
                cx.value(&path!["providers", name.as_str(), "concurrency"]),
                format!(
                    "concurrency {n} is outside the adaptive bounds {floor}..{ceiling}; the limit starts at {start}"
                ),
            ));
        }
    }
}
