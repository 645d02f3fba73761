//! Ctrl-C (SIGINT) and SIGTERM: before a command changes the environment,
//! puffin exits at once (130 or 143); while a transaction changes it, the
//! signal cancels the work, which stops between two file operations, rolls
//! back and then exits with the same code. A second signal during the
//! rollback is ignored, with a message.
//!
//! The handler only writes the signal number to a pipe (async-signal-safe);
//! a thread reads it and decides. Handlers are reset to the default in
//! child processes at `exec`, so interpreters puffin runs are unaffected.

use std::sync::atomic::{AtomicI32, Ordering};

use puffin_installer::Cancellation;

use crate::printer::Printer;

/// The write end of the pipe, for the handler.
static PIPE: AtomicI32 = AtomicI32::new(-1);
/// The first signal received, 0 before.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// The exit code for the first signal received, if any: 128 + its number.
pub(crate) fn exit_code() -> Option<u8> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        signal => u8::try_from(128 + signal).ok(),
    }
}

/// Install the handlers: signals cancel `cancellation`.
#[allow(unsafe_code)]
pub(crate) fn install(cancellation: Cancellation, printer: Printer) -> std::io::Result<()> {
    let mut fds = [0i32; 2];
    // SAFETY: `fds` has room for the two descriptors `pipe` writes.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let [read, write] = fds;
    PIPE.store(write, Ordering::SeqCst);
    std::thread::Builder::new()
        .name("signals".to_string())
        .spawn(move || watch(read, &cancellation, printer))?;
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed `sigaction` is valid; the handler is an
        // `extern "C" fn(c_int)` that only calls `write`.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&raw mut action.sa_mask);
            if libc::sigaction(signal, &raw const action, std::ptr::null_mut()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

/// The signal handler: pass the number on to [`watch`].
#[allow(unsafe_code)]
extern "C" fn on_signal(signal: libc::c_int) {
    let byte = u8::try_from(signal).unwrap_or(0);
    // SAFETY: `write` is async-signal-safe; the buffer is one valid byte.
    unsafe {
        libc::write(PIPE.load(Ordering::Relaxed), (&raw const byte).cast(), 1);
    }
}

/// Read signals from the pipe: the first cancels, and exits at once when
/// nothing is changing; later ones are ignored while the rollback runs.
#[allow(unsafe_code)]
fn watch(read: i32, cancellation: &Cancellation, printer: Printer) {
    loop {
        let mut byte = 0u8;
        // SAFETY: reads one byte into a valid buffer.
        let count = unsafe { libc::read(read, (&raw mut byte).cast(), 1) };
        if count != 1 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        let signal = i32::from(byte);
        let first = RECEIVED
            .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok();
        if !first {
            printer.status(
                "Rolling back the changes to the environment; please wait for it to finish",
            );
            continue;
        }
        if !cancellation.cancel() {
            // Nothing is changing: the store and the environment are safe to
            // leave as they are (the next run cleans up temporary files).
            std::process::exit(128 + signal);
        }
        printer.status("Cancelling: rolling back the changes to the environment");
    }
}
