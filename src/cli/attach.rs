//! `owed attach CUSTOMER FILE... [--document ID] [TEXT]` keeps files inside the database
//! with the customer's activity; `owed attachment get ID -o FILE` writes one back, byte for
//! byte (SPEC "Attachments, lockbox and deductions").

use super::Context;
use crate::actions::{self, AttachForm};
use crate::domain::action_checks::record_id;
use crate::domain::text::one_line;
use crate::{Error, Result};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct AttachArgs {
    /// The customer's id.
    pub customer: String,
    /// The files to keep (each at most `max_attachment_mb`), then what they are: after at
    /// least one file, a last word that is no file and has white space in it, or neither a
    /// folder nor an extension (`signed PO`, `remittance`), is the TEXT.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// A document the files are about (repeat, or separate with commas).
    #[arg(long = "document", value_name = "ID", value_delimiter = ',')]
    pub documents: Vec<String>,
    /// What the files are, after `--` (`-- signed PO`), or as the last word.
    #[arg(last = true, value_name = "TEXT")]
    pub text: Vec<String>,
    /// What the files are.
    #[arg(long = "text", value_name = "TEXT", conflicts_with = "text")]
    pub text_option: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct AttachmentArgs {
    #[command(subcommand)]
    pub command: AttachmentCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum AttachmentCommand {
    /// Write an attachment's exact bytes to a file (`-o -`: standard output).
    Get {
        /// The attachment's number.
        id: String,
        /// Where to write it.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
    },
}

pub fn attach(ctx: &Context, args: &AttachArgs) -> Result<()> {
    ctx.dated_by_today()?;
    let words = args.text.join(" ");
    let given = args
        .text_option
        .clone()
        .or_else(|| (!words.trim().is_empty()).then_some(words));
    // Without `--` or `--text`, the last of two or more words may be the TEXT (SPEC: `owed
    // attach CUSTOMER FILE... [TEXT]`).
    let (paths, text) = match (given, args.files.split_last()) {
        (None, Some((last, files))) if !files.is_empty() && is_text(last) => {
            (files, Some(last.to_string_lossy().into_owned()))
        }
        (given, _) => (&args.files[..], given),
    };
    // Every file is read (and checked) before the database is opened for writing.
    let files = actions::read_attachments(paths, ctx.config.max_attachment_mb)?;
    let form = AttachForm {
        customer: &args.customer,
        files: &files,
        documents: &args.documents,
        text: text.as_deref(),
    };
    let mut store = ctx.open_store()?;
    let stamp = ctx.stamp(&store)?;
    let recorded = actions::attach(&mut store, &stamp, &form)?;
    outln!("{}", recorded.said())
}

/// Whether the last word of `owed attach` is its TEXT rather than a file: it is no file
/// (nothing of that name exists), and does not look like a file's name, having white space
/// in it or neither a folder nor an extension (`signed PO`, `remittance`). A misspelt file
/// name (`b.txtt`, `att/c.pdf`) stays a file, refused as one that cannot be read.
fn is_text(word: &std::path::Path) -> bool {
    let shown = word.to_string_lossy();
    let named = shown.contains(std::path::is_separator) || word.extension().is_some();
    std::fs::symlink_metadata(word).is_err() && (shown.contains(char::is_whitespace) || !named)
}

pub fn attachment(ctx: &Context, args: &AttachmentArgs) -> Result<()> {
    match &args.command {
        AttachmentCommand::Get { id, output } => get(ctx, id, output),
    }
}

fn get(ctx: &Context, id: &str, output: &std::path::Path) -> Result<()> {
    let number = record_id("attachment", id).map_err(Error::Input)?;
    let store = ctx.open_store()?;
    let bytes = store
        .activity()
        .attachment_bytes(number)?
        .ok_or_else(|| Error::input(format!("attachment {number} does not exist")))?;
    if output.as_os_str() == "-" {
        use std::io::IsTerminal;
        let mut out = std::io::stdout().lock();
        if out.is_terminal() {
            // A person reads it: text shown with its control characters made visible (a
            // customer's file can hold escape sequences), anything else refused.
            let text = std::str::from_utf8(&bytes).map_err(|_| {
                Error::input(format!(
                    "attachment {number} is not text: name a file with -o, or send `-o -` to a \
                     pipe"
                ))
            })?;
            out.write_all(crate::domain::text::visible(text).as_bytes())?;
            out.flush()?;
            return Ok(());
        }
        out.write_all(&bytes)?;
        out.flush()?;
        return Ok(());
    }
    // As an export writes its file: never over a database (`-o owed.db` by a slip of the
    // keyboard), whole or not at all.
    crate::export::write_file(output, &bytes)?;
    let name = store
        .activity()
        .attachment(number)?
        .map(|a| a.name)
        .unwrap_or_default();
    // One line, the name shown as `owed attach` and `owed activity` show it.
    outln!(
        "Attachment {number} ({}, {} bytes) written to {}.",
        one_line(&name),
        bytes.len(),
        one_line(&output.display().to_string())
    )
}
