//! A test-only shared library that looks like a plugin but exports no
//! `losscape_plugin_entry`, so the host's missing-symbol error can be tested.

/// A decoy export with a similar but wrong name.
#[unsafe(no_mangle)]
pub extern "C" fn losscape_plugin_entry_v0() -> u32 {
    0
}
