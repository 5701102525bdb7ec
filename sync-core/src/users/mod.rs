//! Users: the SCIM User resource — conversions, filters, PATCH, and the operations the
//! gRPC service exposes.

pub mod convert;
mod diff;
pub mod filter;
mod ops;
pub mod patch;
mod seek;
pub mod service;

pub(crate) use ops::user_page;
