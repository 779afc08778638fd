//! Per-provider limits: a concurrency cap (fixed slots, or adaptive: [`crate::adaptive`]),
//! a requests-per-minute rate (governor), a retry policy with exponential backoff and
//! jitter, and a circuit breaker.
//!
//! [`Limits::run`] wraps one logical call: it waits for a slot and for the rate limiter,
//! asks the breaker, makes an attempt, and on a retryable failure sleeps (honouring
//! `Retry-After`) and tries again. The slot is held only while an attempt is in flight,
//! never while sleeping, so a backing-off call does not starve the others.
//!
//! A provider's headers are untrusted: [`retry_after`] accepts only what it can represent
//! and caps it, so no header value can panic or park a call for ever.

use crate::adaptive::{Adaptive, AdaptivePolicy, Outcome};
use crate::call::CallError;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::Semaphore;

/// How a provider's calls are retried and timed out.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff; doubles every retry.
    pub base_delay: Duration,
    /// Ceiling of one backoff, and of an honoured `Retry-After`.
    pub max_delay: Duration,
    /// Per-attempt timeout, body included.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
            timeout: Duration::from_secs(180),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0-based): `Retry-After` when the provider
    /// gave one (capped), else exponential backoff with full jitter in [d/2, d].
    pub fn delay(&self, retry: u32, error: &CallError) -> Duration {
        if let Some(after) = error.retry_after() {
            return after.min(self.max_delay);
        }
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.min(20)));
        let cap = exp.min(self.max_delay);
        let half = cap / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// The longest wait a `Retry-After` header can ask for; longer values are cut to it (the
/// retry policy's `max_delay` caps it further).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// A `Retry-After` header value: delay-seconds (a non-negative number; fractions are
/// accepted) or an HTTP date. Capped at [`MAX_RETRY_AFTER`]; `None` for anything else
/// (negative, not finite, unparseable).
pub fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        if !secs.is_finite() || secs < 0.0 {
            return None;
        }
        // Compare before converting: `Duration::from_secs_f64` panics past u64 seconds.
        return Some(if secs >= MAX_RETRY_AFTER.as_secs_f64() {
            MAX_RETRY_AFTER
        } else {
            Duration::from_secs_f64(secs)
        });
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let wait = at
        .duration_since(SystemTime::now())
        .unwrap_or(Duration::ZERO);
    Some(wait.min(MAX_RETRY_AFTER))
}

/// When the breaker opens and how long it stays open.
#[derive(Clone, Debug)]
pub struct BreakerPolicy {
    /// Consecutive endpoint failures (5xx, timeouts, connection errors) that open it.
    pub threshold: u32,
    /// How long it stays open before letting one probe through.
    pub cooldown: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        BreakerPolicy {
            threshold: 8,
            cooldown: Duration::from_secs(15),
        }
    }
}

/// A circuit breaker: closed (calls flow), open (calls fail fast until the cooldown
/// ends), half-open (one probe call; its success closes the breaker, its failure reopens).
#[derive(Debug)]
pub struct Breaker {
    policy: BreakerPolicy,
    state: Mutex<BreakerState>,
}

#[derive(Debug, Default)]
struct BreakerState {
    failures: u32,
    open_until: Option<Instant>,
    probing: bool,
}

/// What the breaker lets an attempt do.
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    Go,
    /// The probe of a half-open breaker: report its outcome.
    Probe,
    Wait(Duration),
}

impl Breaker {
    pub fn new(policy: BreakerPolicy) -> Breaker {
        Breaker {
            policy,
            state: Mutex::new(BreakerState::default()),
        }
    }

    pub fn admit(&self) -> Admission {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let Some(until) = s.open_until else {
            return Admission::Go;
        };
        let now = Instant::now();
        if now < until {
            return Admission::Wait(until - now);
        }
        if s.probing {
            // Someone is probing; check back shortly.
            return Admission::Wait(self.policy.cooldown.min(Duration::from_secs(1)));
        }
        s.probing = true;
        Admission::Probe
    }

    /// A probe that will never report (its call was cancelled): let another call probe.
    fn abandon_probe(&self) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.probing = false;
    }

    pub fn record(&self, ok: bool, endpoint_failure: bool, probe: bool) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if probe {
            s.probing = false;
        }
        if ok || !endpoint_failure {
            // Any answer that is not an endpoint failure shows the endpoint is alive.
            s.failures = 0;
            s.open_until = None;
            return;
        }
        s.failures += 1;
        if probe || s.failures >= self.policy.threshold {
            s.open_until = Some(Instant::now() + self.policy.cooldown);
        }
    }

    pub fn is_open(&self) -> bool {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.open_until.is_some_and(|t| Instant::now() < t)
    }
}

/// How many requests a provider may have in flight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Concurrency {
    /// This many slots, always.
    Fixed(u32),
    /// A limit that adapts to the provider's 429s and latency (AIMD).
    Adaptive(AdaptivePolicy),
}

/// All the limits of one provider.
#[derive(Debug)]
pub struct Limits {
    pub retry: RetryPolicy,
    slots: Slots,
    rate: Option<DefaultDirectRateLimiter>,
    breaker: Breaker,
}

