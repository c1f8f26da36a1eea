//! A test-only library whose plugin table has the right version and size but a null
//! `minimise` function, as a plugin written in C with a forgotten field would have, so the
//! host's load-time check of every function pointer can be tested.
//!
//! A `PluginTable` cannot hold a null function pointer in Rust, so the table is declared here
//! with the same `repr(C)` layout and nullable (`Option`) function pointers.

use losscape_plugin_api::{
    ABI_VERSION, CheckConfigFn, MessageBuffer, MinimiseFn, PluginTable, TableHeader, status,
};

/// The ABI's table layout with nullable function pointers.
#[repr(C)]
pub struct NullableTable {
    header: TableHeader,
    name_ptr: *const u8,
    name_len: usize,
    check_config: Option<CheckConfigFn>,
    minimise: Option<MinimiseFn>,
}

// SAFETY: immutable after construction; the name points to a static string.
unsafe impl Sync for NullableTable {}

unsafe extern "C" fn check_config(_: *const u8, _: usize, _: *mut MessageBuffer) -> i32 {
    status::OK
}

const NAME: &str = "faulty-null";

static TABLE: NullableTable = NullableTable {
    header: TableHeader {
        abi_version: ABI_VERSION,
        table_size: std::mem::size_of::<PluginTable>() as u32,
    },
    name_ptr: NAME.as_ptr(),
    name_len: NAME.len(),
    check_config: Some(check_config),
    minimise: None,
};

/// Entry point returning the table with a null `minimise`.
#[unsafe(no_mangle)]
pub extern "C" fn losscape_plugin_entry() -> *const NullableTable {
    &TABLE
}
