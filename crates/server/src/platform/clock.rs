//! The platform clock: read it; set or advance it when the server runs a simulated clock.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use herald_domain::time::ClockState;
use herald_wire::platform::clock::{ClockIn, ClockOut};

use crate::clock::system_now;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, Operator};
use crate::state::AppState;

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (civil-from-days, proleptic Gregorian).
pub fn iso8601(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = herald_domain::time::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

fn out(state: ClockState) -> ClockOut {
    let now = state.now(system_now());
    let (mode, frozen) = match state {
        ClockState::Real => ("real", false),
        ClockState::Simulated { frozen_at, .. } => ("simulated", frozen_at.is_some()),
    };
    ClockOut { now, now_iso: iso8601(now), mode: mode.into(), frozen }
}

pub async fn show(State(st): State<AppState>, _: Operator) -> ApiResult<ClockOut> {
    Ok(Json(out(st.clock.state().await?)))
}

pub async fn change(State(st): State<AppState>, _: Operator, ApiJson(b): ApiJson<ClockIn>) -> ApiResult<ClockOut> {
    if !st.clock.is_simulated() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "clock_not_simulated",
            "this server runs on real time; start it with HERALD_CLOCK=simulated to set the clock",
        ));
    }
    let current = st.clock.state().await?;
    let sys = system_now();
    let frozen = b.frozen.unwrap_or(matches!(current, ClockState::Simulated { frozen_at: Some(_), .. }));
    let target = herald_domain::time::simulated_target(current.now(sys), b.set, b.advance).map_err(ApiError::bad_request)?;
    let next = current.set_to(sys, target, frozen);
    st.clock.set(next).await?;
    // Time that passes on the simulated clock passes for payment notifications' retries too
    // (WeChat's schedule waits up to 6 hours between attempts), and for red packets' 24-hour return.
    let moved = next.now(sys) - current.now(sys);
    if moved > 0 {
        let mut pulled = 0;
        for kind in ["pay_notify", herald_store::redpack::RETURN_JOB] {
            pulled += st.store.pull_jobs_forward(kind, moved * 1000).await?;
        }
        if pulled > 0 {
            st.wake.notify_one();
        }
    }
    Ok(Json(out(next)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso() {
        assert_eq!(super::iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::iso8601(1_767_196_800), "2025-12-31T16:00:00Z");
        assert_eq!(super::iso8601(951_782_400), "2000-02-29T00:00:00Z");
    }
}
