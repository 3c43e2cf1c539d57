//! Versioned migrations, run on open with `PRAGMA user_version`.
//!
//! Conventions: money is INTEGER ten-thousandths (see `domain::money::to_units`), dates are
//! INTEGER day numbers (`domain::date::day_number`), timestamps are TEXT RFC 3339 in UTC.
//! Internal integer keys (`cid`, `did`, `pid`) join; the billing system's text `id`s are
//! unique and used only at the edges. A migration is never edited once released: add one.

/// The migrations in order; `user_version` is the number applied.
pub const MIGRATIONS: &[&str] = &[
    // 1: the billing system's data and the collectors' activity log.
    r#"
-- Facts about this database (e.g. how the demo was generated).
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE customers (
    cid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    currency TEXT,
    finance_owner TEXT,
    sales_owner TEXT,
    payment_terms_days INTEGER,
    credit_limit INTEGER,
    auto_collection INTEGER,
    primary_payment_method TEXT,
    backup_payment_method TEXT,
    payment_source_status TEXT,
    subscription_status TEXT,
    custom TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX customers_finance_owner ON customers(finance_owner);

CREATE TABLE exchange_rates (
    currency TEXT NOT NULL,
    date INTEGER NOT NULL,
    rate TEXT NOT NULL,
    PRIMARY KEY (currency, date)
) WITHOUT ROWID;

CREATE TABLE documents (
    did INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    cid INTEGER NOT NULL REFERENCES customers(cid),
    kind TEXT NOT NULL CHECK (kind IN ('invoice', 'debit_note', 'credit_note')),
    number TEXT,
    doc_date INTEGER NOT NULL,
    due_date INTEGER,
    posting_date INTEGER,
    amount INTEGER NOT NULL CHECK (amount > 0),
    currency TEXT NOT NULL,
    rate TEXT NOT NULL,
    billing_balance INTEGER,
    location TEXT,
    business_unit TEXT,
    custom TEXT NOT NULL DEFAULT '{}',
    applied INTEGER NOT NULL DEFAULT 0,
    last_applied INTEGER,
    balance INTEGER GENERATED ALWAYS AS (amount - applied) STORED
);
-- Open items by customer and due date: aging, queue and detail read only these rows.
CREATE INDEX documents_open ON documents(cid, due_date, balance, doc_date, kind, rate, currency, last_applied)
    WHERE balance <> 0;
-- Sales by period (DSO, CEI).
CREATE INDEX documents_date ON documents(doc_date, kind, amount, rate);
-- As-of dates in the past: documents closed since then were open then.
CREATE INDEX documents_last_applied ON documents(last_applied) WHERE last_applied IS NOT NULL;
CREATE INDEX documents_customer ON documents(cid, doc_date);
-- Documents whose balance differs from what the billing system says.
CREATE INDEX documents_mismatch ON documents(cid, billing_balance, balance, rate)
    WHERE billing_balance IS NOT NULL AND billing_balance <> balance;

CREATE TABLE payments (
    pid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    cid INTEGER NOT NULL REFERENCES customers(cid),
    date INTEGER NOT NULL,
    amount INTEGER NOT NULL CHECK (amount >= 0),
    currency TEXT NOT NULL,
    rate TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('success', 'failure', 'voided', 'in_progress', 'timeout')),
    method TEXT,
    gateway TEXT,
    failure_reason TEXT,
    reference TEXT,
    applied INTEGER NOT NULL DEFAULT 0,
    last_applied INTEGER,
    unapplied INTEGER GENERATED ALWAYS AS (CASE WHEN status = 'success' THEN amount - applied ELSE 0 END) STORED
);
CREATE INDEX payments_customer ON payments(cid, date);
CREATE INDEX payments_unapplied ON payments(cid, date, unapplied, rate, currency, last_applied) WHERE unapplied <> 0;
CREATE INDEX payments_last_applied ON payments(last_applied) WHERE last_applied IS NOT NULL;

-- What settles what. One row per (source, document, date); a re-import replaces its amount.
CREATE TABLE applications (
    aid INTEGER PRIMARY KEY,
    source_pid INTEGER REFERENCES payments(pid),
    source_did INTEGER REFERENCES documents(did),
    did INTEGER NOT NULL REFERENCES documents(did),
    amount INTEGER NOT NULL CHECK (amount > 0),
    date INTEGER NOT NULL,
    CHECK ((source_pid IS NULL) <> (source_did IS NULL))
);
CREATE UNIQUE INDEX applications_key ON applications(did, date, ifnull(source_pid, 0), ifnull(source_did, 0));
CREATE INDEX applications_from_payment ON applications(source_pid, date) WHERE source_pid IS NOT NULL;
CREATE INDEX applications_from_credit ON applications(source_did, date) WHERE source_did IS NOT NULL;

-- The collectors' activity log: append-only. A correction is a new row (a void, a reopen);
-- nothing is updated or deleted.
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    cid INTEGER NOT NULL REFERENCES customers(cid),
    at TEXT NOT NULL,
    collector TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX notes_customer ON notes(cid, at);

CREATE TABLE promises (
    id INTEGER PRIMARY KEY,
    cid INTEGER NOT NULL REFERENCES customers(cid),
    at TEXT NOT NULL,
    collector TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    promised_date INTEGER NOT NULL,
    recorded_date INTEGER NOT NULL,
    text TEXT
);
CREATE INDEX promises_customer ON promises(cid, promised_date);
CREATE TABLE promise_documents (
    promise_id INTEGER NOT NULL REFERENCES promises(id),
    did INTEGER NOT NULL REFERENCES documents(did),
    PRIMARY KEY (promise_id, did)
) WITHOUT ROWID;
CREATE INDEX promise_documents_document ON promise_documents(did);
CREATE TABLE promise_voids (
    id INTEGER PRIMARY KEY,
    promise_id INTEGER NOT NULL UNIQUE REFERENCES promises(id),
    at TEXT NOT NULL,
    collector TEXT NOT NULL,
    text TEXT
);

CREATE TABLE issues (
    id INTEGER PRIMARY KEY,
    cid INTEGER NOT NULL REFERENCES customers(cid),
    at TEXT NOT NULL,
    collector TEXT NOT NULL,
    reason TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount >= 0),
    opened_date INTEGER NOT NULL,
    text TEXT
);
CREATE INDEX issues_customer ON issues(cid);
CREATE TABLE issue_documents (
    issue_id INTEGER NOT NULL REFERENCES issues(id),
    did INTEGER NOT NULL REFERENCES documents(did),
    PRIMARY KEY (issue_id, did)
) WITHOUT ROWID;
CREATE INDEX issue_documents_document ON issue_documents(did);
-- resolve / reopen: the latest event decides whether an issue is open.
CREATE TABLE issue_events (
    id INTEGER PRIMARY KEY,
    issue_id INTEGER NOT NULL REFERENCES issues(id),
    at TEXT NOT NULL,
    collector TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('resolve', 'reopen')),
    event_date INTEGER NOT NULL,
    text TEXT
);
CREATE INDEX issue_events_issue ON issue_events(issue_id, id);

