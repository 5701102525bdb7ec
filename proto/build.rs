//! Compiles the `idsync.v1` contract with protox (pure Rust, no `protoc` on the machine).
use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let files = [
        "proto/idsync/v1/resources.proto",
        "proto/idsync/v1/users.proto",
        "proto/idsync/v1/groups.proto",
        "proto/idsync/v1/admin.proto",
        "proto/idsync/v1/discovery.proto",
        "proto/idsync/v1/search.proto",
        "proto/idsync/v1/changes.proto",
        "proto/idsync/v1/log.proto",
        "proto/idsync/v1/directory.proto",
    ];
    let fds = protox::compile(files, ["proto"])?;
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    // compile_fds() does not write the descriptor set that reflection needs.
    std::fs::write(out.join("idsync_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure()
        .type_attribute(".", "#[allow(clippy::all, missing_docs)]")
        .build_server(true)
        .build_client(true)
        .compile_fds(fds)?;
    Ok(())
}
