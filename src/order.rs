//! Putting a chain in walk order (pure: the store orders at import, the check and reports
//! order entries held in memory): by time, and entries that share a timestamp by balance
//! continuity (each entry's balance before equals the previous entry's balance after).
//!
//! Entries are edges from their balance before to their balance after; a same-time group that
//! adds up is an Eulerian path through those balances, found in linear time. Only when no
//! order makes a group agree do we search for the order that leaves the fewest faults.

use rustc_hash::FxHashMap as HashMap;
use std::hash::Hash;
use std::ops::{Add, Sub};

/// Groups no larger than this are searched exhaustively when they do not add up.
const EXHAUSTIVE_LIMIT: usize = 6;

/// A balance value: `i64` micro-credits in the store, `Decimal` in the reconciler.
pub trait Balance: Copy + Eq + Hash + Ord + Add<Output = Self> + Sub<Output = Self> {}
impl<T: Copy + Eq + Hash + Ord + Add<Output = T> + Sub<Output = T>> Balance for T {}

/// Sorts `items` into walk order. `name` breaks remaining ties so the order is deterministic.
pub fn walk_order<T: Clone, K: Balance>(
    items: &mut [T],
    ts: impl Fn(&T) -> i64,
    name: impl Fn(&T) -> &str,
    before: impl Fn(&T) -> K,
    after: impl Fn(&T) -> K,
) {
    items.sort_unstable_by(|a, b| ts(a).cmp(&ts(b)).then_with(|| name(a).cmp(name(b))));
    let mut start = 0;
    while start < items.len() {
        let t = ts(&items[start]);
        let mut end = start + 1;
        while end < items.len() && ts(&items[end]) == t {
            end += 1;
        }
        if end - start > 1 {
            let incoming = start.checked_sub(1).map(|i| after(&items[i]));
            let next_is_single =
                end < items.len() && (end + 1 == items.len() || ts(&items[end + 1]) != ts(&items[end]));
            let outgoing = next_is_single.then(|| before(&items[end]));
            let edges: Vec<(K, K)> = items[start..end].iter().map(|x| (before(x), after(x))).collect();
            let order = order_group(&edges, incoming, outgoing);
            if order.iter().enumerate().any(|(i, &j)| i != j) {
                let reordered: Vec<T> = order.iter().map(|&i| items[start + i].clone()).collect();
                items[start..end].clone_from_slice(&reordered);
            }
        }
        start = end;
    }
}

/// One item of a chain that arrives already sorted by time, for [`InOrder`].
pub trait Link<K> {
    fn ts(&self) -> i64;
    /// Breaks ties that balance continuity leaves, as in [`walk_order`].
    fn name(&self) -> &str;
    fn before(&self) -> K;
    fn after(&self) -> K;
}

/// [`walk_order`] for items that arrive one at a time in time order (a large file read window
/// by window): it holds only the current same-time group and the two items after it, and
/// hands items on in exactly the order `walk_order` gives the whole sequence.
#[derive(Debug)]
pub struct InOrder<T, K> {
    queue: std::collections::VecDeque<T>,
    /// The balance after the last item handed on.
    last_after: Option<K>,
}

impl<T, K> Default for InOrder<T, K> {
    fn default() -> Self {
        InOrder { queue: std::collections::VecDeque::new(), last_after: None }
    }
}

impl<T: Link<K>, K: Balance> InOrder<T, K> {
    /// Takes the next item (its time at or after every earlier one) and hands on to `out`
    /// every item whose place is now settled.
    pub fn push(&mut self, item: T, out: &mut impl FnMut(T)) {
        self.queue.push_back(item);
        self.drain(false, out);
    }

    /// Hands on every item held: the sequence has ended.
    pub fn finish(&mut self, out: &mut impl FnMut(T)) {
        self.drain(true, out);
    }

    fn drain(&mut self, ended: bool, out: &mut impl FnMut(T)) {
        while let Some(first) = self.queue.front() {
            let t = first.ts();
            let group = self.queue.iter().take_while(|x| x.ts() == t).count();
            let len = self.queue.len();
            if group == len && !ended {
                return;
            }
            if group > 1 {
                // `walk_order` looks at the item after the group, and whether it is alone
                // in its second.
                let next_is_single = if group < len {
                    match self.queue.get(group + 1) {
                        Some(after) => after.ts() != self.queue[group].ts(),
                        None if ended => true,
                        None => return,
                    }
                } else {
                    false
                };
                let outgoing = next_is_single.then(|| self.queue[group].before());
                let tied = &mut self.queue.make_contiguous()[..group];
                tied.sort_by(|a, b| a.name().cmp(b.name()));
                // Already a chain from the incoming balance in name order (the usual case):
                // Hierholzer's walk, taking the lowest index first, follows exactly that
                // chain, so `order_group` would give this order. Nothing to allocate.
                let chained =
                    self.last_after == Some(tied[0].before()) && tied.windows(2).all(|w| w[0].after() == w[1].before());
                if chained {
                    for x in self.queue.drain(..group) {
                        self.last_after = Some(x.after());
                        out(x);
                    }
                    continue;
                }
                let items: Vec<T> = self.queue.drain(..group).collect();
                let edges: Vec<(K, K)> = items.iter().map(|x| (x.before(), x.after())).collect();
                let order = order_group(&edges, self.last_after, outgoing);
                let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
                for i in order {
                    if let Some(x) = slots[i].take() {
                        self.last_after = Some(x.after());
                        out(x);
                    }
                }
            } else if let Some(x) = self.queue.pop_front() {
                self.last_after = Some(x.after());
                out(x);
            }
        }
    }
}

