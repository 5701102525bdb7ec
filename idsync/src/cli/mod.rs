//! The CLI's pieces: configuration (`config`), telemetry start and stop (`telemetry`),
//! the stop signals of the serving commands (`signals`), and the administrative subcommands that work directly on the database (`admin` for
//! tenants and tokens, `rules`, `log`), and the TLS flags (`tls`).

pub mod admin;
pub mod config;
pub mod log;
pub mod rules;
pub mod signals;
pub mod telemetry;
pub mod tls;
