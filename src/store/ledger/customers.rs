//! Customers: lookups by the billing system's id and labels for reports.

use crate::Result;
use crate::domain::customer::Customer;
use crate::domain::money;
use crate::store::Ledger;
use crate::store::Store;
use rusqlite::OptionalExtension;
use rusqlite::params;
use std::collections::HashMap;

/// A customer's identity as reports show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerLabel {
    pub id: String,
    pub name: String,
}

/// A customer's columns (`?1`: with the custom fields), in the order [`customer_row`] reads.
pub(in crate::store) const CUSTOMER_SELECT: &str =
    "SELECT c.cid, c.id, c.name, c.email, c.phone, c.currency,
        c.finance_owner, c.sales_owner, c.payment_terms_days, c.credit_limit, c.auto_collection,
        c.primary_payment_method, c.backup_payment_method, c.payment_source_status,
        c.subscription_status, c.card_last4, CASE WHEN ?1 THEN c.custom END
   FROM customers c";

pub(in crate::store) fn customer_row(r: &rusqlite::Row) -> rusqlite::Result<Customer> {
    Ok(Customer {
        cid: r.get(0)?,
        id: r.get(1)?,
        name: r.get(2)?,
        email: r.get(3)?,
        phone: r.get(4)?,
        currency: r.get(5)?,
        finance_owner: r.get(6)?,
        sales_owner: r.get(7)?,
        payment_terms_days: r.get(8)?,
        credit_limit: r.get::<_, Option<i64>>(9)?.map(money::from_units),
        auto_collection: r.get(10)?,
        primary_payment_method: r.get(11)?,
        backup_payment_method: r.get(12)?,
        payment_source_status: r.get(13)?,
        subscription_status: r.get(14)?,
        card_last4: r.get(15)?,
        custom: r.get(16)?,
    })
}

impl<S: std::ops::Deref<Target = Store>> Ledger<S> {
    /// Every customer, or the one with key `cid`, with its columns; `custom` only when
    /// `with_custom`.
    pub fn customers_where(&self, with_custom: bool, cid: Option<i64>) -> Result<Vec<Customer>> {
        let sql = match cid {
            None => format!("{CUSTOMER_SELECT} WHERE ?2 IS NULL"),
            Some(_) => format!("{CUSTOMER_SELECT} WHERE c.cid = ?2"),
        };
        crate::store::rows(self.conn(), &sql, params![with_custom, cid], customer_row)
    }

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
        names.sort_by_key(|n| crate::domain::text::person_key(n));
        names.dedup_by(|a, b| crate::domain::text::same_person(a, b));
        Ok(names)
    }

    /// The names of every finance owner, sorted without regard to case (one spelling of
    /// each): what a mistyped `--owner` is told to choose from.
    pub fn finance_owner_names(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = crate::store::rows(
            self.conn(),
            "SELECT DISTINCT finance_owner FROM customers
              WHERE finance_owner IS NOT NULL AND trim(finance_owner) <> ''",
            [],
            |r| r.get(0),
        )?;
        names.sort_by_key(|n| crate::domain::text::person_key(n));
        names.dedup_by(|a, b| crate::domain::text::same_person(a, b));
        Ok(names)
    }

    /// The keys of the customers whose finance owner is `owner` (without regard to case or
    /// width, as users are told apart and the workstation's "mine" compares them).
    pub fn customers_owned_by(&self, owner: &str) -> Result<Vec<i64>> {
        crate::store::rows(
            self.conn(),
            "SELECT cid FROM customers WHERE finance_owner = ?1 COLLATE owed_person ORDER BY cid",
            [owner.trim()],
            |r| r.get(0),
        )
    }

    /// The id and name of every customer, by key.
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
