//! Markdown drafts for two audiences: `support` (someone writing to the vendor: what does not
//! add up, with transaction IDs, and the ask) and `customer` (a support agent explaining to a
//! user why the balance moved). Deterministic: the clock is a parameter.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;

use crate::check::{CheckReport, CheckedFinding};
use crate::model::{format_ts, Anchor, AnchorKind, Entry, FindingKind, REFUND};
use crate::money::{format, format_signed};
use crate::reconcile::PendingBalance;
use crate::store::{ChainInfo, Store, StoreError};

/// Who the draft is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// A user or finance person writing to the vendor's support.
    Support,
    /// A support agent explaining to a user why their balance moved.
    Customer,
}

/// What to draft.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    pub audience: Audience,
    /// The chain to report on; the first chain of the check when `None`.
    pub chain_id: Option<i64>,
    /// These findings; every open finding of the chain when empty.
    pub finding_ids: Vec<String>,
    /// Unix microseconds; the period defaults to the chain's whole span.
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub now: DateTime<Utc>,
}

/// Why a draft could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The store failed.
    // Not `transparent`: the store error stays in the chain, so a shell finds its remedy.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// There is nothing to report on.
    #[error("no ledger to report on; import one first")]
    NoChain,
    /// A requested finding does not exist.
    #[error("no finding {0} in this check; list the findings to see their IDs")]
    NoFinding(String),
}

/// Drafts the report for `request` from a completed check.
pub fn draft(store: &Store, check: &CheckReport, request: &ReportRequest) -> Result<String, ReportError> {
    let chain = match request.chain_id {
        Some(id) => check.chains.iter().find(|c| c.id == id),
        None => request
            .finding_ids
            .first()
            .and_then(|f| check.finding(f))
            .and_then(|f| check.chains.iter().find(|c| c.id == f.chain_id))
            .or(check.chains.first()),
    }
    .ok_or(ReportError::NoChain)?;
    let findings: Vec<&CheckedFinding> = if request.finding_ids.is_empty() {
        check.open().filter(|f| f.chain_id == chain.id).collect()
    } else {
        request
            .finding_ids
            .iter()
            .map(|id| check.finding(id).ok_or_else(|| ReportError::NoFinding(id.clone())))
            .collect::<Result<_, _>>()?
    };
    let mut entries = store.load_entries(chain.id)?;
    crate::order::walk_order(&mut entries, |e| e.ts, |e| &e.txn_id, Entry::balance_before, |e| e.balance_after);
    let from = request.from.or(chain.first_ts).unwrap_or(0);
    let to = request.to.or(chain.last_ts.map(|t| t + 1)).unwrap_or(i64::MAX);
    let in_period: Vec<&Entry> = entries.iter().filter(|e| e.ts >= from && e.ts < to).collect();
    let by_txn = entries.iter().enumerate().map(|(i, e)| (e.txn_id.as_str(), i)).collect();
    let anchors = store.anchors(chain.id)?;
    let pending = check.pending.get(&chain.id);
    let opening = chain.opening_balance.unwrap_or(Decimal::ZERO);
    // A ledger that keeps pending grants apart states its available balance on every other
    // entry: a pending grant's is the one before it. One without balances is rebuilt.
    let rebuilt = match pending {
        Some(_) => Some(carried(&entries, opening)),
        None => entries
            .last()
            .filter(|e| !crate::reconcile::states_balance(e.balance_after))
            .map(|_| rebuild(&entries, opening, &anchors)),
    };
    // Where the balance is heading, and the threshold set for it (`watch`).
    let runway = crate::watch::runway_of(store, check, chain)?;
    let low_balance = store.low_balance(chain.id)?.map(|t| (t.threshold, crate::watch::balance(check, chain)));
    let ctx = Context {
        chain,
        runway,
        low_balance,
        by_txn,
        findings: &findings,
        entries: &entries,
        in_period: &in_period,
        anchors: &anchors,
        rebuilt,
        pending,
        now: request.now,
    };
    Ok(match request.audience {
        Audience::Support => ctx.support(),
        Audience::Customer => ctx.customer(),
    })
}

/// A kind with more findings than this is summed up, not listed one by one.
const DETAILED_PER_KIND: usize = 10;
/// How many findings a summed-up kind shows before the appendix.
const SUMMARY_EXAMPLES: usize = 5;

