//! Who acts and what their role lets them do.
//!
//! Every write names an [`Actor`]: the user whose SSH key was accepted by `owed serve`, or,
//! in one's own shell, the collector named by `--as`, the config or the OS user. The checks
//! of what a role may do live beside the writes (see `crate::actions`), so a refusal is the
//! same whether the request came from a key, a form, the command line or a test.

use std::fmt;

/// A user's role (SPEC "Serving the workstation over SSH").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Works the customers whose finance owner they are; reads the rest.
    Collector,
    /// Does everything: assign, holds, releases, engagement runs, user changes.
    Manager,
    /// Reads everything, writes nothing.
    Auditor,
}

impl Role {
    /// Every role, in the order they are listed.
    pub const ALL: [Role; 3] = [Role::Collector, Role::Manager, Role::Auditor];

    /// The role's name as written on the command line and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Collector => "collector",
            Role::Manager => "manager",
            Role::Auditor => "auditor",
        }
    }

    /// Reads a role's name.
    pub fn parse(text: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == text.trim())
            .ok_or_else(|| {
                format!(
                    "unknown role `{}`: use collector, manager or auditor",
                    text.trim()
                )
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is acting, with the role that bounds what they may write.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Actor {
    pub name: String,
    pub role: Role,
}

impl Actor {
    /// An actor with a role.
    pub fn new(name: impl Into<String>, role: Role) -> Actor {
        Actor {
            name: name.into(),
            role,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_back_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert_eq!(Role::parse(" manager "), Ok(Role::Manager));
        assert!(Role::parse("admin").unwrap_err().contains("admin"));
    }
}
