//! Groups: the SCIM Group resource (RFC 7643 §4.2) — its schema, conversions, filters,
//! PATCH, the operations the gRPC service exposes, and the read-only `User.groups`
//! derived from membership.
//!
//! Membership is stored one row per member, so every operation touches only the
//! members it names: a PATCH is planned without reading the member list (`patch`) and
//! applied in one transaction that checks the named members exist in the tenant, writes
//! the membership rows and bumps the group's version (`ops`). See `patch` for the PATCH
//! shapes accepted and for the one deliberate deviation from RFC 7644: `replace members`
//! adds (docs/entra.md, D1).

pub mod convert;
pub mod filter;
mod ops;
mod seek;

pub mod patch;
pub mod schema;
pub mod service;