struct Context<'a> {
    chain: &'a ChainInfo,
    /// The runway at the last 30 days' net burn; shown when the balance is running out.
    runway: Option<crate::watch::Runway>,
    /// The low-balance threshold set for the ledger, with the balance compared with it.
    low_balance: Option<(Decimal, Option<Decimal>)>,
    /// Index into `entries` by transaction ID.
    by_txn: std::collections::HashMap<&'a str, usize>,
    findings: &'a [&'a CheckedFinding],
    entries: &'a [Entry],
    in_period: &'a [&'a Entry],
    /// Balances stated (or set) at points in time, in time order: the walk was checked
    /// against them.
    anchors: &'a [Anchor],
    /// Where the entries state no balance: the balance after each, rebuilt from the opening
    /// balance and the anchors; where only pending grants state none, the available balance
    /// carried over them.
    rebuilt: Option<Vec<Decimal>>,
    /// Where the ledger keeps pending grants apart (the grant ledger): what is granted but
    /// not yet settled, so not available.
    pending: Option<&'a PendingBalance>,
    now: DateTime<Utc>,
}

/// The balance after each entry, where only some state one: an entry that states none (a
/// pending grant) keeps the balance before it plus its amount (0 for a pending grant).
fn carried(entries: &[Entry], opening: Decimal) -> Vec<Decimal> {
    let mut balance = opening;
    entries
        .iter()
        .map(|e| {
            balance =
                if crate::reconcile::states_balance(e.balance_after) { e.balance_after } else { balance + e.amount };
            balance
        })
        .collect()
}

/// The balance after each entry of a ledger that states none: from `opening`, each anchor
/// setting the balance once the entries at or before its time are counted (the anchored walk
/// goes on from a stated balance too).
fn rebuild(entries: &[Entry], opening: Decimal, anchors: &[Anchor]) -> Vec<Decimal> {
    let mut balance = opening;
    let mut next = anchors.iter().peekable();
    entries
        .iter()
        .map(|e| {
            while let Some(a) = next.next_if(|a| a.ts < e.ts) {
                balance = a.balance;
            }
            balance += e.amount;
            balance
        })
        .collect()
}