#[derive(Debug)]
enum Slots {
    Fixed(Semaphore),
    Adaptive(Adaptive),
}

impl Limits {
    pub fn new(
        concurrency: Concurrency,
        requests_per_minute: Option<u32>,
        retry: RetryPolicy,
        breaker: BreakerPolicy,
    ) -> Limits {
        let rate = requests_per_minute
            .and_then(NonZeroU32::new)
            .map(|n| RateLimiter::direct(Quota::per_minute(n)));
        let slots = match concurrency {
            Concurrency::Fixed(n) => Slots::Fixed(Semaphore::new(n.max(1) as usize)),
            Concurrency::Adaptive(policy) => Slots::Adaptive(Adaptive::new(policy)),
        };
        Limits {
            retry,
            slots,
            rate,
            breaker: Breaker::new(breaker),
        }
    }

    pub fn breaker(&self) -> &Breaker {
        &self.breaker
    }

    /// The adaptive limit, when the concurrency is adaptive.
    pub fn adaptive(&self) -> Option<&Adaptive> {
        match &self.slots {
            Slots::Fixed(_) => None,
            Slots::Adaptive(a) => Some(a),
        }
    }

    /// Runs `attempt` under the limits, retrying as the policy says. Returns the value
    /// and the number of attempts made.
    pub async fn run<T, F, Fut>(&self, mut attempt: F) -> Result<(T, u32), CallError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, CallError>>,
    {
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let result = self.once(&mut attempt).await;
            match result {
                Ok(v) => return Ok((v, attempts)),
                // What the caller acts on (stop the provider, do not judge) must not hide
                // in `Exhausted`.
                Err(e @ (CallError::Refused(_) | CallError::TooLarge { .. })) => return Err(e),
                Err(e) if e.retryable() && attempts <= self.retry.max_retries => {
                    tokio::time::sleep(self.retry.delay(attempts - 1, &e)).await;
                }
                Err(e) if attempts == 1 => return Err(e),
                Err(e) => {
                    return Err(CallError::Exhausted {
                        attempts,
                        last: Box::new(e),
                    });
                }
            }
        }
    }

    async fn once<T, F, Fut>(&self, attempt: &mut F) -> Result<T, CallError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, CallError>>,
    {
        let probe = match self.breaker.admit() {
            Admission::Go => None,
            Admission::Probe => Some(ProbeGuard {
                breaker: &self.breaker,
                reported: false,
            }),
            Admission::Wait(retry_in) => return Err(CallError::CircuitOpen { retry_in }),
        };
        let slot = match &self.slots {
            Slots::Fixed(semaphore) => Slot::Fixed {
                _permit: semaphore
                    .acquire()
                    .await
                    .map_err(|_| CallError::Config("provider shut down".into()))?,
            },
            Slots::Adaptive(adaptive) => Slot::Adaptive(adaptive.acquire().await),
        };
        if let Some(rate) = &self.rate {
            rate.until_ready().await;
        }
        let timeout = self.retry.timeout;
        let started = std::time::Instant::now();
        let result = match tokio::time::timeout(timeout, attempt()).await {
            Ok(r) => r,
            Err(_) => Err(CallError::Timeout(timeout)),
        };
        match slot {
            Slot::Adaptive(permit) => permit.finish(match &result {
                Ok(_) => Outcome::Success(started.elapsed()),
                Err(CallError::Status { code: 429, .. }) => Outcome::Overloaded,
                Err(_) => Outcome::Neutral,
            }),
            Slot::Fixed { _permit: permit } => drop(permit),
        }
        let (ok, endpoint_failure) = match &result {
            Ok(_) => (true, false),
            Err(e) => (false, e.is_endpoint_failure()),
        };
        match probe {
            Some(guard) => guard.report(ok, endpoint_failure),
            None => self.breaker.record(ok, endpoint_failure, false),
        }
        // The slot is free: the request waiting for it goes out before this one's
        // answer is put to use. Answers come in bursts (a round of requests sent
        // together comes back together), and the work each answer leads to (a record,
        // the next prompt) would otherwise hold the next requests back.
        tokio::task::yield_now().await;
        result
    }
}

/// A slot held while an attempt is in flight.
enum Slot<'a> {
    Fixed {
        _permit: tokio::sync::SemaphorePermit<'a>,
    },
    Adaptive(crate::adaptive::Permit<'a>),
}

/// Held by the half-open breaker's probe while it is in flight: if the call is cancelled
/// (its future dropped), the breaker is told, so it is not left waiting for a report
/// that never comes and refusing every call.
struct ProbeGuard<'a> {
    breaker: &'a Breaker,
    reported: bool,
}

impl ProbeGuard<'_> {
    fn report(mut self, ok: bool, endpoint_failure: bool) {
        self.reported = true;
        self.breaker.record(ok, endpoint_failure, true);
    }
}