CREATE TABLE followups (
    id INTEGER PRIMARY KEY,
    cid INTEGER NOT NULL REFERENCES customers(cid),
    at TEXT NOT NULL,
    collector TEXT NOT NULL,
    due_date INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX followups_customer ON followups(cid, due_date);
CREATE TABLE followup_done (
    id INTEGER PRIMARY KEY,
    followup_id INTEGER NOT NULL UNIQUE REFERENCES followups(id),
    at TEXT NOT NULL,
    collector TEXT NOT NULL
);

CREATE TABLE owner_changes (
    id INTEGER PRIMARY KEY,
    cid INTEGER NOT NULL REFERENCES customers(cid),
    at TEXT NOT NULL,
    collector TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('finance_owner', 'sales_owner')),
    old_owner TEXT,
    new_owner TEXT NOT NULL
);
CREATE INDEX owner_changes_customer ON owner_changes(cid, id);

-- Reminders: the outbox and the record of what was sent.
CREATE TABLE reminders (
    id INTEGER PRIMARY KEY,
    cid INTEGER NOT NULL REFERENCES customers(cid),
    at TEXT NOT NULL,
    collector TEXT NOT NULL,
    cycle TEXT NOT NULL,
    reminder TEXT NOT NULL,
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    html TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    error TEXT,
    message_id TEXT,
    sent_at TEXT,
    sent_date INTEGER
);
CREATE INDEX reminders_customer ON reminders(cid, sent_date);
CREATE UNIQUE INDEX reminders_message_id ON reminders(message_id) WHERE message_id IS NOT NULL;
-- At most once per (cycle, reminder, document), whatever happens.
CREATE TABLE reminder_documents (
    cycle TEXT NOT NULL,
    reminder TEXT NOT NULL,
    did INTEGER NOT NULL REFERENCES documents(did),
    reminder_id INTEGER NOT NULL REFERENCES reminders(id),
    PRIMARY KEY (cycle, reminder, did)
) WITHOUT ROWID;
CREATE INDEX reminder_documents_document ON reminder_documents(did);
-- Customers held back from engagement by a collector until a date.
CREATE TABLE engagement_holds (
    id INTEGER PRIMARY KEY,
    cid INTEGER NOT NULL REFERENCES customers(cid),
    at TEXT NOT NULL,
    collector TEXT NOT NULL,
    until_date INTEGER NOT NULL,
    text TEXT
);
CREATE INDEX engagement_holds_customer ON engagement_holds(cid, until_date);

CREATE TABLE replies (
    id INTEGER PRIMARY KEY,
    cid INTEGER NOT NULL REFERENCES customers(cid),
    at TEXT NOT NULL,
    received_date INTEGER NOT NULL,
    message_id TEXT UNIQUE,
    in_reply_to TEXT,
    from_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    read_at TEXT
);
CREATE INDEX replies_customer ON replies(cid, received_date);
CREATE INDEX replies_unread ON replies(cid) WHERE read_at IS NULL;
"#,
    // 2: failed payment attempts by date (customer risk reads them for every customer).
    r#"
