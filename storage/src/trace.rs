//! Spans of database statements, named and attributed as the OpenTelemetry semantic
//! conventions for database clients ask: `db.system` (`sqlite` | `postgresql`),
//! `db.operation.name`, `db.collection.name`, span name `OPERATION table`.
//!
//! Only those: never the SQL text, which could carry literals, and never bound values,
//! which are personal data. This is plain `tracing`; the binary decides whether spans
//! become OpenTelemetry spans.

use crate::conn::AnyConnection;

/// A span for the statements of one operation on a table; enter it around them:
/// `db_span!(conn, "SELECT", "users")`. The span's name is put together at compile
/// time: formatting it per span was a fifth of what creating a database span cost.
macro_rules! db_span {
    ($conn:expr, $operation:literal, $table:literal) => {
        $crate::trace::span($conn, concat!($operation, " ", $table), $operation, $table)
    };
}
pub(crate) use db_span;

/// The span [`db_span!`] makes, named `name` (`OPERATION table`).
pub(crate) fn span(
    conn: &AnyConnection,
    name: &'static str,
    operation: &'static str,
    table: &'static str,
) -> tracing::Span {
    let system = match conn {
        AnyConnection::Sqlite(_) => "sqlite",
        AnyConnection::Postgresql(_) => "postgresql",
    };
    tracing::info_span!(
        "db",
        otel.name = name,
        otel.kind = "client",
        db.system = system,
        db.operation.name = operation,
        db.collection.name = table,
    )
}
