//! A bug must not turn one odd file into a crash of the whole run: work on each file and object
//! is isolated, and a panic becomes an `internal-error` diagnostic naming where it happened.

use std::panic::{self, AssertUnwindSafe};

use crate::diagnostic::{Code, Diagnostic, Location};

/// Replace the default panic output (a backtrace on stderr) by nothing: callers turn the panic
/// into a diagnostic that names the file.
pub fn install_quiet_panic_hook() {
    panic::set_hook(Box::new(|_| {}));
}

/// Run `work`; a panic inside it becomes `Err` with the panic's message.
pub fn isolate<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    panic::catch_unwind(AssertUnwindSafe(work)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|text| (*text).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned())
    })
}

pub fn internal_error(location: Location, message: &str) -> Diagnostic {
    Diagnostic::error(
        Code::InternalError,
        location,
        format!("kubepatrol failed on this input ({message}); please report it with the file"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_messages() {
        assert_eq!(isolate(|| 5), Ok(5));
        let failed: Result<(), String> = isolate(|| panic!("boom {}", 1));
        assert_eq!(failed, Err("boom 1".to_owned()));
    }
}
