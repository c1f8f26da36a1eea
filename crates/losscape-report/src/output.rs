//! Writing output files without following links already at their names.
//!
//! A symbolic link at an output path (left by an earlier tool, or planted) must not redirect a
//! write to the file it points to: that would overwrite something the user never named. Every
//! file is therefore written in full under a temporary name in the same folder and renamed
//! over the output path, which replaces a link rather than its target (as `export` does).

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path`, replacing whatever entry is there (a file or a symbolic link)
/// and never writing through a link. A folder at `path` is refused.
pub fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
        return Err(std::io::Error::other(
            "is a folder, cannot be replaced by a file",
        ));
    }
    let temp = temporary_name(path)?;
    // A stale entry at the temporary name (even a link) is removed, then the file is created
    // new, so it cannot be written through a link either.
    let _ = std::fs::remove_file(&temp);
    let result = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .and_then(|()| std::fs::rename(&temp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// `.NAME.losscape-partial` beside `path`.
fn temporary_name(path: &Path) -> std::io::Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("the path names no file"))?;
    let mut temp = std::ffi::OsString::from(".");
    temp.push(name);
    temp.push(".losscape-partial");
    Ok(path.with_file_name(temp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_replaced_not_followed() {
        let dir = tempfile::tempdir().expect("dir");
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "keep").expect("write");
        let link = dir.path().join("out.svg");
        std::os::unix::fs::symlink(&victim, &link).expect("link");
        replace_file(&link, b"<svg/>").expect("replace");
        assert_eq!(std::fs::read_to_string(&victim).expect("read"), "keep");
        assert!(!std::fs::symlink_metadata(&link).expect("meta").is_symlink());
        assert_eq!(std::fs::read_to_string(&link).expect("read"), "<svg/>");
        // Only the output is left: no temporary file.
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 2);

        let folder = dir.path().join("folder");
        std::fs::create_dir(&folder).expect("mkdir");
        let e = replace_file(&folder, b"x").unwrap_err();
        assert!(e.to_string().contains("is a folder"), "{e}");
    }
}
