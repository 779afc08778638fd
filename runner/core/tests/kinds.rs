//! Task kinds: one per type, each declaring every template it renders, with protocols
//! that walk the way the engine drives them. The rendered prompts of one task per type
//! are snapshots: a wording change shows up here as a diff to read.

mod support;

use fabula_core::judge;
use fabula_core::kind::{self, Ask, KINDS, Next, Party, SHARED_TEMPLATES};
use fabula_core::model::{Actor, TaskType};
use fabula_core::template;
use std::collections::BTreeSet;

#[test]
fn every_type_has_one_kind_in_order_with_a_unique_label() {
    let types: Vec<TaskType> = KINDS.iter().map(|k| k.task_type()).collect();
    assert_eq!(types, TaskType::ALL.to_vec());
    let labels: BTreeSet<&str> = KINDS.iter().map(|k| k.label()).collect();
    assert_eq!(labels.len(), KINDS.len());
    for t in TaskType::ALL {
        assert_eq!(kind::of(t).task_type(), t);
    }
}

#[test]
fn every_kind_declares_every_template_it_renders() {
    let ws = support::load_project();
    let slop = support::slop(&ws);
    for loaded in support::tasks(&ws) {
        let input = loaded.input(&slop);
        let k = kind::of(loaded.task.task_type());
        let ((), used) = template::recording(|| {
            let asks = kind::rehearse(input);
            let rubric = judge::rubric(input);
            let view = k.judge_view(&kind::stand_in_generation(k.task_type(), &asks));
            judge::prompt(input, &rubric, &view, &judge::fence(0));
        });
        let declared: BTreeSet<&str> = SHARED_TEMPLATES
            .iter()
            .chain(k.templates())
            .chain(judge::TEMPLATES)
            .copied()
            .collect();
        let missing: Vec<&String> = used
            .iter()
            .filter(|u| !declared.contains(u.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "{} ({}) renders undeclared templates {missing:?}",
            loaded.task.id,
            k.task_type()
        );
        for t in k.templates() {
            assert!(
                template::names().contains(t),
                "{}: no template `{t}`",
                k.task_type()
            );
        }
    }
}

#[test]
fn rehearsals_walk_each_protocol_within_its_call_count() {
    let ws = support::load_project();
    let slop = support::slop(&ws);
    for loaded in support::tasks(&ws) {
        let input = loaded.input(&slop);
        let k = kind::of(loaded.task.task_type());
        let asks = kind::rehearse(input);
        let calls = k.calls(&loaded.task);
        let writer = asks.iter().filter(|a| a.party == Party::Writer).count();
        let helper = asks.len() - writer;
        assert!(writer >= 1, "{}", loaded.task.id);
        assert!(
            writer <= calls.writer && helper <= calls.helper,
            "{}: rehearsal made {writer}+{helper} calls, planning allows {calls:?}",
            loaded.task.id
        );
        // A rehearsal takes the longest path: planning's worst case is reached.
        assert_eq!(
            (writer, helper),
            (calls.writer, calls.helper),
            "{}",
            loaded.task.id
        );
        match k.helper() {
            Some(p) => assert!(
                asks.iter()
                    .all(|a| a.party == Party::Writer || a.party == p)
            ),
            None => assert_eq!(helper, 0),
        }
    }
}

#[test]
fn discovery_markers_are_the_ones_its_prompt_teaches() {
    let intro = template::text("discovery_intro");
    assert!(intro.contains(kind::QUESTION), "{intro}");
    assert!(intro.contains(kind::READY), "{intro}");
    assert_eq!(
        kind::question_in(&format!("{} Is it dark?", kind::QUESTION)),
        Some("Is it dark?".into())
    );
}

/// Drives a dialogue with scripted answers, as the engine would.
fn drive(input: fabula_core::kind::TaskInput<'_>, answers: &[&str]) -> (Vec<Ask>, Next) {
    let mut d = kind::of(input.task.task_type()).dialogue(input);
    let mut asks = Vec::new();
    let mut next = d.start();
    let mut answers = answers.iter();
    while let Next::Ask(ask) = next.clone() {
        asks.push(ask);
        let Some(a) = answers.next() else { break };
        next = d.answer(a);
    }
    (asks, next)
}

#[test]
fn discovery_stops_asking_when_the_model_is_ready_and_fails_on_a_confused_oracle() {
    let ws = support::load_project();
    let slop = support::slop(&ws);
    let tasks = support::tasks(&ws);
    let d = tasks
        .iter()
        .find(|t| t.task.task_type() == TaskType::AgenticConstraintDiscovery)
        .unwrap();
    let input = d.input(&slop);
    let (asks, next) = drive(
        input,
        &[
            "QUESTION: Is there a dog?",
            r#"{"answer": "NO", "reveals": []}"#,
            "READY",
            "The story.",
        ],
    );
    let parties: Vec<Party> = asks.iter().map(|a| a.party).collect();
    assert_eq!(
        parties,
        [Party::Writer, Party::Oracle, Party::Writer, Party::Writer]
    );
    assert_eq!(asks[2].shown_as, Actor::Oracle);
    assert!(
        asks[2].prompt.starts_with("ANSWER: NO"),
        "{}",
        asks[2].prompt
    );
    assert!(asks[1].json);
    assert_eq!(next, Next::Done);
    let (_, next) = drive(input, &["QUESTION: Is there a dog?", "Perhaps, it depends"]);
    assert!(
        matches!(next, Next::Fail(fabula_core::model::FailureKind::Helper, ref m) if m.contains("YES, NO or INVALID")),
        "{next:?}"
    );
}

#[test]
fn rendered_prompts_of_one_task_per_type() {
    let ws = support::load_project();
    let slop = support::slop(&ws);
    let tasks = support::tasks(&ws);
    for t in TaskType::ALL {
        let loaded = tasks
            .iter()
            .find(|l| l.task.task_type() == t)
            .expect("the dataset covers every type");
        let input = loaded.input(&slop);
        let asks = kind::rehearse(input);
        let mut text = format!("# {} ({t})\n", loaded.task.id);
        text.push_str(&format!(
            "\n## system (writer)\n{}\n",
            template::render("system", &[])
        ));
        for (i, a) in asks.iter().enumerate() {
            text.push_str(&format!(
                "\n## {} {:?} (shown as {:?}{})\n{}\n",
                i + 1,
                a.party,
                a.shown_as,
                if a.json { ", JSON" } else { "" },
                a.prompt
            ));
        }
        let k = kind::of(t);
        let rubric = judge::rubric(input);
        let view = k.judge_view(&kind::stand_in_generation(t, &asks));
        text.push_str(&format!(
            "\n## judge\n{}\n",
            judge::prompt(input, &rubric, &view, &judge::fence(0))
        ));
        insta::assert_snapshot!(format!("prompts_{t}"), text);
    }
}
