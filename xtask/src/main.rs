//! Project chores, run as `cargo xtask NAME`.
fn main() -> anyhow::Result<()> {
    anyhow::bail!("usage: cargo xtask <reproduce|bench>")
}
