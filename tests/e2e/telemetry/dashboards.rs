//! `/metrics` after traffic: provisioning outcomes, auth failures, HTTP and gRPC
//! durations, pool health.
