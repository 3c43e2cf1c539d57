//! The import format's names (SPEC, "Import format"): the columns of each CSV file and the
//! closed lists of values some columns take.
//!
//! One list each, for every part that speaks the format: the import checks files against
//! them, the rules type their fields with them (`type includes [invoice]`), and the demo
//! writes its files with them.

/// The columns of one import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    /// Columns every file must have.
    pub required: &'static [&'static str],
    /// Columns it may have.
    pub optional: &'static [&'static str],
    /// Whether `cf_*` custom-field columns are allowed.
    pub custom: bool,
}

impl Columns {
    /// The required columns, then the optional ones.
    pub fn all(&self) -> Vec<&'static str> {
        [self.required, self.optional].concat()
    }
}

/// `customers.csv`.
pub const CUSTOMERS: Columns = Columns {
    required: &["id", "name"],
    optional: &[
        "email",
        "phone",
        "currency",
        "finance_owner",
        "sales_owner",
        "payment_terms_days",
        "credit_limit",
        "auto_collection",
        "primary_payment_method",
        "backup_payment_method",
        "payment_source_status",
        "subscription_status",
        "card_last4",
    ],
    custom: true,
};

/// `documents.csv` (`due_date` is required of invoices and debit notes only).
pub const DOCUMENTS: Columns = Columns {
    required: &["id", "customer_id", "type", "doc_date", "amount"],
    optional: &[
        "due_date",
        "number",
        "posting_date",
        "currency",
        "billing_balance",
        "location",
        "business_unit",
    ],
    custom: true,
};

/// `payments.csv`.
pub const PAYMENTS: Columns = Columns {
    required: &["id", "customer_id", "date", "amount"],
    optional: &[
        "currency",
        "status",
        "method",
        "gateway",
        "failure_reason",
        "reference",
        "dunning_status",
        "next_retry_date",
    ],
    custom: false,
};

/// `applications.csv`.
pub const APPLICATIONS: Columns = Columns {
    required: &["source_id", "document_id", "amount", "date"],
    optional: &[],
    custom: false,
};

/// `exchange_rates.csv`.
pub const EXCHANGE_RATES: Columns = Columns {
    required: &["date", "currency", "rate"],
    optional: &[],
    custom: false,
};

/// Document `type`.
pub const DOCUMENT_TYPES: &[&str] = &["invoice", "debit_note", "credit_note"];

/// Payment `status`.
pub const PAYMENT_STATUSES: &[&str] = &["success", "failure", "voided", "in_progress", "timeout"];

/// Payment `method`.
pub const PAYMENT_METHODS: &[&str] = &[
    "cash",
    "card",
    "cheque",
    "bank_transfer",
    "direct_debit",
    "chargeback",
    "other",
];

/// Customer `payment_source_status`.
pub const PAYMENT_SOURCE_STATUSES: &[&str] = &["valid", "invalid", "expiring", "expired"];

/// Customer `subscription_status`.
pub const SUBSCRIPTION_STATUSES: &[&str] = &[
    "future",
    "in_trial",
    "active",
    "cancelled",
    "paused",
    "non_renewing",
];

/// Payment `dunning_status`: the billing system's retry state of a payment.
pub const DUNNING_STATUSES: &[&str] = &["in_progress", "exhausted", "stopped", "success"];

/// `contacts.csv` (optional): the people of a customer, upserted by (customer, email).
pub const CONTACTS: Columns = Columns {
    required: &["customer_id", "email"],
    optional: &["name", "phone", "role", "primary"],
    custom: false,
};

/// Contact `role`.
pub const CONTACT_ROLES: &[&str] = &["billing", "escalation", "ap", "sales", "other"];

/// Contact `primary`.
pub const YES_NO: &[&str] = &["yes", "no"];

/// Customer `auto_collection`.
pub const ON_OFF: &[&str] = &["on", "off"];
