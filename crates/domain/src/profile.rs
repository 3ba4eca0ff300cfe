//! A simulated user's profile (the type lives in the wire crate, as the platform API carries it).

pub use herald_wire::platform::profile::{Profile, PLATFORMS};
