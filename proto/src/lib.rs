//! The gRPC contract of idsync (package `idsync.v1`) and its generated tonic/prost code.
//!
//! This crate owns the `.proto` files under `proto/` and what `build.rs` generates from
//! them (messages, clients and servers), and the SCIM error contract that travels with
//! them. It must contain no logic beyond those tables and depends on no other idsync
//! crate; the gateway, sync-core and internal services all speak through it.
//!
//! Layout:
//! - [`v1`]: the generated `idsync.v1` package and its descriptor set (for reflection);
//! - [`scim`]: `ScimType`, the error domains, the gRPC ⇄ HTTP status table and the SCIM
//!   schema and message URNs, defined once for core and gateway.

pub mod scim;

/// Version 1 of the idsync API: SCIM resources, discovery, tenants and tokens.
pub mod v1 {
    #![allow(missing_docs, clippy::all, clippy::unwrap_used)]
    tonic::include_proto!("idsync.v1");

    /// Encoded `FileDescriptorSet` of the whole package, for gRPC server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("idsync_descriptor");
}
