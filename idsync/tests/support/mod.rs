//! Running the `idsync` binary from tests: how it ended, told so that a crash cannot
//! pass for an ordinary failure.

#![allow(dead_code)] // each test binary uses the part it needs

use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Output};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_idsync");

/// How a child ended: `exit status 0`, or the signal that killed it with its meaning and
/// whether it dumped core, e.g. `killed by signal 11 (SIGSEGV: invalid memory reference),
/// core dumped`.
pub fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => {
            let (name, reason) = signal_name(signal);
            let core = if status.core_dumped() {
                "core dumped"
            } else {
                "no core dumped (check `ulimit -c`)"
            };
            format!("killed by signal {signal} ({name}: {reason}), {core}")
        }
        (None, None) => format!("{status}"),
    }
}

/// Whether a child ended by a signal rather than by exiting.
pub fn killed_by_signal(status: ExitStatus) -> bool {
    status.signal().is_some()
}

/// Everything a failed run left behind, for an assertion message.
pub fn explain(args: &[&str], output: &Output) -> String {
    format!(
        "idsync {args:?} ended with {}: stderr {:?}, stdout {:?}",
        describe(output.status),
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    )
}

/// The POSIX name of a Linux signal number and what the kernel means by it.
fn signal_name(signal: i32) -> (&'static str, &'static str) {
    match signal {
        1 => ("SIGHUP", "hangup"),
        2 => ("SIGINT", "interrupt"),
        3 => ("SIGQUIT", "quit"),
        4 => ("SIGILL", "illegal instruction"),
        5 => ("SIGTRAP", "trace or breakpoint trap"),
        6 => ("SIGABRT", "aborted, e.g. by a failed assertion or a double free"),
        7 => ("SIGBUS", "bus error"),
        8 => ("SIGFPE", "arithmetic exception"),
        9 => ("SIGKILL", "killed"),
        11 => ("SIGSEGV", "invalid memory reference"),
        13 => ("SIGPIPE", "broken pipe"),
        14 => ("SIGALRM", "timer expired"),
        15 => ("SIGTERM", "terminated"),
        _ => ("unknown signal", "see `man 7 signal`"),
    }
}

pub mod process;
