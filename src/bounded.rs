//! Reading files sessionctl did not write itself (the config, the metrics file a previous run
//! left, a journal) with a bound: `-c /dev/zero` or a metrics path on `/dev/full` must be an
//! error, not a process that reads until the kernel kills it.

use std::io::{self, BufRead, Read};
use std::path::Path;

/// The whole of `path`, refused (`InvalidData`) beyond `limit` bytes.
pub fn read_file(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_long("file", limit));
    }
    Ok(bytes)
}

/// The lines of `reader` (without their line ends), each refused (`InvalidData`) beyond
/// `limit` bytes without being held whole; the rest of the input is then not read.
pub fn lines(reader: impl BufRead, limit: u64) -> impl Iterator<Item = io::Result<String>> {
    let mut reader = reader;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed {
            return None;
        }
        let mut line = Vec::new();
        let read = (&mut reader).take(limit + 1).read_until(b'\n', &mut line);
        let line = match read {
            Ok(0) => return None,
            Ok(_) if line.len() as u64 > limit && !line.ends_with(b"\n") => {
                Err(too_long("line", limit))
            }
            Ok(_) => {
                if line.ends_with(b"\n") {
                    line.pop();
                }
                String::from_utf8(line)
                    .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8"))
            }
            Err(e) => Err(e),
        };
        failed = line.is_err();
        Some(line)
    })
}

fn too_long(what: &str, limit: u64) -> io::Error {
    let size = match limit {
        l if l >= 1 << 20 => format!("{} MiB", l >> 20),
        l => format!("{} KiB", l >> 10),
    };
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{what} longer than {size}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endless_file_or_line_is_refused_at_its_bound() {
        let e = read_file(Path::new("/dev/zero"), 1 << 20).unwrap_err();
        assert_eq!(e.to_string(), "file longer than 1 MiB");
        let input = io::Cursor::new(
            b"ok\nfine\r\n"
                .iter()
                .chain(&[b'x'; 5000])
                .copied()
                .collect::<Vec<u8>>(),
        );
        let got: Vec<String> = lines(input, 4096)
            .map(|l| l.unwrap_or_else(|e| e.to_string()))
            .collect();
        assert_eq!(got, ["ok", "fine\r", "line longer than 4 KiB"]);
        // A line of exactly the bound is whole.
        let input = io::Cursor::new(vec![b'y'; 4096]);
        assert_eq!(lines(input, 4096).next().unwrap().unwrap().len(), 4096);
    }
}