CREATE INDEX payments_failed ON payments(date, cid) WHERE status IN ('failure', 'timeout');
"#,
    // 3: sales (invoices and debit notes) per document date and rate, for DSO, CEI and ADD
    // without reading every document: rebuilt by each import that changes documents.
    r#"
CREATE TABLE sales_daily (
    doc_date INTEGER NOT NULL,
    rate TEXT NOT NULL,
    amount INTEGER NOT NULL,
    PRIMARY KEY (doc_date, rate)
) WITHOUT ROWID;
INSERT INTO sales_daily (doc_date, rate, amount)
    SELECT doc_date, rate, sum(amount) FROM documents WHERE kind <> 'credit_note'
     GROUP BY doc_date, rate;
"#,
    // 4: applications by date, covering what was applied to each document after a date (the
    // ledger at a past date: CEI's beginning AR, `--as-of` month-end reviews).
    r#"
CREATE INDEX applications_date ON applications(date, did, amount);
"#,
    // 5: the users of `owed serve` with their roles and SSH public keys, and the system's
    // activity log (who changed which user, when).
    r#"
CREATE TABLE users (
    uid INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('collector', 'manager', 'auditor')),
    created TEXT NOT NULL
);
-- A key is its algorithm and base64 blob (the comment is kept, never compared); one user's.
CREATE TABLE user_keys (
    id INTEGER PRIMARY KEY,
    uid INTEGER NOT NULL REFERENCES users(uid) ON DELETE CASCADE,
    algorithm TEXT NOT NULL,
    blob TEXT NOT NULL,
    comment TEXT,
    UNIQUE (algorithm, blob)
);
CREATE INDEX user_keys_user ON user_keys(uid);
-- Append-only: `kind` is `user_add`, `user_remove` or `user_role`; `actor` who did it.
CREATE TABLE system_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL
);
"#,
    // 6: replies from a sender outside the customer's addresses and email domains are filed
    // unverified (matched only by a Message-ID anyone could learn): shown, marked, and left
    // out of the last reply date, last contact and the engagement report. Replies filed
    // before are taken as verified.
    r#"
ALTER TABLE replies ADD COLUMN verified INTEGER NOT NULL DEFAULT 1 CHECK (verified IN (0, 1));
CREATE INDEX replies_verified ON replies(cid, received_date) WHERE verified = 1;
"#,
    // 7: engagement (issue 15). The report finds a reminder's documents by `reminder_id`
    // (without this index every reminder scanned the whole claim table); a reminder's channel
    // (`email` or `sms`); the import columns the rules read (`customers.card_last4`,
    // `payments.dunning_status`, `payments.next_retry_date`); and the optional contacts file,
    // upserted by (customer, email), whose roles address reminders.
    r#"
CREATE INDEX reminder_documents_reminder ON reminder_documents(reminder_id);
CREATE INDEX reminders_sent ON reminders(sent_date, cid) WHERE status = 'sent';
ALTER TABLE reminders ADD COLUMN channel TEXT NOT NULL DEFAULT 'email' CHECK (channel IN ('email', 'sms'));
ALTER TABLE customers ADD COLUMN card_last4 TEXT;
ALTER TABLE payments ADD COLUMN dunning_status TEXT;
ALTER TABLE payments ADD COLUMN next_retry_date INTEGER;
CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    cid INTEGER NOT NULL REFERENCES customers(cid),
    name TEXT,
    email TEXT NOT NULL,
    phone TEXT,
    role TEXT NOT NULL CHECK (role IN ('billing', 'escalation', 'ap', 'sales', 'other')),
    is_primary INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1)),
    UNIQUE (cid, email)
);
"#,
    // 8: attachments kept inside the database. A file's bytes are stored once, by their
    // SHA-256 (`blobs`); each attachment is an entry of a customer's activity log (who, when,
    // under which name), optionally linked to documents and to the payment it came with (a
    // lockbox cheque image). Resolves of issues carry an outcome (valid: a credit is due from
    // billing; invalid: the customer is chased for the gap; written_off: a manager's decision).
    r#"
CREATE TABLE blobs (
    bid INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    bytes INTEGER NOT NULL CHECK (bytes >= 0),
    data BLOB NOT NULL
);
CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    cid INTEGER NOT NULL REFERENCES customers(cid),
    at TEXT NOT NULL,
    collector TEXT NOT NULL,
    name TEXT NOT NULL,
    bid INTEGER NOT NULL REFERENCES blobs(bid),
    pid INTEGER REFERENCES payments(pid),
    text TEXT
);
CREATE INDEX attachments_customer ON attachments(cid, at);
CREATE INDEX attachments_payment ON attachments(pid) WHERE pid IS NOT NULL;
CREATE TABLE attachment_documents (
    attachment_id INTEGER NOT NULL REFERENCES attachments(id),
    did INTEGER NOT NULL REFERENCES documents(did),
    PRIMARY KEY (attachment_id, did)
) WITHOUT ROWID;
CREATE INDEX attachment_documents_document ON attachment_documents(did);
ALTER TABLE issue_events ADD COLUMN outcome TEXT
    CHECK (outcome IS NULL OR (kind = 'resolve' AND outcome IN ('valid', 'invalid', 'written_off')));
