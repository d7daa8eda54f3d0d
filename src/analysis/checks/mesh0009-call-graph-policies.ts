// EXTENSION POINT (issue 13, the service graph): a call the app declares (`a.calls(b)`) that the
// emitted policies do not allow is a broken call. The App integration will pass the declared calls
// (AnalysisOptions.calls, see DeclaredCall in ../_engine.ts); until it does, the list is empty and
// this check reports nothing. To finish it, for each call: find the AuthorizationPolicies that apply
// to the callee's pods (index.ofType(TYPES.AuthorizationPolicy) in the callee's namespace, selector
// matching `call.to.labels`, plus the root namespace's), evaluate them with Istio's semantics (a
// matching DENY wins, else any matching ALLOW, else deny when an ALLOW policy applies) for the
// caller's principal and the call's ports, methods and paths, and report MESH.CallWithoutPolicy on the
// callee's policy (or its Namespace) with [call.description, what denies it, the fix]. The
// NetworkPolicy and Sidecar egress checks of the same call fit in files of their own.
import { MESH } from '../_catalog';
import type { Check, CheckContext } from '../_engine';

export const callGraphPolicies: Check = {
  name: 'mesh.CallGraphAnalyzer',
  description: 'Checks that the policies allow every call the app declares (extension point: no calls are passed yet)',
  messages: [MESH.CallWithoutPolicy],
  run(context: CheckContext) {
    if (context.calls.length === 0) return;
    // not written yet: see the header comment
  },
};