impl Context<'_> {
    fn period(&self) -> String {
        match (self.in_period.first(), self.in_period.last()) {
            (Some(a), Some(b)) => format!("{} to {}", format_ts(a.ts), format_ts(b.ts)),
            _ => "no entries in the period".into(),
        }
    }

    fn entry(&self, txn_id: &str) -> Option<&Entry> {
        self.by_txn.get(txn_id).map(|&i| &self.entries[i])
    }

    /// The balance after an entry: as it states it, or as rebuilt from the anchors.
    fn after(&self, e: &Entry) -> Decimal {
        match (&self.rebuilt, self.by_txn.get(e.txn_id.as_str())) {
            (Some(rebuilt), Some(&i)) => rebuilt[i],
            _ => e.balance_after,
        }
    }

    fn before(&self, e: &Entry) -> Decimal {
        self.after(e) - e.amount
    }

    /// A finding table's balance cell: a dash for an entry that states none and was not
    /// rebuilt (a pending grant, which changes nothing available).
    fn balance_cell(&self, e: &Entry, balance: Decimal) -> String {
        if (self.rebuilt.is_none() || self.pending.is_some()) && !crate::reconcile::states_balance(e.balance_after) {
            return "-".into();
        }
        format(balance)
    }

    /// A finding table's amount cell: a pending grant's amount is what is pending.
    fn amount_cell(&self, e: &Entry) -> String {
        match e.label(PENDING_LABEL) {
            Some(pending) if self.pending.is_some() => format!("{} pending", pending_amount(pending)),
            _ => format_signed(e.amount),
        }
    }

    /// The pending grants not settled yet: `gl_008 (200.00 since 2026-02-01 09:00:00 UTC)`.
    fn unsettled(&self, p: &PendingBalance) -> Vec<String> {
        let by_row: std::collections::HashMap<i64, &Entry> = self.entries.iter().map(|e| (e.row_id, e)).collect();
        p.unsettled
            .iter()
            .filter_map(|id| by_row.get(id))
            .map(|e| {
                let amount = e.label(PENDING_LABEL).map(pending_amount).unwrap_or_default();
                format!("{}, {} pending since {}", md_text(&e.txn_id), amount, format_ts(e.ts))
            })
            .collect()
    }

    fn support(&self) -> String {
        let c = self.chain;
        let mut md = String::new();
        let _ = writeln!(
            md,
            "# Credit ledger discrepancy: account {} ({})\n",
            md_text(&c.key.account),
            md_text(&c.key.currency)
        );
        let _ = writeln!(
            md,
            "_Drafted by Reckon on {}. Review before sending._\n",
            self.now.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
        let _ = writeln!(md, "Hello,\n\nI reconciled the credit ledger of my account and some entries do not add up. Details below, with transaction IDs.\n");
        let _ = writeln!(md, "| | |\n|---|---|");
        let _ = writeln!(md, "| Account | {} |", md_text(&c.key.account));
        let _ = writeln!(md, "| Currency | {} |", md_text(&c.key.currency));
        let _ = writeln!(md, "| Period | {} ({} entries) |", self.period(), self.in_period.len());
        let stated = c.stated_balance.map(format).unwrap_or_else(|| "not given".into());
        let _ = writeln!(md, "| Stated balance (your account page) | {stated} |");
        let ledger = c.ledger_balance.map(format).unwrap_or_else(|| "-".into());
        match self.pending {
            Some(p) => {
                let _ = writeln!(md, "| Available balance the ledger ends at | {ledger} |");
                let _ = writeln!(md, "| Pending (granted, not yet settled) | {} |", format(p.balance));
                if let Some(l) = c.ledger_balance {
                    let _ = writeln!(md, "| Available and pending together | {} |", format(l + p.balance));
                }
            }
            None => {
                let _ = writeln!(md, "| Balance the ledger ends at | {ledger} |");
            }
        }
        let computed = self.computed_balance();
        if let Some(computed) = computed {
            let _ = writeln!(md, "| Balance the entries add up to | {} |", format(computed));
        }
        if let (Some(s), Some(l)) = (c.stated_balance, c.ledger_balance) {
            let _ = writeln!(md, "| Stated minus ledger | {} |", format_signed(s - l));
        }
        md.push('\n');
        self.watch_lines(&mut md);
        if let Some(p) = self.pending.filter(|p| !p.unsettled.is_empty()) {
            let _ = writeln!(
                md,
                "Pending grants are kept apart from the available balance until they settle. Not settled yet: {}.\n",
                self.unsettled(p).join("; ")
            );
        }
        self.anchors_cited(&mut md);
        if self.findings.is_empty() {
            md.push_str("Every entry in the period adds up; I have no discrepancy to report.\n");
            return md;
        }
        let _ = writeln!(md, "## Findings ({})\n", self.findings.len());
        // Kinds in the order their first finding comes; a kind with many findings is summed up
        // (count, total, the first few) and listed whole in the appendix.
        let mut kinds: Vec<FindingKind> = Vec::new();
        for f in self.findings {
            if !kinds.contains(&f.finding.kind) {
                kinds.push(f.finding.kind);
            }
        }
        let mut n = 0;
        let mut appendix: Vec<FindingKind> = Vec::new();
        for kind in kinds {
            let of_kind: Vec<&CheckedFinding> =
                self.findings.iter().copied().filter(|f| f.finding.kind == kind).collect();
            if of_kind.len() > DETAILED_PER_KIND {
                n += 1;
                self.summary_section(&mut md, n, kind, &of_kind);
                appendix.push(kind);
                continue;
            }
            for f in of_kind {
                n += 1;
                self.finding_section(&mut md, n, f);
            }
        }
        md.push_str("## What I am asking\n\n");
        for ask in self.asks() {
            let _ = writeln!(md, "- {}", md_text(&ask));
        }
        md.push_str("\nPlease reply citing the transaction IDs above. Thank you.\n");
        for kind in appendix {
            let _ = writeln!(md, "\n## Appendix: every {} finding\n", kind.title().to_lowercase());
            let _ = writeln!(md, "| Finding | Transaction IDs | Amount in question |");
            let _ = writeln!(md, "|---|---|---:|");
            for f in self.findings.iter().filter(|f| f.finding.kind == kind) {
                let fi = &f.finding;
                let delta = fi.delta.map(format_signed).unwrap_or_default();
                let _ = writeln!(md, "| {} | {} | {} |", fi.id, md_text(&fi.transaction_ids.join(", ")), delta);
            }
        }
        md
    }

    /// One finding in full: its message, its entries and the amount in question.
    fn finding_section(&self, md: &mut String, n: usize, f: &CheckedFinding) {
        let fi = &f.finding;
        let _ = writeln!(md, "### {}. {} ({}, {})\n", n, fi.kind.title(), fi.severity().as_str(), fi.id);
        let _ = writeln!(md, "{}\n", md_text(&fi.message));
        let rows: Vec<&Entry> = fi.transaction_ids.iter().filter_map(|t| self.entry(t)).collect();
        if !rows.is_empty() {
            let _ = writeln!(
                md,
                "| Transaction ID | Time (UTC) | Type | Description | Amount | Balance before | Balance after |"
            );
            let _ = writeln!(md, "|---|---|---|---|---:|---:|---:|");
            for e in rows {
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    md_text(&e.txn_id),
                    format_ts(e.ts),
                    md_text(&e.kind),
                    md_text(&e.description),
                    self.amount_cell(e),
                    self.balance_cell(e, self.before(e)),
                    self.balance_cell(e, self.after(e))
                );
            }
            md.push('\n');
        }
        if let Some(d) = fi.delta {
            let _ = writeln!(md, "Amount in question: **{}**\n", format_signed(d));
        }
        if !fi.candidates.is_empty() {
            md.push_str("Entries whose amounts would close the gap:\n\n");
            for c in &fi.candidates {
                let how = match c.reading {
                    crate::model::Reading::Missing => "one more like it missing",
                    crate::model::Reading::NotApplied => "counted but never applied",
                };
                let ids = md_text(&c.transaction_ids.join(" + "));
                let _ = writeln!(md, "- {ids} ({}): {how}", format_signed(c.amount));
            }
            md.push('\n');
        }
    }

    /// Where the balance is heading: the runway when it is running out at the last 30 days'
    /// net burn, and the low-balance threshold when one is set.
    fn watch_lines(&self, md: &mut String) {
        use crate::watch::Runway;
        if let Some(r @ (Runway::RunsOut { .. } | Runway::Exhausted)) = &self.runway {
            let _ = writeln!(md, "{}\n", r.sentence());
        }
        if let Some((threshold, balance)) = self.low_balance {
            let state = match balance {
                Some(b) if b < threshold => format!(": the balance, {}, is below it", format(b)),
                Some(_) => ": the balance is at or above it".into(),
                None => String::new(),
            };
            let _ = writeln!(md, "Low-balance threshold {}{state}.\n", format(threshold));
        }
    }

    /// The balances stated along the way that the ledger was rebuilt from and checked against.
    fn anchors_cited(&self, md: &mut String) {
        if self.anchors.is_empty() {
            return;
        }
        let cited: Vec<String> = self
            .anchors
            .iter()
            .map(|a| {
                let what = match a.kind {
                    AnchorKind::Stated => "stated",
                    AnchorKind::Reset => "reset",
                    AnchorKind::Opening => "opening balance",
                };
                let note = if a.note.is_empty() { String::new() } else { format!(" ({})", md_text(&a.note)) };
                format!("{} {what} on {}{note}", format(a.balance), format_ts(a.ts))
            })
            .collect();
        // A ledger without a running balance is rebuilt between them; one with it is checked.
        let how = if self.rebuilt.is_some() && self.pending.is_none() {
            "The ledger states no running balance: it was rebuilt from the balances stated along the way, each stretch checked against the next"
        } else {
            "The ledger was checked against the balances stated along the way"
        };
        let _ = writeln!(md, "{how}: {}.\n", cited.join("; "));
    }

    /// Many findings of one kind, summed up: how many, the total in question, the first few.
    fn summary_section(&self, md: &mut String, n: usize, kind: FindingKind, findings: &[&CheckedFinding]) {
        let severity = findings[0].finding.severity().as_str();
        let _ = writeln!(md, "### {}. {}: {} findings ({})\n", n, kind.title(), findings.len(), severity);
        let total: Decimal = findings.iter().filter_map(|f| f.finding.delta).sum();
        let with_delta = findings.iter().filter(|f| f.finding.delta.is_some()).count();
        if with_delta > 0 {
            let _ = writeln!(md, "Amount in question, all {} together: **{}**\n", with_delta, format_signed(total));
        }
        let _ = writeln!(md, "The first {}:\n", SUMMARY_EXAMPLES);
        for f in findings.iter().take(SUMMARY_EXAMPLES) {
            let _ = writeln!(
                md,
                "- {} ({}): {}",
                f.finding.id,
                md_text(&f.finding.transaction_ids.join(", ")),
                md_text(&f.finding.message)
            );
        }
        let _ = writeln!(
            md,
            "\nThe other {} are listed in the appendix, by finding and transaction ID.\n",
            findings.len().saturating_sub(SUMMARY_EXAMPLES)
        );
    }

    /// What the entries add up to from the oldest entry's opening balance (or, where they
    /// state none, from the opening balance and the anchors).
    fn computed_balance(&self) -> Option<Decimal> {
        if let Some(rebuilt) = self.rebuilt.as_ref().filter(|_| self.pending.is_none()) {
            return rebuilt.last().copied();
        }
        let first = self.entries.first()?;
        Some(self.entries.iter().fold(self.before(first), |b, e| b + e.amount))
    }

    fn asks(&self) -> Vec<String> {
        let mut asks = Vec::new();
        let ids = |kind: FindingKind| -> Vec<String> {
            self.findings
                .iter()
                .filter(|f| f.finding.kind == kind)
                .flat_map(|f| f.finding.transaction_ids.iter().cloned())
                .collect()
        };
        let with = |kind, text: &str| -> Option<String> {
            let list = ids(kind);
            if list.len() > SUMMARY_EXAMPLES * 2 {
                return Some(format!("{text} ({} transactions; see the appendix).", list.len()));
            }
            (!list.is_empty()).then(|| format!("{text} ({}).", list.join(", ")))
        };
        asks.extend(with(FindingKind::BalanceBreak, "For each balance break, the ledger entries missing between these transactions, or a correction of the balance"));
        asks.extend(with(
            FindingKind::MisreportedBalance,
            "Confirm the correct balance after these entries and correct the figure shown",
        ));
        asks.extend(with(
            FindingKind::HeadMismatch,
            "Explain the difference between the balance on my account page and the ledger's last entry",
        ));
        asks.extend(with(
            FindingKind::OpeningMismatch,
            "The entries before the oldest one in my export, which explain the opening balance",
        ));
        asks.extend(with(
            FindingKind::ConflictingDuplicate,
            "Which version of these transactions is correct; they appear twice with different content",
        ));
        asks.extend(with(FindingKind::DuplicateCharge, "A refund of the duplicate charge if only one was delivered"));
        asks.extend(with(FindingKind::UnmatchedRefund, "Which charge these refunds reverse"));
        asks.extend(with(FindingKind::UnknownType, "What these transaction types mean"));
        asks.extend(with(FindingKind::UnusualAmount, "Confirm these unusually large amounts were intended"));
        asks.extend(with(
            FindingKind::RefundMismatch,
            "Confirm the amounts of these refunds against the charges they name",
        ));
        asks.extend(with(
            FindingKind::AnchorMismatch,
            "The entries missing before each balance stated at a point in time that the ledger does not reach, or the correct balance then (the newest entry before each)",
        ));
        asks.extend(with(FindingKind::DoubleRefund, "Whether these charges were meant to be refunded more than once"));
        asks.extend(with(
            FindingKind::PendingUnsettled,
            "Whether the payments behind these pending grants arrived, and when the credits will be available",
        ));
        asks.extend(with(
            FindingKind::SettledAmountMismatch,
            "Which amount was paid for these grants: they settled for another amount than was pending",
        ));
        asks.extend(with(
            FindingKind::PendingOverspend,
            "Why these spends were allowed on credits that were still pending, and how the shortfall is counted",
        ));
        asks.extend(with(
            FindingKind::ExpiredGrantSpend,
            "Why these debits drew on credit grants after the grants had expired, and whether the credit on those invoices stands",
        ));
        asks.extend(with(
            FindingKind::UnmatchedAcrossSources,
            "Which of the two sources is right about these entries: each appears in one and has no counterpart in the other",
        ));
        asks
    }

    fn customer(&self) -> String {
        let c = self.chain;
        let mut md = String::new();
        let _ = writeln!(md, "# Why your {} balance changed\n", md_text(&c.key.currency));
        let _ = writeln!(
            md,
            "_Drafted by Reckon on {}. Review before sending._\n",
            self.now.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
        let (Some(first), Some(last)) = (self.in_period.first(), self.in_period.last()) else {
            md.push_str("Hello,\n\nThere are no ledger entries in this period, so your balance did not change.\n");
            return md;
        };
        let _ = writeln!(
            md,
            "Hello,\n\nI went through your credit ledger from {} to {}. Your balance went from **{}** to **{}** ({}). Here is where the credits went, with the transaction IDs so you can find each line under Settings → Billing → Credit ledger.\n",
            format_ts(first.ts), format_ts(last.ts), format(self.before(first)), format(self.after(last)),
            format_signed(self.after(last) - self.before(first))
        );
        if let Some(p) = self.pending {
            let available = self.after(last);
            let _ = writeln!(
                md,
                "Of that, **{}** is available to spend now. Another **{}** is pending: granted, but not available until it settles{}.\n",
                format(available),
                format(p.balance),
                if p.unsettled.is_empty() { String::new() } else { format!(" ({})", self.unsettled(p).join("; ")) }
            );
        }
        self.watch_lines(&mut md);
        self.anchors_cited(&mut md);
        let mut spent: BTreeMap<(String, Option<String>), Group> = BTreeMap::new();
        let mut received: BTreeMap<String, Group> = BTreeMap::new();
        for e in self.in_period {
            if e.amount < Decimal::ZERO {
                let key = (e.kind.to_string(), e.label("character").map(str::to_string));
                spent.entry(key).or_default().add(e);
            } else if e.amount > Decimal::ZERO {
                received.entry(e.kind.to_string()).or_default().add(e);
            }
        }
        if !spent.is_empty() {
            md.push_str("## What used credits\n\n");
            let mut groups: Vec<_> = spent.into_iter().collect();
            groups.sort_by(|a, b| a.1.total.cmp(&b.1.total).then(a.0.cmp(&b.0)));
            for ((kind, character), g) in groups {
                let whom = character.map(|c| format!(" with {}", md_text(&c))).unwrap_or_default();
                let _ = writeln!(
                    md,
                    "- {} {}{} cost **{}** ({}).",
                    g.count,
                    md_text(&noun(&kind, g.count)),
                    whom,
                    format(g.total.abs()),
                    md_text(&g.ids())
                );
            }
            md.push('\n');
        }
        if !received.is_empty() {
            md.push_str("## What added credits\n\n");
            let mut groups: Vec<_> = received.into_iter().collect();
            groups.sort_by(|a, b| b.1.total.cmp(&a.1.total).then(a.0.cmp(&b.0)));
            for (kind, g) in groups {
                let _ = writeln!(
                    md,
                    "- {} {} added **{}** ({}).",
                    g.count,
                    md_text(&noun(&kind, g.count)),
                    format(g.total),
                    md_text(&g.ids())
                );
            }
            md.push('\n');
        }
        if !self.findings.is_empty() {
            md.push_str("## What we are looking into\n\n");
            for f in self.findings {
                // In plain words where the kind has them; the message is written for the vendor.
                let what = plain_words(f.finding.kind, f.finding.delta).unwrap_or_else(|| md_text(&f.finding.message));
                let _ = writeln!(
                    md,
                    "- {}: {} ({})",
                    f.finding.kind.title(),
                    what,
                    md_text(&f.finding.transaction_ids.join(", "))
                );
            }
            md.push('\n');
        }
        md.push_str(
            "If a line above is one you do not recognise, reply with its transaction ID and we will look into it.\n",
        );
        md
    }
}

