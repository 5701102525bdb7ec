//! End-to-end tests: the real idsync (gateway + core + database) on ephemeral ports,
//! spoken to over HTTP and gRPC, each case on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used)] // tests assert by unwrapping

mod auth;
mod bulk;
mod entra;
mod grpc;
mod telemetry;
mod users;
