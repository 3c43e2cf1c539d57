//! CSV output: the five import files, each opened with its header row, and the rows written
//! customer by customer.

use std::fs::File;
use std::io;
use std::io::BufWriter;
use std::path::Path;

use chrono::NaiveDate;

use super::DemoCounts;
use super::currencies::{Market, RateWalk, cross_rate_micros, usd_value};
use super::customers::{Customer, Method};
use super::dates_money::{DateText, MoneyText, rate_text, shift};
use super::ledger::{Doc, Ledger, Payment};
use super::rng::Rng;
use super::tunables::STREAM_RATES;
use crate::domain::format;

type CsvSink = csv::Writer<BufWriter<File>>;

/// The header of `customers.csv`: the import format's columns, then the demo's custom fields.
pub(super) fn customer_header() -> Vec<&'static str> {
    [format::CUSTOMERS.all(), vec!["cf_segment", "cf_region"]].concat()
}

/// The header of `documents.csv`: the import format's columns in reading order (id, customer,
/// type and number, dates, amounts, places), then the demo's custom field.
pub(super) const DOCUMENT_HEADER: [&str; 13] = [
    "id",
    "customer_id",
    "type",
    "number",
    "doc_date",
    "due_date",
    "posting_date",
    "amount",
    "currency",
    "billing_balance",
    "location",
    "business_unit",
    "cf_project",
];

/// The bytes of an optional field; empty when absent.
fn optional_bytes<T: AsRef<[u8]>>(value: &Option<T>) -> &[u8] {
    value.as_ref().map_or(&[], AsRef::as_ref)
}

/// The five output files, each with its header row written.
pub(super) struct Sinks {
    customers: CsvSink,
    documents: CsvSink,
    payments: CsvSink,
    applications: CsvSink,
    exchange_rates: CsvSink,
}

/// Creates `dir/name` and writes the header row.
fn open_sink(dir: &Path, name: &str, header: &[&str]) -> io::Result<CsvSink> {
    let file = File::create(dir.join(name))?;
    let mut writer = csv::Writer::from_writer(BufWriter::with_capacity(1 << 16, file));
    writer.write_record(header)?;
    Ok(writer)
}

impl Sinks {
    pub(super) fn create(dir: &Path) -> io::Result<Self> {
        Ok(Self {
            customers: open_sink(dir, "customers.csv", &customer_header())?,
            documents: open_sink(dir, "documents.csv", &DOCUMENT_HEADER)?,
            payments: open_sink(dir, "payments.csv", &format::PAYMENTS.all())?,
            applications: open_sink(dir, "applications.csv", &format::APPLICATIONS.all())?,
            exchange_rates: open_sink(dir, "exchange_rates.csv", &format::EXCHANGE_RATES.all())?,
        })
    }

    /// Flushes every file.
    pub(super) fn finish(mut self) -> io::Result<()> {
        for sink in [
            &mut self.customers,
            &mut self.documents,
            &mut self.payments,
            &mut self.applications,
            &mut self.exchange_rates,
        ] {
            sink.flush()?;
        }
        Ok(())
    }

    /// One row per day and foreign currency from `first` through `last`; returns the row count.
    pub(super) fn write_exchange_rates(
        &mut self,
        market: &Market,
        first: NaiveDate,
        last: NaiveDate,
        seed: u64,
    ) -> io::Result<usize> {
        let mut rng = Rng::new(seed, STREAM_RATES, 0);
        let (mut eur, mut gbp) = (RateWalk::around(11_000), RateWalk::around(12_700));
        let mut rows = 0;
        for date in first.iter_days().take_while(|&date| date <= last) {
            eur.step(&mut rng);
            gbp.step(&mut rng);
            let base = usd_value(&market.base, &eur, &gbp);
            for currency in market.foreign {
                let value = usd_value(currency, &eur, &gbp);
                let rate = rate_text(cross_rate_micros(value, base));
                let date_text = DateText::new(date);
                self.exchange_rates.write_record([
                    date_text.as_ref(),
                    currency.as_bytes(),
                    rate.as_bytes(),
                ])?;
                rows += 1;
            }
        }
        Ok(rows)
    }

