//! A budget that holds: over many seeds, with mixed prices, concurrent calls, failures
//! and cancellations, what a run spends never exceeds its cap, and the spend is exactly
//! what the calls cost, worked out independently (issue 12).

use fabula_core::model::{FinishReason, ModelConfig, Price, Usage};
use fabula_engine::budget::{Budget, Usd};
use fabula_engine::call::{CallError, ChatRequest, Completion, Message};
use fabula_engine::model::ModelHandle;
use fabula_engine::provider::{BoxFuture, Provider, priced};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A provider that honours `max_tokens` and bills no more than the price says, with
/// random usage, latency, reported costs and failures drawn from a seed.
#[derive(Debug)]
struct Metered {
    price: Price,
    rng: std::sync::Mutex<fastrand::Rng>,
}

impl Provider for Metered {
    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<Completion, CallError>> {
        Box::pin(async move {
            let (delay, outcome, usage, share) = {
                let mut rng = self.rng.lock().unwrap();
                let usage = Usage {
                    prompt_tokens: rng.u64(0..=request.input_tokens_bound()),
                    completion_tokens: rng.u64(0..=u64::from(request.max_tokens)),
                    reasoning_tokens: 0,
                };
                (rng.u64(0..3), rng.u8(0..10), usage, rng.f64() * 0.5 + 0.5)
            };
            tokio::time::sleep(Duration::from_millis(delay)).await;
            match outcome {
                0 => Err(CallError::Timeout(Duration::from_secs(1))),
                1 => Err(CallError::Status {
                    code: 500,
                    body: String::new(),
                    retry_after: None,
                }),
                _ => Ok(Completion {
                    text: "ok".into(),
                    finish: FinishReason::Stop,
                    usage,
                    // Some providers report a cost (no more than the price says), some not.
                    cost_usd: (outcome % 2 == 0)
                        .then(|| priced(usage, Some(self.price)).unwrap() * share),
                    latency: Duration::ZERO,
                    attempts: 1,
                    batch: None,
                }),
            }
        })
    }
}

fn handle(i: usize, rng: &mut fastrand::Rng, budget: &Arc<Budget>) -> ModelHandle {
    let price = Price {
        input: rng.f64() * 15.0,
        output: rng.f64() * 75.0,
    };
    let config = ModelConfig {
        provider: "p".into(),
        model: format!("m{i}"),
        enabled: true,
        temperature: None,
        reasoning: None,
        verbosity: None,
        max_tokens: None,
        price: Some(price),
    };
    let provider = Arc::new(Metered {
        price,
        rng: std::sync::Mutex::new(fastrand::Rng::with_seed(rng.u64(..))),
    });
    ModelHandle::new(&format!("m{i}"), config, provider).with_budget(Arc::clone(budget))
}

fn request(rng: &mut fastrand::Rng) -> ChatRequest {
    ChatRequest {
        model: String::new(),
        messages: vec![
            Message::system("s".repeat(rng.usize(0..3000))),
            Message::user("u".repeat(rng.usize(1..5000))),
        ],
        max_tokens: rng.u32(16..8000),
        temperature: None,
        reasoning: None,
        verbosity: None,
        json: false,
        response_schema: None,
    }
}

