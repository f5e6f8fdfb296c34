//! `list`: sessions of one profile or all of them, filtered by age.

use super::{
    AppError, Ctx, Exit, check_empty, check_ended, check_selected, cutoff, header, now, selection,
};
use crate::cli::ListArgs;
use crate::output;
use crate::provider::Options;
use crate::select::Selector;
use crate::stale::{self, Filter};

impl Ctx<'_> {
    pub(super) async fn list(&self, args: &ListArgs) -> Result<Exit, AppError> {
        let now = now()?;
        let filter = Filter {
            idle_before: args.idle_for.map(|d| cutoff(now, d)).transpose()?,
            created_before: args.older_than.map(|d| cutoff(now, d)).transpose()?,
            ended_before: args.ended_for.map(|d| cutoff(now, d)).transpose()?,
            include_inactive: args.all,
            empty_only: args.empty,
            limit: args.limit.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            orphans: args.orphans,
            ..Filter::default()
        };
        let selector = Selector {
            terms: args.selectors.clone(),
        };
        let super::Prepared {
            ready: profiles,
            mut worst,
            broken,
        } = self.prepare(args.all_profiles, None, |profile| {
            check_empty(profile, args.empty)?;
            super::check_orphans(profile, args.orphans)?;
            super::check_judged(profile, args.idle_for.is_some(), args.older_than.is_some())?;
            let selection = selection(profile, &selector)?;
            let provider = super::provider_of(profile, &Options::default())?;
            check_ended(profile, provider.as_ref(), args.ended_for.is_some())?;
            Ok((provider, selection))
        })?;
        check_selected(&profiles, &selector)?;
        let header = header(args.all_profiles, &profiles);
        let ages = output::Ages {
            now,
            judged: args.idle_for.is_some(),
        };
        let mut printer = output::SessionPrinter::new(self.cli.output.into(), &header, ages);
        // Said on stderr already; the machine output says it too, as a run's does.
        for (name, why) in &broken {
            printer.profile_error(name, why);
        }
        let mut problems = 0;
        for (profile, (provider, selection)) in profiles {
            let filter = super::scoped(&filter, &profile, selection);
            let name = args.all_profiles.then(|| profile.name.clone());
            let mut sink = |mut l: crate::stale::Listed| {
                l.profile.clone_from(&name);
                problems += usize::from(l.problem.is_some());
                printer.print(l)
            };
            if let Err(e) = stale::each(provider.as_ref(), &filter, now, &mut sink).await {
                let err = AppError::List(profile.name.clone(), e);
                if !args.all_profiles {
                    return Err(err);
                }
                crate::output::warn(format_args!("{err}"));
                printer.profile_error(&profile.name, &err.to_string());
                worst = worst.max_code(err.exit());
            }
        }
        if problems > 0 {
            let are = if problems == 1 { "is" } else { "are" };
            crate::output::warn(format_args!(
                "{} could not be judged (unreadable or missing data) and {are} never acted on (the listing says why)",
                crate::units::plural(problems as u64, "session")
            ));
            worst = worst.max_code(Exit::Partial);
        }
        let left_out = printer.finish(worst as i32).map_err(AppError::Output)?;
        if left_out > 0 && !self.cli.quiet {
            crate::output::warn(format_args!(
                "{} left out of `-o ids` (see `-o table`)",
                crate::units::plural(left_out as u64, "session")
            ));
        }
        Ok(worst)
    }
}
