//! Path normalization before routing.
//!
//! Admins paste the Tenant URL with or without a trailing slash and Entra appends
//! `/Users` to it, so `…/scim/v2//Users` and `…/scim/v2/Users/` must reach the same
//! handler as `…/scim/v2/Users`. This runs as `map_request` around the router, because
//! `Router::layer` only sees a request after the route has been chosen.

use axum::extract::Request;
use axum::http::Uri;
use axum::http::uri::PathAndQuery;

/// Collapses runs of `/` and drops a trailing `/` (except for `/` itself); the query is kept.
pub(crate) fn normalize_path(mut request: Request) -> Request {
    let path = request.uri().path();
    if !needs_normalizing(path) {
        return request;
    }
    let mut normalized = collapse_slashes(path);
    if let Some(query) = request.uri().query() {
        normalized.push('?');
        normalized.push_str(query);
    }
    let mut parts = request.uri().clone().into_parts();
    match PathAndQuery::try_from(normalized) {
        Ok(path_and_query) => {
            parts.path_and_query = Some(path_and_query);
            if let Ok(uri) = Uri::from_parts(parts) {
                *request.uri_mut() = uri;
            }
        }
        Err(error) => tracing::debug!(%error, "could not normalize the request path"),
    }
    request
}

fn needs_normalizing(path: &str) -> bool {
    path.contains("//") || (path.len() > 1 && path.ends_with('/'))
}

fn collapse_slashes(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for segment in path.split('/').filter(|segment| !segment.is_empty()) {
        out.push('/');
        out.push_str(segment);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests {
    use axum::body::Body;

    use super::*;

    fn normalized(uri: &str) -> String {
        let request = Request::builder().uri(uri).body(Body::empty()).unwrap();
        normalize_path(request).uri().to_string()
    }

    #[test]
    fn doubled_and_trailing_slashes_are_removed_and_the_query_kept() {
        assert_eq!(normalized("/scim/v2//Users"), "/scim/v2/Users");
        assert_eq!(normalized("/scim/v2/Users/"), "/scim/v2/Users");
        assert_eq!(normalized("//scim///v2//Users//abc/"), "/scim/v2/Users/abc");
        assert_eq!(
            normalized("/scim/v2//Users?filter=userName+eq+%22a%22&aadOptscim062020"),
            "/scim/v2/Users?filter=userName+eq+%22a%22&aadOptscim062020"
        );
    }

    #[test]
    fn clean_paths_and_the_root_are_untouched() {
        assert_eq!(normalized("/scim/v2/Users/abc?x=1"), "/scim/v2/Users/abc?x=1");
        assert_eq!(normalized("/"), "/");
        assert_eq!(normalized("//"), "/");
    }
}
