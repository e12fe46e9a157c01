//! File helpers: atomic writes (temp file + rename) and content hashing.

use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Writes `contents` to `path` atomically: a temporary file in the same folder, then a rename.
/// Creates missing parent folders. A reader never sees a half-written file.
///
/// The file gets the mode a plain write would give it: a new file `0o666` less the umask, a
/// replaced file keeps its mode. When `path` is a symbolic link, the file it points at is
/// written (through the link), and the link stays.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let target = through_links(path)?;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| Error::write(&dir, e))?;
    let existing = std::fs::metadata(&target).ok().map(|m| m.permissions());
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Created with 0o666, which the kernel reduces by the umask, like File::create.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder
        .tempfile_in(&dir)
        .map_err(|e| Error::write(&dir, e))?;
    if let Some(permissions) = existing {
        tmp.as_file()
            .set_permissions(permissions)
            .map_err(|e| Error::write(&target, e))?;
    }
    tmp.write_all(contents)
        .map_err(|e| Error::write(&target, e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::write(&target, e))?;
    tmp.persist(&target)
        .map_err(|e| Error::write(&target, e.error))?;
    Ok(())
}

/// The file `path` names after following symbolic links (at most 40, as the kernel does);
/// `path` itself when it is not a link or does not exist.
fn through_links(path: &Path) -> Result<std::path::PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current).map_err(|e| Error::read(&current, e))?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(Error::write(
        path,
        std::io::Error::other("too many levels of symbolic links"),
    ))
}

/// The UTF-8 byte-order mark, which some editors put at the start of text files.
pub const BOM: &str = "\u{feff}";

/// Text from the bytes of a file, read the way Python's `utf-8-sig` codec does: one leading
/// byte-order mark is dropped; bytes that are not UTF-8 are an error naming the line and the
/// column (in bytes) where they start.
pub fn utf8_sig(bytes: Vec<u8>) -> std::result::Result<String, String> {
    let mut bytes = bytes;
    if bytes.starts_with(BOM.as_bytes()) {
        bytes.drain(..BOM.len());
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
        let column = valid.len() - valid.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1) + 1;
        format!(
            "is not UTF-8 text: invalid bytes at line {line}, column {column}; save it as UTF-8"
        )
    })
}

/// Reads a text file as [`utf8_sig`] does.
pub fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::read(path, e))?;
    utf8_sig(bytes).map_err(|why| Error::Io {
        action: "cannot read",
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, why),
    })
}

/// `sha256:<hex>` of the bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex_digest(&Sha256::digest(bytes))
}

fn hex_digest(digest: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(7 + 2 * digest.len());
    out.push_str("sha256:");
    for b in digest {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// `sha256:<hex>` of a file's bytes, read in chunks (for large files such as executables).
pub fn sha256_file(path: &Path) -> Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| Error::read(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::read(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex_digest(&hasher.finalize()))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn atomic_writes_keep_normal_modes_and_write_through_links() {
        let dir = tempfile::tempdir().unwrap();
        // The mode File::create gives under this process's umask.
        let plain = dir.path().join("plain");
        std::fs::File::create(&plain).unwrap();
        let new = dir.path().join("new.json");
        write_atomic(&new, b"{}").unwrap();
        assert_eq!(
            mode(&new),
            mode(&plain),
            "a new file gets 0o666 less the umask"
        );

        let script = dir.path().join("run.sh");
        std::fs::write(&script, "old").unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o750)).unwrap();
        write_atomic(&script, b"new").unwrap();
        assert_eq!(mode(&script), 0o750, "a replaced file keeps its mode");
        assert_eq!(std::fs::read(&script).unwrap(), b"new");

        let real = dir.path().join("real.json");
        std::fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("real.json", &link).unwrap();
        write_atomic(&link, b"through").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read(&real).unwrap(), b"through");
    }
}
