//! The CLI's pieces: configuration (`config`), telemetry start and stop (`telemetry`),
//! and the administrative subcommands that work directly on the database (`admin` for
//! tenants and tokens, `rules`, `log`).

pub mod admin;
pub mod config;
pub mod log;
pub mod rules;
pub mod telemetry;
