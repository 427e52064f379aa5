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
    /// The run held, by the hash's top byte: each bucket sorted on its own at the end is the
    /// run sorted, in cache-sized pieces, and the two halves go to two threads.
    buckets: Vec<Vec<u64>>,
    held: usize,
    cap: usize,
    /// Sorted runs written out, each read from its start at the end.
    spilled: Vec<File>,
    /// A repeat already seen within one run: nothing more to learn.
    repeat: bool,
}

/// Buckets of a run (by the top 8 bits of each hash).
const BUCKETS: usize = 256;

impl IdHashes {
    /// Holding at most `cap` hashes (at least 1) in memory.
    pub(super) fn new(cap: usize) -> IdHashes {
        IdHashes { buckets: Vec::new(), held: 0, cap: cap.max(1), spilled: Vec::new(), repeat: false }
    }

    pub(super) fn push(&mut self, hash: u64) -> io::Result<()> {
        if self.repeat {
            return Ok(());
        }
        if self.buckets.is_empty() {
            // Room for an even spread of a full run, and an eighth more: hashes are spread
            // evenly, so a bucket seldom grows (virtual memory until written, as before).
            let each = self.cap / BUCKETS;
            self.buckets = (0..BUCKETS).map(|_| Vec::with_capacity(each + each / 8)).collect();
        }
        self.buckets[(hash >> 56) as usize].push(hash);
        self.held += 1;
        if self.held >= self.cap {
            self.spill()?;
        }
        Ok(())
    }

    /// Sorts the run held, notes a repeat within it, and writes it out.
    fn spill(&mut self) -> io::Result<()> {
        if sort_finds_repeat(&mut self.buckets, self.held) {
            self.repeat = true;
            self.buckets = Vec::new();
            return Ok(());
        }
        let mut file = tempfile::tempfile()?;
        {
            let mut out = BufWriter::with_capacity(1 << 16, &mut file);
            for h in self.buckets.iter().flatten() {
                out.write_all(&h.to_le_bytes())?;
            }
            out.flush()?;
        }
        file.seek(SeekFrom::Start(0))?;
        self.spilled.push(file);
        self.buckets.iter_mut().for_each(Vec::clear);
        self.held = 0;
        Ok(())
    }

    /// Whether any hash was pushed twice.
    pub(super) fn repeats(mut self) -> io::Result<bool> {
        if self.repeat {
            return Ok(true);
        }
        if self.spilled.is_empty() {
            return Ok(sort_finds_repeat(&mut self.buckets, self.held));
        }
        if self.held > 0 {
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

/// Sorts each bucket (together, the run: `held` hashes) and says whether a hash is in one
/// twice; a hash is in one bucket only. A large run (the end of every streamed import waits
/// for this one) is sorted on two threads, half the buckets each: 1M hashes took 18 ms sorted
/// whole on one thread, 12.6 ms split in two halves on two.
fn sort_finds_repeat(buckets: &mut [Vec<u64>], held: usize) -> bool {
    let sort = |buckets: &mut [Vec<u64>]| {
        buckets.iter_mut().any(|b| {
            b.sort_unstable();
            b.windows(2).any(|w| w[0] == w[1])
        })
    };
    if held < TWO_THREADS_FROM {
        return sort(buckets);
    }
    let (low, high) = buckets.split_at_mut(buckets.len() / 2);
    std::thread::scope(|scope| {
        let low = scope.spawn(|| sort(low));
        let high = sort(high);
        low.join().expect("a sort panicked") || high
    })
}

/// Runs this long are sorted on two threads.
const TWO_THREADS_FROM: usize = 1 << 16;

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

    /// A run long enough to be sorted on two threads: a repeat in either half is found, and
    /// the hashes either side of the split, or all on one side of it, are no repeat.
    #[test]
    fn a_long_run_sorted_on_two_threads_finds_what_one_sort_finds() {
        let n = TWO_THREADS_FROM as u64 * 2 + 3;
        // Distinct hashes over the whole range (an odd multiplier is a bijection), and the
        // same count all below the middle value.
        let spread: Vec<u64> = (0..n).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).collect();
        let low: Vec<u64> = (0..n).collect();
        for distinct in [spread, low] {
            assert!(!repeats(&distinct, RUN));
            let mut split = distinct.clone();
            (split[0], split[1]) = ((1 << 63) - 1, 1 << 63);
            assert!(!repeats(&split, RUN));
            for (a, b) in [(0, n as usize - 1), (5, 6), (1000, 70_000)] {
                let mut twice = distinct.clone();
                twice[b] = twice[a];
                assert!(repeats(&twice, RUN), "{a} and {b}");
            }
            let mut middle = distinct.clone();
            (middle[7], middle[9]) = (1 << 63, 1 << 63);
            assert!(repeats(&middle, RUN));
        }
    }
}
