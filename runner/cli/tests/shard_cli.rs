//! `--shard auto` with the real binary (issue 20): the shard comes from a Kubernetes
//! Indexed Job's `JOB_COMPLETION_INDEX` or a CI matrix's `FABULA_SHARD_INDEX` (0-based)
//! with `FABULA_SHARD_COUNT`, and is the same shard as `--shard I/N` (1-based).

pub mod support;

use support::{fabula, shipped_project, text};

/// The dry run's plan as JSON.
fn plan(dir: &std::path::Path, shard: &str, env: &[(&str, &str)]) -> serde_json::Value {
    let o = fabula(dir, &["run", "--dry-run", "--json", "--shard", shard], env);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn generations(plan: &serde_json::Value) -> u64 {
    plan["generations"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum()
}

#[test]
fn auto_is_the_same_shard_as_the_explicit_one_from_either_variable() {
    let project = shipped_project();
    let p = project.path();
    let whole = fabula(p, &["run", "--dry-run", "--json"], &[]);
    let whole: serde_json::Value = serde_json::from_slice(&whole.stdout).unwrap();
    let mut sum = 0;
    for index in 0..4 {
        let i = index.to_string();
        let explicit = plan(p, &format!("{}/4", index + 1), &[]);
        let k8s = plan(
            p,
            "auto",
            &[("JOB_COMPLETION_INDEX", &i), ("FABULA_SHARD_COUNT", "4")],
        );
        let matrix = plan(
            p,
            "auto",
            &[("FABULA_SHARD_INDEX", &i), ("FABULA_SHARD_COUNT", "4")],
        );
        assert_eq!(k8s, explicit, "shard {index}");
        assert_eq!(matrix, explicit, "shard {index}");
        assert!(generations(&explicit) > 0, "shard {index} is empty");
        sum += generations(&explicit);
    }
    assert_eq!(sum, generations(&whole), "the shards partition the work");
}

#[test]
fn auto_without_an_index_or_out_of_range_is_a_usage_error() {
    let project = shipped_project();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[],
            "no shard index in the environment; set FABULA_SHARD_INDEX",
        ),
        (
            &[("JOB_COMPLETION_INDEX", "2")],
            "FABULA_SHARD_COUNT (the number of shards) is not set",
        ),
        (
            &[("FABULA_SHARD_INDEX", "4"), ("FABULA_SHARD_COUNT", "4")],
            "FABULA_SHARD_INDEX=4 with FABULA_SHARD_COUNT=4; need 0 <= index < count",
        ),
    ];
    for (env, want) in cases {
        let o = fabula(
            project.path(),
            &["run", "--dry-run", "--shard", "auto"],
            env,
        );
        assert_eq!(o.status.code(), Some(2), "{env:?}: {}", text(&o));
        assert!(text(&o).contains(want), "{env:?}: {}", text(&o));
    }
}