/// Orders one same-time group of `(before, after)` edges; index order is the tie-break.
/// `incoming` is the balance the group starts from, `outgoing` the balance the next entry
/// starts from, where known.
pub fn order_group<K: Balance>(edges: &[(K, K)], incoming: Option<K>, outgoing: Option<K>) -> Vec<usize> {
    if let Some(path) = eulerian_path(edges, incoming) {
        return path;
    }
    if edges.len() <= EXHAUSTIVE_LIMIT {
        return fewest_faults(edges, incoming, outgoing);
    }
    greedy(edges, incoming)
}

/// Hierholzer's algorithm; `None` when no order uses every edge end to end.
fn eulerian_path<K: Balance>(edges: &[(K, K)], incoming: Option<K>) -> Option<Vec<usize>> {
    let mut out: HashMap<K, Vec<usize>> = HashMap::default();
    let mut degree: HashMap<K, i64> = HashMap::default();
    for (i, &(from, to)) in edges.iter().enumerate() {
        out.entry(from).or_default().push(i);
        *degree.entry(from).or_default() += 1;
        *degree.entry(to).or_default() -= 1;
    }
    let mut starts = degree.iter().filter(|(_, &d)| d == 1).map(|(&k, _)| k);
    let start = match (starts.next(), starts.next()) {
        (Some(s), None) => s,
        (None, None) => match incoming {
            Some(b) if out.contains_key(&b) => b,
            _ => edges[0].0,
        },
        _ => return None,
    };
    if degree.values().any(|&d| !(-1..=1).contains(&d)) {
        return None;
    }
    // Adjacency lists are popped from the back, so reverse them to take low indices first.
    for list in out.values_mut() {
        list.reverse();
    }
    let mut stack: Vec<(K, Option<usize>)> = vec![(start, None)];
    let mut path = Vec::with_capacity(edges.len());
    while let Some(&(node, via)) = stack.last() {
        match out.get_mut(&node).and_then(Vec::pop) {
            Some(e) => stack.push((edges[e].1, Some(e))),
            None => {
                stack.pop();
                if let Some(e) = via {
                    path.push(e);
                }
            }
        }
    }
    if path.len() != edges.len() {
        return None;
    }
    path.reverse();
    Some(path)
}

/// Counts the faults a walk would report over `seq`, framed by the known neighbours: a broken
/// link counts once, and an entry whose balance alone is off (two broken links that agree
/// around it) counts once, not twice.
fn fault_count<K: Balance>(seq: &[(K, K)], incoming: Option<K>, outgoing: Option<K>) -> usize {
    // Link i joins the balance after position i-1 to the balance before position i.
    let mut afters: Vec<Option<K>> = vec![incoming];
    let mut befores: Vec<Option<K>> = Vec::with_capacity(seq.len() + 1);
    let mut amounts: Vec<Option<K>> = vec![None];
    for &(b, a) in seq {
        befores.push(Some(b));
        afters.push(Some(a));
        amounts.push(Some(a - b));
    }
    befores.push(outgoing);
    let broken = |i: usize| matches!((afters[i], befores[i]), (Some(a), Some(b)) if a != b);
    let mut faults = 0;
    let mut i = 0;
    while i < befores.len() {
        if broken(i) {
            faults += 1;
            let skips = i + 1 < befores.len()
                && broken(i + 1)
                && matches!((afters[i], amounts[i + 1], befores[i + 1]), (Some(a), Some(m), Some(b)) if a + m == b);
            if skips {
                i += 1;
            }
        }
        i += 1;
    }
    faults
}

fn fewest_faults<K: Balance>(edges: &[(K, K)], incoming: Option<K>, outgoing: Option<K>) -> Vec<usize> {
    let mut perm: Vec<usize> = (0..edges.len()).collect();
    let mut best = perm.clone();
    let mut best_faults = usize::MAX;
    loop {
        let seq: Vec<(K, K)> = perm.iter().map(|&i| edges[i]).collect();
        let faults = fault_count(&seq, incoming, outgoing);
        if faults < best_faults {
            best_faults = faults;
            best.clone_from(&perm);
        }
        if !next_permutation(&mut perm) {
            return best;
        }
    }
}

/// Lexicographic successor; false after the last permutation.
fn next_permutation(p: &mut [usize]) -> bool {
    let Some(i) = (1..p.len()).rev().find(|&i| p[i - 1] < p[i]) else {
        return false;
    };
    let j = (i..p.len()).rev().find(|&j| p[j] > p[i - 1]).expect("a larger element exists");
    p.swap(i - 1, j);
    p[i..].reverse();
    true
}

