//! Adaptive concurrency for one provider (AIMD), owned by [`crate::limits::Limits`]: a
//! limit on requests in flight that starts at a configured value and follows what the
//! provider can take.
//!
//! - **Multiplicative decrease**: a 429, or latency rising well above its running
//!   baseline, halves the limit (never below the floor). Only a request started since
//!   the last decrease can cause one: the requests already in flight when it happened saw
//!   the old limit, so one overload episode halves once.
//! - **Additive increase**: a window of successes (four times the limit, about four
//!   round trips) adds one slot, up to the ceiling. A probe above what the provider
//!   admits costs one 429 per window, so the window sets the share of 429s (about one
//!   in 4.5 × the limit, with the recovery's successes).
//! - **Recovery**: below the level that last proved too high (one under the limit that
//!   overloaded, one less for every further 429 of the same episode), every success adds
//!   a slot, so a halving costs a short dip rather than a long climb, and the limit spends
//!   most of its time just under what the provider admits. Before the first overload the
//!   whole range is recovery: the limit doubles every round trip, as a TCP slow start.
//!
//! The state machine ([`State`]) is plain and tested with hand-fed signals; [`Adaptive`]
//! wraps it with a mutex and a wake-up for waiting callers.

use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Floor, ceiling and starting value of an adaptive limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdaptivePolicy {
    pub floor: u32,
    pub ceiling: u32,
    pub start: u32,
}

impl AdaptivePolicy {
    /// A policy from configured values, made consistent: a floor of at least 1, a ceiling
    /// of at least the floor, a start between them.
    pub fn new(floor: u32, ceiling: u32, start: u32) -> AdaptivePolicy {
        let floor = floor.max(1);
        let ceiling = ceiling.max(floor);
        AdaptivePolicy {
            floor,
            ceiling,
            start: start.clamp(floor, ceiling),
        }
    }
}

/// Successes per added slot above the recovery level: this many times the limit.
pub const WINDOW_PER_SLOT: u32 = 4;
/// Latency counts as risen when its recent average is this many times the baseline.
pub const LATENCY_FACTOR: f64 = 2.0;
/// Weight of a new latency in the recent average and in the baseline.
pub const RECENT_WEIGHT: f64 = 0.1;
pub const BASELINE_WEIGHT: f64 = 0.01;
/// Successes before latency is compared with its baseline.
pub const LATENCY_WARMUP: u32 = 20;

/// What one attempt under an adaptive limit came to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Outcome {
    /// An answer, after this long.
    Success(Duration),
    /// The provider said it is overloaded (429).
    Overloaded,
    /// Anything else (an error that says nothing about load, a cancelled call).
    Neutral,
}

/// The AIMD state, without locking or waiting.
#[derive(Clone, Debug)]
pub struct State {
    policy: AdaptivePolicy,
    limit: u32,
    in_flight: u32,
    /// Successes towards the next additive slot.
    successes: u32,
    /// Bumped by every decrease; a permit remembers the one it started under.
    generation: u64,
    /// Below this, every success adds a slot.
    recover_to: u32,
    /// Latency averages in seconds: recent (fast) and baseline (slow).
    recent: f64,
    baseline: f64,
    samples: u32,
    decreases: u32,
}

