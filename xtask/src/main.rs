//! Project chores, run as `cargo xtask NAME`:
//!
//! - `cargo xtask reproduce [--quick]`: build, run the paper's sweep, write the report;
//! - `cargo xtask bench ...`: end-to-end and library timings.

mod bench;
mod host;
mod reproduce;

const USAGE: &str = "usage: cargo xtask <reproduce|bench> [ARGS...]   (`cargo xtask NAME --help`)";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.split_first() {
        Some((cmd, rest)) if cmd == "reproduce" => reproduce::run(rest),
        Some((cmd, rest)) if cmd == "bench" => bench::run(rest),
        Some((cmd, _)) if cmd == "-h" || cmd == "--help" => {
            println!("{USAGE}");
            Ok(())
        }
        Some((cmd, _)) => anyhow::bail!("unknown task '{cmd}'\n{USAGE}"),
        None => anyhow::bail!("{USAGE}"),
    }
}
