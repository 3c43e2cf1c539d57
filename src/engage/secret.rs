//! A password or token read from the environment: kept out of every `Debug` print, so
//! settings can be logged or shown in an error without what signs in with them.

use std::fmt;

/// A secret string. `Debug` prints `Secret(..)`; [`Secret::expose`] is the one way to read
/// it, at the place it is sent.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, to be sent where it signs in.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret::new(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn debug_never_shows_the_secret() {
        let s = Secret::from("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(..)");
        assert_eq!(
            format!("{:?}", Some(("u", s.clone()))),
            "Some((\"u\", Secret(..)))"
        );
        assert_eq!(s.expose(), "hunter2");
    }
}
