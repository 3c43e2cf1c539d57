//! The one snapshot helper of the tests: every snapshot is a file `snapshots/NAME.snap` at the
//! top of the repository (reviewed like code; `cargo insta review` updates them).
#![allow(dead_code)]

/// Asserts that `text` is the snapshot `name`.
pub fn assert(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    // Relative to this file: the repository's `snapshots/`.
    settings.set_snapshot_path("../../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// Asserts a sequence of snapshots: for each step `(keys, name)`, the screen `after(keys)`
/// returns (having pressed them) is the snapshot `name`.
pub fn assert_steps(steps: &[(&str, &str)], mut after: impl FnMut(&str) -> String) {
    for (keys, name) in steps {
        assert(name, &after(keys));
    }
}
