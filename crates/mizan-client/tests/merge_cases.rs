//! The shared merge table (`tests/merge_cases.json`, also run against the
//! TypeScript kernel by `mizan-codegen`'s `kernel.rs`) through the Rust
//! kernel's public API: an instance is loaded from a transport, the merge
//! entry is applied as a call response, and the instance's data compared.

use futures::executor::block_on;
use mizan_client::{
    CallRequest, CallResponse, ClientFuture, ContextData, MergeEntry, MizanClient, MizanError, Params, Transport,
};
use serde_json::Value;

/// Answers every fetch with the case's data.
struct Fixed(ContextData);

impl Transport for Fixed {
    fn call<'a>(&'a self, _: CallRequest<'a>) -> ClientFuture<'a, Result<CallResponse, MizanError>> {
        Box::pin(async { Ok(CallResponse::default()) })
    }

    fn fetch<'a>(&'a self, _: &'a str, _: &'a Params) -> ClientFuture<'a, Result<ContextData, MizanError>> {
        let data = self.0.clone();
        Box::pin(async move { Ok(data) })
    }
}

#[test]
fn the_shared_merge_table_holds() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/merge_cases.json");
    let table: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("merge table")).unwrap();
    let cases = table["cases"].as_array().expect("cases");
    assert!(cases.len() >= 15, "only {} cases", cases.len());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let data = case["data"].as_object().unwrap().clone();
        let slot = case["slot"].as_str().unwrap();
        let client = MizanClient::new(Fixed(data));
        if let Some(identity) = case["list"].as_str() {
            client.register_list_slot("c", slot, identity);
        }
        let sub = client.subscribe("c", Params::new(), None);
        block_on(sub.load());
        let mut response = CallResponse::default();
        response.merge.push(MergeEntry {
            context: "c".into(),
            slot: slot.into(),
            value: case["value"].clone(),
            params: None,
        });
        block_on(client.apply(&response));
        let after = sub.state().data.map(Value::Object);
        assert_eq!(after.as_ref(), Some(&case["expected"]), "{name}");
    }
}