impl State {
    pub fn new(policy: AdaptivePolicy) -> State {
        State {
            policy,
            limit: policy.start,
            in_flight: 0,
            successes: 0,
            generation: 0,
            recover_to: policy.ceiling,
            recent: 0.0,
            baseline: 0.0,
            samples: 0,
            decreases: 0,
        }
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Decreases so far.
    pub fn decreases(&self) -> u32 {
        self.decreases
    }

    /// Takes a slot when one is free: the generation it starts under.
    pub fn try_start(&mut self) -> Option<u64> {
        (self.in_flight < self.limit).then(|| {
            self.in_flight += 1;
            self.generation
        })
    }

    /// Gives back the slot of a request started under `generation`, with its outcome.
    pub fn finish(&mut self, generation: u64, outcome: Outcome) {
        self.in_flight = self.in_flight.saturating_sub(1);
        let current = generation == self.generation;
        match outcome {
            Outcome::Neutral => {}
            Outcome::Overloaded if current => self.decrease(),
            // Another request too many in the episode already answered.
            Outcome::Overloaded => {
                self.recover_to = self.recover_to.saturating_sub(1).max(self.policy.floor);
            }
            Outcome::Success(latency) => {
                if self.latency_risen(latency.as_secs_f64()) && current {
                    // Judge the next requests against the baseline afresh.
                    self.recent = self.baseline;
                    self.decrease();
                } else {
                    self.increase();
                }
            }
        }
    }

    fn latency_risen(&mut self, secs: f64) -> bool {
        if self.samples == 0 {
            self.recent = secs;
            self.baseline = secs;
        } else {
            self.recent += RECENT_WEIGHT * (secs - self.recent);
            self.baseline += BASELINE_WEIGHT * (secs - self.baseline);
        }
        self.samples = self.samples.saturating_add(1);
        self.samples > LATENCY_WARMUP && self.recent > LATENCY_FACTOR * self.baseline
    }

    fn decrease(&mut self) {
        self.recover_to = self.limit.saturating_sub(1).max(self.policy.floor);
        self.limit = (self.limit / 2).max(self.policy.floor);
        self.successes = 0;
        self.generation += 1;
        self.decreases += 1;
    }

    fn increase(&mut self) {
        if self.limit < self.recover_to {
            self.limit += 1;
            self.successes = 0;
            return;
        }
        self.successes += 1;
        if self.successes >= WINDOW_PER_SLOT * self.limit {
            self.limit = (self.limit + 1).min(self.policy.ceiling);
            self.successes = 0;
        }
    }
}

/// An adaptive limit shared by a provider's calls.
#[derive(Debug)]
pub struct Adaptive {
    state: Mutex<State>,
    freed: Notify,
}

impl Adaptive {
    pub fn new(policy: AdaptivePolicy) -> Adaptive {
        Adaptive {
            state: Mutex::new(State::new(policy)),
            freed: Notify::new(),
        }
    }

    /// The limit now.
    pub fn limit(&self) -> u32 {
        self.lock().limit()
    }

    /// Decreases so far.
    pub fn decreases(&self) -> u32 {
        self.lock().decreases()
    }

    /// Waits for a slot under the current limit.
    pub async fn acquire(&self) -> Permit<'_> {
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            // Registered before looking, so a slot freed in between still wakes us.
            freed.as_mut().enable();
            if let Some(generation) = self.lock().try_start() {
                return Permit {
                    adaptive: self,
                    generation,
                    started: Instant::now(),
                    finished: false,
                };
            }
            freed.await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn finish(&self, generation: u64, outcome: Outcome) {
        self.lock().finish(generation, outcome);
        // A freed slot or a raised limit: every waiter looks again.
        self.freed.notify_waiters();
    }
}

/// A slot under an adaptive limit; dropped unfinished (a cancelled call), it is given
/// back as [`Outcome::Neutral`].
#[derive(Debug)]
pub struct Permit<'a> {
    adaptive: &'a Adaptive,
    generation: u64,
    started: Instant,
    finished: bool,
}

