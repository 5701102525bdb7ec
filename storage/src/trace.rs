//! Spans of database statements, named and attributed as the OpenTelemetry semantic
//! conventions for database clients ask: `db.system` (`sqlite` | `postgresql`),
//! `db.operation.name`, `db.collection.name`, span name `OPERATION table`.
//!
//! Only those: never the SQL text, which could carry literals, and never bound values,
//! which are personal data. This is plain `tracing`; the binary decides whether spans
//! become OpenTelemetry spans.

use crate::conn::AnyConnection;

/// A span for the statements of one operation on `table`; enter it around them.
pub(crate) fn db_span(conn: &AnyConnection, operation: &'static str, table: &'static str) -> tracing::Span {
    let system = match conn {
        AnyConnection::Sqlite(_) => "sqlite",
        AnyConnection::Postgresql(_) => "postgresql",
    };
    tracing::info_span!(
        "db",
        otel.name = format!("{operation} {table}"),
        otel.kind = "client",
        db.system = system,
        db.operation.name = operation,
        db.collection.name = table,
    )
}
