//! GetCallerIdentity: who the credentials belong to. Needs no permission.

use crate::access::Caller;
use crate::query::{success, QueryResponse, QueryService};

pub(super) fn handle(caller: &Caller, request_id: &str) -> QueryResponse {
    let principal = &caller.grants.principal;
    success(QueryService::Sts, "GetCallerIdentity", request_id, |xml| {
        xml.element("UserId", &principal.user_id);
        xml.element("Account", &principal.account);
        xml.element("Arn", &principal.arn);
    })
}