impl Permit<'_> {
    /// When the slot was taken: an attempt's latency is measured from here.
    pub fn started(&self) -> Instant {
        self.started
    }

    pub fn finish(mut self, outcome: Outcome) {
        self.finished = true;
        self.adaptive.finish(self.generation, outcome);
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.adaptive.finish(self.generation, Outcome::Neutral);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(100);

    fn policy(floor: u32, ceiling: u32, start: u32) -> AdaptivePolicy {
        AdaptivePolicy::new(floor, ceiling, start)
    }

    /// Starts `n` requests; panics if a slot is missing.
    fn start(s: &mut State, n: u32) -> Vec<u64> {
        (0..n)
            .map(|_| s.try_start().expect("a free slot"))
            .collect()
    }

    #[test]
    fn policies_are_made_consistent() {
        assert_eq!(policy(0, 0, 0), policy(1, 1, 1));
        assert_eq!(policy(4, 2, 9), policy(4, 4, 4));
        assert_eq!(
            policy(2, 64, 1),
            AdaptivePolicy {
                floor: 2,
                ceiling: 64,
                start: 2
            }
        );
    }

    #[test]
    fn slow_start_then_halving_then_recovery_then_one_slot_per_window() {
        let mut s = State::new(policy(2, 64, 2));
        assert_eq!(s.try_start(), Some(0));
        assert_eq!(s.try_start(), Some(0));
        assert_eq!(s.try_start(), None, "2 slots");
        // Before any overload every success adds a slot: 2 → 3 → 4.
        s.finish(0, Outcome::Success(MS));
        s.finish(0, Outcome::Success(MS));
        assert_eq!(s.limit(), 4);
        // Up to 17 by successes, each started and answered in turn.
        for _ in 0..13 {
            let g = start(&mut s, 1)[0];
            s.finish(g, Outcome::Success(MS));
        }
        assert_eq!(s.limit(), 17);
        // 17 in flight; one 429 halves: 17 / 2 = 8, and 16 becomes the recovery level.
        let gens = start(&mut s, 17);
        s.finish(gens[0], Outcome::Overloaded);
        assert_eq!(s.limit(), 8);
        assert_eq!(s.decreases(), 1);
        // Two more 429s of the same episode do not halve again, but lower the recovery
        // level to 14.
        s.finish(gens[1], Outcome::Overloaded);
        s.finish(gens[2], Outcome::Overloaded);
        assert_eq!(s.limit(), 8);
        assert_eq!(s.decreases(), 1);
        // The other 14 succeed: 8 + 6 = 14 by recovery, then one per 4 × 14 = 56
        // successes: 8 successes counted.
        for g in &gens[3..] {
            s.finish(*g, Outcome::Success(MS));
        }
        assert_eq!(s.limit(), 14);
        assert_eq!(s.successes, 8);
        for _ in 0..47 {
            let g = start(&mut s, 1)[0];
            s.finish(g, Outcome::Success(MS));
        }
        assert_eq!(s.limit(), 14, "55 of 56");
        let g = start(&mut s, 1)[0];
        s.finish(g, Outcome::Success(MS));
        assert_eq!(s.limit(), 15, "the 56th");
        // A 429 of a request started before the decrease, arriving late, cannot halve.
        s.finish(0, Outcome::Overloaded);
        assert_eq!(s.limit(), 15);
        // A neutral outcome changes nothing but the slot.
        let g = start(&mut s, 1)[0];
        s.finish(g, Outcome::Neutral);
        assert_eq!((s.limit(), s.successes, s.in_flight), (15, 0, 0));
    }

    #[test]
    fn never_below_the_floor_nor_above_the_ceiling() {
        let mut s = State::new(policy(3, 5, 4));
        for _ in 0..5 {
            let g = start(&mut s, 1)[0];
            s.finish(g, Outcome::Overloaded);
        }
        assert_eq!(s.limit(), 3, "4 → 3 (not 2), then held at the floor");
        for _ in 0..100 {
            let g = start(&mut s, 1)[0];
            s.finish(g, Outcome::Success(MS));
        }
        assert_eq!(s.limit(), 5);
    }

    #[test]
    fn latency_well_above_its_baseline_halves() {
        let mut s = State::new(policy(1, 64, 32));
        // 21 answers at 100 ms: the baseline is 100 ms; the limit climbs (recovery).
        for _ in 0..21 {
            let g = start(&mut s, 1)[0];
            s.finish(g, Outcome::Success(MS));
        }
        assert_eq!(s.limit(), 53);
        assert_eq!(s.decreases(), 0);
        // At 1 s each, the recent average after k answers is 1 - 0.9^k × 0.9 s and the
        // baseline 1 - 0.99^k × 0.9 s (in s). The recent average first passes twice the
        // baseline at k = 2: 1 - 0.81 × 0.9 = 0.271 > 2 × (1 - 0.9801 × 0.9) = 0.236
        // (k = 1: 0.19 < 2 × 0.109 = 0.218).
        let g = start(&mut s, 1)[0];
        s.finish(g, Outcome::Success(MS * 10));
        assert_eq!(s.decreases(), 0);
        let g = start(&mut s, 1)[0];
        s.finish(g, Outcome::Success(MS * 10));
        assert_eq!(s.decreases(), 1);
        assert_eq!(s.limit(), 27, "54 / 2");
    }

    #[test]
    fn latency_is_not_judged_before_the_warmup() {
        let mut s = State::new(policy(1, 64, 8));
        let g = start(&mut s, 1)[0];
        s.finish(g, Outcome::Success(MS));
        for _ in 0..LATENCY_WARMUP - 1 {
            let g = start(&mut s, 1)[0];
            s.finish(g, Outcome::Success(MS * 50));
        }
        assert_eq!(s.decreases(), 0);
    }

    #[tokio::test]
    async fn waiters_wake_when_a_slot_frees_or_the_limit_rises() {
        let a = std::sync::Arc::new(Adaptive::new(policy(1, 4, 1)));
        let first = a.acquire().await;
        let waiting = {
            let a = std::sync::Arc::clone(&a);
            tokio::spawn(async move {
                let p = a.acquire().await;
                p.finish(Outcome::Neutral);
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "one slot, taken");
        first.finish(Outcome::Success(MS));
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("woken")
            .unwrap();
        assert_eq!(a.limit(), 2);
        // A dropped permit gives its slot back.
        let p = a.acquire().await;
        let q = a.acquire().await;
        drop(p);
        drop(q);
        assert_eq!(a.lock().in_flight, 0);
    }
}
