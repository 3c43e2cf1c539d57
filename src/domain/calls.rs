//! Calls (SPEC "Calls"): how a call ended, and the follow-up its outcome proposes.
//!
//! Pure. A call is logged with its outcome, the contact spoken to (or tried) and what was
//! said; the workstation's call form proposes a follow-up from the outcome (no answer: try
//! again in 2 days), which the collector may change or clear. A call is contact with the
//! customer: it counts for "last contact", and the queue keeps the day of the last call.

use super::Date;

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallOutcome {
    /// Spoke to someone.
    Reached,
    /// Left a voicemail.
    Voicemail,
    /// Nobody answered.
    NoAnswer,
    /// The number is not the customer's.
    WrongNumber,
    /// They would not talk (or refused to pay).
    Refused,
}

impl CallOutcome {
    /// Every outcome, in the order a form offers them.
    pub const ALL: [CallOutcome; 5] = [
        CallOutcome::Reached,
        CallOutcome::Voicemail,
        CallOutcome::NoAnswer,
        CallOutcome::WrongNumber,
        CallOutcome::Refused,
    ];

    /// The name on the command line, in the database and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::Reached => "reached",
            CallOutcome::Voicemail => "voicemail",
            CallOutcome::NoAnswer => "no_answer",
            CallOutcome::WrongNumber => "wrong_number",
            CallOutcome::Refused => "refused",
        }
    }

    /// For people: `left a voicemail`.
    pub fn label(self) -> &'static str {
        match self {
            CallOutcome::Reached => "reached",
            CallOutcome::Voicemail => "left a voicemail",
            CallOutcome::NoAnswer => "no answer",
            CallOutcome::WrongNumber => "wrong number",
            CallOutcome::Refused => "refused",
        }
    }

    /// Reads an outcome's name (`no_answer`, also `no-answer`, `noanswer`, `vm`).
    pub fn parse(text: &str) -> Result<CallOutcome, String> {
        let t = text.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        let found = match t.as_str() {
            "reached" | "spoke" | "answered" => Some(CallOutcome::Reached),
            "voicemail" | "vm" | "left_voicemail" => Some(CallOutcome::Voicemail),
            "no_answer" | "noanswer" | "none" => Some(CallOutcome::NoAnswer),
            "wrong_number" | "wrongnumber" | "wrong" => Some(CallOutcome::WrongNumber),
            "refused" => Some(CallOutcome::Refused),
            _ => None,
        };
        found.ok_or_else(|| {
            let names: Vec<&str> = CallOutcome::ALL.iter().map(|o| o.as_str()).collect();
            if t.is_empty() {
                format!(
                    "the call's outcome is missing (one of {})",
                    names.join(", ")
                )
            } else {
                format!(
                    "{} is not a call outcome (one of {})",
                    crate::error::quoted(text.trim()),
                    names.join(", ")
                )
            }
        })
    }

    /// Days until the follow-up this outcome proposes (`None`: none proposed). Nobody
    /// answered or a voicemail: try again in 2 days; refused: come back to it in a week; a
    /// customer reached usually leaves something else to record (a promise, a dispute), and a
    /// wrong number needs a right one first.
    pub fn followup_days(self) -> Option<u64> {
        match self {
            CallOutcome::NoAnswer | CallOutcome::Voicemail => Some(2),
            CallOutcome::Refused => Some(7),
            CallOutcome::Reached | CallOutcome::WrongNumber => None,
        }
    }

    /// The day of the follow-up this outcome proposes for a call on `today`:
    /// [`Self::followup_days`] later, or the Monday after when that is a Saturday or a
    /// Sunday (a call back nobody would make).
    pub fn followup_date(self, today: Date) -> Option<Date> {
        let days = self.followup_days()?;
        Some(crate::domain::date::working_day(
            today + chrono::Days::new(days),
        ))
    }

    /// The follow-up this outcome proposes for a call on `today`: its date and its text.
    pub fn proposed_followup(self, today: Date, contact: Option<&str>) -> Option<(Date, String)> {
        Some((self.followup_date(today)?, followup_text(self, contact)))
    }
}

/// The text of the follow-up a call schedules: `Call Maria again (no answer)`.
pub fn followup_text(outcome: CallOutcome, contact: Option<&str>) -> String {
    let who = contact
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map_or(String::new(), |c| format!(" {c}"));
    format!("Call{who} again ({})", outcome.label())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_round_trip_and_refuse_others() {
        for o in CallOutcome::ALL {
            assert_eq!(CallOutcome::parse(o.as_str()), Ok(o));
        }
        assert_eq!(CallOutcome::parse(" No-Answer "), Ok(CallOutcome::NoAnswer));
        let e = CallOutcome::parse("busy").unwrap_err();
        assert!(e.contains("`busy` is not a call outcome"), "{e}");
        assert!(e.contains("no_answer"), "{e}");
        assert!(CallOutcome::parse("").unwrap_err().contains("missing"));
    }

    #[test]
    fn no_answer_proposes_a_call_in_two_days() {
        let day = |s: &str| crate::domain::date::parse_iso(s).unwrap();
        // A Tuesday: Thursday.
        let (date, text) = CallOutcome::NoAnswer
            .proposed_followup(day("2026-04-28"), Some("Maria"))
            .unwrap();
        assert_eq!(date.to_string(), "2026-04-30");
        assert_eq!(text, "Call Maria again (no answer)");
        // A Thursday or a Friday: not on the weekend, on the Monday after it.
        for thursday_or_friday in ["2026-04-30", "2026-05-01"] {
            let date = CallOutcome::Voicemail.followup_date(day(thursday_or_friday));
            assert_eq!(date, Some(day("2026-05-04")), "{thursday_or_friday}");
        }
        // A Saturday's call (someone worked the weekend): Monday, two days on.
        assert_eq!(
            CallOutcome::NoAnswer.followup_date(day("2026-05-02")),
            Some(day("2026-05-04"))
        );
        let today = day("2026-04-30");
        assert_eq!(CallOutcome::Reached.proposed_followup(today, None), None);
        assert_eq!(
            CallOutcome::Refused
                .proposed_followup(today, None)
                .unwrap()
                .0,
            crate::domain::date::parse_iso("2026-05-07").unwrap()
        );
    }
}
