//! `owed activity CUSTOMER [--json]`: the customer's whole timeline, newest first.

use super::Context;
use crate::Result;
use crate::report::activity;

#[derive(Debug, clap::Args)]
pub struct ActivityArgs {
    /// The customer's id.
    pub customer: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: &ActivityArgs) -> Result<()> {
    let store = ctx.open_store()?;
    let base = &ctx.config.base_currency;
    let card = crate::actions::customer(&store, &args.customer, base)?;
    let timeline =
        store
            .activity()
            .timeline(card.cid, ctx.as_of, ctx.config.promise_grace_days, base)?;
    if args.json {
        jsonln!("{}", activity::to_json(&timeline, ctx.as_of))?;
    } else {
        let text = activity::to_text(&timeline, ctx.as_of);
        out!(
            "{}",
            crate::report::as_of_in_zone(&text, ctx.as_of, &store.time_zone()?)
        )?;
    }
    Ok(())
}
