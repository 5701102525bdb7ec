//! The SCIM contract that core and gateway share, defined once (RFC 7644 §3.12):
//! the `scimType` keywords, the `google.rpc.ErrorInfo` domain a core error carries its
//! keyword under, the gRPC code ⇄ HTTP status table, and the schema and message URNs.
//!
//! The core answers a failure with a gRPC status whose message is the human-readable
//! detail and, where a keyword applies, an `ErrorInfo { reason: <scimType>, domain:
//! SCIM_ERROR_DOMAIN }` detail ([`status`]); the gateway reads the keyword back with
//! [`scim_type_of`] and answers with [`http_status`]; the provisioning log records the
//! same status. These are tables, not decisions: which error a request deserves is the
//! core's business.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The `ErrorInfo.domain` under which the core reports a SCIM `scimType`.
pub const SCIM_ERROR_DOMAIN: &str = "idsync.scim";

/// The `ErrorInfo.domain` of change-feed errors (reason [`CURSOR_EXPIRED`]).
pub const CHANGES_ERROR_DOMAIN: &str = "idsync.changes";

/// The `ErrorInfo.reason` of a change-feed cursor older than the retained feed; its
/// metadata `head_cursor` says where to resume after a resync.
pub const CURSOR_EXPIRED: &str = "CURSOR_EXPIRED";

/// The core User schema (RFC 7643 §4.1).
pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The enterprise User extension (RFC 7643 §4.3).
pub const ENTERPRISE_USER_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The core Group schema (RFC 7643 §4.2).
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// `/ServiceProviderConfig` (RFC 7643 §5).
pub const SERVICE_PROVIDER_CONFIG_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
/// `/ResourceTypes` (RFC 7643 §6).
pub const RESOURCE_TYPE_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
/// `/Schemas` (RFC 7643 §7).
pub const SCHEMA_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
/// A list or query answer (RFC 7644 §3.4.2).
pub const LIST_RESPONSE_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// A `.search` request body (RFC 7644 §3.4.3).
pub const SEARCH_REQUEST_URN: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
/// A PATCH request body (RFC 7644 §3.5.2).
pub const PATCH_OP_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// A `/Bulk` request body (RFC 7644 §3.7).
pub const BULK_REQUEST_URN: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
/// A `/Bulk` answer (RFC 7644 §3.7).
pub const BULK_RESPONSE_URN: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
/// An error answer (RFC 7644 §3.12).
pub const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The `scimType` keywords of RFC 7644 §3.12, Table 9, and those RFC 9865 §2.1 adds for
/// cursor paging.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScimType {
    /// The filter syntax was invalid or the operator is not supported.
    InvalidFilter,
    /// The query would return more results than the server allows.
    TooMany,
    /// A value violates a uniqueness constraint (e.g. a taken `userName`).
    Uniqueness,
    /// The request tries to modify an immutable or read-only attribute.
    Mutability,
    /// The request body is not valid JSON or not a valid SCIM message.
    InvalidSyntax,
    /// The attribute path is invalid or unsupported.
    InvalidPath,
    /// A PATCH path selected no value to act on.
    NoTarget,
    /// A value has the wrong type, format or content for its attribute.
    InvalidValue,
    /// The SCIM protocol version is not supported.
    InvalidVers,
    /// The request would reveal sensitive data (e.g. a filter in a URL).
    Sensitive,
    /// A `cursor` that this server did not issue, or issued for another query (RFC 9865).
    InvalidCursor,
    /// A `cursor` older than the advertised `cursorTimeout` (RFC 9865).
    ExpiredCursor,
}

impl ScimType {
    /// Every keyword, in the RFCs' order.
    pub const ALL: [ScimType; 12] = [
        ScimType::InvalidFilter,
        ScimType::TooMany,
        ScimType::Uniqueness,
        ScimType::Mutability,
        ScimType::InvalidSyntax,
        ScimType::InvalidPath,
        ScimType::NoTarget,
        ScimType::InvalidValue,
        ScimType::InvalidVers,
        ScimType::Sensitive,
        ScimType::InvalidCursor,
        ScimType::ExpiredCursor,
    ];

    /// The keyword as it appears on the wire, e.g. `"invalidFilter"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
            ScimType::InvalidCursor => "invalidCursor",
            ScimType::ExpiredCursor => "expiredCursor",
        }
    }

    /// Reads a keyword (ASCII case ignored); `None` for anything RFC 7644 and RFC 9865 do
    /// not define.
    pub fn parse(keyword: &str) -> Option<ScimType> {
        Self::ALL.into_iter().find(|t| t.as_str().eq_ignore_ascii_case(keyword))
    }
}

