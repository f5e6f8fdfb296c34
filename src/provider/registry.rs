//! The registry of providers: the factories sessionctl knows.
//!
//! It is a value built at start-up, not a static table, so that it can hold providers whose
//! description is read at run time (declared in a file, later).

use std::sync::{Arc, OnceLock};

use super::fields::Named;
use super::unit::{Factory, Flag, Note, Slot};

/// Every provider sessionctl knows.
#[derive(Debug)]
pub struct Registry {
    factories: Vec<Arc<dyn Factory>>,
}

impl Registry {
    pub fn new(factories: Vec<Arc<dyn Factory>>) -> Registry {
        Registry { factories }
    }

    pub fn find(&self, name: &str) -> Option<&dyn Factory> {
        (self.factories.iter())
            .find(|f| f.name() == name)
            .map(|f| f.as_ref())
    }

    pub fn names(&self) -> Vec<&str> {
        self.factories.iter().map(|f| f.name()).collect()
    }

    /// The provider whose own key `key` is, if any.
    pub fn owner_of(&self, key: &str) -> Option<&str> {
        (self.factories.iter())
            .find(|f| f.keys().contains(&key))
            .map(|f| f.name())
    }

    /// The provider-only run flag `name`, as the provider that has it describes it.
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        (self.factories.iter())
            .flat_map(|f| f.flags())
            .find(|f| f.name == name)
    }

    /// The note a provider gives for a sweep with `flag`, if one does.
    pub fn note(&self, flag: &str) -> Option<&Note> {
        (self.factories.iter())
            .flat_map(|f| f.notes())
            .find(|n| n.flag == flag)
    }

    /// Every provider's own fields, in registry order, each name once (as the first that
    /// has it declares it: a test checks that they agree): the `-o wide` columns of a
    /// listing in that order, whichever providers its rows come from.
    pub fn fields(&self) -> Vec<Named> {
        let mut all: Vec<Named> = Vec::new();
        for named in self.factories.iter().flat_map(|f| f.fields()) {
            if !all.iter().any(|n| n.name == named.name) {
                all.push(*named);
            }
        }
        all
    }

    /// The names of the providers' own fields that `--where` may select on.
    pub fn vocabulary(&self) -> Vec<&'static str> {
        (self.fields().into_iter())
            .filter(|n| n.selects)
            .map(|n| n.name)
            .collect()
    }

    /// Every provider's `config show` rows, in registry order.
    pub fn slots(&self) -> impl Iterator<Item = &Slot> {
        self.factories.iter().flat_map(|f| f.slots())
    }
}

/// A `--where` (or `protect`) term, among the fields of the providers sessionctl knows (the
/// clap value parser).
pub fn parse_term(s: &str) -> Result<crate::select::Term, String> {
    crate::select::parse_term(s, &registry().vocabulary())
}

/// The providers built in: one line each, in `providers!` (`provider/mod.rs`).
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Registry::new(super::built_in()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_that_share_a_field_name_declare_it_alike() {
        let registry = registry();
        for factory in &registry.factories {
            for named in factory.fields() {
                let first = (registry.fields().into_iter())
                    .find(|n| n.name == named.name)
                    .unwrap();
                assert_eq!(&first, named, "{}: `{}`", factory.name(), named.name);
            }
        }
    }

    /// A field `--where` takes for a profile parses only if its provider declares it.
    #[test]
    fn every_field_a_profile_selects_on_is_one_its_provider_declares() {
        let text = include_str!("../../config.example.toml");
        let path = std::path::Path::new("config.example.toml");
        let config = crate::config::Config::parse(path, text).unwrap();
        for (name, profile) in &config.profiles {
            let factory = registry().find(profile.provider.name()).unwrap();
            for s in profile.provider.selectable() {
                let declared = (factory.fields().iter()).any(|n| n.name == s.name && n.selects);
                let everyones = ["id", "thread", "metadata"].contains(&s.name);
                assert!(declared || everyones, "{name}: `{}`", s.name);
            }
        }
    }
}
