//! The Report screen: a support or customer draft naming the findings picked.

use chrono::Utc;
use tauri::State;

use reckon::report::{self, ReportRequest};

use super::Result;
use crate::dto::*;
use crate::state::AppState;

#[tauri::command]
pub async fn draft_report(
    state: State<'_, AppState>,
    chain_id: i64,
    finding_ids: Vec<String>,
    audience: Audience,
) -> Result<String> {
    state
        .with_db(move |db| {
            db.store.chain(chain_id)?;
            let check = db.report()?;
            let request = ReportRequest {
                audience: audience.into(),
                chain_id: Some(chain_id),
                finding_ids,
                from: None,
                to: None,
                now: Utc::now(),
            };
            Ok(report::draft(&db.store, &check, &request)?)
        })
        .await
}
