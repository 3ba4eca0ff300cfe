//! Time as Herald's rules see it: whole Unix seconds, read from a clock the server owns.

/// Seconds since the Unix epoch.
pub type UnixTime = i64;

/// The earliest a simulated clock may show: 1970-01-01T00:00:00Z.
pub const SIMULATED_MIN: UnixTime = 0;
/// The latest a simulated clock may show: 2100-01-01T00:00:00Z. Certificates, bills and
/// every date Herald writes stay representable (an advance of ±2^62 seconds once broke
/// merchant creation).
pub const SIMULATED_MAX: UnixTime = 4_102_444_800;

/// Where the simulated clock would land when moved from `now` to `target` (set) or by
/// `advance` seconds; an error if that is outside 1970–2100.
pub fn simulated_target(now: UnixTime, set: Option<UnixTime>, advance: Option<i64>) -> Result<UnixTime, String> {
    let target = match (set, advance) {
        (Some(_), Some(_)) => return Err("give set or advance, not both".into()),
        (Some(t), None) => Some(t),
        (None, Some(d)) => now.checked_add(d),
        (None, None) => Some(now),
    };
    match target {
        Some(t) if (SIMULATED_MIN..=SIMULATED_MAX).contains(&t) => Ok(t),
        _ => Err(format!("the clock must stay between {SIMULATED_MIN} (1970-01-01) and {SIMULATED_MAX} (2100-01-01)")),
    }
}

/// The state of the platform clock. `Real` reads the system time; `Simulated` is the system
/// time shifted by an offset, or a frozen instant, both set by the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockState {
    Real,
    Simulated { offset: i64, frozen_at: Option<UnixTime> },
}

impl ClockState {
    /// The platform's "now", given the system time.
    pub fn now(self, system: UnixTime) -> UnixTime {
        match self {
            ClockState::Real => system,
            ClockState::Simulated { frozen_at: Some(t), .. } => t,
            ClockState::Simulated { offset, frozen_at: None } => system + offset,
        }
    }

    /// The simulated state after setting the clock to `target`, keeping it frozen or running.
    pub fn set_to(self, system: UnixTime, target: UnixTime, frozen: bool) -> ClockState {
        if frozen {
            ClockState::Simulated { offset: target - system, frozen_at: Some(target) }
        } else {
            ClockState::Simulated { offset: target - system, frozen_at: None }
        }
    }

    /// The simulated state after moving the clock forward by `seconds` (may be negative).
    pub fn advance(self, system: UnixTime, seconds: i64) -> ClockState {
        let frozen = matches!(self, ClockState::Simulated { frozen_at: Some(_), .. });
        let target = self.now(system) + seconds;
        self.set_to(system, target, frozen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulated_clock_stays_in_range() {
        assert_eq!(simulated_target(1000, None, Some(3600)), Ok(4600));
        assert_eq!(simulated_target(1000, Some(5), None), Ok(5));
        assert_eq!(simulated_target(1000, None, None), Ok(1000));
        assert!(simulated_target(1000, None, Some(1 << 62)).is_err());
        assert!(simulated_target(1000, None, Some(-(1 << 62))).is_err());
        assert!(simulated_target(1000, None, Some(i64::MAX)).is_err());
        assert!(simulated_target(1000, Some(-1), None).is_err());
        assert!(simulated_target(1000, Some(SIMULATED_MAX + 1), None).is_err());
        assert!(simulated_target(1000, Some(1), Some(1)).is_err());
    }

    #[test]
    fn real_clock_is_system_time() {
        assert_eq!(ClockState::Real.now(1000), 1000);
    }

    #[test]
    fn running_simulated_clock_keeps_ticking_after_a_jump() {
        let c = ClockState::Real.set_to(1000, 5000, false);
        assert_eq!(c.now(1000), 5000);
        assert_eq!(c.now(1010), 5010);
        let c = c.advance(1010, 3600);
        assert_eq!(c.now(1010), 8610);
        assert_eq!(c.now(1020), 8620);
    }

    #[test]
    fn frozen_clock_moves_only_when_told() {
        let c = ClockState::Real.set_to(1000, 5000, true);
        assert_eq!(c.now(9999), 5000);
        let c = c.advance(9999, 172_800);
        assert_eq!(c.now(1), 177_800);
        assert!(matches!(c, ClockState::Simulated { frozen_at: Some(177_800), .. }));
    }
}

/// (year, month, day) of a day number since 1970-01-01 (H. Hinnant's civil-from-days).
pub use herald_wire::pay::types::civil_from_days;

/// China Standard Time, UTC+8: the zone WeChat counts its daily limits in.
pub const CST_OFFSET: i64 = 8 * 3600;

/// The start (as Unix time) of the calendar day containing `t` in a zone `offset` seconds
/// east of UTC.
pub fn day_start(t: UnixTime, offset: i64) -> UnixTime {
    (t + offset).div_euclid(86_400) * 86_400 - offset
}

#[cfg(test)]
mod day_tests {
    use super::*;

    #[test]
    fn days_start_at_local_midnight() {
        // 2026-01-01T00:00:00+08:00 == 2025-12-31T16:00:00Z == 1767196800
        let midnight_cst = 1_767_196_800;
        assert_eq!(day_start(midnight_cst, CST_OFFSET), midnight_cst);
        assert_eq!(day_start(midnight_cst + 86_399, CST_OFFSET), midnight_cst);
        assert_eq!(day_start(midnight_cst - 1, CST_OFFSET), midnight_cst - 86_400);
        assert_eq!(day_start(0, 0), 0);
    }
}

/// `yyyy-mm-dd` of `t` in China time.
pub fn cst_date(t: UnixTime) -> String {
    herald_wire::pay::types::rfc3339_cst(t)[..10].to_string()
}

/// `yyyymmddHHMMSS` of `t` in China time (WeChat Pay's v2 times and id prefixes).
pub fn cst_compact(t: UnixTime) -> String {
    herald_wire::pay::types::rfc3339_cst(t)[..19].replace(['-', 'T', ':'], "")
}
