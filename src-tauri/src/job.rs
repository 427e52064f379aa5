//! A long job (an import, a sync): one at a time of each kind, cancellable, reporting progress
//! to the window over a channel. The engine hands progress to a sink the caller supplies
//! (`ProgressSink`, `SyncSink`); [`JobSink`] is the shell's one sink for both.

use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use reckon::import::{Progress, ProgressSink};
use reckon::sync::{SyncProgress, SyncSink};
use tauri::ipc::{Channel, IpcResponse};

use crate::dto::{AppError, ImportProgressEvent, SyncProgressEvent};

/// One kind of long job: whether one runs, and whether it was asked to stop.
#[derive(Debug)]
pub struct Job {
    busy: AtomicBool,
    cancel: Arc<AtomicBool>,
    /// Why a second one is refused ("an import is already running; ...").
    busy_message: &'static str,
}

impl Job {
    pub fn new(busy_message: &'static str) -> Arc<Job> {
        Arc::new(Job { busy: AtomicBool::new(false), cancel: Arc::new(AtomicBool::new(false)), busy_message })
    }

    /// Claims the job and clears any earlier cancellation. The returned guard gives the job
    /// back when dropped.
    pub fn begin(self: &Arc<Self>) -> Result<JobRun, AppError> {
        if self.busy.swap(true, Ordering::SeqCst) {
            return Err(AppError::bad_input(self.busy_message));
        }
        self.cancel.store(false, Ordering::SeqCst);
        Ok(JobRun { job: self.clone() })
    }

    /// Asks the running job, if any, to stop.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    pub fn is_running(&self) -> bool {
        self.busy.load(Ordering::SeqCst)
    }
}

/// The right to run the one job of its kind; see [`Job::begin`].
#[derive(Debug)]
pub struct JobRun {
    job: Arc<Job>,
}

impl JobRun {
    /// The flag `cancel` sets, for engine calls that poll one themselves.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.job.cancel.clone()
    }

    /// A sink forwarding progress to `channel` and stopping the job once it is cancelled.
    pub fn sink<E: IpcResponse>(&self, channel: Channel<E>) -> JobSink<E> {
        JobSink { channel, cancel: self.cancel_flag() }
    }
}

impl Drop for JobRun {
    fn drop(&mut self) {
        self.job.busy.store(false, Ordering::SeqCst);
    }
}

/// Forwards a job's progress to the window; says stop once the job was cancelled.
pub struct JobSink<E: IpcResponse> {
    channel: Channel<E>,
    cancel: Arc<AtomicBool>,
}

impl<E: IpcResponse> std::fmt::Debug for JobSink<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobSink").field("channel", &self.channel.id()).field("cancel", &self.cancel).finish()
    }
}

impl<E: IpcResponse> JobSink<E> {
    fn report(&mut self, event: E) -> ControlFlow<()> {
        // A closed window is no reason to stop a job; ignore send errors.
        let _ = self.channel.send(event);
        if self.cancel.load(Ordering::SeqCst) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

impl ProgressSink for JobSink<ImportProgressEvent> {
    fn progress(&mut self, p: &Progress<'_>) -> ControlFlow<()> {
        self.report(p.into())
    }
}

impl SyncSink for JobSink<SyncProgressEvent> {
    fn progress(&mut self, p: &SyncProgress) -> ControlFlow<()> {
        self.report(p.into())
    }
}
