//! The one table that pairs each gRPC status from sync-core with its SCIM answer.
//!
//! The core puts the human-readable detail in `Status::message()` and the `scimType` in an
//! `ErrorInfo { reason: <scimType>, domain: "idsync.scim" }` detail; throttling adds a
//! `RetryInfo`. Codes outside the contract become a 500 with a generic detail, and the
//! real status is logged here, once.

use std::borrow::Cow;
use std::time::Duration;

use idsync_proto::scim;
use tonic::Status;
use tonic_types::{ErrorDetails, StatusExt};

use super::ApiError;

/// `Retry-After` when the core throttles without saying for how long.
const DEFAULT_RETRY_AFTER_SECS: u64 = 1;

impl From<Status> for ApiError {
    fn from(status: Status) -> Self {
        from_status(&status)
    }
}

/// Maps a status from sync-core to the SCIM error it stands for: the HTTP status from
/// the contract's one table ([`scim::http_status`]), the `scimType` from its `ErrorInfo`,
/// and a default detail when the core sent none.
fn from_status(status: &Status) -> ApiError {
    if broken_transport(status) {
        // Not the core's answer: the call never reached it or its connection broke (a
        // refused TLS handshake, a reset). Logged, not echoed; the client may retry.
        tracing::warn!(code = ?status.code(), message = status.message(), "sync-core unreachable");
        return ApiError::unavailable();
    }
    let detail = |fallback: &'static str| -> Cow<'static, str> {
        match status.message() {
            "" => Cow::Borrowed(fallback),
            message => Cow::Owned(message.to_owned()),
        }
    };
    match scim::http_status(status.code()) {
        400 => ApiError::bad_request(scim::scim_type_of(status), detail("invalid request")),
        401 => ApiError::unauthorized(detail("missing or invalid bearer token")),
        403 => ApiError::forbidden(detail("the token may not perform this operation")),
        404 => ApiError::not_found(detail("resource not found")),
        409 => ApiError::conflict(detail("resource already exists")),
        412 => ApiError::precondition_failed(detail("version mismatch")),
        429 => ApiError::too_many_requests(detail("too many requests"), retry_after(&status.get_error_details())),
        501 => ApiError::not_implemented(detail("not implemented")),
        504 => ApiError::deadline_exceeded(),
        503 => {
            // Transport failures read like "tcp connect error …": log them, do not echo them.
            tracing::warn!(message = status.message(), "sync-core unavailable");
            ApiError::unavailable()
        }
        _ => {
            tracing::error!(code = ?status.code(), message = status.message(), "sync-core call failed");
            ApiError::internal()
        }
    }
}

/// Whether `status` was made by this side's transport from a connection failure, rather
/// than sent by the core: tonic keeps the failure as the status's `source`. The call's
/// own deadline expiring (`TimeoutExpired`, which tonic reports as `CANCELLED`) is not
/// a broken transport; it stays a 504.
fn broken_transport(status: &Status) -> bool {
    let mut cause = std::error::Error::source(status);
    if cause.is_none() {
        return false;
    }
    while let Some(error) = cause {
        if error.is::<tonic::TimeoutExpired>() {
            return false;
        }
        cause = error.source();
    }
    true
}

/// Whole seconds from `RetryInfo`, rounded up, at least one.
fn retry_after(details: &ErrorDetails) -> u64 {
    details
        .retry_info()
        .and_then(|info| info.retry_delay)
        .map(|delay| ceil_secs(delay).max(1))
        .unwrap_or(DEFAULT_RETRY_AFTER_SECS)
}

