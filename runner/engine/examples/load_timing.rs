//! How long loading a results store takes: `cargo run --release -p fabula-engine
//! --example load_timing -- <results dir>`.

use std::time::Instant;

fn main() {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "results".into());
    let store = fabula_engine::store::Store::new(dir);
    for _ in 0..3 {
        let t = Instant::now();
        let loaded = store.load();
        let out = format!(
            "{} generations, {} evaluations, {} problems in {:?}\n",
            loaded.generations.len(),
            loaded.evaluations.len(),
            loaded.problems.len(),
            t.elapsed()
        );
        std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes()).unwrap();
    }
    // With a project root as second argument: the leaderboard's own time, and its parts.
    let Some(root) = std::env::args().nth(2) else {
        return;
    };
    let ws = fabula_engine::project::workspace(std::path::Path::new(&root)).unwrap();
    let config = ws.config().unwrap().1.clone();
    let slop = fabula_engine::project::slop(&ws);
    let tasks: Vec<_> = fabula_eval::prepared::tasks(&ws, &config)
        .into_iter()
        .map(std::sync::Arc::new)
        .collect();
    let loaded = store.load();
    let t = Instant::now();
    let mut sum = 0.0;
    for (_, g) in &loaded.generations {
        let task = tasks.iter().find(|x| x.task.id == g.task).unwrap();
        sum += fabula_core::metrics::programmatic(&g.output, task.task.words, &slop).total;
    }
    let metrics = t.elapsed();
    let dialects = fabula_engine::setup::dialects(&config, &fabula_engine::env::Env::default());
    let current = fabula_eval::fingerprint::Current::new(&config, &slop, &dialects);
    let t = Instant::now();
    let board = fabula_eval::leaderboard::compute(
        &current,
        &tasks,
        &loaded,
        &["sim-writer-a".into(), "sim-writer-b".into()],
        &config.judges,
        &Default::default(),
    );
    let out = format!(
        "programmatic over all outputs {metrics:?} (sum {sum:.1}); leaderboard compute {:?} ({} rows)\n",
        t.elapsed(),
        board.rows.len()
    );
    std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes()).unwrap();
}