/// The dimension a ledger that keeps pending grants apart holds a pending grant's amount in.
const PENDING_LABEL: &str = "pending";

/// A pending grant's amount as its label keeps it, written as money (the text made inert if
/// it is not a number).
fn pending_amount(label: &str) -> String {
    crate::money::parse(label).map(format).unwrap_or_else(|_| md_text(label))
}

/// What a finding means, in words for the person whose balance it is (the customer draft),
/// for the kinds whose title alone does not say it; `delta` is the finding's amount.
fn plain_words(kind: FindingKind, delta: Option<Decimal>) -> Option<String> {
    let amount = delta.map(|d| format(d.abs())).unwrap_or_default();
    Some(match kind {
        FindingKind::AnchorMismatch => format!(
            "the balance you were shown at that time and what your entries add up to differ by {amount}; we are finding the entry behind it."
        ),
        FindingKind::RefundMismatch => {
            format!("a refund is {amount} different from the charge it refunds; we are confirming the right amount.")
        }
        FindingKind::DoubleRefund => {
            format!("a charge was refunded more than once ({amount} beyond the charge); we are checking whether that was meant.")
        }
        FindingKind::PendingUnsettled => format!(
            "{amount} granted to you is still pending after 30 days, so it is not yet available; we are asking whether the payment arrived."
        ),
        FindingKind::SettledAmountMismatch => format!(
            "a pending grant became available for {amount} {} than was pending; we are confirming which amount is right.",
            if delta.is_some_and(|d| d < Decimal::ZERO) { "less" } else { "more" }
        ),
        FindingKind::PendingOverspend => format!(
            "credits were spent before a pending grant became available, {amount} more than was available then; we are checking how it is counted."
        ),
        FindingKind::ExpiredGrantSpend => format!(
            "{amount} of credits was applied from a grant after that grant had expired; we are checking whether it should have counted."
        ),
        FindingKind::UnmatchedAcrossSources => format!(
            "an entry of {amount} appears in one record of your account and not in the other; we are checking which is right."
        ),
        _ => return None,
    })
}

