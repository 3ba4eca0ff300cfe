//! The platform clock: real time, or a simulated clock whose state lives in the database so
//! that every node reads the same time.

use std::sync::Arc;

use herald_domain::time::{ClockState, UnixTime};
use herald_store::{Store, StoreError};

#[derive(Clone)]
pub struct Clock {
    store: Arc<dyn Store>,
    simulated: bool,
}

pub fn system_now() -> UnixTime {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Real milliseconds since the epoch (the job queue runs on real time).
pub fn system_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Clock {
    pub async fn new(store: Arc<dyn Store>, simulated: bool) -> Result<Self, StoreError> {
        if simulated && !matches!(store.clock().await?, Some(ClockState::Simulated { .. })) {
            store.set_clock(ClockState::Simulated { offset: 0, frozen_at: None }).await?;
        }
        Ok(Clock { store, simulated })
    }

    pub fn is_simulated(&self) -> bool {
        self.simulated
    }

    pub async fn state(&self) -> Result<ClockState, StoreError> {
        if !self.simulated {
            return Ok(ClockState::Real);
        }
        Ok(self.store.clock().await?.unwrap_or(ClockState::Simulated { offset: 0, frozen_at: None }))
    }

    /// The platform's now.
    pub async fn now(&self) -> Result<UnixTime, StoreError> {
        if !self.simulated {
            return Ok(system_now());
        }
        Ok(self.state().await?.now(system_now()))
    }

    pub async fn set(&self, state: ClockState) -> Result<(), StoreError> {
        self.store.set_clock(state).await
    }
}