/// The HTTP status that answers a gRPC code: the one table of the error contract.
///
/// | gRPC | HTTP |
/// |---|---|
/// | `OK` | 200 |
/// | `INVALID_ARGUMENT` | 400 (with a `scimType`) |
/// | `UNAUTHENTICATED` | 401 |
/// | `PERMISSION_DENIED` | 403 |
/// | `NOT_FOUND` | 404 |
/// | `ALREADY_EXISTS` | 409 `uniqueness` |
/// | `FAILED_PRECONDITION` | 412 (a version mismatch) |
/// | `RESOURCE_EXHAUSTED` | 429 with `Retry-After` |
/// | `UNIMPLEMENTED` | 501 |
/// | `UNAVAILABLE` | 503 |
/// | `DEADLINE_EXCEEDED`, `CANCELLED` | 504: the call's deadline passed (tonic answers an expired `grpc-timeout` with `CANCELLED`) |
/// | anything else | 500, no internal detail |
pub fn http_status(code: Code) -> u16 {
    match code {
        Code::Ok => 200,
        Code::InvalidArgument => 400,
        Code::Unauthenticated => 401,
        Code::PermissionDenied => 403,
        Code::NotFound => 404,
        Code::AlreadyExists => 409,
        Code::FailedPrecondition => 412,
        Code::ResourceExhausted => 429,
        Code::Unimplemented => 501,
        Code::Unavailable => 503,
        Code::DeadlineExceeded | Code::Cancelled => 504,
        Code::Unknown | Code::Aborted | Code::OutOfRange | Code::Internal | Code::DataLoss => 500,
    }
}

/// The canonical name of a gRPC code (`ALREADY_EXISTS`), as logs and the provisioning
/// log spell it.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// A status with `message` as its detail and, when given, `scim_type` in an `ErrorInfo`
/// under [`SCIM_ERROR_DOMAIN`].
pub fn status(code: Code, message: impl Into<String>, scim_type: Option<ScimType>) -> Status {
    match scim_type {
        Some(t) => {
            let details =
                ErrorDetails::with_error_info(t.as_str(), SCIM_ERROR_DOMAIN, HashMap::<String, String>::new());
            Status::with_error_details(code, message, details)
        }
        None => Status::new(code, message),
    }
}

/// The `scimType` a status carries under [`SCIM_ERROR_DOMAIN`], when it is one RFC 7644
/// defines.
pub fn scim_type_of(status: &Status) -> Option<ScimType> {
    let details = status.get_error_details();
    let info = details.error_info()?;
    if info.domain != SCIM_ERROR_DOMAIN {
        return None;
    }
    ScimType::parse(&info.reason)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn every_keyword_reads_back_as_itself_in_any_case() {
        for t in ScimType::ALL {
            assert_eq!(ScimType::parse(t.as_str()), Some(t));
            assert_eq!(ScimType::parse(&t.as_str().to_uppercase()), Some(t));
        }
        assert_eq!(ScimType::parse("notAKeyword"), None);
    }

    #[test]
    fn a_keyword_travels_in_a_status_and_back() {
        for t in ScimType::ALL {
            let sent = status(Code::InvalidArgument, "bad", Some(t));
            assert_eq!(scim_type_of(&sent), Some(t));
            assert_eq!(sent.message(), "bad");
        }
        assert_eq!(scim_type_of(&status(Code::NotFound, "gone", None)), None);
    }

    #[test]
    fn a_keyword_under_another_domain_is_not_a_scim_type() {
        let details =
            ErrorDetails::with_error_info("uniqueness", CHANGES_ERROR_DOMAIN, HashMap::<String, String>::new());
        let foreign = Status::with_error_details(Code::AlreadyExists, "x", details);
        assert_eq!(scim_type_of(&foreign), None);
    }

    #[test]
    fn the_status_table_answers_what_the_design_promises() {
        let table = [
            (Code::InvalidArgument, 400, "INVALID_ARGUMENT"),
            (Code::Unauthenticated, 401, "UNAUTHENTICATED"),
            (Code::PermissionDenied, 403, "PERMISSION_DENIED"),
            (Code::NotFound, 404, "NOT_FOUND"),
            (Code::AlreadyExists, 409, "ALREADY_EXISTS"),
            (Code::FailedPrecondition, 412, "FAILED_PRECONDITION"),
            (Code::ResourceExhausted, 429, "RESOURCE_EXHAUSTED"),
            (Code::Unavailable, 503, "UNAVAILABLE"),
            (Code::DeadlineExceeded, 504, "DEADLINE_EXCEEDED"),
            (Code::Cancelled, 504, "CANCELLED"),
            (Code::Internal, 500, "INTERNAL"),
            (Code::Unknown, 500, "UNKNOWN"),
            (Code::DataLoss, 500, "DATA_LOSS"),
        ];
        for (code, http, name) in table {
            assert_eq!((http_status(code), code_name(code)), (http, name), "{code:?}");
        }
    }
}