/// Follows continuity where it can, otherwise takes the first entry nothing else leads to.
fn greedy<K: Balance>(edges: &[(K, K)], incoming: Option<K>) -> Vec<usize> {
    let mut left: Vec<usize> = (0..edges.len()).collect();
    let mut order = Vec::with_capacity(edges.len());
    let mut current = incoming;
    while !left.is_empty() {
        let pick = left
            .iter()
            .position(|&i| Some(edges[i].0) == current)
            .or_else(|| left.iter().position(|&i| !left.iter().any(|&j| j != i && edges[j].1 == edges[i].0)))
            .unwrap_or(0);
        let i = left.remove(pick);
        current = Some(edges[i].1);
        order.push(i);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(edges: &[(i64, i64)], incoming: Option<i64>) -> Vec<(i64, i64)> {
        order_group(edges, incoming, None).into_iter().map(|i| edges[i]).collect()
    }

    #[test]
    fn shuffled_group_is_put_back_in_continuity() {
        // True order 100 -> 90 -> 95 -> 80, given shuffled.
        let edges = [(95, 80), (100, 90), (90, 95)];
        assert_eq!(walk(&edges, Some(100)), vec![(100, 90), (90, 95), (95, 80)]);
        assert_eq!(walk(&edges, None), vec![(100, 90), (90, 95), (95, 80)]);
    }

    #[test]
    fn cycles_start_from_the_incoming_balance() {
        // +5 then -5: both orders add up alone; the incoming balance decides.
        let edges = [(105, 100), (100, 105)];
        assert_eq!(walk(&edges, Some(100)), vec![(100, 105), (105, 100)]);
        assert_eq!(walk(&edges, Some(105)), vec![(105, 100), (100, 105)]);
    }

    #[test]
    fn one_misreported_entry_costs_one_fault() {
        // True order 100 -> 90 -> 85 -> 70; the middle entry (-5) says 84 instead of 85.
        let edges = [(85, 70), (100, 90), (89, 84)];
        let order = walk(&edges, Some(100));
        assert_eq!(order, vec![(100, 90), (89, 84), (85, 70)]);
        assert_eq!(fault_count(&order, Some(100), None), 1);
    }

    #[test]
    fn chain_walk_orders_ties_and_keeps_times() {
        #[derive(Clone, Debug, PartialEq)]
        struct E(i64, &'static str, i64, i64);
        let mut items =
            vec![E(2, "c", 95, 80), E(1, "z", 0, 100), E(2, "a", 90, 95), E(2, "b", 100, 90), E(3, "d", 80, 70)];
        walk_order(&mut items, |e| e.0, |e| e.1, |e| e.2, |e| e.3);
        let names: Vec<&str> = items.iter().map(|e| e.1).collect();
        assert_eq!(names, vec!["z", "b", "a", "c", "d"]);
    }

    #[test]
    fn items_in_order_one_at_a_time_come_out_as_walk_order_puts_them() {
        #[derive(Clone, Debug, PartialEq)]
        struct E(i64, String, i64, i64);
        impl Link<i64> for E {
            fn ts(&self) -> i64 {
                self.0
            }
            fn name(&self) -> &str {
                &self.1
            }
            fn before(&self) -> i64 {
                self.2
            }
            fn after(&self) -> i64 {
                self.3
            }
        }
        // A walk with many same-second groups, shuffled inside each second, some of them
        // cycles (+5 -5), some broken, some singles between them.
        let mut state = 7u64;
        let mut rand = |n: u64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        let (mut items, mut balance, mut ts) = (Vec::new(), 1000i64, 0i64);
        for i in 0..3000 {
            if rand(3) > 0 {
                ts += 1;
            }
            let amount = [5, -5, -3, 7, -1][rand(5) as usize];
            let fault = if rand(50) == 0 { 1 } else { 0 };
            items.push(E(ts, format!("t{:05}-{i}", rand(10_000)), balance, balance + amount + fault));
            balance += amount;
        }
        // Shuffle within each second.
        let mut start = 0;
        while start < items.len() {
            let end = start + items[start..].iter().take_while(|x| x.0 == items[start].0).count();
            for k in (start + 1..end).rev() {
                let j = start + rand((k - start + 1) as u64) as usize;
                items.swap(k, j);
            }
            start = end;
        }
        let mut whole = items.clone();
        walk_order(&mut whole, |e| e.0, |e| &e.1, |e| e.2, |e| e.3);
        let mut streamed = Vec::new();
        let mut in_order = InOrder::default();
        for item in items {
            in_order.push(item, &mut |x| streamed.push(x));
        }
        in_order.finish(&mut |x| streamed.push(x));
        assert_eq!(streamed, whole);
    }

    #[test]
    fn permutations_are_enumerated_in_order() {
        let mut p = vec![0, 1, 2];
        let mut seen = vec![p.clone()];
        while next_permutation(&mut p) {
            seen.push(p.clone());
        }
        assert_eq!(seen.len(), 6);
        assert_eq!(seen[1], vec![0, 2, 1]);
        assert_eq!(seen[5], vec![2, 1, 0]);
    }
}
