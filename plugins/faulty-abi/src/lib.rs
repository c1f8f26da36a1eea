//! A test-only library exporting a plugin table that claims a future ABI version, so the host's
//! version check can be tested. Its functions must never be called.

use losscape_plugin_api::{
    ABI_VERSION, MessageBuffer, PluginTable, RawReport, StopCriteria, status,
};

unsafe extern "C" fn check_config(_: *const u8, _: usize, _: *mut MessageBuffer) -> i32 {
    status::FAILED
}

#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn minimise(
    _: *const u8,
    _: usize,
    _: *mut f64,
    _: usize,
    _: losscape_plugin_api::EvalFn,
    _: *mut std::ffi::c_void,
    _: StopCriteria,
    _: *mut RawReport,
    _: *mut MessageBuffer,
) -> i32 {
    status::FAILED
}

static TABLE: PluginTable = {
    let mut t = PluginTable::new("faulty-abi", check_config, minimise);
    t.header.abi_version = ABI_VERSION + 1000;
    t
};

/// Entry point with the right name and the wrong version.
#[unsafe(no_mangle)]
pub extern "C" fn losscape_plugin_entry() -> *const PluginTable {
    &TABLE
}
