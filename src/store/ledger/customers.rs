//! Customers: lookups by the billing system's id and labels for reports.

use crate::Result;
use crate::store::Ledger;
use crate::store::Store;
use rusqlite::OptionalExtension;
use std::collections::HashMap;

/// A customer's identity as reports show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerLabel {
    pub id: String,
    pub name: String,
}

impl<S: std::ops::Deref<Target = Store>> Ledger<S> {
    /// The names of every finance and sales owner, sorted without regard to case: what the
    /// assign form completes.
    pub fn owner_names(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT finance_owner FROM customers WHERE finance_owner IS NOT NULL
             UNION SELECT sales_owner FROM customers WHERE sales_owner IS NOT NULL",
        )?;
        let mut names: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        names.sort_by_key(|n| n.to_lowercase());
        names.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        Ok(names)
    }

    /// The id and name of every customer, by key.
    /// The keys of the customers whose finance owner is `owner` (without regard to case,
    /// as the workstation's "mine" compares them).
    pub fn customers_owned_by(&self, owner: &str) -> Result<Vec<i64>> {
        crate::store::rows(
            self.conn(),
            "SELECT cid FROM customers WHERE finance_owner = ?1 COLLATE NOCASE ORDER BY cid",
            [owner.trim()],
            |r| r.get(0),
        )
    }

    pub fn customer_labels(&self) -> Result<HashMap<i64, CustomerLabel>> {
        let mut stmt = self.conn().prepare("SELECT cid, id, name FROM customers")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                CustomerLabel {
                    id: r.get(1)?,
                    name: r.get(2)?,
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The id and name of one customer by key.
    pub fn customer_label(&self, cid: i64) -> Result<Option<CustomerLabel>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT id, name FROM customers WHERE cid = ?1")?
            .query_row([cid], |r| {
                Ok(CustomerLabel {
                    id: r.get(0)?,
                    name: r.get(1)?,
                })
            })
            .optional()?)
    }

    /// The key of a customer by the billing system's id.
    pub fn customer_key(&self, id: &str) -> Result<Option<i64>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT cid FROM customers WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?)
    }
}

impl<S: std::ops::Deref<Target = Store>> Ledger<S> {
    /// A customer's `cf_*` custom fields (empty when none or unknown customer).
    pub fn customer_custom_fields(
        &self,
        id: &str,
    ) -> Result<std::collections::BTreeMap<String, String>> {
        let json: Option<String> = self
            .conn()
            .prepare_cached("SELECT custom FROM customers WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        Ok(json
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default())
    }
}
