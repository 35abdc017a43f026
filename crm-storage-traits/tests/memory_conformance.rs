//! The in-memory store passes every function of the conformance kit.

use crm_storage_traits::MemoryStore;

crm_storage_traits::conformance_tests!(async || MemoryStore::new());

/// The store is usable behind `Arc<dyn …>` from many tasks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usable_as_trait_objects() {
    use chrono::Utc;
    use crm_core::{Customer, PartyKind};
    use crm_storage_traits::{CrmStore, CustomerRepository};
    use std::sync::Arc;
    let store: Arc<dyn CrmStore> = Arc::new(MemoryStore::new());
    let customers: Arc<dyn CustomerRepository> = Arc::new(MemoryStore::new());
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let customers = customers.clone();
            tokio::spawn(async move {
                let c = Customer::new(i.into(), PartyKind::Person, "Ann", Utc::now()).unwrap();
                customers.create(c).await.unwrap().version
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.await.unwrap(), 1);
    }
    let c = Customer::new(1.into(), PartyKind::Person, "Ann", Utc::now()).unwrap();
    assert_eq!(store.create(c).await.unwrap().version, 1);
}
