//! The workstation's phase timings, read from its debug events (target `owed::timing`): the
//! production types keep no timing fields; the benchmark listens instead.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::{Event, Metadata, Subscriber, span};

/// Every `owed::timing` event of the process: its `what` and its numeric fields.
#[derive(Clone, Default)]
pub struct TimingLog(Arc<Mutex<Vec<Timing>>>);

/// One event: `what` ("figures", "forecast") and its fields in milliseconds.
#[derive(Debug, Clone, Default)]
pub struct Timing {
    pub what: String,
    pub fields: HashMap<&'static str, f64>,
}

impl Timing {
    /// The field `name`, NaN when the event had none.
    pub fn ms(&self, name: &str) -> f64 {
        self.fields.get(name).copied().unwrap_or(f64::NAN)
    }
}

impl TimingLog {
    /// Listens to the whole process (the workstation's threads too); `None` when another
    /// subscriber was installed first (`OWED_LOG` is set).
    pub fn install() -> Option<TimingLog> {
        let log = TimingLog::default();
        tracing::subscriber::set_global_default(log.clone()).ok()?;
        Some(log)
    }

    /// The last event about `what` (an empty one when there is none: every field NaN).
    pub fn last(&self, what: &str) -> Timing {
        let events = self.0.lock().unwrap_or_else(|e| e.into_inner());
        events
            .iter()
            .rev()
            .find(|t| t.what == what)
            .cloned()
            .unwrap_or_default()
    }
}

impl Visit for Timing {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.fields.insert(field.name(), value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "what" {
            self.what = value.to_string();
        }
    }

    fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
}

impl Subscriber for TimingLog {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == "owed::timing"
    }

    fn new_span(&self, _span: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _span: &span::Id, _values: &span::Record<'_>) {}

    fn record_follows_from(&self, _span: &span::Id, _follows: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut timing = Timing::default();
        event.record(&mut timing);
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(timing);
    }

    fn enter(&self, _span: &span::Id) {}

    fn exit(&self, _span: &span::Id) {}
}
