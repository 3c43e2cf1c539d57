//! Diagnostics on stderr through `tracing`: off unless `OWED_LOG` names a level (`error`,
//! `warn`, `info`, `debug`, `trace`). `OWED_LOG=debug owed import …` says where an import's
//! time goes. The workstation on a terminal logs nothing there: that terminal is its screen.

use crate::domain::text::one_line;
use crate::{Error, Result};

/// Installs the stderr logger when `OWED_LOG` asks for one; `screen`: the command draws on
/// the terminal stderr goes to. A value that is no level is refused in one sentence.
pub fn init(screen: bool) -> Result<()> {
    let Some(value) = std::env::var_os("OWED_LOG") else {
        return Ok(());
    };
    let value = value.to_string_lossy();
    let value = value.trim();
    if value.is_empty() || value.eq_ignore_ascii_case("off") {
        return Ok(());
    }
    let level: tracing::Level = value.parse().map_err(|_| {
        let shown: String = one_line(value).chars().take(80).collect();
        Error::input(format!(
            "OWED_LOG must be error, warn, info, debug, trace or off, not `{shown}`"
        ))
    })?;
    if screen {
        return Ok(());
    }
    // A second call (tests running commands in one process) keeps the first logger.
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .try_init();
    Ok(())
}