    /// Writes the customer's row and its documents, payments and applications.
    pub(super) fn write_customer(
        &mut self,
        customer: &Customer,
        ledger: &Ledger,
        counts: &mut DemoCounts,
    ) -> io::Result<()> {
        self.write_customer_row(customer)?;
        counts.customers += 1;
        for &doc in &ledger.order {
            self.write_document(customer, &ledger.docs[doc])?;
        }
        counts.documents += ledger.docs.len();
        for payment in &ledger.payments {
            self.write_payment(customer, payment)?;
        }
        counts.payments += ledger.payments.len();
        for application in &ledger.applications {
            let source = ledger.source_id(application.source);
            let target = &ledger.docs[application.doc].id;
            self.applications.write_record([
                source.as_bytes(),
                target.as_bytes(),
                MoneyText::new(application.amount, customer.currency).as_ref(),
                DateText::new(application.date).as_ref(),
            ])?;
        }
        counts.applications += ledger.applications.len();
        Ok(())
    }

    fn write_customer_row(&mut self, customer: &Customer) -> io::Result<()> {
        let terms = customer.terms_days.to_string();
        let backup = customer.backup_method.map_or("", Method::as_str);
        // Card customers: four digits derived from the id (no draw, so the rest of the
        // portfolio stays as it was).
        let card_last4 = if customer.primary_method == Method::Card
            || customer.backup_method == Some(Method::Card)
        {
            let hash = customer
                .id
                .bytes()
                .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
            format!("{:04}", hash % 10_000)
        } else {
            String::new()
        };
        self.customers.write_record([
            customer.id.as_bytes(),
            customer.name.as_bytes(),
            customer.email.as_bytes(),
            customer.phone.as_bytes(),
            customer.currency.as_bytes(),
            customer.finance_owner.as_bytes(),
            customer.sales_owner.as_bytes(),
            terms.as_bytes(),
            MoneyText::new(customer.credit_limit, customer.currency).as_ref(),
            if customer.auto_collection {
                b"on".as_slice()
            } else {
                b"off".as_slice()
            },
            customer.primary_method.as_str().as_bytes(),
            backup.as_bytes(),
            customer.source_status.as_bytes(),
            customer.subscription_status.as_bytes(),
            card_last4.as_bytes(),
            customer.segment.as_str().as_bytes(),
            customer.region.as_str().as_bytes(),
        ])?;
        Ok(())
    }

    fn write_document(&mut self, customer: &Customer, doc: &Doc) -> io::Result<()> {
        let due = doc.due_date.map(DateText::new);
        let billing = doc
            .billing_balance
            .map(|b| MoneyText::new(b, customer.currency));
        let project = doc.project.map(|p| format!("PRJ-{p}")).unwrap_or_default();
        self.documents.write_record([
            doc.id.as_bytes(),
            customer.id.as_bytes(),
            doc.kind.as_str().as_bytes(),
            doc.number.as_bytes(),
            DateText::new(doc.doc_date).as_ref(),
            optional_bytes(&due),
            DateText::new(doc.posting_date).as_ref(),
            MoneyText::new(doc.amount, customer.currency).as_ref(),
            customer.currency.as_bytes(),
            optional_bytes(&billing),
            customer.location.as_bytes(),
            doc.business_unit.as_bytes(),
            project.as_bytes(),
        ])?;
        Ok(())
    }

    fn write_payment(&mut self, customer: &Customer, payment: &Payment) -> io::Result<()> {
        let gateway = match payment.method {
            Method::Card => customer.gateway,
            Method::DirectDebit => "gocardless",
            Method::BankTransfer | Method::Cheque => "",
        };
        // A failed card or debit attempt is in the billing system's retry cycle, with the next
        // retry three days later.
        let failed = matches!(payment.status.as_str(), "failure" | "timeout");
        let dunning: &[u8] = if failed { b"in_progress" } else { b"" };
        let retry = failed.then(|| DateText::new(shift(payment.date, 3)));
        self.payments.write_record([
            payment.id.as_bytes(),
            customer.id.as_bytes(),
            DateText::new(payment.date).as_ref(),
            MoneyText::new(payment.amount, customer.currency).as_ref(),
            customer.currency.as_bytes(),
            payment.status.as_str().as_bytes(),
            payment.method.as_str().as_bytes(),
            gateway.as_bytes(),
            payment.failure_reason.as_bytes(),
            payment.reference.as_bytes(),
            dunning,
            optional_bytes(&retry),
        ])?;
        Ok(())
    }
}