impl Drop for ProbeGuard<'_> {
    fn drop(&mut self) {
        if !self.reported {
            self.breaker.abandon_probe();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let p = RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            timeout: Duration::from_secs(1),
        };
        let e = CallError::Status {
            code: 500,
            body: String::new(),
            retry_after: None,
        };
        for (retry, full) in [(0, 100), (1, 200), (2, 400), (3, 800), (4, 1000), (9, 1000)] {
            let d = p.delay(retry, &e).as_millis() as u64;
            assert!(d >= full / 2 && d <= full, "retry {retry}: {d}ms");
        }
        let e = CallError::Status {
            code: 429,
            body: String::new(),
            retry_after: Some(Duration::from_secs(30)),
        };
        assert_eq!(p.delay(0, &e), Duration::from_millis(1000), "capped");
    }

    #[test]
    fn retry_after_forms_and_absurd_values() {
        assert_eq!(retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        for capped in ["1e20", "1e300", "18446744073709551616", "86400", "999999"] {
            assert_eq!(retry_after(capped), Some(MAX_RETRY_AFTER), "{capped}");
        }
        for refused in [
            "-1", "-0.5", "NaN", "inf", "-inf", "1e400", "soon", "", "0x10",
        ] {
            assert_eq!(retry_after(refused), None, "{refused}");
        }
        let past = "Wed, 21 Oct 2015 07:28:00 GMT";
        assert_eq!(retry_after(past), Some(Duration::ZERO));
        let far = "Fri, 31 Dec 9999 23:59:59 GMT";
        assert_eq!(retry_after(far), Some(MAX_RETRY_AFTER));
        let soon = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        let d = retry_after(&soon).unwrap();
        assert!(d > Duration::from_secs(100) && d <= Duration::from_secs(120));
    }

    #[test]
    fn breaker_opens_probes_and_recovers() {
        let b = Breaker::new(BreakerPolicy {
            threshold: 2,
            cooldown: Duration::from_millis(30),
        });
        assert_eq!(b.admit(), Admission::Go);
        b.record(false, true, false);
        assert_eq!(b.admit(), Admission::Go);
        b.record(false, true, false);
        assert!(matches!(b.admit(), Admission::Wait(_)));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(b.admit(), Admission::Probe);
        assert!(
            matches!(b.admit(), Admission::Wait(_)),
            "one probe at a time"
        );
        b.record(false, true, true);
        assert!(b.is_open(), "a failed probe reopens");
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(b.admit(), Admission::Probe);
        b.record(true, false, true);
        assert_eq!(b.admit(), Admission::Go);
    }

    #[test]
    fn client_errors_do_not_count_against_the_endpoint() {
        let b = Breaker::new(BreakerPolicy {
            threshold: 1,
            cooldown: Duration::from_secs(60),
        });
        b.record(false, false, false);
        assert_eq!(b.admit(), Admission::Go);
    }

    #[tokio::test]
    async fn a_cancelled_probe_does_not_leave_the_breaker_probing() {
        let limits = Limits::new(
            Concurrency::Fixed(4),
            None,
            RetryPolicy {
                max_retries: 0,
                ..RetryPolicy::default()
            },
            BreakerPolicy {
                threshold: 1,
                cooldown: Duration::from_millis(20),
            },
        );
        limits.breaker().record(false, true, false);
        tokio::time::sleep(Duration::from_millis(30)).await;
        // The probe's call is cancelled while its attempt is in flight (a run stopped, a
        // caller timed out): nothing ever reports its outcome.
        let probe = limits.run(std::future::pending::<Result<(), CallError>>);
        assert!(
            tokio::time::timeout(Duration::from_millis(20), probe)
                .await
                .is_err()
        );
        assert_eq!(
            limits.breaker().admit(),
            Admission::Probe,
            "another call may probe"
        );
    }

    /// A call that ends hands its slot to the request waiting for it, and that request
    /// goes out before the ended call's answer is put to use (a burst of answers would
    /// otherwise hold the next requests back by all of their records and prompts).
    #[tokio::test(flavor = "current_thread")]
    async fn a_freed_slot_sends_the_waiting_request_before_the_answer_is_used() {
        use std::sync::Mutex;
        let limits = Limits::new(
            Concurrency::Fixed(1),
            None,
            RetryPolicy::default(),
            BreakerPolicy::default(),
        );
        let order = Mutex::new(Vec::new());
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        let released = Mutex::new(Some(released));
        let first = async {
            let r = limits
                .run(|| async {
                    let wait = released.lock().unwrap().take();
                    if let Some(wait) = wait {
                        let _ = wait.await;
                    }
                    Ok::<_, CallError>(())
                })
                .await;
            order.lock().unwrap().push("first answer used");
            r
        };
        let second = async {
            // Queued behind the first, which holds the only slot.
            tokio::task::yield_now().await;
            limits
                .run(|| async {
                    order.lock().unwrap().push("second sent");
                    Ok::<_, CallError>(())
                })
                .await
        };
        let opener = async {
            tokio::task::yield_now().await;
            tokio::task::yield_now().await;
            let _ = release.send(());
        };
        let (a, b, ()) = tokio::join!(first, second, opener);
        assert!(a.is_ok() && b.is_ok());
        assert_eq!(*order.lock().unwrap(), ["second sent", "first answer used"]);
    }
}
