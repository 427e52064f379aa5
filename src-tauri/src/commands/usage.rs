//! The Ledger screen's usage views: a workspace's usage per conversation, API key, import
//! type, billing type or user, over a span or range, sorted as the page sorts
//! (`reckon::usage`, the same views `reckon summary` prints).

use tauri::State;

use reckon::model::rfc3339;
use reckon::money::format;
use reckon::usage::{self, Sort, Span};

use super::Result;
use crate::dto::*;
use crate::state::AppState;

/// The views chain `chain_id` offers: the page's, for workspace usage records; none else.
#[tauri::command]
pub async fn usage_views(state: State<'_, AppState>, chain_id: i64) -> Result<Vec<UsageViewInfo>> {
    state
        .with_db(move |db| {
            let chain = db.store.chain(chain_id)?;
            if chain.source != reckon::model::source::WORKSPACE.name {
                return Ok(Vec::new());
            }
            Ok(usage::VIEWS.iter().map(|v| UsageViewInfo { key: v.key.into(), title: v.title.into() }).collect())
        })
        .await
}

#[tauri::command]
pub async fn usage_summary(state: State<'_, AppState>, request: UsageRequest) -> Result<Vec<UsageRowView>> {
    let view = usage::view(&request.view)
        .ok_or_else(|| AppError::bad_input(format!("{:?} is not a usage view", request.view)))?;
    let span = request.last.as_deref().map(str::parse::<Span>).transpose().map_err(AppError::bad_input)?;
    let mut filter = ledger_filter(&request.query)?;
    if filter.types.is_empty() {
        filter.types = view.types.iter().map(|t| t.to_string()).collect();
    }
    state
        .with_db(move |db| {
            if let Some(span) = span {
                let chain = db.store.chain(request.query.chain_id)?;
                filter.from = Some(span.start(chain.last_ts.unwrap_or(0)));
            }
            let mut rows = db.store.summary(&filter, view.group_by())?;
            let sort = match request.sort {
                UsageSort::Key => Sort::Key,
                UsageSort::Recent => Sort::Recent,
                UsageSort::Credits => Sort::Credits,
            };
            sort.apply(&mut rows);
            Ok(rows
                .iter()
                .map(|r| UsageRowView {
                    key: r.key.clone(),
                    entries: r.totals.entries as i64,
                    credits_used: format(-r.totals.credits_out),
                    credits_in: format(r.totals.credits_in),
                    latest: rfc3339(r.latest),
                })
                .collect())
        })
        .await
}
