//! Reminders a collector sends by hand (TODO).
