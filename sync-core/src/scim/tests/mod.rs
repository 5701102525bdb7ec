//! Tests of the SCIM grammar: RFC examples, Entra's real inputs, exact error
//! positions, limits, and property-based round trips.

mod errors;
mod filters;
mod lexical_errors;
mod limits;
mod paths;
mod properties;
mod rfc;
mod support;