"#,
    // 9: find anything, log every touch (issue 13). Calls, with the follow-up a call
    // scheduled; document numbers looked up without regard to case; and `activity_text`, the FTS5
    // index of everything written about a customer, kept current by triggers in the writing
    // transaction (see `store::activity::search`), filled here with what was written before.
    r#"
CREATE TABLE calls (
    id INTEGER PRIMARY KEY,
    cid INTEGER NOT NULL REFERENCES customers(cid),
    at TEXT NOT NULL,
    collector TEXT NOT NULL,
    outcome TEXT NOT NULL
        CHECK (outcome IN ('reached', 'voicemail', 'no_answer', 'wrong_number', 'refused')),
    contact TEXT,
    text TEXT,
    followup_id INTEGER REFERENCES followups(id)
);
CREATE INDEX calls_customer ON calls(cid, at);
CREATE INDEX documents_number ON documents(number COLLATE NOCASE) WHERE number IS NOT NULL;
CREATE VIRTUAL TABLE activity_text USING fts5(
    text, at UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2'
);
-- One trigger per kind of record: rowid = the customer's key * 2^32 + the record's id * 8 +
-- its kind, so that a search finds the customers from its rowids alone.
CREATE TRIGGER activity_text_note AFTER INSERT ON notes BEGIN
    INSERT INTO activity_text (rowid, text, at) VALUES (NEW.cid * 4294967296 + NEW.id * 8 + 0, NEW.text, NEW.at);
END;
CREATE TRIGGER activity_text_call AFTER INSERT ON calls WHEN ifnull(NEW.text, '') <> '' BEGIN
    INSERT INTO activity_text (rowid, text, at) VALUES (NEW.cid * 4294967296 + NEW.id * 8 + 1, NEW.text, NEW.at);
END;
CREATE TRIGGER activity_text_reply AFTER INSERT ON replies BEGIN
    INSERT INTO activity_text (rowid, text, at)
    VALUES (NEW.cid * 4294967296 + NEW.id * 8 + 2, NEW.subject || char(10) || NEW.body, NEW.at);
END;
CREATE TRIGGER activity_text_issue AFTER INSERT ON issues WHEN ifnull(NEW.text, '') <> '' BEGIN
    INSERT INTO activity_text (rowid, text, at) VALUES (NEW.cid * 4294967296 + NEW.id * 8 + 3, NEW.text, NEW.at);
END;
CREATE TRIGGER activity_text_issue_event AFTER INSERT ON issue_events WHEN ifnull(NEW.text, '') <> ''
BEGIN
    INSERT INTO activity_text (rowid, text, at)
    VALUES ((SELECT cid FROM issues WHERE id = NEW.issue_id) * 4294967296 + NEW.id * 8 + 4,
            NEW.text, NEW.at);
END;
CREATE TRIGGER activity_text_promise AFTER INSERT ON promises WHEN ifnull(NEW.text, '') <> '' BEGIN
    INSERT INTO activity_text (rowid, text, at) VALUES (NEW.cid * 4294967296 + NEW.id * 8 + 5, NEW.text, NEW.at);
END;
CREATE TRIGGER activity_text_promise_void AFTER INSERT ON promise_voids WHEN ifnull(NEW.text, '') <> ''
BEGIN
    INSERT INTO activity_text (rowid, text, at)
    VALUES ((SELECT cid FROM promises WHERE id = NEW.promise_id) * 4294967296 + NEW.id * 8 + 6,
            NEW.text, NEW.at);
END;
CREATE TRIGGER activity_text_followup AFTER INSERT ON followups BEGIN
    INSERT INTO activity_text (rowid, text, at) VALUES (NEW.cid * 4294967296 + NEW.id * 8 + 7, NEW.text, NEW.at);
END;
-- What was written before.
INSERT INTO activity_text (rowid, text, at)
    SELECT cid * 4294967296 + id * 8 + 0, text, at FROM notes
    UNION ALL SELECT cid * 4294967296 + id * 8 + 2, subject || char(10) || body, at FROM replies
    UNION ALL SELECT cid * 4294967296 + id * 8 + 3, text, at FROM issues
                WHERE ifnull(text, '') <> ''
    UNION ALL SELECT i.cid * 4294967296 + e.id * 8 + 4, e.text, e.at FROM issue_events e
                JOIN issues i ON i.id = e.issue_id WHERE ifnull(e.text, '') <> ''
    UNION ALL SELECT cid * 4294967296 + id * 8 + 5, text, at FROM promises
                WHERE ifnull(text, '') <> ''
    UNION ALL SELECT p.cid * 4294967296 + v.id * 8 + 6, v.text, v.at FROM promise_voids v
                JOIN promises p ON p.id = v.promise_id WHERE ifnull(v.text, '') <> ''
    UNION ALL SELECT cid * 4294967296 + id * 8 + 7, text, at FROM followups;
