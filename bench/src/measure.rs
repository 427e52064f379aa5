//! Runs a child process and measures it: wall time and peak resident set size (from `wait4`).

use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use std::{fs, io};

/// What one run of a command took.
#[derive(Debug, Clone)]
pub struct Measured {
    pub wall: Duration,
    /// Peak RSS in KiB (`ru_maxrss` of the reaped child).
    pub max_rss_kib: u64,
    /// Exit code, or `None` when killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `cmd` to completion with stdout and stderr captured through files in `scratch`
/// (a directory), and returns its wall time and peak RSS.
pub fn run(cmd: &mut Command, scratch: &Path) -> io::Result<Measured> {
    fs::create_dir_all(scratch)?;
    let out_path = scratch.join("child.stdout");
    let err_path = scratch.join("child.stderr");
    let out = fs::File::create(&out_path)?;
    let err = fs::File::create(&err_path)?;
    cmd.stdin(Stdio::null()).stdout(out).stderr(err);
    let start = Instant::now();
    let child = cmd.spawn()?;
    let (code, max_rss_kib) = wait4(child.id())?;
    let wall = start.elapsed();
    // The child is reaped: dropping the handle does not wait again.
    drop(child);
    Ok(Measured {
        wall,
        max_rss_kib,
        code,
        stdout: String::from_utf8_lossy(&fs::read(&out_path)?).into_owned(),
        stderr: String::from_utf8_lossy(&fs::read(&err_path)?).into_owned(),
    })
}

#[allow(unsafe_code)]
fn wait4(pid: u32) -> io::Result<(Option<i32>, u64)> {
    let mut status: libc::c_int = 0;
    // SAFETY: a zeroed rusage is a valid value for the out-parameter.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own unreaped child; both pointers are valid for the call.
        let r = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
        if r == pid as libc::pid_t {
            break;
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    let code = if libc::WIFEXITED(status) { Some(libc::WEXITSTATUS(status)) } else { None };
    // Linux reports ru_maxrss in KiB.
    Ok((code, usage.ru_maxrss.max(0) as u64))
}

/// Exit status helper for commands run without measurement.
pub fn describe(status: ExitStatus) -> String {
    match status.code() {
        Some(c) => format!("exit {c}"),
        None => "killed by a signal".into(),
    }
}

/// The median of a non-empty sample (the lower middle for an even count).
pub fn median<T: Copy + Ord>(xs: &[T]) -> T {
    let mut v = xs.to_vec();
    v.sort();
    v[(v.len() - 1) / 2]
}
