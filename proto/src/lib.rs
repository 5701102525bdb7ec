//! The gRPC contract of idsync (package `idsync.v1`) and its generated tonic/prost code.
//!
//! This crate owns only the `.proto` files under `proto/` and what `build.rs` generates
//! from them: messages, clients and servers. It contains no logic and depends on no other
//! idsync crate; the gateway, sync-core and internal services all speak through it.

/// Version 1 of the idsync API: SCIM resources, discovery, tenants and tokens.
pub mod v1 {
    #![allow(missing_docs, clippy::all, clippy::unwrap_used)]
    tonic::include_proto!("idsync.v1");

    /// Encoded `FileDescriptorSet` of the whole package, for gRPC server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("idsync_descriptor");
}
