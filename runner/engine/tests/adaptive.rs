//! Adaptive concurrency (issue 20) against a local server that admits at most K requests
//! at once and answers the rest 429 with a short `Retry-After`: a whole run (generation
//! and judge of every task) with a floor of 2 and a ceiling of 64 finds K, keeps its
//! limit near it, and has under 5% of its requests answered 429.

mod local;

use fabula_engine::recorder;
use fabula_fake_server::{FakeServer, model_reply};
use local::Slots;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What the server admits at once.
const K: usize = 16;
const TASKS: usize = 300;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_converges_near_what_the_server_admits_with_few_429s() {
    let server = Arc::new(
        FakeServer::start_limited(Duration::from_millis(30), K, 0.05, |_, seen| {
            model_reply(&seen.body)
        })
        .await,
    );
    let slots = Slots {
        fixed: None,
        floor: Some(2),
        ceiling: Some(64),
    };
    let config = local::config(&server.url(), slots, 10);
    let engine = local::engine(&config, 10);
    let jobs = local::jobs(&local::workspace(), &config, TASKS);

    // The provider's adaptive limit, sampled every 2 ms while the run lasts.
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (engine, done) = (Arc::clone(&engine), Arc::clone(&done));
        tokio::spawn(async move {
            let adaptive = || {
                engine.models["writer"]
                    .provider
                    .limits()
                    .and_then(|l| l.adaptive())
                    .expect("an adaptive limit")
                    .limit() as usize
            };
            let mut samples = Vec::new();
            while !done.load(Ordering::SeqCst) {
                samples.push(adaptive());
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            samples
        })
    };
    let started = Instant::now();
    let (tally, _) = recorder::run_collecting(&engine, jobs, None).await;
    let wall = started.elapsed();
    done.store(true, Ordering::SeqCst);
    let samples = sampler.await.unwrap();

    assert_eq!(tally.generations, TASKS);
    assert_eq!(tally.evaluations, TASKS);
    assert_eq!(
        tally.failed(),
        0,
        "every 429 was retried: {:?}",
        tally.examples
    );
    let requests = server.hits();
    let rejected = server.rejected();
    assert_eq!(requests - rejected, 2 * TASKS, "one success per call");
    let share = rejected as f64 / requests as f64;
    assert!(
        share < 0.05,
        "{rejected} of {requests} requests answered 429 ({:.1}%)",
        share * 100.0
    );
    assert_eq!(server.max_admitted(), K, "the limit reached K");
    // Over the middle half of the run the limit sits near K: its median sample is at
    // least three quarters of K (a limit that halved and stayed down, or stayed at the
    // floor of 2, would not be) and at most K + 1 (one probe above).
    let middle = &samples[samples.len() / 4..samples.len() * 3 / 4];
    let mut sorted = middle.to_vec();
    sorted.sort_unstable();
    let median = sorted[sorted.len() / 2];
    assert!(
        (K * 3 / 4..=K + 1).contains(&median),
        "median limit {median} of {} samples in {wall:?} ({rejected} of {requests} answered 429): {middle:?}",
        middle.len()
    );
}
