//! Helpers shared by the fuzz targets.

/// Builds `head ++ piece × count ++ tail` from fuzzer bytes laid out as
/// `[count: u16 LE][head length][piece length][head][piece][tail]`, so that
/// a short input can stand for a deeply nested one (`[[[[…]]]]`, `((((…`,
/// `a.a.a.…`): the fuzzer finds the repeating unit, and the repetition
/// reaches depths that plain mutation of a few kilobytes never would.
/// `None` when the input is too short or the result would exceed `max_len`.
pub fn repeated(data: &[u8], max_len: usize) -> Option<Vec<u8>> {
    let [count_low, count_high, head_len, piece_len, rest @ ..] = data else {
        return None;
    };
    let count = usize::from(u16::from_le_bytes([*count_low, *count_high]));
    let (head_len, piece_len) = (usize::from(*head_len), usize::from(*piece_len));
    if rest.len() < head_len + piece_len {
        return None;
    }
    let (head, rest) = rest.split_at(head_len);
    let (piece, tail) = rest.split_at(piece_len);
    let total = head.len() + piece.len() * count + tail.len();
    if total > max_len {
        return None;
    }
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(head);
    for _ in 0..count {
        out.extend_from_slice(piece);
    }
    out.extend_from_slice(tail);
    Some(out)
}

/// Makes an overflowed stack reach libFuzzer as a crash, with the input
/// saved. Without a sanitizer, nothing else handles one: libFuzzer's
/// SIGSEGV handler would run on the exhausted stack itself, and the
/// process would die with no artifact. Call once, from the target's
/// `init`, before libFuzzer installs its handlers (it keeps ours, and our
/// alternate stack, in front of its own). Covers the thread that runs the
/// inputs; other threads still die silently, with a non-zero exit.
pub fn report_stack_overflows() {
    const ALTERNATE_STACK_BYTES: usize = 64 * 1024;
    let stack = Box::leak(vec![0u8; ALTERNATE_STACK_BYTES].into_boxed_slice());
    let alternate = libc::stack_t {
        ss_sp: stack.as_mut_ptr().cast(),
        ss_flags: 0,
        ss_size: ALTERNATE_STACK_BYTES,
    };
    // SAFETY: the alternate stack is leaked, so it outlives the thread;
    // the action is fully initialised before it is installed.
    unsafe {
        assert_eq!(libc::sigaltstack(&alternate, std::ptr::null_mut()), 0, "sigaltstack");
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_segv as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        libc::sigemptyset(&mut action.sa_mask);
        assert_eq!(
            libc::sigaction(libc::SIGSEGV, &action, std::ptr::null_mut()),
            0,
            "sigaction"
        );
    }
}

/// Says what happened and aborts: libFuzzer's SIGABRT handler then saves
/// the input as a crash. Only async-signal-safe calls.
extern "C" fn on_segv(_signal: libc::c_int, _info: *mut libc::siginfo_t, _context: *mut libc::c_void) {
    const MESSAGE: &[u8] = b"\nSIGSEGV: stack overflow (or invalid memory access)\n";
    // SAFETY: write and abort are async-signal-safe.
    unsafe {
        libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
        libc::abort();
    }
}