/// What one call should have cost the budget, worked out from its result.
fn charge(
    handle: &ModelHandle,
    request: &ChatRequest,
    result: &Result<Completion, CallError>,
) -> Usd {
    match result {
        Ok(c) => Usd::ceil(c.cost_usd.unwrap()).unwrap(),
        Err(e) if e.may_have_billed() => handle.worst_case_cost(request).unwrap(),
        Err(_) => Usd::ZERO,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn spend_never_exceeds_the_cap() {
    let (mut refused_seeds, mut spent_seeds) = (0, 0);
    for seed in 0..150u64 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let cap = 0.01 + rng.f64() * 0.5;
        let budget = Arc::new(Budget::new(cap).unwrap());
        let models: Vec<ModelHandle> = (0..rng.usize(1..5))
            .map(|i| handle(i, &mut rng, &budget))
            .collect();
        let watching = Arc::new(AtomicBool::new(true));
        let watcher = {
            let (budget, watching) = (Arc::clone(&budget), Arc::clone(&watching));
            tokio::spawn(async move {
                while watching.load(Ordering::SeqCst) {
                    assert!(
                        budget.spent() <= budget.cap(),
                        "seed {seed}: {} over {}",
                        budget.spent(),
                        budget.cap()
                    );
                    tokio::task::yield_now().await;
                }
            })
        };
        let calls: Vec<_> = (0..rng.usize(20..120))
            .map(|_| {
                let h = models[rng.usize(..models.len())].clone();
                let r = request(&mut rng);
                tokio::spawn(async move {
                    let result = h.call(&r).await;
                    charge(&h, &r, &result)
                })
            })
            .collect();
        let mut expected = 0u64;
        for c in calls {
            expected += c.await.unwrap().nanos();
        }
        watching.store(false, Ordering::SeqCst);
        watcher.await.unwrap();
        assert!(budget.spent() <= budget.cap(), "seed {seed}");
        assert_eq!(
            budget.spent().nanos(),
            expected,
            "seed {seed}: spend is what the calls cost"
        );
        assert_eq!(
            budget.left().nanos(),
            budget.cap().nanos() - expected,
            "seed {seed}: nothing stays reserved"
        );
        refused_seeds += usize::from(budget.refused() > 0);
        spent_seeds += usize::from(budget.spent() > Usd::ZERO);
    }
    // Not vacuous: most seeds ran into the cap, and most spent something (a small cap
    // can be below every call's worst case at a high price).
    assert!(
        refused_seeds > 100,
        "{refused_seeds} of 150 seeds hit the cap"
    );
    assert!(spent_seeds > 120, "{spent_seeds} of 150 seeds spent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_calls_are_charged_in_full_and_the_cap_still_holds() {
    for seed in 0..40u64 {
        let mut rng = fastrand::Rng::with_seed(1000 + seed);
        let budget = Arc::new(Budget::new(0.05 + rng.f64() * 0.2).unwrap());
        let m = handle(0, &mut rng, &budget);
        let calls: Vec<_> = (0..60)
            .map(|_| {
                let (h, r) = (m.clone(), request(&mut rng));
                tokio::spawn(async move { h.call(&r).await })
            })
            .collect();
        for c in &calls {
            if rng.bool() {
                c.abort();
            }
        }
        for c in calls {
            let _ = c.await;
        }
        assert!(budget.spent() <= budget.cap(), "seed {seed}");
        assert_eq!(
            budget.left().nanos() + budget.spent().nanos(),
            budget.cap().nanos(),
            "seed {seed}: nothing stays reserved"
        );
    }
}

#[tokio::test]
async fn a_refused_call_sends_nothing_and_says_what_was_needed() {
    let budget = Arc::new(Budget::new(0.01).unwrap());
    let mut rng = fastrand::Rng::with_seed(7);
    let mut m = handle(0, &mut rng, &budget);
    m.config.price = Some(Price {
        input: 2.0,
        output: 10.0,
    });
    // 1,000 + 8 input tokens at $2/M and 2,000 output tokens at $10/M:
    // (2,016 + 20,000) / 1e6 = $0.022016 > $0.01.
    let r = ChatRequest {
        messages: vec![Message::user("u".repeat(1000))],
        max_tokens: 2000,
        ..request(&mut rng)
    };
    let e = m.call(&r).await.unwrap_err();
    assert_eq!(
        e,
        CallError::OverBudget {
            needed: Usd::ceil(0.022016).unwrap(),
            left: Usd::ceil(0.01).unwrap()
        }
    );
    assert_eq!(
        e.to_string(),
        "over budget: this call could cost up to $0.0220 and $0.0100 of the budget is left"
    );
    assert_eq!((budget.spent(), budget.refused()), (Usd::ZERO, 1));
}

#[tokio::test]
async fn unpriced_models_are_refused_unless_allowed() {
    let mut rng = fastrand::Rng::with_seed(9);
    let strict = Arc::new(Budget::new(1.0).unwrap());
    let mut m = handle(0, &mut rng, &strict);
    m.config.price = None;
    let e = m.call(&request(&mut rng)).await.unwrap_err();
    assert!(e.to_string().contains("has no price"), "{e}");
    assert_eq!(strict.refused(), 0, "not a refusal for want of money");
    // Allowed: reserved at zero, and what the provider reports still counts.
    let lenient = Arc::new(Budget::new(1.0).unwrap().allowing_unpriced());
    let m = m.with_budget(Arc::clone(&lenient));
    let mut expected = Usd::ZERO.nanos();
    let mut reported = 0;
    for _ in 0..30 {
        if let Ok(c) = m.call(&request(&mut rng)).await
            && let Some(cost) = c.cost_usd
        {
            expected += Usd::ceil(cost).unwrap().nanos();
            reported += 1;
        }
    }
    assert!(reported > 0);
    assert_eq!(lenient.spent().nanos(), expected);
}