"#,
    // 10: customers billed in another currency than their own. A promise is in its customer's
    // currency and counts receipts on documents converted into it; `other_currency` marks the
    // customers with a document in another currency (the base currency standing in for a
    // customer without one), so that the queue reads the documents' currencies only for them.
    // The import marks a customer when it writes such a document; a change of a customer's
    // currency marks it too (kept conservative: a mark is never taken back).
    r#"
ALTER TABLE customers ADD COLUMN other_currency INTEGER NOT NULL DEFAULT 0;
UPDATE customers SET other_currency = 1
 WHERE EXISTS (SELECT 1 FROM documents d
                WHERE d.cid = customers.cid
                  AND d.currency IS NOT ifnull(customers.currency,
                                               (SELECT value FROM meta WHERE key = 'base_currency')));
CREATE INDEX customers_other_currency ON customers(cid) WHERE other_currency;
CREATE TRIGGER customers_currency_changed AFTER UPDATE OF currency ON customers
WHEN OLD.currency IS NOT NEW.currency
BEGIN
    UPDATE customers SET other_currency = 1 WHERE cid = NEW.cid;
END;
"#,
    // 11: every import that committed, in its own transaction: when, by whom, from which files
    // and what each did. The newest says how fresh the ledger is (the workstation's title
    // shows it); a database imported before has none until its next import.
    r#"
CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,           -- RFC 3339, UTC
    actor TEXT NOT NULL,
    files TEXT NOT NULL,        -- the files read, one path a line
    summary TEXT NOT NULL       -- what each file did, as `owed import` says it
);
"#,
    // 12: where an import's files came from when their paths say nothing (the demo's, written
    // to a folder removed once imported): then `files` holds their names.
    r#"
ALTER TABLE imports ADD COLUMN source TEXT;
"#,
    // 13: each customer's sent reminders by date, for the queue's last contact of every
    // customer: read from this index alone, without a row for each reminder's status (0.02 s
    // against 0.24 s through `reminders_customer` at 100,000 customers and 109,000 reminders).
    r#"
CREATE INDEX reminders_sent_customer ON reminders(cid, sent_date) WHERE status = 'sent';
"#,
    // 14: the daily sales in the base currency, each document converted and rounded on its
    // own as every other figure is. Summed per rate before converting, a day's sales could
    // differ by a cent from its documents' own figures, and DSO's count-back then ran on over
    // every month without sales (365 days where 61 were due). Filled by the migration's step
    // in Rust ([`SALES_IN_BASE`]) and by every import that changes documents or rates.
    r#"
DROP TABLE sales_daily;
CREATE TABLE sales_daily (
    doc_date INTEGER PRIMARY KEY,
    amount INTEGER NOT NULL   -- in the base currency, ten-thousandths
) WITHOUT ROWID;
"#,
    // 15: payments by date, for an import's new or corrected exchange rate to convert again
    // the payments of its days alone (a day's rates otherwise read every payment per
    // currency: 7 s for two back-dated rates at 1.1 million payments).
    r#"
CREATE INDEX IF NOT EXISTS payments_date ON payments(date);
"#,
    // 16: the day a hold was placed on (the action's as-of day): a plan of an earlier day does
    // not see it. Holds placed before have none, and count from always.
    r#"
ALTER TABLE engagement_holds ADD COLUMN from_date INTEGER;
"#,
    // 17: a promise's and an issue's currency, the customer's when it was recorded. Read from
    // the customer until now, a change of the customer's currency in a newer export relabelled
    // every recorded amount (a promise of 500.00 USD became 500.00 EUR). Filled on insert by
    // the triggers, so every writer records it.
    r#"
ALTER TABLE promises ADD COLUMN currency TEXT;
ALTER TABLE issues ADD COLUMN currency TEXT;
UPDATE promises SET currency = (SELECT ifnull(c.currency, (SELECT value FROM meta WHERE key = 'base_currency'))
                                  FROM customers c WHERE c.cid = promises.cid);
UPDATE issues SET currency = (SELECT ifnull(c.currency, (SELECT value FROM meta WHERE key = 'base_currency'))
                                FROM customers c WHERE c.cid = issues.cid);
CREATE TRIGGER promises_currency AFTER INSERT ON promises WHEN NEW.currency IS NULL
BEGIN
    UPDATE promises
       SET currency = (SELECT ifnull(c.currency, (SELECT value FROM meta WHERE key = 'base_currency'))
                         FROM customers c WHERE c.cid = NEW.cid)
     WHERE id = NEW.id;
END;
CREATE TRIGGER issues_currency AFTER INSERT ON issues WHEN NEW.currency IS NULL
BEGIN
    UPDATE issues
       SET currency = (SELECT ifnull(c.currency, (SELECT value FROM meta WHERE key = 'base_currency'))
                         FROM customers c WHERE c.cid = NEW.cid)
     WHERE id = NEW.id;
END;
"#,
    // 18: owners' and users' names in their composed form (Unicode NFC), as imports and
    // commands now write them: an owner `Zoë` exported decomposed (as macOS writes it) was
    // not the registered user `Zoë`, whose own customers were then refused to her.
    r#"
UPDATE customers SET finance_owner = owed_nfc(finance_owner)
 WHERE finance_owner <> owed_nfc(finance_owner);
