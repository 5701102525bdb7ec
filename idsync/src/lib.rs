//! The `idsync` binary's library: what the binary wires together, shared with the
//! end-to-end tests that start the real system in their own process.
//!
//! It owns launching (`node`: the single node, a core on its own, a gateway on its
//! own); the CLI itself (`src/main.rs`, `src/cli/`) stays in the binary. It must not
//! hold business logic: every decision about identity data is sync-core's.
//!
//! Layout:
//! - [`node`]: configs, `start_single_node` / `start_core` / `start_gateway`, and the
//!   running handles that stop gracefully and close the store.

pub mod node;
