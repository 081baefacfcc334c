//! lambda_a: stands in for the auction platform. Each call answers, at
//! random, that results are not published yet (`{"results": false}`) or the
//! published results with one accepted and one rejected order.
//!
//! The random source is injected so tests (and the local cloud) can be
//! deterministic.

use std::sync::Mutex;

use lambda_runtime::LambdaEvent;
use orders_domain::{AuctionResults, Order, OrderStatus};
use rand::rngs::{StdRng, SysRng};
use rand::{RngExt, SeedableRng};
use serde_json::Value;
use thiserror::Error;
use tracing::info;

/// Chance that results are ready when no setting says otherwise.
pub const DEFAULT_READY_PROBABILITY: f64 = 0.5;

/// The orders of published results.
pub fn published_orders() -> Vec<Order> {
    vec![
        Order {
            status: OrderStatus::Accepted,
            power: 1,
        },
        Order {
            status: OrderStatus::Rejected,
            power: 2,
        },
    ]
}

/// Draws one answer: ready with probability `ready_probability` (in [0, 1]).
pub fn draw_results(rng: &mut (impl rand::Rng + ?Sized), ready_probability: ReadyProbability) -> AuctionResults {
    if rng.random_bool(ready_probability.get()) {
        AuctionResults::ready(published_orders())
    } else {
        AuctionResults::not_ready()
    }
}

/// A probability known to be in [0, 1] (`random_bool` panics otherwise).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReadyProbability(f64);

impl ReadyProbability {
    pub fn new(p: f64) -> Result<Self, ConfigError> {
        if (0.0..=1.0).contains(&p) {
            Ok(Self(p))
        } else {
            Err(ConfigError::BadProbability(p.to_string()))
        }
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

/// lambda_a's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `RESULTS_READY_PROBABILITY`, default 0.5.
    pub ready_probability: ReadyProbability,
    /// `RESULTS_RANDOM_SEED`: a fixed sequence for tests and the local cloud.
    pub seed: Option<u64>,
}

/// A setting that stops the function from starting.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("RESULTS_READY_PROBABILITY must be a number from 0 to 1, got '{0}'")]
    BadProbability(String),
    #[error("RESULTS_RANDOM_SEED must be an unsigned 64-bit integer, got '{0}'")]
    BadSeed(String),
    #[error("could not seed the random source from the operating system: {0}")]
    NoEntropy(String),
}

impl Config {
    /// Reads the settings through `lookup` (`std::env::var` in production).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let ready_probability = match lookup("RESULTS_READY_PROBABILITY") {
            None => ReadyProbability(DEFAULT_READY_PROBABILITY),
            Some(text) => text
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(|p| ReadyProbability::new(p).ok())
                .ok_or(ConfigError::BadProbability(text))?,
        };
        let seed = match lookup("RESULTS_RANDOM_SEED") {
            None => None,
            Some(text) => Some(text.trim().parse::<u64>().map_err(|_| ConfigError::BadSeed(text))?),
        };
        Ok(Self {
            ready_probability,
            seed,
        })
    }

    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The random source: seeded when a seed is set, else from the OS.
    pub fn rng(&self) -> Result<StdRng, ConfigError> {
        match self.seed {
            Some(seed) => Ok(StdRng::seed_from_u64(seed)),
            None => StdRng::try_from_rng(&mut SysRng).map_err(|e| ConfigError::NoEntropy(e.to_string())),
        }
    }
}

/// The handler: one random source kept across invocations.
#[derive(Debug)]
pub struct ResultsSource<R> {
    rng: Mutex<R>,
    ready_probability: ReadyProbability,
}

impl<R: rand::Rng> ResultsSource<R> {
    pub fn new(rng: R, ready_probability: ReadyProbability) -> Self {
        Self {
            rng: Mutex::new(rng),
            ready_probability,
        }
    }

    /// The next answer of the sequence.
    pub fn next_results(&self) -> AuctionResults {
        // A panic while holding the lock cannot leave an RNG half-updated in
        // a way that matters: keep using it.
        let mut rng = self.rng.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        draw_results(&mut *rng, self.ready_probability)
    }

    /// Handles one invocation. Any JSON event is accepted; the state machine
    /// sends `{"attempt": n}`, which is logged.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<AuctionResults, lambda_runtime::Error> {
        let attempt = event.payload.get("attempt").and_then(Value::as_u64);
        let results = self.next_results();
        info!(
            attempt,
            ready = results.results,
            orders = results.orders.as_ref().map_or(0, Vec::len),
            "auction results drawn"
        );
        Ok(results)
    }
}

#[cfg(test)]
mod tests;
