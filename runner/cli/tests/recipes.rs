//! The deployment recipes agree with each other and with the code (issue 20: recipes
//! that are checked, not just written). `.ci/run` lints each file with its own tool
//! (hadolint, kubernetes-validate against the Kubernetes schemas, actionlint) and runs
//! the shard → merge → leaderboard path (`deploy/test/shards.sh`); this test checks what
//! those tools cannot: that the Dockerfile copies every workspace member, that the
//! shard count, volume folders, user and image agree across files, and that the
//! commands are the ones `fabula` documents.

use serde_json::Value;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn yaml(rel: &str) -> Value {
    serde_saphyr::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer}"))
}

/// The Dockerfile's instructions per stage, continuation lines joined.
fn dockerfile() -> Vec<Vec<(String, String)>> {
    let text = read("Dockerfile").replace("\\\n", " ");
    let mut stages: Vec<Vec<(String, String)>> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (op, rest) = line.split_once(' ').unwrap_or((line, ""));
        let op = op.to_ascii_uppercase();
        if op == "FROM" {
            stages.push(Vec::new());
        }
        if let Some(stage) = stages.last_mut() {
            stage.push((op, rest.trim().to_string()));
        }
    }
    stages
}

/// The sources of a stage's `COPY` instructions that come from the build context.
fn copied(stage: &[(String, String)]) -> Vec<String> {
    stage
        .iter()
        .filter(|(op, rest)| op == "COPY" && !rest.starts_with("--from"))
        .flat_map(|(_, rest)| {
            let words: Vec<&str> = rest.split_whitespace().collect();
            words[..words.len() - 1]
                .iter()
                .map(|w| w.trim_end_matches('/').to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_dockerfile_builds_every_workspace_member_and_ships_the_project() {
    let stages = dockerfile();
    assert_eq!(stages.len(), 2, "a build stage and a runtime stage");
    let (build, runtime) = (&stages[0], &stages[1]);
    let sources = copied(build);
    for source in sources.iter().chain(&copied(runtime)) {
        assert!(
            repo().join(source).exists(),
            "COPY {source}: not in the repository"
        );
    }
    let ignored: Vec<String> = read(".dockerignore")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();
    for source in sources.iter().chain(&copied(runtime)) {
        assert!(
            !ignored.contains(source),
            "{source} is copied but .dockerignore drops it"
        );
    }
    for member in workspace_members(&read("Cargo.toml")) {
        assert!(
            sources
                .iter()
                .any(|s| member == *s || member.starts_with(&format!("{s}/"))),
            "workspace member {member} is not copied into the build stage: cargo cannot load the workspace"
        );
    }
    let runs: String = build
        .iter()
        .filter(|(op, _)| op == "RUN")
        .map(|(_, r)| r.as_str())
        .collect();
    assert!(
        runs.contains("cargo build --release --locked -p fabula-cli"),
        "{runs}"
    );
    let runtime_sources = copied(runtime);
    for needed in ["fabula.yaml", "dataset"] {
        assert!(
            runtime_sources.iter().any(|s| s == needed),
            "the image lacks {needed}"
        );
    }
    assert!(runtime.contains(&("ENTRYPOINT".into(), r#"["fabula"]"#.into())));
    assert!(runtime.contains(&("WORKDIR".into(), "/project".into())));
    assert!(runtime.contains(&("USER".into(), "10001:10001".into())));
}

/// `[workspace] members = [...]` of the root manifest: the quoted paths between the
/// brackets, on one line or several.
fn workspace_members(manifest: &str) -> Vec<String> {
    let start = manifest
        .find("members = [")
        .expect("a workspace members list");
    let list = &manifest[start..];
    let list = &list[..list.find(']').expect("the members list ends")];
    let members: Vec<String> = list
        .split('"')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect();
    assert!(
        !members.is_empty(),
        "no workspace members read from Cargo.toml"
    );
    members
}

#[test]
fn the_kubernetes_jobs_agree_on_shards_volume_user_and_image() {
    let volume = yaml("deploy/kubernetes/results-volume.yaml");
    let shards = yaml("deploy/kubernetes/shards-job.yaml");
    let merge = yaml("deploy/kubernetes/merge-job.yaml");
    assert_eq!(str_at(&volume, "/kind"), "PersistentVolumeClaim");
    assert!(
        volume["spec"]["accessModes"]
            .as_array()
            .unwrap()
            .contains(&Value::from("ReadWriteMany")),
        "shards on several nodes write at once"
    );
    let claim = str_at(&volume, "/metadata/name");

    let spec = &shards["spec"];
    assert_eq!(str_at(spec, "/completionMode"), "Indexed");
    let completions = spec["completions"].as_u64().unwrap();
    assert_eq!(spec["parallelism"].as_u64(), Some(completions));
    let pod = &spec["template"]["spec"];
    let container = &pod["containers"][0];
    let args: Vec<&str> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        args.windows(3).any(|w| w == ["run", "--shard", "auto"]),
        "{args:?}"
    );
    let env = container["env"].as_array().unwrap();
    let var = |name: &str| {
        env.iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("no env {name}"))
    };
    assert_eq!(
        var("FABULA_SHARD_COUNT")["value"].as_str(),
        Some(completions.to_string().as_str()),
        "FABULA_SHARD_COUNT must equal completions"
    );
    // Each shard its own store, named by the index Kubernetes assigns.
    let mount = &container["volumeMounts"][0];
    assert_eq!(str_at(mount, "/mountPath"), "/project/results");
    let sub = str_at(mount, "/subPathExpr");
    let (prefix, var_name) = sub
        .strip_suffix(')')
        .and_then(|s| s.split_once("$("))
        .expect("subPathExpr: <prefix>$(VAR)");
    assert_eq!(
        str_at(var(var_name), "/valueFrom/fieldRef/fieldPath"),
        "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    );
    assert_eq!(
        str_at(pod, "/volumes/0/persistentVolumeClaim/claimName"),
        claim
    );
    assert_eq!(str_at(pod, "/restartPolicy"), "Never");

    let merge_pod = &merge["spec"]["template"]["spec"];
    let merge_container = &merge_pod["containers"][0];
    let script = str_at(merge_container, "/args/0");
    let data = merge_container["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m.get("subPath").is_none())
        .map(|m| str_at(m, "/mountPath"))
        .expect("the whole volume mounted");
    assert!(
        script.contains(&format!(
            "fabula merge {data}/{prefix}* --into /project/results"
        )),
        "{script}"
    );
    assert!(
        script.contains("fabula leaderboard") && script.contains("--fail-under"),
        "{script}"
    );
    assert_eq!(
        str_at(merge_pod, "/volumes/0/persistentVolumeClaim/claimName"),
        claim
    );
    assert_eq!(
        str_at(container, "/image"),
        str_at(merge_container, "/image")
    );
    for p in [pod, merge_pod] {
        assert_eq!(
            p["securityContext"]["runAsUser"].as_u64(),
            Some(10001),
            "the image's USER"
        );
    }
}

#[test]
fn the_workflow_shards_by_the_matrix_and_merges_what_the_shards_upload() {
    let wf = yaml(".github/workflows/benchmark.yml");
    let jobs = &wf["jobs"];
    assert_eq!(jobs["shard"]["needs"], "build");
    assert_eq!(jobs["merge"]["needs"], "shard");
    let shard = &jobs["shard"];
    assert_eq!(
        str_at(shard, "/env/FABULA_SHARD_INDEX"),
        "${{ strategy.job-index }}"
    );
    assert_eq!(
        str_at(shard, "/env/FABULA_SHARD_COUNT"),
        "${{ strategy.job-total }}"
    );
    assert_eq!(shard["strategy"]["fail-fast"], false);
    let step = |job: &Value, uses: &str, nth: usize| -> Value {
        job["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(uses)))
            .nth(nth)
            .unwrap_or_else(|| panic!("no step {uses} #{nth}"))
            .clone()
    };
    let runs = |job: &Value| -> String {
        job["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["run"].as_str())
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        runs(shard).contains("fabula run --shard auto"),
        "{}",
        runs(shard)
    );
    let upload = step(shard, "actions/upload-artifact@", 0);
    assert_eq!(
        str_at(&upload, "/with/name"),
        "results-${{ strategy.job-index }}"
    );
    assert_eq!(str_at(&upload, "/with/path"), "results/");

    let merge = &jobs["merge"];
    let download = step(merge, "actions/download-artifact@", 1);
    assert_eq!(str_at(&download, "/with/pattern"), "results-*");
    let into = str_at(&download, "/with/path");
    let merge_runs = runs(merge);
    assert!(
        merge_runs.contains(&format!("fabula merge {into}/*")),
        "{merge_runs}"
    );
    assert!(merge_runs.contains("fabula leaderboard") && merge_runs.contains("--fail-under"));
    // The binary built once is the one every job runs.
    assert_eq!(
        str_at(
            &step(&jobs["build"], "actions/upload-artifact@", 0),
            "/with/name"
        ),
        "fabula"
    );
    for job in [shard, merge] {
        assert_eq!(
            str_at(&step(job, "actions/download-artifact@", 0), "/with/name"),
            "fabula"
        );
    }
}
