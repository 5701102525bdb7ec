//! The directory API (`idsync.v1.Directory`): membership reads for internal services —
//! a user's groups, a group's members, one membership check.
//!
//! Only direct membership exists here, as in `User.groups` (RFC 7643 §4.1.2): nested
//! groups are listed as members, never expanded. Each call reads one snapshot of the
//! caller's tenant with a fixed number of statements (storage's `Tx::user_groups`,
//! `Tx::group_members`, `Tx::is_member`), and pages are capped by the core's
//! `max_page_size` like every list. An unknown user or group is NOT_FOUND; an unknown
//! member id in a check is just not a member, so a caller need not know whether the id
//! names a user or a group, nor whether it still exists.
//!
//! Layout: `ops` holds the operations, [`service`] the tonic service.

mod ops;
pub mod service;
