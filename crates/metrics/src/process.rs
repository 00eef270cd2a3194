//! Process-wide series: open connections (all listeners), and what Linux
//! reports in `/proc/self` about memory and file descriptors.

use crate::primitives::Gauge;

/// HTTP connections open now, on every listener of the process
/// (crates/server/src/listener.rs).
pub static OPEN_CONNECTIONS: Gauge = Gauge::new_const();

/// Resident set size in bytes (`VmRSS` of /proc/self/status).
pub fn resident_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// File descriptors open now (entries of /proc/self/fd).
pub fn open_fds() -> Option<u64> {
    Some(std::fs::read_dir("/proc/self/fd").ok()?.count() as u64)
}

/// The soft limit on open file descriptors (/proc/self/limits).
pub fn max_fds() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|line| line.starts_with("Max open files"))?;
    line["Max open files".len()..].split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn proc_self_is_read() {
        assert!(resident_memory_bytes().is_some_and(|bytes| bytes > 0));
        assert!(open_fds().is_some_and(|fds| fds >= 3));
        assert!(max_fds().is_some_and(|max| max >= open_fds().unwrap_or(0)));
    }
}
