//! The transaction IDs of a streamed import, as 64-bit hashes, checked for a repeat at the end
//! in bounded memory. At most `run` hashes are held (4M, 32 MiB, by default); a full run is
//! sorted and written to an unnamed temporary file, and at the end the sorted runs are merged,
//! 64 KiB of each read at a time. A 50M-entry file holds 32 MiB and 13 readers' buffers
//! instead of 400 MB.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

/// Hashes held before a run is written out.
pub(super) const RUN: usize = 4 << 20;

/// `RECKON_ID_HASHES_HELD=N`: hold N hashes instead of `RUN`, so that tests run the runs on
/// disk and their merge on small files.
pub const HELD_VAR: &str = "RECKON_ID_HASHES_HELD";

/// How many hashes a streamed import holds: `RUN`, or what `HELD_VAR` says.
pub(super) fn held() -> usize {
    std::env::var(HELD_VAR).ok().and_then(|n| n.parse().ok()).filter(|&n: &usize| n > 0).unwrap_or(RUN)
}

pub(super) struct IdHashes {
    run: Vec<u64>,
    cap: usize,
    /// Sorted runs written out, each read from its start at the end.
    spilled: Vec<File>,
    /// A repeat already seen within one run: nothing more to learn.
    repeat: bool,
}

impl IdHashes {
    /// Holding at most `cap` hashes (at least 1) in memory.
    pub(super) fn new(cap: usize) -> IdHashes {
        IdHashes { run: Vec::new(), cap: cap.max(1), spilled: Vec::new(), repeat: false }
    }

    pub(super) fn push(&mut self, hash: u64) -> io::Result<()> {
        if self.repeat {
            return Ok(());
        }
        if self.run.capacity() == 0 {
            self.run.reserve_exact(self.cap);
        }
        self.run.push(hash);
        if self.run.len() >= self.cap {
            self.spill()?;
        }
        Ok(())
    }

    /// Sorts the run held, notes a repeat within it, and writes it out.
    fn spill(&mut self) -> io::Result<()> {
        if sort_finds_repeat(&mut self.run) {
            self.repeat = true;
            self.run = Vec::new();
            return Ok(());
        }
        let mut file = tempfile::tempfile()?;
        {
            let mut out = BufWriter::with_capacity(1 << 16, &mut file);
            for h in &self.run {
                out.write_all(&h.to_le_bytes())?;
            }
            out.flush()?;
        }
        file.seek(SeekFrom::Start(0))?;
        self.spilled.push(file);
        self.run.clear();
        Ok(())
    }

    /// Whether any hash was pushed twice.
    pub(super) fn repeats(mut self) -> io::Result<bool> {
        if self.repeat {
            return Ok(true);
        }
        if self.spilled.is_empty() {
            return Ok(sort_finds_repeat(&mut self.run));
        }
        if !self.run.is_empty() {
            self.spill()?;
            if self.repeat {
                return Ok(true);
            }
        }
        let mut runs: Vec<BufReader<File>> =
            self.spilled.into_iter().map(|f| BufReader::with_capacity(1 << 16, f)).collect();
        let mut heap = BinaryHeap::with_capacity(runs.len());
        for (i, run) in runs.iter_mut().enumerate() {
            if let Some(h) = next(run)? {
                heap.push(Reverse((h, i)));
            }
        }
        let mut last = None;
        while let Some(Reverse((h, i))) = heap.pop() {
            if last == Some(h) {
                return Ok(true);
            }
            last = Some(h);
            if let Some(n) = next(&mut runs[i])? {
                heap.push(Reverse((n, i)));
            }
        }
        Ok(false)
    }
}

fn sort_finds_repeat(run: &mut [u64]) -> bool {
    run.sort_unstable();
    run.windows(2).any(|w| w[0] == w[1])
}

/// The next hash of a sorted run, or `None` at its end.
fn next(run: &mut BufReader<File>) -> io::Result<Option<u64>> {
    let mut bytes = [0u8; 8];
    match run.read_exact(&mut bytes) {
        Ok(()) => Ok(Some(u64::from_le_bytes(bytes))),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repeats(hashes: &[u64], cap: usize) -> bool {
        let mut ids = IdHashes::new(cap);
        hashes.iter().for_each(|&h| ids.push(h).unwrap());
        ids.repeats().unwrap()
    }

    /// Held in memory or merged from runs of every size, the answer is a sort's.
    #[test]
    fn a_repeat_is_found_however_the_hashes_are_cut_into_runs() {
        // A permutation of 0..1000 (7919 is prime), with no repeat.
        let distinct: Vec<u64> = (0..1000u64).map(|i| (i * 7919) % 1000).collect();
        for cap in [1, 2, 3, 7, 64, 999, 1000, 1001, RUN] {
            assert!(!repeats(&distinct, cap), "cap {cap}");
            assert!(!repeats(&[], cap));
            for (a, b) in [(0, 999), (10, 11), (500, 501), (998, 999), (0, 1)] {
                let mut twice = distinct.clone();
                twice[b] = twice[a];
                assert!(repeats(&twice, cap), "cap {cap}, {a} and {b}");
            }
        }
        assert!(repeats(&[u64::MAX, 0, u64::MAX], 1));
    }
}