UPDATE customers SET sales_owner = owed_nfc(sales_owner)
 WHERE sales_owner <> owed_nfc(sales_owner);
UPDATE users SET name = owed_nfc(name)
 WHERE name <> owed_nfc(name) AND owed_nfc(name) NOT IN (SELECT name FROM users);
"#,
    // 19: who a reminder was copied to (a cycle's `cc` contacts): the message went to them,
    // and the record of what was sent did not say so.
    r#"
ALTER TABLE reminders ADD COLUMN cc_addr TEXT;
"#,
    // 20: what was sent, looked up by the key of its cycle's and reminder's names (trimmed,
    // composed, lower case: `domain::text::name_key`), as the cycle files compare them. By
    // the names as written, a cycle renamed `Dunning` to `DUNNING`, or saved again by an
    // editor that decomposes `Relancé`, sent every reminder again. Not unique: a database
    // may hold such a second sending already. Filled on insert by every writer.
    r#"
ALTER TABLE reminder_documents ADD COLUMN cycle_key TEXT;
ALTER TABLE reminder_documents ADD COLUMN reminder_key TEXT;
UPDATE reminder_documents
   SET cycle_key = owed_name_key(cycle), reminder_key = owed_name_key(reminder);
CREATE INDEX reminder_documents_key ON reminder_documents(cycle_key, reminder_key, did);
"#,
    // 21: the day a reminder's run was for (its as-of date), kept for those not sent too: a
    // failed or pending reminder of a back-dated run is in the activity of that day, as the
    // ones it sent are (by `sent_date`). Reminders recorded before have none: their claim's
    // day stands in.
    r#"
ALTER TABLE reminders ADD COLUMN run_date INTEGER;
"#,
    // 22: lockbox runs in the log of imports too (`owed report imports` left them out). Only
    // a billing import says how fresh the ledger is: a bank's cheques refresh no invoice.
    r#"
ALTER TABLE imports ADD COLUMN kind TEXT NOT NULL DEFAULT 'billing';
"#,
    // 23: an owed of schema 19 or older still running when a newer one upgraded the database
    // (an `engage run` goes on sending for minutes) wrote what it sent without the name
    // keys: those reminders were planned again every day, held back the customers' next
    // ones, and were sent again after a cycle's rename by case. Such rows get their keys, and
    // from now on a row without them is refused: such an owed cannot send once the database
    // is upgraded under it, and says why.
    r#"
UPDATE reminder_documents
   SET cycle_key = owed_name_key(cycle), reminder_key = owed_name_key(reminder)
 WHERE cycle_key IS NULL OR reminder_key IS NULL;
CREATE TRIGGER reminder_documents_keyed BEFORE INSERT ON reminder_documents
  WHEN NEW.cycle_key IS NULL OR NEW.reminder_key IS NULL
BEGIN
  SELECT RAISE(ABORT, 'this database was brought up to date by a newer owed while this one was running: use the newer owed');
END;
"#,
    // 24: what each import changed in the rows it updated: per row and field that the figures
    // or the owners depend on, the value before and after (a re-import overwrote amounts, and a
    // past figure could not be told again; an owner changed by an export left no trace). Filled
    // by the import from the changes its own transaction saw (`store::ledger::import`); the
    // owners' are in their customer's activity log. Values as `owed report imports --json`
    // shows them: amounts in their currency's minor units, dates `YYYY-MM-DD`, NULL for none.
    // Created only if missing, as 15 does: a database set back to an older version by hand
    // (as the tests of older owed do) may hold them already.
    r#"
CREATE TABLE IF NOT EXISTS import_changes (
    id INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL REFERENCES imports(id),
    file TEXT NOT NULL,         -- customers.csv, documents.csv, payments.csv, applications.csv
    record_id TEXT NOT NULL,    -- the row's id; an application's `SOURCE → DOCUMENT on DATE`
    cid INTEGER NOT NULL REFERENCES customers(cid),   -- the customer the row is of, after
    field TEXT NOT NULL,        -- the column as the file names it
    old TEXT,
    new TEXT
);
CREATE INDEX IF NOT EXISTS import_changes_import ON import_changes(import_id, id);
CREATE INDEX IF NOT EXISTS import_changes_owner ON import_changes(cid, id)
    WHERE field IN ('finance_owner', 'sales_owner');
"#,
    // 25: what a reminder not sent was about, and who released one by hand. A reminder that
    // failed, or a pending one a manager released, frees its documents' claims for the next
    // run (their key, cycle, reminder and document, must be free to be claimed again): the
    // claims were deleted, and with them which documents it was about. They move here
    // instead. A release by hand is recorded beside the run's error (`delivery unknown: …`),
    // which it overwrote. Claims freed before are lost, and releases before are in their
    // reminders' errors. Created only if missing, as 15 does: a database set back to an
    // older version by hand may hold them already.
    r#"
