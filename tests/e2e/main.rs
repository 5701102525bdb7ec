//! End-to-end tests: the real idsync (gateway + core + database) on ephemeral ports,
//! spoken to over HTTP and gRPC, each case on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used)] // tests assert by unwrapping

mod as_sent;
mod auth;
mod bulk;
mod changes;
mod console_browser;
mod console_directory;
mod console_monitor;
mod console_quality;
mod console_settings;
mod console_sign_in;
mod cursor;
mod directory;
mod discovery;
mod discovery_groups;
mod dry_run;
mod edges;
mod entra;
mod entra_groups;
mod fuzz_http;
mod groups;
mod grpc;
mod limits;
mod log;
mod matching;
mod overview;
mod query;
mod races;
mod rules_admin;
mod rules_feed;
mod scoping;
mod search;
mod shutdown;
mod telemetry;
mod throttling;
mod tls;
mod unstorable;
mod users;
