//! Payments as of a date, with their customer: the payments export.

use crate::Result;
use crate::domain::date::{day_number, from_day_number};
use crate::domain::{Date, Decimal, money};
use crate::store::Ledger;
use crate::store::Store;
use rusqlite::params;

/// A payment or payment attempt dated on or before the as-of date.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentLine {
    pub id: String,
    pub customer_id: String,
    pub customer_name: String,
    pub date: Date,
    pub amount: Decimal,
    pub currency: String,
    /// Base-currency units per unit, at the payment's date.
    pub rate: Decimal,
    /// `success`, `failure`, `voided`, `in_progress` or `timeout`.
    pub status: String,
    pub method: Option<String>,
    pub gateway: Option<String>,
    pub reference: Option<String>,
    pub failure_reason: Option<String>,
    /// Applied to documents on or before the as-of date.
    pub applied: Decimal,
    /// Not yet applied at the as-of date (zero unless the payment succeeded).
    pub unapplied: Decimal,
}

const PAYMENTS: &str = "
    SELECT p.id, c.id, c.name, p.date, p.amount, p.currency, p.rate, p.status, p.method,
           p.gateway, p.reference, p.failure_reason,
           (SELECT ifnull(sum(a.amount), 0) FROM applications a
             WHERE a.source_pid = p.pid AND a.date <= ?1)
      FROM payments p JOIN customers c ON c.cid = p.cid
     WHERE p.date <= ?1
     ORDER BY p.date, p.id";

impl<S: std::ops::Deref<Target = Store>> Ledger<S> {
    /// Calls `each` for every payment dated on or before `as_of`, oldest first, with what
    /// was applied of it by then.
    pub fn for_each_payment(
        &self,
        as_of: Date,
        mut each: impl FnMut(PaymentLine) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self.conn().prepare_cached(PAYMENTS)?;
        let mut rows = stmt.query(params![day_number(as_of)])?;
        while let Some(r) = rows.next()? {
            let amount = money::from_units(r.get(4)?);
            let applied = money::from_units(r.get(12)?);
            let status: String = r.get(7)?;
            let rate: crate::store::StoredRate = r.get(6)?;
            let unapplied = if status == "success" {
                amount - applied
            } else {
                Decimal::ZERO
            };
            each(PaymentLine {
                id: r.get(0)?,
                customer_id: r.get(1)?,
                customer_name: r.get(2)?,
                date: from_day_number(r.get(3)?),
                amount,
                currency: r.get(5)?,
                rate: rate.0,
                status,
                method: r.get(8)?,
                gateway: r.get(9)?,
                reference: r.get(10)?,
                failure_reason: r.get(11)?,
                applied,
                unapplied,
            })?;
        }
        Ok(())
    }
}