CREATE TABLE IF NOT EXISTS reminder_documents_released (
    reminder_id INTEGER NOT NULL REFERENCES reminders(id),
    did INTEGER NOT NULL REFERENCES documents(did),
    PRIMARY KEY (reminder_id, did)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reminder_releases (
    reminder_id INTEGER PRIMARY KEY REFERENCES reminders(id),
    at TEXT NOT NULL,
    collector TEXT NOT NULL
);
"#,
    // 26: the payment whose cheque opened a deduction (a lockbox item short of what it named).
    // Only the deduction's text named it, so when a newer billing export voided or failed the
    // cheque, its applications were taken away and the deduction stayed open: the invoice
    // stayed out of dunning, and the open deductions counted a gap no cheque left. Filled for
    // the deductions opened before from the text the lockbox import wrote (`…, payment
    // LBX-1001) paid …`). Created only if missing, as 15 does: a database set back to an older
    // version by hand may hold it already.
    r#"
CREATE TABLE IF NOT EXISTS deduction_payments (
    issue_id INTEGER PRIMARY KEY REFERENCES issues(id),
    pid INTEGER NOT NULL REFERENCES payments(pid)
);
CREATE INDEX IF NOT EXISTS deduction_payments_payment ON deduction_payments(pid);
INSERT OR IGNORE INTO deduction_payments (issue_id, pid)
SELECT i.id, p.pid FROM issues i JOIN payments p ON p.cid = i.cid
 WHERE i.reason = 'short_payment' AND p.gateway = 'lockbox'
   AND instr(i.text, ', payment ' || p.id || ') paid ') > 0;
"#,
    // 27: what an import took away from a lockbox payment it found no longer successful, and
    // the deduction resolves it wrote for it. The billing export never carries the lockbox's
    // applications, so when a later export gave the payment `success` again (a cheque
    // presented again, a void undone) nothing brought them back: its invoices stayed open and
    // were dunned, and the cheque showed as unapplied cash. They are kept here until then
    // (`store::ledger::import`). Filled for the payments voided before from the log of
    // imports, which kept each application taken away (`LBX-1001 → I1 on 2026-04-15`, its
    // amount to none), and from the resolutions' text. Created only if missing, as 15 does:
    // a database set back to an older version by hand may hold them already.
    r#"
CREATE TABLE IF NOT EXISTS withdrawn_applications (
    pid INTEGER NOT NULL REFERENCES payments(pid),
    did INTEGER NOT NULL REFERENCES documents(did),
    date INTEGER NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    PRIMARY KEY (pid, did, date)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deduction_withdrawals (
    event_id INTEGER PRIMARY KEY REFERENCES issue_events(id)
);
WITH taken AS (
    SELECT c.import_id, c.old, c.record_id, p.pid, p.id AS payment,
           CAST(julianday(substr(c.record_id, -10)) - 1721424.5 AS INTEGER) AS day
      FROM import_changes c
      JOIN payments p ON p.id = substr(c.record_id, 1, instr(c.record_id, ' → ') - 1)
     WHERE c.file = 'applications.csv' AND c.field = 'amount' AND c.new IS NULL
       AND c.old IS NOT NULL AND c.record_id LIKE 'LBX-% → % on ____-__-__'
       AND p.status <> 'success' AND substr(p.id, 1, 4) = 'LBX-'),
  latest AS (SELECT pid, max(import_id) AS import_id FROM taken GROUP BY pid)
INSERT OR IGNORE INTO withdrawn_applications (pid, did, date, amount)
SELECT t.pid, d.did, t.day,
       CAST(replace(t.old, '.', '') AS INTEGER) *
       CASE CASE instr(t.old, '.') WHEN 0 THEN 0 ELSE length(t.old) - instr(t.old, '.') END
            WHEN 0 THEN 10000 WHEN 1 THEN 1000 WHEN 2 THEN 100 WHEN 3 THEN 10 ELSE 1 END
  FROM taken t
  JOIN latest l ON l.pid = t.pid AND l.import_id = t.import_id
  JOIN documents d
    ON d.id = substr(t.record_id, length(t.payment) + 4,
                     length(t.record_id) - length(t.payment) - 17)
 WHERE t.day IS NOT NULL;
INSERT OR IGNORE INTO deduction_withdrawals (event_id)
SELECT e.id FROM issue_events e JOIN deduction_payments dp ON dp.issue_id = e.issue_id
 WHERE e.kind = 'resolve' AND e.outcome IS NULL
   AND e.text LIKE 'Withdrawn by an import: the billing system''s export gives payment %';
"#,
    // 28: the audit trail's gaps. (a) An exchange rate an import corrected, and the stored
    // documents and payments it converted again, moved the figures while the log of imports
    // said nothing changed: they are logged now, and a rate is of no customer, so
    // `import_changes.cid` may be empty (the table is made again with it so: SQLite cannot
    // drop a NOT NULL; made again whole each time, should a database set back to an older
    // version by hand run this again). (b) Who filed a reply from a mail folder
    // (`owed inbox import`) and who marked it read: neither was kept anywhere. Replies filed
    // or read before have none. Created only if missing, as 15 does.
    r#"
DROP TABLE IF EXISTS import_changes_again;
CREATE TABLE import_changes_again (
    id INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL REFERENCES imports(id),
    file TEXT NOT NULL,         -- customers.csv, documents.csv, payments.csv, applications.csv,
                                -- exchange_rates.csv
    record_id TEXT NOT NULL,    -- the row's id; an application's `SOURCE → DOCUMENT on DATE`,
                                -- a rate's `CURRENCY on DATE`
    cid INTEGER REFERENCES customers(cid),   -- the customer the row is of, after; none for a rate
    field TEXT NOT NULL,        -- the column as the file names it; `base_amount` for a row
                                -- converted again at a new rate (its amount in the base currency)
    old TEXT,
    new TEXT
);
INSERT INTO import_changes_again (id, import_id, file, record_id, cid, field, old, new)
SELECT id, import_id, file, record_id, cid, field, old, new FROM import_changes;
DROP TABLE import_changes;
ALTER TABLE import_changes_again RENAME TO import_changes;
CREATE INDEX IF NOT EXISTS import_changes_import ON import_changes(import_id, id);
CREATE INDEX IF NOT EXISTS import_changes_owner ON import_changes(cid, id)
    WHERE field IN ('finance_owner', 'sales_owner');
CREATE TABLE IF NOT EXISTS reply_filers (
    reply_id INTEGER PRIMARY KEY REFERENCES replies(id),
    collector TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reply_readers (
    reply_id INTEGER PRIMARY KEY REFERENCES replies(id),
    collector TEXT NOT NULL     -- when: the reply's `read_at`
);
"#,
    // 29: the events a run wrote on a deduction, not a collector: `reopened` by an import
    // (its cheque successful again), `settled` by a lockbox run or import whose payments or
    // credit notes settled every document it is on (a deduction on paid documents stayed open,
    // counted in the open deductions as if money were still disputed). Withdrawals are
    // `deduction_withdrawals`. None of them, nor a deduction a lockbox run opened, is a
    // collector's touch in the team's figures. Filled for the reopenings written before, by
    // their text. Created only if missing, as 15 does.
    r#"
CREATE TABLE IF NOT EXISTS deduction_run_events (
    event_id INTEGER PRIMARY KEY REFERENCES issue_events(id),
    kind TEXT NOT NULL CHECK (kind IN ('reopened', 'settled'))
);
INSERT OR IGNORE INTO deduction_run_events (event_id, kind)
SELECT e.id, 'reopened' FROM issue_events e JOIN deduction_payments dp ON dp.issue_id = e.issue_id
 WHERE e.kind = 'reopen'
   AND e.text LIKE 'Reopened by an import: the billing system''s export gives payment %';
"#,
    // 30: who signed a reminder (the templates' `collector`: the customer's finance owner,
    // else the sender), beside who sent it (`reminders.collector`, the actor: from cron, the
    // OS user). Reminders recorded before have none: they were signed by their sender.
    // Created only if missing, as 15 does.
    r#"
CREATE TABLE IF NOT EXISTS reminder_signers (
    reminder_id INTEGER PRIMARY KEY REFERENCES reminders(id) ON DELETE CASCADE,
    name TEXT NOT NULL
);
"#,
    // 31: the document numbers with other characters than ASCII (`RE-Ü002`), which a search
    // compares as users are told apart (collation `owed_person`: case and width in every
    // script, composed), not by `documents_number`'s NOCASE, ASCII letters only. A partial
    // index of the numbers alone (compared in binary, so that any program may write the
    // table), read whole: the few numbers it holds are compared in Rust.
    r#"
CREATE INDEX IF NOT EXISTS documents_number_other ON documents(number)
    WHERE number GLOB '*[^ -~]*';
"#,
    // 32: the ledger's time zone (`meta` key `time_zone`), the one every process counts days
    // in whatever its own `TZ`: written in Rust after the migrations ([`TIME_ZONE`]), from
    // the zone of the process that creates the database or brings it up to date.
    r#"
-- Nothing in SQL: the zone is the process's, known only in Rust.
"#,
    // 33: the newest date each file of a billing import gave (documents' and postings' dates,
    // payments', applications', exchange rates'; none after the day of the import), so that
    // an export older than what the ledger already holds is told (`import::older`). Imports
    // before have none: the first after it begins the record. Read joined to the log of
    // imports, whose runs it names (no foreign key: a log emptied by hand, as a database of
    // before the log stands, takes them along unread). Created only if missing, as 15 does.
    r#"
CREATE TABLE IF NOT EXISTS import_newest (
    import_id INTEGER NOT NULL,   -- imports(id)
    file TEXT NOT NULL,         -- documents.csv, payments.csv, applications.csv, exchange_rates.csv
    day INTEGER NOT NULL,       -- the file's newest date, not after the day it was imported
    PRIMARY KEY (import_id, file)
) WITHOUT ROWID;
"#,
];

/// The migration from which the `meta` table holds the ledger's time zone: a database
/// brought up to it (or created) is given the zone of the process doing it
/// (`store::time_zone::of_process`).
pub const TIME_ZONE: usize = 32;

/// The migration after which the daily sales are rebuilt from the documents (in Rust: the
/// conversion is exact decimal arithmetic).
pub const SALES_IN_BASE: usize = 14;
