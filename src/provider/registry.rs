//! The registry of providers: the factories sessionctl knows.
//!
//! It is a value built at start-up, not a static table, so that it can hold providers whose
//! description is read at run time (declared in a file, later).

use std::sync::{Arc, OnceLock};

use super::unit::{Factory, Flag, Slot};

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

    /// Every provider's `config show` rows, in registry order.
    pub fn slots(&self) -> impl Iterator<Item = &Slot> {
        self.factories.iter().flat_map(|f| f.slots())
    }
}

/// The providers built in: one line each.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        Registry::new(vec![
            Arc::new(super::zep::Factory),
            Arc::new(super::digital_samba::Factory),
            Arc::new(super::messaging::Factory),
            Arc::new(super::langgraph::Factory),
        ])
    })
}