fn ceil_secs(delay: Duration) -> u64 {
    delay.as_secs() + u64::from(delay.subsec_nanos() > 0)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use axum::http::StatusCode;
    use idsync_proto::scim::{SCIM_ERROR_DOMAIN, ScimType};
    use tonic::Code;

    use super::*;

    fn with_scim_type(code: Code, message: &str, reason: &str) -> Status {
        let details = ErrorDetails::with_error_info(reason, SCIM_ERROR_DOMAIN, HashMap::<String, String>::new());
        Status::with_error_details(code, message, details)
    }

    fn mapped(status: Status) -> (StatusCode, Option<&'static str>, String) {
        let error = ApiError::from(status);
        (
            error.status(),
            error.scim_type().map(ScimType::as_str),
            error.detail().to_owned(),
        )
    }

    #[test]
    fn invalid_argument_is_400_with_the_scim_type_from_error_info() {
        for reason in [
            "invalidFilter",
            "invalidValue",
            "mutability",
            "invalidPath",
            "noTarget",
            "invalidSyntax",
            "tooMany",
        ] {
            let (status, scim_type, detail) = mapped(with_scim_type(Code::InvalidArgument, "bad", reason));
            assert_eq!(
                (status, scim_type, detail.as_str()),
                (StatusCode::BAD_REQUEST, Some(reason), "bad")
            );
        }
    }

    #[test]
    fn invalid_argument_without_error_info_or_from_another_domain_has_no_scim_type() {
        assert_eq!(mapped(Status::invalid_argument("bad")).1, None);
        let foreign = ErrorDetails::with_error_info("invalidValue", "example.com", HashMap::<String, String>::new());
        assert_eq!(
            mapped(Status::with_error_details(Code::InvalidArgument, "bad", foreign)).1,
            None
        );
        assert_eq!(
            mapped(with_scim_type(Code::InvalidArgument, "bad", "NOT_A_SCIM_TYPE")).1,
            None
        );
    }

    #[test]
    fn each_contract_code_maps_to_its_http_status() {
        let table = [
            (Code::Unauthenticated, StatusCode::UNAUTHORIZED, None),
            (Code::PermissionDenied, StatusCode::FORBIDDEN, None),
            (Code::NotFound, StatusCode::NOT_FOUND, None),
            (Code::AlreadyExists, StatusCode::CONFLICT, Some("uniqueness")),
            (Code::FailedPrecondition, StatusCode::PRECONDITION_FAILED, None),
            (Code::ResourceExhausted, StatusCode::TOO_MANY_REQUESTS, None),
            (Code::Unimplemented, StatusCode::NOT_IMPLEMENTED, None),
        ];
        let (status, _, _) = mapped(Status::deadline_exceeded("late"));
        assert_eq!(status, StatusCode::GATEWAY_TIMEOUT);
        for (code, http, scim_type) in table {
            let (status, got_type, detail) = mapped(Status::new(code, "the core's words"));
            assert_eq!(
                (status, got_type, detail.as_str()),
                (http, scim_type, "the core's words"),
                "{code:?}"
            );
        }
    }

    #[test]
    fn unavailable_is_503_without_transport_detail() {
        let (status, _, detail) = mapped(Status::unavailable("tcp connect error: 10.0.0.7:50051"));
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(!detail.contains("10.0.0.7"));
    }

    #[test]
    fn a_status_made_from_a_broken_connection_is_503_and_an_expired_deadline_504() {
        for code_hint in ["connection reset by peer", "received fatal alert: CertificateRequired"] {
            let broken = Status::from_error(Box::new(std::io::Error::other(code_hint)));
            assert_eq!(broken.code(), Code::Unknown);
            let (status, _, detail) = mapped(broken);
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert!(!detail.contains(code_hint), "{detail}");
        }
        let late = Status::from_error(Box::new(tonic::TimeoutExpired(())));
        assert_eq!(late.code(), Code::Cancelled);
        assert_eq!(mapped(late).0, StatusCode::GATEWAY_TIMEOUT);
    }

    #[test]
    fn every_other_code_is_500_with_a_generic_detail() {
        for code in [
            Code::Ok,
            Code::Unknown,
            Code::Aborted,
            Code::OutOfRange,
            Code::Internal,
            Code::DataLoss,
        ] {
            let (status, scim_type, detail) = mapped(Status::new(code, "db password=hunter2"));
            assert_eq!(
                (status, scim_type, detail.as_str()),
                (StatusCode::INTERNAL_SERVER_ERROR, None, "internal error")
            );
        }
    }

    #[test]
    fn an_empty_message_falls_back_to_a_default_detail() {
        assert_eq!(mapped(Status::not_found("")).2, "resource not found");
    }

    #[test]
    fn retry_after_comes_from_retry_info_rounded_up_and_defaults_to_one_second() {
        let throttled = |delay: Option<Duration>| {
            ApiError::from(Status::with_error_details(
                Code::ResourceExhausted,
                "slow down",
                ErrorDetails::with_retry_info(delay),
            ))
            .retry_after()
        };
        assert_eq!(throttled(Some(Duration::from_secs(5))), Some(5));
        assert_eq!(throttled(Some(Duration::from_millis(1500))), Some(2));
        assert_eq!(throttled(Some(Duration::ZERO)), Some(1));
        assert_eq!(throttled(None), Some(1));
        assert_eq!(ApiError::from(Status::resource_exhausted("x")).retry_after(), Some(1));
    }
}
