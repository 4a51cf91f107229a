//! SLA clocks on business calendars.

use catalyst_domain::TenantId;

use crate::App;
use crate::jobs::JobError;

impl App {
    /// The `sla.timer` job: a due-soon or breach instant of a ticket's clock has come.
    pub(crate) async fn on_sla_timer(
        &self,
        _tenant: TenantId,
        _payload: &serde_json::Value,
    ) -> std::result::Result<(), JobError> {
        Ok(())
    }
}
