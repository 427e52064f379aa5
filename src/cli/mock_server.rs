//! `reckon mock-server`: the `reckon-api` mock of the Reverie, Orb, Stripe and Lago APIs on
//! 127.0.0.1, serving ledger files in pages, so a sync can be tried offline. Only builds with
//! the mock serve (test builds, and `cargo build --features mock-server` for the demo); a
//! release CLI built by default has neither the mock's code nor the command in its help.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

#[derive(clap::Args)]
#[allow(dead_code, reason = "its fields are read only in builds with the mock")]
pub(super) struct Args {
    /// The port on 127.0.0.1.
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// A Reverie ledger (Open API JSON) to serve at /v1/ledger, oldest first.
    #[arg(long)]
    reverie: Option<PathBuf>,
    /// Orb ledger entries (JSON) to serve under /orb, newest first, per customer.
    #[arg(long)]
    orb: Option<PathBuf>,
    /// Stripe customer balance transactions (JSON) to serve under /stripe, per customer.
    #[arg(long)]
    stripe: Option<PathBuf>,
    /// Lago wallet transactions (a saved answer: a page, an array of pages or a bare array)
    /// to serve under /lago, newest first, per wallet.
    #[arg(long)]
    lago: Option<PathBuf>,
    /// Saved Lago wallets ({"wallet": {...}}) whose credits_balance /lago answers.
    #[arg(long, requires = "lago")]
    lago_wallet: Vec<PathBuf>,
    /// Stripe billing credit balance transactions (a saved answer, newest first) to serve under
    /// /stripe/v1/billing, for the customer the balance summary names.
    #[arg(long, requires_all = ["stripe_credit_grants", "stripe_credit_summary"])]
    stripe_credits: Option<PathBuf>,
    /// Saved Stripe credit grants served beside --stripe-credits.
    #[arg(long, requires = "stripe_credits")]
    stripe_credit_grants: Option<PathBuf>,
    /// A saved Stripe credit balance summary served beside --stripe-credits.
    #[arg(long, requires = "stripe_credits")]
    stripe_credit_summary: Option<PathBuf>,
    /// Orb, Stripe and Lago fail every N-th request, 429 (Retry-After: 1) and 500 in turn.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    fail_every: Option<u32>,
    /// Orb and Stripe wait this many milliseconds before each answer.
    #[arg(long, default_value_t = 0)]
    slow: u64,
    /// Reject every key with 401 (otherwise any key is accepted).
    #[arg(long)]
    bad_key: bool,
}

pub(super) fn run(args: Args) -> Result<ExitCode> {
    serve(args)
}

reckon_api::with_mock! {
    use std::path::Path;
    use std::time::Duration;

    use anyhow::{bail, Context};
    use reckon_api::mock::{Apis, Kind, MockServer, Reverie, Vendor};

    fn serve(args: Args) -> Result<ExitCode> {
        if args.reverie.is_none()
            && args.orb.is_none()
            && args.stripe.is_none()
            && args.lago.is_none()
            && args.stripe_credits.is_none()
        {
            bail!("nothing to serve: give --reverie, --orb, --stripe, --lago or --stripe-credits with a ledger file, such as --reverie fixtures/clean.json");
        }
        let mut apis = Apis { any_key: true, bad_key: args.bad_key, ..Apis::default() };
        if let Some(path) = &args.reverie {
            apis.reverie =
                Some(Reverie::from_ledger(&read(path)?, "").with_context(|| format!("{}: not JSON", path.display()))?);
        }
        for (path, kind) in [(&args.orb, Kind::Orb), (&args.stripe, Kind::Stripe)] {
            let Some(path) = path else { continue };
            let mut vendor =
                Vendor::from_json(kind, &read(path)?, "").with_context(|| format!("{}: not JSON", path.display()))?;
            vendor.fail_every = args.fail_every;
            vendor.delay = Duration::from_millis(args.slow);
            match kind {
                Kind::Orb => apis.orb = Some(vendor),
                Kind::Stripe => apis.stripe = Some(vendor),
            }
        }
        if let Some(path) = &args.lago {
            let wallets = args.lago_wallet.iter().map(|p| read(p)).collect::<Result<Vec<_>>>()?;
            let wallets: Vec<&[u8]> = wallets.iter().map(Vec::as_slice).collect();
            let mut lago = reckon_api::mock::Lago::from_json(&read(path)?, &wallets, "")
                .with_context(|| format!("{} or a wallet file: not JSON", path.display()))?;
            lago.fail_every = args.fail_every;
            apis.lago = Some(lago);
        }
        if let (Some(t), Some(g), Some(b)) = (&args.stripe_credits, &args.stripe_credit_grants, &args.stripe_credit_summary) {
            let mut credits = reckon_api::mock::StripeCredits::from_json(&read(t)?, &read(g)?, &read(b)?, "")
                .with_context(|| format!("{}, {} or {}: not JSON", t.display(), g.display(), b.display()))?;
            credits.fail_every = args.fail_every;
            apis.stripe_credits = Some(credits);
        }
        let served = [
            (apis.reverie.is_some(), "Reverie", ""),
            (apis.orb.is_some(), "Orb", "/orb"),
            (apis.stripe.is_some(), "Stripe", "/stripe"),
            (apis.lago.is_some(), "Lago", "/lago"),
            (apis.stripe_credits.is_some(), "Stripe billing credits", "/stripe"),
        ];
        let server =
            MockServer::serve(apis, args.port).with_context(|| format!("cannot listen on 127.0.0.1:{}", args.port))?;
        for (_, name, prefix) in served.iter().filter(|s| s.0) {
            out!("{name}: --base-url {}{prefix}", server.base_url());
        }
        out!("{}; Ctrl-C stops the server", if args.bad_key { "every key is rejected" } else { "any key is accepted" });
        loop {
            std::thread::park();
        }
    }

    fn read(path: &Path) -> Result<Vec<u8>> {
        std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
    }
}

reckon_api::without_mock! {
    fn serve(_: Args) -> Result<ExitCode> {
        anyhow::bail!(
            "this build of reckon has no mock server (it is for tests and the demo); build one with \
             `cargo build --release -p reckon --features mock-server`"
        )
    }
}