#[derive(Default)]
struct Group {
    count: usize,
    total: Decimal,
    first: Option<String>,
    last: Option<String>,
}

impl Group {
    fn add(&mut self, e: &Entry) {
        self.count += 1;
        self.total += e.amount;
        self.first.get_or_insert_with(|| e.txn_id.clone());
        self.last = Some(e.txn_id.clone());
    }

    fn ids(&self) -> String {
        match (&self.first, &self.last, self.count) {
            (Some(a), _, 1) => a.clone(),
            (Some(a), Some(b), 2) => format!("{a}, {b}"),
            (Some(a), Some(b), _) => format!("{a} … {b}"),
            _ => String::new(),
        }
    }
}

/// How people call an entry of a type, singular or plural.
fn noun(kind: &str, count: usize) -> String {
    let (one, many) = match kind {
        "CHAT" => ("chat reply", "chat replies"),
        "IMAGE" => ("image generation", "image generations"),
        "VIDEO" => ("video generation", "video generations"),
        "TTS" => ("voice synthesis", "voice syntheses"),
        "ASR" => ("voice transcription", "voice transcriptions"),
        "PURCHASE" => ("credit purchase", "credit purchases"),
        "SUBSCRIPTION_GRANT" => ("subscription grant", "subscription grants"),
        "DAILY_LOGIN" => ("daily login reward", "daily login rewards"),
        "STREAK_BONUS" => ("streak bonus", "streak bonuses"),
        "LUCKY_DRAW" => ("lucky draw reward", "lucky draw rewards"),
        "REFERRAL" => ("referral reward", "referral rewards"),
        "REFERRAL_COMMISSION" => ("referral commission", "referral commissions"),
        "PLUGIN_COMMISSION" => ("plugin commission", "plugin commissions"),
        "CHARACTER_REVENUE" => ("character revenue share", "character revenue shares"),
        "REDEEM" => ("redeemed code", "redeemed codes"),
        "GIFT" => ("gift", "gifts"),
        REFUND => ("refund", "refunds"),
        "ADMIN_GRANT" => ("grant from support", "grants from support"),
        "BONUS" => ("promotional bonus", "promotional bonuses"),
        other => return format!("{other} {}", if count == 1 { "entry" } else { "entries" }),
    };
    (if count == 1 { one } else { many }).to_string()
}

/// Third-party text (IDs, types, descriptions, names, messages quoting them) made inert for
/// Markdown, in prose and in tables alike.
fn md_text(text: &str) -> String {
    crate::escape::markdown(text)
}
