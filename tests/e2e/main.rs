//! End-to-end tests: the real idsync (gateway + core + database) on ephemeral ports,
//! spoken to over HTTP and gRPC, each case on SQLite and on PostgreSQL.

mod auth;
mod entra;
mod grpc;
mod users;
